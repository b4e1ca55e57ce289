#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <libpq-fe.h>

#include "harness.h"

struct sink {
	char	*p;
	size_t	 len;
};

static size_t
sink_write(char *data, size_t size, size_t n, void *arg)
{
	struct sink	*s = arg;
	size_t		 add = size * n;
	char		*p = realloc(s->p, s->len + add + 1);

	if (p == NULL)
		return 0;
	memcpy(p + s->len, data, add);
	s->p = p;
	s->len += add;
	s->p[s->len] = '\0';
	return add;
}

int
h_request(const char *method, const char *path, const char *body,
    size_t body_len, const char *const *headers, struct resp *out)
{
	const char		*base = getenv("TASKMAN_TEST_URL");
	CURL			*c;
	struct curl_slist	*hl = NULL;
	struct sink		 b = { NULL, 0 }, h = { NULL, 0 };
	char			 url[4096];
	int			 rc = -1;

	memset(out, 0, sizeof(*out));
	if (base == NULL)
		cr_assert_fail("TASKMAN_TEST_URL is not set");
	/* an absolute URL (another listener, e.g. the metrics one) as it is */
	if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
		base = "";
	snprintf(url, sizeof(url), "%s%s", base, path);
	if ((c = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	/* curl would otherwise add "Expect: 100-continue" to large bodies */
	hl = curl_slist_append(hl, "Expect:");
	for (int i = 0; headers != NULL && headers[i] != NULL; i++)
		hl = curl_slist_append(hl, headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		rc = 0;
	}
	out->body = b.p ? b.p : strdup("");
	out->body_len = b.len;
	out->headers = h.p ? h.p : strdup("");
	if (out->body_len > 0)
		out->json = json_tokener_parse(out->body);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return rc;
}

int
h_json(const char *method, const char *path, const char *json,
    const char *bearer, struct resp *out)
{
	char		 auth[8300];
	const char	*hdrs[3] = { "Content-Type: application/json", NULL, NULL };

	if (bearer != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
		hdrs[1] = auth;
	}
	return h_request(method, path, json, json ? strlen(json) : 0, hdrs, out);
}

void
resp_free(struct resp *r)
{
	free(r->body);
	free(r->headers);
	json_object_put(r->json);
	memset(r, 0, sizeof(*r));
}

const char *
resp_header(const struct resp *r, const char *name, char *dst, size_t dstlen)
{
	const char	*p = r->headers;
	size_t		 n = strlen(name), vlen;

	/* the last header block wins (after a 100 Continue, say) */
	const char	*found = NULL;

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			found = p + n + 1;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (found == NULL)
		return NULL;
	while (*found == ' ')
		found++;
	vlen = strcspn(found, "\r\n");
	if (vlen >= dstlen)
		vlen = dstlen - 1;
	memcpy(dst, found, vlen);
	dst[vlen] = '\0';
	return dst;
}

const char *
resp_str(const struct resp *r, const char *key)
{
	json_object *v;

	if (r->json == NULL || !json_object_object_get_ex(r->json, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

void
h_expect_problem(const struct resp *r, long status, const char *slug)
{
	char		 ct[128], rid[160], type[160];
	json_object	*v;

	cr_expect_eq(r->status, status, "status %ld, want %ld; body %s",
	    r->status, status, r->body);
	cr_expect_not_null(resp_header(r, "Content-Type", ct, sizeof(ct)));
	cr_expect_str_eq(ct, "application/problem+json", "content type");
	cr_assert_not_null(r->json, "problem body is JSON: %s", r->body);
	snprintf(type, sizeof(type), "https://taskman.dev/problems/%s", slug);
	cr_expect_str_eq(resp_str(r, "type") ? resp_str(r, "type") : "", type);
	cr_expect_not_null(resp_str(r, "title"));
	cr_expect(json_object_object_get_ex(r->json, "status", &v) &&
	    json_object_get_int(v) == status, "status member");
	cr_assert_not_null(resp_header(r, "X-Request-ID", rid, sizeof(rid)),
	    "X-Request-ID header");
	cr_expect_str_eq(resp_str(r, "request_id") ? resp_str(r, "request_id") : "",
	    rid, "request_id equals X-Request-ID");
}

int
h_stack(const char *args)
{
	const char	*ctl = getenv("TASKMAN_TEST_STACK");
	char		 cmd[1024];
	int		 rc;

	if (ctl == NULL)
		cr_assert_fail("TASKMAN_TEST_STACK is not set");
	snprintf(cmd, sizeof(cmd), "%s %s", ctl, args);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

int
h_sql(const char *sql, char *dst, size_t dstlen)
{
	const char	*url = getenv("TASKMAN_TEST_ADMIN_DATABASE_URL");
	PGconn		*c;
	PGresult	*r;
	int		 rc = -1;

	if (url == NULL)
		cr_assert_fail("TASKMAN_TEST_ADMIN_DATABASE_URL is not set");
	c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK)
		goto out;
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) {
		snprintf(dst, dstlen, "%s", PQgetvalue(r, 0, 0));
		rc = 0;
	} else if (PQresultStatus(r) == PGRES_COMMAND_OK) {
		dst[0] = '\0';
		rc = 0;
	}
	PQclear(r);
out:
	PQfinish(c);
	return rc;
}

void
h_skip_note(const char *fmt, ...)
{
	const char	*path = getenv("TASKMAN_TEST_SKIP_FILE");
	char		 why[512], line[768];
	va_list		 ap;
	int		 fd, n;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	why[strcspn(why, "\n")] = '\0';
	n = snprintf(line, sizeof(line), "integration %s/%s: %s\n",
	    criterion_current_test ? criterion_current_test->category : "?",
	    criterion_current_test ? criterion_current_test->name : "?", why);
	if (path == NULL || *path == '\0' || n <= 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	/* one write(2) per line: tests run in parallel children */
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0)
		return;
	if (write(fd, line, (size_t)n) < 0)
		cr_log_warn("could not record the skip in %s", path);
	close(fd);
}
