#include <string.h>

#include <criterion/criterion.h>

#include "api/rrule.h"

/* The RRULE subset of API.md section 10: what passes and what does not. */
Test(rrule, subset)
{
	static const struct { const char *rule; bool ok; } t[] = {
		{ "FREQ=DAILY", true },
		{ "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH", true },
		{ "FREQ=MONTHLY;BYMONTHDAY=-1", true },
		{ "FREQ=MONTHLY;BYMONTHDAY=1,15,31", true },
		{ "FREQ=YEARLY;INTERVAL=366", true },
		{ "FREQ=DAILY;COUNT=1000", true },
		{ "INTERVAL=2;FREQ=WEEKLY", true },
		{ "FREQ=DAILY;UNTIL=20261231", true },
		{ "FREQ=DAILY;UNTIL=20261231T235959Z", true },
		{ "", false },
		{ "FREQ=HOURLY", false },
		{ "FREQ=daily", false },
		{ "INTERVAL=2", false },
		{ "FREQ=DAILY;INTERVAL=0", false },
		{ "FREQ=DAILY;INTERVAL=367", false },
		{ "FREQ=DAILY;INTERVAL=-1", false },
		{ "FREQ=DAILY;INTERVAL=1x", false },
		{ "FREQ=DAILY;BYDAY=MO", false },
		{ "FREQ=WEEKLY;BYDAY=1MO", false },
		{ "FREQ=WEEKLY;BYDAY=MO,MO", false },
		{ "FREQ=WEEKLY;BYDAY=", false },
		{ "FREQ=WEEKLY;BYDAY=MO,", false },
		{ "FREQ=MONTHLY;BYMONTHDAY=0", false },
		{ "FREQ=MONTHLY;BYMONTHDAY=32", false },
		{ "FREQ=MONTHLY;BYMONTHDAY=-32", false },
		{ "FREQ=WEEKLY;BYMONTHDAY=1", false },
		{ "FREQ=DAILY;COUNT=0", false },
		{ "FREQ=DAILY;COUNT=1001", false },
		{ "FREQ=DAILY;COUNT=2;UNTIL=20261231", false },
		{ "FREQ=DAILY;UNTIL=2026-12-31", false },
		{ "FREQ=DAILY;UNTIL=20261331", false },
		{ "FREQ=DAILY;UNTIL=20261231T245959Z", false },
		{ "FREQ=DAILY;UNTIL=20261231T235959", false },
		{ "FREQ=DAILY;FREQ=WEEKLY", false },
		{ "FREQ=DAILY;", false },
		{ ";FREQ=DAILY", false },
		{ "FREQ=DAILY;;INTERVAL=2", false },
		{ "FREQ=DAILY;WKST=MO", false },
		{ "FREQ=DAILY;INTERVAL", false },
		{ "RRULE:FREQ=DAILY", false },
	};
	const char	*why;
	size_t		 i;
	char		 long_rule[RRULE_MAX + 2];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why = NULL;
		cr_expect_eq(rrule_check(t[i].rule, &why), t[i].ok, "\"%s\" should be %s",
		    t[i].rule, t[i].ok ? "accepted" : "refused");
		if (!t[i].ok)
			cr_expect_not_null(why, "a refusal of \"%s\" says why", t[i].rule);
	}
	memset(long_rule, 'A', sizeof(long_rule) - 1);
	long_rule[sizeof(long_rule) - 1] = '\0';
	cr_expect(!rrule_check(long_rule, &why));
	cr_expect(!rrule_check(NULL, &why));
}
