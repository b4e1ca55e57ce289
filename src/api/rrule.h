/*
 * rrule: the RFC 5545 RRULE subset of recurring tasks (API.md section 10):
 * FREQ=DAILY|WEEKLY|MONTHLY|YEARLY (required), INTERVAL=1..366, BYDAY
 * (WEEKLY only; MO,TU,WE,TH,FR,SA,SU, no ordinal), BYMONTHDAY (MONTHLY
 * only; -31..-1, 1..31), COUNT=1..1000 or UNTIL=YYYYMMDD[THHMMSSZ], each
 * part at most once.  The worker checks a rule here (422 naming
 * recurrence); PostgreSQL computes the next date from the rule it stores
 * (taskman_rrule_next, schema 0010), which only ever sees checked rules.
 */
#ifndef TASKMAN_API_RRULE_H
#define TASKMAN_API_RRULE_H

#include <stdbool.h>
#include <stddef.h>

#define RRULE_MAX	200	/* characters of a rule */

/*
 * Whether rule is in the subset.  On false, *why says what is wrong (a
 * static string for the 422's message).
 */
bool	rrule_check(const char *rule, const char **why);

#endif
