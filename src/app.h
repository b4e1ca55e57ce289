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

struct tokens;

struct app {
	const struct config	*cfg;		/* shared, read-only */
	const struct tokens	*tokens;	/* shared, read-only */
	struct db		 db;
	bool			 schema_ok;	/* /health/startup passed once */
};

void	app_init(struct app *a, const struct config *cfg,
	    const struct tokens *tokens);
void	app_free(struct app *a);

#endif
