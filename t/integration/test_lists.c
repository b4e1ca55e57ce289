/*
 * Task lists at scale (issue 9): the search and tag path through
 * taskman_task_find() keeps users apart also when the worker's own filter
 * is bypassed (SQL as the workers' role), totals are capped with a flag
 * and exact on request, counts stay right under concurrent writes, and a
 * cursor whose row was deleted continues after its key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "plan_util.h"

/*
 * A statement run as the workers' role (row-level security on) with
 * taskman.user_id set to uid ("" for none); its first value as a long.
 */
static long
as_app(const char *uid, const char *sql)
{
	char	q[8192], v[64];

	snprintf(q, sizeof(q), "SET ROLE taskman_app; "
	    "SELECT set_config('taskman.user_id', '%s', false); %s", uid, sql);
	pu_sql(v, sizeof(v), "%s", q);
	/* the admin connection is closed after each statement: no reset needed */
	return strtol(v, NULL, 10);
}

static void
task(const struct pu_user *u, const char *title, const char *tag, const char *project,
    char id[40])
{
	char body[512];

	snprintf(body, sizeof(body), "{\"title\":\"%s\",\"tags\":[\"%s\"]%s%s%s}", title, tag,
	    project ? ",\"project_id\":\"" : "", project ? project : "", project ? "\"" : "");
	pu_create(u, "/api/v1/tasks", body, id);
}

/* GET path as u: 200, returns the number of items, every owner must be owner. */
static long
items_owned(const struct pu_user *u, const char *path, const char *owner, long *total)
{
	struct resp	 r;
	json_object	*a;
	size_t		 i, n;

	pu_call(&r, u, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
	a = pu_get(r.json, "items");
	cr_assert(a != NULL && json_object_is_type(a, json_type_array), "%s", r.body);
	n = json_object_array_length(a);
	for (i = 0; i < n; i++)
		cr_expect_str_eq(pu_str(json_object_array_get_idx(a, i), "owner_id"), owner,
		    "GET %s shows another user's task", path);
	if (total != NULL)
		*total = pu_int(r.json, "total");
	resp_free(&r);
	return (long)n;
}

Test(lists, search_and_tag_filters_never_cross_users)
{
	struct pu_user	 a, b;
	char		 word[64], tag[80], path[512], sql[2048], bproj[40], bid[3][40], aid[40];
	long		 total;
	int		 i;

	pu_user_fresh(&a, NULL);
	pu_user_fresh(&b, NULL);
	pu_unique(word, sizeof(word), "zq");
	/* one word for the text index: letters only */
	for (i = 0; word[i] != '\0'; i++)
		if (word[i] < 'a' || word[i] > 'z')
			word[i] = (char)('a' + (unsigned char)word[i] % 26);
	snprintf(tag, sizeof(tag), "t-%s", word);
	pu_create(&b, "/api/v1/projects", "{\"name\":\"B's\"}", bproj);
	for (i = 0; i < 3; i++) {
		char title[128];

		snprintf(title, sizeof(title), "%s alpha %d", word, i);
		task(&a, title, tag, NULL, aid);
		task(&b, title, tag, i == 0 ? bproj : NULL, bid[i]);
	}

	/* over HTTP: the search, the text filter and the tag filter */
	snprintf(path, sizeof(path), "/api/v1/tasks/search?q=%s", word);
	cr_expect_eq(items_owned(&a, path, a.id, &total), 3);
	cr_expect_eq(total, 3);
	snprintf(path, sizeof(path), "/api/v1/tasks?q=%s&sort=title", word);
	cr_expect_eq(items_owned(&a, path, a.id, &total), 3);
	snprintf(path, sizeof(path), "/api/v1/tasks?tag=%s&sort=-due_at", tag);
	cr_expect_eq(items_owned(&a, path, a.id, &total), 3);
	cr_expect_eq(total, 3);
	/* B's project named as a filter by A: nothing, not B's tasks */
	snprintf(path, sizeof(path), "/api/v1/tasks?tag=%s&project_id=%s", tag, bproj);
	cr_expect_eq(items_owned(&a, path, a.id, &total), 0);
	cr_expect_eq(total, 0);

	/* the finder itself, called as the workers' role without the worker */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM taskman_task_find("
	    "'{\"q\":\"%s\"}', 'rank', NULL, NULL, 200, 0, NULL) f WHERE f.id IS NOT NULL", word);
	cr_expect_eq(as_app(a.id, sql), 3, "the finder returns only the caller's matches");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM taskman_task_find("
	    "'{\"tag\":\"%s\"}', 'created_at', NULL, NULL, 200, 0, NULL) f "
	    "JOIN tasks t ON t.id = f.id WHERE t.owner_id <> '%s'", tag, a.id);
	cr_expect_eq(as_app(a.id, sql), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM taskman_task_find("
	    "'{\"q\":\"%s\",\"project_id\":\"%s\"}', 'rank', NULL, NULL, 200, 0, NULL) f "
	    "WHERE f.id IS NOT NULL", word, bproj);
	cr_expect_eq(as_app(a.id, sql), 0, "another user's project id opens nothing");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM taskman_task_find("
	    "'{\"q\":\"%s\"}', 'rank', NULL, NULL, 200, 0, NULL) f", word);
	cr_expect_eq(as_app("", sql), 0, "no user set: the finder returns nothing");

	/* the second lock: B's rows by id, as A, under row-level security */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM unnest(ARRAY['%s','%s','%s']::uuid[]) x(id) "
	    "JOIN tasks t ON t.id = x.id", bid[0], bid[1], bid[2]);
	cr_expect_eq(as_app(a.id, sql), 0, "RLS hides B's tasks from A by id");
	/* the owner's read policy is not the workers' */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM tasks t "
	    "WHERE t.search @@ websearch_to_tsquery('english', '%s')", word);
	cr_expect_eq(as_app(a.id, sql), 3);
	cr_expect_eq(as_app(b.id, sql), 3);
}

Test(lists, totals_are_capped_with_a_flag_and_exact_on_request)
{
	struct pu_user	 u;
	struct resp	 r;
	char		 dummy[8], path[128];

	pu_user_fresh(&u, NULL);
	pu_sql(dummy, sizeof(dummy), "INSERT INTO tasks (owner_id, title) "
	    "SELECT '%s', 'bulk ' || g FROM generate_series(1, 2050) g", u.id);

	pu_call(&r, &u, "GET", "/api/v1/tasks?limit=5", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 2000);
	cr_expect_str_eq(pu_raw(r.json, "total_exact"), "false");
	cr_expect(!pu_isnull(r.json, "next_cursor"));
	cr_expect(pu_hdr(&r, "Preference-Applied") == NULL);
	resp_free(&r);

	pu_call(&r, &u, "GET", "/api/v1/tasks?limit=5", NULL, "Prefer: count=exact", NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 2050);
	cr_expect_str_eq(pu_raw(r.json, "total_exact"), "true");
	cr_expect_str_eq(pu_hdr(&r, "Preference-Applied"), "count=exact");
	resp_free(&r);

	/* the search path caps too; a filter below the cap is exact */
	pu_call(&r, &u, "GET", "/api/v1/tasks/search?limit=5&q=bulk", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 2000);
	cr_expect_str_eq(pu_raw(r.json, "total_exact"), "false", "%s", r.body);
	resp_free(&r);
	pu_call(&r, &u, "GET", "/api/v1/tasks?limit=5&q=bulk%2017", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 1);
	cr_expect_str_eq(pu_raw(r.json, "total_exact"), "true", "%s", r.body);
	resp_free(&r);
	pu_call(&r, &u, "GET", "/api/v1/tasks?limit=5&priority=p0", NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 0);
	cr_expect_str_eq(pu_raw(r.json, "total_exact"), "true");
	resp_free(&r);

	/* the todo surface keeps an exact total */
	snprintf(path, sizeof(path), "/api/%s/tasks?limit=5", u.id);
	pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 2050);
	resp_free(&r);
}

Test(lists, counts_stay_exact_under_concurrent_creates_and_deletes)
{
	struct pu_user	 u;
	pid_t		 kids[4];
	int		 k, i, status, bad = 0;
	long		 total, n;

	pu_user_fresh(&u, NULL);
	for (k = 0; k < 4; k++) {
		if ((kids[k] = fork()) == 0) {
			char	id[40], path[128], body[128];
			struct resp r;
			int	fails = 0;

			for (i = 0; i < 15; i++) {
				snprintf(body, sizeof(body), "{\"title\":\"c%d-%d\",\"tags\":[\"cc\"]}", k, i);
				pu_create(&u, "/api/v1/tasks", body, id);
				if (i % 3 == 0) {
					snprintf(path, sizeof(path), "/api/v1/tasks/%s", id);
					pu_call(&r, &u, "DELETE", path, NULL, NULL, NULL);
					fails += r.status != 204;
					resp_free(&r);
				}
			}
			_exit(fails == 0 ? 0 : 1);
		}
		cr_assert_gt(kids[k], 0);
	}
	/* meanwhile every answer's total is one the table really had */
	for (i = 0; i < 20; i++) {
		n = items_owned(&u, "/api/v1/tasks?limit=200", u.id, &total);
		cr_expect_eq(n, total, "a page of everything shows total items");
		cr_expect_leq(total, 60);
	}
	for (k = 0; k < 4; k++) {
		cr_assert_eq(waitpid(kids[k], &status, 0), kids[k]);
		bad += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	cr_assert_eq(bad, 0, "a writer failed");
	items_owned(&u, "/api/v1/tasks?limit=1", u.id, &total);
	cr_expect_eq(total, 40);
	items_owned(&u, "/api/v1/tasks?limit=1&tag=cc", u.id, &total);
	cr_expect_eq(total, 40);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s'", u.id), 40);
}

/* Page 1 of path, delete its last item, page 2 continues after it. */
static void
cursor_survives_delete(const struct pu_user *u, const char *path, const char *want)
{
	struct resp	 r;
	json_object	*a;
	char		 next[5000], last[40], got[1024];
	size_t		 i, o = 0;

	pu_call(&r, u, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(!pu_isnull(r.json, "next_cursor"), "%s: %s", path, r.body);
	snprintf(next, sizeof(next), "%s&cursor=%s", path, pu_str(r.json, "next_cursor"));
	a = pu_get(r.json, "items");
	snprintf(last, sizeof(last), "%s",
	    pu_str(json_object_array_get_idx(a, json_object_array_length(a) - 1), "id"));
	resp_free(&r);
	pu_task_delete(u, last);

	pu_call(&r, u, "GET", next, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s: %s", next, r.body);
	a = pu_get(r.json, "items");
	got[0] = '\0';
	for (i = 0; i < json_object_array_length(a); i++)
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s", i ? "," : "",
		    pu_str(json_object_array_get_idx(a, i), "title"));
	cr_expect_str_eq(got, want, "%s", path);
	resp_free(&r);
}

Test(lists, a_cursor_whose_row_was_deleted_continues_after_its_key)
{
	struct pu_user	 u;
	char		 id[40];
	int		 i;

	pu_user_fresh(&u, NULL);
	for (i = 1; i <= 5; i++) {
		char title[32];

		snprintf(title, sizeof(title), "delkey%d", i);
		task(&u, title, "dk", NULL, id);
	}
	/* prepared path, by title */
	cursor_survives_delete(&u, "/api/v1/tasks?sort=title&limit=2", "delkey3,delkey4");
	/* finder path (tag), by title: delkey1 (page 1 now delkey1,delkey3) */
	cursor_survives_delete(&u, "/api/v1/tasks?sort=title&tag=dk&limit=2", "delkey4,delkey5");
}
