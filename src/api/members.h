/*
 * members: a shared project's people (API.md section 6) --
 * GET /api/v1/projects/{id}/members, PATCH and DELETE
 * /api/v1/projects/{id}/members/{user_id} (role change, removal, leave),
 * POST /api/v1/projects/{id}/transfer (ownership).  Also what
 * api/invitations.c shares with it: the 404/403 decision on the caller's
 * project role and the paged member-style list.  Prefix members_.
 */
#ifndef TASKMAN_API_MEMBERS_H
#define TASKMAN_API_MEMBERS_H

#include "api/list.h"
#include "db.h"
#include "http.h"

int	members_list(struct req *r);
int	members_patch(struct req *r);
int	members_delete(struct req *r);
int	members_transfer(struct req *r);

/*
 * The caller's project role (NULL: not a member, the project is invisible)
 * against the role an action needs ("viewer", "editor", "manager"):
 * 0 when it is enough, else 404 (no role) or 403 (too low) with the
 * problem set.
 */
int	members_require(struct req *r, const char *role, const char *need);

/*
 * Runs the list statement stmt (v: stmt->nparams values, the last two set
 * here: limit and offset from p) and answers with the list envelope.  The
 * rows are (caller's project role, total, item json): one row with a NULL
 * item when the page is empty.  need: the role the list needs
 * (members_require()); NULL for a list that is not a project's.
 */
int	members_list_run(struct req *r, const struct db_stmt *stmt,
	    const char **v, const struct list_page *p, const char *need);

/* The field specs of this module's request bodies, NULL-terminated. */
struct field_spec;
extern const struct field_spec *const members_field_specs[];

#endif
