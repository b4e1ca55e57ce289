#include "auth/auth.h"

/*
 * Until access tokens exist (issue 3) no caller can be authenticated:
 * every protected route answers 401, which is the safe default.
 */
int
auth_authenticate(struct req *r)
{
	return http_problem(r, 401, "a valid bearer token is required");
}
