#ifndef TASKMAN_API_AUTH_H
#define TASKMAN_API_AUTH_H

#include "http.h"

int	auth_register(struct req *r);	/* POST /api/v1/auth/register */
int	auth_login(struct req *r);	/* POST /api/v1/auth/login */
int	auth_refresh(struct req *r);	/* POST /api/v1/auth/refresh */
int	auth_logout(struct req *r);	/* POST /api/v1/auth/logout */

/* The field specs of this module's request bodies, NULL-terminated. */
struct field_spec;
extern const struct field_spec *const auth_field_specs[];

#endif
