#include <string.h>

#include "app.h"
#include "auth/bearer.h"
#include "cors.h"
#include "router.h"
#include "valid.h"

#include "api/auth.h"
#include "api/docs.h"
#include "api/health.h"
#include "api/users.h"
/* resource module headers (one line each, keep sorted) */
#include "api/action_lists.h"
#include "api/activity.h"
#include "api/comments.h"
#include "api/invitations.h"
#include "api/members.h"
#include "api/projects.h"
#include "api/sprints.h"
#include "api/tasks.h"
#include "api/todo.h"

/*
 * The route table.  Fixed paths and {uuid} captures never overlap
 * ("/tasks/search" is not a UUID), so order does not matter for matching.
 * HEAD is answered by every GET route.
 */
const struct route router_routes[] = {
	/* api/health.c */
	{ HTTP_GET,	"/health/live",		health_live,	AUTH_PUBLIC, BODY_NONE },
	{ HTTP_GET,	"/health/ready",	health_ready,	AUTH_PUBLIC, BODY_NONE },
	{ HTTP_GET,	"/health/startup",	health_startup,	AUTH_PUBLIC, BODY_NONE },
	/* only from nginx's metrics listener (TASKMAN_METRICS_LISTENER, api/health.c) */
	{ HTTP_GET,	"/metrics",		health_metrics,	AUTH_PUBLIC, BODY_NONE },

	/* api/docs.c */
	{ HTTP_GET,	"/api/v1/openapi.json",		docs_openapi_json, AUTH_PUBLIC, BODY_NONE },
	{ HTTP_GET,	"/api/v1/openapi.yaml",		docs_openapi_yaml, AUTH_PUBLIC, BODY_NONE },
	{ HTTP_GET,	"/docs",			docs_page,	AUTH_PUBLIC, BODY_NONE },

	/* api/auth.c */
	{ HTTP_POST,	"/api/v1/auth/register",	auth_register,	AUTH_PUBLIC, BODY_JSON },
	{ HTTP_POST,	"/api/v1/auth/login",		auth_login,	AUTH_PUBLIC, BODY_JSON },
	{ HTTP_POST,	"/api/v1/auth/refresh",		auth_refresh,	AUTH_PUBLIC, BODY_OPTIONAL },
	{ HTTP_POST,	"/api/v1/auth/logout",		auth_logout,	AUTH_PUBLIC, BODY_OPTIONAL },

	/* api/users.c */
	{ HTTP_GET,	"/api/v1/users/me",		users_me_get,	AUTH_READ,  BODY_NONE },
	{ HTTP_PATCH,	"/api/v1/users/me",		users_me_patch,	AUTH_WRITE, BODY_JSON },
	{ HTTP_GET,	"/api/v1/admin/users",		users_admin_list, AUTH_ADMIN, BODY_NONE },
	{ HTTP_PATCH,	"/api/v1/admin/users/{id}",	users_admin_patch, AUTH_ADMIN, BODY_JSON },

	/* api/tasks.c */
	{ HTTP_GET,	"/api/v1/tasks",			tasks_list,		AUTH_READ,  BODY_NONE },
	{ HTTP_POST,	"/api/v1/tasks",			tasks_create,		AUTH_WRITE, BODY_JSON },
	{ HTTP_GET,	"/api/v1/tasks/search",			tasks_search,		AUTH_READ,  BODY_NONE },
	{ HTTP_GET,	"/api/v1/tasks/high-priority",		tasks_high_priority,	AUTH_READ,  BODY_NONE },
	{ HTTP_GET,	"/api/v1/tasks/{id}",			tasks_get,		AUTH_READ,  BODY_NONE },
	{ HTTP_PATCH,	"/api/v1/tasks/{id}",			tasks_patch,		AUTH_WRITE, BODY_JSON },
	{ HTTP_DELETE,	"/api/v1/tasks/{id}",			tasks_delete,		AUTH_WRITE, BODY_NONE },
	{ HTTP_POST,	"/api/v1/tasks/{id}/status",		tasks_status,		AUTH_WRITE, BODY_JSON },
	{ HTTP_POST,	"/api/v1/tasks/{id}/complete",		tasks_complete,		AUTH_WRITE, BODY_OPTIONAL },
	{ HTTP_POST,	"/api/v1/tasks/{id}/assign-project",	tasks_assign_project,	AUTH_WRITE, BODY_JSON },
	{ HTTP_POST,	"/api/v1/tasks/{id}/assign-sprint",	tasks_assign_sprint,	AUTH_WRITE, BODY_JSON },

	/* api/todo.c */
	/* (BODY_NONE: the handlers read the body after the {user} check, so 403 comes first) */
	{ HTTP_GET,	"/api/{user:any}/tasks",			todo_list,	AUTH_READ,  BODY_NONE },
	{ HTTP_POST,	"/api/{user:any}/tasks",			todo_create,	AUTH_WRITE, BODY_NONE },
	{ HTTP_GET,	"/api/{user:any}/tasks/search",		todo_search,	AUTH_READ,  BODY_NONE },
	{ HTTP_GET,	"/api/{user:any}/tasks/{id}",		todo_get,	AUTH_READ,  BODY_NONE },
	{ HTTP_PUT,	"/api/{user:any}/tasks/{id}",		todo_put,	AUTH_WRITE, BODY_NONE },
	{ HTTP_DELETE,	"/api/{user:any}/tasks/{id}",		todo_delete,	AUTH_WRITE, BODY_NONE },
	{ HTTP_PATCH,	"/api/{user:any}/tasks/{id}/complete",	todo_complete,	AUTH_WRITE, BODY_NONE },

	/* api/projects.c */
	{ HTTP_GET,	"/api/v1/projects",		projects_list,	AUTH_READ,  BODY_NONE },
	{ HTTP_POST,	"/api/v1/projects",		projects_create, AUTH_WRITE, BODY_JSON },
	{ HTTP_GET,	"/api/v1/projects/{id}",	projects_get,	AUTH_READ,  BODY_NONE },
	{ HTTP_PATCH,	"/api/v1/projects/{id}",	projects_patch,	AUTH_WRITE, BODY_JSON },
	{ HTTP_DELETE,	"/api/v1/projects/{id}",	projects_delete, AUTH_WRITE, BODY_NONE },
	{ HTTP_GET,	"/api/v1/projects/{id}/metrics", projects_metrics, AUTH_READ, BODY_NONE },

	/* api/members.c */
	{ HTTP_GET,	"/api/v1/projects/{id}/members",		members_list,	AUTH_READ,  BODY_NONE },
	{ HTTP_PATCH,	"/api/v1/projects/{id}/members/{user_id}",	members_patch,	AUTH_WRITE, BODY_JSON },
	{ HTTP_DELETE,	"/api/v1/projects/{id}/members/{user_id}",	members_delete,	AUTH_WRITE, BODY_NONE },
	{ HTTP_POST,	"/api/v1/projects/{id}/transfer",		members_transfer, AUTH_WRITE, BODY_JSON },

	/* api/invitations.c */
	{ HTTP_GET,	"/api/v1/projects/{id}/invitations",		invitations_list, AUTH_READ, BODY_NONE },
	{ HTTP_POST,	"/api/v1/projects/{id}/invitations",		invitations_create, AUTH_WRITE, BODY_JSON },
	{ HTTP_DELETE,	"/api/v1/projects/{id}/invitations/{inv_id}",	invitations_revoke, AUTH_WRITE, BODY_NONE },
	{ HTTP_GET,	"/api/v1/invitations",				invitations_mine, AUTH_READ, BODY_NONE },
	{ HTTP_POST,	"/api/v1/invitations/{inv_id}/accept",		invitations_accept, AUTH_WRITE, BODY_NONE },
	{ HTTP_POST,	"/api/v1/invitations/{inv_id}/decline",		invitations_decline, AUTH_WRITE, BODY_NONE },

	/* api/sprints.c */
	{ HTTP_GET,	"/api/v1/sprints",		sprints_list,	AUTH_READ,  BODY_NONE },
	{ HTTP_POST,	"/api/v1/sprints",		sprints_create,	AUTH_WRITE, BODY_JSON },
	{ HTTP_GET,	"/api/v1/sprints/{id}",		sprints_get,	AUTH_READ,  BODY_NONE },
	{ HTTP_PATCH,	"/api/v1/sprints/{id}",		sprints_patch,	AUTH_WRITE, BODY_JSON },
	{ HTTP_DELETE,	"/api/v1/sprints/{id}",		sprints_delete,	AUTH_WRITE, BODY_NONE },
	{ HTTP_GET,	"/api/v1/sprints/{id}/burndown", sprints_burndown, AUTH_READ, BODY_NONE },

	/* api/action_lists.c */
	{ HTTP_GET,	"/api/v1/action-lists",		action_lists_list, AUTH_READ,  BODY_NONE },
	{ HTTP_POST,	"/api/v1/action-lists",		action_lists_create, AUTH_WRITE, BODY_JSON },
	{ HTTP_GET,	"/api/v1/action-lists/{id}",	action_lists_get, AUTH_READ,  BODY_NONE },
	{ HTTP_PATCH,	"/api/v1/action-lists/{id}",	action_lists_patch, AUTH_WRITE, BODY_JSON },
	{ HTTP_DELETE,	"/api/v1/action-lists/{id}",	action_lists_delete, AUTH_WRITE, BODY_NONE },

	/* api/comments.c */
	{ HTTP_GET,	"/api/v1/tasks/{id}/comments",	comments_list,	AUTH_READ,  BODY_NONE },
	{ HTTP_POST,	"/api/v1/tasks/{id}/comments",	comments_create, AUTH_WRITE, BODY_JSON },
	{ HTTP_GET,	"/api/v1/comments/{id}",	comments_get,	AUTH_READ,  BODY_NONE },
	{ HTTP_PATCH,	"/api/v1/comments/{id}",	comments_patch,	AUTH_WRITE, BODY_JSON },
	{ HTTP_DELETE,	"/api/v1/comments/{id}",	comments_delete, AUTH_WRITE, BODY_NONE },

	/* api/activity.c */
	{ HTTP_GET,	"/api/v1/tasks/{id}/activity",	activity_task,	AUTH_READ,  BODY_NONE },
	{ HTTP_GET,	"/api/v1/projects/{id}/activity", activity_project, AUTH_READ, BODY_NONE },
};

const size_t router_nroutes = sizeof(router_routes) / sizeof(router_routes[0]);

/* Matches one pattern; fills params on success. */
static bool
pattern_match(const char *pat, const char *path,
    char params[][HTTP_UUID_LEN + 1], int *nparams)
{
	const char	*pe, *se;
	size_t		 plen, slen;
	int		 n = 0;

	for (;;) {
		if (*pat != '/' || *path != '/')
			return false;
		pat++;
		path++;
		pe = strchr(pat, '/');
		se = strchr(path, '/');
		plen = pe ? (size_t)(pe - pat) : strlen(pat);
		slen = se ? (size_t)(se - path) : strlen(path);
		if (plen > 1 && pat[0] == '{' && pat[plen - 1] == '}') {
			if (n >= HTTP_MAX_PARAMS || slen == 0)
				return false;
			if (plen > 6 && memcmp(pat + plen - 5, ":any}", 5) == 0) {
				/* any segment but the v1 API's own; too long for an id: "" */
				if (slen == 2 && memcmp(path, "v1", 2) == 0)
					return false;
				if (slen > HTTP_UUID_LEN)
					slen = 0;
			} else if (!valid_uuid(path, slen))
				return false;
			memcpy(params[n], path, slen);
			params[n][slen] = '\0';
			n++;
			slen = se ? (size_t)(se - path) : strlen(path);
		} else if (plen != slen || memcmp(pat, path, plen) != 0)
			return false;
		pat += plen;
		path += slen;
		if (*pat == '\0' && *path == '\0')
			break;
	}
	*nparams = n;
	return true;
}

const struct route *
router_match(struct req *r, const char *path, unsigned method,
    unsigned *allowed)
{
	char	 params[HTTP_MAX_PARAMS][HTTP_UUID_LEN + 1];
	int	 n;
	size_t	 i;

	*allowed = 0;
	if (method == HTTP_HEAD)
		method = HTTP_GET;
	for (i = 0; i < router_nroutes; i++) {
		if (!pattern_match(router_routes[i].pattern, path, params, &n))
			continue;
		*allowed |= router_routes[i].method;
		if (router_routes[i].method == method) {
			memcpy(r->params, params, sizeof(params));
			r->nparams = n;
			return &router_routes[i];
		}
	}
	if (*allowed & HTTP_GET)
		*allowed |= HTTP_HEAD;
	return NULL;
}

const struct route *
router_prepare(struct req *r, const char *cors_origins, int *status)
{
	const struct route	*rt;
	unsigned		 allowed;
	char			 allow[96];

	*status = 0;
	rt = router_match(r, r->path, r->method, &allowed);
	if ((*status = cors_handle(r, cors_origins, allowed)) != 0)
		return NULL;
	if (rt == NULL && r->method == HTTP_OPTIONS && allowed != 0) {
		http_allow_string(allowed | HTTP_OPTIONS, allow, sizeof(allow));
		http_header(r, "Allow", "%s", allow);
		*status = http_no_content(r, 204);
		return NULL;
	}
	if (rt == NULL) {
		if (allowed == 0) {
			*status = http_problem(r, 404, "no such resource");
			return NULL;
		}
		http_allow_string(allowed, allow, sizeof(allow));
		http_header(r, "Allow", "%s", allow);
		*status = http_problem(r, 405, "this resource does not take that method");
		return NULL;
	}
	r->route = rt;
	return rt;
}

int
router_dispatch(struct req *r)
{
	const struct route	*rt;
	int			 st;

	if ((rt = router_prepare(r, r->app->cfg->cors_origins, &st)) == NULL)
		return st;
	if (rt->auth != AUTH_PUBLIC) {
		if ((st = bearer_authenticate(r)) != 0)
			return st;
		if (rt->auth == AUTH_WRITE && strcmp(r->user.role, "readonly") == 0)
			return http_problem(r, 403, "the readonly role may not change anything");
		if (rt->auth == AUTH_ADMIN && strcmp(r->user.role, "admin") != 0)
			return http_problem(r, 403, "this endpoint is for administrators");
	}
	if (rt->body != BODY_NONE &&
	    (st = http_read_json(r, r->app->cfg->body_limit, rt->body == BODY_JSON)) != 0)
		return st;
	return rt->handler(r);
}
