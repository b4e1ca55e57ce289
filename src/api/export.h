/*
 * export: GET /api/v1/export (API.md section 11) -- everything the caller
 * owns as one JSON document, streamed (docs/EXPORT.md has the format).
 */
#ifndef TASKMAN_API_EXPORT_H
#define TASKMAN_API_EXPORT_H

#include "http.h"

/* Rows fetched per round trip; the worker holds one batch at a time. */
#define EXPORT_BATCH	500

int	export_get(struct req *r);

#endif
