#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "valid.h"

static const char *const json_err_names[] = {
	"ok", "the body is empty", "the body is not valid JSON",
	"JSON nesting is deeper than 32 levels",
	"the body has data after the JSON value", "out of memory"
};

const char *
json_err_str(enum json_err e)
{
	return json_err_names[e];
}

static int
hex4(const char *s)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * json-c's strict mode still accepts a few things RFC 8259 does not:
 * single-quoted keys, raw control characters in strings, "1." and lone
 * UTF-16 surrogates, and it keeps the last of duplicate keys silently.
 * This lexical pass (strings and the characters between them, no
 * structure) rejects the first four and counts object keys, so the
 * caller can compare with what json-c kept and reject duplicates.
 */
static bool
lex_check(const char *s, size_t len, size_t *nkeys)
{
	size_t	 i, j;
	int	 u, lo;

	*nkeys = 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '\'')
			return false;
		if (s[i] == '.' && (i + 1 >= len || s[i + 1] < '0' || s[i + 1] > '9'))
			return false;
		if (s[i] != '"')
			continue;
		for (i++; i < len && s[i] != '"'; i++) {
			if ((unsigned char)s[i] < 0x20)
				return false;
			if (s[i] != '\\')
				continue;
			if (++i >= len)
				return false;
			if (s[i] != 'u')
				continue;
			if (i + 4 >= len || (u = hex4(s + i + 1)) < 0)
				return false;
			i += 4;
			if (u >= 0xDC00 && u <= 0xDFFF)
				return false;
			if (u >= 0xD800 && u <= 0xDBFF) {
				if (i + 6 >= len || s[i + 1] != '\\' || s[i + 2] != 'u' ||
				    (lo = hex4(s + i + 3)) < 0xDC00 || lo > 0xDFFF)
					return false;
				i += 6;
			}
		}
		/* a string followed by ':' is a key */
		for (j = i + 1; j < len && (s[j] == ' ' || s[j] == '\t' ||
		    s[j] == '\r' || s[j] == '\n'); j++)
			;
		if (j < len && s[j] == ':')
			(*nkeys)++;
	}
	return true;
}

static size_t
count_keys(json_object *o)
{
	size_t i, n, total = 0;

	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			total += count_keys(json_object_array_get_idx(o, i));
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			(void)k;
			total += 1 + count_keys(v);
		}
	}
	return total;
}

/* json-c accepts NaN and Infinity even in strict mode; JSON does not. */
static bool
all_finite(json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		return isfinite(json_object_get_double(o));
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (!all_finite(json_object_array_get_idx(o, i)))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			if (!all_finite(v))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

enum json_err
json_parse_strict(const char *s, size_t len, json_object **out)
{
	struct json_tokener	*tok;
	json_object		*o;
	enum json_tokener_error	 jerr;
	enum json_err		 rc;
	size_t			 i, nkeys, end;

	*out = NULL;
	for (i = 0; i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'); i++)
		;
	if (i == len)
		return JSON_EMPTY;
	/* json-c would stop at a NUL byte and call the rest "trailing" anyway */
	if (memchr(s, '\0', len) != NULL)
		return JSON_SYNTAX;
	if (len > (size_t)INT32_MAX || !lex_check(s, len, &nkeys))
		return JSON_SYNTAX;
	if ((tok = json_tokener_new_ex(JSON_MAX_DEPTH)) == NULL)
		return JSON_NOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/*
	 * A top-level number or literal ("7", "true") is complete only at
	 * the end of the input, which json-c learns from a NUL: send one.
	 */
	if (o == NULL && jerr == json_tokener_continue) {
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (o == NULL || jerr != json_tokener_success) {
		rc = jerr == json_tokener_error_depth ? JSON_TOO_DEEP : JSON_SYNTAX;
		json_object_put(o);
		goto out;
	}
	for (i = end; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
			json_object_put(o);
			rc = JSON_TRAILING;
			goto out;
		}
	if (!all_finite(o) || count_keys(o) != nkeys) {
		json_object_put(o);
		rc = JSON_SYNTAX;
		goto out;
	}
	*out = o;
	rc = JSON_OK;
out:
	json_tokener_free(tok);
	return rc;
}

json_object *
json_new_text(const char *s)
{
	size_t		 len = strlen(s), i = 0, o = 0, k;
	char		*t;
	json_object	*j;

	if (len > INT_MAX / 3)
		return NULL;
	if (valid_utf8_chars(s, len) >= 0)
		return json_object_new_string_len(s, (int)len);
	/* at worst every byte becomes the three of U+FFFD */
	if ((t = malloc(3 * len + 1)) == NULL)
		return NULL;
	while (i < len) {
		/* the shortest k with s[i..i+k) one well-formed character */
		for (k = 1; k <= 4 && i + k <= len; k++)
			if (valid_utf8_chars(s + i, k) == 1)
				break;
		if (k > 4 || i + k > len) {
			memcpy(t + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		} else {
			memcpy(t + o, s + i, k);
			o += k;
			i += k;
		}
	}
	j = json_object_new_string_len(t, (int)o);
	free(t);
	return j;
}

void
json_error_add(json_object *errors, const char *field, const char *message)
{
	json_object	*e;
	uintptr_t	 more;

	/*
	 * A body of a million unknown fields must not become a response (and
	 * an array) of a million errors: past the cap only a count is kept,
	 * in the array's user data (http.c reports it as errors_total).
	 */
	if (json_object_array_length(errors) >= JSON_ERRORS_MAX) {
		more = (uintptr_t)json_object_get_userdata(errors);
		json_object_set_userdata(errors, (void *)(more + 1), NULL);
		return;
	}
	if ((e = json_object_new_object()) == NULL)
		return;
	json_object_object_add(e, "field", json_new_text(field));
	json_object_object_add(e, "message", json_new_text(message));
	json_object_array_add(errors, e);
}

size_t
json_errors_total(json_object *errors)
{
	return json_object_array_length(errors) +
	    (size_t)(uintptr_t)json_object_get_userdata(errors);
}

json_object *
json_from_db(const char *text)
{
	return text != NULL ? json_tokener_parse(text) : NULL;
}

json_object *
json_new_fixed(double v, int decimals)
{
	char s[64];

	if (!isfinite(v))
		v = 0;
	snprintf(s, sizeof(s), "%.*f", decimals, v);
	return json_object_new_double_s(strtod(s, NULL), s);
}

bool
json_has(json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

const char *
json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static const struct field_spec *
spec_find(const struct field_spec *specs, const char *name)
{
	for (; specs->name != NULL; specs++)
		if (strcmp(specs->name, name) == 0)
			return specs;
	return NULL;
}

static int validate_object(json_object *body, const struct field_spec *specs,
    bool partial, const char *prefix, json_object *errors);

/* Checks one value; returns NULL or a message (static storage in msg). */
static const char *
validate_value(const struct field_spec *f, json_object *v, char *msg,
    size_t msglen, const char *path, json_object *errors, int *nested)
{
	const char	*s;
	size_t		 len, n, i, j;
	long		 chars;
	double		 d;
	int64_t		 iv;

	switch (f->type) {
	case FT_STRING:
		if (!json_object_is_type(v, json_type_string))
			return "must be a string";
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if ((chars = valid_utf8_chars(s, len)) < 0)
			return "must be valid UTF-8 text without NUL characters";
		if (f->flags & F_BYTES)
			chars = (long)len;
		if (chars < f->min || chars > f->max) {
			snprintf(msg, msglen, "must be %lld to %lld %s", f->min,
			    f->max, (f->flags & F_BYTES) ? "bytes" : "characters");
			return msg;
		}
		return NULL;
	case FT_ENUM:
		if (json_object_is_type(v, json_type_string)) {
			s = json_object_get_string(v);
			for (i = 0; f->values[i] != NULL; i++)
				if (strcmp(s, f->values[i]) == 0)
					return NULL;
		}
		n = (size_t)snprintf(msg, msglen, "must be one of:");
		for (i = 0; f->values[i] != NULL && n < msglen; i++)
			n += (size_t)snprintf(msg + n, msglen - n, "%s %s",
			    i ? "," : "", f->values[i]);
		return msg;
	case FT_BOOL:
		return json_object_is_type(v, json_type_boolean) ? NULL :
		    "must be true or false";
	case FT_INT:
		if (!json_object_is_type(v, json_type_int))
			return "must be an integer";
		iv = json_object_get_int64(v);
		if (iv < f->min || iv > f->max) {
			snprintf(msg, msglen, "must be an integer from %lld to %lld",
			    f->min, f->max);
			return msg;
		}
		return NULL;
	case FT_NUMBER:
		if (!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double))
			return "must be a number";
		d = json_object_get_double(v);
		if (!isfinite(d) || d < (double)f->min || d > (double)f->max) {
			snprintf(msg, msglen, "must be a number from %lld to %lld",
			    f->min, f->max);
			return msg;
		}
		return NULL;
	case FT_UUID:
	case FT_DATE:
	case FT_TIMESTAMP:
	case FT_TIME:
	case FT_EMAIL:
		if (!json_object_is_type(v, json_type_string))
			return "must be a string";
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (f->type == FT_UUID && !valid_uuid(s, len))
			return "must be a UUID";
		if (f->type == FT_DATE && !valid_date(s, len))
			return "must be a date (YYYY-MM-DD)";
		if (f->type == FT_TIMESTAMP && !valid_timestamp(s, len))
			return "must be an RFC 3339 timestamp such as 2026-11-21T23:00:00Z";
		if (f->type == FT_TIME && !valid_time_hhmm(s, len))
			return "must be a time (HH:MM)";
		if (f->type == FT_EMAIL && !valid_email(s, len))
			return "must be an email address";
		return NULL;
	case FT_STRING_SET:
		if (!json_object_is_type(v, json_type_array))
			return "must be an array of strings";
		n = json_object_array_length(v);
		if ((long long)n > f->max) {
			snprintf(msg, msglen, "must have at most %lld items", f->max);
			return msg;
		}
		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (!json_object_is_type(e, json_type_string))
				return "must be an array of strings";
			s = json_object_get_string(e);
			len = (size_t)json_object_get_string_len(e);
			chars = valid_utf8_chars(s, len);
			if (chars < f->item_min || chars > f->item_max) {
				snprintf(msg, msglen, "items must be %lld to %lld characters",
				    f->item_min, f->item_max);
				return msg;
			}
			for (j = 0; j < i; j++)
				if (strcmp(s, json_object_get_string(
				    json_object_array_get_idx(v, j))) == 0)
					return "must not repeat a value";
		}
		return NULL;
	case FT_OBJECT:
		/* with items: its members checked like a body; else any object
		 * (its handler checks the members) */
		if (!json_object_is_type(v, json_type_object))
			return "must be a JSON object";
		if (f->items != NULL)
			*nested += validate_object(v, f->items, false, path, errors);
		return NULL;
	case FT_OBJECT_ARRAY:
		if (!json_object_is_type(v, json_type_array))
			return "must be an array";
		n = json_object_array_length(v);
		if ((long long)n > f->max) {
			snprintf(msg, msglen, "must have at most %lld items", f->max);
			return msg;
		}
		for (i = 0; i < n; i++) {
			char	 sub[256];

			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			*nested += validate_object(json_object_array_get_idx(v, i),
			    f->items, false, sub, errors);
		}
		return NULL;
	}
	return "is not supported";
}

static int
validate_object(json_object *body, const struct field_spec *specs,
    bool partial, const char *prefix, json_object *errors)
{
	const struct field_spec	*f;
	const char		*m;
	char			 msg[512], path[200];
	int			 n = 0;

	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		json_error_add(errors, prefix[0] ? prefix : "(body)",
		    "must be a JSON object");
		return 1;
	}
	json_object_object_foreach(body, key, val) {
		snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", key);
		if ((f = spec_find(specs, key)) == NULL) {
			json_error_add(errors, path, "unknown field");
			n++;
			continue;
		}
		if (val == NULL) {
			if (!(f->flags & F_NULLABLE)) {
				json_error_add(errors, path, "must not be null");
				n++;
			}
			continue;
		}
		if ((m = validate_value(f, val, msg, sizeof(msg), path, errors, &n)) != NULL) {
			json_error_add(errors, path, m);
			n++;
		}
	}
	if (partial)
		return n;
	for (f = specs; f->name != NULL; f++)
		if ((f->flags & F_REQUIRED) && !json_has(body, f->name)) {
			snprintf(path, sizeof(path), "%s%s%s", prefix,
			    prefix[0] ? "." : "", f->name);
			json_error_add(errors, path, "is required");
			n++;
		}
	return n;
}

int
json_validate(json_object *body, const struct field_spec *specs, bool partial,
    json_object *errors)
{
	return validate_object(body, specs, partial, "", errors);
}
