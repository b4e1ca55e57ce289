#ifndef TASKMAN_API_HEALTH_H
#define TASKMAN_API_HEALTH_H

#include "http.h"

/* The schema version this build expects; schema/NNNN_*.up.sql's highest N. */
#define TASKMAN_SCHEMA_VERSION	11

int	health_live(struct req *r);
int	health_ready(struct req *r);
int	health_startup(struct req *r);
int	health_metrics(struct req *r);

#endif
