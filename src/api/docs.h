/*
 * docs: the OpenAPI document (GET /api/v1/openapi.json and .yaml) and a
 * human-readable page at /docs.  The files are read once at start-up and
 * shared read-only; the page's script (Redoc) is served by nginx from a
 * local copy installed by the scripts, never from a CDN.
 */
#ifndef TASKMAN_API_DOCS_H
#define TASKMAN_API_DOCS_H

#include <stddef.h>

#include "http.h"

struct docs {
	char	*yaml;		/* NULL when the file was not found */
	size_t	 yaml_len;
	char	*json;
	size_t	 json_len;
};

/* Loads path (openapi.yaml) and the .json beside it; missing files are logged, not fatal. */
void	docs_load(struct docs *d, const char *yaml_path);

int	docs_openapi_json(struct req *r);	/* GET /api/v1/openapi.json */
int	docs_openapi_yaml(struct req *r);	/* GET /api/v1/openapi.yaml */
int	docs_page(struct req *r);		/* GET /docs */

#endif
