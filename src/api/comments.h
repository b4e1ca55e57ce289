/*
 * comments: GET/POST /api/v1/tasks/{id}/comments, GET/PATCH/DELETE
 * /api/v1/comments/{id} (API.md section 6).
 */
#ifndef TASKMAN_API_COMMENTS_H
#define TASKMAN_API_COMMENTS_H

#include "http.h"

int	comments_list(struct req *r);
int	comments_create(struct req *r);
int	comments_get(struct req *r);
int	comments_patch(struct req *r);
int	comments_delete(struct req *r);

/* The field specs of this module's request bodies, NULL-terminated. */
struct field_spec;
extern const struct field_spec *const comments_field_specs[];

#endif
