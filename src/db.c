#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"

#define DB_CONNECT_TIMEOUT_S	"3"
#define DB_SERIALIZATION_RETRIES 2

static const char *const db_status_names[] = {
	"ok", "not_found", "conflict", "fk_violation", "invalid", "retry",
	"timeout", "unavailable", "unauthenticated", "forbidden", "refused", "error"
};

const char *
db_status_str(enum db_status s)
{
	return db_status_names[s];
}

enum db_status
db_status_from_sqlstate(const char *ss)
{
	if (ss == NULL || strlen(ss) != 5)
		return DB_UNAVAILABLE;	/* client-side failure: no SQLSTATE */
	if (strcmp(ss, "23505") == 0 || strcmp(ss, "23P01") == 0)
		return DB_CONFLICT;
	if (strcmp(ss, "23503") == 0)
		return DB_FK_VIOLATION;
	if (strcmp(ss, "23514") == 0 || strcmp(ss, "23502") == 0 ||
	    strncmp(ss, "22", 2) == 0)
		return DB_INVALID;
	if (strcmp(ss, "40001") == 0 || strcmp(ss, "40P01") == 0)
		return DB_RETRY;
	if (strcmp(ss, "57014") == 0)
		return DB_TIMEOUT;
	if (strcmp(ss, "28000") == 0)
		return DB_UNAUTHENTICATED;
	/*
	 * A policy refused a row (or a missing GRANT: a bug, but refusing is
	 * right either way).  The worker's own checks answer first; this is
	 * what is left when one of them has a hole.
	 */
	if (strcmp(ss, "42501") == 0)
		return DB_FORBIDDEN;
	/*
	 * Our own class: a function RAISEd to roll its transaction back and
	 * say why in the message (schema 0009, taskman_tasks_batch()).
	 */
	if (strncmp(ss, "TM", 2) == 0)
		return DB_REFUSED;
	/* connection exceptions, admin/crash shutdown, cannot connect now */
	if (strncmp(ss, "08", 2) == 0 || strncmp(ss, "57P0", 4) == 0 ||
	    strcmp(ss, "53300") == 0)
		return DB_UNAVAILABLE;
	return DB_ERROR;
}

void
db_init(struct db *db, const char *url, int statement_timeout_ms)
{
	memset(db, 0, sizeof(*db));
	db->url = url;
	db->statement_timeout_ms = statement_timeout_ms;
}

void
db_close(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->nprepared = 0;
}

/* Server notices become log lines instead of raw text on stderr. */
static void
db_notice(void *arg, const char *message)
{
	size_t n = strcspn(message, "\n");

	(void)arg;
	log_msg(LOG_DEBUG, "db_notice", "%.*s", (int)n, message);
}

void
db_conn_params(const struct db *db, const char **keys, const char **vals,
    char bufs[][32])
{
	int	 n = 0, idle_s = db->statement_timeout_ms / 1000 + 1;

	/* dbname first: the keywords after it override what the URL says */
	keys[n] = "dbname";		vals[n++] = db->url;
	keys[n] = "connect_timeout";	vals[n++] = DB_CONNECT_TIMEOUT_S;
	snprintf(bufs[0], 32, "-c statement_timeout=%d", db->statement_timeout_ms);
	keys[n] = "options";		vals[n++] = bufs[0];
	keys[n] = "application_name";	vals[n++] = "taskman-fcgi";
	/*
	 * A partitioned network sends no reset: without these a worker waits
	 * on the socket forever.  While a statement runs the connection is
	 * idle (probes after the statement timeout, 3 x 1 s apart); with
	 * unacknowledged data, tcp_user_timeout ends it.  Unix sockets ignore
	 * them.
	 */
	keys[n] = "keepalives";		vals[n++] = "1";
	snprintf(bufs[1], 32, "%d", idle_s);
	keys[n] = "keepalives_idle";	vals[n++] = bufs[1];
	keys[n] = "keepalives_interval"; vals[n++] = "1";
	keys[n] = "keepalives_count";	vals[n++] = "3";
	snprintf(bufs[2], 32, "%d", db->statement_timeout_ms + 4000);
	keys[n] = "tcp_user_timeout";	vals[n++] = bufs[2];
	keys[n] = NULL;			vals[n] = NULL;
}

int
db_connect(struct db *db)
{
	char		 bufs[3][32];
	const char	*keys[DB_CONN_PARAMS], *vals[DB_CONN_PARAMS];

	db_close(db);
	db_conn_params(db, keys, vals, bufs);
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		/* PQerrorMessage names host and user, never the password */
		log_msg(LOG_WARN, "db_connect_failed", "%s",
		    db->conn ? PQerrorMessage(db->conn) : "out of memory");
		db_close(db);
		return -1;
	}
	PQsetNoticeProcessor(db->conn, db_notice, NULL);
	db->reconnects++;
	if (db->metrics != NULL)
		__atomic_fetch_add(&db->metrics->db_reconnects, 1, __ATOMIC_RELAXED);
	return 0;
}

static bool
db_is_prepared(const struct db *db, const struct db_stmt *st)
{
	for (unsigned i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == st)
			return true;
	return false;
}

static void
db_note_error(struct db *db, const PGresult *r)
{
	const char *ss = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *cn = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
	const char *pm = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	if (db->sqlstate[0] != '\0')
		return;		/* keep the first error of the pipeline */
	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", ss ? ss : "");
	snprintf(db->constraint, sizeof(db->constraint), "%s", cn ? cn : "");
	/* the primary message names objects, not values (those are in DETAIL) */
	snprintf(db->message, sizeof(db->message), "%s", pm ? pm : "");
}

/*
 * The first statement of every pipeline that runs as a user: true, or
 * false with no user and a read-only transaction (schema 0006).
 */
static const struct db_stmt st_set_user = { "db_set_user",
	"SELECT taskman_set_user($1, $2, $3)", 3, 0 };
static const struct db_stmt st_set_fresh = { "db_set_fresh",
	"SELECT set_config('taskman.user_id', $1, true), "
	"set_config('taskman.role', $2, true)", 2, 0 };

/*
 * One attempt.  *reached tells whether the server answered anything for
 * the statement itself, so the caller knows a retry cannot repeat work.
 */
static enum db_status
db_exec_once(struct db *db, const struct db_user *as,
    const struct db_stmt *st, const char *const *values, PGresult **res,
    bool *reached)
{
	PGconn			*c;
	PGresult		*r, *main = NULL;
	enum db_status		 status = DB_OK;
	bool			 lost = false, parsed[2] = { false, false };
	bool			 refused = false;
	int			 ncmd = 0, main_idx, idx = 0, nulls = 0, k, nprep = 0;
	int			 prep_idx[2], set_idx = -1;
	const struct db_stmt	*prep[2], *setst = NULL;
	const char		*setv[3];

	*reached = false;
	db->sqlstate[0] = db->constraint[0] = db->message[0] = '\0';
	if ((db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) &&
	    db_connect(db) != 0)
		return DB_UNAVAILABLE;
	c = db->conn;
	if (PQenterPipelineMode(c) != 1)
		goto broken;

	/* statements new to this connection are prepared in the same round trip */
	if (as != NULL)
		setst = as->unchecked ? &st_set_fresh : &st_set_user;
	for (k = 0; k < 2; k++) {
		const struct db_stmt *p = k == 0 ? setst : st;

		if (p == NULL || db_is_prepared(db, p))
			continue;
		if (!PQsendPrepare(c, p->name, p->sql, p->nparams, NULL))
			goto broken;
		prep[nprep] = p;
		prep_idx[nprep++] = ncmd++;
	}
	if (setst != NULL) {
		setv[0] = as->id;
		setv[1] = as->role;
		setv[2] = as->sid;
		if (!PQsendQueryPrepared(c, setst->name, setst->nparams, setv,
		    NULL, NULL, 0))
			goto broken;
		set_idx = ncmd++;
	}
	main_idx = ncmd++;
	if (!PQsendQueryPrepared(c, st->name, st->nparams, values, NULL, NULL, 0) ||
	    !PQpipelineSync(c))
		goto broken;

	/* Each command's results end with a NULL; the sync ends it all. */
	for (;;) {
		r = PQgetResult(c);
		if (r == NULL) {
			if (PQstatus(c) != CONNECTION_OK || ++nulls > ncmd) {
				lost = true;
				break;
			}
			idx++;
			continue;
		}
		switch (PQresultStatus(r)) {
		case PGRES_PIPELINE_SYNC:
			PQclear(r);
			goto done;
		case PGRES_PIPELINE_ABORTED:
			break;
		case PGRES_FATAL_ERROR:
			db_note_error(db, r);
			if (status == DB_OK)
				status = db_status_from_sqlstate(db->sqlstate);
			/*
			 * A connection-class error (e.g. 57P01 from a server
			 * shutdown) means the statement did not commit.
			 */
			if (idx == main_idx && status != DB_UNAVAILABLE)
				*reached = true;
			break;
		default:
			/* a PREPARE that worked counts, whatever fails after it */
			for (k = 0; k < nprep; k++)
				if (idx == prep_idx[k])
					parsed[k] = true;
			/* the identity check said no: whatever follows is void */
			if (idx == set_idx && setst == &st_set_user &&
			    PQresultStatus(r) == PGRES_TUPLES_OK &&
			    (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "t") != 0))
				refused = true;
			if (idx == main_idx && main == NULL) {
				*reached = true;
				main = r;
				r = NULL;
			}
			break;
		}
		PQclear(r);
		if (PQstatus(c) != CONNECTION_OK) {
			lost = true;
			break;
		}
	}
done:
	if (!lost && PQexitPipelineMode(c) != 1)
		lost = true;
	if (lost) {
		db_close(db);
		PQclear(main);
		return DB_UNAVAILABLE;
	}
	for (k = 0; k < nprep; k++)
		if (parsed[k] && db->nprepared < DB_MAX_PREPARED)
			db->prepared[db->nprepared++] = prep[k];
	if (refused) {
		/* the statement ran read-only as nobody: its result or error is moot */
		PQclear(main);
		*reached = true;
		return DB_UNAUTHENTICATED;
	}
	if (status != DB_OK) {
		PQclear(main);
		return status;
	}
	if ((st->flags & DB_ROW) && main != NULL && PQntuples(main) == 0) {
		PQclear(main);
		return DB_NOT_FOUND;
	}
	*res = main;
	return DB_OK;
broken:
	log_msg(LOG_WARN, "db_send_failed", "%s", PQerrorMessage(c));
	db_close(db);
	return DB_UNAVAILABLE;
}

static long
elapsed_us(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000000L + (b.tv_nsec - a->tv_nsec) / 1000;
}

enum db_status
db_exec(struct db *db, const struct db_user *as, const struct db_stmt *st,
    const char *const *values, PGresult **res)
{
	enum db_status	 s;
	bool		 reached;
	int		 serial = 0, reconnect = 0;
	struct timespec	 t0;

	*res = NULL;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		s = db_exec_once(db, as, st, values, res, &reached);
		if (db->metrics != NULL)
			metrics_observe(&db->metrics->db_duration, elapsed_us(&t0));
		if (s == DB_UNAVAILABLE && !reached && reconnect++ == 0)
			continue;	/* e.g. PostgreSQL restarted since the last request */
		if (s == DB_RETRY && serial++ < DB_SERIALIZATION_RETRIES)
			continue;
		break;
	}
	if (s == DB_ERROR)
		log_msg(LOG_ERROR, "db_error", "statement %s failed with SQLSTATE %s%s%s: %s",
		    st->name, db->sqlstate, db->constraint[0] ? " on " : "",
		    db->constraint, db->message);
	return s;
}

/* One SELECT 1 on the current connection; DB_OK, DB_TIMEOUT or DB_UNAVAILABLE. */
static enum db_status
db_ping_once(struct db *db, const struct timespec *t0, int timeout_ms)
{
	struct pollfd	 pfd;
	PGresult	*r;
	enum db_status	 s = DB_OK;
	long		 left;

	if (!PQsendQuery(db->conn, "SELECT 1") || PQflush(db->conn) != 0)
		return DB_UNAVAILABLE;
	pfd.fd = PQsocket(db->conn);
	pfd.events = POLLIN;
	while (PQisBusy(db->conn)) {
		left = timeout_ms - elapsed_us(t0) / 1000;
		if (left <= 0)
			return DB_TIMEOUT;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return DB_UNAVAILABLE;
		if (!PQconsumeInput(db->conn))
			return DB_UNAVAILABLE;
	}
	while ((r = PQgetResult(db->conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			s = DB_UNAVAILABLE;
		PQclear(r);
	}
	return s;
}

enum db_status
db_ping(struct db *db, int timeout_ms, long *latency_us)
{
	struct timespec	 t0;
	enum db_status	 s = DB_UNAVAILABLE;
	bool		 fresh;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int tries = 0; tries < 2; tries++) {
		fresh = db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK;
		if (fresh && db_connect(db) != 0)
			return DB_UNAVAILABLE;
		s = db_ping_once(db, &t0, timeout_ms);
		if (s == DB_OK) {
			*latency_us = elapsed_us(&t0);
			return s;
		}
		/* a half-read answer would poison the next statement: start afresh */
		db_close(db);
		/* a connection from before a server restart fails once; a new one is the answer */
		if (fresh || s == DB_TIMEOUT)
			break;
	}
	return s;
}
