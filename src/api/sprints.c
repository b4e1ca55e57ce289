/*
 * Sprints (API.md section 3): CRUD, the list with its project_id and
 * status filters and sorts, and GET /api/v1/sprints/{id}/burndown.
 *
 * project_id is required on create and must be a project where the
 * caller is an editor (a viewer gets 403, anyone else 422 on project_id;
 * the sprints_insert policy backs it up).  Members read a project's
 * sprints, editors write them, whoever created them.  It cannot change afterwards
 * (422 on project_id in a PATCH): a sprint never moves between projects.
 * Deleting a sprint detaches its tasks and action lists (sprints_detach
 * trigger, 0001: sprint_id := NULL, version + 1) in the same statement.
 */
#include <stdlib.h>
#include <string.h>

#include "api/idem.h"
#include "api/planning.h"
#include "api/sprints.h"
#include "app.h"
#include "json.h"

static const struct db_stmt st_get = { "sprints_get",
	"SELECT taskman_sprint_json(s), s.version FROM sprints s "
	"WHERE s.id = $1 AND s.project_id = ANY (taskman_scopes_of($2, 'viewer'))", 2, DB_ROW };

/*
 * $1 owner, $2 project, $3 name, $4 goal, $5 status, $6 cadence, $7 start,
 * $8 end, $9 velocity, $10-$12 idem (bound by plan_create)
 */
static const struct db_stmt st_create = { "sprints_create",
	"WITH r AS (SELECT taskman_role_in($1, $2::uuid) AS role), "
	"s AS (INSERT INTO sprints (owner_id, project_id, name, goal, status, cadence, "
	"  start_date, end_date, velocity_target_points) "
	"  SELECT $1, $2::uuid, $3, $4, coalesce($5::text, 'planned'), $6, $7::date, "
	"  $8::date, $9::numeric FROM r WHERE taskman_role_rank(r.role) >= 2 RETURNING *), "
	"j AS (SELECT taskman_sprint_json(s)::text AS body, s.id, s.version FROM s), "
	"k AS (INSERT INTO idempotency_keys (owner_id, key, method, path, request_hash, "
	"  response_status, response_body, location) "
	"  SELECT $1, $10, 'POST', $11, $12::bytea, 201, j.body, '/api/v1/sprints/' || j.id "
	"  FROM j WHERE $10::text IS NOT NULL) "
	"SELECT r.role, j.body, j.id, j.version FROM r LEFT JOIN j ON true", 12, DB_ROW };

/*
 * $1 id, $2 owner, $3 name, $4/$5 set/goal, $6 status, $7/$8 set/cadence,
 * $9 start, $10 end, $11/$12 set/velocity, $13 If-Match versions, $14 body
 * version (both bound by plan_patch)
 */
static const struct db_stmt st_update = { "sprints_update",
	"WITH cur AS (SELECT version, "
	"  taskman_role_rank(taskman_role_in($2, project_id)) >= 2 AS ok FROM sprints "
	"  WHERE id = $1 AND project_id = ANY (taskman_scopes_of($2, 'viewer'))), "
	"u AS (UPDATE sprints SET name = coalesce($3::text, name), "
	"  goal = CASE WHEN $4::boolean THEN $5::text ELSE goal END, "
	"  status = coalesce($6::text, status), "
	"  cadence = CASE WHEN $7::boolean THEN $8::text ELSE cadence END, "
	"  start_date = coalesce($9::date, start_date), "
	"  end_date = coalesce($10::date, end_date), "
	"  velocity_target_points = CASE WHEN $11::boolean THEN $12::numeric "
	"    ELSE velocity_target_points END, "
	"  updated_at = now(), version = version + 1 "
	"  WHERE id = $1 AND project_id = ANY (taskman_scopes_of($2, 'editor')) "
	"  AND ($13::integer[] IS NULL OR version = ANY ($13::integer[])) "
	"  AND ($14::integer IS NULL OR version = $14::integer) RETURNING *) "
	"SELECT cur.version, taskman_sprint_json(u), u.version, cur.ok "
	"FROM cur LEFT JOIN u ON true",
	14, DB_ROW };

/* $1 id, $2 owner, $3 If-Match versions */
static const struct db_stmt st_delete = { "sprints_delete",
	"WITH cur AS (SELECT version, "
	"  taskman_role_rank(taskman_role_in($2, project_id)) >= 2 AS ok FROM sprints "
	"  WHERE id = $1 AND project_id = ANY (taskman_scopes_of($2, 'viewer'))), "
	"d AS (DELETE FROM sprints WHERE id = $1 "
	"  AND project_id = ANY (taskman_scopes_of($2, 'editor')) "
	"  AND ($3::integer[] IS NULL OR version = ANY ($3::integer[])) RETURNING id) "
	"SELECT cur.version, EXISTS (SELECT 1 FROM d), cur.ok FROM cur", 3, DB_ROW };

/*
 * Burndown (docs/API-NOTES.md): today = the current UTC date;
 * days_elapsed = today - start clamped to [0, days_total] (the days of the
 * sprint that are over: 0 on the first day and before it, days_total once
 * the end date has passed); points are numeric sums (exact), null
 * estimates count 0, dropped tasks are left out.  on_track compares
 * completed >= total / days_total * days_elapsed without dividing.
 * Columns: total, completed, remaining, days_total, days_elapsed,
 * days_remaining, ideal rate, actual rate (rounded to 2 decimals, half
 * away from zero), on_track.
 */
static const struct db_stmt st_burndown = { "sprints_burndown",
	"SELECT trim_scale(b.total), trim_scale(b.completed), trim_scale(b.total - b.completed), "
	"  b.days_total, b.elapsed, b.days_total - b.elapsed, "
	"  round(b.total / b.days_total, 2), "
	"  CASE WHEN b.elapsed = 0 THEN 0 ELSE round(b.completed / b.elapsed, 2) END, "
	"  b.completed * b.days_total >= b.total * b.elapsed "
	"FROM (SELECT s.end_date - s.start_date + 1 AS days_total, "
	"  least(greatest((now() AT TIME ZONE 'UTC')::date - s.start_date, 0), "
	"    s.end_date - s.start_date + 1) AS elapsed, "
	"  coalesce(sum(t.estimate_points) FILTER (WHERE t.status <> 'dropped'), 0)::numeric AS total, "
	"  coalesce(sum(t.estimate_points) FILTER (WHERE t.status = 'done'), 0)::numeric AS completed "
	"  FROM sprints s LEFT JOIN tasks t ON t.sprint_id = s.id "
	"  WHERE s.id = $1 AND s.project_id = ANY (taskman_scopes_of($2, 'viewer')) "
	"  GROUP BY s.id) b", 2, DB_ROW };

/*
 * The list, one statement per sort: $1 owner, $2 statuses, $3 project,
 * $4 limit + 1, $5 offset, $6/$7 cursor key/id ($4-$7 bound by
 * plan_list_run; see projects.c).
 */
#define SPRINTS_FILTER(a) \
	a ".project_id = ANY (taskman_scopes_of($1, 'viewer')) " \
	"AND ($2::text[] IS NULL OR " a ".status = ANY ($2::text[])) " \
	"AND ($3::uuid IS NULL OR " a ".project_id = $3::uuid)"
#define SPRINTS_LIST(NAME, COL, KEY, CAST, CMP, DIR) { NAME, \
	"WITH pg AS (SELECT s AS r, s.id, " KEY " AS k, " COL " AS o FROM sprints s " \
	"  WHERE " SPRINTS_FILTER("s") " AND ($7::uuid IS NULL OR (" COL ", s.id) " CMP \
	"  (coalesce($6::" CAST ", (SELECT " COL " FROM sprints s " \
	"    WHERE s.id = $7::uuid AND s.project_id = ANY (taskman_scopes_of($1, 'viewer')))), " \
	"    $7::uuid)) " \
	"  ORDER BY " COL " " DIR ", s.id " DIR " LIMIT $4 OFFSET $5) " \
	"SELECT c.n, taskman_sprint_json(pg.r), pg.k, pg.id " \
	"FROM (SELECT count(*) AS n FROM sprints q WHERE " SPRINTS_FILTER("q") ") c " \
	"LEFT JOIN pg ON true ORDER BY pg.o " DIR ", pg.id " DIR, 7, 0 }

static const struct db_stmt st_list[] = {
	SPRINTS_LIST("sprints_list_created", "s.created_at", PLAN_TS_KEY("s.created_at"),
	    "timestamptz", ">", "ASC"),
	SPRINTS_LIST("sprints_list_created_desc", "s.created_at", PLAN_TS_KEY("s.created_at"),
	    "timestamptz", "<", "DESC"),
	SPRINTS_LIST("sprints_list_updated", "s.updated_at", PLAN_TS_KEY("s.updated_at"),
	    "timestamptz", ">", "ASC"),
	SPRINTS_LIST("sprints_list_updated_desc", "s.updated_at", PLAN_TS_KEY("s.updated_at"),
	    "timestamptz", "<", "DESC"),
	SPRINTS_LIST("sprints_list_name", "s.name COLLATE \"C\"", "s.name",
	    "text", ">", "ASC"),
	SPRINTS_LIST("sprints_list_name_desc", "s.name COLLATE \"C\"", "s.name",
	    "text", "<", "DESC"),
	SPRINTS_LIST("sprints_list_start", "s.start_date", "taskman_date(s.start_date)",
	    "date", ">", "ASC"),
	SPRINTS_LIST("sprints_list_start_desc", "s.start_date", "taskman_date(s.start_date)",
	    "date", "<", "DESC"),
};

static const struct plan_sort sorts[] = {
	{ "created_at", PK_TIME }, { "updated_at", PK_TIME }, { "name", PK_TEXT },
	{ "start_date", PK_DATE }
};
static const char *const list_filters[] = { "status", "project_id", NULL };

static const char *const statuses[] = { "planned", "active", "closed", NULL };
static const char *const cadences[] = { "weekly", "biweekly", "monthly", "custom", NULL };

#define SPRINT_FIELDS \
	{ "goal", FT_STRING, F_NULLABLE, 0, 10000, NULL, 0, 0, NULL }, \
	{ "status", FT_ENUM, 0, 0, 0, statuses, 0, 0, NULL }, \
	{ "cadence", FT_ENUM, F_NULLABLE, 0, 0, cadences, 0, 0, NULL }, \
	{ "velocity_target_points", FT_NUMBER, F_NULLABLE, 0, 1000000, NULL, 0, 0, NULL }

static const struct field_spec create_specs[] = {
	{ "project_id", FT_UUID, F_REQUIRED, 0, 0, NULL, 0, 0, NULL },
	{ "name", FT_STRING, F_REQUIRED, 1, 200, NULL, 0, 0, NULL },
	{ "start_date", FT_DATE, F_REQUIRED, 0, 0, NULL, 0, 0, NULL },
	{ "end_date", FT_DATE, F_REQUIRED, 0, 0, NULL, 0, 0, NULL },
	SPRINT_FIELDS,
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

/* project_id is listed so that the check below can say why it is refused */
static const struct field_spec patch_specs[] = {
	{ "project_id", FT_UUID, F_NULLABLE, 0, 0, NULL, 0, 0, NULL },
	{ "name", FT_STRING, 0, 1, 200, NULL, 0, 0, NULL },
	{ "start_date", FT_DATE, 0, 0, 0, NULL, 0, 0, NULL },
	{ "end_date", FT_DATE, 0, 0, 0, NULL, 0, 0, NULL },
	SPRINT_FIELDS,
	PLAN_VERSION_FIELD,
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

static const struct plan_cfield cfields[] = {
	{ "sprints_project_fk", "project_id", "is not one of your projects" },
	{ "sprints_dates", "end_date", "must be on or after start_date" },
	{ "sprints_name_check", "name", "must be 1 to 200 characters" },
	{ "sprints_velocity_target_points_check", "velocity_target_points",
	    "must be a number from 0 to 1000000" },
	{ NULL, NULL, NULL }
};

static int
check_body(struct req *r, const struct field_spec *specs, bool partial)
{
	json_object *errs = json_object_new_array();

	json_validate(r->json, specs, partial, errs);
	plan_check_blank(r->json, "name", "name", errs);
	if (partial && json_has(r->json, "project_id"))
		json_error_add(errs, "project_id", "cannot be changed: a sprint stays in "
		    "the project it was created in");
	plan_check_dates(r->json, "start_date", "end_date", errs);
	return plan_body_errors(r, errs);
}

int
sprints_get(struct req *r)
{
	return plan_get(r, &st_get);
}

int
sprints_create(struct req *r)
{
	struct idem	 ix;
	const char	*v[12];
	int		 st;

	if ((st = check_body(r, create_specs, false)) != 0 ||
	    (st = idem_check(r, &ix)) != 0)
		return st;
	v[0] = r->user.id;
	v[1] = json_str(r->json, "project_id");
	v[2] = json_str(r->json, "name");
	v[3] = json_str(r->json, "goal");
	v[4] = json_str(r->json, "status");
	v[5] = json_str(r->json, "cadence");
	v[6] = json_str(r->json, "start_date");
	v[7] = json_str(r->json, "end_date");
	v[8] = plan_text(r->json, "velocity_target_points");
	return plan_create_scoped(r, &st_create, v, &ix, "/api/v1/sprints/", cfields,
	    "project_id");
}

int
sprints_patch(struct req *r)
{
	const char	*v[14];
	int		 st;

	if ((st = check_body(r, patch_specs, true)) != 0)
		return st;
	v[0] = r->params[0];
	v[1] = r->user.id;
	v[2] = json_str(r->json, "name");
	v[3] = plan_has(r->json, "goal");
	v[4] = json_str(r->json, "goal");
	v[5] = json_str(r->json, "status");
	v[6] = plan_has(r->json, "cadence");
	v[7] = json_str(r->json, "cadence");
	v[8] = json_str(r->json, "start_date");
	v[9] = json_str(r->json, "end_date");
	v[10] = plan_has(r->json, "velocity_target_points");
	v[11] = plan_text(r->json, "velocity_target_points");
	return plan_patch(r, &st_update, v, cfields);
}

int
sprints_delete(struct req *r)
{
	return plan_delete(r, &st_delete);
}

/* A numeric the database printed (trim_scale'd) as a JSON number, text kept. */
static json_object *
points(const char *s)
{
	return json_object_new_double_s(strtod(s, NULL), s);
}

int
sprints_burndown(struct req *r)
{
	struct db_user	 as = http_db_user(r);
	const char	*v[2] = { r->params[0], r->user.id };
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*o;

	if ((s = db_exec(&r->app->db, &as, &st_burndown, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	o = json_object_new_object();
	json_object_object_add(o, "total_points", points(PQgetvalue(res, 0, 0)));
	json_object_object_add(o, "completed_points", points(PQgetvalue(res, 0, 1)));
	json_object_object_add(o, "remaining_points", points(PQgetvalue(res, 0, 2)));
	json_object_object_add(o, "days_total",
	    json_object_new_int64(atoll(PQgetvalue(res, 0, 3))));
	json_object_object_add(o, "days_elapsed",
	    json_object_new_int64(atoll(PQgetvalue(res, 0, 4))));
	json_object_object_add(o, "days_remaining",
	    json_object_new_int64(atoll(PQgetvalue(res, 0, 5))));
	json_object_object_add(o, "ideal_burndown_rate",
	    json_new_fixed(strtod(PQgetvalue(res, 0, 6), NULL), 2));
	json_object_object_add(o, "actual_burndown_rate",
	    json_new_fixed(strtod(PQgetvalue(res, 0, 7), NULL), 2));
	json_object_object_add(o, "on_track",
	    json_object_new_boolean(strcmp(PQgetvalue(res, 0, 8), "t") == 0));
	PQclear(res);
	return http_json(r, 200, o);
}

int
sprints_list(struct req *r)
{
	struct plan_list	 l;
	char			 stbuf[128], pid[HTTP_UUID_LEN + 1];
	const char		*v[7];
	int			 st;

	if ((st = plan_list_parse(r, list_filters, sorts, 4, &l)) != 0 ||
	    (st = plan_filter_enum(r, "status", statuses, stbuf, sizeof(stbuf), &v[1])) != 0 ||
	    (st = plan_filter_uuid(r, "project_id", pid, &v[2])) != 0)
		return st;
	v[0] = r->user.id;
	return plan_list_run(r, &l, sorts, &st_list[l.variant], v);
}

/* The body specs of this module's routes (t/fuzz/fuzz_json.c drives them). */
const struct field_spec *const sprints_field_specs[] = {
	create_specs, patch_specs, NULL
};
