/*
 * GET/PATCH /api/v1/users/me, GET /api/v1/admin/users,
 * PATCH /api/v1/admin/users/{id} (API.md section 2).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/list.h"
#include "api/users.h"
#include "app.h"
#include "auth/audit.h"
#include "auth/jwt.h"
#include "auth/password.h"
#include "auth/throttle.h"
#include "auth/tokens.h"
#include "json.h"
#include "valid.h"

/* The user JSON from columns: taskman_app may not read users.password_hash,
 * so no whole-row reference (taskman_user_json(u) would need every column). */
#define USER_COLS	"id, email, username, display_name, role, disabled, " \
	"created_at, updated_at, version"
#define USER_JSON(t)	"taskman_user_json(" t ".id, " t ".email, " t ".username, " \
	t ".display_name, " t ".role, " t ".disabled, " t ".created_at, " \
	t ".updated_at, " t ".version)"

/*
 * The caller's own view adds notify_email (schema 0007: e-mail
 * notifications, API.md section 9) to the user JSON.
 */
#define ME_COLS		USER_COLS ", notify_email"
#define ME_JSON(t)	"(" USER_JSON(t) "::jsonb || " \
	"jsonb_build_object('notify_email', " t ".notify_email))::json"

static const struct db_stmt st_me = { "users_me",
	"SELECT " ME_JSON("u") ", u.version FROM users u WHERE u.id = $1", 1, DB_ROW };
/* PATCH /users/me with a password: $1 network, $2-$4 limits (schema 0006) */
static const struct db_stmt st_reauth_begin = { "users_reauth_begin",
	"SELECT retry_after, settings, hash_len FROM taskman_reauth_begin($1, "
	"$2::integer, $3::integer, $4::integer)", 4, DB_ROW };
/* $1 network, $2 candidate PHC string, $3 request id */
static const struct db_stmt st_reauth_verify = { "users_reauth_verify",
	"SELECT taskman_reauth_verify($1, $2, $3)", 3, DB_ROW };
/*
 * $1 id, $2 set display_name?, $3 display_name, $4 set username?, $5 username,
 * $6 If-Match version or NULL, $7 notify_email or NULL
 */
static const struct db_stmt st_me_update = { "users_me_update",
	"WITH u AS (UPDATE users SET "
	"  display_name = CASE WHEN $2::boolean THEN $3 ELSE display_name END, "
	"  username = CASE WHEN $4::boolean THEN $5 ELSE username END, "
	"  notify_email = coalesce($7::boolean, notify_email), "
	"  updated_at = now(), version = version + 1 "
	"  WHERE id = $1 AND ($6::integer IS NULL OR version = $6::integer) "
	"  RETURNING " ME_COLS ") "
	"SELECT " ME_JSON("u") ", u.version FROM u", 7, DB_ROW };
/*
 * The same with a new password: $6 new hash, $7 If-Match version or NULL,
 * $8 this login's session family (kept), $9 addr, $10 request id, $11
 * notify_email or NULL.  The other sessions are revoked (their access
 * tokens stop working at once).
 */
static const struct db_stmt st_me_update_pw = { "users_me_update_pw",
	"WITH u AS (UPDATE users SET "
	"  display_name = CASE WHEN $2::boolean THEN $3 ELSE display_name END, "
	"  username = CASE WHEN $4::boolean THEN $5 ELSE username END, "
	"  password_hash = $6::text, "
	"  notify_email = coalesce($11::boolean, notify_email), "
	"  updated_at = now(), version = version + 1 "
	"  WHERE id = $1 AND ($7::integer IS NULL OR version = $7::integer) "
	"  RETURNING " ME_COLS "), "
	"s AS (UPDATE refresh_sessions SET revoked_at = now() "
	"  WHERE EXISTS (SELECT 1 FROM u) AND user_id = $1 "
	"  AND revoked_at IS NULL AND family_id IS DISTINCT FROM $8::uuid), "
	"a AS (INSERT INTO audit_events (actor_id, target_id, action, client_addr, request_id) "
	"  SELECT $1, $1, 'password.change', left($9, 64), left($10, 128) "
	"  WHERE EXISTS (SELECT 1 FROM u)) "
	"SELECT " ME_JSON("u") ", u.version FROM u", 11, DB_ROW };
/*
 * Newest first.  $1 limit + 1 (one row more tells "there is more"),
 * $2 offset, $3/$4 the keyset cursor (created_at, id of the last row seen)
 * or NULL.  Columns: user json, total, cursor key of the row, id.  The
 * count comes as a scalar subquery so a page past the end still has it.
 */
static const struct db_stmt st_admin_list = { "users_admin_list",
	"SELECT u.json, c.total, u.key, u.id FROM "
	"(SELECT count(*) AS total FROM users) c LEFT JOIN LATERAL "
	"(SELECT " USER_JSON("x") " AS json, x.id, "
	"  to_char(x.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS key "
	"  FROM users x WHERE $3::timestamptz IS NULL "
	"  OR (x.created_at, x.id) < ($3::timestamptz, $4::uuid) "
	"  ORDER BY x.created_at DESC, x.id DESC LIMIT $1::integer OFFSET $2::integer) u "
	"ON true", 4, 0 };
/*
 * $1 target, $2 role or NULL, $3 disabled or NULL, $4 If-Match version or
 * NULL, $5 actor, $6 addr, $7 request id.  The old values come from the
 * statement's snapshot (o), so the audit rows say from what to what.
 */
static const struct db_stmt st_admin_update = { "users_admin_update",
	"WITH o AS (SELECT role, disabled FROM users WHERE id = $1), "
	"u AS (UPDATE users SET role = coalesce($2, role), "
	"  disabled = coalesce($3::boolean, disabled), updated_at = now(), "
	"  version = version + 1 "
	"  WHERE id = $1 AND ($4::integer IS NULL OR version = $4::integer) "
	"  RETURNING " USER_COLS "), "
	"s AS (UPDATE refresh_sessions SET revoked_at = now() WHERE user_id = $1 "
	"  AND revoked_at IS NULL AND (SELECT disabled FROM u)), "
	"a AS (INSERT INTO audit_events (actor_id, target_id, action, client_addr, "
	"  request_id, details) "
	"  SELECT $5::uuid, $1::uuid, 'user.role_change', left($6, 64), left($7, 128), "
	"    jsonb_build_object('from', o.role, 'to', u.role) "
	"    FROM o, u WHERE o.role IS DISTINCT FROM u.role "
	"  UNION ALL "
	"  SELECT $5::uuid, $1::uuid, CASE WHEN u.disabled THEN 'user.disable' ELSE 'user.enable' END, "
	"    left($6, 64), left($7, 128), '{}'::jsonb "
	"    FROM o, u WHERE o.disabled IS DISTINCT FROM u.disabled) "
	"SELECT " USER_JSON("u") ", u.version, "
	"  (SELECT role FROM o) IS DISTINCT FROM u.role, "
	"  (SELECT disabled FROM o) IS DISTINCT FROM u.disabled FROM u", 7, 0 };
static const struct db_stmt st_admin_exists = { "users_admin_exists",
	"SELECT 1 FROM users WHERE id = $1", 1, 0 };

static const struct field_spec me_specs[] = {
	{ "display_name", FT_STRING, F_NULLABLE, 1, 100, NULL, 0, 0, NULL },
	{ "username", FT_STRING, F_NULLABLE, 3, 32, NULL, 0, 0, NULL },
	{ "password", FT_STRING, F_BYTES, PASSWORD_MIN_BYTES, PASSWORD_MAX_BYTES,
	    NULL, 0, 0, NULL },
	{ "current_password", FT_STRING, F_BYTES, 1, PASSWORD_MAX_BYTES, NULL, 0, 0, NULL },
	{ "notify_email", FT_BOOL, 0, 0, 0, NULL, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

static const char *const roles[] = { "admin", "user", "readonly", NULL };
static const struct field_spec admin_specs[] = {
	{ "role", FT_ENUM, 0, 0, 0, roles, 0, 0, NULL },
	{ "disabled", FT_BOOL, 0, 0, 0, NULL, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }
};

static struct db_user
as_caller(const struct req *r)
{
	return http_db_user(r);
}

/* 200 with the user JSON in column 0 and its version in column 1. */
static int
user_response(struct req *r, int status, PGresult *res)
{
	http_etag(r, atol(PQgetvalue(res, 0, 1)));
	return http_json(r, status, json_from_db(PQgetvalue(res, 0, 0)));
}

/* Query keys a GET takes: each at most once; anything else is a 400. */
struct query_seen {
	const char *const	*allowed;	/* NULL-terminated */
	unsigned		 seen;
	char			 bad[64];
	const char		*why;
};

static int
query_key(const char *key, size_t keylen, void *arg)
{
	struct query_seen	*q = arg;
	unsigned		 i;

	if (key == NULL) {
		snprintf(q->bad, sizeof(q->bad), "(query)");
		q->why = "has a parameter name that is not valid";
		return 1;
	}
	snprintf(q->bad, sizeof(q->bad), "%.*s", (int)keylen, key);
	for (i = 0; q->allowed[i] != NULL; i++) {
		if (strlen(q->allowed[i]) != keylen || memcmp(q->allowed[i], key, keylen) != 0)
			continue;
		if (q->seen & (1u << i)) {
			q->why = "is given more than once";
			return 1;
		}
		q->seen |= 1u << i;
		return 0;
	}
	q->why = "is not a parameter of this endpoint";
	return 1;
}

/* 0, or 400 naming the first unknown or repeated query parameter. */
static int
query_only(struct req *r, const char *const *allowed)
{
	struct query_seen	 q = { allowed, 0, "", NULL };
	json_object		*errs;
	char			 detail[160];

	if (http_query_each(r->query, query_key, &q) == 0)
		return 0;
	errs = json_object_new_array();
	json_error_add(errs, q.bad, q.why);
	snprintf(detail, sizeof(detail), "query parameter %s %s", q.bad, q.why);
	return http_problem_errors(r, 400, detail, errs);
}

int
users_me_get(struct req *r)
{
	struct db_user	 as = as_caller(r);
	const char	*v[1] = { r->user.id };
	static const char *const none[] = { NULL };
	PGresult	*res = NULL;
	enum db_status	 s;
	int		 st;

	if ((st = query_only(r, none)) != 0)
		return st;
	if ((s = db_exec(&r->app->db, &as, &st_me, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	if (http_not_modified(r, atol(PQgetvalue(res, 0, 1)))) {
		http_etag(r, atol(PQgetvalue(res, 0, 1)));
		st = http_no_content(r, 304);
	} else
		st = user_response(r, 200, res);
	PQclear(res);
	return st;
}

/* If-Match as a SQL parameter: 0 none, 1 set (into buf), or 412 set. */
static int
if_match_param(struct req *r, char *buf, size_t len, const char **param)
{
	long v;

	*param = NULL;
	switch (http_if_match(r, &v)) {
	case 1:
		/* versions are integers: a larger tag names none (0 never matches) */
		snprintf(buf, len, "%ld", v > INT_MAX ? 0L : v);
		*param = buf;
		return 0;
	case -1:
		return http_problem(r, 412, "If-Match must be an ETag of this resource");
	default:
		return 0;
	}
}

/*
 * current_password of PATCH /users/me, checked like a login password (the
 * same throttle counts it, schema 0006).  0, or a status with the problem:
 * 422 wrong, 429 locked, 503 hashing cap, 401 session gone.
 */
static int
check_current_password(struct req *r, json_object *cpo)
{
	struct db_user	 as = as_caller(r);
	const char	*v[4];
	char		 net[THROTTLE_NET_MAX], cand[PASSWORD_HASH_MAX];
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*errs;
	long		 retry;
	int		 st;

	throttle_client_net(r->remote_addr, net, sizeof(net));
	v[0] = net;
	v[1] = THROTTLE_PAIR_LIMIT;
	v[2] = THROTTLE_ADDR_LIMIT;
	v[3] = THROTTLE_SOFT_LIMIT;
	s = db_exec(&r->app->db, &as, &st_reauth_begin, v, &res);
	if (s != DB_OK)
		return http_db_problem(r, s == DB_NOT_FOUND ? DB_UNAUTHENTICATED : s);
	if ((retry = atol(PQgetvalue(res, 0, 0))) > 0) {
		PQclear(res);
		http_header(r, "Retry-After", "%ld", retry);
		return http_problem(r, 429, "too many wrong passwords; try again later");
	}
	st = throttle_candidate(r, PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1),
	    atoi(PQgetvalue(res, 0, 2)), json_object_get_string(cpo),
	    (size_t)json_object_get_string_len(cpo), cand, sizeof(cand));
	PQclear(res);
	res = NULL;
	if (st != 0)
		return st;
	v[0] = net;
	v[1] = cand;
	v[2] = r->request_id;
	if ((s = db_exec(&r->app->db, &as, &st_reauth_verify, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	st = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (st)
		return 0;
	audit_log(r, "reauth.failure", r->user.id, r->user.id);
	errs = json_object_new_array();
	json_error_add(errs, "current_password", "is not the current password");
	return http_problem_errors(r, 422, "the current password is wrong", errs);
}

int
users_me_patch(struct req *r)
{
	struct app	*a = r->app;
	struct db_user	 as = as_caller(r);
	json_object	*errs, *pwo = NULL, *cpo = NULL;
	const char	*v[11];
	json_object	*ne = NULL;
	const char	*notify;
	char		 newhash[PASSWORD_HASH_MAX], ifm[24], sid[37];
	PGresult	*res = NULL;
	enum db_status	 s;
	bool		 has_pw, has_cp;
	int		 st;

	errs = json_object_new_array();
	json_validate(r->json, me_specs, true, errs);
	has_pw = json_object_object_get_ex(r->json, "password", &pwo);
	has_cp = json_object_object_get_ex(r->json, "current_password", &cpo);
	if (has_pw && !has_cp)
		json_error_add(errs, "current_password", "is required to change the password");
	if (has_cp && !has_pw)
		json_error_add(errs, "current_password", "is only accepted with password");
	if (json_str(r->json, "username") != NULL && !valid_username(json_str(r->json,
	    "username"), strlen(json_str(r->json, "username"))))
		json_error_add(errs, "username", "must be letters, digits, _ . or -, "
		    "starting with a letter or digit");
	if (json_object_array_length(errs) > 0)
		return http_problem_errors(r, 422, "the body breaks the field rules", errs);
	json_object_put(errs);
	if ((st = if_match_param(r, ifm, sizeof(ifm), &v[6])) != 0)
		return st;

	if (has_pw && (st = check_current_password(r, cpo)) != 0)
		return st;
	if (has_pw && (st = throttle_hash(r, json_object_get_string(pwo),
	    (size_t)json_object_get_string_len(pwo), newhash, sizeof(newhash))) != 0)
		return st;
	snprintf(sid, sizeof(sid), "%s", r->user.sid);
	v[0] = r->user.id;
	v[1] = json_has(r->json, "display_name") ? "true" : "false";
	v[2] = json_str(r->json, "display_name");
	v[3] = json_has(r->json, "username") ? "true" : "false";
	v[4] = json_str(r->json, "username");
	notify = json_object_object_get_ex(r->json, "notify_email", &ne) && ne != NULL ?
	    (json_object_get_boolean(ne) ? "true" : "false") : NULL;
	if (has_pw) {
		v[5] = newhash;
		v[7] = sid[0] ? sid : NULL;
		v[8] = r->remote_addr;
		v[9] = r->request_id;
		v[10] = notify;
	} else {
		v[5] = v[6];	/* If-Match */
		v[6] = notify;
	}
	s = db_exec(&a->db, &as, has_pw ? &st_me_update_pw : &st_me_update, v, &res);
	if (s == DB_NOT_FOUND)
		st = http_problem(r, 412, "the user has changed since that ETag");
	else if (s == DB_CONFLICT)
		st = http_problem(r, 409, "that username is taken");
	else if (s != DB_OK)
		st = http_db_problem(r, s);
	else {
		if (has_pw)
			audit_log(r, "password.change", r->user.id, r->user.id);
		st = user_response(r, 200, res);
	}
	PQclear(res);
	return st;
}

/*
 * The admin list's cursor: base64url of "<created_at with microseconds>|<id>"
 * of the last row of a page.  Returns 0 with key and id filled, -1 if it
 * is not one this endpoint made.
 */
static int
cursor_decode(const char *c, char key[40], char id[HTTP_UUID_LEN + 1])
{
	unsigned char	 raw[96];
	int		 n;
	const char	*bar;

	n = jwt_b64url_decode(c, strlen(c), raw, sizeof(raw) - 1);
	if (n <= 0)
		return -1;
	raw[n] = '\0';
	if ((bar = strchr((char *)raw, '|')) == NULL ||
	    (size_t)(bar - (char *)raw) >= 40 ||
	    !valid_timestamp((char *)raw, (size_t)(bar - (char *)raw)) ||
	    !valid_uuid(bar + 1, strlen(bar + 1)))
		return -1;
	memcpy(key, raw, (size_t)(bar - (char *)raw));
	key[bar - (char *)raw] = '\0';
	memcpy(id, bar + 1, HTTP_UUID_LEN + 1);
	return 0;
}

int
users_admin_list(struct req *r)
{
	struct db_user		 as = as_caller(r);
	struct list_page	 p;
	const char		*v[4];
	char			 limit1[24], key[40], id[HTTP_UUID_LEN + 1];
	char			 raw[96], next[140];
	PGresult		*res = NULL;
	enum db_status		 s;
	json_object		*items;
	long			 total;
	static const char *const paging[] = { "limit", "offset", "cursor", NULL };
	int			 i, n, st;
	bool			 more;

	if ((st = query_only(r, paging)) != 0 ||
	    (st = list_parse_page(r, &p, true)) != 0)
		return st;
	v[2] = v[3] = NULL;
	if (p.cursor[0] != '\0') {
		if (cursor_decode(p.cursor, key, id) != 0) {
			json_object *errs = json_object_new_array();

			json_error_add(errs, "cursor", "is not a cursor this API issued");
			return http_problem_errors(r, 400, "query parameter cursor is not "
			    "a cursor this API issued", errs);
		}
		v[2] = key;
		v[3] = id;
	}
	snprintf(limit1, sizeof(limit1), "%ld", p.limit + 1);
	v[0] = limit1;
	v[1] = p.offset_s;
	if ((s = db_exec(&r->app->db, &as, &st_admin_list, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	total = atol(PQgetvalue(res, 0, 1));
	/* an empty page is one row with NULL columns but the count */
	n = PQgetisnull(res, 0, 3) ? 0 : PQntuples(res);
	more = n > p.limit;
	if (more)
		n = (int)p.limit;
	items = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(items, json_from_db(PQgetvalue(res, i, 0)));
	next[0] = '\0';
	if (more) {
		snprintf(raw, sizeof(raw), "%s|%s", PQgetvalue(res, n - 1, 2),
		    PQgetvalue(res, n - 1, 3));
		if (jwt_b64url_encode((const unsigned char *)raw, strlen(raw), next,
		    sizeof(next)) < 0)
			next[0] = '\0';
	}
	PQclear(res);
	return list_respond(r, &p, items, total, next[0] ? next : NULL);
}

int
users_admin_patch(struct req *r)
{
	struct db_user	 as = as_caller(r);
	const char	*v[7], *role;
	char		 ifm[24];
	PGresult	*res = NULL;
	enum db_status	 s;
	json_object	*errs, *d;
	bool		 disable = false;
	int		 st;

	errs = json_object_new_array();
	if (json_validate(r->json, admin_specs, true, errs) > 0)
		return http_problem_errors(r, 422, "the body breaks the field rules", errs);
	json_object_put(errs);
	role = json_str(r->json, "role");
	if (json_object_object_get_ex(r->json, "disabled", &d) && d != NULL)
		disable = json_object_get_boolean(d);
	/* an admin cannot lock themselves out; another admin must do it */
	if (strcasecmp(r->params[0], r->user.id) == 0 &&
	    ((role != NULL && strcmp(role, "admin") != 0) || disable))
		return http_problem(r, 409, "administrators cannot demote or disable themselves");
	if ((st = if_match_param(r, ifm, sizeof(ifm), &v[3])) != 0)
		return st;
	v[0] = r->params[0];
	v[1] = role;
	v[2] = json_has(r->json, "disabled") && d != NULL ? (disable ? "true" : "false") : NULL;
	v[4] = r->user.id;
	v[5] = r->remote_addr;
	v[6] = r->request_id;
	if ((s = db_exec(&r->app->db, &as, &st_admin_update, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	if (PQntuples(res) == 0) {
		PQclear(res);
		/* 412 if the user exists (stale If-Match), else 404 */
		s = db_exec(&r->app->db, &as, &st_admin_exists, v, &res);
		if (s != DB_OK)
			st = http_db_problem(r, s);
		else if (PQntuples(res) > 0 && v[3] != NULL)
			st = http_problem(r, 412, "the user has changed since that ETag");
		else
			st = http_problem(r, 404, "no such user");
		PQclear(res);
		return st;
	}
	if (strcmp(PQgetvalue(res, 0, 2), "t") == 0)
		audit_log(r, "user.role_change", r->user.id, r->params[0]);
	if (strcmp(PQgetvalue(res, 0, 3), "t") == 0)
		audit_log(r, disable ? "user.disable" : "user.enable", r->user.id, r->params[0]);
	st = user_response(r, 200, res);
	PQclear(res);
	return st;
}

/* The body specs of this module's routes (t/fuzz/fuzz_json.c drives them). */
const struct field_spec *const users_field_specs[] = {
	me_specs, admin_specs, NULL
};
