#include <string.h>

#include <criterion/criterion.h>

#include "valid.h"

struct vcase { const char *s; bool ok; };

#define CHECK_TABLE(fn, table) \
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) \
		cr_expect_eq(fn(table[i].s, strlen(table[i].s)), table[i].ok, \
		    "%s(\"%s\") should be %d", #fn, table[i].s, table[i].ok)

Test(valid, uuid)
{
	static const struct vcase t[] = {
		{ "123e4567-e89b-12d3-a456-426614174000", true },
		{ "123E4567-E89B-12D3-A456-426614174000", true },
		{ "123e4567e89b12d3a456426614174000", false },
		{ "123e4567-e89b-12d3-a456-42661417400", false },
		{ "123e4567-e89b-12d3-a456-4266141740000", false },
		{ "g23e4567-e89b-12d3-a456-426614174000", false },
		{ "search", false },
		{ "", false },
	};
	CHECK_TABLE(valid_uuid, t);
}

Test(valid, date)
{
	static const struct vcase t[] = {
		{ "2026-11-21", true }, { "2024-02-29", true }, { "2025-02-29", false },
		{ "2000-02-29", true }, { "1900-02-29", false }, { "2026-13-01", false },
		{ "2026-00-10", false }, { "2026-04-31", false }, { "2026-4-3", false },
		{ "0000-01-01", false }, { "2026-11-21T00:00:00Z", false },
	};
	CHECK_TABLE(valid_date, t);
}

Test(valid, timestamp)
{
	static const struct vcase t[] = {
		{ "2026-11-21T23:00:00Z", true },
		{ "2026-11-21T23:00:00.123456Z", true },
		{ "2026-11-21T23:00:00+02:00", true },
		{ "2026-11-21t23:00:00z", true },
		{ "2026-11-21T24:00:00Z", false },
		{ "2026-11-21T23:00:00", false },
		{ "2026-11-21T23:00Z", false },
		{ "2026-11-21T23:00:00.Z", false },
		{ "2026-02-30T00:00:00Z", false },
		{ "2026-11-21T23:00:00+2:00", false },
		{ "tomorrow", false },
	};
	CHECK_TABLE(valid_timestamp, t);
}

Test(valid, time_hhmm)
{
	static const struct vcase t[] = {
		{ "00:00", true }, { "23:59", true }, { "24:00", false },
		{ "12:60", false }, { "1:00", false }, { "12:00:00", false },
	};
	CHECK_TABLE(valid_time_hhmm, t);
}

Test(valid, utf8)
{
	cr_expect_eq(valid_utf8_chars("abc", 3), 3);
	cr_expect_eq(valid_utf8_chars("\xc3\xa9t\xc3\xa9", 5), 3);
	cr_expect_eq(valid_utf8_chars("\xf0\x9f\x98\x80", 4), 1);
	cr_expect_eq(valid_utf8_chars("\xc3", 1), -1, "truncated sequence");
	cr_expect_eq(valid_utf8_chars("\xc0\xaf", 2), -1, "overlong");
	cr_expect_eq(valid_utf8_chars("\xed\xa0\x80", 3), -1, "surrogate");
	cr_expect_eq(valid_utf8_chars("\xf4\x90\x80\x80", 4), -1, "beyond U+10FFFF");
	cr_expect_eq(valid_utf8_chars("a\0b", 3), -1, "NUL");
	cr_expect_eq(valid_utf8_chars("\xff", 1), -1);
}

Test(valid, email_and_token)
{
	static const struct vcase e[] = {
		{ "a@b.co", true }, { "first.last+tag@example.org", true },
		{ "no-at.example.org", false }, { "a@b", false }, { "@b.co", false },
		{ "a@@b.co", false }, { "a b@c.de", false }, { "a@b.co\n", false },
	};
	static const struct vcase t[] = {
		{ "9f1c2d", true }, { "abc-DEF_1.2:3", true }, { "", false },
		{ "has space", false }, { "new\nline", false }, { "quote\"", false },
	};
	CHECK_TABLE(valid_email, e);
	CHECK_TABLE(valid_token, t);
}

Test(valid, username)
{
	static const struct vcase t[] = {
		{ "alice", true }, { "a_b.c-d", true }, { "abc", true },
		{ "ab", false }, { "_abc", false }, { "-abc", false }, { "al ice", false },
		{ "alice!", false }, { "0123456789012345678901234567890123", false },
		{ "01234567890123456789012345678901", true },
	};
	CHECK_TABLE(valid_username, t);
}
