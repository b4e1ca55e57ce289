/*
 * fuzz_valid: every valid_*() check of src/valid.h on the input, plus a
 * few properties each must keep (a lying "true" is a bug too, not only
 * a crash).  The input is used as is: libFuzzer hands us an exact-size
 * heap copy, so ASan catches any read past len.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "valid.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken property is reported like a crash (libFuzzer saves the input). */
#define PROPERTY(c)	do { if (!(c)) property_failed(__FILE__, __LINE__, #c); } while (0)

static void __attribute__((noreturn))
property_failed(const char *file, int line, const char *what)
{
	fprintf(stderr, "PROPERTY FAILED at %s:%d: %s\n", file, line, what);
	abort();
}

static bool
all_in(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data;
	long		 chars;

	if (valid_uuid(s, size))
		PROPERTY(size == 36 && s[8] == '-' && s[23] == '-' &&
		    all_in(s, 8, "0123456789abcdefABCDEF"));
	if (valid_date(s, size))
		PROPERTY(size == 10 && s[4] == '-' && s[7] == '-' &&
		    all_in(s, 4, "0123456789"));
	if (valid_timestamp(s, size))
		PROPERTY(size >= 20 && size <= 35 && valid_date(s, 10));
	if (valid_time_hhmm(s, size))
		PROPERTY(size == 5 && s[2] == ':' && s[0] <= '2');
	chars = valid_utf8_chars(s, size);
	PROPERTY(chars >= -1 && chars <= (long)size);
	if (chars >= 0) {
		PROPERTY(memchr(s, '\0', size) == NULL);
		/* ASCII-only text has one character per byte */
		bool ascii = true;
		for (size_t i = 0; i < size; i++)
			if ((unsigned char)s[i] >= 0x80)
				ascii = false;
		PROPERTY(!ascii || chars == (long)size);
	}
	if (valid_email(s, size))
		PROPERTY(size >= 3 && size <= 254 && chars >= 0 &&
		    memchr(s, '@', size) != NULL);
	if (valid_username(s, size))
		PROPERTY(size >= 3 && size <= 32 && all_in(s, size,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"));
	if (valid_token(s, size))
		PROPERTY(size >= 1 && size <= 128 && all_in(s, size,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-"));
	return 0;
}
