#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <libpq-fe.h>

#include "prune.h"

int
prune_cmd(int argc, char **argv)
{
	const char	*conninfo;
	PGconn		*conn = NULL;
	PGresult	*res = NULL;
	int		 rc = EXIT_FAILURE;

	if (argc > 1) {
		if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
			puts("usage: taskmanctl prune");
			return EXIT_SUCCESS;
		}
		fprintf(stderr, "taskmanctl: prune takes no arguments\n");
		return EX_USAGE;
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
	printf("pruned: %s login_throttle, %s refresh_sessions, %s idempotency_keys rows\n",
	    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	rc = EXIT_SUCCESS;
out:
	PQclear(res);
	PQfinish(conn);
	return rc;
}
