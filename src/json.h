/*
 * json: strict parsing of request bodies (size, depth, trailing data) and
 * validation against a per-resource table of field specs (after kcgi's
 * kvalid tables).  Handlers see only bodies that passed both.
 */
#ifndef TASKMAN_JSON_H
#define TASKMAN_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#define JSON_MAX_DEPTH	32

enum json_err {
	JSON_OK,
	JSON_EMPTY,
	JSON_SYNTAX,
	JSON_TOO_DEEP,
	JSON_TRAILING,
	JSON_NOMEM
};

/* Parses exactly len bytes; on JSON_OK *out is owned by the caller. */
enum json_err	 json_parse_strict(const char *s, size_t len, json_object **out);
const char	*json_err_str(enum json_err e);

enum field_type {
	FT_STRING,	/* min..max code points (bytes with F_BYTES) */
	FT_ENUM,	/* one of values[] */
	FT_BOOL,
	FT_INT,		/* integer in min..max */
	FT_NUMBER,	/* integer or decimal in min..max */
	FT_UUID,
	FT_DATE,	/* YYYY-MM-DD */
	FT_TIMESTAMP,	/* RFC 3339 */
	FT_TIME,	/* HH:MM */
	FT_EMAIL,
	FT_STRING_SET,	/* array of <= max distinct strings of item_min..item_max */
	FT_OBJECT_ARRAY,/* array of <= max objects, each checked against items */
	FT_OBJECT	/* an object: checked against items, or any (items NULL) */
};

#define F_REQUIRED	0x1	/* must be present (not checked for partial updates) */
#define F_NULLABLE	0x2	/* null is accepted (it clears the field) */
#define F_BYTES		0x4	/* FT_STRING bounds count bytes, not characters */

struct field_spec {
	const char			*name;
	enum field_type			 type;
	unsigned			 flags;
	long long			 min, max;
	const char *const		*values;	/* FT_ENUM, NULL-terminated */
	long long			 item_min, item_max;	/* FT_STRING_SET */
	const struct field_spec		*items;		/* FT_OBJECT_ARRAY, FT_OBJECT */
};

/*
 * Checks body against specs (terminated by a {NULL} entry).  Appends one
 * {field, message} object to errors for each problem, unknown fields
 * included, and returns how many it appended.  partial: a PATCH, where
 * required fields may be absent.
 */
int	 json_validate(json_object *body, const struct field_spec *specs,
	    bool partial, json_object *errors);

/* Entries an errors[] array holds; later ones are only counted. */
#define JSON_ERRORS_MAX	20
/*
 * Appends {field, message} to errors (both as json_new_text()), or only
 * counts it once the array holds JSON_ERRORS_MAX entries.
 */
void	 json_error_add(json_object *errors, const char *field, const char *message);
/* Entries added to errors, the counted ones included. */
size_t	 json_errors_total(json_object *errors);

/*
 * A JSON string of the C string s that is valid UTF-8 whatever s holds:
 * a byte that does not belong to a well-formed UTF-8 sequence becomes
 * U+FFFD.  For request data echoed in responses and logs (the decoded
 * path, query parameter names, texts cut at a byte limit).  Returns a new
 * object the caller owns, or NULL.
 */
json_object	*json_new_text(const char *s);

/*
 * Parses JSON text the database built (trusted, already valid); returns
 * a new object the caller owns, or NULL.
 */
json_object	*json_from_db(const char *text);

/* A number printed with exactly `decimals` decimals (0.91, not 0.910000000001). */
json_object	*json_new_fixed(double v, int decimals);

/* Typed getters for validated bodies: NULL/absent-safe. */
bool		 json_has(json_object *o, const char *key);
const char	*json_str(json_object *o, const char *key);	/* NULL if absent or null */

#endif
