-- 0004_planning.down.sql — removes everything 0004_planning.up.sql created.

DROP INDEX action_lists_owner_title_idx;
DROP INDEX sprints_owner_start_idx;
DROP INDEX sprints_owner_name_idx;
DROP INDEX projects_owner_name_idx;

DROP FUNCTION taskman_action_list_json(action_lists);
DROP FUNCTION taskman_sprint_json(sprints);
DROP FUNCTION taskman_project_json(projects);
DROP FUNCTION taskman_date(date);
