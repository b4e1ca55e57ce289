/*
 * valid: checks of single text values shared by body validation (json.c)
 * and query-string parsing.  Pure functions, no allocation; fuzzable.
 */
#ifndef TASKMAN_VALID_H
#define TASKMAN_VALID_H

#include <stdbool.h>
#include <stddef.h>

/* 8-4-4-4-12 hex digits, either case. */
bool	valid_uuid(const char *s, size_t len);
/* YYYY-MM-DD naming a real calendar day. */
bool	valid_date(const char *s, size_t len);
/* RFC 3339 date-time with Z or +hh:mm offset, optional fraction. */
bool	valid_timestamp(const char *s, size_t len);
/* HH:MM, 00:00 to 23:59. */
bool	valid_time_hhmm(const char *s, size_t len);
/*
 * Returns the number of code points in well-formed UTF-8 without NUL
 * bytes, or -1 when s is not that.
 */
long	valid_utf8_chars(const char *s, size_t len);
/* A deliberately loose address check: local@domain, no spaces or controls. */
bool	valid_email(const char *s, size_t len);
/* A username: 3-32 of letters, digits, _ . -, starting with a letter or digit. */
bool	valid_username(const char *s, size_t len);
/* A token safe to echo in headers and logs: 1-128 of [A-Za-z0-9._:-]. */
bool	valid_token(const char *s, size_t len);

#endif
