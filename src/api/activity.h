/*
 * activity: GET /api/v1/tasks/{id}/activity and GET
 * /api/v1/projects/{id}/activity (API.md section 6), newest first with
 * cursor paging.  The rows are written by the taskman_activity_record
 * trigger (0008) in the changing transaction; this module only reads.
 */
#ifndef TASKMAN_API_ACTIVITY_H
#define TASKMAN_API_ACTIVITY_H

#include "http.h"

int	activity_task(struct req *r);
int	activity_project(struct req *r);

#endif
