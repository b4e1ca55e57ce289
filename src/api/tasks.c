/*
 * /api/v1/tasks, /api/v1/tasks/{id} and its actions, /tasks/search,
 * /tasks/high-priority (API.md section 3).
 *
 * Writes: every write is a change set (JSON, keys listed in
 * schema/0003_tasks.up.sql) that one UPDATE applies to the caller's row
 * with taskman_task_apply(), guarded in its WHERE by the version
 * preconditions and taskman_task_problems() (status transitions,
 * references).  Because the guards run on the row the UPDATE locks, two
 * writers racing with the same If-Match get one 200 and one 412.  A CTE
 * reads the row as the statement found it, so a failed write can say why
 * (404, 412, 409, 422) without a second round trip.
 *
 * Lists: taskman_task_page() builds the query from validated filters; the
 * keyset cursor is base64url(JSON {"s": sort, "i": last id, "k": [its
 * sort key values]}), "k" left out when it would make the cursor too long
 * (the database then takes the key from row "i").
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/idem.h"
#include "api/list.h"
#include "api/planning.h"
#include "api/rrule.h"
#include "api/tasks.h"
#include "app.h"
#include "auth/jwt.h"
#include "json.h"
#include "metrics.h"
#include "valid.h"

static const struct db_stmt st_get = { "tasks_get",
	"SELECT (CASE WHEN $3::boolean THEN taskman_todo_json(t) "
	"  ELSE taskman_task_json(t) END)::text, t.version "
	"FROM tasks t WHERE t.id = $1::uuid "
	"AND t.scope = ANY (taskman_scopes_of($2::uuid, 'viewer')) "
	"AND (NOT $3::boolean OR t.owner_id = $2::uuid)", 3, DB_ROW };

/*
 * $1 owner, $2 change set, $3 todo view?, $4 Idempotency-Key or NULL,
 * $5 path, $6 request hash, $7 Location prefix.  One row: problems (""
 * when created), body, version, id.
 */
static const struct db_stmt st_create = { "tasks_create",
	"WITH p AS (SELECT taskman_task_problems($1::uuid, NULL::tasks, $2::jsonb) AS problems), "
	"n AS (SELECT * FROM taskman_task_apply($1::uuid, NULL::tasks, $2::jsonb)), "
	"t AS (INSERT INTO tasks (owner_id, project_id, sprint_id, assignee_id, title, "
	"  description, status, priority, due_at, tags, estimate_points, completed_at, "
	"  recurrence) "
	"  SELECT $1::uuid, n.project_id, n.sprint_id, n.assignee_id, n.title, n.description, "
	"  n.status, n.priority, n.due_at, n.tags, n.estimate_points, n.completed_at, "
	"  taskman_recurrence_norm($2::jsonb -> 'recurrence') FROM n, p "
	"  WHERE cardinality(p.problems) = 0 RETURNING *), "
	"j AS (SELECT t.id, t.version, (CASE WHEN $3::boolean THEN taskman_todo_json(t) "
	"  ELSE taskman_task_json(t) END)::text AS body FROM t), "
	"k AS (INSERT INTO idempotency_keys (owner_id, key, method, path, request_hash, "
	"  response_status, response_body, location) "
	"  SELECT $1::uuid, $4::text, 'POST', $5::text, $6::bytea, 201, j.body, "
	"  $7::text || j.id::text FROM j WHERE $4::text IS NOT NULL) "
	"SELECT array_to_string(p.problems, ','), j.body, j.version, j.id "
	"FROM p LEFT JOIN j ON true", 7, DB_ROW };

/*
 * $1 id, $2 owner, $3 change set, $4 If-Match version or NULL, $5 body
 * version or NULL, $6 todo view?.  No row: no such task.  Else: the
 * version, status and problems the statement saw, then the new body and
 * version (NULL when nothing was written).
 */
static const struct db_stmt st_update = { "tasks_update",
	"WITH cur AS (SELECT t.version, t.status, "
	"  taskman_task_problems($2::uuid, t, $3::jsonb) AS problems, "
	"  taskman_role_rank(taskman_role_in($2::uuid, t.scope)) >= 2 AS ok "
	"  FROM tasks t WHERE t.id = $1::uuid "
	"  AND t.scope = ANY (taskman_scopes_of($2::uuid, 'viewer')) "
	"  AND (NOT $6::boolean OR t.owner_id = $2::uuid)), "
	"u AS (UPDATE tasks t SET (owner_id, project_id, sprint_id, assignee_id, title, "
	"  description, status, priority, due_at, tags, estimate_points, completed_at) = "
	"  (SELECT n.owner_id, n.project_id, n.sprint_id, n.assignee_id, n.title, "
	"   n.description, n.status, n.priority, n.due_at, n.tags, n.estimate_points, "
	"   n.completed_at FROM taskman_task_apply($2::uuid, t, $3::jsonb) n), "
	"  recurrence = CASE WHEN $3::jsonb ? 'recurrence' "
	"    THEN taskman_recurrence_norm($3::jsonb -> 'recurrence') ELSE t.recurrence END, "
	"  version = t.version + 1, updated_at = now() "
	"  WHERE t.id = $1::uuid AND t.scope = ANY (taskman_scopes_of($2::uuid, 'editor')) "
	"  AND (NOT $6::boolean OR t.owner_id = $2::uuid) "
	"  AND ($4::integer IS NULL OR t.version = $4::integer) "
	"  AND ($5::integer IS NULL OR t.version = $5::integer) "
	"  AND cardinality(taskman_task_problems($2::uuid, t, $3::jsonb)) = 0 "
	"  RETURNING t.*) "
	"SELECT cur.version, cur.status, array_to_string(cur.problems, ','), "
	"  (CASE WHEN $6::boolean THEN taskman_todo_json(u) "
	"   ELSE taskman_task_json(u) END)::text, u.version, u.status, cur.ok "
	"FROM cur LEFT JOIN u ON true", 6, 0 };

/*
 * $1 id, $2 caller, $3 If-Match version or NULL, $4 todo view? (only the
 * caller's own tasks): current version, deleted id, whether the caller's
 * role allows it.
 */
static const struct db_stmt st_delete = { "tasks_delete",
	"WITH cur AS (SELECT t.version, "
	"  taskman_role_rank(taskman_role_in($2::uuid, t.scope)) >= 2 AS ok FROM tasks t "
	"  WHERE t.id = $1::uuid AND t.scope = ANY (taskman_scopes_of($2::uuid, 'viewer')) "
	"  AND (NOT $4::boolean OR t.owner_id = $2::uuid)), "
	"d AS (DELETE FROM tasks t WHERE t.id = $1::uuid "
	"  AND t.scope = ANY (taskman_scopes_of($2::uuid, 'editor')) "
	"  AND (NOT $4::boolean OR t.owner_id = $2::uuid) "
	"  AND ($3::integer IS NULL OR t.version = $3::integer) RETURNING t.id) "
	"SELECT cur.version, d.id, cur.ok FROM cur LEFT JOIN d ON true", 4, 0 };

/*
 * Lists without a tag or text filter run as prepared statements, one per
 * "shape": sort order and direction, first page or after a cursor, and
 * which filters are present (each present filter is a plain condition,
 * never "$n IS NULL OR ...", whose guessed selectivities made the generic
 * plan sort a whole scope).  A shape is built from the fixed fragments
 * below on its first use on a connection and prepared once, so its plan
 * never changes (docs/TASKS-INDEXES.md shows them).
 *
 * For every scope the caller sees (taskman_my_scopes(): their own id for
 * personal tasks, their projects) one index scan in the list's order reads
 * at most limit + offset + 1 rows; the merge of those heads is the page.
 * Rows: (total, item, sort key JSON, id), at most limit + 1; an empty
 * page is one row with a NULL item.  total counts at most @C rows (NULL:
 * all).
 *
 * Placeholders, numbered per shape: @P project_id, @B due_before, @A
 * due_after, @C count limit, @L limit, @O offset, @V todo view?, @K the
 * cursor's key values (JSON array), @I its id; @F the filter conditions,
 * @X the sort's own extra conditions.
 */
static const char list_sql[] =
	"SELECT c.total, CASE WHEN t.id IS NULL THEN NULL WHEN @V::boolean "
	"  THEN taskman_todo_json(t) ELSE taskman_task_json(t) END::text, "
	"  json_build_array(@J)::text, t.id "
	"FROM (SELECT count(*) AS total FROM (SELECT 1 FROM @S "
	"  (SELECT 1 FROM tasks t WHERE t.scope = s.scope@F@X LIMIT @C::bigint) x "
	"  LIMIT @C::bigint) c) c "
	"LEFT JOIN (SELECT t.* FROM @S "
	"  (SELECT t.* FROM tasks t WHERE t.scope = s.scope@F@X@R ORDER BY @D "
	"   LIMIT @L::integer + @O::integer + 1) t "
	"  ORDER BY @D LIMIT @L::integer + 1 OFFSET @O::integer) t ON true "
	"ORDER BY @D";

/* @S: the caller's scopes (only the project's with a project_id filter) */
static const char list_scopes[] =
	"unnest(taskman_my_scopes()) s(scope) CROSS JOIN LATERAL ";
static const char list_scopes_project[] =
	"(SELECT @P::uuid AS scope WHERE @P::uuid = ANY (taskman_my_scopes())) s "
	"CROSS JOIN LATERAL ";

/* The filters, in parameter order (bit i of a shape's mask: filter i). */
static const struct list_filter {
	const char	*key;		/* in the filter object */
	const char	*cond;		/* @ = its parameter */
	char		 kind;		/* a: array of words, s: string */
} list_filters[] = {
	{ "status",		" AND t.status = ANY (@::text[])",		'a' },
	{ "priority",		" AND t.priority = ANY (@::text[])",		'a' },
	{ "project_id",		" AND t.project_id = @::uuid",			's' },
	{ "sprint_id",		" AND t.sprint_id = @::uuid",			's' },
	{ "due_before",		" AND t.due_at < @::timestamptz",		's' },
	{ "due_after",		" AND t.due_at >= @::timestamptz",		's' },
	{ "updated_since",	" AND t.updated_at >= @::timestamptz",		's' },
	{ "owner_id",		" AND t.owner_id = @::uuid",			's' },
	{ "assignee_id",	" AND t.assignee_id = @::uuid",			's' },
	/* assignee_id=none: no parameter */
	{ "assignee_id",	" AND t.assignee_id IS NULL",			'n' },
	{ NULL,			NULL,						0 }
};
#define LF_PROJECT	2
#define LF_DUE_BEFORE	4
#define LF_DUE_AFTER	5
#define LF_COUNT	10

/* Sort keys: "no due date" last both ways (CASE: leakproof, see 0003). */
#define DUE_ASC	"(CASE WHEN t.due_at IS NULL THEN 'infinity'::timestamptz ELSE t.due_at END)"
#define DUE_DESC "(CASE WHEN t.due_at IS NULL THEN '-infinity'::timestamptz ELSE t.due_at END)"
#define K0	"(@K::jsonb ->> 0)"
#define CUR1(EXPR, OP, CAST) " AND (" EXPR ", t.id) " OP " (" CAST ", @I::uuid)"
#define TS(x)	"(" x ")::timestamptz"

static const struct list_sort {
	const char	*sort;		/* as in the query, '-' = descending */
	const char	*order;		/* @D */
	const char	*after;		/* @R: rows after the cursor */
	const char	*key;		/* @J: the cursor's key values */
	const char	*extra;		/* @X */
	const char	*due;		/* the due key: due filters bound it too */
} list_sorts[] = {
	{ "created_at", "t.created_at, t.id", CUR1("t.created_at", ">", TS(K0)),
	  "taskman_ts_key(t.created_at)", "", NULL },
	{ "-created_at", "t.created_at DESC, t.id DESC", CUR1("t.created_at", "<", TS(K0)),
	  "taskman_ts_key(t.created_at)", "", NULL },
	{ "updated_at", "t.updated_at, t.id", CUR1("t.updated_at", ">", TS(K0)),
	  "taskman_ts_key(t.updated_at)", "", NULL },
	{ "-updated_at", "t.updated_at DESC, t.id DESC", CUR1("t.updated_at", "<", TS(K0)),
	  "taskman_ts_key(t.updated_at)", "", NULL },
	{ "due_at", DUE_ASC ", t.id", CUR1(DUE_ASC, ">", TS(K0)),
	  "taskman_ts_key(" DUE_ASC ")", "", DUE_ASC },
	{ "-due_at", DUE_DESC " DESC, t.id DESC", CUR1(DUE_DESC, "<", TS(K0)),
	  "taskman_ts_key(" DUE_DESC ")", "", DUE_DESC },
	{ "priority", "t.priority, t.id", CUR1("t.priority", ">", K0), "t.priority", "", NULL },
	{ "-priority", "t.priority DESC, t.id DESC", CUR1("t.priority", "<", K0),
	  "t.priority", "", NULL },
	{ "title", "(t.title COLLATE \"C\"), t.id",
	  CUR1("(t.title COLLATE \"C\")", ">", "(" K0 " COLLATE \"C\")"), "t.title", "", NULL },
	{ "-title", "(t.title COLLATE \"C\") DESC, t.id DESC",
	  CUR1("(t.title COLLATE \"C\")", "<", "(" K0 " COLLATE \"C\")"), "t.title", "", NULL },
	/* /tasks/high-priority: open p0/p1 by priority, due date, age */
	{ "urgent", "t.priority, " DUE_ASC ", t.created_at, t.id",
	  " AND (t.priority, " DUE_ASC ", t.created_at, t.id) > (" K0 ", "
	  TS("@K::jsonb ->> 1") ", " TS("@K::jsonb ->> 2") ", @I::uuid)",
	  "t.priority, taskman_ts_key(" DUE_ASC "), taskman_ts_key(t.created_at)",
	  " AND t.priority IN ('p0', 'p1') AND t.status NOT IN ('done', 'dropped')", NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

/*
 * The prepared shapes of one connection (struct app owns them; see
 * tasks_shapes_free()).  db.c remembers statements by address, so entries
 * never move; when the table is full the connection is closed, which
 * forgets every prepared statement, and the table starts over.
 */
#define LIST_SHAPES_MAX	96

struct tasks_shapes {
	unsigned	 n;
	struct shape {
		unsigned	 sort;		/* index into list_sorts */
		unsigned	 mask;		/* filters present */
		bool		 after;		/* with a cursor */
		char		 name[32];
		struct db_stmt	 st;
		char		*sql;
	} s[LIST_SHAPES_MAX];
};

void
tasks_shapes_free(struct tasks_shapes *ts)
{
	unsigned i;

	if (ts == NULL)
		return;
	for (i = 0; i < ts->n; i++)
		free(ts->s[i].sql);
	free(ts);
}

/* Parameter numbers of a shape: the present filters first, then the rest. */
struct shape_params {
	int	 filter[LF_COUNT];	/* 0: absent */
	int	 count, limit, offset, view, key, id, n;
};

static void
shape_params(unsigned mask, bool after, struct shape_params *p)
{
	int i, n = 0;

	for (i = 0; i < LF_COUNT; i++)
		p->filter[i] = (mask & (1u << i)) && list_filters[i].kind != 'n' ? ++n : 0;
	p->count = ++n;
	p->limit = ++n;
	p->offset = ++n;
	p->view = ++n;
	p->key = after ? ++n : 0;
	p->id = after ? ++n : 0;
	p->n = n;
}

/* Appends tmpl to b with each @X replaced (see list_sql). */
static void
shape_expand(struct buf *b, const char *tmpl, const struct list_sort *ls,
    unsigned mask, bool after, const struct shape_params *p)
{
	const char	*c;
	int		 i;

	for (c = tmpl; *c != '\0'; c++) {
		if (*c != '@') {
			buf_putc(b, *c);
			continue;
		}
		switch (*++c) {
		case 'P': buf_printf(b, "$%d", p->filter[LF_PROJECT]); break;
		case 'C': buf_printf(b, "$%d", p->count); break;
		case 'L': buf_printf(b, "$%d", p->limit); break;
		case 'O': buf_printf(b, "$%d", p->offset); break;
		case 'V': buf_printf(b, "$%d", p->view); break;
		case 'K': buf_printf(b, "$%d", p->key); break;
		case 'I': buf_printf(b, "$%d", p->id); break;
		case 'D': shape_expand(b, ls->order, ls, mask, after, p); break;
		case 'J': shape_expand(b, ls->key, ls, mask, after, p); break;
		case 'X': shape_expand(b, ls->extra, ls, mask, after, p); break;
		case 'R':
			if (after)
				shape_expand(b, ls->after, ls, mask, after, p);
			break;
		case 'S':
			shape_expand(b, (mask & (1u << LF_PROJECT)) ? list_scopes_project :
			    list_scopes, ls, mask, after, p);
			break;
		case 'F':
			for (i = 0; i < LF_COUNT; i++) {
				const char *f = list_filters[i].cond;

				if (!(mask & (1u << i)))
					continue;
				for (; *f != '\0'; f++)
					if (*f == '@')
						buf_printf(b, "$%d", p->filter[i]);
					else
						buf_putc(b, *f);
			}
			/* due filters also bound the sort key: the scan starts there */
			if (ls->due != NULL && (mask & (1u << LF_DUE_AFTER)))
				buf_printf(b, " AND %s >= $%d::timestamptz", ls->due,
				    p->filter[LF_DUE_AFTER]);
			if (ls->due != NULL && (mask & (1u << LF_DUE_BEFORE)))
				buf_printf(b, " AND %s < $%d::timestamptz", ls->due,
				    p->filter[LF_DUE_BEFORE]);
			break;
		default:
			buf_putc(b, '@');
			c--;
			break;
		}
	}
}

/* The shape's statement on this connection, built on first use; NULL: no memory. */
static const struct db_stmt *
shape_stmt(struct app *app, unsigned sort, unsigned mask, bool after)
{
	struct tasks_shapes	*ts = app->task_shapes;
	struct shape		*sh;
	struct shape_params	 p;
	struct buf		 b;
	unsigned		 i;

	if (ts == NULL && (ts = app->task_shapes = calloc(1, sizeof(*ts))) == NULL)
		return NULL;
	for (i = 0; i < ts->n; i++)
		if (ts->s[i].sort == sort && ts->s[i].mask == mask && ts->s[i].after == after)
			return &ts->s[i].st;
	if (ts->n == LIST_SHAPES_MAX) {
		/* forget them all, on the server too (closing deallocates) */
		db_close(&app->db);
		for (i = 0; i < ts->n; i++)
			free(ts->s[i].sql);
		ts->n = 0;
	}
	sh = &ts->s[ts->n];
	shape_params(mask, after, &p);
	buf_init(&b, 16384);
	shape_expand(&b, list_sql, &list_sorts[sort], mask, after, &p);
	if (b.failed || (sh->sql = strdup(buf_cstr(&b))) == NULL) {
		buf_free(&b);
		return NULL;
	}
	buf_free(&b);
	snprintf(sh->name, sizeof(sh->name), "tasks_list_%u_%x%s", sort, mask,
	    after ? "_a" : "");
	sh->sort = sort;
	sh->mask = mask;
	sh->after = after;
	sh->st.name = sh->name;
	sh->st.sql = sh->sql;
	sh->st.nparams = p.n;
	sh->st.flags = 0;
	ts->n++;
	return &sh->st;
}

/*
 * Lists with a tag or text filter, and /tasks/search: the page's ids from
 * taskman_task_find() (schema 0005: GIN indexes, SECURITY DEFINER), each
 * row then read here under row-level security -- a row the caller may not
 * see comes back NULL and is left out.  $1 filter, $2 sort, $3 cursor
 * keys, $4 cursor id, $5 limit, $6 offset, $7 count/rank cap or NULL,
 * $8 todo view?
 */
static const struct db_stmt st_find = { "tasks_find",
	"SELECT f.total, CASE WHEN t.id IS NULL THEN NULL WHEN $8::boolean "
	"  THEN taskman_todo_json(t) ELSE taskman_task_json(t) END::text, "
	"  f.sort_key::text, f.id "
	"FROM taskman_task_find($1::jsonb, $2::text, $3::jsonb, $4::uuid, $5::integer, "
	"  $6::integer, $7::integer) f LEFT JOIN tasks t ON t.id = f.id ORDER BY f.pos",
	8, 0 };

static const char *const statuses[] = { "new", "ready", "in_progress", "blocked",
	"review", "done", "dropped", NULL };
static const char *const priorities[] = { "p0", "p1", "p2", "p3", NULL };

/* API.md section 10; the rule itself is checked by rrule_check() */
static const char *const recurrence_from[] = { "due", "completion", NULL };
static const struct field_spec recurrence_specs[] = {
	{ "rule", FT_STRING, F_REQUIRED, 1, RRULE_MAX, NULL, 0, 0, NULL },
	{ "from", FT_ENUM, 0, 0, 0, recurrence_from, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

#define TASK_FIELDS(title_flags) \
	{ "title", FT_STRING, (title_flags), 1, 500, NULL, 0, 0, NULL }, \
	{ "description", FT_STRING, F_NULLABLE, 0, 10000, NULL, 0, 0, NULL }, \
	{ "status", FT_ENUM, 0, 0, 0, statuses, 0, 0, NULL }, \
	{ "priority", FT_ENUM, 0, 0, 0, priorities, 0, 0, NULL }, \
	{ "due_at", FT_TIMESTAMP, F_NULLABLE, 0, 0, NULL, 0, 0, NULL }, \
	{ "tags", FT_STRING_SET, 0, 0, 20, NULL, 1, 50, NULL }, \
	{ "estimate_points", FT_NUMBER, F_NULLABLE, 0, 1000000, NULL, 0, 0, NULL }, \
	{ "project_id", FT_UUID, F_NULLABLE, 0, 0, NULL, 0, 0, NULL }, \
	{ "sprint_id", FT_UUID, F_NULLABLE, 0, 0, NULL, 0, 0, NULL }, \
	{ "assignee_id", FT_UUID, F_NULLABLE, 0, 0, NULL, 0, 0, NULL }, \
	{ "recurrence", FT_OBJECT, F_NULLABLE, 0, 0, NULL, 0, 0, recurrence_specs }

#define VERSION_FIELD \
	{ "version", FT_INT, 0, 1, INT_MAX, NULL, 0, 0, NULL }
#define END_FIELDS \
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }

static const struct field_spec create_specs[] = {
	TASK_FIELDS(F_REQUIRED), END_FIELDS
};
static const struct field_spec patch_specs[] = {
	TASK_FIELDS(0), VERSION_FIELD, END_FIELDS
};
static const struct field_spec status_specs[] = {
	{ "status", FT_ENUM, F_REQUIRED, 0, 0, statuses, 0, 0, NULL },
	VERSION_FIELD, END_FIELDS
};
static const struct field_spec complete_specs[] = {
	VERSION_FIELD, END_FIELDS
};
static const struct field_spec assign_project_specs[] = {
	{ "project_id", FT_UUID, F_REQUIRED | F_NULLABLE, 0, 0, NULL, 0, 0, NULL },
	VERSION_FIELD, END_FIELDS
};
static const struct field_spec assign_sprint_specs[] = {
	{ "sprint_id", FT_UUID, F_REQUIRED | F_NULLABLE, 0, 0, NULL, 0, 0, NULL },
	VERSION_FIELD, END_FIELDS
};

static const char *const v1_readonly[] = { "id", "owner_id", "next_occurrence_id", "created_at",
	"updated_at", "completed_at", NULL };

static const char *const list_params[] = { "status", "priority", "project_id",
	"sprint_id", "assignee_id", "owner_id", "tag", "due_before", "due_after", "updated_since", "q", "sort",
	"limit", "offset", "cursor", NULL };
static const char *const search_params[] = { "q", "limit", "offset", "cursor", NULL };
static const char *const paging_params[] = { "limit", "offset", "cursor", NULL };

/* Sorts of taskman_task_page() and how many key values their cursor has. */
static const struct sort_info {
	const char	*name;		/* without the '-' */
	int		 nkeys;
	char		 kinds[4];	/* per key: t timestamp, p priority, s text, r rank */
} sorts[] = {
	{ "created_at",	1, "t" },
	{ "updated_at",	1, "t" },
	{ "due_at",	1, "t" },
	{ "priority",	1, "p" },
	{ "title",	1, "s" },
	{ "rank",	1, "r" },
	{ "urgent",	3, "ptt" },
	{ NULL,		0, "" }
};

static struct db_user
as_caller(const struct req *r)
{
	return http_db_user(r);
}

static bool
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* 400 naming one query parameter. */
static int
bad_param(struct req *r, const char *name, const char *msg)
{
	json_object	*errs = json_object_new_array();
	char		 detail[200];

	json_error_add(errs, name, msg);
	snprintf(detail, sizeof(detail), "query parameter %s %s", name, msg);
	return http_problem_errors(r, 400, detail, errs);
}

/* ---------------------------------------------------------------- bodies */

static bool
blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (strchr(" \t\r\n\f\v", *s) == NULL)
			return false;
	return true;
}

void
tasks_check_extra(json_object *body, const char *const *readonly,
    json_object *errors)
{
	json_object	*v, *e, *f, *m;
	const char	*s;
	char		 path[32];
	size_t		 i, n;

	if (json_object_object_get_ex(body, "title", &v) &&
	    json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (s[0] != '\0' && blank(s))
			json_error_add(errors, "title", "must contain a non-whitespace character");
	}
	if (json_object_object_get_ex(body, "tags", &v) &&
	    json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n && i < 100; i++) {
			e = json_object_array_get_idx(v, i);
			if (!json_object_is_type(e, json_type_string))
				continue;
			s = json_object_get_string(e);
			if (s[0] != '\0' && blank(s)) {
				snprintf(path, sizeof(path), "tags[%zu]", i);
				json_error_add(errors, path,
				    "must contain a non-whitespace character");
			}
		}
	}
	if (json_object_object_get_ex(body, "recurrence", &v) &&
	    json_object_is_type(v, json_type_object) &&
	    json_object_object_get_ex(v, "rule", &e) &&
	    json_object_is_type(e, json_type_string) &&
	    json_object_get_string_len(e) <= RRULE_MAX) {
		const char *why;

		if (!rrule_check(json_object_get_string(e), &why))
			json_error_add(errors, "recurrence", why);
	}
	n = json_object_array_length(errors);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(errors, i);
		if (json_object_object_get_ex(e, "field", &f) &&
		    json_object_object_get_ex(e, "message", &m) &&
		    strcmp(json_object_get_string(m), "unknown field") == 0 &&
		    in_list(readonly, json_object_get_string(f)))
			json_object_object_add(e, "message",
			    json_object_new_string("is read-only"));
	}
}

int
tasks_check_body(json_object *body, enum tasks_body kind, json_object *errors)
{
	static const struct field_spec *const specs[] = { create_specs, patch_specs,
		status_specs };
	size_t n = json_errors_total(errors);

	json_validate(body, specs[kind], kind == TASKS_BODY_PATCH, errors);
	tasks_check_extra(body, v1_readonly, errors);
	return (int)(json_errors_total(errors) - n);
}

/*
 * Validates r->json (NULL allowed when optional) against specs.  Returns
 * 0, or 422 with errors[] set.  *version gets the body's "version" as
 * text, or NULL.
 */
static int
validate(struct req *r, const struct field_spec *specs, bool partial,
    char *version, size_t versionlen, const char **version_param)
{
	json_object	*errs, *v;

	*version_param = NULL;
	if (r->json == NULL)
		return 0;
	errs = json_object_new_array();
	json_validate(r->json, specs, partial, errs);
	tasks_check_extra(r->json, v1_readonly, errs);
	if (json_object_array_length(errs) > 0)
		return http_problem_errors(r, 422, "the body breaks the field rules", errs);
	json_object_put(errs);
	if (json_object_object_get_ex(r->json, "version", &v) && v != NULL) {
		snprintf(version, versionlen, "%lld", (long long)json_object_get_int64(v));
		*version_param = version;
	}
	return 0;
}

/* --------------------------------------------------------------- answers */

/* A single task: ETag and the JSON text exactly as the database built it. */
static int
task_response(struct req *r, int status, const char *body, const char *version)
{
	http_etag(r, atol(version));
	return http_raw(r, status, "application/json; charset=utf-8", body, strlen(body));
}

/*
 * 422 for the problems (comma list from taskman_task_problems()) that are
 * not transitions: references that are not the caller's, due date rules.
 */
int
tasks_problems_response(struct req *r, const char *list)
{
	json_object	*errs = json_object_new_array(), *e, *f, *m;
	char		 codes[256], detail[256] = "the body breaks a rule", *p, *save = NULL;

	snprintf(codes, sizeof(codes), "%s", list);
	for (p = strtok_r(codes, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		if (strcmp(p, "project_id") == 0)
			json_error_add(errs, "project_id", "is not one of your projects");
		else if (strcmp(p, "sprint_id") == 0)
			json_error_add(errs, "sprint_id", "is not one of your sprints");
		else if (strcmp(p, "sprint_id:project") == 0)
			json_error_add(errs, "sprint_id",
			    "belongs to another project than project_id");
		else if (strcmp(p, "assignee_id") == 0)
			json_error_add(errs, "assignee_id", "is not a member of the task's "
			    "project (or, for a personal task, its owner)");
		else if (strcmp(p, "due_time") == 0)
			json_error_add(errs, "due_time", "needs a due date");
		else if (strcmp(p, "due_at") == 0)
			json_error_add(errs, "due_at", "must be within the years 0001 to 9999 in UTC");
	}
	/* the detail names the first one, like every other 422 */
	if (json_object_array_length(errs) > 0 &&
	    (e = json_object_array_get_idx(errs, 0)) != NULL &&
	    json_object_object_get_ex(e, "field", &f) &&
	    json_object_object_get_ex(e, "message", &m))
		snprintf(detail, sizeof(detail), "%s %s", json_object_get_string(f),
		    json_object_get_string(m));
	return http_problem_errors(r, 422, detail, errs);
}

int
tasks_transition_problem(struct req *r, const char *probs, const char *from,
    const char *to)
{
	char detail[160];

	if (strstr(probs, "dropped") != NULL)
		return http_problem_type(r, 409, "invalid-transition",
		    "Invalid status transition",
		    "a dropped task cannot be completed; restore it first");
	if (strstr(probs, "transition") == NULL)
		return 0;
	snprintf(detail, sizeof(detail), "status cannot change from %s to %s", from,
	    to != NULL ? to : "that status");
	return http_problem_type(r, 409, "invalid-transition",
	    "Invalid status transition", detail);
}

/* A foreign key or check that caught a reference going away meanwhile. */
int
tasks_reference_problem(struct req *r, enum db_status s)
{
	const char	*c = r->app->db.constraint;
	json_object	*errs;

	if (strcmp(c, "tasks_recurrence_due") == 0) {
		errs = json_object_new_array();
		json_error_add(errs, "recurrence", "needs a due date (due_at)");
	} else if (strcmp(c, "tasks_assignee_member") == 0) {
		errs = json_object_new_array();
		json_error_add(errs, "assignee_id", "is not a member of the task's project");
	} else if (strcmp(c, "tasks_project_fk") == 0) {
		errs = json_object_new_array();
		json_error_add(errs, "project_id", "is not one of your projects");
	} else if (strcmp(c, "tasks_sprint_fk") == 0 ||
	    strcmp(c, "tasks_sprint_needs_project") == 0) {
		errs = json_object_new_array();
		json_error_add(errs, "sprint_id", "is not one of your sprints");
	} else
		return http_db_problem(r, s);
	return http_problem_errors(r, 422, "the body refers to something that is not yours",
	    errs);
}

/*
 * If-Match as a SQL parameter into buf: 0 with *param NULL (none, or
 * "*") or set, or 412 with the problem set.
 */
static int
if_match_param(struct req *r, char *buf, size_t len, const char **param)
{
	long v;

	*param = NULL;
	switch (http_if_match(r, &v)) {
	case 1:
		/* beyond any version a row can have: it cannot match */
		snprintf(buf, len, "%ld", v > INT_MAX ? 0L : v);
		*param = buf;
		return 0;
	case -1:
		return http_problem(r, 412, "If-Match must be an ETag of this resource");
	default:
		return 0;
	}
}

/* ------------------------------------------------------------ operations */

int
tasks_do_create(struct req *r, const char *changes, enum tasks_view view,
    const char *location_prefix)
{
	struct db_user	 as = as_caller(r);
	struct idem	 ix;
	const char	*v[7];
	PGresult	*res = NULL;
	enum db_status	 s;
	int		 st;

	if ((st = idem_check(r, &ix)) != 0)
		return st;
	v[0] = r->user.id;
	v[1] = changes;
	v[2] = view == TASKS_TODO ? "true" : "false";
	v[3] = ix.key_param;
	v[4] = r->path;
	v[5] = ix.key_param != NULL ? ix.hash : NULL;
	v[6] = location_prefix;
	s = db_exec(&r->app->db, &as, &st_create, v, &res);
	if ((st = idem_after_create(r, &ix, s)) != 0)
		goto out;
	if (s == DB_FK_VIOLATION || s == DB_INVALID) {
		st = tasks_reference_problem(r, s);
		goto out;
	}
	if (s != DB_OK) {
		st = http_db_problem(r, s);
		goto out;
	}
	if (strstr(PQgetvalue(res, 0, 0), ":role") != NULL) {
		/* a project the caller sees but may not write in */
		st = plan_forbidden(r);
		goto out;
	}
	if (PQgetvalue(res, 0, 0)[0] != '\0') {
		st = tasks_problems_response(r, PQgetvalue(res, 0, 0));
		goto out;
	}
	metrics_task_created(r->app->mslot);
	http_header(r, "Location", "%s%s", location_prefix, PQgetvalue(res, 0, 3));
	st = task_response(r, 201, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
out:
	PQclear(res);
	return st;
}

int
tasks_do_get(struct req *r, const char *id, enum tasks_view view)
{
	struct db_user	 as = as_caller(r);
	const char	*v[3] = { id, r->user.id, view == TASKS_TODO ? "true" : "false" };
	PGresult	*res = NULL;
	enum db_status	 s;
	int		 st;

	if ((s = db_exec(&r->app->db, &as, &st_get, v, &res)) != DB_OK)
		return s == DB_NOT_FOUND ? http_problem(r, 404, "no such task") :
		    http_db_problem(r, s);
	if (http_not_modified(r, atol(PQgetvalue(res, 0, 1)))) {
		http_etag(r, atol(PQgetvalue(res, 0, 1)));
		st = http_no_content(r, 304);
	} else
		st = task_response(r, 200, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	PQclear(res);
	return st;
}

int
tasks_do_update(struct req *r, const char *id, const char *changes,
    const char *body_version, enum tasks_view view)
{
	struct db_user	 as = as_caller(r);
	const char	*v[6], *probs;
	char		 ifm[24], detail[160];
	PGresult	*res = NULL;
	enum db_status	 s;
	long		 cur;
	int		 st, attempt;

	if ((st = if_match_param(r, ifm, sizeof(ifm), &v[3])) != 0)
		return st;
	v[0] = id;
	v[1] = r->user.id;
	v[2] = changes;
	v[4] = body_version;
	v[5] = view == TASKS_TODO ? "true" : "false";
	for (attempt = 0; ; attempt++) {
		s = db_exec(&r->app->db, &as, &st_update, v, &res);
		if (s == DB_FK_VIOLATION || s == DB_INVALID)
			return tasks_reference_problem(r, s);
		if (s != DB_OK)
			return http_db_problem(r, s);
		if (PQntuples(res) == 0) {
			st = http_problem(r, 404, "no such task");
			goto out;
		}
		if (!PQgetisnull(res, 0, 4)) {
			if (strcmp(PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 5)) != 0)
				metrics_transition(r->app->mslot, PQgetvalue(res, 0, 1),
				    PQgetvalue(res, 0, 5));
			st = task_response(r, 200, PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4));
			goto out;
		}
		/* nothing written: say why, in the contract's order */
		cur = atol(PQgetvalue(res, 0, 0));
		probs = PQgetvalue(res, 0, 2);
		if (strcmp(PQgetvalue(res, 0, 6), "t") != 0 ||
		    strstr(probs, ":role") != NULL) {
			/* visible, but the role (here or where it would go) is too low */
			st = plan_forbidden(r);
			goto out;
		}
		if (v[3] != NULL && atol(v[3]) != cur) {
			st = http_problem(r, 412, "the task has changed since that ETag");
			goto out;
		}
		if (body_version != NULL && atol(body_version) != cur) {
			snprintf(detail, sizeof(detail), "the task is at version %ld, "
			    "not %s", cur, body_version);
			st = http_problem_type(r, 409, "version-conflict",
			    "Version conflict", detail);
			goto out;
		}
		if ((st = tasks_transition_problem(r, probs, PQgetvalue(res, 0, 1),
		    json_str(r->json, "status"))) != 0)
			goto out;
		if (probs[0] != '\0') {
			st = tasks_problems_response(r, probs);
			goto out;
		}
		/* the row changed between the statement's read and its write */
		if (v[3] != NULL) {
			st = http_problem(r, 412, "the task has changed since that ETag");
			goto out;
		}
		if (body_version != NULL) {
			st = http_problem_type(r, 409, "version-conflict", "Version conflict",
			    "the task was changed by another request");
			goto out;
		}
		if (attempt > 0) {
			st = http_problem(r, 409, "the task kept changing; retry");
			goto out;
		}
		PQclear(res);
		res = NULL;
	}
out:
	PQclear(res);
	return st;
}

int
tasks_do_delete(struct req *r, const char *id, enum tasks_view view)
{
	struct db_user	 as = as_caller(r);
	const char	*v[4] = { id, r->user.id, NULL, view == TASKS_TODO ? "true" : "false" };
	char		 ifm[24];
	PGresult	*res = NULL;
	enum db_status	 s;
	int		 st;

	if ((st = if_match_param(r, ifm, sizeof(ifm), &v[2])) != 0)
		return st;
	if ((s = db_exec(&r->app->db, &as, &st_delete, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	if (PQntuples(res) == 0)
		st = http_problem(r, 404, "no such task");
	else if (PQgetisnull(res, 0, 1) && strcmp(PQgetvalue(res, 0, 2), "t") != 0)
		st = plan_forbidden(r);
	else if (PQgetisnull(res, 0, 1))
		st = http_problem(r, 412, "the task has changed since that ETag");
	else
		st = http_no_content(r, 204);
	PQclear(res);
	return st;
}

/* ----------------------------------------------------------------- lists */

struct qcheck {
	const char *const	*allowed;
	unsigned		 seen;		/* bit per allowed index */
	char			 bad[64];
	const char		*why;
};

static int
qcheck_key(const char *key, size_t keylen, void *arg)
{
	struct qcheck	*q = arg;
	unsigned	 i;

	(void)keylen;
	if (key == NULL) {
		snprintf(q->bad, sizeof(q->bad), "(query)");
		q->why = "has a parameter name that is not valid percent-encoding";
		return 1;
	}
	for (i = 0; q->allowed[i] != NULL; i++)
		if (strcmp(q->allowed[i], key) == 0)
			break;
	snprintf(q->bad, sizeof(q->bad), "%s", key);
	if (q->allowed[i] == NULL) {
		q->why = "is not a parameter of this list";
		return 1;
	}
	if (q->seen & (1u << i)) {
		q->why = "is given more than once";
		return 1;
	}
	q->seen |= 1u << i;
	return 0;
}

int
tasks_query_check(struct req *r, const char *const *allowed)
{
	struct qcheck q = { allowed, 0, "", NULL };

	if (http_query_each(r->query, qcheck_key, &q) != 0)
		return bad_param(r, q.bad, q.why);
	return 0;
}

static const struct sort_info *
sort_find(const char *sort)
{
	const struct sort_info *si;

	if (sort[0] == '-')
		sort++;
	for (si = sorts; si->name != NULL; si++)
		if (strcmp(si->name, sort) == 0)
			return si;
	return NULL;
}

/* One cursor key value of kind k is plausible (the database parses it). */
static bool
cursor_value_ok(char k, json_object *v)
{
	const char	*s;
	size_t		 n;

	if (k == 'r')
		return json_object_is_type(v, json_type_double) ||
		    json_object_is_type(v, json_type_int);
	if (!json_object_is_type(v, json_type_string))
		return false;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	switch (k) {
	case 't':
		return strcmp(s, "infinity") == 0 || strcmp(s, "-infinity") == 0 ||
		    valid_timestamp(s, n);
	case 'p':
		return in_list(priorities, s);
	default:
		return valid_utf8_chars(s, n) >= 0 && n <= 4 * 500;
	}
}

/*
 * Decodes cursor for sort: its key values as JSON text into keys and its
 * id.  Returns 0 or -1.  The cursor always carries the key, so a page
 * after a row that was deleted since continues after that key.
 */
static int
cursor_decode(const char *cursor, const char *sort, char *keys, size_t keyslen,
    char id[HTTP_UUID_LEN + 1])
{
	const struct sort_info	*si = sort_find(sort);
	unsigned char		 raw[LIST_CURSOR_MAX];
	json_object		*o = NULL, *s, *i, *k;
	const char		*t;
	int			 n, j, rc = -1;

	if (si == NULL ||
	    (n = jwt_b64url_decode(cursor, strlen(cursor), raw, sizeof(raw) - 1)) <= 0 ||
	    json_parse_strict((const char *)raw, (size_t)n, &o) != JSON_OK ||
	    !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "s", &s) || !json_object_is_type(s, json_type_string) ||
	    strcmp(json_object_get_string(s), sort) != 0 ||
	    !json_object_object_get_ex(o, "i", &i) || !json_object_is_type(i, json_type_string) ||
	    !valid_uuid(json_object_get_string(i), (size_t)json_object_get_string_len(i)) ||
	    !json_object_object_get_ex(o, "k", &k) || !json_object_is_type(k, json_type_array) ||
	    (int)json_object_array_length(k) != si->nkeys)
		goto out;
	for (j = 0; j < si->nkeys; j++)
		if (!cursor_value_ok(si->kinds[j], json_object_array_get_idx(k, j)))
			goto out;
	t = json_object_to_json_string_ext(k, JSON_C_TO_STRING_PLAIN);
	if (strlen(t) >= keyslen)
		goto out;
	snprintf(id, HTTP_UUID_LEN + 1, "%s", json_object_get_string(i));
	snprintf(keys, keyslen, "%s", t);
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

/*
 * The cursor after the row with key (JSON array text) and id, into out.
 * LIST_CURSOR_MAX fits the longest key (a 500-character title, every
 * character escaped), so this never has to leave the key out.
 */
static void
cursor_encode(const char *sort, const char *key, const char *id, char *out,
    size_t outlen)
{
	json_object	*o = json_object_new_object();
	const char	*t;

	json_object_object_add(o, "s", json_object_new_string(sort));
	json_object_object_add(o, "i", json_object_new_string(id));
	json_object_object_add(o, "k", json_from_db(key));
	t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (jwt_b64url_encode((const unsigned char *)t, strlen(t), out, outlen) < 0)
		out[0] = '\0';
	json_object_put(o);
}

/* A filter's string value, or NULL. */
static const char *
fstr(json_object *filter, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(filter, key, &v) &&
	    json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/*
 * A filter's array of whitelisted words as a PostgreSQL array literal into
 * buf ({"a","b"}: the words were checked against fixed lists), or NULL.
 */
static const char *
farray(json_object *filter, const char *key, char *buf, size_t len)
{
	json_object	*a;
	size_t		 i, n, used = 0;
	int		 w;

	if (!json_object_object_get_ex(filter, key, &a) ||
	    !json_object_is_type(a, json_type_array))
		return NULL;
	n = json_object_array_length(a);
	buf[used++] = '{';
	for (i = 0; i < n && used < len; i++) {
		w = snprintf(buf + used, len - used, "%s%s", i ? "," : "",
		    json_object_get_string(json_object_array_get_idx(a, i)));
		if (w < 0 || (size_t)w >= len - used)
			return NULL;
		used += (size_t)w;
	}
	if (used + 2 > len)
		return NULL;
	buf[used++] = '}';
	buf[used] = '\0';
	return buf;
}

static const struct list_sort *
list_sort_find(const char *sort)
{
	const struct list_sort *l;

	for (l = list_sorts; l->sort != NULL; l++)
		if (strcmp(l->sort, sort) == 0)
			return l;
	return NULL;
}

int
tasks_do_page(struct req *r, json_object *filter, const char *sort,
    const struct list_page *p, enum tasks_view view, long cap,
    struct tasks_page *out)
{
	struct db_user		 as = as_caller(r);
	const struct list_sort	*ls = NULL;
	const struct db_stmt	*st;
	const char		*v[14], *ftext;
	char			 keys[LIST_CURSOR_MAX], id[HTTP_UUID_LEN + 1];
	char			 stat[128], prio[32], capbuf[24], before[40];
	const char		*todo = view == TASKS_TODO ? "true" : "false";
	PGresult		*res = NULL;
	enum db_status		 s;
	int			 i, n, nitems = 0, rc = 0;
	bool			 after = p->cursor[0] != '\0';

	memset(out, 0, sizeof(*out));
	out->total_exact = true;
	if (after && cursor_decode(p->cursor, sort, keys, sizeof(keys), id) != 0)
		return bad_param(r, "cursor", "is not a cursor of this list and sort");
	/* the todo surface shows only the caller's own tasks (API.md 6) */
	if (view == TASKS_TODO)
		json_object_object_add(filter, "owner_id", json_object_new_string(r->user.id));
	if (cap > 0)
		snprintf(capbuf, sizeof(capbuf), "%ld", cap + 1);

	if (fstr(filter, "tag") != NULL || fstr(filter, "q") != NULL ||
	    (ls = list_sort_find(sort)) == NULL) {
		ftext = json_object_to_json_string_ext(filter, JSON_C_TO_STRING_PLAIN);
		if (cap > 0)
			snprintf(capbuf, sizeof(capbuf), "%ld", cap);
		v[0] = ftext;
		v[1] = sort;
		v[2] = after ? keys : NULL;
		v[3] = after ? id : NULL;
		v[4] = p->limit_s;
		v[5] = p->offset_s;
		v[6] = cap > 0 ? capbuf : NULL;
		v[7] = todo;
		st = &st_find;
	} else {
		struct shape_params	sp;
		unsigned		mask = 0;
		const char		*fv[LF_COUNT];

		for (i = 0; i < LF_COUNT; i++) {
			fv[i] = list_filters[i].kind == 'a' ?
			    farray(filter, list_filters[i].key, i == 0 ? stat : prio,
			    i == 0 ? sizeof(stat) : sizeof(prio)) :
			    fstr(filter, list_filters[i].key);
			/* assignee_id "none" is the 'n' filter, a UUID the 's' one */
			if (fv[i] != NULL && strcmp(fv[i], "none") == 0 &&
			    list_filters[i].kind == 's')
				fv[i] = NULL;
			if (fv[i] != NULL && strcmp(fv[i], "none") != 0 &&
			    list_filters[i].kind == 'n')
				fv[i] = NULL;
			if (i == LF_DUE_BEFORE && fv[i] == NULL &&
			    fstr(filter, "due_before_date") != NULL) {
				/* on or before that UTC day: PostgreSQL reads 24:00 */
				snprintf(before, sizeof(before), "%s 24:00:00+00",
				    fstr(filter, "due_before_date"));
				fv[i] = before;
			}
			if (fv[i] != NULL)
				mask |= 1u << i;
		}
		shape_params(mask, after, &sp);
		for (i = 0; i < LF_COUNT; i++)
			if (sp.filter[i] > 0)
				v[sp.filter[i] - 1] = fv[i];
		v[sp.count - 1] = cap > 0 ? capbuf : NULL;
		v[sp.limit - 1] = p->limit_s;
		v[sp.offset - 1] = p->offset_s;
		v[sp.view - 1] = todo;
		if (after) {
			v[sp.key - 1] = keys;
			v[sp.id - 1] = id;
		}
		if ((st = shape_stmt(r->app, (unsigned)(ls - list_sorts), mask, after)) == NULL)
			return http_problem(r, 500, "out of memory");
	}
	if ((s = db_exec(&r->app->db, &as, st, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	n = PQntuples(res);
	out->total = n > 0 && !PQgetisnull(res, 0, 0) ? atol(PQgetvalue(res, 0, 0)) : 0;
	if (cap > 0 && out->total > cap) {
		out->total = cap;
		out->total_exact = false;
	}
	out->items = json_object_new_array();
	for (i = 0; i < n && i < p->limit; i++) {
		if (PQgetisnull(res, i, 1))
			continue;
		json_object_array_add(out->items, json_from_db(PQgetvalue(res, i, 1)));
		nitems++;
	}
	/* a row beyond the page: there is a next one, after the last shown */
	if (n > p->limit && nitems == p->limit && !PQgetisnull(res, p->limit, 3))
		cursor_encode(sort, PQgetvalue(res, nitems - 1, 2),
		    PQgetvalue(res, nitems - 1, 3), out->next_cursor,
		    sizeof(out->next_cursor));
	PQclear(res);
	return rc;
}

/* A comma list of values from allowed, into a new JSON array; NULL if bad. */
static json_object *
comma_list(const char *s, const char *const *allowed)
{
	json_object	*a = json_object_new_array();
	char		 buf[256], *p, *e;

	snprintf(buf, sizeof(buf), "%s", s);
	for (p = buf; ; p = e + 1) {
		if ((e = strchr(p, ',')) != NULL)
			*e = '\0';
		if (!in_list(allowed, p)) {
			json_object_put(a);
			return NULL;
		}
		json_object_array_add(a, json_object_new_string(p));
		if (e == NULL)
			break;
	}
	return a;
}

/* Reads a query parameter into dst; 1 present, 0 absent, or 400 set in *st. */
static int
qget(struct req *r, const char *name, char *dst, size_t len, int *st)
{
	int rc = http_query_get(r->query, name, dst, len);

	if (rc < 0)
		*st = bad_param(r, name, "is malformed or too long");
	else if (rc == 1 && dst[0] == '\0')
		*st = bad_param(r, name, "must not be empty");
	return rc == 1 && *st == 0;
}

/* q: 1 to 200 characters of web-search syntax. */
static int
read_q(struct req *r, json_object *filter, bool required)
{
	char	q[1024];
	long	n;
	int	st = 0;

	if (!qget(r, "q", q, sizeof(q), &st)) {
		if (st == 0 && required)
			st = bad_param(r, "q", "is required");
		return st;
	}
	if ((n = valid_utf8_chars(q, strlen(q))) < 1 || n > 200)
		return bad_param(r, "q", "must be 1 to 200 characters");
	json_object_object_add(filter, "q", json_object_new_string(q));
	return 0;
}

/* The filters of GET /api/v1/tasks into filter; 0 or 400. */
static int
read_filters(struct req *r, json_object *filter)
{
	static const char *const uuids[] = { "project_id", "sprint_id", NULL };
	static const char *const times[] = { "due_before", "due_after", "updated_since", NULL };
	json_object	*a;
	char		 v[256];
	int		 i, st = 0;
	long		 n;

	if (qget(r, "status", v, sizeof(v), &st)) {
		if ((a = comma_list(v, statuses)) == NULL)
			return bad_param(r, "status", "must be a comma list of: new, ready, "
			    "in_progress, blocked, review, done, dropped");
		json_object_object_add(filter, "status", a);
	}
	if (st == 0 && qget(r, "priority", v, sizeof(v), &st)) {
		if ((a = comma_list(v, priorities)) == NULL)
			return bad_param(r, "priority", "must be a comma list of: p0, p1, p2, p3");
		json_object_object_add(filter, "priority", a);
	}
	for (i = 0; st == 0 && uuids[i] != NULL; i++)
		if (qget(r, uuids[i], v, sizeof(v), &st)) {
			if (!valid_uuid(v, strlen(v)))
				return bad_param(r, uuids[i], "must be a UUID");
			json_object_object_add(filter, uuids[i], json_object_new_string(v));
		}
	for (i = 0; st == 0 && times[i] != NULL; i++)
		if (qget(r, times[i], v, sizeof(v), &st)) {
			if (!valid_timestamp(v, strlen(v)))
				return bad_param(r, times[i], "must be an RFC 3339 timestamp "
				    "such as 2026-11-21T23:00:00Z");
			json_object_object_add(filter, times[i], json_object_new_string(v));
		}
	/* people: "me" is the caller; assignee_id also takes "none" */
	if (st == 0 && qget(r, "assignee_id", v, sizeof(v), &st)) {
		if (strcmp(v, "me") == 0)
			snprintf(v, sizeof(v), "%s", r->user.id);
		else if (strcmp(v, "none") != 0 && !valid_uuid(v, strlen(v)))
			return bad_param(r, "assignee_id", "must be me, none or a UUID");
		json_object_object_add(filter, "assignee_id", json_object_new_string(v));
	}
	if (st == 0 && qget(r, "owner_id", v, sizeof(v), &st)) {
		if (strcmp(v, "me") == 0)
			snprintf(v, sizeof(v), "%s", r->user.id);
		else if (!valid_uuid(v, strlen(v)))
			return bad_param(r, "owner_id", "must be me or a UUID");
		json_object_object_add(filter, "owner_id", json_object_new_string(v));
	}
	if (st == 0 && qget(r, "tag", v, sizeof(v), &st)) {
		if ((n = valid_utf8_chars(v, strlen(v))) < 1 || n > 50 || blank(v))
			return bad_param(r, "tag", "must be 1 to 50 characters");
		json_object_object_add(filter, "tag", json_object_new_string(v));
	}
	if (st == 0)
		st = read_q(r, filter, false);
	return st;
}

/*
 * Runs a v1 list and answers with the list envelope.  total is exact up
 * to TASKS_COUNT_CAP rows, beyond that TASKS_COUNT_CAP with total_exact
 * false; "Prefer: count=exact" (RFC 7240, as PostgREST spells it) asks for
 * the exact figure, which costs a scan of every matching row.
 */
static int
respond_page(struct req *r, json_object *filter, const char *sort,
    const struct list_page *p)
{
	struct tasks_page	 pg;
	bool			 exact = http_prefers(r, "count=exact");
	int			 st;

	st = tasks_do_page(r, filter, sort, p, TASKS_V1, exact ? 0 : TASKS_COUNT_CAP, &pg);
	if (st != 0)
		return st;
	if (exact)
		http_header(r, "Preference-Applied", "count=exact");
	return list_respond_counted(r, p, pg.items, pg.total, pg.total_exact,
	    pg.next_cursor[0] != '\0' ? pg.next_cursor : NULL);
}

int
tasks_list(struct req *r)
{
	struct list_page	 p;
	json_object		*filter = json_object_new_object();
	char			 sort[32] = "-created_at";
	int			 st = 0;

	if ((st = tasks_query_check(r, list_params)) != 0 ||
	    (st = list_parse_page(r, &p, true)) != 0 ||
	    (st = read_filters(r, filter)) != 0)
		goto out;
	if (qget(r, "sort", sort, sizeof(sort), &st)) {
		const struct sort_info *si = sort_find(sort);

		if (si == NULL || strcmp(si->name, "rank") == 0 ||
		    strcmp(si->name, "urgent") == 0) {
			st = bad_param(r, "sort", "must be one of created_at, updated_at, "
			    "due_at, priority, title, optionally prefixed by -");
			goto out;
		}
	}
	if (st == 0)
		st = respond_page(r, filter, sort, &p);
out:
	json_object_put(filter);
	return st;
}

int
tasks_search(struct req *r)
{
	struct list_page	 p;
	json_object		*filter = json_object_new_object();
	int			 st;

	if ((st = tasks_query_check(r, search_params)) == 0 &&
	    (st = list_parse_page(r, &p, true)) == 0 &&
	    (st = read_q(r, filter, true)) == 0)
		st = respond_page(r, filter, "rank", &p);
	json_object_put(filter);
	return st;
}

int
tasks_high_priority(struct req *r)
{
	struct list_page	 p;
	json_object		*filter = json_object_new_object();
	int			 st;

	json_object_object_add(filter, "high_priority", json_object_new_boolean(1));
	if ((st = tasks_query_check(r, paging_params)) == 0 &&
	    (st = list_parse_page(r, &p, true)) == 0)
		st = respond_page(r, filter, "urgent", &p);
	json_object_put(filter);
	return st;
}

/* ------------------------------------------------------------ v1 routes */

int
tasks_create(struct req *r)
{
	const char	*ver;
	char		 vbuf[24];
	int		 st;

	if ((st = validate(r, create_specs, false, vbuf, sizeof(vbuf), &ver)) != 0)
		return st;
	return tasks_do_create(r, buf_cstr(&r->body), TASKS_V1, "/api/v1/tasks/");
}

int
tasks_get(struct req *r)
{
	return tasks_do_get(r, r->params[0], TASKS_V1);
}

int
tasks_patch(struct req *r)
{
	const char	*ver;
	char		 vbuf[24];
	int		 st;

	if ((st = validate(r, patch_specs, true, vbuf, sizeof(vbuf), &ver)) != 0)
		return st;
	return tasks_do_update(r, r->params[0], buf_cstr(&r->body), ver, TASKS_V1);
}

int
tasks_delete(struct req *r)
{
	return tasks_do_delete(r, r->params[0], TASKS_V1);
}

/* An action: validates, then applies the change set built from one field. */
static int
action(struct req *r, const struct field_spec *specs, const char *key,
    json_object *value)
{
	json_object	*changes = json_object_new_object();
	const char	*ver;
	char		 vbuf[24];
	int		 st;

	if ((st = validate(r, specs, false, vbuf, sizeof(vbuf), &ver)) != 0) {
		json_object_put(value);
		goto out;
	}
	json_object_object_add(changes, key, value);
	/* assign-project always leaves the sprint */
	if (strcmp(key, "project_id") == 0)
		json_object_object_add(changes, "sprint_id", NULL);
	st = tasks_do_update(r, r->params[0],
	    json_object_to_json_string_ext(changes, JSON_C_TO_STRING_PLAIN), ver, TASKS_V1);
out:
	json_object_put(changes);
	return st;
}

/* The body's value of name (validated), as a new reference or NULL. */
static json_object *
body_value(struct req *r, const char *name)
{
	json_object *v = NULL;

	if (r->json != NULL && json_object_object_get_ex(r->json, name, &v))
		return json_object_get(v);
	return NULL;
}

int
tasks_status(struct req *r)
{
	return action(r, status_specs, "status", body_value(r, "status"));
}

int
tasks_complete(struct req *r)
{
	return action(r, complete_specs, "complete", json_object_new_string("toggle"));
}

int
tasks_assign_project(struct req *r)
{
	return action(r, assign_project_specs, "project_id", body_value(r, "project_id"));
}

int
tasks_assign_sprint(struct req *r)
{
	return action(r, assign_sprint_specs, "sprint_id", body_value(r, "sprint_id"));
}

/* The body specs of this module's routes (t/fuzz/fuzz_json.c drives them). */
const struct field_spec *const tasks_field_specs[] = {
	create_specs, patch_specs, status_specs, complete_specs,
	assign_project_specs, assign_sprint_specs, NULL
};
