#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#ifndef TASKMAN_OPENAPI_FILE_DEFAULT
#define TASKMAN_OPENAPI_FILE_DEFAULT "openapi.yaml"
#endif

int
config_parse_long(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Empty variables count as unset, as most shells make them by accident. */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0') ? v : NULL;
}

static int
env_long(const char *name, long def, long min, long max, long *out,
    char *err, size_t errlen)
{
	const char *v = env(name);

	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (config_parse_long(v, min, max, out) == 0)
		return 0;
	snprintf(err, errlen, "%s must be an integer from %ld to %ld", name,
	    min, max);
	return -1;
}

int
config_load(struct config *c, char *err, size_t errlen)
{
	const char	*v;
	long		 n;
	char		*end;

	memset(c, 0, sizeof(*c));
	c->database_url = env("TASKMAN_DATABASE_URL");

	if ((c->jwt_secret = env("TASKMAN_JWT_SECRET")) == NULL) {
		snprintf(err, errlen, "TASKMAN_JWT_SECRET is not set "
		    "(use at least 32 random bytes, e.g. openssl rand -base64 48)");
		return -1;
	}
	c->jwt_secret_len = strlen(c->jwt_secret);
	if (c->jwt_secret_len < 32) {
		snprintf(err, errlen, "TASKMAN_JWT_SECRET must be at least 32 bytes");
		return -1;
	}
	c->jwt_issuer = env("TASKMAN_JWT_ISSUER");
	if (c->jwt_issuer == NULL)
		c->jwt_issuer = "taskman";
	c->jwt_audience = env("TASKMAN_JWT_AUDIENCE");
	if (c->jwt_audience == NULL)
		c->jwt_audience = "taskman";

	if (env_long("TASKMAN_ACCESS_TTL", 900, 60, 86400, &n, err, errlen))
		return -1;
	c->access_ttl_s = (int)n;
	if (env_long("TASKMAN_REFRESH_TTL", 604800, 300, 31536000, &n, err, errlen))
		return -1;
	c->refresh_ttl_s = n;
	/* OWASP's floor for Argon2id: m=19456 KiB, t=2, p=1; only upward. */
	if (env_long("TASKMAN_ARGON2_M_KIB", 19456, 19456, 4194304, &n, err, errlen))
		return -1;
	c->argon2_m_kib = (unsigned)n;
	if (env_long("TASKMAN_ARGON2_T", 2, 2, 64, &n, err, errlen))
		return -1;
	c->argon2_t = (unsigned)n;
	if (env_long("TASKMAN_ARGON2_P", 1, 1, 16, &n, err, errlen))
		return -1;
	c->argon2_p = (unsigned)n;

	c->listen_path = env("TASKMAN_LISTEN");
	c->socket_mode = 0660;
	if ((v = env("TASKMAN_SOCKET_MODE")) != NULL) {
		errno = 0;
		n = strtol(v, &end, 8);
		if (errno || *end != '\0' || n < 0 || n > 0777 || (n & 0007)) {
			snprintf(err, errlen, "TASKMAN_SOCKET_MODE must be an octal "
			    "mode with no access for others, e.g. 0660");
			return -1;
		}
		c->socket_mode = (mode_t)n;
	}
	c->socket_group = env("TASKMAN_SOCKET_GROUP");
	if (env_long("TASKMAN_WORKERS", 1, 1, 256, &n, err, errlen))
		return -1;
	c->workers = (int)n;
	/* half the pool by default: logins alone never take every worker */
	if (env_long("TASKMAN_HASH_CONCURRENCY", (c->workers + 1) / 2, 1, 256, &n,
	    err, errlen))
		return -1;
	c->hash_concurrency = (int)n;

	c->log_level = LOG_INFO;
	if ((v = env("TASKMAN_LOG_LEVEL")) != NULL &&
	    log_level_parse(v, &c->log_level) != 0) {
		snprintf(err, errlen, "TASKMAN_LOG_LEVEL must be one of "
		    "debug, info, warn, error");
		return -1;
	}
	if (env_long("TASKMAN_BODY_LIMIT", 1048576, 1024, 64L * 1048576, &n, err, errlen))
		return -1;
	c->body_limit = (size_t)n;
	if (env_long("TASKMAN_STATEMENT_TIMEOUT_MS", 5000, 10, 600000, &n, err, errlen))
		return -1;
	c->statement_timeout_ms = (int)n;
	if (env_long("TASKMAN_HEALTH_TIMEOUT_MS", 3000, 10, 60000, &n, err, errlen))
		return -1;
	c->health_timeout_ms = (int)n;
	if (env_long("TASKMAN_HEALTH_DEGRADED_MS", 1000, 1, 60000, &n, err, errlen))
		return -1;
	c->health_degraded_ms = (int)n;
	if (env_long("TASKMAN_HEALTH_CACHE_MS", 2000, 0, 60000, &n, err, errlen))
		return -1;
	c->health_cache_ms = (int)n;
	if (env_long("TASKMAN_CHANGES_RETENTION_DAYS", 30, 1, 3650, &n, err, errlen))
		return -1;
	c->changes_retention_days = (int)n;
	c->metrics_file = env("TASKMAN_METRICS_FILE");
	c->cors_origins = env("TASKMAN_CORS_ORIGINS");
	if (c->cors_origins != NULL && (strchr(c->cors_origins, '*') != NULL ||
	    strpbrk(c->cors_origins, "\r\n\"") != NULL)) {
		snprintf(err, errlen, "TASKMAN_CORS_ORIGINS must list exact origins "
		    "such as https://app.example.com, comma-separated (no *)");
		return -1;
	}
	c->openapi_file = env("TASKMAN_OPENAPI_FILE");
	if (c->openapi_file == NULL)
		c->openapi_file = TASKMAN_OPENAPI_FILE_DEFAULT;
	/* Only a plain-HTTP local run may drop Secure from the refresh cookie. */
	c->cookie_secure = true;
	if ((v = env("TASKMAN_COOKIE_SECURE")) != NULL) {
		if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
			c->cookie_secure = false;
		else if (strcmp(v, "1") != 0 && strcmp(v, "true") != 0) {
			snprintf(err, errlen, "TASKMAN_COOKIE_SECURE must be true or false");
			return -1;
		}
	}
	c->jwks_file = env("TASKMAN_JWKS_FILE");
	c->external_issuer = env("TASKMAN_EXTERNAL_ISSUER");
	c->external_audience = env("TASKMAN_EXTERNAL_AUDIENCE");
	if ((c->jwks_file == NULL) != (c->external_issuer == NULL)) {
		snprintf(err, errlen, "TASKMAN_JWKS_FILE and TASKMAN_EXTERNAL_ISSUER "
		    "must be set together");
		return -1;
	}
	/* without an audience, any token of that issuer, for any service, would do */
	if (c->jwks_file != NULL && c->external_audience == NULL) {
		snprintf(err, errlen, "TASKMAN_EXTERNAL_AUDIENCE must be set with "
		    "TASKMAN_JWKS_FILE (the aud this API accepts from the external issuer)");
		return -1;
	}
	return 0;
}
