#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "api/idem.h"
#include "app.h"
#include "json.h"

/* Keys older than 24 h are forgotten (deleted here, lazily). */
static const struct db_stmt st_lookup = { "idem_lookup",
	"WITH d AS (DELETE FROM idempotency_keys WHERE owner_id = $1 AND key = $2 "
	"  AND created_at <= now() - interval '24 hours') "
	"SELECT request_hash = $3::bytea, response_status, response_body, location "
	"FROM idempotency_keys WHERE owner_id = $1 AND key = $2 "
	"AND created_at > now() - interval '24 hours'", 3, 0 };

static int
hash_request(const struct req *r, char out[67])
{
	static const char	 hex[] = "0123456789abcdef";
	EVP_MD_CTX		*c;
	unsigned char		 md[32];
	unsigned int		 n = 0;
	int			 rc = -1;

	if ((c = EVP_MD_CTX_new()) == NULL)
		return -1;
	/* the same key for another method or path is another request */
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, r->method_name, strlen(r->method_name)) != 1 ||
	    EVP_DigestUpdate(c, " ", 1) != 1 ||
	    EVP_DigestUpdate(c, r->path, strlen(r->path)) != 1 ||
	    EVP_DigestUpdate(c, "\n", 1) != 1 ||
	    EVP_DigestUpdate(c, buf_cstr(&r->body), r->body.len) != 1 ||
	    EVP_DigestFinal_ex(c, md, &n) != 1 || n != 32)
		goto out;
	out[0] = '\\';
	out[1] = 'x';
	for (int i = 0; i < 32; i++) {
		out[2 + 2 * i] = hex[md[i] >> 4];
		out[3 + 2 * i] = hex[md[i] & 15];
	}
	out[66] = '\0';
	rc = 0;
out:
	EVP_MD_CTX_free(c);
	return rc;
}

/* 1: replayed (status returned via *st), 0: no live key, -1: error set. */
static int
replay(struct req *r, struct idem *ix, int *st)
{
	struct db_user	 as = http_db_user(r);
	const char	*v[3] = { r->user.id, ix->key, ix->hash };
	PGresult	*res = NULL;
	enum db_status	 s;
	const char	*body;
	json_object	*b, *ver, *errs;
	int		 rc = 0;

	if ((s = db_exec(&r->app->db, &as, &st_lookup, v, &res)) != DB_OK) {
		*st = http_db_problem(r, s);
		return -1;
	}
	if (PQntuples(res) == 0)
		goto out;
	rc = 1;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		errs = json_object_new_array();
		json_error_add(errs, "Idempotency-Key", "was used for a different "
		    "request in the last 24 hours");
		*st = http_problem_errors(r, 422, "this Idempotency-Key was used for a "
		    "different request in the last 24 hours", errs);
		goto out;
	}
	if (!PQgetisnull(res, 0, 3))
		http_header(r, "Location", "%s", PQgetvalue(res, 0, 3));
	body = PQgetvalue(res, 0, 2);
	*st = atoi(PQgetvalue(res, 0, 1));
	/* the replay carries the ETag the first response had */
	if ((b = json_tokener_parse(body)) != NULL &&
	    json_object_object_get_ex(b, "version", &ver) &&
	    json_object_is_type(ver, json_type_int))
		http_etag(r, (long)json_object_get_int64(ver));
	json_object_put(b);
	http_header(r, "Idempotent-Replayed", "true");
	http_raw(r, *st, "application/json; charset=utf-8", body, strlen(body));
out:
	PQclear(res);
	return rc;
}

int
idem_check(struct req *r, struct idem *ix)
{
	const char	*k = r->idempotency_key;
	size_t		 n, i;
	int		 st = 0;

	memset(ix, 0, sizeof(*ix));
	if (k == NULL)
		return 0;
	n = strlen(k);
	for (i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
			break;
	if (n == 0 || n > IDEM_KEY_MAX || i != n)
		return http_problem(r, 400, "Idempotency-Key must be 1 to 255 "
		    "visible ASCII characters");
	memcpy(ix->key, k, n + 1);
	if (hash_request(r, ix->hash) != 0)
		return http_problem(r, 500, "could not hash the request");
	ix->key_param = ix->key;
	if (replay(r, ix, &st) != 0)
		return st;
	return 0;
}

int
idem_after_create(struct req *r, struct idem *ix, enum db_status s)
{
	int st = 0;

	if (s != DB_CONFLICT || ix->key_param == NULL ||
	    strcmp(r->app->db.constraint, "idempotency_keys_pkey") != 0)
		return 0;
	if (replay(r, ix, &st) == 0)
		st = http_problem(r, 409, "a request with this Idempotency-Key is "
		    "still in progress; retry it");
	return st;
}
