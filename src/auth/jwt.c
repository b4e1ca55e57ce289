#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "json.h"
#include "auth/jwt.h"

#define HS256_LEN	32	/* bytes of an HMAC-SHA-256 */
#define ED25519_LEN	32	/* bytes of an Ed25519 public key */
#define P256_LEN	32	/* bytes of a P-256 coordinate, r or s */
#define RSA_E_MAX	32	/* bytes of an RSA exponent (FIPS 186-5: < 2^256) */

static const char *const jwt_status_names[] = {
	"ok", "malformed", "bad_alg", "unknown_key", "bad_signature",
	"expired", "not_yet_valid", "bad_issuer", "bad_audience",
	"bad_claims", "nomem"
};

/* Exact, case-sensitive algorithm names; "Ed25519" is RFC 9864's. */
static const struct {
	const char	*name;
	enum jwt_alg	 alg;
} jwt_algs[] = {
	{ "HS256",	JWT_ALG_HS256 },
	{ "EdDSA",	JWT_ALG_EDDSA },
	{ "Ed25519",	JWT_ALG_EDDSA },
	{ "ES256",	JWT_ALG_ES256 },
	{ "RS256",	JWT_ALG_RS256 },
};

/* JWK members that only private or secret keys have. */
static const char *const jwk_private[] = {
	"d", "p", "q", "dp", "dq", "qi", "oth", "k", NULL
};

const char *
jwt_status_str(enum jwt_status s)
{
	if ((size_t)s >= sizeof(jwt_status_names) / sizeof(jwt_status_names[0]))
		return "unknown";
	return jwt_status_names[s];
}

/* The supported algorithm named by s (len bytes), or 0. */
static int
alg_parse(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(jwt_algs) / sizeof(jwt_algs[0]); i++)
		if (strlen(jwt_algs[i].name) == len &&
		    memcmp(jwt_algs[i].name, s, len) == 0)
			return (int)jwt_algs[i].alg;
	return 0;
}

static bool
b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int
jwt_b64url_encode(const unsigned char *in, size_t n, char *out, size_t outlen)
{
	int	 len, i;

	if (out == NULL || outlen == 0)
		return -1;
	out[0] = '\0';
	if ((in == NULL && n > 0) || n > JWT_JWKS_MAX ||
	    4 * ((n + 2) / 3) + 1 > outlen)
		return -1;
	len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	if (len < 0)
		return -1;
	while (len > 0 && out[len - 1] == '=')
		out[--len] = '\0';
	for (i = 0; i < len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return len;
}

int
jwt_b64url_decode(const char *in, size_t n, unsigned char *out, size_t outlen)
{
	unsigned char	*mem = NULL, *std, *raw, *re;
	size_t		 i, pad, padded, memlen = 0, dlen;
	int		 rawlen, relen, rc = -1;

	if ((in == NULL && n > 0) || n > JWT_JWKS_MAX || n % 4 == 1)
		goto out;
	for (i = 0; i < n; i++)
		if (!b64url_char(in[i]))
			goto out;
	if (n == 0) {
		rc = 0;
		goto out;
	}
	pad = (4 - n % 4) % 4;
	padded = n + pad;
	/* the standard-alphabet input, its decoding, its re-encoding */
	memlen = (padded + 1) + (padded / 4 * 3 + 1) + (padded + 1);
	if ((mem = malloc(memlen)) == NULL)
		goto out;
	std = mem;
	raw = std + padded + 1;
	re = raw + padded / 4 * 3 + 1;
	for (i = 0; i < n; i++)
		std[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : (unsigned char)in[i];
	for (; i < padded; i++)
		std[i] = '=';
	std[padded] = '\0';
	rawlen = EVP_DecodeBlock(raw, std, (int)padded);
	if (rawlen < 0 || (size_t)rawlen != padded / 4 * 3)
		goto out;
	/* EVP_DecodeBlock counts the padding as zero bytes */
	dlen = (size_t)rawlen - pad;
	/* canonical form only: the unused low bits of the last digit are 0 */
	relen = EVP_EncodeBlock(re, raw, (int)dlen);
	if (relen < 0 || (size_t)relen != padded || memcmp(re, std, padded) != 0)
		goto out;
	if (dlen > outlen)
		goto out;
	if (dlen > 0)
		memcpy(out, raw, dlen);
	rc = (int)dlen;
out:
	if (mem != NULL)
		OPENSSL_clear_free(mem, memlen);
	return rc;
}

int
jwt_hs256_sig(const unsigned char *key, size_t keylen, const char *input,
    size_t inputlen, char *out, size_t outlen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	int		 rc = -1;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (key == NULL || keylen < JWT_HS256_KEY_MIN ||
	    keylen > JWT_HS256_KEY_MAX || input == NULL)
		goto out;
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)input,
	    inputlen, md, &mdlen) == NULL || mdlen != HS256_LEN)
		goto out;
	rc = jwt_b64url_encode(md, mdlen, out, outlen);
out:
	OPENSSL_cleanse(md, sizeof(md));
	ERR_clear_error();
	return rc;
}

/*
 * Checks the decoded signature sig over input with k's one algorithm.
 * Returns JWT_OK, JWT_BAD_SIGNATURE or JWT_NOMEM, with a reason in *why.
 * Leaves nothing on OpenSSL's (thread-local) error queue.
 */
static enum jwt_status
sig_check(const struct jwt_key *k, const char *input, size_t inputlen,
    const unsigned char *sig, size_t siglen, const char **why)
{
	EVP_MD_CTX		*ctx = NULL;
	EVP_PKEY_CTX		*pctx = NULL;
	ECDSA_SIG		*esig = NULL;
	BIGNUM			*r = NULL, *s = NULL;
	unsigned char		*der = NULL;
	const unsigned char	*vsig = sig;
	size_t			 vlen = siglen;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	int			 derlen;
	enum jwt_status		 rc = JWT_BAD_SIGNATURE;

	*why = "signature does not match";
	switch (k->alg) {
	case JWT_ALG_HS256:
		if (siglen != HS256_LEN) {
			*why = "signature has the wrong length";
			goto out;
		}
		if (k->secret == NULL || HMAC(EVP_sha256(), k->secret,
		    (int)k->secretlen, (const unsigned char *)input, inputlen,
		    md, &mdlen) == NULL || mdlen != HS256_LEN) {
			rc = JWT_NOMEM;
			*why = "HMAC failed";
			goto out;
		}
		if (CRYPTO_memcmp(md, sig, HS256_LEN) == 0)
			rc = JWT_OK;
		goto out;
	case JWT_ALG_EDDSA:
		if (siglen != 64) {
			*why = "signature has the wrong length";
			goto out;
		}
		break;
	case JWT_ALG_ES256:
		/* JWS carries r || s; OpenSSL wants an ECDSA-Sig-Value in DER */
		if (siglen != 2 * P256_LEN) {
			*why = "signature has the wrong length";
			goto out;
		}
		if ((r = BN_bin2bn(sig, P256_LEN, NULL)) == NULL ||
		    (s = BN_bin2bn(sig + P256_LEN, P256_LEN, NULL)) == NULL ||
		    (esig = ECDSA_SIG_new()) == NULL ||
		    !ECDSA_SIG_set0(esig, r, s)) {
			rc = JWT_NOMEM;
			*why = "out of memory";
			goto out;
		}
		r = s = NULL;	/* esig owns them now */
		if ((derlen = i2d_ECDSA_SIG(esig, &der)) <= 0) {
			rc = JWT_NOMEM;
			*why = "out of memory";
			goto out;
		}
		vsig = der;
		vlen = (size_t)derlen;
		break;
	case JWT_ALG_RS256:
		if (k->pkey == NULL || EVP_PKEY_get_size(k->pkey) <= 0 ||
		    siglen != (size_t)EVP_PKEY_get_size(k->pkey)) {
			*why = "signature has the wrong length";
			goto out;
		}
		break;
	default:
		rc = JWT_NOMEM;
		*why = "key without an algorithm";
		goto out;
	}
	if (k->pkey == NULL) {
		rc = JWT_NOMEM;
		*why = "key without a public key";
		goto out;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, &pctx,
	    k->alg == JWT_ALG_EDDSA ? NULL : EVP_sha256(), NULL, k->pkey) != 1 ||
	    (k->alg == JWT_ALG_RS256 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)) {
		rc = JWT_NOMEM;
		*why = "cannot set up verification";
		goto out;
	}
	if (EVP_DigestVerify(ctx, vsig, vlen, (const unsigned char *)input,
	    inputlen) == 1)
		rc = JWT_OK;
out:
	EVP_MD_CTX_free(ctx);	/* frees pctx */
	OPENSSL_free(der);
	ECDSA_SIG_free(esig);
	BN_free(r);
	BN_free(s);
	OPENSSL_cleanse(md, sizeof(md));
	ERR_clear_error();
	return rc;
}

enum jwt_status
jwt_verify_sig(const struct jwt_key *k, const char *input, size_t inputlen,
    const char *sig, size_t siglen)
{
	unsigned char	 raw[JWT_MAX_TOKEN];
	const char	*why;
	int		 n;

	if (k == NULL || input == NULL)
		return JWT_NOMEM;
	if (siglen > JWT_MAX_TOKEN ||
	    (n = jwt_b64url_decode(sig, siglen, raw, sizeof(raw))) < 0)
		return JWT_MALFORMED;
	return sig_check(k, input, inputlen, raw, (size_t)n, &why);
}

/* Whether the JSON string v is exactly the C string s. */
static bool
str_eq(json_object *v, const char *s)
{
	size_t	 n;

	if (!json_object_is_type(v, json_type_string))
		return false;
	n = (size_t)json_object_get_string_len(v);
	return n == strlen(s) && memcmp(json_object_get_string(v), s, n) == 0;
}

/* A string member without NUL of 1..max bytes, or NULL. */
static const char *
member_str(json_object *o, const char *key, size_t max)
{
	json_object	*v;
	const char	*s;
	size_t		 n;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n > max || memchr(s, '\0', n) != NULL)
		return NULL;
	return s;
}

/*
 * Reads the NumericDate claim name: 1 and *t set when present, 0 when
 * absent, -1 when it is not a number (json-c has no NaN: strict parse).
 */
static int
claim_time(json_object *c, const char *name, double *t)
{
	json_object	*v;

	if (!json_object_object_get_ex(c, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return -1;
	*t = json_object_get_double(v);
	return 1;
}

static bool
typ_ok(const char *s, size_t n)
{
	static const char *const ok[] = {
		"JWT", "at+jwt", "application/jwt", "application/at+jwt", NULL
	};
	size_t	 i;

	for (i = 0; ok[i] != NULL; i++)
		if (n == strlen(ok[i]) && strncasecmp(s, ok[i], n) == 0)
			return true;
	return false;
}

/* The registered claims of a payload whose signature checked out. */
static enum jwt_status
claims_check(json_object *c, const struct jwt_key *k, time_t now, int leeway,
    bool need_sub, const char **why)
{
	json_object	*v, *e;
	double		 t;
	size_t		 i, n;
	int		 has;
	bool		 found;

	if ((has = claim_time(c, "exp", &t)) <= 0) {
		*why = has < 0 ? "exp is not a number" : "exp is missing";
		return JWT_BAD_CLAIMS;
	}
	if (t <= (double)now) {
		*why = "token has expired";
		return JWT_EXPIRED;
	}
	if ((has = claim_time(c, "nbf", &t)) < 0) {
		*why = "nbf is not a number";
		return JWT_BAD_CLAIMS;
	}
	if (has && t > (double)now + leeway) {
		*why = "nbf is in the future";
		return JWT_NOT_YET_VALID;
	}
	if ((has = claim_time(c, "iat", &t)) < 0) {
		*why = "iat is not a number";
		return JWT_BAD_CLAIMS;
	}
	if (has && t > (double)now + leeway) {
		*why = "iat is in the future";
		return JWT_NOT_YET_VALID;
	}
	if (!json_object_object_get_ex(c, "iss", &v) || !str_eq(v, k->issuer)) {
		*why = "iss is missing or not the expected issuer";
		return JWT_BAD_ISSUER;
	}
	if (k->audience != NULL) {
		found = false;
		if (!json_object_object_get_ex(c, "aud", &v)) {
			*why = "aud is missing";
			return JWT_BAD_AUDIENCE;
		}
		if (json_object_is_type(v, json_type_string))
			found = str_eq(v, k->audience);
		else if (json_object_is_type(v, json_type_array)) {
			n = json_object_array_length(v);
			for (i = 0; i < n; i++) {
				e = json_object_array_get_idx(v, i);
				if (!json_object_is_type(e, json_type_string)) {
					*why = "aud has a member that is not a string";
					return JWT_BAD_AUDIENCE;
				}
				if (str_eq(e, k->audience))
					found = true;
			}
		}
		if (!found) {
			*why = "aud does not contain the expected audience";
			return JWT_BAD_AUDIENCE;
		}
	}
	if (need_sub && member_str(c, "sub", JWT_SUB_MAX) == NULL) {
		*why = "sub is missing or not a valid string";
		return JWT_BAD_CLAIMS;
	}
	return JWT_OK;
}

enum jwt_status
jwt_verify(const struct jwt_keyset *ks, const char *token, size_t len,
    time_t now, const struct jwt_expect *expect, json_object **claims_out,
    char *why, size_t whylen)
{
	static const struct jwt_expect	 strict;
	unsigned char		 raw[JWT_MAX_TOKEN], sig[JWT_MAX_TOKEN];
	const struct jwt_key	*k;
	json_object		*header = NULL, *claims = NULL, *v;
	const char		*reason = NULL, *dot1 = NULL, *dot2 = NULL;
	const char		*alg, *kid = NULL;
	size_t			 i, ndots = 0, hlen, plen, slen, alglen;
	int			 n, leeway;
	enum json_err		 jerr;
	enum jwt_status		 rc = JWT_MALFORMED;

	if (claims_out != NULL)
		*claims_out = NULL;
	if (expect == NULL)
		expect = &strict;
	leeway = expect->leeway_s < 0 ? 0 :
	    expect->leeway_s > JWT_MAX_LEEWAY ? JWT_MAX_LEEWAY : expect->leeway_s;

	/* shape: bounded size, base64url alphabet, exactly three segments */
	if (token == NULL || len == 0) {
		reason = "empty token";
		goto out;
	}
	if (len > JWT_MAX_TOKEN) {
		reason = "token longer than 8192 bytes";
		goto out;
	}
	for (i = 0; i < len; i++) {
		if (token[i] == '.') {
			if (ndots == 0)
				dot1 = token + i;
			else if (ndots == 1)
				dot2 = token + i;
			ndots++;
		} else if (token[i] == '=') {
			reason = "base64url padding is not allowed";
			goto out;
		} else if (!b64url_char(token[i])) {
			reason = "character outside the base64url alphabet";
			goto out;
		}
	}
	if (ndots != 2 || dot1 == NULL || dot2 == NULL) {
		reason = "not three segments";
		goto out;
	}
	hlen = (size_t)(dot1 - token);
	plen = (size_t)(dot2 - dot1 - 1);
	slen = len - (size_t)(dot2 - token) - 1;
	if (hlen == 0 || plen == 0) {
		reason = "empty header or payload";
		goto out;
	}

	/* header: strict JSON object */
	if ((n = jwt_b64url_decode(token, hlen, raw, sizeof(raw))) < 0) {
		reason = "header is not base64url";
		goto out;
	}
	if ((jerr = json_parse_strict((const char *)raw, (size_t)n, &header)) !=
	    JSON_OK || !json_object_is_type(header, json_type_object)) {
		rc = jerr == JSON_NOMEM ? JWT_NOMEM : JWT_MALFORMED;
		reason = "header is not a JSON object";
		goto out;
	}
	if (!json_object_object_get_ex(header, "alg", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		rc = JWT_BAD_ALG;
		reason = "alg is missing or not a string";
		goto out;
	}
	alg = json_object_get_string(v);
	alglen = (size_t)json_object_get_string_len(v);
	if (alglen == 4 && strncasecmp(alg, "none", 4) == 0) {
		rc = JWT_BAD_ALG;
		reason = "alg none is not accepted";
		goto out;
	}
	if (json_object_object_get_ex(header, "crit", NULL)) {
		reason = "crit header is not supported";
		goto out;
	}
	if (json_object_object_get_ex(header, "typ", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	    !typ_ok(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v)))) {
		reason = "typ is not JWT";
		goto out;
	}
	if (json_object_object_get_ex(header, "kid", NULL) &&
	    (kid = member_str(header, "kid", JWT_KID_MAX)) == NULL) {
		reason = "kid is not a valid string";
		goto out;
	}

	/* the key decides the algorithm; the token only has to agree */
	if ((k = jwt_keyset_find(ks, kid)) == NULL) {
		rc = JWT_UNKNOWN_KEY;
		reason = kid != NULL ? "unknown kid" : "no kid and no own key";
		goto out;
	}
	if (alg_parse(alg, alglen) != (int)k->alg) {
		rc = JWT_BAD_ALG;
		reason = "alg is not the key's algorithm";
		goto out;
	}

	/* signature over "header.payload", before the payload is parsed */
	if (slen == 0) {
		rc = JWT_BAD_SIGNATURE;
		reason = "empty signature";
		goto out;
	}
	if ((n = jwt_b64url_decode(dot2 + 1, slen, sig, sizeof(sig))) < 0) {
		reason = "signature is not base64url";
		goto out;
	}
	if ((rc = sig_check(k, token, (size_t)(dot2 - token), sig, (size_t)n,
	    &reason)) != JWT_OK)
		goto out;

	/* payload: strict JSON object with acceptable claims */
	rc = JWT_MALFORMED;
	if ((n = jwt_b64url_decode(dot1 + 1, plen, raw, sizeof(raw))) < 0) {
		reason = "payload is not base64url";
		goto out;
	}
	if ((jerr = json_parse_strict((const char *)raw, (size_t)n, &claims)) !=
	    JSON_OK || !json_object_is_type(claims, json_type_object)) {
		rc = jerr == JSON_NOMEM ? JWT_NOMEM : JWT_MALFORMED;
		reason = "payload is not a JSON object";
		goto out;
	}
	if ((rc = claims_check(claims, k, now, leeway, !expect->allow_no_sub,
	    &reason)) != JWT_OK)
		goto out;
	if (claims_out != NULL) {
		*claims_out = claims;
		claims = NULL;
	}
out:
	json_object_put(header);
	json_object_put(claims);
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", rc == JWT_OK ? "" :
		    reason != NULL ? reason : jwt_status_str(rc));
	return rc;
}

int
jwt_sign_hs256(const unsigned char *key, size_t keylen, json_object *claims,
    char *out, size_t outlen)
{
	static const char	 hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	const char		*pl;
	size_t			 pllen = 0, n = 0;
	int			 r, rc = -1;

	if (out == NULL || outlen == 0)
		return -1;
	if (claims == NULL || !json_object_is_type(claims, json_type_object))
		goto out;
	if ((pl = json_object_to_json_string_length(claims,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	    &pllen)) == NULL || pllen > JWT_MAX_TOKEN)
		goto out;
	if ((r = jwt_b64url_encode((const unsigned char *)hdr, sizeof(hdr) - 1,
	    out, outlen)) < 0)
		goto out;
	n = (size_t)r;
	if (n + 1 >= outlen)
		goto out;
	out[n++] = '.';
	if ((r = jwt_b64url_encode((const unsigned char *)pl, pllen, out + n,
	    outlen - n)) < 0)
		goto out;
	n += (size_t)r;
	if (n + 1 >= outlen)
		goto out;
	out[n++] = '.';
	if ((r = jwt_hs256_sig(key, keylen, out, n - 1, out + n,
	    outlen - n)) < 0)
		goto out;
	n += (size_t)r;
	/* a token we could not verify ourselves is no token */
	if (n > JWT_MAX_TOKEN)
		goto out;
	rc = (int)n;
out:
	if (rc < 0)
		out[0] = '\0';
	return rc;
}

void
jwt_keyset_init(struct jwt_keyset *ks)
{
	ks->keys = NULL;
	ks->nkeys = 0;
}

/* Frees what k owns and zeroes it; safe on a zeroed key. */
static void
key_clear(struct jwt_key *k)
{
	if (k->secret != NULL)
		OPENSSL_clear_free(k->secret, k->secretlen);
	EVP_PKEY_free(k->pkey);
	free(k->issuer);
	free(k->audience);
	memset(k, 0, sizeof(*k));
}

void
jwt_keyset_free(struct jwt_keyset *ks)
{
	size_t	 i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->nkeys; i++)
		key_clear(&ks->keys[i]);
	free(ks->keys);
	jwt_keyset_init(ks);
}

const struct jwt_key *
jwt_keyset_find(const struct jwt_keyset *ks, const char *kid)
{
	const struct jwt_key	*k;
	size_t			 i;

	if (ks == NULL)
		return NULL;
	for (i = 0; i < ks->nkeys; i++) {
		k = &ks->keys[i];
		if (kid == NULL ? k->alg == JWT_ALG_HS256 :
		    (k->kid[0] != '\0' && strcmp(k->kid, kid) == 0))
			return k;
	}
	return NULL;
}

/* An issuer or audience: 1..JWT_NAME_MAX bytes. */
static bool
name_ok(const char *s)
{
	size_t	 n;

	if (s == NULL)
		return false;
	n = strnlen(s, JWT_NAME_MAX + 1);
	return n > 0 && n <= JWT_NAME_MAX;
}

/* Copies issuer and audience (may be NULL) into k.  Returns 0 or -1. */
static int
key_names(struct jwt_key *k, const char *issuer, const char *audience)
{
	if ((k->issuer = strdup(issuer)) == NULL)
		return -1;
	if (audience != NULL && (k->audience = strdup(audience)) == NULL)
		return -1;
	return 0;
}

/*
 * Moves the n keys of add into ks after checking the keyset's rules
 * (unique kids, one HS256 key whose issuer no other key shares).
 * Returns 0 (add's keys now belong to ks), or -1 with err set and both
 * unchanged.
 */
static int
keyset_append(struct jwt_keyset *ks, const struct jwt_key *add, size_t n,
    char *err, size_t errlen)
{
	struct jwt_key		*nk;
	const struct jwt_key	*a, *b;
	size_t			 i, j, total;
	int			 rc = -1;

	total = ks->nkeys + n;
	if (total < n || total > SIZE_MAX / sizeof(*nk)) {
		snprintf(err, errlen, "too many keys");
		goto out;
	}
	for (i = 0; i < total; i++) {
		a = i < ks->nkeys ? &ks->keys[i] : &add[i - ks->nkeys];
		for (j = i + 1; j < total; j++) {
			b = j < ks->nkeys ? &ks->keys[j] : &add[j - ks->nkeys];
			if (a->kid[0] != '\0' && strcmp(a->kid, b->kid) == 0) {
				snprintf(err, errlen, "duplicate key id");
				goto out;
			}
			if (a->alg == JWT_ALG_HS256 && b->alg == JWT_ALG_HS256) {
				snprintf(err, errlen, "more than one HS256 key");
				goto out;
			}
			if ((a->alg == JWT_ALG_HS256) != (b->alg == JWT_ALG_HS256) &&
			    strcmp(a->issuer, b->issuer) == 0) {
				snprintf(err, errlen, "the external issuer must differ "
				    "from our own issuer");
				goto out;
			}
		}
	}
	if ((nk = realloc(ks->keys, total * sizeof(*nk))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(nk + ks->nkeys, add, n * sizeof(*nk));
	ks->keys = nk;
	ks->nkeys = total;
	rc = 0;
out:
	return rc;
}

int
jwt_keyset_add_hs256(struct jwt_keyset *ks, const unsigned char *secret,
    size_t secretlen, const char *kid, const char *issuer,
    const char *audience, char *err, size_t errlen)
{
	struct jwt_key	 k;
	int		 rc = -1;

	memset(&k, 0, sizeof(k));
	if (secret == NULL || secretlen < JWT_HS256_KEY_MIN ||
	    secretlen > JWT_HS256_KEY_MAX) {
		snprintf(err, errlen, "the HS256 secret must be %d to %d bytes",
		    JWT_HS256_KEY_MIN, JWT_HS256_KEY_MAX);
		goto out;
	}
	if (kid != NULL && strnlen(kid, JWT_KID_MAX + 1) > JWT_KID_MAX) {
		snprintf(err, errlen, "the key id is longer than %d bytes",
		    JWT_KID_MAX);
		goto out;
	}
	if (!name_ok(issuer) || (audience != NULL && !name_ok(audience))) {
		snprintf(err, errlen, "issuer and audience must be 1 to %d bytes",
		    JWT_NAME_MAX);
		goto out;
	}
	k.alg = JWT_ALG_HS256;
	if (kid != NULL)
		memcpy(k.kid, kid, strlen(kid) + 1);
	if ((k.secret = malloc(secretlen)) == NULL ||
	    key_names(&k, issuer, audience) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(k.secret, secret, secretlen);
	k.secretlen = secretlen;
	if (keyset_append(ks, &k, 1, err, errlen) < 0)
		goto out;
	memset(&k, 0, sizeof(k));	/* ks owns it now */
	rc = 0;
out:
	key_clear(&k);
	return rc;
}

/*
 * Decodes the base64url member name of a JWK into exactly want bytes
 * (want 0: 1..max bytes).  Returns the length or -1.
 */
static int
jwk_bytes(json_object *o, const char *name, unsigned char *out, size_t want,
    size_t max)
{
	json_object	*v;
	int		 n;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return -1;
	n = jwt_b64url_decode(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v), out, want ? want : max);
	if (n <= 0 || (want && (size_t)n != want))
		return -1;
	return n;
}

/* Builds a public key of type ("EC", "RSA") and checks it. */
static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL, *cctx = NULL;
	EVP_PKEY	*pk = NULL;
	bool		 ok = false;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	/* the point is on the curve; n and e are sane (SP 800-56B) */
	if ((cctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL ||
	    EVP_PKEY_public_check(cctx) != 1)
		goto out;
	ok = true;
out:
	if (!ok) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	EVP_PKEY_CTX_free(cctx);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pk;
}

static EVP_PKEY *
jwk_ec_p256(json_object *o)
{
	OSSL_PARAM_BLD	*bld = NULL;
	EVP_PKEY	*pk = NULL;
	unsigned char	 pt[1 + 2 * P256_LEN];

	/* uncompressed point: 04 || x || y */
	pt[0] = 0x04;
	if (jwk_bytes(o, "x", pt + 1, P256_LEN, 0) < 0 ||
	    jwk_bytes(o, "y", pt + 1 + P256_LEN, P256_LEN, 0) < 0)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
	    sizeof(pt)))
		goto out;
	pk = pkey_fromdata("EC", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

/* An RSA public key; *bits is the modulus size (0 when n is unreadable). */
static EVP_PKEY *
jwk_rsa(json_object *o, int *bits)
{
	OSSL_PARAM_BLD	*bld = NULL;
	EVP_PKEY	*pk = NULL;
	BIGNUM		*n = NULL, *e = NULL;
	unsigned char	 nb[JWT_RSA_BITS_MAX / 8 + 1], eb[RSA_E_MAX];
	int		 nlen, elen;

	*bits = 0;
	if ((nlen = jwk_bytes(o, "n", nb, 0, sizeof(nb))) < 0 ||
	    (elen = jwk_bytes(o, "e", eb, 0, sizeof(eb))) < 0)
		goto out;
	if ((n = BN_bin2bn(nb, nlen, NULL)) == NULL ||
	    (e = BN_bin2bn(eb, elen, NULL)) == NULL)
		goto out;
	*bits = BN_num_bits(n);
	if (*bits < JWT_RSA_BITS_MIN || *bits > JWT_RSA_BITS_MAX)
		goto out;
	/* FIPS 186-5: odd e with 2^16 < e < 2^256 */
	if (!BN_is_odd(e) || BN_num_bits(e) < 17)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		goto out;
	pk = pkey_fromdata("RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pk;
}

/*
 * Reads entry idx of a JWKS into k.  Returns 1 (k filled), 0 (skipped:
 * not a signing key we support) or -1 (err set).  k is left zeroed
 * unless 1 is returned.
 */
static int
jwk_parse(json_object *o, size_t idx, const char *issuer,
    const char *audience, struct jwt_key *k, char *err, size_t errlen)
{
	json_object	*v, *e;
	const char	*kty, *crv, *kid;
	unsigned char	 x[ED25519_LEN];
	size_t		 i, n;
	int		 want, a, bits, rc = -1;
	bool		 verify;

	memset(k, 0, sizeof(*k));
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "JWKS key %zu is not an object", idx);
		goto out;
	}
	for (i = 0; jwk_private[i] != NULL; i++)
		if (json_object_object_get_ex(o, jwk_private[i], NULL)) {
			snprintf(err, errlen, "JWKS key %zu holds private or "
			    "secret key material (%s)", idx, jwk_private[i]);
			goto out;
		}
	if ((kty = member_str(o, "kty", 16)) == NULL) {
		snprintf(err, errlen, "JWKS key %zu has no valid kty", idx);
		goto out;
	}
	if (strcmp(kty, "oct") == 0) {
		snprintf(err, errlen, "JWKS key %zu is a symmetric (oct) key", idx);
		goto out;
	}
	if (json_object_object_get_ex(o, "use", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "JWKS key %zu: use is not a string", idx);
			goto out;
		}
		if (!str_eq(v, "sig")) {
			rc = 0;
			goto out;
		}
	}
	if (json_object_object_get_ex(o, "key_ops", &v)) {
		if (!json_object_is_type(v, json_type_array)) {
			snprintf(err, errlen, "JWKS key %zu: key_ops is not an array",
			    idx);
			goto out;
		}
		verify = false;
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(v, i);
			if (str_eq(e, "verify"))
				verify = true;
		}
		if (!verify) {
			rc = 0;
			goto out;
		}
	}
	if ((kid = member_str(o, "kid", JWT_KID_MAX)) == NULL) {
		snprintf(err, errlen, "JWKS key %zu has no kid of 1 to %d bytes",
		    idx, JWT_KID_MAX);
		goto out;
	}

	/* the algorithm follows from the key; a stated alg must agree */
	crv = member_str(o, "crv", 32);
	if (strcmp(kty, "OKP") == 0 && crv != NULL && strcmp(crv, "Ed25519") == 0)
		want = JWT_ALG_EDDSA;
	else if (strcmp(kty, "EC") == 0 && crv != NULL && strcmp(crv, "P-256") == 0)
		want = JWT_ALG_ES256;
	else if (strcmp(kty, "RSA") == 0)
		want = JWT_ALG_RS256;
	else {
		rc = 0;		/* X25519, P-384, ...: not ours */
		goto out;
	}
	if (json_object_object_get_ex(o, "alg", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "JWKS key %zu: alg is not a string", idx);
			goto out;
		}
		a = alg_parse(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
		if (a == 0) {
			rc = 0;		/* PS256, RS384, ...: not supported */
			goto out;
		}
		if (a != want) {
			snprintf(err, errlen, "JWKS key %zu: alg does not match "
			    "its key type", idx);
			goto out;
		}
	}

	switch (want) {
	case JWT_ALG_EDDSA:
		if (jwk_bytes(o, "x", x, sizeof(x), 0) < 0) {
			snprintf(err, errlen, "JWKS key %zu: x is not a 32-byte "
			    "Ed25519 public key", idx);
			goto out;
		}
		k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x,
		    sizeof(x));
		break;
	case JWT_ALG_ES256:
		if ((k->pkey = jwk_ec_p256(o)) == NULL) {
			snprintf(err, errlen, "JWKS key %zu: x, y are not a P-256 "
			    "public point", idx);
			goto out;
		}
		break;
	default:
		if ((k->pkey = jwk_rsa(o, &bits)) == NULL) {
			if (bits > 0 && bits < JWT_RSA_BITS_MIN)
				snprintf(err, errlen, "JWKS key %zu: RSA modulus of "
				    "%d bits is shorter than %d", idx, bits,
				    JWT_RSA_BITS_MIN);
			else
				snprintf(err, errlen, "JWKS key %zu: n, e are not an "
				    "RSA public key of %d to %d bits with an odd "
				    "e >= 65537", idx, JWT_RSA_BITS_MIN,
				    JWT_RSA_BITS_MAX);
			goto out;
		}
		break;
	}
	if (k->pkey == NULL) {
		snprintf(err, errlen, "JWKS key %zu: cannot build the key", idx);
		goto out;
	}
	k->alg = (enum jwt_alg)want;
	memcpy(k->kid, kid, strlen(kid) + 1);
	if (key_names(k, issuer, audience) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 1;
out:
	if (rc != 1)
		key_clear(k);
	ERR_clear_error();
	return rc;
}

int
jwt_keyset_parse_jwks(struct jwt_keyset *ks, const char *json, size_t len,
    const char *issuer, const char *audience, char *err, size_t errlen)
{
	json_object	*root = NULL, *keys;
	struct jwt_key	*add = NULL;
	size_t		 i, n, nadd = 0;
	int		 r, rc = -1;

	if (!name_ok(issuer) || (audience != NULL && !name_ok(audience))) {
		snprintf(err, errlen, "issuer and audience must be 1 to %d bytes",
		    JWT_NAME_MAX);
		goto out;
	}
	if (json == NULL || len > JWT_JWKS_MAX) {
		snprintf(err, errlen, "JWKS is larger than %d bytes", JWT_JWKS_MAX);
		goto out;
	}
	if (json_parse_strict(json, len, &root) != JSON_OK ||
	    !json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "JWKS is not a strict JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(root, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array)) {
		snprintf(err, errlen, "JWKS has no keys array");
		goto out;
	}
	if ((n = json_object_array_length(keys)) > JWT_JWKS_KEYS_MAX) {
		snprintf(err, errlen, "JWKS has more than %d keys",
		    JWT_JWKS_KEYS_MAX);
		goto out;
	}
	if ((add = calloc(n > 0 ? n : 1, sizeof(*add))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		r = jwk_parse(json_object_array_get_idx(keys, i), i, issuer,
		    audience, &add[nadd], err, errlen);
		if (r < 0)
			goto out;
		if (r > 0)
			nadd++;
	}
	if (nadd == 0) {
		snprintf(err, errlen, "JWKS has no usable signing key "
		    "(Ed25519, P-256 or RSA)");
		goto out;
	}
	if (keyset_append(ks, add, nadd, err, errlen) < 0)
		goto out;
	nadd = 0;	/* ks owns them now */
	rc = 0;
out:
	for (i = 0; i < nadd; i++)
		key_clear(&add[i]);
	free(add);
	json_object_put(root);
	return rc;
}

int
jwt_keyset_load_jwks(struct jwt_keyset *ks, const char *path,
    const char *issuer, const char *audience, char *err, size_t errlen)
{
	struct stat	 st;
	char		*data = NULL;
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd = -1, rc = -1;

	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path ? path : "(null)",
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if ((data = malloc(JWT_JWKS_MAX + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* read one byte past the limit to tell "too large" from "exactly" */
	while (len < JWT_JWKS_MAX + 1) {
		r = read(fd, data + len, JWT_JWKS_MAX + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > JWT_JWKS_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    JWT_JWKS_MAX);
		goto out;
	}
	rc = jwt_keyset_parse_jwks(ks, data, len, issuer, audience, err, errlen);
out:
	free(data);
	if (fd >= 0)
		close(fd);
	return rc;
}
