/*
 * jwt: JSON Web Tokens in compact JWS form (RFC 7515, RFC 7519).
 *
 * We sign our own access tokens with HS256.  We verify those, and
 * optionally tokens from one external issuer (Better Auth, an OIDC
 * provider) whose public keys come from a JWKS file: EdDSA (Ed25519),
 * ES256 (P-256) and RS256 (>= 2048-bit modulus).
 *
 * The algorithm belongs to the key, never to the token: jwt_verify()
 * picks the key by the header's "kid" (a token without "kid" can only
 * mean our own HS256 key), then requires the header's "alg" to be that
 * key's algorithm.  The token cannot choose how it is checked, so
 * "alg":"none" and HS256-with-a-public-key (algorithm confusion) fail.
 * Each key also carries the "iss" and "aud" its tokens must have.
 *
 * A keyset is built once at start-up and is read-only afterwards; any
 * number of threads may call jwt_verify() on it at the same time.  The
 * module keeps no global state.  Reasons ("why") are fixed strings safe
 * to log: they never contain any part of the token.
 */
#ifndef TASKMAN_JWT_H
#define TASKMAN_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#define JWT_MAX_TOKEN		8192		/* bytes of a compact token */
#define JWT_MAX_LEEWAY		60		/* seconds, for nbf and iat */
#define JWT_KID_MAX		128		/* bytes of a "kid" */
#define JWT_NAME_MAX		1024		/* bytes of an issuer, audience */
#define JWT_SUB_MAX		255		/* bytes of a "sub" */
#define JWT_HS256_KEY_MIN	32		/* bytes of an HS256 secret */
#define JWT_HS256_KEY_MAX	1024
#define JWT_JWKS_MAX		(1024 * 1024)	/* bytes of a JWKS file */
#define JWT_JWKS_KEYS_MAX	64		/* entries in its "keys" */
#define JWT_RSA_BITS_MIN	2048
#define JWT_RSA_BITS_MAX	8192

enum jwt_alg {
	JWT_ALG_HS256 = 1,
	JWT_ALG_EDDSA,		/* Ed25519 */
	JWT_ALG_ES256,		/* ECDSA P-256, SHA-256 */
	JWT_ALG_RS256		/* RSASSA-PKCS1-v1_5, SHA-256 */
};

enum jwt_status {
	JWT_OK,
	JWT_MALFORMED,		/* size, segments, base64url, JSON, typ, crit, kid */
	JWT_BAD_ALG,		/* alg missing, "none", or not the key's alg */
	JWT_UNKNOWN_KEY,	/* no key with that kid (or no own key) */
	JWT_BAD_SIGNATURE,	/* empty, wrong length or not matching */
	JWT_EXPIRED,		/* exp <= now */
	JWT_NOT_YET_VALID,	/* nbf or iat later than now + leeway */
	JWT_BAD_ISSUER,		/* iss missing or not the key's issuer */
	JWT_BAD_AUDIENCE,	/* aud missing or without the key's audience */
	JWT_BAD_CLAIMS,		/* exp missing, a time claim not a number, sub missing */
	JWT_NOMEM		/* out of memory or an OpenSSL failure: not the token's fault */
};

struct jwt_key {
	char		 kid[JWT_KID_MAX + 1];	/* "" when the key has none */
	enum jwt_alg	 alg;			/* the one algorithm it verifies */
	unsigned char	*secret;		/* HS256 only */
	size_t		 secretlen;
	EVP_PKEY	*pkey;			/* EdDSA, ES256, RS256 only */
	char		*issuer;		/* required "iss" */
	char		*audience;		/* required in "aud"; NULL: not checked */
};

/* Zero-initialised (or jwt_keyset_init) is an empty keyset. */
struct jwt_keyset {
	struct jwt_key	*keys;
	size_t		 nkeys;
};

/* What jwt_verify() asks beyond the key's iss/aud.  NULL means all zero. */
struct jwt_expect {
	int	 leeway_s;	/* allowed clock skew for nbf and iat; clamped to 0..60 */
	bool	 allow_no_sub;	/* do not require "sub" (test vectors only) */
};

void		 jwt_keyset_init(struct jwt_keyset *ks);
/* Releases every key (secrets are wiped); ks is empty afterwards. */
void		 jwt_keyset_free(struct jwt_keyset *ks);

/*
 * Adds our own HS256 key: secret of JWT_HS256_KEY_MIN..MAX bytes (copied),
 * kid NULL or "" for none, issuer required, audience NULL for "not
 * checked".  A keyset holds at most one HS256 key, and its issuer must
 * differ from every other key's, so "iss" alone tells own tokens from
 * external ones.  Returns 0, or -1 with a reason in err and ks unchanged.
 */
int		 jwt_keyset_add_hs256(struct jwt_keyset *ks,
		    const unsigned char *secret, size_t secretlen, const char *kid,
		    const char *issuer, const char *audience, char *err, size_t errlen);

/*
 * Adds the signing keys of a JWKS document (RFC 7517) of len bytes
 * (<= JWT_JWKS_MAX), all for one issuer (required) and audience (NULL:
 * not checked).  Accepted: {kty:"OKP",crv:"Ed25519",x}, {kty:"EC",
 * crv:"P-256",x,y}, {kty:"RSA",n,e} with a 2048..8192-bit modulus and
 * an odd e of 2^16 < e < 2^256, each checked by OpenSSL as a public key,
 * each with a "kid" and an optional "alg" that must fit the key (a missing
 * alg is inferred: EdDSA, ES256, RS256).  Skipped: "use" other than
 * "sig", "key_ops" without "verify", other key types, curves and algs.
 * Refused (error): private or secret material (d, p, q, dp, dq, qi, oth,
 * k), kty "oct", an alg that names another supported algorithm, a
 * duplicate kid, no usable key at all.  All or nothing: returns 0, or -1
 * with a reason in err and ks unchanged.
 */
int		 jwt_keyset_parse_jwks(struct jwt_keyset *ks, const char *json,
		    size_t len, const char *issuer, const char *audience, char *err,
		    size_t errlen);
/* jwt_keyset_parse_jwks() on the contents of a regular file at path. */
int		 jwt_keyset_load_jwks(struct jwt_keyset *ks, const char *path,
		    const char *issuer, const char *audience, char *err, size_t errlen);

/* The key with that kid, or for kid NULL the HS256 key; NULL if none. */
const struct jwt_key *jwt_keyset_find(const struct jwt_keyset *ks,
		    const char *kid);

/*
 * Verifies a compact token of len bytes at time now, with the checks in
 * the file comment and these rules: at most JWT_MAX_TOKEN bytes of the
 * base64url alphabet plus exactly two dots; unpadded canonical base64url;
 * header and payload strict JSON objects (no duplicate keys); no "crit";
 * "typ" absent or, case-insensitively, "JWT" or "at+jwt" (RFC 9068),
 * optionally prefixed "application/"; "exp" a number > now (no leeway);
 * "nbf" and "iat" optional numbers <= now + leeway; "iss" equal to the
 * key's issuer; "aud" a string or an array of strings containing the
 * key's audience (if it has one); "sub" a string of 1..JWT_SUB_MAX bytes
 * without NUL.  The signature is checked before the payload is parsed.
 * Header members that name keys (jku, jwk, x5u, x5c) are ignored: keys
 * come from the keyset only.
 *
 * On JWT_OK, *claims_out (if claims_out is not NULL) is the payload,
 * owned by the caller (json_object_put).  Otherwise *claims_out is NULL
 * and why (if not NULL) holds a short fixed reason.
 */
enum jwt_status	 jwt_verify(const struct jwt_keyset *ks, const char *token,
		    size_t len, time_t now, const struct jwt_expect *expect,
		    json_object **claims_out, char *why, size_t whylen);

/*
 * Checks only the signature sig (base64url, siglen bytes) of the signing
 * input "header.payload" (inputlen bytes) with key k.  Returns JWT_OK,
 * JWT_MALFORMED (sig not base64url), JWT_BAD_SIGNATURE or JWT_NOMEM.
 */
enum jwt_status	 jwt_verify_sig(const struct jwt_key *k, const char *input,
		    size_t inputlen, const char *sig, size_t siglen);

/*
 * Signs claims (a JSON object) as header {"alg":"HS256","typ":"JWT"}
 * with key (JWT_HS256_KEY_MIN..MAX bytes).  Writes the NUL-terminated
 * token to out; outlen must leave room for the padded base64 form plus
 * the NUL (JWT_MAX_TOKEN + 1 always does).  Returns the token's length,
 * or -1 (bad arguments, too long, OpenSSL failure) with out set to "".
 */
int		 jwt_sign_hs256(const unsigned char *key, size_t keylen,
		    json_object *claims, char *out, size_t outlen);

/*
 * HMAC-SHA-256 of the signing input under key, as unpadded base64url
 * (43 characters) into out (>= 45 bytes).  Returns 43 or -1.
 */
int		 jwt_hs256_sig(const unsigned char *key, size_t keylen,
		    const char *input, size_t inputlen, char *out, size_t outlen);

/*
 * Unpadded base64url (RFC 4648 section 5) over OpenSSL's EVP coder.
 * encode: n <= JWT_JWKS_MAX bytes into out, which needs 4 * ceil(n / 3)
 * + 1 bytes; writes a NUL and returns the length, or -1.
 * decode: n characters of the url-safe alphabet only (no '=', no
 * whitespace) in canonical form (unused bits zero) into at most outlen
 * bytes; returns the decoded length, or -1.
 */
int		 jwt_b64url_encode(const unsigned char *in, size_t n, char *out,
		    size_t outlen);
int		 jwt_b64url_decode(const char *in, size_t n, unsigned char *out,
		    size_t outlen);

/* A stable short name for logs: "ok", "malformed", "bad_alg"... */
const char	*jwt_status_str(enum jwt_status s);

#endif
