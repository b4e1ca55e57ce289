/*
 * taskmanctl prune: deletes what no request can use any more -- login
 * throttle rows whose window and lock are over, refresh sessions expired
 * for more than a day, idempotency keys older than 24 hours -- through
 * taskman_prune() (schema 0006), as the owner role
 * (TASKMAN_MIGRATE_DATABASE_URL, else TASKMAN_DATABASE_URL, else PG*).
 * systemd/taskman-prune.timer runs it hourly.  audit_events is never
 * touched: its retention is the operator's decision (docs/OPERATIONS.md).
 *
 * Prints one line of counts.  Exit statuses: 0 done, 1 database error,
 * 64 bad command line.
 */
#ifndef TASKMAN_CTL_PRUNE_H
#define TASKMAN_CTL_PRUNE_H

/* argv[0] is "prune"; returns the exit status. */
int	prune_cmd(int argc, char **argv);

#endif
