/*
 * migrate.c — schema migrations for taskmanctl: scan a directory of
 * NNNN_name.{up,down}.sql pairs, compare with schema_migrations, apply or
 * revert, one transaction per migration, under one advisory lock.
 * See migrate.h for the rules; files are trusted input (the administrator's
 * own schema directory), so they are sent to the server as they are.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "migrate.h"

#define MIGRATE_VERSION_DIGITS 4
#define MIGRATE_MAX_NAME 100	/* characters of the "name" part */

/* One *.sql file found while scanning, before pairing. */
struct scan_entry {
	int   version;
	bool  up;
	char *name;
	char *path;
};

/* What schema_migrations says: versions 1..count are applied. */
struct applied {
	PGresult *res;		/* rows: version, name, applied_at (text), ordered by version */
	int       count;
};

static void
report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "taskmanctl: <message>\n" on stderr. */
static void
report(const char *fmt, ...)
{
	va_list ap;

	fputs("taskmanctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* libpq messages end in "\n"; print them without it. */
static int
msg_len(const char *msg)
{
	size_t n = strlen(msg);

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	return n > INT_MAX ? INT_MAX : (int)n;
}

static double
now_seconds(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0.0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Server WARNINGs and the like (NOTICEs are off: client_min_messages). */
static void
notice_receiver(void *arg, const PGresult *res)
{
	const char *msg = PQresultErrorMessage(res);

	(void)arg;
	fprintf(stderr, "taskmanctl: server: %.*s\n", msg_len(msg), msg);
}

/* ------------------------------------------------------------------ */
/* Scanning the schema directory                                       */
/* ------------------------------------------------------------------ */

static char *
path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char  *p = malloc(dl + 1 + nl + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, name, nl + 1);
	return p;
}

static bool
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t sl = strlen(suffix);

	return len >= sl && memcmp(s + len - sl, suffix, sl) == 0;
}

/*
 * Parses "NNNN_name.up.sql" / "NNNN_name.down.sql".  On success fills
 * version, up and a malloc'd name; false when the file name breaks the rule.
 * (A NULL name with true means out of memory.)
 */
static bool
parse_file_name(const char *fname, int *version, bool *up, char **name)
{
	size_t len = strlen(fname), stem_end, i;
	int    v = 0;

	*name = NULL;
	if (ends_with(fname, len, ".up.sql")) {
		*up = true;
		stem_end = len - strlen(".up.sql");
	} else if (ends_with(fname, len, ".down.sql")) {
		*up = false;
		stem_end = len - strlen(".down.sql");
	} else {
		return false;
	}
	if (stem_end < MIGRATE_VERSION_DIGITS + 2 || fname[MIGRATE_VERSION_DIGITS] != '_')
		return false;
	for (i = 0; i < MIGRATE_VERSION_DIGITS; i++) {
		if (fname[i] < '0' || fname[i] > '9')
			return false;
		v = v * 10 + (fname[i] - '0');
	}
	if (v < 1 || v > MIGRATE_MAX_COUNT)
		return false;
	if (stem_end - (MIGRATE_VERSION_DIGITS + 1) > MIGRATE_MAX_NAME)
		return false;
	for (i = MIGRATE_VERSION_DIGITS + 1; i < stem_end; i++) {
		char c = fname[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	*version = v;
	*name = strndup(fname + MIGRATE_VERSION_DIGITS + 1, stem_end - (MIGRATE_VERSION_DIGITS + 1));
	return true;
}

static int
scan_entry_cmp(const void *a, const void *b)
{
	const struct scan_entry *x = a, *y = b;

	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	if (x->up != y->up)
		return x->up ? -1 : 1;	/* up before down */
	return strcmp(x->name, y->name);
}

/*
 * Checks the sorted entries (versions 1..n without gaps, exactly one up and
 * one down file per version, same name) and moves their strings into
 * set->files; moved pointers in e[] are set to NULL.
 */
static enum migrate_status
pair_entries(const char *dir, struct scan_entry *e, size_t n, struct migrate_set *set)
{
	enum migrate_status st = MIGRATE_CONFIG;
	size_t i = 0;
	int    want = 1;

	set->files = calloc(n / 2 + 1, sizeof(*set->files));
	if (set->files == NULL) {
		report("out of memory");
		st = MIGRATE_FAILED;
		goto out;
	}
	while (i < n) {
		struct scan_entry *upe = NULL, *downe = NULL;
		struct migrate_file *f;
		int v = e[i].version;

		if (v != want) {
			report("%s: migration %04d is missing (next found: %04d_%s)", dir, want, v, e[i].name);
			goto out;
		}
		for (; i < n && e[i].version == v; i++) {
			struct scan_entry **slot = e[i].up ? &upe : &downe;

			if (*slot != NULL) {
				report("%s: two %s migrations numbered %04d: %04d_%s and %04d_%s", dir,
				    e[i].up ? "up" : "down", v, v, (*slot)->name, v, e[i].name);
				goto out;
			}
			*slot = &e[i];
		}
		if (upe == NULL || downe == NULL) {
			report("%s: migration %04d_%s has no %s file", dir, v,
			    upe != NULL ? upe->name : downe->name, upe == NULL ? ".up.sql" : ".down.sql");
			goto out;
		}
		if (strcmp(upe->name, downe->name) != 0) {
			report("%s: %04d_%s.up.sql and %04d_%s.down.sql do not match", dir,
			    v, upe->name, v, downe->name);
			goto out;
		}
		f = &set->files[set->count++];
		f->version = v;
		f->name = upe->name;
		f->up_path = upe->path;
		f->down_path = downe->path;
		upe->name = NULL;
		upe->path = NULL;
		downe->path = NULL;	/* downe->name is freed with the entries */
		want++;
	}
	st = MIGRATE_OK;
out:
	return st;
}

enum migrate_status
migrate_scan(const char *dir, struct migrate_set *set)
{
	enum migrate_status st = MIGRATE_CONFIG;
	DIR   *d = NULL;
	struct dirent *de;
	struct scan_entry *e = NULL;
	size_t n = 0, cap = 0, i;

	d = opendir(dir);
	if (d == NULL) {
		report("schema directory %s: %s", dir, strerror(errno));
		goto out;
	}
	for (;;) {
		const char *fname;
		struct scan_entry *ne;

		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0) {
				report("schema directory %s: %s", dir, strerror(errno));
				goto out;
			}
			break;
		}
		fname = de->d_name;
		if (fname[0] == '.' || !ends_with(fname, strlen(fname), ".sql"))
			continue;
		if (n >= 2 * (size_t)MIGRATE_MAX_COUNT) {
			report("schema directory %s: too many files", dir);
			goto out;
		}
		if (n == cap) {
			size_t ncap = cap == 0 ? 16 : cap * 2;

			ne = realloc(e, ncap * sizeof(*e));
			if (ne == NULL) {
				report("out of memory");
				st = MIGRATE_FAILED;
				goto out;
			}
			e = ne;
			cap = ncap;
		}
		memset(&e[n], 0, sizeof(e[n]));
		if (!parse_file_name(fname, &e[n].version, &e[n].up, &e[n].name)) {
			report("%s/%s: not a migration file name (want NNNN_name.up.sql or "
			    "NNNN_name.down.sql, name of [a-z0-9_])", dir, fname);
			goto out;
		}
		e[n].path = path_join(dir, fname);
		if (e[n].name == NULL || e[n].path == NULL) {
			n++;
			report("out of memory");
			st = MIGRATE_FAILED;
			goto out;
		}
		n++;
	}
	if (n > 0)
		qsort(e, n, sizeof(*e), scan_entry_cmp);
	st = pair_entries(dir, e, n, set);
out:
	for (i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].path);
	}
	free(e);
	if (d != NULL)
		closedir(d);
	return st;
}

void
migrate_set_free(struct migrate_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->count; i++) {
		free(set->files[i].name);
		free(set->files[i].up_path);
		free(set->files[i].down_path);
	}
	free(set->files);
	set->files = NULL;
	set->count = 0;
}

/*
 * Reads a whole migration file into a malloc'd, NUL-terminated buffer.
 * MIGRATE_CONFIG when it cannot be read, is not a regular file, is larger
 * than MIGRATE_MAX_FILE_SIZE or contains a NUL byte (which would silently
 * cut the text libpq sends).
 */
static enum migrate_status
read_file(const char *path, char **text)
{
	enum migrate_status st = MIGRATE_CONFIG;
	FILE  *fp = NULL;
	char  *buf = NULL;
	struct stat sb;
	size_t len;

	*text = NULL;
	fp = fopen(path, "rb");
	if (fp == NULL) {
		report("%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fileno(fp), &sb) != 0) {
		report("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		report("%s: not a regular file", path);
		goto out;
	}
	buf = malloc((size_t)MIGRATE_MAX_FILE_SIZE + 2);
	if (buf == NULL) {
		report("out of memory");
		st = MIGRATE_FAILED;
		goto out;
	}
	/* Read one byte more than allowed to notice a file that grew. */
	len = fread(buf, 1, (size_t)MIGRATE_MAX_FILE_SIZE + 1, fp);
	if (ferror(fp)) {
		report("%s: read error", path);
		goto out;
	}
	if (len > (size_t)MIGRATE_MAX_FILE_SIZE) {
		report("%s: larger than %ld bytes", path, MIGRATE_MAX_FILE_SIZE);
		goto out;
	}
	if (memchr(buf, '\0', len) != NULL) {
		report("%s: contains a NUL byte", path);
		goto out;
	}
	buf[len] = '\0';
	*text = buf;
	buf = NULL;
	st = MIGRATE_OK;
out:
	free(buf);
	if (fp != NULL)
		fclose(fp);
	return st;
}

/* ------------------------------------------------------------------ */
/* Talking to the database                                             */
/* ------------------------------------------------------------------ */

enum migrate_status
migrate_connect(const char *conninfo, PGconn **out)
{
	enum migrate_status st = MIGRATE_FAILED;
	PQconninfoOption *opts = NULL;
	PGconn *conn = NULL;
	PGresult *res = NULL;
	char   *perr = NULL;
	const char *keys[4], *vals[4];
	int     k = 0;

	*out = NULL;
	if (conninfo != NULL && conninfo[0] != '\0') {
		opts = PQconninfoParse(conninfo, &perr);
		if (opts == NULL) {
			report("invalid database connection string: %.*s",
			    perr != NULL ? msg_len(perr) : 13, perr != NULL ? perr : "out of memory");
			st = MIGRATE_CONFIG;
			goto out;
		}
		keys[k] = "dbname";
		vals[k++] = conninfo;
	}
	/* Later entries override what conninfo says: the files are UTF-8. */
	keys[k] = "fallback_application_name";
	vals[k++] = "taskmanctl";
	keys[k] = "client_encoding";
	vals[k++] = "UTF8";
	keys[k] = NULL;
	vals[k] = NULL;

	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL) {
		report("out of memory");
		goto out;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		const char *m = PQerrorMessage(conn);

		report("cannot connect to the database: %.*s", msg_len(m), m);
		goto out;
	}
	PQsetNoticeReceiver(conn, notice_receiver, NULL);
	res = PQexec(conn, "SET client_min_messages = warning");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		const char *m = PQerrorMessage(conn);

		report("session setup failed: %.*s", msg_len(m), m);
		goto out;
	}
	*out = conn;
	conn = NULL;
	st = MIGRATE_OK;
out:
	PQclear(res);
	if (conn != NULL)
		PQfinish(conn);
	if (perr != NULL)
		PQfreemem(perr);
	if (opts != NULL)
		PQconninfoFree(opts);
	return st;
}

/* Runs a statement without parameters that returns no rows. */
static bool
exec_command(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok) {
		const char *m = PQerrorMessage(conn);

		report("%s: %.*s", sql, msg_len(m), m);
	}
	PQclear(res);
	return ok;
}

/* Runs a query that returns exactly one boolean; *value receives it. */
static bool
query_bool(PGconn *conn, const char *sql, bool *value)
{
	PGresult *res = PQexec(conn, sql);
	bool ok = false;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) != 1
	    || PQgetisnull(res, 0, 0)) {
		const char *m = PQerrorMessage(conn);

		report("%s: %.*s", sql, msg_len(m), m[0] != '\0' ? m : "unexpected result");
		goto out;
	}
	*value = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	ok = true;
out:
	PQclear(res);
	return ok;
}

static void
applied_free(struct applied *a)
{
	PQclear(a->res);
	a->res = NULL;
	a->count = 0;
}

/*
 * Loads schema_migrations into *a.  The engine only ever applies in order,
 * so the versions must be exactly 1..count; anything else was edited by hand
 * and is refused rather than guessed at.
 */
static enum migrate_status
load_applied(PGconn *conn, struct applied *a)
{
	enum migrate_status st = MIGRATE_FAILED;
	int i, n;

	a->count = 0;
	a->res = PQexec(conn,
	    "SELECT version, name, to_char(applied_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM schema_migrations ORDER BY version");
	if (PQresultStatus(a->res) != PGRES_TUPLES_OK || PQnfields(a->res) != 3) {
		const char *m = PQerrorMessage(conn);

		report("reading schema_migrations: %.*s", msg_len(m), m);
		goto out;
	}
	n = PQntuples(a->res);
	for (i = 0; i < n; i++) {
		const char *v = PQgetvalue(a->res, i, 0);
		char *end;
		long  lv;

		errno = 0;
		lv = strtol(v, &end, 10);
		if (errno != 0 || *end != '\0' || lv != i + 1) {
			report("schema_migrations is inconsistent: expected version %d, found %s "
			    "(versions must be 1..N without gaps)", i + 1, v);
			goto out;
		}
	}
	a->count = n;
	st = MIGRATE_OK;
out:
	return st;
}

static const char *
applied_name(const struct applied *a, int version)
{
	return PQgetvalue(a->res, version - 1, 1);
}

static const char *
applied_at(const struct applied *a, int version)
{
	return PQgetvalue(a->res, version - 1, 2);
}

enum migrate_status
migrate_prepare(PGconn *conn, const struct migrate_set *set, FILE *out)
{
	enum migrate_status st = MIGRATE_FAILED;
	struct applied a = { NULL, 0 };
	bool locked = false;
	int  v, known;

	if (!query_bool(conn, "SELECT pg_try_advisory_lock(" MIGRATE_LOCK_KEY ")", &locked))
		goto out;
	if (!locked) {
		fprintf(out, "waiting for another migration run to finish "
		    "(advisory lock " MIGRATE_LOCK_KEY ")\n");
		fflush(out);
		if (!query_bool(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ") IS NULL", &locked))
			goto out;
	}
	if (!exec_command(conn,
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version integer PRIMARY KEY CHECK (version >= 1),"
	    " name text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())"))
		goto out;
	st = load_applied(conn, &a);
	if (st != MIGRATE_OK)
		goto out;
	known = a.count < (int)set->count ? a.count : (int)set->count;
	for (v = 1; v <= known; v++) {
		if (strcmp(applied_name(&a, v), set->files[v - 1].name) != 0)
			report("warning: version %04d was applied as \"%s\" but the file is %04d_%s",
			    v, applied_name(&a, v), v, set->files[v - 1].name);
	}
	if (a.count > (int)set->count)
		report("warning: the database is at version %04d, newer than the newest "
		    "migration in the schema directory (%04zu)", a.count, set->count);
	st = MIGRATE_OK;
out:
	applied_free(&a);
	return st;
}

enum migrate_status
migrate_unlock(PGconn *conn)
{
	bool released = false;

	if (!query_bool(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", &released))
		return MIGRATE_FAILED;
	return released ? MIGRATE_OK : MIGRATE_FAILED;
}

/*
 * Line (1-based) of the character at 1-based character position `pos` in
 * UTF-8 text `sql`: error positions count characters, not bytes.
 */
static long
line_of_position(const char *sql, long pos)
{
	long line = 1, chars = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)sql; *p != '\0'; p++) {
		if ((*p & 0xC0) != 0x80 && ++chars >= pos)
			break;
		if (*p == '\n')
			line++;
	}
	return line;
}

/* Reports a failed statement of migration file `path` with its line. */
static void
report_sql_error(PGconn *conn, const PGresult *res, const char *path, const char *sql)
{
	const char *m = res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(conn);
	const char *pos = res != NULL ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	long  p = 0;
	char *end;

	if (pos != NULL) {
		errno = 0;
		p = strtol(pos, &end, 10);
		if (errno != 0 || *end != '\0' || p < 1)
			p = 0;
	}
	if (p > 0)
		report("%s:%ld: %.*s", path, line_of_position(sql, p), msg_len(m), m);
	else
		report("%s: %.*s", path, msg_len(m), m);
}

/*
 * Applies (up) or reverts (!up) one migration: BEGIN, the file, the
 * schema_migrations row, COMMIT.  Any failure rolls the whole migration back.
 */
static enum migrate_status
run_one(PGconn *conn, const struct migrate_file *f, bool up, FILE *out)
{
	enum migrate_status st;
	const char *path = up ? f->up_path : f->down_path;
	char *sql = NULL;
	PGresult *res = NULL;
	bool  in_tx = false;
	char  vbuf[16];
	const char *params[2];
	double t0 = now_seconds();

	st = read_file(path, &sql);
	if (st != MIGRATE_OK)
		goto out;
	st = MIGRATE_FAILED;
	if (!exec_command(conn, "BEGIN"))
		goto out;
	in_tx = true;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		report_sql_error(conn, res, path, sql);
		goto out;
	}
	PQclear(res);
	res = NULL;
	if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
		report("%s: the file ended the migration's transaction itself (it must not "
		    "contain COMMIT/ROLLBACK); its changes may be partly committed without "
		    "being recorded in schema_migrations", path);
		in_tx = PQtransactionStatus(conn) == PQTRANS_INERROR;
		goto out;
	}

	snprintf(vbuf, sizeof(vbuf), "%d", f->version);
	params[0] = vbuf;
	params[1] = f->name;
	if (up)
		res = PQexecParams(conn,
		    "INSERT INTO schema_migrations (version, name) VALUES ($1::integer, $2)",
		    2, NULL, params, NULL, NULL, 0);
	else
		res = PQexecParams(conn,
		    "DELETE FROM schema_migrations WHERE version = $1::integer",
		    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK || strcmp(PQcmdTuples(res), "1") != 0) {
		const char *m = PQresultErrorMessage(res);

		report("recording %04d_%s in schema_migrations: %.*s", f->version, f->name,
		    msg_len(m), m[0] != '\0' ? m : "no row changed");
		goto out;
	}
	PQclear(res);

	/* COMMIT of a failed transaction "succeeds" with the tag ROLLBACK. */
	res = PQexec(conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK || strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		const char *m = PQresultErrorMessage(res);

		report("committing %04d_%s: %.*s", f->version, f->name, msg_len(m),
		    m[0] != '\0' ? m : "transaction was rolled back");
		in_tx = PQtransactionStatus(conn) != PQTRANS_IDLE;
		goto out;
	}
	in_tx = false;
	fprintf(out, "%s %04d_%s (%.2f s)\n", up ? "applied" : "reverted", f->version, f->name,
	    now_seconds() - t0);
	fflush(out);
	st = MIGRATE_OK;
out:
	PQclear(res);
	if (in_tx) {
		res = PQexec(conn, "ROLLBACK");
		PQclear(res);
		report("%04d_%s was rolled back; nothing of it is applied", f->version, f->name);
	}
	free(sql);
	return st;
}

enum migrate_status
migrate_up(PGconn *conn, const struct migrate_set *set, long steps, FILE *out)
{
	enum migrate_status st;
	struct applied a = { NULL, 0 };
	long done = 0;
	size_t i;

	st = load_applied(conn, &a);
	if (st != MIGRATE_OK)
		goto out;
	if ((size_t)a.count >= set->count) {
		fprintf(out, "nothing to apply: the database is at version %04d\n", a.count);
		goto out;
	}
	for (i = (size_t)a.count; i < set->count && (steps == MIGRATE_ALL || done < steps); i++) {
		st = run_one(conn, &set->files[i], true, out);
		if (st != MIGRATE_OK)
			goto out;
		done++;
	}
	fprintf(out, "the database is at version %04zu (%zu pending)\n", i, set->count - i);
out:
	applied_free(&a);
	return st;
}

enum migrate_status
migrate_down(PGconn *conn, const struct migrate_set *set, long steps, FILE *out)
{
	enum migrate_status st;
	struct applied a = { NULL, 0 };
	long done = 0;
	int  v;

	st = load_applied(conn, &a);
	if (st != MIGRATE_OK)
		goto out;
	if (a.count == 0) {
		fprintf(out, "nothing to revert: no migration is applied\n");
		goto out;
	}
	for (v = a.count; v >= 1 && (steps == MIGRATE_ALL || done < steps); v--) {
		if ((size_t)v > set->count) {
			report("cannot revert version %04d (%s): the schema directory has no "
			    "%04d_*.down.sql", v, applied_name(&a, v), v);
			st = MIGRATE_CONFIG;
			goto out;
		}
		st = run_one(conn, &set->files[v - 1], false, out);
		if (st != MIGRATE_OK)
			goto out;
		done++;
	}
	fprintf(out, "the database is at version %04d\n", v);
out:
	applied_free(&a);
	return st;
}

enum migrate_status
migrate_status_print(PGconn *conn, const struct migrate_set *set, FILE *out)
{
	enum migrate_status st;
	struct applied a = { NULL, 0 };
	int v, last;

	st = load_applied(conn, &a);
	if (st != MIGRATE_OK)
		goto out;
	last = a.count > (int)set->count ? a.count : (int)set->count;
	for (v = 1; v <= last; v++) {
		if (v <= a.count)
			fprintf(out, "%04d_%-30s applied  %s%s\n", v,
			    v <= (int)set->count ? set->files[v - 1].name : applied_name(&a, v),
			    applied_at(&a, v), v <= (int)set->count ? "" : "  (no file)");
		else
			fprintf(out, "%04d_%-30s pending\n", v, set->files[v - 1].name);
	}
	fprintf(out, "version %04d, %d applied, %zu pending\n", a.count, a.count,
	    (size_t)a.count < set->count ? set->count - (size_t)a.count : 0);
out:
	applied_free(&a);
	return st;
}
