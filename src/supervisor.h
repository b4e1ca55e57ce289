/*
 * supervisor: with TASKMAN_WORKERS > 1 the first process forks that many
 * single-threaded workers on the shared listening socket and keeps them
 * running.  SIGTERM/SIGINT: workers finish their request in flight, then
 * the supervisor exits 0.  SIGHUP: workers are replaced one by one, each
 * after finishing its request (a graceful reload).
 */
#ifndef TASKMAN_SUPERVISOR_H
#define TASKMAN_SUPERVISOR_H

#include <stdint.h>

/*
 * Runs until told to stop; returns the process exit status.  restarts,
 * when not NULL, counts workers that died unexpectedly (a metric).
 */
int	supervisor_run(int nworkers, int (*worker)(void *), void *arg,
	    uint64_t *restarts);

#endif
