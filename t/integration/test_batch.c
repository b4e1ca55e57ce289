/*
 * POST /api/v1/tasks/batch (API.md section 8) over real HTTP: all or
 * nothing (the database is compared before and after every refused
 * batch, activity included), the first failing operation's problem with
 * operation_index, the single requests' rules (fields, transitions,
 * ETags, roles in shared projects), and Idempotency-Key on the batch.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "plan_util.h"

#define PATH	"/api/v1/tasks/batch"

/* A growing body: ops_add() appends one operation (printf-style). */
struct ops {
	char	*s;
	size_t	 len, cap;
	int	 n;
};

static void __attribute__((format(printf, 2, 3)))
ops_add(struct ops *o, const char *fmt, ...)
{
	va_list	 ap;
	int	 w;

	if (o->s == NULL) {
		o->cap = 65536;
		cr_assert_not_null(o->s = malloc(o->cap));
		o->len = (size_t)snprintf(o->s, o->cap, "{\"operations\":[");
	}
	for (;;) {
		va_start(ap, fmt);
		w = vsnprintf(o->s + o->len + 1, o->cap - o->len - 3, fmt, ap);
		va_end(ap);
		cr_assert(w >= 0);
		if ((size_t)w < o->cap - o->len - 3)
			break;
		o->cap *= 2;
		cr_assert_not_null(o->s = realloc(o->s, o->cap));
	}
	o->s[o->len] = o->n++ > 0 ? ',' : ' ';
	o->len += (size_t)w + 1;
	snprintf(o->s + o->len, o->cap - o->len, "]}");
}

static void
ops_free(struct ops *o)
{
	free(o->s);
	memset(o, 0, sizeof(*o));
}

/* The caller's tasks and activity as one digest, read as the superuser. */
static void
state(const struct pu_user *u, char out[64])
{
	pu_sql(out, 64, "SELECT md5(coalesce((SELECT string_agg(t::text, '|' ORDER BY t.id) "
	    "FROM tasks t WHERE t.owner_id = '%s'), '') || '#' || "
	    "(SELECT count(*) FROM activity a WHERE a.actor_id = '%s'))", u->id, u->id);
}

static long
activity_of(const struct pu_user *u)
{
	return pu_sql_long("SELECT count(*) FROM activity WHERE actor_id = '%s' "
	    "AND resource_type = 'task'", u->id);
}

/* POSTs the batch and checks a refusal: status, slug, operation_index. */
static void
expect_refused(const struct pu_user *u, const char *body, long status,
    const char *slug, long index, struct resp *out)
{
	pu_call(out, u, "POST", PATH, body, NULL, NULL);
	cr_assert_eq(out->status, status, "batch: %ld, not %ld: %s", out->status, status,
	    out->body);
	h_expect_problem(out, status, slug);
	if (index < 0)
		cr_expect_null(pu_get(out->json, "operation_index"), "%s", out->body);
	else
		cr_expect_eq(pu_int(out->json, "operation_index"), index, "%s", out->body);
}

/* The results of a 200 batch (asserted), borrowed from r. */
static json_object *
results_of(const struct resp *r, size_t n)
{
	json_object *a;

	cr_assert_eq(r->status, 200, "batch: %ld %s", r->status, r->body);
	a = pu_get(r->json, "results");
	cr_assert(a != NULL && json_object_is_type(a, json_type_array), "%s", r->body);
	cr_assert_eq(json_object_array_length(a), n, "%s", r->body);
	return a;
}

Test(batch, hundred_creates_all_exist, .timeout = 60)
{
	struct pu_user	 u;
	struct ops	 o = { 0 };
	struct resp	 r;
	json_object	*a, *e;
	long		 act;
	int		 i;

	pu_user_fresh(&u, NULL);
	act = activity_of(&u);
	for (i = 0; i < 100; i++)
		ops_add(&o, "{\"op\":\"create\",\"fields\":{\"title\":\"b%d\",\"priority\":\"p1\","
		    "\"tags\":[\"batch\"]}}", i);
	pu_call(&r, &u, "POST", PATH, o.s, NULL, NULL);
	a = results_of(&r, 100);
	for (i = 0; i < 100; i++) {
		char title[16];

		e = json_object_array_get_idx(a, (size_t)i);
		cr_expect_eq(pu_int(e, "status"), 201);
		snprintf(title, sizeof(title), "b%d", i);
		cr_expect_str_eq(pu_str(pu_get(e, "task"), "title"), title);
		cr_expect_eq(pu_int(pu_get(e, "task"), "version"), 1);
	}
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s' "
	    "AND priority = 'p1' AND tags = '{batch}'", u.id), 100);
	cr_expect_eq(activity_of(&u) - act, 100, "one activity row per create");
	resp_free(&r);
	ops_free(&o);
}

Test(batch, one_bad_operation_changes_nothing, .timeout = 60)
{
	struct pu_user	 u;
	struct ops	 o = { 0 };
	struct resp	 r;
	char		 t[3][40], before[64], after[64];
	int		 i;

	pu_user_fresh(&u, NULL);
	for (i = 0; i < 3; i++)
		pu_task(&u, "kept", "new", NULL, NULL, NULL, t[i]);
	state(&u, before);

	/* 50 creates, updates and deletes that would succeed, a 422 at 50 */
	for (i = 0; i < 100; i++) {
		if (i == 50)
			ops_add(&o, "{\"op\":\"create\",\"fields\":{\"title\":\"\"}}");
		else if (i == 1)
			ops_add(&o, "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"title\":\"x\"}}", t[0]);
		else if (i == 2)
			ops_add(&o, "{\"op\":\"delete\",\"id\":\"%s\"}", t[1]);
		else if (i == 3)
			ops_add(&o, "{\"op\":\"status\",\"id\":\"%s\",\"status\":\"ready\"}", t[2]);
		else
			ops_add(&o, "{\"op\":\"create\",\"fields\":{\"title\":\"n%d\"}}", i);
	}
	expect_refused(&u, o.s, 422, "validation-error", 50, &r);
	cr_expect(pu_error_names(&r, "operations[50].fields.title"), "%s", r.body);
	resp_free(&r);
	state(&u, after);
	cr_expect_str_eq(after, before, "a refused batch changed the database");
	ops_free(&o);

	/* the same with a failure only the database sees: a task that is not there */
	for (i = 0; i < 100; i++) {
		if (i == 60)
			ops_add(&o, "{\"op\":\"update\",\"id\":\"00000000-0000-4000-8000-000000000001\","
			    "\"fields\":{\"title\":\"x\"}}");
		else if (i == 2)
			ops_add(&o, "{\"op\":\"delete\",\"id\":\"%s\"}", t[1]);
		else if (i == 3)
			ops_add(&o, "{\"op\":\"status\",\"id\":\"%s\",\"status\":\"ready\"}", t[2]);
		else
			ops_add(&o, "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"title\":\"u%d\"}}",
			    t[0], i);
	}
	expect_refused(&u, o.s, 404, "not-found", 60, &r);
	resp_free(&r);
	state(&u, after);
	cr_expect_str_eq(after, before, "a refused batch changed the database");
	ops_free(&o);

	/* the first failing operation wins, also over a later 422 */
	ops_add(&o, "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"title\":\"x\"}}", t[0]);
	ops_add(&o, "{\"op\":\"delete\",\"id\":\"00000000-0000-4000-8000-000000000002\"}");
	ops_add(&o, "{\"op\":\"create\",\"fields\":{\"title\":\"ok\"}}");
	ops_add(&o, "{\"op\":\"create\",\"fields\":{\"priority\":\"p9\"}}");
	expect_refused(&u, o.s, 404, "not-found", 1, &r);
	resp_free(&r);
	state(&u, after);
	cr_expect_str_eq(after, before, "a refused batch changed the database");
	ops_free(&o);
}

Test(batch, etags_and_versions, .timeout = 60)
{
	struct pu_user	 u;
	struct ops	 o = { 0 };
	struct resp	 r;
	char		 t[40], before[64], after[64];
	json_object	*a;

	pu_user_fresh(&u, NULL);
	pu_task(&u, "etag", "new", NULL, NULL, NULL, t);
	state(&u, before);

	/* the second update's if_match is the version before the first one */
	ops_add(&o, "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"title\":\"a\"}}", t);
	ops_add(&o, "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"title\":\"b\"},"
	    "\"if_match\":\"\\\"1\\\"\"}", t);
	expect_refused(&u, o.s, 412, "precondition-failed", 1, &r);
	resp_free(&r);
	state(&u, after);
	cr_expect_str_eq(after, before);
	ops_free(&o);

	/* a stale body version: 409 version-conflict, as PATCH */
	ops_add(&o, "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"title\":\"a\",\"version\":7}}", t);
	expect_refused(&u, o.s, 409, "version-conflict", 0, &r);
	resp_free(&r);
	ops_free(&o);

	/* a malformed if_match is a field error */
	ops_add(&o, "{\"op\":\"delete\",\"id\":\"%s\",\"if_match\":\"W/1\"}", t);
	expect_refused(&u, o.s, 422, "validation-error", 0, &r);
	cr_expect(pu_error_names(&r, "operations[0].if_match"), "%s", r.body);
	resp_free(&r);
	ops_free(&o);

	/* each if_match sees the operations before it */
	ops_add(&o, "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"title\":\"a\"},"
	    "\"if_match\":\"\\\"1\\\"\"}", t);
	ops_add(&o, "{\"op\":\"status\",\"id\":\"%s\",\"status\":\"ready\","
	    "\"if_match\":\"\\\"2\\\"\"}", t);
	ops_add(&o, "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"title\":\"c\",\"version\":3}}", t);
	pu_call(&r, &u, "POST", PATH, o.s, NULL, NULL);
	a = results_of(&r, 3);
	cr_expect_eq(pu_int(pu_get(json_object_array_get_idx(a, 2), "task"), "version"), 4);
	cr_expect_str_eq(pu_str(pu_get(json_object_array_get_idx(a, 2), "task"), "status"),
	    "ready");
	resp_free(&r);
	ops_free(&o);
	cr_expect_eq(pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", t), 4);
}

Test(batch, transitions_and_fields, .timeout = 60)
{
	struct pu_user	 u;
	struct ops	 o = { 0 };
	struct resp	 r;
	char		 t[40], before[64], after[64];

	pu_user_fresh(&u, NULL);
	pu_task(&u, "flow", "new", NULL, NULL, NULL, t);
	state(&u, before);

	/* new -> done is not a transition; the create before it is undone */
	ops_add(&o, "{\"op\":\"create\",\"fields\":{\"title\":\"gone\"}}");
	ops_add(&o, "{\"op\":\"status\",\"id\":\"%s\",\"status\":\"done\"}", t);
	expect_refused(&u, o.s, 409, "invalid-transition", 1, &r);
	cr_expect(strstr(pu_str(r.json, "detail"), "from new to done") != NULL, "%s", r.body);
	resp_free(&r);
	ops_free(&o);

	/* ... also through an update's fields */
	ops_add(&o, "{\"op\":\"status\",\"id\":\"%s\",\"status\":\"in_progress\"}", t);
	ops_add(&o, "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"status\":\"new\"}}", t);
	expect_refused(&u, o.s, 409, "invalid-transition", 1, &r);
	resp_free(&r);
	ops_free(&o);

	/* a status that does not exist, a read-only field, a sprint that is not ours */
	ops_add(&o, "{\"op\":\"status\",\"id\":\"%s\",\"status\":\"finished\"}", t);
	expect_refused(&u, o.s, 422, "validation-error", 0, &r);
	cr_expect(pu_error_names(&r, "operations[0].status"), "%s", r.body);
	resp_free(&r);
	ops_free(&o);
	ops_add(&o, "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"owner_id\":\"%s\"}}", t, u.id);
	expect_refused(&u, o.s, 422, "validation-error", 0, &r);
	cr_expect(pu_error_names(&r, "operations[0].fields.owner_id"), "%s", r.body);
	resp_free(&r);
	ops_free(&o);
	ops_add(&o, "{\"op\":\"create\",\"fields\":{\"title\":\"a\"}}");
	ops_add(&o, "{\"op\":\"create\",\"fields\":{\"title\":\"b\","
	    "\"sprint_id\":\"00000000-0000-4000-8000-000000000003\"}}");
	expect_refused(&u, o.s, 422, "validation-error", 1, &r);
	cr_expect(pu_error_names(&r, "operations[1].fields.sprint_id"), "%s", r.body);
	resp_free(&r);
	ops_free(&o);

	state(&u, after);
	cr_expect_str_eq(after, before, "a refused batch changed the database");
}

Test(batch, envelope, .timeout = 30)
{
	struct pu_user	 u;
	struct ops	 o = { 0 };
	struct resp	 r;
	int		 i;

	pu_user_fresh(&u, NULL);
	expect_refused(&u, "{\"operations\":[]}", 422, "validation-error", -1, &r);
	resp_free(&r);
	expect_refused(&u, "{}", 422, "validation-error", -1, &r);
	resp_free(&r);
	expect_refused(&u, "{\"operations\":[],\"atomic\":true}", 422, "validation-error", -1, &r);
	cr_expect(pu_error_names(&r, "atomic"), "%s", r.body);
	resp_free(&r);
	for (i = 0; i < 101; i++)
		ops_add(&o, "{\"op\":\"create\",\"fields\":{\"title\":\"x\"}}");
	expect_refused(&u, o.s, 422, "validation-error", -1, &r);
	resp_free(&r);
	ops_free(&o);
	expect_refused(&u, "{\"operations\":[{\"op\":\"merge\"}]}", 422, "validation-error", 0, &r);
	cr_expect(pu_error_names(&r, "operations[0].op"), "%s", r.body);
	resp_free(&r);
	expect_refused(&u, "{\"operations\":[7]}", 422, "validation-error", 0, &r);
	resp_free(&r);
	expect_refused(&u, "{\"operations\":[{\"op\":\"delete\"}]}", 422, "validation-error", 0, &r);
	cr_expect(pu_error_names(&r, "operations[0].id"), "%s", r.body);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s'", u.id), 0);
	/* "batch" is no task id */
	pu_call(&r, &u, "GET", PATH, NULL, NULL, NULL);
	cr_expect_eq(r.status, 405, "GET %s: %ld", PATH, r.status);
	resp_free(&r);
	pu_call(&r, NULL, "POST", PATH, "{\"operations\":[{\"op\":\"create\","
	    "\"fields\":{\"title\":\"x\"}}]}", NULL, NULL);
	cr_expect_eq(r.status, 401);
	resp_free(&r);
}

Test(batch, invisible_and_shared, .timeout = 60)
{
	struct pu_user	 owner, viewer, editor, stranger;
	struct ops	 o = { 0 };
	struct resp	 r;
	char		 project[40], mine[40], theirs[40], shared[40], dummy[8];
	char		 before[64], after[64], body[256];
	json_object	*a;

	pu_user_fresh(&owner, NULL);
	pu_user_fresh(&viewer, NULL);
	pu_user_fresh(&editor, NULL);
	pu_user_fresh(&stranger, NULL);
	pu_create(&owner, "/api/v1/projects", "{\"name\":\"batch shared\"}", project);
	pu_sql(dummy, sizeof(dummy), "INSERT INTO project_members (project_id, user_id, role) "
	    "VALUES ('%s', '%s', 'viewer'), ('%s', '%s', 'editor')", project, viewer.id,
	    project, editor.id);
	pu_task(&owner, "shared", "new", NULL, project, NULL, shared);
	pu_task(&owner, "personal", "new", NULL, NULL, NULL, theirs);
	pu_task(&viewer, "viewer's own", "new", NULL, NULL, NULL, mine);
	state(&owner, before);

	/* someone else's personal task: 404, and it stays */
	ops_add(&o, "{\"op\":\"delete\",\"id\":\"%s\"}", mine);
	ops_add(&o, "{\"op\":\"delete\",\"id\":\"%s\"}", theirs);
	expect_refused(&viewer, o.s, 404, "not-found", 1, &r);
	resp_free(&r);
	ops_free(&o);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE id IN ('%s', '%s')",
	    mine, theirs), 2);

	/* a viewer of the project: 403 for writes in it, 404 for a stranger */
	ops_add(&o, "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"title\":\"v\"}}", shared);
	expect_refused(&viewer, o.s, 403, "forbidden", 0, &r);
	resp_free(&r);
	expect_refused(&stranger, o.s, 404, "not-found", 0, &r);
	resp_free(&r);
	ops_free(&o);
	ops_add(&o, "{\"op\":\"create\",\"fields\":{\"title\":\"ok\"}}");
	ops_add(&o, "{\"op\":\"create\",\"fields\":{\"title\":\"v\",\"project_id\":\"%s\"}}",
	    project);
	expect_refused(&viewer, o.s, 403, "forbidden", 1, &r);
	resp_free(&r);
	ops_free(&o);
	ops_add(&o, "{\"op\":\"delete\",\"id\":\"%s\"}", shared);
	expect_refused(&viewer, o.s, 403, "forbidden", 0, &r);
	resp_free(&r);
	ops_free(&o);
	/* moving one's own task into a project one only views */
	ops_add(&o, "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"project_id\":\"%s\"}}",
	    mine, project);
	expect_refused(&viewer, o.s, 403, "forbidden", 0, &r);
	resp_free(&r);
	ops_free(&o);
	state(&owner, after);
	cr_expect_str_eq(after, before, "a refused batch changed the database");

	/* an editor may */
	ops_add(&o, "{\"op\":\"status\",\"id\":\"%s\",\"status\":\"ready\"}", shared);
	ops_add(&o, "{\"op\":\"create\",\"fields\":{\"title\":\"e\",\"project_id\":\"%s\"}}",
	    project);
	pu_call(&r, &editor, "POST", PATH, o.s, NULL, NULL);
	a = results_of(&r, 2);
	cr_expect_str_eq(pu_str(pu_get(json_object_array_get_idx(a, 0), "task"), "status"),
	    "ready");
	cr_expect_str_eq(pu_str(pu_get(json_object_array_get_idx(a, 1), "task"), "project_id"),
	    project);
	resp_free(&r);
	ops_free(&o);
	snprintf(body, sizeof(body), "project_id = '%s' AND owner_id = '%s'", project, editor.id);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE %s", body), 1);
}

Test(batch, every_kind_with_activity, .timeout = 60)
{
	struct pu_user	 u;
	struct ops	 o = { 0 };
	struct resp	 r;
	char		 t[2][40];
	json_object	*a, *e;
	long		 act;

	pu_user_fresh(&u, NULL);
	pu_task(&u, "upd", "new", NULL, NULL, NULL, t[0]);
	pu_task(&u, "del", "new", NULL, NULL, NULL, t[1]);
	act = activity_of(&u);
	ops_add(&o, "{\"op\":\"create\",\"fields\":{\"title\":\"c\"}}");
	ops_add(&o, "{\"op\":\"update\",\"id\":\"%s\",\"fields\":{\"title\":\"u\"}}", t[0]);
	ops_add(&o, "{\"op\":\"status\",\"id\":\"%s\",\"status\":\"in_progress\"}", t[0]);
	ops_add(&o, "{\"op\":\"delete\",\"id\":\"%s\"}", t[1]);
	pu_call(&r, &u, "POST", PATH, o.s, NULL, NULL);
	a = results_of(&r, 4);
	cr_expect_eq(pu_int(json_object_array_get_idx(a, 0), "status"), 201);
	cr_expect_eq(pu_int(json_object_array_get_idx(a, 1), "status"), 200);
	e = json_object_array_get_idx(a, 2);
	cr_expect_eq(pu_int(e, "status"), 200);
	cr_expect_str_eq(pu_str(pu_get(e, "task"), "title"), "u");
	cr_expect_str_eq(pu_str(pu_get(e, "task"), "status"), "in_progress");
	cr_expect_eq(pu_int(pu_get(e, "task"), "version"), 3);
	e = json_object_array_get_idx(a, 3);
	cr_expect_eq(pu_int(e, "status"), 204);
	cr_expect_null(pu_get(e, "task"));
	resp_free(&r);
	ops_free(&o);
	cr_expect_eq(activity_of(&u) - act, 4, "one activity row per operation");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM activity WHERE actor_id = '%s' "
	    "AND resource_id = '%s' AND action = 'deleted'", u.id, t[1]), 1);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE id = '%s'", t[1]), 0);
}

Test(batch, idempotent_replay, .timeout = 60)
{
	struct pu_user	 u;
	struct resp	 r1, r2, r3;
	char		 key[96], h[128];
	const char	*body = "{\"operations\":[{\"op\":\"create\",\"fields\":{\"title\":\"once\"}},"
	    "{\"op\":\"create\",\"fields\":{\"title\":\"twice\"}}]}";

	pu_user_fresh(&u, NULL);
	pu_unique(key, sizeof(key), "batch");
	snprintf(h, sizeof(h), "Idempotency-Key: %s", key);
	pu_call(&r1, &u, "POST", PATH, body, h, NULL);
	cr_assert_eq(r1.status, 200, "%s", r1.body);
	pu_call(&r2, &u, "POST", PATH, body, h, NULL);
	cr_assert_eq(r2.status, 200, "%s", r2.body);
	cr_expect_str_eq(r2.body, r1.body, "the replay is the first response");
	cr_expect_str_eq(pu_hdr(&r2, "Idempotent-Replayed"), "true");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s'", u.id), 2);
	/* the same key for another batch */
	pu_call(&r3, &u, "POST", PATH, "{\"operations\":[{\"op\":\"create\","
	    "\"fields\":{\"title\":\"other\"}}]}", h, NULL);
	cr_expect_eq(r3.status, 422, "%s", r3.body);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s'", u.id), 2);
	resp_free(&r1);
	resp_free(&r2);
	resp_free(&r3);
}
