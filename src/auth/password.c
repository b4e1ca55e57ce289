#include <stdio.h>
#include <string.h>

#include <argon2.h>
#include <openssl/rand.h>

#include "auth/password.h"

#define SALT_LEN	16
#define HASH_LEN	32

int
password_hash(const struct password_params *pp, const char *pw, size_t len,
    char *out, size_t outlen)
{
	unsigned char	salt[SALT_LEN];
	int		rc;

	if (argon2_encodedlen(pp->t, pp->m_kib, pp->p, SALT_LEN, HASH_LEN,
	    Argon2_id) > outlen)
		return -1;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	rc = argon2id_hash_encoded(pp->t, pp->m_kib, pp->p, pw, len, salt,
	    sizeof(salt), HASH_LEN, out, outlen);
	return rc == ARGON2_OK ? 0 : -1;
}

int
password_verify(const char *encoded, const char *pw, size_t len)
{
	int rc;

	if (strncmp(encoded, "$argon2id$", 10) != 0)
		return 0;
	rc = argon2id_verify(encoded, pw, len);
	if (rc == ARGON2_OK)
		return 1;
	/* only running out of memory is our failure; a broken hash just never matches */
	if (rc == ARGON2_MEMORY_ALLOCATION_ERROR || rc == ARGON2_THREAD_FAIL)
		return -1;
	return 0;
}

/* Standard base64 without padding, as in PHC strings; -1 if malformed. */
static int
b64_decode(const char *in, size_t n, unsigned char *out, size_t outlen)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char	*p;
	unsigned	 acc = 0;
	int		 bits = 0;
	size_t		 o = 0, i;

	for (i = 0; i < n; i++) {
		if (in[i] == '\0' || (p = strchr(alphabet, in[i])) == NULL)
			return -1;
		acc = (acc << 6) | (unsigned)(p - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outlen)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return (int)o;
}

int
password_candidate(const char *settings, int hash_len, const char *pw,
    size_t len, char *out, size_t outlen)
{
	unsigned	 m, t, p, v;
	int		 off = 0, saltlen;
	unsigned char	 salt[64];
	const char	*s;

	if (sscanf(settings, "$argon2id$v=%u$m=%u,t=%u,p=%u$%n", &v, &m, &t, &p,
	    &off) != 4 || off == 0)
		return -1;
	s = settings + off;
	/* the bounds TASKMAN_ARGON2_* allow: a row cannot make a worker allocate more */
	if (v != ARGON2_VERSION_NUMBER || m > 4194304 || t > 64 || p > 16 ||
	    hash_len < 4 || hash_len > 64)
		return -1;
	if ((saltlen = b64_decode(s, strlen(s), salt, sizeof(salt))) < 8)
		return -1;
	if (argon2_encodedlen(t, m, p, (uint32_t)saltlen, (uint32_t)hash_len,
	    Argon2_id) > outlen)
		return -1;
	return argon2id_hash_encoded(t, m, p, pw, len, salt, (size_t)saltlen,
	    (size_t)hash_len, out, outlen) == ARGON2_OK ? 0 : -1;
}

bool
password_needs_rehash(const struct password_params *pp, const char *encoded)
{
	unsigned	m, t, p, v;

	/* $argon2id$v=19$m=19456,t=2,p=1$salt$hash */
	if (sscanf(encoded, "$argon2id$v=%u$m=%u,t=%u,p=%u$", &v, &m, &t, &p) != 4)
		return true;
	return v != ARGON2_VERSION_NUMBER || m < pp->m_kib || t < pp->t || p < pp->p;
}
