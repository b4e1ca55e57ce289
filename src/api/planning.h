/*
 * planning: what projects.c, sprints.c and action_lists.c share -- the
 * handlers' one round trip and its answer (get, create, patch, delete,
 * list), write preconditions (If-Match, body "version"), the mapping of
 * constraint names to body fields for 422s, body checks, and the list
 * machinery (query checks, filters, sort, keyset cursors) on top of
 * api/list.h.  Each resource module keeps its statements, field specs,
 * the values it binds and its constraint map.  Prefix plan_.
 */
#ifndef TASKMAN_API_PLANNING_H
#define TASKMAN_API_PLANNING_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "api/idem.h"
#include "api/list.h"
#include "db.h"
#include "http.h"

/* ------------------------------------------------------------------ */
/* Preconditions of a write */

#define PLAN_IFM_MAX	16

/*
 * If-Match (a comma list of strong ETags, or "*"; weak or malformed tags
 * never match, so a header with only those fails with 412 once the
 * resource is known to exist) and the body's validated integer "version",
 * as plan_patch_exec() and plan_delete() read them.
 */
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

/* The field spec of a PATCH body's "version" (see struct plan_pre). */
#define PLAN_VERSION_FIELD \
	{ "version", FT_INT, 0, 1, 2147483647, NULL, 0, 0, NULL }

/*
 * The answer to a write that changed no row although the resource existed
 * with version `current` when the statement began: without preconditions
 * 404 (deleted meanwhile); else 412 when If-Match does not name it, 409
 * version-conflict when the body's version is stale, and a lost race
 * (both matched the snapshot) 412 with If-Match, 409 without.
 */
int	plan_not_written(struct req *r, const struct plan_pre *pre, long current);
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
/*
 * Adds "must be on or after <start>" on end when the body has both dates
 * and end is the earlier, unless errs already names a field (a malformed
 * date).  With one date alone the database's check constraint decides.
 */
void	plan_check_dates(json_object *body, const char *start, const char *end,
	    json_object *errs);
/*
 * 422 "the body breaks the field rules" with errs when it names any field,
 * else 0.  Takes errs either way.
 */
int	plan_body_errors(struct req *r, json_object *errs);
/* "true"/"false": whether the body has key (null included). */
const char *plan_has(json_object *body, const char *key);
/* The JSON number or string at key as text (numbers keep their source text); NULL if absent/null. */
const char *plan_text(json_object *body, const char *key);

/* ------------------------------------------------------------------ */
/* Lists */

/* A timestamptz column as the text of its cursor key. */
#define PLAN_TS_KEY(c) \
	"to_char(" c " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

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
	char			 ckey[LIST_CURSOR_IN_MAX];
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
 * Runs the list statement stmt (the one for l->variant) and answers 200
 * with the list envelope, or the database's problem (500 when an item's
 * json cannot be parsed: out of memory).  v holds stmt->nparams values;
 * the caller sets all but the last four, which are set here: limit + 1,
 * offset, cursor key, cursor id.  The rows are (total, resource json, sort
 * key text, id): one row with a NULL id when the page is empty, else up to
 * limit + 1 rows.
 */
int	plan_list_run(struct req *r, const struct plan_list *l,
	    const struct plan_sort *sorts, const struct db_stmt *stmt,
	    const char **v);

/* ------------------------------------------------------------------ */
/*
 * One resource: the handler's one round trip, run as the request's user
 * (row-level security), and its answer.  A helper that takes v (an array
 * of stmt->nparams values) sets the trailing parameters it names; the
 * caller sets the others.  Every status returned has its response set.
 */

/*
 * GET: runs stmt with $1 id (r->params[0]) and $2 caller (r->user.id); its
 * row is (resource json, version).  200 with ETag (plan_respond()), 304
 * with ETag when If-None-Match names the version, or the database's
 * problem (404).
 */
int	plan_get(struct req *r, const struct db_stmt *stmt);

/*
 * POST: runs the create statement stmt, whose last three parameters are
 * set here from ix (idem.h's $K, $P, $H; ix is idem_check()'s).  Returns 0
 * with *res set (the caller PQclear()s it), or the status already
 * answered: the winner's replay after a lost Idempotency-Key race, or
 * plan_db_problem() with cfields; *res is NULL then.
 */
int	plan_create_exec(struct req *r, const struct db_stmt *stmt,
	    const char **v, struct idem *ix, const struct plan_cfield *cfields,
	    PGresult **res);
/*
 * 201 from a created row with (body, id, version) in columns col..col+2:
 * Location <location><id>, ETag, and the body byte for byte as an
 * Idempotency-Key replay will send it.  Takes nothing from res.
 */
int	plan_created(struct req *r, PGresult *res, int col, const char *location);
/* plan_create_exec() then plan_created() on column 0. */
int	plan_create(struct req *r, const struct db_stmt *stmt, const char **v,
	    struct idem *ix, const char *location,
	    const struct plan_cfield *cfields);

/*
 * Shared projects (API.md section 6): a resource the caller can see but
 * whose project role does not allow the write is a 403, not a 404.  The
 * write statements of a resource return, after their usual columns,
 * whether the caller's role allows it ("t"/"f", from taskman_role_in());
 * plan_allowed() reads that column (true when res has no such column).
 */
bool	plan_allowed(PGresult *res, int col);
/* 403 "your role in this project does not allow that". */
int	plan_forbidden(struct req *r);

/*
 * POST of a resource that lands in a project: like plan_create(), for a
 * statement whose row is (the caller's role where the resource lands,
 * body, id, version), the last three NULL when nothing was inserted.
 * Role NULL (not a project the caller sees): 422 on field; body NULL
 * (a viewer): 403.
 */
int	plan_create_scoped(struct req *r, const struct db_stmt *stmt,
	    const char **v, struct idem *ix, const char *location,
	    const struct plan_cfield *cfields, const char *field);

/*
 * PATCH: reads the preconditions into *pre and runs the update statement
 * stmt, whose last two parameters are set here from them: the If-Match
 * versions and the body's version.  Returns 0 with *res set (the caller
 * PQclear()s it), or the status of plan_db_problem() with cfields; *res
 * is NULL then.
 */
int	plan_patch_exec(struct req *r, const struct db_stmt *stmt,
	    const char **v, struct plan_pre *pre,
	    const struct plan_cfield *cfields, PGresult **res);
/*
 * 200 with ETag from the resource json in column col of res's first row
 * and its version in col + 1 (500 if the json cannot be parsed: out of
 * memory).  Takes nothing from res.
 */
int	plan_respond(struct req *r, PGresult *res, int col);
/*
 * plan_patch_exec(), whose row is (version before, resource json, version
 * after, allowed), json and version after NULL when no row was written:
 * then 403 unless allowed, else plan_not_written(), else plan_respond().
 */
int	plan_patch(struct req *r, const struct db_stmt *stmt, const char **v,
	    const struct plan_cfield *cfields);

/*
 * DELETE: reads the preconditions (If-Match only: a DELETE has no body)
 * and runs stmt with $1 id, $2 caller, $3 the If-Match versions; its row is
 * (version before, whether it was deleted, allowed).  204, 403 unless
 * allowed, plan_not_written(), or the database's problem (404).
 */
int	plan_delete(struct req *r, const struct db_stmt *stmt);

#endif
