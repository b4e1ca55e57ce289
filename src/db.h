/*
 * db: one persistent libpq connection per worker context, statements
 * prepared lazily (once per connection), SQLSTATEs mapped to a small enum
 * that handlers turn into HTTP statuses (see http_db_problem()).
 *
 * Every statement runs in libpq pipeline mode: [PREPARE if new] +
 * [set_config of the current user for row-level security] + EXECUTE +
 * SYNC go out in one round trip and run in one implicit transaction.
 */
#ifndef TASKMAN_DB_H
#define TASKMAN_DB_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "metrics.h"

enum db_status {
	DB_OK,
	DB_NOT_FOUND,		/* DB_ROW statement returned no row */
	DB_CONFLICT,		/* 23505 unique_violation */
	DB_FK_VIOLATION,	/* 23503: a referenced row is not the caller's */
	DB_INVALID,		/* 23514 check, 22xxx data exception */
	DB_RETRY,		/* 40001 / 40P01 still failing after retries */
	DB_TIMEOUT,		/* 57014 statement timeout */
	DB_UNAVAILABLE,		/* no connection, or it broke */
	DB_UNAUTHENTICATED,	/* 28000: the user is gone, disabled or changed role */
	DB_FORBIDDEN,		/* 42501 from a row-level security policy: the second lock */
	DB_REFUSED,		/* class TM: a function of ours refused; db.message says why */
	DB_ERROR		/* anything else: a bug; logged, 500 */
};

#define DB_ROW		0x1	/* exactly one row expected: 0 rows -> DB_NOT_FOUND */

struct db_stmt {
	const char	*name;	/* unique across the program */
	const char	*sql;	/* only $n placeholders; never formatted */
	int		 nparams;
	unsigned	 flags;
};

/*
 * Who the statement runs as, for row-level security; NULL: nobody.
 * Normally taskman_set_user() checks in the same transaction that the
 * user still exists, is enabled and has this role, and that the session
 * sid (when not NULL) is still live; else DB_UNAUTHENTICATED, and the
 * transaction was read-only with no user, so nothing was read or written.
 * unchecked: only set the settings, for a user being created right now.
 * Handlers build one with http_db_user() (http.h).
 */
struct db_user {
	const char	*id;	/* uuid text */
	const char	*role;	/* admin | user | readonly */
	bool		 unchecked;
	const char	*sid;	/* the token's session (uuid text), or NULL */
};

#define DB_MAX_PREPARED	256

struct db {
	PGconn			*conn;
	const char		*url;		/* NULL: PG* environment */
	int			 statement_timeout_ms;
	const struct db_stmt	*prepared[DB_MAX_PREPARED];
	unsigned		 nprepared;
	unsigned long		 reconnects;
	struct metrics_slot	*metrics;	/* NULL: not counted */
	char			 sqlstate[6];	/* of the last error, "" if none */
	char			 constraint[64];/* of the last error, "" if none */
	char			 message[256];	/* its primary message (for the log, or
						   the reason of DB_REFUSED) */
};

void		 db_init(struct db *db, const char *url, int statement_timeout_ms);
/*
 * The connection keywords db_connect() uses besides the URL (NULL-terminated
 * keys and values, at most DB_CONN_PARAMS - 1 pairs); exposed for tests.
 * TCP keepalives and tcp_user_timeout end a connection to a database that
 * stopped answering a little after the statement timeout.
 */
#define DB_CONN_PARAMS	12
void		 db_conn_params(const struct db *db, const char **keys,
		    const char **vals, char bufs[][32]);
/* Connects now; on failure the next db_exec() tries again.  Returns 0/-1. */
int		 db_connect(struct db *db);
void		 db_close(struct db *db);

/*
 * Runs st with values (st->nparams text parameters, NULL for SQL NULL),
 * as user `as` when non-NULL.  On DB_OK *res holds the result, which the
 * caller frees with PQclear(); on any other status *res is NULL.
 * A broken connection is re-opened and the statement retried once when
 * it had not reached the server; serialization failures retry twice.
 */
enum db_status	 db_exec(struct db *db, const struct db_user *as,
		    const struct db_stmt *st, const char *const *values,
		    PGresult **res);

/*
 * SELECT 1 with a deadline, for /health/ready.  Returns DB_OK and the
 * round-trip time, DB_TIMEOUT or DB_UNAVAILABLE.
 */
enum db_status	 db_ping(struct db *db, int timeout_ms, long *latency_us);

const char	*db_status_str(enum db_status s);
/* Maps a SQLSTATE to the enum; exposed for tests. */
enum db_status	 db_status_from_sqlstate(const char *sqlstate);

#endif
