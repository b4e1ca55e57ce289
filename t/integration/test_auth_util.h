/*
 * test_auth_util: helpers shared by the authentication integration tests
 * (test_auth.c: accounts, sessions, roles, admin, taskmanctl, the log
 * scan; test_auth_jwt.c: the JWT attack table and the external issuer).
 * Prefix au_.  Every helper asserts with criterion, so a test that calls
 * one fails where the helper's expectation breaks.
 *
 * Environment beyond the harness's (see scripts/check):
 *   TASKMAN_TEST_JWT_SECRET        the workers' HS256 secret; without it the
 *                                  tests that forge validly signed tokens skip
 *   TASKMAN_TEST_JWKS_PRIVATE_KEY  Ed25519 private key (PEM) of the external
 *                                  issuer the stack was started with
 *                                  (t/integration/fixtures/); without it the
 *                                  auth_external suite skips.  Issuer, audience
 *                                  and kid default to the fixture's, else
 *                                  TASKMAN_TEST_EXTERNAL_ISSUER, _AUDIENCE,
 *                                  TASKMAN_TEST_JWKS_KID
 *   TASKMAN_BIN                    directory of the built taskmanctl, and
 *   TASKMAN_MIGRATE_DATABASE_URL   its database; without them auth_cli skips
 *   TASKMAN_TEST_SECRETS_FILE      optional: where secrets are recorded
 *
 * Every secret a test uses or receives (passwords, access and refresh
 * tokens) is appended to a file shared by the run (criterion runs each test
 * in a child of one runner process), which zz_auth_leaks scans the logs for.
 */
#ifndef TASKMAN_TEST_AUTH_UTIL_H
#define TASKMAN_TEST_AUTH_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "harness.h"

#define TOKEN_MAX	16384
#define PASSWORD	"auth-test correct horse 1"
#define NEW_PASSWORD	"auth-test battery staple 2"
#define EXT_ISSUER	"https://issuer.taskman.test"
#define EXT_AUDIENCE	"taskman-test"
#define EXT_KID		"taskman-test-ed25519"

/* a visible, counted skip (harness.h) */
#define AU_SKIP(...)	H_SKIP(__VA_ARGS__)

/* One login of one account. */
struct sess {
	char	 email[160];
	char	 password[160];
	char	 id[40];
	char	 access[TOKEN_MAX];
	char	 refresh[128];
};

/* Secrets of the run (for zz_auth_leaks) */
const char	*au_secrets_path(void);
void		 au_secret_record(const char *kind, const char *value);

/* Small helpers */
void		 au_unique(char *dst, size_t len, const char *tag);
bool		 au_has_str(const char *hay, const char *needle);
/* Expects no hash, no "password_hash" and not password in the body. */
void		 au_expect_clean(const struct resp *r, const char *password);
/* A header's value (one of 4 rotating static buffers), or NULL. */
const char	*au_hdr(const struct resp *r, const char *name);
long		 au_jint(json_object *o, const char *key);
json_object	*au_jget(json_object *o, const char *key);
const char	*au_jstr(json_object *o, const char *key);
/* Whether errors[] of a problem names field. */
bool		 au_errors_name(const struct resp *r, const char *field);
/* tmpl with every "%s" replaced by value (for tables of bodies). */
void		 au_subst(char *dst, size_t len, const char *tmpl, const char *value);
/* Whether a Set-Cookie value has attribute attr (exactly, any case). */
bool		 au_cookie_attr(const char *sc, const char *attr);
/* Expects a 401 problem with WWW-Authenticate: Bearer. */
void		 au_expect_401(const struct resp *r, const char *what);
/* The first value of a superuser query (asserts it worked). */
char		*au_sql(char *dst, size_t len, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
long		 au_sql_long(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A request with a bearer token of any length (NULL: none). */
int		 au_req_bearer(const char *method, const char *path, const char *json,
		    const char *token, struct resp *r);

/* Accounts and sessions */
void		 au_sess_new(struct sess *s, const char *tag);
/* POST /auth/register of a fresh account; asserts 201, fills s->id. */
void		 au_register_user(struct sess *s, const char *tag);
void		 au_take_tokens(struct sess *s, const struct resp *r);
int		 au_login_raw(const char *email, const char *password, struct resp *r);
void		 au_login(struct sess *s);
int		 au_refresh_raw(const char *token, struct resp *r);
void		 au_refresh(struct sess *s);
/* GET /users/me with access; the status (a 401 is checked for its shape). */
long		 au_me_status(const char *access);
/* role and/or disabled ("true"/"false") set in SQL; NULL keeps. */
void		 au_sql_set_user(const char *id, const char *role, const char *disabled);
void		 au_user_with_role(struct sess *s, const char *tag, const char *role);
/* Clears the per-address failed-login counters (shared by all tests). */
void		 au_reset_addr_throttle(void);

/* JWT forging with OpenSSL directly (never the product's jwt code) */
void		 au_b64url(const void *in, size_t n, char *out);
char		*au_b64url_dec(const char *in, size_t n);
json_object	*au_jwt_claims(const char *token);
const char	*au_claim_role(const char *token);
/* header.payload.HMAC-SHA-256(key), or "header.payload." for key NULL. */
char		*au_jwt_hs256(const char *header, const char *payload, const void *key,
		    size_t keylen);
const char	*au_jwt_secret(void);
/* claims signed HS256 with the workers' secret (header NULL: the usual). */
char		*au_forge(json_object *claims, const char *header);
void		 au_set_int(json_object *c, const char *key, long long v);
void		 au_set_str(json_object *c, const char *key, const char *v);
/* The external issuer's private key; skips the test without one. */
EVP_PKEY	*au_ext_key(void);
const char	*au_env_or(const char *name, const char *def);
char		*au_jwt_eddsa(const char *header, const char *payload, EVP_PKEY *k);
json_object	*au_ext_claims(const char *sub, const char *email);
char		*au_ext_sign(json_object *claims, EVP_PKEY *k, const char *alg_header);

#endif
