/*
 * Unit tests of issue 10's worker-side pieces: the path guard, the
 * metrics-listener flag, the external-issuer configuration rule, the cap
 * on errors[], client networks for throttling, libpq keepalives, and the
 * candidate hash computed from a stored hash's settings.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "auth/password.h"
#include "auth/throttle.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "json.h"

static char *env_of[16];

static void
req_with(struct req *r, const char *const *kv)
{
	int i;

	for (i = 0; kv[i] != NULL && i < 15; i++)
		env_of[i] = (char *)kv[i];
	env_of[i] = NULL;
	http_req_init(r, NULL, NULL, NULL, env_of);
}

Test(security_unit, decoded_paths_with_query_fragment_or_controls_are_refused)
{
	static const struct { const char *uri; int st; } t[] = {
		{ "DOCUMENT_URI=/metrics", 0 },
		{ "DOCUMENT_URI=/metrics?", 400 },
		{ "DOCUMENT_URI=/metrics?x=1", 400 },
		{ "DOCUMENT_URI=/api/v1/auth/login?", 400 },
		{ "DOCUMENT_URI=/api/v1/auth/login#", 400 },
		{ "DOCUMENT_URI=/api/v1/auth/login\x01", 400 },
		{ "DOCUMENT_URI=/api/v1/auth/login\t", 400 },
		{ "DOCUMENT_URI=/api/v1/auth/login\x7f", 400 },
		{ "DOCUMENT_URI=/api/v1/auth/login\r\n", 400 },
		/* the raw URI (no nginx in front) is still cut at its query */
		{ "REQUEST_URI=/x?y", 0 },
		{ "REQUEST_URI=/x#y", 400 },
	};
	struct req r;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *kv[] = { "REQUEST_METHOD=GET", t[i].uri, NULL };

		req_with(&r, kv);
		cr_expect_eq(http_parse_head(&r, 1024), t[i].st, "%s", t[i].uri);
		if (t[i].st != 0)
			cr_expect_str_eq(r.path, "/", "the problem does not echo %s", t[i].uri);
		http_req_reset(&r);
	}
	cr_expect(http_path_ok("/api/v1/tasks/search"));
	cr_expect(!http_path_ok("/a\x1f" "b"));
}

Test(security_unit, metrics_listener_flag_comes_only_from_the_fastcgi_param)
{
	struct req r;
	const char *with[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/metrics",
	    "TASKMAN_METRICS_LISTENER=1", NULL };
	const char *header[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/metrics",
	    "HTTP_TASKMAN_METRICS_LISTENER=1", NULL };

	req_with(&r, with);
	cr_assert_eq(http_parse_head(&r, 1024), 0);
	cr_expect(r.metrics_listener);
	http_req_reset(&r);
	req_with(&r, header);
	cr_assert_eq(http_parse_head(&r, 1024), 0);
	cr_expect(!r.metrics_listener, "a request header cannot set it");
	http_req_reset(&r);
}

Test(security_unit, jwks_without_external_audience_is_a_config_error)
{
	struct config	c;
	char		err[256] = "";

	setenv("TASKMAN_JWT_SECRET", "0123456789abcdef0123456789abcdef0", 1);
	setenv("TASKMAN_JWKS_FILE", "/nonexistent/jwks.json", 1);
	setenv("TASKMAN_EXTERNAL_ISSUER", "https://issuer.example", 1);
	unsetenv("TASKMAN_EXTERNAL_AUDIENCE");
	cr_expect_eq(config_load(&c, err, sizeof(err)), -1);
	cr_expect(strstr(err, "TASKMAN_EXTERNAL_AUDIENCE") != NULL, "%s", err);
	cr_expect_eq(CONFIG_EXIT_BAD, 78);
	setenv("TASKMAN_EXTERNAL_AUDIENCE", "taskman", 1);
	cr_expect_eq(config_load(&c, err, sizeof(err)), 0, "%s", err);
	unsetenv("TASKMAN_JWKS_FILE");
	unsetenv("TASKMAN_EXTERNAL_ISSUER");
	unsetenv("TASKMAN_EXTERNAL_AUDIENCE");
}

Test(security_unit, hash_concurrency_defaults_to_half_the_workers)
{
	struct config	c;
	char		err[256] = "";

	setenv("TASKMAN_JWT_SECRET", "0123456789abcdef0123456789abcdef0", 1);
	unsetenv("TASKMAN_JWKS_FILE");
	unsetenv("TASKMAN_EXTERNAL_ISSUER");
	unsetenv("TASKMAN_HASH_CONCURRENCY");
	setenv("TASKMAN_WORKERS", "8", 1);
	cr_assert_eq(config_load(&c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.hash_concurrency, 4);
	setenv("TASKMAN_WORKERS", "1", 1);
	cr_assert_eq(config_load(&c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.hash_concurrency, 1);
	setenv("TASKMAN_HASH_CONCURRENCY", "0", 1);
	cr_expect_eq(config_load(&c, err, sizeof(err)), -1);
	unsetenv("TASKMAN_HASH_CONCURRENCY");
	unsetenv("TASKMAN_WORKERS");
}

Test(security_unit, errors_array_is_capped_and_counted)
{
	struct req	 r;
	json_object	*errs = json_object_new_array(), *e;
	const char	*kv[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/x", NULL };
	char		 f[32];

	for (int i = 0; i < 5000; i++) {
		snprintf(f, sizeof(f), "f%d", i);
		json_error_add(errs, f, "unknown field");
	}
	cr_expect_eq(json_object_array_length(errs), JSON_ERRORS_MAX);
	cr_expect_eq(json_errors_total(errs), 5000);
	req_with(&r, kv);
	cr_assert_eq(http_parse_head(&r, 1024), 0);
	cr_expect_eq(http_problem_errors(&r, 422, "bad", errs), 422);
	cr_assert(json_object_object_get_ex(r.out_json, "errors", &e));
	cr_expect_eq(json_object_array_length(e), 20);
	cr_assert(json_object_object_get_ex(r.out_json, "errors_total", &e));
	cr_expect_eq(json_object_get_int(e), 5000);
	http_req_reset(&r);
}

Test(security_unit, client_networks)
{
	static const struct { const char *in, *out; } t[] = {
		{ "192.0.2.1", "192.0.2.1" },
		{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
		{ "2001:db8:1:2:ffff::7", "2001:db8:1:2::/64" },
		{ "2001:db8::1", "2001:db8::/64" },
		{ "2001:db8:0:5:1:2:3:4", "2001:db8:0:5::/64" },
		{ "::1", "::/64" },
		{ "::ffff:192.0.2.7", "192.0.2.7" },
		{ "", "" },
		{ "not an address", "not an address" },
	};
	char out[THROTTLE_NET_MAX];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		throttle_client_net(t[i].in, out, sizeof(out));
		cr_expect_str_eq(out, t[i].out, "%s", t[i].in);
	}
}

Test(security_unit, libpq_keepalives_bound_a_dead_database)
{
	struct db	 db;
	const char	*keys[DB_CONN_PARAMS], *vals[DB_CONN_PARAMS];
	char		 bufs[3][32];
	bool		 ka = false, ut = false, idle = false;

	db_init(&db, "dbname=x", 5000);
	db_conn_params(&db, keys, vals, bufs);
	for (int i = 0; keys[i] != NULL; i++) {
		if (strcmp(keys[i], "keepalives") == 0)
			ka = strcmp(vals[i], "1") == 0;
		if (strcmp(keys[i], "keepalives_idle") == 0)
			idle = atoi(vals[i]) >= 1 && atoi(vals[i]) <= 6;
		if (strcmp(keys[i], "tcp_user_timeout") == 0)
			ut = atoi(vals[i]) > 5000 && atoi(vals[i]) <= 10000;
	}
	cr_expect(ka && idle && ut, "keepalives %d, idle %d, tcp_user_timeout %d", ka, idle, ut);
}

Test(security_unit, candidate_from_settings_matches_only_the_right_password)
{
	struct password_params	 pp = { 19456, 2, 1 };
	char			 hash[PASSWORD_HASH_MAX], settings[PASSWORD_HASH_MAX];
	char			 cand[PASSWORD_HASH_MAX], *cut;

	cr_assert_eq(password_hash(&pp, "correct horse", 13, hash, sizeof(hash)), 0);
	snprintf(settings, sizeof(settings), "%s", hash);
	cr_assert_not_null(cut = strrchr(settings, '$'));
	*cut = '\0';
	cr_assert_eq(password_candidate(settings, 32, "correct horse", 13, cand,
	    sizeof(cand)), 0);
	cr_expect_str_eq(cand, hash);
	cr_assert_eq(password_candidate(settings, 32, "wrong horse!", 12, cand,
	    sizeof(cand)), 0);
	cr_expect_str_neq(cand, hash);
	/* a row cannot make the worker allocate beyond the configurable maximum */
	cr_expect_eq(password_candidate("$argon2id$v=19$m=8388608,t=2,p=1$c2FsdHNhbHRzYWx0",
	    32, "x", 1, cand, sizeof(cand)), -1);
	cr_expect_eq(password_candidate("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0",
	    32, "x", 1, cand, sizeof(cand)), -1);
}
