/*
 * csv: one record at a time from a CSV text in memory (RFC 4180), for
 * `taskmanctl import` (src/ctl/import.c).  Fields are separated by commas,
 * records by LF, CRLF or a lone CR; a field in double quotes may hold
 * commas, line breaks and "" for a quote.  A quote inside an unquoted
 * field, text after a closing quote, an unclosed quote and a NUL byte are
 * errors, and so is anything over the bounds below.
 */
#ifndef TASKMAN_CTL_CSV_H
#define TASKMAN_CTL_CSV_H

#include <stddef.h>

#define CSV_FIELD_MAX	65536	/* bytes of one field, decoded */
#define CSV_FIELDS_MAX	64	/* fields of one record */

/*
 * A record: field[0..n) point into buf, which the record owns and reuses
 * for the next one (it grows to the largest record read, at most
 * CSV_FIELDS_MAX * (CSV_FIELD_MAX + 1) bytes).  Zero it with csv_init,
 * release it with csv_free.
 */
struct csv_record {
	char	*buf;
	size_t	 cap;
	char	*field[CSV_FIELDS_MAX];
	int	 n;
};

void	csv_init(struct csv_record *r);
void	csv_free(struct csv_record *r);
/*
 * Reads the record at *p (end: the end of the data) into r and advances
 * *p past it.  Returns the number of fields (>= 1), 0 at the end of the
 * data, or -1 with a message in err.  The fields stay valid until the next
 * csv_read or csv_free of r.
 */
int	csv_read(struct csv_record *r, const char **p, const char *end,
	    char *err, size_t errlen);

#endif /* TASKMAN_CTL_CSV_H */
