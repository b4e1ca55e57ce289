#ifndef TASKMAN_API_USERS_H
#define TASKMAN_API_USERS_H

#include "http.h"

int	users_me_get(struct req *r);		/* GET /api/v1/users/me */
int	users_me_patch(struct req *r);		/* PATCH /api/v1/users/me */
int	users_admin_list(struct req *r);	/* GET /api/v1/admin/users */
int	users_admin_patch(struct req *r);	/* PATCH /api/v1/admin/users/{id} */

/* The field specs of this module's request bodies, NULL-terminated. */
struct field_spec;
extern const struct field_spec *const users_field_specs[];

#endif
