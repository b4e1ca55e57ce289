/*
 * Members, invitations and ownership over real HTTP (API.md section 6):
 * invitations by e-mail (before the account exists) and by username,
 * renewal, expiry (410), decline, revoke; role changes, removal and
 * leaving, the owner's rules (409), transfer; removal clearing
 * assignments; 404 for a stranger against 403 for a viewer.  Every
 * refused write is checked against the database as the table owner, and
 * the membership changes against the activity log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "plan_util.h"

#define PASSWORD	"members-tests-pw-1"

/* Registers email (and username, unless NULL) and logs in. */
static void
account(struct pu_user *u, const char *email, const char *username)
{
	struct resp	 r;
	char		 body[512];

	memset(u, 0, sizeof(*u));
	snprintf(u->email, sizeof(u->email), "%s", email);
	if (username != NULL)
		snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\","
		    "\"username\":\"%s\"}", email, PASSWORD, username);
	else
		snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
		    email, PASSWORD);
	pu_call(&r, NULL, "POST", "/api/v1/auth/register", body, NULL, NULL);
	cr_assert_eq(r.status, 201, "register: %ld %s", r.status, r.body);
	snprintf(u->id, sizeof(u->id), "%s", pu_str(r.json, "id"));
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", email, PASSWORD);
	pu_call(&r, NULL, "POST", "/api/v1/auth/login", body, NULL, NULL);
	cr_assert_eq(r.status, 200, "login: %ld %s", r.status, r.body);
	snprintf(u->token, sizeof(u->token), "%s", pu_str(r.json, "access_token"));
	resp_free(&r);
}

/* A fresh user with a unique address and username. */
static void
person(struct pu_user *u)
{
	char	tag[64], email[128];

	pu_unique(tag, sizeof(tag), "m");
	snprintf(email, sizeof(email), "%s@example.com", tag);
	account(u, email, tag);
}

static void
project(const struct pu_user *owner, char id[40])
{
	char	name[96], body[160];

	pu_unique(name, sizeof(name), "team");
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	pu_create(owner, "/api/v1/projects", body, id);
}

/* POST an invitation with body; asserts 201 and returns its id. */
static void
invite(const struct pu_user *by, const char *proj, const char *body, char id[40])
{
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/projects/%s/invitations", proj);
	pu_create(by, path, body, id);
}

/* Makes u a member of proj with role, through an invitation it accepts. */
static void
join(const struct pu_user *owner, const char *proj, const struct pu_user *u,
    const char *role)
{
	struct resp	 r;
	char		 body[256], inv[40], path[128];

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"%s\"}", u->email, role);
	invite(owner, proj, body, inv);
	snprintf(path, sizeof(path), "/api/v1/invitations/%s/accept", inv);
	pu_call(&r, u, "POST", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "accept: %ld %s", r.status, r.body);
	cr_assert_str_eq(pu_str(r.json, "role"), role);
	resp_free(&r);
}

/* u's role in proj as the database has it ("" when no member). */
static const char *
role_of(const char *proj, const char *user)
{
	static char	v[32];

	pu_sql(v, sizeof(v), "SELECT coalesce((SELECT role FROM project_members "
	    "WHERE project_id = '%s' AND user_id = '%s'), '')", proj, user);
	return v;
}

/*
 * Everything a refused write could have touched in proj: members, pending
 * invitations, the project row, its activity and its tasks' assignees.
 */
static void
state(const char *proj, char *dst, size_t len)
{
	pu_sql(dst, len, "SELECT coalesce((SELECT string_agg(user_id || ':' || role, ',' "
	    "  ORDER BY user_id) FROM project_members WHERE project_id = '%s'), '') || '|' || "
	    "coalesce((SELECT string_agg(id || ':' || role || ':' || expires_at, ',' ORDER BY id) "
	    "  FROM invitations WHERE project_id = '%s'), '') || '|' || "
	    "(SELECT owner_id || ':' || version FROM projects WHERE id = '%s') || '|' || "
	    "(SELECT count(*) FROM activity WHERE project_id = '%s') || '|' || "
	    "coalesce((SELECT string_agg(id || ':' || coalesce(assignee_id::text, '-'), ',' "
	    "  ORDER BY id) FROM tasks WHERE project_id = '%s'), '')",
	    proj, proj, proj, proj, proj);
}

/* method path as u answers 204 with no body. */
static void
expect_204(const struct pu_user *u, const char *method, const char *path,
    const char *body, const char *h1, const char *h2)
{
	struct resp r;

	pu_call(&r, u, method, path, body, h1, h2);
	cr_expect_eq(r.status, 204, "%s %s: %ld %s", method, path, r.status, r.body);
	cr_expect_eq(r.body_len, 0);
	resp_free(&r);
}

static long
activity(const char *proj, const char *action, const char *user)
{
	return pu_sql_long("SELECT count(*) FROM activity WHERE project_id = '%s' "
	    "AND action = '%s' AND resource_type = 'member' AND resource_id = '%s'",
	    proj, action, user);
}

Test(members, invitation_by_email_before_the_account_exists)
{
	const struct pu_user	*a = pu_alice();
	struct pu_user		 n;
	struct resp		 r;
	char			 proj[40], tag[64], email[128], upper[128], body[256];
	char			 inv[40], path[160], loc[200];
	json_object		*items, *m;

	project(a, proj);
	pu_unique(tag, sizeof(tag), "new");
	snprintf(email, sizeof(email), "%s@example.com", tag);
	snprintf(upper, sizeof(upper), "%s@EXAMPLE.com", tag);
	cr_assert_eq(pu_sql_long("SELECT count(*) FROM users WHERE email = '%s'", email), 0);

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"editor\"}", upper);
	snprintf(path, sizeof(path), "/api/v1/projects/%s/invitations", proj);
	pu_call(&r, a, "POST", path, body, NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	snprintf(inv, sizeof(inv), "%s", pu_str(r.json, "id"));
	snprintf(loc, sizeof(loc), "/api/v1/projects/%s/invitations/%s", proj, inv);
	cr_expect_str_eq(pu_hdr(&r, "Location") ? pu_hdr(&r, "Location") : "", loc);
	cr_expect_str_eq(pu_str(r.json, "email"), email);
	cr_expect(pu_isnull(r.json, "username"));
	cr_expect_str_eq(pu_str(r.json, "role"), "editor");
	cr_expect_str_eq(pu_str(pu_get(r.json, "project"), "id"), proj);
	cr_expect_str_eq(pu_str(pu_get(r.json, "invited_by"), "id"), a->id);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT extract(epoch FROM expires_at - created_at) "
	    "FROM invitations WHERE id = '%s'", inv), 14 * 86400);

	/* the manager sees it pending */
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 1);
	items = pu_get(r.json, "items");
	cr_assert_eq(json_object_array_length(items), 1);
	cr_expect_str_eq(pu_str(json_object_array_get_idx(items, 0), "id"), inv);
	resp_free(&r);

	/* registration, then the invitation is the newcomer's */
	account(&n, email, NULL);
	pu_call(&r, &n, "GET", "/api/v1/invitations", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 1);
	items = pu_get(r.json, "items");
	cr_assert_eq(json_object_array_length(items), 1);
	cr_expect_str_eq(pu_str(json_object_array_get_idx(items, 0), "id"), inv);
	resp_free(&r);

	snprintf(path, sizeof(path), "/api/v1/invitations/%s/accept", inv);
	pu_call(&r, &n, "POST", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "role"), "editor");
	cr_expect_str_eq(pu_str(pu_get(r.json, "user"), "id"), n.id);
	cr_expect_str_eq(pu_str(r.json, "added_by"), a->id);
	resp_free(&r);
	cr_expect_str_eq(role_of(proj, n.id), "editor");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM invitations WHERE id = '%s'", inv), 0);
	cr_expect_eq(activity(proj, "member_added", n.id), 1);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM activity WHERE project_id = '%s' "
	    "AND action = 'member_added' AND resource_id = '%s' AND actor_id = '%s' "
	    "AND changes = '{\"role\": [null, \"editor\"]}'", proj, n.id, n.id), 1);

	/* gone once answered */
	pu_expect_problem(&n, "POST", path, NULL, NULL, NULL, 404, "not-found");
	pu_call(&r, &n, "GET", "/api/v1/invitations", NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 0);
	resp_free(&r);

	/* the new member sees the members, without e-mail addresses */
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members", proj);
	pu_call(&r, &n, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 2);
	items = pu_get(r.json, "items");
	cr_assert_eq(json_object_array_length(items), 2);
	m = json_object_array_get_idx(items, 0);	/* by added_at: the owner first */
	cr_expect_str_eq(pu_str(pu_get(m, "user"), "id"), a->id);
	cr_expect_str_eq(pu_str(m, "role"), "manager");
	cr_expect_str_eq(pu_raw(m, "owner"), "true");
	cr_expect_null(pu_get(pu_get(m, "user"), "email"));
	m = json_object_array_get_idx(items, 1);
	cr_expect_str_eq(pu_str(pu_get(m, "user"), "id"), n.id);
	cr_expect_str_eq(pu_raw(m, "owner"), "false");
	resp_free(&r);
	/* a manager sees them */
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	m = json_object_array_get_idx(pu_get(r.json, "items"), 1);
	cr_expect_str_eq(pu_str(pu_get(m, "user"), "email"), email);
	resp_free(&r);
	/* paging */
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members?limit=1&offset=1", proj);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 2);
	cr_assert_eq(json_object_array_length(pu_get(r.json, "items")), 1);
	cr_expect_str_eq(pu_str(pu_get(json_object_array_get_idx(pu_get(r.json, "items"), 0),
	    "user"), "id"), n.id);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members?sort=role", proj);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 400, "malformed-request");
}

Test(members, invitation_by_username_renewal_and_already_member)
{
	const struct pu_user	*a = pu_alice();
	struct pu_user		 b;
	struct resp		 r;
	char			 proj[40], body[256], inv[40], inv2[40], path[160], upper[64];
	char			 before[4096], after[4096];
	size_t			 i;

	person(&b);
	project(a, proj);
	for (i = 0; b.email[i] != '@' && i + 1 < sizeof(upper); i++)
		upper[i] = (char)(b.email[i] >= 'a' && b.email[i] <= 'z' ? b.email[i] - 32 :
		    b.email[i]);
	upper[i] = '\0';
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", upper);
	invite(a, proj, body, inv);
	cr_expect_str_eq(pu_sql(path, sizeof(path), "SELECT role FROM invitations WHERE id = '%s'",
	    inv), "viewer");

	/* again, with another role and an old date: the same invitation, renewed */
	pu_sql(path, sizeof(path), "UPDATE invitations SET created_at = now() - interval '20 days', "
	    "expires_at = now() - interval '6 days' WHERE id = '%s' RETURNING 1", inv);
	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"role\":\"manager\"}", upper);
	invite(a, proj, body, inv2);
	cr_expect_str_eq(inv2, inv);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM invitations WHERE project_id = '%s'", proj), 1);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM invitations WHERE id = '%s' "
	    "AND role = 'manager' AND expires_at > now() + interval '13 days'", inv), 1);

	pu_call(&r, &b, "GET", "/api/v1/invitations", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 1);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/invitations/%s/accept", inv);
	pu_call(&r, &b, "POST", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "role"), "manager");
	resp_free(&r);

	/* the member's address or username again: 409, nothing written */
	state(proj, before, sizeof(before));
	snprintf(path, sizeof(path), "/api/v1/projects/%s/invitations", proj);
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", upper);
	pu_expect_problem(a, "POST", path, body, NULL, NULL, 409, "already-member");
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"editor\"}", b.email);
	pu_expect_problem(a, "POST", path, body, NULL, NULL, 409, "already-member");
	snprintf(body, sizeof(body), "{\"email\":\"%s\"}", a->email);
	pu_expect_problem(&b, "POST", path, body, NULL, NULL, 409, "already-member");
	state(proj, after, sizeof(after));
	cr_expect_str_eq(after, before);

	/* bodies */
	pu_call(&r, a, "POST", path, "{\"role\":\"viewer\"}", NULL, NULL);
	pu_expect_422(&r, "email", "neither address");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"email\":\"x@example.com\",\"username\":\"xyz\"}");
	pu_call(&r, a, "POST", path, body, NULL, NULL);
	pu_expect_422(&r, "username", "both addresses");
	resp_free(&r);
	pu_call(&r, a, "POST", path, "{\"email\":\"nobody\"}", NULL, NULL);
	pu_expect_422(&r, "email", "no address");
	resp_free(&r);
	pu_call(&r, a, "POST", path, "{\"username\":\"-bad name\"}", NULL, NULL);
	pu_expect_422(&r, "username", "bad username");
	resp_free(&r);
	pu_call(&r, a, "POST", path, "{\"email\":\"x@example.com\",\"role\":\"owner\"}", NULL, NULL);
	pu_expect_422(&r, "role", "bad role");
	resp_free(&r);
	state(proj, after, sizeof(after));
	cr_expect_str_eq(after, before);
}

Test(members, expired_invitation_is_gone)
{
	const struct pu_user	*a = pu_alice();
	struct pu_user		 b;
	struct resp		 r;
	char			 proj[40], body[256], inv[40], path[160], before[4096], after[4096];

	person(&b);
	project(a, proj);
	snprintf(body, sizeof(body), "{\"email\":\"%s\"}", b.email);
	invite(a, proj, body, inv);
	pu_sql(path, sizeof(path), "UPDATE invitations SET expires_at = now() - interval '1 second' "
	    "WHERE id = '%s' RETURNING 1", inv);

	pu_call(&r, &b, "GET", "/api/v1/invitations", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 0);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/projects/%s/invitations", proj);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 0);
	resp_free(&r);

	state(proj, before, sizeof(before));
	snprintf(path, sizeof(path), "/api/v1/invitations/%s/accept", inv);
	pu_expect_problem(&b, "POST", path, NULL, NULL, NULL, 410, "invitation-expired");
	snprintf(path, sizeof(path), "/api/v1/invitations/%s/decline", inv);
	pu_expect_problem(&b, "POST", path, NULL, NULL, NULL, 410, "invitation-expired");
	state(proj, after, sizeof(after));
	cr_expect_str_eq(after, before);
	cr_expect_str_eq(role_of(proj, b.id), "");
}

Test(members, decline_and_someone_else_s_invitation)
{
	const struct pu_user	*a = pu_alice(), *c = pu_bob();
	struct pu_user		 b;
	struct resp		 r;
	char			 proj[40], body[256], inv[40], path[160], before[4096], after[4096];

	person(&b);
	project(a, proj);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"editor\"}", b.email);
	invite(a, proj, body, inv);

	/* not addressed to them: 404 either way, nothing changes */
	state(proj, before, sizeof(before));
	snprintf(path, sizeof(path), "/api/v1/invitations/%s/accept", inv);
	pu_expect_problem(c, "POST", path, NULL, NULL, NULL, 404, "not-found");
	snprintf(path, sizeof(path), "/api/v1/invitations/%s/decline", inv);
	pu_expect_problem(c, "POST", path, NULL, NULL, NULL, 404, "not-found");
	pu_call(&r, c, "GET", "/api/v1/invitations", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	for (size_t i = 0; i < json_object_array_length(pu_get(r.json, "items")); i++)
		cr_expect_str_neq(pu_str(json_object_array_get_idx(pu_get(r.json, "items"), i),
		    "id"), inv);
	resp_free(&r);
	state(proj, after, sizeof(after));
	cr_expect_str_eq(after, before);

	pu_call(&r, &b, "POST", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 204, "%s", r.body);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM invitations WHERE id = '%s'", inv), 0);
	cr_expect_str_eq(role_of(proj, b.id), "");
	cr_expect_eq(activity(proj, "member_added", b.id), 0);
	snprintf(path, sizeof(path), "/api/v1/invitations/%s/accept", inv);
	pu_expect_problem(&b, "POST", path, NULL, NULL, NULL, 404, "not-found");
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members", proj);
	pu_expect_problem(&b, "GET", path, NULL, NULL, NULL, 404, "not-found");
}

Test(members, revoke)
{
	const struct pu_user	*a = pu_alice();
	struct pu_user		 b, v, s;
	char			 proj[40], body[256], inv[40], path[200], before[4096], after[4096];

	person(&b);
	person(&v);
	person(&s);
	project(a, proj);
	join(a, proj, &v, "editor");
	snprintf(body, sizeof(body), "{\"email\":\"%s\"}", b.email);
	invite(a, proj, body, inv);

	snprintf(path, sizeof(path), "/api/v1/projects/%s/invitations/%s", proj, inv);
	state(proj, before, sizeof(before));
	pu_expect_problem(&v, "DELETE", path, NULL, NULL, NULL, 403, "forbidden");
	pu_expect_problem(&s, "DELETE", path, NULL, NULL, NULL, 404, "not-found");
	snprintf(path, sizeof(path), "/api/v1/projects/%s/invitations", proj);
	pu_expect_problem(&v, "GET", path, NULL, NULL, NULL, 403, "forbidden");
	pu_expect_problem(&s, "GET", path, NULL, NULL, NULL, 404, "not-found");
	state(proj, after, sizeof(after));
	cr_expect_str_eq(after, before);

	snprintf(path, sizeof(path), "/api/v1/projects/%s/invitations/%s", proj, inv);
	expect_204(a, "DELETE", path, NULL, NULL, NULL);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM invitations WHERE id = '%s'", inv), 0);
	pu_expect_problem(a, "DELETE", path, NULL, NULL, NULL, 404, "not-found");
	snprintf(path, sizeof(path), "/api/v1/invitations/%s/accept", inv);
	pu_expect_problem(&b, "POST", path, NULL, NULL, NULL, 404, "not-found");
	cr_expect_str_eq(role_of(proj, b.id), "");
}

Test(members, role_change_leave_and_owner_rules)
{
	const struct pu_user	*a = pu_alice();
	struct pu_user		 m, e, v;
	struct resp		 r;
	char			 proj[40], path[200], body[64], before[4096], after[4096];

	person(&m);
	person(&e);
	person(&v);
	project(a, proj);
	join(a, proj, &m, "manager");
	join(a, proj, &e, "viewer");
	join(a, proj, &v, "viewer");

	/* a manager promotes */
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members/%s", proj, e.id);
	pu_call(&r, &m, "PATCH", path, "{\"role\":\"editor\"}", NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "role"), "editor");
	cr_expect_str_eq(pu_str(pu_get(r.json, "user"), "email"), e.email);
	resp_free(&r);
	cr_expect_str_eq(role_of(proj, e.id), "editor");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM activity WHERE project_id = '%s' "
	    "AND action = 'role_changed' AND resource_id = '%s' AND actor_id = '%s' "
	    "AND changes = '{\"role\": [\"viewer\", \"editor\"]}'", proj, e.id, m.id), 1);

	/* refused: nothing written */
	state(proj, before, sizeof(before));
	pu_call(&r, &m, "PATCH", path, "{\"role\":\"admin\"}", NULL, NULL);
	pu_expect_422(&r, "role", "not a role");
	resp_free(&r);
	pu_call(&r, &m, "PATCH", path, "{}", NULL, NULL);
	pu_expect_422(&r, "role", "role missing");
	resp_free(&r);
	pu_expect_problem(&v, "PATCH", path, "{\"role\":\"manager\"}", NULL, NULL, 403, "forbidden");
	pu_expect_problem(&e, "PATCH", path, "{\"role\":\"manager\"}", NULL, NULL, 403, "forbidden");
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members/%s", proj, pu_bob()->id);
	pu_expect_problem(&m, "PATCH", path, "{\"role\":\"editor\"}", NULL, NULL, 404, "not-found");
	pu_expect_problem(&m, "DELETE", path, NULL, NULL, NULL, 404, "not-found");
	/* the owner: not demoted, not removed, does not leave */
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members/%s", proj, a->id);
	pu_expect_problem(&m, "PATCH", path, "{\"role\":\"viewer\"}", NULL, NULL, 409, "owner-rules");
	pu_expect_problem(a, "PATCH", path, "{\"role\":\"editor\"}", NULL, NULL, 409, "owner-rules");
	pu_expect_problem(&m, "DELETE", path, NULL, NULL, NULL, 409, "owner-rules");
	pu_expect_problem(a, "DELETE", path, NULL, NULL, NULL, 409, "owner-rules");
	pu_expect_problem(&v, "DELETE", path, NULL, NULL, NULL, 403, "forbidden");
	/* a viewer or editor removes nobody else */
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members/%s", proj, m.id);
	pu_expect_problem(&v, "DELETE", path, NULL, NULL, NULL, 403, "forbidden");
	pu_expect_problem(&e, "DELETE", path, NULL, NULL, NULL, 403, "forbidden");
	state(proj, after, sizeof(after));
	cr_expect_str_eq(after, before);
	cr_expect_str_eq(role_of(proj, a->id), "manager");

	/* a viewer leaves */
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members/%s", proj, v.id);
	expect_204(&v, "DELETE", path, NULL, NULL, NULL);
	cr_expect_str_eq(role_of(proj, v.id), "");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM activity WHERE project_id = '%s' "
	    "AND action = 'member_removed' AND resource_id = '%s' AND actor_id = '%s'",
	    proj, v.id, v.id), 1);
	/* and sees nothing of it any more */
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members", proj);
	pu_expect_problem(&v, "GET", path, NULL, NULL, NULL, 404, "not-found");
	/* a manager removes an editor */
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members/%s", proj, e.id);
	expect_204(&m, "DELETE", path, NULL, NULL, NULL);
	cr_expect_str_eq(role_of(proj, e.id), "");
	cr_expect_eq(activity(proj, "member_removed", e.id), 1);
	pu_expect_problem(&e, "DELETE", path, NULL, NULL, NULL, 404, "not-found");
	/* a manager demotes themself */
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members/%s", proj, m.id);
	snprintf(body, sizeof(body), "{\"role\":\"viewer\"}");
	pu_call(&r, &m, "PATCH", path, body, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	cr_expect_str_eq(role_of(proj, m.id), "viewer");
}

Test(members, transfer)
{
	const struct pu_user	*a = pu_alice();
	struct pu_user		 m, e, s;
	struct resp		 r;
	char			 proj[40], path[200], body[128], before[4096], after[4096];

	person(&m);
	person(&e);
	person(&s);
	project(a, proj);
	join(a, proj, &m, "editor");
	join(a, proj, &e, "manager");
	snprintf(path, sizeof(path), "/api/v1/projects/%s/transfer", proj);

	state(proj, before, sizeof(before));
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\"}", m.id);
	pu_call(&r, a, "POST", path, body, NULL, NULL);
	pu_expect_422(&r, "user_id", "an editor");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\"}", s.id);
	pu_call(&r, a, "POST", path, body, NULL, NULL);
	pu_expect_422(&r, "user_id", "a stranger");
	resp_free(&r);
	pu_call(&r, a, "POST", path, "{\"user_id\":\"nope\"}", NULL, NULL);
	pu_expect_422(&r, "user_id", "not a uuid");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\"}", e.id);
	pu_expect_problem(&e, "POST", path, body, NULL, NULL, 403, "forbidden");	/* a manager */
	pu_expect_problem(&m, "POST", path, body, NULL, NULL, 403, "forbidden");
	pu_expect_problem(&s, "POST", path, body, NULL, NULL, 404, "not-found");
	state(proj, after, sizeof(after));
	cr_expect_str_eq(after, before);

	snprintf(body, sizeof(body), "{\"user_id\":\"%s\"}", m.id);
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members/%s", proj, m.id);
	pu_call(&r, a, "PATCH", path, "{\"role\":\"manager\"}", NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/projects/%s/transfer", proj);
	pu_call(&r, a, "POST", path, body, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "id"), proj);
	cr_expect_str_eq(pu_str(r.json, "owner_id"), m.id);
	cr_expect_not_null(pu_hdr(&r, "ETag"));
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM projects WHERE id = '%s' AND owner_id = '%s'",
	    proj, m.id), 1);
	cr_expect_str_eq(role_of(proj, a->id), "manager");	/* the old owner stays a manager */
	cr_expect_str_eq(role_of(proj, m.id), "manager");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM activity WHERE project_id = '%s' "
	    "AND action = 'transferred' AND actor_id = '%s'", proj, a->id), 1);

	/* the rules follow the ownership */
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\"}", e.id);
	pu_expect_problem(a, "POST", path, body, NULL, NULL, 403, "forbidden");
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members/%s", proj, m.id);
	pu_expect_problem(a, "DELETE", path, NULL, NULL, NULL, 409, "owner-rules");
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members/%s", proj, a->id);
	expect_204(a, "DELETE", path, NULL, NULL, NULL);	/* now a's to leave */
	cr_expect_str_eq(role_of(proj, a->id), "");
}

Test(members, removal_clears_assignments)
{
	const struct pu_user	*a = pu_alice();
	struct pu_user		 b;
	char			 proj[40], t1[40], t2[40], path[200], v[64];

	person(&b);
	project(a, proj);
	join(a, proj, &b, "editor");
	pu_task(a, "assigned in the project", "new", NULL, proj, NULL, t1);
	pu_task(a, "a's own", "new", NULL, NULL, NULL, t2);
	pu_sql(v, sizeof(v), "UPDATE tasks SET assignee_id = '%s' WHERE id = '%s' RETURNING 1",
	    b.id, t1);
	pu_sql(v, sizeof(v), "UPDATE tasks SET assignee_id = '%s' WHERE id = '%s' RETURNING 1",
	    a->id, t2);

	snprintf(path, sizeof(path), "/api/v1/projects/%s/members/%s", proj, b.id);
	expect_204(a, "DELETE", path, NULL, NULL, NULL);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE id = '%s' "
	    "AND assignee_id IS NULL", t1), 1);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE id = '%s' "
	    "AND assignee_id = '%s'", t2, a->id), 1);
	cr_expect_eq(activity(proj, "member_removed", b.id), 1);
	pu_task_delete(a, t1);
	pu_task_delete(a, t2);
}

Test(members, stranger_404_viewer_403_readonly_403)
{
	const struct pu_user	*a = pu_alice();
	struct pu_user		 v, s, ro;
	struct resp		 r;
	char			 proj[40], path[200], body[128], inv[40], before[4096], after[4096];

	person(&v);
	person(&s);
	pu_user_fresh(&ro, "readonly");
	project(a, proj);
	join(a, proj, &v, "viewer");
	snprintf(body, sizeof(body), "{\"email\":\"someone-%s@example.com\"}", v.id);
	invite(a, proj, body, inv);

	state(proj, before, sizeof(before));
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members", proj);
	pu_call(&r, &v, "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	pu_expect_problem(&s, "GET", path, NULL, NULL, NULL, 404, "not-found");
	snprintf(path, sizeof(path), "/api/v1/projects/%s/invitations", proj);
	pu_expect_problem(&v, "POST", path, "{\"email\":\"x@example.com\"}", NULL, NULL, 403,
	    "forbidden");
	pu_expect_problem(&s, "POST", path, "{\"email\":\"x@example.com\"}", NULL, NULL, 404,
	    "not-found");
	pu_expect_problem(&v, "GET", path, NULL, NULL, NULL, 403, "forbidden");
	pu_expect_problem(&s, "GET", path, NULL, NULL, NULL, 404, "not-found");
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members/%s", proj, v.id);
	pu_expect_problem(&v, "PATCH", path, "{\"role\":\"manager\"}", NULL, NULL, 403, "forbidden");
	pu_expect_problem(&s, "PATCH", path, "{\"role\":\"manager\"}", NULL, NULL, 404, "not-found");
	pu_expect_problem(&s, "DELETE", path, NULL, NULL, NULL, 404, "not-found");
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members/%s", proj, a->id);
	pu_expect_problem(&v, "DELETE", path, NULL, NULL, NULL, 403, "forbidden");
	snprintf(path, sizeof(path), "/api/v1/projects/%s/transfer", proj);
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\"}", v.id);
	pu_expect_problem(&v, "POST", path, body, NULL, NULL, 403, "forbidden");
	pu_expect_problem(&s, "POST", path, body, NULL, NULL, 404, "not-found");
	/* a personal scope is no project: the caller's own id */
	snprintf(path, sizeof(path), "/api/v1/projects/%s/members", s.id);
	pu_expect_problem(&s, "GET", path, NULL, NULL, NULL, 404, "not-found");
	/* the readonly instance role writes nowhere */
	snprintf(path, sizeof(path), "/api/v1/projects/%s/invitations", proj);
	pu_expect_problem(&ro, "POST", path, "{\"email\":\"x@example.com\"}", NULL, NULL, 403,
	    "forbidden");
	snprintf(path, sizeof(path), "/api/v1/invitations/%s/accept", inv);
	pu_expect_problem(&ro, "POST", path, NULL, NULL, NULL, 403, "forbidden");
	state(proj, after, sizeof(after));
	cr_expect_str_eq(after, before);
}
