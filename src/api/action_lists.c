/*
 * Action lists (API.md section 3): CRUD and the list with its project_id,
 * sprint_id and status filters and sorts.
 *
 * References follow the task rules: project_id and sprint_id are in
 * projects where the caller is an editor (a viewer gets 403) or null, a sprint implies its project (the composite key
 * action_lists_sprint_fk), an explicit project_id that disagrees with the
 * sprint is 422 on sprint_id.  Items are stored normalised
 * ({text, done, task_id}, task_id lower-case or null); their task_ids are
 * checked by the action_lists_check_tasks trigger (0001), and the create
 * and update statements also name the offending indexes up front so that
 * the 422 can say items[i].task_id (the trigger cannot).  Deleting a task
 * nulls the task_id of items that referred to it (tasks_unlink_action_items).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/action_lists.h"
#include "api/idem.h"
#include "api/planning.h"
#include "app.h"
#include "json.h"

/* Visible to caller $2: a list's scope is its project, or its owner. */
#define VIS_A "coalesce(a.project_id, a.owner_id) = ANY (taskman_scopes_of($2, 'viewer'))"

static const struct db_stmt st_get = { "action_lists_get",
	"SELECT taskman_action_list_json(a), a.version FROM action_lists a "
	"WHERE a.id = $1 AND coalesce(a.project_id, a.owner_id) "
	"  = ANY (taskman_scopes_of($2, 'viewer'))", 2, DB_ROW };

/* The 0-based indexes of items whose task_id is not a task user $OWNER sees. */
#define BAD_ITEMS(ITEMS, OWNER) \
	"bad AS (SELECT coalesce(array_agg(e.ord - 1 ORDER BY e.ord), '{}') AS idx " \
	"  FROM jsonb_array_elements(" ITEMS "::jsonb) WITH ORDINALITY AS e(item, ord) " \
	"  WHERE jsonb_typeof(e.item -> 'task_id') = 'string' AND NOT EXISTS (SELECT 1 " \
	"    FROM tasks t WHERE t.id = (e.item ->> 'task_id')::uuid " \
	"    AND t.scope = ANY (taskman_scopes_of(" OWNER ", 'viewer')))) "

/*
 * $1 owner, $2 title, $3 description, $4 status, $5 project, $6 sprint,
 * $7 items, $8-$10 idem (bound by plan_create_exec).  Columns: bad item
 * indexes, json, id, version (the last three NULL when nothing was
 * created).
 */
static const struct db_stmt st_create = { "action_lists_create",
	"WITH " BAD_ITEMS("$7", "$1") ", "
	"r AS (SELECT taskman_role_in($1, coalesce($5::uuid, (SELECT s.project_id "
	"  FROM sprints s WHERE s.id = $6::uuid), $1)) AS role), "
	"a AS (INSERT INTO action_lists (owner_id, title, description, status, project_id, "
	"  sprint_id, items) "
	"  SELECT $1, $2, $3, coalesce($4::text, 'active'), "
	"    coalesce($5::uuid, (SELECT s.project_id FROM sprints s "
	"      WHERE s.id = $6::uuid)), $6::uuid, $7::jsonb "
	"  FROM bad, r WHERE cardinality(bad.idx) = 0 AND taskman_role_rank(r.role) >= 2 "
	"  RETURNING *), "
	"j AS (SELECT taskman_action_list_json(a)::text AS body, a.id, a.version FROM a), "
	"k AS (INSERT INTO idempotency_keys (owner_id, key, method, path, request_hash, "
	"  response_status, response_body, location) "
	"  SELECT $1, $8, 'POST', $9, $10::bytea, 201, j.body, '/api/v1/action-lists/' || j.id "
	"  FROM j WHERE $8::text IS NOT NULL) "
	"SELECT bad.idx::text, j.body, j.id, j.version, r.role "
	"FROM bad CROSS JOIN r LEFT JOIN j ON true", 10, 0 };

/*
 * $1 id, $2 owner, $3 title, $4/$5 set/description, $6 status, $7/$8
 * set/project, $9/$10 set/sprint, $11 items or NULL, $12 If-Match
 * versions, $13 body version (both bound by plan_patch_exec).  Project
 * and sprint as for tasks: a sprint sets the project to its own (unless
 * project_id is sent too), a new project drops a sprint of another
 * project, sprint_id null keeps the project.  Columns: current version,
 * bad item indexes, json, version, whether the caller may write here, and
 * the caller's role in the project named by project_id ('-': none).
 */
static const struct db_stmt st_update = { "action_lists_update",
	"WITH cur AS (SELECT version, taskman_role_rank(taskman_role_in($2, "
	"  coalesce(project_id, owner_id))) >= 2 AS ok, "
	"  CASE WHEN $7::boolean AND $8::uuid IS NOT NULL "
	"    THEN coalesce(taskman_role_in($2, $8::uuid), '-') END AS dest "
	"  FROM action_lists a WHERE id = $1 AND " VIS_A "), "
	BAD_ITEMS("$11", "$2") ", "
	"u AS (UPDATE action_lists SET title = coalesce($3::text, title), "
	"  description = CASE WHEN $4::boolean THEN $5::text ELSE description END, "
	"  status = coalesce($6::text, status), "
	"  project_id = CASE WHEN $7::boolean THEN $8::uuid "
	"    WHEN $9::boolean AND $10::uuid IS NOT NULL THEN (SELECT s.project_id "
	"      FROM sprints s WHERE s.id = $10::uuid) "
	"    ELSE project_id END, "
	"  sprint_id = CASE WHEN $9::boolean THEN $10::uuid "
	"    WHEN $7::boolean AND $8::uuid IS DISTINCT FROM project_id THEN NULL "
	"    ELSE sprint_id END, "
	"  items = coalesce($11::jsonb, items), "
	"  updated_at = now(), version = version + 1 "
	"  WHERE id = $1 AND coalesce(project_id, owner_id) "
	"    = ANY (taskman_scopes_of($2, 'editor')) "
	"  AND ($12::integer[] IS NULL OR version = ANY ($12::integer[])) "
	"  AND ($13::integer IS NULL OR version = $13::integer) "
	"  AND (NOT $7::boolean OR $8::uuid IS NULL "
	"    OR taskman_role_rank(taskman_role_in($2, $8::uuid)) >= 2) "
	"  AND (SELECT cardinality(bad.idx) FROM bad) = 0 RETURNING *) "
	"SELECT cur.version, bad.idx::text, taskman_action_list_json(u), u.version, cur.ok, "
	"  cur.dest "
	"FROM cur CROSS JOIN bad LEFT JOIN u ON true", 13, DB_ROW };

/* $1 id, $2 owner, $3 If-Match versions */
static const struct db_stmt st_delete = { "action_lists_delete",
	"WITH cur AS (SELECT version, taskman_role_rank(taskman_role_in($2, "
	"  coalesce(project_id, owner_id))) >= 2 AS ok FROM action_lists a "
	"  WHERE id = $1 AND " VIS_A "), "
	"d AS (DELETE FROM action_lists WHERE id = $1 AND coalesce(project_id, owner_id) "
	"    = ANY (taskman_scopes_of($2, 'editor')) "
	"  AND ($3::integer[] IS NULL OR version = ANY ($3::integer[])) RETURNING id) "
	"SELECT cur.version, EXISTS (SELECT 1 FROM d), cur.ok FROM cur", 3, DB_ROW };

/*
 * The list, one statement per sort: $1 owner, $2 statuses, $3 project,
 * $4 sprint, $5 limit + 1, $6 offset, $7/$8 cursor key/id ($5-$8 bound by
 * plan_list_run; see projects.c).
 */
#define ALISTS_FILTER(a) \
	"coalesce(" a ".project_id, " a ".owner_id) = ANY (taskman_scopes_of($1, 'viewer')) " \
	"AND ($2::text[] IS NULL OR " a ".status = ANY ($2::text[])) " \
	"AND ($3::uuid IS NULL OR " a ".project_id = $3::uuid) " \
	"AND ($4::uuid IS NULL OR " a ".sprint_id = $4::uuid)"
#define ALISTS_LIST(NAME, COL, KEY, CAST, CMP, DIR) { NAME, \
	"WITH pg AS (SELECT a AS r, a.id, " KEY " AS k, " COL " AS o FROM action_lists a " \
	"  WHERE " ALISTS_FILTER("a") " AND ($8::uuid IS NULL OR (" COL ", a.id) " CMP \
	"  (coalesce($7::" CAST ", (SELECT " COL " FROM action_lists a " \
	"    WHERE a.id = $8::uuid AND coalesce(a.project_id, a.owner_id) " \
	"    = ANY (taskman_scopes_of($1, 'viewer')))), $8::uuid)) " \
	"  ORDER BY " COL " " DIR ", a.id " DIR " LIMIT $5 OFFSET $6) " \
	"SELECT c.n, taskman_action_list_json(pg.r), pg.k, pg.id " \
	"FROM (SELECT count(*) AS n FROM action_lists q WHERE " ALISTS_FILTER("q") ") c " \
	"LEFT JOIN pg ON true ORDER BY pg.o " DIR ", pg.id " DIR, 8, 0 }

static const struct db_stmt st_list[] = {
	ALISTS_LIST("action_lists_list_created", "a.created_at", PLAN_TS_KEY("a.created_at"),
	    "timestamptz", ">", "ASC"),
	ALISTS_LIST("action_lists_list_created_desc", "a.created_at", PLAN_TS_KEY("a.created_at"),
	    "timestamptz", "<", "DESC"),
	ALISTS_LIST("action_lists_list_updated", "a.updated_at", PLAN_TS_KEY("a.updated_at"),
	    "timestamptz", ">", "ASC"),
	ALISTS_LIST("action_lists_list_updated_desc", "a.updated_at", PLAN_TS_KEY("a.updated_at"),
	    "timestamptz", "<", "DESC"),
	ALISTS_LIST("action_lists_list_title", "a.title COLLATE \"C\"", "a.title",
	    "text", ">", "ASC"),
	ALISTS_LIST("action_lists_list_title_desc", "a.title COLLATE \"C\"", "a.title",
	    "text", "<", "DESC"),
};

static const struct plan_sort sorts[] = {
	{ "created_at", PK_TIME }, { "updated_at", PK_TIME }, { "title", PK_TEXT }
};
static const char *const list_filters[] = { "status", "project_id", "sprint_id", NULL };

static const char *const statuses[] = { "active", "completed", "archived", NULL };

#define ACTION_ITEMS_MAX	500

static const struct field_spec item_specs[] = {
	{ "text", FT_STRING, F_REQUIRED, 1, 1000, NULL, 0, 0, NULL },
	{ "done", FT_BOOL, 0, 0, 0, NULL, 0, 0, NULL },
	{ "task_id", FT_UUID, F_NULLABLE, 0, 0, NULL, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

#define ALIST_FIELDS \
	{ "description", FT_STRING, F_NULLABLE, 0, 10000, NULL, 0, 0, NULL }, \
	{ "status", FT_ENUM, 0, 0, 0, statuses, 0, 0, NULL }, \
	{ "project_id", FT_UUID, F_NULLABLE, 0, 0, NULL, 0, 0, NULL }, \
	{ "sprint_id", FT_UUID, F_NULLABLE, 0, 0, NULL, 0, 0, NULL }, \
	{ "items", FT_OBJECT_ARRAY, 0, 0, ACTION_ITEMS_MAX, NULL, 0, 0, item_specs }

static const struct field_spec create_specs[] = {
	{ "title", FT_STRING, F_REQUIRED, 1, 200, NULL, 0, 0, NULL },
	ALIST_FIELDS,
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

static const struct field_spec patch_specs[] = {
	{ "title", FT_STRING, 0, 1, 200, NULL, 0, 0, NULL },
	ALIST_FIELDS,
	PLAN_VERSION_FIELD,
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

static const struct plan_cfield cfields[] = {
	{ "action_lists_project_fk", "project_id", "is not one of your projects" },
	{ "action_lists_sprint_fk", "sprint_id",
	    "is not one of your sprints in the project given by project_id" },
	{ "action_lists_sprint_needs_project", "sprint_id", "is not one of your sprints" },
	{ "action_lists_items_check", "items", "are not well-formed items" },
	/* the items trigger: a task deleted between the check and the write */
	{ "", "items", "refer to a task that is not yours" },
	{ NULL, NULL, NULL }
};

/* Lower-cases a UUID's hex digits (the trigger matches items by text). */
static void
uuid_lower(const char *s, char *dst)
{
	int i;

	for (i = 0; i < 36 && s[i] != '\0'; i++)
		dst[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] - 'A' + 'a') : s[i];
	dst[i] = '\0';
}

/* Rules that need no database; 0 or 422 with errors[]. */
static int
check_body(struct req *r, const struct field_spec *specs, bool partial)
{
	json_object	*errs = json_object_new_array(), *items;
	char		 field[64];
	size_t		 i, n;

	json_validate(r->json, specs, partial, errs);
	plan_check_blank(r->json, "title", "title", errs);
	if (json_object_object_get_ex(r->json, "items", &items) &&
	    json_object_is_type(items, json_type_array)) {
		n = json_object_array_length(items);
		for (i = 0; i < n && n <= ACTION_ITEMS_MAX; i++) {
			snprintf(field, sizeof(field), "items[%zu].text", i);
			plan_check_blank(json_object_array_get_idx(items, i), "text", field, errs);
		}
	}
	return plan_body_errors(r, errs);
}

/*
 * The body's (validated) items as stored: [{"text","done","task_id"}],
 * done false and task_id null when absent.  Returns a string the caller
 * frees, or NULL when the body has no items.
 */
static char *
items_param(json_object *body)
{
	json_object	*items, *out, *it, *o, *v;
	char		 id[37];
	const char	*s;
	char		*copy;
	size_t		 i, n;

	if (!json_object_object_get_ex(body, "items", &items) || items == NULL)
		return NULL;
	out = json_object_new_array();
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(items, i);
		o = json_object_new_object();
		json_object_object_get_ex(it, "text", &v);
		json_object_object_add(o, "text", json_object_get(v));
		json_object_object_add(o, "done", json_object_new_boolean(
		    json_object_object_get_ex(it, "done", &v) && json_object_get_boolean(v)));
		if (json_object_object_get_ex(it, "task_id", &v) && v != NULL) {
			uuid_lower(json_object_get_string(v), id);
			json_object_object_add(o, "task_id", json_object_new_string(id));
		} else
			json_object_object_add(o, "task_id", NULL);
		json_object_array_add(out, o);
	}
	s = json_object_to_json_string_ext(out,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	copy = s != NULL ? strdup(s) : NULL;
	json_object_put(out);
	return copy;
}

/* 422 naming items[i].task_id for each index in the text array idx ("{0,3}"). */
static int
bad_items(struct req *r, const char *idx)
{
	json_object	*errs = json_object_new_array();
	char		 field[64];
	const char	*p = idx;
	char		*end;
	long		 i;

	while (*p != '\0') {
		if (*p < '0' || *p > '9') {
			p++;
			continue;
		}
		i = strtol(p, &end, 10);
		snprintf(field, sizeof(field), "items[%ld].task_id", i);
		json_error_add(errs, field, "is not one of your tasks");
		p = end;
	}
	return http_problem_errors(r, 422, "an item refers to a task that is not yours", errs);
}

int
action_lists_get(struct req *r)
{
	return plan_get(r, &st_get);
}

int
action_lists_create(struct req *r)
{
	struct idem	 ix;
	const char	*v[10];
	char		*items = NULL;
	PGresult	*res = NULL;
	int		 st;

	if ((st = check_body(r, create_specs, false)) != 0 ||
	    (st = idem_check(r, &ix)) != 0)
		return st;
	if ((items = items_param(r->json)) == NULL && json_has(r->json, "items"))
		return http_problem(r, 500, "out of memory");
	v[0] = r->user.id;
	v[1] = json_str(r->json, "title");
	v[2] = json_str(r->json, "description");
	v[3] = json_str(r->json, "status");
	v[4] = json_str(r->json, "project_id");
	v[5] = json_str(r->json, "sprint_id");
	v[6] = items ? items : "[]";
	if ((st = plan_create_exec(r, &st_create, v, &ix, cfields, &res)) != 0)
		goto out;
	if (!PQgetisnull(res, 0, 2))
		st = plan_created(r, res, 1, "/api/v1/action-lists/");
	else if (strcmp(PQgetvalue(res, 0, 0), "{}") != 0)
		st = bad_items(r, PQgetvalue(res, 0, 0));
	else if (PQgetisnull(res, 0, 4))
		st = http_problem_field(r, 422, "project_id", "is not one of your projects");
	else
		st = plan_forbidden(r);
out:
	PQclear(res);
	free(items);
	return st;
}

int
action_lists_patch(struct req *r)
{
	struct plan_pre	 pre;
	const char	*v[13];
	char		*items = NULL;
	PGresult	*res = NULL;
	long		 cur;
	int		 st;

	if ((st = check_body(r, patch_specs, true)) != 0)
		return st;
	if ((items = items_param(r->json)) == NULL && json_has(r->json, "items"))
		return http_problem(r, 500, "out of memory");
	v[0] = r->params[0];
	v[1] = r->user.id;
	v[2] = json_str(r->json, "title");
	v[3] = plan_has(r->json, "description");
	v[4] = json_str(r->json, "description");
	v[5] = json_str(r->json, "status");
	v[6] = plan_has(r->json, "project_id");
	v[7] = json_str(r->json, "project_id");
	v[8] = plan_has(r->json, "sprint_id");
	v[9] = json_str(r->json, "sprint_id");
	v[10] = items;
	if ((st = plan_patch_exec(r, &st_update, v, &pre, cfields, &res)) != 0)
		goto out;
	/* not written: 412/409 before 422 on items, 404 if deleted meanwhile */
	cur = atol(PQgetvalue(res, 0, 0));
	if (!PQgetisnull(res, 0, 3))
		st = plan_respond(r, res, 2);
	else if (!plan_allowed(res, 4))
		st = plan_forbidden(r);
	else if (plan_pre_matches(&pre, cur) && strcmp(PQgetvalue(res, 0, 5), "-") == 0)
		st = http_problem_field(r, 422, "project_id", "is not one of your projects");
	else if (plan_pre_matches(&pre, cur) && strcmp(PQgetvalue(res, 0, 5), "viewer") == 0)
		st = plan_forbidden(r);
	else if (plan_pre_matches(&pre, cur) && strcmp(PQgetvalue(res, 0, 1), "{}") != 0)
		st = bad_items(r, PQgetvalue(res, 0, 1));
	else
		st = plan_not_written(r, &pre, cur);
out:
	PQclear(res);
	free(items);
	return st;
}

int
action_lists_delete(struct req *r)
{
	return plan_delete(r, &st_delete);
}

int
action_lists_list(struct req *r)
{
	struct plan_list	 l;
	char			 stbuf[128], pid[HTTP_UUID_LEN + 1], sid[HTTP_UUID_LEN + 1];
	const char		*v[8];
	int			 st;

	if ((st = plan_list_parse(r, list_filters, sorts, 3, &l)) != 0 ||
	    (st = plan_filter_enum(r, "status", statuses, stbuf, sizeof(stbuf), &v[1])) != 0 ||
	    (st = plan_filter_uuid(r, "project_id", pid, &v[2])) != 0 ||
	    (st = plan_filter_uuid(r, "sprint_id", sid, &v[3])) != 0)
		return st;
	v[0] = r->user.id;
	return plan_list_run(r, &l, sorts, &st_list[l.variant], v);
}

/* The body specs of this module's routes (t/fuzz/fuzz_json.c drives them). */
const struct field_spec *const action_lists_field_specs[] = {
	create_specs, patch_specs, NULL
};
