/*
 * cors: cross-origin access for browser clients on other origins (a
 * separate frontend).  Only origins listed in TASKMAN_CORS_ORIGINS get
 * any CORS header; the default list is empty, so no cross-origin access.
 */
#ifndef TASKMAN_CORS_H
#define TASKMAN_CORS_H

#include <stdbool.h>

#include "http.h"

/* True when origin is exactly one of the comma-separated list's entries. */
bool	cors_origin_allowed(const char *list, const char *origin);

/*
 * Adds the CORS response headers for r (Vary: Origin always when a list is
 * configured).  When r is a preflight (OPTIONS with an Origin and
 * Access-Control-Request-Method), answers it and returns its status;
 * otherwise returns 0.  allowed: the methods the path takes (0: unknown path).
 */
int	cors_handle(struct req *r, const char *list, unsigned allowed);

#endif
