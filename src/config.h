/*
 * config: the worker's configuration, read from the environment once at
 * start-up and validated as a whole.  Nothing here changes afterwards, so
 * the struct may be shared read-only by every connection context.
 */
#ifndef TASKMAN_CONFIG_H
#define TASKMAN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "log.h"

#define CONFIG_EXIT_BAD	78	/* EX_CONFIG from sysexits.h */

struct config {
	const char	*database_url;	/* NULL: libpq's PG* variables */
	const char	*jwt_secret;	/* >= 32 bytes; never logged */
	size_t		 jwt_secret_len;
	const char	*jwt_issuer;
	const char	*jwt_audience;
	int		 access_ttl_s;
	long		 refresh_ttl_s;
	unsigned	 argon2_m_kib;
	unsigned	 argon2_t;
	unsigned	 argon2_p;
	const char	*listen_path;	/* NULL: fd 0 is the listening socket */
	mode_t		 socket_mode;
	const char	*socket_group;
	int		 workers;
	int		 hash_concurrency;	/* Argon2 computations at once, whole pool */
	enum log_level	 log_level;
	size_t		 body_limit;
	int		 statement_timeout_ms;
	int		 health_timeout_ms;
	int		 health_degraded_ms;
	int		 health_cache_ms;
	const char	*metrics_file;
	const char	*cors_origins;	/* comma-separated exact origins; NULL: none */
	const char	*openapi_file;
	bool		 cookie_secure;
	const char	*jwks_file;	/* external issuer keys, optional */
	const char	*external_issuer;
	const char	*external_audience;
	int		 changes_retention_days;	/* older cursors: 410 */
};

/*
 * Fills c from the environment.  Returns 0, or -1 with a one-line reason
 * in err (which never contains a secret's value).
 */
int	config_load(struct config *c, char *err, size_t errlen);

/* Parses a decimal integer in [min, max]; returns 0 or -1. Exposed for tests. */
int	config_parse_long(const char *s, long min, long max, long *out);

#endif
