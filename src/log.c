#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"

static enum log_level log_min = LOG_INFO;
static const char *const log_names[] = { "debug", "info", "warn", "error" };

void
log_set_level(enum log_level min)
{
	log_min = min;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

int
log_enabled(enum log_level lvl)
{
	return lvl >= log_min;
}

void
log_json(enum log_level lvl, struct json_object *obj)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 tbuf[40], line[16384];
	const char	*s;
	size_t		 n;
	json_object	*copy = NULL;

	if (!log_enabled(lvl))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(tbuf + n, sizeof(tbuf) - n, ".%06ldZ", ts.tv_nsec / 1000);

	/* time and level first, so the lines read well in a terminal too */
	if ((copy = json_object_new_object()) == NULL)
		return;
	json_object_object_add(copy, "time", json_object_new_string(tbuf));
	json_object_object_add(copy, "level", json_object_new_string(log_names[lvl]));
	json_object_object_foreach(obj, k, v)
		json_object_object_add(copy, k, json_object_get(v));
	s = json_object_to_json_string_ext(copy,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	n = strlen(s);
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;	/* an overlong line is cut, not split */
	memcpy(line, s, n);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
	json_object_put(copy);
}

void
log_msg(enum log_level lvl, const char *event, const char *fmt, ...)
{
	char		 msg[2048];
	va_list		 ap;
	json_object	*o;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((o = json_object_new_object()) == NULL)
		return;
	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "msg", json_object_new_string(msg));
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	log_json(lvl, o);
	json_object_put(o);
}
