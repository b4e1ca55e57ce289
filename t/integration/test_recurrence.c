/*
 * Recurring tasks (API.md section 10): the next-date rules against dates
 * computed by hand, and the next occurrence created in the completing
 * request's transaction.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "plan_util.h"

/*
 * taskman_rrule_next(rule, base): expected dates worked out by hand from
 * a calendar (UTC; 2026-12-07 is a Monday; 2024 and 2028 are leap years).
 */
Test(recurrence, next_dates_table)
{
	static const struct { const char *rule, *base, *want; } t[] = {
		{ "FREQ=DAILY", "2026-01-31T09:00:00Z", "2026-02-01T09:00:00Z" },
		{ "FREQ=DAILY;INTERVAL=3", "2024-02-27T00:00:00Z", "2024-03-01T00:00:00Z" },
		{ "FREQ=DAILY;INTERVAL=3", "2026-02-27T00:00:00Z", "2026-03-02T00:00:00Z" },
		{ "FREQ=WEEKLY;BYDAY=MO,TH", "2026-12-07T08:30:00Z", "2026-12-10T08:30:00Z" },
		{ "FREQ=WEEKLY;BYDAY=TH,MO", "2026-12-10T08:30:00Z", "2026-12-14T08:30:00Z" },
		{ "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "2026-12-07T00:00:00Z", "2026-12-21T00:00:00Z" },
		{ "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR", "2026-12-07T00:00:00Z", "2026-12-11T00:00:00Z" },
		{ "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR", "2026-12-11T00:00:00Z", "2026-12-21T00:00:00Z" },
		{ "FREQ=WEEKLY", "2026-12-31T23:59:59Z", "2027-01-07T23:59:59Z" },
		{ "FREQ=MONTHLY;BYMONTHDAY=31", "2026-01-31T12:00:00Z", "2026-03-31T12:00:00Z" },
		{ "FREQ=MONTHLY;BYMONTHDAY=-1", "2026-01-31T12:00:00Z", "2026-02-28T12:00:00Z" },
		{ "FREQ=MONTHLY;BYMONTHDAY=-1", "2028-01-31T12:00:00Z", "2028-02-29T12:00:00Z" },
		{ "FREQ=MONTHLY;BYMONTHDAY=-1", "2026-02-28T12:00:00Z", "2026-03-31T12:00:00Z" },
		{ "FREQ=MONTHLY", "2026-01-30T00:00:00Z", "2026-03-30T00:00:00Z" },
		{ "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15", "2026-11-15T00:00:00Z", "2027-01-15T00:00:00Z" },
		{ "FREQ=MONTHLY;BYMONTHDAY=1,15", "2026-03-01T00:00:00Z", "2026-03-15T00:00:00Z" },
		{ "FREQ=MONTHLY;BYMONTHDAY=15,1", "2026-03-15T00:00:00Z", "2026-04-01T00:00:00Z" },
		{ "FREQ=MONTHLY;BYMONTHDAY=-31", "2026-01-31T00:00:00Z", "2026-03-01T00:00:00Z" },
		{ "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=31", "2026-02-28T00:00:00Z", "2026-08-31T00:00:00Z" },
		{ "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30", "2026-02-28T00:00:00Z", "none" },
		{ "FREQ=YEARLY", "2024-02-29T07:00:00Z", "2028-02-29T07:00:00Z" },
		{ "FREQ=YEARLY", "2026-03-01T00:00:00Z", "2027-03-01T00:00:00Z" },
		{ "FREQ=YEARLY;INTERVAL=2", "2026-06-30T00:00:00Z", "2028-06-30T00:00:00Z" },
		{ "FREQ=DAILY;UNTIL=20261231", "2026-12-31T10:00:00Z", "none" },
		{ "FREQ=DAILY;UNTIL=20270101", "2026-12-31T10:00:00Z", "2027-01-01T10:00:00Z" },
		{ "FREQ=DAILY;UNTIL=20270101T090000Z", "2026-12-31T10:00:00Z", "none" },
	};
	char	got[64];
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		pu_sql(got, sizeof(got), "SELECT coalesce(to_char(taskman_rrule_next('%s', '%s') "
		    "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'none')",
		    t[i].rule, t[i].base);
		cr_expect_str_eq(got, t[i].want, "%s after %s", t[i].rule, t[i].base);
	}
}

static void
patch(const struct pu_user *u, const char *id, const char *body, long want, struct resp *r)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/tasks/%s", id);
	pu_call(r, u, "PATCH", path, body, NULL, NULL);
	cr_expect_eq(r->status, want, "PATCH %s: %ld %s", body, r->status, r->body);
}

Test(recurrence, validation)
{
	struct pu_user	 u;
	struct resp	 r;

	pu_user_fresh(&u, NULL);
	pu_call(&r, &u, "POST", "/api/v1/tasks", "{\"title\":\"r\",\"recurrence\":"
	    "{\"rule\":\"FREQ=DAILY\"}}", NULL, NULL);
	pu_expect_422(&r, "recurrence", "a recurring task without due_at");
	resp_free(&r);
	pu_call(&r, &u, "POST", "/api/v1/tasks", "{\"title\":\"r\",\"due_at\":"
	    "\"2026-12-07T09:00:00Z\",\"recurrence\":{\"rule\":\"FREQ=HOURLY\"}}", NULL, NULL);
	pu_expect_422(&r, "recurrence", "FREQ=HOURLY");
	resp_free(&r);
	pu_call(&r, &u, "POST", "/api/v1/tasks", "{\"title\":\"r\",\"due_at\":"
	    "\"2026-12-07T09:00:00Z\",\"recurrence\":{\"rule\":\"FREQ=DAILY\",\"from\":\"x\"}}",
	    NULL, NULL);
	cr_expect_eq(r.status, 422, "%s", r.body);
	resp_free(&r);
	pu_call(&r, &u, "POST", "/api/v1/tasks", "{\"title\":\"r\",\"due_at\":"
	    "\"2026-12-07T09:00:00Z\",\"recurrence\":\"FREQ=DAILY\"}", NULL, NULL);
	pu_expect_422(&r, "recurrence", "a string instead of an object");
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s'", u.id), 0,
	    "nothing was created");
}

Test(recurrence, completing_creates_the_next_once)
{
	struct pu_user	 u;
	struct resp	 r;
	char		 id[40], next[40], path[128];

	pu_user_fresh(&u, NULL);
	pu_create(&u, "/api/v1/tasks", "{\"title\":\"weekly review\",\"priority\":\"p1\","
	    "\"tags\":[\"ops\"],\"due_at\":\"2026-12-07T09:00:00Z\",\"recurrence\":"
	    "{\"rule\":\"FREQ=WEEKLY;BYDAY=MO,TH;COUNT=2\"}}", id);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/complete", id);
	pu_call(&r, &u, "POST", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_assert_not_null(pu_str(r.json, "next_occurrence_id"), "%s", r.body);
	snprintf(next, sizeof(next), "%s", pu_str(r.json, "next_occurrence_id"));
	cr_expect_str_eq(pu_str(pu_get(r.json, "recurrence"), "from"), "due");
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", next);
	pu_call(&r, &u, "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(pu_str(r.json, "status"), "new");
	cr_expect_str_eq(pu_str(r.json, "due_at"), "2026-12-10T09:00:00Z", "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "priority"), "p1");
	cr_expect_str_eq(pu_str(pu_get(r.json, "recurrence"), "rule"),
	    "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=1");
	resp_free(&r);
	/* reopen and complete again: no second occurrence */
	patch(&u, id, "{\"status\":\"ready\"}", 200, &r);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/complete", id);
	pu_call(&r, &u, "POST", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "next_occurrence_id"), next);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s'", u.id), 2);
	/* the last of COUNT: nothing more */
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/complete", next);
	pu_call(&r, &u, "POST", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect(pu_isnull(r.json, "next_occurrence_id"), "%s", r.body);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s'", u.id), 2);
}

Test(recurrence, from_completion_and_rolled_back_completion)
{
	struct pu_user	 u;
	struct resp	 r;
	char		 id[40], want[64], path[128];

	pu_user_fresh(&u, NULL);
	pu_create(&u, "/api/v1/tasks", "{\"title\":\"water plants\",\"due_at\":"
	    "\"2020-01-01T18:30:00Z\",\"recurrence\":{\"rule\":\"FREQ=DAILY;INTERVAL=2\","
	    "\"from\":\"completion\"}}", id);
	/* a completion refused by its precondition creates nothing */
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/complete", id);
	pu_call(&r, &u, "POST", path, "{\"version\":7}", NULL, NULL);
	cr_expect_eq(r.status, 409, "%s", r.body);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s'", u.id), 1);
	pu_call(&r, &u, "POST", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	/* two days after today (the completion), at the old due time */
	pu_sql(want, sizeof(want), "SELECT to_char((now() AT TIME ZONE 'UTC')::date + 2 + "
	    "time '18:30', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s' AND "
	    "status = 'new' AND to_char(due_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') = '%s'", u.id, want), 1, "next due %s", want);
}
