/*
 * import.c -- `taskmanctl import` (see import.h; formats and mappings in
 * docs/EXPORT.md).
 *
 * Every format becomes the same thing first: a document shaped like
 * GET /api/v1/export's (projects, sprints, tasks, action_lists, comments,
 * each row with the id it had in the file), checked here.  The database
 * then does the mapping: each section is inserted in batches by one
 * statement that draws a new id per row, looks the row's references up
 * in a temporary table of old -> new ids, and adds its own rows to that
 * table.  Sections go in dependency order (project -> sprint -> task ->
 * action-list items, comments), all in one transaction.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "csv.h"
#include "import.h"
#include "migrate.h"
#include "valid.h"

#define BATCH_ROWS	1000
#define TAGS_MAX	20
#define TAG_LEN_MAX	50

enum format { FMT_AUTO, FMT_JSON, FMT_TODOIST, FMT_KANBOARD };

/* The sections of the document, in the order they are loaded. */
static const char *const section_names[] = {
	"projects", "sprints", "tasks", "action_lists", "comments", "activity"
};
#define NSECTIONS	6
#define SEC_ACTIVITY	5

/*
 * One statement per section: $1 a JSON array of rows, $2 the user.
 * Answers (imported, skipped).  A reference not found in import_map (a
 * project someone else owns, a task that is not in the file) is dropped
 * as docs/EXPORT.md says; anything the data model refuses fails the
 * statement and so the whole import.
 */
static const char *const section_sql[NSECTIONS] = {
	/* projects */
	"WITH src AS MATERIALIZED (SELECT gen_random_uuid() AS nid, e "
	"  FROM jsonb_array_elements($1::jsonb) e), "
	"ins AS (INSERT INTO projects (id, owner_id, name, description, status, start_date, "
	"  target_end_date, created_at) "
	"  SELECT nid, $2::uuid, e ->> 'name', e ->> 'description', "
	"    coalesce(e ->> 'status', 'discovery'), (e ->> 'start_date')::date, "
	"    (e ->> 'target_end_date')::date, coalesce((e ->> 'created_at')::timestamptz, now()) "
	"  FROM src RETURNING id), "
	"m AS (INSERT INTO import_map (kind, old_id, new_id, project) "
	"  SELECT 'project', e ->> 'id', nid, nid FROM src RETURNING 1) "
	"SELECT (SELECT count(*) FROM ins), 0",

	/* sprints: only into a project of the file */
	"WITH src AS MATERIALIZED (SELECT gen_random_uuid() AS nid, e, p.new_id AS pid "
	"  FROM jsonb_array_elements($1::jsonb) e "
	"  LEFT JOIN import_map p ON p.kind = 'project' AND p.old_id = e ->> 'project_id'), "
	"ins AS (INSERT INTO sprints (id, owner_id, project_id, name, goal, status, cadence, "
	"  start_date, end_date, velocity_target_points, created_at) "
	"  SELECT nid, $2::uuid, pid, e ->> 'name', e ->> 'goal', "
	"    coalesce(e ->> 'status', 'planned'), e ->> 'cadence', (e ->> 'start_date')::date, "
	"    (e ->> 'end_date')::date, (e ->> 'velocity_target_points')::numeric, "
	"    coalesce((e ->> 'created_at')::timestamptz, now()) "
	"  FROM src WHERE pid IS NOT NULL RETURNING id), "
	"m AS (INSERT INTO import_map (kind, old_id, new_id, project) "
	"  SELECT 'sprint', e ->> 'id', nid, pid FROM src WHERE pid IS NOT NULL RETURNING 1) "
	"SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM src WHERE pid IS NULL)",

	/*
	 * tasks: a sprint implies its project; a self-assigned task stays
	 * self-assigned, other assignees are dropped; a local due time
	 * (Todoist) is read in its time zone when PostgreSQL knows it
	 */
	"WITH src AS MATERIALIZED (SELECT gen_random_uuid() AS nid, e, s.new_id AS sid, "
	"  coalesce(s.project, p.new_id) AS pid "
	"  FROM jsonb_array_elements($1::jsonb) e "
	"  LEFT JOIN import_map p ON p.kind = 'project' AND p.old_id = e ->> 'project_id' "
	"  LEFT JOIN import_map s ON s.kind = 'sprint' AND s.old_id = e ->> 'sprint_id'), "
	"ins AS (INSERT INTO tasks (id, owner_id, project_id, sprint_id, title, description, "
	"  status, priority, due_at, tags, estimate_points, completed_at, created_at, assignee_id) "
	"  SELECT nid, $2::uuid, pid, sid, e ->> 'title', e ->> 'description', "
	"    coalesce(e ->> 'status', 'new'), coalesce(e ->> 'priority', 'p2'), "
	"    CASE WHEN e ? 'due_local' THEN (e ->> 'due_local')::timestamp AT TIME ZONE "
	"           coalesce((SELECT z.name FROM pg_timezone_names z "
	"                      WHERE z.name = e ->> 'due_tz'), 'UTC') "
	"         ELSE date_trunc('second', (e ->> 'due_at')::timestamptz) END, "
	"    CASE WHEN jsonb_typeof(e -> 'tags') = 'array' "
	"         THEN ARRAY(SELECT jsonb_array_elements_text(e -> 'tags')) ELSE '{}' END, "
	"    (e ->> 'estimate_points')::numeric, "
	"    CASE WHEN coalesce(e ->> 'status', 'new') = 'done' "
	"         THEN coalesce((e ->> 'completed_at')::timestamptz, now()) END, "
	"    coalesce((e ->> 'created_at')::timestamptz, now()), "
	"    CASE WHEN e ->> 'assignee_id' = e ->> 'owner_id' THEN $2::uuid END "
	"  FROM src RETURNING id), "
	"m AS (INSERT INTO import_map (kind, old_id, new_id, project) "
	"  SELECT 'task', e ->> 'id', nid, pid FROM src RETURNING 1) "
	"SELECT (SELECT count(*) FROM ins), 0",

	/* action lists: items keep their order; a task_id not in the file becomes null */
	"WITH src AS MATERIALIZED (SELECT gen_random_uuid() AS nid, e, s.new_id AS sid, "
	"  coalesce(s.project, p.new_id) AS pid "
	"  FROM jsonb_array_elements($1::jsonb) e "
	"  LEFT JOIN import_map p ON p.kind = 'project' AND p.old_id = e ->> 'project_id' "
	"  LEFT JOIN import_map s ON s.kind = 'sprint' AND s.old_id = e ->> 'sprint_id'), "
	"ins AS (INSERT INTO action_lists (id, owner_id, project_id, sprint_id, title, "
	"  description, status, items, created_at) "
	"  SELECT nid, $2::uuid, pid, sid, e ->> 'title', e ->> 'description', "
	"    coalesce(e ->> 'status', 'active'), "
	"    coalesce((SELECT jsonb_agg(jsonb_build_object('text', i -> 'text', "
	"        'done', i -> 'done', 'task_id', t.new_id) ORDER BY x.o) "
	"      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(e -> 'items') = 'array' "
	"             THEN e -> 'items' ELSE '[]' END) WITH ORDINALITY x(i, o) "
	"      LEFT JOIN import_map t ON t.kind = 'task' AND t.old_id = x.i ->> 'task_id'), "
	"      '[]'), "
	"    coalesce((e ->> 'created_at')::timestamptz, now()) "
	"  FROM src RETURNING id) "
	"SELECT (SELECT count(*) FROM ins), 0",

	/* comments: only on a task of the file, written by the user */
	"WITH src AS MATERIALIZED (SELECT e, t.new_id AS tid "
	"  FROM jsonb_array_elements($1::jsonb) e "
	"  LEFT JOIN import_map t ON t.kind = 'task' AND t.old_id = e ->> 'task_id'), "
	"ins AS (INSERT INTO comments (task_id, author_id, body, created_at) "
	"  SELECT tid, $2::uuid, e ->> 'body', coalesce((e ->> 'created_at')::timestamptz, now()) "
	"  FROM src WHERE tid IS NOT NULL RETURNING id) "
	"SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM src WHERE tid IS NULL)",

	/* activity is the database's own log: the import writes its own entries */
	NULL,
};

static const char sql_user[] =
    "SELECT id, role, disabled FROM users WHERE lower(email) = lower($1)";
static const char sql_act_as[] =
    "SELECT set_config('taskman.user_id', $1, true), set_config('taskman.role', $2, true)";
static const char sql_map[] =
    "CREATE TEMPORARY TABLE import_map (kind text NOT NULL, old_id text NOT NULL, "
    "new_id uuid NOT NULL, project uuid, PRIMARY KEY (kind, old_id)) ON COMMIT DROP";

static void
import_usage(FILE *fp)
{
	fputs("usage: taskmanctl import FILE --user EMAIL [--format auto|json|todoist|kanboard]\n"
	    "                         [--project NAME]\n"
	    "  loads a taskman export (GET /api/v1/export), a Todoist project CSV or a\n"
	    "  Kanboard task CSV export into the account EMAIL, with new ids, in one\n"
	    "  transaction (a malformed file changes nothing); see docs/EXPORT.md\n"
	    "  --format   default auto: detected from the file\n"
	    "  --project  the project a Todoist file becomes (default: the file name)\n"
	    "database: $TASKMAN_MIGRATE_DATABASE_URL, else $TASKMAN_DATABASE_URL, else PG* variables\n",
	    fp);
}

static void
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- CSV */

/* The index of the header field named name (case-insensitive), or -1. */
static int
col(const struct csv_record *hdr, const char *name)
{
	for (int i = 0; i < hdr->n; i++)
		if (strcasecmp(hdr->field[i], name) == 0)
			return i;
	return -1;
}

static const char *
cell(const struct csv_record *rec, int i)
{
	return i >= 0 && i < rec->n ? rec->field[i] : "";
}

static bool
blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0';
}

/* ------------------------------------------------------------- values */

/* Reads exactly n digits; -1 if they are not there. */
static int
digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

/* Reads 1 or 2 digits. */
static int
digits12(const char **p)
{
	int v;

	if (!isdigit((unsigned char)**p))
		return -1;
	v = *(*p)++ - '0';
	if (isdigit((unsigned char)**p))
		v = v * 10 + (*(*p)++ - '0');
	return v;
}

/*
 * A date, optionally with a time: YYYY-MM-DD, YYYY/MM/DD, MM/DD/YYYY
 * (Kanboard's default) or DD.MM.YYYY, then optionally " HH:MM[:SS]" or
 * "THH:MM[:SS]" and a "Z".  Returns 0 empty, 1 a date (date set), 2 a
 * date and time (date and ts "YYYY-MM-DDTHH:MM:SS" set; *utc when "Z"),
 * -1 anything else.
 */
static int
parse_when(const char *s, char date[32], char ts[48], bool *utc)
{
	const char	*p = s;
	int		 y, m, d, h = 0, mi = 0, sec = 0;
	bool		 timed = false;

	*utc = false;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;
	if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) &&
	    (p[4] == '-' || p[4] == '/')) {
		char sep = p[4];

		y = digits(&p, 4);
		p++;
		m = digits12(&p);
		if (*p++ != sep)
			return -1;
		d = digits12(&p);
	} else {
		int a = digits12(&p), b;
		char sep = *p;

		if (a < 0 || (sep != '/' && sep != '.'))
			return -1;
		p++;
		b = digits12(&p);
		if (*p++ != sep)
			return -1;
		y = digits(&p, 4);
		if (sep == '/') {
			m = a;
			d = b;
		} else {
			d = a;
			m = b;
		}
	}
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	if (*p == 'T' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
		p++;
		h = digits12(&p);
		if (*p++ != ':')
			return -1;
		mi = digits(&p, 2);
		if (*p == ':') {
			p++;
			sec = digits(&p, 2);
		}
		if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
			return -1;
		timed = true;
		if (*p == 'Z') {
			*utc = true;
			p++;
		}
	}
	while (*p == ' ')
		p++;
	if (*p != '\0')
		return -1;
	snprintf(date, 32, "%04d-%02d-%02d", y, m, d);
	if (!timed)
		return 1;
	snprintf(ts, 48, "%.10sT%02d:%02d:%02d", date, h, mi, sec);
	return 2;
}

/* Adds tag (trimmed, 1..50 characters, not yet there) to the array. */
static void
tag_add(json_object *tags, const char *s, size_t n)
{
	char	 t[TAG_LEN_MAX * 4 + 1];
	size_t	 chars = 0;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(t) || json_object_array_length(tags) >= TAGS_MAX)
		return;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			chars++;
	if (chars > TAG_LEN_MAX)
		return;
	memcpy(t, s, n);
	t[n] = '\0';
	for (size_t i = 0; i < json_object_array_length(tags); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(tags, i)), t) == 0)
			return;
	json_object_array_add(tags, json_object_new_string(t));
}

static json_object *
new_doc(void)
{
	json_object *doc = json_object_new_object();

	json_object_object_add(doc, "format", json_object_new_string("taskman-export"));
	json_object_object_add(doc, "version", json_object_new_int(1));
	for (int i = 0; i < NSECTIONS; i++)
		json_object_object_add(doc, section_names[i], json_object_new_array());
	return doc;
}

static json_object *
section(json_object *doc, const char *name)
{
	json_object *a = NULL;

	json_object_object_get_ex(doc, name, &a);
	return a;
}

/* ------------------------------------------------------------ Todoist */

/*
 * Todoist's project CSV: TYPE (task, section, note; others and blank rows
 * are skipped), CONTENT (with @labels), DESCRIPTION, PRIORITY (1 highest
 * .. 4), INDENT, DATE, TIMEZONE (AUTHOR, RESPONSIBLE, DATE_LANG and
 * DURATION are not used).  The file is one project.
 */
static int
todoist_doc(const char *p, const char *end, const char *project, json_object **out,
    char *err, size_t errlen)
{
	struct csv_record hdr, rec;
	char		 e2[256], id[32], date[32], ts[48];
	int		 nh, n, ctype, ccontent, cdesc, cprio, cdate, ctz, row = 1, ntask = 0;
	int		 rc = -1;
	json_object	*doc = new_doc(), *proj, *task = NULL;
	char		*section_name = NULL;
	bool		 utc;

	csv_init(&hdr);
	csv_init(&rec);
	if ((nh = csv_read(&hdr, &p, end, e2, sizeof(e2))) <= 0) {
		fail(err, errlen, "line 1: %s", nh < 0 ? e2 : "no header");
		csv_free(&hdr);
		json_object_put(doc);
		return -1;
	}
	ctype = col(&hdr, "TYPE");
	ccontent = col(&hdr, "CONTENT");
	cdesc = col(&hdr, "DESCRIPTION");
	cprio = col(&hdr, "PRIORITY");
	cdate = col(&hdr, "DATE");
	ctz = col(&hdr, "TIMEZONE");

	proj = json_object_new_object();
	json_object_object_add(proj, "id", json_object_new_string("todoist-project"));
	json_object_object_add(proj, "name", json_object_new_string(project));
	json_object_object_add(proj, "status", json_object_new_string("active"));
	json_object_array_add(section(doc, "projects"), proj);

	while ((n = csv_read(&rec, &p, end, e2, sizeof(e2))) != 0) {
		const char *type, *content, *prio, *when;

		row++;
		if (n < 0) {
			fail(err, errlen, "record %d: %s", row, e2);
			goto out;
		}
		type = cell(&rec, ctype);
		content = cell(&rec, ccontent);
		if (strcmp(type, "section") == 0) {
			free(section_name);
			section_name = strdup(content);
		} else if (strcmp(type, "note") == 0) {
			json_object *c, *tid = NULL;

			if (task == NULL) {
				fail(err, errlen, "record %d: a note before any task", row);
				goto out;
			}
			c = json_object_new_object();
			json_object_object_get_ex(task, "id", &tid);
			json_object_object_add(c, "task_id", json_object_get(tid));
			json_object_object_add(c, "body", json_object_new_string(content));
			json_object_array_add(section(doc, "comments"), c);
		} else if (strcmp(type, "task") == 0) {
			json_object	*tags = json_object_new_array();
			char		*title = malloc(strlen(content) + 1), *t = title;
			const char	*s = content, *desc = cell(&rec, cdesc);
			int		 k;

			if (title == NULL) {
				json_object_put(tags);
				fail(err, errlen, "out of memory");
				goto out;
			}
			/* "@label" words become tags and leave the title */
			while (*s != '\0') {
				if (*s == '@' && (s == content || s[-1] == ' ') &&
				    s[1] != '\0' && s[1] != ' ') {
					size_t len = strcspn(s + 1, " ");

					tag_add(tags, s + 1, len);
					s += 1 + len;
					continue;
				}
				*t++ = *s++;
			}
			*t = '\0';
			while (t > title && t[-1] == ' ')
				*--t = '\0';
			if (section_name != NULL)
				tag_add(tags, section_name, strlen(section_name));
			/* in the document at once: every way out below frees it with doc */
			task = json_object_new_object();
			json_object_array_add(section(doc, "tasks"), task);
			snprintf(id, sizeof(id), "todoist-task-%d", ++ntask);
			json_object_object_add(task, "id", json_object_new_string(id));
			json_object_object_add(task, "project_id",
			    json_object_new_string("todoist-project"));
			json_object_object_add(task, "title", json_object_new_string(
			    blank(title) ? content : title + strspn(title, " ")));
			free(title);
			prio = cell(&rec, cprio);
			k = prio[0] >= '1' && prio[0] <= '4' && prio[1] == '\0' ? prio[0] - '1' : -1;
			if (k < 0 && !blank(prio)) {
				json_object_put(tags);
				fail(err, errlen, "record %d: PRIORITY must be 1 to 4, not %s", row, prio);
				goto out;
			}
			if (k >= 0) {
				char pr[3] = { 'p', (char)('0' + k), '\0' };

				json_object_object_add(task, "priority", json_object_new_string(pr));
			}
			json_object_object_add(task, "tags", tags);
			when = cell(&rec, cdate);
			switch (parse_when(when, date, ts, &utc)) {
			case 0:
				break;
			case 1: {
				char z[64];

				snprintf(z, sizeof(z), "%sT00:00:00Z", date);
				json_object_object_add(task, "due_at", json_object_new_string(z));
				break;
			}
			case 2:
				if (utc || blank(cell(&rec, ctz))) {
					char z[64];

					snprintf(z, sizeof(z), "%sZ", ts);
					json_object_object_add(task, "due_at", json_object_new_string(z));
				} else {
					json_object_object_add(task, "due_local",
					    json_object_new_string(ts));
					json_object_object_add(task, "due_tz",
					    json_object_new_string(cell(&rec, ctz)));
				}
				break;
			default: {
				/* natural language ("every monday"): kept in the description */
				size_t	 dl = strlen(desc) + strlen(when) + 32;
				char	*d = malloc(dl);

				if (d == NULL)
					break;
				snprintf(d, dl, "%s%sTodoist due: %s", desc, blank(desc) ? "" : "\n\n",
				    when);
				json_object_object_add(task, "description", json_object_new_string(d));
				free(d);
				desc = NULL;
				break;
			}
			}
			if (desc != NULL && !blank(desc))
				json_object_object_add(task, "description", json_object_new_string(desc));
		}
	}
	rc = 0;
out:
	csv_free(&hdr);
	csv_free(&rec);
	free(section_name);
	if (rc == 0)
		*out = doc;
	else
		json_object_put(doc);
	return rc;
}

/* ----------------------------------------------------------- Kanboard */

/* Kanboard's column (and Status) -> a taskman status. */
static const char *
kanboard_status(const char *status, const char *column)
{
	static const struct { const char *col, *st; } cols[] = {
		{ "backlog", "new" }, { "ready", "ready" }, { "to do", "ready" },
		{ "todo", "ready" }, { "work in progress", "in_progress" },
		{ "in progress", "in_progress" }, { "doing", "in_progress" },
		{ "review", "review" }, { "blocked", "blocked" }, { "done", "done" },
	};

	if (strcasecmp(status, "closed") == 0)
		return "done";
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		if (strcasecmp(column, cols[i].col) == 0)
			return cols[i].st;
	return "new";
}

/* A Kanboard date column into key as UTC; -1 when it is not a date. */
static int
kanboard_when(json_object *o, const char *key, const char *s)
{
	char	 date[32], ts[48], z[64];
	bool	 utc;

	switch (parse_when(s, date, ts, &utc)) {
	case 0:
		return 0;
	case 1:
		snprintf(z, sizeof(z), "%sT00:00:00Z", date);
		break;
	case 2:
		snprintf(z, sizeof(z), "%sZ", ts);
		break;
	default:
		return -1;
	}
	json_object_object_add(o, key, json_object_new_string(z));
	return 0;
}

/*
 * Kanboard's task export (Export > Tasks): columns found by their English
 * header names, so both the older and the newer column sets work.
 */
static int
kanboard_doc(const char *p, const char *end, json_object **out, char *err, size_t errlen)
{
	struct csv_record hdr, rec;
	char		 e2[256];
	int		 nh, n, row = 1, rc = -1;
	int		 cid, cproj, cstatus, ccat, ccol, cdue, cscore, ctitle, ccreated, cdone;
	int		 cprio, ctags, cdesc;
	json_object	*doc = new_doc();

	csv_init(&hdr);
	csv_init(&rec);
	if ((nh = csv_read(&hdr, &p, end, e2, sizeof(e2))) <= 0) {
		fail(err, errlen, "line 1: %s", nh < 0 ? e2 : "no header");
		csv_free(&hdr);
		json_object_put(doc);
		return -1;
	}
	cid = col(&hdr, "Task Id");
	cproj = col(&hdr, "Project");
	cstatus = col(&hdr, "Status");
	ccat = col(&hdr, "Category");
	ccol = col(&hdr, "Column");
	cdue = col(&hdr, "Due date");
	cscore = col(&hdr, "Complexity");
	ctitle = col(&hdr, "Title");
	ccreated = col(&hdr, "Creation date");
	cdone = col(&hdr, "Completion date");
	cprio = col(&hdr, "Priority");
	ctags = col(&hdr, "Tags");
	cdesc = col(&hdr, "Description");

	while ((n = csv_read(&rec, &p, end, e2, sizeof(e2))) != 0) {
		json_object	*t, *tags, *projects = section(doc, "projects");
		const char	*pname, *prio, *score, *tg, *status;
		char		 pid[300], tid[64];
		long		 v;
		char		*e;

		row++;
		if (n < 0) {
			fail(err, errlen, "record %d: %s", row, e2);
			goto out;
		}
		if (n == 1 && blank(rec.field[0]))
			continue;
		t = json_object_new_object();
		json_object_array_add(section(doc, "tasks"), t);
		snprintf(tid, sizeof(tid), "kanboard-task-%d:%.32s", row, cell(&rec, cid));
		json_object_object_add(t, "id", json_object_new_string(tid));
		json_object_object_add(t, "title", json_object_new_string(cell(&rec, ctitle)));
		if (!blank(cell(&rec, cdesc)))
			json_object_object_add(t, "description",
			    json_object_new_string(cell(&rec, cdesc)));
		pname = cell(&rec, cproj);
		if (!blank(pname)) {
			bool found = false;

			snprintf(pid, sizeof(pid), "kanboard-project:%.250s", pname);
			for (size_t i = 0; i < json_object_array_length(projects); i++) {
				json_object *x = NULL;

				json_object_object_get_ex(json_object_array_get_idx(projects, i),
				    "id", &x);
				if (strcmp(json_object_get_string(x), pid) == 0)
					found = true;
			}
			if (!found) {
				json_object *pr = json_object_new_object();

				json_object_object_add(pr, "id", json_object_new_string(pid));
				json_object_object_add(pr, "name", json_object_new_string(pname));
				json_object_object_add(pr, "status", json_object_new_string("active"));
				json_object_array_add(projects, pr);
			}
			json_object_object_add(t, "project_id", json_object_new_string(pid));
		}
		status = kanboard_status(cell(&rec, cstatus), cell(&rec, ccol));
		json_object_object_add(t, "status", json_object_new_string(status));
		prio = cell(&rec, cprio);
		if (!blank(prio)) {
			errno = 0;
			v = strtol(prio, &e, 10);
			if (errno != 0 || *e != '\0' || e == prio) {
				fail(err, errlen, "record %d: Priority must be a number, not %s", row, prio);
				goto out;
			}
			json_object_object_add(t, "priority", json_object_new_string(
			    v >= 2 ? "p0" : v == 1 ? "p1" : v == 0 ? "p2" : "p3"));
		}
		score = cell(&rec, cscore);
		if (!blank(score) && strcmp(score, "0") != 0)
			json_object_object_add(t, "estimate_points", json_object_new_string(score));
		tags = json_object_new_array();
		tg = cell(&rec, ctags);
		while (*tg != '\0') {
			size_t len = strcspn(tg, ",");

			tag_add(tags, tg, len);
			tg += len + (tg[len] == ',');
		}
		if (!blank(cell(&rec, ccat)))
			tag_add(tags, cell(&rec, ccat), strlen(cell(&rec, ccat)));
		json_object_object_add(t, "tags", tags);
		if (kanboard_when(t, "due_at", cell(&rec, cdue)) != 0 ||
		    kanboard_when(t, "created_at", cell(&rec, ccreated)) != 0 ||
		    (strcmp(status, "done") == 0 &&
		    kanboard_when(t, "completed_at", cell(&rec, cdone)) != 0)) {
			fail(err, errlen, "record %d: a date is not YYYY-MM-DD, MM/DD/YYYY or "
			    "DD.MM.YYYY (with an optional HH:MM)", row);
			goto out;
		}
	}
	rc = 0;
out:
	csv_free(&hdr);
	csv_free(&rec);
	if (rc == 0)
		*out = doc;
	else
		json_object_put(doc);
	return rc;
}

/* --------------------------------------------------------------- JSON */

/*
 * A taskman export: the format and version, every section an array of
 * objects, and the closing counts matching them (a cut or edited
 * document is refused).
 */
static int
json_doc(const char *data, size_t len, json_object **out, char *err, size_t errlen)
{
	struct json_tokener	*tok = json_tokener_new_ex(64);
	json_object		*doc = NULL, *v, *counts, *a;
	enum json_tokener_error	 je;
	int			 rc = -1;

	if (tok == NULL) {
		fail(err, errlen, "out of memory");
		return -1;
	}
	doc = json_tokener_parse_ex(tok, data, (int)len);
	je = json_tokener_get_error(tok);
	if (doc == NULL || je != json_tokener_success) {
		fail(err, errlen, "not valid JSON (%s)", je == json_tokener_continue ?
		    "the document ends early" : json_tokener_error_desc(je));
		goto out;
	}
	if (json_tokener_get_parse_end(tok) < len &&
	    strspn(data + json_tokener_get_parse_end(tok), " \t\r\n") !=
	    len - json_tokener_get_parse_end(tok)) {
		fail(err, errlen, "text after the JSON document");
		goto out;
	}
	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "format", &v) ||
	    strcmp(json_object_get_string(v), "taskman-export") != 0) {
		fail(err, errlen, "not a taskman export (\"format\": \"taskman-export\")");
		goto out;
	}
	if (!json_object_object_get_ex(doc, "version", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int(v) != 1) {
		fail(err, errlen, "unknown export version (this taskmanctl reads version 1)");
		goto out;
	}
	if (!json_object_object_get_ex(doc, "counts", &counts) ||
	    !json_object_is_type(counts, json_type_object)) {
		fail(err, errlen, "the document has no \"counts\": it was cut short");
		goto out;
	}
	for (int i = 0; i < NSECTIONS; i++) {
		v = NULL;
		if (!json_object_object_get_ex(doc, section_names[i], &a) ||
		    !json_object_is_type(a, json_type_array)) {
			fail(err, errlen, "\"%s\" is missing or not an array", section_names[i]);
			goto out;
		}
		if (!json_object_object_get_ex(counts, section_names[i], &v) ||
		    !json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) != (int64_t)json_object_array_length(a)) {
			fail(err, errlen, "\"%s\" does not have the %s rows \"counts\" says",
			    section_names[i], v ? json_object_get_string(v) : "?");
			goto out;
		}
		for (size_t k = 0; k < json_object_array_length(a); k++) {
			json_object *e = json_object_array_get_idx(a, k), *id;

			if (!json_object_is_type(e, json_type_object) ||
			    (i != SEC_ACTIVITY && i != 4 &&
			    (!json_object_object_get_ex(e, "id", &id) ||
			    !json_object_is_type(id, json_type_string)))) {
				fail(err, errlen, "%s[%zu] is not an object with a string id",
				    section_names[i], k);
				goto out;
			}
		}
	}
	*out = doc;
	doc = NULL;
	rc = 0;
out:
	json_object_put(doc);
	json_tokener_free(tok);
	return rc;
}

/* ----------------------------------------------------------- database */

/* Prints the database's reason for res (or the connection's). */
static void
db_report(PGconn *conn, const PGresult *res, const char *what)
{
	const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *d = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	size_t n;

	if (m == NULL)
		m = PQerrorMessage(conn);
	n = strcspn(m, "\n");
	fprintf(stderr, "taskmanctl: import failed (%s): %.*s%s%s\n", what, (int)n, m,
	    d ? ": " : "", d ? d : "");
}

static bool
exec_ok(PGconn *conn, const char *sql, int np, const char *const *pv,
    ExecStatusType want, const char *what, PGresult **keep)
{
	PGresult *res = PQexecParams(conn, sql, np, NULL, pv, NULL, NULL, 0);

	if (PQresultStatus(res) != want) {
		db_report(conn, res, what);
		PQclear(res);
		return false;
	}
	if (keep != NULL)
		*keep = res;
	else
		PQclear(res);
	return true;
}

/* Loads doc for the user with e-mail email; 0 or 1 (nothing changed). */
static int
load(PGconn *conn, json_object *doc, const char *email)
{
	PGresult	*res = NULL;
	const char	*pv[2];
	char		 uid[40], role[16];
	long		 done[NSECTIONS] = { 0 }, skipped[NSECTIONS] = { 0 };
	int		 rc = EXIT_FAILURE;

	if (!exec_ok(conn, "BEGIN", 0, NULL, PGRES_COMMAND_OK, "begin", NULL) ||
	    !exec_ok(conn, "SELECT set_config('taskman.role', 'admin', true)", 0, NULL,
	    PGRES_TUPLES_OK, "admin context", NULL))
		goto out;
	pv[0] = email;
	if (!exec_ok(conn, sql_user, 1, pv, PGRES_TUPLES_OK, "user", &res))
		goto out;
	if (PQntuples(res) != 1) {
		fprintf(stderr, "taskmanctl: no user with e-mail %s\n", email);
		goto out;
	}
	snprintf(uid, sizeof(uid), "%s", PQgetvalue(res, 0, 0));
	snprintf(role, sizeof(role), "%s", PQgetvalue(res, 0, 1));
	if (strcmp(PQgetvalue(res, 0, 2), "t") == 0 || strcmp(role, "readonly") == 0) {
		fprintf(stderr, "taskmanctl: user %s is %s: nothing can be imported for them\n",
		    email, strcmp(role, "readonly") == 0 ? "readonly" : "disabled");
		goto out;
	}
	PQclear(res);
	res = NULL;
	/* from here on the rows are the user's own writes (activity names them) */
	pv[0] = uid;
	pv[1] = role;
	if (!exec_ok(conn, sql_act_as, 2, pv, PGRES_TUPLES_OK, "user context", NULL) ||
	    !exec_ok(conn, sql_map, 0, NULL, PGRES_COMMAND_OK, "id map", NULL))
		goto out;

	for (int i = 0; i < NSECTIONS; i++) {
		json_object	*a = section(doc, section_names[i]);
		size_t		 len = a ? json_object_array_length(a) : 0;

		if (section_sql[i] == NULL) {
			skipped[i] = (long)len;
			continue;
		}
		for (size_t k = 0; k < len; k += BATCH_ROWS) {
			json_object *batch = json_object_new_array();
			char what[64];

			for (size_t j = k; j < len && j < k + BATCH_ROWS; j++)
				json_object_array_add(batch,
				    json_object_get(json_object_array_get_idx(a, j)));
			pv[0] = json_object_to_json_string_ext(batch, JSON_C_TO_STRING_PLAIN);
			pv[1] = uid;
			snprintf(what, sizeof(what), "%s %zu to %zu", section_names[i], k + 1,
			    k + BATCH_ROWS < len ? k + BATCH_ROWS : len);
			if (pv[0] == NULL ||
			    !exec_ok(conn, section_sql[i], 2, pv, PGRES_TUPLES_OK, what, &res)) {
				json_object_put(batch);
				goto out;
			}
			json_object_put(batch);
			done[i] += atol(PQgetvalue(res, 0, 0));
			skipped[i] += atol(PQgetvalue(res, 0, 1));
			PQclear(res);
			res = NULL;
		}
	}
	/* COMMIT of a failed transaction "succeeds" with the tag ROLLBACK */
	res = PQexec(conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK || strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		db_report(conn, res, "commit");
		goto out;
	}
	printf("imported for %s (%s):", email, uid);
	for (int i = 0; i < NSECTIONS; i++)
		printf(" %ld %s%s", done[i], section_names[i], i + 1 < NSECTIONS ? "," : "\n");
	for (int i = 0; i < NSECTIONS; i++)
		if (skipped[i] > 0)
			printf("not imported: %ld %s (%s)\n", skipped[i], section_names[i],
			    i == SEC_ACTIVITY ? "the activity log records the import itself" :
			    i == 1 ? "their project is not in the file" :
			    "their task is not in the file");
	rc = EXIT_SUCCESS;
out:
	PQclear(res);
	return rc;
}

/* ------------------------------------------------------------ command */

static int
read_file(const char *path, char **data, size_t *len)
{
	FILE	*fp = fopen(path, "rb");
	char	*b = NULL;
	size_t	 n = 0, cap = 0, got;

	if (fp == NULL) {
		fprintf(stderr, "taskmanctl: %s: %s\n", path, strerror(errno));
		return EX_NOINPUT;
	}
	for (;;) {
		if (n == cap) {
			char *nb;

			if (cap >= IMPORT_FILE_MAX) {
				fprintf(stderr, "taskmanctl: %s is larger than %zu MiB\n", path,
				    IMPORT_FILE_MAX >> 20);
				goto bad;
			}
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(b, cap + 1)) == NULL) {
				fputs("taskmanctl: out of memory\n", stderr);
				goto bad;
			}
			b = nb;
		}
		got = fread(b + n, 1, cap - n, fp);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		fprintf(stderr, "taskmanctl: %s: read error\n", path);
		goto bad;
	}
	fclose(fp);
	b[n] = '\0';
	*data = b;
	*len = n;
	return 0;
bad:
	fclose(fp);
	free(b);
	return EX_NOINPUT;
}

/* The project name a Todoist file becomes: its base name without ".csv". */
static void
name_from_path(const char *path, char *dst, size_t dstlen)
{
	const char	*b = strrchr(path, '/');
	size_t		 n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 4 && strcasecmp(b + n - 4, ".csv") == 0)
		n -= 4;
	if (n > 200)
		n = 200;
	while (n > 0 && ((unsigned char)b[n] & 0xc0) == 0x80)
		n--;	/* never cut a UTF-8 sequence */
	snprintf(dst, dstlen, "%.*s", (int)n, b);
	if (blank(dst))
		snprintf(dst, dstlen, "Todoist import");
}

static enum format
detect(const char *p, const char *end)
{
	const char	*q = p;
	struct csv_record hdr;
	char		 e[128];
	enum format	 f = FMT_AUTO;

	while (q < end && isspace((unsigned char)*q))
		q++;
	if (q < end && *q == '{')
		return FMT_JSON;
	csv_init(&hdr);
	if (csv_read(&hdr, &p, end, e, sizeof(e)) > 0) {
		if (col(&hdr, "TYPE") >= 0 && col(&hdr, "CONTENT") >= 0)
			f = FMT_TODOIST;
		else if (col(&hdr, "Task Id") >= 0 && col(&hdr, "Title") >= 0)
			f = FMT_KANBOARD;
	}
	csv_free(&hdr);
	return f;
}

int
import_cmd(int argc, char **argv)
{
	const char	*path = NULL, *email = NULL, *fmt_s = "auto", *project = NULL;
	const char	*conninfo, *p, *end;
	char		*data = NULL, err[512], pname[256];
	size_t		 len = 0;
	json_object	*doc = NULL;
	PGconn		*conn = NULL;
	enum format	 fmt;
	int		 rc = EX_USAGE;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			import_usage(stdout);
			return EXIT_SUCCESS;
		} else if ((strcmp(a, "--user") == 0 || strcmp(a, "--format") == 0 ||
		    strcmp(a, "--project") == 0) && i + 1 < argc) {
			if (a[2] == 'u')
				email = argv[++i];
			else if (a[2] == 'f')
				fmt_s = argv[++i];
			else
				project = argv[++i];
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "taskmanctl: unknown option or missing value: %s\n", a);
			goto usage;
		} else if (path == NULL)
			path = a;
		else {
			fprintf(stderr, "taskmanctl: unexpected argument %s\n", a);
			goto usage;
		}
	}
	if (path == NULL || email == NULL) {
		fputs("taskmanctl: import needs FILE and --user EMAIL\n", stderr);
		goto usage;
	}
	if (!valid_email(email, strlen(email))) {
		fprintf(stderr, "taskmanctl: %s is not an e-mail address\n", email);
		goto usage;
	}
	if (strcmp(fmt_s, "auto") == 0)
		fmt = FMT_AUTO;
	else if (strcmp(fmt_s, "json") == 0)
		fmt = FMT_JSON;
	else if (strcmp(fmt_s, "todoist") == 0)
		fmt = FMT_TODOIST;
	else if (strcmp(fmt_s, "kanboard") == 0)
		fmt = FMT_KANBOARD;
	else {
		fprintf(stderr, "taskmanctl: --format must be auto, json, todoist or kanboard\n");
		goto usage;
	}
	if (project != NULL && (blank(project) || strlen(project) > 200)) {
		fputs("taskmanctl: --project must be 1 to 200 characters\n", stderr);
		goto usage;
	}

	if ((rc = read_file(path, &data, &len)) != 0)
		goto out;
	rc = EXIT_FAILURE;
	p = data;
	end = data + len;
	/* a UTF-8 byte order mark (spreadsheet programs write one) */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	if (fmt == FMT_AUTO && (fmt = detect(p, end)) == FMT_AUTO) {
		fprintf(stderr, "taskmanctl: %s: not a taskman export (JSON), a Todoist CSV "
		    "(TYPE, CONTENT, ...) or a Kanboard CSV (Task Id, Title, ...)\n", path);
		goto out;
	}
	if (memchr(p, '\0', (size_t)(end - p)) != NULL) {
		fprintf(stderr, "taskmanctl: %s: the file contains NUL bytes\n", path);
		goto out;
	}
	if (fmt == FMT_TODOIST) {
		if (project != NULL)
			snprintf(pname, sizeof(pname), "%s", project);
		else
			name_from_path(path, pname, sizeof(pname));
	}
	if ((fmt == FMT_JSON && json_doc(p, (size_t)(end - p), &doc, err, sizeof(err)) != 0) ||
	    (fmt == FMT_TODOIST && todoist_doc(p, end, pname, &doc, err, sizeof(err)) != 0) ||
	    (fmt == FMT_KANBOARD && kanboard_doc(p, end, &doc, err, sizeof(err)) != 0)) {
		fprintf(stderr, "taskmanctl: %s: %s; nothing was imported\n", path, err);
		goto out;
	}
	free(data);
	data = NULL;

	conninfo = getenv("TASKMAN_MIGRATE_DATABASE_URL");
	if (conninfo == NULL || conninfo[0] == '\0')
		conninfo = getenv("TASKMAN_DATABASE_URL");
	switch (migrate_connect(conninfo, &conn)) {
	case MIGRATE_OK:
		break;
	case MIGRATE_CONFIG:
		rc = EX_CONFIG;
		goto out;
	default:
		goto out;
	}
	if ((rc = load(conn, doc, email)) != EXIT_SUCCESS)
		fprintf(stderr, "taskmanctl: %s: nothing was imported\n", path);
	goto out;
usage:
	import_usage(stderr);
	rc = EX_USAGE;
out:
	free(data);
	json_object_put(doc);
	if (conn != NULL)
		PQfinish(conn);	/* an open transaction is rolled back */
	return rc;
}
