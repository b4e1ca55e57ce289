/*
 * Comments on tasks (API.md section 6): the list of a task's comments
 * (oldest first, offset or keyset cursor paging), create, get, edit by
 * the author, delete by the author or a manager of the task's project.
 *
 * Who may do what, decided in each statement from the task's scope
 * (RLS, policies comments_* of 0008, being the second lock):
 *   read    whoever sees the task (taskman_scopes_of(caller, 'viewer'))
 *   create  an editor or manager of the task's project, or the owner of a
 *           personal task (taskman_role_in() ranks at least 'editor')
 *   edit    the author, while they still see the task
 *   delete  the author, or a manager of the task's project
 * A comment or task the caller cannot see is 404; one they see but may
 * not change is 403.  Each write statement returns that "allowed" flag
 * beside its usual columns so that one round trip decides all of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/comments.h"
#include "api/idem.h"
#include "api/list.h"
#include "api/planning.h"
#include "app.h"
#include "auth/jwt.h"
#include "json.h"
#include "valid.h"

/* The task $1 if the caller $2 sees it. */
#define COMMENTS_TASK \
	"SELECT t.id, t.scope FROM tasks t " \
	"WHERE t.id = $1 AND t.scope = ANY (taskman_scopes_of($2, 'viewer'))"

/* The comment $1 with its task's scope and project if the caller $2 sees it. */
#define COMMENTS_VISIBLE \
	"SELECT c.id, c.version, c.author_id, t.project_id FROM comments c " \
	"JOIN tasks t ON t.id = c.task_id " \
	"WHERE c.id = $1 AND t.scope = ANY (taskman_scopes_of($2, 'viewer'))"

/* $1 comment, $2 caller; (json, version) */
static const struct db_stmt st_get = { "comments_get",
	"SELECT taskman_comment_json(c), c.version FROM comments c "
	"JOIN tasks t ON t.id = c.task_id "
	"WHERE c.id = $1 AND t.scope = ANY (taskman_scopes_of($2, 'viewer'))", 2, DB_ROW };

/*
 * $1 task, $2 caller, $3 body, $4-$6 idem (bound by plan_create_exec).
 * Columns: json, id, version (NULL when not written), allowed.  No row:
 * the task is not visible.
 */
static const struct db_stmt st_create = { "comments_create",
	"WITH t AS (SELECT v.id, "
	"  taskman_role_rank(taskman_role_in($2, v.scope)) >= taskman_role_rank('editor') AS ok "
	"  FROM (" COMMENTS_TASK ") v), "
	"c AS (INSERT INTO comments (task_id, author_id, body) "
	"  SELECT t.id, $2, $3 FROM t WHERE t.ok RETURNING *), "
	"j AS (SELECT taskman_comment_json(c)::text AS body, c.id, c.version FROM c), "
	"k AS (INSERT INTO idempotency_keys (owner_id, key, method, path, request_hash, "
	"  response_status, response_body, location) "
	"  SELECT $2, $4, 'POST', $5, $6::bytea, 201, j.body, '/api/v1/comments/' || j.id "
	"  FROM j WHERE $4::text IS NOT NULL) "
	"SELECT j.body, j.id, j.version, t.ok FROM t LEFT JOIN j ON true", 6, DB_ROW };

/*
 * $1 comment, $2 caller, $3 body, $4 If-Match versions, $5 body version
 * (both bound by plan_patch).  Columns: version before, json and version
 * after (NULL when not written), allowed (the caller is the author).  No
 * row: not visible.
 */
static const struct db_stmt st_update = { "comments_update",
	"WITH cur AS (SELECT v.version, v.author_id = $2 AS ok FROM (" COMMENTS_VISIBLE ") v), "
	"u AS (UPDATE comments c SET body = $3, updated_at = now(), version = c.version + 1 "
	"  WHERE c.id = $1 AND c.author_id = $2 AND EXISTS (SELECT 1 FROM cur WHERE cur.ok) "
	"  AND ($4::integer[] IS NULL OR c.version = ANY ($4::integer[])) "
	"  AND ($5::integer IS NULL OR c.version = $5::integer) RETURNING c.*) "
	"SELECT cur.version, taskman_comment_json(u), u.version, cur.ok "
	"FROM cur LEFT JOIN u ON true", 5, DB_ROW };

/*
 * $1 comment, $2 caller, $3 If-Match versions (plan_delete).  Columns:
 * version before, deleted, allowed (the author, or a manager of the
 * task's project).  No row: not visible.
 */
static const struct db_stmt st_delete = { "comments_delete",
	"WITH cur AS (SELECT v.version, (v.author_id = $2 "
	"  OR taskman_role_in($2, v.project_id) IS NOT DISTINCT FROM 'manager') AS ok "
	"  FROM (" COMMENTS_VISIBLE ") v), "
	"d AS (DELETE FROM comments c "
	"  WHERE c.id = $1 AND EXISTS (SELECT 1 FROM cur WHERE cur.ok) "
	"  AND ($3::integer[] IS NULL OR c.version = ANY ($3::integer[])) RETURNING c.id) "
	"SELECT cur.version, EXISTS (SELECT 1 FROM d), cur.ok FROM cur", 3, DB_ROW };

/*
 * The list, oldest first: $1 task, $2 caller, $3 limit + 1, $4 offset,
 * $5/$6 cursor key (created_at with microseconds)/id.  Columns: total,
 * json, cursor key, id; the empty page is one row with only the total;
 * no row: the task is not visible.  One index range (comments_task_idx).
 */
static const struct db_stmt st_list = { "comments_list",
	"WITH t AS (" COMMENTS_TASK "), "
	"pg AS (SELECT c AS r, c.id, " PLAN_TS_KEY("c.created_at") " AS k, c.created_at AS o "
	"  FROM comments c, t WHERE c.task_id = t.id "
	"  AND ($6::uuid IS NULL OR (c.created_at, c.id) > ($5::timestamptz, $6::uuid)) "
	"  ORDER BY c.created_at, c.id LIMIT $3 OFFSET $4) "
	"SELECT (SELECT count(*) FROM comments c WHERE c.task_id = t.id), "
	"  taskman_comment_json(pg.r), pg.k, pg.id "
	"FROM t LEFT JOIN pg ON true ORDER BY pg.o, pg.id", 6, DB_ROW };

#define BODY_FIELD(flags) \
	{ "body", FT_STRING, flags, 1, 10000, NULL, 0, 0, NULL }

static const struct field_spec create_specs[] = {
	BODY_FIELD(F_REQUIRED),
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

/* A PATCH changes the body, the only writable field: it must be there. */
static const struct field_spec patch_specs[] = {
	BODY_FIELD(F_REQUIRED),
	PLAN_VERSION_FIELD,
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

static const struct plan_cfield cfields[] = {
	{ "comments_body_check", "body", "must be 1 to 10000 characters" },
	{ NULL, NULL, NULL }
};

/* Field rules that need no database; 0 or 422 with errors[]. */
static int
check_body(struct req *r, const struct field_spec *specs)
{
	json_object *errs = json_object_new_array();

	if (errs == NULL)
		return http_problem(r, 500, "out of memory");
	json_validate(r->json, specs, false, errs);
	plan_check_blank(r->json, "body", "body", errs);
	return plan_body_errors(r, errs);
}

int
comments_get(struct req *r)
{
	return plan_get(r, &st_get);
}

int
comments_create(struct req *r)
{
	struct idem	 ix;
	const char	*v[6];
	PGresult	*res = NULL;
	int		 st;

	if ((st = check_body(r, create_specs)) != 0 || (st = idem_check(r, &ix)) != 0)
		return st;
	v[0] = r->params[0];
	v[1] = r->user.id;
	v[2] = json_str(r->json, "body");
	if ((st = plan_create_exec(r, &st_create, v, &ix, cfields, &res)) != 0)
		return st;
	if (PQgetisnull(res, 0, 1))
		st = plan_forbidden(r);
	else
		st = plan_created(r, res, 0, "/api/v1/comments/");
	PQclear(res);
	return st;
}

int
comments_patch(struct req *r)
{
	const char	*v[5];
	int		 st;

	if ((st = check_body(r, patch_specs)) != 0)
		return st;
	v[0] = r->params[0];
	v[1] = r->user.id;
	v[2] = json_str(r->json, "body");
	return plan_patch(r, &st_update, v, cfields);
}

int
comments_delete(struct req *r)
{
	return plan_delete(r, &st_delete);
}

/* ------------------------------------------------------------------ */
/* The list */

static int
bad_param(struct req *r, const char *name, const char *msg)
{
	json_object	*errs = json_object_new_array();
	char		 detail[160];

	if (errs == NULL)
		return http_problem(r, 500, "out of memory");
	json_error_add(errs, name, msg);
	snprintf(detail, sizeof(detail), "query parameter %s %s", name, msg);
	return http_problem_errors(r, 400, detail, errs);
}

struct qseen {
	int	 n[3];		/* limit, offset, cursor */
	char	 bad[72];
};

/* Only the paging parameters, each at most once. */
static int
query_key(const char *key, size_t len, void *arg)
{
	static const char *const names[] = { "limit", "offset", "cursor" };
	struct qseen	*q = arg;
	int		 i;

	for (i = 0; key != NULL && i < 3; i++)
		if (strlen(names[i]) == len && memcmp(names[i], key, len) == 0)
			break;
	if (key == NULL || i == 3 || q->n[i]++ > 0) {
		snprintf(q->bad, sizeof(q->bad), "%.*s", key == NULL ? 7 : (int)(len > 64 ? 64 : len),
		    key == NULL ? "(query)" : key);
		return 1;
	}
	return 0;
}

/*
 * Cursor: base64url of "c\n<created_at with microseconds>\n<id>", the key
 * of the last row shown, so the next page continues after it even when
 * that comment was deleted meanwhile.
 */
static int
cursor_decode(struct req *r, const char *cursor, char key[40], char id[HTTP_UUID_LEN + 1])
{
	unsigned char	 raw[96];
	char		*s, *nl;
	int		 n;

	n = jwt_b64url_decode(cursor, strlen(cursor), raw, sizeof(raw) - 1);
	if (n < 4 || memchr(raw, '\0', (size_t)n) != NULL)
		return bad_param(r, "cursor", "is not a cursor this API issued");
	raw[n] = '\0';
	s = (char *)raw;
	if (s[0] != 'c' || s[1] != '\n' || (nl = strchr(s + 2, '\n')) == NULL ||
	    (size_t)(nl - (s + 2)) >= 40 || !valid_timestamp(s + 2, (size_t)(nl - (s + 2))) ||
	    !valid_uuid(nl + 1, strlen(nl + 1)))
		return bad_param(r, "cursor", "is not a cursor this API issued");
	snprintf(key, 40, "%.*s", (int)(nl - (s + 2)), s + 2);
	snprintf(id, HTTP_UUID_LEN + 1, "%s", nl + 1);
	return 0;
}

/* The cursor after (key, id) into dst; "" if it cannot be made. */
static void
cursor_encode(const char *key, const char *id, char *dst, size_t dstlen)
{
	char	payload[128];
	int	n;

	dst[0] = '\0';
	n = snprintf(payload, sizeof(payload), "c\n%s\n%s", key, id);
	if (n < 0 || (size_t)n >= sizeof(payload) ||
	    jwt_b64url_encode((const unsigned char *)payload, (size_t)n, dst, dstlen) < 0)
		dst[0] = '\0';
}

int
comments_list(struct req *r)
{
	struct db_user	 as = http_db_user(r);
	struct list_page page;
	struct qseen	 q;
	char		 limit1[24], key[40], id[HTTP_UUID_LEN + 1], next[256];
	const char	*v[6];
	PGresult	*res = NULL;
	json_object	*items = NULL, *item;
	enum db_status	 s;
	long		 total;
	int		 st, n, shown, i;

	memset(&q, 0, sizeof(q));
	if (http_query_each(r->query, query_key, &q) != 0)
		return bad_param(r, q.bad, "is not a parameter of this list, or given twice");
	if ((st = list_parse_page(r, &page, true)) != 0)
		return st;
	v[4] = v[5] = NULL;
	if (page.cursor[0] != '\0') {
		if ((st = cursor_decode(r, page.cursor, key, id)) != 0)
			return st;
		v[4] = key;
		v[5] = id;
	}
	snprintf(limit1, sizeof(limit1), "%ld", page.limit + 1);
	v[0] = r->params[0];
	v[1] = r->user.id;
	v[2] = limit1;
	v[3] = page.offset_s;
	if ((s = db_exec(&r->app->db, &as, &st_list, v, &res)) != DB_OK)
		return http_db_problem(r, s);

	if ((items = json_object_new_array()) == NULL)
		goto nomem;
	total = atol(PQgetvalue(res, 0, 0));
	n = PQntuples(res);
	if (n == 1 && PQgetisnull(res, 0, 3))
		n = 0;		/* the empty page's row carries only the total */
	shown = n > page.limit ? (int)page.limit : n;
	for (i = 0; i < shown; i++) {
		item = json_from_db(PQgetvalue(res, i, 1));
		if (item == NULL || json_object_array_add(items, item) != 0) {
			json_object_put(item);
			goto nomem;
		}
	}
	next[0] = '\0';
	if (n > shown && shown > 0)
		cursor_encode(PQgetvalue(res, shown - 1, 2), PQgetvalue(res, shown - 1, 3),
		    next, sizeof(next));
	PQclear(res);
	return list_respond(r, &page, items, total, next[0] ? next : NULL);
nomem:
	json_object_put(items);
	PQclear(res);
	return http_problem(r, 500, "out of memory");
}

/* The body specs of this module's routes (t/fuzz/fuzz_json.c drives them). */
const struct field_spec *const comments_field_specs[] = {
	create_specs, patch_specs, NULL
};
