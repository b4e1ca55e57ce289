/*
 * Invitations (API.md section 6): a project's managers invite an e-mail
 * address or a username with a role; the person addressed sees the
 * invitation once they have an account with that address, and accepts
 * (becoming a member) or declines it.  An invitation lives 14 days;
 * inviting the same address again renews it.
 *
 * Nothing here tells whether an account with the address exists: the
 * invitation is created either way and only ever compared with the
 * caller's own users row (the addressee's side) or with the project's
 * members (a manager may already see those addresses).  Accepting and
 * declining run in taskman_invitation_answer() (0008), a definer
 * function: the membership row is one the caller cannot insert.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/invitations.h"
#include "api/members.h"
#include "api/planning.h"
#include "api/tasks.h"
#include "app.h"
#include "json.h"
#include "valid.h"

/* The caller's ($U) role in project $P, NULL for none (see api/members.c). */
#define INV_ROLE(P, U) \
	"NULLIF(taskman_role_in(" U "::uuid, " P "::uuid), 'owner')"

/*
 * $1 project, $2 caller, $3 e-mail, $4 username (one of them NULL), $5
 * role (NULL: viewer).  Row: caller's role, whether the address is a
 * member's already, invitation json and its path (NULL: not written).  The
 * members' addresses come through taskman_member_json() (a definer
 * function: users rows are their owners' alone under row-level security).
 */
static const struct db_stmt st_create = { "invitations_create",
	"WITH me AS (SELECT " INV_ROLE("$1", "$2") " AS role), "
	"dup AS (SELECT EXISTS (SELECT 1 FROM project_members m, "
	"  LATERAL (SELECT taskman_member_json(m, true) -> 'user' AS u) x "
	"  WHERE me.role = 'manager' AND m.project_id = $1::uuid "
	"  AND (lower(x.u ->> 'email') = lower($3::text) "
	"       OR lower(x.u ->> 'username') = lower($4::text))) AS dup FROM me), "
	"i AS (INSERT INTO invitations (project_id, email, username, role, invited_by) "
	"  SELECT $1::uuid, lower($3::text), $4::text, coalesce($5::text, 'viewer'), $2::uuid "
	"  FROM me, dup WHERE me.role = 'manager' AND NOT dup.dup "
	"  ON CONFLICT (project_id, (lower(coalesce(email, '@' || username)))) "
	"  DO UPDATE SET role = EXCLUDED.role, username = EXCLUDED.username, "
	"  invited_by = EXCLUDED.invited_by, created_at = now(), "
	"  expires_at = now() + interval '14 days' RETURNING *) "
	"SELECT me.role, dup.dup, taskman_invitation_json(i), "
	"  '/api/v1/projects/' || i.project_id || '/invitations/' || i.id "
	"FROM me CROSS JOIN dup LEFT JOIN i ON true", 5, DB_ROW };

/* $1 project, $2 caller, $3 limit, $4 offset: the pending ones, oldest first. */
static const struct db_stmt st_list = { "invitations_list",
	"WITH me AS (SELECT " INV_ROLE("$1", "$2") " AS role), "
	"pg AS (SELECT i.created_at, i.id, taskman_invitation_json(i) AS j "
	"  FROM invitations i, me WHERE i.project_id = $1::uuid AND me.role = 'manager' "
	"  AND i.expires_at > now() ORDER BY i.created_at, i.id LIMIT $3 OFFSET $4) "
	"SELECT me.role, (SELECT count(*) FROM invitations i WHERE i.project_id = $1::uuid "
	"  AND me.role = 'manager' AND i.expires_at > now()), pg.j "
	"FROM me LEFT JOIN pg ON true ORDER BY pg.created_at, pg.id", 4, 0 };

/* $1 project, $2 caller, $3 invitation.  Row: caller's role, deleted. */
static const struct db_stmt st_revoke = { "invitations_revoke",
	"WITH me AS (SELECT " INV_ROLE("$1", "$2") " AS role), "
	"d AS (DELETE FROM invitations i USING me WHERE i.id = $3::uuid "
	"  AND i.project_id = $1::uuid AND me.role = 'manager' RETURNING i.id) "
	"SELECT me.role, EXISTS (SELECT 1 FROM d) FROM me", 3, DB_ROW };

/*
 * $1 caller, $2 limit, $3 offset: the pending invitations addressed to
 * the caller's e-mail address or username (case-insensitive; one
 * invitation has one address, so the two halves never overlap), oldest
 * first.  The first column (no project role) is NULL.
 */
static const struct db_stmt st_mine = { "invitations_mine",
	"WITH me AS (SELECT lower(u.email) AS email, lower(u.username) AS username "
	"  FROM users u WHERE u.id = $1::uuid), "
	"mine AS (SELECT i.* FROM invitations i, me WHERE i.email IS NOT NULL "
	"    AND lower(i.email) = me.email AND i.expires_at > now() "
	"  UNION ALL SELECT i.* FROM invitations i, me WHERE i.username IS NOT NULL "
	"    AND lower(i.username) = me.username AND i.expires_at > now()), "
	"pg AS (SELECT m.created_at, m.id, taskman_invitation_json(m) AS j FROM mine m "
	"  ORDER BY m.created_at, m.id LIMIT $2 OFFSET $3) "
	"SELECT NULL::text, (SELECT count(*) FROM mine), pg.j "
	"FROM (SELECT 1) x LEFT JOIN pg ON true ORDER BY pg.created_at, pg.id", 3, 0 };

/* $1 invitation, $2 accept: (status, member json) of taskman_invitation_answer(). */
static const struct db_stmt st_answer = { "invitations_answer",
	"SELECT a.status, a.member FROM taskman_invitation_answer($1::uuid, $2::boolean) a",
	2, DB_ROW };

static const char *const roles[] = { "viewer", "editor", "manager", NULL };

static const struct field_spec create_specs[] = {
	{ "email", FT_EMAIL, 0, 0, 0, NULL, 0, 0, NULL },
	{ "username", FT_STRING, 0, 3, 32, NULL, 0, 0, NULL },
	{ "role", FT_ENUM, 0, 0, 0, roles, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

/* Check constraints of 0008 a body field can break. */
static const struct plan_cfield cfields[] = {
	{ "invitations_email_check", "email", "must be an email address" },
	{ "invitations_username_check", "username", "is not a possible username" },
	{ NULL, NULL, NULL }
};

static const char *const paging[] = { "limit", "offset", NULL };

/* Field rules that need no database; 0 or 422 with errors[]. */
static int
check_body(struct req *r)
{
	json_object	*errs = json_object_new_array();
	const char	*email, *username;

	json_validate(r->json, create_specs, false, errs);
	email = json_str(r->json, "email");
	username = json_str(r->json, "username");
	if (json_errors_total(errs) == 0) {
		if ((email == NULL) == (username == NULL))
			json_error_add(errs, email == NULL ? "email" : "username",
			    "give exactly one of email and username");
		else if (username != NULL && !valid_username(username, strlen(username)))
			json_error_add(errs, "username", "must be letters, digits, _ . or -, "
			    "3 to 32 characters, starting with a letter or digit");
	}
	return plan_body_errors(r, errs);
}

int
invitations_create(struct req *r)
{
	struct db_user	 as = http_db_user(r);
	const char	*v[5];
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*o;
	int		 st;

	if ((st = check_body(r)) != 0)
		return st;
	v[0] = r->params[0];
	v[1] = r->user.id;
	v[2] = json_str(r->json, "email");
	v[3] = json_str(r->json, "username");
	v[4] = json_str(r->json, "role");
	if ((s = db_exec(&r->app->db, &as, &st_create, v, &res)) != DB_OK)
		return plan_db_problem(r, s, cfields);
	if ((st = members_require(r, PQgetisnull(res, 0, 0) ? NULL :
	    PQgetvalue(res, 0, 0), "manager")) != 0)
		;
	else if (PQgetvalue(res, 0, 1)[0] == 't')
		st = http_problem_type(r, 409, "already-member", "Already a member",
		    "that address belongs to a member of the project");
	else if (PQgetisnull(res, 0, 2))
		st = http_problem(r, 404, "no such resource");	/* deleted meanwhile */
	else if ((o = json_from_db(PQgetvalue(res, 0, 2))) == NULL)
		st = http_problem(r, 500, "out of memory");
	else {
		http_header(r, "Location", "%s", PQgetvalue(res, 0, 3));
		st = http_json(r, 201, o);
	}
	PQclear(res);
	return st;
}

int
invitations_list(struct req *r)
{
	struct list_page	 p;
	const char		*v[4];
	int			 st;

	if ((st = tasks_query_check(r, paging)) != 0 ||
	    (st = list_parse_page(r, &p, false)) != 0)
		return st;
	v[0] = r->params[0];
	v[1] = r->user.id;
	return members_list_run(r, &st_list, v, &p, "manager");
}

int
invitations_revoke(struct req *r)
{
	struct db_user	 as = http_db_user(r);
	const char	*v[3];
	PGresult	*res = NULL;
	enum db_status	 s;
	int		 st;

	v[0] = r->params[0];
	v[1] = r->user.id;
	v[2] = r->params[1];
	if ((s = db_exec(&r->app->db, &as, &st_revoke, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	if ((st = members_require(r, PQgetisnull(res, 0, 0) ? NULL :
	    PQgetvalue(res, 0, 0), "manager")) != 0)
		;
	else if (PQgetvalue(res, 0, 1)[0] != 't')
		st = http_problem(r, 404, "no such invitation");
	else
		st = http_no_content(r, 204);
	PQclear(res);
	return st;
}

int
invitations_mine(struct req *r)
{
	struct list_page	 p;
	const char		*v[3];
	int			 st;

	if ((st = tasks_query_check(r, paging)) != 0 ||
	    (st = list_parse_page(r, &p, false)) != 0)
		return st;
	v[0] = r->user.id;
	return members_list_run(r, &st_mine, v, &p, NULL);
}

/* Accepts (accept) or declines the invitation r->params[0]. */
static int
answer(struct req *r, bool accept)
{
	struct db_user	 as = http_db_user(r);
	const char	*v[2] = { r->params[0], accept ? "true" : "false" };
	const char	*status;
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*o;
	int		 st;

	if ((s = db_exec(&r->app->db, &as, &st_answer, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	status = PQgetvalue(res, 0, 0);
	if (strcmp(status, "expired") == 0)
		st = http_problem_type(r, 410, "invitation-expired", "Invitation expired",
		    "the invitation has expired; ask for a new one");
	else if (strcmp(status, "declined") == 0)
		st = http_no_content(r, 204);
	else if (strcmp(status, "accepted") != 0 || PQgetisnull(res, 0, 1))
		st = http_problem(r, 404, "no such invitation");
	else if ((o = json_from_db(PQgetvalue(res, 0, 1))) == NULL)
		st = http_problem(r, 500, "out of memory");
	else
		st = http_json(r, 200, o);
	PQclear(res);
	return st;
}

int
invitations_accept(struct req *r)
{
	return answer(r, true);
}

int
invitations_decline(struct req *r)
{
	return answer(r, false);
}

/* The body specs of this module's routes (t/fuzz/fuzz_json.c drives them). */
const struct field_spec *const invitations_field_specs[] = {
	create_specs, NULL
};
