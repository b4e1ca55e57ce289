/*
 * auth: who is calling.  auth_authenticate() verifies the bearer token
 * and fills r->user, or sets a 401 problem and returns 401.
 */
#ifndef TASKMAN_AUTH_H
#define TASKMAN_AUTH_H

#include "http.h"

int	auth_authenticate(struct req *r);

#endif
