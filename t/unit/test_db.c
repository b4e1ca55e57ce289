#include <string.h>

#include <criterion/criterion.h>

#include "db.h"

Test(db, sqlstate_mapping)
{
	static const struct { const char *ss; enum db_status s; } t[] = {
		{ "23505", DB_CONFLICT }, { "23503", DB_FK_VIOLATION },
		{ "23514", DB_INVALID }, { "22P02", DB_INVALID }, { "22001", DB_INVALID },
		{ "40001", DB_RETRY }, { "40P01", DB_RETRY }, { "57014", DB_TIMEOUT },
		{ "57P01", DB_UNAVAILABLE }, { "08006", DB_UNAVAILABLE },
		{ "28000", DB_UNAUTHENTICATED }, { "42P01", DB_ERROR }, { "42501", DB_FORBIDDEN }, { "TMB01", DB_REFUSED }, { "", DB_UNAVAILABLE },
		{ NULL, DB_UNAVAILABLE },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_expect_eq(db_status_from_sqlstate(t[i].ss), t[i].s, "%s",
		    t[i].ss ? t[i].ss : "(null)");
}

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/health.h"

/* The worker's expected schema version is the highest migration number. */
Test(db, schema_version_matches_migrations)
{
	const char	*src = getenv("TASKMAN_SRCDIR");
	char		 dir[4096];
	DIR		*d;
	struct dirent	*e;
	int		 max = 0, n;

	snprintf(dir, sizeof(dir), "%s/schema", src ? src : TASKMAN_TOP_SRCDIR);
	cr_assert_not_null(d = opendir(dir), "cannot open %s", dir);
	while ((e = readdir(d)) != NULL)
		if (sscanf(e->d_name, "%4d_", &n) == 1 && strstr(e->d_name, ".up.sql") && n > max)
			max = n;
	closedir(d);
	cr_expect_eq(max, TASKMAN_SCHEMA_VERSION,
	    "schema/ has %d migrations; src/api/health.h expects %d", max,
	    TASKMAN_SCHEMA_VERSION);
}
