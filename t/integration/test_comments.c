/*
 * Comments and activity over real HTTP (API.md section 6): create, list
 * (oldest first, offset and cursor paging), get, edit by the author with
 * ETag/If-Match and body version, delete by the author or a manager; who
 * gets 404 and who 403 in a shared project (members made directly in SQL as
 * the table owner); concurrent edits with the same If-Match; the activity
 * log of tasks and projects: an entry for each kind of change with old and
 * new values, none for a refused or rolled-back write, cursor paging, no
 * secrets.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

#include "plan_util.h"

/* pu_user_fresh()'s password (plan_util.c) */
#define PASSWORD	"planning-tests-pw-1"

/* ------------------------------------------------------------------ */
/* Helpers */

static void
project(const struct pu_user *u, const char *name, char id[40])
{
	char body[256];

	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	pu_create(u, "/api/v1/projects", body, id);
}

/* Makes u a member of project with role, as the table owner. */
static void
member(const char *project, const struct pu_user *u, const char *role)
{
	char out[16];

	pu_sql(out, sizeof(out), "INSERT INTO project_members (project_id, user_id, role) "
	    "VALUES ('%s', '%s', '%s') RETURNING role", project, u->id, role);
	cr_assert_str_eq(out, role);
}

/* POST a comment as u on task; asserts 201, returns its id. */
static void
comment(const struct pu_user *u, const char *task, const char *text, char id[40])
{
	char path[128], body[512];

	snprintf(path, sizeof(path), "/api/v1/tasks/%s/comments", task);
	snprintf(body, sizeof(body), "{\"body\":\"%s\"}", text);
	pu_create(u, path, body, id);
}

static long
comment_version(const char *id)
{
	return pu_sql_long("SELECT coalesce((SELECT version FROM comments WHERE id = '%s'), 0)", id);
}

static long
activity_count(const char *col, const char *id)
{
	return pu_sql_long("SELECT count(*) FROM activity WHERE %s = '%s'", col, id);
}

/* The JSON text of member key of o ("null" when absent). */
static const char *
raw(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return "null";
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static bool
has(json_object *o, const char *key)
{
	return o != NULL && json_object_object_get_ex(o, key, NULL);
}

/*
 * The newest activity item of list (GET path as u) whose action and
 * resource type match, or NULL; the response stays in *r.
 */
static json_object *
find_activity(struct resp *r, const struct pu_user *u, const char *path,
    const char *action, const char *type)
{
	json_object	*items, *it, *res;
	size_t		 i;

	pu_call(r, u, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r->status, 200, "GET %s: %ld %s", path, r->status, r->body);
	items = pu_get(r->json, "items");
	cr_assert_not_null(items);
	for (i = 0; i < json_object_array_length(items); i++) {
		it = json_object_array_get_idx(items, i);
		res = pu_get(it, "resource");
		if (strcmp(pu_str(it, "action"), action) == 0 &&
		    strcmp(pu_str(res, "type"), type) == 0)
			return it;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Comments */

Test(comments, create_get_list_edit_delete)
{
	struct pu_user	 a;
	struct resp	 r;
	char		 task[40], c1[40], c2[40], path[128], cpath[128], loc[160];
	json_object	*items, *author;

	pu_user_fresh(&a, NULL);
	pu_task(&a, "Commented", "new", NULL, NULL, NULL, task);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/comments", task);

	pu_call(&r, &a, "POST", path, "{\"body\":\"first\"}", NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	snprintf(c1, sizeof(c1), "%s", pu_str(r.json, "id"));
	snprintf(loc, sizeof(loc), "/api/v1/comments/%s", c1);
	cr_expect_str_eq(pu_hdr(&r, "Location") ? pu_hdr(&r, "Location") : "", loc);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"1\"");
	cr_expect_str_eq(pu_str(r.json, "task_id"), task);
	cr_expect_str_eq(pu_str(r.json, "body"), "first");
	cr_expect_eq(pu_int(r.json, "version"), 1);
	cr_expect_str_eq(pu_raw(r.json, "edited"), "false");
	author = pu_get(r.json, "author");
	cr_expect_str_eq(pu_str(author, "id"), a.id);
	cr_expect_not_null(pu_get(r.json, "created_at"));
	cr_expect_not_null(pu_get(r.json, "updated_at"));
	resp_free(&r);
	comment(&a, task, "second", c2);

	/* oldest first */
	pu_call(&r, &a, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 2);
	items = pu_get(r.json, "items");
	cr_assert_eq(json_object_array_length(items), 2);
	cr_expect_str_eq(pu_str(json_object_array_get_idx(items, 0), "id"), c1);
	cr_expect_str_eq(pu_str(json_object_array_get_idx(items, 1), "id"), c2);
	cr_expect(pu_isnull(r.json, "next_cursor"));
	resp_free(&r);

	/* get, 304 */
	snprintf(cpath, sizeof(cpath), "/api/v1/comments/%s", c1);
	pu_call(&r, &a, "GET", cpath, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"1\"");
	cr_expect_str_eq(pu_str(r.json, "body"), "first");
	resp_free(&r);
	pu_call(&r, &a, "GET", cpath, NULL, "If-None-Match: \"1\"", NULL);
	cr_expect_eq(r.status, 304);
	resp_free(&r);

	/* edit: preconditions first, then one that holds */
	pu_expect_problem(&a, "PATCH", cpath, "{\"body\":\"x\"}", "If-Match: \"7\"", NULL,
	    412, "precondition-failed");
	pu_expect_problem(&a, "PATCH", cpath, "{\"body\":\"x\",\"version\":3}", NULL, NULL,
	    409, "version-conflict");
	cr_expect_eq(comment_version(c1), 1, "a refused edit wrote nothing");
	pu_call(&r, &a, "PATCH", cpath, "{\"body\":\"first, edited\",\"version\":1}",
	    "If-Match: \"1\"", NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"2\"");
	cr_expect_str_eq(pu_str(r.json, "body"), "first, edited");
	cr_expect_eq(pu_int(r.json, "version"), 2);
	cr_expect_str_eq(pu_raw(r.json, "edited"), "true");
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM comments WHERE id = '%s' "
	    "AND body = 'first, edited' AND updated_at >= created_at", c1), 1);

	/* delete: stale If-Match, then 204; gone afterwards */
	pu_expect_problem(&a, "DELETE", cpath, NULL, "If-Match: \"1\"", NULL,
	    412, "precondition-failed");
	cr_expect_eq(comment_version(c1), 2);
	pu_call(&r, &a, "DELETE", cpath, NULL, "If-Match: \"2\"", NULL);
	cr_expect_eq(r.status, 204, "%s", r.body);
	resp_free(&r);
	cr_expect_eq(comment_version(c1), 0);
	pu_expect_problem(&a, "GET", cpath, NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(&a, "DELETE", cpath, NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(&a, "PATCH", cpath, "{\"body\":\"x\"}", NULL, NULL, 404, "not-found");

	/* deleting the task deletes its comments */
	pu_task_delete(&a, task);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM comments WHERE task_id = '%s'", task), 0);
	pu_expect_problem(&a, "GET", path, NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(&a, "POST", path, "{\"body\":\"late\"}", NULL, NULL, 404, "not-found");
}

Test(comments, validation)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 task[40], c[40], path[128], cpath[128], *big;
	size_t			 n = 10001;

	pu_task(a, "Validated", "new", NULL, NULL, NULL, task);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/comments", task);
	pu_call(&r, a, "POST", path, "{}", NULL, NULL);
	pu_expect_422(&r, "body", "missing body");
	resp_free(&r);
	pu_call(&r, a, "POST", path, "{\"body\":\" \\n\\t \"}", NULL, NULL);
	pu_expect_422(&r, "body", "blank body");
	resp_free(&r);
	pu_call(&r, a, "POST", path, "{\"body\":\"\"}", NULL, NULL);
	pu_expect_422(&r, "body", "empty body");
	resp_free(&r);
	pu_call(&r, a, "POST", path, "{\"body\":\"x\",\"author_id\":\"me\"}", NULL, NULL);
	pu_expect_422(&r, "author_id", "unknown field");
	resp_free(&r);
	pu_call(&r, a, "POST", path, "{\"body\":42}", NULL, NULL);
	pu_expect_422(&r, "body", "not a string");
	resp_free(&r);

	/* 10000 characters (multi-byte ones count once) pass, 10001 do not */
	big = malloc(n * 2 + 32);
	cr_assert_not_null(big);
	memcpy(big, "{\"body\":\"", 9);
	for (size_t i = 0; i < n - 1; i++)
		memcpy(big + 9 + 2 * i, "\xc3\xa9", 2);
	strcpy(big + 9 + 2 * (n - 1), "\"}");
	pu_call(&r, a, "POST", path, big, NULL, NULL);
	cr_expect_eq(r.status, 201, "10000 characters: %ld", r.status);
	resp_free(&r);
	strcpy(big + 9 + 2 * (n - 1), "x\"}");
	pu_call(&r, a, "POST", path, big, NULL, NULL);
	pu_expect_422(&r, "body", "10001 characters");
	resp_free(&r);
	free(big);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM comments WHERE task_id = '%s'", task), 1);

	comment(a, task, "ok", c);
	snprintf(cpath, sizeof(cpath), "/api/v1/comments/%s", c);
	pu_call(&r, a, "PATCH", cpath, "{\"version\":1}", NULL, NULL);
	pu_expect_422(&r, "body", "an edit without a body");
	resp_free(&r);
	pu_call(&r, a, "PATCH", cpath, "{\"body\":\"x\",\"task_id\":null}", NULL, NULL);
	pu_expect_422(&r, "task_id", "unknown field in an edit");
	resp_free(&r);
	pu_call(&r, a, "PATCH", cpath, "{\"body\":\"   \"}", NULL, NULL);
	pu_expect_422(&r, "body", "blank edit");
	resp_free(&r);
	cr_expect_eq(comment_version(c), 1);
	pu_task_delete(a, task);
}

Test(comments, paging_offset_and_cursor)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 task[40], ids[6][40], path[768], next[512], late[40];
	json_object		*items;
	int			 i, seen = 0;

	pu_task(a, "Paged comments", "new", NULL, NULL, NULL, task);
	for (i = 0; i < 5; i++) {
		char text[16];

		snprintf(text, sizeof(text), "c%d", i);
		comment(a, task, text, ids[i]);
	}
	/* offset */
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/comments?limit=2&offset=2", task);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	items = pu_get(r.json, "items");
	cr_assert_eq(json_object_array_length(items), 2);
	cr_expect_str_eq(pu_str(json_object_array_get_idx(items, 0), "id"), ids[2]);
	cr_expect_str_eq(pu_str(json_object_array_get_idx(items, 1), "id"), ids[3]);
	cr_expect_eq(pu_int(r.json, "total"), 5);
	cr_expect_not_null(pu_hdr(&r, "Link"));
	resp_free(&r);

	/* cursor: a comment added meanwhile shows up at the end, nothing twice */
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/comments?limit=2", task);
	for (int page = 0; page < 10; page++) {
		pu_call(&r, a, "GET", path, NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		items = pu_get(r.json, "items");
		for (size_t k = 0; k < json_object_array_length(items); k++, seen++) {
			const char *id = pu_str(json_object_array_get_idx(items, k), "id");

			cr_expect_str_eq(id, seen < 5 ? ids[seen] : late, "item %d", seen);
		}
		if (page == 0)
			comment(a, task, "late", late);
		if (pu_isnull(r.json, "next_cursor")) {
			cr_expect_null(pu_hdr(&r, "Link"));
			resp_free(&r);
			break;
		}
		snprintf(next, sizeof(next), "%s", pu_str(r.json, "next_cursor"));
		cr_expect_not_null(pu_hdr(&r, "Link"));
		snprintf(path, sizeof(path), "/api/v1/tasks/%s/comments?limit=2&cursor=%s", task,
		    next);
		resp_free(&r);
	}
	cr_expect_eq(seen, 6);

	snprintf(path, sizeof(path), "/api/v1/tasks/%s/comments?cursor=bm9wZQ", task);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 400, "malformed-request");
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/comments?cursor=%s&offset=1", task, next);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 400, "malformed-request");
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/comments?sort=created_at", task);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 400, "malformed-request");
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/comments?limit=0", task);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 400, "malformed-request");
	/* an activity cursor is not a comments cursor */
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/comments?cursor=YQo0", task);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 400, "malformed-request");
	pu_task_delete(a, task);
}

Test(comments, idempotent_create)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r1, r2;
	char			 task[40], path[128], key[128], hk[160];

	pu_task(a, "Idempotent comments", "new", NULL, NULL, NULL, task);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/comments", task);
	pu_unique(key, sizeof(key), "idem-comment");
	snprintf(hk, sizeof(hk), "Idempotency-Key: %s", key);
	pu_call(&r1, a, "POST", path, "{\"body\":\"once\"}", hk, NULL);
	cr_assert_eq(r1.status, 201, "%s", r1.body);
	pu_call(&r2, a, "POST", path, "{\"body\":\"once\"}", hk, NULL);
	cr_expect_eq(r2.status, 201, "%s", r2.body);
	cr_expect_str_eq(pu_str(r2.json, "id"), pu_str(r1.json, "id"));
	cr_expect_str_eq(pu_hdr(&r2, "Location") ? pu_hdr(&r2, "Location") : "",
	    pu_hdr(&r1, "Location") ? pu_hdr(&r1, "Location") : "-");
	resp_free(&r1);
	resp_free(&r2);
	pu_call(&r1, a, "POST", path, "{\"body\":\"another\"}", hk, NULL);
	cr_expect_eq(r1.status, 422, "same key, other body: %s", r1.body);
	resp_free(&r1);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM comments WHERE task_id = '%s'", task), 1);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM activity WHERE task_id = '%s' "
	    "AND action = 'commented'", task), 1);
	pu_task_delete(a, task);
}

/*
 * A shared project: owner alice, manager dave, editor bob, viewer carol, a
 * readonly instance user who is an editor, and erin who is no member.
 */
struct team {
	struct pu_user	 owner, manager, editor, viewer, readonly, stranger;
	char		 project[40], task[40], personal[40];
};

static void
team_make(struct team *t)
{
	pu_user_fresh(&t->owner, NULL);
	pu_user_fresh(&t->manager, NULL);
	pu_user_fresh(&t->editor, NULL);
	pu_user_fresh(&t->viewer, NULL);
	pu_user_fresh(&t->readonly, "readonly");
	pu_user_fresh(&t->stranger, NULL);
	project(&t->owner, "Team", t->project);
	member(t->project, &t->manager, "manager");
	member(t->project, &t->editor, "editor");
	member(t->project, &t->viewer, "viewer");
	member(t->project, &t->readonly, "editor");
	pu_task(&t->owner, "Shared task", "new", NULL, t->project, NULL, t->task);
	pu_task(&t->owner, "Personal task", "new", NULL, NULL, NULL, t->personal);
}

Test(comments, roles_in_a_shared_project)
{
	struct team	 t;
	struct resp	 r;
	char		 path[128], ppath[128], cb[40], co[40], cpath[128], opath[128];
	long		 n;

	team_make(&t);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/comments", t.task);
	snprintf(ppath, sizeof(ppath), "/api/v1/tasks/%s/comments", t.personal);

	/* create: editors and managers yes, viewer 403, stranger 404 */
	comment(&t.editor, t.task, "by the editor", cb);
	comment(&t.owner, t.task, "by the owner", co);
	n = pu_sql_long("SELECT count(*) FROM comments WHERE task_id = '%s'", t.task);
	pu_expect_problem(&t.viewer, "POST", path, "{\"body\":\"no\"}", NULL, NULL, 403, "forbidden");
	pu_expect_problem(&t.readonly, "POST", path, "{\"body\":\"no\"}", NULL, NULL, 403,
	    "forbidden");
	pu_expect_problem(&t.stranger, "POST", path, "{\"body\":\"no\"}", NULL, NULL, 404,
	    "not-found");
	/* a personal task is its owner's alone, whatever the project roles */
	pu_expect_problem(&t.manager, "POST", ppath, "{\"body\":\"no\"}", NULL, NULL, 404,
	    "not-found");
	pu_expect_problem(&t.manager, "GET", ppath, NULL, NULL, NULL, 404, "not-found");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM comments WHERE task_id = '%s'", t.task), n,
	    "refused creates wrote nothing");

	/* read: every member, nobody else */
	pu_call(&r, &t.viewer, "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 2);
	resp_free(&r);
	pu_expect_problem(&t.stranger, "GET", path, NULL, NULL, NULL, 404, "not-found");
	snprintf(cpath, sizeof(cpath), "/api/v1/comments/%s", cb);
	snprintf(opath, sizeof(opath), "/api/v1/comments/%s", co);
	pu_call(&r, &t.viewer, "GET", cpath, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	pu_expect_problem(&t.stranger, "GET", cpath, NULL, NULL, NULL, 404, "not-found");

	/* edit: the author only */
	pu_expect_problem(&t.owner, "PATCH", cpath, "{\"body\":\"x\"}", NULL, NULL, 403, "forbidden");
	pu_expect_problem(&t.manager, "PATCH", cpath, "{\"body\":\"x\"}", NULL, NULL, 403,
	    "forbidden");
	pu_expect_problem(&t.viewer, "PATCH", cpath, "{\"body\":\"x\"}", "If-Match: \"1\"", NULL,
	    403, "forbidden");
	pu_expect_problem(&t.stranger, "PATCH", cpath, "{\"body\":\"x\"}", NULL, NULL, 404,
	    "not-found");
	pu_expect_problem(&t.readonly, "PATCH", cpath, "{\"body\":\"x\"}", NULL, NULL, 403,
	    "forbidden");
	cr_expect_eq(comment_version(cb), 1, "refused edits wrote nothing");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM comments WHERE id = '%s' "
	    "AND body = 'by the editor'", cb), 1);
	pu_call(&r, &t.editor, "PATCH", cpath, "{\"body\":\"edited by the editor\"}", NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	resp_free(&r);

	/* delete: the author or a manager; an editor not the other's */
	pu_expect_problem(&t.editor, "DELETE", opath, NULL, NULL, NULL, 403, "forbidden");
	pu_expect_problem(&t.viewer, "DELETE", cpath, NULL, NULL, NULL, 403, "forbidden");
	pu_expect_problem(&t.stranger, "DELETE", cpath, NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(&t.readonly, "DELETE", cpath, NULL, NULL, NULL, 403, "forbidden");
	cr_expect_eq(comment_version(cb), 2, "refused deletes wrote nothing");
	cr_expect_eq(comment_version(co), 1);
	/* a manager's delete honours If-Match too */
	pu_expect_problem(&t.manager, "DELETE", cpath, NULL, "If-Match: \"1\"", NULL, 412,
	    "precondition-failed");
	cr_expect_eq(comment_version(cb), 2);
	pu_call(&r, &t.manager, "DELETE", cpath, NULL, "If-Match: \"2\"", NULL);
	cr_expect_eq(r.status, 204, "the manager deletes the editor's comment: %s", r.body);
	resp_free(&r);
	cr_expect_eq(comment_version(cb), 0);
	pu_call(&r, &t.owner, "DELETE", opath, NULL, NULL, NULL);
	cr_expect_eq(r.status, 204, "the author deletes their own: %s", r.body);
	resp_free(&r);
	cr_expect_eq(comment_version(co), 0);

	/* a member removed loses the comments with the project */
	comment(&t.editor, t.task, "before leaving", cb);
	pu_sql(cpath, sizeof(cpath), "DELETE FROM project_members WHERE project_id = '%s' "
	    "AND user_id = '%s' RETURNING role", t.project, t.editor.id);
	snprintf(cpath, sizeof(cpath), "/api/v1/comments/%s", cb);
	pu_expect_problem(&t.editor, "GET", cpath, NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(&t.editor, "PATCH", cpath, "{\"body\":\"x\"}", NULL, NULL, 404,
	    "not-found");
	pu_expect_problem(&t.editor, "GET", path, NULL, NULL, NULL, 404, "not-found");
	cr_expect_eq(comment_version(cb), 1);
}

struct racer {
	const struct pu_user	*u;
	const char		*path;
	const char		*body;
	long			 status;
};

static void *
race(void *arg)
{
	struct racer	*x = arg;
	struct resp	 r;

	pu_call(&r, x->u, "PATCH", x->path, x->body, "If-Match: \"1\"", NULL);
	x->status = r.status;
	resp_free(&r);
	return NULL;
}

Test(comments, concurrent_edits_with_one_if_match_one_wins)
{
	const struct pu_user	*a = pu_alice();
	char			 task[40], c[40], path[128];
	pthread_t		 t[2];
	struct racer		 x[2];
	int			 round, ok, pre;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	pu_task(a, "Raced comments", "new", NULL, NULL, NULL, task);
	for (round = 0; round < 3; round++) {
		comment(a, task, "race", c);
		snprintf(path, sizeof(path), "/api/v1/comments/%s", c);
		for (int i = 0; i < 2; i++) {
			x[i] = (struct racer){ a, path, i ? "{\"body\":\"B\"}" : "{\"body\":\"A\"}", 0 };
			cr_assert_eq(pthread_create(&t[i], NULL, race, &x[i]), 0);
		}
		ok = pre = 0;
		for (int i = 0; i < 2; i++) {
			pthread_join(t[i], NULL);
			ok += x[i].status == 200;
			pre += x[i].status == 412;
		}
		cr_expect(ok == 1 && pre == 1, "round %d: %ld and %ld", round, x[0].status,
		    x[1].status);
		cr_expect_eq(comment_version(c), 2);
		cr_expect_eq(pu_sql_long("SELECT count(*) FROM activity WHERE resource_id = '%s' "
		    "AND action = 'updated'", c), 1, "one edit, one entry");
	}
	pu_task_delete(a, task);
}

/* ------------------------------------------------------------------ */
/* Activity */

Test(activity, each_kind_of_change_with_old_and_new_values)
{
	struct pu_user	 a;
	struct resp	 r;
	char		 p[40], q[40], task[40], c[40], sprint[40], al[40], path[160],
			 tpath[160], ppath[160], qpath[160], body[256], d0[11], d1[11];
	json_object	*it, *ch;

	pu_user_fresh(&a, NULL);
	project(&a, "Logged", p);
	project(&a, "Elsewhere", q);
	snprintf(ppath, sizeof(ppath), "/api/v1/projects/%s/activity", p);
	snprintf(qpath, sizeof(qpath), "/api/v1/projects/%s/activity", q);

	/* project created, then updated */
	snprintf(path, sizeof(path), "/api/v1/projects/%s", p);
	pu_call(&r, &a, "PATCH", path, "{\"name\":\"Logged 2\",\"status\":\"active\"}", NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	it = find_activity(&r, &a, ppath, "updated", "project");
	cr_assert_not_null(it, "project updated: %s", r.body);
	ch = pu_get(it, "changes");
	cr_expect_str_eq(raw(ch, "name"), "[\"Logged\",\"Logged 2\"]");
	cr_expect_str_eq(raw(ch, "status"), "[\"discovery\",\"active\"]");
	cr_expect_str_eq(pu_str(pu_get(it, "actor"), "id"), a.id);
	cr_expect_str_eq(pu_str(pu_get(it, "resource"), "id"), p);
	cr_expect_str_eq(pu_str(it, "project_id"), p);
	cr_expect(!has(ch, "version") && !has(ch, "updated_at"), "bookkeeping columns stay out");
	resp_free(&r);
	it = find_activity(&r, &a, ppath, "created", "project");
	cr_expect_not_null(it, "project created: %s", r.body);
	resp_free(&r);

	/* sprint and action list created in the project */
	pu_date(0, d0);
	pu_date(13, d1);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"name\":\"S1\","
	    "\"start_date\":\"%s\",\"end_date\":\"%s\"}", p, d0, d1);
	pu_create(&a, "/api/v1/sprints", body, sprint);
	snprintf(body, sizeof(body), "{\"title\":\"AL1\",\"project_id\":\"%s\"}", p);
	pu_create(&a, "/api/v1/action-lists", body, al);
	it = find_activity(&r, &a, ppath, "created", "sprint");
	cr_assert_not_null(it, "sprint created: %s", r.body);
	cr_expect_str_eq(pu_str(pu_get(it, "resource"), "id"), sprint);
	cr_expect_str_eq(pu_str(pu_get(it, "resource"), "title"), "S1");
	resp_free(&r);
	it = find_activity(&r, &a, ppath, "created", "action_list");
	cr_assert_not_null(it, "action list created: %s", r.body);
	cr_expect_str_eq(pu_str(pu_get(it, "resource"), "id"), al);
	cr_expect_str_eq(pu_str(pu_get(it, "resource"), "title"), "AL1");
	resp_free(&r);

	/* a task: created, updated, status_changed, commented, moved, deleted */
	pu_task(&a, "Logged task", "new", NULL, p, NULL, task);
	snprintf(tpath, sizeof(tpath), "/api/v1/tasks/%s/activity", task);
	it = find_activity(&r, &a, tpath, "created", "task");
	cr_assert_not_null(it, "task created: %s", r.body);
	cr_expect_str_eq(pu_str(it, "task_id"), task);
	cr_expect_str_eq(pu_str(it, "project_id"), p);
	cr_expect_str_eq(pu_str(pu_get(it, "resource"), "title"), "Logged task");
	resp_free(&r);

	snprintf(path, sizeof(path), "/api/v1/tasks/%s", task);
	pu_call(&r, &a, "PATCH", path, "{\"title\":\"Renamed\",\"priority\":\"p1\"}", NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	it = find_activity(&r, &a, tpath, "updated", "task");
	cr_assert_not_null(it, "task updated: %s", r.body);
	ch = pu_get(it, "changes");
	cr_expect_str_eq(raw(ch, "title"), "[\"Logged task\",\"Renamed\"]");
	cr_expect_str_eq(raw(ch, "priority"), "[\"p2\",\"p1\"]");
	cr_expect(!has(ch, "search") && !has(ch, "version"), "the search vector stays out");
	resp_free(&r);

	snprintf(path, sizeof(path), "/api/v1/tasks/%s/status", task);
	pu_call(&r, &a, "POST", path, "{\"status\":\"in_progress\"}", NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	it = find_activity(&r, &a, tpath, "status_changed", "task");
	cr_assert_not_null(it, "status changed: %s", r.body);
	cr_expect_str_eq(raw(pu_get(it, "changes"), "status"), "[\"new\",\"in_progress\"]");
	resp_free(&r);

	comment(&a, task, "noted", c);
	it = find_activity(&r, &a, tpath, "commented", "comment");
	cr_assert_not_null(it, "commented: %s", r.body);
	cr_expect_str_eq(pu_str(pu_get(it, "resource"), "id"), c);
	cr_expect_str_eq(pu_str(it, "task_id"), task);
	resp_free(&r);
	it = find_activity(&r, &a, ppath, "commented", "comment");
	cr_expect_not_null(it, "the project's log has the comment too: %s", r.body);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/comments/%s", c);
	pu_call(&r, &a, "PATCH", path, "{\"body\":\"noted again\"}", NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	it = find_activity(&r, &a, tpath, "updated", "comment");
	cr_assert_not_null(it, "comment updated: %s", r.body);
	cr_expect_str_eq(raw(pu_get(it, "changes"), "body"), "[\"noted\",\"noted again\"]");
	resp_free(&r);

	/* moved to the other project: one entry in each project's log */
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/assign-project", task);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\"}", q);
	pu_call(&r, &a, "POST", path, body, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	snprintf(body, sizeof(body), "[\"%s\",\"%s\"]", p, q);
	it = find_activity(&r, &a, tpath, "moved", "task");
	cr_assert_not_null(it, "moved: %s", r.body);
	cr_expect_str_eq(raw(pu_get(it, "changes"), "project_id"), body);
	resp_free(&r);
	it = find_activity(&r, &a, ppath, "moved", "task");
	cr_expect_not_null(it, "the project left logs the move: %s", r.body);
	resp_free(&r);
	it = find_activity(&r, &a, qpath, "moved", "task");
	cr_expect_not_null(it, "the project entered logs the move: %s", r.body);
	resp_free(&r);

	/* deleted: the task's log is gone with it, the project's keeps it */
	pu_task_delete(&a, task);
	pu_expect_problem(&a, "GET", tpath, NULL, NULL, NULL, 404, "not-found");
	it = find_activity(&r, &a, qpath, "deleted", "task");
	cr_assert_not_null(it, "task deleted: %s", r.body);
	cr_expect_str_eq(pu_str(pu_get(it, "resource"), "id"), task);
	cr_expect_str_eq(pu_str(pu_get(it, "resource"), "title"), "Renamed");
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM activity WHERE task_id = '%s' "
	    "AND action = 'deleted' AND resource_type = 'task'", task), 1);

	/* a sprint deleted stays in the project's log */
	snprintf(path, sizeof(path), "/api/v1/sprints/%s", sprint);
	pu_call(&r, &a, "DELETE", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 204, "%s", r.body);
	resp_free(&r);
	it = find_activity(&r, &a, ppath, "deleted", "sprint");
	cr_expect_not_null(it, "sprint deleted: %s", r.body);
	resp_free(&r);

	/* membership, written by the table owner here: no actor */
	{
		struct pu_user v;

		pu_user_fresh(&v, NULL);
		member(p, &v, "viewer");
		it = find_activity(&r, &a, ppath, "member_added", "member");
		cr_assert_not_null(it, "member added: %s", r.body);
		cr_expect_str_eq(raw(pu_get(it, "changes"), "role"), "[null,\"viewer\"]");
		cr_expect_str_eq(pu_str(pu_get(it, "resource"), "id"), v.id);
		resp_free(&r);
		/* the new member reads the project's log, history included */
		it = find_activity(&r, &v, ppath, "created", "project");
		cr_expect_not_null(it, "a viewer reads the log: %s", r.body);
		resp_free(&r);
	}
}

/* Needs the membership port of tasks.c (assignee_id, API.md section 6). */
Test(activity, assigned)
{
	struct pu_user	 a;
	struct resp	 r;
	char		 task[40], path[160], tpath[160], body[160], want[160];
	json_object	*it;

	pu_user_fresh(&a, NULL);
	pu_task(&a, "Assigned task", "new", NULL, NULL, NULL, task);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", task);
	snprintf(body, sizeof(body), "{\"assignee_id\":\"%s\"}", a.id);
	pu_call(&r, &a, "PATCH", path, body, NULL, NULL);
	if (r.status == 422 && pu_error_names(&r, "assignee_id")) {
		resp_free(&r);
		H_SKIP("activity/assigned: tasks.c does not take assignee_id yet");
	}
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	snprintf(tpath, sizeof(tpath), "/api/v1/tasks/%s/activity", task);
	it = find_activity(&r, &a, tpath, "assigned", "task");
	cr_assert_not_null(it, "assigned: %s", r.body);
	snprintf(want, sizeof(want), "[null,\"%s\"]", a.id);
	cr_expect_str_eq(raw(pu_get(it, "changes"), "assignee_id"), want);
	resp_free(&r);
	pu_task_delete(&a, task);
}

Test(activity, nothing_for_refused_or_rolled_back_writes)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 p[40], task[40], c[40], path[160], out[32], d0[11], d1[11],
				 body[160];
	long			 nt, np;

	project(a, "Rollback", p);
	pu_task(a, "Rollback task", "new", NULL, p, NULL, task);
	comment(a, task, "kept", c);
	nt = activity_count("task_id", task);
	np = activity_count("project_id", p);
	cr_expect_eq(nt, 2, "created and commented");

	/* failed preconditions */
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", task);
	pu_expect_problem(a, "PATCH", path, "{\"title\":\"no\"}", "If-Match: \"9\"", NULL, 412,
	    "precondition-failed");
	pu_expect_problem(a, "PATCH", path, "{\"title\":\"no\",\"version\":9}", NULL, NULL, 409,
	    "version-conflict");
	pu_expect_problem(a, "DELETE", path, NULL, "If-Match: \"9\"", NULL, 412,
	    "precondition-failed");
	snprintf(path, sizeof(path), "/api/v1/comments/%s", c);
	pu_expect_problem(a, "PATCH", path, "{\"body\":\"no\"}", "If-Match: \"9\"", NULL, 412,
	    "precondition-failed");
	/* an illegal transition */
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/status", task);
	pu_expect_problem(a, "POST", path, "{\"status\":\"review\"}", NULL, NULL, 409,
	    "invalid-transition");
	/* a constraint of the database (one date of the pair in the body) */
	pu_date(10, d0);
	pu_date(1, d1);
	snprintf(path, sizeof(path), "/api/v1/projects/%s", p);
	snprintf(body, sizeof(body), "{\"start_date\":\"%s\"}", d0);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	np++;
	snprintf(body, sizeof(body), "{\"target_end_date\":\"%s\"}", d1);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	pu_expect_422(&r, "target_end_date", "end before start");
	resp_free(&r);
	cr_expect_eq(activity_count("task_id", task), nt, "nothing for the refused task writes");
	cr_expect_eq(activity_count("project_id", p), np, "nothing for the refused project write");

	/*
	 * The trigger writes in the changing transaction: inside it the entry
	 * is there, after its rollback (the connection ends without COMMIT)
	 * it is not.
	 */
	pu_sql(out, sizeof(out), "BEGIN; UPDATE tasks SET title = 'rolled back' WHERE id = '%s'; "
	    "SELECT count(*) FROM activity WHERE task_id = '%s'", task, task);
	cr_expect_eq(atol(out), nt + 1, "the entry exists inside the transaction");
	cr_expect_eq(activity_count("task_id", task), nt, "and not after its rollback");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE id = '%s' "
	    "AND title = 'Rollback task'", task), 1);
	pu_task_delete(a, task);
}

Test(activity, cursor_paging_newest_first)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 task[40], c[40], path[320], next[128], ids[16][24];
	json_object		*items;
	int			 n = 0, i, pages = 0;
	long			 total;

	pu_task(a, "Paged activity", "new", NULL, NULL, NULL, task);
	for (i = 0; i < 6; i++)
		comment(a, task, "entry", c);
	total = activity_count("task_id", task);
	cr_assert_eq(total, 7);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/activity?limit=3", task);
	for (;;) {
		pu_call(&r, a, "GET", path, NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		/* 7 then 8: the one added after the first page counts, but comes before */
		cr_expect_eq(pu_int(r.json, "total"), pages == 0 ? 7 : 8);
		cr_expect_eq(pu_int(r.json, "limit"), 3);
		items = pu_get(r.json, "items");
		for (size_t k = 0; k < json_object_array_length(items) && n < 16; k++)
			snprintf(ids[n++], sizeof(ids[0]), "%s",
			    pu_str(json_object_array_get_idx(items, k), "id"));
		if (pages++ == 0)
			comment(a, task, "after the first page", c);	/* newer: not on later pages */
		if (pu_isnull(r.json, "next_cursor")) {
			resp_free(&r);
			break;
		}
		cr_expect_not_null(pu_hdr(&r, "Link"));
		snprintf(next, sizeof(next), "%s", pu_str(r.json, "next_cursor"));
		snprintf(path, sizeof(path), "/api/v1/tasks/%s/activity?limit=3&cursor=%s", task,
		    next);
		resp_free(&r);
		cr_assert(pages < 10);
	}
	cr_expect_eq(pages, 3);
	cr_expect_eq(n, 7);
	for (i = 1; i < n; i++)
		cr_expect(atol(ids[i]) < atol(ids[i - 1]), "newest first: %s after %s", ids[i],
		    ids[i - 1]);
	cr_expect_eq(atol(ids[n - 1]), pu_sql_long("SELECT min(id) FROM activity "
	    "WHERE task_id = '%s'", task));
	cr_expect_eq(atol(ids[0]), pu_sql_long("SELECT max(id) FROM activity "
	    "WHERE task_id = '%s' AND id < (SELECT max(id) FROM activity WHERE task_id = '%s')",
	    task, task));

	snprintf(path, sizeof(path), "/api/v1/tasks/%s/activity?limit=101", task);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 400, "malformed-request");
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/activity?limit=0", task);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 400, "malformed-request");
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/activity?cursor=YQp4", task);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 400, "malformed-request");
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/activity?status=x", task);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 400, "malformed-request");
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/activity?limit=100", task);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect(pu_isnull(r.json, "next_cursor"));
	cr_expect_null(pu_hdr(&r, "Link"));
	resp_free(&r);
	pu_task_delete(a, task);
}

Test(activity, visibility)
{
	struct team	 t;
	struct resp	 r;
	char		 tpath[160], ppath[160], xpath[160];

	team_make(&t);
	snprintf(tpath, sizeof(tpath), "/api/v1/tasks/%s/activity", t.task);
	snprintf(ppath, sizeof(ppath), "/api/v1/projects/%s/activity", t.project);
	snprintf(xpath, sizeof(xpath), "/api/v1/tasks/%s/activity", t.personal);
	pu_call(&r, &t.viewer, "GET", tpath, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	pu_call(&r, &t.viewer, "GET", ppath, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_geq(pu_int(r.json, "total"), 6, "project, 4 members, a task: %s", r.body);
	resp_free(&r);
	pu_expect_problem(&t.stranger, "GET", tpath, NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(&t.stranger, "GET", ppath, NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(&t.manager, "GET", xpath, NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(&t.owner, "GET",
	    "/api/v1/projects/00000000-0000-4000-8000-000000000000/activity", NULL, NULL, NULL,
	    404, "not-found");
	/* the personal task's log is its owner's */
	pu_call(&r, &t.owner, "GET", xpath, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 1);
	resp_free(&r);

	/* an editor's change is logged with the editor as the actor */
	{
		char		 task[40];
		json_object	*it;

		pu_task(&t.editor, "By the editor", "new", NULL, t.project, NULL, task);
		it = find_activity(&r, &t.viewer, ppath, "created", "task");
		cr_assert_not_null(it, "%s", r.body);
		cr_expect_str_eq(pu_str(pu_get(it, "resource"), "id"), task);
		cr_expect_str_eq(pu_str(pu_get(it, "actor"), "id"), t.editor.id);
		resp_free(&r);
	}
}

Test(activity, never_a_secret)
{
	struct pu_user	 a;
	struct resp	 r;
	char		 p[40], task[40], path[160], tpath[160];

	pu_user_fresh(&a, NULL);
	/* a password change and a refresh happen around the logged changes */
	pu_call(&r, &a, "PATCH", "/api/v1/users/me",
	    "{\"password\":\"another-password-1\",\"current_password\":\"" PASSWORD "\"}",
	    NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	project(&a, "Secretless", p);
	pu_task(&a, "Secretless task", "new", NULL, p, NULL, task);
	snprintf(path, sizeof(path), "/api/v1/projects/%s/activity", p);
	snprintf(tpath, sizeof(tpath), "/api/v1/tasks/%s/activity", task);
	pu_call(&r, &a, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_null(strstr(r.body, "password"), "%s", r.body);
	cr_expect_null(strstr(r.body, "$argon2"), "%s", r.body);
	cr_expect_null(strstr(r.body, "token"), "%s", r.body);
	cr_expect_null(strstr(r.body, "email"), "%s", r.body);
	resp_free(&r);
	/* no column of the table, no value anywhere in it */
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM information_schema.columns "
	    "WHERE table_name = 'activity' AND column_name ~* '(password|token|hash|secret)'"), 0);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM activity WHERE coalesce(changes::text, '') "
	    "~* '(password|token_hash|refresh|argon2)'"), 0);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM activity a JOIN users u ON "
	    "strpos(coalesce(a.changes::text, '') || coalesce(a.title, ''), u.password_hash) > 0"), 0);
}
