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

/*
 * Request lines wait here and go out together: one write(2) per batch
 * instead of one per request.  A batch never exceeds PIPE_BUF, so batches
 * from workers sharing a pipe to journald or a file never interleave, and
 * holds whole lines only.  It is written when the next line would not fit,
 * when its oldest line is a second old, when the worker is about to wait
 * for a connection (log_flush()), and before any immediate line.  This is
 * process-wide output state, like stdio's buffer; a crash loses at most
 * one batch (the supervisor logs the crash itself).
 */
static char		 pend[4096];	/* PIPE_BUF on Linux */
static size_t		 npend;
static struct timespec	 pend_since;

static void
write_all(const char *p, size_t n)
{
	if (write(STDERR_FILENO, p, n) < 0) {
		/* nowhere left to report it */
	}
}

void
log_flush(void)
{
	if (npend > 0)
		write_all(pend, npend);
	npend = 0;
}

int
log_pending(void)
{
	return npend > 0;
}

/* obj with "time" and "level" first, as one line ending in '\n'. */
static size_t
format_line(enum log_level lvl, struct json_object *obj, char *line, size_t len)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 tbuf[40];
	const char	*s;
	size_t		 n;
	json_object	*copy;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(tbuf + n, sizeof(tbuf) - n, ".%06ldZ", ts.tv_nsec / 1000);

	/* time and level first, so the lines read well in a terminal too */
	if ((copy = json_object_new_object()) == NULL)
		return 0;
	json_object_object_add(copy, "time", json_object_new_string(tbuf));
	json_object_object_add(copy, "level", json_object_new_string(log_names[lvl]));
	json_object_object_foreach(obj, k, v)
		json_object_object_add(copy, k, json_object_get(v));
	s = json_object_to_json_string_ext(copy,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	n = strlen(s);
	if (n > len - 2)
		n = len - 2;	/* an overlong line is cut, not split */
	memcpy(line, s, n);
	line[n++] = '\n';
	json_object_put(copy);
	return n;
}

void
log_json(enum log_level lvl, struct json_object *obj)
{
	char	line[16384];
	size_t	n;

	if (!log_enabled(lvl) || (n = format_line(lvl, obj, line, sizeof(line))) == 0)
		return;
	log_flush();		/* keep the order of lines */
	write_all(line, n);
}

void
log_json_batched(enum log_level lvl, struct json_object *obj)
{
	struct timespec	 now;
	char		 line[sizeof(pend)];
	size_t		 n;

	if (!log_enabled(lvl) || (n = format_line(lvl, obj, line, sizeof(line))) == 0)
		return;
	if (npend + n > sizeof(pend))
		log_flush();
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (npend == 0)
		pend_since = now;
	memcpy(pend + npend, line, n);
	npend += n;
	if (now.tv_sec - pend_since.tv_sec >= 1)
		log_flush();
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
