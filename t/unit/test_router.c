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
