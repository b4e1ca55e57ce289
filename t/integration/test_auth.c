/*
 * Authentication and accounts over real HTTP (nginx -> workers ->
 * PostgreSQL), API.md section 2: every endpoint's success and error cases,
 * refresh rotation and reuse detection, the refresh cookie, roles, admin
 * user management, brute-force throttling, `taskmanctl user` (suite
 * auth_cli), and a final scan of the logs for leaked secrets (suite
 * zz_auth_leaks, which criterion runs after the others).  The JWT attack
 * table and the external issuer are in test_auth_jwt.c; the environment
 * they need is described in test_auth_util.h.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "test_auth_util.h"

/* ================================================================== */
/* register */

Test(auth_register, created_with_location_and_no_secret)
{
	struct sess	 s;
	struct resp	 r;
	char		 body[512], v[64];
	json_object	*u;

	au_sess_new(&s, "reg");
	au_secret_record("password", s.password);
	/* sent as "Reg-...@Example.com": stored and returned lower-cased */
	s.email[0] = 'R';
	memcpy(strchr(s.email, '@') + 1, "Ex", 2);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\","
	    "\"username\":\"u%lx%ld\",\"display_name\":\"Régine Test\"}", s.email,
	    s.password, (long)time(NULL), (long)getpid());
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
	cr_expect_eq(r.status, 201, "%ld %s", r.status, r.body);
	cr_expect_str_eq(au_hdr(&r, "Location") ? au_hdr(&r, "Location") : "", "/api/v1/users/me");
	cr_expect_str_eq(au_hdr(&r, "ETag") ? au_hdr(&r, "ETag") : "", "\"1\"");
	cr_expect(au_has_str(au_hdr(&r, "Content-Type"), "application/json"));
	au_expect_clean(&r, s.password);
	u = r.json;
	cr_assert_not_null(u);
	s.email[0] = 'r';
	memcpy(strchr(s.email, '@') + 1, "ex", 2);
	cr_expect_str_eq(au_jstr(u, "email"), s.email);
	cr_expect_str_eq(au_jstr(u, "role"), "user");
	cr_expect_str_eq(au_jstr(u, "display_name"), "Régine Test");
	cr_expect(json_object_get_boolean(au_jget(u, "disabled")) == 0);
	cr_expect(au_jget(u, "disabled") != NULL);
	cr_expect_not_null(au_jstr(u, "created_at"));
	cr_expect_not_null(au_jstr(u, "updated_at"));
	cr_expect_eq(au_jget(u, "password"), NULL);
	cr_expect_eq(au_jget(u, "password_hash"), NULL);
	cr_expect_eq(au_jget(u, "external_subject"), NULL);
	cr_expect_eq(strlen(au_jstr(u, "id") ? au_jstr(u, "id") : ""), 36);
	/* stored as an Argon2id PHC string with at least OWASP's parameters */
	au_sql(v, sizeof(v), "SELECT left(password_hash, 31) FROM users WHERE id = '%s'",
	    au_jstr(u, "id"));
	cr_expect_str_eq(v, "$argon2id$v=19$m=19456,t=2,p=1$");
	resp_free(&r);
}

Test(auth_register, conflicts_on_email_any_case_and_on_username)
{
	struct sess	 a;
	struct resp	 r;
	char		 body[512], upper[160], uname[64];
	size_t		 i;

	au_sess_new(&a, "dup");
	snprintf(uname, sizeof(uname), "Dup%lx%ld", (long)time(NULL), (long)getpid());
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\",\"username\":\"%s\"}",
	    a.email, a.password, uname);
	au_secret_record("password", a.password);
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
	cr_assert_eq(r.status, 201, "%s", r.body);
	resp_free(&r);

	for (i = 0; a.email[i] != '\0' && i < sizeof(upper) - 1; i++)
		upper[i] = (char)((a.email[i] >= 'a' && a.email[i] <= 'z') ?
		    a.email[i] - 32 : a.email[i]);
	upper[i] = '\0';
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", upper, a.password);
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
	h_expect_problem(&r, 409, "conflict");
	cr_expect(au_has_str(resp_str(&r, "detail"), "email"), "%s", r.body);
	resp_free(&r);

	for (i = 0; uname[i] != '\0'; i++)
		if (uname[i] >= 'A' && uname[i] <= 'Z')
			uname[i] = (char)(uname[i] + 32);
	snprintf(body, sizeof(body), "{\"email\":\"other-%s\",\"password\":\"%s\","
	    "\"username\":\"%s\"}", a.email, a.password, uname);
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
	h_expect_problem(&r, 409, "conflict");
	cr_expect(au_has_str(resp_str(&r, "detail"), "username"), "%s", r.body);
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM users WHERE lower(email) IN "
	    "(lower('%s'), lower('other-%s'))", a.email, a.email), 1);
}

Test(auth_register, every_bad_field_is_422_naming_it)
{
	static const struct {
		const char	*field;
		const char	*fmt;	/* %s: a unique e-mail address */
	} cases[] = {
		{ "email", "{\"password\":\"long enough pw\"}" },
		{ "email", "{\"email\":\"not-an-address\",\"password\":\"long enough pw\",\"x\":\"%s\"}" },
		{ "email", "{\"email\":\"a b@example.com\",\"password\":\"long enough pw\",\"x\":\"%s\"}" },
		{ "email", "{\"email\":42,\"password\":\"long enough pw\",\"x\":\"%s\"}" },
		{ "password", "{\"email\":\"%s\"}" },
		{ "password", "{\"email\":\"%s\",\"password\":\"7 bytes\"}" },
		{ "password", "{\"email\":\"%s\",\"password\":12345678}" },
		{ "password", "{\"email\":\"%s\",\"password\":null}" },
		{ "username", "{\"email\":\"%s\",\"password\":\"long enough pw\",\"username\":\"ab\"}" },
		{ "username", "{\"email\":\"%s\",\"password\":\"long enough pw\",\"username\":\"-abc\"}" },
		{ "username", "{\"email\":\"%s\",\"password\":\"long enough pw\",\"username\":\"a b c\"}" },
		{ "username", "{\"email\":\"%s\",\"password\":\"long enough pw\","
		    "\"username\":\"abcdefghijklmnopqrstuvwxyz0123456\"}" },
		{ "display_name", "{\"email\":\"%s\",\"password\":\"long enough pw\",\"display_name\":\"\"}" },
		{ "display_name", "{\"email\":\"%s\",\"password\":\"long enough pw\",\"display_name\":7}" },
		{ "role", "{\"email\":\"%s\",\"password\":\"long enough pw\",\"role\":\"admin\"}" },
		{ "owner_id", "{\"email\":\"%s\",\"password\":\"long enough pw\","
		    "\"owner_id\":\"00000000-0000-4000-8000-000000000000\"}" },
		{ "id", "{\"email\":\"%s\",\"password\":\"long enough pw\","
		    "\"id\":\"00000000-0000-4000-8000-000000000000\"}" },
		{ "disabled", "{\"email\":\"%s\",\"password\":\"long enough pw\",\"disabled\":false}" },
		{ "version", "{\"email\":\"%s\",\"password\":\"long enough pw\",\"version\":1}" },
	};
	struct resp	 r;
	char		 email[160], body[8192], u[96];
	size_t		 i;

	au_unique(u, sizeof(u), "bad");
	snprintf(email, sizeof(email), "%s@example.com", u);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		au_subst(body, sizeof(body), cases[i].fmt, email);
		cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
		cr_expect_eq(r.status, 422, "case %zu (%s): %ld %s", i, body, r.status, r.body);
		if (r.status == 422) {
			h_expect_problem(&r, 422, "validation-error");
			cr_expect(au_errors_name(&r, cases[i].field), "case %zu: errors[] "
			    "should name %s: %s", i, cases[i].field, r.body);
		}
		resp_free(&r);
	}
	/* 1025-byte password; 255-byte e-mail; 101-character display name */
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%01025d\"}", email, 0);
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
	cr_expect_eq(r.status, 422, "1025-byte password: %ld", r.status);
	cr_expect(au_errors_name(&r, "password"), "%s", r.body);
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"email\":\"%0243d@example.com\",\"password\":\"long enough pw\"}", 0);
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
	cr_expect_eq(r.status, 422, "255-byte e-mail: %ld", r.status);
	cr_expect(au_errors_name(&r, "email"), "%s", r.body);
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"long enough pw\","
	    "\"display_name\":\"%0101d\"}", email, 0);
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
	cr_expect_eq(r.status, 422, "101-character display name: %ld", r.status);
	cr_expect(au_errors_name(&r, "display_name"), "%s", r.body);
	resp_free(&r);
	/* two bad fields: both named */
	snprintf(body, sizeof(body), "{\"email\":\"x\",\"password\":\"short\",\"role\":\"admin\"}");
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
	cr_expect_eq(r.status, 422);
	cr_expect(au_errors_name(&r, "email") && au_errors_name(&r, "password") &&
	    au_errors_name(&r, "role"), "%s", r.body);
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM users WHERE email = '%s'", email), 0,
	    "no rejected registration created a user");
}

Test(auth_register, malformed_wrong_type_and_too_deep)
{
	static const char *const bad_json[] = {
		"{\"email\":",
		"{\"email\":\"a@example.com\",\"password\":\"long enough pw\"} trailing",
		"[]",
		"\"just a string\"",
		"null",
		"{\"email\":\"a@example.com\",\"email\":\"b@example.com\",\"password\":\"long enough pw\"}",
		"{\"email\":\"a@example.com\",\"password\":\"long\xff enough\"}",
	};
	const char	*hdrs[] = { "Content-Type: text/plain", NULL };
	struct resp	 r;
	char		 body[256];
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
		cr_assert_eq(h_json("POST", "/api/v1/auth/register", bad_json[i], NULL, &r), 0);
		h_expect_problem(&r, 400, "malformed-request");
		resp_free(&r);
	}
	/* empty body */
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", NULL, NULL, &r), 0);
	h_expect_problem(&r, 400, "malformed-request");
	resp_free(&r);

	snprintf(body, sizeof(body), "{\"email\":\"t@example.com\",\"password\":\"long enough pw\"}");
	cr_assert_eq(h_request("POST", "/api/v1/auth/register", body, strlen(body), hdrs, &r), 0);
	h_expect_problem(&r, 415, "unsupported-media-type");
	resp_free(&r);

	/* 32 levels (object + 31 arrays) still parse: the unknown field is 422 */
	n = snprintf(body, sizeof(body), "{\"x\":");
	for (i = 0; i < 31; i++)
		body[n++] = '[';
	for (i = 0; i < 31; i++)
		body[n++] = ']';
	snprintf(body + n, sizeof(body) - (size_t)n, "}");
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
	cr_expect_eq(r.status, 422, "depth 32: %ld %s", r.status, r.body);
	resp_free(&r);
	/* 33 levels: 400 */
	n = snprintf(body, sizeof(body), "{\"x\":");
	for (i = 0; i < 32; i++)
		body[n++] = '[';
	for (i = 0; i < 32; i++)
		body[n++] = ']';
	snprintf(body + n, sizeof(body) - (size_t)n, "}");
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
	h_expect_problem(&r, 400, "malformed-request");
	resp_free(&r);
}

/* ================================================================== */
/* login */

Test(auth_login, success_shape)
{
	struct sess	 s;
	struct resp	 r;
	json_object	*c, *u;

	au_register_user(&s, "login");
	cr_assert_eq(au_login_raw(s.email, s.password, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	au_take_tokens(&s, &r);
	au_expect_clean(&r, s.password);
	cr_expect_str_eq(resp_str(&r, "token_type"), "Bearer");
	cr_expect_eq(au_jint(r.json, "expires_in"), 900);
	cr_expect_geq(strlen(s.refresh), 43, "refresh token of >= 256 bits");
	cr_expect(au_has_str(au_hdr(&r, "Cache-Control"), "no-store"));
	u = au_jget(r.json, "user");
	cr_assert_not_null(u);
	cr_expect_str_eq(au_jstr(u, "id"), s.id);
	cr_expect_str_eq(au_jstr(u, "email"), s.email);
	cr_expect_str_eq(au_jstr(u, "role"), "user");
	cr_expect_eq(au_jget(u, "password_hash"), NULL);
	/* the access token's claims */
	c = au_jwt_claims(s.access);
	cr_expect_str_eq(au_jstr(c, "sub"), s.id);
	cr_expect_str_eq(au_jstr(c, "role"), "user");
	cr_expect_not_null(au_jstr(c, "iss"));
	cr_expect_not_null(au_jget(c, "aud"));
	cr_expect_not_null(au_jstr(c, "jti"));
	cr_expect_eq(au_jint(c, "exp") - au_jint(c, "iat"), 900);
	json_object_put(c);
	resp_free(&r);
	/* the token works; the refresh token is stored only as a hash */
	cr_expect_eq(au_me_status(s.access), 200);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM refresh_sessions WHERE user_id = '%s' "
	    "AND octet_length(token_hash) = 32", s.id), 1);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM refresh_sessions WHERE "
	    "encode(token_hash, 'escape') LIKE '%%%s%%'", s.refresh), 0);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = "
	    "'login.success' AND target_id = '%s'", s.id), 1);
	/* the e-mail is case-insensitive at login too */
	for (char *p = s.email; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	cr_assert_eq(au_login_raw(s.email, s.password, &r), 0);
	cr_expect_eq(r.status, 200, "upper-case e-mail: %s", r.body);
	if (r.status == 200)
		au_take_tokens(&s, &r);
	resp_free(&r);
}

/* "weak-params password 1" at m=8192, t=1, p=1: below the configured floor */
#define WEAK_PASSWORD	"weak-params password 1"
#define WEAK_HASH	"$argon2id$v=19$m=8192,t=1,p=1$dGFza21hbi10ZXN0c2FsdA$" \
			"VdNIT4QjTEY5qGMR2tBikUThsflC2y5kzfj8GbXYTw4"

Test(auth_login, weaker_hash_is_rehashed_on_login)
{
	struct sess	 s;
	char		 v[64], q[512];

	au_register_user(&s, "rehash");
	snprintf(q, sizeof(q), "UPDATE users SET password_hash = '%s' WHERE id = '%s'",
	    WEAK_HASH, s.id);
	cr_assert_eq(h_sql(q, v, sizeof(v)), 0);
	snprintf(s.password, sizeof(s.password), "%s", WEAK_PASSWORD);
	au_secret_record("password", s.password);
	au_login(&s);
	au_sql(v, sizeof(v), "SELECT left(password_hash, 31) FROM users WHERE id = '%s'", s.id);
	cr_expect_str_eq(v, "$argon2id$v=19$m=19456,t=2,p=1$", "re-hashed at the configured cost");
	/* and the new hash verifies */
	au_login(&s);
}

Test(auth_register, password_bounds_count_bytes)
{
	struct resp	 r;
	char		 body[4096], u[96], pw[1100];
	int		 n;

	/* 4 x "é" = 8 bytes: enough; 3 x "é" + "x" = 7 bytes: too short */
	au_unique(u, sizeof(u), "pwbytes");
	snprintf(body, sizeof(body), "{\"email\":\"%s@example.com\",\"password\":"
	    "\"\u00e9\u00e9\u00e9x\"}", u);
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
	cr_expect_eq(r.status, 422, "7-byte password: %ld %s", r.status, r.body);
	cr_expect(au_errors_name(&r, "password"));
	resp_free(&r);
	au_secret_record("password", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	snprintf(body, sizeof(body), "{\"email\":\"%s@example.com\",\"password\":"
	    "\"\u00e9\u00e9\u00e9\u00e9\"}", u);
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
	cr_expect_eq(r.status, 201, "8-byte password: %ld %s", r.status, r.body);
	resp_free(&r);
	/* exactly 1024 bytes */
	au_unique(u, sizeof(u), "pwmax");
	memset(pw, 'k', 1024);
	pw[1024] = '\0';
	au_secret_record("password", pw);
	n = snprintf(body, sizeof(body), "{\"email\":\"%s@example.com\",\"password\":\"%s\"}",
	    u, pw);
	cr_assert_lt(n, (int)sizeof(body));
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
	cr_expect_eq(r.status, 201, "1024-byte password: %ld %s", r.status, r.body);
	au_expect_clean(&r, pw);
	resp_free(&r);
}

Test(auth_login, unknown_email_and_wrong_password_look_the_same)
{
	struct sess	 s;
	struct resp	 a, b;
	json_object	*ja, *jb;
	char		 nobody[200];

	au_register_user(&s, "generic");
	snprintf(nobody, sizeof(nobody), "nobody-%s", s.email);
	cr_assert_eq(au_login_raw(nobody, s.password, &a), 0);
	cr_assert_eq(au_login_raw(s.email, "wrong password!", &b), 0);
	au_expect_401(&a, "unknown e-mail");
	au_expect_401(&b, "wrong password");
	au_expect_clean(&a, s.password);
	cr_assert(a.json != NULL && b.json != NULL);
	cr_expect_str_neq(resp_str(&a, "request_id"), resp_str(&b, "request_id"));
	ja = json_tokener_parse(a.body);
	jb = json_tokener_parse(b.body);
	json_object_object_del(ja, "request_id");
	json_object_object_del(jb, "request_id");
	cr_expect_str_eq(json_object_to_json_string(ja), json_object_to_json_string(jb),
	    "bodies differ beyond request_id");
	cr_expect(au_has_str(resp_str(&a, "detail"), "invalid credentials"), "%s", a.body);
	cr_expect_str_eq(au_hdr(&a, "WWW-Authenticate"), au_hdr(&b, "WWW-Authenticate"));
	json_object_put(ja);
	json_object_put(jb);
	resp_free(&a);
	resp_free(&b);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = "
	    "'login.failure' AND target_id = '%s' AND details->>'reason' = 'wrong_password'",
	    s.id), 1);
	/* a malformed address is the same 401, not a 422 */
	cr_assert_eq(au_login_raw("not-an-address", "whatever pw", &a), 0);
	au_expect_401(&a, "malformed e-mail");
	resp_free(&a);
	/* wrong shape: 422; unknown field: 422 */
	cr_assert_eq(h_json("POST", "/api/v1/auth/login", "{\"email\":\"x@example.com\"}",
	    NULL, &a), 0);
	h_expect_problem(&a, 422, "validation-error");
	cr_expect(au_errors_name(&a, "password"));
	resp_free(&a);
	cr_assert_eq(h_json("POST", "/api/v1/auth/login", "{\"email\":\"x@example.com\","
	    "\"password\":\"long enough\",\"remember\":true}", NULL, &a), 0);
	h_expect_problem(&a, 422, "validation-error");
	cr_expect(au_errors_name(&a, "remember"));
	resp_free(&a);
	cr_assert_eq(h_json("POST", "/api/v1/auth/login", "{bad", NULL, &a), 0);
	h_expect_problem(&a, 400, "malformed-request");
	resp_free(&a);
	au_reset_addr_throttle();
}

Test(auth_login, disabled_account_gets_the_same_401)
{
	struct sess	 s;
	struct resp	 r;

	au_register_user(&s, "disabledlogin");
	au_sql_set_user(s.id, NULL, "true");
	cr_assert_eq(au_login_raw(s.email, s.password, &r), 0);
	au_expect_401(&r, "disabled account");
	cr_expect(au_has_str(resp_str(&r, "detail"), "invalid credentials"), "%s", r.body);
	resp_free(&r);
	au_reset_addr_throttle();
}

Test(auth_login, brute_force_locks_the_account_with_retry_after)
{
	struct sess	 s, other;
	struct resp	 r;
	const char	*hdrs[] = { "Content-Type: application/json", NULL, NULL };
	char		 rid[80], ridh[120], body[512];
	const char	*ra;
	long		 wait;
	int		 i;

	au_register_user(&s, "brute");
	au_register_user(&other, "bystander");
	for (i = 1; i <= 5; i++) {
		cr_assert_eq(au_login_raw(s.email, "guess the password", &r), 0);
		au_expect_401(&r, "wrong password");
		resp_free(&r);
	}
	/* the sixth try, even with the right password, is throttled */
	au_unique(rid, sizeof(rid), "brute");
	snprintf(ridh, sizeof(ridh), "X-Request-ID: %s", rid);
	hdrs[1] = ridh;
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", s.email,
	    s.password);
	cr_assert_eq(h_request("POST", "/api/v1/auth/login", body, strlen(body), hdrs, &r), 0);
	h_expect_problem(&r, 429, "rate-limited");
	ra = au_hdr(&r, "Retry-After");
	cr_assert_not_null(ra, "Retry-After");
	wait = atol(ra);
	cr_expect(wait >= 1 && wait <= 30, "Retry-After %s", ra);
	cr_expect_eq(resp_str(&r, "access_token"), NULL);
	resp_free(&r);
	/* audited: five failures for the account, one throttled attempt */
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = "
	    "'login.failure' AND target_id = '%s'", s.id), 5);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = "
	    "'login.failure' AND target_id = '%s' AND (details->>'locked_for_s')::int > 0",
	    s.id), 1, "the fifth failure locks");
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = "
	    "'login.throttled' AND request_id = '%s'", rid), 1);
	/* the lock is per account: another account from the same address logs in */
	au_login(&other);
	/* and the lock's row holds no e-mail address */
	cr_expect_eq(au_sql_long("SELECT count(*) FROM login_throttle WHERE key ILIKE '%%%s%%'",
	    s.email), 0);
	au_reset_addr_throttle();
}

/* ================================================================== */
/* refresh, logout, cookie */

Test(auth_refresh, rotates_and_reuse_revokes_the_family)
{
	struct sess	 s;
	struct resp	 r;
	char		 r1[128], r2[128], fam[64];

	au_register_user(&s, "rotate");
	au_login(&s);
	snprintf(r1, sizeof(r1), "%s", s.refresh);
	cr_assert_eq(au_refresh_raw(r1, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	au_take_tokens(&s, &r);
	cr_expect_str_eq(resp_str(&r, "token_type"), "Bearer");
	cr_expect_eq(au_jint(r.json, "expires_in"), 900);
	cr_expect_str_eq(au_jstr(au_jget(r.json, "user"), "id"), s.id);
	au_expect_clean(&r, NULL);
	resp_free(&r);
	snprintf(r2, sizeof(r2), "%s", s.refresh);
	cr_expect_str_neq(r1, r2, "a new refresh token on every use");
	cr_expect_eq(au_me_status(s.access), 200);
	au_sql(fam, sizeof(fam), "SELECT family_id FROM refresh_sessions WHERE user_id = '%s' "
	    "LIMIT 1", s.id);
	cr_expect_eq(au_sql_long("SELECT count(DISTINCT family_id) FROM refresh_sessions "
	    "WHERE user_id = '%s'", s.id), 1, "rotation stays in the family");

	/* the rotated token again: theft assumed */
	cr_assert_eq(au_refresh_raw(r1, &r), 0);
	au_expect_401(&r, "reused refresh token");
	cr_expect(au_has_str(au_hdr(&r, "Set-Cookie"), "Max-Age=0"), "the cookie is cleared");
	resp_free(&r);
	/* ... so the newest token of the family is dead too */
	cr_assert_eq(au_refresh_raw(r2, &r), 0);
	au_expect_401(&r, "newest token of a revoked family");
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM refresh_sessions WHERE family_id = '%s' "
	    "AND revoked_at IS NULL", fam), 0);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = "
	    "'refresh.reuse' AND target_id = '%s' AND details->>'family_id' = '%s'",
	    s.id, fam), 1);
}

Test(auth_refresh, bad_requests)
{
	struct resp	 r;

	cr_assert_eq(h_request("POST", "/api/v1/auth/refresh", NULL, 0, NULL, &r), 0);
	au_expect_401(&r, "no token at all");
	resp_free(&r);
	cr_assert_eq(au_refresh_raw("not-a-token", &r), 0);
	au_expect_401(&r, "garbage token");
	resp_free(&r);
	/* well-formed but unknown */
	cr_assert_eq(au_refresh_raw("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &r), 0);
	au_expect_401(&r, "unknown token");
	resp_free(&r);
	cr_assert_eq(h_json("POST", "/api/v1/auth/refresh", "{\"refresh_token\":1}", NULL, &r), 0);
	h_expect_problem(&r, 422, "validation-error");
	resp_free(&r);
	cr_assert_eq(h_json("POST", "/api/v1/auth/refresh", "{\"token\":\"x\"}", NULL, &r), 0);
	h_expect_problem(&r, 422, "validation-error");
	cr_expect(au_errors_name(&r, "token"));
	resp_free(&r);
	cr_assert_eq(h_json("POST", "/api/v1/auth/refresh", "{\"refresh_token\":", NULL, &r), 0);
	h_expect_problem(&r, 400, "malformed-request");
	resp_free(&r);
}

Test(auth_refresh, logout_revokes_the_session)
{
	struct sess	 s;
	struct resp	 r;
	char		 body[256];

	au_register_user(&s, "logout");
	au_login(&s);
	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", s.refresh);
	cr_assert_eq(h_json("POST", "/api/v1/auth/logout", body, NULL, &r), 0);
	cr_expect_eq(r.status, 204, "%ld %s", r.status, r.body);
	cr_expect_eq(r.body_len, 0);
	cr_expect(au_has_str(au_hdr(&r, "Set-Cookie"), "taskman_refresh=;"), "cookie cleared");
	cr_expect(au_has_str(au_hdr(&r, "Set-Cookie"), "Max-Age=0"));
	resp_free(&r);
	cr_assert_eq(au_refresh_raw(s.refresh, &r), 0);
	au_expect_401(&r, "refresh after logout");
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM refresh_sessions WHERE user_id = '%s' "
	    "AND revoked_at IS NULL", s.id), 0);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = 'logout' "
	    "AND target_id = '%s'", s.id), 1);
	/* idempotent: again, and an unknown token, are 204 too */
	cr_assert_eq(h_json("POST", "/api/v1/auth/logout", body, NULL, &r), 0);
	cr_expect_eq(r.status, 204);
	resp_free(&r);
	cr_assert_eq(h_json("POST", "/api/v1/auth/logout", "{\"refresh_token\":\"nope\"}",
	    NULL, &r), 0);
	cr_expect_eq(r.status, 204);
	resp_free(&r);
	/* no token at all: 422 */
	cr_assert_eq(h_request("POST", "/api/v1/auth/logout", NULL, 0, NULL, &r), 0);
	h_expect_problem(&r, 422, "validation-error");
	resp_free(&r);
}

/* The taskman_refresh value of a response's Set-Cookie, into dst. */
static const char *
cookie_value(const struct resp *r, char *dst, size_t len)
{
	const char	*c = au_hdr(r, "Set-Cookie");
	size_t		 n;

	if (c == NULL || strncmp(c, "taskman_refresh=", 16) != 0)
		return NULL;
	c += 16;
	n = strcspn(c, ";");
	if (n >= len)
		return NULL;
	memcpy(dst, c, n);
	dst[n] = '\0';
	return dst;
}

Test(auth_refresh, cookie_form)
{
	struct sess	 s;
	struct resp	 r;
	const char	*sc;
	char		 val[128], cookie[200], old[128];
	const char	*hdrs[2] = { NULL, NULL };

	au_register_user(&s, "cookie");
	cr_assert_eq(au_login_raw(s.email, s.password, &r), 0);
	au_take_tokens(&s, &r);
	sc = au_hdr(&r, "Set-Cookie");
	cr_assert_not_null(sc, "login sets the refresh cookie");
	cr_expect(au_cookie_attr(sc, "HttpOnly"), "%s", sc);
	cr_expect(au_cookie_attr(sc, "SameSite=Strict"), "%s", sc);
	cr_expect(au_cookie_attr(sc, "Path=/api/v1/auth"), "%s", sc);
	cr_expect(au_cookie_attr(sc, "Secure"), "%s", sc);
	cr_expect(au_cookie_attr(sc, "Max-Age=604800"), "%s", sc);
	cr_assert_not_null(cookie_value(&r, val, sizeof(val)));
	cr_expect_str_eq(val, s.refresh, "the cookie holds the body's refresh token");
	resp_free(&r);

	/* refresh with only the cookie: no body, no content type */
	snprintf(cookie, sizeof(cookie), "Cookie: taskman_refresh=%s", s.refresh);
	hdrs[0] = cookie;
	snprintf(old, sizeof(old), "%s", s.refresh);
	cr_assert_eq(h_request("POST", "/api/v1/auth/refresh", NULL, 0, hdrs, &r), 0);
	cr_assert_eq(r.status, 200, "cookie refresh: %s", r.body);
	au_take_tokens(&s, &r);
	cr_assert_not_null(cookie_value(&r, val, sizeof(val)));
	cr_expect_str_eq(val, s.refresh, "the new cookie holds the new token");
	cr_expect_str_neq(val, old);
	resp_free(&r);
	cr_expect_eq(au_me_status(s.access), 200);

	/* logout with only the (new) cookie */
	snprintf(cookie, sizeof(cookie), "Cookie: other=1; taskman_refresh=%s", s.refresh);
	cr_assert_eq(h_request("POST", "/api/v1/auth/logout", NULL, 0, hdrs, &r), 0);
	cr_expect_eq(r.status, 204, "%ld %s", r.status, r.body);
	cr_expect(au_has_str(au_hdr(&r, "Set-Cookie"), "Max-Age=0"));
	resp_free(&r);
	cr_assert_eq(au_refresh_raw(s.refresh, &r), 0);
	au_expect_401(&r, "refresh after cookie logout");
	resp_free(&r);
}

/* ================================================================== */
/* users/me */

Test(auth_me, get_patch_and_preconditions)
{
	struct sess	 s, t;
	struct resp	 r;
	const char	*hdrs[4] = { "Content-Type: application/json", NULL, NULL, NULL };
	char		 auth[TOKEN_MAX + 32], ifm[128], etag[64], body[256], uname[64];

	au_register_user(&t, "taken");
	au_register_user(&s, "me");
	au_login(&s);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s.access);
	hdrs[1] = auth;

	cr_assert_eq(h_request("GET", "/api/v1/users/me", NULL, 0, hdrs + 1, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	au_expect_clean(&r, s.password);
	cr_expect_str_eq(resp_str(&r, "id"), s.id);
	cr_expect_str_eq(resp_str(&r, "email"), s.email);
	cr_expect_str_eq(resp_str(&r, "role"), "user");
	cr_expect(json_object_object_get_ex(r.json, "disabled", NULL));
	cr_expect(json_object_object_get_ex(r.json, "username", NULL));
	cr_expect(json_object_object_get_ex(r.json, "display_name", NULL));
	cr_expect_not_null(resp_str(&r, "created_at"));
	cr_expect_not_null(resp_str(&r, "updated_at"));
	cr_assert_not_null(au_hdr(&r, "ETag"));
	snprintf(etag, sizeof(etag), "%s", au_hdr(&r, "ETag"));
	cr_expect_str_eq(etag, "\"1\"");
	resp_free(&r);

	/* If-None-Match: 304 with the ETag and no body */
	snprintf(ifm, sizeof(ifm), "If-None-Match: %s", etag);
	hdrs[2] = ifm;
	cr_assert_eq(h_request("GET", "/api/v1/users/me", NULL, 0, hdrs + 1, &r), 0);
	cr_expect_eq(r.status, 304);
	cr_expect_eq(r.body_len, 0);
	cr_expect_str_eq(au_hdr(&r, "ETag") ? au_hdr(&r, "ETag") : "", etag);
	resp_free(&r);

	/* PATCH with the current If-Match */
	snprintf(ifm, sizeof(ifm), "If-Match: %s", etag);
	snprintf(uname, sizeof(uname), "Me%lx%ld", (long)time(NULL), (long)getpid());
	snprintf(body, sizeof(body), "{\"display_name\":\"Émile\",\"username\":\"%s\"}", uname);
	cr_assert_eq(h_request("PATCH", "/api/v1/users/me", body, strlen(body), hdrs, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(resp_str(&r, "display_name"), "Émile");
	cr_expect_str_eq(resp_str(&r, "username"), uname);
	cr_expect_str_eq(au_hdr(&r, "ETag") ? au_hdr(&r, "ETag") : "", "\"2\"");
	au_expect_clean(&r, s.password);
	resp_free(&r);

	/* the same (now stale) If-Match: 412, nothing changes */
	snprintf(body, sizeof(body), "{\"display_name\":\"Stale\"}");
	cr_assert_eq(h_request("PATCH", "/api/v1/users/me", body, strlen(body), hdrs, &r), 0);
	h_expect_problem(&r, 412, "precondition-failed");
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM users WHERE id = '%s' AND "
	    "display_name = 'Émile' AND version = 2", s.id), 1);
	/* not an ETag of ours: 412 */
	snprintf(ifm, sizeof(ifm), "If-Match: W/\"2\"");
	cr_assert_eq(h_request("PATCH", "/api/v1/users/me", body, strlen(body), hdrs, &r), 0);
	h_expect_problem(&r, 412, "precondition-failed");
	resp_free(&r);
	hdrs[2] = NULL;

	/* null clears; unknown and read-only fields are 422 naming each */
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", "{\"display_name\":null}",
	    s.access, &r), 0);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect(au_jget(r.json, "display_name") == NULL &&
	    json_object_object_get_ex(r.json, "display_name", NULL));
	resp_free(&r);
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", "{\"email\":\"x@example.com\","
	    "\"role\":\"admin\",\"disabled\":false,\"id\":\"x\"}", s.access, &r), 0);
	h_expect_problem(&r, 422, "validation-error");
	cr_expect(au_errors_name(&r, "email") && au_errors_name(&r, "role") &&
	    au_errors_name(&r, "disabled") && au_errors_name(&r, "id"), "%s", r.body);
	resp_free(&r);
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", "{\"username\":\"x\"}",
	    s.access, &r), 0);
	h_expect_problem(&r, 422, "validation-error");
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM users WHERE id = '%s' AND role = 'user'",
	    s.id), 1);

	/* someone else's username, in another case: 409 */
	snprintf(uname, sizeof(uname), "T%lx%ld", (long)time(NULL), (long)getpid());
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", uname);
	cr_assert_eq(h_json("PATCH", "/api/v1/users/me", body, NULL, &r), 0);
	au_expect_401(&r, "PATCH without a token");
	resp_free(&r);
	au_login(&t);
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", body, t.access, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	uname[0] = 't';
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", uname);
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", body, s.access, &r), 0);
	h_expect_problem(&r, 409, "conflict");
	resp_free(&r);

	/* GET takes no query parameters */
	cr_assert_eq(au_req_bearer("GET", "/api/v1/users/me?fields=all", NULL, s.access, &r), 0);
	h_expect_problem(&r, 400, "malformed-request");
	cr_expect(au_errors_name(&r, "fields"), "%s", r.body);
	resp_free(&r);

	/* no token, a malformed header: 401 */
	cr_assert_eq(h_request("GET", "/api/v1/users/me", NULL, 0, NULL, &r), 0);
	au_expect_401(&r, "no Authorization");
	resp_free(&r);
	{
		const char *basic[] = { "Authorization: Basic dXNlcjpwYXNz", NULL };

		cr_assert_eq(h_request("GET", "/api/v1/users/me", NULL, 0, basic, &r), 0);
		au_expect_401(&r, "Basic scheme");
		resp_free(&r);
	}
}

Test(auth_me, password_change_revokes_the_other_sessions)
{
	struct sess	 a, b;
	struct resp	 r;
	char		 body[512];

	au_register_user(&a, "pwchange");
	au_login(&a);
	b = a;
	au_login(&b);
	cr_expect_str_neq(a.refresh, b.refresh);
	au_secret_record("password", NEW_PASSWORD);

	/* every rule first: nothing changes on a 422 */
	snprintf(body, sizeof(body), "{\"password\":\"%s\"}", NEW_PASSWORD);
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", body, a.access, &r), 0);
	h_expect_problem(&r, 422, "validation-error");
	cr_expect(au_errors_name(&r, "current_password"));
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"current_password\":\"%s\"}", a.password);
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", body, a.access, &r), 0);
	h_expect_problem(&r, 422, "validation-error");
	au_expect_clean(&r, a.password);
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"password\":\"%s\",\"current_password\":\"not it at all\"}",
	    NEW_PASSWORD);
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", body, a.access, &r), 0);
	h_expect_problem(&r, 422, "validation-error");
	cr_expect(au_errors_name(&r, "current_password"));
	au_expect_clean(&r, NEW_PASSWORD);
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"password\":\"short\",\"current_password\":\"%s\"}",
	    a.password);
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", body, a.access, &r), 0);
	h_expect_problem(&r, 422, "validation-error");
	cr_expect(au_errors_name(&r, "password"));
	resp_free(&r);

	snprintf(body, sizeof(body), "{\"password\":\"%s\",\"current_password\":\"%s\"}",
	    NEW_PASSWORD, a.password);
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", body, a.access, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	au_expect_clean(&r, NEW_PASSWORD);
	au_expect_clean(&r, a.password);
	resp_free(&r);

	/* this login's refresh token keeps working, the other login's does not */
	au_refresh(&a);
	cr_expect_eq(au_me_status(a.access), 200);
	cr_assert_eq(au_refresh_raw(b.refresh, &r), 0);
	au_expect_401(&r, "the other session after a password change");
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = "
	    "'password.change' AND target_id = '%s'", a.id), 1);

	/* the old password is gone, the new one works */
	cr_assert_eq(au_login_raw(a.email, a.password, &r), 0);
	au_expect_401(&r, "old password");
	resp_free(&r);
	snprintf(a.password, sizeof(a.password), "%s", NEW_PASSWORD);
	au_login(&a);
	au_reset_addr_throttle();
}

/* ================================================================== */
/* roles */

Test(auth_roles, readonly_may_read_but_every_write_is_403)
{
	/* Every write of the contract; {id} is a random UUID, {me} the user's
	 * id.  The router answers 403 before any existence check, so a routed
	 * write can only be 403.  A write not routed yet (another module) is
	 * reported and skipped. */
	static const struct {
		const char *method, *path, *body;
	} writes[] = {
		{ "PATCH",  "/api/v1/users/me", "{\"display_name\":\"x\"}" },
		{ "PATCH",  "/api/v1/admin/users/{me}", "{\"role\":\"admin\"}" },
		{ "POST",   "/api/v1/tasks", "{\"title\":\"x\"}" },
		{ "PATCH",  "/api/v1/tasks/{id}", "{\"title\":\"x\"}" },
		{ "DELETE", "/api/v1/tasks/{id}", NULL },
		{ "POST",   "/api/v1/tasks/{id}/status", "{\"status\":\"ready\"}" },
		{ "POST",   "/api/v1/tasks/{id}/complete", NULL },
		{ "POST",   "/api/v1/tasks/{id}/assign-project", "{\"project_id\":null}" },
		{ "POST",   "/api/v1/tasks/{id}/assign-sprint", "{\"sprint_id\":null}" },
		{ "POST",   "/api/v1/projects", "{\"name\":\"x\"}" },
		{ "PATCH",  "/api/v1/projects/{id}", "{\"name\":\"x\"}" },
		{ "DELETE", "/api/v1/projects/{id}", NULL },
		{ "POST",   "/api/v1/sprints", "{\"name\":\"x\"}" },
		{ "PATCH",  "/api/v1/sprints/{id}", "{\"name\":\"x\"}" },
		{ "DELETE", "/api/v1/sprints/{id}", NULL },
		{ "POST",   "/api/v1/action-lists", "{\"title\":\"x\"}" },
		{ "PATCH",  "/api/v1/action-lists/{id}", "{\"title\":\"x\"}" },
		{ "DELETE", "/api/v1/action-lists/{id}", NULL },
		{ "POST",   "/api/{me}/tasks", "{\"title\":\"x\"}" },
		{ "PUT",    "/api/{me}/tasks/{id}", "{\"title\":\"x\"}" },
		{ "DELETE", "/api/{me}/tasks/{id}", NULL },
		{ "PATCH",  "/api/{me}/tasks/{id}/complete", NULL },
	};
	static const char rid[] = "3f1c0f4e-8d7a-4b6c-9e2f-1a2b3c4d5e6f";
	struct sess	 s;
	struct resp	 r, o;
	char		 path[256], allow[256];
	const char	*p, *a;
	size_t		 i, k, routed = 0;

	au_user_with_role(&s, "readonly", "readonly");
	cr_expect_str_eq(au_claim_role(s.access), "readonly");
	cr_expect_eq(au_me_status(s.access), 200, "readonly may read");

	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		k = 0;
		for (p = writes[i].path; *p && k < sizeof(path) - 40; p++) {
			if (strncmp(p, "{id}", 4) == 0) {
				k += (size_t)snprintf(path + k, sizeof(path) - k, "%s", rid);
				p += 3;
			} else if (strncmp(p, "{me}", 4) == 0) {
				k += (size_t)snprintf(path + k, sizeof(path) - k, "%s", s.id);
				p += 3;
			} else
				path[k++] = *p;
		}
		path[k] = '\0';
		/* routed? OPTIONS lists the path's methods */
		cr_assert_eq(h_request("OPTIONS", path, NULL, 0, NULL, &o), 0);
		a = resp_header(&o, "Allow", allow, sizeof(allow));
		if (a == NULL || !au_has_str(a, writes[i].method)) {
			cr_log_warn("readonly table: %s %s is not routed yet (OPTIONS %ld, Allow %s)",
			    writes[i].method, path, o.status, a ? a : "-");
			resp_free(&o);
			continue;
		}
		resp_free(&o);
		routed++;
		cr_assert_eq(au_req_bearer(writes[i].method, path, writes[i].body, s.access, &r), 0);
		h_expect_problem(&r, 403, "forbidden");
		cr_expect_eq(r.status, 403, "readonly %s %s: %ld %s", writes[i].method, path,
		    r.status, r.body);
		resp_free(&r);
	}
	cr_expect_geq(routed, 2, "at least the users writes are routed");
	/* readonly may still refresh and log out */
	au_refresh(&s);
	cr_expect_eq(au_me_status(s.access), 200);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM users WHERE id = '%s' AND display_name "
	    "IS NULL AND role = 'readonly'", s.id), 1, "nothing was written");
}

Test(auth_admin, list_paging_and_403_for_users)
{
	struct sess	 admin, u, v;
	struct resp	 r;
	char		 path[128], link[512];
	json_object	*items;
	long		 total;

	au_user_with_role(&admin, "admin", "admin");
	au_user_with_role(&u, "plain", "user");
	au_register_user(&v, "plain2");

	cr_assert_eq(au_req_bearer("GET", "/api/v1/admin/users", NULL, u.access, &r), 0);
	h_expect_problem(&r, 403, "forbidden");
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/admin/users/%s", v.id);
	cr_assert_eq(au_req_bearer("PATCH", path, "{\"disabled\":true}", u.access, &r), 0);
	h_expect_problem(&r, 403, "forbidden");
	resp_free(&r);
	cr_assert_eq(h_request("GET", "/api/v1/admin/users", NULL, 0, NULL, &r), 0);
	au_expect_401(&r, "admin list without a token");
	resp_free(&r);

	cr_assert_eq(au_req_bearer("GET", "/api/v1/admin/users?limit=1", NULL, admin.access, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	au_expect_clean(&r, NULL);
	items = au_jget(r.json, "items");
	cr_assert(items != NULL && json_object_is_type(items, json_type_array));
	cr_expect_eq(json_object_array_length(items), 1);
	total = au_jint(r.json, "total");
	cr_expect_geq(total, 3);
	cr_expect_eq(total, au_sql_long("SELECT count(*) FROM users"));
	cr_expect_eq(au_jint(r.json, "limit"), 1);
	cr_expect_eq(au_jint(r.json, "offset"), 0);
	cr_expect(json_object_object_get_ex(r.json, "next_cursor", NULL));
	cr_assert_not_null(resp_header(&r, "Link", link, sizeof(link)));
	cr_expect(au_has_str(link, "rel=\"next\""), "%s", link);
	cr_expect(au_has_str(link, "</api/v1/admin/users?"), "%s", link);
	cr_expect(au_has_str(link, "limit=1"), "%s", link);
	/* like every list, the next link is a keyset cursor (stable under inserts) */
	cr_expect(au_has_str(link, "cursor="), "%s", link);
	cr_expect_eq(au_jget(json_object_array_get_idx(items, 0), "password_hash"), NULL);
	/* newest first: the user registered last leads */
	cr_expect_str_eq(au_jstr(json_object_array_get_idx(items, 0), "id"), v.id);
	{
		char		 cpath[600];
		const char	*nc = au_jstr(r.json, "next_cursor");

		cr_assert_not_null(nc);
		snprintf(cpath, sizeof(cpath), "/api/v1/admin/users?limit=1&cursor=%s", nc);
		resp_free(&r);
		/* the second page by cursor is the second-newest user: u */
		cr_assert_eq(au_req_bearer("GET", cpath, NULL, admin.access, &r), 0);
		cr_expect_eq(r.status, 200, "%s", r.body);
		cr_expect_str_eq(au_jstr(json_object_array_get_idx(au_jget(r.json, "items"), 0),
		    "id"), u.id);
		cr_expect_eq(au_jint(r.json, "total"), total);
	}
	resp_free(&r);

	/* the last page has no Link */
	snprintf(path, sizeof(path), "/api/v1/admin/users?limit=2&offset=%ld", total - 1);
	cr_assert_eq(au_req_bearer("GET", path, NULL, admin.access, &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect_eq(json_object_array_length(au_jget(r.json, "items")), 1);
	cr_expect_null(au_hdr(&r, "Link"));
	resp_free(&r);
	/* every user appears once across the pages of 50 */
	cr_assert_eq(au_req_bearer("GET", "/api/v1/admin/users?limit=200", NULL, admin.access, &r), 0);
	cr_expect_eq(r.status, 200);
	cr_expect(au_has_str(r.body, v.id) && au_has_str(r.body, u.id) && au_has_str(r.body, admin.id));
	resp_free(&r);
	cr_assert_eq(au_req_bearer("GET", "/api/v1/admin/users?limit=0", NULL, admin.access, &r), 0);
	h_expect_problem(&r, 400, "malformed-request");
	resp_free(&r);
	cr_assert_eq(au_req_bearer("GET", "/api/v1/admin/users?offset=-1", NULL, admin.access, &r), 0);
	h_expect_problem(&r, 400, "malformed-request");
	cr_expect(au_errors_name(&r, "offset"), "%s", r.body);
	resp_free(&r);
	/* unknown, repeated and unsupported parameters are 400 naming them */
	cr_assert_eq(au_req_bearer("GET", "/api/v1/admin/users?limit=1&role=admin", NULL,
	    admin.access, &r), 0);
	h_expect_problem(&r, 400, "malformed-request");
	cr_expect(au_errors_name(&r, "role"), "%s", r.body);
	resp_free(&r);
	cr_assert_eq(au_req_bearer("GET", "/api/v1/admin/users?limit=1&limit=2", NULL,
	    admin.access, &r), 0);
	h_expect_problem(&r, 400, "malformed-request");
	cr_expect(au_errors_name(&r, "limit"), "%s", r.body);
	resp_free(&r);
	cr_assert_eq(au_req_bearer("GET", "/api/v1/admin/users?cursor=abc", NULL, admin.access, &r), 0);
	h_expect_problem(&r, 400, "malformed-request");
	resp_free(&r);
}

Test(auth_admin, patch_role_and_disable_take_effect_at_once)
{
	struct sess	 admin, victim, v2;
	struct resp	 r;
	const char	*hdrs[4] = { "Content-Type: application/json", NULL, NULL, NULL };
	char		 path[128], auth[TOKEN_MAX + 32], ifm[64], old[TOKEN_MAX];

	au_user_with_role(&admin, "admin2", "admin");
	au_register_user(&victim, "victim");
	au_login(&victim);
	v2 = victim;
	au_login(&v2);
	snprintf(path, sizeof(path), "/api/v1/admin/users/%s", victim.id);

	/* validation and not-found */
	cr_assert_eq(au_req_bearer("PATCH", path, "{\"role\":\"root\"}", admin.access, &r), 0);
	h_expect_problem(&r, 422, "validation-error");
	cr_expect(au_errors_name(&r, "role"));
	resp_free(&r);
	cr_assert_eq(au_req_bearer("PATCH", path, "{\"email\":\"x@example.com\"}", admin.access, &r), 0);
	h_expect_problem(&r, 422, "validation-error");
	cr_expect(au_errors_name(&r, "email"));
	resp_free(&r);
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/admin/users/3f1c0f4e-8d7a-4b6c-9e2f-1a2b3c4d5e6f",
	    "{\"role\":\"user\"}", admin.access, &r), 0);
	h_expect_problem(&r, 404, "not-found");
	resp_free(&r);
	/* a stale If-Match */
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", admin.access);
	hdrs[1] = auth;
	snprintf(ifm, sizeof(ifm), "If-Match: \"99\"");
	hdrs[2] = ifm;
	cr_assert_eq(h_request("PATCH", path, "{\"role\":\"readonly\"}",
	    strlen("{\"role\":\"readonly\"}"), hdrs, &r), 0);
	h_expect_problem(&r, 412, "precondition-failed");
	resp_free(&r);
	/* an admin cannot demote or disable themselves */
	snprintf(path, sizeof(path), "/api/v1/admin/users/%s", admin.id);
	cr_assert_eq(au_req_bearer("PATCH", path, "{\"role\":\"user\"}", admin.access, &r), 0);
	h_expect_problem(&r, 409, "conflict");
	resp_free(&r);
	cr_assert_eq(au_req_bearer("PATCH", path, "{\"disabled\":true}", admin.access, &r), 0);
	h_expect_problem(&r, 409, "conflict");
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/admin/users/%s", victim.id);

	/* role change: the old access token stops working at once */
	cr_expect_eq(au_me_status(victim.access), 200);
	cr_assert_eq(au_req_bearer("PATCH", path, "{\"role\":\"readonly\"}", admin.access, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(resp_str(&r, "role"), "readonly");
	cr_expect_not_null(au_hdr(&r, "ETag"));
	au_expect_clean(&r, NULL);
	resp_free(&r);
	cr_expect_eq(au_me_status(victim.access), 401, "old token after a role change");
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = "
	    "'user.role_change' AND actor_id = '%s' AND target_id = '%s' AND "
	    "details->>'from' = 'user' AND details->>'to' = 'readonly'", admin.id, victim.id), 1);
	/* a refresh gives a token with the new role */
	au_refresh(&victim);
	cr_expect_str_eq(au_claim_role(victim.access), "readonly");
	cr_expect_eq(au_me_status(victim.access), 200);

	/* disabling: the still-unexpired token fails at once, every session dies */
	snprintf(old, sizeof(old), "%s", victim.access);
	cr_assert_eq(au_req_bearer("PATCH", path, "{\"disabled\":true}", admin.access, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect(json_object_get_boolean(au_jget(r.json, "disabled")));
	resp_free(&r);
	cr_expect_eq(au_me_status(old), 401, "unexpired access token of a disabled user");
	cr_expect_eq(au_sql_long("SELECT count(*) FROM refresh_sessions WHERE user_id = '%s' "
	    "AND revoked_at IS NULL", victim.id), 0);
	cr_assert_eq(au_refresh_raw(victim.refresh, &r), 0);
	au_expect_401(&r, "refresh of a disabled user");
	resp_free(&r);
	cr_assert_eq(au_refresh_raw(v2.refresh, &r), 0);
	au_expect_401(&r, "other session of a disabled user");
	resp_free(&r);
	cr_assert_eq(au_login_raw(victim.email, victim.password, &r), 0);
	au_expect_401(&r, "login of a disabled user");
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = "
	    "'user.disable' AND actor_id = '%s' AND target_id = '%s'", admin.id, victim.id), 1);

	/* and back */
	cr_assert_eq(au_req_bearer("PATCH", path, "{\"disabled\":false,\"role\":\"user\"}",
	    admin.access, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect(!json_object_get_boolean(au_jget(r.json, "disabled")));
	cr_expect_str_eq(resp_str(&r, "role"), "user");
	resp_free(&r);
	au_login(&victim);
	cr_expect_eq(au_me_status(victim.access), 200);
	au_reset_addr_throttle();
}

/*
 * Issue 11: an If-Match past the integer range is a version that does not
 * exist (412, not a 422 from an overflow in SQL); an admin's own id in
 * upper case is still their own id (no self-demotion, no self-disable).
 */
Test(auth_admin, huge_if_match_is_412_and_own_id_in_any_case_is_self)
{
	struct sess	 admin, victim;
	struct resp	 r;
	const char	*hdrs[4] = { "Content-Type: application/json", NULL, NULL, NULL };
	char		 path[128], auth[TOKEN_MAX + 32], upper[40];
	size_t		 i;

	au_user_with_role(&admin, "admin3", "admin");
	au_register_user(&victim, "victim3");
	snprintf(path, sizeof(path), "/api/v1/admin/users/%s", victim.id);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", admin.access);
	hdrs[1] = auth;
	hdrs[2] = "If-Match: \"99999999999\"";
	cr_assert_eq(h_request("PATCH", path, "{\"role\":\"readonly\"}",
	    strlen("{\"role\":\"readonly\"}"), hdrs, &r), 0);
	h_expect_problem(&r, 412, "precondition-failed");
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM users WHERE id = '%s' AND role = 'user'",
	    victim.id), 1, "nothing was written");
	/* the same on the caller's own record */
	hdrs[2] = "If-Match: \"99999999999\"";
	cr_assert_eq(h_request("PATCH", "/api/v1/users/me", "{\"display_name\":\"x\"}",
	    strlen("{\"display_name\":\"x\"}"), hdrs, &r), 0);
	h_expect_problem(&r, 412, "precondition-failed");
	resp_free(&r);

	for (i = 0; admin.id[i] != '\0' && i < sizeof(upper) - 1; i++)
		upper[i] = (char)(admin.id[i] >= 'a' && admin.id[i] <= 'f' ?
		    admin.id[i] - 32 : admin.id[i]);
	upper[i] = '\0';
	cr_assert_str_neq(upper, admin.id, "the id has letters to change");
	snprintf(path, sizeof(path), "/api/v1/admin/users/%s", upper);
	cr_assert_eq(au_req_bearer("PATCH", path, "{\"role\":\"user\"}", admin.access, &r), 0);
	h_expect_problem(&r, 409, "conflict");
	resp_free(&r);
	cr_assert_eq(au_req_bearer("PATCH", path, "{\"disabled\":true}", admin.access, &r), 0);
	h_expect_problem(&r, 409, "conflict");
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM users WHERE id = '%s' AND role = 'admin' "
	    "AND NOT disabled", admin.id), 1, "the admin is still an enabled admin");
}

/*
 * Issue 11: a cursor whose row was deleted continues after its key (never
 * a 400, never a silently empty page).
 */
Test(auth_admin, cursor_of_a_deleted_user_continues_after_it)
{
	struct sess	 admin, a, b, c;
	struct resp	 r;
	char		 path[600], nc[512];

	au_user_with_role(&admin, "admin4", "admin");
	au_register_user(&a, "curs-a");
	au_register_user(&b, "curs-b");
	au_register_user(&c, "curs-c");
	/* newest first: c, then b */
	cr_assert_eq(au_req_bearer("GET", "/api/v1/admin/users?limit=2", NULL, admin.access, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(au_jstr(json_object_array_get_idx(au_jget(r.json, "items"), 1), "id"),
	    b.id);
	cr_assert_not_null(au_jstr(r.json, "next_cursor"));
	snprintf(nc, sizeof(nc), "%s", au_jstr(r.json, "next_cursor"));
	resp_free(&r);
	au_sql(path, sizeof(path), "DELETE FROM users WHERE id = '%s' RETURNING 1", b.id);
	snprintf(path, sizeof(path), "/api/v1/admin/users?limit=1&cursor=%s", nc);
	cr_assert_eq(au_req_bearer("GET", path, NULL, admin.access, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(json_object_array_length(au_jget(r.json, "items")), 1, "%s", r.body);
	cr_expect_str_eq(au_jstr(json_object_array_get_idx(au_jget(r.json, "items"), 0), "id"),
	    a.id, "the page after the deleted row");
	resp_free(&r);
}

/* ================================================================== */
/* taskmanctl user */

static const char *
ctl_bin(char *dst, size_t len)
{
	const char *bin = getenv("TASKMAN_BIN"), *db = getenv("TASKMAN_MIGRATE_DATABASE_URL");

	if (bin == NULL || db == NULL || *db == '\0')
		AU_SKIP("TASKMAN_BIN and TASKMAN_MIGRATE_DATABASE_URL are needed to run "
		    "taskmanctl");
	snprintf(dst, len, "%s/taskmanctl", bin);
	if (access(dst, X_OK) != 0)
		AU_SKIP("no executable %s", dst);
	return dst;
}

/* Runs "taskmanctl args" with stdin_text (may be NULL); returns its exit status. */
static int
ctl(const char *env, const char *args, const char *stdin_text)
{
	char	 bin[1024], cmd[2048];
	FILE	*p;
	int	 st;

	signal(SIGPIPE, SIG_IGN);	/* it may exit before reading stdin */
	ctl_bin(bin, sizeof(bin));
	snprintf(cmd, sizeof(cmd), "%s '%s' %s >/dev/null 2>&1", env ? env : "", bin, args);
	p = popen(cmd, "w");
	cr_assert_not_null(p);
	if (stdin_text != NULL)
		fputs(stdin_text, p);
	st = pclose(p);
	cr_assert(st != -1 && WIFEXITED(st), "taskmanctl %s did not exit normally", args);
	return WEXITSTATUS(st);
}

Test(auth_cli, user_add_set_role_disable)
{
	struct sess	 s;
	struct resp	 r;
	char		 args[512], in[256], bin[1024], hash[64], id[40], upper[160];
	size_t		 i;

	ctl_bin(bin, sizeof(bin));
	au_sess_new(&s, "cli");
	au_secret_record("password", s.password);
	snprintf(in, sizeof(in), "%s\n", s.password);

	/* usage and configuration errors: nothing is created */
	snprintf(args, sizeof(args), "user add %s --role superuser", s.email);
	cr_expect_eq(ctl(NULL, args, in), 64, "bad role");
	snprintf(args, sizeof(args), "user add not-an-address --role admin");
	cr_expect_eq(ctl(NULL, args, in), 64, "bad e-mail");
	snprintf(args, sizeof(args), "user add %s --role admin", s.email);
	cr_expect_eq(ctl(NULL, args, "short\n"), 64, "7-byte password");
	cr_expect_eq(ctl(NULL, args, ""), 64, "no password");
	cr_expect_eq(ctl("TASKMAN_ARGON2_T=1", args, in), 78, "Argon2 t below the floor");
	cr_expect_eq(ctl("TASKMAN_MIGRATE_DATABASE_URL='nonsense=1'", args, in), 78,
	    "bad connection string");
	cr_expect_eq(ctl(NULL, "user frobnicate x@example.com", NULL), 64, "bad action");
	cr_expect_eq(au_sql_long("SELECT count(*) FROM users WHERE lower(email) = lower('%s')",
	    s.email), 0);

	/* add an admin; CRLF line ends are fine */
	snprintf(in, sizeof(in), "%s\r\nignored second line\n", s.password);
	cr_assert_eq(ctl(NULL, args, in), 0, "user add");
	au_sql(id, sizeof(id), "SELECT id FROM users WHERE email = '%s'", s.email);
	snprintf(s.id, sizeof(s.id), "%s", id);
	au_sql(hash, sizeof(hash), "SELECT left(password_hash, 31) FROM users WHERE id = '%s'", id);
	cr_expect_str_eq(hash, "$argon2id$v=19$m=19456,t=2,p=1$");
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = 'cli.user_add' "
	    "AND actor_id IS NULL AND target_id = '%s' AND details->>'role' = 'admin'", id), 1);
	/* the same address in another case: exit 1 */
	for (i = 0; s.email[i] && i < sizeof(upper) - 1; i++)
		upper[i] = (char)(s.email[i] >= 'a' && s.email[i] <= 'z' ? s.email[i] - 32 : s.email[i]);
	upper[i] = '\0';
	snprintf(args, sizeof(args), "user add %s", upper);
	snprintf(in, sizeof(in), "%s\n", s.password);
	cr_expect_eq(ctl(NULL, args, in), 1, "duplicate e-mail");

	/* the account works over HTTP with the role given */
	au_login(&s);
	cr_expect_str_eq(au_claim_role(s.access), "admin");
	cr_assert_eq(au_req_bearer("GET", "/api/v1/admin/users?limit=1", NULL, s.access, &r), 0);
	cr_expect_eq(r.status, 200, "%s", r.body);
	resp_free(&r);

	/* set-role: the admin token stops working, a refresh carries the new role */
	snprintf(args, sizeof(args), "user set-role %s readonly", upper);
	cr_assert_eq(ctl(NULL, args, NULL), 0, "set-role");
	cr_expect_eq(au_me_status(s.access), 401, "token from before the role change");
	au_refresh(&s);
	cr_expect_str_eq(au_claim_role(s.access), "readonly");
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", "{\"display_name\":\"x\"}",
	    s.access, &r), 0);
	h_expect_problem(&r, 403, "forbidden");
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = "
	    "'cli.user_set_role' AND actor_id IS NULL AND target_id = '%s' AND "
	    "details->>'from' = 'admin' AND details->>'to' = 'readonly'", id), 1);
	snprintf(args, sizeof(args), "user set-role nobody-%s user", s.email);
	cr_expect_eq(ctl(NULL, args, NULL), 1, "set-role of nobody");
	snprintf(args, sizeof(args), "user set-role %s god", s.email);
	cr_expect_eq(ctl(NULL, args, NULL), 64, "set-role to a bad role");

	/* disable: sessions revoked, tokens and logins refused */
	snprintf(args, sizeof(args), "user disable %s", s.email);
	cr_assert_eq(ctl(NULL, args, NULL), 0, "disable");
	cr_expect_eq(au_sql_long("SELECT count(*) FROM refresh_sessions WHERE user_id = '%s' "
	    "AND revoked_at IS NULL", id), 0);
	cr_expect_eq(au_me_status(s.access), 401, "token of a disabled user");
	cr_assert_eq(au_refresh_raw(s.refresh, &r), 0);
	au_expect_401(&r, "refresh after taskmanctl user disable");
	resp_free(&r);
	cr_assert_eq(au_login_raw(s.email, s.password, &r), 0);
	au_expect_401(&r, "login after taskmanctl user disable");
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM audit_events WHERE action = "
	    "'cli.user_disable' AND actor_id IS NULL AND target_id = '%s' AND "
	    "(details->>'revoked_sessions')::int >= 1", id), 1);
	snprintf(args, sizeof(args), "user disable nobody-%s", s.email);
	cr_expect_eq(ctl(NULL, args, NULL), 1, "disable nobody");
	au_reset_addr_throttle();
}

/* ================================================================== */
/* Last: no log line holds a password, a hash or a token */

/* The output of "$TASKMAN_TEST_STACK what" (malloc'd). */
static char *
stack_output(const char *what)
{
	const char	*ctl_path = getenv("TASKMAN_TEST_STACK");
	char		 cmd[1024], *buf = NULL;
	size_t		 len = 0, cap = 0, n;
	FILE		*p;
	int		 st;

	cr_assert_not_null(ctl_path, "TASKMAN_TEST_STACK is not set");
	snprintf(cmd, sizeof(cmd), "%s %s", ctl_path, what);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, p);
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	st = pclose(p);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s failed", cmd);
	return buf;
}

Test(zz_auth_leaks, no_log_line_holds_a_password_hash_or_token)
{
	FILE		*f;
	char		*workers, *access, line[TOKEN_MAX + 32], *v;
	const char	*logs[2];
	size_t		 n, kinds[3] = { 0, 0, 0 };
	int		 i;
	struct sess	 s;
	struct resp	 r;

	/*
	 * Secrets of its own first (register, login, refresh, a failed
	 * login): the scan never depends on other tests having run before it,
	 * and scans theirs too when they did.
	 */
	au_register_user(&s, "leaks");
	au_login(&s);
	au_refresh(&s);
	cr_assert_eq(au_login_raw(s.email, NEW_PASSWORD, &r), 0);
	au_expect_401(&r, "login with a wrong password");
	resp_free(&r);
	au_secret_record("password", NEW_PASSWORD);
	cr_expect_eq(au_me_status(s.access), 200);
	f = fopen(au_secrets_path(), "r");
	cr_assert_not_null(f, "%s: the secrets just recorded", au_secrets_path());
	workers = stack_output("workers-log");
	access = stack_output("nginx-access-log");
	cr_assert_gt(strlen(workers), 0, "the workers' log is empty");
	cr_assert_gt(strlen(access), 0, "nginx's access log is empty");
	logs[0] = workers;
	logs[1] = access;
	for (i = 0; i < 2; i++) {
		cr_expect(!au_has_str(logs[i], "$argon2"), "an Argon2 hash in the %s log",
		    i ? "access" : "workers'");
		cr_expect(!au_has_str(logs[i], "password_hash"), "password_hash in the %s log",
		    i ? "access" : "workers'");
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n = strcspn(line, "\n");
		line[n] = '\0';
		if ((v = strchr(line, ' ')) == NULL)
			continue;
		*v++ = '\0';
		kinds[strcmp(line, "password") == 0 ? 0 : strcmp(line, "access") == 0 ? 1 : 2]++;
		for (i = 0; i < 2; i++)
			cr_expect(!au_has_str(logs[i], v), "a %s in the %s log: %.20s...", line,
			    i ? "access" : "workers'", v);
		/* tokens: also their signature alone (a log might cut the rest) */
		if (strcmp(line, "access") == 0 && strrchr(v, '.') != NULL &&
		    strlen(strrchr(v, '.')) > 20)
			for (i = 0; i < 2; i++)
				cr_expect(!au_has_str(logs[i], strrchr(v, '.') + 1),
				    "an access token's signature in the %s log",
				    i ? "access" : "workers'");
	}
	fclose(f);
	cr_expect_gt(kinds[0], 0, "passwords were recorded");
	cr_expect_gt(kinds[1], 0, "access tokens were recorded");
	cr_expect_gt(kinds[2], 0, "refresh tokens were recorded");
	free(workers);
	free(access);
	unlink(au_secrets_path());
}
