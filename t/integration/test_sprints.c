/*
 * Sprints over real HTTP (API.md section 3): create/get/patch/delete with
 * ETags and preconditions, validation, project ownership, the immutable
 * project_id, the list, the delete that detaches tasks, burndowns against
 * hand-computed values (not started, in progress, last day, finished, no
 * points), and another user's view of every route.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "plan_util.h"

static void
project(const struct pu_user *u, const char *name, char id[40])
{
	char body[256];

	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	pu_create(u, "/api/v1/projects", body, id);
}

static void
sprint(const struct pu_user *u, const char *project_id, const char *name,
    const char *start, const char *end, const char *extra, char id[40])
{
	char body[1024];

	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"name\":\"%s\","
	    "\"start_date\":\"%s\",\"end_date\":\"%s\"%s%s}", project_id, name, start, end,
	    extra ? "," : "", extra ? extra : "");
	pu_create(u, "/api/v1/sprints", body, id);
}

Test(sprints, create_get_defaults_etag)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 pid[40], body[512], id[40], path[128];

	project(a, "sprint-home", pid);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"name\":\"S1\","
	    "\"start_date\":\"2026-02-02\",\"end_date\":\"2026-02-15\"}", pid);
	pu_call(&r, a, "POST", "/api/v1/sprints", body, NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	snprintf(id, sizeof(id), "%s", pu_str(r.json, "id"));
	snprintf(path, sizeof(path), "/api/v1/sprints/%s", id);
	cr_expect_str_eq(pu_hdr(&r, "Location") ? pu_hdr(&r, "Location") : "", path);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"1\"");
	cr_expect_str_eq(pu_str(r.json, "project_id"), pid);
	cr_expect_str_eq(pu_str(r.json, "status"), "planned");
	cr_expect(pu_isnull(r.json, "goal"));
	cr_expect(pu_isnull(r.json, "cadence"));
	cr_expect(pu_isnull(r.json, "velocity_target_points"));
	cr_expect_str_eq(pu_str(r.json, "start_date"), "2026-02-02");
	cr_expect_str_eq(pu_str(r.json, "end_date"), "2026-02-15");
	cr_expect_str_eq(pu_str(r.json, "owner_id"), a->id);
	cr_expect_eq(pu_int(r.json, "version"), 1);
	resp_free(&r);

	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"1\"");
	resp_free(&r);
	pu_call(&r, a, "GET", path, NULL, "If-None-Match: \"1\"", NULL);
	cr_expect_eq(r.status, 304);
	resp_free(&r);

	/* every field; numbers keep their value; a one-day sprint is fine */
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"name\":\"S2\",\"goal\":\"ship\","
	    "\"status\":\"active\",\"cadence\":\"biweekly\",\"start_date\":\"2026-03-01\","
	    "\"end_date\":\"2026-03-01\",\"velocity_target_points\":12.50}", pid);
	pu_call(&r, a, "POST", "/api/v1/sprints", body, NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "goal"), "ship");
	cr_expect_str_eq(pu_str(r.json, "status"), "active");
	cr_expect_str_eq(pu_str(r.json, "cadence"), "biweekly");
	cr_expect_str_eq(pu_raw(r.json, "velocity_target_points"), "12.5");
	resp_free(&r);
}

/* tmpl with "%s" replaced by value (the table is data, not a format). */
static void
subst(char *dst, size_t len, const char *tmpl, const char *value)
{
	const char	*p = strstr(tmpl, "%s");

	if (p == NULL)
		snprintf(dst, len, "%s", tmpl);
	else
		snprintf(dst, len, "%.*s%s%s", (int)(p - tmpl), tmpl, value, p + 2);
}

Test(sprints, create_validation_and_project_ownership)
{
	static const struct {
		const char	*tmpl;		/* %s: alice's project */
		const char	*field;
	} bad[] = {
		{ "{\"name\":\"x\",\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-02\"}", "project_id" },
		{ "{\"project_id\":\"%s\",\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-02\"}", "name" },
		{ "{\"project_id\":\"%s\",\"name\":\" \",\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-02\"}", "name" },
		{ "{\"project_id\":\"%s\",\"name\":\"x\",\"end_date\":\"2026-01-02\"}", "start_date" },
		{ "{\"project_id\":\"%s\",\"name\":\"x\",\"start_date\":\"2026-01-01\"}", "end_date" },
		{ "{\"project_id\":\"%s\",\"name\":\"x\",\"start_date\":\"2026-01-03\",\"end_date\":\"2026-01-02\"}", "end_date" },
		{ "{\"project_id\":\"%s\",\"name\":\"x\",\"start_date\":\"2026-01-01\",\"end_date\":null}", "end_date" },
		{ "{\"project_id\":\"%s\",\"name\":\"x\",\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-02\",\"status\":\"done\"}", "status" },
		{ "{\"project_id\":\"%s\",\"name\":\"x\",\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-02\",\"cadence\":\"daily\"}", "cadence" },
		{ "{\"project_id\":\"%s\",\"name\":\"x\",\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-02\",\"velocity_target_points\":-1}", "velocity_target_points" },
		{ "{\"project_id\":\"%s\",\"name\":\"x\",\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-02\",\"velocity_target_points\":\"5\"}", "velocity_target_points" },
		{ "{\"project_id\":\"%s\",\"name\":\"x\",\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-02\",\"velocity_target_points\":1000001}", "velocity_target_points" },
		{ "{\"project_id\":\"not-a-uuid\",\"name\":\"x\",\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-02\"}", "project_id" },
		{ "{\"project_id\":\"00000000-0000-4000-8000-000000000000\",\"name\":\"x\",\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-02\"}", "project_id" },
		{ "{\"project_id\":\"%s\",\"name\":\"x\",\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-02\",\"version\":1}", "version" },
	};
	const struct pu_user	*a = pu_alice(), *b = pu_bob();
	struct resp		 r;
	char			 pid[40], bpid[40], body[1024];
	size_t			 i;

	project(a, "validation", pid);
	project(b, "bobs", bpid);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		subst(body, sizeof(body), bad[i].tmpl, pid);
		pu_call(&r, a, "POST", "/api/v1/sprints", body, NULL, NULL);
		pu_expect_422(&r, bad[i].field, body);
		resp_free(&r);
	}
	/* bob's project: 422 on project_id, nothing created */
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"name\":\"x\","
	    "\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-02\"}", bpid);
	pu_call(&r, a, "POST", "/api/v1/sprints", body, NULL, NULL);
	pu_expect_422(&r, "project_id", "another user's project");
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM sprints WHERE project_id IN ('%s', '%s')",
	    pid, bpid), 0);
}

Test(sprints, patch_fields_immutable_project_and_preconditions)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 pid[40], p2[40], id[40], path[128], body[256];

	project(a, "patch-home", pid);
	project(a, "patch-away", p2);
	sprint(a, pid, "P", "2026-04-01", "2026-04-14",
	    "\"goal\":\"g\",\"cadence\":\"weekly\",\"velocity_target_points\":3", id);
	snprintf(path, sizeof(path), "/api/v1/sprints/%s", id);

	pu_call(&r, a, "PATCH", path, "{\"name\":\"P2\",\"status\":\"closed\",\"goal\":null,"
	    "\"cadence\":null,\"velocity_target_points\":null}", NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "name"), "P2");
	cr_expect_str_eq(pu_str(r.json, "status"), "closed");
	cr_expect(pu_isnull(r.json, "goal"));
	cr_expect(pu_isnull(r.json, "cadence"));
	cr_expect(pu_isnull(r.json, "velocity_target_points"));
	cr_expect_str_eq(pu_str(r.json, "start_date"), "2026-04-01");
	cr_expect_eq(pu_int(r.json, "version"), 2);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"2\"");
	resp_free(&r);

	/* the project cannot change, not even to itself */
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\"}", p2);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	pu_expect_422(&r, "project_id", "move to another project");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\"}", pid);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	pu_expect_422(&r, "project_id", "same project");
	resp_free(&r);
	/* dates against the stored other date */
	pu_call(&r, a, "PATCH", path, "{\"end_date\":\"2026-03-31\"}", NULL, NULL);
	pu_expect_422(&r, "end_date", "end before stored start");
	resp_free(&r);
	pu_call(&r, a, "PATCH", path, "{\"start_date\":\"2026-04-15\"}", NULL, NULL);
	pu_expect_422(&r, "end_date", "start after stored end");
	resp_free(&r);
	pu_call(&r, a, "PATCH", path, "{\"start_date\":null}", NULL, NULL);
	pu_expect_422(&r, "start_date", "null start");
	resp_free(&r);
	pu_call(&r, a, "PATCH", path, "{\"name\":null}", NULL, NULL);
	pu_expect_422(&r, "name", "null name");
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM sprints WHERE id = '%s' AND project_id = '%s' "
	    "AND version = 2 AND start_date = '2026-04-01'", id, pid), 1, "failed PATCHes changed nothing");

	pu_expect_problem(a, "PATCH", path,
	    "{\"start_date\":\"2026-04-05\",\"end_date\":\"2026-04-30\"}",
	    "If-Match: \"1\"", NULL, 412, "precondition-failed");
	pu_expect_problem(a, "PATCH", path, "{\"version\":1}", NULL, NULL, 409,
	    "version-conflict");
	pu_call(&r, a, "PATCH", path, "{\"start_date\":\"2026-04-05\",\"end_date\":\"2026-04-30\","
	    "\"version\":2}", "If-Match: \"2\"", NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "end_date"), "2026-04-30");
	cr_expect_eq(pu_int(r.json, "version"), 3);
	resp_free(&r);
}

Test(sprints, delete_detaches_tasks_and_lists)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 pid[40], sid[40], other[40], t1[40], t2[40], t3[40], al[40];
	char			 path[128], body[256], v[64];
	long			 v1, v2, v3, alv;

	project(a, "sprint-delete", pid);
	sprint(a, pid, "gone", "2026-05-01", "2026-05-14", NULL, sid);
	sprint(a, pid, "stays", "2026-05-15", "2026-05-28", NULL, other);
	pu_task(a, "t1", "new", "3", NULL, sid, t1);
	pu_task(a, "t2", "done", NULL, NULL, sid, t2);
	pu_task(a, "t3", "new", NULL, NULL, other, t3);
	snprintf(body, sizeof(body), "{\"title\":\"l\",\"sprint_id\":\"%s\"}", sid);
	pu_create(a, "/api/v1/action-lists", body, al);
	v1 = pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", t1);
	v2 = pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", t2);
	v3 = pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", t3);
	alv = pu_sql_long("SELECT version FROM action_lists WHERE id = '%s'", al);

	snprintf(path, sizeof(path), "/api/v1/sprints/%s", sid);
	pu_expect_problem(a, "DELETE", path, NULL, "If-Match: \"7\"", NULL, 412,
	    "precondition-failed");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE sprint_id = '%s'", sid), 2);
	pu_call(&r, a, "DELETE", path, NULL, "If-Match: \"1\"", NULL);
	cr_assert_eq(r.status, 204, "%s", r.body);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM sprints WHERE id = '%s'", sid), 0);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE id IN ('%s', '%s') "
	    "AND sprint_id IS NULL AND project_id = '%s'", t1, t2, pid), 2,
	    "tasks keep the project, lose the sprint");
	cr_expect_eq(pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", t1), v1 + 1);
	cr_expect_eq(pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", t2), v2 + 1);
	pu_sql(v, sizeof(v), "SELECT sprint_id FROM tasks WHERE id = '%s'", t3);
	cr_expect_str_eq(v, other);
	cr_expect_eq(pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", t3), v3);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM action_lists WHERE id = '%s' "
	    "AND sprint_id IS NULL AND project_id = '%s'", al, pid), 1);
	cr_expect_eq(pu_sql_long("SELECT version FROM action_lists WHERE id = '%s'", al), alv + 1);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(a, "DELETE", path, NULL, NULL, NULL, 404, "not-found");
}

static int
ids_of(const struct resp *r, char ids[][40], int max)
{
	json_object	*items = pu_get(r->json, "items");
	int		 i, n;

	cr_assert_not_null(items, "%s", r->body);
	n = (int)json_object_array_length(items);
	for (i = 0; i < n && i < max; i++)
		snprintf(ids[i], 40, "%s", pu_str(json_object_array_get_idx(items, i), "id"));
	return n;
}

Test(sprints, list_filters_sorts_and_cursor)
{
	const struct pu_user	*a = pu_alice(), *b = pu_bob();
	struct resp		 r;
	char			 p1[40], p2[40], s[4][40], got[8][40], path[1200];
	int			 n;

	project(a, "list-1", p1);
	project(a, "list-2", p2);
	sprint(a, p1, "c", "2026-06-15", "2026-06-20", "\"status\":\"active\"", s[0]);
	sprint(a, p1, "a", "2026-06-01", "2026-06-14", NULL, s[1]);
	sprint(a, p1, "b", "2026-06-21", "2026-06-30", "\"status\":\"closed\"", s[2]);
	sprint(a, p2, "z", "2026-01-01", "2026-01-02", NULL, s[3]);

	snprintf(path, sizeof(path), "/api/v1/sprints?project_id=%s", p1);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 3);
	n = ids_of(&r, got, 8);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(got[0], s[2]);		/* -created_at */
	cr_expect_str_eq(got[2], s[0]);
	resp_free(&r);

	snprintf(path, sizeof(path), "/api/v1/sprints?project_id=%s&sort=start_date", p1);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	n = ids_of(&r, got, 8);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(got[0], s[1]);
	cr_expect_str_eq(got[1], s[0]);
	cr_expect_str_eq(got[2], s[2]);
	resp_free(&r);

	/* -start_date by cursor, one per page */
	snprintf(path, sizeof(path), "/api/v1/sprints?project_id=%s&sort=-start_date&limit=1", p1);
	for (int page = 0; page < 3; page++) {
		pu_call(&r, a, "GET", path, NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		cr_assert_eq(ids_of(&r, got, 1), 1);
		cr_expect_str_eq(got[0], s[page == 0 ? 2 : page == 1 ? 0 : 1], "page %d", page);
		cr_expect_eq(pu_int(r.json, "total"), 3);
		if (page == 2) {
			cr_expect(pu_isnull(r.json, "next_cursor"));
		} else {
			cr_assert_not_null(pu_str(r.json, "next_cursor"));
			snprintf(path, sizeof(path), "/api/v1/sprints?project_id=%s&sort=-start_date"
			    "&limit=1&cursor=%s", p1, pu_str(r.json, "next_cursor"));
		}
		resp_free(&r);
	}

	snprintf(path, sizeof(path), "/api/v1/sprints?project_id=%s&status=active,closed&sort=name", p1);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	n = ids_of(&r, got, 8);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(got[0], s[2]);
	cr_expect_str_eq(got[1], s[0]);
	resp_free(&r);

	/* another user's project as a filter matches nothing (no 404) */
	snprintf(path, sizeof(path), "/api/v1/sprints?project_id=%s", p1);
	pu_call(&r, b, "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_eq(pu_int(r.json, "total"), 0);
	cr_expect_eq(ids_of(&r, got, 1), 0);
	resp_free(&r);

	pu_call(&r, a, "GET", "/api/v1/sprints?project_id=nope", NULL, NULL, NULL);
	h_expect_problem(&r, 400, "malformed-request");
	cr_expect(pu_error_names(&r, "project_id"));
	resp_free(&r);
	pu_call(&r, a, "GET", "/api/v1/sprints?status=done", NULL, NULL, NULL);
	h_expect_problem(&r, 400, "malformed-request");
	cr_expect(pu_error_names(&r, "status"));
	resp_free(&r);
	pu_call(&r, a, "GET", "/api/v1/sprints?sprint_id=00000000-0000-4000-8000-000000000000",
	    NULL, NULL, NULL);
	h_expect_problem(&r, 400, "malformed-request");
	cr_expect(pu_error_names(&r, "sprint_id"));
	resp_free(&r);
}

/* Checks every burndown member of the sprint against the expected texts. */
static void
expect_burndown(const struct pu_user *u, const char *sid, const char *what,
    const char *total, const char *completed, const char *remaining, long days_total,
    long elapsed, long days_remaining, const char *ideal, const char *actual, bool on_track)
{
	struct resp	 r;
	char		 path[128];
	json_object	*v;

	snprintf(path, sizeof(path), "/api/v1/sprints/%s/burndown", sid);
	pu_call(&r, u, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s: %s", what, r.body);
	cr_expect_str_eq(pu_raw(r.json, "total_points"), total, "%s: %s", what, r.body);
	cr_expect_str_eq(pu_raw(r.json, "completed_points"), completed, "%s: %s", what, r.body);
	cr_expect_str_eq(pu_raw(r.json, "remaining_points"), remaining, "%s: %s", what, r.body);
	cr_expect_eq(pu_int(r.json, "days_total"), days_total, "%s: %s", what, r.body);
	cr_expect_eq(pu_int(r.json, "days_elapsed"), elapsed, "%s: %s", what, r.body);
	cr_expect_eq(pu_int(r.json, "days_remaining"), days_remaining, "%s: %s", what, r.body);
	cr_expect_str_eq(pu_raw(r.json, "ideal_burndown_rate"), ideal, "%s: %s", what, r.body);
	cr_expect_str_eq(pu_raw(r.json, "actual_burndown_rate"), actual, "%s: %s", what, r.body);
	cr_expect(json_object_object_get_ex(r.json, "on_track", &v) &&
	    json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v) == on_track, "%s: on_track: %s", what, r.body);
	cr_expect_null(pu_hdr(&r, "ETag"));
	cr_expect_eq(json_object_object_length(r.json), 9, "%s: exactly the nine members", what);
	resp_free(&r);
}

/*
 * Hand-computed burndowns.  T is today (UTC).  days_total = end - start
 * + 1; days_elapsed = today - start clamped to [0, days_total]; ideal =
 * total / days_total; actual = completed / days_elapsed (0 at 0 days);
 * on_track = completed >= ideal * days_elapsed on exact values.
 */
Test(sprints, burndown_by_hand)
{
	const struct pu_user	*a = pu_alice();
	char			 pid[40], sid[40], tid[40], d1[11], d2[11];

	project(a, "burndown", pid);

	/* not started: T+3 .. T+12.  3 + 5 + null + 2 done (+ 8 dropped, left out) */
	pu_date(3, d1);
	pu_date(12, d2);
	sprint(a, pid, "future", d1, d2, NULL, sid);
	pu_task(a, "a", "new", "3", NULL, sid, tid);
	pu_task(a, "b", "in_progress", "5", NULL, sid, tid);
	pu_task(a, "c", "ready", NULL, NULL, sid, tid);
	pu_task(a, "d", "done", "2", NULL, sid, tid);
	pu_task(a, "e", "dropped", "8", NULL, sid, tid);
	/* 10 points over 10 days: 1.00 a day; nothing elapsed: on track */
	expect_burndown(a, sid, "not started", "10", "2", "8", 10, 0, 10, "1.00", "0.00", true);

	/* in progress, ahead: T-6 .. T+7 (14 days, 6 over).  40 points, 18 done */
	pu_date(-6, d1);
	pu_date(7, d2);
	sprint(a, pid, "ahead", d1, d2, NULL, sid);
	pu_task(a, "a", "done", "10", NULL, sid, tid);
	pu_task(a, "b", "done", "8", NULL, sid, tid);
	pu_task(a, "c", "review", "13", NULL, sid, tid);
	pu_task(a, "d", "blocked", "9", NULL, sid, tid);
	pu_task(a, "e", "dropped", "5", NULL, sid, tid);
	/* ideal 40/14 = 2.857 -> 2.86; actual 18/6 = 3.00; 18 >= 2.857 * 6 = 17.14 */
	expect_burndown(a, sid, "ahead", "40", "18", "22", 14, 6, 8, "2.86", "3.00", true);

	/* the same, one point behind: 17 < 17.14 */
	sprint(a, pid, "behind", d1, d2, NULL, sid);
	pu_task(a, "a", "done", "10", NULL, sid, tid);
	pu_task(a, "b", "done", "7", NULL, sid, tid);
	pu_task(a, "c", "in_progress", "14", NULL, sid, tid);
	pu_task(a, "d", "new", "9", NULL, sid, tid);
	/* actual 17/6 = 2.833 -> 2.83 */
	expect_burndown(a, sid, "behind", "40", "17", "23", 14, 6, 8, "2.86", "2.83", false);

	/*
	 * last day: T-2 .. T (3 days, 2 over, 1 left).  10 points, 6.663 done.
	 * ideal 10/3 = 3.333 -> 3.33; actual 6.663/2 = 3.3315 -> 3.33.  On the
	 * rounded ideal 6.663 >= 3.33 * 2 = 6.66 would hold; on exact values
	 * 6.663 < 6.667: not on track.
	 */
	pu_date(-2, d1);
	pu_date(0, d2);
	sprint(a, pid, "last day", d1, d2, NULL, sid);
	pu_task(a, "a", "done", "6.663", NULL, sid, tid);
	pu_task(a, "b", "review", "3.337", NULL, sid, tid);
	expect_burndown(a, sid, "last day", "10", "6.663", "3.337", 3, 2, 1, "3.33", "3.33", false);

	/* finished: T-20 .. T-11 (10 days, all over, 0 left).  7.5 points, 5 done */
	pu_date(-20, d1);
	pu_date(-11, d2);
	sprint(a, pid, "finished", d1, d2, NULL, sid);
	pu_task(a, "a", "done", "5", NULL, sid, tid);
	pu_task(a, "b", "blocked", "2.5", NULL, sid, tid);
	/* ideal 0.75; actual 5/10 = 0.50; 5 < 0.75 * 10 = 7.5 */
	expect_burndown(a, sid, "finished", "7.5", "5", "2.5", 10, 10, 0, "0.75", "0.50", false);
	/* finished with everything done: on track */
	sprint(a, pid, "finished done", d1, d2, NULL, sid);
	pu_task(a, "a", "done", "4", NULL, sid, tid);
	expect_burndown(a, sid, "finished, all done", "4", "4", "0", 10, 10, 0, "0.40", "0.40", true);

	/* no points: T-1 .. T+1, tasks without estimates */
	pu_date(-1, d1);
	pu_date(1, d2);
	sprint(a, pid, "no points", d1, d2, NULL, sid);
	pu_task(a, "a", "done", NULL, NULL, sid, tid);
	pu_task(a, "b", "new", NULL, NULL, sid, tid);
	expect_burndown(a, sid, "no points", "0", "0", "0", 3, 1, 2, "0.00", "0.00", true);

	/* first day, no tasks at all: T .. T+4 */
	pu_date(0, d1);
	pu_date(4, d2);
	sprint(a, pid, "first day", d1, d2, NULL, sid);
	expect_burndown(a, sid, "first day", "0", "0", "0", 5, 0, 5, "0.00", "0.00", true);

	/* rounding half away from zero: 1 point over 8 days = 0.125 -> 0.13 */
	pu_date(1, d1);
	pu_date(8, d2);
	sprint(a, pid, "rounding", d1, d2, NULL, sid);
	pu_task(a, "a", "new", "1", NULL, sid, tid);
	expect_burndown(a, sid, "rounding", "1", "0", "1", 8, 0, 8, "0.13", "0.00", true);
}

Test(sprints, isolation_matrix)
{
	const struct pu_user	*a = pu_alice(), *b = pu_bob();
	struct resp		 r;
	char			 pid[40], sid[40], path[160], body[256], before[1024], after[1024];

	project(a, "iso", pid);
	sprint(a, pid, "alice-sprint", "2026-07-01", "2026-07-14", "\"goal\":\"secret\"", sid);
	pu_sql(before, sizeof(before), "SELECT row(s.*)::text FROM sprints s WHERE id = '%s'", sid);

	snprintf(path, sizeof(path), "/api/v1/sprints/%s", sid);
	pu_call(&r, b, "GET", path, NULL, NULL, NULL);
	h_expect_problem(&r, 404, "not-found");
	cr_expect(strstr(r.body, "secret") == NULL);
	resp_free(&r);
	pu_expect_problem(b, "PATCH", path, "{\"name\":\"mine\"}", NULL, NULL,
	    404, "not-found");
	pu_expect_problem(b, "PATCH", path, "{\"name\":\"mine\",\"version\":1}",
	    "If-Match: \"1\"", NULL, 404, "not-found");
	pu_expect_problem(b, "DELETE", path, NULL, NULL, NULL, 404, "not-found");
	snprintf(path, sizeof(path), "/api/v1/sprints/%s/burndown", sid);
	pu_expect_problem(b, "GET", path, NULL, NULL, NULL, 404, "not-found");
	pu_call(&r, b, "GET", "/api/v1/sprints?limit=200", NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, sid) == NULL);
	resp_free(&r);
	/* bodies naming alice's sprint */
	snprintf(body, sizeof(body), "{\"title\":\"x\",\"sprint_id\":\"%s\"}", sid);
	pu_call(&r, b, "POST", "/api/v1/action-lists", body, NULL, NULL);
	pu_expect_422(&r, "sprint_id", "bob's list in alice's sprint");
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM action_lists WHERE sprint_id = '%s'", sid), 0);
	pu_sql(after, sizeof(after), "SELECT row(s.*)::text FROM sprints s WHERE id = '%s'", sid);
	cr_expect_str_eq(after, before, "alice's sprint is unchanged");
}

Test(sprints, idempotent_create)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r1, r2;
	char			 pid[40], key[128], hk[160], body[512];

	project(a, "idem-sprints", pid);
	pu_unique(key, sizeof(key), "sprint-key");
	snprintf(hk, sizeof(hk), "Idempotency-Key: %s", key);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"name\":\"once\","
	    "\"start_date\":\"2026-08-01\",\"end_date\":\"2026-08-02\"}", pid);
	pu_call(&r1, a, "POST", "/api/v1/sprints", body, hk, NULL);
	cr_assert_eq(r1.status, 201, "%s", r1.body);
	pu_call(&r2, a, "POST", "/api/v1/sprints", body, hk, NULL);
	cr_expect_eq(r2.status, 201);
	cr_expect_str_eq(r2.body, r1.body);
	cr_expect_str_eq(pu_hdr(&r2, "Location") ? pu_hdr(&r2, "Location") : "",
	    pu_hdr(&r1, "Location"));
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM sprints WHERE project_id = '%s'", pid), 1);
	resp_free(&r1);
	resp_free(&r2);
}
