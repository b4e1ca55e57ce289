/*
 * deliver: one webhook delivery over HTTP(S) with libcurl (API.md
 * section 9): the signature header, a 10 s deadline, no redirects, no
 * proxies from the environment, and the refusal of loopback, private,
 * link-local and multicast targets, checked on the address curl is about
 * to connect to (after DNS, so a name that resolves to 127.0.0.1 is
 * refused too).  Also the retry schedule.  Prefix deliver_.
 */
#ifndef TASKMAN_JOBS_DELIVER_H
#define TASKMAN_JOBS_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define DELIVER_TIMEOUT_MS	10000
#define DELIVER_SIG_MAX		128	/* "t=<digits>,v1=<64 hex>" */

struct deliver_result {
	bool	 ok;		/* a 2xx arrived within the deadline */
	bool	 refused;	/* the target address is not allowed */
	long	 status;	/* HTTP status, 0 when none */
	long	 duration_ms;
	char	 error[256];	/* "" on success; never holds the secret */
};

/* Once per process, before any delivery (curl_global_init). 0 or -1. */
int	deliver_global_init(void);
void	deliver_global_cleanup(void);

/*
 * The X-Taskman-Signature value for body signed at unix time t with key
 * (the secret as the hex text shown to the user):
 * t=<t>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>.  Returns 0, -1 on error.
 */
int	deliver_sign(const char *key, long long t, const char *body, size_t len,
	    char out[DELIVER_SIG_MAX]);

/*
 * Whether sa is an address webhooks must not reach: loopback,
 * unspecified, RFC 1918 / RFC 4193 private, CGNAT, link-local,
 * multicast, broadcast, reserved, documentation, and IPv4-mapped or
 * NAT64-embedded forms of those.
 */
bool	deliver_addr_blocked(const struct sockaddr *sa, socklen_t len);

/*
 * POSTs body to url with the event, delivery id and signature headers.
 * allow_private: the operator's switch (TASKMAN_WEBHOOK_ALLOW_PRIVATE).
 * Always fills *res; returns 0 (see res->ok) or -1 when curl could not
 * even be set up.
 */
int	deliver_post(const char *url, const char *event, const char *delivery_id,
	    const char *body, const char *signature, bool allow_private,
	    struct deliver_result *res);

/*
 * The retry schedule: after failed attempt number `attempts` (1 = the
 * first), the delay before the next one in milliseconds -- 1 min, 5 min,
 * 30 min, 2 h, 6 h, then every 6 h -- each multiplied by scale (tests
 * shrink it); -1 when the next attempt would start later than
 * window_ms (3 days, scaled) after the event: give up.
 */
long long deliver_backoff_ms(int attempts, long long age_ms, double scale);
long long deliver_window_ms(double scale);

#endif
