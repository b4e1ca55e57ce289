/*
 * tasks: /api/v1/tasks... (API.md section 3), and the task operations the
 * todo surface (api/todo.c, API.md section 4) maps onto the same rows.
 *
 * Every write is a "change set" (a JSON object, see
 * schema/0003_tasks.up.sql) applied to the caller's row by one SQL
 * statement; every list is one call of taskman_task_page().
 */
#ifndef TASKMAN_API_TASKS_H
#define TASKMAN_API_TASKS_H

#include <stdbool.h>

#include "api/list.h"
#include "http.h"

/* Route handlers (router.c). */
int	tasks_list(struct req *r);
int	tasks_create(struct req *r);
int	tasks_search(struct req *r);
int	tasks_high_priority(struct req *r);
int	tasks_get(struct req *r);
int	tasks_patch(struct req *r);
int	tasks_delete(struct req *r);
int	tasks_status(struct req *r);
int	tasks_complete(struct req *r);
int	tasks_assign_project(struct req *r);
int	tasks_assign_sprint(struct req *r);

/* Which JSON shape a task is answered in. */
enum tasks_view {
	TASKS_V1,	/* taskman_task_json */
	TASKS_TODO	/* taskman_todo_json */
};

/*
 * The operations below answer the request themselves and return its
 * status.  They are shared with api/todo.c; id is a task UUID from the
 * path, changes a change-set JSON object (text).
 */

/*
 * Creates a task of the caller from changes: 201 with Location
 * (location_prefix + id) and ETag, Idempotency-Key honoured; 422 with
 * errors[] for references that are not the caller's.
 */
int	tasks_do_create(struct req *r, const char *changes, enum tasks_view view,
	    const char *location_prefix);
/* 200 + ETag, 304 for a matching If-None-Match, 404. */
int	tasks_do_get(struct req *r, const char *id, enum tasks_view view);
/*
 * Applies changes to the caller's task id: 200 + ETag; 404; 412 for a
 * stale If-Match; 409 version-conflict when body_version (NULL: none) is
 * stale; 409 invalid-transition; 422 for references.
 */
int	tasks_do_update(struct req *r, const char *id, const char *changes,
	    const char *body_version, enum tasks_view view);
/* 204; 404; 412 for a stale If-Match. */
int	tasks_do_delete(struct req *r, const char *id, enum tasks_view view);

/* One page of a task list, for the todo surface's own envelope. */
struct tasks_page {
	json_object	*items;		/* owned by the caller */
	long		 total;
	bool		 total_exact;	/* false: total is the cap, more exist */
	char		 next_cursor[LIST_CURSOR_MAX];	/* "" when none */
};

struct tasks_shapes;

/* Frees the task-list statements a connection prepared (struct app owns them). */
void	tasks_shapes_free(struct tasks_shapes *ts);

/* v1 lists count at most this many rows unless asked for an exact total. */
#define TASKS_COUNT_CAP	2000

/*
 * One page of tasks the caller can see, filtered by filter (a JSON object
 * of validated values, see schema 0005 taskman_task_find(); the todo view
 * adds owner_id), in sort order.  cap > 0: total counts at most cap rows
 * (and sort "rank" ranks at most cap matches); 0: exact.  Returns 0 with
 * *out filled, or a status with the response set (400 for a cursor that
 * does not fit this list, database problems).
 */
int	tasks_do_page(struct req *r, json_object *filter, const char *sort,
	    const struct list_page *p, enum tasks_view view, long cap,
	    struct tasks_page *out);

/*
 * Query checking shared with the todo lists: every key must be in allowed
 * (NULL-terminated) and appear once; else 400 naming it.
 */
int	tasks_query_check(struct req *r, const char *const *allowed);

/*
 * Field rules that json_validate() cannot express: the named string
 * fields (and the items of "tags") must contain a non-whitespace
 * character; read-only fields get "is read-only" instead of "unknown
 * field".  Appends to errors.
 */
void	tasks_check_extra(json_object *body, const char *const *readonly,
	    json_object *errors);

/* Which single-request body a task change set is checked as. */
enum tasks_body {
	TASKS_BODY_CREATE,	/* POST /api/v1/tasks */
	TASKS_BODY_PATCH,	/* PATCH /api/v1/tasks/{id} (version allowed) */
	TASKS_BODY_STATUS	/* POST /api/v1/tasks/{id}/status */
};

/*
 * Checks body with the field rules of that single request (specs and
 * tasks_check_extra()), appending to errors; returns how many it added.
 * For api/batch.c, whose operations carry the same bodies.
 */
int	tasks_check_body(json_object *body, enum tasks_body kind, json_object *errors);

/*
 * Answers for a write the database refused; each returns the status with
 * the response set.  tasks_problems_response(): 422 for the codes of
 * taskman_task_problems() (a comma list) that are not transitions.
 * tasks_transition_problem(): 409 invalid-transition when probs holds a
 * transition code (from: the task's status, to: the one asked for or
 * NULL), else 0 with nothing set.  tasks_reference_problem(): 422 for a
 * foreign key or check that caught a reference going away (db.constraint),
 * else the generic problem of s.
 */
int	tasks_problems_response(struct req *r, const char *list);
int	tasks_transition_problem(struct req *r, const char *probs, const char *from,
	    const char *to);
int	tasks_reference_problem(struct req *r, enum db_status s);

/* The field specs of this module's request bodies, NULL-terminated. */
struct field_spec;
extern const struct field_spec *const tasks_field_specs[];

#endif
