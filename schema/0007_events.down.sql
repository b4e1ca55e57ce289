-- 0007_events.down.sql — removes everything 0007_events.up.sql created.

REVOKE ALL ON projects, tasks FROM taskman_jobs;
REVOKE ALL (id, email, username, display_name, notify_email, disabled) ON users FROM taskman_jobs;
REVOKE ALL ON schema_migrations FROM taskman_jobs;
REVOKE USAGE ON SCHEMA public FROM taskman_jobs;

DROP POLICY tasks_jobs_select ON tasks;
DROP POLICY projects_jobs_select ON projects;
DROP POLICY users_jobs_select ON users;

DROP TRIGGER IF EXISTS tasks_assignment_mail ON tasks;
DROP TRIGGER projects_events ON projects;
DROP TRIGGER tasks_events ON tasks;

DROP FUNCTION taskman_jobs_schedule(boolean, integer);
DROP FUNCTION taskman_jobs_delivery_done(uuid, boolean, integer, text, integer, bigint, bigint);
DROP FUNCTION taskman_tasks_assignment_mail();
DROP FUNCTION taskman_mail_enqueue(uuid, text, text, jsonb);
DROP FUNCTION taskman_projects_events();
DROP FUNCTION taskman_tasks_events();
DROP FUNCTION taskman_json_changes(jsonb, jsonb);
DROP FUNCTION taskman_events_fanout(uuid, uuid, text, json, jsonb);
DROP FUNCTION taskman_event_may_see(uuid, uuid, uuid);
DROP FUNCTION taskman_delivery_json(webhook_deliveries);
DROP FUNCTION taskman_webhook_json(webhooks);

DROP TABLE mail_digests;
DROP TABLE mail_outbox;
DROP TABLE task_due_notices;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_secrets;
DROP TABLE webhooks;
DROP FUNCTION taskman_webhook_events_valid(text[]);

ALTER TABLE users DROP COLUMN notify_email;
