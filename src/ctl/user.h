/*
 * user.h — `taskmanctl user`: account administration straight in the
 * database, for bootstrapping the first admin and for recovery when no
 * admin can log in.
 *
 *   taskmanctl user add EMAIL [--role admin|user|readonly]
 *       creates a local account (role default user); the password is the
 *       first line of standard input (8 to 1024 bytes, no NUL), hashed
 *       with Argon2id at TASKMAN_ARGON2_M_KIB / _T / _P (defaults and
 *       bounds as the worker's: 19456 KiB, 2, 1)
 *   taskmanctl user set-role EMAIL ROLE
 *   taskmanctl user disable EMAIL      also revokes all its refresh sessions
 *
 * Database: TASKMAN_MIGRATE_DATABASE_URL (the owner role), else
 * TASKMAN_DATABASE_URL, else libpq's PG* variables.  Row-level security
 * binds the owner too (FORCE), so each command runs in one transaction
 * that first sets taskman.role to 'admin' (local to that transaction).
 * Every change is written to audit_events with actor_id NULL and action
 * cli.user_add, cli.user_set_role or cli.user_disable.
 *
 * Exit statuses: 0 done, 1 failure (no such user, e-mail taken, database
 * error), 64 bad command line or password, 78 bad configuration
 * (TASKMAN_ARGON2_*, connection string).
 */
#ifndef TASKMAN_CTL_USER_H
#define TASKMAN_CTL_USER_H

/* argv[0] is "user"; returns the exit status. */
int	user_cmd(int argc, char **argv);

#endif /* TASKMAN_CTL_USER_H */
