/*
 * buf: a growable byte buffer with a ceiling and a sticky error flag
 * (after pgbouncer's PktBuf.failed and libpq's PQExpBufferBroken).
 * Append freely; check buf->failed once before using the result.
 */
#ifndef TASKMAN_BUF_H
#define TASKMAN_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char	*data;		/* always NUL-terminated once anything was appended */
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* hard ceiling on len; 0 means SIZE_MAX/2 */
	bool	 failed;	/* an allocation failed or max was hit */
};

void	 buf_init(struct buf *b, size_t max);
/* Releases the storage; the buf may be reused after buf_init. */
void	 buf_free(struct buf *b);
void	 buf_reset(struct buf *b);
void	 buf_append(struct buf *b, const void *p, size_t n);
void	 buf_puts(struct buf *b, const char *s);
void	 buf_putc(struct buf *b, char c);
void	 buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Returns the contents as a C string ("" when empty); owned by b. */
const char *buf_cstr(const struct buf *b);

#endif
