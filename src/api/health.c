/*
 * GET /health/live, /health/ready, /health/startup (API.md section 5).
 */
#include <stdlib.h>
#include <time.h>

#include "api/health.h"
#include "app.h"
#include "json.h"

static const struct db_stmt health_schema_version = {
	"health_schema_version",
	"SELECT coalesce(max(version), 0) FROM schema_migrations", 0, DB_ROW
};

int
health_live(struct req *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string("ok"));
	return http_json(r, 200, o);
}

int
health_ready(struct req *r)
{
	struct app	*a = r->app;
	json_object	*o, *dbo;
	enum db_status	 s;
	long		 us = 0;
	double		 ms;
	int		 st;
	struct timespec	 now;
	long		 age_ms;

	/* a probe storm is answered from the last result, not the database */
	clock_gettime(CLOCK_MONOTONIC, &now);
	age_ms = (now.tv_sec - a->ready_at.tv_sec) * 1000 +
	    (now.tv_nsec - a->ready_at.tv_nsec) / 1000000;
	if (a->ready_at.tv_sec != 0 && age_ms >= 0 && age_ms < a->cfg->health_cache_ms) {
		s = a->ready_status;
		us = a->ready_us;
	} else {
		s = db_ping(&a->db, a->cfg->health_timeout_ms, &us);
		a->ready_at = now;
		a->ready_status = s;
		a->ready_us = us;
	}
	ms = (double)us / 1000.0;
	dbo = json_object_new_object();
	json_object_object_add(dbo, "status",
	    json_object_new_string(s == DB_OK ? "ok" : "down"));
	if (s == DB_OK)
		json_object_object_add(dbo, "latency_ms",
		    json_new_fixed(ms, 2));
	if (s != DB_OK) {
		st = http_problem(r, 503, s == DB_TIMEOUT ?
		    "the database did not answer in time" :
		    "the database is unreachable");
		json_object_object_add(r->out_json, "database", dbo);
		return st;
	}
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string(
	    ms > a->cfg->health_degraded_ms ? "degraded" : "ok"));
	json_object_object_add(o, "database", dbo);
	return http_json(r, 200, o);
}

int
health_startup(struct req *r)
{
	struct app	*a = r->app;
	PGresult	*res = NULL;
	enum db_status	 s = DB_OK;
	long		 have = TASKMAN_SCHEMA_VERSION;
	json_object	*o;
	int		 st;

	/* Once at the expected version, a worker stays started: no query. */
	if (!a->schema_ok) {
		have = -1;
		s = db_exec(&a->db, NULL, &health_schema_version, NULL, &res);
		if (s == DB_OK)
			have = atol(PQgetvalue(res, 0, 0));
		PQclear(res);
		a->schema_ok = have == TASKMAN_SCHEMA_VERSION;
	}
	if (!a->schema_ok) {
		st = http_problem(r, 503, s != DB_OK ?
		    "the database is unreachable" :
		    "the schema is not at the expected migration version");
		o = r->out_json;
		json_object_object_add(o, "schema_version", have < 0 ? NULL :
		    json_object_new_int64(have));
		json_object_object_add(o, "expected_schema_version",
		    json_object_new_int(TASKMAN_SCHEMA_VERSION));
		return st;
	}
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "schema_version", json_object_new_int64(have));
	json_object_object_add(o, "expected_schema_version",
	    json_object_new_int(TASKMAN_SCHEMA_VERSION));
	return http_json(r, 200, o);
}

int
health_metrics(struct req *r)
{
	struct buf	out;
	int		st;

	/*
	 * Only through nginx's metrics listener (loopback, its own port): no
	 * spelling of the path on the public server reaches this.
	 */
	if (!r->metrics_listener)
		return http_problem(r, 404, "no such resource");
	if (r->app->metrics == NULL)
		return http_problem(r, 503, "metrics are not enabled in this worker");
	buf_init(&out, 0);
	metrics_render(r->app->metrics, &out);
	st = out.failed ? http_problem(r, 503, "out of memory") :
	    http_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8",
	    buf_cstr(&out), out.len);
	buf_free(&out);
	return st;
}
