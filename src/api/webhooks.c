/*
 * Webhooks (API.md section 9): CRUD, ping, the delivery log and
 * redelivery.  The deliveries themselves are written by triggers of
 * schema 0007 (in the transaction of each change) and sent by
 * taskman-jobs (src/jobs/); this module only manages webhooks and reads
 * or re-queues their deliveries.
 *
 * The secret: 32 random bytes (RAND_bytes), returned once as 64 hex
 * characters in the POST response and stored as bytes in
 * webhook_secrets, which the workers' role may write but never read.
 * Receivers use the hex text itself as the HMAC key.  POST takes no
 * Idempotency-Key: a replayed response would have to store the secret.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "api/planning.h"
#include "api/webhooks.h"
#include "app.h"
#include "json.h"

static const char *const event_names[] = {
	"*", "task.created", "task.updated", "task.deleted", "task.status_changed",
	"task.assigned", "task.due_soon", "comment.created", "project.updated",
	"project.deleted", "project.member_added", "project.member_removed", NULL
};

/* $1 owner, $2 limit, $3 offset.  Columns: total, json. */
static const struct db_stmt st_list = { "webhooks_list",
	"SELECT c.n, taskman_webhook_json(w) FROM "
	"(SELECT count(*) AS n FROM webhooks WHERE owner_id = $1) c LEFT JOIN LATERAL "
	"(SELECT * FROM webhooks w WHERE w.owner_id = $1 ORDER BY w.created_at, w.id "
	"  LIMIT $2::integer OFFSET $3::integer) w ON true", 3, 0 };

static const struct db_stmt st_get = { "webhooks_get",
	"SELECT taskman_webhook_json(w), w.version FROM webhooks w "
	"WHERE w.id = $1 AND w.owner_id = $2", 2, DB_ROW };

/*
 * $1 owner, $2 url, $3 events (text[]), $4 project_id, $5 description,
 * $6 active, $7 secret (hex).  No row: project_id is not visible to the
 * caller (RLS decides; with teams, membership).
 */
static const struct db_stmt st_create = { "webhooks_create",
	"WITH w AS (INSERT INTO webhooks (owner_id, url, events, project_id, description, active) "
	"  SELECT $1, $2, $3::text[], $4::uuid, $5, coalesce($6::boolean, true) "
	"  WHERE $4::uuid IS NULL OR EXISTS (SELECT 1 FROM projects p WHERE p.id = $4::uuid) "
	"  RETURNING *), "
	"s AS (INSERT INTO webhook_secrets (webhook_id, owner_id, secret) "
	"  SELECT w.id, w.owner_id, decode($7, 'hex') FROM w) "
	"SELECT taskman_webhook_json(w)::text, w.id, w.version FROM w", 7, DB_ROW };

/*
 * $1 id, $2 owner, $3 url, $4 events, $5/$6 set/project_id, $7/$8
 * set/description, $9 active, $10 unused, $11 If-Match versions, $12 body
 * version (both bound by plan_patch_exec).  Columns: version before,
 * json, version after, whether project_id is acceptable.  Turning a
 * webhook on again clears the deactivation and its run of failures.
 */
static const struct db_stmt st_update = { "webhooks_update",
	"WITH cur AS (SELECT version FROM webhooks WHERE id = $1 AND owner_id = $2), "
	"pok AS (SELECT NOT coalesce($5::boolean, false) OR $6::uuid IS NULL "
	"  OR EXISTS (SELECT 1 FROM projects p WHERE p.id = $6::uuid) AS ok), "
	"u AS (UPDATE webhooks SET url = coalesce($3, url), "
	"  events = coalesce($4::text[], events), "
	"  project_id = CASE WHEN $5::boolean THEN $6::uuid ELSE project_id END, "
	"  description = CASE WHEN $7::boolean THEN $8 ELSE description END, "
	"  active = coalesce($9::boolean, active), "
	"  disabled_reason = CASE WHEN $9::boolean IS NULL THEN disabled_reason END, "
	"  failing_since = CASE WHEN $9::boolean THEN NULL ELSE failing_since END, "
	"  updated_at = now(), version = version + 1 "
	"  WHERE id = $1 AND owner_id = $2 AND (SELECT ok FROM pok) AND $10::text IS NULL "
	"  AND ($11::integer[] IS NULL OR version = ANY ($11::integer[])) "
	"  AND ($12::integer IS NULL OR version = $12::integer) RETURNING *) "
	"SELECT cur.version, taskman_webhook_json(u), u.version, (SELECT ok FROM pok) "
	"FROM cur LEFT JOIN u ON true", 12, DB_ROW };

/* $1 id, $2 owner, $3 If-Match versions (plan_delete) */
static const struct db_stmt st_delete = { "webhooks_delete",
	"WITH cur AS (SELECT version FROM webhooks WHERE id = $1 AND owner_id = $2), "
	"d AS (DELETE FROM webhooks WHERE id = $1 AND owner_id = $2 "
	"  AND ($3::integer[] IS NULL OR version = ANY ($3::integer[])) RETURNING id) "
	"SELECT cur.version, EXISTS (SELECT 1 FROM d) FROM cur", 3, DB_ROW };

/* $1 webhook, $2 owner: queues a "ping" whose data is the webhook. */
static const struct db_stmt st_ping = { "webhooks_ping",
	"WITH w AS (SELECT w AS r, w.id, w.owner_id FROM webhooks w "
	"  WHERE w.id = $1 AND w.owner_id = $2), "
	"n AS (SELECT gen_random_uuid() AS id), "
	"d AS (INSERT INTO webhook_deliveries (id, webhook_id, owner_id, event, "
	"  resource_owner_id, payload) "
	"  SELECT n.id, w.id, w.owner_id, 'ping', w.owner_id, "
	"    json_build_object('id', n.id, 'event', 'ping', 'occurred_at', taskman_ts(now()), "
	"      'actor', (SELECT json_build_object('id', u.id, 'username', u.username) "
	"                FROM users u WHERE u.id = $2), "
	"      'data', taskman_webhook_json(w.r), 'changes', '{}'::json)::text "
	"  FROM w, n RETURNING *) "
	"SELECT taskman_delivery_json(d), pg_notify('taskman_jobs', 'ping') FROM d",
	2, DB_ROW };

/* $1 webhook, $2 owner: the last 100 deliveries, newest first; no row: 404 */
static const struct db_stmt st_deliveries = { "webhooks_deliveries",
	"SELECT coalesce((SELECT json_agg(taskman_delivery_json(d) "
	"    ORDER BY d.created_at DESC, d.id DESC) "
	"  FROM (SELECT * FROM webhook_deliveries d WHERE d.webhook_id = w.id "
	"    ORDER BY d.created_at DESC, d.id DESC LIMIT 100) d), '[]'::json) "
	"FROM webhooks w WHERE w.id = $1 AND w.owner_id = $2", 2, DB_ROW };

/* $1 webhook, $2 delivery, $3 owner: due again now, same delivery id */
static const struct db_stmt st_redeliver = { "webhooks_redeliver",
	"UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = now() "
	"WHERE d.id = $2 AND d.webhook_id = $1 AND d.owner_id = $3 "
	"RETURNING taskman_delivery_json(d), pg_notify('taskman_jobs', 'redeliver')",
	3, DB_ROW };

static const struct field_spec create_specs[] = {
	{ "url", FT_STRING, F_REQUIRED | F_BYTES, 10, 2048, NULL, 0, 0, NULL },
	{ "events", FT_STRING_SET, F_REQUIRED, 0, 20, NULL, 1, 40, NULL },
	{ "project_id", FT_UUID, F_NULLABLE, 0, 0, NULL, 0, 0, NULL },
	{ "description", FT_STRING, F_NULLABLE, 0, 500, NULL, 0, 0, NULL },
	{ "active", FT_BOOL, 0, 0, 0, NULL, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

static const struct field_spec patch_specs[] = {
	{ "url", FT_STRING, F_BYTES, 10, 2048, NULL, 0, 0, NULL },
	{ "events", FT_STRING_SET, 0, 0, 20, NULL, 1, 40, NULL },
	{ "project_id", FT_UUID, F_NULLABLE, 0, 0, NULL, 0, 0, NULL },
	{ "description", FT_STRING, F_NULLABLE, 0, 500, NULL, 0, 0, NULL },
	{ "active", FT_BOOL, 0, 0, 0, NULL, 0, 0, NULL },
	PLAN_VERSION_FIELD,
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

static const struct plan_cfield cfields[] = {
	{ "webhooks_url_check", "url", "must be an http:// or https:// URL" },
	{ "webhooks_events_check", "events", "must name 1 to 20 known events" },
	{ "webhooks_description_check", "description", "must be at most 500 characters" },
	{ NULL, NULL, NULL }
};

/*
 * Whether url is an absolute http(s) URL with a host, printable ASCII
 * without spaces, and without user:password@ (it would be shown back in
 * every GET and the delivery log).
 */
static bool
url_ok(const char *url)
{
	const char	*h, *end;

	if (strncmp(url, "https://", 8) == 0)
		h = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		h = url + 7;
	else
		return false;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	end = h + strcspn(h, "/?#");
	if (end == h || memchr(h, '@', (size_t)(end - h)) != NULL)
		return false;
	return true;
}

/*
 * Checks url and events beyond the field specs and makes the events
 * parameter: an SQL text[] literal of the (known, hence quote-free)
 * names.  Returns 0 or 422.
 */
static int
check_body(struct req *r, const struct field_spec *specs, bool partial,
    char *events, size_t evlen, const char **evparam)
{
	json_object	*errs = json_object_new_array(), *ev;
	const char	*url = json_str(r->json, "url");
	size_t		 n, i, off;
	bool		 known;

	*evparam = NULL;
	json_validate(r->json, specs, partial, errs);
	if (json_object_array_length(errs) > 0)
		return plan_body_errors(r, errs);
	if (url != NULL && !url_ok(url))
		json_error_add(errs, "url", "must be an http:// or https:// URL with a host "
		    "and without user:password@");
	if (json_object_object_get_ex(r->json, "events", &ev) && ev != NULL) {
		n = json_object_array_length(ev);
		if (n == 0)
			json_error_add(errs, "events", "must name at least one event");
		off = (size_t)snprintf(events, evlen, "{");
		for (i = 0; i < n; i++) {
			const char *e = json_object_get_string(json_object_array_get_idx(ev, i));

			known = false;
			for (const char *const *k = event_names; *k; k++)
				known = known || strcmp(*k, e) == 0;
			if (!known) {
				json_error_add(errs, "events", "names an unknown event");
				break;
			}
			if (off < evlen)
				off += (size_t)snprintf(events + off, evlen - off, "%s\"%s\"",
				    i ? "," : "", e);
		}
		if (off < evlen)
			off += (size_t)snprintf(events + off, evlen - off, "}");
		if (off >= evlen)
			json_error_add(errs, "events", "is too long");
		*evparam = events;
	}
	return plan_body_errors(r, errs);
}

/* A validated boolean member as an SQL parameter; NULL when absent. */
static const char *
bool_param(json_object *body, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(body, key, &v) || v == NULL)
		return NULL;
	return json_object_get_boolean(v) ? "true" : "false";
}

static int
project_problem(struct req *r)
{
	json_object *errs = json_object_new_array();

	json_error_add(errs, "project_id", "is not one of your projects");
	return http_problem_errors(r, 422, "the body breaks the field rules", errs);
}

int
webhooks_list(struct req *r)
{
	struct db_user	 as = http_db_user(r);
	struct list_page p;
	const char	*v[3];
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*items, *o;
	long		 total;
	int		 st, i;

	if ((st = list_parse_page(r, &p, false)) != 0)
		return st;
	v[0] = r->user.id;
	v[1] = p.limit_s;
	v[2] = p.offset_s;
	if ((s = db_exec(&r->app->db, &as, &st_list, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	items = json_object_new_array();
	total = PQntuples(res) > 0 ? atol(PQgetvalue(res, 0, 0)) : 0;
	for (i = 0; i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, 1))
			continue;
		if ((o = json_from_db(PQgetvalue(res, i, 1))) == NULL) {
			PQclear(res);
			json_object_put(items);
			return http_problem(r, 500, "out of memory");
		}
		json_object_array_add(items, o);
	}
	PQclear(res);
	return list_respond(r, &p, items, total, NULL);
}

int
webhooks_create(struct req *r)
{
	struct db_user	 as = http_db_user(r);
	unsigned char	 key[32];
	char		 hex[65], events[1024], loc[96];
	const char	*v[7];
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*o;
	int		 st;

	if ((st = check_body(r, create_specs, false, events, sizeof(events), &v[2])) != 0)
		return st;
	if (RAND_bytes(key, sizeof(key)) != 1)
		return http_problem(r, 500, "no random bytes for the secret");
	for (size_t i = 0; i < sizeof(key); i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	v[0] = r->user.id;
	v[1] = json_str(r->json, "url");
	v[3] = json_str(r->json, "project_id");
	v[4] = json_str(r->json, "description");
	v[5] = bool_param(r->json, "active");
	v[6] = hex;
	s = db_exec(&r->app->db, &as, &st_create, v, &res);
	memset(key, 0, sizeof(key));
	if (s == DB_NOT_FOUND)
		st = project_problem(r);
	else if (s != DB_OK)
		st = plan_db_problem(r, s, cfields);
	else if ((o = json_from_db(PQgetvalue(res, 0, 0))) == NULL)
		st = http_problem(r, 500, "out of memory");
	else {
		/* shown this once: never stored anywhere the API can read */
		json_object_object_add(o, "secret", json_object_new_string(hex));
		snprintf(loc, sizeof(loc), "/api/v1/webhooks/%s", PQgetvalue(res, 0, 1));
		http_header(r, "Location", "%s", loc);
		http_etag(r, atol(PQgetvalue(res, 0, 2)));
		st = http_json(r, 201, o);
	}
	memset(hex, 0, sizeof(hex));
	PQclear(res);
	return st;
}

int
webhooks_get(struct req *r)
{
	return plan_get(r, &st_get);
}

int
webhooks_patch(struct req *r)
{
	struct plan_pre	 pre;
	char		 events[1024];
	const char	*v[12];
	PGresult	*res = NULL;
	int		 st;

	if ((st = check_body(r, patch_specs, true, events, sizeof(events), &v[3])) != 0)
		return st;
	v[0] = r->params[0];
	v[1] = r->user.id;
	v[2] = json_str(r->json, "url");
	v[4] = plan_has(r->json, "project_id");
	v[5] = json_str(r->json, "project_id");
	v[6] = plan_has(r->json, "description");
	v[7] = json_str(r->json, "description");
	v[8] = bool_param(r->json, "active");
	v[9] = NULL;
	if ((st = plan_patch_exec(r, &st_update, v, &pre, cfields, &res)) != 0)
		return st;
	if (strcmp(PQgetvalue(res, 0, 3), "t") != 0)
		st = project_problem(r);
	else if (PQgetisnull(res, 0, 2))	/* no version after: not written */
		st = plan_not_written(r, &pre, atol(PQgetvalue(res, 0, 0)));
	else
		st = plan_respond(r, res, 1);
	PQclear(res);
	return st;
}

int
webhooks_delete(struct req *r)
{
	return plan_delete(r, &st_delete);
}

/* Runs a statement of one JSON row and answers it with status. */
static int
one_json(struct req *r, const struct db_stmt *stmt, const char **v, int status)
{
	struct db_user	 as = http_db_user(r);
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*o;
	int		 st;

	if ((s = db_exec(&r->app->db, &as, stmt, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	if ((o = json_from_db(PQgetvalue(res, 0, 0))) == NULL)
		st = http_problem(r, 500, "out of memory");
	else
		st = http_json(r, status, o);
	PQclear(res);
	return st;
}

int
webhooks_ping(struct req *r)
{
	const char *v[2] = { r->params[0], r->user.id };

	return one_json(r, &st_ping, v, 202);
}

int
webhooks_deliveries(struct req *r)
{
	struct db_user	 as = http_db_user(r);
	const char	*v[2] = { r->params[0], r->user.id };
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*o, *items;

	if ((s = db_exec(&r->app->db, &as, &st_deliveries, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	items = json_from_db(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (items == NULL)
		return http_problem(r, 500, "out of memory");
	o = json_object_new_object();
	json_object_object_add(o, "items", items);
	return http_json(r, 200, o);
}

int
webhooks_redeliver(struct req *r)
{
	const char *v[3] = { r->params[0], r->params[1], r->user.id };

	return one_json(r, &st_redeliver, v, 202);
}
