/*
 * Action lists over real HTTP (API.md section 3): create/get/patch/delete
 * with ETags and preconditions, item validation and normalisation, task
 * references (own tasks only, items[i].task_id in the 422, nulled when the
 * task is deleted), project/sprint rules, the list, and another user's
 * view of every route.
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
sprint(const struct pu_user *u, const char *project_id, const char *name, char id[40])
{
	char body[512];

	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"name\":\"%s\","
	    "\"start_date\":\"2026-09-01\",\"end_date\":\"2026-09-14\"}", project_id, name);
	pu_create(u, "/api/v1/sprints", body, id);
}

static json_object *
item(const struct resp *r, size_t i)
{
	json_object *items = pu_get(r->json, "items");

	cr_assert(items != NULL && json_object_is_type(items, json_type_array), "%s", r->body);
	cr_assert(i < json_object_array_length(items), "no item %zu: %s", i, r->body);
	return json_object_array_get_idx(items, i);
}

static void
upper(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'a' && *s <= 'f')
			*s = (char)(*s - 'a' + 'A');
}

Test(action_lists, create_normalises_items_and_get)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 tid[40], up[40], body[1024], id[40], path[128];

	pu_task(a, "referenced", "new", NULL, NULL, NULL, tid);
	snprintf(up, sizeof(up), "%s", tid);
	upper(up);
	snprintf(body, sizeof(body), "{\"title\":\"Launch\",\"items\":[{\"text\":\"one\"},"
	    "{\"text\":\"two\",\"done\":true,\"task_id\":\"%s\"},{\"text\":\"three\",\"task_id\":null}]}", up);
	pu_call(&r, a, "POST", "/api/v1/action-lists", body, NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	snprintf(id, sizeof(id), "%s", pu_str(r.json, "id"));
	snprintf(path, sizeof(path), "/api/v1/action-lists/%s", id);
	cr_expect_str_eq(pu_hdr(&r, "Location") ? pu_hdr(&r, "Location") : "", path);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"1\"");
	cr_expect_str_eq(pu_str(r.json, "status"), "active");
	cr_expect(pu_isnull(r.json, "description"));
	cr_expect(pu_isnull(r.json, "project_id"));
	cr_expect(pu_isnull(r.json, "sprint_id"));
	cr_expect_str_eq(pu_str(r.json, "owner_id"), a->id);
	resp_free(&r);

	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200);
	cr_expect_eq(json_object_array_length(pu_get(r.json, "items")), 3);
	cr_expect_str_eq(pu_str(item(&r, 0), "text"), "one");
	cr_expect_str_eq(pu_raw(item(&r, 0), "done"), "false", "done defaults to false");
	cr_expect(pu_isnull(item(&r, 0), "task_id"), "task_id defaults to null");
	cr_expect_str_eq(pu_str(item(&r, 1), "text"), "two");
	cr_expect_str_eq(pu_raw(item(&r, 1), "done"), "true");
	cr_expect_str_eq(pu_str(item(&r, 1), "task_id"), tid, "stored lower-case");
	cr_expect_str_eq(pu_str(item(&r, 2), "text"), "three");
	cr_expect(pu_isnull(item(&r, 2), "task_id"));
	resp_free(&r);
	pu_call(&r, a, "GET", path, NULL, "If-None-Match: \"1\"", NULL);
	cr_expect_eq(r.status, 304);
	resp_free(&r);

	/* no items at all: [] */
	pu_call(&r, a, "POST", "/api/v1/action-lists", "{\"title\":\"empty\",\"status\":\"archived\","
	    "\"description\":\"\"}", NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_expect_eq(json_object_array_length(pu_get(r.json, "items")), 0);
	cr_expect_str_eq(pu_str(r.json, "status"), "archived");
	cr_expect_str_eq(pu_str(r.json, "description"), "");
	resp_free(&r);
}

Test(action_lists, validation_names_fields_and_items)
{
	static const struct {
		const char	*body;
		const char	*field;
	} bad[] = {
		{ "{}", "title" },
		{ "{\"title\":\"\"}", "title" },
		{ "{\"title\":\"\\t\"}", "title" },
		{ "{\"title\":\"x\",\"status\":\"done\"}", "status" },
		{ "{\"title\":\"x\",\"items\":null}", "items" },
		{ "{\"title\":\"x\",\"items\":{}}", "items" },
		{ "{\"title\":\"x\",\"items\":[\"text\"]}", "items[0]" },
		{ "{\"title\":\"x\",\"items\":[{\"done\":true}]}", "items[0].text" },
		{ "{\"title\":\"x\",\"items\":[{\"text\":\"a\"},{\"text\":\"\"}]}", "items[1].text" },
		{ "{\"title\":\"x\",\"items\":[{\"text\":\"a\"},{\"text\":\"  \"}]}", "items[1].text" },
		{ "{\"title\":\"x\",\"items\":[{\"text\":\"a\",\"done\":\"yes\"}]}", "items[0].done" },
		{ "{\"title\":\"x\",\"items\":[{\"text\":\"a\",\"done\":null}]}", "items[0].done" },
		{ "{\"title\":\"x\",\"items\":[{\"text\":\"a\",\"task_id\":\"t-1\"}]}", "items[0].task_id" },
		{ "{\"title\":\"x\",\"items\":[{\"text\":\"a\",\"owner\":1}]}", "items[0].owner" },
		{ "{\"title\":\"x\",\"project_id\":\"p\"}", "project_id" },
		{ "{\"title\":\"x\",\"sprint_id\":5}", "sprint_id" },
		{ "{\"title\":\"x\",\"version\":1}", "version" },
	};
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	static char		 body[80000];
	char			 text[1100];
	long			 before = pu_sql_long("SELECT count(*) FROM action_lists WHERE owner_id = '%s'", a->id);
	size_t			 i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pu_call(&r, a, "POST", "/api/v1/action-lists", bad[i].body, NULL, NULL);
		pu_expect_422(&r, bad[i].field, bad[i].body);
		resp_free(&r);
	}
	/* 1001 characters of text */
	memset(text, 't', 1001);
	text[1001] = '\0';
	snprintf(body, sizeof(body), "{\"title\":\"x\",\"items\":[{\"text\":\"%s\"}]}", text);
	pu_call(&r, a, "POST", "/api/v1/action-lists", body, NULL, NULL);
	pu_expect_422(&r, "items[0].text", "1001 characters");
	resp_free(&r);
	/* 501 items; 500 are fine */
	for (int want = 501; want >= 500; want--) {
		n = (size_t)snprintf(body, sizeof(body), "{\"title\":\"many\",\"items\":[");
		for (i = 0; i < (size_t)want; i++)
			n += (size_t)snprintf(body + n, sizeof(body) - n, "%s{\"text\":\"i%zu\"}",
			    i ? "," : "", i);
		snprintf(body + n, sizeof(body) - n, "]}");
		pu_call(&r, a, "POST", "/api/v1/action-lists", body, NULL, NULL);
		if (want == 501)
			pu_expect_422(&r, "items", "501 items");
		else {
			cr_expect_eq(r.status, 201, "500 items: %ld", r.status);
			cr_expect_eq(json_object_array_length(pu_get(r.json, "items")), 500);
		}
		resp_free(&r);
	}
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM action_lists WHERE owner_id = '%s'", a->id),
	    before + 1, "only the 500-item list was created");
}

Test(action_lists, task_references_must_be_own)
{
	const struct pu_user	*a = pu_alice(), *b = pu_bob();
	struct resp		 r;
	char			 mine[40], theirs[40], body[1024], id[40], path[128];
	long			 before;

	pu_task(a, "mine", "new", NULL, NULL, NULL, mine);
	pu_task(b, "theirs", "new", NULL, NULL, NULL, theirs);
	before = pu_sql_long("SELECT count(*) FROM action_lists WHERE owner_id = '%s'", a->id);

	snprintf(body, sizeof(body), "{\"title\":\"refs\",\"items\":[{\"text\":\"ok\",\"task_id\":\"%s\"},"
	    "{\"text\":\"bad\",\"task_id\":\"%s\"},{\"text\":\"fine\"},"
	    "{\"text\":\"gone\",\"task_id\":\"00000000-0000-4000-8000-000000000000\"}]}", mine, theirs);
	pu_call(&r, a, "POST", "/api/v1/action-lists", body, NULL, NULL);
	pu_expect_422(&r, "items[1].task_id", "another user's task");
	cr_expect(pu_error_names(&r, "items[3].task_id"), "%s", r.body);
	cr_expect(!pu_error_names(&r, "items[0].task_id"), "%s", r.body);
	cr_expect(strstr(r.body, "theirs") == NULL);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM action_lists WHERE owner_id = '%s'", a->id),
	    before, "nothing created");

	snprintf(body, sizeof(body), "{\"title\":\"refs\",\"items\":[{\"text\":\"ok\",\"task_id\":\"%s\"}]}",
	    mine);
	pu_create(a, "/api/v1/action-lists", body, id);
	snprintf(path, sizeof(path), "/api/v1/action-lists/%s", id);
	/* PATCH replaces items as a whole; a foreign task there is 422 too */
	snprintf(body, sizeof(body), "{\"items\":[{\"text\":\"x\"},{\"text\":\"y\",\"task_id\":\"%s\"}]}",
	    theirs);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	pu_expect_422(&r, "items[1].task_id", "PATCH with another user's task");
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT version FROM action_lists WHERE id = '%s'", id), 1);
	/* 404 comes before the reference check; 412 too */
	snprintf(path, sizeof(path), "/api/v1/action-lists/00000000-0000-4000-8000-000000000000");
	pu_expect_problem(a, "PATCH", path, body, NULL, NULL, 404, "not-found");
	snprintf(path, sizeof(path), "/api/v1/action-lists/%s", id);
	pu_expect_problem(a, "PATCH", path, body, "If-Match: \"9\"", NULL, 412,
	    "precondition-failed");
}

Test(action_lists, patch_replaces_items_and_preconditions)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], path[128];

	pu_create(a, "/api/v1/action-lists", "{\"title\":\"p\",\"description\":\"d\","
	    "\"items\":[{\"text\":\"a\"},{\"text\":\"b\"},{\"text\":\"c\"}]}", id);
	snprintf(path, sizeof(path), "/api/v1/action-lists/%s", id);

	pu_call(&r, a, "PATCH", path, "{\"items\":[{\"text\":\"c\",\"done\":true},{\"text\":\"a\"}]}",
	    "If-Match: \"1\"", NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(json_object_array_length(pu_get(r.json, "items")), 2);
	cr_expect_str_eq(pu_str(item(&r, 0), "text"), "c");
	cr_expect_str_eq(pu_raw(item(&r, 0), "done"), "true");
	cr_expect_str_eq(pu_str(item(&r, 1), "text"), "a");
	cr_expect_str_eq(pu_str(r.json, "title"), "p");
	cr_expect_str_eq(pu_str(r.json, "description"), "d");
	cr_expect_eq(pu_int(r.json, "version"), 2);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"2\"");
	resp_free(&r);

	pu_call(&r, a, "PATCH", path, "{\"title\":\"q\",\"status\":\"completed\",\"description\":null}",
	    NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(json_object_array_length(pu_get(r.json, "items")), 2, "items kept when not sent");
	cr_expect(pu_isnull(r.json, "description"));
	cr_expect_str_eq(pu_str(r.json, "status"), "completed");
	resp_free(&r);

	pu_call(&r, a, "PATCH", path, "{\"items\":null}", NULL, NULL);
	pu_expect_422(&r, "items", "null items");
	resp_free(&r);
	pu_call(&r, a, "PATCH", path, "{\"title\":null}", NULL, NULL);
	pu_expect_422(&r, "title", "null title");
	resp_free(&r);
	pu_expect_problem(a, "PATCH", path, "{\"items\":[]}", "If-Match: \"2\"",
	    NULL, 412, "precondition-failed");
	pu_expect_problem(a, "PATCH", path, "{\"items\":[],\"version\":2}",
	    NULL, NULL, 409, "version-conflict");
	pu_call(&r, a, "PATCH", path, "{\"items\":[],\"version\":3}", "If-Match: \"3\"", NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(json_object_array_length(pu_get(r.json, "items")), 0, "[] empties the list");
	resp_free(&r);

	pu_expect_problem(a, "DELETE", path, NULL, "If-Match: \"3\"", NULL, 412,
	    "precondition-failed");
	pu_call(&r, a, "DELETE", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 204);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM action_lists WHERE id = '%s'", id), 0);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 404, "not-found");
}

Test(action_lists, project_and_sprint_rules)
{
	const struct pu_user	*a = pu_alice(), *b = pu_bob();
	struct resp		 r;
	char			 p1[40], p2[40], s1[40], s2[40], bp[40], bs[40], id[40];
	char			 body[512], path[128];

	project(a, "al-1", p1);
	project(a, "al-2", p2);
	sprint(a, p1, "s1", s1);
	sprint(a, p2, "s2", s2);
	project(b, "bob-al", bp);
	sprint(b, bp, "bob-s", bs);

	/* a sprint brings its project */
	snprintf(body, sizeof(body), "{\"title\":\"t\",\"sprint_id\":\"%s\"}", s1);
	pu_call(&r, a, "POST", "/api/v1/action-lists", body, NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "project_id"), p1);
	cr_expect_str_eq(pu_str(r.json, "sprint_id"), s1);
	snprintf(id, sizeof(id), "%s", pu_str(r.json, "id"));
	resp_free(&r);
	/* a disagreeing project: 422 on sprint_id */
	snprintf(body, sizeof(body), "{\"title\":\"t\",\"project_id\":\"%s\",\"sprint_id\":\"%s\"}", p2, s1);
	pu_call(&r, a, "POST", "/api/v1/action-lists", body, NULL, NULL);
	pu_expect_422(&r, "sprint_id", "sprint of another project");
	resp_free(&r);
	/* bob's project or sprint: 422 on that field */
	snprintf(body, sizeof(body), "{\"title\":\"t\",\"project_id\":\"%s\"}", bp);
	pu_call(&r, a, "POST", "/api/v1/action-lists", body, NULL, NULL);
	pu_expect_422(&r, "project_id", "bob's project");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"title\":\"t\",\"sprint_id\":\"%s\"}", bs);
	pu_call(&r, a, "POST", "/api/v1/action-lists", body, NULL, NULL);
	pu_expect_422(&r, "sprint_id", "bob's sprint");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"title\":\"t\",\"project_id\":\"%s\",\"sprint_id\":\"%s\"}", p1, bs);
	pu_call(&r, a, "POST", "/api/v1/action-lists", body, NULL, NULL);
	pu_expect_422(&r, "sprint_id", "own project, bob's sprint");
	resp_free(&r);

	snprintf(path, sizeof(path), "/api/v1/action-lists/%s", id);
	/* another project drops the sprint of the old one */
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\"}", p2);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "project_id"), p2);
	cr_expect(pu_isnull(r.json, "sprint_id"));
	resp_free(&r);
	/* a sprint moves the list to its project */
	snprintf(body, sizeof(body), "{\"sprint_id\":\"%s\"}", s1);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "project_id"), p1);
	cr_expect_str_eq(pu_str(r.json, "sprint_id"), s1);
	resp_free(&r);
	/* the same project keeps the sprint */
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\"}", p1);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	cr_expect_str_eq(pu_str(r.json, "sprint_id"), s1, "%s", r.body);
	resp_free(&r);
	/* sprint null keeps the project */
	pu_call(&r, a, "PATCH", path, "{\"sprint_id\":null}", NULL, NULL);
	cr_expect_str_eq(pu_str(r.json, "project_id"), p1, "%s", r.body);
	cr_expect(pu_isnull(r.json, "sprint_id"));
	resp_free(&r);
	/* bob's sprint or project in a PATCH: 422, nothing changes */
	snprintf(body, sizeof(body), "{\"sprint_id\":\"%s\"}", bs);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	pu_expect_422(&r, "sprint_id", "PATCH bob's sprint");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\"}", bp);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	pu_expect_422(&r, "project_id", "PATCH bob's project");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"sprint_id\":\"%s\"}", p1, s2);
	pu_call(&r, a, "PATCH", path, body, NULL, NULL);
	pu_expect_422(&r, "sprint_id", "PATCH mismatched sprint");
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM action_lists WHERE id = '%s' AND "
	    "project_id = '%s' AND sprint_id IS NULL AND version = 5", id, p1), 1);
	/* project null clears both */
	pu_call(&r, a, "PATCH", path, "{\"project_id\":null}", NULL, NULL);
	cr_expect(pu_isnull(r.json, "project_id") && pu_isnull(r.json, "sprint_id"), "%s", r.body);
	resp_free(&r);
}

Test(action_lists, deleting_a_task_nulls_its_items)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 t1[40], t2[40], id[40], body[1024], path[128];

	pu_task(a, "to delete", "new", NULL, NULL, NULL, t1);
	pu_task(a, "to keep", "new", NULL, NULL, NULL, t2);
	snprintf(body, sizeof(body), "{\"title\":\"links\",\"items\":[{\"text\":\"first\",\"task_id\":\"%s\"},"
	    "{\"text\":\"second\",\"done\":true,\"task_id\":\"%s\"},{\"text\":\"third\",\"task_id\":\"%s\"}]}",
	    t1, t2, t1);
	pu_create(a, "/api/v1/action-lists", body, id);
	pu_task_delete(a, t1);

	snprintf(path, sizeof(path), "/api/v1/action-lists/%s", id);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "version"), 2, "the unlink is a write: %s", r.body);
	cr_expect_str_eq(pu_str(item(&r, 0), "text"), "first");
	cr_expect(pu_isnull(item(&r, 0), "task_id"), "%s", r.body);
	cr_expect_str_eq(pu_str(item(&r, 1), "task_id"), t2);
	cr_expect_str_eq(pu_raw(item(&r, 1), "done"), "true");
	cr_expect(pu_isnull(item(&r, 2), "task_id"));
	cr_expect_str_eq(pu_str(item(&r, 2), "text"), "third");
	resp_free(&r);
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

Test(action_lists, list_filters_sort_and_cursor)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 p[40], s[40], l[4][40], got[8][40], path[1200], body[512];
	int			 n;

	project(a, "al-list", p);
	sprint(a, p, "al-list-s", s);
	snprintf(body, sizeof(body), "{\"title\":\"b\",\"project_id\":\"%s\"}", p);
	pu_create(a, "/api/v1/action-lists", body, l[0]);
	snprintf(body, sizeof(body), "{\"title\":\"a\",\"sprint_id\":\"%s\",\"status\":\"archived\"}", s);
	pu_create(a, "/api/v1/action-lists", body, l[1]);
	snprintf(body, sizeof(body), "{\"title\":\"c\",\"project_id\":\"%s\",\"status\":\"completed\"}", p);
	pu_create(a, "/api/v1/action-lists", body, l[2]);

	snprintf(path, sizeof(path), "/api/v1/action-lists?project_id=%s", p);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 3);
	n = ids_of(&r, got, 8);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(got[0], l[2]);
	cr_expect_str_eq(got[1], l[1]);
	cr_expect_str_eq(got[2], l[0]);
	resp_free(&r);

	snprintf(path, sizeof(path), "/api/v1/action-lists?sprint_id=%s", s);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	n = ids_of(&r, got, 8);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(got[0], l[1]);
	resp_free(&r);

	snprintf(path, sizeof(path), "/api/v1/action-lists?project_id=%s&status=active,completed", p);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 2);
	resp_free(&r);

	/* title order by cursor, 2 then 1 */
	snprintf(path, sizeof(path), "/api/v1/action-lists?project_id=%s&sort=title&limit=2", p);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	n = ids_of(&r, got, 8);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(got[0], l[1]);
	cr_expect_str_eq(got[1], l[0]);
	cr_assert_not_null(pu_str(r.json, "next_cursor"), "%s", r.body);
	snprintf(path, sizeof(path), "/api/v1/action-lists?project_id=%s&sort=title&limit=2&cursor=%s",
	    p, pu_str(r.json, "next_cursor"));
	resp_free(&r);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	n = ids_of(&r, got, 8);
	cr_assert_eq(n, 1, "%s", r.body);
	cr_expect_str_eq(got[0], l[2]);
	cr_expect(pu_isnull(r.json, "next_cursor"));
	resp_free(&r);

	pu_call(&r, a, "GET", "/api/v1/action-lists?sort=name", NULL, NULL, NULL);
	h_expect_problem(&r, 400, "malformed-request");
	cr_expect(pu_error_names(&r, "sort"));
	resp_free(&r);
	pu_call(&r, a, "GET", "/api/v1/action-lists?sprint_id=x", NULL, NULL, NULL);
	h_expect_problem(&r, 400, "malformed-request");
	cr_expect(pu_error_names(&r, "sprint_id"));
	resp_free(&r);
	pu_expect_problem(a, "GET", "/api/v1/action-lists?status=active,", NULL,
	    NULL, NULL, 400, "malformed-request");
}

Test(action_lists, isolation_matrix)
{
	const struct pu_user	*a = pu_alice(), *b = pu_bob();
	struct resp		 r;
	char			 tid[40], id[40], path[160], body[512], before[2048], after[2048];

	pu_task(a, "alice-task", "new", NULL, NULL, NULL, tid);
	snprintf(body, sizeof(body), "{\"title\":\"alice-list\",\"items\":[{\"text\":\"private\","
	    "\"task_id\":\"%s\"}]}", tid);
	pu_create(a, "/api/v1/action-lists", body, id);
	pu_sql(before, sizeof(before), "SELECT row(l.*)::text FROM action_lists l WHERE id = '%s'", id);

	snprintf(path, sizeof(path), "/api/v1/action-lists/%s", id);
	pu_call(&r, b, "GET", path, NULL, NULL, NULL);
	h_expect_problem(&r, 404, "not-found");
	cr_expect(strstr(r.body, "private") == NULL);
	resp_free(&r);
	pu_expect_problem(b, "PATCH", path, "{\"title\":\"mine\"}", NULL, NULL,
	    404, "not-found");
	pu_expect_problem(b, "PATCH", path, "{\"items\":[]}", "If-Match: \"1\"",
	    NULL, 404, "not-found");
	pu_expect_problem(b, "DELETE", path, NULL, NULL, NULL, 404, "not-found");
	pu_call(&r, b, "GET", "/api/v1/action-lists?limit=200", NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, id) == NULL);
	resp_free(&r);
	/* bob's own list referring to alice's task: 422 on the item */
	snprintf(body, sizeof(body), "{\"title\":\"x\",\"items\":[{\"text\":\"steal\",\"task_id\":\"%s\"}]}",
	    tid);
	pu_call(&r, b, "POST", "/api/v1/action-lists", body, NULL, NULL);
	pu_expect_422(&r, "items[0].task_id", "bob refers to alice's task");
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM action_lists WHERE owner_id = '%s' "
	    "AND items::text LIKE '%%%s%%'", b->id, tid), 0);
	pu_sql(after, sizeof(after), "SELECT row(l.*)::text FROM action_lists l WHERE id = '%s'", id);
	cr_expect_str_eq(after, before, "alice's list is unchanged");
}

Test(action_lists, idempotent_create)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r1, r2;
	char			 key[128], hk[160], title[96], body[256];

	pu_unique(key, sizeof(key), "al-key");
	pu_unique(title, sizeof(title), "al-idem");
	snprintf(hk, sizeof(hk), "Idempotency-Key: %s", key);
	snprintf(body, sizeof(body), "{\"title\":\"%s\",\"items\":[{\"text\":\"x\"}]}", title);
	pu_call(&r1, a, "POST", "/api/v1/action-lists", body, hk, NULL);
	cr_assert_eq(r1.status, 201, "%s", r1.body);
	pu_call(&r2, a, "POST", "/api/v1/action-lists", body, hk, NULL);
	cr_expect_eq(r2.status, 201);
	cr_expect_str_eq(r2.body, r1.body);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM action_lists WHERE title = '%s'", title), 1);
	resp_free(&r1);
	resp_free(&r2);
}
