/*
 * Project members (API.md section 6): the list, role changes, removal and
 * leaving, and the ownership transfer.
 *
 * Every statement computes the caller's project role with
 * taskman_role_in() (0008) next to the write it guards, so one round trip
 * tells 404 (no role: the project is invisible) from 403 (too low a role)
 * from the outcome, and the write itself is guarded by the same role
 * under row-level security.  taskman_role_in() answers 'owner' for the
 * caller's personal scope (their own user id): never a project, so it
 * counts as no role here.  Membership rows are only ever inserted by the
 * definer functions of 0008 (project creation, accepting an invitation);
 * the triggers there log member_added/member_removed/role_changed and
 * clear a removed member's assignments in the same transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/members.h"
#include "api/planning.h"
#include "api/tasks.h"
#include "app.h"
#include "json.h"

/* The caller's ($U) role in project $P, NULL for none. */
#define MEMBERS_ROLE(P, U) \
	"NULLIF(taskman_role_in(" U "::uuid, " P "::uuid), 'owner')"

/*
 * $1 project, $2 caller, $3 limit, $4 offset.  E-mail addresses only for
 * managers.
 */
static const struct db_stmt st_list = { "members_list",
	"WITH me AS (SELECT " MEMBERS_ROLE("$1", "$2") " AS role), "
	"pg AS (SELECT m.added_at, m.user_id, "
	"  taskman_member_json(m, me.role = 'manager') AS j "
	"  FROM project_members m, me WHERE m.project_id = $1::uuid AND me.role IS NOT NULL "
	"  ORDER BY m.added_at, m.user_id LIMIT $3 OFFSET $4) "
	"SELECT me.role, (SELECT count(*) FROM project_members m "
	"  WHERE m.project_id = $1::uuid AND me.role IS NOT NULL), pg.j "
	"FROM me LEFT JOIN pg ON true ORDER BY pg.added_at, pg.user_id", 4, 0 };

/* The target member $3 of project $1: whether they own it (no row: no member). */
#define MEMBERS_TARGET \
	"t AS (SELECT m.user_id = p.owner_id AS is_owner FROM project_members m " \
	"  JOIN projects p ON p.id = m.project_id " \
	"  WHERE m.project_id = $1::uuid AND m.user_id = $3::uuid)"

/*
 * $1 project, $2 caller, $3 member, $4 role.  Row: caller's role, whether
 * the member owns the project (NULL: no such member), member json (NULL:
 * not written).
 */
static const struct db_stmt st_patch = { "members_patch",
	"WITH me AS (SELECT " MEMBERS_ROLE("$1", "$2") " AS role), "
	MEMBERS_TARGET ", "
	"u AS (UPDATE project_members m SET role = $4::text FROM me "
	"  WHERE m.project_id = $1::uuid AND m.user_id = $3::uuid AND me.role = 'manager' "
	"  AND NOT coalesce((SELECT t.is_owner FROM t), true) RETURNING m.*) "
	"SELECT me.role, (SELECT t.is_owner FROM t), taskman_member_json(u, true) "
	"FROM me LEFT JOIN u ON true", 4, DB_ROW };

/*
 * $1 project, $2 caller, $3 member.  Row: caller's role, whether the
 * member is the caller, whether they own the project (NULL: no such
 * member), whether the row was deleted.
 */
static const struct db_stmt st_delete = { "members_delete",
	"WITH me AS (SELECT " MEMBERS_ROLE("$1", "$2") " AS role), "
	MEMBERS_TARGET ", "
	"d AS (DELETE FROM project_members m USING me "
	"  WHERE m.project_id = $1::uuid AND m.user_id = $3::uuid "
	"  AND (me.role = 'manager' OR m.user_id = $2::uuid) "
	"  AND NOT coalesce((SELECT t.is_owner FROM t), true) RETURNING m.user_id) "
	"SELECT me.role, $3::uuid = $2::uuid, (SELECT t.is_owner FROM t), "
	"  EXISTS (SELECT 1 FROM d) FROM me", 3, DB_ROW };

/*
 * $1 project, $2 caller (the owner), $3 the new owner, who must already
 * be a manager (projects_owner_check, 0008, is the backstop).  Row:
 * caller's role, whether the caller owns the project, the target's role
 * (NULL: no member), project json and version (NULL: not written).
 */
static const struct db_stmt st_transfer = { "members_transfer",
	"WITH me AS (SELECT " MEMBERS_ROLE("$1", "$2") " AS role), "
	"o AS (SELECT p.owner_id = $2::uuid AS is_owner FROM projects p WHERE p.id = $1::uuid), "
	"t AS (SELECT m.role FROM project_members m "
	"  WHERE m.project_id = $1::uuid AND m.user_id = $3::uuid), "
	"u AS (UPDATE projects p SET owner_id = $3::uuid, updated_at = now(), "
	"  version = p.version + 1 "
	"  WHERE p.id = $1::uuid AND p.owner_id = $2::uuid "
	"  AND (SELECT t.role FROM t) = 'manager' RETURNING p.*) "
	"SELECT me.role, (SELECT o.is_owner FROM o), (SELECT t.role FROM t), "
	"  taskman_project_json(u), u.version FROM me LEFT JOIN u ON true", 3, DB_ROW };

static const char *const roles[] = { "viewer", "editor", "manager", NULL };

static const struct field_spec patch_specs[] = {
	{ "role", FT_ENUM, F_REQUIRED, 0, 0, roles, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

static const struct field_spec transfer_specs[] = {
	{ "user_id", FT_UUID, F_REQUIRED, 0, 0, NULL, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

/* A concurrent demotion of the new owner, caught by the trigger. */
static const struct plan_cfield transfer_cfields[] = {
	{ "projects_owner_manager", "user_id", "must be a manager of the project" },
	{ NULL, NULL, NULL }
};

static const char *const paging[] = { "limit", "offset", NULL };

/* A text column, NULL for SQL NULL. */
static const char *
col(PGresult *res, int row, int c)
{
	return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

/* A boolean column: 1 true, 0 false, -1 NULL. */
static int
col_bool(PGresult *res, int row, int c)
{
	if (PQgetisnull(res, row, c))
		return -1;
	return PQgetvalue(res, row, c)[0] == 't';
}

static int
role_rank(const char *role)
{
	int i;

	for (i = 0; role != NULL && roles[i] != NULL; i++)
		if (strcmp(role, roles[i]) == 0)
			return i + 1;
	return 0;
}

int
members_require(struct req *r, const char *role, const char *need)
{
	if (role == NULL)
		return http_problem(r, 404, "no such resource");
	if (role_rank(role) < role_rank(need)) {
		char detail[96];

		snprintf(detail, sizeof(detail), "this needs the %s role in the project", need);
		return http_problem(r, 403, detail);
	}
	return 0;
}

static int
owner_rules(struct req *r, const char *detail)
{
	return http_problem_type(r, 409, "owner-rules", "Owner rules", detail);
}

int
members_list_run(struct req *r, const struct db_stmt *stmt, const char **v,
    const struct list_page *p, const char *need)
{
	struct db_user	 as = http_db_user(r);
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*items = NULL, *o;
	long		 total;
	int		 i, n, st;

	v[stmt->nparams - 2] = p->limit_s;
	v[stmt->nparams - 1] = p->offset_s;
	if ((s = db_exec(&r->app->db, &as, stmt, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	if (PQntuples(res) < 1) {
		st = http_problem(r, 500, "the list returned no row");
		goto out;
	}
	if (need != NULL && (st = members_require(r, col(res, 0, 0), need)) != 0)
		goto out;
	total = atol(PQgetvalue(res, 0, 1));
	n = PQgetisnull(res, 0, 2) ? 0 : PQntuples(res);
	if ((items = json_object_new_array()) == NULL) {
		st = http_problem(r, 500, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((o = json_from_db(PQgetvalue(res, i, 2))) == NULL ||
		    json_object_array_add(items, o) != 0) {
			json_object_put(o);
			st = http_problem(r, 500, "out of memory");
			goto out;
		}
	}
	st = list_respond(r, p, items, total, NULL);
	items = NULL;
out:
	json_object_put(items);
	PQclear(res);
	return st;
}

int
members_list(struct req *r)
{
	struct list_page	 p;
	const char		*v[4];
	int			 st;

	if ((st = tasks_query_check(r, paging)) != 0 ||
	    (st = list_parse_page(r, &p, false)) != 0)
		return st;
	v[0] = r->params[0];
	v[1] = r->user.id;
	return members_list_run(r, &st_list, v, &p, "viewer");
}

/* 0, or 422 with errors[] for a body that breaks specs. */
static int
check_body(struct req *r, const struct field_spec *specs)
{
	json_object *errs = json_object_new_array();

	json_validate(r->json, specs, false, errs);
	return plan_body_errors(r, errs);
}

int
members_patch(struct req *r)
{
	struct db_user	 as = http_db_user(r);
	const char	*v[4];
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*o;
	int		 st, is_owner;

	if ((st = check_body(r, patch_specs)) != 0)
		return st;
	v[0] = r->params[0];
	v[1] = r->user.id;
	v[2] = r->params[1];
	v[3] = json_str(r->json, "role");
	if ((s = db_exec(&r->app->db, &as, &st_patch, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	is_owner = col_bool(res, 0, 1);
	if ((st = members_require(r, col(res, 0, 0), "manager")) != 0)
		;
	else if (is_owner < 0)
		st = http_problem(r, 404, "no such member");
	else if (is_owner)
		st = owner_rules(r, "the owner's role cannot be changed; "
		    "transfer the ownership first");
	else if (PQgetisnull(res, 0, 2))
		st = http_problem(r, 404, "no such member");	/* removed meanwhile */
	else if ((o = json_from_db(PQgetvalue(res, 0, 2))) == NULL)
		st = http_problem(r, 500, "out of memory");
	else
		st = http_json(r, 200, o);
	PQclear(res);
	return st;
}

int
members_delete(struct req *r)
{
	struct db_user	 as = http_db_user(r);
	const char	*v[3], *role;
	PGresult	*res = NULL;
	enum db_status	 s;
	int		 st, self, is_owner;

	v[0] = r->params[0];
	v[1] = r->user.id;
	v[2] = r->params[1];
	if ((s = db_exec(&r->app->db, &as, &st_delete, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	role = col(res, 0, 0);
	self = col_bool(res, 0, 1);
	is_owner = col_bool(res, 0, 2);
	/* anyone may leave; removing someone else needs manager */
	if ((st = members_require(r, role, self == 1 ? "viewer" : "manager")) != 0)
		;
	else if (is_owner < 0)
		st = http_problem(r, 404, "no such member");
	else if (is_owner)
		st = owner_rules(r, self == 1 ?
		    "the owner cannot leave; transfer the ownership first" :
		    "the owner cannot be removed");
	else if (col_bool(res, 0, 3) != 1)
		st = http_problem(r, 404, "no such member");	/* removed meanwhile */
	else
		st = http_no_content(r, 204);
	PQclear(res);
	return st;
}

int
members_transfer(struct req *r)
{
	struct db_user	 as = http_db_user(r);
	const char	*v[3], *target;
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*errs;
	int		 st;

	if ((st = check_body(r, transfer_specs)) != 0)
		return st;
	v[0] = r->params[0];
	v[1] = r->user.id;
	v[2] = json_str(r->json, "user_id");
	if ((s = db_exec(&r->app->db, &as, &st_transfer, v, &res)) != DB_OK)
		return plan_db_problem(r, s, transfer_cfields);
	target = col(res, 0, 2);
	if ((st = members_require(r, col(res, 0, 0), "viewer")) != 0)
		;
	else if (col_bool(res, 0, 1) != 1)
		st = http_problem(r, 403, "only the project's owner may transfer it");
	else if (target == NULL || strcmp(target, "manager") != 0) {
		errs = json_object_new_array();
		json_error_add(errs, "user_id", target == NULL ?
		    "is not a member of the project" : "must be a manager of the project");
		st = http_problem_errors(r, 422, "the new owner must be a manager "
		    "of the project", errs);
	} else if (PQgetisnull(res, 0, 3))
		st = http_problem(r, 404, "no such resource");	/* deleted meanwhile */
	else
		st = plan_respond(r, res, 3);
	PQclear(res);
	return st;
}

/* The body specs of this module's routes (t/fuzz/fuzz_json.c drives them). */
const struct field_spec *const members_field_specs[] = {
	patch_specs, transfer_specs, NULL
};
