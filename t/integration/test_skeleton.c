/*
 * The walking skeleton over real HTTP: routing errors, body limits,
 * request ids, health, and the workers' survival of a PostgreSQL restart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

Test(skeleton, live_is_ok_with_request_id_and_security_headers)
{
	struct resp	r;
	char		v[256];

	cr_assert_eq(h_request("GET", "/health/live", NULL, 0, NULL, &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_str_eq(resp_str(&r, "status"), "ok");
	cr_expect_not_null(resp_header(&r, "X-Request-ID", v, sizeof(v)));
	cr_expect_not_null(resp_header(&r, "Content-Type", v, sizeof(v)));
	cr_expect_str_eq(v, "application/json; charset=utf-8");
	cr_expect_not_null(resp_header(&r, "X-Content-Type-Options", v, sizeof(v)));
	cr_expect_str_eq(v, "nosniff");
	cr_expect_not_null(resp_header(&r, "X-Frame-Options", v, sizeof(v)));
	cr_expect_str_eq(v, "DENY");
	cr_expect_not_null(resp_header(&r, "Server", v, sizeof(v)));
	cr_expect_str_eq(v, "nginx", "no version in Server");
	resp_free(&r);
}

Test(skeleton, head_has_no_body)
{
	struct resp r;

	cr_assert_eq(h_request("HEAD", "/health/live", NULL, 0, NULL, &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_eq(r.body_len, 0);
	resp_free(&r);
}

Test(skeleton, ready_reports_database_latency)
{
	struct resp	 r;
	json_object	*db, *lat;

	cr_assert_eq(h_request("GET", "/health/ready", NULL, 0, NULL, &r), 0);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(resp_str(&r, "status"), "ok");
	cr_assert(json_object_object_get_ex(r.json, "database", &db));
	cr_expect(json_object_object_get_ex(db, "latency_ms", &lat));
	cr_expect(json_object_get_double(lat) >= 0.0);
	resp_free(&r);
}

Test(skeleton, startup_reports_schema_version)
{
	struct resp	 r;
	json_object	*v, *w;

	cr_assert_eq(h_request("GET", "/health/startup", NULL, 0, NULL, &r), 0);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_assert(json_object_object_get_ex(r.json, "schema_version", &v));
	cr_assert(json_object_object_get_ex(r.json, "expected_schema_version", &w));
	cr_expect_eq(json_object_get_int(v), json_object_get_int(w));
	resp_free(&r);
}

Test(skeleton, unknown_path_is_404_problem)
{
	struct resp r;

	cr_assert_eq(h_request("GET", "/no/such/path", NULL, 0, NULL, &r), 0);
	h_expect_problem(&r, 404, "not-found");
	cr_expect_str_eq(resp_str(&r, "instance"), "/no/such/path");
	resp_free(&r);
}

Test(skeleton, undecodable_path_bytes_never_reach_the_json)
{
	struct resp r;

	/* nginx hands over the path percent-decoded: a lone 0xFF byte */
	cr_assert_eq(h_request("GET", "/%FF", NULL, 0, NULL, &r), 0);
	h_expect_problem(&r, 404, "not-found");
	cr_expect_str_eq(resp_str(&r, "instance"), "/\xef\xbf\xbd", "U+FFFD, not 0xFF");
	resp_free(&r);
}

Test(skeleton, wrong_method_is_405_with_allow)
{
	struct resp	r;
	char		allow[128];

	cr_assert_eq(h_request("DELETE", "/health/live", NULL, 0, NULL, &r), 0);
	h_expect_problem(&r, 405, "method-not-allowed");
	cr_assert_not_null(resp_header(&r, "Allow", allow, sizeof(allow)));
	cr_expect_str_eq(allow, "GET, HEAD");
	resp_free(&r);
}

/*
 * Issue 11: a 405 nginx makes itself (TRACE, refused before any location)
 * carries Allow too: GET, HEAD for the static files, the API's methods
 * elsewhere.  The worker's own 405 keeps exactly one Allow, its own.
 */
Test(skeleton, nginx_own_405_has_allow)
{
	struct resp	 r;
	char		 allow[128];
	const char	*h;

	cr_assert_eq(h_request("TRACE", "/docs/assets/redoc.standalone.js", NULL, 0, NULL, &r), 0);
	h_expect_problem(&r, 405, "method-not-allowed");
	cr_assert_not_null(resp_header(&r, "Allow", allow, sizeof(allow)), "%s", r.headers);
	cr_expect_str_eq(allow, "GET, HEAD");
	resp_free(&r);
	cr_assert_eq(h_request("TRACE", "/api/v1/tasks", NULL, 0, NULL, &r), 0);
	h_expect_problem(&r, 405, "method-not-allowed");
	cr_assert_not_null(resp_header(&r, "Allow", allow, sizeof(allow)), "%s", r.headers);
	cr_expect_not_null(strstr(allow, "GET"), "%s", allow);
	resp_free(&r);
	cr_assert_eq(h_request("PUT", "/api/v1/tasks", NULL, 0, NULL, &r), 0);
	h_expect_problem(&r, 405, "method-not-allowed");
	h = strstr(r.headers, "\nAllow:");
	cr_assert_not_null(h, "%s", r.headers);
	cr_expect_null(strstr(h + 1, "\nAllow:"), "one Allow: %s", r.headers);
	resp_free(&r);
}

Test(skeleton, client_request_id_is_echoed_and_bad_one_replaced)
{
	struct resp	 r;
	char		 v[256];
	const char	*good[] = { "X-Request-ID: test-echo-42", NULL };
	const char	*bad[] = { "X-Request-ID: bad id with spaces", NULL };

	cr_assert_eq(h_request("GET", "/nope", NULL, 0, good, &r), 0);
	cr_expect_str_eq(resp_header(&r, "X-Request-ID", v, sizeof(v)), "test-echo-42");
	cr_expect_str_eq(resp_str(&r, "request_id"), "test-echo-42");
	resp_free(&r);
	cr_assert_eq(h_request("GET", "/nope", NULL, 0, bad, &r), 0);
	cr_assert_not_null(resp_header(&r, "X-Request-ID", v, sizeof(v)));
	cr_expect_str_neq(v, "bad id with spaces");
	h_expect_problem(&r, 404, "not-found");
	resp_free(&r);
}

Test(skeleton, body_over_limit_is_413_without_reaching_a_worker)
{
	struct resp	 r;
	size_t		 n = 1048576 + 1;
	char		*big = malloc(n);
	const char	*h[] = { "Content-Type: application/json",
	    "X-Request-ID: big-body-413", NULL };

	cr_assert_not_null(big);
	memset(big, 'a', n);
	cr_assert_eq(h_request("POST", "/api/v1/auth/login", big, n, h, &r), 0);
	h_expect_problem(&r, 413, "payload-too-large");
	resp_free(&r);
	free(big);
	/* nginx refused it: no worker logged that request id */
	cr_expect_neq(h_stack("workers-log | grep -q big-body-413"), 0);
}

Test(skeleton, worker_survives_postgresql_restart, .timeout = 120)
{
	struct resp	r;
	char		before[4096] = "", after[4096] = "";
	int		i;
	FILE		*f;
	const char	*ctl = getenv("TASKMAN_TEST_STACK");
	char		cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s workers-pids", ctl);
	cr_assert_not_null(f = popen(cmd, "r"));
	fread(before, 1, sizeof(before) - 1, f);
	pclose(f);
	cr_assert_neq(strlen(before), 0, "no worker pids");

	cr_assert_eq(h_stack("pg-stop"), 0);
	/* readiness is cached for 2 s per worker (TASKMAN_HEALTH_CACHE_MS) */
	sleep(3);
	/* several requests, so that every worker notices its broken connection */
	for (i = 0; i < 8; i++) {
		cr_assert_eq(h_request("GET", "/health/ready", NULL, 0, NULL, &r), 0);
		h_expect_problem(&r, 503, "unavailable");
		resp_free(&r);
	}
	cr_assert_eq(h_stack("pg-start"), 0);
	sleep(3);
	for (i = 0; i < 8; i++) {
		cr_assert_eq(h_request("GET", "/health/ready", NULL, 0, NULL, &r), 0);
		cr_expect_eq(r.status, 200, "attempt %d after restart: %s", i, r.body);
		resp_free(&r);
	}
	f = popen(cmd, "r");
	fread(after, 1, sizeof(after) - 1, f);
	pclose(f);
	cr_expect_str_eq(after, before, "no worker exited or was replaced");
}

/* Lines of the workers' log matching pattern. */
static int
log_count(const char *pattern)
{
	char	 cmd[512];
	FILE	*f;
	int	 n = -1;

	snprintf(cmd, sizeof(cmd), "%s workers-log | grep -c '%s'",
	    getenv("TASKMAN_TEST_STACK"), pattern);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	pclose(f);
	return n;
}

Test(skeleton, sigterm_ends_a_worker_cleanly_and_it_is_replaced, .timeout = 60)
{
	struct resp	r;
	int		died = log_count("worker_died"), stopped = log_count("worker_stop");

	cr_assert_eq(h_stack("worker-signal TERM"), 0);
	sleep(2);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(h_request("GET", "/health/live", NULL, 0, NULL, &r), 0);
		cr_expect_eq(r.status, 200);
		resp_free(&r);
	}
	cr_expect_eq(log_count("worker_died"), died,
	    "a worker stopped by SIGTERM exits 0, not as a crash");
	cr_expect_eq(log_count("worker_stop"), stopped + 1);
}
