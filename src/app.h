/*
 * app: the per-connection context every handler reaches through r->app.
 * A worker process has one; a threaded worker would have one per thread.
 * No handler keeps mutable state anywhere else.
 */
#ifndef TASKMAN_APP_H
#define TASKMAN_APP_H

#include <stdbool.h>

#include "config.h"
#include "db.h"
#include "metrics.h"

struct tokens;
struct docs;

struct tasks_shapes;

struct app {
	const struct config	*cfg;		/* shared, read-only */
	const struct tokens	*tokens;	/* shared, read-only */
	const struct docs	*docs;		/* shared, read-only */
	struct db		 db;
	bool			 schema_ok;	/* /health/startup passed once */
	struct metrics_region	*metrics;	/* shared by all workers */
	struct metrics_slot	*mslot;		/* this process's counters, or NULL */
	/* /health/ready answers from this for a moment: a probe storm cannot load the database */
	struct timespec		 ready_at;
	enum db_status		 ready_status;
	long			 ready_us;
	/* the task-list statements prepared on db (src/api/tasks.c) */
	struct tasks_shapes	*task_shapes;
};

void	app_init(struct app *a, const struct config *cfg,
	    const struct tokens *tokens);
void	app_free(struct app *a);

#endif
