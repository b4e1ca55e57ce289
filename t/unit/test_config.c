#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "config.h"

static void
clean_env(void)
{
	static const char *const vars[] = { "TASKMAN_JWT_SECRET", "TASKMAN_WORKERS",
	    "TASKMAN_LOG_LEVEL", "TASKMAN_BODY_LIMIT", "TASKMAN_SOCKET_MODE",
	    "TASKMAN_ARGON2_M_KIB", "TASKMAN_JWKS_FILE", "TASKMAN_EXTERNAL_ISSUER",
	    "TASKMAN_COOKIE_SECURE", NULL };

	for (int i = 0; vars[i]; i++)
		unsetenv(vars[i]);
}

Test(config, parse_long)
{
	long v;

	cr_expect_eq(config_parse_long("42", 0, 100, &v), 0);
	cr_expect_eq(v, 42);
	cr_expect_eq(config_parse_long("101", 0, 100, &v), -1);
	cr_expect_eq(config_parse_long("4x", 0, 100, &v), -1);
	cr_expect_eq(config_parse_long("", 0, 100, &v), -1);
	cr_expect_eq(config_parse_long("99999999999999999999", 0, 100, &v), -1);
}

Test(config, secret_required_and_never_echoed)
{
	struct config	c;
	char		err[256];

	clean_env();
	cr_expect_eq(config_load(&c, err, sizeof(err)), -1);
	cr_expect(strstr(err, "TASKMAN_JWT_SECRET") != NULL);
	setenv("TASKMAN_JWT_SECRET", "short-secret-value", 1);
	cr_expect_eq(config_load(&c, err, sizeof(err)), -1);
	cr_expect(strstr(err, "short-secret-value") == NULL, "secret leaked: %s", err);
	setenv("TASKMAN_JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
	cr_expect_eq(config_load(&c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.body_limit, 1048576);
	cr_expect_eq(c.workers, 1);
	cr_expect_eq(c.socket_mode, 0660);
	cr_expect_eq(c.argon2_m_kib, 19456);
}

Test(config, bad_values_rejected)
{
	static const char *const bad[][2] = {
		{ "TASKMAN_WORKERS", "0" }, { "TASKMAN_WORKERS", "many" },
		{ "TASKMAN_LOG_LEVEL", "loud" }, { "TASKMAN_BODY_LIMIT", "-5" },
		{ "TASKMAN_SOCKET_MODE", "0666" }, { "TASKMAN_SOCKET_MODE", "9" },
		{ "TASKMAN_ARGON2_M_KIB", "1024" }, { "TASKMAN_JWKS_FILE", "/x.json" },
		{ "TASKMAN_COOKIE_SECURE", "maybe" },
	};
	struct config	c;
	char		err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		clean_env();
		setenv("TASKMAN_JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
		setenv(bad[i][0], bad[i][1], 1);
		cr_expect_eq(config_load(&c, err, sizeof(err)), -1, "%s=%s", bad[i][0], bad[i][1]);
		cr_expect(strstr(err, bad[i][0]) != NULL, "message names %s: %s", bad[i][0], err);
	}
}
