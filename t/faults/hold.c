/*
 * hold: opens up to N connections to PostgreSQL (libpq conninfo) and keeps
 * them idle for SECONDS, to exhaust max_connections (t/faults/run.sh).
 *
 *   hold CONNINFO N SECONDS
 *
 * Prints how many connections it got, once it has tried all N, then
 * sleeps and closes them.  Exit status 0, or 1 on bad arguments.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libpq-fe.h>

int
main(int argc, char **argv)
{
	PGconn	**c;
	int	  n, i, got = 0;

	if (argc != 4 || (n = atoi(argv[2])) < 1 || n > 10000)
		return 1;
	if ((c = calloc((size_t)n, sizeof(*c))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		c[i] = PQconnectdb(argv[1]);
		if (PQstatus(c[i]) == CONNECTION_OK)
			got++;
	}
	printf("%d\n", got);
	fflush(stdout);
	sleep((unsigned)atoi(argv[3]));
	for (i = 0; i < n; i++)
		PQfinish(c[i]);
	free(c);
	return 0;
}
