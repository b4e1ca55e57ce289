/*
 * GET/POST /api/{user_id}/tasks, GET/PUT/DELETE /api/{user_id}/tasks/{id},
 * PATCH /api/{user_id}/tasks/{id}/complete, GET /api/{user_id}/tasks/search
 * (API.md section 4).
 *
 * A todo body becomes a change set for api/tasks.c:
 *   completed true/false  -> complete "set"/"unset" (done <-> ready)
 *   priority high         -> priority_high (p1; a p0 task stays p0)
 *            medium / low -> priority p2 / p3
 *   due_date, due_time    -> passed on; the database combines them with
 *                            the stored due_at (UTC)
 * and answers come back in the todo shape (taskman_todo_json).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/list.h"
#include "api/tasks.h"
#include "api/todo.h"
#include "app.h"
#include "json.h"
#include "valid.h"

static const char *const todo_priorities[] = { "high", "medium", "low", NULL };

#define TODO_FIELDS(title_flags) \
	{ "title", FT_STRING, (title_flags), 1, 500, NULL, 0, 0, NULL }, \
	{ "description", FT_STRING, F_NULLABLE, 0, 10000, NULL, 0, 0, NULL }, \
	{ "completed", FT_BOOL, 0, 0, 0, NULL, 0, 0, NULL }, \
	{ "due_date", FT_DATE, F_NULLABLE, 0, 0, NULL, 0, 0, NULL }, \
	{ "due_time", FT_TIME, F_NULLABLE, 0, 0, NULL, 0, 0, NULL }, \
	{ "priority", FT_ENUM, 0, 0, 0, todo_priorities, 0, 0, NULL }, \
	{ "tags", FT_STRING_SET, 0, 0, 20, NULL, 1, 50, NULL }

static const struct field_spec create_specs[] = {
	TODO_FIELDS(F_REQUIRED),
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};
static const struct field_spec put_specs[] = {
	TODO_FIELDS(0),
	{ "version", FT_INT, 0, 1, INT_MAX, NULL, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};
static const struct field_spec complete_specs[] = {
	{ "version", FT_INT, 0, 1, INT_MAX, NULL, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

static const char *const todo_readonly[] = { "id", "user_id", "created_at",
	"updated_at", NULL };

static const char *const list_params[] = { "completed", "priority", "due_before",
	"limit", "offset", NULL };
static const char *const search_params[] = { "q", "limit", "offset", NULL };

/* {user_id} is the caller: 0, else 403 (before anything else). */
static int
own_path(struct req *r)
{
	if (strcasecmp(r->params[0], r->user.id) != 0)
		return http_problem(r, 403, "these are not your tasks");
	return 0;
}

static int
bad_param(struct req *r, const char *name, const char *msg)
{
	json_object	*errs = json_object_new_array();
	char		 detail[200];

	json_error_add(errs, name, msg);
	snprintf(detail, sizeof(detail), "query parameter %s %s", name, msg);
	return http_problem_errors(r, 400, detail, errs);
}

/*
 * Reads and validates the body against specs; builds the change set into
 * changes and the body's version into version.  0 or a status.
 */
static int
read_body(struct req *r, const struct field_spec *specs, bool required,
    bool partial, json_object *changes, char *version, size_t versionlen,
    const char **version_param)
{
	static const char *const copied[] = { "title", "description", "tags",
		"due_date", "due_time", NULL };
	json_object	*errs, *v, *dd, *dt;
	const char	*s;
	int		 st, i;

	*version_param = NULL;
	if ((st = http_read_json(r, r->app->cfg->body_limit, required)) != 0)
		return st;
	if (r->json == NULL)
		return 0;
	errs = json_object_new_array();
	json_validate(r->json, specs, partial, errs);
	tasks_check_extra(r->json, todo_readonly, errs);
	if (json_object_object_get_ex(r->json, "due_date", &dd) && dd == NULL &&
	    json_object_object_get_ex(r->json, "due_time", &dt) && dt != NULL)
		json_error_add(errs, "due_time", "needs a due date (due_date is null)");
	if (json_object_array_length(errs) > 0)
		return http_problem_errors(r, 422, "the body breaks the field rules", errs);
	json_object_put(errs);

	for (i = 0; copied[i] != NULL; i++)
		if (json_object_object_get_ex(r->json, copied[i], &v))
			json_object_object_add(changes, copied[i], json_object_get(v));
	if ((s = json_str(r->json, "priority")) != NULL) {
		if (strcmp(s, "high") == 0)
			json_object_object_add(changes, "priority_high",
			    json_object_new_boolean(1));
		else
			json_object_object_add(changes, "priority", json_object_new_string(
			    strcmp(s, "medium") == 0 ? "p2" : "p3"));
	}
	if (json_object_object_get_ex(r->json, "completed", &v))
		json_object_object_add(changes, "complete", json_object_new_string(
		    json_object_get_boolean(v) ? "set" : "unset"));
	if (json_object_object_get_ex(r->json, "version", &v) && v != NULL) {
		snprintf(version, versionlen, "%lld", (long long)json_object_get_int64(v));
		*version_param = version;
	}
	return 0;
}

static const char *
plain(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

/* Runs one page and answers {tasks, total}. */
static int
respond_tasks(struct req *r, json_object *filter, const char *sort,
    const struct list_page *p)
{
	struct tasks_page	 pg;
	json_object		*o;
	int			 st;

	if ((st = tasks_do_page(r, filter, sort, p, TASKS_TODO, 0, &pg)) != 0)
		return st;
	o = json_object_new_object();
	json_object_object_add(o, "tasks", pg.items);
	json_object_object_add(o, "total", json_object_new_int64(pg.total));
	return http_json(r, 200, o);
}

/* Reads a parameter: 1 present, 0 absent, or *st set to 400. */
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

int
todo_list(struct req *r)
{
	static const char *const open[] = { "new", "ready", "in_progress", "blocked",
		"review", "dropped", NULL };
	struct list_page	 p;
	json_object		*filter, *a;
	char			 v[128], *tok, *save = NULL;
	int			 st, i;

	if ((st = own_path(r)) != 0 || (st = tasks_query_check(r, list_params)) != 0 ||
	    (st = list_parse_page(r, &p, false)) != 0)
		return st;
	filter = json_object_new_object();
	if (qget(r, "completed", v, sizeof(v), &st)) {
		a = json_object_new_array();
		if (strcmp(v, "true") == 0)
			json_object_array_add(a, json_object_new_string("done"));
		else if (strcmp(v, "false") == 0)
			for (i = 0; open[i] != NULL; i++)
				json_object_array_add(a, json_object_new_string(open[i]));
		else {
			json_object_put(a);
			st = bad_param(r, "completed", "must be true or false");
			goto out;
		}
		json_object_object_add(filter, "status", a);
	}
	if (st == 0 && qget(r, "priority", v, sizeof(v), &st)) {
		/* strtok_r would skip empty items: refuse "high,,low" first */
		if (strstr(v, ",,") != NULL || v[0] == ',' || v[strlen(v) - 1] == ',') {
			st = bad_param(r, "priority", "must be a comma list of: high, medium, low");
			goto out;
		}
		a = json_object_new_array();
		json_object_object_add(filter, "priority", a);
		for (tok = strtok_r(v, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
			if (strcmp(tok, "high") == 0) {
				json_object_array_add(a, json_object_new_string("p0"));
				json_object_array_add(a, json_object_new_string("p1"));
			} else if (strcmp(tok, "medium") == 0)
				json_object_array_add(a, json_object_new_string("p2"));
			else if (strcmp(tok, "low") == 0)
				json_object_array_add(a, json_object_new_string("p3"));
			else
				break;
		}
		if (tok != NULL) {
			st = bad_param(r, "priority", "must be a comma list of: high, medium, low");
			goto out;
		}
	}
	if (st == 0 && qget(r, "due_before", v, sizeof(v), &st)) {
		if (valid_date(v, strlen(v)))
			json_object_object_add(filter, "due_before_date", json_object_new_string(v));
		else if (valid_timestamp(v, strlen(v)))
			json_object_object_add(filter, "due_before", json_object_new_string(v));
		else {
			st = bad_param(r, "due_before", "must be a date (YYYY-MM-DD) or an "
			    "RFC 3339 timestamp");
			goto out;
		}
	}
	if (st == 0)
		st = respond_tasks(r, filter, "-created_at", &p);
out:
	json_object_put(filter);
	return st;
}

int
todo_search(struct req *r)
{
	struct list_page	 p;
	json_object		*filter;
	char			 q[1024];
	long			 n;
	int			 st;

	if ((st = own_path(r)) != 0 || (st = tasks_query_check(r, search_params)) != 0 ||
	    (st = list_parse_page(r, &p, false)) != 0)
		return st;
	if (!qget(r, "q", q, sizeof(q), &st))
		return st != 0 ? st : bad_param(r, "q", "is required");
	if ((n = valid_utf8_chars(q, strlen(q))) < 1 || n > 200)
		return bad_param(r, "q", "must be 1 to 200 characters");
	filter = json_object_new_object();
	json_object_object_add(filter, "q", json_object_new_string(q));
	st = respond_tasks(r, filter, "rank", &p);
	json_object_put(filter);
	return st;
}

int
todo_create(struct req *r)
{
	json_object	*changes;
	const char	*ver;
	char		 vbuf[24], loc[64];
	int		 st;

	if ((st = own_path(r)) != 0)
		return st;
	changes = json_object_new_object();
	if ((st = read_body(r, create_specs, true, false, changes, vbuf, sizeof(vbuf),
	    &ver)) == 0) {
		snprintf(loc, sizeof(loc), "/api/%s/tasks/", r->user.id);
		st = tasks_do_create(r, plain(changes), TASKS_TODO, loc);
	}
	json_object_put(changes);
	return st;
}

int
todo_get(struct req *r)
{
	int st;

	if ((st = own_path(r)) != 0)
		return st;
	return tasks_do_get(r, r->params[1], TASKS_TODO);
}

int
todo_put(struct req *r)
{
	json_object	*changes;
	const char	*ver;
	char		 vbuf[24];
	int		 st;

	if ((st = own_path(r)) != 0)
		return st;
	changes = json_object_new_object();
	if ((st = read_body(r, put_specs, true, true, changes, vbuf, sizeof(vbuf),
	    &ver)) == 0)
		st = tasks_do_update(r, r->params[1], plain(changes), ver, TASKS_TODO);
	json_object_put(changes);
	return st;
}

int
todo_delete(struct req *r)
{
	int st;

	if ((st = own_path(r)) != 0)
		return st;
	return tasks_do_delete(r, r->params[1], TASKS_TODO);
}

int
todo_complete(struct req *r)
{
	json_object	*changes;
	const char	*ver;
	char		 vbuf[24];
	int		 st;

	if ((st = own_path(r)) != 0)
		return st;
	changes = json_object_new_object();
	if ((st = read_body(r, complete_specs, false, true, changes, vbuf, sizeof(vbuf),
	    &ver)) == 0) {
		json_object_object_add(changes, "complete", json_object_new_string("toggle"));
		st = tasks_do_update(r, r->params[1], plain(changes), ver, TASKS_TODO);
	}
	json_object_put(changes);
	return st;
}

/* The body specs of this module's routes (t/fuzz/fuzz_json.c drives them). */
const struct field_spec *const todo_field_specs[] = {
	create_specs, put_specs, complete_specs, NULL
};
