/*
 * fuzz_json: a request body through json_parse_strict(), and when it
 * parses, through json_validate() against copies of the resources' field
 * specs (tasks, action lists, registration), partial and not.
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

#include "json.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROPERTY(c)	do { if (!(c)) property_failed(__FILE__, __LINE__, #c); } while (0)

static void __attribute__((noreturn))
property_failed(const char *file, int line, const char *what)
{
	fprintf(stderr, "PROPERTY FAILED at %s:%d: %s\n", file, line, what);
	abort();
}

/* --- copies of src/api/tasks.c's specs (keep in step with it) --- */

static const char *const statuses[] = { "new", "ready", "in_progress", "blocked",
	"review", "done", "dropped", NULL };
static const char *const priorities[] = { "p0", "p1", "p2", "p3", NULL };

#define TASK_FIELDS(title_flags) \
	{ "title", FT_STRING, (title_flags), 1, 500, NULL, 0, 0, NULL }, \
	{ "description", FT_STRING, F_NULLABLE, 0, 10000, NULL, 0, 0, NULL }, \
	{ "status", FT_ENUM, 0, 0, 0, statuses, 0, 0, NULL }, \
	{ "priority", FT_ENUM, 0, 0, 0, priorities, 0, 0, NULL }, \
	{ "due_at", FT_TIMESTAMP, F_NULLABLE, 0, 0, NULL, 0, 0, NULL }, \
	{ "tags", FT_STRING_SET, 0, 0, 20, NULL, 1, 50, NULL }, \
	{ "estimate_points", FT_NUMBER, F_NULLABLE, 0, 1000000, NULL, 0, 0, NULL }, \
	{ "project_id", FT_UUID, F_NULLABLE, 0, 0, NULL, 0, 0, NULL }, \
	{ "sprint_id", FT_UUID, F_NULLABLE, 0, 0, NULL, 0, 0, NULL }
#define VERSION_FIELD \
	{ "version", FT_INT, 0, 1, INT_MAX, NULL, 0, 0, NULL }
#define END_FIELDS \
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }

static const struct field_spec task_create[] = {
	TASK_FIELDS(F_REQUIRED), END_FIELDS
};
static const struct field_spec task_patch[] = {
	TASK_FIELDS(0), VERSION_FIELD, END_FIELDS
};

/* --- src/api/action_lists.c: the one FT_OBJECT_ARRAY --- */

static const char *const alist_statuses[] = { "active", "completed", "archived", NULL };

static const struct field_spec alist_items[] = {
	{ "text", FT_STRING, F_REQUIRED, 1, 1000, NULL, 0, 0, NULL },
	{ "done", FT_BOOL, 0, 0, 0, NULL, 0, 0, NULL },
	{ "task_id", FT_UUID, F_NULLABLE, 0, 0, NULL, 0, 0, NULL },
	END_FIELDS
};
static const struct field_spec alist_create[] = {
	{ "title", FT_STRING, F_REQUIRED, 1, 200, NULL, 0, 0, NULL },
	{ "description", FT_STRING, F_NULLABLE, 0, 10000, NULL, 0, 0, NULL },
	{ "status", FT_ENUM, 0, 0, 0, alist_statuses, 0, 0, NULL },
	{ "project_id", FT_UUID, F_NULLABLE, 0, 0, NULL, 0, 0, NULL },
	{ "items", FT_OBJECT_ARRAY, 0, 0, 500, NULL, 0, 0, alist_items },
	VERSION_FIELD, END_FIELDS
};

/*
 * --- the remaining types: src/api/auth.c (email, byte-bounded password),
 * todo.c (bool, date, time), and an object array nested in one, which no
 * resource has yet but json.c supports ---
 */

static const char *const todo_priorities[] = { "high", "medium", "low", NULL };

static const struct field_spec nested_items[] = {
	{ "name", FT_STRING, F_REQUIRED | F_NULLABLE, 0, 3, NULL, 0, 0, NULL },
	{ "items", FT_OBJECT_ARRAY, 0, 0, 4, NULL, 0, 0, alist_items },
	END_FIELDS
};
static const struct field_spec misc[] = {
	{ "email", FT_EMAIL, F_REQUIRED, 0, 0, NULL, 0, 0, NULL },
	{ "password", FT_STRING, F_REQUIRED | F_BYTES, 8, 72, NULL, 0, 0, NULL },
	{ "username", FT_STRING, F_NULLABLE, 3, 32, NULL, 0, 0, NULL },
	{ "completed", FT_BOOL, 0, 0, 0, NULL, 0, 0, NULL },
	{ "due_date", FT_DATE, F_NULLABLE, 0, 0, NULL, 0, 0, NULL },
	{ "due_time", FT_TIME, F_NULLABLE, 0, 0, NULL, 0, 0, NULL },
	{ "priority", FT_ENUM, 0, 0, 0, todo_priorities, 0, 0, NULL },
	{ "count", FT_INT, 0, -5, 5, NULL, 0, 0, NULL },
	{ "ratio", FT_NUMBER, 0, -1, 1, NULL, 0, 0, NULL },
	{ "groups", FT_OBJECT_ARRAY, F_NULLABLE, 0, 3, NULL, 0, 0, nested_items },
	END_FIELDS
};

static const struct field_spec *const spec_sets[] = {
	task_create, task_patch, alist_create, misc
};

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

	for (size_t i = 0; i < sizeof(spec_sets) / sizeof(spec_sets[0]); i++) {
		validate(o, spec_sets[i], false);
		validate(o, spec_sets[i], true);
	}
	(void)json_has(o, "title");
	(void)json_str(o, "title");
	json_object_put(o);
	return 0;
}
