/*
 * The todo compatibility surface over real HTTP (API.md section 4): the
 * {user_id} check (403 before anything else), the mapping onto the v1 task
 * rows in both directions (completed <=> done, high/medium/low <=> p0-p3,
 * due_date + due_time <=> due_at in UTC), partial PUT, the complete toggle,
 * lists with their filters, search, ETags and preconditions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "plan_util.h"

#define NIL_UUID	"00000000-0000-4000-8000-000000000000"

static void
v1_task(const struct pu_user *u, const char *body, char id[40])
{
	pu_create(u, "/api/v1/tasks", body, id);
}

/* /api/{uid}/tasks[/{id}][suffix] */
static char *
todo_path(char *dst, size_t len, const char *uid, const char *id, const char *suffix)
{
	snprintf(dst, len, "/api/%s/tasks%s%s%s", uid, id ? "/" : "", id ? id : "",
	    suffix ? suffix : "");
	return dst;
}

/* GET /api/v1/tasks/{id} as u into r (200 asserted). */
static void
v1_get(struct resp *r, const struct pu_user *u, const char *id)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/tasks/%s", id);
	pu_call(r, u, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r->status, 200, "GET %s: %ld %s", path, r->status, r->body);
}

/* GET the todo view of id as u into r (200 asserted). */
static void
todo_get(struct resp *r, const struct pu_user *u, const char *id)
{
	char path[160];

	pu_call(r, u, "GET", todo_path(path, sizeof(path), u->id, id, NULL), NULL, NULL, NULL);
	cr_assert_eq(r->status, 200, "GET %s: %ld %s", path, r->status, r->body);
}

/* PUT body on the todo view of id as u into r. */
static void
todo_put(struct resp *r, const struct pu_user *u, const char *id, const char *body,
    const char *h)
{
	char path[160];

	pu_call(r, u, "PUT", todo_path(path, sizeof(path), u->id, id, NULL), body, h, NULL);
}

static char *
snapshot(const char *owner, char dst[64])
{
	return pu_sql(dst, 64, "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t.id)), "
	    "'none') FROM tasks t WHERE owner_id = '%s'", owner);
}

static char *
ids_of(const struct resp *r, char *dst, size_t len)
{
	json_object	*a = pu_get(r->json, "tasks");
	size_t		 i, n, o = 0;

	dst[0] = '\0';
	cr_assert(a != NULL && json_object_is_type(a, json_type_array), "no tasks in %s", r->body);
	n = json_object_array_length(a);
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(dst + o, len - o, "%s%s", i ? "," : "",
		    pu_str(json_object_array_get_idx(a, i), "id"));
	return dst;
}

static void
expect_status(const struct resp *r, long status, const char *what)
{
	cr_expect_eq(r->status, status, "%s: status %ld, want %ld: %s", what, r->status,
	    status, r->body);
}

Test(todo, another_users_id_is_403_before_anything_else)
{
	static const struct {
		const char	*method;
		bool		 item;
		const char	*suffix;
		const char	*body;
	} routes[] = {
		{ "GET", false, NULL, NULL },
		{ "GET", false, "?completed=maybe", NULL },
		{ "POST", false, NULL, "{\"title\":\"intruder\"}" },
		{ "POST", false, NULL, "{\"title\":" },
		{ "POST", false, NULL, "{\"title\":\"\",\"user_id\":1}" },
		{ "GET", false, "/search?q=secret", NULL },
		{ "GET", false, "/search", NULL },
		{ "GET", true, NULL, NULL },
		{ "PUT", true, NULL, "{\"completed\":true}" },
		{ "PUT", true, NULL, "not json" },
		{ "DELETE", true, NULL, NULL },
		{ "PATCH", true, "/complete", NULL },
	};
	struct pu_user	 own, other;
	struct resp	 r;
	char		 id[40], oid[40], path[256], base[160], before[64], after[64];
	char		 obefore[64];
	size_t		 i;

	pu_user_fresh(&own, NULL);
	pu_user_fresh(&other, NULL);
	v1_task(&own, "{\"title\":\"secret\"}", id);
	v1_task(&other, "{\"title\":\"theirs\"}", oid);
	snapshot(own.id, before);
	snapshot(other.id, obefore);

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		/* the other user, on the owner's path (and the owner's task) */
		todo_path(base, sizeof(base), own.id, routes[i].item ? id : NULL, NULL);
		snprintf(path, sizeof(path), "%s%s", base, routes[i].suffix ? routes[i].suffix : "");
		pu_call(&r, &other, routes[i].method, path, routes[i].body, NULL, NULL);
		cr_expect_eq(r.status, 403, "%s %s: %ld %s", routes[i].method, path, r.status,
		    r.body);
		h_expect_problem(&r, 403, "forbidden");
		resp_free(&r);
		/* ... and on the owner's path with the other user's own task id */
		if (routes[i].item) {
			todo_path(base, sizeof(base), own.id, oid, routes[i].suffix);
			pu_call(&r, &other, routes[i].method, base, routes[i].body, NULL, NULL);
			expect_status(&r, 403, "own task under another user's path");
			resp_free(&r);
		}
	}
	/* the owner's own path with the other user's task: 404 */
	pu_expect_problem(&own, "GET", todo_path(path, sizeof(path), own.id,
	    oid, NULL), NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(&own, "PUT", path, "{\"title\":\"mine\"}", NULL, NULL,
	    404, "not-found");
	pu_expect_problem(&own, "DELETE", path, NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(&own, "PATCH", todo_path(path, sizeof(path), own.id,
	    oid, "/complete"), NULL,
	    NULL, NULL, 404, "not-found");
	/* an id that is not a UUID cannot be the caller's: 403 too; no token is 401 */
	pu_expect_problem(&own, "GET", "/api/alice/tasks", NULL, NULL, NULL,
	    403, "forbidden");
	pu_expect_problem(&own, "PUT",
	    "/api/alice/tasks/00000000-0000-4000-8000-000000000000",
	    "{\"title\":\"x\"}", NULL, NULL, 403, "forbidden");
	/* the v1 surface keeps its own answers: PUT is not one of its methods */
	pu_expect_problem(&own, "PUT",
	    "/api/v1/tasks/00000000-0000-4000-8000-000000000000",
	    "{\"title\":\"x\"}", NULL, NULL, 405, "method-not-allowed");
	pu_expect_problem(NULL, "GET", todo_path(path, sizeof(path), own.id,
	    NULL, NULL), NULL, NULL,
	    NULL, 401, "unauthorized");
	/* the upper-case spelling of one's own id is one's own id */
	{
		char up[40];

		for (i = 0; i <= strlen(own.id); i++)
			up[i] = (char)(own.id[i] >= 'a' && own.id[i] <= 'f' ? own.id[i] - 32 : own.id[i]);
		pu_call(&r, &own, "GET", todo_path(path, sizeof(path), up, NULL, NULL), NULL, NULL,
		    NULL);
		expect_status(&r, 200, "upper-case own id");
		resp_free(&r);
	}
	cr_expect_str_eq(snapshot(own.id, after), before, "the owner's tasks are unchanged");
	cr_expect_str_eq(snapshot(other.id, after), obefore, "the other user's too");
}

Test(todo, create_maps_onto_the_v1_row)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], path[160], loc[160];

	pu_call(&r, a, "POST", todo_path(path, sizeof(path), a->id, NULL, NULL),
	    "{\"title\":\"Buy milk\",\"description\":\"2 l\",\"completed\":false,"
	    "\"priority\":\"high\",\"due_date\":\"2026-12-24\",\"due_time\":\"18:30\","
	    "\"tags\":[\"home\"]}", NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	snprintf(id, sizeof(id), "%s", pu_str(r.json, "id"));
	cr_expect_str_eq(pu_hdr(&r, "Location") ? pu_hdr(&r, "Location") : "",
	    todo_path(loc, sizeof(loc), a->id, id, NULL));
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"1\"");
	cr_expect_str_eq(pu_str(r.json, "title"), "Buy milk");
	cr_expect_str_eq(pu_str(r.json, "description"), "2 l");
	cr_expect_str_eq(pu_raw(r.json, "completed"), "false");
	cr_expect_str_eq(pu_str(r.json, "priority"), "high");
	cr_expect_str_eq(pu_str(r.json, "due_date"), "2026-12-24");
	cr_expect_str_eq(pu_str(r.json, "due_time"), "18:30");
	cr_expect_str_eq(pu_raw(r.json, "tags"), "[\"home\"]");
	cr_expect_str_eq(pu_str(r.json, "user_id"), a->id);
	cr_expect_eq(pu_int(r.json, "version"), 1);
	cr_expect_not_null(pu_str(r.json, "created_at"));
	cr_expect_not_null(pu_str(r.json, "updated_at"));
	cr_expect_null(pu_get(r.json, "status"), "no v1 fields");
	resp_free(&r);
	v1_get(&r, a, id);
	cr_expect_str_eq(pu_str(r.json, "priority"), "p1", "high writes p1");
	cr_expect_str_eq(pu_str(r.json, "status"), "new");
	cr_expect_str_eq(pu_str(r.json, "due_at"), "2026-12-24T18:30:00Z");
	resp_free(&r);

	pu_call(&r, a, "POST", path, "{\"title\":\"m\",\"priority\":\"medium\"}", NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	snprintf(id, sizeof(id), "%s", pu_str(r.json, "id"));
	resp_free(&r);
	v1_get(&r, a, id);
	cr_expect_str_eq(pu_str(r.json, "priority"), "p2");
	resp_free(&r);
	pu_call(&r, a, "POST", path, "{\"title\":\"l\",\"priority\":\"low\",\"completed\":true,"
	    "\"due_date\":\"2026-07-01\"}", NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "priority"), "low");
	cr_expect_str_eq(pu_raw(r.json, "completed"), "true");
	cr_expect_str_eq(pu_str(r.json, "due_date"), "2026-07-01");
	cr_expect(pu_isnull(r.json, "due_time"), "a date alone is 00:00 UTC, time null");
	snprintf(id, sizeof(id), "%s", pu_str(r.json, "id"));
	resp_free(&r);
	v1_get(&r, a, id);
	cr_expect_str_eq(pu_str(r.json, "priority"), "p3");
	cr_expect_str_eq(pu_str(r.json, "status"), "done", "completed creates a done task");
	cr_expect_not_null(pu_str(r.json, "completed_at"));
	cr_expect_str_eq(pu_str(r.json, "due_at"), "2026-07-01T00:00:00Z");
	resp_free(&r);
	pu_call(&r, a, "POST", path, "{\"title\":\"defaults\"}", NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "priority"), "medium");
	cr_expect_str_eq(pu_raw(r.json, "completed"), "false");
	cr_expect(pu_isnull(r.json, "due_date") && pu_isnull(r.json, "due_time"));
	cr_expect_str_eq(pu_raw(r.json, "tags"), "[]");
	resp_free(&r);
}

Test(todo, create_validation)
{
	static const struct {
		const char	*body;
		const char	*field;
	} bad[] = {
		{ "{}", "title" },
		{ "{\"title\":\" \"}", "title" },
		{ "{\"title\":\"x\",\"priority\":\"urgent\"}", "priority" },
		{ "{\"title\":\"x\",\"priority\":\"p1\"}", "priority" },
		{ "{\"title\":\"x\",\"completed\":\"yes\"}", "completed" },
		{ "{\"title\":\"x\",\"due_date\":\"2026-02-30\"}", "due_date" },
		{ "{\"title\":\"x\",\"due_date\":\"2026-02-01T10:00:00Z\"}", "due_date" },
		{ "{\"title\":\"x\",\"due_date\":\"2026-02-01\",\"due_time\":\"24:00\"}", "due_time" },
		{ "{\"title\":\"x\",\"due_date\":\"2026-02-01\",\"due_time\":\"9:30\"}", "due_time" },
		{ "{\"title\":\"x\",\"due_time\":\"10:00\"}", "due_time" },
		{ "{\"title\":\"x\",\"due_date\":null,\"due_time\":\"10:00\"}", "due_time" },
		{ "{\"title\":\"x\",\"tags\":[\"a\",\"a\"]}", "tags" },
		{ "{\"title\":\"x\",\"id\":\"" NIL_UUID "\"}", "id" },
		{ "{\"title\":\"x\",\"user_id\":\"" NIL_UUID "\"}", "user_id" },
		{ "{\"title\":\"x\",\"created_at\":\"2026-01-01T00:00:00Z\"}", "created_at" },
		{ "{\"title\":\"x\",\"updated_at\":\"2026-01-01T00:00:00Z\"}", "updated_at" },
		{ "{\"title\":\"x\",\"version\":1}", "version" },
		{ "{\"title\":\"x\",\"status\":\"done\"}", "status" },
		{ "{\"title\":\"x\",\"due_at\":\"2026-01-01T00:00:00Z\"}", "due_at" },
	};
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 path[160], before[64], after[64];
	size_t			 i;

	snapshot(a->id, before);
	todo_path(path, sizeof(path), a->id, NULL, NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pu_call(&r, a, "POST", path, bad[i].body, NULL, NULL);
		pu_expect_422(&r, bad[i].field, bad[i].body);
		resp_free(&r);
	}
	pu_call(&r, a, "POST", path, "{\"title\":\"x\",\"user_id\":\"" NIL_UUID "\"}", NULL, NULL);
	cr_expect(strstr(r.body, "is read-only") != NULL, "%s", r.body);
	resp_free(&r);
	pu_expect_problem(a, "POST", path, "{\"title\"", NULL, NULL, 400,
	    "malformed-request");
	pu_expect_problem(a, "POST", path, NULL, NULL, NULL, 400, "malformed-request");
	cr_expect_str_eq(snapshot(a->id, after), before, "nothing created");
}

Test(todo, v1_rows_read_in_the_todo_shape)
{
	static const struct {
		const char	*v1;
		const char	*completed, *priority, *due_date, *due_time;
	} cases[] = {
		{ "\"priority\":\"p0\",\"status\":\"in_progress\"", "false", "\"high\"", "null", "null" },
		{ "\"priority\":\"p1\",\"status\":\"done\"", "true", "\"high\"", "null", "null" },
		{ "\"priority\":\"p2\",\"status\":\"dropped\"", "false", "\"medium\"", "null", "null" },
		{ "\"priority\":\"p3\",\"due_at\":\"2026-05-06T10:30:45Z\"", "false", "\"low\"",
		    "\"2026-05-06\"", "\"10:30\"" },
		{ "\"due_at\":\"2026-05-06T00:00:00Z\"", "false", "\"medium\"", "\"2026-05-06\"", "null" },
		{ "\"due_at\":\"2026-05-06T01:15:00+02:00\"", "false", "\"medium\"", "\"2026-05-05\"",
		    "\"23:15\"" },
	};
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], body[256];
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "{\"title\":\"v1 %zu\",%s}", i, cases[i].v1);
		v1_task(a, body, id);
		todo_get(&r, a, id);
		cr_expect_str_eq(pu_raw(r.json, "completed"), cases[i].completed, "%s", cases[i].v1);
		cr_expect_str_eq(pu_raw(r.json, "priority"), cases[i].priority, "%s", cases[i].v1);
		cr_expect_str_eq(pu_raw(r.json, "due_date"), cases[i].due_date, "%s", cases[i].v1);
		cr_expect_str_eq(pu_raw(r.json, "due_time"), cases[i].due_time, "%s", cases[i].v1);
		cr_expect_str_eq(pu_str(r.json, "id"), id);
		cr_expect_str_eq(pu_str(r.json, "user_id"), a->id);
		cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"1\"");
		resp_free(&r);
	}
}

/* The v1 view's member key as raw JSON. */
static const char *
v1_raw(const struct pu_user *u, const char *id, const char *key, char *dst, size_t len)
{
	struct resp r;

	v1_get(&r, u, id);
	snprintf(dst, len, "%s", pu_raw(r.json, key));
	resp_free(&r);
	return dst;
}

Test(todo, put_is_partial_and_maps_back)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], v[128];

	v1_task(a, "{\"title\":\"orig\",\"description\":\"desc\",\"priority\":\"p0\","
	    "\"status\":\"in_progress\",\"due_at\":\"2026-05-06T10:30:00Z\",\"tags\":[\"t\"],"
	    "\"estimate_points\":5}", id);

	todo_put(&r, a, id, "{\"title\":\"renamed\"}", NULL);
	expect_status(&r, 200, "PUT title");
	cr_expect_str_eq(pu_str(r.json, "title"), "renamed");
	cr_expect_str_eq(pu_str(r.json, "description"), "desc");
	cr_expect_str_eq(pu_str(r.json, "priority"), "high");
	cr_expect_str_eq(pu_str(r.json, "due_time"), "10:30");
	cr_expect_eq(pu_int(r.json, "version"), 2);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"2\"");
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "status", v, sizeof(v)), "\"in_progress\"");
	cr_expect_str_eq(v1_raw(a, id, "estimate_points", v, sizeof(v)), "5");

	/* priority: high keeps p0, and writes p1 otherwise */
	todo_put(&r, a, id, "{\"priority\":\"high\"}", NULL);
	expect_status(&r, 200, "PUT high on p0");
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "priority", v, sizeof(v)), "\"p0\"", "p0 stays p0");
	todo_put(&r, a, id, "{\"priority\":\"low\"}", NULL);
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "priority", v, sizeof(v)), "\"p3\"");
	todo_put(&r, a, id, "{\"priority\":\"high\"}", NULL);
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "priority", v, sizeof(v)), "\"p1\"");
	todo_put(&r, a, id, "{\"priority\":\"medium\"}", NULL);
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "priority", v, sizeof(v)), "\"p2\"");

	/* completed <=> done */
	todo_put(&r, a, id, "{\"completed\":true}", NULL);
	expect_status(&r, 200, "PUT completed true");
	cr_expect_str_eq(pu_raw(r.json, "completed"), "true");
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "status", v, sizeof(v)), "\"done\"");
	cr_expect_str_neq(v1_raw(a, id, "completed_at", v, sizeof(v)), "null");
	todo_put(&r, a, id, "{\"completed\":true}", NULL);
	expect_status(&r, 200, "PUT completed true again");
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "status", v, sizeof(v)), "\"done\"");
	todo_put(&r, a, id, "{\"completed\":false}", NULL);
	expect_status(&r, 200, "PUT completed false");
	cr_expect_str_eq(pu_raw(r.json, "completed"), "false");
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "status", v, sizeof(v)), "\"ready\"", "reopened to ready");
	cr_expect_str_eq(v1_raw(a, id, "completed_at", v, sizeof(v)), "null");
	todo_put(&r, a, id, "{\"completed\":false}", NULL);
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "status", v, sizeof(v)), "\"ready\"", "stays ready");

	/* due_date / due_time against the stored due_at */
	todo_put(&r, a, id, "{\"due_date\":\"2026-08-09\"}", NULL);
	expect_status(&r, 200, "PUT due_date");
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "due_at", v, sizeof(v)), "\"2026-08-09T10:30:00Z\"",
	    "the time is kept");
	todo_put(&r, a, id, "{\"due_time\":\"07:05\"}", NULL);
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "due_at", v, sizeof(v)), "\"2026-08-09T07:05:00Z\"",
	    "the date is kept");
	todo_put(&r, a, id, "{\"due_time\":null}", NULL);
	expect_status(&r, 200, "PUT due_time null");
	cr_expect(pu_isnull(r.json, "due_time"));
	cr_expect_str_eq(pu_str(r.json, "due_date"), "2026-08-09");
	resp_free(&r);
	todo_put(&r, a, id, "{\"due_date\":null}", NULL);
	expect_status(&r, 200, "PUT due_date null");
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "due_at", v, sizeof(v)), "null");
	todo_put(&r, a, id, "{\"due_time\":\"09:00\"}", NULL);
	pu_expect_422(&r, "due_time", "a time without any date");
	resp_free(&r);
	todo_put(&r, a, id, "{\"due_date\":\"2026-09-01\",\"due_time\":\"09:00\"}", NULL);
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "due_at", v, sizeof(v)), "\"2026-09-01T09:00:00Z\"");

	/* preconditions */
	todo_put(&r, a, id, "{\"title\":\"stale\",\"version\":1}", NULL);
	h_expect_problem(&r, 409, "version-conflict");
	resp_free(&r);
	todo_put(&r, a, id, "{\"title\":\"stale\"}", "If-Match: \"1\"");
	h_expect_problem(&r, 412, "precondition-failed");
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "version", v, sizeof(v)), "15");
	todo_put(&r, a, id, "{\"title\":\"fresh\",\"version\":15}", "If-Match: \"15\"");
	expect_status(&r, 200, "current version");
	resp_free(&r);
	/* field rules */
	todo_put(&r, a, id, "{\"user_id\":\"" NIL_UUID "\",\"title\":null}", NULL);
	pu_expect_422(&r, "user_id", "read-only user_id");
	cr_expect(pu_error_names(&r, "title"));
	resp_free(&r);
	todo_put(&r, a, NIL_UUID, "{\"title\":\"nobody\"}", NULL);
	h_expect_problem(&r, 404, "not-found");
	resp_free(&r);
	/* a dropped task cannot be completed; "not completed" leaves it be */
	v1_task(a, "{\"title\":\"gone\",\"status\":\"dropped\"}", id);
	todo_put(&r, a, id, "{\"completed\":true}", NULL);
	h_expect_problem(&r, 409, "invalid-transition");
	resp_free(&r);
	todo_put(&r, a, id, "{\"completed\":false}", NULL);
	expect_status(&r, 200, "completed false on dropped");
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "status", v, sizeof(v)), "\"dropped\"");
}

Test(todo, complete_toggles_get_etag_and_delete)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], path[160], v[64];

	v1_task(a, "{\"title\":\"toggle\",\"status\":\"blocked\"}", id);
	todo_path(path, sizeof(path), a->id, id, "/complete");
	pu_call(&r, a, "PATCH", path, NULL, NULL, NULL);
	expect_status(&r, 200, "toggle on");
	cr_expect_str_eq(pu_raw(r.json, "completed"), "true");
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"2\"");
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "status", v, sizeof(v)), "\"done\"");
	pu_expect_problem(a, "PATCH", path, "{\"version\":1}", NULL, NULL, 409,
	    "version-conflict");
	pu_call(&r, a, "PATCH", path, "{\"version\":2}", NULL, NULL);
	expect_status(&r, 200, "toggle off");
	cr_expect_str_eq(pu_raw(r.json, "completed"), "false");
	resp_free(&r);
	cr_expect_str_eq(v1_raw(a, id, "status", v, sizeof(v)), "\"ready\"");
	pu_call(&r, a, "PATCH", path, "{\"completed\":true}", NULL, NULL);
	pu_expect_422(&r, "completed", "toggle takes only version");
	resp_free(&r);

	/* GET with ETag / If-None-Match; the todo and v1 views share it */
	todo_path(path, sizeof(path), a->id, id, NULL);
	pu_call(&r, a, "GET", path, NULL, "If-None-Match: \"3\"", NULL);
	expect_status(&r, 304, "If-None-Match");
	resp_free(&r);
	pu_call(&r, a, "GET", path, NULL, "If-None-Match: \"2\"", NULL);
	expect_status(&r, 200, "stale If-None-Match");
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"3\"");
	resp_free(&r);

	pu_expect_problem(a, "DELETE", path, NULL, "If-Match: \"1\"", NULL, 412,
	    "precondition-failed");
	pu_call(&r, a, "DELETE", path, NULL, NULL, NULL);
	expect_status(&r, 204, "DELETE");
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE id = '%s'", id), 0);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 404, "not-found");

	v1_task(a, "{\"title\":\"dropped\",\"status\":\"dropped\"}", id);
	pu_expect_problem(a, "PATCH", todo_path(path, sizeof(path), a->id, id,
	    "/complete"), NULL, NULL,
	    NULL, 409, "invalid-transition");
}

Test(todo, list_filters_paging_and_search)
{
	struct pu_user	 u;
	struct resp	 r;
	char		 t[6][40], path[256], got[1024], want[1024], base[160], dummy[8];
	size_t		 i;

	pu_user_fresh(&u, NULL);
	v1_task(&u, "{\"title\":\"alpha report\",\"priority\":\"p0\","
	    "\"due_at\":\"2026-04-10T23:59:00Z\"}", t[0]);
	v1_task(&u, "{\"title\":\"beta\",\"priority\":\"p1\",\"status\":\"done\"}", t[1]);
	v1_task(&u, "{\"title\":\"gamma report\",\"priority\":\"p2\","
	    "\"due_at\":\"2026-04-11T00:00:00Z\"}", t[2]);
	v1_task(&u, "{\"title\":\"delta\",\"priority\":\"p3\",\"status\":\"dropped\"}", t[3]);
	v1_task(&u, "{\"title\":\"epsilon\",\"priority\":\"p2\",\"status\":\"done\","
	    "\"due_at\":\"2026-04-09T12:00:00Z\"}", t[4]);
	/* distinct, known creation order: t0 oldest ... t4 newest */
	for (i = 0; i < 5; i++)
		pu_sql(dummy, sizeof(dummy), "UPDATE tasks SET created_at = '2026-01-01'::timestamptz "
		    "+ %zu * interval '1 hour' WHERE id = '%s'", i, t[i]);
	todo_path(base, sizeof(base), u.id, NULL, NULL);

#define EXPECT_TODO(query, total_want, ...) do {				\
		snprintf(path, sizeof(path), "%s%s", base, query);		\
		pu_call(&r, &u, "GET", path, NULL, NULL, NULL);			\
		cr_assert_eq(r.status, 200, "%s: %ld %s", path, r.status, r.body); \
		snprintf(want, sizeof(want), __VA_ARGS__);			\
		cr_expect_str_eq(ids_of(&r, got, sizeof(got)), want, "%s", query); \
		cr_expect_eq(pu_int(r.json, "total"), total_want, "%s total", query); \
		resp_free(&r);							\
	} while (0)

	EXPECT_TODO("", 5, "%s,%s,%s,%s,%s", t[4], t[3], t[2], t[1], t[0]);
	EXPECT_TODO("?completed=true", 2, "%s,%s", t[4], t[1]);
	EXPECT_TODO("?completed=false", 3, "%s,%s,%s", t[3], t[2], t[0]);
	EXPECT_TODO("?priority=high", 2, "%s,%s", t[1], t[0]);
	EXPECT_TODO("?priority=medium,low", 3, "%s,%s,%s", t[4], t[3], t[2]);
	EXPECT_TODO("?priority=medium&completed=false", 1, "%s", t[2]);
	/* a date: due on or before that UTC day; a date-time: strictly before */
	EXPECT_TODO("?due_before=2026-04-10", 2, "%s,%s", t[4], t[0]);
	EXPECT_TODO("?due_before=2026-04-10T23:59:00Z", 1, "%s", t[4]);
	EXPECT_TODO("?due_before=2026-04-11", 3, "%s,%s,%s", t[4], t[2], t[0]);
	EXPECT_TODO("?limit=2&offset=1", 5, "%s,%s", t[3], t[2]);
	EXPECT_TODO("?limit=2&offset=4", 5, "%s", t[0]);
	EXPECT_TODO("?offset=9", 5, "%s", "");
	/* search */
	EXPECT_TODO("/search?q=report", 2, "%s,%s", strcmp(t[0], t[2]) < 0 ? t[0] : t[2],
	    strcmp(t[0], t[2]) < 0 ? t[2] : t[0]);
	EXPECT_TODO("/search?q=beta%20or%20delta&limit=1", 2, "%s", strcmp(t[1], t[3]) < 0 ? t[1] : t[3]);
	EXPECT_TODO("/search?q=nothing", 0, "%s", "");
#undef EXPECT_TODO

	/* the envelope is exactly {tasks, total} in the todo shape */
	pu_call(&r, &u, "GET", base, NULL, NULL, NULL);
	cr_expect_eq(json_object_object_length(r.json), 2, "%s", r.body);
	cr_expect_not_null(pu_get(json_object_array_get_idx(pu_get(r.json, "tasks"), 0),
	    "completed"));
	resp_free(&r);

	{
		static const struct {
			const char	*query;
			const char	*param;
		} bad[] = {
			{ "?completed=yes", "completed" },
			{ "?completed=", "completed" },
			{ "?priority=urgent", "priority" },
			{ "?priority=high,,low", "priority" },
			{ "?priority=high,", "priority" },
			{ "?due_before=soon", "due_before" },
			{ "?limit=0", "limit" },
			{ "?limit=201", "limit" },
			{ "?offset=-3", "offset" },
			{ "?cursor=abc", "cursor" },
			{ "?sort=title", "sort" },
			{ "?status=new", "status" },
			{ "?completed=true&completed=false", "completed" },
			{ "/search", "q" },
			{ "/search?q=", "q" },
			{ "/search?q=x&completed=true", "completed" },
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(path, sizeof(path), "%s%s", base, bad[i].query);
			pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
			h_expect_problem(&r, 400, "malformed-request");
			cr_expect(pu_error_names(&r, bad[i].param), "%s: should name %s: %s",
			    bad[i].query, bad[i].param, r.body);
			resp_free(&r);
		}
	}
}

Test(todo, idempotent_create)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r1, r2;
	char			 key[128], h[160], title[96], body[256], path[160];

	pu_unique(key, sizeof(key), "todo-idem");
	pu_unique(title, sizeof(title), "todo-idem");
	snprintf(h, sizeof(h), "Idempotency-Key: %s", key);
	snprintf(body, sizeof(body), "{\"title\":\"%s\",\"priority\":\"low\"}", title);
	todo_path(path, sizeof(path), a->id, NULL, NULL);
	pu_call(&r1, a, "POST", path, body, h, NULL);
	expect_status(&r1, 201, "first");
	pu_call(&r2, a, "POST", path, body, h, NULL);
	expect_status(&r2, 201, "replay");
	cr_expect_str_eq(r1.body, r2.body);
	cr_expect_str_eq(pu_hdr(&r1, "Location") ? pu_hdr(&r1, "Location") : "1",
	    pu_hdr(&r2, "Location") ? pu_hdr(&r2, "Location") : "2");
	resp_free(&r1);
	resp_free(&r2);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE title = '%s'", title), 1);
}
