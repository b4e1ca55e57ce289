/*
 * POST /api/v1/tasks/batch (API.md section 8).
 *
 * The body is checked here with the single requests' field rules
 * (tasks_check_body()), then one statement runs every operation through
 * taskman_tasks_batch() (schema/0009_batch.up.sql) and, in the same
 * statement, claims the Idempotency-Key with the response (api/idem.h).
 * The first operation the database refuses RAISEs: the statement rolls
 * back, earlier operations and their activity included, and the error
 * (DB_REFUSED, db.message "<index>|<code>|...") says which and why.
 *
 * "The first failing operation" also holds when an operation breaks the
 * field rules: the ones before it are run once in a transaction that
 * always rolls back (p_dry), so a 404 at index 2 wins over a 422 at 5.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/batch.h"
#include "api/idem.h"
#include "api/planning.h"
#include "api/tasks.h"
#include "app.h"
#include "json.h"
#include "log.h"
#include "metrics.h"

/*
 * $1 caller, $2 operations (JSON), $3 dry run?, $4 Idempotency-Key or
 * NULL, $5 path, $6 request hash: the response body, the transitions.
 */
static const struct db_stmt st_batch = { "tasks_batch",
	"WITH b AS (SELECT * FROM taskman_tasks_batch($1::uuid, $2::jsonb, $3::boolean)), "
	"k AS (INSERT INTO idempotency_keys (owner_id, key, method, path, request_hash, "
	"  response_status, response_body) "
	"  SELECT $1::uuid, $4::text, 'POST', $5::text, $6::bytea, 200, b.body::text "
	"  FROM b WHERE $4::text IS NOT NULL) "
	"SELECT b.body::text, b.transitions FROM b", 6, DB_ROW };

static const char *const op_names[] = { "create", "update", "status", "delete", NULL };

enum batch_op { OP_CREATE, OP_UPDATE, OP_STATUS, OP_DELETE };

#define OP_FIELD \
	{ "op", FT_ENUM, F_REQUIRED, 0, 0, op_names, 0, 0, NULL }
#define ID_FIELD \
	{ "id", FT_UUID, F_REQUIRED, 0, 0, NULL, 0, 0, NULL }
#define IF_MATCH_FIELD \
	{ "if_match", FT_STRING, 0, 1, 24, NULL, 0, 0, NULL }
#define END_FIELDS \
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }

/* fields and status are then checked as the single request's body */
static const struct field_spec create_op_specs[] = {
	OP_FIELD,
	{ "fields", FT_OBJECT, F_REQUIRED, 0, 0, NULL, 0, 0, NULL },
	END_FIELDS
};
static const struct field_spec update_op_specs[] = {
	OP_FIELD, ID_FIELD,
	{ "fields", FT_OBJECT, F_REQUIRED, 0, 0, NULL, 0, 0, NULL },
	IF_MATCH_FIELD, END_FIELDS
};
static const struct field_spec status_op_specs[] = {
	OP_FIELD, ID_FIELD,
	{ "status", FT_STRING, F_REQUIRED, 0, 100, NULL, 0, 0, NULL },
	IF_MATCH_FIELD, END_FIELDS
};
static const struct field_spec delete_op_specs[] = {
	OP_FIELD, ID_FIELD, IF_MATCH_FIELD, END_FIELDS
};

const struct field_spec *const batch_field_specs[] = {
	create_op_specs, update_op_specs, status_op_specs, delete_op_specs, NULL
};

/* Prefixes the "field" of errors[from..] with prefix. */
static void
prefix_errors(json_object *errors, size_t from, const char *prefix)
{
	json_object	*e, *f;
	char		 path[256];
	size_t		 i, n = json_object_array_length(errors);

	for (i = from; i < n; i++) {
		e = json_object_array_get_idx(errors, i);
		if (!json_object_object_get_ex(e, "field", &f))
			continue;
		snprintf(path, sizeof(path), "%s%s", prefix, json_object_get_string(f));
		json_object_object_add(e, "field", json_new_text(path));
	}
}

/*
 * Checks operation i (o) into errors; on success appends its database
 * form to ops (when not NULL).  Returns whether it is fine.
 */
static bool
check_op(json_object *o, size_t i, json_object *errors, json_object *ops)
{
	json_object	*op, *v, *fields = NULL, *out;
	const char	*name;
	char		 prefix[48];
	size_t		 before = json_object_array_length(errors);
	long		 ver = 0;
	int		 kind, ifm = 0;

	snprintf(prefix, sizeof(prefix), "operations[%zu]", i);
	if (!json_object_is_type(o, json_type_object)) {
		json_error_add(errors, prefix, "must be a JSON object");
		return false;
	}
	snprintf(prefix, sizeof(prefix), "operations[%zu].", i);
	if (!json_object_object_get_ex(o, "op", &op) ||
	    !json_object_is_type(op, json_type_string)) {
		json_error_add(errors, "op", "is required: create, update, status or delete");
		prefix_errors(errors, before, prefix);
		return false;
	}
	name = json_object_get_string(op);
	for (kind = 0; op_names[kind] != NULL; kind++)
		if (strcmp(op_names[kind], name) == 0)
			break;
	if (op_names[kind] == NULL) {
		json_error_add(errors, "op", "must be one of: create, update, status, delete");
		prefix_errors(errors, before, prefix);
		return false;
	}
	json_validate(o, batch_field_specs[kind], false, errors);
	if (json_object_array_length(errors) > before) {
		prefix_errors(errors, before, prefix);
		return false;
	}
	if (json_object_object_get_ex(o, "if_match", &v) && v != NULL &&
	    (ifm = http_etag_value(json_object_get_string(v), &ver)) < 0) {
		json_error_add(errors, "if_match", "must be an ETag of the task, such as \"3\"");
		prefix_errors(errors, before, prefix);
		return false;
	}
	switch (kind) {
	case OP_CREATE:
	case OP_UPDATE:
		json_object_object_get_ex(o, "fields", &fields);
		json_object_get(fields);
		snprintf(prefix, sizeof(prefix), "operations[%zu].fields.", i);
		tasks_check_body(fields, kind == OP_CREATE ? TASKS_BODY_CREATE :
		    TASKS_BODY_PATCH, errors);
		break;
	case OP_STATUS:
		json_object_object_get_ex(o, "status", &v);
		fields = json_object_new_object();
		json_object_object_add(fields, "status", json_object_get(v));
		tasks_check_body(fields, TASKS_BODY_STATUS, errors);
		break;
	default:
		break;
	}
	if (json_object_array_length(errors) > before) {
		prefix_errors(errors, before, prefix);
		json_object_put(fields);
		return false;
	}
	if (ops == NULL) {
		json_object_put(fields);
		return true;
	}
	out = json_object_new_object();
	json_object_object_add(out, "op", json_object_new_string(kind == OP_CREATE ?
	    "create" : kind == OP_DELETE ? "delete" : "update"));
	if (json_object_object_get_ex(o, "id", &v))
		json_object_object_add(out, "id", json_object_get(v));
	if (fields != NULL)
		json_object_object_add(out, "fields", fields);
	/* beyond any version a row can have: it cannot match (as the header) */
	if (ifm == 1)
		json_object_object_add(out, "if_match",
		    json_object_new_int64(ver > INT_MAX ? 0 : ver));
	json_object_array_add(ops, out);
	return true;
}

int
batch_check(json_object *body, json_object *errors, json_object *ops)
{
	json_object	*a = NULL;
	size_t		 i, n;

	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		json_error_add(errors, "(body)", "must be a JSON object");
		return BATCH_ENVELOPE;
	}
	json_object_object_foreach(body, key, val) {
		(void)val;
		if (strcmp(key, "operations") != 0)
			json_error_add(errors, key, "unknown field");
	}
	if (json_object_array_length(errors) > 0)
		return BATCH_ENVELOPE;
	if (!json_object_object_get_ex(body, "operations", &a) || a == NULL ||
	    !json_object_is_type(a, json_type_array)) {
		json_error_add(errors, "operations", a == NULL ?
		    "is required: an array of 1 to 100 operations" : "must be an array");
		return BATCH_ENVELOPE;
	}
	n = json_object_array_length(a);
	if (n < 1 || n > BATCH_MAX) {
		json_error_add(errors, "operations", "must have 1 to 100 operations");
		return BATCH_ENVELOPE;
	}
	for (i = 0; i < n; i++)
		if (!check_op(json_object_array_get_idx(a, i), i, errors, ops))
			return (int)i;
	return BATCH_OK;
}

/* Adds operation_index to the problem just set; returns its status. */
static int
at_index(struct req *r, int st, long index)
{
	if (r->out_json != NULL)
		json_object_object_add(r->out_json, "operation_index",
		    json_object_new_int64(index));
	return st;
}

/*
 * The problem's errors[] fields prefixed (they name the operation's
 * fields), and its detail naming the first one again.
 */
static void
prefix_problem(struct req *r, long index)
{
	json_object	*errs, *e, *f, *m;
	char		 prefix[48], detail[256];

	snprintf(prefix, sizeof(prefix), "operations[%ld].fields.", index);
	if (r->out_json == NULL || !json_object_object_get_ex(r->out_json, "errors", &errs))
		return;
	prefix_errors(errs, 0, prefix);
	if ((e = json_object_array_get_idx(errs, 0)) != NULL &&
	    json_object_object_get_ex(e, "field", &f) &&
	    json_object_object_get_ex(e, "message", &m)) {
		snprintf(detail, sizeof(detail), "%s %s", json_object_get_string(f),
		    json_object_get_string(m));
		json_object_object_add(r->out_json, "detail", json_new_text(detail));
	}
}

/* A value of operation index's fields as text (a number too), or NULL. */
static const char *
op_field(json_object *ops, long index, const char *name)
{
	json_object *o = json_object_array_get_idx(ops, (size_t)index), *f, *v;

	if (o == NULL || !json_object_object_get_ex(o, "fields", &f) ||
	    !json_object_object_get_ex(f, name, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

/*
 * The answer to DB_REFUSED: db.message is "<index>|<code>|<a>|<b>" (see
 * schema/0009_batch.up.sql).
 */
static int
refused(struct req *r, json_object *ops)
{
	char		 msg[sizeof(r->app->db.message)], detail[160];
	const char	*f[4] = { NULL, NULL, "", "" };
	char		*p = msg, *e;
	const char	*ver;
	long		 index;
	int		 i, st;

	snprintf(msg, sizeof(msg), "%s", r->app->db.message);
	for (i = 0; i < 4 && p != NULL; i++) {
		f[i] = p;
		if ((e = strchr(p, '|')) != NULL)
			*e++ = '\0';
		p = e;
	}
	if (f[1] == NULL || (index = strtol(f[0], &e, 10)) < 0 || *e != '\0' ||
	    index >= (long)json_object_array_length(ops)) {
		log_msg(LOG_ERROR, "batch_refused", "unexpected reason %s",
		    r->app->db.message);
		return http_problem(r, 500, "an internal error occurred; it has been logged");
	}
	if (strcmp(f[1], "notfound") == 0)
		st = http_problem(r, 404, "no such task");
	else if (strcmp(f[1], "forbidden") == 0)
		st = plan_forbidden(r);
	else if (strcmp(f[1], "precondition") == 0)
		st = http_problem(r, 412, "the task has changed since that ETag");
	else if (strcmp(f[1], "version") == 0) {
		ver = op_field(ops, index, "version");
		snprintf(detail, sizeof(detail), "the task is at version %s, not %s", f[2],
		    ver != NULL ? ver : "that one");
		st = http_problem_type(r, 409, "version-conflict", "Version conflict", detail);
	} else if ((st = tasks_transition_problem(r, f[2], f[3],
	    op_field(ops, index, "status"))) == 0) {
		st = tasks_problems_response(r, f[2]);
		prefix_problem(r, index);
	}
	return at_index(r, st, index);
}

/* Runs ops (dry: always rolled back); 0 when a dry run found no failure. */
static int
run(struct req *r, json_object *ops, bool dry, struct idem *ix)
{
	struct db_user	 as = http_db_user(r);
	const char	*v[6], *tr, *msg = r->app->db.message;
	char		 pair[64], *to;
	PGresult	*res = NULL;
	enum db_status	 s;
	size_t		 i, n;
	int		 st;

	v[0] = r->user.id;
	v[1] = json_object_to_json_string_ext(ops, JSON_C_TO_STRING_PLAIN);
	v[2] = dry ? "true" : "false";
	v[3] = ix != NULL ? ix->key_param : NULL;
	v[4] = r->path;
	v[5] = v[3] != NULL ? ix->hash : NULL;
	s = db_exec(&r->app->db, &as, &st_batch, v, &res);
	if (!dry && (st = idem_after_create(r, ix, s)) != 0)
		return st;
	if (s == DB_REFUSED && dry && strcmp(r->app->db.sqlstate, "TMB00") == 0)
		return 0;
	if (s == DB_REFUSED)
		return refused(r, ops);
	if ((s == DB_FK_VIOLATION || s == DB_INVALID) &&
	    strncmp(msg, "batch operation ", 16) == 0) {
		long index = atol(msg + 16);

		st = tasks_reference_problem(r, s);
		prefix_problem(r, index);
		return at_index(r, st, index);
	}
	if (s != DB_OK)
		return http_db_problem(r, s);
	n = json_object_array_length(ops);
	for (i = 0; i < n; i++)
		if (strcmp(json_str(json_object_array_get_idx(ops, i), "op"), "create") == 0)
			metrics_task_created(r->app->mslot);
	for (tr = PQgetvalue(res, 0, 1); *tr != '\0'; tr += strcspn(tr, ",")) {
		tr += *tr == ',';
		snprintf(pair, sizeof(pair), "%.*s", (int)strcspn(tr, ","), tr);
		if ((to = strchr(pair, '>')) != NULL) {
			*to++ = '\0';
			metrics_transition(r->app->mslot, pair, to);
		}
	}
	st = http_raw(r, 200, "application/json; charset=utf-8", PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
	return st;
}

int
batch_tasks(struct req *r)
{
	json_object	*errs = json_object_new_array(), *ops = json_object_new_array();
	struct idem	 ix;
	char		 detail[256];
	json_object	*e, *f, *m;
	int		 bad, st;

	bad = batch_check(r->json, errs, ops);
	if (bad == BATCH_OK) {
		json_object_put(errs);
		errs = NULL;
		if ((st = idem_check(r, &ix)) == 0)
			st = run(r, ops, false, &ix);
		goto out;
	}
	/* an earlier operation that fails in the database comes first */
	if (bad > 0 && (st = run(r, ops, true, NULL)) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "the body breaks the field rules");
	if ((e = json_object_array_get_idx(errs, 0)) != NULL &&
	    json_object_object_get_ex(e, "field", &f) &&
	    json_object_object_get_ex(e, "message", &m))
		snprintf(detail, sizeof(detail), "%s %s", json_object_get_string(f),
		    json_object_get_string(m));
	st = http_problem_errors(r, 422, detail, errs);
	errs = NULL;
	if (bad >= 0)
		at_index(r, st, bad);
out:
	json_object_put(errs);
	json_object_put(ops);
	return st;
}
