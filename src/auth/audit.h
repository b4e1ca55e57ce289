/*
 * audit: the log-line half of the audit trail.  The database half
 * (audit_events rows) is written by the same SQL statement that does the
 * audited thing, so a row exists exactly when the change happened.
 */
#ifndef TASKMAN_AUDIT_H
#define TASKMAN_AUDIT_H

#include "http.h"

/* actor/target: user ids or NULL. */
void	audit_log(const struct req *r, const char *action, const char *actor,
	    const char *target);

#endif
