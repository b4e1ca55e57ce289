/*
 * The CSV reader of `taskmanctl import` (src/ctl/csv.c): RFC 4180 quoting,
 * line ends, and the bounds, table-driven.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ctl/csv.h"

struct ccase {
	const char	*in;
	int		 n;		/* fields of the first record; -1 an error */
	const char	*joined;	/* the fields joined with '|' */
	const char	*rest;		/* what is left after the record */
};

Test(csv, records)
{
	static const struct ccase t[] = {
		{ "a,b,c\n", 3, "a|b|c", "" },
		{ "a,b,c\r\nx", 3, "a|b|c", "x" },
		{ "a,b,c", 3, "a|b|c", "" },
		{ "a,,c\n", 3, "a||c", "" },
		{ ",\n", 2, "|", "" },
		{ "\n", 1, "", "" },
		{ "\"a,b\",c\n", 2, "a,b|c", "" },
		{ "\"say \"\"hi\"\"\",x\n", 2, "say \"hi\"|x", "" },
		{ "\"line\nbreak\",x\r\ny", 2, "line\nbreak|x", "y" },
		{ "\"\"\n", 1, "", "" },
		{ "a\rb", 1, "a", "b" },
		{ "\"open,x\n", -1, NULL, NULL },
		{ "a\"b,c\n", -1, NULL, NULL },
		{ "\"a\"b,c\n", -1, NULL, NULL },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct csv_record rec;
		char		 joined[256] = "", err[128];
		const char	*p = t[i].in, *end = p + strlen(p);
		int		 n;

		csv_init(&rec);
		n = csv_read(&rec, &p, end, err, sizeof(err));

		cr_expect_eq(n, t[i].n, "%zu: \"%s\" gave %d fields (%s)", i, t[i].in, n,
		    n < 0 ? err : "");
		if (n >= 0 && n == t[i].n) {
			for (int k = 0; k < n; k++)
				snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined),
				    "%s%s", k ? "|" : "", rec.field[k]);
			cr_expect_str_eq(joined, t[i].joined, "%zu", i);
			cr_expect_str_eq(p, t[i].rest, "%zu", i);
		}
		csv_free(&rec);
	}
}

Test(csv, end_of_data_and_bounds)
{
	struct csv_record rec;
	char		 err[128], *big;
	const char	*p = "", *end = p;
	size_t		 n;

	csv_init(&rec);
	cr_expect_eq(csv_read(&rec, &p, end, err, sizeof(err)), 0);

	/* CSV_FIELDS_MAX fields pass, one more is an error */
	big = malloc(2 * CSV_FIELDS_MAX + 2);
	cr_assert_not_null(big);
	for (n = 0; n < CSV_FIELDS_MAX; n++)
		memcpy(big + 2 * n, "x,", 2);
	big[2 * CSV_FIELDS_MAX - 1] = '\n';
	p = big;
	cr_expect_eq(csv_read(&rec, &p, big + 2 * CSV_FIELDS_MAX, err, sizeof(err)),
	    CSV_FIELDS_MAX);
	big[2 * CSV_FIELDS_MAX - 1] = ',';
	big[2 * CSV_FIELDS_MAX] = 'y';
	big[2 * CSV_FIELDS_MAX + 1] = '\n';
	p = big;
	cr_expect_eq(csv_read(&rec, &p, big + 2 * CSV_FIELDS_MAX + 2, err, sizeof(err)), -1);
	free(big);

	/* a field of CSV_FIELD_MAX bytes passes, one byte more does not */
	big = malloc(CSV_FIELD_MAX + 2);
	cr_assert_not_null(big);
	memset(big, 'a', CSV_FIELD_MAX + 1);
	p = big;
	cr_expect_eq(csv_read(&rec, &p, big + CSV_FIELD_MAX, err, sizeof(err)), 1);
	cr_expect_eq(strlen(rec.field[0]), CSV_FIELD_MAX);
	p = big;
	cr_expect_eq(csv_read(&rec, &p, big + CSV_FIELD_MAX + 1, err, sizeof(err)), -1);
	free(big);

	/* NUL inside a field */
	p = "a\0b\n";
	cr_expect_eq(csv_read(&rec, &p, p + 4, err, sizeof(err)), -1);
	/* a comma at the very end: one more, empty field */
	p = "a,";
	cr_expect_eq(csv_read(&rec, &p, p + 2, err, sizeof(err)), 2);
	cr_expect_str_eq(rec.field[1], "");
	csv_free(&rec);
}
