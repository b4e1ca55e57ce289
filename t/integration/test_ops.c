/*
 * Operations over real HTTP: metrics summed across worker processes,
 * CORS, nginx's rate limits, the OpenAPI document against the route table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

#include "harness.h"
#include "plan_util.h"
#include "router.h"

/* The value of the sample line that starts with prefix (name + labels). */
/* The metrics listener's /metrics (TASKMAN_TEST_METRICS_URL, scripts/check). */
static const char *
metrics_url(void)
{
	static char	 url[512];
	const char	*base = getenv("TASKMAN_TEST_METRICS_URL");

	if (base == NULL)
		cr_assert_fail("TASKMAN_TEST_METRICS_URL is not set");
	snprintf(url, sizeof(url), "%s/metrics", base);
	return url;
}

static double
metric(const char *text, const char *prefix)
{
	const char	*p = text;
	size_t		 n = strlen(prefix);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
			return atof(p + n + 1);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return 0;
}

static size_t
discard(char *d, size_t s, size_t n, void *a)
{
	(void)d;
	(void)a;
	return s * n;
}

/* n requests to path at once (curl multi), each with X-Request-ID prefix-i. */
static int
burst(const char *path, int n, const char *prefix)
{
	CURLM			*m = curl_multi_init();
	CURL			*h[64];
	struct curl_slist	*hdr[64];
	char			 url[512], rid[128];
	int			 running = 0, ok = 0, i;
	long			 code;

	cr_assert(n <= 64);
	snprintf(url, sizeof(url), "%s%s", getenv("TASKMAN_TEST_URL"), path);
	for (i = 0; i < n; i++) {
		h[i] = curl_easy_init();
		snprintf(rid, sizeof(rid), "X-Request-ID: %s-%d", prefix, i);
		hdr[i] = curl_slist_append(NULL, rid);
		curl_easy_setopt(h[i], CURLOPT_URL, url);
		curl_easy_setopt(h[i], CURLOPT_HTTPHEADER, hdr[i]);
		curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h[i], CURLOPT_FORBID_REUSE, 1L);
		curl_multi_add_handle(m, h[i]);
	}
	do {
		curl_multi_perform(m, &running);
		if (running)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	} while (running);
	for (i = 0; i < n; i++) {
		curl_easy_getinfo(h[i], CURLINFO_RESPONSE_CODE, &code);
		if (code == 200)
			ok++;
		curl_multi_remove_handle(m, h[i]);
		curl_easy_cleanup(h[i]);
		curl_slist_free_all(hdr[i]);
	}
	curl_multi_cleanup(m);
	return ok;
}

Test(ops, metrics_add_up_across_workers, .timeout = 60)
{
	struct resp	 r;
	double		 before, after;
	const char	*key = "taskman_http_requests_total{route=\"/health/startup\","
	    "method=\"GET\",status=\"2xx\"}";
	char		 cmd[512];
	FILE		*f;
	int		 pids = 0;

	cr_assert_eq(h_request("GET", metrics_url(), NULL, 0, NULL, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	before = metric(r.body, key);
	resp_free(&r);

	cr_assert_eq(burst("/health/startup", 48, "ops-metrics"), 48);

	cr_assert_eq(h_request("GET", metrics_url(), NULL, 0, NULL, &r), 0);
	after = metric(r.body, key);
	cr_expect(strstr(r.body, "# TYPE taskman_http_request_duration_seconds histogram") != NULL);
	cr_expect(strstr(r.body, "taskman_db_roundtrip_seconds_count") != NULL);
	cr_expect(metric(r.body, "taskman_workers") >= 2, "live workers counted");
	resp_free(&r);
	cr_expect_eq(after - before, 48.0, "48 requests counted, got %.0f", after - before);

	/* the burst really was served by more than one process */
	snprintf(cmd, sizeof(cmd), "%s workers-log | grep '\"request_id\":\"ops-metrics-' | "
	    "grep -o '\"pid\":[0-9]*' | sort -u | wc -l", getenv("TASKMAN_TEST_STACK"));
	cr_assert_not_null(f = popen(cmd, "r"));
	cr_assert_eq(fscanf(f, "%d", &pids), 1);
	pclose(f);
	cr_expect_geq(pids, 2, "the 48 requests were served by %d worker(s)", pids);
}

Test(ops, a_crashed_worker_is_replaced_and_counted, .timeout = 60)
{
	struct resp	 r;
	const char	*key = "taskman_worker_restarts_total";
	double		 before, after;
	int		 i;

	cr_assert_eq(h_request("GET", metrics_url(), NULL, 0, NULL, &r), 0);
	before = metric(r.body, key);
	resp_free(&r);
	cr_assert_eq(h_stack("worker-signal KILL"), 0);
	sleep(2);	/* the supervisor waits 1 s before restarting a fresh crash */
	for (i = 0; i < 8; i++) {
		cr_assert_eq(h_request("GET", "/health/live", NULL, 0, NULL, &r), 0);
		cr_expect_eq(r.status, 200);
		resp_free(&r);
	}
	cr_assert_eq(h_request("GET", metrics_url(), NULL, 0, NULL, &r), 0);
	after = metric(r.body, key);
	cr_expect_eq(after - before, 1.0, "restarts %.0f -> %.0f", before, after);
	cr_expect_geq(metric(r.body, "taskman_workers"), 4, "all workers back");
	resp_free(&r);
}

/* The worker pids, sorted, as one string. */
static void
worker_pids(char *dst, size_t len)
{
	char	 cmd[512];
	FILE	*f;
	size_t	 n;

	snprintf(cmd, sizeof(cmd), "%s workers-pids | sort", getenv("TASKMAN_TEST_STACK"));
	cr_assert_not_null(f = popen(cmd, "r"));
	n = fread(dst, 1, len - 1, f);
	dst[n] = '\0';
	pclose(f);
}

Test(ops, sighup_replaces_workers_without_dropping_requests, .timeout = 60)
{
	char	before[1024], after[1024];
	int	i, ok = 0;

	worker_pids(before, sizeof(before));
	cr_assert_neq(strlen(before), 0);
	cr_assert_eq(h_stack("supervisor-signal HUP"), 0);
	/* requests keep being answered while the workers are replaced */
	for (i = 0; i < 6; i++)
		ok += burst("/health/live", 16, "ops-reload");
	cr_expect_eq(ok, 6 * 16, "%d of %d requests answered 200 during the reload", ok, 6 * 16);
	sleep(2);
	worker_pids(after, sizeof(after));
	cr_expect_str_neq(after, before, "the workers were replaced");
	cr_expect_eq(strlen(after) > 0, true);
}

Test(ops, cors_allowed_origin_gets_headers)
{
	struct resp	 r;
	char		 v[256];
	const char	*h[] = { "Origin: https://app.example.test", NULL };

	cr_assert_eq(h_request("GET", "/health/live", NULL, 0, h, &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(resp_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)),
	    "https://app.example.test");
	cr_expect_str_eq(resp_header(&r, "Access-Control-Allow-Credentials", v, sizeof(v)), "true");
	cr_assert_not_null(resp_header(&r, "Access-Control-Expose-Headers", v, sizeof(v)));
	cr_expect(strstr(v, "ETag") && strstr(v, "X-Request-ID") && strstr(v, "Location") &&
	    strstr(v, "Link") && strstr(v, "Retry-After"), "%s", v);
	cr_expect_str_eq(resp_header(&r, "Vary", v, sizeof(v)), "Origin");
	resp_free(&r);
}

Test(ops, cors_other_origin_gets_none)
{
	struct resp	 r;
	char		 v[256];
	const char	*h[] = { "Origin: https://evil.example", NULL };
	const char	*pre[] = { "Origin: https://evil.example",
	    "Access-Control-Request-Method: POST", NULL };

	cr_assert_eq(h_request("GET", "/health/live", NULL, 0, h, &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_null(resp_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
	cr_expect_null(resp_header(&r, "Access-Control-Allow-Credentials", v, sizeof(v)));
	resp_free(&r);
	cr_assert_eq(h_request("OPTIONS", "/api/v1/auth/login", NULL, 0, pre, &r), 0);
	h_expect_problem(&r, 403, "forbidden");
	cr_expect_null(resp_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
	resp_free(&r);
}

Test(ops, cors_preflight)
{
	struct resp	 r;
	char		 v[256];
	const char	*h[] = { "Origin: https://app.example.test",
	    "Access-Control-Request-Method: POST",
	    "Access-Control-Request-Headers: content-type, authorization", NULL };

	cr_assert_eq(h_request("OPTIONS", "/api/v1/auth/login", NULL, 0, h, &r), 0);
	cr_expect_eq(r.status, 204);
	cr_expect_str_eq(resp_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)),
	    "https://app.example.test");
	cr_assert_not_null(resp_header(&r, "Access-Control-Allow-Methods", v, sizeof(v)));
	cr_expect(strstr(v, "POST") != NULL, "%s", v);
	cr_assert_not_null(resp_header(&r, "Access-Control-Allow-Headers", v, sizeof(v)));
	cr_expect(strstr(v, "Authorization") && strstr(v, "Content-Type") &&
	    strstr(v, "If-Match") && strstr(v, "Idempotency-Key"), "%s", v);
	cr_expect_str_eq(resp_header(&r, "Access-Control-Max-Age", v, sizeof(v)), "600");
	resp_free(&r);
}

/* "/api/v1/tasks/{id}" -> "/api/v1/tasks/{}" so parameter names do not matter */
static void
normalise(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (const char *p = in; *p != '\0' && o + 3 < len; p++) {
		if (*p == '{') {
			out[o++] = '{';
			out[o++] = '}';
			while (*p != '\0' && *p != '}')
				p++;
			if (*p == '\0')
				break;
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
}

Test(ops, openapi_lists_every_route)
{
	struct resp	 r, y;
	json_object	*paths, *item;
	char		 want[256], have[256], method[16], v[128];
	size_t		 i, k;

	cr_assert_eq(h_request("GET", "/api/v1/openapi.json", NULL, 0, NULL, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_not_null(r.json, "the served document parses as JSON");
	cr_assert(json_object_object_get_ex(r.json, "paths", &paths));
	for (i = 0; i < router_nroutes; i++) {
		bool found = false;

		normalise(router_routes[i].pattern, want, sizeof(want));
		snprintf(method, sizeof(method), "%s", http_method_name(router_routes[i].method));
		for (k = 0; method[k]; k++)
			method[k] = (char)(method[k] - 'A' + 'a');
		json_object_object_foreach(paths, p, ops) {
			normalise(p, have, sizeof(have));
			if (strcmp(have, want) == 0 &&
			    json_object_object_get_ex(ops, method, &item))
				found = true;
		}
		cr_expect(found, "openapi.json lacks %s %s", method, router_routes[i].pattern);
	}
	resp_free(&r);
	cr_assert_eq(h_request("GET", "/api/v1/openapi.yaml", NULL, 0, NULL, &y), 0);
	cr_expect_eq(y.status, 200);
	cr_expect_str_eq(resp_header(&y, "Content-Type", v, sizeof(v)),
	    "application/yaml; charset=utf-8");
	cr_expect(strncmp(y.body, "openapi: ", 9) == 0);
	resp_free(&y);
}

Test(ops, docs_page_is_served_without_a_cdn)
{
	struct resp	r;
	char		v[256];

	cr_assert_eq(h_request("GET", "/docs", NULL, 0, NULL, &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(resp_header(&r, "Content-Type", v, sizeof(v)), "text/html; charset=utf-8");
	cr_expect(strstr(r.body, "/api/v1/openapi.json") != NULL);
	cr_expect(strstr(r.body, "https://") == NULL, "no third-party script");
	resp_free(&r);
}

static void
limits_back_to_local(void)
{
	if (h_stack("nginx-reload local") != 0)
		fprintf(stderr, "could not restore the local rate limits\n");
}

/* Switches nginx to the production limits, and back whatever happens. */
Test(ops, nginx_rate_limits_logins, .timeout = 120, .fini = limits_back_to_local)
{
	struct resp	 r;
	char		 v[64];
	int		 i, limited = 0, first = -1;
	const char	*body = "{\"email\":\"nobody-rl@example.test\",\"password\":\"x\"}";

	cr_assert_eq(h_stack("nginx-reload production"), 0);
	for (i = 0; i < 40 && limited == 0; i++) {
		cr_assert_eq(h_json("POST", "/api/v1/auth/login", body, NULL, &r), 0);
		if (r.status == 429) {
			limited = 1;
			first = i;
			h_expect_problem(&r, 429, "rate-limited");
			cr_expect_not_null(resp_header(&r, "Retry-After", v, sizeof(v)));
			cr_expect(atoi(v) >= 1, "Retry-After %s", v);
		}
		resp_free(&r);
	}
	cr_expect(limited, "no 429 after 40 rapid logins under production limits");
	cr_expect(first > 0, "the first request is never limited");
}

/* A statement that outlives TASKMAN_STATEMENT_TIMEOUT_MS (5 s) is a 503 that changed nothing. */
Test(ops, statement_timeout_is_503_and_changes_nothing, .timeout = 90)
{
	struct pu_user	 u;
	struct resp	 r;
	char		 cmd[1024], before[64], after[64];
	long		 n0, n1;

	pu_user_fresh(&u, NULL);
	n0 = pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s'", u.id);
	pu_sql(before, sizeof(before), "SELECT version FROM users WHERE id = '%s'", u.id);
	/* another session holds the tasks table for 8 s */
	snprintf(cmd, sizeof(cmd), "psql -q -X \"%s\" -c 'BEGIN; LOCK TABLE tasks IN "
	    "ACCESS EXCLUSIVE MODE; SELECT pg_sleep(8); COMMIT;' >/dev/null 2>&1 &",
	    getenv("TASKMAN_TEST_ADMIN_DATABASE_URL"));
	cr_assert_eq(system(cmd), 0);
	sleep(1);
	pu_call(&r, &u, "POST", "/api/v1/tasks", "{\"title\":\"too slow\"}", NULL, NULL);
	h_expect_problem(&r, 503, "unavailable");
	cr_expect(strstr(r.body, "SELECT") == NULL && strstr(r.body, "INSERT") == NULL &&
	    strstr(r.body, "taskman_") == NULL && strstr(r.body, "statement") == NULL,
	    "no SQL in the problem: %s", r.body);
	resp_free(&r);
	sleep(8);
	n1 = pu_sql_long("SELECT count(*) FROM tasks WHERE owner_id = '%s'", u.id);
	cr_expect_eq(n1, n0, "the timed-out create left no row");
	pu_sql(after, sizeof(after), "SELECT version FROM users WHERE id = '%s'", u.id);
	cr_expect_str_eq(after, before);
	/* and the worker serves the next request normally */
	pu_call(&r, &u, "POST", "/api/v1/tasks", "{\"title\":\"in time\"}", NULL, NULL);
	cr_expect_eq(r.status, 201, "%s", r.body);
	resp_free(&r);
}
