/*
 * batch: POST /api/v1/tasks/batch (API.md section 8), up to BATCH_MAX task
 * operations (create, update, status, delete) in one transaction, all or
 * nothing, with the rules, roles, ETags, activity and Idempotency-Key of
 * the single requests of api/tasks.c.
 */
#ifndef TASKMAN_API_BATCH_H
#define TASKMAN_API_BATCH_H

#include "http.h"

#define BATCH_MAX	100

/* Route handler (router.c). */
int	batch_tasks(struct req *r);

/* batch_check(): the body is fine, or its envelope (not an operation) is not. */
#define BATCH_OK	(-1)
#define BATCH_ENVELOPE	(-2)

/*
 * Checks a batch body without the database: BATCH_OK, BATCH_ENVELOPE, or
 * the index of the first operation that breaks the field rules.  errors
 * gets the problems of the envelope or of that operation (fields named by
 * their path, "operations[3].fields.title").  ops (NULL: not wanted) gets
 * the operations before the first bad one, as taskman_tasks_batch() takes
 * them (schema/0009_batch.up.sql).  No request needed: the fuzzer drives it.
 */
int	batch_check(json_object *body, json_object *errors, json_object *ops);

/* The specs of one batch operation per op, NULL-terminated (for the fuzzer). */
struct field_spec;
extern const struct field_spec *const batch_field_specs[];

#endif
