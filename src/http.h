/*
 * http: one request's parsed input and its response under construction,
 * plus the problem+json (RFC 9457) builders.  A struct req lives for one
 * request; everything it owns is released by http_req_reset().
 */
#ifndef TASKMAN_HTTP_H
#define TASKMAN_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "buf.h"
#include "db.h"

enum http_method {
	HTTP_GET	= 0x01,
	HTTP_HEAD	= 0x02,
	HTTP_POST	= 0x04,
	HTTP_PUT	= 0x08,
	HTTP_PATCH	= 0x10,
	HTTP_DELETE	= 0x20,
	HTTP_OPTIONS	= 0x40,
	HTTP_OTHER	= 0x80
};

#define HTTP_PATH_MAX	2048
#define HTTP_MAX_PARAMS	4
#define HTTP_UUID_LEN	36

struct app;
struct route;

/* The authenticated caller, once auth has run. */
struct http_user {
	bool	 known;
	char	 id[HTTP_UUID_LEN + 1];
	char	 role[16];
	char	 sid[HTTP_UUID_LEN + 1];	/* login session (refresh family), "" if none */
};

struct req {
	struct app		*app;		/* per-connection context */
	FCGX_Stream		*in, *out;	/* NULL in unit tests */
	char			**envp;

	unsigned		 method;	/* enum http_method */
	const char		*method_name;
	char			 path[HTTP_PATH_MAX];
	const char		*query;		/* raw, "" when absent */
	const char		*content_type;
	const char		*authorization;
	const char		*if_match;
	const char		*if_none_match;
	const char		*idempotency_key;
	const char		*prefer;	/* Prefer (RFC 7240) or NULL */
	const char		*cookie;
	const char		*remote_addr;
	const char		*user_agent;
	const char		*origin;
	const char		*content_length_raw;
	/* nginx's metrics listener sent it (FastCGI TASKMAN_METRICS_LISTENER=1) */
	bool			 metrics_listener;
	size_t			 content_length;
	bool			 has_body;
	struct buf		 body;		/* NUL-terminated */
	json_object		*json;		/* parsed body, owned */

	char			 request_id[129];
	char			 params[HTTP_MAX_PARAMS][HTTP_UUID_LEN + 1];
	int			 nparams;
	const struct route	*route;
	struct http_user	 user;
	struct timespec		 started;

	/* the response */
	int			 status;
	json_object		*out_json;	/* owned */
	struct buf		 out_headers;	/* "Name: value\r\n" lines */
	struct buf		 out_raw;	/* a non-JSON body */
	const char		*out_type;	/* its content type */

	/* a streamed response (http_stream_begin): already on the wire */
	bool			 streamed;
	bool			 stream_failed;	/* a write failed or the body was cut */
};

/* A decoded path the worker serves: no '?', '#', NUL or control character. */
bool	 http_path_ok(const char *path);
/* Prepares r for a new request from libfcgi's environment. */
void	 http_req_init(struct req *r, struct app *app, FCGX_Stream *in,
	    FCGX_Stream *out, char **envp);
/* Frees everything r owns. */
void	 http_req_reset(struct req *r);

/*
 * Reads method, path, query, headers and the request id from envp.
 * Returns 0, or an HTTP status with the problem body already set.
 */
int	 http_parse_head(struct req *r, size_t body_limit);
/*
 * Checks the content type and reads the body (<= body_limit, checked
 * against CONTENT_LENGTH before any byte is read), then parses it
 * strictly into r->json.  required: a body must be present.
 * Returns 0 or an HTTP status with the problem set.
 */
int	 http_read_json(struct req *r, size_t body_limit, bool required);

/* Response builders: each returns status so a handler can return it. */
int	 http_json(struct req *r, int status, json_object *body);	/* takes body */
int	 http_no_content(struct req *r, int status);
int	 http_raw(struct req *r, int status, const char *type, const char *data,
	    size_t len);
int	 http_problem(struct req *r, int status, const char *detail);
/* For statuses with several problem types (409): slug and title given. */
int	 http_problem_type(struct req *r, int status, const char *slug,
	    const char *title, const char *detail);
/* 422 (or another status) with errors[] (taken over). */
int	 http_problem_errors(struct req *r, int status, const char *detail,
	    json_object *errors);
/* status with errors[] naming one field; detail "<field> <message>". */
int	 http_problem_field(struct req *r, int status, const char *field,
	    const char *message);
/* Maps a db_status to the contract's problem (404 for DB_NOT_FOUND...). */
int	 http_db_problem(struct req *r, enum db_status s);
/* The authenticated caller as the database user of r's statements (with its session). */
struct db_user http_db_user(const struct req *r);
void	 http_header(struct req *r, const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* ETag: "<version>" on single-resource responses. */
void	 http_etag(struct req *r, long version);
/*
 * If-Match: returns 0 when absent, 1 with *version set, 2 for "*",
 * -1 when it is not one strong ETag of ours.
 */
int	 http_if_match(const struct req *r, long *version);
/* One If-Match value s (a batch operation's if_match): as http_if_match(). */
int	 http_etag_value(const char *s, long *version);
/* Whether the request's Prefer header holds the preference pref ("a=b"). */
bool	 http_prefers(const struct req *r, const char *pref);
/* True when If-None-Match names version (or "*"): answer 304. */
bool	 http_not_modified(const struct req *r, long version);
/* The value of cookie name into dst; NULL if absent or too long. */
const char *http_cookie(const struct req *r, const char *name, char *dst,
	    size_t dstlen);

/*
 * The response as bytes: head (status line, headers, blank line) and body
 * (owned by r, NULL when none).  When any part could not be built (a
 * buffer that failed to grow, JSON that could not be serialized), head is
 * a complete 500 problem instead, body is NULL, r->status becomes 500 and
 * -1 is returned.  Release with http_out_free().
 */
struct http_out {
	const char	*head, *body;
	size_t		 head_len, body_len;
	struct buf	 hb;		/* head's storage (unless the fallback) */
};
int	 http_render(struct req *r, struct http_out *o);
void	 http_out_free(struct http_out *o);
/* Writes status line, headers and body to r->out (http_render()). */
void	 http_send(struct req *r);

/*
 * Streaming, for a body too large to build in memory (GET /api/v1/export).
 * http_stream_begin() writes the status line and the headers collected so
 * far (http_header()), without Content-Length: nginx sends the body chunked.
 * After it the response can no longer become an error response; the
 * handler writes the body with http_stream_write() as it is produced
 * (libfcgi copies it into its stream buffer and flushes that to the
 * socket when full, so the worker holds at most that buffer), then calls
 * http_stream_end().  The caller keeps ownership of data.  For HEAD only
 * the head is sent and writes are dropped.
 *
 * A failure after begin cannot be reported in the body: http_stream_end
 * with complete = false (or a failed write) marks the response cut short,
 * and the worker then aborts the FastCGI connection (serve() in
 * taskman-fcgi.c), so nginx aborts the client's transfer instead of ending
 * the chunked body as if it were whole.
 *
 * Each returns 0, or -1 when the stream is broken (the client is gone);
 * after -1 further writes are no-ops.  The handler returns r->status.
 */
int	 http_stream_begin(struct req *r, int status, const char *type);
int	 http_stream_write(struct req *r, const char *data, size_t len);
int	 http_stream_end(struct req *r, bool complete);

/* Looks up a query parameter, percent-decoded into dst.  Returns
 * 1 found, 0 absent, -1 malformed or longer than dstlen - 1. */
int	 http_query_get(const char *query, const char *name, char *dst,
	    size_t dstlen);
/* Calls fn for every key in the query; stops and returns fn's nonzero. */
int	 http_query_each(const char *query,
	    int (*fn)(const char *key, size_t keylen, void *arg), void *arg);

const char *http_method_name(unsigned m);
unsigned    http_method_parse(const char *s);
/* "GET, POST" for a method mask, into dst. */
void	    http_allow_string(unsigned mask, char *dst, size_t dstlen);

#endif
