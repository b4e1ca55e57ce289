/*
 * Export and import (API.md section 11, docs/EXPORT.md): GET
 * /api/v1/export over real HTTP, compared row by row with the database;
 * a large export; `taskmanctl import` of that export, of the Todoist and
 * Kanboard fixtures, and of malformed files (nothing changes, non-zero
 * exit).  The import tests need TASKMAN_BIN and
 * TASKMAN_MIGRATE_DATABASE_URL and are skipped without them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "plan_util.h"

#ifndef TASKMAN_TEST_FIXTURES
#define TASKMAN_TEST_FIXTURES "t/integration/fixtures"
#endif

/*
 * alice owns a project with a sprint, tasks in and out of them, an action
 * list pointing at two of them and a comment; bob is an editor of her
 * project with a task of his own in it, and she is an editor of his with
 * a task of hers in it.
 */
struct world {
	struct pu_user	alice, bob;
	char		project[40], sprint[40], t_sprint[40], t_done[40], t_personal[40];
	char		t_in_bobs[40], bobs_project[40], bobs_task_in_hers[40], bobs_task[40];
	char		alist[40], comment[40];
};

static void
world_new(struct world *w)
{
	char	 body[1024], d0[11], d1[11], dummy[64];

	pu_user_fresh(&w->alice, NULL);
	pu_user_fresh(&w->bob, NULL);
	pu_create(&w->alice, "/api/v1/projects", "{\"name\":\"Garden\",\"status\":\"active\"}",
	    w->project);
	pu_date(0, d0);
	pu_date(13, d1);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"name\":\"Spring\","
	    "\"start_date\":\"%s\",\"end_date\":\"%s\"}", w->project, d0, d1);
	pu_create(&w->alice, "/api/v1/sprints", body, w->sprint);
	pu_task(&w->alice, "Dig beds", "in_progress", "3", NULL, w->sprint, w->t_sprint);
	pu_task(&w->alice, "Buy seeds", "done", NULL, w->project, NULL, w->t_done);
	pu_create(&w->alice, "/api/v1/tasks", "{\"title\":\"Read a book\",\"priority\":\"p1\","
	    "\"tags\":[\"home\",\"slow\"],\"due_at\":\"2026-05-01T10:00:00Z\"}", w->t_personal);
	snprintf(body, sizeof(body), "{\"title\":\"Checklist\",\"items\":["
	    "{\"text\":\"seeds first\",\"done\":true,\"task_id\":\"%s\"},"
	    "{\"text\":\"then dig\",\"done\":false,\"task_id\":\"%s\"},"
	    "{\"text\":\"water\",\"done\":false}]}", w->t_done, w->t_sprint);
	pu_create(&w->alice, "/api/v1/action-lists", body, w->alist);
	pu_sql(w->comment, sizeof(w->comment), "INSERT INTO comments (task_id, author_id, body) "
	    "VALUES ('%s', '%s', 'deep enough?') RETURNING id", w->t_sprint, w->alice.id);

	/* bob in her project, she in his */
	pu_create(&w->bob, "/api/v1/projects", "{\"name\":\"Bobs\"}", w->bobs_project);
	pu_sql(dummy, sizeof(dummy), "INSERT INTO project_members (project_id, user_id, role) "
	    "VALUES ('%s', '%s', 'editor'), ('%s', '%s', 'editor') RETURNING 1",
	    w->project, w->bob.id, w->bobs_project, w->alice.id);
	pu_task(&w->bob, "Bob digs too", "new", NULL, w->project, NULL, w->bobs_task_in_hers);
	pu_task(&w->bob, "Bob alone", "new", NULL, w->bobs_project, NULL, w->bobs_task);
	pu_task(&w->alice, "Help Bob", "ready", NULL, w->bobs_project, NULL, w->t_in_bobs);
	/* bob comments on her task: not hers */
	pu_sql(dummy, sizeof(dummy), "INSERT INTO comments (task_id, author_id, body) "
	    "VALUES ('%s', '%s', 'bob was here') RETURNING 1", w->t_sprint, w->bob.id);
}

/* GET /api/v1/export as u; asserts 200 and a whole document. */
static void
export_get(const struct pu_user *u, struct resp *r)
{
	pu_call(r, u, "GET", "/api/v1/export", NULL, NULL, NULL);
	cr_assert_eq(r->status, 200, "export: %ld %.300s", r->status, r->body);
	cr_assert_not_null(r->json, "the export is not JSON (%zu bytes)", r->body_len);
}

/* The ids of a section, sorted and joined with ',' into dst. */
static void
ids_of(json_object *doc, const char *section, char *dst, size_t len)
{
	json_object	*a = pu_get(doc, section);
	size_t		 n, i, j;
	const char	*ids[64];

	cr_assert_not_null(a, "no %s", section);
	n = json_object_array_length(a);
	cr_assert_lt(n, 64);
	for (i = 0; i < n; i++)
		ids[i] = pu_str(json_object_array_get_idx(a, i), "id");
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(ids[j - 1], ids[j]) > 0; j--) {
			const char *t = ids[j];

			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	dst[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(dst + strlen(dst), len - strlen(dst), "%s%s", i ? "," : "", ids[i]);
}

Test(export, every_owned_row_and_nothing_else, .timeout = 120)
{
	struct world	 w;
	struct resp	 r;
	char		 got[8192], want[8192], h[256], day[16];
	json_object	*a;
	time_t		 now = time(NULL);
	struct tm	 tm;

	world_new(&w);
	export_get(&w.alice, &r);
	cr_expect_str_eq(pu_str(r.json, "format"), "taskman-export");
	cr_expect_eq(pu_int(r.json, "version"), 1);
	cr_expect_str_eq(pu_str(pu_get(r.json, "user"), "id"), w.alice.id);

	/* every section against the database, by id */
	ids_of(r.json, "projects", got, sizeof(got));
	pu_sql(want, sizeof(want), "SELECT coalesce(string_agg(id::text, ',' ORDER BY id::text), '') "
	    "FROM projects WHERE owner_id = '%s'", w.alice.id);
	cr_expect_str_eq(got, want, "projects");
	cr_expect_str_eq(got, w.project);
	ids_of(r.json, "sprints", got, sizeof(got));
	cr_expect_str_eq(got, w.sprint, "sprints");
	ids_of(r.json, "tasks", got, sizeof(got));
	pu_sql(want, sizeof(want), "SELECT string_agg(id::text, ',' ORDER BY id::text) "
	    "FROM tasks WHERE owner_id = '%s'", w.alice.id);
	cr_expect_str_eq(got, want, "tasks");
	cr_expect_eq(json_object_array_length(pu_get(r.json, "tasks")), 4);
	/* other members' tasks, in her project or his, are not hers */
	cr_expect_null(strstr(r.body, w.bobs_task_in_hers));
	cr_expect_null(strstr(r.body, w.bobs_task));
	cr_expect_null(strstr(r.body, "bob was here"));
	ids_of(r.json, "action_lists", got, sizeof(got));
	cr_expect_str_eq(got, w.alist, "action lists");
	ids_of(r.json, "comments", got, sizeof(got));
	cr_expect_str_eq(got, w.comment, "comments");
	/* the resources as their GET shows them */
	a = json_object_array_get_idx(pu_get(r.json, "action_lists"), 0);
	cr_expect_str_eq(pu_str(json_object_array_get_idx(pu_get(a, "items"), 1), "task_id"),
	    w.t_sprint);
	a = pu_get(r.json, "activity");
	cr_expect_eq((long)json_object_array_length(a), pu_sql_long(
	    "SELECT count(*) FROM activity WHERE actor_id = '%s'", w.alice.id));
	for (size_t i = 0; i < json_object_array_length(a); i++)
		cr_expect_str_eq(pu_str(pu_get(json_object_array_get_idx(a, i), "actor"), "id"),
		    w.alice.id);
	/* the trailer */
	a = pu_get(r.json, "counts");
	cr_expect_eq(pu_int(a, "tasks"), 4);
	cr_expect_eq(pu_int(a, "comments"), 1);

	/* headers */
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	snprintf(h, sizeof(h), "attachment; filename=\"taskman-export-%s.json\"", day);
	cr_expect_str_eq(pu_hdr(&r, "Content-Disposition"), h);
	cr_expect_not_null(strstr(pu_hdr(&r, "Content-Type"), "application/json"));
	cr_expect_str_eq(pu_hdr(&r, "Cache-Control"), "no-store");
	cr_expect_not_null(pu_hdr(&r, "X-Request-ID"));
	resp_free(&r);

	/* bob's export has his task in her project, not hers */
	export_get(&w.bob, &r);
	ids_of(r.json, "tasks", got, sizeof(got));
	cr_expect(strstr(got, w.bobs_task_in_hers) != NULL && strstr(got, w.t_sprint) == NULL);
	resp_free(&r);

	/* HEAD: the headers only; no token: 401 */
	pu_call(&r, &w.alice, "HEAD", "/api/v1/export", NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_eq(r.body_len, 0);
	cr_expect_str_eq(pu_hdr(&r, "Content-Disposition"), h);
	resp_free(&r);
	pu_expect_problem(NULL, "GET", "/api/v1/export", NULL, NULL, NULL, 401, "unauthorized");
}

Test(export, large_export_is_streamed_whole, .timeout = 300)
{
	struct pu_user	 u;
	struct resp	 r;
	char		 dummy[16];
	json_object	*t;

	pu_user_fresh(&u, NULL);
	pu_sql(dummy, sizeof(dummy), "INSERT INTO tasks (owner_id, title, description, tags) "
	    "SELECT '%s', 'bulk ' || g, repeat('x', 300), ARRAY['bulk'] "
	    "FROM generate_series(1, 5000) g RETURNING 1", u.id);
	export_get(&u, &r);
	/* streamed: chunked, no Content-Length */
	cr_expect_null(pu_hdr(&r, "Content-Length"));
	cr_expect_gt(r.body_len, 5000 * 300);
	t = pu_get(r.json, "tasks");
	cr_assert_eq(json_object_array_length(t), 5000);
	cr_expect_eq(pu_int(pu_get(r.json, "counts"), "tasks"), 5000);
	/* in creation order, each whole */
	cr_expect_str_eq(pu_str(json_object_array_get_idx(t, 4999), "owner_id"), u.id);
	cr_expect_eq(strlen(pu_str(json_object_array_get_idx(t, 2500), "description")), 300);
	resp_free(&r);
}

/* ------------------------------------------------------------ import */

static const char *
ctl_env(void)
{
	const char *bin = getenv("TASKMAN_BIN"), *url = getenv("TASKMAN_MIGRATE_DATABASE_URL");

	return bin != NULL && url != NULL ? bin : NULL;
}

/* Runs taskmanctl import file --user email [extra]; returns its exit status. */
static int
import_run(const char *file, const char *email, const char *extra)
{
	char	 cmd[4096];
	int	 st;

	snprintf(cmd, sizeof(cmd), "'%s/taskmanctl' import '%s' --user '%s' %s >/dev/null 2>&1",
	    ctl_env(), file, email, extra ? extra : "");
	st = system(cmd);
	cr_assert_neq(st, -1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Writes data to a new temporary file; its path into path[64]. */
static void
tmp_write(char path[64], const char *data, size_t len)
{
	FILE	*f;
	int	 fd;

	snprintf(path, 64, "/tmp/taskman-export-test-XXXXXX");
	cr_assert_geq(fd = mkstemp(path), 0);
	cr_assert_not_null(f = fdopen(fd, "w"));
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void
tmp_puts(char path[64], const char *s)
{
	tmp_write(path, s, strlen(s));
}

/* All of a user's rows, as one comparable text. */
static long
rows_of(const char *uid)
{
	return pu_sql_long("SELECT (SELECT count(*) FROM projects WHERE owner_id = '%s') "
	    "+ (SELECT count(*) FROM sprints WHERE owner_id = '%s') "
	    "+ (SELECT count(*) FROM tasks WHERE owner_id = '%s') "
	    "+ (SELECT count(*) FROM action_lists WHERE owner_id = '%s') "
	    "+ (SELECT count(*) FROM comments WHERE author_id = '%s')", uid, uid, uid, uid, uid);
}

Test(export, import_of_an_export_keeps_everything_with_new_ids, .timeout = 180)
{
	struct world	 w;
	struct pu_user	 carol;
	struct resp	 r;
	char		 file[64], got[4096];

	if (ctl_env() == NULL)
		H_SKIP("TASKMAN_BIN / TASKMAN_MIGRATE_DATABASE_URL not set");
	world_new(&w);
	export_get(&w.alice, &r);
	tmp_write(file, r.body, r.body_len);
	resp_free(&r);
	pu_user_fresh(&carol, NULL);
	cr_assert_eq(import_run(file, carol.email, NULL), 0);

	/* tasks: titles, statuses, links; her task in bob's project became personal */
	pu_sql(got, sizeof(got), "SELECT string_agg(t.title || ':' || t.status || ':' || t.priority "
	    "|| ':' || coalesce(p.name, '-') || ':' || coalesce(s.name, '-') || ':' "
	    "|| coalesce(t.estimate_points::text, '-') || ':' || array_to_string(t.tags, '+') "
	    "|| ':' || coalesce(to_char(t.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '-') "
	    "|| ':' || (t.completed_at IS NOT NULL), ' | ' ORDER BY t.title) "
	    "FROM tasks t LEFT JOIN projects p ON p.id = t.project_id "
	    "LEFT JOIN sprints s ON s.id = t.sprint_id WHERE t.owner_id = '%s'", carol.id);
	cr_expect_str_eq(got,
	    "Buy seeds:done:p2:Garden:-:-::-:true | "
	    "Dig beds:in_progress:p2:Garden:Spring:3::-:false | "
	    "Help Bob:ready:p2:-:-:-::-:false | "
	    "Read a book:new:p1:-:-:-:home+slow:2026-05-01 10:00:false");
	/* the project and sprint are carol's own, new rows */
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM projects WHERE owner_id = '%s' "
	    "AND name = 'Garden' AND status = 'active' AND id <> '%s'", carol.id, w.project), 1);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM sprints s JOIN projects p ON p.id = s.project_id "
	    "WHERE s.owner_id = '%s' AND p.owner_id = '%s'", carol.id, carol.id), 1);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM project_members m JOIN projects p "
	    "ON p.id = m.project_id WHERE p.owner_id = '%s' AND m.user_id = '%s'", carol.id, carol.id), 1);
	/* action-list items point at carol's copies */
	pu_sql(got, sizeof(got), "SELECT string_agg(x.i ->> 'text' || '=' || coalesce(t.title, '-') "
	    "|| '=' || (x.i ->> 'done'), ',' ORDER BY x.o) FROM action_lists a "
	    "CROSS JOIN jsonb_array_elements(a.items) WITH ORDINALITY x(i, o) "
	    "LEFT JOIN tasks t ON t.id = (x.i ->> 'task_id')::uuid AND t.owner_id = '%s' "
	    "WHERE a.owner_id = '%s'", carol.id, carol.id);
	cr_expect_str_eq(got, "seeds first=Buy seeds=true,then dig=Dig beds=false,water=-=false");
	/* her comment on carol's copy of the task, written by carol */
	pu_sql(got, sizeof(got), "SELECT c.body || '@' || t.title FROM comments c JOIN tasks t "
	    "ON t.id = c.task_id WHERE c.author_id = '%s' AND t.owner_id = '%s'", carol.id, carol.id);
	cr_expect_str_eq(got, "deep enough?@Dig beds");
	cr_expect_eq(rows_of(carol.id), 1 + 1 + 4 + 1 + 1);
	/* nothing of alice's changed hands */
	cr_expect_eq(rows_of(w.alice.id), 1 + 1 + 4 + 1 + 1);
	/* the activity log names carol for what the import created */
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM activity WHERE actor_id = '%s' "
	    "AND action = 'created' AND resource_type = 'task'", carol.id), 4);

	/* the same file again: another set of copies, still new ids */
	cr_assert_eq(import_run(file, carol.email, NULL), 0);
	cr_expect_eq(rows_of(carol.id), 2 * 8);
	unlink(file);
}

Test(export, import_todoist_csv, .timeout = 60)
{
	struct pu_user	 u;
	char		 got[4096];

	if (ctl_env() == NULL)
		H_SKIP("TASKMAN_BIN / TASKMAN_MIGRATE_DATABASE_URL not set");
	pu_user_fresh(&u, NULL);
	cr_assert_eq(import_run(TASKMAN_TEST_FIXTURES "/todoist-sample.csv", u.email, NULL), 0);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM projects WHERE owner_id = '%s' "
	    "AND name = 'todoist-sample'", u.id), 1);
	pu_sql(got, sizeof(got), "SELECT string_agg(t.title || ':' || t.status || ':' || t.priority "
	    "|| ':' || array_to_string(t.tags, '+') || ':' "
	    "|| coalesce(to_char(t.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '-') "
	    "|| ':' || (p.name IS NOT NULL), ' | ' ORDER BY t.title) "
	    "FROM tasks t LEFT JOIN projects p ON p.id = t.project_id WHERE t.owner_id = '%s'", u.id);
	cr_expect_str_eq(got,
	    "Buy milk:new:p3:Errands:-:true | "
	    "Call the plumber:new:p1:home+Errands:2026-04-01 12:30:true | "
	    "Plain task:new:p2:Errands:-:true | "
	    "Write the quarterly report:new:p0:work+writing:2026-03-15 00:00:true");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s' AND title = "
	    "'Write the quarterly report' AND description = 'Numbers from finance, then \"the\" summary'",
	    u.id), 1);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s' AND "
	    "description = 'Todoist due: every monday'", u.id), 1);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s' AND "
	    "description LIKE 'Line one%%line two'", u.id), 1);
	pu_sql(got, sizeof(got), "SELECT c.body || '@' || t.title FROM comments c JOIN tasks t "
	    "ON t.id = c.task_id WHERE c.author_id = '%s'", u.id);
	cr_expect_str_eq(got, "Finance sent the figures@Write the quarterly report");
	/* --project names the project */
	cr_assert_eq(import_run(TASKMAN_TEST_FIXTURES "/todoist-sample.csv", u.email,
	    "--project 'Home, again'"), 0);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks t JOIN projects p ON p.id = t.project_id "
	    "WHERE p.owner_id = '%s' AND p.name = 'Home, again'", u.id), 4);
}

Test(export, import_kanboard_csv, .timeout = 60)
{
	struct pu_user	 u;
	char		 got[4096];

	if (ctl_env() == NULL)
		H_SKIP("TASKMAN_BIN / TASKMAN_MIGRATE_DATABASE_URL not set");
	pu_user_fresh(&u, NULL);
	cr_assert_eq(import_run(TASKMAN_TEST_FIXTURES "/kanboard-sample.csv", u.email, NULL), 0);
	pu_sql(got, sizeof(got), "SELECT string_agg(t.title || ':' || t.status || ':' || t.priority "
	    "|| ':' || p.name || ':' || array_to_string(t.tags, '+') || ':' "
	    "|| coalesce(t.estimate_points::text, '-') || ':' "
	    "|| coalesce(to_char(t.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '-') || ':' "
	    "|| to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ':' "
	    "|| coalesce(to_char(t.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '-'), "
	    "' | ' ORDER BY t.title) "
	    "FROM tasks t JOIN projects p ON p.id = t.project_id WHERE t.owner_id = '%s'", u.id);
	cr_expect_str_eq(got,
	    "Draft the landing page:new:p2:Website:seo+copy+Design:-:-:2026-01-10 09:00:- | "
	    "Fix the \"Contact\" form, again:in_progress:p0:Website::3:2026-02-28 17:00:"
	    "2026-01-11 10:15:- | "
	    "Renew the certificate:ready:p0:Infra::-:2026-03-01 00:00:2026-01-15 12:00:- | "
	    "Ship v1:done:p1:Website:release:5:-:2026-01-05 08:00:2026-01-20 18:00");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM projects WHERE owner_id = '%s'", u.id), 2);
}

Test(export, malformed_files_change_nothing, .timeout = 120)
{
	struct pu_user	 u, v;
	struct resp	 r;
	char		 file[64], *bad;
	const char	*p;

	if (ctl_env() == NULL)
		H_SKIP("TASKMAN_BIN / TASKMAN_MIGRATE_DATABASE_URL not set");
	pu_user_fresh(&u, NULL);
	pu_user_fresh(&v, NULL);
	pu_create(&u, "/api/v1/projects", "{\"name\":\"P\"}", file);
	pu_task(&u, "one", "new", NULL, NULL, NULL, file);
	pu_task(&u, "two", "done", NULL, NULL, NULL, file);
	export_get(&u, &r);

	/* cut short: no trailer */
	tmp_write(file, r.body, r.body_len / 2);
	cr_expect_neq(import_run(file, v.email, NULL), 0);
	unlink(file);
	/* a value the data model refuses, after the project went in */
	cr_assert_not_null(bad = strdup(r.body));
	cr_assert_not_null(p = strstr(bad, "\"status\" : \"done\""));
	memcpy(bad + (p - bad), "\"status\" : \"dune\"", 18);
	tmp_write(file, bad, strlen(bad));
	cr_expect_eq(import_run(file, v.email, NULL), 1);
	unlink(file);
	/* counts that do not match */
	strcpy(bad, r.body);
	cr_assert_not_null(p = strstr(bad, "\"tasks\":2"));
	bad[p - bad + 8] = '3';
	tmp_write(file, bad, strlen(bad));
	cr_expect_eq(import_run(file, v.email, NULL), 1);
	unlink(file);
	free(bad);
	resp_free(&r);
	/* CSV: an unclosed quote, a bad priority, an unknown header */
	tmp_puts(file, "TYPE,CONTENT,PRIORITY\ntask,ok,1\ntask,\"open,1\n");
	cr_expect_eq(import_run(file, v.email, NULL), 1);
	unlink(file);
	tmp_puts(file, "TYPE,CONTENT,PRIORITY\ntask,ok,1\ntask,bad,9\n");
	cr_expect_eq(import_run(file, v.email, NULL), 1);
	unlink(file);
	tmp_puts(file, "a,b\n1,2\n");
	cr_expect_eq(import_run(file, v.email, NULL), 1);
	unlink(file);
	/* a Kanboard date that is not one */
	tmp_puts(file, "Task Id,Title,Due date\n1,ok,2026-01-01\n2,bad,soon\n");
	cr_expect_eq(import_run(file, v.email, NULL), 1);
	unlink(file);
	/* an unknown user; a missing file; no --user */
	cr_expect_eq(import_run(TASKMAN_TEST_FIXTURES "/kanboard-sample.csv",
	    "nobody-here@example.com", NULL), 1);
	cr_expect_eq(import_run("/nonexistent/file.json", v.email, NULL), 66);
	cr_expect_eq(import_run(TASKMAN_TEST_FIXTURES "/kanboard-sample.csv", v.email,
	    "--format xml"), 64);
	/* nothing of any of it arrived */
	cr_expect_eq(rows_of(v.id), 0);
}
