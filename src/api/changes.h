/*
 * changes: GET /api/v1/changes, the changes feed (API.md section 7,
 * docs/CHANGES.md): what changed in the caller's scopes after an opaque
 * cursor, read from the activity log in (transaction id, id) order and
 * only below the reading snapshot's xmin, so that no change is skipped.
 */
#ifndef TASKMAN_API_CHANGES_H
#define TASKMAN_API_CHANGES_H

#include "http.h"

#define CHANGES_LIMIT_DEFAULT	500
#define CHANGES_LIMIT_MAX	1000

int	changes_list(struct req *r);

#endif
