/*
 * The RRULE subset check (see rrule.h).  A rule is split on ';' into
 * KEY=VALUE parts in a bounded copy; nothing is allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "api/rrule.h"

enum { P_FREQ, P_INTERVAL, P_BYDAY, P_BYMONTHDAY, P_COUNT, P_UNTIL, P_N };
static const char *const part_names[P_N] = {
	"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL"
};

/* A decimal integer in lo..hi with an optional leading '-' (when lo < 0). */
static bool
int_in(const char *s, long lo, long hi)
{
	const char	*p = s;
	char		*end;
	long		 v;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9' || strlen(p) > 4)
		return false;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= lo && v <= hi;
}

static bool
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* YYYYMMDD or YYYYMMDDTHHMMSSZ with plausible fields (PostgreSQL checks the calendar). */
static bool
until_ok(const char *s)
{
	size_t	n = strlen(s);
	int	mo, d;

	if (n != 8 && n != 16)
		return false;
	if (!digits(s, 8))
		return false;
	mo = (s[4] - '0') * 10 + (s[5] - '0');
	d = (s[6] - '0') * 10 + (s[7] - '0');
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || strncmp(s, "0000", 4) == 0)
		return false;
	if (n == 16 && (s[8] != 'T' || !digits(s + 9, 6) || s[15] != 'Z' ||
	    (s[9] - '0') * 10 + (s[10] - '0') > 23 ||
	    (s[11] - '0') * 10 + (s[12] - '0') > 59 ||
	    (s[13] - '0') * 10 + (s[14] - '0') > 59))
		return false;
	return true;
}

/* A comma list whose every item passes ok(); at most max items, no repeats. */
static bool
list_ok(char *s, bool (*ok)(const char *), size_t max)
{
	char	*item, *save = NULL, *seen[40];
	size_t	 n = 0, i;

	if (*s == '\0' || s[strlen(s) - 1] == ',' || strstr(s, ",,") != NULL)
		return false;
	for (item = strtok_r(s, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		if (n == max || n == sizeof(seen) / sizeof(seen[0]) || !ok(item))
			return false;
		for (i = 0; i < n; i++)
			if (strcmp(seen[i], item) == 0)
				return false;
		seen[n++] = item;
	}
	return n > 0;
}

static bool
weekday_ok(const char *s)
{
	static const char *const days[] = { "MO", "TU", "WE", "TH", "FR", "SA", "SU" };
	size_t i;

	for (i = 0; i < 7; i++)
		if (strcmp(s, days[i]) == 0)
			return true;
	return false;
}

static bool
monthday_ok(const char *s)
{
	return int_in(s, -31, 31) && strtol(s, NULL, 10) != 0;
}

bool
rrule_check(const char *rule, const char **why)
{
	char		 buf[RRULE_MAX + 1], *part, *save = NULL, *eq;
	const char	*val[P_N] = { NULL };
	char		*vals[P_N] = { NULL };
	size_t		 len;
	int		 i;

	if (rule == NULL || (len = strlen(rule)) == 0) {
		*why = "rule must not be empty";
		return false;
	}
	if (len > RRULE_MAX) {
		*why = "rule must be at most 200 characters";
		return false;
	}
	memcpy(buf, rule, len + 1);
	if (buf[len - 1] == ';' || strstr(buf, ";;") != NULL || buf[0] == ';') {
		*why = "rule has an empty part";
		return false;
	}
	for (part = strtok_r(buf, ";", &save); part != NULL; part = strtok_r(NULL, ";", &save)) {
		if ((eq = strchr(part, '=')) == NULL) {
			*why = "rule parts must be KEY=VALUE";
			return false;
		}
		*eq = '\0';
		for (i = 0; i < P_N; i++)
			if (strcmp(part, part_names[i]) == 0)
				break;
		if (i == P_N) {
			*why = "rule may only use FREQ, INTERVAL, BYDAY, BYMONTHDAY, COUNT, UNTIL";
			return false;
		}
		if (vals[i] != NULL) {
			*why = "rule repeats a part";
			return false;
		}
		vals[i] = eq + 1;
		val[i] = eq + 1;
	}
	if (val[P_FREQ] == NULL) {
		*why = "rule needs FREQ";
		return false;
	}
	if (strcmp(val[P_FREQ], "DAILY") != 0 && strcmp(val[P_FREQ], "WEEKLY") != 0 &&
	    strcmp(val[P_FREQ], "MONTHLY") != 0 && strcmp(val[P_FREQ], "YEARLY") != 0) {
		*why = "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY";
		return false;
	}
	if (val[P_INTERVAL] != NULL && !int_in(val[P_INTERVAL], 1, 366)) {
		*why = "INTERVAL must be 1 to 366";
		return false;
	}
	if (val[P_BYDAY] != NULL) {
		if (strcmp(val[P_FREQ], "WEEKLY") != 0) {
			*why = "BYDAY is only for FREQ=WEEKLY";
			return false;
		}
		if (!list_ok(vals[P_BYDAY], weekday_ok, 7)) {
			*why = "BYDAY must be distinct days of MO,TU,WE,TH,FR,SA,SU";
			return false;
		}
	}
	if (val[P_BYMONTHDAY] != NULL) {
		if (strcmp(val[P_FREQ], "MONTHLY") != 0) {
			*why = "BYMONTHDAY is only for FREQ=MONTHLY";
			return false;
		}
		if (!list_ok(vals[P_BYMONTHDAY], monthday_ok, 31)) {
			*why = "BYMONTHDAY must be distinct days -31..-1 or 1..31";
			return false;
		}
	}
	if (val[P_COUNT] != NULL && val[P_UNTIL] != NULL) {
		*why = "rule may have COUNT or UNTIL, not both";
		return false;
	}
	if (val[P_COUNT] != NULL && !int_in(val[P_COUNT], 1, 1000)) {
		*why = "COUNT must be 1 to 1000";
		return false;
	}
	if (val[P_UNTIL] != NULL && !until_ok(val[P_UNTIL])) {
		*why = "UNTIL must be YYYYMMDD or YYYYMMDDTHHMMSSZ";
		return false;
	}
	return true;
}
