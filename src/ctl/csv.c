/*
 * csv.c -- the CSV reader of `taskmanctl import` (see csv.h).  The fields
 * of a record are decoded one after another into one buffer, NUL after
 * each; their pointers are set once the record is complete (the buffer
 * may move while it grows).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

static void
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
csv_init(struct csv_record *r)
{
	memset(r, 0, sizeof(*r));
}

void
csv_free(struct csv_record *r)
{
	free(r->buf);
	csv_init(r);
}

/* Appends c to r->buf at *len; false when out of memory. */
static bool
put(struct csv_record *r, size_t *len, char c)
{
	if (*len == r->cap) {
		size_t	 cap = r->cap ? r->cap * 2 : 1024;
		char	*nb = realloc(r->buf, cap);

		if (nb == NULL)
			return false;
		r->buf = nb;
		r->cap = cap;
	}
	r->buf[(*len)++] = c;
	return true;
}

int
csv_read(struct csv_record *r, const char **pp, const char *end, char *err,
    size_t errlen)
{
	const char	*p = *pp;
	size_t		 off[CSV_FIELDS_MAX], len = 0, start;
	int		 n = 0;
	bool		 quoted;

	r->n = 0;
	if (p >= end)
		return 0;
	for (;;) {
		if (n >= CSV_FIELDS_MAX) {
			fail(err, errlen, "a record has more than %d fields", CSV_FIELDS_MAX);
			return -1;
		}
		off[n] = start = len;
		quoted = p < end && *p == '"';
		if (quoted)
			p++;
		for (;;) {
			char c;

			if (p >= end) {
				if (quoted) {
					fail(err, errlen, "a quoted field is not closed");
					return -1;
				}
				break;
			}
			c = *p;
			if (quoted && c == '"') {
				if (p + 1 < end && p[1] == '"') {
					p++;	/* "" is one quote */
				} else {
					p++;
					if (p < end && *p != ',' && *p != '\n' && *p != '\r') {
						fail(err, errlen, "text after the closing quote "
						    "of a field");
						return -1;
					}
					break;
				}
			} else if (!quoted && (c == ',' || c == '\n' || c == '\r')) {
				break;
			} else if (!quoted && c == '"') {
				fail(err, errlen, "a quote inside an unquoted field");
				return -1;
			}
			if (c == '\0') {
				fail(err, errlen, "a field contains a NUL byte");
				return -1;
			}
			if (len - start >= CSV_FIELD_MAX) {
				fail(err, errlen, "a field is longer than %d bytes", CSV_FIELD_MAX);
				return -1;
			}
			if (!put(r, &len, *p++)) {
				fail(err, errlen, "out of memory");
				return -1;
			}
		}
		if (!put(r, &len, '\0')) {
			fail(err, errlen, "out of memory");
			return -1;
		}
		n++;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		/* end of record: LF, CRLF, a lone CR, or the end of the data */
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
		break;
	}
	for (int i = 0; i < n; i++)
		r->field[i] = r->buf + off[i];
	r->n = n;
	*pp = p;
	return n;
}
