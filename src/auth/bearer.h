/*
 * bearer: who is calling.  Verifies "Authorization: Bearer <jwt>" (own
 * HS256 tokens, or an external issuer's from its JWKS) and fills r->user.
 * Whether that user is still enabled, and still has that role, is checked
 * by the database in the same round trip as the handler's first statement
 * (taskman_set_user), so disabling takes effect on the next request.
 */
#ifndef TASKMAN_BEARER_H
#define TASKMAN_BEARER_H

#include "http.h"

/* Returns 0 with r->user filled, or 401 with the problem set. */
int	bearer_authenticate(struct req *r);

#endif
