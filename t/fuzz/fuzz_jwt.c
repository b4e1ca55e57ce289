/*
 * fuzz_jwt: bearer tokens through jwt_verify() against a fixed keyset
 * (our HS256 key plus an external issuer's Ed25519, P-256 and RSA-2048
 * keys from a JWKS), at a fixed time, and the base64url decoder.
 *
 * One input drives three things:
 *   A. the input as a compact token: jwt_verify() (strict and lenient),
 *      and jwt_verify_sig() of "everything before the last dot" against
 *      the part after it, with every key;
 *   B. jwt_b64url_decode() of the input (and re-encoding what decoded);
 *   C. the input as JSON, signed here with the HS256 key so the fuzzer
 *      gets past the signature to the header and claims checks: the
 *      header is the bytes before the first NUL when there is one (the
 *      payload is the rest), else {"alg":"HS256","typ":"JWT"}.
 *
 * Properties: JWT_OK comes with a claims object and an empty reason, any
 * other status with no claims and a reason; strict OK implies lenient
 * OK; a token that verifies stops verifying when one character of its
 * signature changes; what decodes re-encodes to the same text.
 *
 * The keys are test-only (t/fuzz/keys/); the seeds were made with
 * t/fuzz/make-jwt-seeds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

#define PROPERTY(c)	do { if (!(c)) property_failed(__FILE__, __LINE__, #c); } while (0)

static void __attribute__((noreturn))
property_failed(const char *file, int line, const char *what)
{
	fprintf(stderr, "PROPERTY FAILED at %s:%d: %s\n", file, line, what);
	abort();
}

/* 2026-01-01T00:00:00Z; the seed tokens are valid at this time */
#define NOW		((time_t)1767225600)
#define OWN_SECRET	"taskman-fuzz-hs256-secret-32byte"
#define OWN_ISS		"taskman"
#define OWN_AUD		"taskman"
#define EXT_ISS		"https://issuer.taskman.test"
#define EXT_AUD		"taskman-test"

/* t/fuzz/keys/jwks.json: the public halves of t/fuzz/keys/ *.pem */
static const char jwks[] =
    "{\"keys\":["
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"use\":\"sig\",\"alg\":\"EdDSA\","
    "\"kid\":\"fuzz-ed25519\",\"x\":\"97Mhpcn6kOEZ4UsZsmhlb6KE4Io3E-J4I_ohdCUexho\"},"
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":\"sig\",\"alg\":\"ES256\","
    "\"kid\":\"fuzz-p256\",\"x\":\"-CrquE630Voi1HGx-HAhtYpo4xBrQN4b4eZKsHRdagg\","
    "\"y\":\"2idDY3UDH2fP67J5tFzUacRz4lcnBWNGTT2-5Rj6QTk\"},"
    "{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"fuzz-rsa2048\","
    "\"n\":\"xNEYwMVs9jMeJy7KbL89rqiMIi487_zn3QcO18s9a9APQa-VCi98YhLVOcR3ktOw9qLhS6jy"
    "hx0gFJMoodVTjsm0B8d0EA5J2TD3Ton4CREfWuvIGXTVp0soT7CzfAufFWMACVNAEKBMGqfwRcGxwF7"
    "32rV_VN8JLFpk-jqBI0f3zCABR0xqVasDBnFs49Zjm_LbcK6DfbvLWCZIam8RYDLsMfVr8oAnHEz0CQ2"
    "i9zGozD4tKB_ZrwH-VWnN3JiGakUS69mWy4rF9OIvT3Z5ZkE1DMBEchBauVLk-kf6jIUXGddTVgg-gd"
    "OOt-b6RRJwgOCwh2wwDIuIUIZtAwmHTw\",\"e\":\"AQAB\"}"
    "]}";

static struct jwt_keyset keys;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	jwt_keyset_init(&keys);
	if (jwt_keyset_add_hs256(&keys, (const unsigned char *)OWN_SECRET,
	    strlen(OWN_SECRET), NULL, OWN_ISS, OWN_AUD, err, sizeof(err)) != 0 ||
	    jwt_keyset_parse_jwks(&keys, jwks, strlen(jwks), EXT_ISS, EXT_AUD,
	    err, sizeof(err)) != 0 || keys.nkeys != 4)
		abort();
	return 0;
}

/* jwt_verify() once, with the result's invariants. */
static enum jwt_status
verify(const char *tok, size_t len, const struct jwt_expect *ex)
{
	json_object	*claims = NULL;
	char		 why[128];
	enum jwt_status	 s;

	memset(why, 'x', sizeof(why));
	s = jwt_verify(&keys, tok, len, NOW, ex, &claims, why, sizeof(why));
	PROPERTY(memchr(why, '\0', sizeof(why)) != NULL);
	PROPERTY(strcmp(jwt_status_str(s), "unknown") != 0);
	if (s == JWT_OK) {
		PROPERTY(claims != NULL && json_object_is_type(claims, json_type_object));
		PROPERTY(why[0] == '\0');
	} else {
		PROPERTY(claims == NULL && why[0] != '\0');
	}
	json_object_put(claims);
	/* without claims_out and why, the same answer */
	PROPERTY(jwt_verify(&keys, tok, len, NOW, ex, NULL, NULL, 0) == s);
	return s;
}

/* The full set of checks for one token; tok is len bytes, writable. */
static void
verify_token(char *tok, size_t len)
{
	static const struct jwt_expect lenient = { JWT_MAX_LEEWAY, true };
	enum jwt_status	 s;
	const char	*dot;
	char		 c;

	s = verify(tok, len, NULL);
	if (s == JWT_OK)
		PROPERTY(verify(tok, len, &lenient) == JWT_OK);
	else
		(void)verify(tok, len, &lenient);
	if (s != JWT_OK || (dot = memrchr(tok, '.', len)) == NULL ||
	    dot + 1 == tok + len)
		return;
	/* one character of the signature changed: no longer valid */
	for (size_t i = (size_t)(dot + 1 - tok); i < len; i += 7) {
		c = tok[i];
		tok[i] = c == 'A' ? 'B' : 'A';
		PROPERTY(verify(tok, len, NULL) != JWT_OK);
		tok[i] = c;
	}
}

/* B: decoding, and re-encoding what decoded */
static void
b64(const char *in, size_t n)
{
	unsigned char	*out, small[8];
	char		*re;
	size_t		 outlen = n / 4 * 3 + 2;
	int		 d, e;

	if ((out = malloc(outlen)) == NULL)
		return;
	/* exactly outlen bytes, so ASan sees any write past the limit */
	d = jwt_b64url_decode(in, n, out, outlen);
	PROPERTY(d >= -1 && (d < 0 || (size_t)d <= outlen));
	if (d >= 0 && (re = malloc(4 * (((size_t)d + 2) / 3) + 1)) != NULL) {
		e = jwt_b64url_encode(out, (size_t)d, re, 4 * (((size_t)d + 2) / 3) + 1);
		PROPERTY(e >= 0 && (size_t)e == n && memcmp(re, in, n) == 0);
		free(re);
	}
	free(out);
	/* a too small buffer: refused, never overrun */
	d = jwt_b64url_decode(in, n, small, sizeof(small));
	PROPERTY(d >= -1 && d <= (int)sizeof(small));
}

/* A: the part after the last dot as a signature over what comes before */
static void
sig_only(const char *in, size_t n)
{
	const char *dot = memrchr(in, '.', n);

	if (dot == NULL)
		return;
	for (size_t i = 0; i < keys.nkeys; i++) {
		enum jwt_status s = jwt_verify_sig(&keys.keys[i], in,
		    (size_t)(dot - in), dot + 1, n - (size_t)(dot - in) - 1);

		PROPERTY(s == JWT_OK || s == JWT_MALFORMED || s == JWT_BAD_SIGNATURE);
	}
}

/* C: header and payload JSON, signed with our key */
static void
signed_json(const uint8_t *data, size_t size)
{
	static const char def_hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	const unsigned char *hdr = (const unsigned char *)def_hdr, *pl = data;
	size_t		 hlen = sizeof(def_hdr) - 1, plen = size, cap, n;
	const uint8_t	*nul;
	char		*tok;
	int		 r;

	if ((nul = memchr(data, '\0', size)) != NULL) {
		hdr = data;
		hlen = (size_t)(nul - data);
		pl = nul + 1;
		plen = size - hlen - 1;
	}
	if (hlen + plen > JWT_MAX_TOKEN)
		return;
	cap = 4 * ((hlen + 2) / 3) + 4 * ((plen + 2) / 3) + 64;
	if ((tok = malloc(cap)) == NULL)
		return;
	if ((r = jwt_b64url_encode(hdr, hlen, tok, cap)) < 0)
		goto out;
	n = (size_t)r;
	tok[n++] = '.';
	if ((r = jwt_b64url_encode(pl, plen, tok + n, cap - n)) < 0)
		goto out;
	n += (size_t)r;
	tok[n++] = '.';
	if ((r = jwt_hs256_sig((const unsigned char *)OWN_SECRET,
	    strlen(OWN_SECRET), tok, n - 1, tok + n, cap - n)) != 43)
		abort();
	n += (size_t)r;
	verify_token(tok, n);
out:
	free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tok;

	/* A: a writable, exact-size copy (verify_token flips characters) */
	if ((tok = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(tok, data, size);
	verify_token(tok, size);
	sig_only(tok, size);
	b64(tok, size);
	free(tok);
	signed_json(data, size);
	return 0;
}
