/*
 * list: the paging contract shared by every list endpoint (API.md
 * section 3): limit 1-200 (default 50), offset >= 0, or an opaque cursor;
 * {"items","total","limit","offset","next_cursor"} and a Link rel="next".
 */
#ifndef TASKMAN_API_LIST_H
#define TASKMAN_API_LIST_H

#include "http.h"

#define LIST_LIMIT_DEFAULT	50
#define LIST_LIMIT_MAX		200
/* a 500-character title as a keyset key, every character escaped */
#define LIST_CURSOR_MAX		4400
/*
 * The longest cursor a list takes (the planning lists carry their row's
 * sort key in full too, so their cursors never depend on the row still
 * existing); the task lists' are the longest.
 */
#define LIST_CURSOR_IN_MAX	LIST_CURSOR_MAX

struct list_page {
	long	 limit;
	long	 offset;
	char	 cursor[LIST_CURSOR_IN_MAX];	/* "" when absent */
	char	 limit_s[24], offset_s[24];	/* as SQL parameters */
};

/*
 * Reads limit, offset and cursor from the query.  Returns 0, or 400 with
 * the problem set (bad values are never ignored).
 */
int	list_parse_page(struct req *r, struct list_page *p, bool cursor_ok);

/*
 * Answers 200 with the list envelope; takes items.  next_cursor may be
 * NULL.  Adds Link rel="next" when there is more.
 */
int	list_respond(struct req *r, const struct list_page *p, json_object *items,
	    long total, const char *next_cursor);
/* The same, saying whether total is exact ("total_exact"). */
int	list_respond_counted(struct req *r, const struct list_page *p,
	    json_object *items, long total, bool total_exact,
	    const char *next_cursor);

#endif
