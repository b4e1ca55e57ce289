/*
 * The activity log of a task or a project (API.md section 6), newest
 * first, paged by an opaque cursor on the log's id (or an offset).
 *
 * A task's log is every row about it (its comments included) in a scope
 * the caller can see: a task moved between projects keeps its history,
 * but what happened to it in a project the caller is not in stays out.
 * A project's log is every row with its project_id, things deleted since
 * included; such a row's scope is always the project itself, so seeing
 * the project is seeing its log.  RLS (activity_read) is the second lock.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/activity.h"
#include "api/list.h"
#include "app.h"
#include "auth/jwt.h"
#include "config.h"
#include "json.h"

#define ACTIVITY_LIMIT_MAX	100
/* total counts at most this many rows (total_exact false beyond) */
#define ACTIVITY_COUNT_CAP	2000
#define ACTIVITY_COUNT_CAP_S	"2000"

/*
 * $1 task or project, $2 caller, $3 limit + 1, $4 offset, $5 cursor (the
 * last id shown) or NULL.  Columns: total (capped), json, id; the empty
 * page is one row with only the total; no row: the task or project is not
 * visible.  Each is one range of activity_task_idx / activity_project_idx
 * read backwards.
 */
#define ACTIVITY_LIST(NAME, OWNER, COL, SCOPE) { NAME, \
	"WITH o AS (" OWNER "), " \
	"pg AS (SELECT a AS r, a.id FROM activity a " \
	"  WHERE a." COL " = $1::uuid" SCOPE \
	"  AND ($5::bigint IS NULL OR a.id < $5::bigint) " \
	"  ORDER BY a.id DESC LIMIT $3 OFFSET $4) " \
	"SELECT (SELECT count(*) FROM (SELECT 1 FROM activity a WHERE a." COL " = $1::uuid" \
	SCOPE " LIMIT " ACTIVITY_COUNT_CAP_S " + 1) x), taskman_activity_json(pg.r), pg.id " \
	"FROM o LEFT JOIN pg ON true ORDER BY pg.id DESC", 5, DB_ROW }

static const struct db_stmt st_task = ACTIVITY_LIST("activity_task",
    "SELECT t.id FROM tasks t "
    "WHERE t.id = $1::uuid AND t.scope = ANY (taskman_scopes_of($2, 'viewer'))",
    "task_id",
    " AND a.scope = ANY ((SELECT taskman_scopes_of($2, 'viewer'))::uuid[])");

static const struct db_stmt st_project = ACTIVITY_LIST("activity_project",
    "SELECT p.id FROM projects p "
    "WHERE p.id = $1::uuid AND p.id = ANY (taskman_scopes_of($2, 'viewer'))",
    "project_id", "");

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

/* Cursor: base64url of "a\n<id>", the last id shown. */
static int
cursor_decode(struct req *r, const char *cursor, char id[24])
{
	unsigned char	 raw[32];
	long		 v;
	int		 n;

	n = jwt_b64url_decode(cursor, strlen(cursor), raw, sizeof(raw) - 1);
	if (n < 3 || memchr(raw, '\0', (size_t)n) != NULL)
		return bad_param(r, "cursor", "is not a cursor this API issued");
	raw[n] = '\0';
	if (raw[0] != 'a' || raw[1] != '\n' ||
	    config_parse_long((const char *)raw + 2, 1, LONG_MAX, &v) != 0)
		return bad_param(r, "cursor", "is not a cursor this API issued");
	snprintf(id, 24, "%ld", v);
	return 0;
}

static void
cursor_encode(const char *id, char *dst, size_t dstlen)
{
	char	payload[32];
	int	n;

	dst[0] = '\0';
	n = snprintf(payload, sizeof(payload), "a\n%s", id);
	if (n < 0 || (size_t)n >= sizeof(payload) ||
	    jwt_b64url_encode((const unsigned char *)payload, (size_t)n, dst, dstlen) < 0)
		dst[0] = '\0';
}

/* Parse the page, run stmt, answer with the list envelope. */
static int
activity_list(struct req *r, const struct db_stmt *stmt)
{
	struct db_user	 as = http_db_user(r);
	struct list_page page;
	struct qseen	 q;
	char		 limit1[24], after[24], next[64];
	const char	*v[5];
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
	if (page.limit > ACTIVITY_LIMIT_MAX)
		return bad_param(r, "limit", "must be an integer from 1 to 100");
	v[4] = NULL;
	if (page.cursor[0] != '\0') {
		if ((st = cursor_decode(r, page.cursor, after)) != 0)
			return st;
		v[4] = after;
	}
	snprintf(limit1, sizeof(limit1), "%ld", page.limit + 1);
	v[0] = r->params[0];
	v[1] = r->user.id;
	v[2] = limit1;
	v[3] = page.offset_s;
	if ((s = db_exec(&r->app->db, &as, stmt, v, &res)) != DB_OK)
		return http_db_problem(r, s);

	if ((items = json_object_new_array()) == NULL)
		goto nomem;
	total = atol(PQgetvalue(res, 0, 0));
	n = PQntuples(res);
	if (n == 1 && PQgetisnull(res, 0, 2))
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
		cursor_encode(PQgetvalue(res, shown - 1, 2), next, sizeof(next));
	PQclear(res);
	return list_respond_counted(r, &page, items,
	    total > ACTIVITY_COUNT_CAP ? ACTIVITY_COUNT_CAP : total,
	    total <= ACTIVITY_COUNT_CAP, next[0] ? next : NULL);
nomem:
	json_object_put(items);
	PQclear(res);
	return http_problem(r, 500, "out of memory");
}

int
activity_task(struct req *r)
{
	return activity_list(r, &st_task);
}

int
activity_project(struct req *r)
{
	return activity_list(r, &st_project);
}
