#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "plan_util.h"

#define PU_PASSWORD	"planning-tests-pw-1"
#define PU_CACHE_TTL	600	/* seconds: access tokens live 15 minutes */

void
pu_unique(char *dst, size_t len, const char *tag)
{
	static unsigned	n;

	snprintf(dst, len, "%s-%lx-%ld-%u", tag, (long)time(NULL), (long)getpid(), n++);
}

json_object *
pu_get(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *
pu_str(json_object *o, const char *key)
{
	json_object *v = pu_get(o, key);

	return v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

long
pu_int(json_object *o, const char *key)
{
	json_object *v = pu_get(o, key);

	return v != NULL && json_object_is_type(v, json_type_int) ?
	    (long)json_object_get_int64(v) : -1;
}

double
pu_num(json_object *o, const char *key)
{
	json_object *v = pu_get(o, key);

	return v != NULL ? json_object_get_double(v) : -1;
}

bool
pu_isnull(json_object *o, const char *key)
{
	json_object *v;

	return o != NULL && json_object_object_get_ex(o, key, &v) && v == NULL;
}

const char *
pu_raw(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return "(absent)";
	return v == NULL ? "null" : json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

bool
pu_error_names(const struct resp *r, const char *field)
{
	json_object	*errs = pu_get(r->json, "errors");
	size_t		 i;

	if (errs == NULL || !json_object_is_type(errs, json_type_array))
		return false;
	for (i = 0; i < json_object_array_length(errs); i++) {
		const char *f = pu_str(json_object_array_get_idx(errs, i), "field");

		if (f != NULL && strcmp(f, field) == 0)
			return true;
	}
	return false;
}

void
pu_expect_422(const struct resp *r, const char *field, const char *what)
{
	cr_expect_eq(r->status, 422, "%s: status %ld, want 422; body %s", what,
	    r->status, r->body);
	h_expect_problem(r, 422, "validation-error");
	cr_expect(pu_error_names(r, field), "%s: errors[] does not name %s: %s",
	    what, field, r->body);
}

const char *
pu_hdr(const struct resp *r, const char *name)
{
	static char	 v[4][2048];
	static int	 i;

	i = (i + 1) % 4;
	return resp_header(r, name, v[i], sizeof(v[i]));
}

char *
pu_sql(char *dst, size_t len, const char *fmt, ...)
{
	char	 q[8192];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	cr_assert_eq(h_sql(q, dst, len), 0, "SQL failed or returned no row: %s", q);
	return dst;
}

long
pu_sql_long(const char *fmt, ...)
{
	char	 q[8192], v[64];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	cr_assert_eq(h_sql(q, v, sizeof(v)), 0, "SQL failed: %s", q);
	return atol(v);
}

void
pu_date(int days, char dst[11])
{
	pu_sql(dst, 11, "SELECT to_char((now() AT TIME ZONE 'UTC')::date + (%d), 'YYYY-MM-DD')",
	    days);
}

void
pu_call(struct resp *out, const struct pu_user *u, const char *method,
    const char *path, const char *body, const char *h1, const char *h2)
{
	char		 auth[PU_TOKEN_MAX + 32];
	const char	*hdrs[5];
	int		 n = 0;

	hdrs[n++] = "Content-Type: application/json";
	if (u != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", u->token);
		hdrs[n++] = auth;
	}
	if (h1 != NULL)
		hdrs[n++] = h1;
	if (h2 != NULL)
		hdrs[n++] = h2;
	hdrs[n] = NULL;
	cr_assert_eq(h_request(method, path, body, body ? strlen(body) : 0, hdrs, out), 0,
	    "%s %s: the request could not be made", method, path);
}

void
pu_expect_problem(const struct pu_user *u, const char *method, const char *path,
    const char *body, const char *h1, const char *h2, long status, const char *slug)
{
	struct resp r;

	pu_call(&r, u, method, path, body, h1, h2);
	if (r.status != status)
		cr_log_error("%s %s %s: %ld, want %ld", method, path, body ? body : "",
		    r.status, status);
	h_expect_problem(&r, status, slug);
	resp_free(&r);
}

void
pu_create(const struct pu_user *u, const char *path, const char *body, char id[40])
{
	struct resp	 r;
	const char	*s;

	pu_call(&r, u, "POST", path, body, NULL, NULL);
	cr_assert_eq(r.status, 201, "POST %s %s: %ld %s", path, body, r.status, r.body);
	s = pu_str(r.json, "id");
	cr_assert_not_null(s, "no id in %s", r.body);
	snprintf(id, 40, "%s", s);
	resp_free(&r);
}

/* ------------------------------------------------------------------ */
/* Users */

static void
login(struct pu_user *u)
{
	struct resp	 r;
	char		 body[512];
	const char	*t;

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    u->email, PU_PASSWORD);
	pu_call(&r, NULL, "POST", "/api/v1/auth/login", body, NULL, NULL);
	cr_assert_eq(r.status, 200, "login %s: %ld %s", u->email, r.status, r.body);
	t = pu_str(r.json, "access_token");
	cr_assert_not_null(t);
	snprintf(u->token, sizeof(u->token), "%s", t);
	resp_free(&r);
}

void
pu_user_login(struct pu_user *u)
{
	login(u);
}

void
pu_user_fresh(struct pu_user *u, const char *role)
{
	struct resp	 r;
	char		 body[512], tag[96];

	memset(u, 0, sizeof(*u));
	pu_unique(tag, sizeof(tag), "plan");
	snprintf(u->email, sizeof(u->email), "%s@example.com", tag);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    u->email, PU_PASSWORD);
	pu_call(&r, NULL, "POST", "/api/v1/auth/register", body, NULL, NULL);
	cr_assert_eq(r.status, 201, "register: %ld %s", r.status, r.body);
	cr_assert_not_null(pu_str(r.json, "id"));
	snprintf(u->id, sizeof(u->id), "%s", pu_str(r.json, "id"));
	resp_free(&r);
	if (role != NULL) {
		char dummy[8];

		pu_sql(dummy, sizeof(dummy), "SELECT set_config('taskman.role', 'admin', false); "
		    "UPDATE users SET role = '%s' WHERE id = '%s'", role, u->id);
	}
	login(u);
}

/*
 * The cached pair: one line per user, "id email token".  Every test runs
 * in its own process under one runner, so the cache lives in a file keyed
 * by the runner's pid and the stack's URL; flock serialises creation.
 */
static struct pu_user	cached[2];
static bool		cached_ok;

/* Removes the cache files of runs that ended more than an hour ago. */
static void
cache_sweep(void)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 sb;
	char		 path[512];

	if ((d = opendir("/tmp")) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "taskman-planning-users.", 23) != 0)
			continue;
		snprintf(path, sizeof(path), "/tmp/%s", e->d_name);
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == getuid() &&
		    time(NULL) - sb.st_mtime > 3600)
			unlink(path);
	}
	closedir(d);
}

static void
cache_load(void)
{
	char		 path[256], url[128];
	const char	*base = getenv("TASKMAN_TEST_URL");
	struct stat	 sb;
	FILE		*f;
	int		 fd, i, ok = 0;

	if (cached_ok)
		return;
	snprintf(url, sizeof(url), "%s", base ? base : "");
	for (char *p = url; *p != '\0'; p++)
		if (*p == '/' || *p == ':')
			*p = '_';
	snprintf(path, sizeof(path), "/tmp/taskman-planning-users.%ld.%s",
	    (long)getppid(), url);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
	cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(flock(fd, LOCK_EX), 0);
	if (fstat(fd, &sb) == 0 && sb.st_size > 0 && time(NULL) - sb.st_mtime < PU_CACHE_TTL) {
		f = fdopen(dup(fd), "r");
		cr_assert_not_null(f);
		for (i = 0; i < 2; i++)
			if (fscanf(f, "%39s %159s %4095s", cached[i].id, cached[i].email,
			    cached[i].token) == 3)
				ok++;
		fclose(f);
	}
	if (ok != 2) {
		cache_sweep();
		pu_user_fresh(&cached[0], NULL);
		pu_user_fresh(&cached[1], NULL);
		cr_assert_eq(ftruncate(fd, 0), 0);
		f = fdopen(dup(fd), "w");
		cr_assert_not_null(f);
		for (i = 0; i < 2; i++)
			fprintf(f, "%s %s %s\n", cached[i].id, cached[i].email, cached[i].token);
		fclose(f);
	}
	flock(fd, LOCK_UN);
	close(fd);
	cached_ok = true;
}

const struct pu_user *
pu_alice(void)
{
	cache_load();
	return &cached[0];
}

const struct pu_user *
pu_bob(void)
{
	cache_load();
	return &cached[1];
}

/* ------------------------------------------------------------------ */
/* Tasks: always through the API (a missing route fails the test) */

void
pu_task(const struct pu_user *u, const char *title, const char *status,
    const char *points, const char *project, const char *sprint, char id[40])
{
	char	 body[1024], ref[200] = "";

	if (sprint != NULL)
		snprintf(ref, sizeof(ref), ",\"sprint_id\":\"%s\"", sprint);
	else if (project != NULL)
		snprintf(ref, sizeof(ref), ",\"project_id\":\"%s\"", project);
	snprintf(body, sizeof(body), "{\"title\":\"%s\",\"status\":\"%s\","
	    "\"estimate_points\":%s%s}", title, status, points ? points : "null", ref);
	pu_create(u, "/api/v1/tasks", body, id);
}

void
pu_task_delete(const struct pu_user *u, const char *id)
{
	struct resp	 r;
	char		 path[128];

	snprintf(path, sizeof(path), "/api/v1/tasks/%s", id);
	pu_call(&r, u, "DELETE", path, NULL, NULL, NULL);
	cr_assert_eq(r.status, 204, "DELETE %s: %ld %s", path, r.status, r.body);
	resp_free(&r);
}
