/*
 * The changes feed (API.md section 7; the design and the sync protocol
 * are in docs/CHANGES.md).
 *
 * The log is the activity table (0008): its triggers write a row in the
 * changing transaction for every change of a project, membership, sprint,
 * task, action list or comment, one per scope the change touches, with
 * the writing transaction's id (xid8).  A page is the caller's scopes'
 * rows after the cursor's (xid, id), in that order, but only those whose
 * xid is below the reading snapshot's xmin: every transaction below xmin
 * has ended, so no row can later appear behind a cursor handed out from
 * this page.  A long transaction holds the feed back (its rows and every
 * later one wait) instead of being overtaken.
 *
 * Each change is the row's resource as its GET shows it now (the latest
 * version; several rows of one resource in a page become one change, at
 * the place of the last), or "delete" when the caller cannot see it any
 * more, or the project's "revoked" when the caller was removed from it.
 * The cursor is base64url(JSON {"x": xid, "i": id, "t": issued at}); a
 * cursor older than TASKMAN_CHANGES_RETENTION_DAYS, or behind the last
 * row `taskmanctl prune` deleted, is 410 cursor-expired.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/changes.h"
#include "app.h"
#include "auth/jwt.h"
#include "config.h"
#include "json.h"

/* The cursor of now: every transaction from the snapshot's xmin on. */
static const struct db_stmt st_now = { "changes_now",
	"SELECT pg_snapshot_xmin(pg_current_snapshot())::text", 0, DB_ROW };

/*
 * The current state of the resource of a log row k, as a change; NULL
 * when the caller cannot see it (any more).  s.scopes: the caller's.
 */
#define CHANGE_UPSERT(TYPE, ALIAS, FN, FROM, WHERE) \
	"WHEN '" TYPE "' THEN (SELECT json_build_object('type', '" TYPE "', " \
	"'id', " ALIAS ".id, 'op', 'upsert', 'version', " ALIAS ".version, " \
	"'data', " FN "(" ALIAS ")) FROM " FROM " WHERE " ALIAS ".id = k.resource_id " \
	"AND " WHERE ") "

/*
 * $1 caller, $2/$3 the cursor's xid and id, $4 limit.  One row per change
 * in feed order, each with: expired (the cursor is behind a pruned row),
 * has_more, the next cursor's xid and id, the change (JSON); an empty page
 * is one row without a change.  The page is the first $4 rows of the
 * merge of one activity_scope_xid_idx range per scope ($4 + 1 each: the
 * one beyond says there is more).  Without more, the next cursor is the
 * snapshot's xmin: every row below it in the caller's scopes was on this
 * page or an earlier one.
 */
static const struct db_stmt st_page = { "changes_page",
	"WITH s AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin, "
	"  taskman_scopes_of($1::uuid, 'viewer') AS scopes), "
	"r AS MATERIALIZED (SELECT a.* FROM s CROSS JOIN unnest(s.scopes) AS sc(scope) "
	"  CROSS JOIN LATERAL (SELECT a.xid, a.id, a.resource_type, a.resource_id, "
	"    a.project_id, a.action FROM activity a "
	"    WHERE a.scope = sc.scope AND (a.xid, a.id) > ($2::xid8, $3::bigint) "
	"    AND a.xid < s.xmin ORDER BY a.xid, a.id LIMIT $4::integer + 1) a "
	"  ORDER BY a.xid, a.id LIMIT $4::integer + 1), "
	"pg AS (SELECT r.*, CASE WHEN r.resource_type = 'member' THEN r.project_id END AS mp "
	"  FROM r ORDER BY r.xid, r.id LIMIT $4::integer), "
	/* one change per resource (a membership is a project's and a user's) */
	"k AS (SELECT DISTINCT ON (pg.resource_type, pg.resource_id, pg.mp) pg.* FROM pg "
	"  ORDER BY pg.resource_type, pg.resource_id, pg.mp, pg.xid DESC, pg.id DESC), "
	"c AS (SELECT k.xid, k.id, coalesce(CASE k.resource_type "
	CHANGE_UPSERT("task", "t", "taskman_task_json", "tasks t", "t.scope = ANY (s.scopes)")
	CHANGE_UPSERT("project", "p", "taskman_project_json", "projects p",
	    "p.id = ANY (s.scopes)")
	CHANGE_UPSERT("sprint", "x", "taskman_sprint_json", "sprints x",
	    "x.project_id = ANY (s.scopes)")
	CHANGE_UPSERT("action_list", "x", "taskman_action_list_json", "action_lists x",
	    "coalesce(x.project_id, x.owner_id) = ANY (s.scopes)")
	CHANGE_UPSERT("comment", "x", "taskman_comment_json",
	    "comments x JOIN tasks t ON t.id = x.task_id", "t.scope = ANY (s.scopes)")
	"  WHEN 'member' THEN (SELECT json_build_object('type', 'membership', "
	"    'id', m.user_id, 'project_id', m.project_id, 'op', 'upsert', 'version', NULL, "
	"    'data', taskman_member_json(m, false)) FROM project_members m "
	"    WHERE m.project_id = k.project_id AND m.user_id = k.resource_id "
	"    AND m.project_id = ANY (s.scopes)) "
	"  END, "
	"  CASE WHEN k.resource_type = 'member' "
	"    THEN json_build_object('type', 'membership', 'id', k.resource_id, "
	"      'project_id', k.project_id, 'op', 'delete', 'version', NULL, 'data', NULL) "
	/* a project's row in the caller's own scope: they were removed (0008) */
	"    ELSE json_build_object('type', k.resource_type, 'id', k.resource_id, "
	"      'op', CASE WHEN k.resource_type = 'project' AND k.action = 'member_removed' "
	"        THEN 'revoked' ELSE 'delete' END, 'version', NULL, 'data', NULL) END) AS j "
	"  FROM k CROSS JOIN s), "
	"n AS (SELECT m.more, "
	"  CASE WHEN m.more THEN l.xid WHEN ($2::xid8, $3::bigint) > (s.xmin, 0::bigint) "
	"    THEN $2::xid8 ELSE s.xmin END AS x, "
	"  CASE WHEN m.more THEN l.id WHEN ($2::xid8, $3::bigint) > (s.xmin, 0::bigint) "
	"    THEN $3::bigint ELSE 0 END AS i "
	"  FROM s CROSS JOIN (SELECT count(*) > $4::integer AS more FROM r) m "
	"  LEFT JOIN (SELECT pg.xid, pg.id FROM pg ORDER BY pg.xid DESC, pg.id DESC LIMIT 1) l "
	"  ON true) "
	"SELECT coalesce((SELECT ($2::xid8, $3::bigint) < (h.xid, h.id) FROM activity_horizon h), "
	"  false), n.more, n.x::text, n.i, c.j::text "
	"FROM n LEFT JOIN c ON true ORDER BY c.xid, c.id", 4, 0 };

/* A position in the log and when it was handed out. */
struct pos {
	char	 xid[24];	/* decimal xid8 */
	char	 id[24];	/* decimal activity id */
	long	 issued;	/* Unix time */
};

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
	int	 n[2];		/* limit, cursor */
	char	 bad[72];
};

/* Only limit and cursor, each at most once. */
static int
query_key(const char *key, size_t len, void *arg)
{
	static const char *const names[] = { "limit", "cursor" };
	struct qseen	*q = arg;
	int		 i;

	for (i = 0; key != NULL && i < 2; i++)
		if (strlen(names[i]) == len && memcmp(names[i], key, len) == 0)
			break;
	if (key == NULL || i == 2 || q->n[i]++ > 0) {
		snprintf(q->bad, sizeof(q->bad), "%.*s", key == NULL ? 7 : (int)(len > 64 ? 64 : len),
		    key == NULL ? "(query)" : key);
		return 1;
	}
	return 0;
}

/* s is 1-20 decimal digits with a value up to max. */
static bool
decimal_ok(const char *s, uint64_t max)
{
	unsigned long long	 v;
	char			*end;
	size_t			 n = strlen(s);

	if (n == 0 || n > 20 || strspn(s, "0123456789") != n)
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0' && v <= max;
}

/* Decodes a cursor into p; returns 0 or -1 (not one this API issued). */
static int
cursor_decode(const char *cursor, struct pos *p)
{
	unsigned char	 raw[256];
	json_object	*o = NULL, *x, *i, *t;
	int		 n, rc = -1;
	int64_t		 id;

	n = jwt_b64url_decode(cursor, strlen(cursor), raw, sizeof(raw) - 1);
	if (n <= 0 || json_parse_strict((const char *)raw, (size_t)n, &o) != JSON_OK ||
	    !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "x", &x) || !json_object_is_type(x, json_type_string) ||
	    !decimal_ok(json_object_get_string(x), UINT64_MAX) ||
	    !json_object_object_get_ex(o, "i", &i) || !json_object_is_type(i, json_type_int) ||
	    !json_object_object_get_ex(o, "t", &t) || !json_object_is_type(t, json_type_int))
		goto out;
	id = json_object_get_int64(i);
	if (id < 0)
		goto out;
	snprintf(p->xid, sizeof(p->xid), "%s", json_object_get_string(x));
	snprintf(p->id, sizeof(p->id), "%" PRId64, id);
	p->issued = (long)json_object_get_int64(t);
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

/* The cursor of xid and id, issued now, into out ("" if it does not fit). */
static void
cursor_encode(const char *xid, const char *id, char *out, size_t outlen)
{
	char	payload[128];
	int	n;

	out[0] = '\0';
	if (!decimal_ok(xid, UINT64_MAX) || !decimal_ok(id, INT64_MAX))
		return;
	n = snprintf(payload, sizeof(payload), "{\"x\":\"%s\",\"i\":%s,\"t\":%lld}", xid, id,
	    (long long)time(NULL));
	if (n < 0 || (size_t)n >= sizeof(payload) ||
	    jwt_b64url_encode((const unsigned char *)payload, (size_t)n, out, outlen) < 0)
		out[0] = '\0';
}

/* {"changes": changes, "next_cursor": next, "has_more": more}; takes changes. */
static int
respond(struct req *r, json_object *changes, const char *next, bool more)
{
	json_object	*o;

	if (next[0] == '\0' || (o = json_object_new_object()) == NULL) {
		json_object_put(changes);
		return http_problem(r, 500, next[0] == '\0' ? "cannot encode the cursor" :
		    "out of memory");
	}
	if (json_object_object_add(o, "changes", changes) != 0) {
		json_object_put(changes);
		json_object_put(o);
		return http_problem(r, 500, "out of memory");
	}
	if (json_object_object_add(o, "next_cursor", json_object_new_string(next)) != 0 ||
	    json_object_object_add(o, "has_more", json_object_new_boolean(more)) != 0) {
		json_object_put(o);
		return http_problem(r, 500, "out of memory");
	}
	return http_json(r, 200, o);
}

/* No cursor: no changes, and the cursor of now. */
static int
changes_now(struct req *r)
{
	struct db_user	 as = http_db_user(r);
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*changes;
	char		 next[256];

	if ((s = db_exec(&r->app->db, &as, &st_now, NULL, &res)) != DB_OK)
		return http_db_problem(r, s);
	cursor_encode(PQgetvalue(res, 0, 0), "0", next, sizeof(next));
	PQclear(res);
	if ((changes = json_object_new_array()) == NULL)
		return http_problem(r, 500, "out of memory");
	return respond(r, changes, next, false);
}

int
changes_list(struct req *r)
{
	struct db_user	 as = http_db_user(r);
	struct qseen	 q;
	struct pos	 p;
	char		 cursor[256], lim[24], next[256];
	const char	*v[4];
	PGresult	*res = NULL;
	json_object	*changes = NULL, *c;
	enum db_status	 s;
	long		 limit = CHANGES_LIMIT_DEFAULT;
	int		 rc, n, i;

	memset(&q, 0, sizeof(q));
	if (http_query_each(r->query, query_key, &q) != 0)
		return bad_param(r, q.bad, "is not a parameter of this feed, or given twice");
	if ((rc = http_query_get(r->query, "limit", lim, sizeof(lim))) < 0 ||
	    (rc == 1 && config_parse_long(lim, 1, CHANGES_LIMIT_MAX, &limit) != 0))
		return bad_param(r, "limit", "must be an integer from 1 to 1000");
	rc = http_query_get(r->query, "cursor", cursor, sizeof(cursor));
	if (rc == 0)
		return changes_now(r);
	if (rc < 0 || cursor_decode(cursor, &p) != 0)
		return bad_param(r, "cursor", "is not a cursor this API issued");
	if ((long)time(NULL) - p.issued >
	    86400L * r->app->cfg->changes_retention_days)
		return http_problem_type(r, 410, "cursor-expired", "Cursor expired",
		    "the cursor is older than the changes are kept; read the lists again "
		    "and follow the feed from a new cursor");

	snprintf(lim, sizeof(lim), "%ld", limit);
	v[0] = r->user.id;
	v[1] = p.xid;
	v[2] = p.id;
	v[3] = lim;
	if ((s = db_exec(&r->app->db, &as, &st_page, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	/* at least one row: n (the next cursor) is a single row */
	if ((n = PQntuples(res)) < 1 || PQnfields(res) != 5) {
		PQclear(res);
		return http_problem(r, 500, "unexpected result");
	}
	if (PQgetvalue(res, 0, 0)[0] == 't') {
		PQclear(res);
		return http_problem_type(r, 410, "cursor-expired", "Cursor expired",
		    "changes after this cursor have been pruned; read the lists again "
		    "and follow the feed from a new cursor");
	}
	if ((changes = json_object_new_array()) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		if (PQgetisnull(res, i, 4))
			continue;	/* the empty page's row */
		c = json_from_db(PQgetvalue(res, i, 4));
		if (c == NULL || json_object_array_add(changes, c) != 0) {
			json_object_put(c);
			goto nomem;
		}
	}
	cursor_encode(PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3), next, sizeof(next));
	rc = respond(r, changes, next, PQgetvalue(res, 0, 1)[0] == 't');
	PQclear(res);
	return rc;
nomem:
	json_object_put(changes);
	PQclear(res);
	return http_problem(r, 500, "out of memory");
}
