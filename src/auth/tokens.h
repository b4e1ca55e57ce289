/*
 * tokens: what the worker hands out and takes back — access tokens (JWT,
 * HS256 with the server secret) and refresh tokens (256 random bits,
 * stored only as SHA-256).  struct tokens is built once at start-up and is
 * read-only afterwards, so any number of connection contexts may share it.
 */
#ifndef TASKMAN_TOKENS_H
#define TASKMAN_TOKENS_H

#include <stddef.h>

#include "auth/password.h"
#include "config.h"

#define TOKENS_REFRESH_LEN	43	/* base64url of 32 bytes, unpadded */
#define TOKENS_HASH_LEN		66	/* "\x" + 64 hex digits: a bytea literal */
#define TOKENS_ACCESS_MAX	1024

struct jwt_keyset;

struct tokens {
	struct jwt_keyset	*keys;		/* own HS256 key + external JWKS */
	struct password_params	 pp;
	/* verified against for unknown e-mails, so both take the same time */
	char			 dummy_hash[PASSWORD_HASH_MAX];
};

/* Returns 0, or -1 with a reason in err. */
int	tokens_init(struct tokens *t, const struct config *c, char *err,
	    size_t errlen);
void	tokens_free(struct tokens *t);

/*
 * Signs an access token for user_id/role into out (>= TOKENS_ACCESS_MAX).
 * sid is the refresh-token family (the login session) or NULL.
 * Returns 0 or -1.
 */
int	tokens_issue_access(const struct tokens *t, const struct config *c,
	    const char *user_id, const char *role, const char *sid, char *out,
	    size_t outlen);
/* A new refresh token and its hash (as a bytea text literal).  0 or -1. */
int	tokens_new_refresh(char raw[TOKENS_REFRESH_LEN + 1],
	    char hash[TOKENS_HASH_LEN + 1]);
/* The hash of a presented refresh token.  0, or -1 if it cannot be ours. */
int	tokens_hash_refresh(const char *raw, char hash[TOKENS_HASH_LEN + 1]);

#endif
