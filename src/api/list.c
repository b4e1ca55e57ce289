#include <stdio.h>
#include <string.h>

#include "api/list.h"
#include "json.h"
#include "config.h"

static int
bad(struct req *r, const char *name, const char *msg)
{
	json_object	*errs = json_object_new_array();
	char		 detail[160];

	json_error_add(errs, name, msg);
	snprintf(detail, sizeof(detail), "query parameter %s %s", name, msg);
	return http_problem_errors(r, 400, detail, errs);
}

int
list_parse_page(struct req *r, struct list_page *p, bool cursor_ok)
{
	char	v[64];
	int	rc;

	memset(p, 0, sizeof(*p));
	p->limit = LIST_LIMIT_DEFAULT;
	if ((rc = http_query_get(r->query, "limit", v, sizeof(v))) < 0 ||
	    (rc == 1 && config_parse_long(v, 1, LIST_LIMIT_MAX, &p->limit) != 0))
		return bad(r, "limit", "must be an integer from 1 to 200");
	if ((rc = http_query_get(r->query, "offset", v, sizeof(v))) < 0 ||
	    (rc == 1 && config_parse_long(v, 0, 100000000, &p->offset) != 0))
		return bad(r, "offset", "must be an integer from 0 to 100000000");
	rc = http_query_get(r->query, "cursor", p->cursor, sizeof(p->cursor));
	if (rc < 0 || (rc == 1 && (!cursor_ok || p->cursor[0] == '\0')))
		return bad(r, "cursor", cursor_ok ? "is not a cursor this API issued" :
		    "is not supported here; use offset");
	if (rc == 1 && p->offset != 0)
		return bad(r, "offset", "cannot be combined with cursor");
	snprintf(p->limit_s, sizeof(p->limit_s), "%ld", p->limit);
	snprintf(p->offset_s, sizeof(p->offset_s), "%ld", p->offset);
	return 0;
}

/* The request's query without limit, offset and cursor. */
static void
query_rest(const char *q, struct buf *out)
{
	const char	*p = q, *amp;
	size_t		 n;

	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		n = amp ? (size_t)(amp - p) : strlen(p);
		if (n > 0 && strncmp(p, "limit=", 6) != 0 && strncmp(p, "offset=", 7) != 0 &&
		    strncmp(p, "cursor=", 7) != 0) {
			buf_append(out, p, n);
			buf_putc(out, '&');
		}
		p = amp ? amp + 1 : NULL;
	}
}

int
list_respond(struct req *r, const struct list_page *p, json_object *items,
    long total, const char *next_cursor)
{
	return list_respond_counted(r, p, items, total, true, next_cursor);
}

int
list_respond_counted(struct req *r, const struct list_page *p,
    json_object *items, long total, bool total_exact, const char *next_cursor)
{
	json_object	*o = json_object_new_object();
	struct buf	 rest;
	bool		 more;

	json_object_object_add(o, "items", items);
	json_object_object_add(o, "total", json_object_new_int64(total));
	json_object_object_add(o, "total_exact", json_object_new_boolean(total_exact));
	json_object_object_add(o, "limit", json_object_new_int64(p->limit));
	json_object_object_add(o, "offset", json_object_new_int64(p->offset));
	json_object_object_add(o, "next_cursor",
	    next_cursor ? json_object_new_string(next_cursor) : NULL);
	more = next_cursor != NULL || (p->cursor[0] == '\0' &&
	    p->offset + (long)json_object_array_length(items) < total);
	if (more) {
		/* the next page keeps every filter of this one */
		buf_init(&rest, 4096);
		query_rest(r->query, &rest);
		if (rest.failed)
			;	/* an overlong query gets no Link; next_cursor remains */
		else if (next_cursor != NULL)
			http_header(r, "Link", "<%s?%slimit=%ld&cursor=%s>; rel=\"next\"",
			    r->path, buf_cstr(&rest), p->limit, next_cursor);
		else
			http_header(r, "Link", "<%s?%slimit=%ld&offset=%ld>; rel=\"next\"",
			    r->path, buf_cstr(&rest), p->limit, p->offset + p->limit);
		buf_free(&rest);
	}
	return http_json(r, 200, o);
}
