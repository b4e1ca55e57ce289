/*
 * invitations: asking someone into a shared project (API.md section 6) --
 * POST/GET /api/v1/projects/{id}/invitations and DELETE
 * /api/v1/projects/{id}/invitations/{inv_id} (the project's managers);
 * GET /api/v1/invitations and POST /api/v1/invitations/{inv_id}/accept,
 * .../decline (the person addressed).  Prefix invitations_.
 */
#ifndef TASKMAN_API_INVITATIONS_H
#define TASKMAN_API_INVITATIONS_H

#include "http.h"

int	invitations_create(struct req *r);
int	invitations_list(struct req *r);
int	invitations_revoke(struct req *r);
int	invitations_mine(struct req *r);
int	invitations_accept(struct req *r);
int	invitations_decline(struct req *r);

/* The field specs of this module's request bodies, NULL-terminated. */
struct field_spec;
extern const struct field_spec *const invitations_field_specs[];

#endif
