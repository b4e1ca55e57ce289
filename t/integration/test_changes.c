/*
 * The changes feed (API.md section 7, docs/CHANGES.md) over real HTTP:
 * the cursor of now, upserts at the latest version and deletes, each
 * once; what members, strangers and removed members see; 410 for
 * expired cursors (by age, and behind pruned rows); and the sync
 * protocol under concurrent writers that hold their transactions open
 * (SQL as the workers' role, beside HTTP writers), where a reader that
 * follows the feed from an early cursor must end with exactly the
 * server's tasks (every id and version), several rounds in a row.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "auth/jwt.h"
#include "plan_util.h"

#define CURSOR_MAX	512

/* GET /api/v1/changes (cursor may be NULL) as u; asserts 200 and the envelope. */
static json_object *
feed_get(const struct pu_user *u, const char *cursor, int limit, struct resp *r)
{
	char		 path[CURSOR_MAX + 64];
	json_object	*ch;

	snprintf(path, sizeof(path), "/api/v1/changes?%s%s%s%d", cursor ? "cursor=" : "",
	    cursor ? cursor : "", cursor ? "&limit=" : "limit=", limit);
	pu_call(r, u, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r->status, 200, "GET %s: %ld %s", path, r->status, r->body);
	ch = pu_get(r->json, "changes");
	cr_assert(ch != NULL && json_object_is_type(ch, json_type_array), "%s", r->body);
	cr_assert(pu_str(r->json, "next_cursor") != NULL, "%s", r->body);
	cr_assert(json_object_is_type(pu_get(r->json, "has_more"), json_type_boolean), "%s",
	    r->body);
	return ch;
}

/* The cursor of now for u (asserting that it comes with no change). */
static void
feed_now(const struct pu_user *u, char cursor[CURSOR_MAX])
{
	struct resp	 r;
	json_object	*ch = feed_get(u, NULL, 500, &r);

	cr_expect_eq(json_object_array_length(ch), 0, "%s", r.body);
	cr_expect_not(json_object_get_boolean(pu_get(r.json, "has_more")));
	snprintf(cursor, CURSOR_MAX, "%s", pu_str(r.json, "next_cursor"));
	resp_free(&r);
}

/*
 * Follows the feed from cursor (updated) until has_more is false; every
 * change into a new array (the caller puts it).
 */
static json_object *
feed_all(const struct pu_user *u, char cursor[CURSOR_MAX], int limit)
{
	json_object	*all = json_object_new_array(), *ch;
	struct resp	 r;
	size_t		 i;
	bool		 more;
	int		 pages = 0;

	do {
		ch = feed_get(u, cursor, limit, &r);
		for (i = 0; i < json_object_array_length(ch); i++)
			json_object_array_add(all, json_object_get(json_object_array_get_idx(ch, i)));
		more = json_object_get_boolean(pu_get(r.json, "has_more"));
		cr_expect(!more || json_object_array_length(ch) > 0, "has_more with an empty page");
		snprintf(cursor, CURSOR_MAX, "%s", pu_str(r.json, "next_cursor"));
		resp_free(&r);
		cr_assert_lt(++pages, 10000, "the feed does not end");
	} while (more);
	return all;
}

/* The changes of all about (type, id), how many, the last one in *last. */
static int
changes_of(json_object *all, const char *type, const char *id, json_object **last)
{
	size_t		 i;
	json_object	*c;
	int		 n = 0;

	*last = NULL;
	for (i = 0; i < json_object_array_length(all); i++) {
		c = json_object_array_get_idx(all, i);
		if (strcmp(pu_str(c, "type"), type) == 0 && strcmp(pu_str(c, "id"), id) == 0) {
			*last = c;
			n++;
		}
	}
	return n;
}

/* GET path as u: 200; its body as JSON text (static buffer). */
static const char *
body_of(const struct pu_user *u, const char *path)
{
	static char	 out[8192];
	struct resp	 r;

	pu_call(&r, u, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
	snprintf(out, sizeof(out), "%s",
	    json_object_to_json_string_ext(r.json, JSON_C_TO_STRING_PLAIN));
	resp_free(&r);
	return out;
}

/* Exactly one change about (type, id): op, and data equal to GET path's body. */
static void
expect_upsert(json_object *all, const struct pu_user *u, const char *type, const char *id,
    const char *path)
{
	json_object	*c;
	const char	*want = body_of(u, path);

	cr_assert_eq(changes_of(all, type, id, &c), 1, "%s %s: %s", type, id,
	    json_object_to_json_string(all));
	cr_expect_str_eq(pu_str(c, "op"), "upsert");
	cr_expect_str_eq(json_object_to_json_string_ext(pu_get(c, "data"),
	    JSON_C_TO_STRING_PLAIN), want, "the change's data is not what GET shows");
	if (strcmp(type, "membership") != 0)
		cr_expect_eq(pu_int(c, "version"), pu_int(pu_get(c, "data"), "version"));
}

static void
expect_op(json_object *all, const char *type, const char *id, const char *op)
{
	json_object	*c;

	cr_assert_eq(changes_of(all, type, id, &c), 1, "%s %s: %s", type, id,
	    json_object_to_json_string(all));
	cr_expect_str_eq(pu_str(c, "op"), op, "%s %s", type, id);
	cr_expect(pu_isnull(c, "data"), "%s %s: data should be null", type, id);
}

static void
patch(const struct pu_user *u, const char *path, const char *body)
{
	struct resp	 r;

	pu_call(&r, u, "PATCH", path, body, NULL, NULL);
	cr_assert_eq(r.status, 200, "PATCH %s: %ld %s", path, r.status, r.body);
	resp_free(&r);
}

static void sql_do(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One SQL statement as the superuser (asserts success). */
static void
sql_do(const char *fmt, ...)
{
	char	q[2048], dummy[8];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	pu_sql(dummy, sizeof(dummy), "%s", q);
}

Test(changes, the_cursor_of_now_returns_nothing)
{
	struct pu_user	 u, other;
	char		 c0[CURSOR_MAX], c1[CURSOR_MAX], id[40];
	json_object	*all;
	struct resp	 r;

	pu_user_fresh(&u, NULL);
	pu_user_fresh(&other, NULL);
	pu_task(&u, "before the cursor", "new", NULL, NULL, NULL, id);
	feed_now(&u, c0);
	/* someone else's writes are not the caller's changes */
	pu_task(&other, "not mine", "new", NULL, NULL, NULL, id);
	all = feed_all(&u, c0, 500);
	cr_expect_eq(json_object_array_length(all), 0, "%s", json_object_to_json_string(all));
	json_object_put(all);
	/* a cursor from a page answers the same */
	feed_now(&u, c1);
	feed_get(&u, c1, 1, &r);
	cr_expect_eq(json_object_array_length(pu_get(r.json, "changes")), 0);
	resp_free(&r);
	/* parameters */
	pu_expect_problem(&u, "GET", "/api/v1/changes?limit=0", NULL, NULL, NULL, 400,
	    "malformed-request");
	pu_expect_problem(&u, "GET", "/api/v1/changes?limit=1001", NULL, NULL, NULL, 400,
	    "malformed-request");
	pu_expect_problem(&u, "GET", "/api/v1/changes?cursor=abc", NULL, NULL, NULL, 400,
	    "malformed-request");
	pu_expect_problem(&u, "GET", "/api/v1/changes?since=1", NULL, NULL, NULL, 400,
	    "malformed-request");
	pu_expect_problem(NULL, "GET", "/api/v1/changes", NULL, NULL, NULL, 401,
	    "unauthorized");
}

Test(changes, create_update_delete_show_up_once_at_the_latest_version)
{
	struct pu_user	 u;
	char		 c0[CURSOR_MAX], c1[CURSOR_MAX], c2[CURSOR_MAX], t1[40], t2[40], p[40],
			 s[40], al[40], path[128], body[256], d0[11], d1[11], cm[40];
	json_object	*all, *c;
	int		 i;

	pu_user_fresh(&u, NULL);
	feed_now(&u, c0);
	pu_create(&u, "/api/v1/projects", "{\"name\":\"feed\"}", p);
	pu_date(0, d0);
	pu_date(13, d1);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"name\":\"s\","
	    "\"start_date\":\"%s\",\"end_date\":\"%s\"}", p, d0, d1);
	pu_create(&u, "/api/v1/sprints", body, s);
	snprintf(body, sizeof(body), "{\"title\":\"al\",\"project_id\":\"%s\"}", p);
	pu_create(&u, "/api/v1/action-lists", body, al);
	pu_task(&u, "one", "new", NULL, NULL, NULL, t1);
	pu_task(&u, "two", "new", NULL, p, NULL, t2);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", t1);
	for (i = 0; i < 3; i++) {
		snprintf(body, sizeof(body), "{\"title\":\"one v%d\"}", i + 2);
		patch(&u, path, body);
	}
	/* the same values again: only the version moves, and the feed says so */
	patch(&u, path, "{\"title\":\"one v4\"}");
	snprintf(path, sizeof(path), "/api/v1/projects/%s", p);
	patch(&u, path, "{\"description\":\"d\"}");
	pu_sql(cm, sizeof(cm), "INSERT INTO comments (task_id, author_id, body) "
	    "VALUES ('%s', '%s', 'hello') RETURNING id", t2, u.id);

	/* one page: one change per resource */
	snprintf(c2, sizeof(c2), "%s", c0);
	all = feed_all(&u, c2, 1000);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", t1);
	expect_upsert(all, &u, "task", t1, path);
	changes_of(all, "task", t1, &c);
	cr_expect_eq(pu_int(c, "version"), 5, "four PATCHes: version 5");
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", t2);
	expect_upsert(all, &u, "task", t2, path);
	snprintf(path, sizeof(path), "/api/v1/projects/%s", p);
	expect_upsert(all, &u, "project", p, path);
	snprintf(path, sizeof(path), "/api/v1/sprints/%s", s);
	expect_upsert(all, &u, "sprint", s, path);
	snprintf(path, sizeof(path), "/api/v1/action-lists/%s", al);
	expect_upsert(all, &u, "action_list", al, path);
	cr_assert_eq(changes_of(all, "comment", cm, &c), 1);
	cr_expect_str_eq(pu_str(c, "op"), "upsert");
	cr_expect_str_eq(pu_str(pu_get(c, "data"), "body"), "hello");
	cr_assert_eq(changes_of(all, "membership", u.id, &c), 1, "the owner's membership");
	cr_expect_str_eq(pu_str(c, "project_id"), p);
	cr_expect_str_eq(pu_str(pu_get(c, "data"), "role"), "manager");
	cr_expect_eq(json_object_array_length(all), 7, "%s", json_object_to_json_string(all));
	json_object_put(all);

	/* page by page with limit 1: every change arrives, none twice in a row */
	snprintf(c1, sizeof(c1), "%s", c0);
	all = feed_all(&u, c1, 1);
	cr_expect_geq(json_object_array_length(all), 7);
	json_object_put(all);

	/* deletes: from the old cursor the last word is delete; from c1, only the deletes */
	pu_task_delete(&u, t1);
	snprintf(path, sizeof(path), "/api/v1/sprints/%s", s);
	{
		struct resp r;

		pu_call(&r, &u, "DELETE", path, NULL, NULL, NULL);
		cr_assert_eq(r.status, 204, "%s", r.body);
		resp_free(&r);
	}
	snprintf(c2, sizeof(c2), "%s", c0);
	all = feed_all(&u, c2, 500);
	expect_op(all, "task", t1, "delete");
	expect_op(all, "sprint", s, "delete");
	json_object_put(all);
	all = feed_all(&u, c1, 500);
	expect_op(all, "task", t1, "delete");
	expect_op(all, "sprint", s, "delete");
	cr_expect_eq(json_object_array_length(all), 2, "%s", json_object_to_json_string(all));
	json_object_put(all);
	/* nothing more after that */
	all = feed_all(&u, c1, 500);
	cr_expect_eq(json_object_array_length(all), 0, "%s", json_object_to_json_string(all));
	json_object_put(all);
}

/* Owner o's project with member m (role) added by SQL; its id into p. */
static void
shared_project(const struct pu_user *o, const struct pu_user *m, const char *role, char p[40])
{
	char	q[512], dummy[8];

	pu_create(o, "/api/v1/projects", "{\"name\":\"shared feed\"}", p);
	snprintf(q, sizeof(q), "INSERT INTO project_members (project_id, user_id, role) "
	    "VALUES ('%s', '%s', '%s')", p, m->id, role);
	pu_sql(dummy, sizeof(dummy), "%s", q);
}

Test(changes, a_member_sees_the_project_a_stranger_nothing)
{
	struct pu_user	 o, m, x;
	char		 p[40], t[40], mine[40], cm[CURSOR_MAX], cx[CURSOR_MAX], path[128];
	json_object	*all, *c;

	pu_user_fresh(&o, NULL);
	pu_user_fresh(&m, NULL);
	pu_user_fresh(&x, NULL);
	shared_project(&o, &m, "viewer", p);
	feed_now(&m, cm);
	feed_now(&x, cx);
	pu_task(&o, "shared", "new", NULL, p, NULL, t);
	pu_task(&o, "the owner's own", "new", NULL, NULL, NULL, mine);
	snprintf(path, sizeof(path), "/api/v1/projects/%s", p);
	patch(&o, path, "{\"status\":\"active\"}");

	all = feed_all(&m, cm, 500);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", t);
	expect_upsert(all, &m, "task", t, path);
	snprintf(path, sizeof(path), "/api/v1/projects/%s", p);
	expect_upsert(all, &m, "project", p, path);
	cr_expect_eq(changes_of(all, "task", mine, &c), 0, "another member's personal task");
	cr_expect_eq(json_object_array_length(all), 2, "%s", json_object_to_json_string(all));
	json_object_put(all);

	all = feed_all(&x, cx, 500);
	cr_expect_eq(json_object_array_length(all), 0, "a stranger: %s",
	    json_object_to_json_string(all));
	json_object_put(all);
}

Test(changes, a_removed_member_gets_revoked_and_a_deleted_project_delete)
{
	struct pu_user	 o, m;
	char		 p[40], t[40], c0[CURSOR_MAX], c1[CURSOR_MAX], c2[CURSOR_MAX],
			 co[CURSOR_MAX], path[128];
	json_object	*all, *c;
	struct resp	 r;

	pu_user_fresh(&o, NULL);
	pu_user_fresh(&m, NULL);
	shared_project(&o, &m, "editor", p);
	pu_task(&o, "shared", "new", NULL, p, NULL, t);
	feed_now(&m, c0);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", t);
	patch(&o, path, "{\"title\":\"seen by the member, then not\"}");
	sql_do("DELETE FROM project_members WHERE project_id = '%s' AND user_id = '%s'", p, m.id);

	snprintf(c1, sizeof(c1), "%s", c0);
	all = feed_all(&m, c1, 500);
	expect_op(all, "project", p, "revoked");
	cr_expect_eq(json_object_array_length(all), 1, "only the revocation: %s",
	    json_object_to_json_string(all));
	json_object_put(all);
	pu_call(&r, &m, "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 404, "the removed member no longer sees the task");
	resp_free(&r);

	/* back in: the project's log is theirs again, nothing in between is lost */
	sql_do("INSERT INTO project_members (project_id, user_id, role) VALUES ('%s', '%s', 'viewer')",
	    p, m.id);
	snprintf(c2, sizeof(c2), "%s", c0);
	all = feed_all(&m, c2, 500);
	expect_upsert(all, &m, "task", t, path);
	cr_assert_eq(changes_of(all, "project", p, &c), 1);
	cr_expect_str_eq(pu_str(c, "op"), "upsert");
	cr_assert_eq(changes_of(all, "membership", m.id, &c), 1);
	cr_expect_str_eq(pu_str(c, "op"), "upsert");
	cr_expect_str_eq(pu_str(pu_get(c, "data"), "role"), "viewer");
	json_object_put(all);

	/* the project deleted: delete for every member; the owner gets the task back as personal */
	feed_now(&o, co);
	snprintf(path, sizeof(path), "/api/v1/projects/%s", p);
	pu_call(&r, &o, "DELETE", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 204, "%s", r.body);
	resp_free(&r);
	all = feed_all(&m, c1, 500);
	expect_op(all, "project", p, "delete");
	cr_expect_eq(json_object_array_length(all), 1, "%s", json_object_to_json_string(all));
	json_object_put(all);
	all = feed_all(&o, co, 500);
	expect_op(all, "project", p, "delete");
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", t);
	expect_upsert(all, &o, "task", t, path);
	changes_of(all, "task", t, &c);
	cr_expect(pu_isnull(pu_get(c, "data"), "project_id"));
	json_object_put(all);
}

/* A cursor at cursor's position, issued age seconds ago, into out. */
static void
cursor_aged(const char *cursor, long age, char out[CURSOR_MAX])
{
	unsigned char	 raw[256];
	char		 forged[256];
	json_object	*o = NULL;
	int		 n;

	n = jwt_b64url_decode(cursor, strlen(cursor), raw, sizeof(raw) - 1);
	cr_assert_gt(n, 0);
	raw[n] = '\0';
	o = json_tokener_parse((const char *)raw);
	cr_assert_not_null(o, "%s", raw);
	n = snprintf(forged, sizeof(forged), "{\"x\":\"%s\",\"i\":%s,\"t\":%lld}",
	    pu_str(o, "x"), pu_raw(o, "i"), (long long)time(NULL) - age);
	json_object_put(o);
	cr_assert_geq(jwt_b64url_encode((const unsigned char *)forged, (size_t)n, out,
	    CURSOR_MAX), 0);
}

/* The xid of a cursor. */
static uint64_t
cursor_xid(const char *cursor)
{
	unsigned char	 raw[256];
	json_object	*o;
	uint64_t	 x;
	int		 n;

	n = jwt_b64url_decode(cursor, strlen(cursor), raw, sizeof(raw) - 1);
	cr_assert_gt(n, 0);
	raw[n] = '\0';
	o = json_tokener_parse((const char *)raw);
	cr_assert_not_null(o);
	x = strtoull(pu_str(o, "x"), NULL, 10);
	json_object_put(o);
	return x;
}

Test(changes, an_expired_cursor_is_410)
{
	struct pu_user	 u;
	char		 c0[CURSOR_MAX], old[CURSOR_MAX], cmd[2048], id[40];
	struct resp	 r;
	const char	*bin = getenv("TASKMAN_BIN"), *url = getenv("TASKMAN_MIGRATE_DATABASE_URL");

	pu_user_fresh(&u, NULL);
	feed_now(&u, c0);
	/* by age: older than the 30 days of retention */
	cursor_aged(c0, 31L * 86400, old);
	snprintf(cmd, sizeof(cmd), "/api/v1/changes?cursor=%s", old);
	pu_expect_problem(&u, "GET", cmd, NULL, NULL, NULL, 410, "cursor-expired");
	cursor_aged(c0, 29L * 86400, old);
	feed_get(&u, old, 10, &r);
	resp_free(&r);

	/* by pruning: rows after the cursor deleted by taskmanctl prune */
	pu_task(&u, "to be pruned", "new", NULL, NULL, NULL, id);
	pu_task_delete(&u, id);
	sql_do("UPDATE activity SET at = now() - interval '40 days' WHERE scope = '%s'", u.id);
	if (bin != NULL && url != NULL) {
		snprintf(cmd, sizeof(cmd), "TASKMAN_MIGRATE_DATABASE_URL='%s' '%s/taskmanctl' prune "
		    ">/dev/null", url, bin);
		cr_assert_eq(system(cmd), 0, "%s", cmd);
	} else {
		cr_log_warn("TASKMAN_BIN or TASKMAN_MIGRATE_DATABASE_URL unset: "
		    "taskman_activity_prune() as the superuser");
		cr_assert_geq(pu_sql_long("SELECT taskman_activity_prune(30, 1000)"), 2);
	}
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM activity WHERE scope = '%s'", u.id), 0);
	snprintf(cmd, sizeof(cmd), "/api/v1/changes?cursor=%s", c0);
	pu_expect_problem(&u, "GET", cmd, NULL, NULL, NULL, 410, "cursor-expired");
	/* starting over works */
	feed_now(&u, c0);
	feed_get(&u, c0, 10, &r);
	resp_free(&r);
	/* recent rows stay */
	pu_task(&u, "recent", "new", NULL, NULL, NULL, id);
	cr_expect_eq(pu_sql_long("SELECT taskman_activity_prune(30, 1000)"), 0);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM activity WHERE scope = '%s'", u.id), 1);
	/* the workers' role may not prune */
	cr_expect_eq(pu_sql_long("SELECT has_function_privilege('taskman_app', "
	    "'taskman_activity_prune(integer, integer)', 'EXECUTE')::int"), 0);
}

/* ------------------------------------------------------------------ */
/* Concurrent writers and a reader that follows the feed                */

struct model {
	char	 id[1024][40];
	long	 version[1024];
	int	 n;
};

static void
model_set(struct model *m, const char *id, long version)
{
	int	i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->id[i], id) == 0) {
			m->version[i] = version;
			return;
		}
	cr_assert_lt(m->n, 1024);
	snprintf(m->id[m->n], sizeof(m->id[0]), "%s", id);
	m->version[m->n++] = version;
}

static void
model_del(struct model *m, const char *id)
{
	int	i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->id[i], id) == 0) {
			m->n--;
			memmove(m->id[i], m->id[m->n], sizeof(m->id[0]));
			m->version[i] = m->version[m->n];
			return;
		}
}

/* Applies the task changes of all to m; returns how many there were. */
static int
model_apply(struct model *m, json_object *all)
{
	size_t		 i;
	json_object	*c;
	int		 n = 0;

	for (i = 0; i < json_object_array_length(all); i++) {
		c = json_object_array_get_idx(all, i);
		if (strcmp(pu_str(c, "type"), "task") != 0)
			continue;
		n++;
		if (strcmp(pu_str(c, "op"), "upsert") == 0)
			model_set(m, pu_str(c, "id"), pu_int(c, "version"));
		else if (strcmp(pu_str(c, "op"), "delete") == 0)
			model_del(m, pu_str(c, "id"));
		else
			cr_assert_fail("unexpected change %s", json_object_to_json_string(c));
	}
	return n;
}

static int
idcmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* "id:version,..." ordered by id. */
static void
model_text(struct model *m, char *dst, size_t len)
{
	char	pairs[1024][64];
	size_t	off = 0;
	int	i;

	for (i = 0; i < m->n; i++)
		snprintf(pairs[i], sizeof(pairs[i]), "%s:%ld", m->id[i], m->version[i]);
	qsort(pairs, (size_t)m->n, sizeof(pairs[0]), idcmp);
	dst[0] = '\0';
	for (i = 0; i < m->n && off < len; i++)
		off += (size_t)snprintf(dst + off, len - off, "%s%s", i ? "," : "", pairs[i]);
}

/* The list of u's tasks (the sync protocol's second step) into m. */
static void
model_from_list(struct model *m, const struct pu_user *u)
{
	struct resp	 r;
	json_object	*items, *t;
	char		 path[CURSOR_MAX + 64], next[CURSOR_MAX] = "";
	size_t		 i;

	m->n = 0;
	do {
		snprintf(path, sizeof(path), "/api/v1/tasks?limit=200%s%s",
		    next[0] ? "&cursor=" : "", next);
		pu_call(&r, u, "GET", path, NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		items = pu_get(r.json, "items");
		for (i = 0; i < json_object_array_length(items); i++) {
			t = json_object_array_get_idx(items, i);
			model_set(m, pu_str(t, "id"), pu_int(t, "version"));
		}
		snprintf(next, sizeof(next), "%s",
		    pu_isnull(r.json, "next_cursor") ? "" : pu_str(r.json, "next_cursor"));
		resp_free(&r);
	} while (next[0] != '\0');
}

/* One statement on c; false (and a line on stderr) if it failed. */
static bool
wx(PGconn *c, const char *sql, const char *a, const char *b)
{
	const char	*v[2] = { a, b };
	PGresult	*res = PQexecParams(c, sql, b != NULL ? 2 : a != NULL ? 1 : 0, NULL, v,
			    NULL, NULL, 0);
	bool		 ok = PQresultStatus(res) == PGRES_TUPLES_OK ||
			    PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "writer: %s: %s", sql, PQerrorMessage(c));
	PQclear(res);
	return ok;
}

/*
 * A writer as the workers' role (row-level security, the activity
 * triggers), user uid, in project p: iterations transactions, each
 * changing one existing task and adding one, or deleting or moving one,
 * then holding the transaction open for hold_ms (+ up to as much again)
 * before COMMIT; every fourth rolls back.  Exits 0 when all went as
 * planned.
 */
static void
writer_sql(int kind, const char *uid, const char *p, int iterations, int hold_ms,
    unsigned seed)
{
	PGconn		*c = PQconnectdb(getenv("TASKMAN_TEST_DATABASE_URL"));
	char		 sleep_s[32];
	int		 i, bad = 0;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "writer: %s", PQerrorMessage(c));
		_exit(2);
	}
	for (i = 0; i < iterations; i++) {
		snprintf(sleep_s, sizeof(sleep_s), "%.3f",
		    (hold_ms + (int)(rand_r(&seed) % (unsigned)(hold_ms + 1))) / 1000.0);
		bad += !wx(c, "BEGIN", NULL, NULL);
		bad += !wx(c, "SELECT taskman_set_user($1::uuid, 'user', NULL)", uid, NULL);
		switch (kind) {
		case 0:		/* change one of the user's or the project's, add one */
			bad += !wx(c, "UPDATE tasks SET title = left(title, 100) || '.', "
			    "updated_at = now(), version = version + 1 WHERE id = (SELECT id FROM tasks "
			    "WHERE scope = ANY (ARRAY[$1::uuid, $2::uuid]) ORDER BY random() LIMIT 1)",
			    uid, p);
			bad += !wx(c, "INSERT INTO tasks (owner_id, title, project_id) VALUES "
			    "($1::uuid, 'w0', CASE WHEN random() < 0.5 THEN $2::uuid END)", uid, p);
			break;
		case 1:		/* in the project: change one, delete one, add one */
			bad += !wx(c, "UPDATE tasks SET status = CASE status WHEN 'new' THEN 'ready' "
			    "ELSE 'new' END, updated_at = now(), version = version + 1 WHERE id = "
			    "(SELECT id FROM tasks WHERE scope = $2::uuid ORDER BY random() LIMIT 1) "
			    "AND $1::uuid IS NOT NULL", uid, p);
			if (i % 2 == 1)
				bad += !wx(c, "DELETE FROM tasks WHERE id = (SELECT id FROM tasks "
				    "WHERE scope = $2::uuid ORDER BY random() LIMIT 1) "
				    "AND $1::uuid IS NOT NULL", uid, p);
			bad += !wx(c, "INSERT INTO tasks (owner_id, title, project_id) VALUES "
			    "($1::uuid, 'w1', $2::uuid)", uid, p);
			break;
		default:	/* move one of the user's own in or out of the project */
			bad += !wx(c, "UPDATE tasks SET project_id = CASE WHEN project_id IS NULL "
			    "THEN $2::uuid END, sprint_id = NULL, updated_at = now(), "
			    "version = version + 1 WHERE id = (SELECT id FROM tasks WHERE owner_id = "
			    "$1::uuid AND scope = ANY (ARRAY[$1::uuid, $2::uuid]) ORDER BY random() "
			    "LIMIT 1)", uid, p);
			break;
		}
		bad += !wx(c, "SELECT pg_sleep($1::float8)", sleep_s, NULL);
		bad += !wx(c, i % 4 == 3 ? "ROLLBACK" : "COMMIT", NULL, NULL);
	}
	PQfinish(c);
	_exit(bad == 0 ? 0 : 1);
}

/* Short writes over HTTP (create, change, delete), between the long ones. */
static void
writer_http(const struct pu_user *u, const char *p, int iterations)
{
	char		 id[40], path[128], body[128];
	struct resp	 r;
	int		 i, bad = 0;

	for (i = 0; i < iterations; i++) {
		pu_task(u, "http", "new", NULL, i % 2 ? p : NULL, NULL, id);
		snprintf(path, sizeof(path), "/api/v1/tasks/%s", id);
		snprintf(body, sizeof(body), "{\"title\":\"http %d\"}", i);
		pu_call(&r, u, "PATCH", path, body, NULL, NULL);
		bad += r.status != 200;
		resp_free(&r);
		if (i % 3 == 0) {
			pu_call(&r, u, "DELETE", path, NULL, NULL, NULL);
			bad += r.status != 204;
			resp_free(&r);
		}
		usleep(50 * 1000);
	}
	_exit(bad == 0 ? 0 : 1);
}

Test(changes, concurrent_writers_a_reader_ends_with_the_servers_state, .timeout = 600)
{
	struct pu_user	 a, b;
	struct model	*m = calloc(1, sizeof(*m));
	char		 p[40], c0[CURSOR_MAX], want[65536], got[65536], q[512];
	const char	*e = getenv("TASKMAN_TEST_CHANGES_ROUNDS");
	int		 rounds = e ? atoi(e) : 3, round, k, status, running, bad, seen;
	pid_t		 kids[5];
	json_object	*all;
	uint64_t	 last;
	time_t		 deadline;

	cr_assert_not_null(m);
	cr_assert_not_null(getenv("TASKMAN_TEST_DATABASE_URL"));
	pu_user_fresh(&a, NULL);
	pu_user_fresh(&b, NULL);
	shared_project(&a, &b, "editor", p);
	snprintf(q, sizeof(q), "INSERT INTO tasks (owner_id, title, project_id) "
	    "SELECT '%s', 'seed ' || g, CASE WHEN g %% 2 = 0 THEN '%s'::uuid END "
	    "FROM generate_series(1, 20) g", a.id, p);
	pu_sql(want, sizeof(want), "%s", q);

	for (round = 0; round < rounds; round++) {
		/* 1. a cursor, 2. the lists (while the writers run), 3. the feed */
		feed_now(&a, c0);
		for (k = 0; k < 5; k++) {
			fflush(NULL);
			if ((kids[k] = fork()) == 0) {
				switch (k) {
				case 0: writer_sql(0, a.id, p, 6, 300, 11u * (unsigned)round + 1); break;
				case 1: writer_sql(1, b.id, p, 6, 250, 13u * (unsigned)round + 2); break;
				case 2: writer_sql(2, a.id, p, 8, 150, 17u * (unsigned)round + 3); break;
				case 3: writer_sql(0, a.id, p, 3, 1200, 19u * (unsigned)round + 4); break;
				default: writer_http(&a, p, 15); break;
				}
			}
			cr_assert_gt(kids[k], 0);
		}
		usleep(200 * 1000);
		model_from_list(m, &a);
		seen = 0;
		for (running = 5, bad = 0; running > 0; ) {
			all = feed_all(&a, c0, 7);
			seen += model_apply(m, all);
			json_object_put(all);
			usleep(100 * 1000);
			for (k = 0; k < 5; k++) {
				if (kids[k] > 0 && waitpid(kids[k], &status, WNOHANG) == kids[k]) {
					bad += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
					kids[k] = 0;
					running--;
				}
			}
		}
		cr_assert_eq(bad, 0, "round %d: a writer failed (see stderr)", round);
		/* every writer has ended: follow until the cursor is past their last row */
		pu_sql(q, sizeof(q), "SELECT coalesce(max(xid)::text, '0') FROM activity "
		    "WHERE scope IN ('%s', '%s')", a.id, p);
		last = strtoull(q, NULL, 10);
		deadline = time(NULL) + 20;
		do {
			all = feed_all(&a, c0, 500);
			seen += model_apply(m, all);
			json_object_put(all);
			if (cursor_xid(c0) > last)
				break;
			usleep(200 * 1000);
		} while (time(NULL) < deadline);
		model_text(m, got, sizeof(got));
		pu_sql(want, sizeof(want), "SELECT coalesce(string_agg(id::text || ':' || version, ',' "
		    "ORDER BY id), '') FROM tasks WHERE scope IN ('%s', '%s')", a.id, p);
		cr_assert_str_eq(got, want, "round %d: the client's tasks differ from the server's", round);
		cr_assert_gt(cursor_xid(c0), last, "round %d: the cursor never passed xid %" PRIu64
		    " (a transaction elsewhere held the feed back for 20 s?)", round, last);
		cr_expect_gt(seen, 20, "round %d: the feed carried %d task changes", round, seen);
		cr_log_info("round %d: %d tasks, %d task changes followed", round, m->n, seen);
	}
	free(m);
}
