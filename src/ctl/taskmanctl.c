/*
 * taskmanctl — taskman's administration tool.
 *
 *   taskmanctl migrate up [N]       apply all pending migrations, or the next N
 *   taskmanctl migrate down [N|all] revert the last migration, the last N, or all
 *   taskmanctl migrate status       list applied and pending migrations
 *   taskmanctl prune                delete expired throttle, session and
 *                                   idempotency rows (src/ctl/prune.h)
 *   taskmanctl import FILE --user EMAIL
 *                                   load a taskman export, Todoist or Kanboard
 *                                   CSV for a user (src/ctl/import.h)
 *       options: --schema-dir DIR
 *
 * Each command is a row in commands[] below: a name, a function
 * int run(int argc, char **argv) that gets the command's own arguments
 * (argv[0] is the command name) and returns an exit status, and a usage line.
 * To add one (e.g. `user`, in src/ctl/user.c): declare its run function in a
 * header (src/ctl/user.h), include it here, add a row.
 *
 * Exit statuses (sysexits.h): 0 success, 1 failure (database error, failed
 * migration), 64 EX_USAGE bad command line, 78 EX_CONFIG bad configuration
 * (schema directory, connection string).
 *
 * Environment for migrate: database from TASKMAN_MIGRATE_DATABASE_URL, else
 * TASKMAN_DATABASE_URL, else libpq's PG* variables; schema directory from
 * --schema-dir, else TASKMAN_SCHEMA_DIR, else TASKMAN_SCHEMA_DIR_DEFAULT
 * (set by the Makefile to $(pkgdatadir)/schema).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <libpq-fe.h>

#include "import.h"
#include "migrate.h"
#include "prune.h"
#include "user.h"

#ifndef TASKMAN_SCHEMA_DIR_DEFAULT
#define TASKMAN_SCHEMA_DIR_DEFAULT "schema"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

struct ctl_command {
	const char *name;
	int       (*run)(int argc, char **argv);
	const char *usage;	/* after "taskmanctl " */
};

static int cmd_migrate(int argc, char **argv);

static const struct ctl_command commands[] = {
	{ "migrate", cmd_migrate, "migrate up [N] | down [N|all] | status  [--schema-dir DIR]" },
	{ "user", user_cmd, "user add EMAIL [--role ROLE] | set-role EMAIL ROLE | disable EMAIL" },
	{ "prune", prune_cmd, "prune   (expired throttle rows, sessions, idempotency keys)" },
	{ "import", import_cmd, "import FILE --user EMAIL [--format auto|json|todoist|kanboard] [--project NAME]" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *fp)
{
	size_t i;

	fputs("usage:\n", fp);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(fp, "  taskmanctl %s\n", commands[i].usage);
	fputs("  taskmanctl --help | --version\n", fp);
}

static void
migrate_usage(FILE *fp)
{
	fputs("usage: taskmanctl migrate up [N] | down [N|all] | status  [--schema-dir DIR]\n"
	    "  up        apply every pending migration; up N applies the next N only\n"
	    "  down      revert the most recent migration; down N reverts the last N\n"
	    "            (N larger than the number applied reverts all); down all reverts all\n"
	    "  status    list applied and pending migrations\n"
	    "  --schema-dir DIR   directory of NNNN_name.up.sql/.down.sql files\n"
	    "                     (default: $TASKMAN_SCHEMA_DIR, else " TASKMAN_SCHEMA_DIR_DEFAULT ")\n"
	    "database: $TASKMAN_MIGRATE_DATABASE_URL, else $TASKMAN_DATABASE_URL, else PG* variables\n",
	    fp);
}

/* Non-empty value of environment variable `name`, or NULL. */
static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Parses a step count 1..INT_MAX; "all" gives MIGRATE_ALL when allowed. */
static int
parse_steps(const char *s, int allow_all, long *steps)
{
	char *end;
	long  v;

	if (allow_all && strcmp(s, "all") == 0) {
		*steps = MIGRATE_ALL;
		return 0;
	}
	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > INT_MAX)
		return -1;
	*steps = v;
	return 0;
}

static int
exit_status(enum migrate_status st)
{
	switch (st) {
	case MIGRATE_OK:
		return EXIT_SUCCESS;
	case MIGRATE_CONFIG:
		return EX_CONFIG;
	case MIGRATE_FAILED:
		break;
	}
	return EXIT_FAILURE;
}

enum migrate_action { ACT_UP, ACT_DOWN, ACT_STATUS };

static int
cmd_migrate(int argc, char **argv)
{
	enum migrate_status st = MIGRATE_OK;
	enum migrate_action act;
	struct migrate_set set = { NULL, 0 };
	PGconn *conn = NULL;
	const char *schema_dir = NULL, *pos[2] = { NULL, NULL }, *conninfo;
	long  steps = MIGRATE_ALL;
	int   npos = 0, i, rc = EX_USAGE, only_args = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!only_args && strcmp(a, "--") == 0) {
			only_args = 1;
		} else if (!only_args && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			migrate_usage(stdout);
			rc = EXIT_SUCCESS;
			goto out;
		} else if (!only_args && strcmp(a, "--schema-dir") == 0) {
			if (i + 1 >= argc) {
				fputs("taskmanctl: --schema-dir needs a directory\n", stderr);
				goto usage_out;
			}
			schema_dir = argv[++i];
		} else if (!only_args && strncmp(a, "--schema-dir=", 13) == 0) {
			schema_dir = a + 13;
		} else if (!only_args && a[0] == '-') {
			fprintf(stderr, "taskmanctl: unknown option %s\n", a);
			goto usage_out;
		} else if (npos < 2) {
			pos[npos++] = a;
		} else {
			fprintf(stderr, "taskmanctl: unexpected argument %s\n", a);
			goto usage_out;
		}
	}
	if (schema_dir != NULL && schema_dir[0] == '\0') {
		fputs("taskmanctl: --schema-dir is empty\n", stderr);
		goto usage_out;
	}
	if (npos == 0) {
		fputs("taskmanctl: migrate needs up, down or status\n", stderr);
		goto usage_out;
	}
	if (strcmp(pos[0], "up") == 0) {
		act = ACT_UP;
		if (npos == 2 && parse_steps(pos[1], 0, &steps) != 0) {
			fprintf(stderr, "taskmanctl: up N: N must be a whole number >= 1, not %s\n", pos[1]);
			goto usage_out;
		}
	} else if (strcmp(pos[0], "down") == 0) {
		act = ACT_DOWN;
		steps = 1;
		if (npos == 2 && parse_steps(pos[1], 1, &steps) != 0) {
			fprintf(stderr, "taskmanctl: down N: N must be a whole number >= 1 or all, not %s\n",
			    pos[1]);
			goto usage_out;
		}
	} else if (strcmp(pos[0], "status") == 0) {
		act = ACT_STATUS;
		if (npos == 2) {
			fprintf(stderr, "taskmanctl: status takes no argument (got %s)\n", pos[1]);
			goto usage_out;
		}
	} else {
		fprintf(stderr, "taskmanctl: unknown migrate action %s\n", pos[0]);
		goto usage_out;
	}

	if (schema_dir == NULL)
		schema_dir = env_nonempty("TASKMAN_SCHEMA_DIR");
	if (schema_dir == NULL)
		schema_dir = TASKMAN_SCHEMA_DIR_DEFAULT;
	conninfo = env_nonempty("TASKMAN_MIGRATE_DATABASE_URL");
	if (conninfo == NULL)
		conninfo = env_nonempty("TASKMAN_DATABASE_URL");

	st = migrate_scan(schema_dir, &set);
	if (st != MIGRATE_OK)
		goto done;
	st = migrate_connect(conninfo, &conn);
	if (st != MIGRATE_OK)
		goto done;
	st = migrate_prepare(conn, &set, stdout);
	if (st != MIGRATE_OK)
		goto done;
	switch (act) {
	case ACT_UP:
		st = migrate_up(conn, &set, steps, stdout);
		break;
	case ACT_DOWN:
		st = migrate_down(conn, &set, steps, stdout);
		break;
	case ACT_STATUS:
		fprintf(stdout, "schema directory: %s\n", schema_dir);
		st = migrate_status_print(conn, &set, stdout);
		break;
	}
	if (st == MIGRATE_OK)
		st = migrate_unlock(conn);
	/* else: closing the connection releases the lock */
done:
	rc = exit_status(st);
	goto out;
usage_out:
	fputs("usage: taskmanctl migrate up [N] | down [N|all] | status  [--schema-dir DIR]\n"
	    "       (taskmanctl migrate --help for more)\n", stderr);
	rc = EX_USAGE;
out:
	if (conn != NULL)
		PQfinish(conn);
	migrate_set_free(&set);
	return rc;
}

int
main(int argc, char **argv)
{
	size_t i;

	/* Progress lines appear at once even when stdout is a pipe or file. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("taskmanctl %s\n", PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}
	for (i = 0; i < N_COMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "taskmanctl: unknown command %s\n", argv[1]);
	usage(stderr);
	return EX_USAGE;
}
