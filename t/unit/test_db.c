#include <criterion/criterion.h>

#include "db.h"

Test(db, sqlstate_mapping)
{
	static const struct { const char *ss; enum db_status s; } t[] = {
		{ "23505", DB_CONFLICT }, { "23503", DB_FK_VIOLATION },
		{ "23514", DB_INVALID }, { "22P02", DB_INVALID }, { "22001", DB_INVALID },
		{ "40001", DB_RETRY }, { "40P01", DB_RETRY }, { "57014", DB_TIMEOUT },
		{ "57P01", DB_UNAVAILABLE }, { "08006", DB_UNAVAILABLE },
		{ "42P01", DB_ERROR }, { "42501", DB_ERROR }, { "", DB_UNAVAILABLE },
		{ NULL, DB_UNAVAILABLE },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_expect_eq(db_status_from_sqlstate(t[i].ss), t[i].s, "%s",
		    t[i].ss ? t[i].ss : "(null)");
}
