/*
 * Projects (API.md section 3): CRUD, the list with its status filter and
 * sorts, and GET /api/v1/projects/{id}/metrics.
 *
 * Deleting a project is one DELETE: the projects_detach trigger (0001,
 * 0008) first detaches its tasks and action lists into their owners'
 * personal scopes (project_id, sprint_id := NULL, version + 1), then the
 * sprints_project_fk cascade deletes its sprints -- all in the
 * statement's transaction.
 *
 * Shared projects (API.md section 6): every statement names the caller's
 * visible projects (taskman_scopes_of) itself, RLS being the second lock;
 * members read, managers change and delete (403 for other members).
 */
#include <stdlib.h>

#include "api/idem.h"
#include "api/planning.h"
#include "api/projects.h"
#include "app.h"
#include "json.h"

static const struct db_stmt st_get = { "projects_get",
	"SELECT taskman_project_json(p), p.version FROM projects p "
	"WHERE p.id = $1 AND p.id = ANY (taskman_scopes_of($2, 'viewer'))", 2, DB_ROW };

/*
 * $1 owner, $2 name, $3 description, $4 status, $5 start, $6 target,
 * $7-$9 idem (bound by plan_create)
 */
static const struct db_stmt st_create = { "projects_create",
	"WITH p AS (INSERT INTO projects (owner_id, name, description, status, "
	"  start_date, target_end_date) "
	"  VALUES ($1, $2, $3, coalesce($4::text, 'discovery'), $5::date, $6::date) "
	"  RETURNING *), "
	"j AS (SELECT taskman_project_json(p)::text AS body, p.id, p.version FROM p), "
	"k AS (INSERT INTO idempotency_keys (owner_id, key, method, path, request_hash, "
	"  response_status, response_body, location) "
	"  SELECT $1, $7, 'POST', $8, $9::bytea, 201, j.body, '/api/v1/projects/' || j.id "
	"  FROM j WHERE $7::text IS NOT NULL) "
	"SELECT j.body, j.id, j.version FROM j", 9, DB_ROW };

/*
 * $1 id, $2 owner, $3 name, $4/$5 set/description, $6 status, $7/$8
 * set/start_date, $9/$10 set/target_end_date, $11 If-Match versions,
 * $12 body version (both bound by plan_patch).  cur tells 404 (no row)
 * from a failed precondition.
 */
static const struct db_stmt st_update = { "projects_update",
	"WITH cur AS (SELECT version, taskman_role_in($2, id) = 'manager' AS ok FROM projects "
	"  WHERE id = $1 AND id = ANY (taskman_scopes_of($2, 'viewer'))), "
	"u AS (UPDATE projects SET name = coalesce($3::text, name), "
	"  description = CASE WHEN $4::boolean THEN $5::text ELSE description END, "
	"  status = coalesce($6::text, status), "
	"  start_date = CASE WHEN $7::boolean THEN $8::date ELSE start_date END, "
	"  target_end_date = CASE WHEN $9::boolean THEN $10::date ELSE target_end_date END, "
	"  updated_at = now(), version = version + 1 "
	"  WHERE id = $1 AND id = ANY (taskman_scopes_of($2, 'manager')) "
	"  AND ($11::integer[] IS NULL OR version = ANY ($11::integer[])) "
	"  AND ($12::integer IS NULL OR version = $12::integer) RETURNING *) "
	"SELECT cur.version, taskman_project_json(u), u.version, cur.ok "
	"FROM cur LEFT JOIN u ON true",
	12, DB_ROW };

/* $1 id, $2 owner, $3 If-Match versions */
static const struct db_stmt st_delete = { "projects_delete",
	"WITH cur AS (SELECT version, taskman_role_in($2, id) = 'manager' AS ok FROM projects "
	"  WHERE id = $1 AND id = ANY (taskman_scopes_of($2, 'viewer'))), "
	"d AS (DELETE FROM projects WHERE id = $1 AND id = ANY (taskman_scopes_of($2, 'manager')) "
	"  AND ($3::integer[] IS NULL OR version = ANY ($3::integer[])) RETURNING id) "
	"SELECT cur.version, EXISTS (SELECT 1 FROM d), cur.ok FROM cur", 3, DB_ROW };

/*
 * One query, one index range (tasks_scope_created_idx, index only: a
 * project's scope is its id, whoever's tasks they are): counts by status,
 * percentages rounded half away from zero (numeric round), health on the
 * exact counts: red if blocked > 20 %, yellow if blocked > 10 % or
 * done < 30 %, else green; no tasks: green.
 */
static const struct db_stmt st_metrics = { "projects_metrics",
	"SELECT m.total, m.n_new, m.n_ready, m.n_in_progress, m.n_blocked, m.n_review, "
	"  m.n_done, m.n_dropped, "
	"  CASE WHEN m.total = 0 THEN 0 ELSE round(100.0 * m.n_done / m.total, 1) END, "
	"  CASE WHEN m.total = 0 THEN 0 ELSE round(100.0 * m.n_blocked / m.total, 1) END, "
	"  CASE WHEN m.total = 0 THEN 'green' "
	"       WHEN 5 * m.n_blocked > m.total THEN 'red' "
	"       WHEN 10 * m.n_blocked > m.total OR 10 * m.n_done < 3 * m.total THEN 'yellow' "
	"       ELSE 'green' END "
	"FROM (SELECT count(t.status) AS total, "
	"  count(*) FILTER (WHERE t.status = 'new') AS n_new, "
	"  count(*) FILTER (WHERE t.status = 'ready') AS n_ready, "
	"  count(*) FILTER (WHERE t.status = 'in_progress') AS n_in_progress, "
	"  count(*) FILTER (WHERE t.status = 'blocked') AS n_blocked, "
	"  count(*) FILTER (WHERE t.status = 'review') AS n_review, "
	"  count(*) FILTER (WHERE t.status = 'done') AS n_done, "
	"  count(*) FILTER (WHERE t.status = 'dropped') AS n_dropped "
	"  FROM projects p LEFT JOIN tasks t ON t.scope = p.id "
	"  WHERE p.id = $1 AND p.id = ANY (taskman_scopes_of($2, 'viewer')) GROUP BY p.id) m",
	2, DB_ROW };

/*
 * The list, one statement per sort (so each can use its index): $1 owner,
 * $2 statuses, $3 limit + 1, $4 offset, $5/$6 cursor key/id ($3-$6 bound
 * by plan_list_run).  Columns: total (of the filters, cursor aside), json,
 * cursor key, id; the empty page is one row with only the total.  A cursor
 * without a key (a long name) takes the key from the row it names.
 */
#define PROJECTS_FILTER(a) \
	a ".id = ANY (taskman_scopes_of($1, 'viewer')) " \
	"AND ($2::text[] IS NULL OR " a ".status = ANY ($2::text[]))"
#define PROJECTS_LIST(NAME, COL, KEY, CAST, CMP, DIR) { NAME, \
	"WITH pg AS (SELECT p AS r, p.id, " KEY " AS k, " COL " AS o FROM projects p " \
	"  WHERE " PROJECTS_FILTER("p") " AND ($6::uuid IS NULL OR (" COL ", p.id) " CMP \
	"  (coalesce($5::" CAST ", (SELECT " COL " FROM projects p " \
	"    WHERE p.id = $6::uuid AND p.id = ANY (taskman_scopes_of($1, 'viewer')))), $6::uuid)) " \
	"  ORDER BY " COL " " DIR ", p.id " DIR " LIMIT $3 OFFSET $4) " \
	"SELECT c.n, taskman_project_json(pg.r), pg.k, pg.id " \
	"FROM (SELECT count(*) AS n FROM projects q WHERE " PROJECTS_FILTER("q") ") c " \
	"LEFT JOIN pg ON true ORDER BY pg.o " DIR ", pg.id " DIR, 6, 0 }

static const struct db_stmt st_list[] = {
	PROJECTS_LIST("projects_list_created", "p.created_at", PLAN_TS_KEY("p.created_at"),
	    "timestamptz", ">", "ASC"),
	PROJECTS_LIST("projects_list_created_desc", "p.created_at", PLAN_TS_KEY("p.created_at"),
	    "timestamptz", "<", "DESC"),
	PROJECTS_LIST("projects_list_updated", "p.updated_at", PLAN_TS_KEY("p.updated_at"),
	    "timestamptz", ">", "ASC"),
	PROJECTS_LIST("projects_list_updated_desc", "p.updated_at", PLAN_TS_KEY("p.updated_at"),
	    "timestamptz", "<", "DESC"),
	PROJECTS_LIST("projects_list_name", "p.name COLLATE \"C\"", "p.name",
	    "text", ">", "ASC"),
	PROJECTS_LIST("projects_list_name_desc", "p.name COLLATE \"C\"", "p.name",
	    "text", "<", "DESC"),
};

static const struct plan_sort sorts[] = {
	{ "created_at", PK_TIME }, { "updated_at", PK_TIME }, { "name", PK_TEXT }
};
static const char *const list_filters[] = { "status", NULL };

static const char *const statuses[] = { "discovery", "active", "paused", "closed", NULL };

#define PROJECT_FIELDS \
	{ "description", FT_STRING, F_NULLABLE, 0, 10000, NULL, 0, 0, NULL }, \
	{ "status", FT_ENUM, 0, 0, 0, statuses, 0, 0, NULL }, \
	{ "start_date", FT_DATE, F_NULLABLE, 0, 0, NULL, 0, 0, NULL }, \
	{ "target_end_date", FT_DATE, F_NULLABLE, 0, 0, NULL, 0, 0, NULL }

static const struct field_spec create_specs[] = {
	{ "name", FT_STRING, F_REQUIRED, 1, 200, NULL, 0, 0, NULL },
	PROJECT_FIELDS,
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

static const struct field_spec patch_specs[] = {
	{ "name", FT_STRING, 0, 1, 200, NULL, 0, 0, NULL },
	PROJECT_FIELDS,
	PLAN_VERSION_FIELD,
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

/* Constraint names of 0001 whose violation a body field caused. */
static const struct plan_cfield cfields[] = {
	{ "projects_dates", "target_end_date", "must be on or after start_date" },
	{ "projects_name_check", "name", "must be 1 to 200 characters" },
	{ "projects_description_check", "description", "must be at most 10000 characters" },
	{ "projects_status_check", "status", "is not a project status" },
	{ NULL, NULL, NULL }
};

/* Field rules that need no database; 0 or 422 with errors[]. */
static int
check_body(struct req *r, const struct field_spec *specs, bool partial)
{
	json_object *errs = json_object_new_array();

	json_validate(r->json, specs, partial, errs);
	plan_check_blank(r->json, "name", "name", errs);
	/* both dates in the body: checked here; one of them: by projects_dates */
	plan_check_dates(r->json, "start_date", "target_end_date", errs);
	return plan_body_errors(r, errs);
}

int
projects_get(struct req *r)
{
	return plan_get(r, &st_get);
}

int
projects_create(struct req *r)
{
	struct idem	 ix;
	const char	*v[9];
	int		 st;

	if ((st = check_body(r, create_specs, false)) != 0 ||
	    (st = idem_check(r, &ix)) != 0)
		return st;
	v[0] = r->user.id;
	v[1] = json_str(r->json, "name");
	v[2] = json_str(r->json, "description");
	v[3] = json_str(r->json, "status");
	v[4] = json_str(r->json, "start_date");
	v[5] = json_str(r->json, "target_end_date");
	return plan_create(r, &st_create, v, &ix, "/api/v1/projects/", cfields);
}

int
projects_patch(struct req *r)
{
	const char	*v[12];
	int		 st;

	if ((st = check_body(r, patch_specs, true)) != 0)
		return st;
	v[0] = r->params[0];
	v[1] = r->user.id;
	v[2] = json_str(r->json, "name");
	v[3] = plan_has(r->json, "description");
	v[4] = json_str(r->json, "description");
	v[5] = json_str(r->json, "status");
	v[6] = plan_has(r->json, "start_date");
	v[7] = json_str(r->json, "start_date");
	v[8] = plan_has(r->json, "target_end_date");
	v[9] = json_str(r->json, "target_end_date");
	return plan_patch(r, &st_update, v, cfields);
}

int
projects_delete(struct req *r)
{
	return plan_delete(r, &st_delete);
}

int
projects_metrics(struct req *r)
{
	static const char *const names[] = { "new", "ready", "in_progress",
	    "blocked", "review", "done", "dropped" };
	struct db_user	 as = http_db_user(r);
	const char	*v[2] = { r->params[0], r->user.id };
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*o, *by;
	int		 i;

	if ((s = db_exec(&r->app->db, &as, &st_metrics, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	o = json_object_new_object();
	by = json_object_new_object();
	json_object_object_add(o, "total_tasks",
	    json_object_new_int64(atoll(PQgetvalue(res, 0, 0))));
	for (i = 0; i < 7; i++)
		json_object_object_add(by, names[i],
		    json_object_new_int64(atoll(PQgetvalue(res, 0, 1 + i))));
	json_object_object_add(o, "tasks_by_status", by);
	/* already rounded by PostgreSQL; printed with exactly one decimal */
	json_object_object_add(o, "completion_percentage",
	    json_new_fixed(strtod(PQgetvalue(res, 0, 8), NULL), 1));
	json_object_object_add(o, "blocked_percentage",
	    json_new_fixed(strtod(PQgetvalue(res, 0, 9), NULL), 1));
	json_object_object_add(o, "health_status",
	    json_object_new_string(PQgetvalue(res, 0, 10)));
	PQclear(res);
	return http_json(r, 200, o);
}

int
projects_list(struct req *r)
{
	struct plan_list	 l;
	char			 stbuf[128];
	const char		*v[6];
	int			 st;

	if ((st = plan_list_parse(r, list_filters, sorts, 3, &l)) != 0 ||
	    (st = plan_filter_enum(r, "status", statuses, stbuf, sizeof(stbuf), &v[1])) != 0)
		return st;
	v[0] = r->user.id;
	return plan_list_run(r, &l, sorts, &st_list[l.variant], v);
}

/* The body specs of this module's routes (t/fuzz/fuzz_json.c drives them). */
const struct field_spec *const projects_field_specs[] = {
	create_specs, patch_specs, NULL
};
