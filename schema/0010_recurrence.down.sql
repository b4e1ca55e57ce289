-- 0010_recurrence.down.sql — undoes 0010_recurrence.up.sql (recurrences are dropped).

CREATE OR REPLACE FUNCTION taskman_task_json(t tasks) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'id', t.id, 'title', t.title, 'description', t.description,
        'status', t.status, 'priority', t.priority,
        'due_at', to_char(t.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'tags', to_json(t.tags), 'estimate_points', t.estimate_points,
        'project_id', t.project_id, 'sprint_id', t.sprint_id,
        'completed_at', to_char(t.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'owner_id', t.owner_id, 'assignee_id', t.assignee_id,
        'created_at', to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'updated_at', to_char(t.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'version', t.version)
$$;
DROP TRIGGER tasks_recur ON tasks;
DROP FUNCTION taskman_tasks_recur(), taskman_rrule_after_one(text),
    taskman_rrule_next(text, timestamptz), taskman_recurrence_norm(jsonb);
ALTER TABLE tasks DROP COLUMN next_occurrence_id, DROP COLUMN recurrence;
