#include <string.h>

#include <criterion/criterion.h>

#include "router.h"

Test(router, health_routes_match)
{
	struct req		 r;
	unsigned		 allowed;
	const struct route	*rt;

	http_req_init(&r, NULL, NULL, NULL, NULL);
	rt = router_match(&r, "/health/live", HTTP_GET, &allowed);
	cr_assert_not_null(rt);
	cr_expect_str_eq(rt->pattern, "/health/live");
	cr_expect_not_null(router_match(&r, "/health/live", HTTP_HEAD, &allowed));
	cr_expect_null(router_match(&r, "/health/live", HTTP_POST, &allowed));
	cr_expect_eq(allowed, HTTP_GET | HTTP_HEAD);
	cr_expect_null(router_match(&r, "/health/nope", HTTP_GET, &allowed));
	cr_expect_eq(allowed, 0);
	cr_expect_null(router_match(&r, "/health/live/", HTTP_GET, &allowed));
	cr_expect_null(router_match(&r, "/health", HTTP_GET, &allowed));
	cr_expect_null(router_match(&r, "", HTTP_GET, &allowed));
	cr_expect_null(router_match(&r, "//health/live", HTTP_GET, &allowed));
	http_req_reset(&r);
}

Test(router, every_pattern_is_well_formed)
{
	for (size_t i = 0; i < router_nroutes; i++) {
		const char *p = router_routes[i].pattern;

		cr_expect_eq(p[0], '/', "%s", p);
		cr_expect_null(strstr(p, "//"), "%s", p);
		cr_expect_not_null(router_routes[i].handler, "%s", p);
		/* no two routes share method and pattern */
		for (size_t j = 0; j < i; j++)
			cr_expect(!(router_routes[j].method == router_routes[i].method &&
			    strcmp(router_routes[j].pattern, p) == 0), "duplicate %s", p);
	}
}

Test(router, uuid_params_and_fixed_paths)
{
	struct req		 r;
	unsigned		 allowed;
	const struct route	*rt;

	http_req_init(&r, NULL, NULL, NULL, NULL);
	rt = router_match(&r, "/api/v1/admin/users/123e4567-e89b-12d3-a456-426614174000",
	    HTTP_PATCH, &allowed);
	cr_assert_not_null(rt);
	cr_expect_eq(r.nparams, 1);
	cr_expect_str_eq(r.params[0], "123e4567-e89b-12d3-a456-426614174000");
	cr_expect_null(router_match(&r, "/api/v1/admin/users/not-a-uuid", HTTP_PATCH, &allowed));
	cr_expect_eq(allowed, 0, "a non-UUID id is an unknown path: 404");
	cr_expect_null(router_match(&r, "/api/v1/admin/users/123e4567-e89b-12d3-a456-426614174000",
	    HTTP_DELETE, &allowed));
	cr_expect_eq(allowed, HTTP_PATCH);
	http_req_reset(&r);
}

Test(router, roles_come_from_the_table)
{
	for (size_t i = 0; i < router_nroutes; i++) {
		const struct route *rt = &router_routes[i];

		if (strncmp(rt->pattern, "/api/v1/admin/", 14) == 0)
			cr_expect_eq(rt->auth, AUTH_ADMIN, "%s", rt->pattern);
		if (strncmp(rt->pattern, "/health/", 8) == 0 ||
		    strncmp(rt->pattern, "/api/v1/auth/", 13) == 0)
			cr_expect_eq(rt->auth, AUTH_PUBLIC, "%s", rt->pattern);
		/* every write that needs a user needs one who may write */
		if (rt->auth == AUTH_READ)
			cr_expect(rt->method == HTTP_GET, "%s is a write open to readonly",
			    rt->pattern);
	}
}

Test(router, todo_user_segment_is_any_but_v1)
{
	struct req		 r;
	unsigned		 allowed;
	const struct route	*rt;

	http_req_init(&r, NULL, NULL, NULL, NULL);
	rt = router_match(&r, "/api/alice/tasks", HTTP_GET, &allowed);
	cr_assert_not_null(rt, "a non-UUID user id reaches the todo handler (for its 403)");
	cr_expect_str_eq(r.params[0], "alice");
	rt = router_match(&r, "/api/v1/tasks", HTTP_GET, &allowed);
	cr_assert_not_null(rt);
	cr_expect_str_eq(rt->pattern, "/api/v1/tasks");
	cr_expect_null(router_match(&r, "/api/v1/tasks/123e4567-e89b-12d3-a456-426614174000",
	    HTTP_PUT, &allowed), "PUT is not a v1 method; v1 is never a todo user");
	cr_expect_eq(allowed, HTTP_GET | HTTP_HEAD | HTTP_PATCH | HTTP_DELETE);
	rt = router_match(&r, "/api/0123456789012345678901234567890123456789/tasks",
	    HTTP_GET, &allowed);
	cr_assert_not_null(rt);
	cr_expect_str_eq(r.params[0], "", "too long to be an id: captured as empty");
	http_req_reset(&r);
}
