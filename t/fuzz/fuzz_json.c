/*
 * fuzz_json: a request body through json_parse_strict(), and when it
 * parses, through json_validate() against every field spec of the
 * product's resource modules (their *_field_specs), partial and not.
 *
 * Properties checked besides "no crash, no leak, no UB":
 *   - JSON_OK gives a tree (never NULL), anything else gives NULL;
 *   - what json-c prints of a strictly parsed tree parses strictly again;
 *   - json_validate() returns exactly the number of errors it appended,
 *     and its errors[] print as strict JSON (a 422 body is valid UTF-8).
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/action_lists.h"
#include "api/auth.h"
#include "api/comments.h"
#include "api/invitations.h"
#include "api/members.h"
#include "api/projects.h"
#include "api/sprints.h"
#include "api/tasks.h"
#include "api/todo.h"
#include "api/users.h"
#include "json.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROPERTY(c)	do { if (!(c)) property_failed(__FILE__, __LINE__, #c); } while (0)

static void __attribute__((noreturn))
property_failed(const char *file, int line, const char *what)
{
	fprintf(stderr, "PROPERTY FAILED at %s:%d: %s\n", file, line, what);
	abort();
}

/*
 * The product's own field specs: every resource module exports the specs
 * of its request bodies (NAME_field_specs in src/api/NAME.h), so a new field or
 * module is fuzzed without a copy here to keep in step.
 */
static const struct field_spec *const *const spec_tables[] = {
	action_lists_field_specs, auth_field_specs, comments_field_specs, invitations_field_specs,
	members_field_specs, projects_field_specs, sprints_field_specs, tasks_field_specs, todo_field_specs,
	users_field_specs,
};

#define END_FIELDS \
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }

/*
 * One spec no resource has yet but json.c supports: an object array
 * nested in an object array (the inner one is the action lists' items,
 * taken from the product's spec).
 */
static struct field_spec nested_items[] = {
	{ "name", FT_STRING, F_REQUIRED | F_NULLABLE, 0, 3, NULL, 0, 0, NULL },
	{ "items", FT_OBJECT_ARRAY, 0, 0, 4, NULL, 0, 0, NULL },
	END_FIELDS
};
static const struct field_spec nested[] = {
	{ "groups", FT_OBJECT_ARRAY, F_NULLABLE, 0, 3, NULL, 0, 0, nested_items },
	END_FIELDS
};

/* The items spec of the first FT_OBJECT_ARRAY among the product's specs. */
static const struct field_spec *
product_items(void)
{
	for (size_t t = 0; t < sizeof(spec_tables) / sizeof(spec_tables[0]); t++)
		for (size_t i = 0; spec_tables[t][i] != NULL; i++)
			for (const struct field_spec *f = spec_tables[t][i]; f->name; f++)
				if (f->type == FT_OBJECT_ARRAY && f->items != NULL)
					return f->items;
	return NULL;
}

static void
validate(json_object *o, const struct field_spec *specs, bool partial)
{
	json_object	*errors = json_object_new_array(), *again = NULL;
	const char	*text;
	size_t		 len;
	int		 n;

	if (errors == NULL)
		return;
	n = json_validate(o, specs, partial, errors);
	/* errors[] keeps JSON_ERRORS_MAX entries; the rest are only counted */
	PROPERTY(n >= 0 && (size_t)n == json_errors_total(errors));
	PROPERTY(json_object_array_length(errors) <= JSON_ERRORS_MAX);
	/* the 422 body is printed: it must be strict JSON (UTF-8 included) */
	text = json_object_to_json_string_length(errors, JSON_C_TO_STRING_PLAIN, &len);
	PROPERTY(text != NULL);
	PROPERTY(json_parse_strict(text, len, &again) == JSON_OK);
	json_object_put(again);
	json_object_put(errors);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object	*o = NULL, *again = NULL;
	const char	*text;
	size_t		 textlen;
	enum json_err	 e;

	e = json_parse_strict((const char *)data, size, &o);
	PROPERTY(json_err_str(e) != NULL);
	if (e != JSON_OK) {
		PROPERTY(o == NULL);
		return 0;
	}
	PROPERTY(o != NULL);

	/*
	 * json-c's own printing of a strict tree is strict JSON again.  Only
	 * for objects and arrays: a bare top-level number or literal ("7")
	 * parses only with whitespace after it (json_parse_strict does not
	 * tell json-c where the input ends; see t/fuzz/README.md), and json-c
	 * prints none.  Request bodies must be objects anyway.
	 */
	if (json_object_is_type(o, json_type_object) ||
	    json_object_is_type(o, json_type_array)) {
		text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN,
		    &textlen);
		PROPERTY(text != NULL);
		e = json_parse_strict(text, textlen, &again);
		PROPERTY(e == JSON_OK);
		json_object_put(again);
	}

	if (nested_items[1].items == NULL)
		nested_items[1].items = product_items();
	for (size_t t = 0; t < sizeof(spec_tables) / sizeof(spec_tables[0]); t++)
		for (size_t i = 0; spec_tables[t][i] != NULL; i++) {
			validate(o, spec_tables[t][i], false);
			validate(o, spec_tables[t][i], true);
		}
	validate(o, nested, false);
	(void)json_has(o, "title");
	(void)json_str(o, "title");
	json_object_put(o);
	return 0;
}
