#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "config.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "valid.h"

struct status_info {
	int		 status;
	const char	*reason;
	const char	*slug;		/* problem type; NULL: not an error */
	const char	*title;
};

static const struct status_info statuses[] = {
	/* first: what status_find() answers for an unlisted status */
	{ 500, "Internal Server Error", "internal-error", "Internal server error" },
	{ 200, "OK", NULL, NULL },
	{ 201, "Created", NULL, NULL },
	{ 204, "No Content", NULL, NULL },
	{ 304, "Not Modified", NULL, NULL },
	{ 400, "Bad Request", "malformed-request", "Malformed request" },
	{ 401, "Unauthorized", "unauthorized", "Authentication required" },
	{ 403, "Forbidden", "forbidden", "Forbidden" },
	{ 404, "Not Found", "not-found", "Resource not found" },
	{ 405, "Method Not Allowed", "method-not-allowed", "Method not allowed" },
	{ 409, "Conflict", "conflict", "Conflict" },
	{ 410, "Gone", "gone", "Gone" },
	{ 412, "Precondition Failed", "precondition-failed", "Precondition failed" },
	{ 413, "Content Too Large", "payload-too-large", "Payload too large" },
	{ 415, "Unsupported Media Type", "unsupported-media-type", "Unsupported media type" },
	{ 422, "Unprocessable Content", "validation-error", "Validation failed" },
	{ 429, "Too Many Requests", "rate-limited", "Too many requests" },
	{ 501, "Not Implemented", "not-implemented", "Not implemented" },
	{ 503, "Service Unavailable", "unavailable", "Service unavailable" },
};

#define PROBLEM_BASE	"https://taskman.dev/problems/"

static const struct status_info *
status_find(int status)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == status)
			return &statuses[i];
	return &statuses[0];	/* 500: an unlisted status is a bug */
}

static const struct { unsigned m; const char *name; } methods[] = {
	{ HTTP_GET, "GET" }, { HTTP_HEAD, "HEAD" }, { HTTP_POST, "POST" },
	{ HTTP_PUT, "PUT" }, { HTTP_PATCH, "PATCH" }, { HTTP_DELETE, "DELETE" },
	{ HTTP_OPTIONS, "OPTIONS" },
};

unsigned
http_method_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(s, methods[i].name) == 0)
			return methods[i].m;
	return HTTP_OTHER;
}

const char *
http_method_name(unsigned m)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].m == m)
			return methods[i].name;
	return "OTHER";
}

void
http_allow_string(unsigned mask, char *dst, size_t dstlen)
{
	size_t n = 0;

	dst[0] = '\0';
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if ((mask & methods[i].m) && n < dstlen)
			n += (size_t)snprintf(dst + n, dstlen - n, "%s%s",
			    n ? ", " : "", methods[i].name);
}

void
http_req_init(struct req *r, struct app *app, FCGX_Stream *in,
    FCGX_Stream *out, char **envp)
{
	memset(r, 0, sizeof(*r));
	r->app = app;
	r->in = in;
	r->out = out;
	r->envp = envp;
	r->query = "";
	r->method_name = "";
	buf_init(&r->body, 0);
	buf_init(&r->out_headers, 16384);
	buf_init(&r->out_raw, 0);
	clock_gettime(CLOCK_MONOTONIC, &r->started);
}

void
http_req_reset(struct req *r)
{
	json_object_put(r->json);
	json_object_put(r->out_json);
	r->json = r->out_json = NULL;
	buf_free(&r->body);
	buf_free(&r->out_headers);
	buf_free(&r->out_raw);
}

static const char *
param(struct req *r, const char *name)
{
	return r->envp ? FCGX_GetParam(name, r->envp) : NULL;
}

static void
request_id_new(char *dst)
{
	unsigned char	 raw[16];
	static const char hex[] = "0123456789abcdef";

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		memset(raw, 0, sizeof(raw));	/* ids are for tracing, not secrets */
	for (size_t i = 0; i < sizeof(raw); i++) {
		dst[2 * i] = hex[raw[i] >> 4];
		dst[2 * i + 1] = hex[raw[i] & 15];
	}
	dst[32] = '\0';
}

bool
http_path_ok(const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '?' || *p == '#')
			return false;
	return true;
}

int
http_parse_head(struct req *r, size_t body_limit)
{
	const char	*v, *q;
	size_t		 n;
	char		*end;
	unsigned long long cl;

	/* The request id first, so even a rejected request carries one. */
	v = param(r, "HTTP_X_REQUEST_ID");
	if (v != NULL && valid_token(v, strlen(v)))
		snprintf(r->request_id, sizeof(r->request_id), "%s", v);
	else
		request_id_new(r->request_id);

	v = param(r, "REQUEST_METHOD");
	r->method_name = v ? v : "";
	r->method = http_method_parse(r->method_name);
	if (strlen(r->method_name) > 16)
		r->method_name = "OTHER";

	/*
	 * DOCUMENT_URI is nginx's normalized, decoded path; the raw URI
	 * otherwise (cut at its query).  A decoded path with '?', '#' or a
	 * control character is refused, not cut: nginx matched its locations
	 * (rate limits, /metrics) against the whole of it, so serving a
	 * shorter path here would serve what those locations did not guard.
	 */
	v = param(r, "DOCUMENT_URI");
	if (v != NULL)
		n = strlen(v);
	else if ((v = param(r, "REQUEST_URI")) != NULL)
		n = strcspn(v, "?");
	if (v == NULL || v[0] != '/') {
		v = "/";
		n = 1;
	}
	if (n >= sizeof(r->path))
		return http_problem(r, 404, "the path is too long");
	memcpy(r->path, v, n);
	r->path[n] = '\0';
	if (!http_path_ok(r->path)) {
		/* the problem's instance must not echo it */
		snprintf(r->path, sizeof(r->path), "/");
		return http_problem(r, 400, "the path contains a character that is "
		    "not allowed (?, #, NUL or a control character)");
	}
	v = param(r, "TASKMAN_METRICS_LISTENER");
	r->metrics_listener = v != NULL && strcmp(v, "1") == 0;

	q = param(r, "QUERY_STRING");
	r->query = q ? q : "";
	r->content_type = param(r, "CONTENT_TYPE");
	r->authorization = param(r, "HTTP_AUTHORIZATION");
	r->if_match = param(r, "HTTP_IF_MATCH");
	r->if_none_match = param(r, "HTTP_IF_NONE_MATCH");
	r->idempotency_key = param(r, "HTTP_IDEMPOTENCY_KEY");
	r->prefer = param(r, "HTTP_PREFER");
	r->cookie = param(r, "HTTP_COOKIE");
	r->remote_addr = param(r, "REMOTE_ADDR");
	r->user_agent = param(r, "HTTP_USER_AGENT");
	r->origin = param(r, "HTTP_ORIGIN");
	if (r->remote_addr == NULL)
		r->remote_addr = "";

	v = r->content_length_raw = param(r, "CONTENT_LENGTH");
	if (v != NULL && *v != '\0') {
		/* digits only: strtoull would accept "-1", " 5" and "+5" */
		for (n = 0; v[n] != '\0'; n++)
			if (v[n] < '0' || v[n] > '9')
				return http_problem(r, 400, "Content-Length is not a number");
		if (n > 19)
			return http_problem(r, 413, "the body is larger than the limit");
		cl = strtoull(v, &end, 10);
		if (cl > body_limit) {
			char detail[96];

			snprintf(detail, sizeof(detail),
			    "the body is larger than the limit of %zu bytes", body_limit);
			return http_problem(r, 413, detail);
		}
		r->content_length = (size_t)cl;
		r->has_body = cl > 0;
	}
	return 0;
}

/* application/json, any case, with at most a charset=utf-8 parameter */
static bool
is_json_type(const char *ct)
{
	const char	*p;
	size_t		 n;

	if (ct == NULL)
		return false;
	n = strcspn(ct, "; \t");
	if (!(n == 16 && strncasecmp(ct, "application/json", 16) == 0))
		return false;
	for (p = ct + n; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0')
		return true;
	if (*p++ != ';')
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return true;
	if (strncasecmp(p, "charset=", 8) != 0)
		return false;
	p += 8;
	if (*p == '"')
		p++;
	return strncasecmp(p, "utf-8", 5) == 0 &&
	    (p[5] == '\0' || p[5] == '"' || p[5] == ' ' || p[5] == ';');
}

int
http_read_json(struct req *r, size_t body_limit, bool required)
{
	char		 chunk[8192];
	size_t		 want;
	int		 got;
	enum json_err	 e;

	if (!r->has_body) {
		if (required)
			return http_problem(r, 400, "a JSON body is required");
		return 0;
	}
	if (!is_json_type(r->content_type))
		return http_problem(r, 415, "the body must be application/json");
	if (r->content_length > body_limit)
		return http_problem(r, 413, "the body is larger than the limit");
	buf_init(&r->body, body_limit);
	while (r->body.len < r->content_length) {
		want = r->content_length - r->body.len;
		if (want > sizeof(chunk))
			want = sizeof(chunk);
		got = r->in ? FCGX_GetStr(chunk, (int)want, r->in) : 0;
		if (got <= 0)
			return http_problem(r, 400, "the body ended before Content-Length bytes");
		buf_append(&r->body, chunk, (size_t)got);
	}
	if (r->body.failed)
		return http_problem(r, 503, "out of memory");
	e = json_parse_strict(r->body.data, r->body.len, &r->json);
	if (e == JSON_NOMEM)
		return http_problem(r, 503, "out of memory");
	if (e != JSON_OK)
		return http_problem(r, 400, json_err_str(e));
	/* API-NOTES: a body that is not an object (array, scalar, null) is malformed */
	if (!json_object_is_type(r->json, json_type_object))
		return http_problem(r, 400, "the body must be a JSON object");
	return 0;
}

void
http_header(struct req *r, const char *name, const char *fmt, ...)
{
	char	 val[8192];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	/* a value cut short would be a wrong value (a Link to another page) */
	if (n < 0 || (size_t)n >= sizeof(val))
		return;
	/* a header value never carries a line break into the response */
	if (strpbrk(val, "\r\n") != NULL)
		return;
	buf_printf(&r->out_headers, "%s: %s\r\n", name, val);
}

static void
set_body(struct req *r, json_object *body)
{
	json_object_put(r->out_json);
	r->out_json = body;
	buf_reset(&r->out_raw);
	r->out_type = NULL;
}

int
http_json(struct req *r, int status, json_object *body)
{
	set_body(r, body);
	r->status = status;
	return status;
}

int
http_no_content(struct req *r, int status)
{
	set_body(r, NULL);
	r->status = status;
	return status;
}

int
http_raw(struct req *r, int status, const char *type, const char *data,
    size_t len)
{
	set_body(r, NULL);
	buf_append(&r->out_raw, data, len);
	r->out_type = type;
	r->status = status;
	return status;
}

static int
problem(struct req *r, int status, const char *slug, const char *title,
    const char *detail, json_object *errors)
{
	json_object	*p;
	char		 type[128];

	if ((p = json_object_new_object()) == NULL) {
		json_object_put(errors);
		return http_no_content(r, status);
	}
	snprintf(type, sizeof(type), PROBLEM_BASE "%s", slug);
	json_object_object_add(p, "type", json_object_new_string(type));
	json_object_object_add(p, "title", json_object_new_string(title));
	json_object_object_add(p, "status", json_object_new_int(status));
	/* detail and path may carry request bytes: keep the JSON valid UTF-8 */
	json_object_object_add(p, "detail", json_new_text(detail ? detail : title));
	json_object_object_add(p, "instance", json_new_text(r->path[0] ? r->path : "/"));
	json_object_object_add(p, "request_id", json_object_new_string(r->request_id));
	if (errors != NULL) {
		/* errors[] holds at most JSON_ERRORS_MAX; errors_total says how many there were */
		json_object_object_add(p, "errors_total",
		    json_object_new_int64((int64_t)json_errors_total(errors)));
		while (json_object_array_length(errors) > JSON_ERRORS_MAX)
			json_object_array_del_idx(errors, JSON_ERRORS_MAX,
			    json_object_array_length(errors) - JSON_ERRORS_MAX);
		json_object_object_add(p, "errors", errors);
	}
	if (status == 401)
		http_header(r, "WWW-Authenticate", "Bearer realm=\"taskman\"");
	return http_json(r, status, p);
}

int
http_problem(struct req *r, int status, const char *detail)
{
	const struct status_info *si = status_find(status);

	return problem(r, si->status, si->slug, si->title, detail, NULL);
}

int
http_problem_type(struct req *r, int status, const char *slug,
    const char *title, const char *detail)
{
	return problem(r, status, slug, title, detail, NULL);
}

int
http_problem_errors(struct req *r, int status, const char *detail,
    json_object *errors)
{
	const struct status_info *si = status_find(status);

	return problem(r, si->status, si->slug, si->title, detail, errors);
}

int
http_problem_field(struct req *r, int status, const char *field,
    const char *message)
{
	json_object	*errs = json_object_new_array();
	char		 detail[256];

	json_error_add(errs, field, message);
	snprintf(detail, sizeof(detail), "%s %s", field, message);
	return http_problem_errors(r, status, detail, errs);
}

int
http_db_problem(struct req *r, enum db_status s)
{
	switch (s) {
	case DB_OK:
		return 200;
	case DB_NOT_FOUND:
		return http_problem(r, 404, "no such resource");
	case DB_CONFLICT:
		return http_problem(r, 409, "a unique value is already taken");
	case DB_FK_VIOLATION:
		return http_problem(r, 422, "a referenced resource does not exist");
	case DB_INVALID:
		return http_problem(r, 422, "a value breaks a rule of the data model");
	case DB_UNAUTHENTICATED:
		return http_problem(r, 401, "the token no longer matches an enabled user");
	case DB_FORBIDDEN:
		return http_problem(r, 403, "your role does not allow that");
	case DB_TIMEOUT:
		return http_problem(r, 503, "the database did not answer in time; nothing was changed");
	case DB_RETRY:
	case DB_UNAVAILABLE:
		return http_problem(r, 503, "the database is unavailable; nothing was changed");
	case DB_ERROR:
		break;
	}
	return http_problem(r, 500, "an internal error occurred; it has been logged");
}

struct db_user
http_db_user(const struct req *r)
{
	struct db_user u;

	u.id = r->user.id;
	u.role = r->user.role;
	u.unchecked = false;
	u.sid = r->user.sid[0] != '\0' ? r->user.sid : NULL;
	return u;
}

/*
 * The 500 sent instead of a response that could not be built (a buffer
 * failed to grow, the JSON could not be serialized): a fixed text in
 * static storage (the worker is single-threaded), so sending it needs no
 * allocation.  Never a 2xx with its headers missing or its body cut.
 */
static const char *
fallback_500(const struct req *r, size_t *len)
{
	static char	 out[1024];
	char		 body[512];
	int		 nb, n;

	nb = snprintf(body, sizeof(body), "{\"type\":\"" PROBLEM_BASE "internal-error\","
	    "\"title\":\"Internal server error\",\"status\":500,"
	    "\"detail\":\"the response could not be built; it has been logged\","
	    "\"request_id\":\"%s\"}", r->request_id);
	if (nb < 0 || (size_t)nb >= sizeof(body))
		nb = snprintf(body, sizeof(body), "{\"status\":500}");
	n = snprintf(out, sizeof(out), "Status: 500 Internal Server Error\r\n"
	    "Content-Type: application/problem+json\r\nContent-Length: %d\r\n"
	    "X-Request-ID: %s\r\nCache-Control: no-store\r\n\r\n%s",
	    r->method == HTTP_HEAD ? 0 : nb, r->request_id,
	    r->method == HTTP_HEAD ? "" : body);
	*len = n < 0 ? 0 : (size_t)n >= sizeof(out) ? sizeof(out) - 1 : (size_t)n;
	return out;
}

int
http_render(struct req *r, struct http_out *o)
{
	const struct status_info *si = status_find(r->status ? r->status : 500);
	const char	*type = NULL;

	memset(o, 0, sizeof(*o));
	buf_init(&o->hb, 0);
	if (r->out_json != NULL) {
		o->body = json_object_to_json_string_ext(r->out_json,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (o->body == NULL)
			goto failed;
		o->body_len = strlen(o->body);
		type = r->status >= 400 ? "application/problem+json" :
		    "application/json; charset=utf-8";
	} else if (r->out_type != NULL) {
		if (r->out_raw.failed)
			goto failed;
		o->body = buf_cstr(&r->out_raw);
		o->body_len = r->out_raw.len;
		type = r->out_type;
	}
	if (r->out_headers.failed)
		goto failed;
	/* libfcgi's own printf knows no %zu: format with the C library */
	buf_printf(&o->hb, "Status: %d %s\r\n", si->status, si->reason);
	if (type != NULL)
		buf_printf(&o->hb, "Content-Type: %s\r\n", type);
	if (r->status != 204 && r->status != 304)
		buf_printf(&o->hb, "Content-Length: %zu\r\n", o->body_len);
	buf_printf(&o->hb, "X-Request-ID: %s\r\nCache-Control: no-store\r\n",
	    r->request_id);
	buf_append(&o->hb, buf_cstr(&r->out_headers), r->out_headers.len);
	buf_puts(&o->hb, "\r\n");
	if (o->hb.failed)
		goto failed;
	o->head = o->hb.data;
	o->head_len = o->hb.len;
	if (r->method == HTTP_HEAD || r->status == 204 || r->status == 304)
		o->body_len = 0;
	return 0;
failed:
	buf_free(&o->hb);
	o->head = fallback_500(r, &o->head_len);
	o->body = NULL;
	o->body_len = 0;
	r->status = 500;
	return -1;
}

void
http_out_free(struct http_out *o)
{
	buf_free(&o->hb);
	o->head = o->body = NULL;
}

void
http_send(struct req *r)
{
	struct http_out	 o;

	if (r->out == NULL)
		return;
	if (http_render(r, &o) != 0)
		log_msg(LOG_ERROR, "response_failed", "request %s: the response could "
		    "not be built; sent a 500 instead", r->request_id);
	FCGX_PutStr(o.head, (int)o.head_len, r->out);
	if (o.body != NULL && o.body_len > 0)
		FCGX_PutStr(o.body, (int)o.body_len, r->out);
	http_out_free(&o);
}

void
http_etag(struct req *r, long version)
{
	http_header(r, "ETag", "\"%ld\"", version);
}

/* Parses one "<digits>" (optionally W/-prefixed for If-None-Match). */
static bool
etag_parse(const char *s, size_t n, bool weak_ok, long *v)
{
	long	 x = 0;
	size_t	 i;

	if (weak_ok && n > 2 && s[0] == 'W' && s[1] == '/') {
		s += 2;
		n -= 2;
	}
	if (n < 3 || n > 20 || s[0] != '"' || s[n - 1] != '"')
		return false;
	for (i = 1; i < n - 1; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return true;
}

bool
http_prefers(const struct req *r, const char *pref)
{
	const char	*p = r->prefer;
	size_t		 n = strlen(pref), len;

	/* Prefer: a, b=c; param, ...  (RFC 7240): compare whole preferences */
	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t,");
		len = strcspn(p, ",;");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == n && strncasecmp(p, pref, n) == 0)
			return true;
		p = strchr(p, ',');
	}
	return false;
}

int
http_if_match(const struct req *r, long *version)
{
	const char	*s = r->if_match;
	size_t		 n;

	if (s == NULL)
		return 0;
	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n == 1 && s[0] == '*')
		return 2;
	return etag_parse(s, n, false, version) ? 1 : -1;
}

bool
http_not_modified(const struct req *r, long version)
{
	const char	*p = r->if_none_match, *e;
	long		 v;

	if (p == NULL)
		return false;
	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		e = p + strcspn(p, ",");
		while (e > p && e[-1] == ' ')
			e--;
		if (etag_parse(p, (size_t)(e - p), true, &v) && v == version)
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

const char *
http_cookie(const struct req *r, const char *name, char *dst, size_t dstlen)
{
	const char	*p = r->cookie;
	size_t		 n = strlen(name), vlen;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			p += n + 1;
			vlen = strcspn(p, ";");
			if (vlen >= dstlen)
				return NULL;
			memcpy(dst, p, vlen);
			dst[vlen] = '\0';
			return dst;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into dst; -1 if malformed, NUL, or too long. */
static int
query_decode(const char *s, size_t n, char *dst, size_t dstlen)
{
	size_t	 i, o = 0;
	int	 hi, lo;
	char	 c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= n)
				return -1;
			if ((hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			if (c == '\0')
				return -1;
			i += 2;
		}
		if (o + 1 >= dstlen)
			return -1;
		dst[o++] = c;
	}
	dst[o] = '\0';
	return 0;
}

int
http_query_get(const char *query, const char *name, char *dst, size_t dstlen)
{
	const char	*p = query, *amp, *eq;
	size_t		 seglen, keylen, nlen = strlen(name);
	char		 key[64];

	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		seglen = amp ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', seglen);
		keylen = eq ? (size_t)(eq - p) : seglen;
		if (keylen > 0 && query_decode(p, keylen, key, sizeof(key)) == 0 &&
		    strlen(key) == nlen && memcmp(key, name, nlen) == 0) {
			if (eq == NULL) {
				dst[0] = '\0';
				return 1;
			}
			return query_decode(eq + 1, seglen - keylen - 1, dst, dstlen)
			    == 0 ? 1 : -1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

int
http_query_each(const char *query,
    int (*fn)(const char *key, size_t keylen, void *arg), void *arg)
{
	const char	*p = query, *amp, *eq;
	size_t		 seglen, keylen;
	char		 key[64];
	int		 rc;

	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		seglen = amp ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', seglen);
		keylen = eq ? (size_t)(eq - p) : seglen;
		if (keylen > 0) {
			if (query_decode(p, keylen, key, sizeof(key)) != 0)
				rc = fn(NULL, 0, arg);	/* undecodable key */
			else
				rc = fn(key, strlen(key), arg);
			if (rc != 0)
				return rc;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}
