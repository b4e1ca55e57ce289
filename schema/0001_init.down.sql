-- 0001_init.down.sql — removes everything 0001_init.up.sql created.
-- schema_migrations belongs to taskmanctl and stays; only the privilege this
-- migration granted on it is taken back.  The REVOKE CREATE ON SCHEMA public
-- is deliberately not undone (it is PG 15's default anyway).
-- Dropping a table drops its indexes, constraints, triggers and policies.

REVOKE SELECT ON schema_migrations FROM taskman_app;

DROP TABLE idempotency_keys;
DROP TABLE action_lists;
DROP TABLE tasks;
DROP TABLE sprints;
DROP TABLE projects;
DROP TABLE login_throttle;
DROP TABLE audit_events;
DROP TABLE refresh_sessions;
DROP TABLE users;

DROP FUNCTION taskman_action_items_check_tasks();
DROP FUNCTION taskman_unlink_deleted_task();
DROP FUNCTION taskman_detach_from_sprint();
DROP FUNCTION taskman_detach_from_project();
DROP FUNCTION taskman_users_guard();
DROP FUNCTION taskman_task_document(text, text[], text);
DROP FUNCTION taskman_action_items_valid(jsonb);
DROP FUNCTION taskman_tags_valid(text[]);

-- USAGE ON SCHEMA public was granted to taskman_app by 0001; take it back so
-- that the database is as 0001 found it.
REVOKE USAGE ON SCHEMA public FROM taskman_app;
