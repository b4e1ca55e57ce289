/*
 * Projects over real HTTP (API.md section 3): create/get/patch/delete with
 * ETags, preconditions and Idempotency-Key, validation, the list (filter,
 * sorts, offset and cursor paging), metrics against hand-computed values,
 * the delete cascade, and another user's view of every route.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

#include "plan_util.h"

static void
project(const struct pu_user *u, const char *name, const char *extra, char id[40])
{
	char body[1024];

	snprintf(body, sizeof(body), "{\"name\":\"%s\"%s%s}", name, extra ? "," : "",
	    extra ? extra : "");
	pu_create(u, "/api/v1/projects", body, id);
}

Test(projects, create_get_etag_304_and_head)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], path[128], loc[160], inm[32];

	pu_call(&r, a, "POST", "/api/v1/projects",
	    "{\"name\":\"Alpha\",\"start_date\":\"2026-01-05\",\"target_end_date\":\"2026-01-05\"}",
	    NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	snprintf(id, sizeof(id), "%s", pu_str(r.json, "id"));
	snprintf(loc, sizeof(loc), "/api/v1/projects/%s", id);
	cr_expect_str_eq(pu_hdr(&r, "Location") ? pu_hdr(&r, "Location") : "", loc);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"1\"");
	cr_expect_str_eq(pu_str(r.json, "name"), "Alpha");
	cr_expect_str_eq(pu_str(r.json, "status"), "discovery");
	cr_expect(pu_isnull(r.json, "description"));
	cr_expect_str_eq(pu_str(r.json, "start_date"), "2026-01-05");
	cr_expect_str_eq(pu_str(r.json, "target_end_date"), "2026-01-05");
	cr_expect_str_eq(pu_str(r.json, "owner_id"), a->id);
	cr_expect_eq(pu_int(r.json, "version"), 1);
	cr_expect_not_null(pu_str(r.json, "created_at"));
	cr_expect_not_null(pu_str(r.json, "updated_at"));
	resp_free(&r);

	snprintf(path, sizeof(path), "/api/v1/projects/%s", id);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"1\"");
	cr_expect_str_eq(pu_str(r.json, "id"), id);
	resp_free(&r);

	pu_call(&r, a, "GET", path, NULL, "If-None-Match: \"1\"", NULL);
	cr_expect_eq(r.status, 304);
	cr_expect_eq(r.body_len, 0);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"1\"");
	resp_free(&r);
	snprintf(inm, sizeof(inm), "If-None-Match: W/\"1\"");
	pu_call(&r, a, "GET", path, NULL, inm, NULL);
	cr_expect_eq(r.status, 304, "weak comparison for If-None-Match");
	resp_free(&r);
	pu_call(&r, a, "GET", path, NULL, "If-None-Match: \"2\"", NULL);
	cr_expect_eq(r.status, 200);
	resp_free(&r);
	pu_call(&r, a, "HEAD", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_eq(r.body_len, 0);
	resp_free(&r);
	/* not a UUID, unknown: 404 */
	pu_expect_problem(a, "GET", "/api/v1/projects/not-a-uuid", NULL, NULL,
	    NULL, 404, "not-found");
	pu_expect_problem(a, "GET",
	    "/api/v1/projects/00000000-0000-4000-8000-000000000000",
	    NULL, NULL, NULL, 404, "not-found");
	/* no token */
	pu_expect_problem(NULL, "GET", path, NULL, NULL, NULL, 401, "unauthorized");
}

Test(projects, create_validation_names_each_field)
{
	static const struct {
		const char	*body;
		const char	*field;
	} bad[] = {
		{ "{}", "name" },
		{ "{\"name\":\"\"}", "name" },
		{ "{\"name\":\"   \"}", "name" },
		{ "{\"name\":null}", "name" },
		{ "{\"name\":42}", "name" },
		{ "{\"name\":\"x\",\"status\":\"open\"}", "status" },
		{ "{\"name\":\"x\",\"status\":null}", "status" },
		{ "{\"name\":\"x\",\"start_date\":\"2026-02-30\"}", "start_date" },
		{ "{\"name\":\"x\",\"target_end_date\":\"2026-1-1\"}", "target_end_date" },
		{ "{\"name\":\"x\",\"start_date\":\"2026-03-02\",\"target_end_date\":\"2026-03-01\"}",
		    "target_end_date" },
		{ "{\"name\":\"x\",\"owner_id\":\"00000000-0000-4000-8000-000000000000\"}", "owner_id" },
		{ "{\"name\":\"x\",\"version\":1}", "version" },
		{ "{\"name\":\"x\",\"id\":\"00000000-0000-4000-8000-000000000000\"}", "id" },
		{ "{\"name\":\"x\",\"color\":\"red\"}", "color" },
	};
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 big[10100], body[10300];
	long			 before = pu_sql_long("SELECT count(*) FROM projects WHERE owner_id = '%s'", a->id);
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pu_call(&r, a, "POST", "/api/v1/projects", bad[i].body, NULL, NULL);
		pu_expect_422(&r, bad[i].field, bad[i].body);
		resp_free(&r);
	}
	/* 201 characters of name, 10 001 of description (multi-byte counts once) */
	memset(big, 'n', 201);
	big[201] = '\0';
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", big);
	pu_call(&r, a, "POST", "/api/v1/projects", body, NULL, NULL);
	pu_expect_422(&r, "name", "201 characters");
	resp_free(&r);
	memset(big, 'd', 10001);
	big[10001] = '\0';
	snprintf(body, sizeof(body), "{\"name\":\"x\",\"description\":\"%s\"}", big);
	pu_call(&r, a, "POST", "/api/v1/projects", body, NULL, NULL);
	pu_expect_422(&r, "description", "10001 characters");
	resp_free(&r);
	/* 200 two-byte characters are fine */
	body[0] = '\0';
	strcat(body, "{\"name\":\"");
	for (i = 0; i < 200; i++)
		strcat(body, "\xc3\xa9");
	strcat(body, "\"}");
	pu_call(&r, a, "POST", "/api/v1/projects", body, NULL, NULL);
	cr_expect_eq(r.status, 201, "200 characters: %s", r.body);
	resp_free(&r);

	pu_expect_problem(a, "POST", "/api/v1/projects", "{\"name\":", NULL,
	    NULL, 400, "malformed-request");
	{
		char		 auth[PU_TOKEN_MAX + 32];
		const char	*hd[3] = { "Content-Type: text/plain", auth, NULL };

		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a->token);
		cr_assert_eq(h_request("POST", "/api/v1/projects", "name=x", 6, hd, &r), 0);
		h_expect_problem(&r, 415, "unsupported-media-type");
		resp_free(&r);
	}
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM projects WHERE owner_id = '%s'", a->id),
	    before + 1, "only the valid project was created");
}

Test(projects, patch_changes_only_what_is_sent)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], path[128], ts[64];

	project(a, "Beta", "\"description\":\"first\",\"start_date\":\"2026-03-01\","
	    "\"target_end_date\":\"2026-04-01\",\"status\":\"active\"", id);
	snprintf(path, sizeof(path), "/api/v1/projects/%s", id);
	/* an hour old, so that the PATCH visibly moves updated_at */
	pu_sql(ts, sizeof(ts), "UPDATE projects SET created_at = created_at - interval '1 hour', "
	    "updated_at = updated_at - interval '1 hour' WHERE id = '%s'", id);

	pu_call(&r, a, "PATCH", path, "{\"description\":null,\"status\":\"paused\"}", NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "name"), "Beta");
	cr_expect(pu_isnull(r.json, "description"));
	cr_expect_str_eq(pu_str(r.json, "status"), "paused");
	cr_expect_str_eq(pu_str(r.json, "start_date"), "2026-03-01");
	cr_expect_str_eq(pu_str(r.json, "target_end_date"), "2026-04-01");
	cr_expect_eq(pu_int(r.json, "version"), 2);
	cr_expect_str_eq(pu_hdr(&r, "ETag") ? pu_hdr(&r, "ETag") : "", "\"2\"");
	cr_expect_str_neq(pu_str(r.json, "updated_at"), pu_str(r.json, "created_at"),
	    "updated_at moved");
	resp_free(&r);

	/* an empty PATCH is a write too */
	pu_call(&r, a, "PATCH", path, "{}", NULL, NULL);
	cr_expect_eq(pu_int(r.json, "version"), 3);
	resp_free(&r);

	/* one date against the stored other one: the constraint, 422 on target_end_date */
	pu_call(&r, a, "PATCH", path, "{\"target_end_date\":\"2026-02-28\"}", NULL, NULL);
	pu_expect_422(&r, "target_end_date", "target before stored start");
	resp_free(&r);
	pu_call(&r, a, "PATCH", path, "{\"start_date\":\"2026-04-02\"}", NULL, NULL);
	pu_expect_422(&r, "target_end_date", "start after stored target");
	resp_free(&r);
	pu_call(&r, a, "PATCH", path, "{\"start_date\":null,\"target_end_date\":\"2020-01-01\"}",
	    NULL, NULL);
	cr_expect_eq(r.status, 200, "no start: any target: %s", r.body);
	cr_expect(pu_isnull(r.json, "start_date"));
	resp_free(&r);

	pu_call(&r, a, "PATCH", path, "{\"name\":null}", NULL, NULL);
	pu_expect_422(&r, "name", "null name");
	resp_free(&r);
	pu_call(&r, a, "PATCH", path, "{\"status\":null}", NULL, NULL);
	pu_expect_422(&r, "status", "null status");
	resp_free(&r);
	pu_call(&r, a, "PATCH", path, "{\"owner_id\":null}", NULL, NULL);
	pu_expect_422(&r, "owner_id", "read-only");
	resp_free(&r);
	pu_call(&r, a, "PATCH", path, "{\"version\":\"4\"}", NULL, NULL);
	pu_expect_422(&r, "version", "string version");
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT version FROM projects WHERE id = '%s'", id), 4,
	    "failed PATCHes changed nothing");
}

Test(projects, preconditions_if_match_and_body_version)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 id[40], path[128];

	project(a, "Gamma", NULL, id);
	snprintf(path, sizeof(path), "/api/v1/projects/%s", id);

	pu_expect_problem(a, "PATCH", path, "{\"name\":\"G2\"}",
	    "If-Match: \"2\"", NULL, 412, "precondition-failed");
	pu_expect_problem(a, "PATCH", path, "{\"name\":\"G2\"}",
	    "If-Match: W/\"1\"", NULL, 412, "precondition-failed");
	pu_expect_problem(a, "PATCH", path, "{\"name\":\"G2\"}",
	    "If-Match: garbage", NULL, 412, "precondition-failed");
	pu_expect_problem(a, "PATCH", path, "{\"name\":\"G2\",\"version\":7}",
	    NULL, NULL, 409, "version-conflict");
	/* If-Match wrong and version wrong: 412 comes first */
	pu_expect_problem(a, "PATCH", path, "{\"version\":7}",
	    "If-Match: \"9\"", NULL, 412, "precondition-failed");
	cr_expect_eq(pu_sql_long("SELECT version FROM projects WHERE id = '%s'", id), 1);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM projects WHERE id = '%s' AND name = 'Gamma'", id), 1);

	pu_call(&r, a, "PATCH", path, "{\"name\":\"G2\"}", "If-Match: \"5\", \"1\"", NULL);
	cr_expect_eq(r.status, 200, "a list naming the current version: %s", r.body);
	resp_free(&r);
	pu_call(&r, a, "PATCH", path, "{\"name\":\"G3\",\"version\":2}", "If-Match: \"2\"", NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	pu_call(&r, a, "PATCH", path, "{\"name\":\"G4\"}", "If-Match: *", NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "version"), 4);
	resp_free(&r);

	/* a missing resource is 404 whatever the preconditions say */
	pu_expect_problem(a, "PATCH",
	    "/api/v1/projects/00000000-0000-4000-8000-000000000000",
	    "{\"version\":1}", "If-Match: \"1\"", NULL, 404, "not-found");

	pu_expect_problem(a, "DELETE", path, NULL, "If-Match: \"3\"", NULL, 412,
	    "precondition-failed");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM projects WHERE id = '%s'", id), 1);
	pu_call(&r, a, "DELETE", path, NULL, "If-Match: \"4\"", NULL);
	cr_expect_eq(r.status, 204, "%s", r.body);
	cr_expect_eq(r.body_len, 0);
	resp_free(&r);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(a, "DELETE", path, NULL, NULL, NULL, 404, "not-found");
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

Test(projects, concurrent_patches_with_one_if_match_one_wins)
{
	const struct pu_user	*a = pu_alice();
	char			 id[40], path[128];
	pthread_t		 t[2];
	struct racer		 x[2];
	int			 round, ok, pre;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (round = 0; round < 3; round++) {
		project(a, "Race", NULL, id);
		snprintf(path, sizeof(path), "/api/v1/projects/%s", id);
		for (int i = 0; i < 2; i++) {
			x[i] = (struct racer){ a, path, i ? "{\"name\":\"B\"}" : "{\"name\":\"A\"}", 0 };
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
		cr_expect_eq(pu_sql_long("SELECT version FROM projects WHERE id = '%s'", id), 2);
	}
}

Test(projects, idempotent_create)
{
	const struct pu_user	*a = pu_alice(), *b = pu_bob();
	struct resp		 r1, r2, r3;
	char			 key[128], hk[160], name[96], body[256], id[40];

	pu_unique(key, sizeof(key), "idem");
	pu_unique(name, sizeof(name), "idem-project");
	snprintf(hk, sizeof(hk), "Idempotency-Key: %s", key);
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	pu_call(&r1, a, "POST", "/api/v1/projects", body, hk, NULL);
	cr_assert_eq(r1.status, 201, "%s", r1.body);
	snprintf(id, sizeof(id), "%s", pu_str(r1.json, "id"));
	pu_call(&r2, a, "POST", "/api/v1/projects", body, hk, NULL);
	cr_expect_eq(r2.status, 201, "%s", r2.body);
	cr_expect_str_eq(pu_str(r2.json, "id"), id);
	cr_expect_str_eq(r2.body, r1.body, "the first response, byte for byte");
	cr_expect_str_eq(pu_hdr(&r2, "Location") ? pu_hdr(&r2, "Location") : "",
	    pu_hdr(&r1, "Location"));
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM projects WHERE name = '%s'", name), 1);
	resp_free(&r2);
	/* the same key with another body */
	pu_call(&r2, a, "POST", "/api/v1/projects", "{\"name\":\"other\"}", hk, NULL);
	cr_expect_eq(r2.status, 422, "%s", r2.body);
	resp_free(&r2);
	/* keys are per user: bob's request with alice's key creates bob's project */
	pu_call(&r3, b, "POST", "/api/v1/projects", body, hk, NULL);
	cr_expect_eq(r3.status, 201);
	cr_expect_str_neq(pu_str(r3.json, "id"), id);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM projects WHERE name = '%s'", name), 2);
	resp_free(&r3);
	/* a failed create is not remembered */
	pu_unique(key, sizeof(key), "idem-fail");
	snprintf(hk, sizeof(hk), "Idempotency-Key: %s", key);
	pu_call(&r2, a, "POST", "/api/v1/projects", "{\"name\":\"\"}", hk, NULL);
	cr_expect_eq(r2.status, 422);
	resp_free(&r2);
	pu_call(&r2, a, "POST", "/api/v1/projects", "{\"name\":\"retried\"}", hk, NULL);
	cr_expect_eq(r2.status, 201, "%s", r2.body);
	resp_free(&r2);
	resp_free(&r1);
}

/* Ids of a list response's items, in order, into ids (returns how many). */
static int
item_ids(const struct resp *r, char ids[][40], int max)
{
	json_object	*items = pu_get(r->json, "items");
	int		 i, n;

	cr_assert_not_null(items, "%s", r->body);
	n = (int)json_object_array_length(items);
	for (i = 0; i < n && i < max; i++)
		snprintf(ids[i], 40, "%s", pu_str(json_object_array_get_idx(items, i), "id"));
	return n;
}

Test(projects, list_filter_sort_and_paging)
{
	static const char *const names[] = { "delta", "Alpha", "charlie", "bravo", "echo" };
	static const char *const st[] = { "active", "paused", "active", "closed", "discovery" };
	struct pu_user	 u;
	struct resp	 r;
	char		 ids[5][40], got[8][40], extra[64], path[1200], cursor[1024];
	char		 first_cursor[1024], fox[40];
	int		 i, n;

	pu_user_fresh(&u, NULL);
	for (i = 0; i < 5; i++) {
		snprintf(extra, sizeof(extra), "\"status\":\"%s\"", st[i]);
		project(&u, names[i], extra, ids[i]);
	}
	/* default: -created_at, so the newest first */
	pu_call(&r, &u, "GET", "/api/v1/projects", NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 5);
	cr_expect_eq(pu_int(r.json, "limit"), 50);
	cr_expect_eq(pu_int(r.json, "offset"), 0);
	cr_expect(pu_isnull(r.json, "next_cursor"));
	cr_expect_null(pu_hdr(&r, "Link"));
	n = item_ids(&r, got, 8);
	cr_assert_eq(n, 5);
	for (i = 0; i < 5; i++)
		cr_expect_str_eq(got[i], ids[4 - i], "position %d", i);
	resp_free(&r);

	/* cursor pages of 2: 2 + 2 + 1, Link to the next one, then none */
	snprintf(path, sizeof(path), "/api/v1/projects?limit=2");
	for (int page = 0; page < 3; page++) {
		pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
		cr_expect_eq(pu_int(r.json, "total"), 5);
		n = item_ids(&r, got, 8);
		cr_assert_eq(n, page < 2 ? 2 : 1, "page %d", page);
		for (i = 0; i < n; i++)
			cr_expect_str_eq(got[i], ids[4 - (2 * page + i)], "page %d item %d", page, i);
		if (page < 2) {
			cr_assert_not_null(pu_str(r.json, "next_cursor"));
			snprintf(cursor, sizeof(cursor), "%s", pu_str(r.json, "next_cursor"));
			if (page == 0)
				snprintf(first_cursor, sizeof(first_cursor), "%s", cursor);
			cr_expect_not_null(pu_hdr(&r, "Link"));
			cr_expect(strstr(pu_hdr(&r, "Link"), "rel=\"next\"") != NULL);
			cr_expect(strstr(pu_hdr(&r, "Link"), cursor) != NULL);
			snprintf(path, sizeof(path), "/api/v1/projects?limit=2&cursor=%s", cursor);
		} else {
			cr_expect(pu_isnull(r.json, "next_cursor"));
			cr_expect_null(pu_hdr(&r, "Link"));
		}
		resp_free(&r);
	}
	/* a project created meanwhile does not shift the cursor's next page */
	project(&u, "foxtrot", NULL, fox);
	snprintf(path, sizeof(path), "/api/v1/projects?limit=2&cursor=%s", first_cursor);
	pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
	n = item_ids(&r, got, 7);
	cr_expect_eq(n, 2);
	cr_expect_str_eq(got[0], ids[2]);
	cr_expect_str_eq(got[1], ids[1]);
	cr_expect_eq(pu_int(r.json, "total"), 6);
	cr_expect_eq(pu_int(r.json, "offset"), 0);
	resp_free(&r);

	/* offset paging */
	pu_call(&r, &u, "GET", "/api/v1/projects?limit=2&offset=4", NULL, NULL, NULL);
	n = item_ids(&r, got, 8);
	cr_expect_eq(n, 2);
	cr_expect_str_eq(got[0], ids[1]);
	cr_expect_str_eq(got[1], ids[0]);
	cr_expect_eq(pu_int(r.json, "offset"), 4);
	cr_expect(pu_isnull(r.json, "next_cursor"));
	resp_free(&r);
	pu_call(&r, &u, "GET", "/api/v1/projects?offset=50", NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_eq(item_ids(&r, got, 8), 0);
	cr_expect_eq(pu_int(r.json, "total"), 6, "past the end the total is still known");
	resp_free(&r);

	/* status filter (comma list) */
	pu_call(&r, &u, "GET", "/api/v1/projects?status=active,closed", NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 3);
	n = item_ids(&r, got, 8);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(got[0], ids[3]);
	cr_expect_str_eq(got[1], ids[2]);
	cr_expect_str_eq(got[2], ids[0]);
	resp_free(&r);

	/* sort by name (code points: upper case first), both directions */
	pu_call(&r, &u, "GET", "/api/v1/projects?sort=name&status=active,paused,closed,discovery",
	    NULL, NULL, NULL);
	n = item_ids(&r, got, 8);
	cr_assert_eq(n, 6, "%s", r.body);
	cr_expect_str_eq(got[0], ids[1]);	/* Alpha */
	cr_expect_str_eq(got[1], ids[3]);	/* bravo */
	cr_expect_str_eq(got[2], ids[2]);	/* charlie */
	cr_expect_str_eq(got[3], ids[0]);	/* delta */
	cr_expect_str_eq(got[4], ids[4]);	/* echo */
	cr_expect_str_eq(got[5], fox);		/* foxtrot */
	resp_free(&r);
	/* -name: foxtrot, echo, delta | charlie, bravo, Alpha -- via cursor */
	pu_call(&r, &u, "GET", "/api/v1/projects?sort=-name&limit=3", NULL, NULL, NULL);
	n = item_ids(&r, got, 8);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(got[0], fox);
	cr_expect_str_eq(got[1], ids[4]);
	cr_expect_str_eq(got[2], ids[0]);
	snprintf(cursor, sizeof(cursor), "%s", pu_str(r.json, "next_cursor") ?
	    pu_str(r.json, "next_cursor") : "");
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/projects?sort=-name&limit=3&cursor=%s", cursor);
	pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
	n = item_ids(&r, got, 8);
	cr_assert_eq(n, 3, "%s", r.body);
	cr_expect_str_eq(got[0], ids[2]);
	cr_expect_str_eq(got[1], ids[3]);
	cr_expect_str_eq(got[2], ids[1]);
	cr_expect(pu_isnull(r.json, "next_cursor"));
	resp_free(&r);
	/* sort=updated_at follows writes */
	snprintf(path, sizeof(path), "/api/v1/projects/%s", ids[0]);
	pu_call(&r, &u, "PATCH", path, "{}", NULL, NULL);
	resp_free(&r);
	pu_call(&r, &u, "GET", "/api/v1/projects?sort=-updated_at&limit=1", NULL, NULL, NULL);
	item_ids(&r, got, 1);
	cr_expect_str_eq(got[0], ids[0]);
	resp_free(&r);

	/* bad parameters: 400 naming them, never ignored */
	{
		static const struct { const char *q, *field; } bad[] = {
			{ "status=open", "status" },
			{ "status=", "status" },
			{ "status=active,,closed", "status" },
			{ "sort=priority", "sort" },
			{ "sort=", "sort" },
			{ "limit=0", "limit" },
			{ "limit=201", "limit" },
			{ "offset=-1", "offset" },
			{ "cursor=%%%%", "cursor" },
			{ "cursor=bm90LWEtY3Vyc29y", "cursor" },
			{ "tag=x", "tag" },
			{ "status=active&status=paused", "status" },
		};
		for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
			snprintf(path, sizeof(path), "/api/v1/projects?%s", bad[i].q);
			pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
			h_expect_problem(&r, 400, "malformed-request");
			cr_expect(pu_error_names(&r, bad[i].field), "%s: %s", bad[i].q, r.body);
			resp_free(&r);
		}
	}
	/* a cursor belongs to its sort, and does not combine with offset */
	snprintf(path, sizeof(path), "/api/v1/projects?sort=name&cursor=%s", first_cursor);
	pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
	h_expect_problem(&r, 400, "malformed-request");
	cr_expect(pu_error_names(&r, "cursor"));
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/projects?offset=2&cursor=%s", first_cursor);
	pu_expect_problem(&u, "GET", path, NULL, NULL, NULL, 400, "malformed-request");
}

Test(projects, long_names_still_page_by_cursor)
{
	struct pu_user	 u;
	struct resp	 r;
	char		 name[700], path[1400], got[4][40], ids[3][40];
	int		 i, n;

	pu_user_fresh(&u, NULL);
	/* 200 three-byte characters: 600 bytes, too long to carry in a cursor */
	for (i = 0; i < 3; i++) {
		name[0] = '\0';
		for (int j = 0; j < 199; j++)
			strcat(name, "\xe2\x82\xac");
		strcat(name, i == 0 ? "a" : i == 1 ? "b" : "c");
		project(&u, name, NULL, ids[i]);
	}
	pu_call(&r, &u, "GET", "/api/v1/projects?sort=name&limit=1", NULL, NULL, NULL);
	cr_assert_not_null(pu_str(r.json, "next_cursor"), "%s", r.body);
	for (n = 0; n < 3; n++) {
		cr_assert_eq(item_ids(&r, got, 4), 1);
		cr_expect_str_eq(got[0], ids[n], "page %d", n);
		if (n == 2) {
			cr_expect(pu_isnull(r.json, "next_cursor"));
			break;
		}
		snprintf(path, sizeof(path), "/api/v1/projects?sort=name&limit=1&cursor=%s",
		    pu_str(r.json, "next_cursor"));
		resp_free(&r);
		pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
	}
	resp_free(&r);
}

/*
 * Metrics against hand-computed values.  Each case: task counts by status
 * (new, ready, in_progress, blocked, review, done, dropped) and the
 * expected completion %, blocked % (1 decimal, half away from zero) and
 * health (red > 20 % blocked; yellow > 10 % blocked or < 30 % done).
 */
Test(projects, metrics_by_hand)
{
	static const char *const names[] = { "new", "ready", "in_progress",
	    "blocked", "review", "done", "dropped" };
	static const struct {
		int		 n[7];
		const char	*completion, *blocked, *health;
	} cases[] = {
		{ { 0, 0, 0, 0, 0, 0, 0 }, "0.0", "0.0", "green" },	/* no tasks */
		{ { 2, 1, 2, 1, 0, 4, 0 }, "40.0", "10.0", "green" },	/* 10 % blocked is not > 10 */
		{ { 1, 1, 1, 0, 0, 1, 0 }, "25.0", "0.0", "yellow" },	/* done < 30 % */
		{ { 0, 0, 0, 1, 0, 3, 1 }, "60.0", "20.0", "yellow" },	/* 20 % blocked: yellow, not red */
		{ { 1, 1, 1, 2, 0, 1, 0 }, "16.7", "33.3", "red" },	/* 33.3 % blocked */
		{ { 4, 2, 2, 1, 2, 5, 0 }, "31.3", "6.3", "green" },	/* 5/16 = 31.25, 1/16 = 6.25 */
		{ { 0, 0, 0, 0, 0, 1, 2 }, "33.3", "0.0", "green" },	/* dropped tasks count */
		{ { 0, 0, 0, 0, 0, 0, 3 }, "0.0", "0.0", "yellow" },	/* only dropped: 0 % done */
		{ { 0, 0, 0, 0, 0, 1, 0 }, "100.0", "0.0", "green" },
	};
	const struct pu_user	*a = pu_alice(), *b = pu_bob();
	struct resp		 r;
	char			 pid[40], other[40], tid[40], path[128], title[64];
	json_object		*by;
	size_t			 c;
	int			 s, k, total;

	/* tasks in another project and without a project never count */
	project(a, "metrics-other", NULL, other);
	pu_task(a, "elsewhere", "blocked", NULL, other, NULL, tid);
	pu_task(a, "nowhere", "done", NULL, NULL, NULL, tid);
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		project(a, "metrics", NULL, pid);
		total = 0;
		for (s = 0; s < 7; s++)
			for (k = 0; k < cases[c].n[s]; k++) {
				snprintf(title, sizeof(title), "m%zu-%s-%d", c, names[s], k);
				pu_task(a, title, names[s], NULL, pid, NULL, tid);
				total++;
			}
		snprintf(path, sizeof(path), "/api/v1/projects/%s/metrics", pid);
		pu_call(&r, a, "GET", path, NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "case %zu: %s", c, r.body);
		cr_expect_eq(pu_int(r.json, "total_tasks"), total, "case %zu", c);
		by = pu_get(r.json, "tasks_by_status");
		cr_assert_not_null(by);
		cr_expect_eq(json_object_object_length(by), 7, "all 7 statuses");
		for (s = 0; s < 7; s++)
			cr_expect_eq(pu_int(by, names[s]), cases[c].n[s], "case %zu %s", c, names[s]);
		cr_expect_str_eq(pu_raw(r.json, "completion_percentage"), cases[c].completion,
		    "case %zu: %s", c, r.body);
		cr_expect_str_eq(pu_raw(r.json, "blocked_percentage"), cases[c].blocked,
		    "case %zu: %s", c, r.body);
		cr_expect_str_eq(pu_str(r.json, "health_status"), cases[c].health,
		    "case %zu: %s", c, r.body);
		cr_expect_null(pu_hdr(&r, "ETag"), "metrics have no ETag");
		resp_free(&r);

		if (c == 1) {
			/* another user's project: 404, like one that does not exist */
			pu_expect_problem(b, "GET", path, NULL, NULL, NULL, 404,
			    "not-found");
		}
	}
	pu_expect_problem(a, "GET",
	    "/api/v1/projects/00000000-0000-4000-8000-000000000000/metrics",
	    NULL, NULL, NULL, 404, "not-found");
}

Test(projects, delete_removes_sprints_and_detaches_tasks_and_lists)
{
	const struct pu_user	*a = pu_alice();
	struct resp		 r;
	char			 pid[40], keep[40], s1[40], s2[40], t1[40], t2[40], t3[40];
	char			 al[40], path[128], body[512], v[64];
	long			 tv1, tv2, tv3, alv;

	project(a, "doomed", NULL, pid);
	project(a, "kept", NULL, keep);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"name\":\"s1\","
	    "\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-14\"}", pid);
	pu_create(a, "/api/v1/sprints", body, s1);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"name\":\"s2\","
	    "\"start_date\":\"2026-01-15\",\"end_date\":\"2026-01-28\"}", pid);
	pu_create(a, "/api/v1/sprints", body, s2);
	pu_task(a, "in project", "new", "1", pid, NULL, t1);
	pu_task(a, "in sprint", "done", "2", NULL, s1, t2);
	pu_task(a, "in the other project", "new", NULL, keep, NULL, t3);
	snprintf(body, sizeof(body), "{\"title\":\"al\",\"sprint_id\":\"%s\"}", s2);
	pu_create(a, "/api/v1/action-lists", body, al);
	tv1 = pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", t1);
	tv2 = pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", t2);
	tv3 = pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", t3);
	alv = pu_sql_long("SELECT version FROM action_lists WHERE id = '%s'", al);
	cr_assert_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE id = '%s' AND project_id = '%s' "
	    "AND sprint_id = '%s'", t2, pid, s1), 1, "a sprint implies its project");

	snprintf(path, sizeof(path), "/api/v1/projects/%s", pid);
	pu_call(&r, a, "DELETE", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 204, "%s", r.body);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM projects WHERE id = '%s'", pid), 0);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM sprints WHERE project_id = '%s'", pid), 0,
	    "its sprints are gone");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE id IN ('%s', '%s') "
	    "AND project_id IS NULL AND sprint_id IS NULL", t1, t2), 2, "its tasks live on, detached");
	cr_expect_eq(pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", t1), tv1 + 1);
	cr_expect_eq(pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", t2), tv2 + 1);
	pu_sql(v, sizeof(v), "SELECT project_id FROM tasks WHERE id = '%s'", t3);
	cr_expect_str_eq(v, keep, "other projects' tasks are untouched");
	cr_expect_eq(pu_sql_long("SELECT version FROM tasks WHERE id = '%s'", t3), tv3);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM action_lists WHERE id = '%s' "
	    "AND project_id IS NULL AND sprint_id IS NULL", al), 1);
	cr_expect_eq(pu_sql_long("SELECT version FROM action_lists WHERE id = '%s'", al), alv + 1);
	snprintf(path, sizeof(path), "/api/v1/sprints/%s", s1);
	pu_expect_problem(a, "GET", path, NULL, NULL, NULL, 404, "not-found");
	snprintf(path, sizeof(path), "/api/v1/action-lists/%s", al);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect(pu_isnull(r.json, "project_id") && pu_isnull(r.json, "sprint_id"), "%s", r.body);
	resp_free(&r);
}

/* Another user's project on every route: 404 (or 422 in a body), nothing changes. */
Test(projects, isolation_matrix)
{
	const struct pu_user	*a = pu_alice(), *b = pu_bob();
	struct resp		 r;
	char			 pid[40], path[160], body[256], before[512], after[512];
	char			 name[96];

	pu_unique(name, sizeof(name), "private");
	project(a, name, "\"description\":\"alice only\"", pid);
	pu_sql(before, sizeof(before), "SELECT row(p.*)::text FROM projects p WHERE id = '%s'", pid);

	snprintf(path, sizeof(path), "/api/v1/projects/%s", pid);
	pu_call(&r, b, "GET", path, NULL, NULL, NULL);
	h_expect_problem(&r, 404, "not-found");
	cr_expect(strstr(r.body, name) == NULL);
	resp_free(&r);
	pu_expect_problem(b, "GET", path, NULL, "If-None-Match: \"1\"", NULL,
	    404, "not-found");
	pu_call(&r, b, "HEAD", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 404);
	resp_free(&r);
	pu_expect_problem(b, "PATCH", path, "{\"name\":\"stolen\"}", NULL, NULL,
	    404, "not-found");
	pu_expect_problem(b, "PATCH", path,
	    "{\"name\":\"stolen\",\"version\":1}", "If-Match: \"1\"", NULL, 404, "not-found");
	pu_expect_problem(b, "DELETE", path, NULL, NULL, NULL, 404, "not-found");
	pu_expect_problem(b, "DELETE", path, NULL, "If-Match: \"1\"", NULL, 404,
	    "not-found");
	snprintf(path, sizeof(path), "/api/v1/projects/%s/metrics", pid);
	pu_expect_problem(b, "GET", path, NULL, NULL, NULL, 404, "not-found");
	/* bob's list never shows it */
	pu_call(&r, b, "GET", "/api/v1/projects?limit=200", NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, pid) == NULL);
	resp_free(&r);
	/* bodies naming it: 422 on the field */
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"name\":\"x\","
	    "\"start_date\":\"2026-01-01\",\"end_date\":\"2026-01-02\"}", pid);
	pu_call(&r, b, "POST", "/api/v1/sprints", body, NULL, NULL);
	pu_expect_422(&r, "project_id", "bob's sprint in alice's project");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"title\":\"x\",\"project_id\":\"%s\"}", pid);
	pu_call(&r, b, "POST", "/api/v1/action-lists", body, NULL, NULL);
	pu_expect_422(&r, "project_id", "bob's list in alice's project");
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM sprints WHERE project_id = '%s'", pid), 0);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM action_lists WHERE project_id = '%s'", pid), 0);
	pu_sql(after, sizeof(after), "SELECT row(p.*)::text FROM projects p WHERE id = '%s'", pid);
	cr_expect_str_eq(after, before, "alice's project is unchanged");
	/* and alice still reads it */
	snprintf(path, sizeof(path), "/api/v1/projects/%s", pid);
	pu_call(&r, a, "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	resp_free(&r);
}

Test(projects, readonly_role_reads_but_never_writes)
{
	struct pu_user	 ro;
	struct resp	 r;
	char		 pid[40], path[128];

	pu_user_fresh(&ro, "readonly");
	pu_sql(pid, sizeof(pid), "INSERT INTO projects (owner_id, name) VALUES ('%s', 'ro') "
	    "RETURNING id", ro.id);
	snprintf(path, sizeof(path), "/api/v1/projects/%s", pid);
	pu_call(&r, &ro, "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	pu_call(&r, &ro, "GET", "/api/v1/projects", NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_eq(pu_int(r.json, "total"), 1);
	resp_free(&r);
	pu_expect_problem(&ro, "POST", "/api/v1/projects", "{\"name\":\"no\"}",
	    NULL, NULL, 403, "forbidden");
	pu_expect_problem(&ro, "PATCH", path, "{\"name\":\"no\"}", NULL, NULL,
	    403, "forbidden");
	pu_expect_problem(&ro, "DELETE", path, NULL, NULL, NULL, 403, "forbidden");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM projects WHERE owner_id = '%s' "
	    "AND name = 'ro' AND version = 1", ro.id), 1);
}
