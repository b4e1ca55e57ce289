/*
 * planning: what projects.c, sprints.c and action_lists.c share --
 * write preconditions (If-Match, body "version"), the mapping of
 * constraint names to body fields for 422s, and the list machinery
 * (query checks, filters, sort, keyset cursors) on top of api/list.h.
 * Prefix plan_.
 */
#ifndef TASKMAN_API_PLANNING_H
#define TASKMAN_API_PLANNING_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "api/list.h"
#include "db.h"
#include "http.h"

/* ------------------------------------------------------------------ */
/* Preconditions of a write */

#define PLAN_IFM_MAX	16

struct plan_pre {
	/* If-Match as the SQL parameter "{3,4}" (integer[]); NULL: none or "*" */
	const char	*ifm_param;
	char		 ifm[PLAN_IFM_MAX * 12 + 3];
	long		 ifm_v[PLAN_IFM_MAX];
	int		 n_ifm;
	/* "version" of the body as the SQL parameter (integer); NULL: absent */
	const char	*bv_param;
	char		 bv[24];
	long		 bv_v;
};

/*
 * Reads If-Match (a comma list of strong ETags, or "*"; weak or malformed
 * tags never match, so a header with only those fails with 412 once the
 * resource is known to exist) and, when r->json is set, its validated
 * integer "version".  Cannot fail.
 */
void	plan_preconditions(struct req *r, struct plan_pre *pre);

/*
 * The answer to a guarded write that changed no row although the
 * resource exists with version `current`: 412 when If-Match does not name
 * it, else 409 version-conflict when the body's version is stale; a lost
 * race (both matched the snapshot) is 412 with If-Match, 409 without.
 */
int	plan_write_failed(struct req *r, const struct plan_pre *pre, long current);
/* Whether both preconditions hold for version current. */
bool	plan_pre_matches(const struct plan_pre *pre, long current);

/* ------------------------------------------------------------------ */
/* Database errors -> the contract's problems */

/* One constraint whose violation is the fault of a body field. */
struct plan_cfield {
	const char	*constraint;	/* "": a 23503 without a name (a trigger's) */
	const char	*field;		/* "project_id" */
	const char	*message;	/* "is not one of your projects" */
};

/*
 * Like http_db_problem(), but a foreign-key or check violation on a
 * constraint listed in map (terminated by a NULL constraint) becomes a 422
 * with errors[] naming the field.
 */
int	plan_db_problem(struct req *r, enum db_status s,
	    const struct plan_cfield *map);

/* ------------------------------------------------------------------ */
/* Body helpers */

/* Adds "must contain a non-whitespace character" for a blank string at key. */
void	plan_check_blank(json_object *body, const char *key, const char *field,
	    json_object *errs);
/* "true"/"false": whether the body has key (null included). */
const char *plan_has(json_object *body, const char *key);
/* The JSON number or string at key as text (numbers keep their source text); NULL if absent/null. */
const char *plan_text(json_object *body, const char *key);

/* ------------------------------------------------------------------ */
/* Lists */

enum plan_key_kind {
	PK_TIME,	/* timestamptz, cursor key to_char(... 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') */
	PK_DATE,	/* date, cursor key YYYY-MM-DD */
	PK_TEXT		/* text compared COLLATE "C"; may be left out of the cursor */
};

struct plan_sort {
	const char		*name;		/* "created_at" */
	enum plan_key_kind	 kind;
};

struct plan_list {
	struct list_page	 page;
	int			 variant;	/* 2 * sort index + (descending) */
	char			 limit1[24];	/* limit + 1: one row more tells "there is more" */
	/* keyset cursor as SQL parameters; NULL without cursor */
	const char		*ckey_param;	/* NULL also when the key was left out */
	const char		*cid_param;
	char			 ckey[LIST_CURSOR_MAX];
	char			 cid[HTTP_UUID_LEN + 1];
};

/*
 * Checks the query of a list request: only limit, offset, cursor, sort and
 * the names in filters (NULL-terminated) may appear, each at most once.
 * Then parses paging, sort (one of sorts[0..nsorts), '-' prefix for
 * descending, default "-" sorts[0]) and the cursor, which must have been
 * issued for the same sort.  Returns 0 or 400 with the problem set.
 */
int	plan_list_parse(struct req *r, const char *const *filters,
	    const struct plan_sort *sorts, int nsorts, struct plan_list *l);

/*
 * A filter that is a comma list of values[] (NULL-terminated) into an SQL
 * text[] literal in dst; *param is NULL when absent.  Returns 0 or 400.
 */
int	plan_filter_enum(struct req *r, const char *name,
	    const char *const *values, char *dst, size_t dstlen,
	    const char **param);
/* A filter that is one UUID (lower-cased into dst); 0 or 400. */
int	plan_filter_uuid(struct req *r, const char *name, char dst[HTTP_UUID_LEN + 1],
	    const char **param);

/*
 * Answers a list from res, whose rows are (total, resource json, sort key
 * text, id): one row with a NULL id when the page is empty, else up to
 * limit + 1 rows.  Takes nothing; the caller still frees res.
 */
int	plan_list_respond(struct req *r, const struct plan_list *l,
	    const struct plan_sort *sorts, PGresult *res);

#endif
