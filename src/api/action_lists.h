/*
 * action_lists: GET/POST /api/v1/action-lists, GET/PATCH/DELETE
 * /api/v1/action-lists/{id} (API.md section 3).
 */
#ifndef TASKMAN_API_ACTION_LISTS_H
#define TASKMAN_API_ACTION_LISTS_H

#include "http.h"

int	action_lists_list(struct req *r);
int	action_lists_create(struct req *r);
int	action_lists_get(struct req *r);
int	action_lists_patch(struct req *r);
int	action_lists_delete(struct req *r);

/* The field specs of this module's request bodies, NULL-terminated. */
struct field_spec;
extern const struct field_spec *const action_lists_field_specs[];

#endif
