/*
 * router: the route table (router.c) maps method + path pattern to a
 * handler, with the role it needs and whether it takes a JSON body.
 * Authorization is decided here, from the table, not in handlers.
 * To find an endpoint's code: grep its path in router.c.
 */
#ifndef TASKMAN_ROUTER_H
#define TASKMAN_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

typedef int (*route_handler)(struct req *r);

enum route_auth {
	AUTH_PUBLIC,	/* no token */
	AUTH_READ,	/* any authenticated role */
	AUTH_WRITE,	/* user or admin; readonly gets 403 */
	AUTH_ADMIN	/* admin only */
};

enum route_body {
	BODY_NONE,	/* a body, if any, is ignored */
	BODY_JSON,	/* a JSON body is required */
	BODY_OPTIONAL	/* a JSON body may be sent */
};

struct route {
	unsigned	 method;	/* one enum http_method */
	/*
	 * "/api/v1/tasks/{id}": {x} matches a UUID only, so fixed paths never
	 * collide with captures and a non-UUID id is a 404.  {x:any} matches
	 * any segment but "v1" (the todo surface's user id, which must answer
	 * 403, not 404, when it is not the caller's).
	 */
	const char	*pattern;
	route_handler	 handler;
	enum route_auth	 auth;
	enum route_body	 body;
};

extern const struct route	router_routes[];
extern const size_t		router_nroutes;

/*
 * Finds the route for method and path, filling r->params.  Returns the
 * route, or NULL with *allowed set to the methods the path does take
 * (0: no such path).
 */
const struct route *router_match(struct req *r, const char *path,
	    unsigned method, unsigned *allowed);

/*
 * The part of router_dispatch() before authentication: match, CORS (a
 * preflight is answered), OPTIONS with Allow, 404, 405 with Allow.
 * Returns the route (also in r->route), or NULL with the answer's status
 * in *status.  Needs no database (t/fuzz/fuzz_http.c drives it).
 */
const struct route *router_prepare(struct req *r, const char *cors_origins,
	    int *status);
/* Matches, authenticates, authorizes, reads the body, runs the handler. */
int	router_dispatch(struct req *r);

#endif
