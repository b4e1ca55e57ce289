-- 0011_assignee_index.down.sql — back to 0008's full index.
DROP INDEX tasks_scope_assignee_idx;
CREATE INDEX tasks_scope_assignee_idx ON tasks (scope, assignee_id, created_at, id);
