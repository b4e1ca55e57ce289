/*
 * sprints: GET/POST /api/v1/sprints, GET/PATCH/DELETE /api/v1/sprints/{id},
 * GET /api/v1/sprints/{id}/burndown (API.md section 3).
 */
#ifndef TASKMAN_API_SPRINTS_H
#define TASKMAN_API_SPRINTS_H

#include "http.h"

int	sprints_list(struct req *r);
int	sprints_create(struct req *r);
int	sprints_get(struct req *r);
int	sprints_patch(struct req *r);
int	sprints_delete(struct req *r);
int	sprints_burndown(struct req *r);

/* The field specs of this module's request bodies, NULL-terminated. */
struct field_spec;
extern const struct field_spec *const sprints_field_specs[];

#endif
