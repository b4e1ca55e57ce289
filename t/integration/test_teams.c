/*
 * Shared projects (API.md section 6): the permission matrix over real
 * HTTP and the same relations as SQL through the workers' role, plus the
 * membership rules of the existing endpoints (moves, assignees, lists,
 * metrics).  Members are made with SQL as the superuser here, so this
 * file tests the model, not the invitation endpoints (test_members.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "plan_util.h"

enum rel {
	R_OWNER, R_MANAGER, R_EDITOR, R_VIEWER, R_INVITED, R_REMOVED, R_STRANGER,
	R_RO_EDITOR, R_N
};
static const char *const rel_names[R_N] = {
	"owner", "manager", "editor", "viewer", "invited", "removed", "stranger",
	"readonly editor"
};

struct world {
	struct pu_user	u[R_N];
	char		project[40], sprint[40], task[40], alist[40], comment[40];
};

/* The memberships of project p for the relations of w (owner: the trigger's). */
static void
members_add(const struct world *w, const char *p)
{
	char	dummy[8];

	pu_sql(dummy, sizeof(dummy),
	    "INSERT INTO project_members (project_id, user_id, role) VALUES "
	    "('%s', '%s', 'manager'), ('%s', '%s', 'editor'), ('%s', '%s', 'viewer'), "
	    "('%s', '%s', 'editor'), ('%s', '%s', 'editor')", p, w->u[R_MANAGER].id,
	    p, w->u[R_EDITOR].id, p, w->u[R_VIEWER].id, p, w->u[R_RO_EDITOR].id,
	    p, w->u[R_REMOVED].id);
	pu_sql(dummy, sizeof(dummy), "DELETE FROM project_members WHERE project_id = '%s' "
	    "AND user_id = '%s'", p, w->u[R_REMOVED].id);
	pu_sql(dummy, sizeof(dummy), "INSERT INTO invitations (project_id, email, role) "
	    "VALUES ('%s', '%s', 'editor') ON CONFLICT DO NOTHING", p, w->u[R_INVITED].email);
}

static void
project_new(const struct world *w, char id[40])
{
	pu_create(&w->u[R_OWNER], "/api/v1/projects", "{\"name\":\"shared\"}", id);
	members_add(w, id);
}

static void
sprint_new(const struct world *w, const char *p, char id[40])
{
	char	body[256], d0[11], d1[11];

	pu_date(0, d0);
	pu_date(13, d1);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\",\"name\":\"s\","
	    "\"start_date\":\"%s\",\"end_date\":\"%s\"}", p, d0, d1);
	pu_create(&w->u[R_OWNER], "/api/v1/sprints", body, id);
}

static void
alist_new(const struct world *w, const char *p, char id[40])
{
	char	body[256];

	snprintf(body, sizeof(body), "{\"title\":\"al\",\"project_id\":\"%s\"}", p);
	pu_create(&w->u[R_OWNER], "/api/v1/action-lists", body, id);
}

static void
comment_new(const struct world *w, char id[40])
{
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/tasks/%s/comments", w->task);
	pu_create(&w->u[R_OWNER], path, "{\"body\":\"a comment\"}", id);
}

/* A fresh editor of the shared project (someone to remove). */
static void
member_new(const struct world *w, char id[40])
{
	struct pu_user	u;
	char		dummy[8];

	pu_user_fresh(&u, NULL);
	pu_sql(dummy, sizeof(dummy), "INSERT INTO project_members (project_id, user_id, role) "
	    "VALUES ('%s', '%s', 'editor')", w->project, u.id);
	snprintf(id, 40, "%s", u.id);
}

static void
invitation_new(const struct world *w, char id[40])
{
	char	path[128], body[160], tag[64];

	pu_unique(tag, sizeof(tag), "inv");
	snprintf(path, sizeof(path), "/api/v1/projects/%s/invitations", w->project);
	snprintf(body, sizeof(body), "{\"email\":\"%s@example.com\",\"role\":\"viewer\"}", tag);
	pu_create(&w->u[R_OWNER], path, body, id);
}

static void
world_make(struct world *w)
{
	int	i;

	for (i = 0; i < R_N; i++)
		pu_user_fresh(&w->u[i], NULL);
	project_new(w, w->project);
	sprint_new(w, w->project, w->sprint);
	pu_task(&w->u[R_OWNER], "shared task", "new", "3", NULL, w->sprint, w->task);
	alist_new(w, w->project, w->alist);
	comment_new(w, w->comment);
	/* readonly after joining: the instance role wins over the project role */
	{
		char dummy[8];

		pu_sql(dummy, sizeof(dummy), "SELECT set_config('taskman.role', 'admin', false); "
		    "UPDATE users SET role = 'readonly' WHERE id = '%s'", w->u[R_RO_EDITOR].id);
	}
	/* its token still says "user": log in again (the role is in the token) */
	pu_user_login(&w->u[R_RO_EDITOR]);
}

/* Everything of the shared project as text, read as the superuser. */
static void
snapshot(const struct world *w, const char *extra, char out[64])
{
	pu_sql(out, 64, "SELECT md5(coalesce(string_agg(x, '|' ORDER BY x), '')) FROM ("
	    "SELECT p::text x FROM projects p WHERE p.id = '%s' "
	    "UNION ALL SELECT s::text FROM sprints s WHERE s.project_id = '%s' "
	    "UNION ALL SELECT t::text FROM tasks t WHERE t.scope = '%s' OR t.id = '%s' "
	    "UNION ALL SELECT a::text FROM action_lists a WHERE a.project_id = '%s' "
	    "UNION ALL SELECT m::text FROM project_members m WHERE m.project_id = '%s' "
	    "UNION ALL SELECT p::text FROM projects p WHERE p.id::text = '%s' "
	    "UNION ALL SELECT t::text FROM tasks t WHERE t.id::text = '%s' "
	    "UNION ALL SELECT c::text FROM comments c WHERE c.task_id = '%s' OR c.id::text = '%s' "
	    "UNION ALL SELECT i::text FROM invitations i WHERE i.project_id = '%s' "
	    "UNION ALL SELECT m::text FROM project_members m WHERE m.project_id::text = '%s') q",
	    w->project, w->project, w->project, w->task, w->project, w->project,
	    extra, extra, w->task, extra, w->project, extra);
}

/* Replaces {P} {S} {T} {A} in fmt; {X} by x. */
static void
fill(const struct world *w, const char *fmt, const char *x, char *dst, size_t len)
{
	size_t	n = 0;
	const char *v;

	for (; *fmt != '\0' && n + 40 < len; fmt++) {
		if (fmt[0] == '{' && fmt[1] != '\0' && fmt[2] == '}') {
			v = fmt[1] == 'P' ? w->project : fmt[1] == 'S' ? w->sprint :
			    fmt[1] == 'T' ? w->task : fmt[1] == 'A' ? w->alist :
			    fmt[1] == 'C' ? w->comment : fmt[1] == 'X' ? x :
			    fmt[1] == 'M' ? w->u[R_MANAGER].id :
			    fmt[1] == 'V' ? w->u[R_VIEWER].id : NULL;
			if (v != NULL) {
				n += (size_t)snprintf(dst + n, len - n, "%s", v);
				fmt += 2;
				continue;
			}
		}
		dst[n++] = *fmt;
	}
	dst[n] = '\0';
}

/* What the model says, per relation (owner ... readonly editor). */
#define READ	{ 200, 200, 200, 200, 404, 404, 404, 200 }
#define EDIT	{ 200, 200, 200, 403, 404, 404, 404, 403 }
#define MANAGE	{ 200, 200, 403, 403, 404, 404, 404, 403 }
#define CREATE	{ 201, 201, 201, 403, 422, 422, 422, 403 }
#define DEL	{ 204, 204, 204, 403, 404, 404, 404, 403 }
#define DELMGR	{ 204, 204, 403, 403, 404, 404, 404, 403 }
#define MGRREAD	{ 200, 200, 403, 403, 404, 404, 404, 403 }
#define COMMENT	{ 201, 201, 201, 403, 404, 404, 404, 403 }
#define AUTHOR	{ 200, 403, 403, 403, 404, 404, 404, 403 }
#define INVITE	{ 201, 201, 403, 403, 404, 404, 404, 403 }
#define OWNER	{ 200, 403, 403, 403, 404, 404, 404, 403 }
#define OWNER_OR_MGR	{ 200, 200, 403, 403, 404, 404, 404, 403 }

enum fresh { F_NONE, F_TASK, F_SPRINT, F_ALIST, F_PROJECT, F_COMMENT, F_MEMBER, F_INVITATION };

static const struct row {
	const char	*method, *path, *body;
	enum fresh	 fresh;		/* {X}: a new one per call, made by the owner */
	long		 want[R_N];
} rows[] = {
	{ "GET", "/api/v1/projects/{P}", NULL, F_NONE, READ },
	{ "GET", "/api/v1/projects/{P}/metrics", NULL, F_NONE, READ },
	{ "GET", "/api/v1/sprints/{S}", NULL, F_NONE, READ },
	{ "GET", "/api/v1/sprints/{S}/burndown", NULL, F_NONE, READ },
	{ "GET", "/api/v1/tasks/{T}", NULL, F_NONE, READ },
	{ "GET", "/api/v1/action-lists/{A}", NULL, F_NONE, READ },
	{ "PATCH", "/api/v1/projects/{P}", "{\"description\":\"changed\"}", F_NONE, MANAGE },
	{ "PATCH", "/api/v1/sprints/{S}", "{\"goal\":\"changed\"}", F_NONE, EDIT },
	{ "PATCH", "/api/v1/tasks/{T}", "{\"description\":\"changed\"}", F_NONE, EDIT },
	{ "POST", "/api/v1/tasks/{T}/assign-sprint", "{\"sprint_id\":\"{S}\"}", F_NONE, EDIT },
	{ "POST", "/api/v1/tasks/{T}/complete", NULL, F_TASK, EDIT },
	{ "PATCH", "/api/v1/action-lists/{A}", "{\"description\":\"changed\"}", F_NONE, EDIT },
	{ "POST", "/api/v1/tasks", "{\"title\":\"new\",\"project_id\":\"{P}\"}", F_NONE, CREATE },
	{ "POST", "/api/v1/tasks", "{\"title\":\"new\",\"sprint_id\":\"{S}\"}", F_NONE, CREATE },
	{ "POST", "/api/v1/sprints", "{\"project_id\":\"{P}\",\"name\":\"n\","
	  "\"start_date\":\"2030-01-01\",\"end_date\":\"2030-01-14\"}", F_NONE, CREATE },
	{ "POST", "/api/v1/action-lists", "{\"title\":\"n\",\"project_id\":\"{P}\"}",
	  F_NONE, CREATE },
	{ "DELETE", "/api/v1/tasks/{X}", NULL, F_TASK, DEL },
	{ "DELETE", "/api/v1/sprints/{X}", NULL, F_SPRINT, DEL },
	{ "DELETE", "/api/v1/action-lists/{X}", NULL, F_ALIST, DEL },
	{ "DELETE", "/api/v1/projects/{X}", NULL, F_PROJECT, DELMGR },
	/* members, invitations, comments, activity (API.md section 6) */
	{ "GET", "/api/v1/projects/{P}/members", NULL, F_NONE, READ },
	{ "GET", "/api/v1/projects/{P}/activity", NULL, F_NONE, READ },
	{ "GET", "/api/v1/tasks/{T}/activity", NULL, F_NONE, READ },
	{ "GET", "/api/v1/tasks/{T}/comments", NULL, F_NONE, READ },
	{ "GET", "/api/v1/comments/{C}", NULL, F_NONE, READ },
	{ "POST", "/api/v1/tasks/{T}/comments", "{\"body\":\"hi\"}", F_NONE, COMMENT },
	{ "PATCH", "/api/v1/comments/{C}", "{\"body\":\"edited\"}", F_NONE, AUTHOR },
	{ "DELETE", "/api/v1/comments/{X}", NULL, F_COMMENT, DELMGR },
	{ "GET", "/api/v1/projects/{P}/invitations", NULL, F_NONE, MGRREAD },
	{ "POST", "/api/v1/projects/{P}/invitations",
	  "{\"email\":\"matrix@example.com\",\"role\":\"viewer\"}", F_NONE, INVITE },
	{ "DELETE", "/api/v1/projects/{P}/invitations/{X}", NULL, F_INVITATION, DELMGR },
	{ "PATCH", "/api/v1/projects/{P}/members/{V}", "{\"role\":\"viewer\"}", F_NONE, OWNER_OR_MGR },
	{ "DELETE", "/api/v1/projects/{P}/members/{X}", NULL, F_MEMBER, DELMGR },
	{ "POST", "/api/v1/projects/{X}/transfer", "{\"user_id\":\"{M}\"}", F_PROJECT, OWNER },
};

Test(teams, permission_matrix_over_http, .timeout = 120)
{
	struct world	 w;
	struct resp	 r;
	char		 path[256], body[512], x[40] = "", before[64], after[64];
	size_t		 i;
	int		 k;

	world_make(&w);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *row = &rows[i];

		for (k = 0; k < R_N; k++) {
			switch (row->fresh) {
			case F_TASK:
				pu_task(&w.u[R_OWNER], "fresh", "new", NULL, w.project, NULL, x);
				break;
			case F_SPRINT:
				sprint_new(&w, w.project, x);
				break;
			case F_ALIST:
				alist_new(&w, w.project, x);
				break;
			case F_PROJECT:
				project_new(&w, x);
				break;
			case F_COMMENT:
				comment_new(&w, x);
				break;
			case F_MEMBER:
				member_new(&w, x);
				break;
			case F_INVITATION:
				invitation_new(&w, x);
				break;
			case F_NONE:
				break;
			}
			/* {T} rows with a fresh task act on it instead */
			fill(&w, row->path, x, path, sizeof(path));
			if (row->fresh == F_TASK && strstr(row->path, "{T}") != NULL) {
				char p2[256];

				snprintf(p2, sizeof(p2), "%s", row->path);
				fill(&w, p2, x, path, sizeof(path));
				snprintf(path, sizeof(path), "/api/v1/tasks/%s/complete", x);
			}
			if (row->body != NULL)
				fill(&w, row->body, x, body, sizeof(body));
			snapshot(&w, x, before);
			pu_call(&r, &w.u[k], row->method, path, row->body ? body : NULL, NULL, NULL);
			cr_expect_eq(r.status, row->want[k], "%s %s as %s: %ld, want %ld: %s",
			    row->method, row->path, rel_names[k], r.status, row->want[k], r.body);
			if (r.status >= 400 && strcmp(row->method, "GET") != 0) {
				snapshot(&w, x, after);
				cr_expect_str_eq(after, before, "%s %s as %s was refused (%ld) "
				    "but the database changed", row->method, row->path,
				    rel_names[k], r.status);
			}
			if (r.status == 403 || r.status == 404 || r.status == 422)
				h_expect_problem(&r, r.status, r.status == 403 ? "forbidden" :
				    r.status == 404 ? "not-found" : "validation-error");
			resp_free(&r);
		}
	}
}

/* The first value of sql run as the workers' role with user uid set. */
static long
as_app(const char *uid, const char *sql)
{
	char	v[64];

	pu_sql(v, sizeof(v), "SET ROLE taskman_app; SELECT set_config('taskman.user_id', "
	    "'%s', false); %s", uid, sql);
	return strtol(v, NULL, 10);
}

Test(teams, rls_matrix_as_the_app_role, .timeout = 60)
{
	struct world	 w;
	char		 q[1024], dummy[8];
	int		 k;

	world_make(&w);
	pu_sql(dummy, sizeof(dummy), "INSERT INTO comments (task_id, author_id, body) "
	    "VALUES ('%s', '%s', 'hello')", w.task, w.u[R_OWNER].id);
	for (k = 0; k < R_N; k++) {
		bool member = k != R_INVITED && k != R_REMOVED && k != R_STRANGER;
		bool manager = k == R_OWNER || k == R_MANAGER;
		const char *id = w.u[k].id;

		snprintf(q, sizeof(q), "SELECT (SELECT count(*) FROM projects WHERE id = '%s') "
		    "+ (SELECT count(*) FROM sprints WHERE project_id = '%s') "
		    "+ (SELECT count(*) FROM tasks WHERE project_id = '%s') "
		    "+ (SELECT count(*) FROM action_lists WHERE project_id = '%s') "
		    "+ (SELECT least(count(*), 1) FROM comments WHERE task_id = '%s') "
		    "+ (SELECT least(count(*), 1) FROM activity WHERE project_id = '%s') "
		    "+ (SELECT least(count(*), 1) FROM project_members WHERE project_id = '%s')",
		    w.project, w.project, w.project, w.project, w.task, w.project, w.project);
		cr_expect_eq(as_app(id, q), member ? 7 : 0, "%s sees %ld rows of the project",
		    rel_names[k], as_app(id, q));
		/* the invitation: its managers and the person invited */
		snprintf(q, sizeof(q), "SELECT count(*) FROM invitations WHERE project_id = '%s'",
		    w.project);
		cr_expect_eq(as_app(id, q), manager || k == R_INVITED ? 1 : 0,
		    "%s and the invitation", rel_names[k]);
		/* writes need the role: RLS alone, without the worker */
		snprintf(q, sizeof(q), "WITH u AS (UPDATE tasks SET title = 'by sql' "
		    "WHERE id = '%s' RETURNING 1) SELECT count(*) FROM u", w.task);
		if (k == R_VIEWER || !member)
			cr_expect_eq(as_app(id, q), 0, "%s updated the task in SQL", rel_names[k]);
		snprintf(q, sizeof(q), "WITH d AS (DELETE FROM project_members "
		    "WHERE project_id = '%s' AND user_id = '%s' RETURNING 1) SELECT count(*) FROM d",
		    w.project, w.u[R_OWNER].id);
		cr_expect_eq(as_app(id, q), 0, "%s removed the owner in SQL", rel_names[k]);
	}
	/* nobody outside (nor a viewer) can insert into the project in SQL */
	for (k = 0; k < R_N; k++) {
		char v[64];

		if (k != R_VIEWER && k != R_INVITED && k != R_REMOVED && k != R_STRANGER)
			continue;
		snprintf(q, sizeof(q), "SET ROLE taskman_app; SELECT set_config('taskman.user_id', "
		    "'%s', false); INSERT INTO tasks (owner_id, project_id, title) "
		    "VALUES ('%s', '%s', 'by sql')", w.u[k].id, w.u[k].id, w.project);
		cr_expect_neq(h_sql(q, v, sizeof(v)), 0, "%s inserted into the project",
		    rel_names[k]);
	}
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE title = 'by sql'"), 0);
	/* the definer JSON helpers tell a stranger nothing, whatever row they are handed */
	snprintf(q, sizeof(q), "SELECT (taskman_member_json(ROW('%s', '%s', 'viewer', now(), NULL)"
	    "::project_members, true) IS NULL)::int + (taskman_user_brief('%s') IS NULL)::int "
	    "+ (SELECT count(*) FROM invitations i WHERE taskman_invitation_json(i) IS NOT NULL)",
	    w.project, w.u[R_OWNER].id, w.u[R_OWNER].id);
	cr_expect_eq(as_app(w.u[R_STRANGER].id, q), 2, "a stranger learned something");
	cr_expect_eq(as_app(w.u[R_VIEWER].id, q), 0, "a member sees members and people");
}

Test(teams, moving_a_task_out_makes_it_the_movers, .timeout = 60)
{
	struct world	 w;
	struct resp	 r;
	char		 t[40], path[128], body[128];

	world_make(&w);
	/* the editor's task in the shared project, assigned to the viewer */
	pu_task(&w.u[R_EDITOR], "editor's", "new", NULL, w.project, NULL, t);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", t);
	snprintf(body, sizeof(body), "{\"assignee_id\":\"%s\"}", w.u[R_VIEWER].id);
	pu_call(&r, &w.u[R_EDITOR], "PATCH", path, body, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "owner_id"), w.u[R_EDITOR].id);
	resp_free(&r);
	/* the manager moves it out of every project: now the manager's, unassigned */
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/assign-project", t);
	pu_call(&r, &w.u[R_MANAGER], "POST", path, "{\"project_id\":null}", NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "owner_id"), w.u[R_MANAGER].id);
	cr_expect(pu_isnull(r.json, "project_id"));
	cr_expect(pu_isnull(r.json, "assignee_id"), "%s", r.body);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", t);
	pu_call(&r, &w.u[R_EDITOR], "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 404, "the editor lost it: %s", r.body);
	resp_free(&r);
	/* moving in needs editor there: the viewer's personal task cannot go in */
	pu_task(&w.u[R_VIEWER], "viewer's", "new", NULL, NULL, NULL, t);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s/assign-project", t);
	snprintf(body, sizeof(body), "{\"project_id\":\"%s\"}", w.project);
	pu_call(&r, &w.u[R_VIEWER], "POST", path, body, NULL, NULL);
	cr_expect_eq(r.status, 403, "%s", r.body);
	resp_free(&r);
	pu_call(&r, &w.u[R_STRANGER], "POST", "/api/v1/tasks", body, NULL, NULL);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE id = '%s' AND project_id "
	    "IS NULL", t), 1);
}

Test(teams, assignees_are_members, .timeout = 60)
{
	struct world	 w;
	struct resp	 r;
	char		 path[128], body[128], mine[40], dummy[8];

	world_make(&w);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", w.task);
	snprintf(body, sizeof(body), "{\"assignee_id\":\"%s\"}", w.u[R_STRANGER].id);
	pu_call(&r, &w.u[R_OWNER], "PATCH", path, body, NULL, NULL);
	pu_expect_422(&r, "assignee_id", "a stranger as assignee");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"assignee_id\":\"%s\"}", w.u[R_INVITED].id);
	pu_call(&r, &w.u[R_OWNER], "PATCH", path, body, NULL, NULL);
	pu_expect_422(&r, "assignee_id", "an invited non-member as assignee");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"assignee_id\":\"%s\"}", w.u[R_VIEWER].id);
	pu_call(&r, &w.u[R_EDITOR], "PATCH", path, body, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_str_eq(pu_str(r.json, "assignee_id"), w.u[R_VIEWER].id);
	resp_free(&r);
	/* "my work" */
	pu_call(&r, &w.u[R_VIEWER], "GET", "/api/v1/tasks?assignee_id=me", NULL, NULL, NULL);
	cr_expect_eq(r.status, 200);
	cr_expect_eq(pu_int(r.json, "total"), 1, "%s", r.body);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/tasks?assignee_id=none&project_id=%s", w.project);
	pu_call(&r, &w.u[R_VIEWER], "GET", path, NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 0, "%s", r.body);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/tasks?owner_id=%s", w.u[R_OWNER].id);
	pu_call(&r, &w.u[R_VIEWER], "GET", path, NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 1, "the owner's task, seen by the viewer: %s",
	    r.body);
	resp_free(&r);
	pu_call(&r, &w.u[R_VIEWER], "GET", "/api/v1/tasks?assignee_id=nobody", NULL, NULL, NULL);
	cr_expect_eq(r.status, 400);
	resp_free(&r);
	/* with a tag (the finder path) too */
	pu_call(&r, &w.u[R_VIEWER], "GET", "/api/v1/tasks?assignee_id=me&q=shared", NULL,
	    NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 1, "%s", r.body);
	resp_free(&r);
	/* a personal task: only its owner */
	pu_task(&w.u[R_EDITOR], "personal", "new", NULL, NULL, NULL, mine);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", mine);
	snprintf(body, sizeof(body), "{\"assignee_id\":\"%s\"}", w.u[R_VIEWER].id);
	pu_call(&r, &w.u[R_EDITOR], "PATCH", path, body, NULL, NULL);
	pu_expect_422(&r, "assignee_id", "someone else on a personal task");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"assignee_id\":\"%s\"}", w.u[R_EDITOR].id);
	pu_call(&r, &w.u[R_EDITOR], "PATCH", path, body, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	/* removal clears the assignment, in the same transaction */
	pu_sql(dummy, sizeof(dummy), "DELETE FROM project_members WHERE project_id = '%s' "
	    "AND user_id = '%s'", w.project, w.u[R_VIEWER].id);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE id = '%s' AND assignee_id "
	    "IS NULL", w.task), 1);
}

Test(teams, lists_metrics_and_todo_follow_membership, .timeout = 60)
{
	struct world	 w;
	struct resp	 r;
	char		 path[160], t2[40], mine[40];

	world_make(&w);
	pu_task(&w.u[R_EDITOR], "editor's shared", "done", "2", w.project, NULL, t2);
	pu_task(&w.u[R_VIEWER], "viewer's own", "new", NULL, NULL, NULL, mine);
	/* everything the viewer sees: both shared tasks and their own */
	pu_call(&r, &w.u[R_VIEWER], "GET", "/api/v1/tasks?limit=10", NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 3, "%s", r.body);
	resp_free(&r);
	pu_call(&r, &w.u[R_STRANGER], "GET", "/api/v1/tasks", NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 0, "%s", r.body);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/tasks?project_id=%s", w.project);
	pu_call(&r, &w.u[R_STRANGER], "GET", path, NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 0, "%s", r.body);
	resp_free(&r);
	pu_call(&r, &w.u[R_REMOVED], "GET", "/api/v1/projects", NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 0, "%s", r.body);
	resp_free(&r);
	pu_call(&r, &w.u[R_VIEWER], "GET", "/api/v1/projects", NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 1, "%s", r.body);
	resp_free(&r);
	pu_call(&r, &w.u[R_VIEWER], "GET", "/api/v1/sprints", NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 1, "%s", r.body);
	resp_free(&r);
	pu_call(&r, &w.u[R_VIEWER], "GET", "/api/v1/action-lists", NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total"), 1, "%s", r.body);
	resp_free(&r);
	/* metrics count every member's task in the project */
	snprintf(path, sizeof(path), "/api/v1/projects/%s/metrics", w.project);
	pu_call(&r, &w.u[R_VIEWER], "GET", path, NULL, NULL, NULL);
	cr_expect_eq(pu_int(r.json, "total_tasks"), 2, "%s", r.body);
	resp_free(&r);
	/* the todo surface keeps showing only the caller's own tasks */
	snprintf(path, sizeof(path), "/api/%s/tasks", w.u[R_VIEWER].id);
	pu_call(&r, &w.u[R_VIEWER], "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect_eq(pu_int(r.json, "total"), 1, "%s", r.body);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/%s/tasks/%s", w.u[R_EDITOR].id, w.task);
	pu_call(&r, &w.u[R_EDITOR], "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 404, "the todo surface does not show the owner's task: %s",
	    r.body);
	resp_free(&r);
	/* deleting the shared project: the editor's task becomes theirs alone */
	snprintf(path, sizeof(path), "/api/v1/projects/%s", w.project);
	pu_call(&r, &w.u[R_MANAGER], "DELETE", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 204, "%s", r.body);
	resp_free(&r);
	cr_expect_eq(pu_sql_long("SELECT count(*) FROM tasks WHERE id = '%s' AND owner_id = '%s' "
	    "AND project_id IS NULL", t2, w.u[R_EDITOR].id), 1);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", t2);
	pu_call(&r, &w.u[R_VIEWER], "GET", path, NULL, NULL, NULL);
	cr_expect_eq(r.status, 404);
	resp_free(&r);
}
