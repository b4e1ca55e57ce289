/*
 * taskmanctl prune: deletes rows no request can use any more (0006's
 * taskman_prune()), then the changes log's rows older than the retention
 * (TASKMAN_CHANGES_RETENTION_DAYS, default 30, as the worker's), in
 * batches of PRUNE_BATCH rows, each its own short transaction, so that
 * writers adding rows meanwhile are never held up (docs/CHANGES.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <libpq-fe.h>

#include "prune.h"

#define PRUNE_BATCH	"1000"

/* The retention in days, as decimal text into dst; -1 if the variable is bad. */
static int
retention_days(char *dst, size_t len)
{
	const char	*v = getenv("TASKMAN_CHANGES_RETENTION_DAYS");
	char		*end;
	long		 n;

	if (v == NULL || *v == '\0')
		v = "30";
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 1 || n > 3650)
		return -1;
	snprintf(dst, len, "%ld", n);
	return 0;
}

/* Deletes the log's old rows batch by batch; their number, or -1. */
static long
prune_activity(PGconn *conn, const char *days)
{
	const char	*v[2] = { days, PRUNE_BATCH };
	PGresult	*res;
	long		 total = 0, n;

	do {
		res = PQexecParams(conn, "SELECT taskman_activity_prune($1::integer, $2::integer)",
		    2, NULL, v, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
			fprintf(stderr, "taskmanctl: pruning the changes log failed: %s",
			    PQerrorMessage(conn));
			PQclear(res);
			return -1;
		}
		n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		total += n;
	} while (n >= strtol(PRUNE_BATCH, NULL, 10));
	return total;
}

int
prune_cmd(int argc, char **argv)
{
	const char	*conninfo;
	PGconn		*conn = NULL;
	PGresult	*res = NULL;
	char		 days[16];
	long		 activity;
	int		 rc = EXIT_FAILURE;

	if (argc > 1) {
		if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
			puts("usage: taskmanctl prune");
			return EXIT_SUCCESS;
		}
		fprintf(stderr, "taskmanctl: prune takes no arguments\n");
		return EX_USAGE;
	}
	if (retention_days(days, sizeof(days)) != 0) {
		fprintf(stderr, "taskmanctl: TASKMAN_CHANGES_RETENTION_DAYS must be an "
		    "integer from 1 to 3650\n");
		return EX_CONFIG;
	}
	conninfo = getenv("TASKMAN_MIGRATE_DATABASE_URL");
	if (conninfo == NULL || *conninfo == '\0')
		conninfo = getenv("TASKMAN_DATABASE_URL");
	conn = PQconnectdb(conninfo != NULL ? conninfo : "");
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "taskmanctl: cannot connect: %s",
		    conn ? PQerrorMessage(conn) : "out of memory\n");
		goto out;
	}
	res = PQexec(conn, "SELECT throttle, sessions, idempotency FROM taskman_prune()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		fprintf(stderr, "taskmanctl: prune failed: %s", PQerrorMessage(conn));
		goto out;
	}
	if ((activity = prune_activity(conn, days)) < 0)
		goto out;
	printf("pruned: %s login_throttle, %s refresh_sessions, %s idempotency_keys, "
	    "%ld activity rows\n", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
	    PQgetvalue(res, 0, 2), activity);
	rc = EXIT_SUCCESS;
out:
	PQclear(res);
	PQfinish(conn);
	return rc;
}
