#include <string.h>

#include "valid.h"

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool
valid_uuid(const char *s, size_t len)
{
	if (len != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!is_hex(s[i]))
			return false;
	}
	return true;
}

/* Reads n digits at s; returns -1 if any is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool
valid_ymd(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int	 y, m, d;
	bool	 leap;

	if ((y = digits(s, 4)) < 1 || s[4] != '-' || (m = digits(s + 5, 2)) < 1 ||
	    m > 12 || s[7] != '-' || (d = digits(s + 8, 2)) < 1)
		return false;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && !leap)
		return d <= 28;
	return d <= mdays[m - 1];
}

bool
valid_date(const char *s, size_t len)
{
	return len == 10 && valid_ymd(s);
}

bool
valid_time_hhmm(const char *s, size_t len)
{
	int h, m;

	return len == 5 && (h = digits(s, 2)) >= 0 && h <= 23 && s[2] == ':' &&
	    (m = digits(s + 3, 2)) >= 0 && m <= 59;
}

bool
valid_timestamp(const char *s, size_t len)
{
	size_t	 i;
	int	 h, mi, se;

	/* YYYY-MM-DDTHH:MM:SS */
	if (len < 20 || len > 35 || !valid_ymd(s) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return false;
	if ((h = digits(s + 11, 2)) < 0 || h > 23 || s[13] != ':' ||
	    (mi = digits(s + 14, 2)) < 0 || mi > 59 || s[16] != ':' ||
	    (se = digits(s + 17, 2)) < 0 || se > 60)
		return false;
	i = 19;
	if (s[i] == '.') {
		if (++i >= len || !is_digit(s[i]))
			return false;
		while (i < len && is_digit(s[i]) && i < 29)
			i++;
	}
	if (i == len - 1 && (s[i] == 'Z' || s[i] == 'z'))
		return true;
	if (i + 6 == len && (s[i] == '+' || s[i] == '-') &&
	    (h = digits(s + i + 1, 2)) >= 0 && h <= 23 && s[i + 3] == ':' &&
	    (mi = digits(s + i + 4, 2)) >= 0 && mi <= 59)
		return true;
	return false;
}

long
valid_utf8_chars(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	long			 n = 0;
	size_t			 i = 0, k, need;
	unsigned		 cp, min;

	while (i < len) {
		unsigned char c = p[i];

		if (c == 0)
			return -1;
		if (c < 0x80) {
			i++;
			n++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			need = 1; cp = c & 0x1F; min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			need = 2; cp = c & 0x0F; min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			need = 3; cp = c & 0x07; min = 0x10000;
		} else
			return -1;
		if (len - i <= need)
			return -1;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		/* overlong forms, surrogates and beyond U+10FFFF */
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return -1;
		i += need + 1;
		n++;
	}
	return n;
}

bool
valid_email(const char *s, size_t len)
{
	const char	*at;
	size_t		 i;

	if (len < 3 || len > 254 || valid_utf8_chars(s, len) < 0)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	at = memchr(s, '@', len);
	if (at == NULL || at == s || at == s + len - 1 ||
	    memchr(at + 1, '@', len - (size_t)(at - s) - 1) != NULL)
		return false;
	return memchr(at + 1, '.', len - (size_t)(at - s) - 1) != NULL;
}

bool
valid_token(const char *s, size_t len)
{
	if (len < 1 || len > 128)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    is_digit(c) || c == '.' || c == '_' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

bool
valid_username(const char *s, size_t len)
{
	if (len < 3 || len > 32)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    is_digit(c);

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}
