/*
 * POST /api/v1/auth/register, /login, /refresh, /logout (API.md section 2).
 * Passwords: auth/password.c; tokens: auth/tokens.c; the SQL that must see
 * past row-level security lives in schema/0002_auth.up.sql.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "api/auth.h"
#include "app.h"
#include "auth/audit.h"
#include "auth/password.h"
#include "auth/throttle.h"
#include "auth/tokens.h"
#include "json.h"
#include "valid.h"

#define REFRESH_COOKIE		"taskman_refresh"

static const struct db_stmt st_register = { "auth_register",
	"INSERT INTO users (id, email, username, display_name, password_hash) "
	"VALUES ($1, lower($2), $3, $4, $5) RETURNING taskman_user_json(id, email, "
	"username, display_name, role, disabled, created_at, updated_at, version)",
	5, DB_ROW };
/* $1 e-mail, $2 client network, $3-$5 limits: counts the attempt first */
static const struct db_stmt st_begin = { "auth_login_begin",
	"SELECT retry_after, settings, hash_len FROM taskman_login_begin($1, $2, "
	"$3::integer, $4::integer, $5::integer)", 5, DB_ROW };
/* $1 e-mail, $2 network, $3 candidate PHC string, $4 request id */
static const struct db_stmt st_verify = { "auth_login_verify",
	"SELECT ok, user_id, role FROM taskman_login_verify($1, $2, $3, $4)", 4, DB_ROW };
static const struct db_stmt st_throttled = { "auth_login_throttled",
	"INSERT INTO audit_events (action, client_addr, request_id, details) "
	"VALUES ('login.throttled', left($1, 64), left($2, 128), "
	"jsonb_build_object('retry_after_s', $3::integer))", 3, 0 };
/* $1 user, $2 token hash, $3 ttl s, $4 addr, $5 agent, $6 request id,
 * $7 new password hash or NULL */
static const struct db_stmt st_success = { "auth_login_success",
	"WITH s AS (INSERT INTO refresh_sessions (user_id, family_id, token_hash, "
	"  expires_at, client_addr, user_agent) VALUES ($1, gen_random_uuid(), $2, "
	"  now() + make_interval(secs => $3::integer), left($4, 64), left($5, 1024)) "
	"  RETURNING family_id), "
	"a AS (INSERT INTO audit_events (actor_id, target_id, action, client_addr, "
	"  request_id) VALUES ($1, $1, 'login.success', left($4, 64), left($6, 128))), "
	"h AS (UPDATE users SET password_hash = $7::text WHERE id = $1 AND $7::text IS NOT NULL) "
	"SELECT s.family_id, taskman_user_json(u.id, u.email, u.username, u.display_name, "
	"  u.role, u.disabled, u.created_at, u.updated_at, u.version) "
	"FROM s, users u WHERE u.id = $1",
	7, DB_ROW };
static const struct db_stmt st_rotate = { "auth_refresh_rotate",
	"SELECT outcome, user_id, family_id, role, user_json "
	"FROM taskman_refresh_rotate($1, $2, $3, $4, $5, $6)", 6, DB_ROW };
static const struct db_stmt st_logout = { "auth_logout",
	"SELECT taskman_logout($1, $2, $3)", 3, DB_ROW };

static const struct field_spec register_specs[] = {
	{ "email", FT_EMAIL, F_REQUIRED, 0, 0, NULL, 0, 0, NULL },
	{ "password", FT_STRING, F_REQUIRED | F_BYTES, PASSWORD_MIN_BYTES,
	    PASSWORD_MAX_BYTES, NULL, 0, 0, NULL },
	{ "username", FT_STRING, F_NULLABLE, 3, 32, NULL, 0, 0, NULL },
	{ "display_name", FT_STRING, F_NULLABLE, 1, 100, NULL, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

/* Login takes any string: a wrong shape is just wrong credentials. */
static const struct field_spec login_specs[] = {
	{ "email", FT_STRING, F_REQUIRED, 1, 254, NULL, 0, 0, NULL },
	{ "password", FT_STRING, F_REQUIRED | F_BYTES, 1, PASSWORD_MAX_BYTES,
	    NULL, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

static const struct field_spec refresh_specs[] = {
	{ "refresh_token", FT_STRING, 0, 1, 512, NULL, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

/* Validates r->json against specs; 0 or 422 with errors[]. */
static int
validate(struct req *r, const struct field_spec *specs)
{
	json_object *errs = json_object_new_array();

	if (json_validate(r->json, specs, false, errs) == 0) {
		json_object_put(errs);
		return 0;
	}
	return http_problem_errors(r, 422, "the body breaks the field rules", errs);
}

static void
uuid_v4(char out[37])
{
	unsigned char	b[16];
	static const char hex[] = "0123456789abcdef";
	int		i, o = 0;

	if (RAND_bytes(b, sizeof(b)) != 1)
		memset(b, 0, sizeof(b));	/* then the INSERT collides: 409/500, never a shared id */
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

static void
cookie_set(struct req *r, const char *value, long max_age)
{
	http_header(r, "Set-Cookie", REFRESH_COOKIE "=%s; Path=/api/v1/auth; "
	    "Max-Age=%ld; HttpOnly;%s SameSite=Strict", value, max_age,
	    r->app->cfg->cookie_secure ? " Secure;" : "");
}

/* 200 {access_token, token_type, expires_in, refresh_token, user}; takes user. */
static int
session_response(struct req *r, const char *user_id, const char *role,
    const char *family, const char *refresh, json_object *user)
{
	const struct config	*c = r->app->cfg;
	char			 access[TOKENS_ACCESS_MAX];
	json_object		*o;

	if (tokens_issue_access(r->app->tokens, c, user_id, role, family, access,
	    sizeof(access)) != 0) {
		json_object_put(user);
		return http_problem(r, 500, "could not sign a token");
	}
	o = json_object_new_object();
	json_object_object_add(o, "access_token", json_object_new_string(access));
	json_object_object_add(o, "token_type", json_object_new_string("Bearer"));
	json_object_object_add(o, "expires_in", json_object_new_int(c->access_ttl_s));
	json_object_object_add(o, "refresh_token", json_object_new_string(refresh));
	json_object_object_add(o, "user", user);
	cookie_set(r, refresh, c->refresh_ttl_s);
	return http_json(r, 200, o);
}

int
auth_register(struct req *r)
{
	struct app	*a = r->app;
	const char	*email, *pw, *username, *display;
	char		 id[37], hash[PASSWORD_HASH_MAX];
	const char	*v[5];
	struct db_user	 as;
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*errs, *pwo;
	int		 st;

	if ((st = validate(r, register_specs)) != 0)
		return st;
	email = json_str(r->json, "email");
	username = json_str(r->json, "username");
	display = json_str(r->json, "display_name");
	if (username != NULL && !valid_username(username, strlen(username))) {
		errs = json_object_new_array();
		json_error_add(errs, "username", "must be letters, digits, _ . or -, "
		    "starting with a letter or digit");
		return http_problem_errors(r, 422, "the body breaks the field rules", errs);
	}
	json_object_object_get_ex(r->json, "password", &pwo);
	pw = json_object_get_string(pwo);
	if ((st = throttle_hash(r, pw, (size_t)json_object_get_string_len(pwo), hash,
	    sizeof(hash))) != 0)
		return st;
	uuid_v4(id);
	/* the new row's id is the current user: RLS lets it insert only itself */
	as.id = id;
	as.role = "user";
	as.unchecked = true;
	as.sid = NULL;
	v[0] = id;
	v[1] = email;
	v[2] = username;
	v[3] = display;
	v[4] = hash;
	s = db_exec(&a->db, &as, &st_register, v, &res);
	if (s == DB_CONFLICT) {
		st = http_problem(r, 409, strstr(a->db.constraint, "username") ?
		    "that username is taken" : "that email is already registered");
		goto out;
	}
	if (s != DB_OK) {
		st = http_db_problem(r, s);
		goto out;
	}
	http_header(r, "Location", "/api/v1/users/me");
	http_etag(r, 1);
	st = http_json(r, 201, json_from_db(PQgetvalue(res, 0, 0)));
	audit_log(r, "register", id, id);
out:
	PQclear(res);
	return st;
}

/*
 * Login: (1) count the attempt and get the hash's settings, (2) hash the
 * candidate here, (3) let the database compare it (it gives the attempt
 * back on success), (4) open the session.  The worker never sees a stored
 * hash; an unknown account costs the same Argon2 work and round trips.
 */
int
auth_login(struct req *r)
{
	struct app	*a = r->app;
	const char	*email, *pw, *v[7], *settings;
	char		 raw[TOKENS_REFRESH_LEN + 1], rhash[TOKENS_HASH_LEN + 1];
	char		 cand[PASSWORD_HASH_MAX], newhash[PASSWORD_HASH_MAX];
	char		 net[THROTTLE_NET_MAX], ttl[24], uid[37], urole[16], wait[24];
	PGresult	*res = NULL, *res2 = NULL;
	json_object	*pwo;
	enum db_status	 s;
	struct db_user	 as;
	size_t		 pwlen;
	long		 retry;
	int		 st;
	bool		 rehash = false;

	if ((st = validate(r, login_specs)) != 0)
		return st;
	email = json_str(r->json, "email");
	json_object_object_get_ex(r->json, "password", &pwo);
	pw = json_object_get_string(pwo);
	pwlen = (size_t)json_object_get_string_len(pwo);
	throttle_client_net(r->remote_addr, net, sizeof(net));

	v[0] = email;
	v[1] = net;
	v[2] = THROTTLE_PAIR_LIMIT;
	v[3] = THROTTLE_ADDR_LIMIT;
	v[4] = THROTTLE_SOFT_LIMIT;
	if ((s = db_exec(&a->db, NULL, &st_begin, v, &res)) != DB_OK) {
		st = http_db_problem(r, s);
		goto out;
	}
	retry = atol(PQgetvalue(res, 0, 0));
	if (retry > 0) {
		snprintf(wait, sizeof(wait), "%ld", retry);
		v[0] = net;
		v[1] = r->request_id;
		v[2] = wait;
		s = db_exec(&a->db, NULL, &st_throttled, v, &res2);
		audit_log(r, "login.throttled", NULL, NULL);
		http_header(r, "Retry-After", "%ld", retry);
		st = http_problem(r, 429, "too many failed logins; try again later");
		goto out;
	}
	settings = PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1);
	if ((st = throttle_candidate(r, settings, atoi(PQgetvalue(res, 0, 2)), pw,
	    pwlen, cand, sizeof(cand))) != 0)
		goto out;
	rehash = settings != NULL && password_needs_rehash(&a->tokens->pp, settings);

	v[0] = email;
	v[1] = net;
	v[2] = cand;
	v[3] = r->request_id;
	if ((s = db_exec(&a->db, NULL, &st_verify, v, &res2)) != DB_OK) {
		st = http_db_problem(r, s);
		goto out;
	}
	if (strcmp(PQgetvalue(res2, 0, 0), "t") != 0) {
		audit_log(r, "login.failure", NULL, NULL);
		metrics_login(a->mslot, false);
		st = http_problem(r, 401, "invalid credentials");
		goto out;
	}
	snprintf(uid, sizeof(uid), "%s", PQgetvalue(res2, 0, 1));
	snprintf(urole, sizeof(urole), "%s", PQgetvalue(res2, 0, 2));
	PQclear(res2);
	res2 = NULL;
	/* a failure to re-hash only postpones it to the next login */
	if (rehash)
		rehash = throttle_try_hash(r, pw, pwlen, newhash, sizeof(newhash));
	if (tokens_new_refresh(raw, rhash) != 0) {
		st = http_problem(r, 500, "could not make a token");
		goto out;
	}
	snprintf(ttl, sizeof(ttl), "%ld", a->cfg->refresh_ttl_s);
	as.id = uid;
	as.role = urole;
	as.unchecked = false;
	as.sid = NULL;
	v[0] = uid;
	v[1] = rhash;
	v[2] = ttl;
	v[3] = r->remote_addr;
	v[4] = r->user_agent;
	v[5] = r->request_id;
	v[6] = rehash ? newhash : NULL;
	if ((s = db_exec(&a->db, &as, &st_success, v, &res2)) != DB_OK) {
		st = s == DB_UNAUTHENTICATED ? http_problem(r, 401, "invalid credentials") :
		    http_db_problem(r, s);
		goto out;
	}
	r->user.known = true;
	snprintf(r->user.id, sizeof(r->user.id), "%s", uid);
	audit_log(r, "login.success", uid, uid);
	metrics_login(a->mslot, true);
	st = session_response(r, uid, urole, PQgetvalue(res2, 0, 0), raw,
	    json_from_db(PQgetvalue(res2, 0, 1)));
out:
	PQclear(res);
	PQclear(res2);
	return st;
}

/* The presented refresh token: body first, then the cookie.  NULL if none. */
static const char *
presented_refresh(struct req *r, char *cookie, size_t len)
{
	const char *t = r->json ? json_str(r->json, "refresh_token") : NULL;

	return t != NULL ? t : http_cookie(r, REFRESH_COOKIE, cookie, len);
}

int
auth_refresh(struct req *r)
{
	struct app	*a = r->app;
	const char	*tok, *v[6], *outcome;
	char		 cookie[600], oldhash[TOKENS_HASH_LEN + 1];
	char		 raw[TOKENS_REFRESH_LEN + 1], newhash[TOKENS_HASH_LEN + 1], ttl[24];
	PGresult	*res = NULL;
	enum db_status	 s;
	int		 st;

	if (r->json != NULL && (st = validate(r, refresh_specs)) != 0)
		return st;
	if ((tok = presented_refresh(r, cookie, sizeof(cookie))) == NULL)
		return http_problem(r, 401, "a refresh token is required (body or cookie)");
	if (tokens_hash_refresh(tok, oldhash) != 0) {
		cookie_set(r, "", 0);
		return http_problem(r, 401, "the refresh token is not valid");
	}
	if (tokens_new_refresh(raw, newhash) != 0)
		return http_problem(r, 500, "could not make a token");
	snprintf(ttl, sizeof(ttl), "%ld", a->cfg->refresh_ttl_s);
	v[0] = oldhash;
	v[1] = newhash;
	v[2] = ttl;
	v[3] = r->remote_addr;
	v[4] = r->user_agent;
	v[5] = r->request_id;
	if ((s = db_exec(&a->db, NULL, &st_rotate, v, &res)) != DB_OK) {
		st = http_db_problem(r, s);
		goto out;
	}
	outcome = PQgetvalue(res, 0, 0);
	if (strcmp(outcome, "ok") != 0) {
		if (strcmp(outcome, "reused") == 0)
			audit_log(r, "refresh.reuse", NULL, PQgetvalue(res, 0, 1));
		cookie_set(r, "", 0);
		st = http_problem(r, 401, "the refresh token is not valid");
		goto out;
	}
	r->user.known = true;
	snprintf(r->user.id, sizeof(r->user.id), "%s", PQgetvalue(res, 0, 1));
	st = session_response(r, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 3),
	    PQgetvalue(res, 0, 2), raw, json_from_db(PQgetvalue(res, 0, 4)));
out:
	PQclear(res);
	return st;
}

int
auth_logout(struct req *r)
{
	const char	*tok, *v[3];
	char		 cookie[600], hash[TOKENS_HASH_LEN + 1];
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*errs;
	int		 st;

	if (r->json != NULL && (st = validate(r, refresh_specs)) != 0)
		return st;
	if ((tok = presented_refresh(r, cookie, sizeof(cookie))) == NULL) {
		errs = json_object_new_array();
		json_error_add(errs, "refresh_token", "is required (body or cookie)");
		return http_problem_errors(r, 422, "no refresh token was sent", errs);
	}
	cookie_set(r, "", 0);
	/* an unknown or malformed token is already as logged out as it gets */
	if (tokens_hash_refresh(tok, hash) != 0)
		return http_no_content(r, 204);
	v[0] = hash;
	v[1] = r->remote_addr;
	v[2] = r->request_id;
	if ((s = db_exec(&r->app->db, NULL, &st_logout, v, &res)) != DB_OK) {
		st = http_db_problem(r, s);
		goto out;
	}
	if (!PQgetisnull(res, 0, 0))
		audit_log(r, "logout", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 0));
	st = http_no_content(r, 204);
out:
	PQclear(res);
	return st;
}

/* The body specs of this module's routes (t/fuzz/fuzz_json.c drives them). */
const struct field_spec *const auth_field_specs[] = {
	register_specs, login_specs, refresh_specs, NULL
};
