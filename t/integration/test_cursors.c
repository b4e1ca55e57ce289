/*
 * Issue 11: a cursor whose row was deleted behaves the same on every
 * planning list (projects, sprints, action lists): the next page
 * continues after the cursor's key -- never a 400, never a silently empty
 * page.  Each list is paged one row at a time under each sort, the row a
 * cursor names is deleted, and the cursor must still lead to the next row.
 * Names are 200 four-byte characters for the name sorts: the longest key,
 * which earlier versions left out of the cursor (an empty page then).
 * (The admin users list: test_auth.c; the task lists: test_tasks.c.)
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "plan_util.h"

struct list_case {
	const char	*path;		/* list and create path */
	const char	*sort;
	bool		 long_names;
};

/* A body for the n-th row of path (project pid for sprints). */
static void
body_for(const struct list_case *c, const char *pid, int n, char *dst, size_t len)
{
	char	 name[900];
	int	 i;

	name[0] = '\0';
	if (c->long_names)
		for (i = 0; i < 199; i++)
			strcat(name, "\xf0\x9f\x98\x80");	/* U+1F600, 4 bytes */
	snprintf(name + strlen(name), sizeof(name) - strlen(name), "%c", 'a' + n);
	if (strcmp(c->path, "/api/v1/sprints") == 0)
		snprintf(dst, len, "{\"project_id\":\"%s\",\"name\":\"%s\","
		    "\"start_date\":\"2026-0%d-01\",\"end_date\":\"2026-0%d-20\"}",
		    pid, name, n + 1, n + 1);
	else if (strcmp(c->path, "/api/v1/action-lists") == 0)
		snprintf(dst, len, "{\"title\":\"%s\",\"project_id\":\"%s\"}", name, pid);
	else
		snprintf(dst, len, "{\"name\":\"%s\"}", name);
}

static const char *
first_id(const struct resp *r)
{
	json_object *items = pu_get(r->json, "items");

	cr_assert(items != NULL && json_object_array_length(items) == 1,
	    "one item expected: %s", r->body);
	return pu_str(json_object_array_get_idx(items, 0), "id");
}

static void
deleted_cursor_row(const struct list_case *c)
{
	struct pu_user	 u;
	struct resp	 r;
	char		 ids[3][40], pid[40], body[1200], path[2000], cursor[1300];
	char		 filter[80] = "";
	int		 i, a, b;
	bool		 desc = c->sort[0] == '-';

	pu_user_fresh(&u, NULL);
	if (strcmp(c->path, "/api/v1/projects") != 0) {
		pu_create(&u, "/api/v1/projects", "{\"name\":\"cursor-home\"}", pid);
		snprintf(filter, sizeof(filter), "&project_id=%s", pid);
	}
	for (i = 0; i < 3; i++) {
		body_for(c, pid, i, body, sizeof(body));
		pu_create(&u, c->path, body, ids[i]);
	}
	/* rows in list order: 0, 1, 2 ascending; 2, 1, 0 descending */
	a = desc ? 2 : 0;
	b = 1;
	snprintf(path, sizeof(path), "%s?sort=%s&limit=1%s", c->path, c->sort, filter);
	pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
	cr_assert_str_eq(first_id(&r), ids[a], "%s: first page", path);
	cr_assert_not_null(pu_str(r.json, "next_cursor"), "%s: %s", path, r.body);
	snprintf(cursor, sizeof(cursor), "%s", pu_str(r.json, "next_cursor"));
	resp_free(&r);

	/* the row the cursor names goes away */
	snprintf(path, sizeof(path), "%s/%s", c->path, ids[a]);
	pu_call(&r, &u, "DELETE", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 204, "DELETE %s: %ld %s", path, r.status, r.body);
	resp_free(&r);

	snprintf(path, sizeof(path), "%s?sort=%s&limit=1%s&cursor=%s", c->path, c->sort,
	    filter, cursor);
	pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s?sort=%s after the delete: %ld %s", c->path, c->sort,
	    r.status, r.body);
	cr_expect_str_eq(first_id(&r), ids[b], "%s?sort=%s: the row after the deleted one",
	    c->path, c->sort);
	cr_expect_not_null(pu_str(r.json, "next_cursor"), "one more row follows");
	resp_free(&r);
}

Test(cursors, projects_deleted_row)
{
	static const struct list_case cs[] = {
		{ "/api/v1/projects", "created_at", false },
		{ "/api/v1/projects", "-updated_at", false },
		{ "/api/v1/projects", "name", true },
		{ "/api/v1/projects", "-name", true },
	};

	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
		deleted_cursor_row(&cs[i]);
}

Test(cursors, sprints_deleted_row)
{
	static const struct list_case cs[] = {
		{ "/api/v1/sprints", "-created_at", false },
		{ "/api/v1/sprints", "name", true },
		{ "/api/v1/sprints", "start_date", false },
		{ "/api/v1/sprints", "-start_date", false },
	};

	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
		deleted_cursor_row(&cs[i]);
}

Test(cursors, action_lists_deleted_row)
{
	static const struct list_case cs[] = {
		{ "/api/v1/action-lists", "created_at", false },
		{ "/api/v1/action-lists", "title", true },
		{ "/api/v1/action-lists", "-title", true },
	};

	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
		deleted_cursor_row(&cs[i]);
}
