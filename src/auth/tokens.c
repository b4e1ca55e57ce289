#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/jwt.h"
#include "auth/tokens.h"

int
tokens_init(struct tokens *t, const struct config *c, char *err, size_t errlen)
{
	static const char dummy[] = "no account has this password";

	memset(t, 0, sizeof(*t));
	t->pp.m_kib = c->argon2_m_kib;
	t->pp.t = c->argon2_t;
	t->pp.p = c->argon2_p;
	if ((t->keys = calloc(1, sizeof(*t->keys))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	jwt_keyset_init(t->keys);
	if (jwt_keyset_add_hs256(t->keys, (const unsigned char *)c->jwt_secret,
	    c->jwt_secret_len, NULL, c->jwt_issuer, c->jwt_audience, err, errlen) != 0)
		goto fail;
	if (c->jwks_file != NULL && jwt_keyset_load_jwks(t->keys, c->jwks_file,
	    c->external_issuer, c->external_audience, err, errlen) != 0)
		goto fail;
	if (password_hash(&t->pp, dummy, sizeof(dummy) - 1, t->dummy_hash,
	    sizeof(t->dummy_hash)) != 0) {
		snprintf(err, errlen, "Argon2id hashing failed (TASKMAN_ARGON2_*: "
		    "not enough memory?)");
		goto fail;
	}
	return 0;
fail:
	tokens_free(t);
	return -1;
}

void
tokens_free(struct tokens *t)
{
	if (t->keys != NULL) {
		jwt_keyset_free(t->keys);
		free(t->keys);
	}
	t->keys = NULL;
}

int
tokens_issue_access(const struct tokens *t, const struct config *c,
    const char *user_id, const char *role, const char *sid, char *out,
    size_t outlen)
{
	const struct jwt_key	*k = jwt_keyset_find(t->keys, NULL);
	unsigned char		 jti[16];
	char			 jtis[40];
	json_object		*cl;
	time_t			 now = time(NULL);
	int			 rc = -1;

	if (k == NULL || RAND_bytes(jti, sizeof(jti)) != 1 ||
	    jwt_b64url_encode(jti, sizeof(jti), jtis, sizeof(jtis)) < 0)
		return -1;
	if ((cl = json_object_new_object()) == NULL)
		return -1;
	json_object_object_add(cl, "iss", json_object_new_string(c->jwt_issuer));
	json_object_object_add(cl, "aud", json_object_new_string(c->jwt_audience));
	json_object_object_add(cl, "sub", json_object_new_string(user_id));
	json_object_object_add(cl, "role", json_object_new_string(role));
	json_object_object_add(cl, "iat", json_object_new_int64((int64_t)now));
	json_object_object_add(cl, "exp", json_object_new_int64((int64_t)now + c->access_ttl_s));
	json_object_object_add(cl, "jti", json_object_new_string(jtis));
	if (sid != NULL)
		json_object_object_add(cl, "sid", json_object_new_string(sid));
	if (jwt_sign_hs256(k->secret, k->secretlen, cl, out, outlen) > 0)
		rc = 0;
	json_object_put(cl);
	return rc;
}

/* SHA-256 of the token text as a bytea literal "\x<64 hex>". */
static int
hash_hex(const char *raw, size_t len, char hash[TOKENS_HASH_LEN + 1])
{
	unsigned char	 md[32];
	unsigned int	 mdlen = 0;
	static const char hex[] = "0123456789abcdef";

	if (EVP_Digest(raw, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -1;
	hash[0] = '\\';
	hash[1] = 'x';
	for (int i = 0; i < 32; i++) {
		hash[2 + 2 * i] = hex[md[i] >> 4];
		hash[3 + 2 * i] = hex[md[i] & 15];
	}
	hash[TOKENS_HASH_LEN] = '\0';
	return 0;
}

int
tokens_new_refresh(char raw[TOKENS_REFRESH_LEN + 1], char hash[TOKENS_HASH_LEN + 1])
{
	unsigned char	 b[32];
	char		 enc[48];

	if (RAND_bytes(b, sizeof(b)) != 1 ||
	    jwt_b64url_encode(b, sizeof(b), enc, sizeof(enc)) != TOKENS_REFRESH_LEN)
		return -1;
	memcpy(raw, enc, TOKENS_REFRESH_LEN + 1);
	return hash_hex(raw, TOKENS_REFRESH_LEN, hash);
}

int
tokens_hash_refresh(const char *raw, char hash[TOKENS_HASH_LEN + 1])
{
	unsigned char	b[33];
	size_t		len = strlen(raw);

	/* only what tokens_new_refresh() makes: 43 canonical base64url chars */
	if (len != TOKENS_REFRESH_LEN || jwt_b64url_decode(raw, len, b, sizeof(b)) != 32)
		return -1;
	return hash_hex(raw, len, hash);
}
