/*
 * GET /api/v1/export (API.md section 11): everything the caller owns as
 * one JSON document, streamed.
 *
 * What "owns" means (docs/EXPORT.md): rows whose owner_id is the caller
 * -- projects, sprints, tasks, action lists -- that the caller can still
 * read, the comments they wrote and the activity they caused.  Other
 * members' tasks in the caller's shared project are theirs, not the
 * caller's, and are not in it.
 *
 * One read-only REPEATABLE READ transaction, so that every section sees
 * the same snapshot and the references between sections agree; one
 * server-side cursor per section, read EXPORT_BATCH rows per round trip.
 * Each row is already JSON text (the resource's own *_json function, as
 * its GET returns it), written to the FastCGI stream as it arrives: the
 * worker holds one batch, whatever the size of the export.
 *
 * Everything that can fail before the first byte (the transaction, the
 * user check, the cursors) answers with a problem; a failure after it
 * cuts the stream (http_stream_end), so a client never mistakes a part
 * for the whole -- and the document's closing "counts" object is missing.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/export.h"
#include "app.h"
#include "log.h"

#define BATCH_STR	"500"

/* no user yet: the isolation level must be set before any query */
static const struct db_stmt st_begin = { "export_begin",
	"BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, 0 };
static const struct db_stmt st_end = { "export_end", "ROLLBACK", 0, 0 };

/* the first statement as the user (taskman_set_user runs before it) */
static const struct db_stmt st_head = { "export_head",
	"SELECT json_build_object('id', u.id, 'email', u.email, 'username', u.username, "
	"  'display_name', u.display_name)::text, taskman_ts(now()) "
	"FROM users u WHERE u.id = taskman_me()", 0, DB_ROW };

struct section {
	const char		*name;		/* the document's key */
	struct db_stmt		 declare;
	struct db_stmt		 fetch;
};

#define SECTION(NAME, QUERY) { NAME, \
	{ "export_declare_" NAME, "DECLARE export_" NAME " NO SCROLL CURSOR FOR " QUERY, 0, 0 }, \
	{ "export_fetch_" NAME, "FETCH " BATCH_STR " FROM export_" NAME, 0, 0 } }

/*
 * taskman_me() is the verified request user (set in this transaction);
 * the scope conditions repeat what row-level security enforces anyway and
 * let the scope indexes answer.  Tasks and activity come in the order of
 * their (scope, ...) index, so a cursor over 100,000 tasks starts at once
 * instead of sorting them all first (each FETCH has the statement timeout).
 */
static const struct section sections[] = {
	SECTION("projects",
	    "SELECT taskman_project_json(p)::text FROM projects p "
	    "WHERE p.owner_id = taskman_me() ORDER BY p.created_at, p.id"),
	SECTION("sprints",
	    "SELECT taskman_sprint_json(s)::text FROM sprints s "
	    "WHERE s.owner_id = taskman_me() AND s.project_id = ANY (taskman_my_scopes()) "
	    "ORDER BY s.created_at, s.id"),
	SECTION("tasks",
	    "SELECT taskman_task_json(t)::text FROM tasks t "
	    "WHERE t.scope = ANY (taskman_my_scopes()) AND t.owner_id = taskman_me() "
	    "ORDER BY t.scope, t.created_at, t.id"),
	SECTION("action_lists",
	    "SELECT taskman_action_list_json(a)::text FROM action_lists a "
	    "WHERE a.owner_id = taskman_me() "
	    "AND coalesce(a.project_id, a.owner_id) = ANY (taskman_my_scopes()) "
	    "ORDER BY a.created_at, a.id"),
	SECTION("comments",
	    "SELECT taskman_comment_json(c)::text FROM comments c "
	    "WHERE c.author_id = taskman_me() ORDER BY c.created_at, c.id"),
	SECTION("activity",
	    "SELECT taskman_activity_json(a)::text FROM activity a "
	    "WHERE a.scope = ANY (taskman_my_scopes()) AND a.actor_id = taskman_me() "
	    "ORDER BY a.scope, a.id"),
};

#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

/*
 * Ends the transaction.  A connection that cannot say ROLLBACK is closed:
 * the next request must never run inside this transaction or its error.
 */
static void
tx_end(struct db *db)
{
	PGresult	*res = NULL;

	if (db->conn == NULL)
		return;
	if (db_exec(db, NULL, &st_end, NULL, &res) != DB_OK ||
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		db_close(db);
	PQclear(res);
}

/* Writes one section's rows; returns the count, or -1 (stream or database). */
static long
section_write(struct req *r, const struct section *sec)
{
	PGresult	*res = NULL;
	enum db_status	 s;
	long		 n = 0;
	int		 i, rows;
	char		 head[64];

	snprintf(head, sizeof(head), ",\n\"%s\":[", sec->name);
	if (http_stream_write(r, head, strlen(head)) != 0)
		return -1;
	for (;;) {
		if ((s = db_exec(&r->app->db, NULL, &sec->fetch, NULL, &res)) != DB_OK) {
			log_msg(LOG_ERROR, "export_failed", "request %s: fetching %s: %s",
			    r->request_id, sec->name, db_status_str(s));
			return -1;
		}
		rows = PQntuples(res);
		for (i = 0; i < rows; i++, n++) {
			if ((n > 0 && http_stream_write(r, ",\n", 2) != 0) ||
			    http_stream_write(r, PQgetvalue(res, i, 0),
			    (size_t)PQgetlength(res, i, 0)) != 0) {
				PQclear(res);
				return -1;
			}
		}
		PQclear(res);
		res = NULL;
		if (rows < EXPORT_BATCH)
			break;
	}
	if (http_stream_write(r, "]", 1) != 0)
		return -1;
	return n;
}

int
export_get(struct req *r)
{
	struct db_user	 as = http_db_user(r);
	struct db	*db = &r->app->db;
	PGresult	*res = NULL;
	enum db_status	 s;
	long		 counts[NSECTIONS];
	bool		 in_tx = false, ok = false;
	char		 day[16], tail[512];
	size_t		 i, n;
	time_t		 now = time(NULL);
	struct tm	 tm;
	int		 st;

	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	http_header(r, "Content-Disposition",
	    "attachment; filename=\"taskman-export-%s.json\"", day);
	if (r->method == HTTP_HEAD) {
		http_stream_begin(r, 200, "application/json; charset=utf-8");
		http_stream_end(r, true);
		return r->status;
	}

	if ((s = db_exec(db, NULL, &st_begin, NULL, &res)) != DB_OK) {
		st = http_db_problem(r, s);
		goto out;
	}
	PQclear(res);
	res = NULL;
	in_tx = true;
	/* the user check; its settings last until the transaction ends */
	if ((s = db_exec(db, &as, &st_head, NULL, &res)) != DB_OK) {
		st = http_db_problem(r, s == DB_NOT_FOUND ? DB_UNAUTHENTICATED : s);
		goto out;
	}
	for (i = 0; i < NSECTIONS; i++) {
		PGresult *d = NULL;

		if ((s = db_exec(db, NULL, &sections[i].declare, NULL, &d)) != DB_OK) {
			st = http_db_problem(r, s);
			goto out;
		}
		PQclear(d);
	}

	/* from here on the answer is 200, or a cut stream */
	st = 200;
	if (http_stream_begin(r, 200, "application/json; charset=utf-8") != 0)
		goto out;
	snprintf(tail, sizeof(tail), "{\"format\":\"taskman-export\",\"version\":1,"
	    "\"exported_at\":\"%s\",\n\"user\":", PQgetvalue(res, 0, 1));
	if (http_stream_write(r, tail, strlen(tail)) != 0 ||
	    http_stream_write(r, PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0)) != 0)
		goto out;
	for (i = 0; i < NSECTIONS; i++)
		if ((counts[i] = section_write(r, &sections[i])) < 0)
			goto out;
	/* the trailer: an importer checks it, so a cut document is refused */
	n = (size_t)snprintf(tail, sizeof(tail), ",\n\"counts\":{");
	for (i = 0; i < NSECTIONS; i++)
		n += (size_t)snprintf(tail + n, sizeof(tail) - n, "%s\"%s\":%ld",
		    i ? "," : "", sections[i].name, counts[i]);
	n += (size_t)snprintf(tail + n, sizeof(tail) - n, "}}\n");
	if (n >= sizeof(tail) || http_stream_write(r, tail, n) != 0)
		goto out;
	ok = true;
out:
	PQclear(res);
	if (in_tx)
		tx_end(db);
	if (r->streamed)
		http_stream_end(r, ok);
	return st;
}
