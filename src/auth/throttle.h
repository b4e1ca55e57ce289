/*
 * throttle: the worker's side of login throttling and of the cap on
 * concurrent Argon2id work (the counting itself is in the database,
 * schema/0006_security.up.sql, and in the shared metrics region).
 */
#ifndef TASKMAN_THROTTLE_H
#define TASKMAN_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>

struct req;

/* Attempts before a lock: per (account, network), per network; soft delay per account. */
#define THROTTLE_PAIR_LIMIT	"5"
#define THROTTLE_ADDR_LIMIT	"20"
#define THROTTLE_SOFT_LIMIT	"10"

#define THROTTLE_NET_MAX	64

/*
 * The client's network, the unit throttles and rate limits count by: an
 * IPv4 address as is, an IPv6 address as its /64 ("2001:db8:1:2::/64"),
 * an IPv4-mapped IPv6 address as the IPv4 one.  Anything else is copied
 * (truncated), so it still keys something.
 */
void	throttle_client_net(const char *addr, char *out, size_t outlen);

/*
 * Computes the candidate PHC string for settings (NULL: the worker's dummy
 * settings, so unknown accounts cost the same) under the pool-wide cap on
 * Argon2 work.  Returns 0, or an HTTP status with the problem set: 503
 * with Retry-After when the cap is reached, 500 when hashing failed.
 */
int	throttle_candidate(struct req *r, const char *settings, int hash_len,
	    const char *pw, size_t len, char *out, size_t outlen);
/* password_hash() under the same cap; 0 or an HTTP status with the problem set. */
int	throttle_hash(struct req *r, const char *pw, size_t len, char *out,
	    size_t outlen);

/* The same without a response: true if out holds a new hash (cap not reached, no error). */
bool	throttle_try_hash(struct req *r, const char *pw, size_t len, char *out,
	    size_t outlen);

#endif
