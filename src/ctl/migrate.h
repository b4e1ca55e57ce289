/*
 * migrate.h — the schema migration engine behind `taskmanctl migrate`.
 *
 * A schema directory holds pairs of files
 *     NNNN_name.up.sql  and  NNNN_name.down.sql
 * (NNNN: exactly four digits, 0001 upwards without gaps; name: [a-z0-9_]+,
 * the same in both files of a pair).  Other files whose names do not end in
 * ".sql", and hidden files, are ignored; any other *.sql file is an error.
 *
 * The database records what is applied in
 *     schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
 *                        applied_at timestamptz NOT NULL DEFAULT now())
 * which the engine creates when missing.  Each migration runs in its own
 * transaction together with its schema_migrations row; a file must not
 * contain BEGIN/COMMIT/ROLLBACK (the engine checks that the transaction is
 * still open afterwards).  The whole run holds the session advisory lock
 * MIGRATE_LOCK_KEY, so two runs never interleave: the second waits.
 *
 * Functions return enum migrate_status; nothing here exits.  Messages go to
 * the FILE * given (progress) and stderr (errors), prefixed "taskmanctl: ".
 */
#ifndef TASKMAN_CTL_MIGRATE_H
#define TASKMAN_CTL_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

#include <libpq-fe.h>

/* pg_advisory_lock() key held for a whole run: the bytes of "taskman". */
#define MIGRATE_LOCK_KEY "32758245649899886"

/* Largest migration file accepted, in bytes. */
#define MIGRATE_MAX_FILE_SIZE (1024L * 1024L)

/* Largest number of migrations in one directory. */
#define MIGRATE_MAX_COUNT 9999

/* "all" for migrate_up()/migrate_down() steps. */
#define MIGRATE_ALL (-1L)

/* Results; taskmanctl turns them into exit codes 0 / 1 / 78. */
enum migrate_status {
	MIGRATE_OK = 0,
	MIGRATE_FAILED,		/* database error, a migration failed */
	MIGRATE_CONFIG		/* bad schema directory or connection string */
};

struct migrate_file {
	int   version;		/* 1 .. MIGRATE_MAX_COUNT */
	char *name;		/* "init" for 0001_init.up.sql */
	char *up_path;		/* full paths */
	char *down_path;
};

struct migrate_set {
	struct migrate_file *files;	/* sorted by version: files[i].version == i + 1 */
	size_t               count;
};

/*
 * Reads directory `dir` into `set` (which the caller passes zeroed).
 * MIGRATE_CONFIG, with a message on stderr, when the directory cannot be
 * read or its files break the naming rules above (gap, duplicate, missing
 * half of a pair, mismatched names).  An empty directory is valid.
 * On any return the caller releases `set` with migrate_set_free().
 */
enum migrate_status migrate_scan(const char *dir, struct migrate_set *set);

/* Frees what migrate_scan() allocated and zeroes `set`.  NULL-safe. */
void migrate_set_free(struct migrate_set *set);

/*
 * Connects with libpq conninfo string or URI `conninfo` ("" or NULL: only
 * libpq's PG* environment variables).  *out receives the connection, to be
 * closed with PQfinish(), or NULL on failure.  MIGRATE_CONFIG when conninfo
 * does not parse, MIGRATE_FAILED when the server cannot be reached.
 * The password is never printed.
 */
enum migrate_status migrate_connect(const char *conninfo, PGconn **out);

/*
 * Takes the advisory lock (saying on `out` when it has to wait for another
 * run), creates schema_migrations if missing, and checks that what the
 * database has applied is consistent with `set`.  Call once before
 * migrate_up/down/status; the lock is released by migrate_unlock() or when
 * the connection closes.
 */
enum migrate_status migrate_prepare(PGconn *conn, const struct migrate_set *set, FILE *out);

/* Releases the advisory lock taken by migrate_prepare(). */
enum migrate_status migrate_unlock(PGconn *conn);

/*
 * Applies the next `steps` pending migrations in ascending order
 * (MIGRATE_ALL: every pending one; fewer pending than steps: all of them).
 * Stops at the first failure, which rolls that migration back completely;
 * the ones before it stay applied.
 */
enum migrate_status migrate_up(PGconn *conn, const struct migrate_set *set, long steps, FILE *out);

/*
 * Reverts the `steps` most recently applied migrations in descending order
 * (MIGRATE_ALL, or more steps than are applied: all of them).
 */
enum migrate_status migrate_down(PGconn *conn, const struct migrate_set *set, long steps, FILE *out);

/* Prints one line per known version (applied / pending) and a summary. */
enum migrate_status migrate_status_print(PGconn *conn, const struct migrate_set *set, FILE *out);

#endif /* TASKMAN_CTL_MIGRATE_H */
