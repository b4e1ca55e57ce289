#include <string.h>

#include "cors.h"

#define CORS_MAX_AGE	600
#define CORS_ALLOW_HEADERS \
	"Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-ID"
#define CORS_EXPOSE_HEADERS \
	"ETag, Location, Link, X-Request-ID, Retry-After"

bool
cors_origin_allowed(const char *list, const char *origin)
{
	const char	*p = list, *e;
	size_t		 n, olen;

	if (list == NULL || origin == NULL || *origin == '\0')
		return false;
	olen = strlen(origin);
	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		e = p + strcspn(p, ",");
		n = (size_t)(e - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0 && n == olen && memcmp(p, origin, n) == 0)
			return true;
		p = e;
	}
	return false;
}

int
cors_handle(struct req *r, const char *list, unsigned allowed)
{
	char	 methods[96];
	bool	 ok;
	bool	 preflight = r->method == HTTP_OPTIONS && r->origin != NULL &&
	    r->envp != NULL && FCGX_GetParam("HTTP_ACCESS_CONTROL_REQUEST_METHOD", r->envp);

	if (list == NULL)
		return preflight ? http_problem(r, 403, "cross-origin requests are not allowed") : 0;
	http_header(r, "Vary", "Origin");
	ok = cors_origin_allowed(list, r->origin);
	if (ok) {
		http_header(r, "Access-Control-Allow-Origin", "%s", r->origin);
		http_header(r, "Access-Control-Allow-Credentials", "true");
	}
	if (!preflight) {
		if (ok)
			http_header(r, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
		return 0;
	}
	if (!ok)
		return http_problem(r, 403, "this origin may not make cross-origin requests");
	if (allowed == 0)
		return http_problem(r, 404, "no such resource");
	http_allow_string(allowed, methods, sizeof(methods));
	http_header(r, "Access-Control-Allow-Methods", "%s", methods);
	http_header(r, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
	http_header(r, "Access-Control-Max-Age", "%d", CORS_MAX_AGE);
	return http_no_content(r, 204);
}
