-- 0003_tasks.down.sql — undoes 0003_tasks.up.sql.

DROP INDEX tasks_open_urgent_order_idx;
DROP INDEX tasks_owner_title_c_idx;
DROP INDEX tasks_owner_due_desc_idx;
DROP INDEX tasks_owner_due_asc_idx;

DROP FUNCTION taskman_task_page(uuid, jsonb, text, jsonb, uuid, integer, integer, text);
DROP FUNCTION taskman_task_problems(uuid, tasks, jsonb);
DROP FUNCTION taskman_task_apply(uuid, tasks, jsonb);
DROP FUNCTION taskman_task_transition_ok(text, text);
DROP FUNCTION taskman_ts_key(timestamptz);
DROP FUNCTION taskman_todo_json(tasks);
DROP FUNCTION taskman_task_json(tasks);
