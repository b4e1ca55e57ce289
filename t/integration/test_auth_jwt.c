/*
 * Access tokens under attack, over real HTTP: every forged, stripped,
 * tampered, expired or misdirected token is a 401 problem+json with
 * WWW-Authenticate: Bearer, and the positive controls (a validly forged
 * token, a good external token) prove each 401 is the defect's fault.
 * Suites auth_jwt (own HS256 tokens; needs TASKMAN_TEST_JWT_SECRET for the
 * validly signed ones) and auth_external (the JWKS issuer; needs
 * TASKMAN_TEST_JWKS_PRIVATE_KEY): see test_auth_util.h.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "test_auth_util.h"

/* ================================================================== */
/* JWT attacks: each is 401 problem+json with WWW-Authenticate: Bearer */

Test(auth_jwt, tokens_without_a_valid_signature)
{
	struct sess	 s;
	char		*t, *dot, hdr_b64[512], buf[TOKEN_MAX], pl[2048];
	json_object	*c;
	size_t		 n;
	int		 i;
	static const char *const nones[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\"}",
		"{\"alg\":\"None\",\"typ\":\"JWT\"}",
		"{\"alg\":\"NONE\",\"typ\":\"JWT\"}",
		"{\"alg\":\"none\"}",
	};
	static const char *const garbage[] = {
		"x", "a.b", "a.b.c", "....", "!!!.@@@.###",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0",		/* two segments */
		"eyJhbGciOiJIUzI1NiJ9=.eyJzdWIiOiIxIn0=.c2ln",	/* padding */
		"%%%%.%%%%.%%%%", "bm90IGpzb24.bm90IGpzb24.c2ln",	/* not JSON */
	};

	au_register_user(&s, "jwt");
	au_login(&s);
	cr_assert_eq(au_me_status(s.access), 200, "the genuine token works");
	c = au_jwt_claims(s.access);
	snprintf(pl, sizeof(pl), "%s", json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN));

	/* alg none, in every spelling, with an empty and with the real signature */
	for (i = 0; i < 4; i++) {
		t = au_jwt_hs256(nones[i], pl, NULL, 0);
		cr_expect_eq(au_me_status(t), 401, "%s, empty signature", nones[i]);
		snprintf(buf, sizeof(buf), "%s%s", t, strrchr(s.access, '.') + 1);
		cr_expect_eq(au_me_status(buf), 401, "%s, original signature", nones[i]);
		free(t);
	}
	/* tampered payload (role admin), original header and signature */
	au_set_str(c, "role", "admin");
	t = au_jwt_hs256("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN), NULL, 0);
	snprintf(buf, sizeof(buf), "%s%s", t, strrchr(s.access, '.') + 1);
	cr_expect_eq(au_me_status(buf), 401, "tampered payload");
	free(t);
	/* one flipped bit of the signature */
	snprintf(buf, sizeof(buf), "%s", s.access);
	n = strlen(buf);
	buf[n - 2] = buf[n - 2] == 'A' ? 'B' : 'A';
	cr_expect_eq(au_me_status(buf), 401, "flipped signature");
	/* signature stripped: "h.p." and "h.p" */
	snprintf(buf, sizeof(buf), "%s", s.access);
	dot = strrchr(buf, '.');
	dot[1] = '\0';
	cr_expect_eq(au_me_status(buf), 401, "empty signature segment");
	dot[0] = '\0';
	cr_expect_eq(au_me_status(buf), 401, "no signature segment");
	/* garbage */
	for (i = 0; i < (int)(sizeof(garbage) / sizeof(garbage[0])); i++)
		cr_expect_eq(au_me_status(garbage[i]), 401, "garbage %s", garbage[i]);
	/* 9 KiB: over the 8 KiB limit, refused before any parsing */
	memset(buf, 'A', 9216);
	buf[9216] = '\0';
	memcpy(buf, s.access, strlen(s.access));
	cr_expect_eq(au_me_status(buf), 401, "9 KiB token");
	/* header alone, twice the token, spaces inside */
	snprintf(buf, sizeof(buf), "%s %s", s.access, s.access);
	cr_expect_eq(au_me_status(buf), 401, "two tokens");
	au_b64url("{\"alg\":\"HS256\"}", 15, hdr_b64);
	cr_expect_eq(au_me_status(hdr_b64), 401, "header only");
	json_object_put(c);
	cr_expect_eq(au_me_status(s.access), 200, "the genuine token still works");
}

Test(auth_jwt, validly_signed_tokens_with_bad_claims)
{
	struct sess	 s;
	json_object	*base, *c;
	char		*t, big[10000];
	time_t		 now = time(NULL);
	const char	*sec = au_jwt_secret();
	struct {
		const char	*what;
		const char	*key;		/* claim to change */
		int		 kind;		/* 0 delete, 1 int offset from now, 2 string */
		long long	 n;
		const char	*s;
		long		 want;
	} cases[] = {
		{ "expired",			"exp", 1, -10, NULL, 401 },
		{ "exp now",			"exp", 1, 0, NULL, 401 },
		{ "exp missing",		"exp", 0, 0, NULL, 401 },
		{ "exp a string",		"exp", 2, 0, "9999999999", 401 },
		{ "nbf in the future",		"nbf", 1, 120, NULL, 401 },
		{ "nbf within the leeway",	"nbf", 1, 30, NULL, 200 },
		{ "iat in the future",		"iat", 1, 3600, NULL, 401 },
		{ "wrong iss",			"iss", 2, 0, "https://evil.example", 401 },
		{ "iss missing",		"iss", 0, 0, NULL, 401 },
		{ "wrong aud",			"aud", 2, 0, "someone-else", 401 },
		{ "aud missing",		"aud", 0, 0, NULL, 401 },
		{ "sub missing",		"sub", 0, 0, NULL, 401 },
		{ "sub not a uuid",		"sub", 2, 0, "admin", 401 },
		{ "sub of nobody",		"sub", 2, 0, "3f1c0f4e-8d7a-4b6c-9e2f-1a2b3c4d5e6f", 401 },
		{ "role admin (not the user's)", "role", 2, 0, "admin", 401 },
		{ "role unknown",		"role", 2, 0, "root", 401 },
		{ "role missing",		"role", 0, 0, NULL, 401 },
		{ "sid not a uuid",		"sid", 2, 0, "x", 401 },
	};
	size_t		 i;

	if (sec == NULL)
		AU_SKIP("TASKMAN_TEST_JWT_SECRET is not set (scripts/check passes the "
		    "workers' secret): cannot forge validly signed tokens");
	au_register_user(&s, "forge");
	au_login(&s);
	base = au_jwt_claims(s.access);

	/* the control: a forged token with good claims works, so every 401
	 * below is the claim's fault, not the forger's */
	c = json_tokener_parse(json_object_to_json_string(base));
	au_set_int(c, "iat", now);
	au_set_int(c, "exp", now + 300);
	t = au_forge(c, NULL);
	cr_assert_eq(au_me_status(t), 200, "control: a validly forged token is accepted");
	free(t);
	json_object_put(c);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = json_tokener_parse(json_object_to_json_string(base));
		au_set_int(c, "iat", now);
		au_set_int(c, "exp", now + 300);
		if (cases[i].kind == 0)
			json_object_object_del(c, cases[i].key);
		else if (cases[i].kind == 1)
			au_set_int(c, cases[i].key, now + cases[i].n);
		else
			au_set_str(c, cases[i].key, cases[i].s);
		t = au_forge(c, NULL);
		cr_expect_eq(au_me_status(t), cases[i].want, "%s", cases[i].what);
		free(t);
		json_object_put(c);
	}

	/* header variants over good claims */
	c = json_tokener_parse(json_object_to_json_string(base));
	au_set_int(c, "exp", now + 300);
	t = au_forge(c, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"no-such-key\"}");
	cr_expect_eq(au_me_status(t), 401, "unknown kid");
	free(t);
	t = au_forge(c, "{\"alg\":\"HS512\",\"typ\":\"JWT\"}");
	cr_expect_eq(au_me_status(t), 401, "alg HS512 over an HS256 key");
	free(t);
	t = au_forge(c, "{\"alg\":\"hs256\",\"typ\":\"JWT\"}");
	cr_expect_eq(au_me_status(t), 401, "alg in lower case");
	free(t);
	t = au_forge(c, "{\"typ\":\"JWT\"}");
	cr_expect_eq(au_me_status(t), 401, "alg missing");
	free(t);
	t = au_forge(c, "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}");
	cr_expect_eq(au_me_status(t), 401, "crit header");
	free(t);
	/* 9 KiB, validly signed: too long all the same */
	memset(big, 'x', 7000);
	big[7000] = '\0';
	au_set_str(c, "pad", big);
	t = au_forge(c, NULL);
	cr_expect_gt(strlen(t), 9000);
	cr_expect_eq(au_me_status(t), 401, "validly signed 9 KiB token");
	free(t);
	json_object_put(c);
	json_object_put(base);
}

Test(auth_jwt, tokens_of_disabled_and_deleted_users)
{
	struct sess	 d, x;
	char		 v[8];
	char		 q[256];
	json_object	*c;
	char		*t;

	au_register_user(&d, "jwtdisabled");
	au_login(&d);
	au_register_user(&x, "jwtdeleted");
	au_login(&x);
	cr_expect_eq(au_me_status(d.access), 200);
	cr_expect_eq(au_me_status(x.access), 200);

	au_sql_set_user(d.id, NULL, "true");
	cr_expect_eq(au_me_status(d.access), 401, "token of a disabled user");
	if (au_jwt_secret() != NULL) {
		/* a freshly forged one is no better */
		c = au_jwt_claims(d.access);
		au_set_int(c, "iat", time(NULL));
		au_set_int(c, "exp", time(NULL) + 300);
		t = au_forge(c, NULL);
		cr_expect_eq(au_me_status(t), 401, "fresh token of a disabled user");
		free(t);
		json_object_put(c);
	}

	snprintf(q, sizeof(q), "DELETE FROM users WHERE id = '%s'", x.id);
	cr_assert_eq(h_sql(q, v, sizeof(v)), 0);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM users WHERE id = '%s'", x.id), 0);
	cr_expect_eq(au_me_status(x.access), 401, "token of a deleted user");
	{
		struct resp r;

		cr_assert_eq(au_refresh_raw(x.refresh, &r), 0);
		au_expect_401(&r, "refresh of a deleted user");
		resp_free(&r);
	}
}

/* ================================================================== */
/* the external issuer (EdDSA, JWKS) */

Test(auth_external, first_sight_creates_a_local_user)
{
	EVP_PKEY	*k = au_ext_key();
	json_object	*c;
	struct resp	 r;
	char		 sub[96], email[160], id[40], *t;

	au_unique(sub, sizeof(sub), "ext");
	snprintf(email, sizeof(email), "%s@external.example.com", sub);
	c = au_ext_claims(sub, email);
	t = au_ext_sign(c, k, NULL);
	au_secret_record("access", t);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM users WHERE external_subject = '%s'", sub), 0);

	cr_assert_eq(au_req_bearer("GET", "/api/v1/users/me", NULL, t, &r), 0);
	cr_assert_eq(r.status, 200, "external token: %ld %s", r.status, r.body);
	cr_expect_str_eq(resp_str(&r, "email"), email);
	cr_expect_str_eq(resp_str(&r, "role"), "user");
	cr_assert_not_null(resp_str(&r, "id"));
	snprintf(id, sizeof(id), "%s", resp_str(&r, "id"));
	au_expect_clean(&r, NULL);
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM users WHERE id = '%s' AND "
	    "external_issuer = '%s' AND external_subject = '%s' AND password_hash IS NULL",
	    id, au_env_or("TASKMAN_TEST_EXTERNAL_ISSUER", EXT_ISSUER), sub), 1);
	free(t);

	/* a second token for the same subject maps to the same user */
	au_set_int(c, "iat", time(NULL));
	json_object_object_del(c, "email");
	t = au_ext_sign(c, k, NULL);
	au_secret_record("access", t);
	cr_assert_eq(au_req_bearer("GET", "/api/v1/users/me", NULL, t, &r), 0);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(resp_str(&r, "id") ? resp_str(&r, "id") : "", id);
	resp_free(&r);
	cr_expect_eq(au_sql_long("SELECT count(*) FROM users WHERE external_subject = '%s'", sub), 1);
	/* such a user may write (PATCH /users/me) */
	cr_assert_eq(au_req_bearer("PATCH", "/api/v1/users/me", "{\"display_name\":\"Ext\"}", t, &r), 0);
	cr_expect_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	free(t);

	/* ...but has no password to log in with */
	cr_assert_eq(au_login_raw(email, "any password at all", &r), 0);
	au_expect_401(&r, "password login of an external user");
	resp_free(&r);

	/* disabled: its tokens stop working */
	au_sql_set_user(id, NULL, "true");
	t = au_ext_sign(c, k, NULL);
	cr_expect_eq(au_me_status(t), 401, "token of a disabled external user");
	free(t);
	json_object_put(c);
	EVP_PKEY_free(k);
	au_reset_addr_throttle();
}

Test(auth_external, algorithm_confusion_and_bad_claims)
{
	EVP_PKEY	*k = au_ext_key(), *other;
	EVP_PKEY_CTX	*kc;
	json_object	*c;
	unsigned char	 raw[32];
	size_t		 rawlen = sizeof(raw);
	char		 hdr_json[256], x[64], *pem = NULL, *t, sub[96];
	const char	*kid = au_env_or("TASKMAN_TEST_JWKS_KID", EXT_KID), *pl;
	BIO		*b;
	long		 pemlen;
	struct sess	 admin;

	au_unique(sub, sizeof(sub), "extbad");
	c = au_ext_claims(sub, NULL);
	pl = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);
	/* control */
	t = au_ext_sign(c, k, NULL);
	cr_assert_eq(au_me_status(t), 200, "control: a good external token is accepted");
	free(t);

	/* HS256 keyed with the public key, in each form an attacker could take */
	cr_assert_eq(EVP_PKEY_get_raw_public_key(k, raw, &rawlen), 1);
	au_b64url(raw, rawlen, x);
	b = BIO_new(BIO_s_mem());
	cr_assert_eq(PEM_write_bio_PUBKEY(b, k), 1);
	pemlen = BIO_get_mem_data(b, &pem);
	snprintf(hdr_json, sizeof(hdr_json), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
	t = au_jwt_hs256(hdr_json, pl, raw, rawlen);
	cr_expect_eq(au_me_status(t), 401, "HS256 keyed with the raw public key, external kid");
	free(t);
	t = au_jwt_hs256(hdr_json, pl, x, strlen(x));
	cr_expect_eq(au_me_status(t), 401, "HS256 keyed with the JWK x, external kid");
	free(t);
	t = au_jwt_hs256(hdr_json, pl, pem, (size_t)pemlen);
	cr_expect_eq(au_me_status(t), 401, "HS256 keyed with the PEM public key, external kid");
	free(t);
	t = au_jwt_hs256("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", pl, pem, (size_t)pemlen);
	cr_expect_eq(au_me_status(t), 401, "HS256 keyed with the PEM public key, no kid");
	free(t);
	BIO_free(b);
	snprintf(hdr_json, sizeof(hdr_json), "{\"alg\":\"none\",\"kid\":\"%s\"}", kid);
	t = au_jwt_hs256(hdr_json, pl, NULL, 0);
	cr_expect_eq(au_me_status(t), 401, "alg none with the external kid");
	free(t);
	snprintf(hdr_json, sizeof(hdr_json), "{\"alg\":\"ES256\",\"kid\":\"%s\"}", kid);
	t = au_ext_sign(c, k, hdr_json);
	cr_expect_eq(au_me_status(t), 401, "alg ES256 over the Ed25519 key");
	free(t);
	t = au_ext_sign(c, k, "{\"alg\":\"EdDSA\",\"kid\":\"no-such-kid\"}");
	cr_expect_eq(au_me_status(t), 401, "unknown kid");
	free(t);
	t = au_ext_sign(c, k, "{\"alg\":\"EdDSA\"}");
	cr_expect_eq(au_me_status(t), 401, "EdDSA without kid (only our HS256 key has none)");
	free(t);

	/* another Ed25519 key under the configured kid */
	kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	other = NULL;
	cr_assert(kc != NULL && EVP_PKEY_keygen_init(kc) == 1 &&
	    EVP_PKEY_keygen(kc, &other) == 1);
	EVP_PKEY_CTX_free(kc);
	t = au_ext_sign(c, other, NULL);
	cr_expect_eq(au_me_status(t), 401, "signed by another Ed25519 key");
	free(t);
	EVP_PKEY_free(other);

	/* claims the external key may not vouch for */
	au_set_str(c, "aud", "someone-else");
	t = au_ext_sign(c, k, NULL);
	cr_expect_eq(au_me_status(t), 401, "external token, wrong aud");
	free(t);
	au_set_str(c, "aud", au_env_or("TASKMAN_TEST_EXTERNAL_AUDIENCE", EXT_AUDIENCE));
	au_set_int(c, "exp", time(NULL) - 5);
	t = au_ext_sign(c, k, NULL);
	cr_expect_eq(au_me_status(t), 401, "external token, expired");
	free(t);
	au_set_int(c, "exp", time(NULL) + 300);
	au_set_int(c, "nbf", time(NULL) + 600);
	t = au_ext_sign(c, k, NULL);
	cr_expect_eq(au_me_status(t), 401, "external token, nbf in the future");
	free(t);
	json_object_object_del(c, "nbf");
	/* the external key minting an own-issuer admin token */
	au_user_with_role(&admin, "extadmin", "admin");
	{
		json_object *own = au_jwt_claims(admin.access);

		au_set_int(own, "exp", time(NULL) + 300);
		t = au_ext_sign(own, k, NULL);
		cr_expect_eq(au_me_status(t), 401, "own issuer's claims signed by the external key");
		free(t);
		json_object_put(own);
	}
	au_set_str(c, "iss", "taskman");
	t = au_ext_sign(c, k, NULL);
	cr_expect_eq(au_me_status(t), 401, "external key, iss of our own");
	free(t);
	json_object_put(c);
	EVP_PKEY_free(k);
}
