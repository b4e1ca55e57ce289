/*
 * plan_util: helpers for the integration tests of projects, sprints and
 * action lists (test_projects.c, test_sprints.c, test_action_lists.c).
 * Prefix pu_.  Every helper asserts (criterion) what it needs, so a test
 * reads as the requests it makes and the answers it checks.
 */
#ifndef TASKMAN_PLAN_UTIL_H
#define TASKMAN_PLAN_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "harness.h"

#define PU_TOKEN_MAX	4096

struct pu_user {
	char	 id[40];
	char	 email[160];
	char	 token[PU_TOKEN_MAX];
};

/*
 * Two users shared by every planning test of this run (registered and
 * logged in once, cached in a file keyed by the runner's pid, tokens
 * renewed after 10 minutes).  Tests that count a user's rows use
 * pu_user_fresh() or filter by a project of their own.
 */
const struct pu_user	*pu_alice(void);
const struct pu_user	*pu_bob(void);
/* Registers and logs in a new user; role "readonly" demotes it first. */
void	pu_user_fresh(struct pu_user *u, const char *role);
/* Logs u in again (a new token, e.g. after its role changed). */
void	pu_user_login(struct pu_user *u);

/*
 * One request with JSON body (may be NULL), Bearer token (may be NULL)
 * and up to two extra "Name: value" headers (may be NULL).
 */
void	pu_call(struct resp *out, const struct pu_user *u, const char *method,
	    const char *path, const char *body, const char *h1, const char *h2);
/*
 * pu_call, then the problem+json checks of h_expect_problem() for status
 * and slug (the request is named in the message when the status differs).
 */
void	pu_expect_problem(const struct pu_user *u, const char *method,
	    const char *path, const char *body, const char *h1, const char *h2,
	    long status, const char *slug);
/* POST path body as u, asserts 201, copies the new id into id[37]. */
void	pu_create(const struct pu_user *u, const char *path, const char *body,
	    char id[40]);

/* Members of a JSON object; NULL / -1 / false when absent. */
json_object	*pu_get(json_object *o, const char *key);
const char	*pu_str(json_object *o, const char *key);
long		 pu_int(json_object *o, const char *key);
double		 pu_num(json_object *o, const char *key);
bool		 pu_isnull(json_object *o, const char *key);
/* The raw JSON text of member key ("40.0", "null", "true"). */
const char	*pu_raw(json_object *o, const char *key);
/* Whether the problem's errors[] names field. */
bool		 pu_error_names(const struct resp *r, const char *field);
/* A 422 validation-error whose errors[] names field. */
void		 pu_expect_422(const struct resp *r, const char *field, const char *what);
/* A response header (one of 4 rotating static buffers); NULL if absent. */
const char	*pu_hdr(const struct resp *r, const char *name);

/* One SQL value as superuser into dst (asserts success). */
char	*pu_sql(char *dst, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
long	 pu_sql_long(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The UTC date today + days as YYYY-MM-DD, from the database's clock. */
void	 pu_date(int days, char dst[11]);
/* A string unique in this run: tag-<time>-<pid>-<n>. */
void	 pu_unique(char *dst, size_t len, const char *tag);

/*
 * Creates a task of u with POST /api/v1/tasks (asserts 201).  status,
 * points ("2.5" or NULL), project and sprint (NULL for none) as given.
 * Returns its id in id.
 */
void	pu_task(const struct pu_user *u, const char *title, const char *status,
	    const char *points, const char *project, const char *sprint, char id[40]);
/* Deletes a task with DELETE /api/v1/tasks/{id} (asserts 204). */
void	pu_task_delete(const struct pu_user *u, const char *id);

#endif
