-- 0007_events.up.sql — webhooks, their delivery outbox, e-mail
-- notifications and the triggers that write events (API.md section 9).
--
-- Design (docs/EVENTS.md has the long form):
-- * An event is written by a trigger in the transaction of the change:
--   one webhook_deliveries row per matching active webhook, with the exact
--   body that will be sent.  A rolled-back change leaves no row; a committed
--   one always has its rows.  taskman-jobs delivers them (at least once).
-- * The triggers are cheap for owners without webhooks: one probe of the
--   partial index webhooks_active_owner_idx, then return.  Everything else
--   (JSON, changes, actor) is computed only when some webhook exists.
-- * taskman-jobs connects as the role taskman_jobs (created by the
--   operator, like taskman_app; see docs/DEPLOYMENT.md).  It sees every row
--   of the outbox tables and reads (never writes) users, projects and tasks
--   through policies of its own.  The workers (taskman_app) manage their
--   own webhooks and read their own deliveries; they cannot read webhook
--   secrets at all (webhook_secrets: INSERT only).
-- * SECURITY DEFINER functions here are owned by taskman_owner; the
--   "service" policies below (TO taskman_owner) are what lets them see the
--   outbox rows of other users.  Each pins search_path.

------------------------------------------------------------------------------
-- E-mail opt-out
------------------------------------------------------------------------------

ALTER TABLE users ADD COLUMN notify_email boolean NOT NULL DEFAULT true;

------------------------------------------------------------------------------
-- Tables
------------------------------------------------------------------------------

-- events: each a known event name or '*'; checked by the application too.
CREATE FUNCTION taskman_webhook_events_valid(events text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT cardinality(events) BETWEEN 1 AND 20 AND array_ndims(events) = 1
       AND events <@ ARRAY['*', 'task.created', 'task.updated', 'task.deleted',
                           'task.status_changed', 'task.assigned', 'task.due_soon',
                           'comment.created', 'project.updated', 'project.deleted',
                           'project.member_added', 'project.member_removed']
$$;

CREATE TABLE webhooks (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url             text        NOT NULL CHECK (char_length(url) BETWEEN 10 AND 2048
                                               AND url ~ '^https?://[^/?#@[:space:]]+'),
    events          text[]      NOT NULL CHECK (taskman_webhook_events_valid(events)),
    -- Only events of this project (its owner or, with teams, a member).
    project_id      uuid        REFERENCES projects (id) ON DELETE CASCADE,
    description     text        CHECK (char_length(description) <= 500),
    active          boolean     NOT NULL DEFAULT true,
    -- Why taskman-jobs deactivated it (NULL when a user did, or it is active).
    disabled_reason text        CHECK (char_length(disabled_reason) <= 500),
    -- Start of the current run of failed deliveries; NULL after a success.
    failing_since   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer     NOT NULL DEFAULT 1 CHECK (version >= 1)
);
CREATE INDEX webhooks_owner_created_idx ON webhooks (owner_id, created_at, id);
-- The triggers' one probe: does this owner have any active webhook?
CREATE INDEX webhooks_active_owner_idx ON webhooks (owner_id) WHERE active;
CREATE INDEX webhooks_project_idx ON webhooks (project_id) WHERE project_id IS NOT NULL;

-- The signing secret: 32 random bytes made by the worker, shown once in
-- the POST response.  Kept apart so that the workers' role can write it
-- but never read it back (no SELECT grant); taskman-jobs signs with it.
CREATE TABLE webhook_secrets (
    webhook_id uuid  PRIMARY KEY REFERENCES webhooks (id) ON DELETE CASCADE,
    owner_id   uuid  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret     bytea NOT NULL CHECK (octet_length(secret) = 32)
);

-- The outbox: one row per (event, webhook).  id is the delivery id the
-- receiver sees in X-Taskman-Delivery and in the body, on every retry.
CREATE TABLE webhook_deliveries (
    id                uuid        PRIMARY KEY,
    webhook_id        uuid        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    owner_id          uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event             text        NOT NULL CHECK (event ~ '^[a-z_]+(\.[a-z_]+)?$'),
    -- For the access re-check at delivery (taskman_event_may_see).
    resource_owner_id uuid,
    project_id        uuid,
    payload           text        NOT NULL,
    status            text        NOT NULL DEFAULT 'pending'
                                  CHECK (status IN ('pending', 'delivered', 'failed', 'skipped')),
    attempts          integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_attempt_at   timestamptz,
    last_status_code  integer,
    last_error        text        CHECK (char_length(last_error) <= 500),
    last_duration_ms  integer,
    delivered_at      timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at DESC, id);
CREATE INDEX webhook_deliveries_created_idx ON webhook_deliveries (created_at)
    WHERE status <> 'pending';                                   -- retention

-- task.due_soon is sent once per (task, due_at): a new due date may be
-- announced again.
CREATE TABLE task_due_notices (
    task_id uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    due_at  timestamptz NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, due_at)
);

-- Mails.  status: pending -> sending (committed before the SMTP
-- conversation starts) -> sent | failed; skipped when the user opted out
-- or no relay is configured.  A crash during "sending" leaves the row
-- there: a mail is sent at most once.  user_id NULL: to_address (an
-- invitation to an address without an account, with teams).
CREATE TABLE mail_outbox (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid        REFERENCES users (id) ON DELETE CASCADE,
    to_address      text        CHECK (char_length(to_address) BETWEEN 3 AND 254
                                       AND to_address ~ '^[^@[:space:]<>,;"]+@[^@[:space:]<>,;"]+$'),
    kind            text        NOT NULL CHECK (kind IN ('assignment', 'digest', 'invitation')),
    payload         jsonb       NOT NULL DEFAULT '{}',
    status          text        NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    message_id      text        CHECK (char_length(message_id) <= 200),
    last_error      text        CHECK (char_length(last_error) <= 500),
    CONSTRAINT mail_outbox_recipient CHECK (user_id IS NOT NULL OR to_address IS NOT NULL)
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_created_idx ON mail_outbox (created_at) WHERE status <> 'pending';
CREATE INDEX mail_outbox_user_idx ON mail_outbox (user_id);

-- One digest per user and UTC day (the primary key makes it once even
-- with several taskman-jobs scheduling at the same moment).
CREATE TABLE mail_digests (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day     date NOT NULL,
    PRIMARY KEY (user_id, day)
);

------------------------------------------------------------------------------
-- JSON
------------------------------------------------------------------------------

CREATE FUNCTION taskman_webhook_json(w webhooks) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'id', w.id, 'url', w.url, 'events', w.events, 'project_id', w.project_id,
        'description', w.description, 'active', w.active,
        'disabled_reason', w.disabled_reason,
        'created_at', taskman_ts(w.created_at), 'updated_at', taskman_ts(w.updated_at),
        'version', w.version)
$$;

CREATE FUNCTION taskman_delivery_json(d webhook_deliveries) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'id', d.id, 'webhook_id', d.webhook_id, 'event', d.event, 'status', d.status,
        'attempts', d.attempts, 'created_at', taskman_ts(d.created_at),
        'last_attempt_at', taskman_ts(d.last_attempt_at),
        'last_status_code', d.last_status_code, 'last_error', d.last_error,
        'last_duration_ms', d.last_duration_ms,
        'next_attempt_at', CASE WHEN d.status = 'pending' THEN taskman_ts(d.next_attempt_at) END,
        'delivered_at', taskman_ts(d.delivered_at))
$$;

------------------------------------------------------------------------------
-- Access and fan-out
------------------------------------------------------------------------------

-- May user p_user receive an event about a resource owned by p_owner in
-- project p_project (NULL: a personal resource, or the project itself is
-- gone)?  Today: only the owner.  TEAMS HOOK: when project membership
-- exists, a project-scoped event is visible to every member of
-- p_project; replace this function (same signature) in that migration.
-- Used at fan-out and again by taskman-jobs right before each delivery.
CREATE FUNCTION taskman_event_may_see(p_user uuid, p_owner uuid, p_project uuid)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    v_prev text := current_setting('taskman.user_id', true);
    v_ok   boolean;
BEGIN
    IF p_user IS DISTINCT FROM p_owner THEN      -- TEAMS HOOK: members too
        RETURN false;
    END IF;
    IF p_project IS NULL THEN
        RETURN true;
    END IF;
    -- Look as p_user (row-level security decides, as for a request of
    -- theirs); the caller's setting is put back before returning.
    PERFORM set_config('taskman.user_id', p_user::text, true);
    SELECT EXISTS (SELECT 1 FROM public.projects p
                    WHERE p.id = p_project AND p.owner_id = p_user) INTO v_ok;
    PERFORM set_config('taskman.user_id', coalesce(v_prev, ''), true);
    RETURN v_ok;
END
$$;

-- Writes one delivery per active webhook that wants p_event about a
-- resource of p_owner (in p_project, or NULL), and wakes taskman-jobs.
-- p_data is the resource as its GET returns it, p_changes {field: [old,
-- new]} or NULL.  The actor is the request's user (taskman.user_id), if
-- any.  Returns the number of deliveries written.
CREATE FUNCTION taskman_events_fanout(p_owner uuid, p_project uuid, p_event text,
                                      p_data json, p_changes jsonb)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    v_actor json;
    v_n     integer;
BEGIN
    SELECT json_build_object('id', u.id, 'username', u.username) INTO v_actor
      FROM public.users u
     WHERE u.id = NULLIF(current_setting('taskman.user_id', true), '')::uuid;
    WITH w AS (
        SELECT w.id AS webhook_id, w.owner_id, gen_random_uuid() AS id
          FROM public.webhooks w
         WHERE w.active
           -- TEAMS HOOK: also the webhooks of p_project's members
           AND w.owner_id = p_owner
           AND (w.project_id IS NULL OR w.project_id = p_project)
           AND w.events && ARRAY[p_event, '*']
           AND public.taskman_event_may_see(w.owner_id, p_owner, p_project))
    INSERT INTO public.webhook_deliveries
           (id, webhook_id, owner_id, event, resource_owner_id, project_id, payload)
    SELECT w.id, w.webhook_id, w.owner_id, p_event, p_owner, p_project,
           json_build_object('id', w.id, 'event', p_event,
                             'occurred_at', public.taskman_ts(now()),
                             'actor', v_actor, 'data', p_data,
                             'changes', coalesce(p_changes, '{}'::jsonb))::text
      FROM w;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_n > 0 THEN
        PERFORM pg_notify('taskman_jobs', 'webhook');
    END IF;
    RETURN v_n;
END
$$;

-- {field: [old, new]} between two JSON objects, bookkeeping fields left out.
CREATE FUNCTION taskman_json_changes(p_old jsonb, p_new jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(jsonb_object_agg(n.key, jsonb_build_array(o.value, n.value)), '{}'::jsonb)
      FROM jsonb_each(p_new) AS n
      JOIN jsonb_each(p_old) AS o ON o.key = n.key
     WHERE n.value IS DISTINCT FROM o.value
       AND n.key NOT IN ('updated_at', 'version')
$$;

------------------------------------------------------------------------------
-- Triggers: the outbox is written in the transaction of the change
------------------------------------------------------------------------------

CREATE FUNCTION taskman_tasks_events() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    v_owner   uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.owner_id ELSE NEW.owner_id END;
    v_project uuid;
    v_new     jsonb;
    v_old     jsonb;
BEGIN
    -- The cheap exit: the owner has no active webhook (one index probe).
    -- TEAMS HOOK: members' webhooks of the task's project too.
    PERFORM 1 FROM public.webhooks w WHERE w.owner_id = v_owner AND w.active LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM public.taskman_events_fanout(v_owner, NEW.project_id, 'task.created',
                                             public.taskman_task_json(NEW), NULL);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM public.taskman_events_fanout(v_owner, OLD.project_id, 'task.deleted',
                                             public.taskman_task_json(OLD), NULL);
    ELSE
        v_new := public.taskman_task_json(NEW)::jsonb;
        v_old := public.taskman_task_json(OLD)::jsonb;
        IF v_new = v_old THEN
            RETURN NULL;
        END IF;
        -- A task moved out of a project is announced to the old project too.
        v_project := coalesce(NEW.project_id, OLD.project_id);
        PERFORM public.taskman_events_fanout(v_owner, v_project, 'task.updated',
                                             v_new::json, public.taskman_json_changes(v_old, v_new));
        IF NEW.status IS DISTINCT FROM OLD.status THEN
            PERFORM public.taskman_events_fanout(v_owner, v_project, 'task.status_changed',
                v_new::json, jsonb_build_object('status', jsonb_build_array(OLD.status, NEW.status)));
        END IF;
        -- assignee_id arrives with teams; through jsonb this compiles and
        -- runs with or without the column.
        IF to_jsonb(NEW) -> 'assignee_id' IS DISTINCT FROM to_jsonb(OLD) -> 'assignee_id' THEN
            PERFORM public.taskman_events_fanout(v_owner, v_project, 'task.assigned',
                v_new::json, jsonb_build_object('assignee_id', jsonb_build_array(
                    to_jsonb(OLD) -> 'assignee_id', to_jsonb(NEW) -> 'assignee_id')));
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER tasks_events AFTER INSERT OR UPDATE OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION taskman_tasks_events();

CREATE FUNCTION taskman_projects_events() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    v_owner uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.owner_id ELSE NEW.owner_id END;
    v_new   jsonb;
    v_old   jsonb;
BEGIN
    PERFORM 1 FROM public.webhooks w WHERE w.owner_id = v_owner AND w.active LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        -- The project is gone: its own webhooks go with it (ON DELETE
        -- CASCADE); the owner's unscoped ones hear about it.
        PERFORM public.taskman_events_fanout(v_owner, NULL, 'project.deleted',
                                             public.taskman_project_json(OLD), NULL);
    ELSE
        v_new := public.taskman_project_json(NEW)::jsonb;
        v_old := public.taskman_project_json(OLD)::jsonb;
        IF v_new <> v_old THEN
            PERFORM public.taskman_events_fanout(v_owner, NEW.id, 'project.updated',
                                                 v_new::json, public.taskman_json_changes(v_old, v_new));
        END IF;
    END IF;
    RETURN NULL;
END
$$;
-- BEFORE DELETE: the project's own webhooks still exist... but are about
-- to be deleted with it; AFTER DELETE sees the cascade done.  AFTER it is.
CREATE TRIGGER projects_events AFTER UPDATE OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION taskman_projects_events();

------------------------------------------------------------------------------
-- Mail: enqueueing (hooks for teams) and the assignment trigger
------------------------------------------------------------------------------

-- Queues a mail of p_kind to user p_user (or, when NULL, to p_address)
-- unless the user opted out.  TEAMS HOOK: invitations call this with kind
-- 'invitation' and payload {project, inviter, token_url}.
CREATE FUNCTION taskman_mail_enqueue(p_user uuid, p_address text, p_kind text,
                                     p_payload jsonb)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    v_prev text := current_setting('taskman.role', true);
    v_ok   boolean;
BEGIN
    IF p_user IS NOT NULL THEN
        -- Another user's row: admin for this look-up only (see 0001).
        PERFORM set_config('taskman.role', 'admin', true);
        SELECT u.notify_email AND NOT u.disabled AND u.email IS NOT NULL INTO v_ok
          FROM public.users u WHERE u.id = p_user;
        PERFORM set_config('taskman.role', coalesce(v_prev, ''), true);
        IF NOT coalesce(v_ok, false) THEN
            RETURN;
        END IF;
    END IF;
    INSERT INTO public.mail_outbox (user_id, to_address, kind, payload)
    VALUES (p_user, CASE WHEN p_user IS NULL THEN p_address END, p_kind, p_payload);
    PERFORM pg_notify('taskman_jobs', 'mail');
END
$$;

-- "You were assigned a task": for tasks.assignee_id (teams).  Created only
-- when that column exists; the teams migration creates the trigger itself
-- when it comes after this one:
--   CREATE TRIGGER tasks_assignment_mail AFTER INSERT OR UPDATE OF assignee_id ON tasks
--       FOR EACH ROW EXECUTE FUNCTION taskman_tasks_assignment_mail();
CREATE FUNCTION taskman_tasks_assignment_mail() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    v_new   uuid := (to_jsonb(NEW) ->> 'assignee_id')::uuid;
    v_old   uuid := CASE WHEN TG_OP = 'UPDATE' THEN (to_jsonb(OLD) ->> 'assignee_id')::uuid END;
    v_actor uuid := NULLIF(current_setting('taskman.user_id', true), '')::uuid;
    v_by    jsonb;
BEGIN
    IF v_new IS NULL OR v_new IS NOT DISTINCT FROM v_old OR v_new = v_actor THEN
        RETURN NULL;
    END IF;
    SELECT jsonb_build_object('id', u.id, 'username', u.username,
                              'display_name', u.display_name) INTO v_by
      FROM public.users u WHERE u.id = v_actor;
    PERFORM public.taskman_mail_enqueue(v_new, NULL, 'assignment',
        jsonb_build_object('task', public.taskman_task_json(NEW), 'by', v_by));
    RETURN NULL;
END
$$;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_attribute
                WHERE attrelid = 'public.tasks'::regclass AND attname = 'assignee_id'
                  AND NOT attisdropped) THEN
        CREATE TRIGGER tasks_assignment_mail AFTER INSERT OR UPDATE OF assignee_id ON tasks
            FOR EACH ROW EXECUTE FUNCTION taskman_tasks_assignment_mail();
    END IF;
END
$$;

------------------------------------------------------------------------------
-- taskman-jobs: what it calls (as taskman_jobs, invoker's rights)
------------------------------------------------------------------------------

-- The outcome of one delivery attempt.  p_next_ms: delay before the next
-- attempt, NULL when the schedule is exhausted or the target is refused
-- (the delivery fails for good); p_window_ms: a webhook failing for this
-- long (3 days, scaled in tests) is deactivated with a reason, and its
-- other pending deliveries fail with it.
CREATE FUNCTION taskman_jobs_delivery_done(p_id uuid, p_ok boolean, p_code integer,
                                           p_error text, p_duration_ms integer,
                                           p_next_ms bigint, p_window_ms bigint)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    v_webhook uuid;
    v_created timestamptz;
BEGIN
    UPDATE webhook_deliveries
       SET attempts = attempts + 1, last_attempt_at = now(), last_status_code = p_code,
           last_error = left(p_error, 500), last_duration_ms = p_duration_ms,
           status = CASE WHEN p_ok THEN 'delivered'
                         WHEN p_next_ms IS NULL THEN 'failed' ELSE 'pending' END,
           delivered_at = CASE WHEN p_ok THEN now() END,
           next_attempt_at = CASE WHEN p_ok OR p_next_ms IS NULL THEN next_attempt_at
                                  ELSE now() + p_next_ms * interval '1 millisecond' END
     WHERE id = p_id
    RETURNING webhook_id, created_at INTO v_webhook, v_created;
    IF p_ok THEN
        UPDATE webhooks SET failing_since = NULL
         WHERE id = v_webhook AND failing_since IS NOT NULL;
        RETURN;
    END IF;
    UPDATE webhooks SET failing_since = now()
     WHERE id = v_webhook AND failing_since IS NULL;
    UPDATE webhooks
       SET active = false, updated_at = now(), version = version + 1,
           disabled_reason = left(format('every delivery failed since %s (last: %s)',
                                         taskman_ts(failing_since),
                                         coalesce('HTTP ' || p_code, p_error, 'error')), 500)
     WHERE id = v_webhook AND active
       -- no success for 3 days; or a delivery just exhausted its 3-day
       -- schedule (not refused at once: it is old) and nothing succeeded
       -- since (about) its event: the failures began within the first
       -- tenth of its window
       AND (failing_since <= now() - p_window_ms * interval '1 millisecond'
            OR (p_next_ms IS NULL
                AND now() >= v_created + p_window_ms * 0.5 * interval '1 millisecond'
                AND failing_since <= v_created + p_window_ms * 0.1 * interval '1 millisecond'));
    IF FOUND THEN
        -- Its other pending deliveries would wait forever (and be walked
        -- past by every claim): they fail with it.
        UPDATE webhook_deliveries
           SET status = 'failed', last_error = 'the webhook was deactivated'
         WHERE webhook_id = v_webhook AND status = 'pending';
    END IF;
END
$$;

-- Periodic work, safe to run from several taskman-jobs at once:
-- task.due_soon events (once per task and due date), the daily digest
-- mails (p_digest: a relay is configured; from p_digest_hour UTC on, once
-- per user and day), and retention (finished deliveries and mails after
-- 30 days, in bounded batches).  Returns the rows it queued.
CREATE FUNCTION taskman_jobs_schedule(p_digest boolean, p_digest_hour integer)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    v_n   integer := 0;
    v_k   integer;
    v_day date := (now() AT TIME ZONE 'UTC')::date;
    t     public.tasks%ROWTYPE;
BEGIN
    FOR t IN
        SELECT x.* FROM (SELECT DISTINCT w.owner_id FROM webhooks w
                          WHERE w.active AND w.events && ARRAY['task.due_soon', '*']) o
        CROSS JOIN LATERAL (
            -- Through the scopes (0005's indexes lead with tasks.scope; no
            -- index starts with owner_id any more): the owner's personal
            -- tasks and their projects' (tasks_project_fk: a task's
            -- project is its owner's).  TEAMS HOOK: members' scopes.
            SELECT k.* FROM tasks k
             WHERE k.scope = ANY (array_prepend(o.owner_id,
                       ARRAY(SELECT p.id FROM projects p WHERE p.owner_id = o.owner_id)))
               AND k.owner_id = o.owner_id
               AND (CASE WHEN k.due_at IS NULL THEN 'infinity'::timestamptz ELSE k.due_at END) > now()
               AND (CASE WHEN k.due_at IS NULL THEN 'infinity'::timestamptz ELSE k.due_at END)
                   <= now() + interval '24 hours'
               AND k.status NOT IN ('done', 'dropped')) x
         WHERE NOT EXISTS (SELECT 1 FROM task_due_notices n
                            WHERE n.task_id = x.id AND n.due_at = x.due_at)
    LOOP
        INSERT INTO task_due_notices (task_id, due_at) VALUES (t.id, t.due_at)
            ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS v_k = ROW_COUNT;
        IF v_k > 0 THEN
            v_n := v_n + taskman_events_fanout(t.owner_id, t.project_id, 'task.due_soon',
                                               taskman_task_json(t), NULL);
        END IF;
    END LOOP;

    IF p_digest AND extract(hour FROM now() AT TIME ZONE 'UTC') >= p_digest_hour THEN
        WITH due AS (
            SELECT u.id, json_agg(json_build_object('id', k.id, 'title', k.title,
                                                    'due_at', taskman_ts(k.due_at))
                                  ORDER BY k.due_at, k.id) AS tasks
              FROM users u
              CROSS JOIN LATERAL (
                  SELECT k.id, k.title, k.due_at FROM tasks k   -- scopes as above
                   WHERE k.scope = ANY (array_prepend(u.id,
                             ARRAY(SELECT p.id FROM projects p WHERE p.owner_id = u.id)))
                     AND k.owner_id = u.id
                     AND (CASE WHEN k.due_at IS NULL THEN 'infinity'::timestamptz ELSE k.due_at END) > now()
                     AND (CASE WHEN k.due_at IS NULL THEN 'infinity'::timestamptz ELSE k.due_at END)
                         <= now() + interval '24 hours'
                     AND k.status NOT IN ('done', 'dropped')
                   ORDER BY k.due_at, k.id LIMIT 50) k
             WHERE u.notify_email AND NOT u.disabled AND u.email IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM mail_digests g
                                WHERE g.user_id = u.id AND g.day = v_day)
             GROUP BY u.id),
        g AS (INSERT INTO mail_digests (user_id, day) SELECT id, v_day FROM due
              ON CONFLICT DO NOTHING RETURNING user_id)
        INSERT INTO mail_outbox (user_id, kind, payload)
        SELECT g.user_id, 'digest', jsonb_build_object('day', v_day, 'tasks', due.tasks)
          FROM g JOIN due ON due.id = g.user_id;
        GET DIAGNOSTICS v_k = ROW_COUNT;
        v_n := v_n + v_k;
    END IF;

    DELETE FROM webhook_deliveries WHERE id IN (
        SELECT id FROM webhook_deliveries
         WHERE status <> 'pending' AND created_at < now() - interval '30 days' LIMIT 1000);
    DELETE FROM mail_outbox WHERE id IN (
        SELECT id FROM mail_outbox
         WHERE status <> 'pending' AND created_at < now() - interval '30 days' LIMIT 1000);
    DELETE FROM task_due_notices WHERE due_at < now() - interval '2 days';
    DELETE FROM mail_digests WHERE day < v_day - 7;
    RETURN v_n;
END
$$;

------------------------------------------------------------------------------
-- Row-level security
------------------------------------------------------------------------------

ALTER TABLE webhooks           ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE webhook_secrets    ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE task_due_notices   ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE mail_outbox        ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE mail_digests       ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- A user's own webhooks and deliveries (readonly: read only).
CREATE POLICY webhooks_owner ON webhooks
    USING (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid)
    WITH CHECK (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid);
CREATE POLICY webhooks_no_readonly_insert ON webhooks AS RESTRICTIVE FOR INSERT
    WITH CHECK (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY webhooks_no_readonly_update ON webhooks AS RESTRICTIVE FOR UPDATE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY webhooks_no_readonly_delete ON webhooks AS RESTRICTIVE FOR DELETE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY webhook_secrets_owner ON webhook_secrets FOR INSERT
    WITH CHECK (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid);
CREATE POLICY webhook_deliveries_owner ON webhook_deliveries
    USING (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid)
    WITH CHECK (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid);

-- The job runner and the definer functions (owned by taskman_owner) see
-- every outbox row.
CREATE POLICY webhooks_service ON webhooks TO taskman_owner, taskman_jobs
    USING (true) WITH CHECK (true);
CREATE POLICY webhook_secrets_service ON webhook_secrets TO taskman_owner, taskman_jobs
    USING (true) WITH CHECK (true);
CREATE POLICY webhook_deliveries_service ON webhook_deliveries TO taskman_owner, taskman_jobs
    USING (true) WITH CHECK (true);
CREATE POLICY task_due_notices_service ON task_due_notices TO taskman_owner, taskman_jobs
    USING (true) WITH CHECK (true);
CREATE POLICY mail_outbox_service ON mail_outbox TO taskman_owner, taskman_jobs
    USING (true) WITH CHECK (true);
CREATE POLICY mail_digests_service ON mail_digests TO taskman_owner, taskman_jobs
    USING (true) WITH CHECK (true);

-- taskman-jobs reads (only) the resources events and mails are about.
CREATE POLICY users_jobs_select ON users FOR SELECT TO taskman_jobs USING (true);
CREATE POLICY projects_jobs_select ON projects FOR SELECT TO taskman_jobs USING (true);
CREATE POLICY tasks_jobs_select ON tasks FOR SELECT TO taskman_jobs USING (true);

------------------------------------------------------------------------------
-- Privileges
------------------------------------------------------------------------------

-- 0006 grants the workers' role users' columns one by one (never
-- password_hash); the new column joins them (GET/PATCH /users/me).
GRANT SELECT (notify_email) ON users TO taskman_app;

-- As in 0006: definer functions are not for PUBLIC.  The triggers call
-- them as their owner; taskman-jobs calls may_see before each delivery
-- and (through taskman_jobs_schedule) the fan-out.  The runner's own
-- functions are the runner's only.
REVOKE ALL ON FUNCTION taskman_event_may_see(uuid, uuid, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION taskman_events_fanout(uuid, uuid, text, json, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION taskman_mail_enqueue(uuid, text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION taskman_jobs_delivery_done(uuid, boolean, integer, text, integer, bigint, bigint)
    FROM PUBLIC;
REVOKE ALL ON FUNCTION taskman_jobs_schedule(boolean, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION taskman_event_may_see(uuid, uuid, uuid) TO taskman_jobs;
GRANT EXECUTE ON FUNCTION taskman_events_fanout(uuid, uuid, text, json, jsonb) TO taskman_jobs;
GRANT EXECUTE ON FUNCTION taskman_jobs_delivery_done(uuid, boolean, integer, text, integer, bigint, bigint)
    TO taskman_jobs;
GRANT EXECUTE ON FUNCTION taskman_jobs_schedule(boolean, integer) TO taskman_jobs;

GRANT SELECT, INSERT, UPDATE, DELETE ON webhooks TO taskman_app;
GRANT INSERT ON webhook_secrets TO taskman_app;              -- never SELECT
GRANT SELECT, INSERT ON webhook_deliveries TO taskman_app;   -- ping
GRANT UPDATE (status, next_attempt_at) ON webhook_deliveries TO taskman_app;  -- redeliver

GRANT USAGE ON SCHEMA public TO taskman_jobs;
GRANT SELECT, UPDATE ON webhooks TO taskman_jobs;
GRANT SELECT ON webhook_secrets TO taskman_jobs;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_deliveries TO taskman_jobs;
GRANT SELECT, INSERT, DELETE ON task_due_notices TO taskman_jobs;
GRANT SELECT, INSERT, UPDATE, DELETE ON mail_outbox TO taskman_jobs;
GRANT SELECT, INSERT, DELETE ON mail_digests TO taskman_jobs;
GRANT SELECT (id, email, username, display_name, notify_email, disabled) ON users TO taskman_jobs;
GRANT SELECT ON projects, tasks TO taskman_jobs;
GRANT SELECT ON schema_migrations TO taskman_jobs;
