#include <string.h>

#include <criterion/criterion.h>

#include "json.h"

static enum json_err
parse(const char *s, json_object **o)
{
	return json_parse_strict(s, strlen(s), o);
}

Test(json, strict_parse_table)
{
	static const struct { const char *s; enum json_err e; } t[] = {
		{ "{\"a\":1}", JSON_OK },
		{ "  {\"a\":[1,2,{\"b\":null}]}\n", JSON_OK },
		{ "", JSON_EMPTY },
		{ "   ", JSON_EMPTY },
		{ "{\"a\":1", JSON_SYNTAX },
		{ "{'a':1}", JSON_SYNTAX },
		{ "{\"a\":1,}", JSON_SYNTAX },
		/* json-c's strict mode reports trailing data as a syntax error */
		{ "{\"a\":1} x", JSON_SYNTAX },
		{ "{\"a\":1}{}", JSON_SYNTAX },
		{ "{\"a\":NaN}", JSON_SYNTAX },
		{ "[1,-Infinity]", JSON_SYNTAX },
		{ "{\"a\":1e999}", JSON_SYNTAX },
		{ "{\"a\":{\"b\":[1.5,2]}}", JSON_OK },
		{ "[1.]", JSON_SYNTAX },
		{ "[\"a\tb\"]", JSON_SYNTAX },
		{ "[\"a\\tb\"]", JSON_OK },
		{ "[\"\\ud800\"]", JSON_SYNTAX },
		{ "[\"\\udc00\"]", JSON_SYNTAX },
		{ "[\"\\ud83d\\ude00\"]", JSON_OK },
		{ "{\"a\":1,\"a\":2}", JSON_SYNTAX },
		{ "{\"a\":{\"b\":1},\"c\":{\"b\":2}}", JSON_OK },
		{ "{\"a\":\"x:y\",\"b\":[\"k\",\"v\"]}", JSON_OK },
		{ "{\"a\":\"it's\"}", JSON_OK },
		{ "{\"a\":\"\xff\"}", JSON_SYNTAX },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_object *o = NULL;

		cr_expect_eq(parse(t[i].s, &o), t[i].e, "case %zu: %s", i, t[i].s);
		cr_expect_eq(o != NULL, t[i].e == JSON_OK);
		json_object_put(o);
	}
}

Test(json, depth_limit)
{
	char		 s[200];
	json_object	*o = NULL;
	int		 i;

	/* 32 levels parse; 33 do not */
	for (i = 0; i < 32; i++)
		s[i] = '[';
	for (; i < 64; i++)
		s[i] = ']';
	s[64] = '\0';
	cr_expect_eq(json_parse_strict(s, 64, &o), JSON_OK);
	json_object_put(o);
	for (i = 0; i < 33; i++)
		s[i] = '[';
	for (; i < 66; i++)
		s[i] = ']';
	s[66] = '\0';
	cr_expect_eq(json_parse_strict(s, 66, &o), JSON_TOO_DEEP);
	cr_expect_null(o);
}

Test(json, embedded_nul_is_syntax_error)
{
	json_object *o = NULL;

	cr_expect_eq(json_parse_strict("{\"a\":1}\0{}", 10, &o), JSON_SYNTAX);
	cr_expect_null(o);
}

static const char *const statuses[] = { "new", "done", NULL };
static const struct field_spec item_specs[] = {
	{ "text", FT_STRING, F_REQUIRED, 1, 10, NULL, 0, 0, NULL },
	{ "done", FT_BOOL, 0, 0, 0, NULL, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};
static const struct field_spec specs[] = {
	{ "title", FT_STRING, F_REQUIRED, 1, 5, NULL, 0, 0, NULL },
	{ "status", FT_ENUM, 0, 0, 0, statuses, 0, 0, NULL },
	{ "points", FT_NUMBER, F_NULLABLE, 0, 1000, NULL, 0, 0, NULL },
	{ "due_at", FT_TIMESTAMP, F_NULLABLE, 0, 0, NULL, 0, 0, NULL },
	{ "tags", FT_STRING_SET, 0, 0, 2, NULL, 1, 3, NULL },
	{ "items", FT_OBJECT_ARRAY, 0, 0, 2, NULL, 0, 0, item_specs },
	{ "version", FT_INT, 0, 1, 1000000, NULL, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

static int
count_errors(const char *body, bool partial, const char *want_field)
{
	json_object	*o = NULL, *errs = json_object_new_array();
	int		 n;
	bool		 found = want_field == NULL;

	cr_assert_eq(parse(body, &o), JSON_OK, "%s", body);
	n = json_validate(o, specs, partial, errs);
	cr_expect_eq((size_t)n, json_object_array_length(errs));
	for (size_t i = 0; i < json_object_array_length(errs); i++) {
		json_object *f;

		json_object_object_get_ex(json_object_array_get_idx(errs, i), "field", &f);
		if (want_field && strcmp(json_object_get_string(f), want_field) == 0)
			found = true;
	}
	cr_expect(found, "%s: no error for field %s", body, want_field);
	json_object_put(o);
	json_object_put(errs);
	return n;
}

Test(json, validate_table)
{
	static const struct { const char *body; bool partial; int n; const char *field; } t[] = {
		{ "{\"title\":\"abc\"}", false, 0, NULL },
		{ "{}", false, 1, "title" },
		{ "{}", true, 0, NULL },
		{ "{\"title\":\"\"}", false, 1, "title" },
		{ "{\"title\":\"abcdef\"}", false, 1, "title" },
		{ "{\"title\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", false, 0, NULL },
		{ "{\"title\":\"a\\u0000b\"}", false, 1, "title" },
		{ "{\"title\":5}", false, 1, "title" },
		{ "{\"title\":null}", false, 1, "title" },
		{ "{\"title\":\"a\",\"status\":\"old\"}", false, 1, "status" },
		{ "{\"title\":\"a\",\"points\":null}", false, 0, NULL },
		{ "{\"title\":\"a\",\"points\":-1}", false, 1, "points" },
		{ "{\"title\":\"a\",\"points\":2.5}", false, 0, NULL },
		{ "{\"title\":\"a\",\"due_at\":\"2026-11-21\"}", false, 1, "due_at" },
		{ "{\"title\":\"a\",\"tags\":[\"x\",\"x\"]}", false, 1, "tags" },
		{ "{\"title\":\"a\",\"tags\":[\"x\",\"y\",\"z\"]}", false, 1, "tags" },
		{ "{\"title\":\"a\",\"tags\":[\"toolong\"]}", false, 1, "tags" },
		{ "{\"title\":\"a\",\"items\":[{\"text\":\"t\"},{\"done\":true}]}", false, 1, "items[1].text" },
		{ "{\"title\":\"a\",\"items\":[{\"text\":\"t\",\"x\":1}]}", false, 1, "items[0].x" },
		{ "{\"title\":\"a\",\"owner_id\":\"x\",\"role\":\"admin\"}", false, 2, "owner_id" },
		{ "{\"title\":\"a\",\"version\":1.5}", false, 1, "version" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_expect_eq(count_errors(t[i].body, t[i].partial, t[i].field), t[i].n,
		    "case %zu: %s", i, t[i].body);
}

Test(json, validate_non_object)
{
	json_object *o = json_object_new_array(), *errs = json_object_new_array();

	cr_expect_eq(json_validate(o, specs, false, errs), 1);
	json_object_put(o);
	json_object_put(errs);
}

Test(json, new_text_is_always_valid_utf8)
{
	static const struct { const char *in, *out; } t[] = {
		{ "plain", "plain" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "/\xff", "/\xef\xbf\xbd" },
		{ "a\xc3", "a\xef\xbf\xbd" },
		{ "\xed\xa0\x80x", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_object *o = json_new_text(t[i].in);

		cr_assert_not_null(o);
		cr_expect_str_eq(json_object_get_string(o), t[i].out, "case %zu", i);
		json_object_put(o);
	}
}

Test(json, bare_scalars_parse_with_or_without_trailing_space)
{
	json_object *o = NULL;

	cr_expect_eq(json_parse_strict("7", 1, &o), JSON_OK);
	json_object_put(o);
	cr_expect_eq(json_parse_strict("7 ", 2, &o), JSON_OK);
	json_object_put(o);
	cr_expect_eq(json_parse_strict("true", 4, &o), JSON_OK);
	json_object_put(o);
	cr_expect_eq(json_parse_strict("tru", 3, &o), JSON_SYNTAX);
	cr_expect_null(o);
}
