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

bool
password_needs_rehash(const struct password_params *pp, const char *encoded)
{
	unsigned	m, t, p, v;

	/* $argon2id$v=19$m=19456,t=2,p=1$salt$hash */
	if (sscanf(encoded, "$argon2id$v=%u$m=%u,t=%u,p=%u$", &v, &m, &t, &p) != 4)
		return true;
	return v != ARGON2_VERSION_NUMBER || m < pp->m_kib || t < pp->t || p < pp->p;
}
