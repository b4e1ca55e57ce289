/*
 * Issue 10 over real HTTP (nginx -> workers -> PostgreSQL): access tokens
 * bound to their session, a refused identity that cannot write, throttling
 * that reserves an attempt before the password is checked, current_password
 * counted like a login, the cap on concurrent Argon2 work, bounded errors[],
 * the metrics listener, external e-mails only when verified, and pruning.
 * The production nginx config's path handling and IPv6 keys are tested by
 * t/integration/test_nginx_prod.sh; definer functions by test_definer.sh.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <libpq-fe.h>

#include "harness.h"
#include "metrics.h"
#include "test_auth_util.h"

/* ------------------------------------------------------------------ */
/* 6. access tokens bound to their session                             */

Test(security, logout_ends_that_sessions_access_token_at_once)
{
	struct sess	 s;
	struct resp	 r;
	char		 body[256];

	au_register_user(&s, "sec-logout");
	au_login(&s);
	cr_assert_eq(au_me_status(s.access), 200);
	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", s.refresh);
	cr_assert_eq(h_json("POST", "/api/v1/auth/logout", body, NULL, &r), 0);
	cr_assert_eq(r.status, 204, "%s", r.body);
	resp_free(&r);
	cr_expect_eq(au_me_status(s.access), 401, "the access token outlived its logout");
}

Test(security, password_change_ends_the_other_sessions_access_tokens)
{
	struct sess	 a, b;
	struct resp	 r;
	char		 body[256];

	au_register_user(&a, "sec-pwchange");
	au_login(&a);
	b = a;
	au_login(&b);		/* a second login: another session */
	cr_assert_eq(au_me_status(b.access), 200);
	snprintf(body, sizeof(body), "{\"current_password\":\"%s\",\"password\":\"%s\"}",
	    a.password, NEW_PASSWORD);
	au_secret_record("password", NEW_PASSWORD);
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", body, a.access, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	cr_expect_eq(au_me_status(b.access), 401, "the other session's token still works");
	cr_expect_eq(au_me_status(a.access), 200, "the changing session keeps working");
}

Test(security, refresh_reuse_ends_the_familys_access_tokens)
{
	struct sess	 s;
	struct resp	 r;
	char		 old_refresh[128], old_access[TOKEN_MAX];

	au_register_user(&s, "sec-reuse");
	au_login(&s);
	snprintf(old_refresh, sizeof(old_refresh), "%s", s.refresh);
	snprintf(old_access, sizeof(old_access), "%s", s.access);
	au_refresh(&s);
	cr_assert_eq(au_me_status(s.access), 200);
	/* the spent token again: theft assumed, the family is revoked */
	cr_assert_eq(au_refresh_raw(old_refresh, &r), 0);
	cr_expect_eq(r.status, 401, "%s", r.body);
	resp_free(&r);
	cr_expect_eq(au_me_status(s.access), 401, "the newest access token still works");
	cr_expect_eq(au_me_status(old_access), 401, "the first access token still works");
}

Test(security, disable_ends_access_tokens_at_once)
{
	struct sess	 admin, u;
	struct resp	 r;
	char		 path[128];

	au_user_with_role(&admin, "sec-admin", "admin");
	au_register_user(&u, "sec-disabled");
	au_login(&u);
	cr_assert_eq(au_me_status(u.access), 200);
	snprintf(path, sizeof(path), "/api/v1/admin/users/%s", u.id);
	cr_assert_eq(au_req_bearer("PATCH", path, "{\"disabled\":true}", admin.access, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	cr_expect_eq(au_me_status(u.access), 401);
}

/* A revoked session's token: 401, and the write it carried did not commit. */
Test(security, a_refused_identity_commits_no_write)
{
	struct sess	 s;
	struct resp	 r;
	char		 body[256];

	au_register_user(&s, "sec-nowrite");
	au_login(&s);
	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", s.refresh);
	cr_assert_eq(h_json("POST", "/api/v1/auth/logout", body, NULL, &r), 0);
	resp_free(&r);
	cr_assert_eq(au_req_bearer("POST", "/api/v1/projects", "{\"name\":\"after logout\"}",
	    s.access, &r), 0);
	cr_expect_eq(r.status, 401, "%s", r.body);
	resp_free(&r);
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", "{\"display_name\":\"x\"}",
	    s.access, &r), 0);
	cr_expect_eq(r.status, 401, "%s", r.body);
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM projects WHERE owner_id = '%s'", s.id), 0);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM users WHERE id = '%s' AND "
	    "display_name IS NULL AND version = 1", s.id), 1);
}

/* SQLSTATE of sql run as the workers' role (TASKMAN_TEST_DATABASE_URL), "" if it worked. */
static void
as_app(const char *sql, char *state, size_t len)
{
	PGconn		*c = PQconnectdb(getenv("TASKMAN_TEST_DATABASE_URL"));
	PGresult	*r;
	const char	*ss;

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	r = PQexec(c, sql);
	ss = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	snprintf(state, len, "%s", ss ? ss : "");
	PQclear(r);
	PQfinish(c);
}

/* The same at the database: after a refused check nothing the transaction writes commits. */
Test(security, a_refused_identity_leaves_a_read_only_transaction)
{
	struct sess	 s;
	struct resp	 r;
	char		 sql[1024], state[8], sid[64], body[256];
	json_object	*cl;

	au_register_user(&s, "sec-readonly");
	au_login(&s);
	cl = au_jwt_claims(s.access);
	snprintf(sid, sizeof(sid), "%s", au_jstr(cl, "sid"));
	json_object_put(cl);
	snprintf(sql, sizeof(sql), "SELECT taskman_set_user('%s', 'user', '%s')::int / 1; "
	    "INSERT INTO audit_events (action) VALUES ('test.live_session')", s.id, sid);
	as_app(sql, state, sizeof(state));
	cr_expect_str_eq(state, "", "a live session may write");
	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", s.refresh);
	cr_assert_eq(h_json("POST", "/api/v1/auth/logout", body, NULL, &r), 0);
	resp_free(&r);
	snprintf(sql, sizeof(sql), "BEGIN; SELECT taskman_set_user('%s', 'user', '%s'); "
	    "INSERT INTO audit_events (action) VALUES ('test.revoked_session'); COMMIT", s.id, sid);
	as_app(sql, state, sizeof(state));
	cr_expect_str_eq(state, "25006", "a write after a refused check: SQLSTATE %s", state);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = "
	    "'test.revoked_session'"), 0);
	snprintf(sql, sizeof(sql), "BEGIN; SELECT taskman_set_user('%s', 'user', '%s'); "
	    "SELECT 1 / count(*) FROM users", s.id, sid);
	as_app(sql, state, sizeof(state));
	cr_expect_str_eq(state, "22012", "a refused identity still saw users (SQLSTATE %s)", state);
}

/* ------------------------------------------------------------------ */
/* 5. throttling: reserved before the password is checked              */

static size_t
discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

/* n concurrent requests; fills status[] */
static void
concurrent_logins(const char *email, const char *password, int n, long *status)
{
	CURLM			*m = curl_multi_init();
	CURL			*h[64];
	struct curl_slist	*hdr = NULL;
	char			 url[512], body[512];
	int			 running, i;

	cr_assert(n <= 64);
	snprintf(url, sizeof(url), "%s/api/v1/auth/login", getenv("TASKMAN_TEST_URL"));
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	for (i = 0; i < n; i++) {
		h[i] = curl_easy_init();
		curl_easy_setopt(h[i], CURLOPT_URL, url);
		curl_easy_setopt(h[i], CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h[i], CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h[i], CURLOPT_TIMEOUT, 60L);
		curl_multi_add_handle(m, h[i]);
	}
	do {
		curl_multi_perform(m, &running);
		curl_multi_wait(m, NULL, 0, 100, NULL);
	} while (running > 0);
	for (i = 0; i < n; i++) {
		status[i] = 0;
		curl_easy_getinfo(h[i], CURLINFO_RESPONSE_CODE, &status[i]);
		curl_multi_remove_handle(m, h[i]);
		curl_easy_cleanup(h[i]);
	}
	curl_slist_free_all(hdr);
	curl_multi_cleanup(m);
}

Test(security, concurrent_guesses_cannot_all_pass, .timeout = 120)
{
	struct sess	 s;
	long		 st[24];
	int		 i, n401 = 0, n429 = 0, other = 0;

	au_register_user(&s, "sec-race");
	au_reset_addr_throttle();
	concurrent_logins(s.email, "wrong password 1", 24, st);
	for (i = 0; i < 24; i++) {
		if (st[i] == 401)
			n401++;
		else if (st[i] == 429)
			n429++;
		else if (st[i] != 503)	/* the Argon2 cap may refuse some: fine */
			other++;
	}
	cr_expect_leq(n401, 5, "%d of 24 concurrent guesses reached the password check", n401);
	cr_expect_geq(n429, 1, "none was refused as locked");
	cr_expect_eq(other, 0);
	au_reset_addr_throttle();
}

Test(security, lockout_is_per_network_with_a_soft_account_delay)
{
	struct sess	 s;
	char		 v[64];

	au_register_user(&s, "sec-target");
	/* five wrong passwords from one network lock only that network */
	for (int i = 0; i < 5; i++) {
		au_sql(v, sizeof(v), "SELECT retry_after FROM taskman_login_begin('%s', "
		    "'203.0.113.9', 5, 20, 10)", s.email);
		cr_expect_str_eq(v, "0", "attempt %d", i + 1);
	}
	au_sql(v, sizeof(v), "SELECT retry_after FROM taskman_login_begin('%s', "
	    "'203.0.113.9', 5, 20, 10)", s.email);
	cr_expect_gt(atol(v), 0, "the attacker's network is locked");
	/* the real user, from their own network, over HTTP: not locked out */
	cr_expect_eq(au_sql_long("SELECT count(*) FROM login_throttle WHERE key = "
	    "taskman_throttle_pair_key('%s', '127.0.0.1') AND locked_until > now()", s.email), 0);
	au_login(&s);
	/* account-wide only a soft delay: at most 8 s, after 10 attempts */
	for (int i = 0; i < 10; i++)
		au_sql(v, sizeof(v), "SELECT retry_after FROM taskman_login_begin('%s', "
		    "'198.51.100.%d', 5, 20, 10)", s.email, i + 1);
	au_sql(v, sizeof(v), "SELECT retry_after FROM taskman_login_begin('%s', "
	    "'192.0.2.55', 5, 20, 10)", s.email);
	cr_expect(atol(v) >= 1 && atol(v) <= 8, "soft delay %s s", v);
	au_sql(v, sizeof(v), "DELETE FROM login_throttle WHERE key = taskman_throttle_account_key('%s')",
	    s.email);
}

Test(security, current_password_failures_count_against_the_login_throttle)
{
	struct sess	 s;
	struct resp	 r;
	char		 body[256];
	int		 i;

	au_register_user(&s, "sec-reauth");
	au_login(&s);
	au_reset_addr_throttle();
	snprintf(body, sizeof(body), "{\"current_password\":\"not it at all\",\"password\":\"%s\"}",
	    NEW_PASSWORD);
	for (i = 0; i < 5; i++) {
		cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", body, s.access, &r), 0);
		cr_expect_eq(r.status, 422, "attempt %d: %s", i + 1, r.body);
		resp_free(&r);
	}
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", body, s.access, &r), 0);
	cr_expect_eq(r.status, 429, "%s", r.body);
	cr_expect_not_null(au_hdr(&r, "Retry-After"));
	resp_free(&r);
	/* the same lock applies to a login of that account from this network */
	cr_assert_eq(au_login_raw(s.email, s.password, &r), 0);
	cr_expect_eq(r.status, 429, "%s", r.body);
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = "
	    "'reauth.failure' AND actor_id = '%s'", s.id), 5);
	au_reset_addr_throttle();
}

/* ------------------------------------------------------------------ */
/* 4. the pool-wide cap on Argon2 work; unknown accounts cost the same */

static const char *
metrics_url(void)
{
	static char url[512];

	snprintf(url, sizeof(url), "%s/metrics", getenv("TASKMAN_TEST_METRICS_URL"));
	return url;
}

static double
metric(const char *name)
{
	struct resp	 r;
	const char	*p;
	double		 v = -1;
	size_t		 n = strlen(name);

	cr_assert_eq(h_request("GET", metrics_url(), NULL, 0, NULL, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	for (p = r.body; (p = strstr(p, name)) != NULL; p += n)
		if ((p == r.body || p[-1] == '\n') && p[n] == ' ') {
			v = atof(p + n + 1);
			break;
		}
	resp_free(&r);
	return v;
}

Test(security, unknown_accounts_cost_one_argon2_computation_like_real_ones)
{
	struct sess	 s;
	struct resp	 r;
	double		 a, b, c;

	au_register_user(&s, "sec-timing");
	a = metric("taskman_password_hashes_total");
	cr_assert_eq(au_login_raw(s.email, "wrong but long enough", &r), 0);
	cr_expect_eq(r.status, 401);
	resp_free(&r);
	b = metric("taskman_password_hashes_total");
	cr_assert_eq(au_login_raw("nobody-at-all@example.com", "wrong but long enough", &r), 0);
	cr_expect_eq(r.status, 401);
	resp_free(&r);
	c = metric("taskman_password_hashes_total");
	cr_expect_eq(b - a, 1.0, "known account: %.0f computations", b - a);
	cr_expect_eq(c - b, 1.0, "unknown account: %.0f computations", c - b);
	au_reset_addr_throttle();
}

/* The stack's shared metrics region (TASKMAN_METRICS_FILE of scripts/lib/stack.sh). */
static struct metrics_region *
region(void)
{
	char			 cmd[512], path[1024] = "";
	FILE			*f;
	int			 fd;
	struct metrics_region	*mr;

	snprintf(cmd, sizeof(cmd), ". %s/stack.env && echo \"$STACK_RT/run/taskman.metrics\"",
	    getenv("TASKMAN_STACK_DIR"));
	cr_assert_not_null(f = popen(cmd, "r"));
	cr_assert_not_null(fgets(path, sizeof(path), f));
	pclose(f);
	path[strcspn(path, "\n")] = '\0';
	cr_assert_geq(fd = open(path, O_RDWR), 0, "%s", path);
	mr = mmap(NULL, sizeof(*mr), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	cr_assert_neq(mr, MAP_FAILED);
	return mr;
}

Test(security, argon2_cap_answers_503_with_retry_after, .timeout = 60)
{
	struct metrics_region	*mr = region();
	struct sess		 s;
	struct resp		 r;
	int			 taken[8], ntaken = 0, i;
	double			 busy0;

	au_register_user(&s, "sec-cap");
	busy0 = metric("taskman_password_hash_busy_total");
	/* this process takes free slots and pretends to hash in each: the cap
	 * (TASKMAN_HASH_CONCURRENCY, half of 4 workers) is then reached */
	for (i = 0; i < METRICS_SLOTS && ntaken < 8; i++) {
		int32_t zero = 0;

		if (__atomic_compare_exchange_n(&mr->slots[i].pid, &zero, (int32_t)getpid(),
		    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&mr->slots[i].hashing, 1, __ATOMIC_SEQ_CST);
			taken[ntaken++] = i;
		}
	}
	cr_assert_eq(ntaken, 8);
	cr_assert_eq(au_login_raw(s.email, s.password, &r), 0);
	cr_expect_eq(r.status, 503, "%s", r.body);
	cr_expect_str_eq(au_hdr(&r, "Retry-After") ? au_hdr(&r, "Retry-After") : "", "1");
	resp_free(&r);
	cr_assert_eq(au_login_raw("nobody-cap@example.com", "whatever it is", &r), 0);
	cr_expect_eq(r.status, 503, "unknown accounts wait the same: %s", r.body);
	resp_free(&r);
	cr_assert(h_json("POST", "/api/v1/auth/register",
	    "{\"email\":\"sec-cap-new@example.com\",\"password\":\"long enough pw\"}", NULL, &r) == 0);
	cr_expect_eq(r.status, 503, "%s", r.body);
	resp_free(&r);
	for (i = 0; i < ntaken; i++) {
		__atomic_store_n(&mr->slots[taken[i]].hashing, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&mr->slots[taken[i]].pid, 0, __ATOMIC_SEQ_CST);
	}
	cr_expect_geq(metric("taskman_password_hash_busy_total") - busy0, 3.0);
	cr_assert_eq(au_login_raw(s.email, s.password, &r), 0);
	cr_expect_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	munmap(mr, sizeof(*mr));
	au_reset_addr_throttle();
}

/* ------------------------------------------------------------------ */
/* 8. bounded error bodies                                             */

Test(security, a_megabyte_of_unknown_fields_gives_20_errors_and_a_count)
{
	struct sess	 s;
	struct resp	 r;
	char		*body;
	size_t		 cap = 1000000, n = 0;
	int		 i;
	json_object	*errs, *total;

	au_register_user(&s, "sec-errcap");
	au_login(&s);
	body = malloc(cap + 64);
	n += (size_t)sprintf(body + n, "{");
	for (i = 0; n < cap - 32; i++)
		n += (size_t)sprintf(body + n, "%s\"u%d\":1", i ? "," : "", i);
	n += (size_t)sprintf(body + n, "}");
	{
		char auth[TOKEN_MAX + 32];
		const char *hdr[] = { "Content-Type: application/json", auth, NULL };

		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s.access);
		cr_assert_eq(h_request("POST", "/api/v1/projects", body, n, hdr, &r), 0);
	}
	cr_expect_eq(r.status, 422, "%.300s", r.body);
	cr_expect_lt(r.body_len, 8192, "a %zu-byte error body", r.body_len);
	cr_assert_not_null(r.json, "%.300s", r.body);
	cr_assert(json_object_object_get_ex(r.json, "errors", &errs));
	cr_expect_eq(json_object_array_length(errs), 20);
	cr_assert(json_object_object_get_ex(r.json, "errors_total", &total));
	cr_expect_geq(json_object_get_int(total), i, "errors_total %d, fields %d",
	    json_object_get_int(total), i);
	resp_free(&r);
	free(body);
}

/* ------------------------------------------------------------------ */
/* 3. /metrics only on its own listener                                */

Test(security, metrics_only_on_the_metrics_listener)
{
	static const char *const spellings[] = { "/metrics", "/metrics/", "//metrics",
	    "/metrics%3F", "/metrics%3f", "/metrics?x=1", "/%6detrics", "/metrics%23",
	    "/metrics%00", "/./metrics", "/x/../metrics", NULL };
	struct resp	 r;

	for (int i = 0; spellings[i] != NULL; i++) {
		cr_assert_eq(h_request("GET", spellings[i], NULL, 0, NULL, &r), 0);
		cr_expect(r.status == 404 || r.status == 400, "%s: %ld", spellings[i], r.status);
		cr_expect(strstr(r.body, "taskman_http_requests_total") == NULL, "%s served metrics",
		    spellings[i]);
		resp_free(&r);
	}
	cr_assert_eq(h_request("GET", metrics_url(), NULL, 0, NULL, &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, "taskman_http_requests_total") != NULL);
	resp_free(&r);
}

/* ------------------------------------------------------------------ */
/* 7. external issuer: an e-mail is stored only when verified          */

Test(security, external_email_is_stored_only_when_verified)
{
	EVP_PKEY	*k = au_ext_key();
	static const char *const verified[] = { NULL, "false", "\"true\"", "true" };
	struct resp	 r;
	char		 sub[96], email[160], *t;
	json_object	*c;

	for (int i = 0; i < 4; i++) {
		au_unique(sub, sizeof(sub), "ext-verified");
		snprintf(email, sizeof(email), "%s@external.example.com", sub);
		c = au_ext_claims(sub, email);
		json_object_object_del(c, "email_verified");
		if (verified[i] != NULL)
			json_object_object_add(c, "email_verified", json_tokener_parse(verified[i]));
		t = au_ext_sign(c, k, NULL);
		au_secret_record("access", t);
		cr_assert_eq(au_req_bearer("GET", "/api/v1/users/me", NULL, t, &r), 0);
		cr_assert_eq(r.status, 200, "%s", r.body);
		if (i == 3)
			cr_expect_str_eq(resp_str(&r, "email") ? resp_str(&r, "email") : "(null)", email);
		else
			cr_expect_null(resp_str(&r, "email"), "email_verified %s: stored %s",
			    verified[i] ? verified[i] : "absent", resp_str(&r, "email"));
		resp_free(&r);
		free(t);
		json_object_put(c);
	}
	EVP_PKEY_free(k);
}

/* ------------------------------------------------------------------ */
/* 9. taskmanctl prune                                                 */

Test(security, taskmanctl_prune_deletes_expired_rows_only)
{
	struct sess	 s;
	char		 cmd[2048], v[64];
	const char	*bin = getenv("TASKMAN_BIN"), *url = getenv("TASKMAN_MIGRATE_DATABASE_URL");

	if (bin == NULL || url == NULL)
		AU_SKIP("TASKMAN_BIN / TASKMAN_MIGRATE_DATABASE_URL not set");
	au_register_user(&s, "sec-prune");
	au_sql(v, sizeof(v), "INSERT INTO login_throttle (key, window_start, failures) VALUES "
	    "('addr:prune-old', now() - interval '1 hour', 3), ('addr:prune-new', now(), 3) "
	    "ON CONFLICT (key) DO UPDATE SET window_start = excluded.window_start "
	    "RETURNING 1");
	au_sql(v, sizeof(v), "INSERT INTO refresh_sessions (user_id, family_id, token_hash, "
	    "created_at, expires_at) VALUES ('%s', gen_random_uuid(), sha256('%s-old'), "
	    "now() - interval '10 days', now() - interval '2 days'), ('%s', gen_random_uuid(), "
	    "sha256('%s-new'), now(), now() + interval '1 day') RETURNING 1", s.id, s.id, s.id, s.id);
	au_sql(v, sizeof(v), "INSERT INTO idempotency_keys (owner_id, key, method, path, "
	    "request_hash, created_at) VALUES ('%s', 'old', 'POST', '/x', sha256('a'), "
	    "now() - interval '25 hours'), ('%s', 'new', 'POST', '/x', sha256('b'), now()) "
	    "RETURNING 1", s.id, s.id);
	snprintf(cmd, sizeof(cmd), "TASKMAN_MIGRATE_DATABASE_URL='%s' '%s/taskmanctl' prune "
	    ">/dev/null", url, bin);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM login_throttle WHERE key LIKE 'addr:prune-%%'"), 1);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM login_throttle WHERE key = 'addr:prune-new'"), 1);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM refresh_sessions WHERE user_id = '%s'", s.id), 1);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM refresh_sessions WHERE user_id = '%s' "
	    "AND token_hash = sha256('%s-new')", s.id, s.id), 1);
	au_sql(v, sizeof(v), "DELETE FROM login_throttle WHERE key = 'addr:prune-new' RETURNING 1");
	cr_expect_eq(au_sql_long("SELECT count(*) FROM idempotency_keys WHERE owner_id = '%s'", s.id), 1);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM idempotency_keys WHERE owner_id = '%s' "
	    "AND key = 'new'", s.id), 1);
	/* the workers' role may not run it */
	cr_expect_eq(au_sql_long("SELECT count(*) FROM pg_proc p WHERE proname = 'taskman_prune' "
	    "AND has_function_privilege('taskman_app', p.oid, 'EXECUTE')"), 0);
}

/* ------------------------------------------------------------------ */
/* 2. what the app role can read                                       */

Test(security, the_app_role_cannot_read_password_hashes)
{
	cr_expect_eq(au_sql_long("SELECT count(*) FROM information_schema.column_privileges "
	    "WHERE grantee = 'taskman_app' AND table_name = 'users' AND column_name = "
	    "'password_hash' AND privilege_type = 'SELECT'"), 0);
	cr_expect_eq(au_sql_long("SELECT has_column_privilege('taskman_app', 'users', "
	    "'password_hash', 'SELECT')::int"), 0);
	cr_expect_eq(au_sql_long("SELECT has_column_privilege('taskman_app', 'users', "
	    "'email', 'SELECT')::int"), 1);
	cr_expect_eq(au_sql_long("SELECT has_function_privilege('taskman_app', "
	    "'taskman_login_lookup(text, text)', 'EXECUTE')::int"), 0);
	cr_expect_eq(au_sql_long("SELECT has_table_privilege('taskman_app', 'login_throttle', "
	    "'SELECT')::int"), 0);
	{
		char state[8];

		as_app("SELECT password_hash FROM users LIMIT 1", state, sizeof(state));
		cr_expect_str_eq(state, "42501");
		as_app("SELECT * FROM users LIMIT 1", state, sizeof(state));
		cr_expect_str_eq(state, "42501");
		as_app("SELECT * FROM taskman_login_lookup('a@b.c', '127.0.0.1')", state, sizeof(state));
		cr_expect_str_eq(state, "42501");
		as_app("DELETE FROM login_throttle", state, sizeof(state));
		cr_expect_str_eq(state, "42501");
	}
}
