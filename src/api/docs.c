#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/docs.h"
#include "app.h"
#include "log.h"

#define DOCS_MAX	(8 * 1024 * 1024)

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*p = NULL;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > DOCS_MAX ||
	    fseek(f, 0, SEEK_SET) != 0 || (p = malloc((size_t)n + 1)) == NULL)
		goto out;
	if (fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
		goto out;
	}
	p[n] = '\0';
	*len = (size_t)n;
out:
	fclose(f);
	return p;
}

void
docs_load(struct docs *d, const char *yaml_path)
{
	char	 json_path[4096];
	size_t	 n = strlen(yaml_path);

	memset(d, 0, sizeof(*d));
	d->yaml = slurp(yaml_path, &d->yaml_len);
	if (n > 5 && strcmp(yaml_path + n - 5, ".yaml") == 0 && n < sizeof(json_path)) {
		memcpy(json_path, yaml_path, n - 5);
		memcpy(json_path + n - 5, ".json", 6);
		d->json = slurp(json_path, &d->json_len);
	}
	if (d->yaml == NULL || d->json == NULL)
		log_msg(LOG_WARN, "openapi_missing", "%s or its .json is not readable: "
		    "/api/v1/openapi.* will answer 503 (TASKMAN_OPENAPI_FILE)", yaml_path);
}

static int
serve(struct req *r, const char *data, size_t len, const char *type)
{
	if (data == NULL)
		return http_problem(r, 503, "the OpenAPI document is not installed");
	return http_raw(r, 200, type, data, len);
}

int
docs_openapi_json(struct req *r)
{
	return serve(r, r->app->docs->json, r->app->docs->json_len,
	    "application/json; charset=utf-8");
}

int
docs_openapi_yaml(struct req *r)
{
	return serve(r, r->app->docs->yaml, r->app->docs->yaml_len,
	    "application/yaml; charset=utf-8");
}

int
docs_page(struct req *r)
{
	static const char page[] =
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>taskman API</title>"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "</head><body>"
	    "<redoc spec-url=\"/api/v1/openapi.json\"></redoc>"
	    "<noscript>The API reference needs JavaScript; the document itself is at "
	    "<a href=\"/api/v1/openapi.yaml\">/api/v1/openapi.yaml</a>.</noscript>"
	    "<script src=\"/docs/assets/redoc.standalone.js\"></script>"
	    "</body></html>\n";

	return http_raw(r, 200, "text/html; charset=utf-8", page, sizeof(page) - 1);
}
