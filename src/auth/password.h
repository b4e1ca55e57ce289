/*
 * password: Argon2id through libargon2 (the reference implementation),
 * stored as PHC strings ($argon2id$v=19$m=...,t=...,p=...$salt$hash) so
 * parameters can be raised later and other ecosystems can read them.
 */
#ifndef TASKMAN_PASSWORD_H
#define TASKMAN_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_MIN_BYTES	8
#define PASSWORD_MAX_BYTES	1024
#define PASSWORD_HASH_MAX	256	/* room for any PHC string we produce */

struct password_params {
	unsigned	m_kib;
	unsigned	t;
	unsigned	p;
};

/* Hashes pw with a fresh random salt into out.  Returns 0 or -1. */
int	password_hash(const struct password_params *pp, const char *pw,
	    size_t len, char *out, size_t outlen);
/*
 * Returns 1 if pw matches encoded, 0 if not (or encoded is not an
 * Argon2id PHC string), -1 on an internal error.  The comparison inside
 * libargon2 takes constant time.
 */
int	password_verify(const char *encoded, const char *pw, size_t len);
/*
 * The candidate for a stored hash the worker may not read: settings is the
 * stored PHC string without its last "$digest" part (algorithm, version,
 * parameters, salt) and hash_len the digest's length.  Writes the PHC
 * string pw would have with those settings into out; the database then
 * compares the two (schema 0006).  Returns 0, or -1 when the settings are
 * not Argon2id ones this build can compute (too much memory included).
 */
int	password_candidate(const char *settings, int hash_len, const char *pw,
	    size_t len, char *out, size_t outlen);
/* True when encoded uses weaker parameters than pp (re-hash on login). */
bool	password_needs_rehash(const struct password_params *pp, const char *encoded);

#endif
