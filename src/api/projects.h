/*
 * projects: GET/POST /api/v1/projects, GET/PATCH/DELETE
 * /api/v1/projects/{id}, GET /api/v1/projects/{id}/metrics (API.md 3).
 */
#ifndef TASKMAN_API_PROJECTS_H
#define TASKMAN_API_PROJECTS_H

#include "http.h"

int	projects_list(struct req *r);
int	projects_create(struct req *r);
int	projects_get(struct req *r);
int	projects_patch(struct req *r);
int	projects_delete(struct req *r);
int	projects_metrics(struct req *r);

/* The field specs of this module's request bodies, NULL-terminated. */
struct field_spec;
extern const struct field_spec *const projects_field_specs[];

#endif
