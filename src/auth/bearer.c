#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app.h"
#include "auth/bearer.h"
#include "auth/jwt.h"
#include "auth/tokens.h"
#include "json.h"
#include "log.h"
#include "valid.h"

static const struct db_stmt st_external = { "bearer_external_user",
	"SELECT id, role, disabled FROM taskman_external_user($1, $2, $3)", 3, DB_ROW };

static int
reject(struct req *r, enum jwt_status s, const char *why)
{
	log_msg(LOG_DEBUG, "auth_rejected", "request %s: %s (%s)", r->request_id,
	    jwt_status_str(s), why);
	return http_problem(r, 401, s == JWT_EXPIRED ? "the access token has expired" :
	    "a valid bearer token is required");
}

static const char *
claim_str(json_object *cl, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(cl, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool
role_ok(const char *role)
{
	return role != NULL && (strcmp(role, "admin") == 0 ||
	    strcmp(role, "user") == 0 || strcmp(role, "readonly") == 0);
}

/* email_verified is JSON true (not "true", not absent). */
static bool
email_verified(json_object *cl)
{
	json_object *v;

	return json_object_object_get_ex(cl, "email_verified", &v) &&
	    json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

/*
 * An external issuer's subject, mapped to (and on first sight made) a local
 * user.  Its e-mail address is stored only when the issuer says it verified
 * it: otherwise anyone who can sign up there could claim any address here.
 */
static int
external_user(struct req *r, json_object *cl, const char *iss, const char *sub)
{
	const char	*v[3] = { iss, sub, claim_str(cl, "email") };
	PGresult	*res = NULL;
	enum db_status	 s;
	int		 st = 0;

	if (v[2] != NULL && (!valid_email(v[2], strlen(v[2])) || !email_verified(cl)))
		v[2] = NULL;
	if ((s = db_exec(&r->app->db, NULL, &st_external, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	if (strcmp(PQgetvalue(res, 0, 2), "t") == 0) {
		st = reject(r, JWT_OK, "external user is disabled");
		goto out;
	}
	snprintf(r->user.id, sizeof(r->user.id), "%s", PQgetvalue(res, 0, 0));
	snprintf(r->user.role, sizeof(r->user.role), "%s", PQgetvalue(res, 0, 1));
out:
	PQclear(res);
	return st;
}

int
bearer_authenticate(struct req *r)
{
	const struct config	*c = r->app->cfg;
	struct jwt_expect	 ex = { JWT_MAX_LEEWAY, false };
	const char		*h = r->authorization, *tok, *iss, *sub, *role, *sid;
	json_object		*cl = NULL;
	enum jwt_status		 s;
	char			 why[128] = "";
	size_t			 len;
	int			 st;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return http_problem(r, 401, "a bearer token is required");
	for (tok = h + 7; *tok == ' '; tok++)
		;
	len = strlen(tok);
	while (len > 0 && tok[len - 1] == ' ')
		len--;
	if (len == 0 || len > JWT_MAX_TOKEN)
		return reject(r, JWT_MALFORMED, "empty or oversized token");
	s = jwt_verify(r->app->tokens->keys, tok, len, time(NULL), &ex, &cl, why,
	    sizeof(why));
	if (s != JWT_OK)
		return reject(r, s, why);

	iss = claim_str(cl, "iss");
	sub = claim_str(cl, "sub");
	if (iss != NULL && strcmp(iss, c->jwt_issuer) == 0) {
		role = claim_str(cl, "role");
		sid = claim_str(cl, "sid");
		if (sub == NULL || !valid_uuid(sub, strlen(sub)) || !role_ok(role) ||
		    (sid != NULL && !valid_uuid(sid, strlen(sid)))) {
			st = reject(r, JWT_BAD_CLAIMS, "sub, role or sid malformed");
			goto out;
		}
		snprintf(r->user.id, sizeof(r->user.id), "%s", sub);
		snprintf(r->user.role, sizeof(r->user.role), "%s", role);
		snprintf(r->user.sid, sizeof(r->user.sid), "%s", sid ? sid : "");
	} else if ((st = external_user(r, cl, iss, sub)) != 0)
		goto out;
	r->user.known = true;
	st = 0;
out:
	json_object_put(cl);
	return st;
}
