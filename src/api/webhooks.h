/*
 * webhooks: GET/POST /api/v1/webhooks, GET/PATCH/DELETE
 * /api/v1/webhooks/{id}, POST .../ping, GET .../deliveries,
 * POST .../deliveries/{delivery_id}/redeliver (API.md section 9).
 */
#ifndef TASKMAN_API_WEBHOOKS_H
#define TASKMAN_API_WEBHOOKS_H

#include "http.h"

int	webhooks_list(struct req *r);
int	webhooks_create(struct req *r);
int	webhooks_get(struct req *r);
int	webhooks_patch(struct req *r);
int	webhooks_delete(struct req *r);
int	webhooks_ping(struct req *r);
int	webhooks_deliveries(struct req *r);
int	webhooks_redeliver(struct req *r);

#endif
