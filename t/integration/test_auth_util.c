/* Helpers of the authentication integration tests: see test_auth_util.h. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "test_auth_util.h"

/* Secrets issued during the run, for the final log scan */

const char *
au_secrets_path(void)
{
	static char	 path[256];
	const char	*e = getenv("TASKMAN_TEST_SECRETS_FILE");

	if (e != NULL && *e != '\0')
		return e;
	/* every test is a child of the same runner: one file per run */
	snprintf(path, sizeof(path), "/tmp/taskman-auth-secrets.%ld", (long)getppid());
	return path;
}

void
au_secret_record(const char *kind, const char *value)
{
	int	 fd;
	FILE	*f;

	if (value == NULL || *value == '\0')
		return;
	fd = open(au_secrets_path(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0600);
	cr_assert(fd >= 0, "open %s: %s", au_secrets_path(), strerror(errno));
	f = fdopen(fd, "a");
	cr_assert_not_null(f);
	fprintf(f, "%s %s\n", kind, value);
	fclose(f);
}

/* Small helpers */

void
au_unique(char *dst, size_t len, const char *tag)
{
	static unsigned	 n;

	snprintf(dst, len, "%s-%lx-%ld-%u", tag, (long)time(NULL), (long)getpid(), n++);
}

bool
au_has_str(const char *hay, const char *needle)
{
	return hay != NULL && needle != NULL && strstr(hay, needle) != NULL;
}

/* Never a hash, never the password, in any response body. */
void
au_expect_clean(const struct resp *r, const char *password)
{
	cr_expect(!au_has_str(r->body, "$argon2"), "a hash in the body: %s", r->body);
	cr_expect(!au_has_str(r->body, "password_hash"), "password_hash in the body: %s", r->body);
	if (password != NULL)
		cr_expect(!au_has_str(r->body, password), "the password in the body: %s", r->body);
}

const char *
au_hdr(const struct resp *r, const char *name)
{
	static char	 v[4][2048];
	static int	 i;

	i = (i + 1) % 4;
	return resp_header(r, name, v[i], sizeof(v[i]));
}

long
au_jint(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return -1;
	return (long)json_object_get_int64(v);
}

json_object *
au_jget(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *
au_jstr(json_object *o, const char *key)
{
	json_object *v = au_jget(o, key);

	return v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/* Whether errors[] of a 422 names field. */
bool
au_errors_name(const struct resp *r, const char *field)
{
	json_object	*errs = au_jget(r->json, "errors");
	size_t		 i;

	if (errs == NULL || !json_object_is_type(errs, json_type_array))
		return false;
	for (i = 0; i < json_object_array_length(errs); i++) {
		const char *f = au_jstr(json_object_array_get_idx(errs, i), "field");

		if (f != NULL && strcmp(f, field) == 0)
			return true;
	}
	return false;
}

/* tmpl with every "%s" replaced by value (no printf: the table is data). */
void
au_subst(char *dst, size_t len, const char *tmpl, const char *value)
{
	size_t	 n = 0, vl = strlen(value);

	for (; *tmpl != '\0' && n + vl + 1 < len; tmpl++) {
		if (tmpl[0] == '%' && tmpl[1] == 's') {
			memcpy(dst + n, value, vl);
			n += vl;
			tmpl++;
		} else
			dst[n++] = *tmpl;
	}
	dst[n] = '\0';
}

/* Whether the Set-Cookie value sc has attribute attr (exactly, any case). */
bool
au_cookie_attr(const char *sc, const char *attr)
{
	size_t	 n = strlen(attr);
	const char *p = sc;

	while (p != NULL && (p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ')
			p++;
		if (strncasecmp(p, attr, n) == 0 && (p[n] == ';' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* A 401 problem with WWW-Authenticate: Bearer. */
void
au_expect_401(const struct resp *r, const char *what)
{
	const char *w = au_hdr(r, "WWW-Authenticate");

	cr_expect_eq(r->status, 401, "%s: status %ld, body %s", what, r->status, r->body);
	h_expect_problem(r, 401, "unauthorized");
	cr_expect(w != NULL && strncmp(w, "Bearer", 6) == 0,
	    "%s: WWW-Authenticate is %s", what, w ? w : "(absent)");
}

/* One SQL value as superuser; asserts the query worked. */
char *
au_sql(char *dst, size_t len, const char *fmt, ...)
{
	char	 q[4096];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	cr_assert_eq(h_sql(q, dst, len), 0, "SQL failed or returned no row: %s", q);
	return dst;
}

long
au_sql_long(const char *fmt, ...)
{
	char	 q[4096], v[64];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	cr_assert_eq(h_sql(q, v, sizeof(v)), 0, "SQL failed: %s", q);
	return atol(v);
}

/* Any request with a bearer token of any length. */
int
au_req_bearer(const char *method, const char *path, const char *json,
    const char *token, struct resp *r)
{
	const char	*hdrs[3] = { "Content-Type: application/json", NULL, NULL };
	char		*auth = NULL;
	int		 rc;

	if (token != NULL) {
		size_t n = strlen(token) + 32;

		auth = malloc(n);
		cr_assert_not_null(auth);
		snprintf(auth, n, "Authorization: Bearer %s", token);
		hdrs[1] = auth;
	}
	rc = h_request(method, path, json, json ? strlen(json) : 0, hdrs, r);
	free(auth);
	return rc;
}

/* Accounts and sessions */

void
au_sess_new(struct sess *s, const char *tag)
{
	char u[96];

	memset(s, 0, sizeof(*s));
	au_unique(u, sizeof(u), tag);
	snprintf(s->email, sizeof(s->email), "%s@example.com", u);
	snprintf(s->password, sizeof(s->password), "%s %s", PASSWORD, u);
}

/* POST /auth/register; asserts 201 and fills s->id. */
void
au_register_user(struct sess *s, const char *tag)
{
	struct resp	 r;
	char		 body[512];

	au_sess_new(s, tag);
	au_secret_record("password", s->password);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    s->email, s->password);
	cr_assert_eq(h_json("POST", "/api/v1/auth/register", body, NULL, &r), 0);
	cr_assert_eq(r.status, 201, "register: %ld %s", r.status, r.body);
	au_expect_clean(&r, s->password);
	cr_assert_not_null(resp_str(&r, "id"));
	snprintf(s->id, sizeof(s->id), "%s", resp_str(&r, "id"));
	resp_free(&r);
}

/* Takes the token pair from a 200 login/refresh response into s. */
void
au_take_tokens(struct sess *s, const struct resp *r)
{
	cr_assert_eq(r->status, 200, "token response: %ld %s", r->status, r->body);
	cr_assert_not_null(resp_str(r, "access_token"));
	cr_assert_not_null(resp_str(r, "refresh_token"));
	snprintf(s->access, sizeof(s->access), "%s", resp_str(r, "access_token"));
	snprintf(s->refresh, sizeof(s->refresh), "%s", resp_str(r, "refresh_token"));
	au_secret_record("access", s->access);
	au_secret_record("refresh", s->refresh);
}

int
au_login_raw(const char *email, const char *password, struct resp *r)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, password);
	return h_json("POST", "/api/v1/auth/login", body, NULL, r);
}

void
au_login(struct sess *s)
{
	struct resp r;

	cr_assert_eq(au_login_raw(s->email, s->password, &r), 0);
	au_take_tokens(s, &r);
	au_expect_clean(&r, s->password);
	resp_free(&r);
}

int
au_refresh_raw(const char *token, struct resp *r)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", token);
	return h_json("POST", "/api/v1/auth/refresh", body, NULL, r);
}

/* Rotates s's refresh token; asserts 200. */
void
au_refresh(struct sess *s)
{
	struct resp r;

	cr_assert_eq(au_refresh_raw(s->refresh, &r), 0);
	au_take_tokens(s, &r);
	resp_free(&r);
}

long
au_me_status(const char *access)
{
	struct resp	 r;
	long		 st;

	cr_assert_eq(au_req_bearer("GET", "/api/v1/users/me", NULL, access, &r), 0);
	st = r.status;
	if (st == 401)
		au_expect_401(&r, "GET /users/me");
	resp_free(&r);
	return st;
}

/* Sets role and/or disabled directly (the admin context the trigger wants). */
void
au_sql_set_user(const char *id, const char *role, const char *disabled)
{
	char q[512], v[8];

	snprintf(q, sizeof(q), "BEGIN; SELECT set_config('taskman.role', 'admin', true); "
	    "UPDATE users SET role = coalesce(%s%s%s, role), "
	    "disabled = coalesce(%s, disabled), version = version + 1 WHERE id = '%s'; COMMIT",
	    role ? "'" : "", role ? role : "NULL", role ? "'" : "",
	    disabled ? disabled : "NULL", id);
	cr_assert_eq(h_sql(q, v, sizeof(v)), 0, "%s", q);
}

/* A user with role, logged in (tokens carry that role). */
void
au_user_with_role(struct sess *s, const char *tag, const char *role)
{
	au_register_user(s, tag);
	if (strcmp(role, "user") != 0)
		au_sql_set_user(s->id, role, NULL);
	au_login(s);
}

/* The failed-login counter of 127.0.0.1 is shared by every test: reset it. */
void
au_reset_addr_throttle(void)
{
	char v[8];

	cr_expect_eq(h_sql("DELETE FROM login_throttle WHERE key LIKE 'addr:%'", v,
	    sizeof(v)), 0);
}

/* JWT forging with OpenSSL directly (never the product's jwt code) */

void
au_b64url(const void *in, size_t n, char *out)
{
	int	 len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);

	while (len > 0 && out[len - 1] == '=')
		out[--len] = '\0';
	for (int i = 0; i < len; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
}

/* Decodes base64url (n chars) into a NUL-terminated malloc'd string. */
char *
au_b64url_dec(const char *in, size_t n)
{
	char	*std = calloc(1, n + 4), *out = calloc(1, n + 4);
	size_t	 i, pad = (4 - n % 4) % 4;
	int	 len;

	cr_assert(std != NULL && out != NULL);
	for (i = 0; i < n; i++)
		std[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	for (; i < n + pad; i++)
		std[i] = '=';
	len = EVP_DecodeBlock((unsigned char *)out, (unsigned char *)std, (int)(n + pad));
	cr_assert(len >= 0, "not base64url");
	out[len - (int)pad] = '\0';
	free(std);
	return out;
}

/* The payload of a compact token as JSON (caller puts). */
json_object *
au_jwt_claims(const char *token)
{
	const char	*d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	char		*txt;
	json_object	*o;

	cr_assert(d1 != NULL && d2 != NULL, "not a JWT: %s", token);
	txt = au_b64url_dec(d1 + 1, (size_t)(d2 - d1 - 1));
	o = json_tokener_parse(txt);
	free(txt);
	cr_assert_not_null(o);
	return o;
}

/* The "role" claim of a token, in a static buffer. */
const char *
au_claim_role(const char *token)
{
	static char	 role[32];
	json_object	*c = au_jwt_claims(token);

	snprintf(role, sizeof(role), "%s", au_jstr(c, "role") ? au_jstr(c, "role") : "(none)");
	json_object_put(c);
	return role;
}

/*
 * "b64(header).b64(payload)." + signature: HMAC-SHA-256 under key (keylen
 * bytes) when key is not NULL, else nothing.  Returns malloc'd text.
 */
char *
au_jwt_hs256(const char *header, const char *payload, const void *key, size_t keylen)
{
	size_t		 hl = strlen(header), pl = strlen(payload);
	char		*t = malloc(2 * (hl + pl) + 200);
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	size_t		 n;

	cr_assert_not_null(t);
	au_b64url(header, hl, t);
	n = strlen(t);
	t[n++] = '.';
	au_b64url(payload, pl, t + n);
	n = strlen(t);
	if (key != NULL) {
		cr_assert_not_null(HMAC(EVP_sha256(), key, (int)keylen,
		    (unsigned char *)t, n, md, &mdlen));
		t[n++] = '.';
		au_b64url(md, mdlen, t + n);
	} else {
		t[n++] = '.';
		t[n] = '\0';
	}
	return t;
}

const char *
au_jwt_secret(void)
{
	const char *s = getenv("TASKMAN_TEST_JWT_SECRET");

	return s != NULL && *s != '\0' ? s : NULL;
}

/* Own-issuer HS256 token over claims with the workers' secret. */
char *
au_forge(json_object *claims, const char *header)
{
	const char *sec = au_jwt_secret();

	cr_assert_not_null(sec);
	return au_jwt_hs256(header ? header : "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN),
	    sec, strlen(sec));
}

/* claims of a real token with key set to an integer / string. */
void
au_set_int(json_object *c, const char *key, long long v)
{
	json_object_object_add(c, key, json_object_new_int64(v));
}

void
au_set_str(json_object *c, const char *key, const char *v)
{
	json_object_object_add(c, key, v ? json_object_new_string(v) : NULL);
}

/* Ed25519 signing (external issuer) */

EVP_PKEY *
au_ext_key(void)
{
	const char	*path = getenv("TASKMAN_TEST_JWKS_PRIVATE_KEY");
	FILE		*f;
	EVP_PKEY	*k;

	if (path == NULL || *path == '\0')
		AU_SKIP("TASKMAN_TEST_JWKS_PRIVATE_KEY is not set: the stack has no "
		    "external issuer to test (see t/integration/fixtures/README)");
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert_not_null(k, "%s is not a PEM private key", path);
	return k;
}

const char *
au_env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : def;
}

char *
au_jwt_eddsa(const char *header, const char *payload, EVP_PKEY *k)
{
	size_t		 hl = strlen(header), pl = strlen(payload), siglen = 64, n;
	char		*t = malloc(2 * (hl + pl) + 200);
	unsigned char	 sig[64];
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();

	cr_assert(t != NULL && ctx != NULL);
	au_b64url(header, hl, t);
	n = strlen(t);
	t[n++] = '.';
	au_b64url(payload, pl, t + n);
	n = strlen(t);
	cr_assert_eq(EVP_DigestSignInit(ctx, NULL, NULL, NULL, k), 1);
	cr_assert_eq(EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)t, n), 1);
	EVP_MD_CTX_free(ctx);
	t[n++] = '.';
	au_b64url(sig, siglen, t + n);
	return t;
}

/* Claims an external issuer would send for subject sub. */
json_object *
au_ext_claims(const char *sub, const char *email)
{
	json_object	*c = json_object_new_object();
	time_t		 now = time(NULL);

	au_set_str(c, "iss", au_env_or("TASKMAN_TEST_EXTERNAL_ISSUER", EXT_ISSUER));
	au_set_str(c, "aud", au_env_or("TASKMAN_TEST_EXTERNAL_AUDIENCE", EXT_AUDIENCE));
	au_set_str(c, "sub", sub);
	if (email != NULL) {
		au_set_str(c, "email", email);
		/* only a verified address is stored (docs/SECURITY.md) */
		json_object_object_add(c, "email_verified", json_object_new_boolean(1));
	}
	au_set_int(c, "iat", now);
	au_set_int(c, "exp", now + 300);
	return c;
}

char *
au_ext_sign(json_object *claims, EVP_PKEY *k, const char *alg_header)
{
	char hdr_json[256];

	if (alg_header == NULL) {
		snprintf(hdr_json, sizeof(hdr_json),
		    "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
		    au_env_or("TASKMAN_TEST_JWKS_KID", EXT_KID));
		alg_header = hdr_json;
	}
	return au_jwt_eddsa(alg_header, json_object_to_json_string_ext(claims,
	    JSON_C_TO_STRING_PLAIN), k);
}
