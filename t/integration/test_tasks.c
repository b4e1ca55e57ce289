/*
 * Tasks over real HTTP (API.md section 3): create/get/patch/delete, the
 * status transition table, /complete and /assign-*, field rules (422 naming
 * each field), ETag / If-None-Match / If-Match / body version, the
 * concurrent-PATCH and concurrent-idempotent-POST races, every list filter
 * and sort (ties, offset, keyset cursor across inserts), full-text search
 * ranking, /high-priority, and the two-user isolation matrix.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

#include "plan_util.h"

#define NIL_UUID	"00000000-0000-4000-8000-000000000000"

/* POST /api/v1/tasks as u (201 asserted); the new id into id. */
static void
task(const struct pu_user *u, const char *body, char id[40])
{
	pu_create(u, "/api/v1/tasks", body, id);
}

static void
tpath(char *dst, size_t len, const char *id, const char *suffix)
{
	snprintf(dst, len, "/api/v1/tasks/%s%s", id, suffix != NULL ? suffix : "");
}

static void
project(const struct pu_user *u, const char *name, char id[40])
{
	char body[256];

	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	pu_create(u, "/api/v1/projects", body, id);
}

static void
sprint(const struct pu_user *u, const char *project_id, char id[40])
{
	char body[256];

	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"name\":\"S\","
	    "\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-14\"}", project_id);
	pu_create(u, "/api/v1/sprints", body, id);
}

/* The ids of a list's items (member "items" or "tasks"), comma-separated. */
static char *
ids_of(const struct resp *r, const char *member, char *dst, size_t len)
{
	json_object	*a = pu_get(r->json, member);
	size_t		 i, n, o = 0;

	dst[0] = '\0';
	cr_assert(a != NULL && json_object_is_type(a, json_type_array),
	    "no %s array in %s", member, r->body);
	n = json_object_array_length(a);
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(dst + o, len - o, "%s%s", i ? "," : "",
		    pu_str(json_object_array_get_idx(a, i), "id"));
	return dst;
}

/* GET path as u, asserts 200, returns the ids of its items. */
static char *
list_ids(const struct pu_user *u, const char *path, char *dst, size_t len, long *total)
{
	struct resp r;

	pu_call(&r, u, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
	ids_of(&r, "items", dst, len);
	if (total != NULL)
		*total = pu_int(r.json, "total");
	resp_free(&r);
	return dst;
}

/* A digest of every task row of owner: proves that nothing changed. */
static char *
snapshot(const char *owner, char dst[64])
{
	return pu_sql(dst, 64, "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t.id)), "
	    "'none') FROM tasks t WHERE owner_id = '%s'", owner);
}

/* One task column as text ("" for NULL). */
static char *
col(const char *id, const char *column, char *dst, size_t len)
{
	return pu_sql(dst, len, "SELECT coalesce(%s::text, '') FROM tasks WHERE id = '%s'",
	    column, id);
}

static void
expect_status(const struct resp *r, long status, const char *what)
{
	cr_expect_eq(r->status, status, "%s: status %ld, want %ld: %s", what, r->status,
	    status, r->body);
}

/* ------------------------------------------------------------ single task */

Test(tasks, create_get_etag_304_head_and_404)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], path[128], loc[128], v[64];

	pu_call(&r, a, "POST", "/api/v1/tasks",
	    "{\"title\":\"Write the report\",\"description\":\"for Q3\",\"status\":\"ready\","
	    "\"priority\":\"p1\",\"due_at\":\"2026-12-01T10:00:30.75+02:00\","
	    "\"tags\":[\"work\",\"Urgent\"],\"estimate_points\":2.5}", NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	snprintf(id, sizeof(id), "%s", pu_str(r.json, "id"));
	tpath(path, sizeof(path), id, NULL);
	snprintf(loc, sizeof(loc), "%s", path);
	cr_expect_str_eq(pu_hdr(&r, "Location") ? pu_hdr(&r, "Location") : "", loc);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"1\"");
	cr_expect_str_eq(pu_str(r.json, "title"), "Write the report");
	cr_expect_str_eq(pu_str(r.json, "description"), "for Q3");
	cr_expect_str_eq(pu_str(r.json, "status"), "ready");
	cr_expect_str_eq(pu_str(r.json, "priority"), "p1");
	/* converted to UTC, fraction truncated */
	cr_expect_str_eq(pu_str(r.json, "due_at"), "2026-12-01T08:00:30Z");
	cr_expect_str_eq(pu_raw(r.json, "tags"), "[\"work\",\"Urgent\"]");
	cr_expect_str_eq(pu_raw(r.json, "estimate_points"), "2.5");
	cr_expect(pu_isnull(r.json, "project_id"));
	cr_expect(pu_isnull(r.json, "sprint_id"));
	cr_expect(pu_isnull(r.json, "completed_at"));
	cr_expect_str_eq(pu_str(r.json, "owner_id"), a->id);
	cr_expect_eq(pu_int(r.json, "version"), 1);
	cr_expect_not_null(pu_str(r.json, "created_at"));
	cr_expect_not_null(pu_str(r.json, "updated_at"));
	resp_free(&r);
	cr_expect_str_eq(col(id, "owner_id", v, sizeof(v)), a->id);
	cr_expect_str_eq(col(id, "estimate_points", v, sizeof(v)), "2.5");

	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	expect_status(&r, 200, "GET");
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"1\"");
	cr_expect_str_eq(pu_str(r.json, "id"), id);
	cr_expect_str_eq(pu_str(r.json, "due_at"), "2026-12-01T08:00:30Z");
	resp_free(&r);
	pu_call(&r, a, "GET", path, NULL, "If-None-Match: \"1\"", NULL);
	expect_status(&r, 304, "If-None-Match current");
	cr_expect_eq(r.body_len, 0);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"1\"");
	resp_free(&r);
	pu_call(&r, a, "GET", path, NULL, "If-None-Match: \"7\", W/\"1\"", NULL);
	expect_status(&r, 304, "If-None-Match list, weak");
	resp_free(&r);
	pu_call(&r, a, "GET", path, NULL, "If-None-Match: \"2\"", NULL);
	expect_status(&r, 200, "If-None-Match stale");
	resp_free(&r);
	pu_call(&r, a, "HEAD", path, NULL, NULL, NULL);
	expect_status(&r, 200, "HEAD");
	cr_expect_eq(r.body_len, 0);
	cr_expect_not_null(pu_hdr(&r, "ETag"));
	resp_free(&r);

	pu_expect_problem(a, "GET", "/api/v1/tasks/" NIL_UUID, NULL, NULL, NULL,
	    404, "not-found");
	pu_expect_problem(a, "GET", "/api/v1/tasks/12345", NULL, NULL, NULL,
	    404, "not-found");
	pu_expect_problem(a, "PATCH", "/api/v1/tasks/not-a-uuid", "{}", NULL,
	    NULL, 404, "not-found");
	pu_expect_problem(NULL, "GET", path, NULL, NULL, NULL, 401, "unauthorized");
}

Test(tasks, create_defaults_and_created_done)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 v[64];

	pu_call(&r, a, "POST", "/api/v1/tasks", "{\"title\":\"Minimal\"}", NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "status"), "new");
	cr_expect_str_eq(pu_str(r.json, "priority"), "p2");
	cr_expect_str_eq(pu_raw(r.json, "tags"), "[]");
	cr_expect(pu_isnull(r.json, "description"));
	cr_expect(pu_isnull(r.json, "due_at"));
	cr_expect(pu_isnull(r.json, "estimate_points"));
	cr_expect(pu_isnull(r.json, "completed_at"));
	resp_free(&r);

	/* any status may be given at creation; done sets completed_at */
	pu_call(&r, a, "POST", "/api/v1/tasks",
	    "{\"title\":\"Born done\",\"status\":\"done\",\"description\":\"\"}", NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "status"), "done");
	cr_expect_not_null(pu_str(r.json, "completed_at"));
	cr_expect_str_eq(pu_str(r.json, "description"), "", "\"\" is kept as \"\"");
	cr_expect_str_eq(col(pu_str(r.json, "id"), "completed_at IS NOT NULL", v, sizeof(v)),
	    "true");
	resp_free(&r);
}

Test(tasks, create_validation_names_each_field)
{
	static const struct {
		const char	*body;
		const char	*field;
	} bad[] = {
		{ "{}", "title" },
		{ "{\"title\":\"\"}", "title" },
		{ "{\"title\":\"  \\t \"}", "title" },
		{ "{\"title\":null}", "title" },
		{ "{\"title\":7}", "title" },
		{ "{\"title\":\"x\",\"description\":5}", "description" },
		{ "{\"title\":\"x\",\"status\":\"open\"}", "status" },
		{ "{\"title\":\"x\",\"status\":null}", "status" },
		{ "{\"title\":\"x\",\"priority\":\"p4\"}", "priority" },
		{ "{\"title\":\"x\",\"priority\":\"high\"}", "priority" },
		{ "{\"title\":\"x\",\"due_at\":\"2026-12-01\"}", "due_at" },
		{ "{\"title\":\"x\",\"due_at\":\"tomorrow\"}", "due_at" },
		{ "{\"title\":\"x\",\"due_at\":\"9999-12-31T23:59:59-14:00\"}", "due_at" },
		{ "{\"title\":\"x\",\"tags\":\"a\"}", "tags" },
		{ "{\"title\":\"x\",\"tags\":null}", "tags" },
		{ "{\"title\":\"x\",\"tags\":[\"a\",\"a\"]}", "tags" },
		{ "{\"title\":\"x\",\"tags\":[\"\"]}", "tags" },
		{ "{\"title\":\"x\",\"tags\":[\" \"]}", "tags[0]" },
		{ "{\"title\":\"x\",\"tags\":[1]}", "tags" },
		{ "{\"title\":\"x\",\"tags\":[\"123456789012345678901234567890123456789012345678901\"]}",
		    "tags" },
		{ "{\"title\":\"x\",\"tags\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\","
		    "\"10\",\"11\",\"12\",\"13\",\"14\",\"15\",\"16\",\"17\",\"18\",\"19\",\"20\","
		    "\"21\"]}", "tags" },
		{ "{\"title\":\"x\",\"estimate_points\":-1}", "estimate_points" },
		{ "{\"title\":\"x\",\"estimate_points\":1000000.5}", "estimate_points" },
		{ "{\"title\":\"x\",\"estimate_points\":\"3\"}", "estimate_points" },
		{ "{\"title\":\"x\",\"project_id\":\"abc\"}", "project_id" },
		{ "{\"title\":\"x\",\"sprint_id\":42}", "sprint_id" },
		{ "{\"title\":\"x\",\"version\":1}", "version" },
		{ "{\"title\":\"x\",\"colour\":\"red\"}", "colour" },
	};
	static const char *const readonly[] = { "id", "owner_id", "created_at", "updated_at",
		"completed_at" };
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 body[10400], before[64], after[64];
	size_t			 i;

	snapshot(a->id, before);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pu_call(&r, a, "POST", "/api/v1/tasks", bad[i].body, NULL, NULL);
		pu_expect_422(&r, bad[i].field, bad[i].body);
		resp_free(&r);
	}
	/* read-only fields: 422 "is read-only" */
	for (i = 0; i < sizeof(readonly) / sizeof(readonly[0]); i++) {
		snprintf(body, sizeof(body), "{\"title\":\"x\",\"%s\":\"%s\"}", readonly[i], NIL_UUID);
		pu_call(&r, a, "POST", "/api/v1/tasks", body, NULL, NULL);
		pu_expect_422(&r, readonly[i], body);
		cr_expect(strstr(r.body, "is read-only") != NULL, "%s", r.body);
		resp_free(&r);
	}
	/* lengths in characters: 500 two-byte characters pass, 501 do not */
	strcpy(body, "{\"title\":\"");
	for (i = 0; i < 500; i++)
		strcat(body, "\xc3\xa9");
	strcat(body, "\"}");
	pu_call(&r, a, "POST", "/api/v1/tasks", body, NULL, NULL);
	expect_status(&r, 201, "500-character title");
	resp_free(&r);
	snapshot(a->id, before);
	memcpy(body + strlen(body) - 2, "x\"}", 4);
	pu_call(&r, a, "POST", "/api/v1/tasks", body, NULL, NULL);
	pu_expect_422(&r, "title", "501 characters");
	resp_free(&r);
	strcpy(body, "{\"title\":\"x\",\"description\":\"");
	memset(body + strlen(body), 'd', 10001);
	strcpy(body + 10001 + strlen("{\"title\":\"x\",\"description\":\""), "\"}");
	pu_call(&r, a, "POST", "/api/v1/tasks", body, NULL, NULL);
	pu_expect_422(&r, "description", "10001-character description");
	resp_free(&r);
	/* every bad field at once: each one named */
	pu_call(&r, a, "POST", "/api/v1/tasks", "{\"title\":\"\",\"status\":\"x\",\"priority\":1,"
	    "\"owner_id\":\"" NIL_UUID "\",\"foo\":true}", NULL, NULL);
	pu_expect_422(&r, "title", "several");
	cr_expect(pu_error_names(&r, "status") && pu_error_names(&r, "priority") &&
	    pu_error_names(&r, "owner_id") && pu_error_names(&r, "foo"), "%s", r.body);
	resp_free(&r);
	/* malformed bodies */
	pu_expect_problem(a, "POST", "/api/v1/tasks", "{\"title\":", NULL, NULL,
	    400, "malformed-request");
	pu_expect_problem(a, "POST", "/api/v1/tasks", "[]", NULL, NULL, 400,
	    "malformed-request");
	{
		const char *h[] = { "Content-Type: text/plain", NULL, NULL };
		char auth[PU_TOKEN_MAX + 32];

		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a->token);
		h[1] = auth;
		cr_assert_eq(h_request("POST", "/api/v1/tasks", "{\"title\":\"x\"}", 13, h, &r), 0);
		h_expect_problem(&r, 415, "unsupported-media-type");
		resp_free(&r);
	}
	cr_expect_str_eq(snapshot(a->id, after), before, "no task was created");
}

Test(tasks, references_must_be_own_and_a_sprint_implies_its_project)
{
	const struct pu_user	*a = pu_alice(), *b = pu_bob();
	struct resp		 r;
	char			 pa[40], pa2[40], sa[40], sa2[40], pb[40], sb[40], id[40];
	char			 body[512], path[128], before[64], after[64];

	project(a, "A1", pa);
	project(a, "A2", pa2);
	sprint(a, pa, sa);
	sprint(a, pa2, sa2);
	project(b, "B1", pb);
	sprint(b, pb, sb);
	snapshot(a->id, before);

	snprintf(body, sizeof(body), "{\"title\":\"x\",\"project_id\":\"%s\"}", pb);
	pu_call(&r, a, "POST", "/api/v1/tasks", body, NULL, NULL);
	pu_expect_422(&r, "project_id", "another user's project");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"title\":\"x\",\"sprint_id\":\"%s\"}", sb);
	pu_call(&r, a, "POST", "/api/v1/tasks", body, NULL, NULL);
	pu_expect_422(&r, "sprint_id", "another user's sprint");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"title\":\"x\",\"project_id\":\"%s\",\"sprint_id\":\"%s\"}",
	    pb, sb);
	pu_call(&r, a, "POST", "/api/v1/tasks", body, NULL, NULL);
	pu_expect_422(&r, "project_id", "both another user's");
	cr_expect(pu_error_names(&r, "sprint_id"), "%s", r.body);
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"title\":\"x\",\"project_id\":\"%s\",\"sprint_id\":\"%s\"}",
	    pa2, sa);
	pu_call(&r, a, "POST", "/api/v1/tasks", body, NULL, NULL);
	pu_expect_422(&r, "sprint_id", "project contradicting the sprint's");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"title\":\"x\",\"project_id\":\"" NIL_UUID "\"}");
	pu_call(&r, a, "POST", "/api/v1/tasks", body, NULL, NULL);
	pu_expect_422(&r, "project_id", "no such project");
	resp_free(&r);
	cr_expect_str_eq(snapshot(a->id, after), before, "nothing created");

	/* a sprint alone brings its project along */
	snprintf(body, sizeof(body), "{\"title\":\"in sprint\",\"sprint_id\":\"%s\"}", sa);
	pu_call(&r, a, "POST", "/api/v1/tasks", body, NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "project_id"), pa);
	cr_expect_str_eq(pu_str(r.json, "sprint_id"), sa);
	snprintf(id, sizeof(id), "%s", pu_str(r.json, "id"));
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"title\":\"x\",\"project_id\":\"%s\",\"sprint_id\":\"%s\"}",
	    pa, sa);
	pu_call(&r, a, "POST", "/api/v1/tasks", body, NULL, NULL);
	expect_status(&r, 201, "matching project and sprint");
	resp_free(&r);

	/* PATCH: the same rules */
	tpath(path, sizeof(path), id, NULL);
	snprintf(body, sizeof(body), "{\"sprint_id\":\"%s\"}", sb);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	pu_expect_422(&r, "sprint_id", "PATCH another user's sprint");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"sprint_id\":\"%s\"}", pa, sa2);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	pu_expect_422(&r, "sprint_id", "PATCH contradicting project");
	resp_free(&r);
	/* moving to the sprint of another project moves the project too */
	snprintf(body, sizeof(body), "{\"sprint_id\":\"%s\"}", sa2);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	expect_status(&r, 200, "PATCH sprint");
	cr_expect_str_eq(pu_str(r.json, "project_id"), pa2);
	resp_free(&r);
	/* another project drops the sprint */
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\"}", pa);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	expect_status(&r, 200, "PATCH project");
	cr_expect_str_eq(pu_str(r.json, "project_id"), pa);
	cr_expect(pu_isnull(r.json, "sprint_id"), "%s", r.body);
	resp_free(&r);
}

Test(tasks, patch_changes_only_what_is_sent_and_null_clears)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], path[128], v[64], upd[64];

	task(a, "{\"title\":\"Patch me\",\"description\":\"d\",\"priority\":\"p0\","
	    "\"due_at\":\"2026-12-01T10:00:00Z\",\"tags\":[\"a\"],\"estimate_points\":3}", id);
	tpath(path, sizeof(path), id, NULL);
	pu_sql(upd, sizeof(upd), "UPDATE tasks SET updated_at = now() - interval '1 day' "
	    "WHERE id = '%s'", id);
	col(id, "updated_at", upd, sizeof(upd));

	pu_call(&r, a, "PATCH", path, "{\"title\":\"Patched\"}", NULL, NULL);
	expect_status(&r, 200, "PATCH title");
	cr_expect_str_eq(pu_str(r.json, "title"), "Patched");
	cr_expect_str_eq(pu_str(r.json, "description"), "d");
	cr_expect_str_eq(pu_str(r.json, "priority"), "p0");
	cr_expect_str_eq(pu_str(r.json, "due_at"), "2026-12-01T10:00:00Z");
	cr_expect_str_eq(pu_raw(r.json, "tags"), "[\"a\"]");
	cr_expect_str_eq(pu_raw(r.json, "estimate_points"), "3");
	cr_expect_eq(pu_int(r.json, "version"), 2);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"2\"");
	resp_free(&r);
	cr_expect_str_neq(col(id, "updated_at", v, sizeof(v)), upd, "updated_at moves");

	pu_call(&r, a, "PATCH", path, "{\"description\":null,\"due_at\":null,"
	    "\"estimate_points\":null,\"tags\":[]}", NULL, NULL);
	expect_status(&r, 200, "PATCH nulls");
	cr_expect(pu_isnull(r.json, "description"));
	cr_expect(pu_isnull(r.json, "due_at"));
	cr_expect(pu_isnull(r.json, "estimate_points"));
	cr_expect_str_eq(pu_raw(r.json, "tags"), "[]");
	cr_expect_str_eq(pu_str(r.json, "title"), "Patched");
	cr_expect_eq(pu_int(r.json, "version"), 3);
	resp_free(&r);
	cr_expect_str_eq(col(id, "due_at", v, sizeof(v)), "");

	/* an empty PATCH is a write too */
	pu_call(&r, a, "PATCH", path, "{}", NULL, NULL);
	expect_status(&r, 200, "PATCH {}");
	cr_expect_eq(pu_int(r.json, "version"), 4);
	resp_free(&r);

	/* non-nullable fields, read-only and unknown fields */
	pu_call(&r, a, "PATCH", path, "{\"title\":null}", NULL, NULL);
	pu_expect_422(&r, "title", "title null");
	resp_free(&r);
	pu_call(&r, a, "PATCH", path, "{\"priority\":null,\"status\":null}", NULL, NULL);
	pu_expect_422(&r, "priority", "priority null");
	cr_expect(pu_error_names(&r, "status"));
	resp_free(&r);
	pu_call(&r, a, "PATCH", path, "{\"completed_at\":\"2026-01-01T00:00:00Z\","
	    "\"owner_id\":\"" NIL_UUID "\",\"version\":\"4\",\"x\":1}", NULL, NULL);
	pu_expect_422(&r, "completed_at", "read-only in PATCH");
	cr_expect(pu_error_names(&r, "owner_id") && pu_error_names(&r, "version") &&
	    pu_error_names(&r, "x"), "%s", r.body);
	resp_free(&r);
	pu_expect_problem(a, "PATCH", path, NULL, NULL, NULL, 400, "malformed-request");
	cr_expect_str_eq(col(id, "version", v, sizeof(v)), "4", "failed PATCHes write nothing");
}

/* The transition table of API.md section 3. */
static const char *const allowed[][2] = {
	{ "new", "ready" }, { "new", "in_progress" }, { "new", "dropped" },
	{ "ready", "in_progress" }, { "ready", "dropped" },
	{ "in_progress", "blocked" }, { "in_progress", "review" },
	{ "in_progress", "done" }, { "in_progress", "dropped" },
	{ "blocked", "in_progress" }, { "blocked", "dropped" },
	{ "review", "in_progress" }, { "review", "done" }, { "review", "dropped" },
	{ "done", "ready" }, { "dropped", "ready" },
};

static const char *const statuses[] = { "new", "ready", "in_progress", "blocked",
	"review", "done", "dropped" };

static bool
is_allowed(const char *from, const char *to)
{
	size_t i;

	if (strcmp(from, to) == 0)
		return true;
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcmp(allowed[i][0], from) == 0 && strcmp(allowed[i][1], to) == 0)
			return true;
	return false;
}

Test(tasks, every_allowed_transition_and_completed_at)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], body[128], path[128], v[64];
	size_t			 i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		const char *from = allowed[i][0], *to = allowed[i][1];

		snprintf(body, sizeof(body), "{\"title\":\"t %s\",\"status\":\"%s\"}", from, from);
		task(a, body, id);
		tpath(path, sizeof(path), id, "/status");
		snprintf(body, sizeof(body), "{\"status\":\"%s\"}", to);
		pu_call(&r, a, "POST", path, body, NULL, NULL);
		cr_expect_eq(r.status, 200, "%s -> %s: %ld %s", from, to, r.status, r.body);
		cr_expect_str_eq(pu_str(r.json, "status") ? pu_str(r.json, "status") : "", to);
		cr_expect_eq(pu_int(r.json, "version"), 2);
		cr_expect_not_null(pu_hdr(&r, "ETag"));
		if (strcmp(to, "done") == 0)
			cr_expect_not_null(pu_str(r.json, "completed_at"), "%s -> done", from);
		else
			cr_expect(pu_isnull(r.json, "completed_at"), "%s -> %s", from, to);
		resp_free(&r);
		cr_expect_str_eq(col(id, "status", v, sizeof(v)), to);
	}
	/* staying put is allowed (and still a write) */
	task(a, "{\"title\":\"stay\",\"status\":\"blocked\"}", id);
	tpath(path, sizeof(path), id, "/status");
	pu_call(&r, a, "POST", path, "{\"status\":\"blocked\"}", NULL, NULL);
	expect_status(&r, 200, "blocked -> blocked");
	cr_expect_eq(pu_int(r.json, "version"), 2);
	resp_free(&r);
	/* the same table through PATCH */
	tpath(path, sizeof(path), id, NULL);
	pu_call(&r, a, "PATCH", path, "{\"status\":\"in_progress\",\"title\":\"moving\"}", NULL, NULL);
	expect_status(&r, 200, "PATCH blocked -> in_progress");
	resp_free(&r);
	pu_call(&r, a, "PATCH", path, "{\"status\":\"done\"}", NULL, NULL);
	expect_status(&r, 200, "PATCH in_progress -> done");
	cr_expect_not_null(pu_str(r.json, "completed_at"));
	resp_free(&r);
	cr_expect_str_eq(col(id, "completed_at IS NOT NULL", v, sizeof(v)), "true");
	pu_call(&r, a, "PATCH", path, "{\"status\":\"ready\"}", NULL, NULL);
	expect_status(&r, 200, "PATCH done -> ready (reopen)");
	cr_expect(pu_isnull(r.json, "completed_at"));
	resp_free(&r);
	cr_expect_str_eq(col(id, "completed_at", v, sizeof(v)), "", "cleared when reopened");
}

Test(tasks, forbidden_transitions_are_409_and_change_nothing)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], body[128], path[128], before[64], after[64];
	size_t			 f, t;
	int			 n = 0;

	/* every forbidden pair from three sources, and a sample of the rest */
	for (f = 0; f < 7; f++)
		for (t = 0; t < 7; t++) {
			const char *from = statuses[f], *to = statuses[t];

			if (is_allowed(from, to) || (f % 3 != 0 && (f + t) % 4 != 0))
				continue;
			snprintf(body, sizeof(body), "{\"title\":\"f\",\"status\":\"%s\"}", from);
			task(a, body, id);
			snapshot(a->id, before);
			tpath(path, sizeof(path), id, "/status");
			snprintf(body, sizeof(body), "{\"status\":\"%s\"}", to);
			pu_call(&r, a, "POST", path, body, NULL, NULL);
			cr_expect_eq(r.status, 409, "%s -> %s: %ld %s", from, to, r.status, r.body);
			h_expect_problem(&r, 409, "invalid-transition");
			resp_free(&r);
			/* PATCH follows the same table */
			tpath(path, sizeof(path), id, NULL);
			pu_expect_problem(a, "PATCH", path, body, NULL, NULL,
			    409, "invalid-transition");
			cr_expect_str_eq(snapshot(a->id, after), before, "%s -> %s wrote", from, to);
			n++;
		}
	cr_expect_geq(n, 10, "sampled %d forbidden transitions", n);
	/* body rules of /status */
	tpath(path, sizeof(path), id, "/status");
	pu_call(&r, a, "POST", path, "{}", NULL, NULL);
	pu_expect_422(&r, "status", "status missing");
	resp_free(&r);
	pu_call(&r, a, "POST", path, "{\"status\":\"finished\"}", NULL, NULL);
	pu_expect_422(&r, "status", "unknown status");
	resp_free(&r);
	pu_call(&r, a, "POST", path, "{\"status\":\"new\",\"title\":\"x\"}", NULL, NULL);
	pu_expect_422(&r, "title", "other fields");
	resp_free(&r);
}

Test(tasks, complete_toggles)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], path[128], v[64];
	size_t			 i;

	/* from every open status straight to done, whatever the table says */
	for (i = 0; i < 5; i++) {
		char body[128];

		snprintf(body, sizeof(body), "{\"title\":\"c\",\"status\":\"%s\"}", statuses[i]);
		task(a, body, id);
		tpath(path, sizeof(path), id, "/complete");
		pu_call(&r, a, "POST", path, NULL, NULL, NULL);
		cr_expect_eq(r.status, 200, "%s: %s", statuses[i], r.body);
		cr_expect_str_eq(pu_str(r.json, "status") ? pu_str(r.json, "status") : "", "done");
		cr_expect_not_null(pu_str(r.json, "completed_at"));
		resp_free(&r);
	}
	/* done -> ready, with a body carrying the version */
	pu_call(&r, a, "POST", path, "{\"version\":2}", NULL, NULL);
	expect_status(&r, 200, "done -> ready");
	cr_expect_str_eq(pu_str(r.json, "status"), "ready");
	cr_expect(pu_isnull(r.json, "completed_at"));
	resp_free(&r);
	cr_expect_str_eq(col(id, "completed_at", v, sizeof(v)), "");
	pu_call(&r, a, "POST", path, "{\"status\":\"done\"}", NULL, NULL);
	pu_expect_422(&r, "status", "complete takes only version");
	resp_free(&r);
	/* dropped: 409 */
	task(a, "{\"title\":\"d\",\"status\":\"dropped\"}", id);
	tpath(path, sizeof(path), id, "/complete");
	pu_expect_problem(a, "POST", path, NULL, NULL, NULL, 409, "invalid-transition");
	cr_expect_str_eq(col(id, "status || version", v, sizeof(v)), "dropped1");
}

Test(tasks, assign_project_and_sprint)
{
	const struct pu_user	*a = pu_alice(), *b = pu_bob();
	struct resp		 r;
	char			 p1[40], p2[40], s1[40], s2[40], pb[40], id[40], path[128], body[256];

	project(a, "P1", p1);
	project(a, "P2", p2);
	sprint(a, p1, s1);
	sprint(a, p2, s2);
	project(b, "PB", pb);
	task(a, "{\"title\":\"assign me\"}", id);

	tpath(path, sizeof(path), id, "/assign-sprint");
	snprintf(body, sizeof(body), "{\"sprint_id\":\"%s\"}", s1);
	pu_call(&r, a, "POST", path, body, NULL, NULL);
	expect_status(&r, 200, "assign-sprint");
	cr_expect_str_eq(pu_str(r.json, "sprint_id"), s1);
	cr_expect_str_eq(pu_str(r.json, "project_id"), p1, "the sprint's project");
	resp_free(&r);
	/* the same project again still clears the sprint */
	tpath(path, sizeof(path), id, "/assign-project");
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\"}", p1);
	pu_call(&r, a, "POST", path, body, NULL, NULL);
	expect_status(&r, 200, "assign-project same");
	cr_expect_str_eq(pu_str(r.json, "project_id"), p1);
	cr_expect(pu_isnull(r.json, "sprint_id"), "%s", r.body);
	resp_free(&r);
	tpath(path, sizeof(path), id, "/assign-sprint");
	snprintf(body, sizeof(body), "{\"sprint_id\":\"%s\"}", s2);
	pu_call(&r, a, "POST", path, body, NULL, NULL);
	expect_status(&r, 200, "assign-sprint other project");
	cr_expect_str_eq(pu_str(r.json, "project_id"), p2);
	resp_free(&r);
	/* sprint null: unassigns the sprint only */
	pu_call(&r, a, "POST", path, "{\"sprint_id\":null}", NULL, NULL);
	expect_status(&r, 200, "assign-sprint null");
	cr_expect(pu_isnull(r.json, "sprint_id"));
	cr_expect_str_eq(pu_str(r.json, "project_id"), p2);
	resp_free(&r);
	/* project null: unassigns both */
	pu_call(&r, a, "POST", path, body, NULL, NULL);
	resp_free(&r);
	tpath(path, sizeof(path), id, "/assign-project");
	pu_call(&r, a, "POST", path, "{\"project_id\":null}", NULL, NULL);
	expect_status(&r, 200, "assign-project null");
	cr_expect(pu_isnull(r.json, "project_id"));
	cr_expect(pu_isnull(r.json, "sprint_id"));
	cr_expect_eq(pu_int(r.json, "version"), 7);
	resp_free(&r);
	/* errors */
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\"}", pb);
	pu_call(&r, a, "POST", path, body, NULL, NULL);
	pu_expect_422(&r, "project_id", "another user's project");
	resp_free(&r);
	pu_call(&r, a, "POST", path, "{}", NULL, NULL);
	pu_expect_422(&r, "project_id", "project_id missing");
	resp_free(&r);
	tpath(path, sizeof(path), id, "/assign-sprint");
	pu_call(&r, a, "POST", path, "{\"sprint_id\":\"" NIL_UUID "\"}", NULL, NULL);
	pu_expect_422(&r, "sprint_id", "no such sprint");
	resp_free(&r);
	pu_call(&r, a, "POST", path, "{\"sprint_id\":\"x\",\"project_id\":null}", NULL, NULL);
	pu_expect_422(&r, "sprint_id", "bad sprint_id");
	cr_expect(pu_error_names(&r, "project_id"), "unknown field named: %s", r.body);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", id), 7);
}

Test(tasks, delete_and_if_match)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], path[128];

	task(a, "{\"title\":\"delete me\"}", id);
	tpath(path, sizeof(path), id, NULL);
	pu_expect_problem(a, "DELETE", path, NULL, "If-Match: \"2\"", NULL, 412,
	    "precondition-failed");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE id = '%s'", id), 1);
	pu_call(&r, a, "DELETE", path, NULL, "If-Match: \"1\"", NULL);
	expect_status(&r, 204, "DELETE");
	cr_expect_eq(r.body_len, 0);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE id = '%s'", id), 0);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(a, "DELETE", path, NULL, NULL, NULL, 404, "not-found");
}

Test(tasks, preconditions_412_and_version_conflict_409)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], path[128], spath[128];

	task(a, "{\"title\":\"etag\"}", id);
	tpath(path, sizeof(path), id, NULL);
	tpath(spath, sizeof(spath), id, "/status");
	pu_call(&r, a, "PATCH", path, "{\"title\":\"v2\"}", "If-Match: \"1\"", NULL);
	expect_status(&r, 200, "If-Match current");
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"2\"");
	resp_free(&r);
	pu_expect_problem(a, "PATCH", path, "{\"title\":\"stale\"}",
	    "If-Match: \"1\"", NULL, 412, "precondition-failed");
	pu_expect_problem(a, "PATCH", path, "{\"title\":\"stale\"}",
	    "If-Match: \"99999999999\"", NULL, 412, "precondition-failed");
	pu_expect_problem(a, "PATCH", path, "{\"title\":\"weak\"}",
	    "If-Match: W/\"2\"", NULL, 412, "precondition-failed");
	pu_expect_problem(a, "POST", spath, "{\"status\":\"ready\"}",
	    "If-Match: \"1\"", NULL, 412, "precondition-failed");
	pu_expect_problem(a, "PATCH", path,
	    "{\"title\":\"stale\",\"version\":1}", NULL, NULL, 409, "version-conflict");
	/* If-Match checked first (412 before 409) */
	pu_expect_problem(a, "PATCH", path, "{\"version\":1}",
	    "If-Match: \"1\"", NULL, 412, "precondition-failed");
	pu_expect_problem(a, "PATCH", path, "{\"version\":1}",
	    "If-Match: \"2\"", NULL, 409, "version-conflict");
	/* a stale version wins over an invalid transition */
	pu_expect_problem(a, "POST", spath,
	    "{\"status\":\"done\",\"version\":1}", NULL, NULL, 409, "version-conflict");
	cr_expect_eq(pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", id), 2);
	pu_call(&r, a, "POST", spath, "{\"status\":\"ready\",\"version\":2}", "If-Match: *", NULL);
	expect_status(&r, 200, "version and If-Match *");
	cr_expect_eq(pu_int(r.json, "version"), 3);
	resp_free(&r);
	tpath(spath, sizeof(spath), id, "/complete");
	pu_expect_problem(a, "POST", spath, NULL, "If-Match: \"2\"", NULL, 412,
	    "precondition-failed");
	tpath(spath, sizeof(spath), id, "/assign-project");
	pu_expect_problem(a, "POST", spath,
	    "{\"project_id\":null,\"version\":2}", NULL, NULL, 409, "version-conflict");
	cr_expect_eq(pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", id), 3);
}

/* ------------------------------------------------------------------ races */

struct shot {
	pthread_barrier_t	*go;
	const char		*method, *path, *body;
	const char		*hdrs[5];
	struct resp		 r;
	int			 rc;
};

static void *
fire(void *arg)
{
	struct shot *s = arg;

	pthread_barrier_wait(s->go);
	s->rc = h_request(s->method, s->path, s->body, strlen(s->body), s->hdrs, &s->r);
	return NULL;
}

/* Sends the same request from two threads at once. */
static void
race(struct shot s[2], const struct pu_user *u, const char *method,
    const char *path, const char *body, const char *h)
{
	static char		 auth[PU_TOKEN_MAX + 32];
	pthread_barrier_t	 go;
	pthread_t		 th[2];
	int			 i;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", u->token);
	pthread_barrier_init(&go, NULL, 2);
	for (i = 0; i < 2; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].go = &go;
		s[i].method = method;
		s[i].path = path;
		s[i].body = body;
		s[i].hdrs[0] = "Content-Type: application/json";
		s[i].hdrs[1] = auth;
		s[i].hdrs[2] = h;
		cr_assert_eq(pthread_create(&th[i], NULL, fire, &s[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	cr_assert_eq(s[0].rc, 0);
	cr_assert_eq(s[1].rc, 0);
}

Test(tasks, concurrent_patches_with_one_if_match_give_one_200_one_412)
{
	const struct pu_user	*a = pu_alice();
	struct shot		 s[2];
	char			 id[40], path[128], body[64], h[64];
	int			 round, ok, pre;

	curl_global_init(CURL_GLOBAL_ALL);
	task(a, "{\"title\":\"race\"}", id);
	tpath(path, sizeof(path), id, NULL);
	for (round = 1; round <= 8; round++) {
		snprintf(h, sizeof(h), "If-Match: \"%d\"", round);
		snprintf(body, sizeof(body), "{\"title\":\"round %d\"}", round);
		race(s, a, "PATCH", path, body, h);
		ok = (s[0].r.status == 200) + (s[1].r.status == 200);
		pre = (s[0].r.status == 412) + (s[1].r.status == 412);
		cr_expect(ok == 1 && pre == 1, "round %d: %ld %s / %ld %s", round,
		    s[0].r.status, s[0].r.body, s[1].r.status, s[1].r.body);
		resp_free(&s[0].r);
		resp_free(&s[1].r);
		cr_expect_eq(pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", id),
		    round + 1, "exactly one write in round %d", round);
	}
	curl_global_cleanup();
}

Test(tasks, concurrent_idempotent_creates_make_one_task)
{
	const struct pu_user	*a = pu_alice();
	struct shot		 s[2];
	struct resp		 r;
	char			 key[128], h[160], title[96], body[256], other[256];
	int			 round;

	curl_global_init(CURL_GLOBAL_ALL);
	for (round = 0; round < 4; round++) {
		pu_unique(key, sizeof(key), "idem");
		pu_unique(title, sizeof(title), "idem-task");
		snprintf(h, sizeof(h), "Idempotency-Key: %s", key);
		snprintf(body, sizeof(body), "{\"title\":\"%s\",\"tags\":[\"idem\"]}", title);
		race(s, a, "POST", "/api/v1/tasks", body, h);
		cr_expect_eq(s[0].r.status, 201, "%s", s[0].r.body);
		cr_expect_eq(s[1].r.status, 201, "%s", s[1].r.body);
		cr_expect_str_eq(s[0].r.body, s[1].r.body, "both get the same response");
		cr_expect_str_eq(pu_hdr(&s[0].r, "Location") ? pu_hdr(&s[0].r, "Location") : "a",
		    pu_hdr(&s[1].r, "Location") ? pu_hdr(&s[1].r, "Location") : "b");
		cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE title = '%s'", title), 1,
		    "exactly one task created");
		resp_free(&s[0].r);
		resp_free(&s[1].r);
	}
	curl_global_cleanup();

	/* a later repeat replays; another body with the key is 422 */
	pu_call(&r, a, "POST", "/api/v1/tasks", body, h, NULL);
	expect_status(&r, 201, "replay");
	cr_expect_str_eq(pu_str(r.json, "title"), title);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE title = '%s'", title), 1);
	snprintf(other, sizeof(other), "{\"title\":\"%s-other\"}", title);
	pu_expect_problem(a, "POST", "/api/v1/tasks", other, h, NULL, 422,
	    "validation-error");
	pu_expect_problem(a, "POST", "/api/v1/tasks", other,
	    "Idempotency-Key: has space", NULL, 400, "malformed-request");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE title = '%s-other'", title), 0);
}

/* ------------------------------------------------------------------ lists */

Test(tasks, list_filters)
{
	struct pu_user		 u;
	char			 p[40], s[40], t[8][40], body[512], got[1024], want[1024];
	char			 path[1024];
	long			 total;

	pu_user_fresh(&u, NULL);
	project(&u, "LP", p);
	sprint(&u, p, s);
	task(&u, "{\"title\":\"t0\",\"status\":\"new\",\"priority\":\"p0\",\"tags\":[\"red\"],"
	    "\"due_at\":\"2026-03-01T00:00:00Z\"}", t[0]);
	task(&u, "{\"title\":\"t1\",\"status\":\"ready\",\"priority\":\"p1\",\"tags\":[\"Red\"],"
	    "\"due_at\":\"2026-03-02T00:00:00Z\"}", t[1]);
	snprintf(body, sizeof(body), "{\"title\":\"t2\",\"status\":\"done\",\"priority\":\"p2\","
	    "\"project_id\":\"%s\",\"tags\":[\"red\",\"blue\"]}", p);
	task(&u, body, t[2]);
	snprintf(body, sizeof(body), "{\"title\":\"t3\",\"status\":\"blocked\",\"priority\":\"p3\","
	    "\"sprint_id\":\"%s\",\"due_at\":\"2026-03-03T12:00:00Z\"}", s);
	task(&u, body, t[3]);
	task(&u, "{\"title\":\"Zebra crossing\",\"status\":\"new\",\"priority\":\"p2\","
	    "\"due_at\":\"2026-03-04T00:00:00Z\"}", t[4]);
	/* t0, t1 were last changed long ago */
	pu_sql(got, sizeof(got), "UPDATE tasks SET updated_at = '2026-01-01T00:00:00Z' "
	    "WHERE id IN ('%s', '%s')", t[0], t[1]);

#define EXPECT_IDS(query, ...) do {						\
		snprintf(path, sizeof(path), "/api/v1/tasks?sort=title&%s", query);	\
		snprintf(want, sizeof(want), __VA_ARGS__);			\
		list_ids(&u, path, got, sizeof(got), &total);			\
		cr_expect_str_eq(got, want, "%s", query);			\
	} while (0)

	/* sort=title orders "Zebra crossing" first (code points) */
	EXPECT_IDS("status=new", "%s,%s", t[4], t[0]);
	EXPECT_IDS("status=new,done,blocked", "%s,%s,%s,%s", t[4], t[0], t[2], t[3]);
	cr_expect_eq(total, 4);
	EXPECT_IDS("priority=p0,p3", "%s,%s", t[0], t[3]);
	EXPECT_IDS("priority=p2&status=new", "%s", t[4]);
	snprintf(body, sizeof(body), "project_id=%s", p);
	EXPECT_IDS(body, "%s,%s", t[2], t[3]);
	snprintf(body, sizeof(body), "sprint_id=%s", s);
	EXPECT_IDS(body, "%s", t[3]);
	EXPECT_IDS("project_id=" NIL_UUID, "%s", "");
	EXPECT_IDS("tag=red", "%s,%s", t[0], t[2]);
	EXPECT_IDS("tag=Red", "%s", t[1]);
	EXPECT_IDS("tag=blue&status=done", "%s", t[2]);
	/* due_before is exclusive, due_after inclusive; no due date never matches */
	EXPECT_IDS("due_before=2026-03-03T12:00:00Z", "%s,%s", t[0], t[1]);
	EXPECT_IDS("due_after=2026-03-03T12:00:00Z", "%s,%s", t[4], t[3]);
	EXPECT_IDS("due_after=2026-03-02T00:00:00%2B01:00&due_before=2026-03-04T00:00:00Z",
	    "%s,%s", t[1], t[3]);
	EXPECT_IDS("updated_since=2026-06-01T00:00:00Z", "%s,%s,%s", t[4], t[2], t[3]);
	EXPECT_IDS("q=zebra", "%s", t[4]);
	EXPECT_IDS("q=crossings&status=new", "%s", t[4]);
	EXPECT_IDS("q=zebra&status=done", "%s", "");
	cr_expect_eq(total, 0);
	EXPECT_IDS("status=dropped", "%s", "");
#undef EXPECT_IDS
}

Test(tasks, list_bad_parameters_are_400_naming_them)
{
	static const struct {
		const char	*query;
		const char	*param;
	} bad[] = {
		{ "status=open", "status" },
		{ "status=new,,done", "status" },
		{ "status=new,", "status" },
		{ "status=", "status" },
		{ "priority=p9", "priority" },
		{ "priority=high", "priority" },
		{ "project_id=42", "project_id" },
		{ "sprint_id=", "sprint_id" },
		{ "tag=", "tag" },
		{ "tag=123456789012345678901234567890123456789012345678901", "tag" },
		{ "due_before=2026-03-01", "due_before" },
		{ "due_after=yesterday", "due_after" },
		{ "updated_since=2026-13-01T00:00:00Z", "updated_since" },
		{ "q=", "q" },
		{ "sort=name", "sort" },
		{ "sort=rank", "sort" },
		{ "sort=--title", "sort" },
		{ "limit=0", "limit" },
		{ "limit=201", "limit" },
		{ "limit=ten", "limit" },
		{ "offset=-1", "offset" },
		{ "cursor=%%%", "cursor" },
		{ "cursor=bm90IGEgY3Vyc29y", "cursor" },
		{ "cursor=abc&offset=5", "offset" },
		{ "colour=red", "colour" },
		{ "status=new&status=done", "status" },
	};
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 path[256];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/api/v1/tasks?%s", bad[i].query);
		pu_call(&r, a, "GET", path, NULL, NULL, NULL);
		cr_expect_eq(r.status, 400, "%s: %ld %s", bad[i].query, r.status, r.body);
		h_expect_problem(&r, 400, "malformed-request");
		cr_expect(pu_error_names(&r, bad[i].param), "%s: errors[] should name %s: %s",
		    bad[i].query, bad[i].param, r.body);
		resp_free(&r);
	}
	pu_call(&r, a, "GET", "/api/v1/tasks?limit=200", NULL, NULL, NULL);
	expect_status(&r, 200, "limit=200");
	cr_expect_eq(pu_int(r.json, "limit"), 200);
	resp_free(&r);
}

/* The ids of all u's tasks in the order SQL says, for comparison. */
static char *
sql_order(const struct pu_user *u, const char *order, char *dst, size_t len)
{
	return pu_sql(dst, len, "SELECT coalesce(string_agg(id::text, ',' ORDER BY %s), '') "
	    "FROM tasks WHERE owner_id = '%s'", order, u->id);
}

Test(tasks, every_sort_both_ways_with_ties_by_id)
{
	static const struct {
		const char	*sort;
		const char	*order;
	} sorts[] = {
		{ "created_at",	"created_at, id" },
		{ "-created_at", "created_at DESC, id DESC" },
		{ "updated_at",	"updated_at, id" },
		{ "-updated_at", "updated_at DESC, id DESC" },
		{ "due_at",	"due_at ASC NULLS LAST, id" },
		{ "-due_at",	"due_at DESC NULLS LAST, id DESC" },
		{ "priority",	"priority, id" },
		{ "-priority",	"priority DESC, id DESC" },
		{ "title",	"title COLLATE \"C\", id" },
		{ "-title",	"title COLLATE \"C\" DESC, id DESC" },
	};
	struct pu_user	 u;
	char		 id[8][40], got[1024], want[1024], path[1024], dummy[8];
	size_t		 i;

	pu_user_fresh(&u, NULL);
	/* titles in code-point order: "B" < "a" < "b" < "\u00e9" */
	task(&u, "{\"title\":\"b\",\"priority\":\"p1\",\"due_at\":\"2026-05-01T00:00:00Z\"}", id[0]);
	task(&u, "{\"title\":\"B\",\"priority\":\"p1\"}", id[1]);
	task(&u, "{\"title\":\"a\",\"priority\":\"p0\",\"due_at\":\"2026-05-01T00:00:00Z\"}", id[2]);
	task(&u, "{\"title\":\"\xc3\xa9\",\"priority\":\"p3\",\"due_at\":\"2026-04-01T00:00:00Z\"}",
	    id[3]);
	task(&u, "{\"title\":\"a\",\"priority\":\"p1\"}", id[4]);
	task(&u, "{\"title\":\"b\",\"priority\":\"p2\",\"due_at\":\"2026-06-01T00:00:00Z\"}", id[5]);
	/* ties on created_at and updated_at */
	pu_sql(dummy, sizeof(dummy), "UPDATE tasks SET created_at = '2026-01-01T00:00:00Z', "
	    "updated_at = '2026-02-01T00:00:00Z' WHERE owner_id = '%s' AND title IN ('a', 'b')",
	    u.id);

	for (i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++) {
		snprintf(path, sizeof(path), "/api/v1/tasks?sort=%s", sorts[i].sort);
		list_ids(&u, path, got, sizeof(got), NULL);
		cr_expect_str_eq(got, sql_order(&u, sorts[i].order, want, sizeof(want)),
		    "sort=%s", sorts[i].sort);
		/* the same order one row at a time through the cursor */
		{
			struct resp	 r;
			char		 walk[1024] = "", next[600];
			size_t		 o = 0;
			int		 pages = 0;

			snprintf(path, sizeof(path), "/api/v1/tasks?sort=%s&limit=1", sorts[i].sort);
			for (;;) {
				pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
				cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
				ids_of(&r, "items", got, sizeof(got));
				o += (size_t)snprintf(walk + o, sizeof(walk) - o, "%s%s",
				    o ? "," : "", got);
				pages++;
				if (pu_str(r.json, "next_cursor") == NULL) {
					resp_free(&r);
					break;
				}
				snprintf(next, sizeof(next), "%s", pu_str(r.json, "next_cursor"));
				resp_free(&r);
				snprintf(path, sizeof(path), "/api/v1/tasks?sort=%s&limit=1&cursor=%s",
				    sorts[i].sort, next);
				cr_assert_lt(pages, 10);
			}
			cr_expect_str_eq(walk, want, "cursor walk, sort=%s", sorts[i].sort);
		}
	}
	/* default: -created_at */
	list_ids(&u, "/api/v1/tasks", got, sizeof(got), NULL);
	cr_expect_str_eq(got, sql_order(&u, "created_at DESC, id DESC", want, sizeof(want)));
	/* titles compare code points */
	sql_order(&u, "title COLLATE \"C\", id", want, sizeof(want));
	cr_expect(strncmp(want, id[1], 36) == 0, "\"B\" sorts first");
}

Test(tasks, offset_paging_total_and_link)
{
	struct pu_user	 u;
	struct resp	 r;
	char		 id[40], got[1024], all[1024], page[1024], link[1024];
	int		 i;
	long		 total;

	pu_user_fresh(&u, NULL);
	for (i = 0; i < 5; i++)
		task(&u, "{\"title\":\"page\"}", id);
	list_ids(&u, "/api/v1/tasks?limit=200", all, sizeof(all), &total);
	cr_expect_eq(total, 5);

	pu_call(&r, &u, "GET", "/api/v1/tasks?limit=2&offset=2&status=new", NULL, NULL, NULL);
	expect_status(&r, 200, "page 2");
	cr_expect_eq(pu_int(r.json, "total"), 5);
	cr_expect_eq(pu_int(r.json, "limit"), 2);
	cr_expect_eq(pu_int(r.json, "offset"), 2);
	cr_expect_not_null(pu_str(r.json, "next_cursor"), "more rows follow");
	snprintf(link, sizeof(link), "%s", pu_hdr(&r, "Link") ? pu_hdr(&r, "Link") : "");
	cr_expect(strstr(link, "rel=\"next\"") != NULL, "Link: %s", link);
	cr_expect(strstr(link, "status=new") != NULL, "filters kept: %s", link);
	ids_of(&r, "items", page, sizeof(page));
	resp_free(&r);
	cr_expect(strncmp(all + 2 * 37, page, strlen(page)) == 0, "%s in %s", page, all);

	pu_call(&r, &u, "GET", "/api/v1/tasks?limit=2&offset=4", NULL, NULL, NULL);
	cr_expect(pu_isnull(r.json, "next_cursor"), "last page");
	cr_expect_null(pu_hdr(&r, "Link"));
	cr_expect_str_eq(ids_of(&r, "items", got, sizeof(got)), all + 4 * 37);
	resp_free(&r);
	pu_call(&r, &u, "GET", "/api/v1/tasks?offset=10", NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 5, "total past the end");
	cr_expect_str_eq(ids_of(&r, "items", got, sizeof(got)), "");
	resp_free(&r);
}

Test(tasks, cursor_stays_stable_while_rows_are_inserted)
{
	struct pu_user	 u;
	struct resp	 r;
	char		 id[40], before[1024], got[1024], walk[2048], cursor[600], path[4600];
	char		 link[5000], dummy[8], t[400];
	size_t		 o;
	int		 i;

	pu_user_fresh(&u, NULL);
	for (i = 0; i < 7; i++)
		task(&u, "{\"title\":\"cursor\"}", id);
	/* a tie across the page boundary: four rows share created_at */
	pu_sql(dummy, sizeof(dummy), "UPDATE tasks SET created_at = '2026-01-01T00:00:00Z' "
	    "WHERE id IN (SELECT id FROM tasks WHERE owner_id = '%s' ORDER BY id LIMIT 4)", u.id);
	sql_order(&u, "created_at DESC, id DESC", before, sizeof(before));

	pu_call(&r, &u, "GET", "/api/v1/tasks?limit=3", NULL, NULL, NULL);
	expect_status(&r, 200, "page 1");
	ids_of(&r, "items", walk, sizeof(walk));
	snprintf(cursor, sizeof(cursor), "%s", pu_str(r.json, "next_cursor"));
	snprintf(link, sizeof(link), "%s", pu_hdr(&r, "Link") ? pu_hdr(&r, "Link") : "");
	cr_expect(strstr(link, "cursor=") != NULL && strstr(link, "limit=3") != NULL, "%s", link);
	resp_free(&r);
	o = strlen(walk);
	/* three newer tasks arrive: they belong before the cursor */
	for (i = 0; i < 3; i++)
		task(&u, "{\"title\":\"late\"}", id);
	for (;;) {
		snprintf(path, sizeof(path), "/api/v1/tasks?limit=3&cursor=%s", cursor);
		pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		cr_expect_eq(pu_int(r.json, "offset"), 0);
		cr_expect_eq(pu_int(r.json, "total"), 10, "total counts every matching row");
		ids_of(&r, "items", got, sizeof(got));
		o += (size_t)snprintf(walk + o, sizeof(walk) - o, ",%s", got);
		if (pu_str(r.json, "next_cursor") == NULL) {
			resp_free(&r);
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", pu_str(r.json, "next_cursor"));
		resp_free(&r);
	}
	cr_expect_str_eq(walk, before, "no row skipped or repeated");

	/* a cursor belongs to its sort; a tampered one is refused */
	pu_call(&r, &u, "GET", "/api/v1/tasks?limit=3", NULL, NULL, NULL);
	snprintf(cursor, sizeof(cursor), "%s", pu_str(r.json, "next_cursor"));
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/tasks?sort=title&cursor=%s", cursor);
	pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
	h_expect_problem(&r, 400, "malformed-request");
	cr_expect(pu_error_names(&r, "cursor"));
	resp_free(&r);
	cursor[5] = cursor[5] == 'A' ? 'B' : 'A';
	snprintf(path, sizeof(path), "/api/v1/tasks?cursor=%s", cursor);
	pu_expect_problem(&u, "GET", path, NULL, NULL, NULL, 400, "malformed-request");

	/* long titles travel in the cursor (its key) and page correctly */
	memset(t, 'm', 399);
	t[399] = '\0';
	for (i = 0; i < 3; i++) {
		char body[512];

		t[398] = (char)('a' + i);
		snprintf(body, sizeof(body), "{\"title\":\"%s\",\"tags\":[\"long\"]}", t);
		task(&u, body, id);
	}
	pu_sql(before, sizeof(before), "SELECT string_agg(id::text, ',' ORDER BY title COLLATE \"C\", id) "
	    "FROM tasks WHERE owner_id = '%s' AND 'long' = ANY (tags)", u.id);
	snprintf(path, sizeof(path), "/api/v1/tasks?sort=title&tag=long&limit=1");
	walk[0] = '\0';
	o = 0;
	for (i = 0; i < 5; i++) {
		pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		ids_of(&r, "items", got, sizeof(got));
		o += (size_t)snprintf(walk + o, sizeof(walk) - o, "%s%s", o ? "," : "", got);
		if (pu_str(r.json, "next_cursor") == NULL) {
			resp_free(&r);
			break;
		}
		cr_expect_leq(strlen(pu_str(r.json, "next_cursor")), 4399);
		snprintf(path, sizeof(path), "/api/v1/tasks?sort=title&tag=long&limit=1&cursor=%s",
		    pu_str(r.json, "next_cursor"));
		resp_free(&r);
	}
	cr_expect_str_eq(walk, before, "long-title cursor walk");
}

Test(tasks, search_is_ranked_and_takes_any_text)
{
	struct pu_user	 u;
	struct resp	 r;
	char		 t[6][40], got[1024], want[1024], path[1200], cursor[600];
	long		 total;

	pu_user_fresh(&u, NULL);
	task(&u, "{\"title\":\"Other thing\",\"tags\":[\"zebra\"]}", t[1]);
	task(&u, "{\"title\":\"Third\",\"description\":\"there is a zebra in the text\"}", t[2]);
	task(&u, "{\"title\":\"Feed the zebras\",\"description\":\"quarterly\"}", t[0]);
	task(&u, "{\"title\":\"unrelated\",\"description\":\"nothing here\"}", t[3]);
	task(&u, "{\"title\":\"twin giraffe\"}", t[4]);
	task(&u, "{\"title\":\"twin giraffe\"}", t[5]);

	/* title (A) > tags (B) > description (C); stemming: zebras ~ zebra */
	list_ids(&u, "/api/v1/tasks/search?q=zebra", got, sizeof(got), &total);
	snprintf(want, sizeof(want), "%s,%s,%s", t[0], t[1], t[2]);
	cr_expect_str_eq(got, want, "ranked");
	cr_expect_eq(total, 3);
	/* (ts_rank gives a query with "-word" no useful order: compare as a set) */
	list_ids(&u, "/api/v1/tasks/search?q=ZEBRA%20-quarterly", got, sizeof(got), &total);
	cr_expect_eq(total, 2);
	cr_expect(strstr(got, t[1]) != NULL && strstr(got, t[2]) != NULL,
	    "-word excludes, case-insensitive: %s", got);
	list_ids(&u, "/api/v1/tasks/search?q=%22feed%20the%20zebras%22", got, sizeof(got), NULL);
	cr_expect_str_eq(got, t[0], "phrase");
	list_ids(&u, "/api/v1/tasks/search?q=unrelated%20or%20giraffe", got, sizeof(got), &total);
	cr_expect_eq(total, 3);
	/* equal rank: by id */
	list_ids(&u, "/api/v1/tasks/search?q=giraffe", got, sizeof(got), NULL);
	snprintf(want, sizeof(want), "%s,%s", strcmp(t[4], t[5]) < 0 ? t[4] : t[5],
	    strcmp(t[4], t[5]) < 0 ? t[5] : t[4]);
	cr_expect_str_eq(got, want, "ties by id");
	/* user text is never a syntax error */
	list_ids(&u, "/api/v1/tasks/search?q=%26%7C!%3A(*)%27%22%5C", got, sizeof(got), &total);
	cr_expect_eq(total, 0);
	list_ids(&u, "/api/v1/tasks/search?q=the", got, sizeof(got), &total);
	cr_expect_eq(total, 0, "only stop words");
	/* paging with the cursor */
	pu_call(&r, &u, "GET", "/api/v1/tasks/search?q=zebra&limit=2", NULL, NULL, NULL);
	expect_status(&r, 200, "page 1");
	cr_expect_eq(pu_int(r.json, "total"), 3);
	snprintf(cursor, sizeof(cursor), "%s", pu_str(r.json, "next_cursor"));
	cr_expect(strstr(pu_hdr(&r, "Link") ? pu_hdr(&r, "Link") : "", "q=zebra") != NULL);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/tasks/search?q=zebra&limit=2&cursor=%s", cursor);
	list_ids(&u, path, got, sizeof(got), NULL);
	cr_expect_str_eq(got, t[2], "page 2");
	list_ids(&u, "/api/v1/tasks/search?q=zebra&limit=1&offset=1", got, sizeof(got), NULL);
	cr_expect_str_eq(got, t[1], "offset");
	/* errors */
	pu_call(&r, &u, "GET", "/api/v1/tasks/search", NULL, NULL, NULL);
	h_expect_problem(&r, 400, "malformed-request");
	cr_expect(pu_error_names(&r, "q"));
	resp_free(&r);
	pu_expect_problem(&u, "GET", "/api/v1/tasks/search?q=", NULL, NULL,
	    NULL, 400, "malformed-request");
	memset(path, 'x', 260);
	memcpy(path, "/api/v1/tasks/search?q=", 23);
	path[23 + 201] = '\0';
	pu_expect_problem(&u, "GET", path, NULL, NULL, NULL, 400, "malformed-request");
	pu_call(&r, &u, "GET", "/api/v1/tasks/search?q=zebra&status=new", NULL, NULL, NULL);
	h_expect_problem(&r, 400, "malformed-request");
	cr_expect(pu_error_names(&r, "status"));
	resp_free(&r);
}

Test(tasks, high_priority_lists_open_urgent_tasks_most_urgent_first)
{
	struct pu_user	 u;
	char		 t[8][40], got[1024], want[1024];
	long		 total;

	pu_user_fresh(&u, NULL);
	task(&u, "{\"title\":\"p1 soon\",\"priority\":\"p1\",\"due_at\":\"2026-02-01T00:00:00Z\"}", t[0]);
	task(&u, "{\"title\":\"p0 no due\",\"priority\":\"p0\",\"status\":\"blocked\"}", t[1]);
	task(&u, "{\"title\":\"p0 later\",\"priority\":\"p0\",\"due_at\":\"2026-09-01T00:00:00Z\"}", t[2]);
	task(&u, "{\"title\":\"p0 sooner\",\"priority\":\"p0\",\"due_at\":\"2026-03-01T00:00:00Z\","
	    "\"status\":\"review\"}", t[3]);
	task(&u, "{\"title\":\"p1 done\",\"priority\":\"p1\",\"status\":\"done\"}", t[4]);
	task(&u, "{\"title\":\"p0 dropped\",\"priority\":\"p0\",\"status\":\"dropped\"}", t[5]);
	task(&u, "{\"title\":\"p2\",\"priority\":\"p2\",\"due_at\":\"2026-01-01T00:00:00Z\"}", t[6]);
	task(&u, "{\"title\":\"p1 soon too\",\"priority\":\"p1\",\"due_at\":\"2026-02-01T00:00:00Z\"}", t[7]);

	list_ids(&u, "/api/v1/tasks/high-priority", got, sizeof(got), &total);
	snprintf(want, sizeof(want), "%s,%s,%s,%s,%s", t[3], t[2], t[1], t[0], t[7]);
	cr_expect_str_eq(got, want, "priority, due (none last), created_at");
	cr_expect_eq(total, 5);
	list_ids(&u, "/api/v1/tasks/high-priority?limit=2&offset=3", got, sizeof(got), NULL);
	snprintf(want, sizeof(want), "%s,%s", t[0], t[7]);
	cr_expect_str_eq(got, want);
	{
		struct resp	 r;
		char		 path[700], walk[1024] = "";
		size_t		 o = 0;
		int		 pages = 0;

		/* the keyset cursor walks the same order two at a time */
		snprintf(path, sizeof(path), "/api/v1/tasks/high-priority?limit=2");
		for (;;) {
			pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
			cr_assert_eq(r.status, 200, "%s", r.body);
			ids_of(&r, "items", got, sizeof(got));
			o += (size_t)snprintf(walk + o, sizeof(walk) - o, "%s%s", o ? "," : "", got);
			if (pu_str(r.json, "next_cursor") == NULL || ++pages > 5) {
				resp_free(&r);
				break;
			}
			snprintf(path, sizeof(path), "/api/v1/tasks/high-priority?limit=2&cursor=%s",
			    pu_str(r.json, "next_cursor"));
			resp_free(&r);
		}
		snprintf(want, sizeof(want), "%s,%s,%s,%s,%s", t[3], t[2], t[1], t[0], t[7]);
		cr_expect_str_eq(walk, want, "cursor walk");

		pu_expect_problem(&u, "GET",
		    "/api/v1/tasks/high-priority?status=new", NULL, NULL, NULL, 400, "malformed-request");
	}
}

Test(tasks, fixed_paths_are_not_ids)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 allow[64];

	pu_call(&r, a, "GET", "/api/v1/tasks/high-priority", NULL, NULL, NULL);
	expect_status(&r, 200, "high-priority is a list");
	cr_expect_not_null(pu_get(r.json, "items"));
	resp_free(&r);
	pu_call(&r, a, "POST", "/api/v1/tasks/search", "{}", NULL, NULL);
	h_expect_problem(&r, 405, "method-not-allowed");
	snprintf(allow, sizeof(allow), "%s", pu_hdr(&r, "Allow") ? pu_hdr(&r, "Allow") : "");
	cr_expect(strstr(allow, "GET") != NULL && strstr(allow, "PATCH") == NULL, "%s", allow);
	resp_free(&r);
	pu_expect_problem(a, "PUT", "/api/v1/tasks/" NIL_UUID, "{}", NULL, NULL,
	    405, "method-not-allowed");
	pu_expect_problem(a, "GET", "/api/v1/tasks/" NIL_UUID "/status", NULL,
	    NULL, NULL, 405, "method-not-allowed");
}

Test(tasks, readonly_role_reads_but_cannot_write)
{
	struct pu_user	 ro;
	struct resp	 r;
	char		 before[64], after[64], path[128];

	pu_user_fresh(&ro, "readonly");
	snapshot(ro.id, before);
	pu_call(&r, &ro, "GET", "/api/v1/tasks", NULL, NULL, NULL);
	expect_status(&r, 200, "readonly list");
	resp_free(&r);
	pu_call(&r, &ro, "GET", "/api/v1/tasks/search?q=x", NULL, NULL, NULL);
	expect_status(&r, 200, "readonly search");
	resp_free(&r);
	pu_expect_problem(&ro, "POST", "/api/v1/tasks", "{\"title\":\"no\"}",
	    NULL, NULL, 403, "forbidden");
	tpath(path, sizeof(path), NIL_UUID, "/complete");
	pu_expect_problem(&ro, "POST", path, NULL, NULL, NULL, 403, "forbidden");
	cr_expect_str_eq(snapshot(ro.id, after), before);
}

/* Every task route, tried by another user with the owner's ids. */
Test(tasks, another_users_tasks_are_404_everywhere_and_untouched)
{
	static const struct {
		const char	*method;
		const char	*suffix;
		const char	*body;
	} routes[] = {
		{ "GET", "", NULL },
		{ "HEAD", "", NULL },
		{ "PATCH", "", "{\"title\":\"mine now\"}" },
		{ "PATCH", "", "{}" },
		{ "DELETE", "", NULL },
		{ "POST", "/status", "{\"status\":\"ready\"}" },
		{ "POST", "/complete", NULL },
		{ "POST", "/complete", "{\"version\":1}" },
		{ "POST", "/assign-project", "{\"project_id\":null}" },
		{ "POST", "/assign-sprint", "{\"sprint_id\":null}" },
	};
	struct pu_user	 own, other;
	struct resp	 r;
	char		 p[40], s[40], id[40], body[256], path[256], before[64], after[64];
	char		 obefore[64], got[1024];
	size_t		 i;
	long		 total;

	pu_user_fresh(&own, NULL);
	pu_user_fresh(&other, NULL);
	project(&own, "mine", p);
	sprint(&own, p, s);
	snprintf(body, sizeof(body), "{\"title\":\"secret plans\",\"sprint_id\":\"%s\","
	    "\"tags\":[\"secret\"]}", s);
	task(&own, body, id);
	snapshot(own.id, before);
	snapshot(other.id, obefore);

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		tpath(path, sizeof(path), id, routes[i].suffix);
		pu_call(&r, &other, routes[i].method, path, routes[i].body, NULL, NULL);
		cr_expect_eq(r.status, 404, "%s %s: %ld %s", routes[i].method, routes[i].suffix,
		    r.status, r.body);
		if (strcmp(routes[i].method, "HEAD") != 0)
			h_expect_problem(&r, 404, "not-found");
		resp_free(&r);
		/* with preconditions too: still 404, never 412 */
		pu_call(&r, &other, routes[i].method, path, routes[i].body, "If-Match: \"1\"",
		    "If-None-Match: \"1\"");
		cr_expect_eq(r.status, 404, "%s %s with If-*: %ld", routes[i].method,
		    routes[i].suffix, r.status);
		resp_free(&r);
	}
	/* the owner's project and sprint in the other user's bodies: 422 */
	snprintf(body, sizeof(body), "{\"title\":\"x\",\"project_id\":\"%s\"}", p);
	pu_call(&r, &other, "POST", "/api/v1/tasks", body, NULL, NULL);
	pu_expect_422(&r, "project_id", "other's project on create");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"title\":\"x\",\"sprint_id\":\"%s\"}", s);
	pu_call(&r, &other, "POST", "/api/v1/tasks", body, NULL, NULL);
	pu_expect_422(&r, "sprint_id", "other's sprint on create");
	resp_free(&r);
	/* lists, filters and search show nothing of it */
	list_ids(&other, "/api/v1/tasks", got, sizeof(got), &total);
	cr_expect_eq(total, 0);
	snprintf(path, sizeof(path), "/api/v1/tasks?project_id=%s", p);
	list_ids(&other, path, got, sizeof(got), &total);
	cr_expect_eq(total, 0);
	snprintf(path, sizeof(path), "/api/v1/tasks?sprint_id=%s&tag=secret", s);
	list_ids(&other, path, got, sizeof(got), &total);
	cr_expect_eq(total, 0);
	list_ids(&other, "/api/v1/tasks/search?q=secret", got, sizeof(got), &total);
	cr_expect_eq(total, 0);
	list_ids(&other, "/api/v1/tasks/high-priority", got, sizeof(got), &total);
	cr_expect_eq(total, 0);
	/* and the owner still sees it, unchanged */
	cr_expect_str_eq(snapshot(own.id, after), before, "the owner's tasks are unchanged");
	cr_expect_str_eq(snapshot(other.id, after), obefore, "the other user got nothing");
	tpath(path, sizeof(path), id, NULL);
	pu_call(&r, &own, "GET", path, NULL, NULL, NULL);
	expect_status(&r, 200, "owner GET");
	cr_expect_eq(pu_int(r.json, "version"), 1);
	resp_free(&r);
}
