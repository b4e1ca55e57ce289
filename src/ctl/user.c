/*
 * user.c — `taskmanctl user add | set-role | disable` (see user.h).
 * The password hashing is the worker's own (auth/password.c) and the
 * e-mail rule is register's (valid.c), so an account made here is
 * indistinguishable from one made over the API, except for its role.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "auth/password.h"
#include "migrate.h"
#include "user.h"
#include "valid.h"

/* $1 e-mail, $2 PHC hash, $3 role */
static const char sql_add[] =
    "WITH u AS (INSERT INTO users (email, password_hash, role) "
    "  VALUES (lower($1), $2, $3) RETURNING id, role), "
    "a AS (INSERT INTO audit_events (actor_id, target_id, action, details) "
    "  SELECT NULL, u.id, 'cli.user_add', jsonb_build_object('role', u.role) FROM u) "
    "SELECT id FROM u";
/* $1 e-mail, $2 role; the old role comes from the statement's snapshot */
static const char sql_set_role[] =
    "WITH o AS (SELECT id, role FROM users WHERE lower(email) = lower($1)), "
    "u AS (UPDATE users SET role = $2, version = version + 1, updated_at = now() "
    "  FROM o WHERE users.id = o.id AND o.role IS DISTINCT FROM $2 RETURNING users.id), "
    "a AS (INSERT INTO audit_events (actor_id, target_id, action, details) "
    "  SELECT NULL, o.id, 'cli.user_set_role', "
    "    jsonb_build_object('from', o.role, 'to', $2::text) "
    "  FROM o WHERE o.role IS DISTINCT FROM $2) "
    "SELECT o.id, o.role FROM o";
/* $1 e-mail; revokes every live refresh session even if already disabled */
static const char sql_disable[] =
    "WITH o AS (SELECT id, disabled FROM users WHERE lower(email) = lower($1)), "
    "u AS (UPDATE users SET disabled = true, version = version + 1, updated_at = now() "
    "  FROM o WHERE users.id = o.id AND NOT o.disabled RETURNING users.id), "
    "s AS (UPDATE refresh_sessions SET revoked_at = now() FROM o "
    "  WHERE refresh_sessions.user_id = o.id AND refresh_sessions.revoked_at IS NULL "
    "  RETURNING refresh_sessions.id), "
    "a AS (INSERT INTO audit_events (actor_id, target_id, action, details) "
    "  SELECT NULL, o.id, 'cli.user_disable', jsonb_build_object("
    "    'revoked_sessions', (SELECT count(*) FROM s), 'was_disabled', o.disabled) "
    "  FROM o) "
    "SELECT o.id, o.disabled, (SELECT count(*) FROM s) FROM o";

static const char *const roles[] = { "admin", "user", "readonly", NULL };

static void
user_usage(FILE *fp)
{
	fputs("usage: taskmanctl user add EMAIL [--role admin|user|readonly]\n"
	    "       taskmanctl user set-role EMAIL admin|user|readonly\n"
	    "       taskmanctl user disable EMAIL\n"
	    "  add       create a local account (default role user); the password is\n"
	    "            the first line of standard input, 8 to 1024 bytes\n"
	    "  set-role  change an account's role\n"
	    "  disable   disable an account and revoke all its refresh sessions\n"
	    "database: $TASKMAN_MIGRATE_DATABASE_URL, else $TASKMAN_DATABASE_URL, else PG* variables\n"
	    "hashing:  $TASKMAN_ARGON2_M_KIB (19456), $TASKMAN_ARGON2_T (2), $TASKMAN_ARGON2_P (1)\n",
	    fp);
}

static bool
role_ok(const char *s)
{
	size_t i;

	for (i = 0; roles[i] != NULL; i++)
		if (strcmp(s, roles[i]) == 0)
			return true;
	return false;
}

/* libpq messages end in "\n"; the length without it. */
static int
msg_len(const char *m)
{
	size_t n = strlen(m);

	while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == '\r'))
		n--;
	return (int)n;
}

/*
 * One TASKMAN_ARGON2_* variable: unset or empty gives def, else an
 * integer in min..max (the worker's bounds).  0, or -1 with a message.
 */
static int
env_param(const char *name, unsigned def, long min, long max, unsigned *out)
{
	const char	*v = getenv(name);
	char		*end;
	long		 n;

	if (v == NULL || v[0] == '\0') {
		*out = def;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max) {
		fprintf(stderr, "taskmanctl: %s must be an integer from %ld to %ld\n",
		    name, min, max);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

static int
argon2_params(struct password_params *pp)
{
	if (env_param("TASKMAN_ARGON2_M_KIB", 19456, 19456, 4194304, &pp->m_kib) != 0 ||
	    env_param("TASKMAN_ARGON2_T", 2, 2, 64, &pp->t) != 0 ||
	    env_param("TASKMAN_ARGON2_P", 1, 1, 16, &pp->p) != 0)
		return -1;
	return 0;
}

/*
 * The first line of standard input (without "\n" or "\r\n") into pw
 * (PASSWORD_MAX_BYTES + 1 bytes); echo is off when it is a terminal.
 * Returns its length, or -1 with a message.
 */
static long
read_password(char *pw)
{
	struct termios	 old, quiet;
	bool		 tty = isatty(STDIN_FILENO) == 1, restore = false;
	size_t		 n = 0;
	long		 rc = -1;
	int		 c;
	bool		 nul = false, eol = false, long_line = false;

	if (tty) {
		fputs("Password: ", stderr);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
		}
	}
	while ((c = getchar()) != EOF) {
		if (c == '\n') {
			eol = true;
			break;
		}
		if (c == '\0')
			nul = true;
		if (n <= PASSWORD_MAX_BYTES)
			pw[n++] = (char)c;
		else
			long_line = true;	/* read on to the end of the line */
	}
	if (restore) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!long_line && n > 0 && pw[n - 1] == '\r')
		n--;
	if (n == 0 && !eol)
		fputs("taskmanctl: no password on standard input (first line)\n", stderr);
	else if (nul)
		fputs("taskmanctl: the password contains a NUL byte\n", stderr);
	else if (long_line || n < PASSWORD_MIN_BYTES || n > PASSWORD_MAX_BYTES)
		fprintf(stderr, "taskmanctl: the password must be %d to %d bytes\n",
		    PASSWORD_MIN_BYTES, PASSWORD_MAX_BYTES);
	else
		rc = (long)n;
	return rc;
}

/*
 * Runs sql with params as the only statement of a transaction that first
 * makes the session an admin for row-level security.  Returns the rows
 * (caller PQclear()s) or NULL after printing why; *dup is set on a
 * unique violation.
 */
static PGresult *
admin_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
    bool *dup)
{
	PGresult	*res, *out = NULL;
	const char	*state, *m;

	*dup = false;
	res = PQexec(conn, "BEGIN");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		goto fail;
	PQclear(res);
	res = PQexec(conn, "SELECT set_config('taskman.role', 'admin', true)");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto fail;
	PQclear(res);
	res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto fail;
	out = res;
	res = PQexec(conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(out);
		out = NULL;
		goto fail;
	}
	PQclear(res);
	return out;
fail:
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	*dup = state != NULL && strcmp(state, "23505") == 0;
	if (!*dup) {
		m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (m == NULL)
			m = PQerrorMessage(conn);
		fprintf(stderr, "taskmanctl: database error: %.*s\n", msg_len(m), m);
	}
	PQclear(res);
	return NULL;
}

int
user_cmd(int argc, char **argv)
{
	struct password_params	 pp;
	PGconn			*conn = NULL;
	PGresult		*res = NULL;
	const char		*pos[3] = { NULL, NULL, NULL }, *role = NULL;
	const char		*conninfo, *params[3];
	char			 pw[PASSWORD_MAX_BYTES + 1], hash[PASSWORD_HASH_MAX];
	long			 pwlen;
	int			 npos = 0, i, rc = EX_USAGE;
	bool			 only_args = false, dup;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!only_args && strcmp(a, "--") == 0)
			only_args = true;
		else if (!only_args && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			user_usage(stdout);
			return EXIT_SUCCESS;
		} else if (!only_args && strcmp(a, "--role") == 0) {
			if (i + 1 >= argc) {
				fputs("taskmanctl: --role needs a role\n", stderr);
				goto usage;
			}
			role = argv[++i];
		} else if (!only_args && strncmp(a, "--role=", 7) == 0)
			role = a + 7;
		else if (!only_args && a[0] == '-') {
			fprintf(stderr, "taskmanctl: unknown option %s\n", a);
			goto usage;
		} else if (npos < 3)
			pos[npos++] = a;
		else {
			fprintf(stderr, "taskmanctl: unexpected argument %s\n", a);
			goto usage;
		}
	}
	if (npos == 0) {
		fputs("taskmanctl: user needs add, set-role or disable\n", stderr);
		goto usage;
	}
	if (strcmp(pos[0], "add") == 0) {
		if (npos != 2) {
			fputs("taskmanctl: user add takes one EMAIL\n", stderr);
			goto usage;
		}
		if (role == NULL)
			role = "user";
	} else if (strcmp(pos[0], "set-role") == 0) {
		if (npos != 3 || role != NULL) {
			fputs("taskmanctl: user set-role takes EMAIL ROLE\n", stderr);
			goto usage;
		}
		role = pos[2];
	} else if (strcmp(pos[0], "disable") == 0) {
		if (npos != 2 || role != NULL) {
			fputs("taskmanctl: user disable takes one EMAIL\n", stderr);
			goto usage;
		}
	} else {
		fprintf(stderr, "taskmanctl: unknown user action %s\n", pos[0]);
		goto usage;
	}
	if (!valid_email(pos[1], strlen(pos[1]))) {
		fprintf(stderr, "taskmanctl: %s is not an e-mail address\n", pos[1]);
		goto usage;
	}
	if (role != NULL && !role_ok(role)) {
		fprintf(stderr, "taskmanctl: role must be admin, user or readonly, not %s\n",
		    role);
		goto usage;
	}

	if (strcmp(pos[0], "add") == 0) {
		if (argon2_params(&pp) != 0) {
			rc = EX_CONFIG;
			goto out;
		}
		if ((pwlen = read_password(pw)) < 0) {
			rc = EX_USAGE;
			goto out;
		}
		if (password_hash(&pp, pw, (size_t)pwlen, hash, sizeof(hash)) != 0) {
			fputs("taskmanctl: Argon2id hashing failed (TASKMAN_ARGON2_*: "
			    "not enough memory?)\n", stderr);
			rc = EXIT_FAILURE;
			goto out;
		}
	}

	conninfo = getenv("TASKMAN_MIGRATE_DATABASE_URL");
	if (conninfo == NULL || conninfo[0] == '\0')
		conninfo = getenv("TASKMAN_DATABASE_URL");
	switch (migrate_connect(conninfo, &conn)) {
	case MIGRATE_OK:
		break;
	case MIGRATE_CONFIG:
		rc = EX_CONFIG;
		goto out;
	default:
		rc = EXIT_FAILURE;
		goto out;
	}

	rc = EXIT_FAILURE;
	params[0] = pos[1];
	if (strcmp(pos[0], "add") == 0) {
		params[1] = hash;
		params[2] = role;
		if ((res = admin_exec(conn, sql_add, 3, params, &dup)) == NULL) {
			if (dup)
				fprintf(stderr, "taskmanctl: a user with e-mail %s already "
				    "exists\n", pos[1]);
			goto out;
		}
		printf("created user %s (%s, role %s)\n", PQgetvalue(res, 0, 0),
		    pos[1], role);
	} else if (strcmp(pos[0], "set-role") == 0) {
		params[1] = role;
		if ((res = admin_exec(conn, sql_set_role, 2, params, &dup)) == NULL)
			goto out;
		if (PQntuples(res) == 0) {
			fprintf(stderr, "taskmanctl: no user with e-mail %s\n", pos[1]);
			goto out;
		}
		if (strcmp(PQgetvalue(res, 0, 1), role) == 0)
			printf("user %s (%s) already has role %s\n",
			    PQgetvalue(res, 0, 0), pos[1], role);
		else
			printf("user %s (%s): role %s -> %s\n", PQgetvalue(res, 0, 0),
			    pos[1], PQgetvalue(res, 0, 1), role);
	} else {
		if ((res = admin_exec(conn, sql_disable, 1, params, &dup)) == NULL)
			goto out;
		if (PQntuples(res) == 0) {
			fprintf(stderr, "taskmanctl: no user with e-mail %s\n", pos[1]);
			goto out;
		}
		printf("user %s (%s) %s; %s refresh session(s) revoked\n",
		    PQgetvalue(res, 0, 0), pos[1],
		    strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? "was already disabled" :
		    "disabled", PQgetvalue(res, 0, 2));
	}
	rc = EXIT_SUCCESS;
	goto out;
usage:
	user_usage(stderr);
	rc = EX_USAGE;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(hash, sizeof(hash));
	PQclear(res);
	if (conn != NULL)
		PQfinish(conn);
	return rc;
}
