#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "auth/jwt.h"

#define NOW		1800000010
#define OWN_ISS		"taskman"
#define OWN_AUD		"taskman-api"
#define EXT_ISS		"https://auth.example.com"
#define EXT_AUD		"taskman-ext"
#define OWN_SECRET	"0123456789abcdef0123456789abcdef"
#define TOKMAX		(3 * JWT_MAX_TOKEN)

static const char b64alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* ---- helpers: keys, JWKS files, signing in the test itself ---- */

static void
b64(const void *p, size_t n, char *out, size_t outlen)
{
	cr_assert_geq(jwt_b64url_encode(p, n, out, outlen), 0);
}

static EVP_PKEY *
gen(const char *type)
{
	EVP_PKEY	*pk;

	if (strcmp(type, "EC") == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(type, "RSA") == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(type, "RSA1024") == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, type);
	cr_assert_not_null(pk, "keygen %s", type);
	return pk;
}

static void
bn_b64(EVP_PKEY *pk, const char *param, size_t pad, char *out, size_t outlen)
{
	BIGNUM		*bn = NULL;
	unsigned char	 raw[1100];
	int		 n;

	cr_assert_eq(EVP_PKEY_get_bn_param(pk, param, &bn), 1);
	n = pad ? BN_bn2binpad(bn, raw, (int)pad) : BN_bn2bin(bn, raw);
	cr_assert_gt(n, 0);
	b64(raw, (size_t)n, out, outlen);
	BN_free(bn);
}

/* The public JWK of pk, with extra members (",\"alg\":...") appended. */
static void
jwk_of(EVP_PKEY *pk, const char *kid, const char *extra, char *out,
    size_t outlen)
{
	unsigned char	 raw[64];
	size_t		 rawlen = sizeof(raw);
	char		 a[1500], b[64];

	if (EVP_PKEY_is_a(pk, "ED25519")) {
		cr_assert_eq(EVP_PKEY_get_raw_public_key(pk, raw, &rawlen), 1);
		b64(raw, rawlen, a, sizeof(a));
		snprintf(out, outlen, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
		    "\"kid\":\"%s\",\"x\":\"%s\"%s}", kid, a, extra);
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		bn_b64(pk, OSSL_PKEY_PARAM_EC_PUB_X, 32, a, sizeof(a));
		bn_b64(pk, OSSL_PKEY_PARAM_EC_PUB_Y, 32, b, sizeof(b));
		snprintf(out, outlen, "{\"kty\":\"EC\",\"crv\":\"P-256\","
		    "\"kid\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"%s}", kid, a, b, extra);
	} else {
		bn_b64(pk, OSSL_PKEY_PARAM_RSA_N, 0, a, sizeof(a));
		bn_b64(pk, OSSL_PKEY_PARAM_RSA_E, 0, b, sizeof(b));
		snprintf(out, outlen, "{\"kty\":\"RSA\",\"kid\":\"%s\","
		    "\"n\":\"%s\",\"e\":\"%s\"%s}", kid, a, b, extra);
	}
}

/* Writes data to a fresh temporary file; its name goes to path. */
static void
write_tmp(const char *data, size_t len, char *path, size_t pathlen)
{
	int	 fd;

	snprintf(path, pathlen, "/tmp/test_jwt.XXXXXX");
	cr_assert_geq(fd = mkstemp(path), 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Loads a JWKS text through a file, as the worker does. */
static int
load_text(struct jwt_keyset *ks, const char *json, const char *aud, char *err,
    size_t errlen)
{
	char	 path[64];
	int	 rc;

	write_tmp(json, strlen(json), path, sizeof(path));
	rc = jwt_keyset_load_jwks(ks, path, EXT_ISS, aud, err, errlen);
	unlink(path);
	return rc;
}

/* A signature over in by pk for alg: JWS form, or DER for ES256 if der. */
static size_t
sign_pk(EVP_PKEY *pk, enum jwt_alg alg, const char *in, size_t n,
    unsigned char *sig, bool der)
{
	EVP_MD_CTX		*ctx;
	ECDSA_SIG		*es;
	const BIGNUM		*r, *s;
	const unsigned char	*p;
	unsigned char		 tmp[1100];
	size_t			 len = sizeof(tmp);

	cr_assert_not_null(ctx = EVP_MD_CTX_new());
	cr_assert_eq(EVP_DigestSignInit(ctx, NULL,
	    alg == JWT_ALG_EDDSA ? NULL : EVP_sha256(), NULL, pk), 1);
	cr_assert_eq(EVP_DigestSign(ctx, tmp, &len, (const unsigned char *)in,
	    n), 1);
	EVP_MD_CTX_free(ctx);
	if (alg == JWT_ALG_ES256 && !der) {
		p = tmp;
		cr_assert_not_null(es = d2i_ECDSA_SIG(NULL, &p, (long)len));
		ECDSA_SIG_get0(es, &r, &s);
		cr_assert_eq(BN_bn2binpad(r, sig, 32), 32);
		cr_assert_eq(BN_bn2binpad(s, sig + 32, 32), 32);
		ECDSA_SIG_free(es);
		return 64;
	}
	memcpy(sig, tmp, len);
	return len;
}

/* How the test signs a token. */
enum signer {
	S_EMPTY,	/* no signature at all */
	S_OWN,		/* HS256 with OWN_SECRET */
	S_OWN_WRONG,	/* HS256 with another 32-byte secret */
	S_ED,		/* the Ed25519 key published as ed1 */
	S_ED_OTHER,	/* an unpublished Ed25519 key */
	S_EC,		/* the P-256 key ec1, JWS r||s */
	S_EC_DER,	/* the P-256 key ec1, DER (wrong for JWS) */
	S_EC_SHORT,	/* r||s with one byte cut */
	S_RS,		/* the RSA key rs1 */
	S_CONF_ED,	/* HS256 keyed with ed1's raw public key bytes */
	S_CONF_EDX,	/* HS256 keyed with ed1's JWK "x" text */
	S_CONF_EC,	/* HS256 keyed with ec1's uncompressed point */
	S_JUNK		/* 32 bytes that are no signature */
};

struct fix {
	struct jwt_keyset	 ks;
	EVP_PKEY		*ed, *ed_other, *ec, *rs;
};

static void
fix_init(struct fix *f)
{
	char	 jwks[8192], k1[1024], k2[1024], k3[2048], err[256];

	memset(f, 0, sizeof(*f));
	jwt_keyset_init(&f->ks);
	f->ed = gen("ED25519");
	f->ed_other = gen("ED25519");
	f->ec = gen("EC");
	f->rs = gen("RSA");
	cr_assert_eq(jwt_keyset_add_hs256(&f->ks,
	    (const unsigned char *)OWN_SECRET, strlen(OWN_SECRET), NULL, OWN_ISS,
	    OWN_AUD, err, sizeof(err)), 0, "%s", err);
	jwk_of(f->ed, "ed1", ",\"alg\":\"EdDSA\",\"use\":\"sig\"", k1, sizeof(k1));
	jwk_of(f->ec, "ec1", "", k2, sizeof(k2));
	jwk_of(f->rs, "rs1", ",\"alg\":\"RS256\"", k3, sizeof(k3));
	snprintf(jwks, sizeof(jwks), "{\"keys\":[%s,%s,%s]}", k1, k2, k3);
	cr_assert_eq(load_text(&f->ks, jwks, EXT_AUD, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(f->ks.nkeys, 4);
}

static void
fix_free(struct fix *f)
{
	jwt_keyset_free(&f->ks);
	EVP_PKEY_free(f->ed);
	EVP_PKEY_free(f->ed_other);
	EVP_PKEY_free(f->ec);
	EVP_PKEY_free(f->rs);
}

/* header.payload.signature from two JSON texts, into out (TOKMAX). */
static void
mk(const struct fix *f, enum signer s, const char *hdr, const char *pl,
    char *out)
{
	unsigned char	 sig[1100], key[100];
	size_t		 n, siglen = 0, keylen = sizeof(key);
	char		 x[64];

	b64(hdr, strlen(hdr), out, TOKMAX);
	n = strlen(out);
	out[n++] = '.';
	b64(pl, strlen(pl), out + n, TOKMAX - n);
	n += strlen(out + n);
	switch (s) {
	case S_EMPTY:
		break;
	case S_OWN:
		memcpy(key, OWN_SECRET, keylen = strlen(OWN_SECRET));
		goto hmac;
	case S_OWN_WRONG:
		memcpy(key, "fedcba9876543210fedcba9876543210", keylen = 32);
		goto hmac;
	case S_CONF_ED:
		cr_assert_eq(EVP_PKEY_get_raw_public_key(f->ed, key, &keylen), 1);
		goto hmac;
	case S_CONF_EDX:
		cr_assert_eq(EVP_PKEY_get_raw_public_key(f->ed, key, &keylen), 1);
		b64(key, keylen, x, sizeof(x));
		memcpy(key, x, keylen = strlen(x));
		goto hmac;
	case S_CONF_EC:
		cr_assert_eq(EVP_PKEY_get_octet_string_param(f->ec,
		    OSSL_PKEY_PARAM_PUB_KEY, key, sizeof(key), &keylen), 1);
		cr_assert_eq(keylen, 65);
		goto hmac;
	case S_ED:
		siglen = sign_pk(f->ed, JWT_ALG_EDDSA, out, n, sig, false);
		break;
	case S_ED_OTHER:
		siglen = sign_pk(f->ed_other, JWT_ALG_EDDSA, out, n, sig, false);
		break;
	case S_EC:
		siglen = sign_pk(f->ec, JWT_ALG_ES256, out, n, sig, false);
		break;
	case S_EC_DER:
		siglen = sign_pk(f->ec, JWT_ALG_ES256, out, n, sig, true);
		break;
	case S_EC_SHORT:
		siglen = sign_pk(f->ec, JWT_ALG_ES256, out, n, sig, false) - 1;
		break;
	case S_RS:
		siglen = sign_pk(f->rs, JWT_ALG_RS256, out, n, sig, false);
		break;
	case S_JUNK:
		memset(sig, 0xA5, siglen = 32);
		break;
	}
	out[n++] = '.';
	out[n] = '\0';
	if (siglen > 0)
		b64(sig, siglen, out + n, TOKMAX - n);
	return;
hmac:
	out[n] = '.';
	cr_assert_eq(jwt_hs256_sig(key, keylen, out, n, out + n + 1,
	    TOKMAX - n - 1), 43);
}

static enum jwt_status
verify(const struct fix *f, const char *tok, int leeway, json_object **claims,
    char *why, size_t whylen)
{
	struct jwt_expect	 e = { .leeway_s = leeway };

	return jwt_verify(&f->ks, tok, strlen(tok), NOW, &e, claims, why, whylen);
}

/* ---- base64url ---- */

Test(jwt, b64url_table)
{
	static const struct { const char *in; const char *out; } enc[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "\xfb\xff", "-_8" }, { "\xff\xfe\xfd", "__79" },
	};
	static const char *const bad[] = {
		"Zg==", "Zg=", "Z", "Zm9vY", "Zm9v!", "Zm 9v", "+/8", "Zm9v\n",
		"Zh", "Zm9", "-_9",	/* non-canonical: unused bits set */
	};
	unsigned char	 raw[16];
	char		 out[16];
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		n = jwt_b64url_encode((const unsigned char *)enc[i].in,
		    strlen(enc[i].in), out, sizeof(out));
		cr_expect_eq(n, (int)strlen(enc[i].out), "enc %zu", i);
		cr_expect_str_eq(out, enc[i].out, "enc %zu", i);
		n = jwt_b64url_decode(enc[i].out, strlen(enc[i].out), raw,
		    sizeof(raw));
		cr_expect_eq(n, (int)strlen(enc[i].in), "dec %zu", i);
		cr_expect(n >= 0 && memcmp(raw, enc[i].in, (size_t)n) == 0,
		    "dec %zu", i);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(jwt_b64url_decode(bad[i], strlen(bad[i]), raw,
		    sizeof(raw)), -1, "bad %zu: %s", i, bad[i]);
	/* output bounds */
	cr_expect_eq(jwt_b64url_decode("Zm9v", 4, raw, 2), -1);
	cr_expect_eq(jwt_b64url_decode("Zm9v", 4, raw, 3), 3);
	cr_expect_eq(jwt_b64url_encode((const unsigned char *)"foo", 3, out, 4), -1);
	cr_expect_eq(jwt_b64url_encode((const unsigned char *)"foo", 3, out, 5), 4);
}

/* ---- RFC vectors ---- */

/* RFC 7515 Appendix A.1: HS256. */
static const char rfc7515_k[] =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuT"
    "wjAzZr1Z9CAow";
static const char rfc7515_input[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
    "bS9pc19yb290Ijp0cnVlfQ";
static const char rfc7515_sig[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

Test(jwt, rfc7515_a1_hs256)
{
	struct jwt_keyset	 ks;
	struct jwt_expect	 e = { .allow_no_sub = true };
	unsigned char		 key[64];
	char			 tok[512], sig[64], err[128], why[128];
	json_object		*claims = NULL, *v;
	int			 n;

	n = jwt_b64url_decode(rfc7515_k, strlen(rfc7515_k), key, sizeof(key));
	cr_assert_eq(n, 64);
	/* signing the RFC's bytes gives the RFC's signature */
	cr_assert_eq(jwt_hs256_sig(key, 64, rfc7515_input, strlen(rfc7515_input),
	    sig, sizeof(sig)), 43);
	cr_expect_str_eq(sig, rfc7515_sig);

	snprintf(tok, sizeof(tok), "%s.%s", rfc7515_input, rfc7515_sig);
	jwt_keyset_init(&ks);
	cr_assert_eq(jwt_keyset_add_hs256(&ks, key, 64, NULL, "joe", NULL, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(jwt_verify(&ks, tok, strlen(tok), 1300819380 - 1, &e,
	    &claims, why, sizeof(why)), JWT_OK, "%s", why);
	cr_assert_not_null(claims);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(claims,
	    "iss")), "joe");
	cr_expect(json_object_object_get_ex(claims, "http://example.com/is_root",
	    &v) && json_object_get_boolean(v));
	json_object_put(claims);

	/* same token: expired at exp, sub required by default, issuer pinned */
	cr_expect_eq(jwt_verify(&ks, tok, strlen(tok), 1300819380, &e, &claims,
	    why, sizeof(why)), JWT_EXPIRED);
	cr_expect_null(claims);
	cr_expect_eq(jwt_verify(&ks, tok, strlen(tok), 1300819380 - 1, NULL,
	    NULL, why, sizeof(why)), JWT_BAD_CLAIMS);
	jwt_keyset_free(&ks);
	cr_assert_eq(jwt_keyset_add_hs256(&ks, key, 64, NULL, "bob", NULL, err,
	    sizeof(err)), 0);
	cr_expect_eq(jwt_verify(&ks, tok, strlen(tok), 1300819380 - 1, &e,
	    NULL, why, sizeof(why)), JWT_BAD_ISSUER);
	/* one flipped signature character */
	tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'A' ? 'B' : 'A';
	cr_expect_eq(jwt_verify(&ks, tok, strlen(tok), 1300819380 - 1, &e,
	    NULL, why, sizeof(why)), JWT_BAD_SIGNATURE);
	jwt_keyset_free(&ks);
	cr_expect_eq(ks.nkeys, 0);
	cr_expect_null(ks.keys);
}

/* RFC 8037 Appendix A.4: Ed25519 (its payload is not JSON). */
static const char rfc8037_input[] =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
static const char rfc8037_sig[] =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7s"
    "VvpAr_MuM0KAg";

Test(jwt, rfc8037_a4_ed25519)
{
	static const char jwks[] = "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"kid\":\"rfc8037\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}";
	struct jwt_keyset	 ks;
	const struct jwt_key	*k;
	char			 tok[512], bad[128], err[128], why[128];

	jwt_keyset_init(&ks);
	cr_assert_eq(load_text(&ks, jwks, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(k = jwt_keyset_find(&ks, "rfc8037"));
	cr_expect_eq(k->alg, JWT_ALG_EDDSA);
	cr_expect_null(jwt_keyset_find(&ks, NULL));
	cr_expect_eq(jwt_verify_sig(k, rfc8037_input, strlen(rfc8037_input),
	    rfc8037_sig, strlen(rfc8037_sig)), JWT_OK);
	/* one byte of the signing input changed */
	snprintf(bad, sizeof(bad), "%s", rfc8037_input);
	bad[strlen(bad) - 1] = 'd';
	cr_expect_eq(jwt_verify_sig(k, bad, strlen(bad), rfc8037_sig,
	    strlen(rfc8037_sig)), JWT_BAD_SIGNATURE);
	cr_expect_eq(jwt_verify_sig(k, rfc8037_input, strlen(rfc8037_input),
	    rfc8037_sig, strlen(rfc8037_sig) - 1), JWT_MALFORMED);
	/* the whole token: no kid, so only an own HS256 key could match */
	snprintf(tok, sizeof(tok), "%s.%s", rfc8037_input, rfc8037_sig);
	cr_expect_eq(jwt_verify(&ks, tok, strlen(tok), NOW, NULL, NULL, why,
	    sizeof(why)), JWT_UNKNOWN_KEY);
	jwt_keyset_free(&ks);
}

/* ---- positive paths ---- */

Test(jwt, hs256_round_trip)
{
	struct fix	 f;
	json_object	*c, *back = NULL;
	char		 tok[JWT_MAX_TOKEN + 1], why[128];
	int		 n;

	fix_init(&f);
	c = json_object_new_object();
	json_object_object_add(c, "sub", json_object_new_string(
	    "6f1c2a4e-0000-4000-8000-000000000001"));
	json_object_object_add(c, "role", json_object_new_string("user"));
	json_object_object_add(c, "iss", json_object_new_string(OWN_ISS));
	json_object_object_add(c, "aud", json_object_new_string(OWN_AUD));
	json_object_object_add(c, "iat", json_object_new_int64(NOW));
	json_object_object_add(c, "exp", json_object_new_int64(NOW + 900));
	json_object_object_add(c, "jti", json_object_new_string("a/b"));
	n = jwt_sign_hs256((const unsigned char *)OWN_SECRET, strlen(OWN_SECRET),
	    c, tok, sizeof(tok));
	cr_assert_gt(n, 0);
	cr_expect_eq((size_t)n, strlen(tok));
	/* the header is exactly {"alg":"HS256","typ":"JWT"} */
	cr_expect(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37) == 0);
	cr_assert_eq(verify(&f, tok, 0, &back, why, sizeof(why)), JWT_OK, "%s", why);
	cr_expect_str_eq(why, "");
	cr_expect_str_eq(json_object_get_string(json_object_object_get(back,
	    "sub")), "6f1c2a4e-0000-4000-8000-000000000001");
	cr_expect_str_eq(json_object_get_string(json_object_object_get(back,
	    "role")), "user");
	cr_expect_str_eq(json_object_get_string(json_object_object_get(back,
	    "jti")), "a/b");
	json_object_put(back);
	/* valid until exp, then not */
	cr_expect_eq(jwt_verify(&f.ks, tok, (size_t)n, NOW + 899, NULL, NULL,
	    NULL, 0), JWT_OK);
	cr_expect_eq(jwt_verify(&f.ks, tok, (size_t)n, NOW + 900, NULL, NULL,
	    why, sizeof(why)), JWT_EXPIRED);
	/* signing refuses bad inputs and leaves "" */
	cr_expect_eq(jwt_sign_hs256((const unsigned char *)OWN_SECRET, 31, c, tok,
	    sizeof(tok)), -1);
	cr_expect_str_eq(tok, "");
	cr_expect_eq(jwt_sign_hs256((const unsigned char *)OWN_SECRET, 32, c, tok,
	    60), -1);
	cr_expect_str_eq(tok, "");
	json_object_put(c);
	c = json_object_new_array();
	cr_expect_eq(jwt_sign_hs256((const unsigned char *)OWN_SECRET, 32, c, tok,
	    sizeof(tok)), -1);
	json_object_put(c);
	c = json_object_new_object();
	{
		char	 big[7000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		json_object_object_add(c, "pad", json_object_new_string(big));
	}
	cr_expect_eq(jwt_sign_hs256((const unsigned char *)OWN_SECRET, 32, c, tok,
	    sizeof(tok)), -1, "a token over 8192 bytes is refused");
	json_object_put(c);
	fix_free(&f);
}

Test(jwt, external_tokens_from_jwks)
{
	static const struct {
		const char	*name;
		enum signer	 s;
		const char	*hdr;
		const char	*pl;
		int		 leeway;
	} t[] = {
		{ "EdDSA", S_ED, "{\"alg\":\"EdDSA\",\"kid\":\"ed1\",\"typ\":\"JWT\"}",
		    "{\"sub\":\"ext1\",\"iss\":\"" EXT_ISS "\",\"aud\":\"" EXT_AUD
		    "\",\"iat\":1800000000,\"exp\":1800000900}", 0 },
		{ "Ed25519 (RFC 9864 name)", S_ED,
		    "{\"alg\":\"Ed25519\",\"kid\":\"ed1\"}",
		    "{\"sub\":\"ext1\",\"iss\":\"" EXT_ISS "\",\"aud\":\"" EXT_AUD
		    "\",\"exp\":1800000900}", 0 },
		{ "ES256", S_EC, "{\"alg\":\"ES256\",\"kid\":\"ec1\"}",
		    "{\"sub\":\"ext1\",\"iss\":\"" EXT_ISS "\",\"aud\":\"" EXT_AUD
		    "\",\"exp\":1800000900}", 0 },
		{ "RS256", S_RS, "{\"alg\":\"RS256\",\"kid\":\"rs1\"}",
		    "{\"sub\":\"ext1\",\"iss\":\"" EXT_ISS "\",\"aud\":\"" EXT_AUD
		    "\",\"exp\":1800000900}", 0 },
		{ "aud as array", S_ED, "{\"alg\":\"EdDSA\",\"kid\":\"ed1\"}",
		    "{\"sub\":\"ext1\",\"iss\":\"" EXT_ISS "\",\"aud\":[\"other\",\""
		    EXT_AUD "\"],\"exp\":1800000900}", 0 },
		{ "typ at+jwt, any case", S_EC,
		    "{\"alg\":\"ES256\",\"kid\":\"ec1\",\"typ\":\"AT+JWT\"}",
		    "{\"sub\":\"ext1\",\"iss\":\"" EXT_ISS "\",\"aud\":\"" EXT_AUD
		    "\",\"exp\":1800000900}", 0 },
		{ "nbf and iat within leeway", S_RS,
		    "{\"alg\":\"RS256\",\"kid\":\"rs1\",\"typ\":\"application/jwt\"}",
		    "{\"sub\":\"ext1\",\"iss\":\"" EXT_ISS "\",\"aud\":\"" EXT_AUD
		    "\",\"nbf\":1800000060,\"iat\":1800000070,\"exp\":1800000900}", 60 },
		{ "decimal exp", S_ED, "{\"alg\":\"EdDSA\",\"kid\":\"ed1\"}",
		    "{\"sub\":\"ext1\",\"iss\":\"" EXT_ISS "\",\"aud\":\"" EXT_AUD
		    "\",\"exp\":1800000010.5}", 0 },
		{ "own kid-less with typ jwt", S_OWN, "{\"alg\":\"HS256\",\"typ\":\"jwt\"}",
		    "{\"sub\":\"u1\",\"iss\":\"" OWN_ISS "\",\"aud\":[\"" OWN_AUD
		    "\"],\"exp\":1800000900}", 0 },
	};
	struct fix	 f;
	json_object	*c = NULL;
	char		 tok[TOKMAX], why[128];
	size_t		 i;

	fix_init(&f);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mk(&f, t[i].s, t[i].hdr, t[i].pl, tok);
		cr_expect_eq(verify(&f, tok, t[i].leeway, &c, why, sizeof(why)),
		    JWT_OK, "%s: %s", t[i].name, why);
		cr_expect(c != NULL && strcmp(json_object_get_string(
		    json_object_object_get(c, "sub")),
		    t[i].s == S_OWN ? "u1" : "ext1") == 0, "%s", t[i].name);
		json_object_put(c);
		c = NULL;
	}
	fix_free(&f);
}

/* ---- the attack table ---- */

#define OWN_PL	"{\"sub\":\"u1\",\"role\":\"user\",\"iss\":\"" OWN_ISS "\",\"aud\":\"" \
		OWN_AUD "\",\"iat\":1800000000,\"exp\":1800000900}"
#define EXT_PL	"{\"sub\":\"ext1\",\"iss\":\"" EXT_ISS "\",\"aud\":\"" EXT_AUD \
		"\",\"exp\":1800000900}"
#define HS	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define ED	"{\"alg\":\"EdDSA\",\"kid\":\"ed1\"}"
#define EC	"{\"alg\":\"ES256\",\"kid\":\"ec1\"}"
#define RS	"{\"alg\":\"RS256\",\"kid\":\"rs1\"}"

enum mutation {
	M_NONE,
	M_PAD,		/* append '=' */
	M_STRIP_SIG,	/* "h.p." */
	M_TWO_SEG,	/* "h.p" */
	M_FOUR_SEG,	/* "h.p.s.s" */
	M_SWAP_PL,	/* another payload, the original signature */
	M_NONCANON,	/* last signature digit with its unused bits set */
	M_STD_B64	/* '+' and '/' of standard base64 in the signature */
};

Test(jwt, attack_table)
{
	static const struct {
		const char	*name;
		enum signer	 s;
		const char	*hdr;
		const char	*pl;
		enum mutation	 m;
		enum jwt_status	 want;
	} t[] = {
		{ "control: own token", S_OWN, HS, OWN_PL, M_NONE, JWT_OK },
		{ "control: ext token", S_ED, ED, EXT_PL, M_NONE, JWT_OK },
		/* alg none in any spelling, with and without signature */
		{ "alg none, no sig", S_EMPTY, "{\"alg\":\"none\",\"typ\":\"JWT\"}",
		    OWN_PL, M_NONE, JWT_BAD_ALG },
		{ "alg None, no sig", S_EMPTY, "{\"alg\":\"None\"}", OWN_PL, M_NONE,
		    JWT_BAD_ALG },
		{ "alg NONE, no sig", S_EMPTY, "{\"alg\":\"NONE\"}", OWN_PL, M_NONE,
		    JWT_BAD_ALG },
		{ "alg nOnE, own HMAC", S_OWN, "{\"alg\":\"nOnE\"}", OWN_PL, M_NONE,
		    JWT_BAD_ALG },
		{ "alg none with ext kid", S_ED, "{\"alg\":\"none\",\"kid\":\"ed1\"}",
		    EXT_PL, M_NONE, JWT_BAD_ALG },
		{ "alg missing", S_OWN, "{\"typ\":\"JWT\"}", OWN_PL, M_NONE,
		    JWT_BAD_ALG },
		{ "alg not a string", S_OWN, "{\"alg\":256}", OWN_PL, M_NONE,
		    JWT_BAD_ALG },
		/* algorithm confusion: HMAC keyed with public key bytes */
		{ "HS256 keyed by ed1 raw key", S_CONF_ED,
		    "{\"alg\":\"HS256\",\"kid\":\"ed1\"}", EXT_PL, M_NONE, JWT_BAD_ALG },
		{ "HS256 keyed by ed1 x text", S_CONF_EDX,
		    "{\"alg\":\"HS256\",\"kid\":\"ed1\"}", EXT_PL, M_NONE, JWT_BAD_ALG },
		{ "HS256 keyed by ec1 point", S_CONF_EC,
		    "{\"alg\":\"HS256\",\"kid\":\"ec1\"}", EXT_PL, M_NONE, JWT_BAD_ALG },
		{ "EdDSA on the own key", S_ED, "{\"alg\":\"EdDSA\"}", OWN_PL, M_NONE,
		    JWT_BAD_ALG },
		{ "ES256 on an EdDSA kid", S_EC, "{\"alg\":\"ES256\",\"kid\":\"ed1\"}",
		    EXT_PL, M_NONE, JWT_BAD_ALG },
		{ "PS256 on an RSA kid", S_RS, "{\"alg\":\"PS256\",\"kid\":\"rs1\"}",
		    EXT_PL, M_NONE, JWT_BAD_ALG },
		{ "alg hs256 lower case", S_OWN, "{\"alg\":\"hs256\"}", OWN_PL, M_NONE,
		    JWT_BAD_ALG },
		/* signatures */
		{ "tampered payload", S_OWN, HS, OWN_PL, M_SWAP_PL, JWT_BAD_SIGNATURE },
		{ "tampered ext payload", S_ED, ED, EXT_PL, M_SWAP_PL,
		    JWT_BAD_SIGNATURE },
		{ "stripped signature", S_OWN, HS, OWN_PL, M_STRIP_SIG,
		    JWT_BAD_SIGNATURE },
		{ "stripped ext signature", S_ED, ED, EXT_PL, M_STRIP_SIG,
		    JWT_BAD_SIGNATURE },
		{ "wrong HS256 secret", S_OWN_WRONG, HS, OWN_PL, M_NONE,
		    JWT_BAD_SIGNATURE },
		{ "unpublished Ed25519 key", S_ED_OTHER, ED, EXT_PL, M_NONE,
		    JWT_BAD_SIGNATURE },
		{ "ES256 DER signature (wrong length)", S_EC_DER, EC, EXT_PL, M_NONE,
		    JWT_BAD_SIGNATURE },
		{ "ES256 63-byte signature", S_EC_SHORT, EC, EXT_PL, M_NONE,
		    JWT_BAD_SIGNATURE },
		{ "RS256 32-byte signature", S_JUNK, RS, EXT_PL, M_NONE,
		    JWT_BAD_SIGNATURE },
		{ "EdDSA 32-byte signature", S_JUNK, ED, EXT_PL, M_NONE,
		    JWT_BAD_SIGNATURE },
		{ "HS256 junk signature", S_JUNK, HS, OWN_PL, M_NONE,
		    JWT_BAD_SIGNATURE },
		/* claims */
		{ "expired", S_OWN, HS, "{\"sub\":\"u1\",\"iss\":\"" OWN_ISS
		    "\",\"aud\":\"" OWN_AUD "\",\"exp\":1800000009}", M_NONE,
		    JWT_EXPIRED },
		{ "exp == now", S_OWN, HS, "{\"sub\":\"u1\",\"iss\":\"" OWN_ISS
		    "\",\"aud\":\"" OWN_AUD "\",\"exp\":1800000010}", M_NONE,
		    JWT_EXPIRED },
		{ "ext expired", S_EC, EC, "{\"sub\":\"e\",\"iss\":\"" EXT_ISS
		    "\",\"aud\":\"" EXT_AUD "\",\"exp\":1}", M_NONE, JWT_EXPIRED },
		{ "nbf in the future", S_OWN, HS, "{\"sub\":\"u1\",\"iss\":\"" OWN_ISS
		    "\",\"aud\":\"" OWN_AUD "\",\"nbf\":1800000071,"
		    "\"exp\":1800000900}", M_NONE, JWT_NOT_YET_VALID },
		{ "iat far in the future", S_OWN, HS, "{\"sub\":\"u1\",\"iss\":\""
		    OWN_ISS "\",\"aud\":\"" OWN_AUD "\",\"iat\":1800003610,"
		    "\"exp\":1800009000}", M_NONE, JWT_NOT_YET_VALID },
		{ "wrong iss", S_OWN, HS, "{\"sub\":\"u1\",\"iss\":\"evil\",\"aud\":\""
		    OWN_AUD "\",\"exp\":1800000900}", M_NONE, JWT_BAD_ISSUER },
		{ "iss missing", S_OWN, HS, "{\"sub\":\"u1\",\"aud\":\"" OWN_AUD
		    "\",\"exp\":1800000900}", M_NONE, JWT_BAD_ISSUER },
		{ "ext key, own iss", S_ED, ED, "{\"sub\":\"u1\",\"iss\":\"" OWN_ISS
		    "\",\"aud\":\"" OWN_AUD "\",\"exp\":1800000900}", M_NONE,
		    JWT_BAD_ISSUER },
		{ "iss with NUL suffix", S_OWN, HS, "{\"sub\":\"u1\",\"iss\":\""
		    OWN_ISS "\\u0000x\",\"aud\":\"" OWN_AUD "\",\"exp\":1800000900}",
		    M_NONE, JWT_BAD_ISSUER },
		{ "wrong aud", S_OWN, HS, "{\"sub\":\"u1\",\"iss\":\"" OWN_ISS
		    "\",\"aud\":\"" EXT_AUD "\",\"exp\":1800000900}", M_NONE,
		    JWT_BAD_AUDIENCE },
		{ "aud array without ours", S_ED, ED, "{\"sub\":\"e\",\"iss\":\""
		    EXT_ISS "\",\"aud\":[\"a\",\"b\"],\"exp\":1800000900}", M_NONE,
		    JWT_BAD_AUDIENCE },
		{ "aud empty array", S_ED, ED, "{\"sub\":\"e\",\"iss\":\"" EXT_ISS
		    "\",\"aud\":[],\"exp\":1800000900}", M_NONE, JWT_BAD_AUDIENCE },
		{ "aud array with a number", S_ED, ED, "{\"sub\":\"e\",\"iss\":\""
		    EXT_ISS "\",\"aud\":[\"" EXT_AUD "\",1],\"exp\":1800000900}", M_NONE,
		    JWT_BAD_AUDIENCE },
		{ "aud missing", S_OWN, HS, "{\"sub\":\"u1\",\"iss\":\"" OWN_ISS
		    "\",\"exp\":1800000900}", M_NONE, JWT_BAD_AUDIENCE },
		{ "exp as a string", S_OWN, HS, "{\"sub\":\"u1\",\"iss\":\"" OWN_ISS
		    "\",\"aud\":\"" OWN_AUD "\",\"exp\":\"1800000900\"}", M_NONE,
		    JWT_BAD_CLAIMS },
		{ "exp missing", S_OWN, HS, "{\"sub\":\"u1\",\"iss\":\"" OWN_ISS
		    "\",\"aud\":\"" OWN_AUD "\"}", M_NONE, JWT_BAD_CLAIMS },
		{ "exp true", S_OWN, HS, "{\"sub\":\"u1\",\"iss\":\"" OWN_ISS
		    "\",\"aud\":\"" OWN_AUD "\",\"exp\":true}", M_NONE, JWT_BAD_CLAIMS },
		{ "nbf as a string", S_OWN, HS, "{\"sub\":\"u1\",\"iss\":\"" OWN_ISS
		    "\",\"aud\":\"" OWN_AUD "\",\"nbf\":\"0\",\"exp\":1800000900}",
		    M_NONE, JWT_BAD_CLAIMS },
		{ "sub missing", S_OWN, HS, "{\"iss\":\"" OWN_ISS "\",\"aud\":\""
		    OWN_AUD "\",\"exp\":1800000900}", M_NONE, JWT_BAD_CLAIMS },
		{ "sub empty", S_OWN, HS, "{\"sub\":\"\",\"iss\":\"" OWN_ISS
		    "\",\"aud\":\"" OWN_AUD "\",\"exp\":1800000900}", M_NONE,
		    JWT_BAD_CLAIMS },
		{ "sub a number", S_OWN, HS, "{\"sub\":7,\"iss\":\"" OWN_ISS
		    "\",\"aud\":\"" OWN_AUD "\",\"exp\":1800000900}", M_NONE,
		    JWT_BAD_CLAIMS },
		{ "sub with NUL", S_OWN, HS, "{\"sub\":\"u\\u00001\",\"iss\":\""
		    OWN_ISS "\",\"aud\":\"" OWN_AUD "\",\"exp\":1800000900}", M_NONE,
		    JWT_BAD_CLAIMS },
		/* keys */
		{ "unknown kid", S_OWN, "{\"alg\":\"HS256\",\"kid\":\"nope\"}", OWN_PL,
		    M_NONE, JWT_UNKNOWN_KEY },
		{ "kid not a string", S_OWN, "{\"alg\":\"HS256\",\"kid\":1}", OWN_PL,
		    M_NONE, JWT_MALFORMED },
		{ "kid empty", S_OWN, "{\"alg\":\"HS256\",\"kid\":\"\"}", OWN_PL,
		    M_NONE, JWT_MALFORMED },
		/* structure and encoding */
		{ "'=' padding", S_OWN, HS, OWN_PL, M_PAD, JWT_MALFORMED },
		{ "two segments", S_OWN, HS, OWN_PL, M_TWO_SEG, JWT_MALFORMED },
		{ "four segments", S_OWN, HS, OWN_PL, M_FOUR_SEG, JWT_MALFORMED },
		{ "non-canonical signature", S_OWN, HS, OWN_PL, M_NONCANON,
		    JWT_MALFORMED },
		{ "standard base64 characters", S_RS, RS, EXT_PL, M_STD_B64,
		    JWT_MALFORMED },
		{ "header an array", S_OWN, "[\"HS256\"]", OWN_PL, M_NONE,
		    JWT_MALFORMED },
		{ "header a string", S_OWN, "\"HS256\"", OWN_PL, M_NONE,
		    JWT_MALFORMED },
		{ "header not JSON", S_OWN, "{alg:HS256}", OWN_PL, M_NONE,
		    JWT_MALFORMED },
		{ "duplicate alg, none last", S_OWN,
		    "{\"alg\":\"HS256\",\"alg\":\"none\"}", OWN_PL, M_NONE,
		    JWT_MALFORMED },
		{ "duplicate alg, none first", S_OWN,
		    "{\"alg\":\"none\",\"alg\":\"HS256\"}", OWN_PL, M_NONE,
		    JWT_MALFORMED },
		{ "duplicate sub", S_OWN, HS, "{\"sub\":\"u1\",\"sub\":\"admin\","
		    "\"iss\":\"" OWN_ISS "\",\"aud\":\"" OWN_AUD "\",\"exp\":1800000900}",
		    M_NONE, JWT_MALFORMED },
		{ "payload an array", S_OWN, HS, "[1]", M_NONE, JWT_MALFORMED },
		{ "payload trailing data", S_OWN, HS, OWN_PL " {}", M_NONE,
		    JWT_MALFORMED },
		{ "crit present", S_OWN, "{\"alg\":\"HS256\",\"crit\":[\"exp\"],"
		    "\"exp\":1}", OWN_PL, M_NONE, JWT_MALFORMED },
		{ "typ JWS", S_OWN, "{\"alg\":\"HS256\",\"typ\":\"JWS\"}", OWN_PL,
		    M_NONE, JWT_MALFORMED },
		{ "typ a number", S_OWN, "{\"alg\":\"HS256\",\"typ\":1}", OWN_PL,
		    M_NONE, JWT_MALFORMED },
		{ "typ JWT with NUL", S_OWN, "{\"alg\":\"HS256\",\"typ\":\"JWT\\u0000\"}",
		    OWN_PL, M_NONE, JWT_MALFORMED },
	};
	struct fix	 f;
	json_object	*c;
	char		*tok, *alt, why[128];
	size_t		 i, n, d1, d2, pos;
	const char	*p;
	enum jwt_status	 got;

	tok = malloc(TOKMAX);
	alt = malloc(TOKMAX);
	cr_assert(tok != NULL && alt != NULL);
	fix_init(&f);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mk(&f, t[i].s, t[i].hdr, t[i].pl, tok);
		n = strlen(tok);
		d1 = (size_t)(strchr(tok, '.') - tok);
		d2 = (size_t)(strrchr(tok, '.') - tok);
		switch (t[i].m) {
		case M_NONE:
			break;
		case M_PAD:
			memcpy(tok + n, "=", 2);
			break;
		case M_STRIP_SIG:
			tok[d2 + 1] = '\0';
			break;
		case M_TWO_SEG:
			tok[d2] = '\0';
			break;
		case M_FOUR_SEG:
			memcpy(tok + n, ".AAAA", 6);
			break;
		case M_SWAP_PL:
			/* the same claims with role admin, then the old signature */
			mk(&f, S_EMPTY, t[i].hdr, t[i].s == S_OWN ?
			    "{\"sub\":\"u1\",\"role\":\"admin\",\"iss\":\"" OWN_ISS
			    "\",\"aud\":\"" OWN_AUD "\",\"iat\":1800000000,"
			    "\"exp\":1800000900}" : "{\"sub\":\"admin\",\"iss\":\""
			    EXT_ISS "\",\"aud\":\"" EXT_AUD "\",\"exp\":1800000900}", alt);
			strcat(alt, tok + d2 + 1);
			strcpy(tok, alt);
			break;
		case M_NONCANON:
			/* 32 bytes in 43 digits: the last digit has 2 unused bits */
			p = strchr(b64alpha, tok[n - 1]);
			cr_assert_not_null(p);
			pos = (size_t)(p - b64alpha);
			cr_assert_eq(pos & 3, 0);
			tok[n - 1] = b64alpha[pos | 1];
			break;
		case M_STD_B64:
			tok[d2 + 1] = '+';
			tok[d2 + 2] = '/';
			break;
		}
		(void)d1;
		c = (json_object *)1;
		why[0] = '\0';
		got = verify(&f, tok, 60, &c, why, sizeof(why));
		cr_expect_eq(got, t[i].want, "%s: got %s (%s), want %s", t[i].name,
		    jwt_status_str(got), why, jwt_status_str(t[i].want));
		cr_expect_eq(c != NULL, got == JWT_OK, "%s: claims_out", t[i].name);
		cr_expect_eq(why[0] != '\0', got != JWT_OK, "%s: why", t[i].name);
		json_object_put(got == JWT_OK ? c : NULL);
	}
	fix_free(&f);
	free(alt);
	free(tok);
}

/* Hand-made tokens that no signer produces. */
Test(jwt, attack_raw_strings)
{
	static const char *const t[] = {
		"",
		".",
		"..",
		"eyJhbGciOiJIUzI1NiJ9..c2ln",
		".eyJzdWIiOiJ1MSJ9.c2ln",
		"eyJ!!!.eyJ.c2ln",
		"%%%.%%%.%%%",
		"eyJhb.eyJzdWIiOiJ1MSJ9.c2ln",		/* 5 digits: length 1 mod 4 */
		"eyJhbGciOiJIUzI1NiJ9 .eyJ9.c2ln",
		"eyJhbGciOiJIUzI1NiJ9.eyJ9.c2ln\n",
		"Bearer eyJhbGciOiJIUzI1NiJ9.eyJ9.c2ln",
		"eyJhbGciOiJIUzI1NiJ9.e30.c2ln.",
	};
	struct fix	 f;
	char		*big, why[128];
	size_t		 i, n;
	json_object	*c = NULL;

	fix_init(&f);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cr_expect_eq(verify(&f, t[i], 0, &c, why, sizeof(why)), JWT_MALFORMED,
		    "case %zu: %s", i, why);
		cr_expect_null(c);
	}
	/* an embedded NUL inside len */
	cr_expect_eq(jwt_verify(&f.ks, "eyJhbGciOiJIUzI1NiJ9\0.e30.c2ln", 30, NOW,
	    NULL, NULL, why, sizeof(why)), JWT_MALFORMED);
	/* NULL token and NULL keyset */
	cr_expect_eq(jwt_verify(&f.ks, NULL, 0, NOW, NULL, NULL, NULL, 0),
	    JWT_MALFORMED);
	/* 9 KiB: a properly signed token that is too long */
	big = malloc(TOKMAX);
	cr_assert_not_null(big);
	{
		char	*pl = malloc(7200);

		cr_assert_not_null(pl);
		n = (size_t)snprintf(pl, 7200, "{\"sub\":\"u1\",\"iss\":\"" OWN_ISS
		    "\",\"aud\":\"" OWN_AUD "\",\"exp\":1800000900,\"pad\":\"");
		memset(pl + n, 'x', 7000 - n);
		memcpy(pl + 7000, "\"}", 3);
		mk(&f, S_OWN, HS, pl, big);
		free(pl);
	}
	n = strlen(big);
	cr_expect_gt(n, 9 * 1024);
	cr_expect_eq(jwt_verify(&f.ks, big, n, NOW, NULL, NULL, why, sizeof(why)),
	    JWT_MALFORMED);
	cr_expect_str_eq(why, "token longer than 8192 bytes");
	cr_expect_eq(jwt_verify(NULL, big, 100, NOW, NULL, NULL, why,
	    sizeof(why)), JWT_MALFORMED);
	free(big);
	fix_free(&f);
}

Test(jwt, leeway_is_clamped_and_why_never_echoes)
{
	struct fix	 f;
	char		 tok[TOKMAX], why[128];

	fix_init(&f);
	/* nbf 61 s ahead: refused even at leeway 3600 (clamped to 60) and at
	 * a negative leeway (clamped to 0); fine once the time has come */
	mk(&f, S_OWN, HS, "{\"sub\":\"u1\",\"iss\":\"" OWN_ISS "\",\"aud\":\""
	    OWN_AUD "\",\"nbf\":1800000071,\"exp\":1800000900}", tok);
	cr_expect_eq(verify(&f, tok, 3600, NULL, why, sizeof(why)),
	    JWT_NOT_YET_VALID);
	cr_expect_eq(jwt_verify(&f.ks, tok, strlen(tok), NOW + 61, NULL, NULL,
	    why, sizeof(why)), JWT_OK, "%s", why);
	cr_expect_eq(verify(&f, tok, -5, NULL, why, sizeof(why)),
	    JWT_NOT_YET_VALID);
	/* attacker-chosen text does not come back in why */
	mk(&f, S_OWN, "{\"alg\":\"HS256\",\"kid\":\"SECRETKID\"}", OWN_PL, tok);
	cr_expect_eq(verify(&f, tok, 0, NULL, why, sizeof(why)), JWT_UNKNOWN_KEY);
	cr_expect_null(strstr(why, "SECRETKID"));
	cr_expect_null(strstr(why, "eyJ"));
	/* a short why buffer is truncated, not overrun */
	cr_expect_eq(verify(&f, tok, 0, NULL, why, 4), JWT_UNKNOWN_KEY);
	cr_expect_eq(strlen(why), 3);
	/* alg none is named as such (the key's alg would refuse it anyway) */
	mk(&f, S_EMPTY, "{\"alg\":\"NoNe\"}", OWN_PL, tok);
	cr_expect_eq(verify(&f, tok, 0, NULL, why, sizeof(why)), JWT_BAD_ALG);
	cr_expect_str_eq(why, "alg none is not accepted");
	cr_expect_str_eq(jwt_status_str(JWT_BAD_SIGNATURE), "bad_signature");
	cr_expect_str_eq(jwt_status_str((enum jwt_status)99), "unknown");
	fix_free(&f);
}

/* ---- the keyset and JWKS loading ---- */

Test(jwt, keyset_rules)
{
	struct jwt_keyset	 ks;
	const unsigned char	*s = (const unsigned char *)OWN_SECRET;
	char			 err[128], jwks[1024], k1[512], kid[200];
	EVP_PKEY		*ed;

	jwt_keyset_init(&ks);
	cr_expect_eq(jwt_keyset_add_hs256(&ks, s, 31, NULL, OWN_ISS, OWN_AUD,
	    err, sizeof(err)), -1);
	cr_expect_eq(jwt_keyset_add_hs256(&ks, s, 32, NULL, NULL, OWN_AUD,
	    err, sizeof(err)), -1);
	cr_expect_eq(jwt_keyset_add_hs256(&ks, s, 32, NULL, "", OWN_AUD,
	    err, sizeof(err)), -1);
	memset(kid, 'k', sizeof(kid) - 1);
	kid[sizeof(kid) - 1] = '\0';
	cr_expect_eq(jwt_keyset_add_hs256(&ks, s, 32, kid, OWN_ISS, OWN_AUD,
	    err, sizeof(err)), -1);
	cr_expect_eq(ks.nkeys, 0);
	cr_assert_eq(jwt_keyset_add_hs256(&ks, s, 32, "own1", OWN_ISS, OWN_AUD,
	    err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(jwt_keyset_add_hs256(&ks, s, 32, "own2", OWN_ISS, OWN_AUD,
	    err, sizeof(err)), -1, "one HS256 key only");
	cr_expect_eq(ks.nkeys, 1);
	/* the own key is found by its kid and for kid-less tokens */
	cr_expect_eq(jwt_keyset_find(&ks, "own1"), jwt_keyset_find(&ks, NULL));
	/* an external issuer equal to ours would make iss ambiguous */
	ed = gen("ED25519");
	jwk_of(ed, "own1", "", k1, sizeof(k1));
	snprintf(jwks, sizeof(jwks), "{\"keys\":[%s]}", k1);
	cr_expect_eq(jwt_keyset_parse_jwks(&ks, jwks, strlen(jwks), EXT_ISS,
	    NULL, err, sizeof(err)), -1, "kid clash with the own key");
	jwk_of(ed, "ed1", "", k1, sizeof(k1));
	snprintf(jwks, sizeof(jwks), "{\"keys\":[%s]}", k1);
	cr_expect_eq(jwt_keyset_parse_jwks(&ks, jwks, strlen(jwks), OWN_ISS,
	    NULL, err, sizeof(err)), -1);
	cr_expect_eq(ks.nkeys, 1);
	cr_expect_eq(jwt_keyset_parse_jwks(&ks, jwks, strlen(jwks), EXT_ISS,
	    NULL, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(ks.nkeys, 2);
	cr_expect_null(jwt_keyset_find(&ks, "nope"));
	EVP_PKEY_free(ed);
	jwt_keyset_free(&ks);
	jwt_keyset_free(&ks);	/* twice is harmless */
}

Test(jwt, jwks_loader_refusals)
{
	struct jwt_keyset	 ks;
	EVP_PKEY		*ed, *ec;
	char			 ok[512], okec[512], k[768], jwks[2048], err[256];
	size_t			 i;
	struct {
		const char	*name;
		char		 text[2048];
		int		 want;
		size_t		 nkeys;
	} t[20];
	size_t			 nt = 0;

	ed = gen("ED25519");
	ec = gen("EC");
	jwk_of(ed, "ed1", "", ok, sizeof(ok));
	jwk_of(ec, "ec1", "", okec, sizeof(okec));

#define CASE(nm, w, nk, ...) do {					\
	t[nt].name = (nm);						\
	snprintf(t[nt].text, sizeof(t[nt].text), __VA_ARGS__);		\
	t[nt].want = (w);						\
	t[nt].nkeys = (nk);						\
	nt++;								\
} while (0)
	CASE("plain Ed25519", 0, 1, "{\"keys\":[%s]}", ok);
	jwk_of(ed, "ed2", ",\"d\":\"AAAA\"", k, sizeof(k));
	CASE("private d", -1, 0, "{\"keys\":[%s]}", k);
	CASE("oct key", -1, 0, "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"s\","
	    "\"k\":\"c2VjcmV0\"}]}");
	jwk_of(ed, "ed2", ",\"alg\":\"RS256\"", k, sizeof(k));
	CASE("alg RS256 on OKP", -1, 0, "{\"keys\":[%s]}", k);
	jwk_of(ec, "ec2", ",\"alg\":\"HS256\"", k, sizeof(k));
	CASE("alg HS256 on EC", -1, 0, "{\"keys\":[%s]}", k);
	jwk_of(ec, "ec2", ",\"alg\":\"EdDSA\"", k, sizeof(k));
	CASE("alg EdDSA on EC", -1, 0, "{\"keys\":[%s]}", k);
	CASE("no kid", -1, 0, "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}");
	CASE("duplicate kid", -1, 0, "{\"keys\":[%s,%s]}", ok, ok);
	CASE("x too short", -1, 0, "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"kid\":\"a\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR\"}]}");
	CASE("EC point off the curve", -1, 0, "{\"keys\":[{\"kty\":\"EC\","
	    "\"crv\":\"P-256\",\"kid\":\"a\",\"x\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAA\",\"y\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}");
	CASE("only an encryption key", -1, 0, "{\"keys\":[{\"kty\":\"OKP\","
	    "\"crv\":\"Ed25519\",\"use\":\"enc\",\"kid\":\"a\",\"x\":\"11qYAYKxCrfVS"
	    "_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}");
	CASE("empty keys", -1, 0, "{\"keys\":[]}");
	CASE("keys not an array", -1, 0, "{\"keys\":{}}");
	CASE("duplicate member", -1, 0, "{\"keys\":[],\"keys\":[%s]}", ok);
	CASE("not JSON", -1, 0, "{\"keys\":[%s]", ok);
	CASE("skips enc, X25519, P-384, PS256, key_ops sign", 0, 2,
	    "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"X25519\",\"kid\":\"x\","
	    "\"x\":\"AAAA\"},{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"p3\"},"
	    "{\"kty\":\"RSA\",\"alg\":\"PS256\",\"kid\":\"ps\",\"n\":\"AQAB\","
	    "\"e\":\"AQAB\"},{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"o\","
	    "\"key_ops\":[\"sign\"],\"x\":\"AAAA\"},{\"use\":\"enc\",\"kty\":\"OKP\","
	    "\"crv\":\"Ed25519\",\"kid\":\"e\",\"x\":\"AAAA\"},%s,%s]}", ok, okec);
	CASE("all or nothing", -1, 0, "{\"keys\":[%s,{\"kty\":\"OKP\","
	    "\"crv\":\"Ed25519\",\"kid\":\"bad\",\"x\":\"AAAA\"}]}", ok);
#undef CASE

	for (i = 0; i < nt; i++) {
		jwt_keyset_init(&ks);
		err[0] = '\0';
		cr_expect_eq(load_text(&ks, t[i].text, EXT_AUD, err, sizeof(err)),
		    t[i].want, "%s: %s", t[i].name, err);
		cr_expect_eq(ks.nkeys, t[i].nkeys, "%s", t[i].name);
		cr_expect_eq(err[0] != '\0', t[i].want < 0, "%s: err", t[i].name);
		jwt_keyset_free(&ks);
	}

	/* file problems */
	jwt_keyset_init(&ks);
	cr_expect_eq(jwt_keyset_load_jwks(&ks, "/nonexistent/jwks.json", EXT_ISS,
	    NULL, err, sizeof(err)), -1);
	cr_expect_eq(jwt_keyset_load_jwks(&ks, "/tmp", EXT_ISS, NULL, err,
	    sizeof(err)), -1);
	cr_expect_eq(jwt_keyset_load_jwks(&ks, NULL, EXT_ISS, NULL, err,
	    sizeof(err)), -1);
	snprintf(jwks, sizeof(jwks), "{\"keys\":[%s]}", ok);
	cr_expect_eq(load_text(&ks, jwks, NULL, err, sizeof(err)), 0, "%s", err);
	{
		/* valid JSON, one byte over 1 MiB */
		size_t	 len = JWT_JWKS_MAX + 1, n;
		char	*big = malloc(len), path[64];

		cr_assert_not_null(big);
		n = (size_t)snprintf(big, len, "{\"keys\":[%s],\"x\":\"", ok);
		memset(big + n, 'x', len - n - 2);
		memcpy(big + len - 2, "\"}", 2);
		write_tmp(big, len, path, sizeof(path));
		cr_expect_eq(jwt_keyset_load_jwks(&ks, path, "other-iss", NULL, err,
		    sizeof(err)), -1);
		cr_expect(strstr(err, "larger than") != NULL, "%s", err);
		unlink(path);
		free(big);
	}
	cr_expect_eq(ks.nkeys, 1);
	jwt_keyset_free(&ks);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(ec);
}

Test(jwt, rsa_key_too_small)
{
	struct jwt_keyset	 ks;
	EVP_PKEY		*rs;
	char			 k[1024], jwks[1100], err[256];

	rs = gen("RSA1024");
	jwk_of(rs, "rs-small", ",\"alg\":\"RS256\",\"use\":\"sig\"", k, sizeof(k));
	snprintf(jwks, sizeof(jwks), "{\"keys\":[%s]}", k);
	jwt_keyset_init(&ks);
	cr_expect_eq(load_text(&ks, jwks, NULL, err, sizeof(err)), -1);
	cr_expect(strstr(err, "1024 bits") != NULL, "%s", err);
	cr_expect_eq(ks.nkeys, 0);
	cr_expect_null(jwt_keyset_find(&ks, "rs-small"));
	jwt_keyset_free(&ks);
	EVP_PKEY_free(rs);
}

/* 2048 bits, but not an RSA public key a signer could hold. */
Test(jwt, rsa_key_sanity)
{
	static const struct { const char *name; bool even_n; const char *e; } t[] = {
		{ "control", false, "AQAB" },
		{ "even modulus", true, "AQAB" },
		{ "e = 1", false, "AQ" },
		{ "e even", false, "AQAA" },
		{ "e = 3", false, "Aw" },
		{ "e = 65535", false, "__8" },
		{ "e = 2^256 + 1", false, "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB" },
	};
	struct jwt_keyset	 ks;
	EVP_PKEY		*rs;
	BIGNUM			*n = NULL;
	unsigned char		 raw[512];
	char			 nb[700], jwks[1100], err[256];
	size_t			 i;

	rs = gen("RSA");
	cr_assert_eq(EVP_PKEY_get_bn_param(rs, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cr_assert_eq(BN_bn2binpad(n, raw, 256), 256);
		if (t[i].even_n)
			raw[255] &= 0xfe;
		b64(raw, 256, nb, sizeof(nb));
		snprintf(jwks, sizeof(jwks), "{\"keys\":[{\"kty\":\"RSA\","
		    "\"kid\":\"r\",\"n\":\"%s\",\"e\":\"%s\"}]}", nb, t[i].e);
		jwt_keyset_init(&ks);
		err[0] = '\0';
		cr_expect_eq(jwt_keyset_parse_jwks(&ks, jwks, strlen(jwks), EXT_ISS,
		    NULL, err, sizeof(err)), i == 0 ? 0 : -1, "%s: %s", t[i].name,
		    err);
		jwt_keyset_free(&ks);
	}
	BN_free(n);
	EVP_PKEY_free(rs);
}

/* ---- robustness: mutated and random input never crashes or leaks ---- */

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

Test(jwt, mutations_never_verify)
{
	static const unsigned char chars[] = "AZaz09-_.=+/ \0{}\"\xff";
	struct fix	 f;
	char		*orig[3], *m, why[128];
	size_t		 i, j, n, len, a, b;
	uint64_t	 seed = 0x9e3779b97f4a7c15ULL;
	json_object	*c;
	enum jwt_status	 got;

	fix_init(&f);
	m = malloc(TOKMAX);
	for (j = 0; j < 3; j++)
		orig[j] = malloc(TOKMAX);
	cr_assert(m != NULL && orig[0] != NULL && orig[1] != NULL &&
	    orig[2] != NULL);
	mk(&f, S_OWN, HS, OWN_PL, orig[0]);
	mk(&f, S_ED, ED, EXT_PL, orig[1]);
	mk(&f, S_EC, EC, EXT_PL, orig[2]);
	for (j = 0; j < 3; j++)
		cr_assert_eq(verify(&f, orig[j], 0, NULL, NULL, 0), JWT_OK);
	for (i = 0; i < 6000; i++) {
		const char *o = orig[i % 3];

		len = strlen(o);
		memcpy(m, o, len + 1);
		for (j = 0; j <= xorshift(&seed) % 3; j++) {
			a = xorshift(&seed) % len;
			switch (xorshift(&seed) % 5) {
			case 0:		/* replace one byte */
				m[a] = (char)chars[xorshift(&seed) % (sizeof(chars) - 1)];
				break;
			case 1:		/* any byte value */
				m[a] = (char)(xorshift(&seed) & 0xff);
				break;
			case 2:		/* cut */
				len = a;
				break;
			case 3:		/* delete a range */
				b = a + xorshift(&seed) % (len - a);
				memmove(m + a, m + b, len - b);
				len -= b - a;
				break;
			default:	/* duplicate a range (bounded) */
				b = a + xorshift(&seed) % (len - a);
				if (len + (b - a) < TOKMAX) {
					memmove(m + b + (b - a), m + b, len - b);
					memcpy(m + b, m + a, b - a);
					len += b - a;
				}
				break;
			}
			if (len == 0)
				break;
		}
		c = NULL;
		got = jwt_verify(&f.ks, m, len, NOW, NULL, &c, why, sizeof(why));
		if (got == JWT_OK) {
			cr_expect(len == strlen(o) && memcmp(m, o, len) == 0,
			    "mutation %zu verified", i);
			json_object_put(c);
		} else
			cr_expect_null(c);
	}
	/* plain random bytes of random length */
	for (i = 0; i < 2000; i++) {
		n = xorshift(&seed) % (JWT_MAX_TOKEN + 200);
		for (j = 0; j < n; j++)
			m[j] = (char)(i % 2 ? chars[xorshift(&seed) %
			    (sizeof(chars) - 1)] : xorshift(&seed) & 0xff);
		cr_expect_neq(jwt_verify(&f.ks, m, n, NOW, NULL, NULL, why,
		    sizeof(why)), JWT_OK);
	}
	for (j = 0; j < 3; j++)
		free(orig[j]);
	free(m);
	fix_free(&f);
}
