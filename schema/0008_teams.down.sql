-- 0008_teams.down.sql — undoes 0008_teams.up.sql.  Shared projects end:
-- memberships, invitations, comments and activity are dropped; a task or
-- action list whose owner is not its project's owner is detached from the
-- project first (the composite keys of 0001 come back).

-- Events (0007) as 0007 made them.
DROP TRIGGER invitations_mail ON invitations;
DROP TRIGGER tasks_assignment_mail ON tasks;
DROP TRIGGER project_members_events ON project_members;
DROP TRIGGER comments_events ON comments;
DROP FUNCTION taskman_invitations_mail(), taskman_members_events(), taskman_comments_events();
DROP POLICY project_members_jobs_select ON project_members;

CREATE OR REPLACE FUNCTION taskman_event_may_see(p_user uuid, p_owner uuid, p_project uuid)
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

CREATE OR REPLACE FUNCTION taskman_events_fanout(p_owner uuid, p_project uuid, p_event text,
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

CREATE OR REPLACE FUNCTION taskman_tasks_events() RETURNS trigger
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

CREATE OR REPLACE FUNCTION taskman_projects_events() RETURNS trigger
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

CREATE OR REPLACE FUNCTION taskman_jobs_schedule(p_digest boolean, p_digest_hour integer)
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

DROP FUNCTION taskman_events_wanted(uuid, uuid);

DROP TRIGGER tasks_activity ON tasks;
DROP TRIGGER projects_activity ON projects;
DROP TRIGGER sprints_activity ON sprints;
DROP TRIGGER action_lists_activity ON action_lists;
DROP TRIGGER comments_activity ON comments;
DROP TRIGGER project_members_activity ON project_members;
DROP TRIGGER project_members_unassign ON project_members;
DROP TRIGGER tasks_assignee_check ON tasks;
DROP TRIGGER projects_owner_member ON projects;
DROP TRIGGER projects_owner_check ON projects;

DROP POLICY projects_definer ON projects;
DROP POLICY sprints_definer ON sprints;
DROP POLICY tasks_definer ON tasks;
DROP POLICY action_lists_definer ON action_lists;
DROP POLICY users_definer_reads ON users;
DROP POLICY projects_read ON projects;
DROP POLICY projects_insert ON projects;
DROP POLICY projects_update ON projects;
DROP POLICY projects_delete ON projects;
DROP POLICY sprints_read ON sprints;
DROP POLICY sprints_insert ON sprints;
DROP POLICY sprints_update ON sprints;
DROP POLICY sprints_delete ON sprints;
DROP POLICY tasks_read ON tasks;
DROP POLICY tasks_insert ON tasks;
DROP POLICY tasks_update ON tasks;
DROP POLICY tasks_delete ON tasks;
DROP POLICY action_lists_read ON action_lists;
DROP POLICY action_lists_insert ON action_lists;
DROP POLICY action_lists_update ON action_lists;
DROP POLICY action_lists_delete ON action_lists;

-- Back to owner-only data: detach what another user's project holds.
ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY;
ALTER TABLE action_lists NO FORCE ROW LEVEL SECURITY;
ALTER TABLE sprints NO FORCE ROW LEVEL SECURITY;
ALTER TABLE projects NO FORCE ROW LEVEL SECURITY;
UPDATE tasks t SET project_id = NULL, sprint_id = NULL, version = t.version + 1, updated_at = now()
  FROM projects p WHERE p.id = t.project_id AND p.owner_id <> t.owner_id;
UPDATE action_lists a SET project_id = NULL, sprint_id = NULL, version = a.version + 1, updated_at = now()
  FROM projects p WHERE p.id = a.project_id AND p.owner_id <> a.owner_id;
UPDATE sprints s SET owner_id = p.owner_id FROM projects p
 WHERE p.id = s.project_id AND p.owner_id <> s.owner_id;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
ALTER TABLE action_lists FORCE ROW LEVEL SECURITY;
ALTER TABLE sprints FORCE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;

ALTER TABLE tasks DROP CONSTRAINT tasks_project_fk, DROP CONSTRAINT tasks_sprint_fk;
ALTER TABLE action_lists DROP CONSTRAINT action_lists_project_fk,
                         DROP CONSTRAINT action_lists_sprint_fk;
ALTER TABLE sprints DROP CONSTRAINT sprints_project_fk, DROP CONSTRAINT sprints_id_project_key;
ALTER TABLE sprints
    ADD CONSTRAINT sprints_project_fk FOREIGN KEY (project_id, owner_id)
        REFERENCES projects (id, owner_id) ON DELETE CASCADE,
    ADD CONSTRAINT sprints_id_project_owner_key UNIQUE (id, project_id, owner_id);
ALTER TABLE tasks
    ADD CONSTRAINT tasks_project_fk FOREIGN KEY (project_id, owner_id)
        REFERENCES projects (id, owner_id) ON DELETE SET NULL (project_id),
    ADD CONSTRAINT tasks_sprint_fk FOREIGN KEY (sprint_id, project_id, owner_id)
        REFERENCES sprints (id, project_id, owner_id)
        ON UPDATE CASCADE ON DELETE SET NULL (sprint_id);
ALTER TABLE action_lists
    ADD CONSTRAINT action_lists_project_fk FOREIGN KEY (project_id, owner_id)
        REFERENCES projects (id, owner_id) ON DELETE SET NULL (project_id),
    ADD CONSTRAINT action_lists_sprint_fk FOREIGN KEY (sprint_id, project_id, owner_id)
        REFERENCES sprints (id, project_id, owner_id)
        ON UPDATE CASCADE ON DELETE SET NULL (sprint_id);

CREATE POLICY projects_owner ON projects
    USING (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid)
    WITH CHECK (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid);
CREATE POLICY sprints_owner ON sprints
    USING (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid)
    WITH CHECK (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid);
CREATE POLICY tasks_owner ON tasks
    USING (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid)
    WITH CHECK (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid);
CREATE POLICY action_lists_owner ON action_lists
    USING (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid)
    WITH CHECK (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid);
CREATE POLICY tasks_owner_reads ON tasks FOR SELECT TO CURRENT_USER USING (true);

-- CASCADE: also the JSON functions taking these row types
DROP TABLE activity, activity_horizon, comments, invitations, project_members CASCADE;
DROP INDEX sprints_project_created_idx, action_lists_project_created_idx, action_lists_items_idx,
           tasks_scope_assignee_idx, tasks_assignee_idx;


CREATE OR REPLACE FUNCTION taskman_task_find(p_filter jsonb, p_sort text, p_after jsonb,
                                  p_after_id uuid, p_limit integer, p_offset integer,
                                  p_cap integer)
    RETURNS TABLE (pos integer, id uuid, sort_key json, total bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    -- websearch_to_tsquery of only stop words says so with a NOTICE
    SET client_min_messages = warning
    -- a millisecond query must not wait for parallel workers
    SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v_user      uuid := NULLIF(current_setting('taskman.user_id', true), '')::uuid;
    v_scopes    uuid[];
    w           text := '';
    descending  boolean := left(p_sort, 1) = '-';
    s           text := ltrim(p_sort, '-');
    keys        text[];
    casts       text[];
    outs        text[];
    ord         text;
    cur         text := '';
    kj          text;
    i           integer;
    v_status    text[];
    v_priority  text[];
    v_project   uuid;
    v_sprint    uuid;
    v_tag       text;
    v_before    timestamptz;
    v_after     timestamptz;
    v_since     timestamptz;
    v_q         text;
    v_owner     uuid;
    v_total     bigint;
    n           integer := 0;
BEGIN
    IF v_user IS NULL THEN
        RETURN;     -- no verified user in this transaction: nothing to see
    END IF;
    v_scopes := public.taskman_my_scopes();

    IF p_filter ? 'status' THEN
        v_status := ARRAY(SELECT jsonb_array_elements_text(p_filter -> 'status'));
        w := w || ' AND t.status = ANY ($2)';
    END IF;
    IF p_filter ? 'priority' THEN
        v_priority := ARRAY(SELECT jsonb_array_elements_text(p_filter -> 'priority'));
        w := w || ' AND t.priority = ANY ($3)';
    END IF;
    IF p_filter ? 'project_id' THEN
        v_project := (p_filter ->> 'project_id')::uuid;
        v_scopes := ARRAY(SELECT x FROM unnest(v_scopes) x WHERE x = v_project);
        w := w || ' AND t.project_id = $4';
    END IF;
    IF p_filter ? 'sprint_id' THEN
        v_sprint := (p_filter ->> 'sprint_id')::uuid;
        w := w || ' AND t.sprint_id = $5';
    END IF;
    IF p_filter ? 'tag' THEN
        v_tag := p_filter ->> 'tag';
        w := w || ' AND t.tags @> ARRAY[$6]';
    END IF;
    IF p_filter ? 'due_before' THEN
        v_before := (p_filter ->> 'due_before')::timestamptz;
        w := w || ' AND t.due_at < $7';
    ELSIF p_filter ? 'due_before_date' THEN
        v_before := ((p_filter ->> 'due_before_date')::date + 1)::timestamp AT TIME ZONE 'UTC';
        w := w || ' AND t.due_at < $7';
    END IF;
    IF p_filter ? 'due_after' THEN
        v_after := (p_filter ->> 'due_after')::timestamptz;
        w := w || ' AND t.due_at >= $8';
    END IF;
    IF p_filter ? 'updated_since' THEN
        v_since := (p_filter ->> 'updated_since')::timestamptz;
        w := w || ' AND t.updated_at >= $9';
    END IF;
    IF p_filter ? 'q' THEN
        v_q := p_filter ->> 'q';
        w := w || ' AND t.search @@ websearch_to_tsquery(''english'', $10)';
    END IF;
    IF p_filter ? 'owner_id' THEN
        v_owner := (p_filter ->> 'owner_id')::uuid;
        w := w || ' AND t.owner_id = $11';
    END IF;

    CASE s
        WHEN 'created_at', 'updated_at' THEN
            keys := ARRAY['t.' || s];
            casts := ARRAY['($12 ->> 0)::timestamptz'];
            outs := ARRAY['taskman_ts_key(t.' || s || ')'];
        WHEN 'due_at' THEN
            keys := ARRAY[CASE WHEN descending
                               THEN 'CASE WHEN t.due_at IS NULL THEN ''-infinity''::timestamptz ELSE t.due_at END'
                               ELSE 'CASE WHEN t.due_at IS NULL THEN ''infinity''::timestamptz ELSE t.due_at END' END];
            casts := ARRAY['($12 ->> 0)::timestamptz'];
            outs := ARRAY['taskman_ts_key(' || keys[1] || ')'];
        WHEN 'priority' THEN
            keys := ARRAY['t.priority'];
            casts := ARRAY['($12 ->> 0)'];
            outs := keys;
        WHEN 'title' THEN
            keys := ARRAY['(t.title COLLATE "C")'];
            casts := ARRAY['(($12 ->> 0) COLLATE "C")'];
            outs := ARRAY['t.title'];
        WHEN 'rank' THEN
            IF v_q IS NULL THEN
                RAISE EXCEPTION 'sort rank needs q' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            keys := ARRAY['t.rank'];
            casts := ARRAY['($12 ->> 0)::real'];
            outs := keys;
            descending := false;
        ELSE
            RAISE EXCEPTION 'unknown sort %', p_sort USING ERRCODE = 'invalid_parameter_value';
    END CASE;

    IF s = 'rank' THEN
        -- One scan: at most p_cap + 1 matches (the GIN index finds them per
        -- scope, in table order) are counted, p_cap of them ranked, and the
        -- page taken by (rank desc, id).  Without p_cap every match is.
        IF p_after IS NOT NULL THEN
            cur := ' WHERE (t.rank < ($12 ->> 0)::real OR (t.rank = ($12 ->> 0)::real AND t.id > $14))';
        END IF;
        RETURN QUERY EXECUTE
            'WITH m AS MATERIALIZED (SELECT t.id, ts_rank(t.search, websearch_to_tsquery(''english'', $10)) AS rank '
            || 'FROM unnest($1) s(scope) CROSS JOIN LATERAL (SELECT t.id, t.search FROM tasks t '
            || 'WHERE t.scope = s.scope' || w || ' LIMIT $13 + 1) t LIMIT $13 + 1), '
            || 'c AS (SELECT count(*) AS total FROM m) '
            || 'SELECT (row_number() OVER ())::integer, t.id, '
            || 'CASE WHEN t.id IS NULL THEN NULL ELSE json_build_array(t.rank) END, c.total '
            || 'FROM c LEFT JOIN (SELECT t.* FROM (SELECT * FROM m LIMIT $13) t' || cur
            || ' ORDER BY t.rank DESC, t.id LIMIT $15 + 1 OFFSET $17) t ON true'
          USING v_scopes, v_status, v_priority, v_project, v_sprint, v_tag,
                v_before, v_after, v_since, v_q, v_owner, p_after, p_cap, p_after_id,
                p_limit, NULL::bigint, p_offset;
        RETURN;
    END IF;

    ord := '';
    FOR i IN 1 .. cardinality(keys) LOOP
        ord := ord || keys[i] || CASE WHEN descending THEN ' DESC, ' ELSE ', ' END;
    END LOOP;
    ord := ord || 't.id' || CASE WHEN descending THEN ' DESC' ELSE '' END;
    IF p_after IS NOT NULL THEN
        cur := ' AND (' || array_to_string(keys, ', ') || ', t.id) '
            || CASE WHEN descending THEN '<' ELSE '>' END
            || ' (' || array_to_string(casts, ', ') || ', $14)';
    END IF;
    kj := 'json_build_array(' || array_to_string(outs, ', ') || ')';

    IF p_cap IS NOT NULL THEN
        -- One scan when the matches are few: at most p_cap + 1 of them
        -- (through the GIN indexes), counted and paged in memory.  When
        -- there are more, the count is capped and the page is found by the
        -- ordered scan below.
        RETURN QUERY EXECUTE
            'WITH m AS MATERIALIZED (SELECT t.id, t.created_at, t.updated_at, t.due_at, '
            || 't.priority, t.title FROM unnest($1) s(scope) CROSS JOIN LATERAL '
            || '(SELECT t.* FROM tasks t WHERE t.scope = s.scope' || w || ' LIMIT $13 + 1) t '
            || 'LIMIT $13 + 1), c AS (SELECT count(*) AS total FROM m) '
            || 'SELECT (row_number() OVER ())::integer, t.id, '
            || 'CASE WHEN t.id IS NULL THEN NULL ELSE ' || kj || ' END, c.total FROM c LEFT JOIN '
            || '(SELECT t.* FROM m t WHERE true' || cur || ' ORDER BY ' || ord
            || ' LIMIT $15 + 1 OFFSET $17) t ON true WHERE c.total <= $13'
          USING v_scopes, v_status, v_priority, v_project, v_sprint, v_tag,
                v_before, v_after, v_since, v_q, v_owner, p_after, p_cap, p_after_id,
                p_limit, NULL::bigint, p_offset;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n > 0 THEN
            RETURN;
        END IF;
    END IF;

    EXECUTE 'SELECT count(*) FROM (SELECT 1 FROM unnest($1) s(scope) CROSS JOIN LATERAL '
         || '(SELECT 1 FROM tasks t WHERE t.scope = s.scope' || w || ' LIMIT $13) x LIMIT $13) c'
       INTO v_total
      USING v_scopes, v_status, v_priority, v_project, v_sprint, v_tag,
            v_before, v_after, v_since, v_q, v_owner, p_after,
            CASE WHEN p_cap IS NULL THEN NULL ELSE p_cap + 1 END;

    -- Per scope the first limit + offset + 1 rows in order, then the page
    -- of their merge.
    RETURN QUERY EXECUTE
        'SELECT (row_number() OVER ())::integer, t.id, ' || kj || ', $16::bigint FROM ('
        || 'SELECT t.* FROM unnest($1) s(scope) CROSS JOIN LATERAL (SELECT t.* FROM tasks t '
        || 'WHERE t.scope = s.scope' || w || cur || ' ORDER BY ' || ord
        || ' LIMIT $15 + $17 + 1) t ORDER BY ' || ord || ' LIMIT $15 + 1 OFFSET $17) t'
      USING v_scopes, v_status, v_priority, v_project, v_sprint, v_tag,
            v_before, v_after, v_since, v_q, v_owner, p_after, NULL::integer, p_after_id,
            p_limit, v_total, p_offset;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RETURN QUERY SELECT 0, NULL::uuid, NULL::json, v_total;
    END IF;
END
$$;

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
        'owner_id', t.owner_id,
        'created_at', to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'updated_at', to_char(t.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'version', t.version)
$$;

CREATE OR REPLACE FUNCTION taskman_task_apply(p_owner uuid, t tasks, b jsonb) RETURNS tasks
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, public
AS $$
DECLARE
    n   tasks := t;
    d   date;
    tm  time;
BEGIN
    IF t.id IS NULL THEN
        n.status := 'new';
        n.priority := 'p2';
        n.tags := '{}';
    END IF;
    IF b ? 'title' THEN n.title := b ->> 'title'; END IF;
    IF b ? 'description' THEN n.description := b ->> 'description'; END IF;
    IF b ? 'priority' THEN n.priority := b ->> 'priority'; END IF;
    IF coalesce((b ->> 'priority_high')::boolean, false) THEN
        n.priority := CASE WHEN t.priority = 'p0' THEN 'p0' ELSE 'p1' END;
    END IF;
    IF b ? 'tags' THEN
        n.tags := ARRAY(SELECT jsonb_array_elements_text(b -> 'tags'));
    END IF;
    IF b ? 'estimate_points' THEN
        n.estimate_points := (b ->> 'estimate_points')::numeric;
    END IF;

    IF b ? 'due_at' THEN
        n.due_at := date_trunc('second', (b ->> 'due_at')::timestamptz);
    ELSIF b ? 'due_date' OR b ? 'due_time' THEN
        IF b ? 'due_date' AND b ->> 'due_date' IS NULL THEN
            n.due_at := NULL;
        ELSE
            d := coalesce((b ->> 'due_date')::date, (t.due_at AT TIME ZONE 'UTC')::date);
            tm := CASE WHEN b ? 'due_time' THEN coalesce((b ->> 'due_time')::time, '00:00')
                       ELSE coalesce((t.due_at AT TIME ZONE 'UTC')::time, '00:00') END;
            n.due_at := CASE WHEN d IS NULL THEN NULL ELSE (d + tm) AT TIME ZONE 'UTC' END;
        END IF;
    END IF;

    IF b ->> 'sprint_id' IS NOT NULL THEN
        n.sprint_id := (b ->> 'sprint_id')::uuid;
        n.project_id := (SELECT s.project_id FROM sprints s
                          WHERE s.id = n.sprint_id AND s.owner_id = p_owner);
    ELSIF b ? 'sprint_id' THEN
        n.sprint_id := NULL;
        IF b ? 'project_id' THEN n.project_id := (b ->> 'project_id')::uuid; END IF;
    ELSIF b ? 'project_id' THEN
        n.project_id := (b ->> 'project_id')::uuid;
        IF n.project_id IS DISTINCT FROM t.project_id THEN n.sprint_id := NULL; END IF;
    END IF;

    IF b ? 'status' THEN n.status := b ->> 'status'; END IF;
    CASE b ->> 'complete'
        WHEN 'toggle' THEN
            n.status := CASE n.status WHEN 'done' THEN 'ready'
                                      WHEN 'dropped' THEN 'dropped' ELSE 'done' END;
        WHEN 'set' THEN
            IF n.status <> 'dropped' THEN n.status := 'done'; END IF;
        WHEN 'unset' THEN
            IF n.status = 'done' THEN n.status := 'ready'; END IF;
        ELSE NULL;
    END CASE;

    IF n.status = 'done' AND t.status IS DISTINCT FROM 'done' THEN
        n.completed_at := now();
    ELSIF n.status <> 'done' THEN
        n.completed_at := NULL;
    END IF;
    RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION taskman_task_problems(p_owner uuid, t tasks, b jsonb) RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, public
AS $$
DECLARE
    p       text[] := '{}';
    sp      uuid;
BEGIN
    IF t.id IS NOT NULL THEN
        IF b ->> 'complete' IN ('toggle', 'set') AND t.status = 'dropped' THEN
            p := p || 'dropped'::text;
        ELSIF b ? 'status' AND NOT taskman_task_transition_ok(t.status, b ->> 'status') THEN
            p := p || 'transition'::text;
        END IF;
    END IF;
    IF b ->> 'project_id' IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM projects pr
             WHERE pr.id = (b ->> 'project_id')::uuid AND pr.owner_id = p_owner) THEN
        p := p || 'project_id'::text;
    END IF;
    IF b ->> 'sprint_id' IS NOT NULL THEN
        SELECT s.project_id INTO sp FROM sprints s
         WHERE s.id = (b ->> 'sprint_id')::uuid AND s.owner_id = p_owner;
        IF NOT FOUND THEN
            p := p || 'sprint_id'::text;
        ELSIF b ? 'project_id' AND (b ->> 'project_id')::uuid IS DISTINCT FROM sp THEN
            p := p || 'sprint_id:project'::text;
        END IF;
    END IF;
    IF b ->> 'due_time' IS NOT NULL AND NOT b ? 'due_date' AND t.due_at IS NULL THEN
        p := p || 'due_time'::text;
    END IF;
    -- an offset can push a valid input out of what RFC 3339 can print in UTC
    IF (b ->> 'due_at')::timestamptz NOT BETWEEN '0001-01-01T00:00:00Z' AND '9999-12-31T23:59:59Z' THEN
        p := p || 'due_at'::text;
    END IF;
    RETURN p;
END
$$;

CREATE OR REPLACE FUNCTION taskman_detach_from_project() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public
AS $$
BEGIN
    UPDATE public.tasks
       SET project_id = NULL, sprint_id = NULL, updated_at = now(), version = version + 1
     WHERE scope = OLD.id AND owner_id = OLD.owner_id AND project_id = OLD.id;
    UPDATE public.action_lists
       SET project_id = NULL, sprint_id = NULL, updated_at = now(), version = version + 1
     WHERE owner_id = OLD.owner_id AND project_id = OLD.id;
    RETURN OLD;
END
$$;

CREATE OR REPLACE FUNCTION taskman_detach_from_sprint() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public
AS $$
BEGIN
    UPDATE public.tasks
       SET sprint_id = NULL, updated_at = now(), version = version + 1
     WHERE owner_id = OLD.owner_id AND sprint_id = OLD.id;
    UPDATE public.action_lists
       SET sprint_id = NULL, updated_at = now(), version = version + 1
     WHERE owner_id = OLD.owner_id AND sprint_id = OLD.id;
    RETURN OLD;
END
$$;

CREATE OR REPLACE FUNCTION taskman_unlink_deleted_task() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public
AS $$
BEGIN
    UPDATE public.action_lists AS al
       SET items = (SELECT jsonb_agg(CASE WHEN e.item ->> 'task_id' = OLD.id::text
                                          THEN jsonb_set(e.item, '{task_id}', 'null'::jsonb)
                                          ELSE e.item END
                                     ORDER BY e.ord)
                      FROM jsonb_array_elements(al.items) WITH ORDINALITY AS e(item, ord)),
           updated_at = now(),
           version = al.version + 1
     WHERE al.owner_id = OLD.owner_id
       AND al.items @> jsonb_build_array(jsonb_build_object('task_id', OLD.id::text));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION taskman_action_items_check_tasks() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public
AS $$
DECLARE
    wanted  uuid[];
    present integer;
BEGIN
    -- Malformed items: leave the refusal (23514) to the CHECK constraint,
    -- which runs after BEFORE triggers.
    IF NOT taskman_action_items_valid(NEW.items) THEN
        RETURN NEW;
    END IF;
    SELECT coalesce(array_agg(DISTINCT (e.item ->> 'task_id')::uuid), '{}')
      INTO wanted
      FROM jsonb_array_elements(NEW.items) AS e(item)
     WHERE jsonb_typeof(e.item -> 'task_id') = 'string'
       AND (TG_OP = 'INSERT' OR NEW.owner_id IS DISTINCT FROM OLD.owner_id
            OR NOT OLD.items @> jsonb_build_array(jsonb_build_object('task_id', e.item -> 'task_id')));
    IF cardinality(wanted) = 0 THEN
        RETURN NEW;
    END IF;
    SELECT count(*) INTO present
      FROM (SELECT 1 FROM public.tasks t
             WHERE t.owner_id = NEW.owner_id AND t.id = ANY (wanted)
               FOR KEY SHARE) AS locked;
    IF present <> cardinality(wanted) THEN
        RAISE EXCEPTION 'action list item refers to a task that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION taskman_my_scopes() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT NULLIF(current_setting('taskman.user_id', true), '')::uuid
        || ARRAY(SELECT p.id FROM public.projects p
                  WHERE p.owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid)
$$;

ALTER TABLE tasks DROP COLUMN assignee_id;
-- 0006 pinned the search paths of these (CREATE OR REPLACE kept the 0001 text)
ALTER FUNCTION taskman_detach_from_project() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION taskman_detach_from_sprint() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION taskman_unlink_deleted_task() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION taskman_action_items_check_tasks() SET search_path = pg_catalog, public, pg_temp;

DROP FUNCTION taskman_activity_record(), taskman_activity_prune(integer, integer), taskman_projects_owner_member(),
    taskman_projects_owner_check(), taskman_tasks_assignee_check(), taskman_members_unassign(),
    taskman_invitation_answer(uuid, boolean), taskman_invited_me(text, text),
    taskman_user_brief(uuid), taskman_assignee_ok(uuid, uuid, uuid),
    taskman_my_write_scopes(), taskman_my_managed(), taskman_me(),
    taskman_role_in(uuid, uuid), taskman_scopes_of(uuid, text), taskman_role_rank(text);

-- taskman_set_user as 0006 made it
CREATE OR REPLACE FUNCTION taskman_set_user(p_id uuid, p_role text, p_sid uuid) RETURNS boolean
    LANGUAGE sql VOLATILE
AS $$
    SELECT CASE WHEN set_config('taskman.user_id', CASE WHEN c.ok THEN p_id::text ELSE '' END, true)
                     || set_config('taskman.role', CASE WHEN c.ok THEN p_role ELSE '' END, true)
                     || CASE WHEN c.ok THEN ''
                             ELSE set_config('transaction_read_only', 'on', true) END
                     IS NULL
                THEN false
                ELSE c.ok END
      FROM (SELECT set_config('taskman.user_id', p_id::text, true)::uuid AS uid) AS pre,
           LATERAL (SELECT EXISTS (SELECT 1 FROM public.users u
                                    WHERE u.id = pre.uid AND NOT u.disabled AND u.role = p_role)
                       AND (p_sid IS NULL
                            OR EXISTS (SELECT 1 FROM public.refresh_sessions s
                                        WHERE s.family_id = p_sid AND s.user_id = pre.uid
                                          AND s.revoked_at IS NULL AND s.rotated_at IS NULL
                                          AND s.expires_at > now())) AS ok) AS c
$$;
