/*
 * fuzz_http: the request head as libfcgi hands it to the worker.  The
 * input is split at '\n' into "NAME=VALUE" lines, which become the
 * FastCGI environment (REQUEST_METHOD, DOCUMENT_URI, REQUEST_URI,
 * QUERY_STRING, CONTENT_LENGTH, CONTENT_TYPE, HTTP_X_REQUEST_ID,
 * HTTP_IF_MATCH, HTTP_IF_NONE_MATCH, HTTP_COOKIE, HTTP_AUTHORIZATION,
 * HTTP_ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD, ...; libfcgi keeps the
 * first of repeated names, and so does FCGX_GetParam here).  A NUL byte
 * ends its line's value, as it does in libfcgi's C strings.  One pseudo
 * parameter, FUZZ_CORS_ORIGINS, replaces the fixed TASKMAN_CORS_ORIGINS
 * list so the list parser is fuzzed too.
 *
 * The body, if any, follows the first empty line ("\n\n"); it comes from
 * an in-memory FastCGI stream in chunks, and the response goes to one.
 *
 * Then everything the worker does with a request before a handler needs
 * the database: http_req_init, http_parse_head, router_match (every
 * method), http_allow_string, http_query_get / http_query_each,
 * list_parse_page / list_respond, plan_list_parse / plan_filter_enum /
 * plan_filter_uuid (the planning lists), http_if_match, http_not_modified,
 * http_cookie, cors_origin_allowed, cors_handle, http_read_json (the
 * body), http_json (the body echoed) or a problem, http_send (checked:
 * no header injection, Content-Length right, JSON valid), http_req_reset.
 * r->app stays NULL, as in t/unit/test_http.c.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/list.h"
#include "api/planning.h"
#include "cors.h"
#include "buf.h"
#include "http.h"
#include "json.h"
#include "router.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROPERTY(c)	do { if (!(c)) property_failed(__FILE__, __LINE__, #c); } while (0)

static void __attribute__((noreturn))
property_failed(const char *file, int line, const char *what)
{
	fprintf(stderr, "PROPERTY FAILED at %s:%d: %s\n", file, line, what);
	abort();
}

#define MAX_ENV		64
#define BODY_LIMIT	4096	/* TASKMAN_BODY_LIMIT, small: the limits get hit */
#define CORS_LIST	"https://app.example.test, https://admin.example.test"
#define REFRESH_COOKIE	"taskman_refresh"	/* src/api/auth.c */

static const unsigned all_methods[] = { HTTP_GET, HTTP_HEAD, HTTP_POST,
	HTTP_PUT, HTTP_PATCH, HTTP_DELETE, HTTP_OPTIONS, HTTP_OTHER };

/*
 * Some query parameter names the list endpoints read (src/api/tasks.c ...):
 * every lookup scans the whole query, so a few, for speed.
 */
static const char *const query_names[] = { "limit", "offset", "cursor", "q",
	"status", "sort", NULL };

/* src/api/sprints.c's list: all three cursor key kinds */
static const struct plan_sort sprint_sorts[] = {
	{ "created_at", PK_TIME }, { "updated_at", PK_TIME }, { "name", PK_TEXT },
	{ "start_date", PK_DATE }
};
static const char *const sprint_filters[] = { "status", "project_id", NULL };
static const char *const sprint_statuses[] = { "planned", "active", "closed", NULL };

struct each_ctx {
	const char	*query;
	int		 keys;
};

/* Every key http_query_each reports, http_query_get must find. */
static int
each_key(const char *key, size_t keylen, void *arg)
{
	struct each_ctx	*c = arg;
	char		 v[256];

	c->keys++;
	if (key == NULL) {
		PROPERTY(keylen == 0);
		return 0;
	}
	PROPERTY(strlen(key) == keylen && keylen < 64);
	PROPERTY(http_query_get(c->query, key, v, sizeof(v)) != 0);
	return c->keys >= 100;	/* a nonzero return stops the walk */
}

static void
check_query(struct req *r)
{
	struct each_ctx	 c = { r->query, 0 };
	struct list_page p;
	char		 small[4], big[600];
	int		 rc, st;

	for (size_t i = 0; query_names[i] != NULL; i++) {
		rc = http_query_get(r->query, query_names[i], big, sizeof(big));
		PROPERTY(rc >= -1 && rc <= 1);
		if (rc == 1)
			PROPERTY(strlen(big) < sizeof(big));
	}
	/* a value longer than the buffer is -1, never a cut one */
	if ((rc = http_query_get(r->query, "q", small, sizeof(small))) == 1)
		PROPERTY(strlen(small) < sizeof(small) &&
		    http_query_get(r->query, "q", big, sizeof(big)) == 1 &&
		    strcmp(small, big) == 0);
	rc = http_query_each(r->query, each_key, &c);
	PROPERTY(rc == 0 || rc == 1);

	/* the paging every list endpoint shares; 400 leaves a problem body */
	st = list_parse_page(r, &p, (r->query[0] & 1) != 0);
	PROPERTY(st == 0 || (st == 400 && r->out_json != NULL));
	if (st == 0) {
		PROPERTY(p.limit >= 1 && p.limit <= LIST_LIMIT_MAX && p.offset >= 0);
		json_object *items = json_object_new_array();
		/* the Link rel="next" header is built from path and query */
		list_respond(r, &p, items, 1000000, p.cursor[0] ? "next" : NULL);
	}
}

/* The planning resources' list query: names, sort, cursor, filters. */
static void
check_plan_list(struct req *r)
{
	struct plan_list l;
	const char	*param;
	char		 stbuf[128], tiny[8], pid[HTTP_UUID_LEN + 1];
	int		 st;

	st = plan_list_parse(r, sprint_filters, sprint_sorts, 4, &l);
	PROPERTY(st == 0 || (st == 400 && r->out_json != NULL));
	if (st == 0) {
		PROPERTY(l.variant >= 0 && l.variant < 8);
		PROPERTY(l.cid_param == NULL || strlen(l.cid_param) == HTTP_UUID_LEN);
		PROPERTY(l.ckey_param == NULL || strlen(l.ckey_param) < LIST_CURSOR_IN_MAX);
	}
	st = plan_filter_enum(r, "status", sprint_statuses, stbuf, sizeof(stbuf), &param);
	PROPERTY((st == 0 && (param == NULL || (param[0] == '{' &&
	    param[strlen(param) - 1] == '}'))) || (st == 400 && param == NULL));
	(void)plan_filter_enum(r, "status", sprint_statuses, tiny, sizeof(tiny), &param);
	st = plan_filter_uuid(r, "project_id", pid, &param);
	PROPERTY((st == 0 && (param == NULL || strlen(param) == HTTP_UUID_LEN)) ||
	    st == 400);
}

static void
check_preconditions(struct req *r)
{
	const char	*saved = r->if_none_match;
	long		 v = -1;
	int		 m;

	m = http_if_match(r, &v);
	PROPERTY(m >= -1 && m <= 2);
	if (m == 1) {
		PROPERTY(v >= 0);
		/* a tag If-Match accepts, If-None-Match matches */
		r->if_none_match = r->if_match;
		PROPERTY(http_not_modified(r, v));
		r->if_none_match = saved;
	}
	(void)http_not_modified(r, 0);
	(void)http_not_modified(r, 1);
	(void)http_not_modified(r, v);
	(void)http_not_modified(r, LONG_MAX);
}

static void
check_cookie(struct req *r)
{
	char		 dst[512], tiny[8];
	const char	*c;

	if ((c = http_cookie(r, REFRESH_COOKIE, dst, sizeof(dst))) != NULL)
		PROPERTY(c == dst && strlen(dst) < sizeof(dst) && strchr(dst, ';') == NULL);
	if ((c = http_cookie(r, "a", tiny, sizeof(tiny))) != NULL)
		PROPERTY(strlen(tiny) < sizeof(tiny));
}

static void
check_cors(struct req *r, const char *list)
{
	const char	*o = r->origin;
	size_t		 n;
	unsigned	 allowed;
	int		 st;

	(void)router_match(r, r->path, r->method, &allowed);

	if (cors_origin_allowed(list, o))
		PROPERTY(o != NULL && strstr(list, o) != NULL);
	/* a plain origin is in a list of itself */
	if (o != NULL && (n = strlen(o)) > 0 && strchr(o, ',') == NULL &&
	    o[0] != ' ' && o[n - 1] != ' ')
		PROPERTY(cors_origin_allowed(o, o));
	st = cors_handle(r, list, allowed);
	PROPERTY(st == 0 || st == 204 || st == 403 || st == 404);
	/* no TASKMAN_CORS_ORIGINS: a preflight is refused, nothing else changes */
	st = cors_handle(r, NULL, allowed);
	PROPERTY(st == 0 || st == 403);
}

static void
check_routes(struct req *r)
{
	const struct route	*rt;
	unsigned		 allowed;
	char			 allow[96], tiny[7];

	for (size_t i = 0; i < sizeof(all_methods) / sizeof(all_methods[0]); i++) {
		rt = router_match(r, r->path, all_methods[i], &allowed);
		if (rt != NULL) {
			PROPERTY(rt->method == all_methods[i] ||
			    (all_methods[i] == HTTP_HEAD && rt->method == HTTP_GET));
			PROPERTY(r->nparams >= 0 && r->nparams <= HTTP_MAX_PARAMS);
			for (int j = 0; j < r->nparams; j++)
				PROPERTY(strlen(r->params[j]) <= HTTP_UUID_LEN);
		}
		http_allow_string(allowed | HTTP_OPTIONS, allow, sizeof(allow));
		http_allow_string(allowed, tiny, sizeof(tiny));
		PROPERTY(strlen(tiny) < sizeof(tiny));
	}
	/* the request's own method last: r->params stay the request's */
	rt = router_match(r, r->path, r->method, &allowed);
	/* HEAD comes only with GET */
	PROPERTY(rt != NULL || !(allowed & HTTP_HEAD) || (allowed & HTTP_GET));
}

/*
 * FastCGI streams in memory (fcgiapp.h's FCGX_Stream is public): the
 * body is handed out in chunks of `chunk` bytes, as FastCGI records would
 * bring it; the response is collected in `sink` through a small buffer.
 */
struct memstream {
	FCGX_Stream	 s;
	unsigned char	*next, *end;	/* reader: what the next fill brings */
	size_t		 chunk;
	unsigned char	 wbuf[512];	/* writer */
	struct buf	*sink;
};

static void
mem_fill(FCGX_Stream *s)
{
	struct memstream *m = s->data;
	size_t		  n = (size_t)(m->end - m->next);

	if (n == 0) {
		s->isClosed = 1;	/* end of the body */
		return;
	}
	if (n > m->chunk)
		n = m->chunk;
	s->rdNext = s->stopUnget = m->next;
	s->stop = s->wrNext = m->next + n;
	m->next += n;
}

static void
mem_empty(FCGX_Stream *s, int doClose)
{
	struct memstream *m = s->data;

	(void)doClose;
	buf_append(m->sink, m->wbuf, (size_t)(s->wrNext - m->wbuf));
	s->wrNext = m->wbuf;
}

static void
mem_reader(struct memstream *m, unsigned char *body, size_t len, size_t chunk)
{
	memset(m, 0, sizeof(*m));
	m->next = body;
	m->end = body + len;
	m->chunk = chunk;
	m->s.rdNext = m->s.wrNext = m->s.stop = m->s.stopUnget = body;
	m->s.isReader = 1;
	m->s.fillBuffProc = mem_fill;
	m->s.emptyBuffProc = mem_empty;
	m->s.data = m;
}

static void
mem_writer(struct memstream *m, struct buf *sink)
{
	memset(m, 0, sizeof(*m));
	m->sink = sink;
	m->s.wrNext = m->wbuf;
	m->s.rdNext = m->s.stop = m->wbuf + sizeof(m->wbuf);
	m->s.fillBuffProc = mem_fill;
	m->s.emptyBuffProc = mem_empty;
	m->s.data = m;
}

/*
 * What http_send() wrote: a CGI head ("Status: ..." and header lines
 * without stray CR or LF: no header injection), a blank line, and a body
 * as long as Content-Length says (none for HEAD, 204, 304).  A JSON body
 * is strict JSON: valid UTF-8 included.
 */
static void
check_response(const struct req *r, const struct buf *out)
{
	const char	*o = buf_cstr(out), *end, *line, *eol, *cl;
	size_t		 headlen, bodylen;

	PROPERTY(!out->failed && out->len > 8 && strncmp(o, "Status: ", 8) == 0);
	end = strstr(o, "\r\n\r\n");
	PROPERTY(end != NULL);
	headlen = (size_t)(end - o) + 2;
	bodylen = out->len - headlen - 2;
	for (line = o; line < o + headlen; line = eol + 2) {
		eol = strstr(line, "\r\n");
		PROPERTY(eol != NULL && eol > line);
		PROPERTY(memchr(line, '\r', (size_t)(eol - line)) == NULL &&
		    memchr(line, '\n', (size_t)(eol - line)) == NULL);
		PROPERTY(memchr(line, ':', (size_t)(eol - line)) != NULL);
	}
	if (r->status == 204 || r->status == 304 || r->method == HTTP_HEAD) {
		PROPERTY(bodylen == 0);
		return;
	}
	cl = strstr(o, "\r\nContent-Length: ");
	PROPERTY(cl != NULL && cl < end);
	PROPERTY(strtoul(cl + 18, NULL, 10) == bodylen);
	if (r->out_json != NULL && bodylen > 0) {
		json_object	*again = NULL;
		enum json_err	 e;

		e = json_parse_strict(end + 4, bodylen, &again);
		json_object_put(again);
		bool json_body_is_strict_json_and_utf8 = e == JSON_OK;
		PROPERTY(json_body_is_strict_json_and_utf8);
	}
}

/* Sends r's response into a fresh sink through out, and checks it. */
static void
send_and_check(struct req *r, struct memstream *out)
{
	struct buf	 sink;

	buf_init(&sink, 0);
	mem_writer(out, &sink);
	r->out = &out->s;
	http_send(r);
	mem_empty(&out->s, 1);
	check_response(r, &sink);
	buf_free(&sink);
}

/*
 * The product's router_prepare() (router_dispatch() up to authentication,
 * which needs the database: CORS and preflights, 404, 405 with Allow,
 * OPTIONS), then the body as the product's route table says the route
 * takes it; the stand-in "handler" echoes the parsed body (a 200 with
 * JSON built from request data).
 */
static int
dispatch(struct req *r, const char *cors_list)
{
	const struct route	*rt;
	int			 st;

	if ((rt = router_prepare(r, cors_list, &st)) == NULL) {
		PROPERTY(st == 204 || st == 403 || st == 404 || st == 405);
		return st;
	}
	PROPERTY(r->route == rt && rt >= router_routes &&
	    rt < router_routes + router_nroutes);
	/* BODY_NONE routes with a body: the todo handlers read it themselves */
	if (rt->body != BODY_NONE || r->has_body) {
		st = http_read_json(r, BODY_LIMIT, rt->body == BODY_JSON);
		PROPERTY(st == 0 || st == 400 || st == 413 || st == 415);
		if (st != 0)
			return st;
		PROPERTY(r->has_body == (r->json != NULL));
		PROPERTY(r->json == NULL || json_object_is_type(r->json, json_type_object));
		PROPERTY(!r->has_body || r->body.len == r->content_length);
	}
	http_etag(r, 42);
	if (r->json != NULL)
		return http_json(r, 200, json_object_get(r->json));
	return http_no_content(r, 204);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*text, *line, *next, *env[MAX_ENV + 1], *body, *hend;
	const char	*cors_list = CORS_LIST;
	struct memstream in, out;
	struct req	 r;
	size_t		 n = 0, bodylen = 0;
	int		 st;

	/* a NUL-terminated copy: the head is cut into lines in place */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* the body follows the first empty line, as in HTTP */
	hend = text + size;
	if ((body = memmem(text, size, "\n\n", 2)) != NULL) {
		hend = body;
		*body = '\0';
		body += 2;
		bodylen = (size_t)(text + size - body);
	}
	for (line = text; line != NULL && n < MAX_ENV; line = next) {
		if ((next = memchr(line, '\n', (size_t)(hend - line))) != NULL)
			*next++ = '\0';
		if (strchr(line, '=') == NULL)
			continue;	/* libfcgi never makes a nameless entry */
		if (strncmp(line, "FUZZ_CORS_ORIGINS=", 18) == 0) {
			cors_list = line + 18;
			continue;
		}
		env[n++] = line;
	}
	env[n] = NULL;

	mem_reader(&in, (unsigned char *)(body ? body : text + size), bodylen,
	    1 + size % 2053);
	http_req_init(&r, NULL, &in.s, NULL, env);
	st = http_parse_head(&r, BODY_LIMIT);
	PROPERTY(st == 0 || ((st == 400 || st == 404 || st == 413) &&
	    r.out_json != NULL));
	PROPERTY(strlen(r.request_id) >= 1 && strlen(r.request_id) <= 128);
	PROPERTY(http_method_parse(http_method_name(r.method)) == r.method);
	if (st == 0) {
		PROPERTY(r.path[0] == '/' && strlen(r.path) < HTTP_PATH_MAX);
		PROPERTY(r.query != NULL && r.content_length <= BODY_LIMIT);
		/* the helpers one by one; then what they left is sent */
		check_routes(&r);
		check_query(&r);
		check_plan_list(&r);
		check_preconditions(&r);
		check_cookie(&r);
		check_cors(&r, cors_list);
		if (r.status != 0)
			send_and_check(&r, &out);
		/* a fresh response: the request as the worker would answer it */
		http_no_content(&r, 0);
		buf_reset(&r.out_headers);
		dispatch(&r, cors_list);
	}
	send_and_check(&r, &out);
	http_req_reset(&r);
	free(text);
	return 0;
}
