#include <string.h>

#include "app.h"
#include "api/tasks.h"

void
app_init(struct app *a, const struct config *cfg, const struct tokens *tokens)
{
	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	a->tokens = tokens;
	db_init(&a->db, cfg->database_url, cfg->statement_timeout_ms);
}

void
app_free(struct app *a)
{
	db_close(&a->db);
	tasks_shapes_free(a->task_shapes);
	a->task_shapes = NULL;
}
