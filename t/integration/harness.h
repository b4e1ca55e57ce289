/*
 * harness: a small HTTP client (libcurl) and database probe (libpq) for
 * integration tests that drive the real stack: nginx -> workers -> PostgreSQL.
 * scripts/check starts the stack and passes its coordinates in:
 *   TASKMAN_TEST_URL                  http://127.0.0.1:PORT
 *   TASKMAN_TEST_ADMIN_DATABASE_URL   superuser conninfo, for asserting database state
 *   TASKMAN_TEST_STACK                control script: pg-stop, pg-start, workers-pids, ...
 */
#ifndef TASKMAN_HARNESS_H
#define TASKMAN_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct resp {
	long		 status;
	char		*body;		/* NUL-terminated */
	size_t		 body_len;
	char		*headers;	/* raw header block, NUL-terminated */
	json_object	*json;		/* parsed body, or NULL */
};

/*
 * Sends method path (relative to TASKMAN_TEST_URL, or an absolute http(s) URL) with optional body and
 * extra headers (NULL-terminated array of "Name: value").  Fills *out;
 * free it with resp_free().  Returns 0, or -1 if the request could not be made.
 */
int		 h_request(const char *method, const char *path, const char *body,
		    size_t body_len, const char *const *headers, struct resp *out);
/* Shorthand for a JSON body with Content-Type: application/json. */
int		 h_json(const char *method, const char *path, const char *json,
		    const char *bearer, struct resp *out);
void		 resp_free(struct resp *r);
/* Header value (case-insensitive name) copied into dst; NULL if absent. */
const char	*resp_header(const struct resp *r, const char *name, char *dst,
		    size_t dstlen);
/* String member of the JSON body; NULL if absent. */
const char	*resp_str(const struct resp *r, const char *key);

/* Asserts the problem+json shape for status and slug (criterion asserts). */
void		 h_expect_problem(const struct resp *r, long status, const char *slug);

/* Runs the stack control script with args; returns its exit status. */
int		 h_stack(const char *args);
/* Runs a SQL query as superuser; returns the first column of the first row in dst. */
int		 h_sql(const char *sql, char *dst, size_t dstlen);

/*
 * Skips the current test, visibly: criterion's summary does not count
 * skips, so each one is also a line "integration SUITE/TEST: why" in
 * $TASKMAN_TEST_SKIP_FILE, which scripts/check counts and prints.
 */
void		 h_skip_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define H_SKIP(...) do {						\
	h_skip_note(__VA_ARGS__);					\
	cr_log_warn("skipped: " __VA_ARGS__);				\
	cr_skip_test(__VA_ARGS__);					\
} while (0)

#endif
