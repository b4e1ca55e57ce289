/*
 * todo: the compatibility surface /api/{user_id}/tasks... (API.md
 * section 4) over the same task rows as /api/v1/tasks (api/tasks.c).
 * {user_id} must be the caller's id (else 403, checked before the body is
 * even read).
 */
#ifndef TASKMAN_API_TODO_H
#define TASKMAN_API_TODO_H

#include "http.h"

int	todo_list(struct req *r);
int	todo_create(struct req *r);
int	todo_search(struct req *r);
int	todo_get(struct req *r);
int	todo_put(struct req *r);
int	todo_delete(struct req *r);
int	todo_complete(struct req *r);

/* The field specs of this module's request bodies, NULL-terminated. */
struct field_spec;
extern const struct field_spec *const todo_field_specs[];

#endif
