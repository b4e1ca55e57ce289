-- 0009_batch.down.sql — undoes 0009_batch.up.sql.
DROP FUNCTION taskman_tasks_batch(uuid, jsonb, boolean);
