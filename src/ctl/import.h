/*
 * import.h -- `taskmanctl import FILE --user EMAIL`: loads a taskman
 * export (GET /api/v1/export), a Todoist project CSV or a Kanboard task
 * CSV export into one user's account, with new ids and the references
 * between the rows kept (docs/EXPORT.md has the formats and mappings).
 *
 *   taskmanctl import FILE --user EMAIL [--format auto|json|todoist|kanboard]
 *                          [--project NAME]
 *
 * The format is detected from the file: a JSON object is a taskman
 * export, a CSV header with TYPE and CONTENT is Todoist's, one with
 * "Task Id" and "Title" is Kanboard's.  --project names the project a
 * Todoist file becomes (default: the file name without .csv).
 *
 * Everything happens in one transaction: a file that is malformed in any
 * way (syntax, a cut document, a value the data model refuses) changes
 * nothing.  Database: TASKMAN_MIGRATE_DATABASE_URL (the owner role), else
 * TASKMAN_DATABASE_URL, else PG*; the rows are written as the user
 * (taskman.user_id), so the activity log names them.
 *
 * Exit statuses: 0 imported, 1 failure (malformed file, no such user,
 * database error), 64 bad command line, 66 unreadable file, 78 bad
 * configuration.
 */
#ifndef TASKMAN_CTL_IMPORT_H
#define TASKMAN_CTL_IMPORT_H

#include <stddef.h>

/* argv[0] is "import"; returns the exit status. */
int	import_cmd(int argc, char **argv);

/* The largest file read (the CSV bounds are in csv.h). */
#define IMPORT_FILE_MAX	((size_t)256 << 20)

#endif /* TASKMAN_CTL_IMPORT_H */
