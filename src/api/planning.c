/*
 * Helpers shared by the planning resources (projects, sprints, action
 * lists): see planning.h.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/planning.h"
#include "app.h"
#include "auth/jwt.h"
#include "json.h"
#include "valid.h"

/* db_exec() of stmt as the request's user (row-level security). */
static enum db_status
exec_as_user(struct req *r, const struct db_stmt *stmt, const char *const *v,
    PGresult **res)
{
	struct db_user as = http_db_user(r);

	return db_exec(&r->app->db, &as, stmt, v, res);
}

/* ------------------------------------------------------------------ */
/* Preconditions */

/* One strong ETag "N" with 1 <= N <= INT_MAX (versions are integers). */
static bool
strong_etag(const char *s, size_t n, long *v)
{
	long	 x = 0;
	size_t	 i;

	if (n < 3 || n > 12 || s[0] != '"' || s[n - 1] != '"')
		return false;
	for (i = 1; i < n - 1; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (s[i] - '0');
	}
	if (x < 1 || x > INT_MAX)
		return false;
	*v = x;
	return true;
}

/*
 * Reads If-Match and, when r->json is set (a PATCH), its "version" into
 * pre (see struct plan_pre).  Cannot fail.
 */
static void
preconditions(struct req *r, struct plan_pre *pre)
{
	const char	*p = r->if_match, *e;
	json_object	*v;
	size_t		 n, used;
	long		 x;
	bool		 any = false;

	memset(pre, 0, sizeof(*pre));
	if (p != NULL) {
		while (*p != '\0') {
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			if (*p == '\0')
				break;
			e = p + strcspn(p, ",");
			n = (size_t)(e - p);
			while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
				n--;
			if (n == 1 && p[0] == '*')
				any = true;
			else if (strong_etag(p, n, &x) && pre->n_ifm < PLAN_IFM_MAX)
				pre->ifm_v[pre->n_ifm++] = x;
			/* weak or malformed tags never match: left out */
			p = e;
		}
		if (!any) {
			used = (size_t)snprintf(pre->ifm, sizeof(pre->ifm), "{");
			for (int i = 0; i < pre->n_ifm; i++)
				used += (size_t)snprintf(pre->ifm + used, sizeof(pre->ifm) - used,
				    "%s%ld", i ? "," : "", pre->ifm_v[i]);
			snprintf(pre->ifm + used, sizeof(pre->ifm) - used, "}");
			pre->ifm_param = pre->ifm;
		}
	}
	if (r->json != NULL && json_object_object_get_ex(r->json, "version", &v) &&
	    json_object_is_type(v, json_type_int)) {
		pre->bv_v = (long)json_object_get_int64(v);
		snprintf(pre->bv, sizeof(pre->bv), "%ld", pre->bv_v);
		pre->bv_param = pre->bv;
	}
}

bool
plan_pre_matches(const struct plan_pre *pre, long current)
{
	bool ifm_ok = pre->ifm_param == NULL;

	for (int i = 0; i < pre->n_ifm; i++)
		if (pre->ifm_v[i] == current)
			ifm_ok = true;
	return ifm_ok && (pre->bv_param == NULL || pre->bv_v == current);
}

/* plan_not_written() with a precondition given. */
static int
write_failed(struct req *r, const struct plan_pre *pre, long current)
{
	bool	ifm_ok = pre->ifm_param == NULL, bv_ok;
	char	detail[160];

	for (int i = 0; i < pre->n_ifm; i++)
		if (pre->ifm_v[i] == current)
			ifm_ok = true;
	bv_ok = pre->bv_param == NULL || pre->bv_v == current;
	if (!ifm_ok || (bv_ok && pre->ifm_param != NULL))
		return http_problem(r, 412, "If-Match does not name the current "
		    "version of this resource");
	snprintf(detail, sizeof(detail), "version %ld is stale; the current "
	    "version is %ld", pre->bv_v, current);
	return http_problem_type(r, 409, "version-conflict", "Version conflict",
	    bv_ok ? "the resource changed while this request was running" : detail);
}

int
plan_not_written(struct req *r, const struct plan_pre *pre, long current)
{
	if (pre->ifm_param == NULL && pre->bv_param == NULL)
		return http_problem(r, 404, "no such resource");	/* deleted meanwhile */
	return write_failed(r, pre, current);
}

/* ------------------------------------------------------------------ */
/* Database errors */

int
plan_db_problem(struct req *r, enum db_status s, const struct plan_cfield *map)
{
	const char	*cn = r->app->db.constraint;
	json_object	*errs;
	char		 detail[200];

	if ((s == DB_FK_VIOLATION || (s == DB_INVALID && cn[0] != '\0')) && map != NULL) {
		for (; map->constraint != NULL; map++) {
			if (strcmp(map->constraint, cn) != 0)
				continue;
			errs = json_object_new_array();
			json_error_add(errs, map->field, map->message);
			snprintf(detail, sizeof(detail), "%s %s", map->field, map->message);
			return http_problem_errors(r, 422, detail, errs);
		}
	}
	return http_db_problem(r, s);
}

/* ------------------------------------------------------------------ */
/* Bodies */

void
plan_check_blank(json_object *body, const char *key, const char *field,
    json_object *errs)
{
	json_object	*v;
	const char	*s;

	if (!json_object_object_get_ex(body, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return;
	for (s = json_object_get_string(v); *s != '\0'; s++)
		if (strchr(" \t\r\n\v\f", *s) == NULL)
			return;
	if (json_object_get_string_len(v) > 0)
		json_error_add(errs, field, "must contain a non-whitespace character");
}

void
plan_check_dates(json_object *body, const char *start, const char *end,
    json_object *errs)
{
	const char	*s = json_str(body, start), *e = json_str(body, end);
	char		 msg[80];

	if (json_object_array_length(errs) > 0 || s == NULL || e == NULL ||
	    strcmp(e, s) >= 0)
		return;
	snprintf(msg, sizeof(msg), "must be on or after %s", start);
	json_error_add(errs, end, msg);
}

int
plan_body_errors(struct req *r, json_object *errs)
{
	if (json_object_array_length(errs) > 0)
		return http_problem_errors(r, 422, "the body breaks the field rules", errs);
	json_object_put(errs);
	return 0;
}

const char *
plan_has(json_object *body, const char *key)
{
	return json_has(body, key) ? "true" : "false";
}

const char *
plan_text(json_object *body, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(body, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

/* ------------------------------------------------------------------ */
/* Lists */

static const char *const paging_names[] = { "limit", "offset", "cursor", "sort", NULL };

struct qcheck {
	const char *const	*filters;
	int			 seen[16];
	char			 bad[72];
	const char		*why;
};

static int
query_key(const char *key, size_t keylen, void *arg)
{
	struct qcheck	*q = arg;
	int		 i, j;

	if (key == NULL) {
		snprintf(q->bad, sizeof(q->bad), "(query)");
		q->why = "has a parameter name that is not valid percent-encoding";
		return 1;
	}
	for (i = 0; paging_names[i] != NULL; i++)
		if (strlen(paging_names[i]) == keylen && memcmp(paging_names[i], key, keylen) == 0)
			break;
	if (paging_names[i] == NULL) {
		for (j = 0; q->filters[j] != NULL; j++)
			if (strlen(q->filters[j]) == keylen &&
			    memcmp(q->filters[j], key, keylen) == 0)
				break;
		if (q->filters[j] == NULL || i + j >= 16) {
			snprintf(q->bad, sizeof(q->bad), "%.*s", (int)(keylen > 64 ? 64 : keylen), key);
			q->why = "is not a parameter of this list";
			return 1;
		}
		i += j;
	}
	if (q->seen[i]++ > 0) {
		snprintf(q->bad, sizeof(q->bad), "%.*s", (int)keylen, key);
		q->why = "is given more than once";
		return 1;
	}
	return 0;
}

static int
bad_param(struct req *r, const char *name, const char *msg)
{
	json_object	*errs = json_object_new_array();
	char		 detail[512];

	json_error_add(errs, name, msg);
	snprintf(detail, sizeof(detail), "query parameter %.80s %.400s", name, msg);
	return http_problem_errors(r, 400, detail, errs);
}

/* "-created_at" or "created_at" for variant v. */
static void
sort_spec(const struct plan_sort *sorts, int v, char *dst, size_t len)
{
	snprintf(dst, len, "%s%s", (v & 1) ? "-" : "", sorts[v / 2].name);
}

/* Cursor payload: "<sort spec>\n<id>\n" then '=' and the key, or '?' alone. */
static int
cursor_decode(struct req *r, const struct plan_sort *sorts, struct plan_list *l)
{
	unsigned char	 raw[LIST_CURSOR_IN_MAX];
	char		 spec[64], *s, *nl1, *nl2, *key;
	const char	*msg = "is not a cursor this API issued";
	int		 n;
	size_t		 klen;

	n = jwt_b64url_decode(l->page.cursor, strlen(l->page.cursor), raw, sizeof(raw) - 1);
	if (n <= 0)
		return bad_param(r, "cursor", msg);
	raw[n] = '\0';
	s = (char *)raw;
	if (memchr(raw, '\0', (size_t)n) != NULL || (nl1 = strchr(s, '\n')) == NULL ||
	    (nl2 = strchr(nl1 + 1, '\n')) == NULL)
		return bad_param(r, "cursor", msg);
	*nl1 = *nl2 = '\0';
	sort_spec(sorts, l->variant, spec, sizeof(spec));
	if (strcmp(s, spec) != 0)
		return bad_param(r, "cursor", "was issued for another sort");
	if (!valid_uuid(nl1 + 1, strlen(nl1 + 1)))
		return bad_param(r, "cursor", msg);
	snprintf(l->cid, sizeof(l->cid), "%s", nl1 + 1);
	l->cid_param = l->cid;
	key = nl2 + 1;
	/* cursors of earlier versions left a long key out ('?'): looked up by id */
	if (key[0] == '?' && key[1] == '\0' && sorts[l->variant / 2].kind == PK_TEXT)
		return 0;
	if (key[0] != '=')
		return bad_param(r, "cursor", msg);
	key++;
	klen = strlen(key);
	switch (sorts[l->variant / 2].kind) {
	case PK_TIME:
		if (!valid_timestamp(key, klen))
			return bad_param(r, "cursor", msg);
		break;
	case PK_DATE:
		if (!valid_date(key, klen))
			return bad_param(r, "cursor", msg);
		break;
	case PK_TEXT:
		if (valid_utf8_chars(key, klen) < 0)
			return bad_param(r, "cursor", msg);
		break;
	}
	snprintf(l->ckey, sizeof(l->ckey), "%s", key);
	l->ckey_param = l->ckey;
	return 0;
}

/* The cursor after the row with this key and id into dst; "" if it cannot be made. */
static void
cursor_encode(const struct plan_sort *sorts, int variant, const char *key,
    const char *id, char *dst, size_t dstlen)
{
	char	 payload[LIST_CURSOR_IN_MAX];
	char	 spec[64];
	int	 n;

	dst[0] = '\0';
	sort_spec(sorts, variant, spec, sizeof(spec));
	/*
	 * The key always travels in the cursor, so the next page continues
	 * after it even when its row is deleted meanwhile (a key looked up by
	 * id found nothing then: an empty page).  LIST_CURSOR_IN_MAX holds
	 * the longest key; 3 bytes -> 4 characters.
	 */
	n = snprintf(payload, sizeof(payload), "%s\n%s\n=%s", spec, id, key);
	if (n < 0 || (size_t)n > (dstlen - 1) / 4 * 3 || (size_t)n >= sizeof(payload))
		return;
	if (jwt_b64url_encode((const unsigned char *)payload, (size_t)n, dst, dstlen) < 0)
		dst[0] = '\0';
}

int
plan_list_parse(struct req *r, const char *const *filters,
    const struct plan_sort *sorts, int nsorts, struct plan_list *l)
{
	struct qcheck	 q;
	char		 v[64], allowed[256];
	size_t		 used;
	int		 rc, st, i;

	memset(l, 0, sizeof(*l));
	memset(&q, 0, sizeof(q));
	q.filters = filters;
	if (http_query_each(r->query, query_key, &q) != 0)
		return bad_param(r, q.bad, q.why);
	if ((st = list_parse_page(r, &l->page, true)) != 0)
		return st;
	snprintf(l->limit1, sizeof(l->limit1), "%ld", l->page.limit + 1);

	l->variant = 1;		/* "-" sorts[0] */
	rc = http_query_get(r->query, "sort", v, sizeof(v));
	if (rc != 0) {
		const char *name = v[0] == '-' ? v + 1 : v;

		for (i = 0; rc == 1 && i < nsorts; i++)
			if (strcmp(name, sorts[i].name) == 0)
				break;
		if (rc < 0 || i == nsorts) {
			used = (size_t)snprintf(allowed, sizeof(allowed), "must be one of");
			for (i = 0; i < nsorts && used < sizeof(allowed); i++)
				used += (size_t)snprintf(allowed + used, sizeof(allowed) - used,
				    "%s %s, -%s", i ? "," : "", sorts[i].name, sorts[i].name);
			return bad_param(r, "sort", allowed);
		}
		l->variant = 2 * i + (v[0] == '-');
	}
	if (l->page.cursor[0] != '\0')
		return cursor_decode(r, sorts, l);
	return 0;
}

int
plan_filter_enum(struct req *r, const char *name, const char *const *values,
    char *dst, size_t dstlen, const char **param)
{
	char		 v[256], msg[200], *tok, *save = NULL;
	size_t		 used, m;
	int		 rc, i;

	*param = NULL;
	if ((rc = http_query_get(r->query, name, v, sizeof(v))) == 0)
		return 0;
	used = (size_t)snprintf(msg, sizeof(msg), "must be a comma list of:");
	for (i = 0; values[i] != NULL && used < sizeof(msg); i++)
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s %s",
		    i ? "," : "", values[i]);
	if (rc < 0 || v[0] == '\0' || v[strlen(v) - 1] == ',' || strstr(v, ",,") != NULL ||
	    v[0] == ',')
		return bad_param(r, name, msg);
	used = (size_t)snprintf(dst, dstlen, "{");
	for (tok = strtok_r(v, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; values[i] != NULL; i++)
			if (strcmp(tok, values[i]) == 0)
				break;
		if (values[i] == NULL)
			return bad_param(r, name, msg);
		m = (size_t)snprintf(dst + used, dstlen - used, "%s%s",
		    used > 1 ? "," : "", tok);
		if (m >= dstlen - used)
			return bad_param(r, name, "is too long");
		used += m;
	}
	if (used + 2 > dstlen)
		return bad_param(r, name, "is too long");
	snprintf(dst + used, dstlen - used, "}");
	*param = dst;
	return 0;
}

int
plan_filter_uuid(struct req *r, const char *name, char dst[HTTP_UUID_LEN + 1],
    const char **param)
{
	char	 v[64];
	int	 rc;

	*param = NULL;
	if ((rc = http_query_get(r->query, name, v, sizeof(v))) == 0)
		return 0;
	if (rc < 0 || !valid_uuid(v, strlen(v)))
		return bad_param(r, name, "must be a UUID");
	for (int i = 0; i < HTTP_UUID_LEN; i++)
		dst[i] = (v[i] >= 'A' && v[i] <= 'F') ? (char)(v[i] - 'A' + 'a') : v[i];
	dst[HTTP_UUID_LEN] = '\0';
	*param = dst;
	return 0;
}

/* Answers a list from res (see plan_list_run()); takes nothing from res. */
static int
list_answer(struct req *r, const struct plan_list *l,
    const struct plan_sort *sorts, PGresult *res)
{
	json_object	*items = json_object_new_array(), *item;
	char		 next[LIST_CURSOR_IN_MAX];
	long		 total = 0;
	int		 n = PQntuples(res), i, shown;

	if (items == NULL)
		goto nomem;
	next[0] = '\0';
	if (n > 0)
		total = atol(PQgetvalue(res, 0, 0));
	if (n == 1 && PQgetisnull(res, 0, 3))
		n = 0;		/* the empty page's row carries only the total */
	shown = n > l->page.limit ? (int)l->page.limit : n;
	for (i = 0; i < shown; i++) {
		item = json_from_db(PQgetvalue(res, i, 1));
		if (item == NULL || json_object_array_add(items, item) != 0) {
			json_object_put(item);
			goto nomem;
		}
	}
	if (n > shown && shown > 0)
		cursor_encode(sorts, l->variant, PQgetvalue(res, shown - 1, 2),
		    PQgetvalue(res, shown - 1, 3), next, sizeof(next));
	return list_respond(r, &l->page, items, total, next[0] ? next : NULL);
nomem:
	json_object_put(items);
	return http_problem(r, 500, "out of memory");
}

int
plan_list_run(struct req *r, const struct plan_list *l,
    const struct plan_sort *sorts, const struct db_stmt *stmt, const char **v)
{
	PGresult	*res = NULL;
	enum db_status	 s;
	int		 st;

	v[stmt->nparams - 4] = l->limit1;
	v[stmt->nparams - 3] = l->page.offset_s;
	v[stmt->nparams - 2] = l->ckey_param;
	v[stmt->nparams - 1] = l->cid_param;
	if ((s = exec_as_user(r, stmt, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	st = list_answer(r, l, sorts, res);
	PQclear(res);
	return st;
}

/* ------------------------------------------------------------------ */
/* One resource */

int
plan_respond(struct req *r, PGresult *res, int col)
{
	json_object *o = json_from_db(PQgetvalue(res, 0, col));

	if (o == NULL)
		return http_problem(r, 500, "out of memory");
	http_etag(r, atol(PQgetvalue(res, 0, col + 1)));
	return http_json(r, 200, o);
}

int
plan_get(struct req *r, const struct db_stmt *stmt)
{
	const char	*v[2] = { r->params[0], r->user.id };
	PGresult	*res = NULL;
	enum db_status	 s;
	long		 version;
	int		 st;

	if ((s = exec_as_user(r, stmt, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	version = atol(PQgetvalue(res, 0, 1));
	if (http_not_modified(r, version)) {
		http_etag(r, version);
		st = http_no_content(r, 304);
	} else
		st = plan_respond(r, res, 0);
	PQclear(res);
	return st;
}

int
plan_create_exec(struct req *r, const struct db_stmt *stmt, const char **v,
    struct idem *ix, const struct plan_cfield *cfields, PGresult **res)
{
	enum db_status	 s;
	int		 st;

	v[stmt->nparams - 3] = ix->key_param;
	v[stmt->nparams - 2] = r->path;
	v[stmt->nparams - 1] = ix->hash;
	if ((s = exec_as_user(r, stmt, v, res)) == DB_OK)
		return 0;
	if ((st = idem_after_create(r, ix, s)) != 0)
		return st;
	return plan_db_problem(r, s, cfields);
}

int
plan_created(struct req *r, PGresult *res, int col, const char *location)
{
	const char *body = PQgetvalue(res, 0, col);

	http_header(r, "Location", "%s%s", location, PQgetvalue(res, 0, col + 1));
	http_etag(r, atol(PQgetvalue(res, 0, col + 2)));
	return http_raw(r, 201, "application/json; charset=utf-8", body, strlen(body));
}

int
plan_create_scoped(struct req *r, const struct db_stmt *stmt, const char **v,
    struct idem *ix, const char *location, const struct plan_cfield *cfields,
    const char *field)
{
	PGresult	*res = NULL;
	int		 st;

	if ((st = plan_create_exec(r, stmt, v, ix, cfields, &res)) != 0)
		return st;
	if (PQgetisnull(res, 0, 0))
		st = http_problem_field(r, 422, field, "is not one of your projects");
	else if (PQgetisnull(res, 0, 1))
		st = plan_forbidden(r);
	else
		st = plan_created(r, res, 1, location);
	PQclear(res);
	return st;
}

int
plan_create(struct req *r, const struct db_stmt *stmt, const char **v,
    struct idem *ix, const char *location, const struct plan_cfield *cfields)
{
	PGresult	*res = NULL;
	int		 st;

	if ((st = plan_create_exec(r, stmt, v, ix, cfields, &res)) == 0)
		st = plan_created(r, res, 0, location);
	PQclear(res);
	return st;
}

int
plan_patch_exec(struct req *r, const struct db_stmt *stmt, const char **v,
    struct plan_pre *pre, const struct plan_cfield *cfields, PGresult **res)
{
	enum db_status	 s;

	preconditions(r, pre);
	v[stmt->nparams - 2] = pre->ifm_param;
	v[stmt->nparams - 1] = pre->bv_param;
	if ((s = exec_as_user(r, stmt, v, res)) != DB_OK)
		return plan_db_problem(r, s, cfields);
	return 0;
}

int
plan_patch(struct req *r, const struct db_stmt *stmt, const char **v,
    const struct plan_cfield *cfields)
{
	struct plan_pre	 pre;
	PGresult	*res = NULL;
	int		 st;

	if ((st = plan_patch_exec(r, stmt, v, &pre, cfields, &res)) != 0)
		return st;
	if (PQgetisnull(res, 0, 2) && !plan_allowed(res, 3))
		st = plan_forbidden(r);
	else if (PQgetisnull(res, 0, 2))
		st = plan_not_written(r, &pre, atol(PQgetvalue(res, 0, 0)));
	else
		st = plan_respond(r, res, 1);
	PQclear(res);
	return st;
}

bool
plan_allowed(PGresult *res, int col)
{
	return col >= PQnfields(res) || strcmp(PQgetvalue(res, 0, col), "t") == 0;
}

int
plan_forbidden(struct req *r)
{
	return http_problem(r, 403, "your role in this project does not allow that");
}

int
plan_delete(struct req *r, const struct db_stmt *stmt)
{
	struct plan_pre	 pre;
	const char	*v[3];
	PGresult	*res = NULL;
	enum db_status	 s;
	int		 st;

	preconditions(r, &pre);
	v[0] = r->params[0];
	v[1] = r->user.id;
	v[2] = pre.ifm_param;
	if ((s = exec_as_user(r, stmt, v, &res)) != DB_OK)
		return http_db_problem(r, s);
	if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		st = http_no_content(r, 204);
	else if (!plan_allowed(res, 2))
		st = plan_forbidden(r);
	else
		st = plan_not_written(r, &pre, atol(PQgetvalue(res, 0, 0)));
	PQclear(res);
	return st;
}
