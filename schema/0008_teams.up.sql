-- 0008_teams.up.sql — shared projects (API.md section 6): members with
-- roles, invitations, assignees, comments, and an activity log written by
-- triggers in the changing transaction.
--
-- The permission model, in one place:
--   * A project's members see the project and everything in it; nobody
--     else sees any of it.  Tasks and action lists without a project stay
--     their owner's (scope = the owner's id, see 0005).
--   * Roles rank viewer < editor < manager.  Reading needs viewer, writing
--     things in the project editor, changing the project itself or its
--     members manager.  The project's owner is a manager who cannot be
--     removed or demoted (transfer hands ownership on).
--   * taskman_scopes_of(user, role) is the one membership lookup: the
--     user's own id (personal rows) plus the projects where they have at
--     least that role.  It is SECURITY DEFINER (policies on
--     project_members cannot read project_members under RLS without
--     recursing) and STABLE; every policy calls it as a scalar subquery,
--     so it runs once per statement (an InitPlan), never once per row.
--   * It answers only for the request's own user (taskman.user_id, set by
--     taskman_set_user after the token was verified): asked about anyone
--     else it returns nothing, so it cannot be used to probe membership.
--   * Writes the application cannot do with the caller's rights (accepting
--     an invitation, the owner's membership row, detaching other members'
--     tasks from a deleted project, activity) run in SECURITY DEFINER
--     functions as the table owner, through *_definer policies that apply
--     to that role alone.  The owner can disable RLS on its own tables
--     anyway; these policies give it nothing it could not take.

-- 0005's owner-only read policy becomes the owner's general one below.
DROP POLICY tasks_owner_reads ON tasks;

------------------------------------------------------------------------------
-- Membership
------------------------------------------------------------------------------

CREATE FUNCTION taskman_role_rank(p_role text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE p_role WHEN 'viewer' THEN 1 WHEN 'editor' THEN 2 WHEN 'manager' THEN 3
                       WHEN 'owner' THEN 4 ELSE 0 END
$$;

CREATE TABLE project_members (
    project_id uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text        NOT NULL CHECK (role IN ('viewer', 'editor', 'manager')),
    added_at   timestamptz NOT NULL DEFAULT now(),
    added_by   uuid        REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (project_id, user_id)
);
-- taskman_scopes_of(): one index range per request.
CREATE INDEX project_members_user_idx ON project_members (user_id, project_id) INCLUDE (role);

-- Existing projects: their owners become their managers.
ALTER TABLE projects NO FORCE ROW LEVEL SECURITY;
INSERT INTO project_members (project_id, user_id, role, added_at, added_by)
SELECT id, owner_id, 'manager', created_at, owner_id FROM projects;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;

-- The request user's own id and the projects where they have at least
-- p_min; empty for any user but the request's own.
CREATE FUNCTION taskman_scopes_of(p_user uuid, p_min text) RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT CASE WHEN p_user IS NULL
                  OR p_user IS DISTINCT FROM NULLIF(current_setting('taskman.user_id', true), '')::uuid
                THEN '{}'::uuid[]
                ELSE p_user || ARRAY(SELECT m.project_id FROM public.project_members m
                                      WHERE m.user_id = p_user
                                        AND public.taskman_role_rank(m.role)
                                            >= public.taskman_role_rank(p_min))
           END
$$;

-- The request user's role on a scope: 'owner' of their personal scope,
-- their member role in a project, NULL when they have none.
CREATE FUNCTION taskman_role_in(p_user uuid, p_scope uuid) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT CASE WHEN p_user IS NULL
                  OR p_user IS DISTINCT FROM NULLIF(current_setting('taskman.user_id', true), '')::uuid
                THEN NULL
                WHEN p_scope = p_user THEN 'owner'
                ELSE (SELECT m.role FROM public.project_members m
                       WHERE m.project_id = p_scope AND m.user_id = p_user)
           END
$$;

-- Shorthands for policies (plain SQL: inlined).
CREATE FUNCTION taskman_me() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('taskman.user_id', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION taskman_my_scopes() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT public.taskman_scopes_of(public.taskman_me(), 'viewer') $$;

CREATE FUNCTION taskman_my_write_scopes() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT public.taskman_scopes_of(public.taskman_me(), 'editor') $$;

CREATE FUNCTION taskman_my_managed() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT public.taskman_scopes_of(public.taskman_me(), 'manager') $$;

-- Every project gets its owner as a manager, in the creating statement.
CREATE FUNCTION taskman_projects_owner_member() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    INSERT INTO public.project_members (project_id, user_id, role, added_at, added_by)
    VALUES (NEW.id, NEW.owner_id, 'manager', NEW.created_at, NEW.owner_id)
    ON CONFLICT (project_id, user_id) DO UPDATE SET role = 'manager';
    RETURN NULL;
END
$$;
CREATE TRIGGER projects_owner_member AFTER INSERT ON projects
    FOR EACH ROW EXECUTE FUNCTION taskman_projects_owner_member();

-- Ownership passes only to a manager (transfer); 23514 otherwise.
CREATE FUNCTION taskman_projects_owner_check() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM public.project_members m
                    WHERE m.project_id = NEW.id AND m.user_id = NEW.owner_id
                      AND m.role = 'manager') THEN
        RAISE EXCEPTION 'the new owner must be a manager of the project'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'projects_owner_manager';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER projects_owner_check BEFORE UPDATE OF owner_id ON projects
    FOR EACH ROW WHEN (NEW.owner_id IS DISTINCT FROM OLD.owner_id)
    EXECUTE FUNCTION taskman_projects_owner_check();

------------------------------------------------------------------------------
-- Invitations: to an e-mail address or a username, whether or not such an
-- account exists (nobody learns that from the answer).  Accepting or
-- declining deletes the row (the membership and the activity log keep the
-- record); an invitation lives 14 days.
------------------------------------------------------------------------------

CREATE TABLE invitations (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id  uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    email       text        CHECK (char_length(email) BETWEEN 3 AND 254
                                   AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    username    text        CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$'),
    role        text        NOT NULL CHECK (role IN ('viewer', 'editor', 'manager')),
    invited_by  uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL DEFAULT now() + interval '14 days',
    CONSTRAINT invitations_one_address CHECK ((email IS NULL) <> (username IS NULL))
);
-- One invitation per address and project (inviting again renews it).
CREATE UNIQUE INDEX invitations_address_key
    ON invitations (project_id, (lower(coalesce(email, '@' || username))));
CREATE INDEX invitations_email_idx ON invitations (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX invitations_username_idx ON invitations (lower(username)) WHERE username IS NOT NULL;

-- Whether an invitation's address is the request user's (their own users
-- row is visible to them).
CREATE FUNCTION taskman_invited_me(p_email text, p_username text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM public.users u
                    WHERE u.id = NULLIF(current_setting('taskman.user_id', true), '')::uuid
                      AND (lower(u.email) = lower(p_email)
                           OR lower(u.username) = lower(p_username)))
$$;

CREATE FUNCTION taskman_user_brief(p_id uuid) RETURNS json
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT json_build_object('id', u.id, 'username', u.username, 'display_name', u.display_name)
      FROM public.users u WHERE u.id = p_id
$$;

CREATE FUNCTION taskman_member_json(m project_members, p_with_email boolean) RETURNS json
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT json_build_object(
        'project_id', m.project_id,
        'user', CASE WHEN p_with_email
                     THEN json_build_object('id', u.id, 'username', u.username,
                                            'display_name', u.display_name, 'email', u.email)
                     ELSE json_build_object('id', u.id, 'username', u.username,
                                            'display_name', u.display_name) END,
        'role', m.role,
        'owner', m.user_id = p.owner_id,
        'added_at', public.taskman_ts(m.added_at), 'added_by', m.added_by)
      FROM public.users u, public.projects p
     WHERE u.id = m.user_id AND p.id = m.project_id
$$;

CREATE FUNCTION taskman_invitation_json(i invitations) RETURNS json
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT json_build_object(
        'id', i.id,
        'project', (SELECT json_build_object('id', p.id, 'name', p.name)
                      FROM public.projects p WHERE p.id = i.project_id),
        'email', i.email, 'username', i.username, 'role', i.role,
        'invited_by', public.taskman_user_brief(i.invited_by),
        'created_at', public.taskman_ts(i.created_at),
        'expires_at', public.taskman_ts(i.expires_at))
$$;

-- Accept (p_accept) or decline one of the request user's invitations.
-- status: 'not_found' (no such invitation addressed to them), 'expired',
-- 'accepted' with the membership (an existing one is kept as it is), or
-- 'declined'.
CREATE FUNCTION taskman_invitation_answer(p_id uuid, p_accept boolean,
                                          OUT status text, OUT member json)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    v_user uuid := NULLIF(current_setting('taskman.user_id', true), '')::uuid;
    i      public.invitations;
    m      public.project_members;
BEGIN
    SELECT * INTO i FROM public.invitations x
     WHERE x.id = p_id AND public.taskman_invited_me(x.email, x.username)
       FOR UPDATE;
    IF current_setting('taskman.role', true) = 'readonly' THEN
        RAISE EXCEPTION 'the readonly role may not change anything'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT FOUND OR v_user IS NULL THEN
        status := 'not_found';
        RETURN;
    END IF;
    IF i.expires_at <= now() THEN
        status := 'expired';
        RETURN;
    END IF;
    DELETE FROM public.invitations x WHERE x.id = i.id;
    IF NOT p_accept THEN
        status := 'declined';
        RETURN;
    END IF;
    INSERT INTO public.project_members (project_id, user_id, role, added_by)
    VALUES (i.project_id, v_user, i.role, i.invited_by)
    ON CONFLICT (project_id, user_id) DO NOTHING;
    SELECT * INTO m FROM public.project_members x
     WHERE x.project_id = i.project_id AND x.user_id = v_user;
    status := 'accepted';
    member := public.taskman_member_json(m, false);
END
$$;

------------------------------------------------------------------------------
-- Foreign keys: a row may now point at a project the owner does not own
-- (a member's task), so the composite (…, owner_id) keys become plain
-- ones; who may point where is the policies' job (WITH CHECK below: the
-- writer must be an editor of the scope the row lands in).  Names kept:
-- the worker maps them to 422s.
------------------------------------------------------------------------------

ALTER TABLE tasks DROP CONSTRAINT tasks_project_fk, DROP CONSTRAINT tasks_sprint_fk;
ALTER TABLE action_lists DROP CONSTRAINT action_lists_project_fk,
                         DROP CONSTRAINT action_lists_sprint_fk;
ALTER TABLE sprints DROP CONSTRAINT sprints_project_fk,
                    DROP CONSTRAINT sprints_id_project_owner_key;
ALTER TABLE sprints
    ADD CONSTRAINT sprints_project_fk FOREIGN KEY (project_id)
        REFERENCES projects (id) ON DELETE CASCADE,
    ADD CONSTRAINT sprints_id_project_key UNIQUE (id, project_id);
ALTER TABLE tasks
    ADD CONSTRAINT tasks_project_fk FOREIGN KEY (project_id)
        REFERENCES projects (id) ON DELETE SET NULL,
    ADD CONSTRAINT tasks_sprint_fk FOREIGN KEY (sprint_id, project_id)
        REFERENCES sprints (id, project_id) ON UPDATE CASCADE ON DELETE SET NULL (sprint_id);
ALTER TABLE action_lists
    ADD CONSTRAINT action_lists_project_fk FOREIGN KEY (project_id)
        REFERENCES projects (id) ON DELETE SET NULL,
    ADD CONSTRAINT action_lists_sprint_fk FOREIGN KEY (sprint_id, project_id)
        REFERENCES sprints (id, project_id) ON UPDATE CASCADE ON DELETE SET NULL (sprint_id);

-- Lists of a project's sprints and action lists, whoever created them.
CREATE INDEX sprints_project_created_idx ON sprints (project_id, created_at, id);
CREATE INDEX action_lists_project_created_idx ON action_lists (project_id, created_at, id)
    WHERE project_id IS NOT NULL;
-- The unlink trigger finds the lists that refer to a deleted task.
CREATE INDEX action_lists_items_idx ON action_lists USING gin (items jsonb_path_ops);

------------------------------------------------------------------------------
-- Assignees: a member of the task's project, or for a personal task its
-- owner.
------------------------------------------------------------------------------

ALTER TABLE tasks ADD COLUMN assignee_id uuid REFERENCES users (id) ON DELETE SET NULL;
-- "My work" (?assignee_id=me, also =none) in the default order.
CREATE INDEX tasks_scope_assignee_idx ON tasks (scope, assignee_id, created_at, id);
CREATE INDEX tasks_assignee_idx ON tasks (assignee_id) WHERE assignee_id IS NOT NULL;

CREATE FUNCTION taskman_assignee_ok(p_project uuid, p_owner uuid, p_assignee uuid)
    RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT p_assignee IS NULL
        OR (p_project IS NULL AND p_assignee = p_owner)
        OR (p_project IS NOT NULL AND EXISTS (
                SELECT 1 FROM public.project_members m
                 WHERE m.project_id = p_project AND m.user_id = p_assignee))
$$;

-- The backstop of the worker's 422: 23514 on tasks_assignee_member.
CREATE FUNCTION taskman_tasks_assignee_check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    IF NOT public.taskman_assignee_ok(NEW.project_id, NEW.owner_id, NEW.assignee_id) THEN
        RAISE EXCEPTION 'the assignee is not a member of the task''s project'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'tasks_assignee_member';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER tasks_assignee_check BEFORE INSERT OR UPDATE OF assignee_id, project_id, owner_id
    ON tasks FOR EACH ROW WHEN (NEW.assignee_id IS NOT NULL)
    EXECUTE FUNCTION taskman_tasks_assignee_check();

-- A member who leaves or is removed is unassigned from the project's tasks
-- in the same statement.
CREATE FUNCTION taskman_members_unassign() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    UPDATE public.tasks
       SET assignee_id = NULL, updated_at = now(), version = version + 1
     WHERE scope = OLD.project_id AND project_id = OLD.project_id
       AND assignee_id = OLD.user_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER project_members_unassign AFTER DELETE ON project_members
    FOR EACH ROW EXECUTE FUNCTION taskman_members_unassign();

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

------------------------------------------------------------------------------
-- Task writes (0003's apply/problems): references are checked under RLS
-- (the writer must see the project or sprint, and be its editor),
-- assignees against membership; moving a task out of every project makes
-- it the mover's personal task (API.md section 6).
------------------------------------------------------------------------------

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
        n.owner_id := p_owner;
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
        n.project_id := (SELECT s.project_id FROM sprints s WHERE s.id = n.sprint_id);
    ELSIF b ? 'sprint_id' THEN
        n.sprint_id := NULL;
        IF b ? 'project_id' THEN n.project_id := (b ->> 'project_id')::uuid; END IF;
    ELSIF b ? 'project_id' THEN
        n.project_id := (b ->> 'project_id')::uuid;
        IF n.project_id IS DISTINCT FROM t.project_id THEN n.sprint_id := NULL; END IF;
    END IF;
    -- out of every project: the mover's personal task
    IF t.id IS NOT NULL AND t.project_id IS NOT NULL AND n.project_id IS NULL THEN
        n.owner_id := p_owner;
    END IF;

    IF b ? 'assignee_id' THEN
        n.assignee_id := (b ->> 'assignee_id')::uuid;
    ELSIF n.assignee_id IS NOT NULL
          AND NOT taskman_assignee_ok(n.project_id, n.owner_id, n.assignee_id) THEN
        -- moved where the assignee is not a member: unassigned
        n.assignee_id := NULL;
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

-- Codes as in 0003, plus:
--   project_id:role     the project is visible but the writer is no editor (403)
--   sprint_id:role      likewise for the sprint's project (403)
--   assignee_id         not a member of the task's project / not the owner (422)
CREATE OR REPLACE FUNCTION taskman_task_problems(p_owner uuid, t tasks, b jsonb) RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, public
AS $$
DECLARE
    p       text[] := '{}';
    sp      uuid;
    n       tasks;
BEGIN
    IF t.id IS NOT NULL THEN
        IF b ->> 'complete' IN ('toggle', 'set') AND t.status = 'dropped' THEN
            p := p || 'dropped'::text;
        ELSIF b ? 'status' AND NOT taskman_task_transition_ok(t.status, b ->> 'status') THEN
            p := p || 'transition'::text;
        END IF;
    END IF;
    IF b ->> 'project_id' IS NOT NULL THEN
        IF NOT EXISTS (SELECT 1 FROM projects pr WHERE pr.id = (b ->> 'project_id')::uuid) THEN
            p := p || 'project_id'::text;
        ELSIF taskman_role_rank(taskman_role_in(p_owner, (b ->> 'project_id')::uuid)) < 2 THEN
            p := p || 'project_id:role'::text;
        END IF;
    END IF;
    IF b ->> 'sprint_id' IS NOT NULL THEN
        SELECT s.project_id INTO sp FROM sprints s WHERE s.id = (b ->> 'sprint_id')::uuid;
        IF NOT FOUND THEN
            p := p || 'sprint_id'::text;
        ELSIF b ? 'project_id' AND (b ->> 'project_id')::uuid IS DISTINCT FROM sp THEN
            p := p || 'sprint_id:project'::text;
        ELSIF taskman_role_rank(taskman_role_in(p_owner, sp)) < 2 THEN
            p := p || 'sprint_id:role'::text;
        END IF;
    END IF;
    IF b ->> 'due_time' IS NOT NULL AND NOT b ? 'due_date' AND t.due_at IS NULL THEN
        p := p || 'due_time'::text;
    END IF;
    -- an offset can push a valid input out of what RFC 3339 can print in UTC
    IF (b ->> 'due_at')::timestamptz NOT BETWEEN '0001-01-01T00:00:00Z' AND '9999-12-31T23:59:59Z' THEN
        p := p || 'due_at'::text;
    END IF;
    IF b ->> 'assignee_id' IS NOT NULL AND cardinality(p) = 0 THEN
        n := taskman_task_apply(p_owner, t, b);
        IF NOT taskman_assignee_ok(n.project_id, n.owner_id, n.assignee_id) THEN
            p := p || 'assignee_id'::text;
        END IF;
    END IF;
    RETURN p;
END
$$;

------------------------------------------------------------------------------
-- Deleting a project detaches its tasks and action lists into their
-- owners' personal scopes, also other members' (so as the table owner);
-- an assignee other than the owner is cleared with it.  A sprint's delete
-- keeps them in the project.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION taskman_detach_from_project() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    UPDATE public.tasks
       SET project_id = NULL, sprint_id = NULL,
           assignee_id = CASE WHEN assignee_id = owner_id THEN assignee_id END,
           updated_at = now(), version = version + 1
     WHERE scope = OLD.id AND project_id = OLD.id;
    UPDATE public.action_lists
       SET project_id = NULL, sprint_id = NULL, updated_at = now(), version = version + 1
     WHERE project_id = OLD.id;
    RETURN OLD;
END
$$;

CREATE OR REPLACE FUNCTION taskman_detach_from_sprint() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    UPDATE public.tasks
       SET sprint_id = NULL, updated_at = now(), version = version + 1
     WHERE sprint_id = OLD.id;
    UPDATE public.action_lists
       SET sprint_id = NULL, updated_at = now(), version = version + 1
     WHERE sprint_id = OLD.id;
    RETURN OLD;
END
$$;

CREATE OR REPLACE FUNCTION taskman_unlink_deleted_task() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
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
     WHERE al.items @> jsonb_build_array(jsonb_build_object('task_id', OLD.id::text));
    RETURN NULL;
END
$$;

-- An action-list item's task must be one the writer can see (RLS decides,
-- invoker's rights).
CREATE OR REPLACE FUNCTION taskman_action_items_check_tasks() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    wanted  uuid[];
    present integer;
BEGIN
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
             WHERE t.id = ANY (wanted)
               AND t.scope = ANY (public.taskman_scopes_of(
                       NULLIF(current_setting('taskman.user_id', true), '')::uuid, 'viewer'))
               FOR KEY SHARE) AS locked;
    IF present <> cardinality(wanted) THEN
        RAISE EXCEPTION 'action list item refers to a task that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$;

------------------------------------------------------------------------------
-- Comments
------------------------------------------------------------------------------

CREATE TABLE comments (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    task_id    uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    author_id  uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body       text        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version    integer     NOT NULL DEFAULT 1 CHECK (version >= 1)
);
CREATE INDEX comments_task_idx ON comments (task_id, created_at, id);
CREATE INDEX comments_author_idx ON comments (author_id);

CREATE FUNCTION taskman_comment_json(c comments) RETURNS json
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT json_build_object(
        'id', c.id, 'task_id', c.task_id, 'author', public.taskman_user_brief(c.author_id),
        'body', c.body, 'created_at', public.taskman_ts(c.created_at),
        'updated_at', public.taskman_ts(c.updated_at), 'version', c.version,
        'edited', c.version > 1)
$$;

------------------------------------------------------------------------------
-- Activity: one row per change, written by the triggers below in the
-- changing statement's transaction (a rolled-back change leaves none).
-- scope is who may read it (the project, or the owner of a personal
-- thing); a move writes one row for each scope it touches.  changes holds
-- {field: [old, new]} of the columns that changed, never bookkeeping
-- columns, and the tables logged hold no secret.
------------------------------------------------------------------------------

CREATE TABLE activity (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor_id       uuid,
    actor_username text,
    scope          uuid        NOT NULL,
    project_id     uuid,
    task_id        uuid,
    resource_type  text        NOT NULL,
    resource_id    uuid        NOT NULL,
    title          text,
    action         text        NOT NULL,
    changes        jsonb,
    -- the writing transaction: the changes feed (API.md section 7,
    -- docs/CHANGES.md) hands out rows in (xid, id) order, only those below
    -- the reading snapshot's xmin (every such transaction has ended)
    xid            xid8        NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX activity_project_idx ON activity (project_id, id) WHERE project_id IS NOT NULL;
CREATE INDEX activity_task_idx ON activity (task_id, id) WHERE task_id IS NOT NULL;
-- The changes feed: one range per scope of the reader, in feed order.
CREATE INDEX activity_scope_xid_idx ON activity (scope, xid, id);

-- The feed position of the last row pruned (taskman_activity_prune): a
-- cursor before it may have missed a row and is refused (410).
CREATE TABLE activity_horizon (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    xid  xid8    NOT NULL,
    id   bigint  NOT NULL
);

CREATE FUNCTION taskman_activity_json(a activity) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'id', a.id::text, 'at', taskman_ts(a.at),
        'actor', CASE WHEN a.actor_id IS NULL THEN NULL
                      ELSE json_build_object('id', a.actor_id, 'username', a.actor_username) END,
        'action', a.action,
        'resource', json_build_object('type', a.resource_type, 'id', a.resource_id,
                                      'title', a.title),
        'project_id', a.project_id, 'task_id', a.task_id,
        'changes', a.changes)
$$;

CREATE FUNCTION taskman_activity_record() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    o        jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    n        jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    r        jsonb := coalesce(n, o);
    ch       jsonb;
    v_actor  uuid := NULLIF(current_setting('taskman.user_id', true), '')::uuid;
    v_name   text;
    v_type   text;
    v_action text := CASE TG_OP WHEN 'INSERT' THEN 'created' WHEN 'DELETE' THEN 'deleted'
                                ELSE 'updated' END;
    v_title  text;
    v_task   uuid;
    v_rid    uuid := (r ->> 'id')::uuid;
    v_scopes uuid[];
    v_projs  uuid[];
    v_pname  text;
    i        integer;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        SELECT jsonb_object_agg(e.key, jsonb_build_array(o -> e.key, e.value)) INTO ch
          FROM jsonb_each(n) e
         WHERE e.key NOT IN ('id', 'version', 'created_at', 'updated_at', 'search', 'scope',
                             'completed_at', 'added_at', 'added_by')
           AND (o -> e.key) IS DISTINCT FROM e.value;
        IF ch IS NULL THEN
            IF (o -> 'version') IS NOT DISTINCT FROM (n -> 'version') THEN
                RETURN NULL;
            END IF;
            -- only the version moved (a PATCH with the values the row
            -- had): the changes feed must still hand out the new version.
            -- Without project and task, the logs of tasks and projects
            -- leave the row out.
            v_action := 'touched';
        END IF;
    END IF;
    SELECT u.username INTO v_name FROM public.users u WHERE u.id = v_actor;

    CASE TG_TABLE_NAME
    WHEN 'tasks' THEN
        v_type := 'task';
        v_title := r ->> 'title';
        v_task := v_rid;
        IF TG_OP = 'UPDATE' THEN
            IF ch ? 'project_id' OR ch ? 'sprint_id' THEN
                v_action := 'moved';
            ELSIF (SELECT bool_and(k IN ('status')) FROM jsonb_object_keys(ch) k) THEN
                v_action := 'status_changed';
            ELSIF (SELECT bool_and(k = 'assignee_id') FROM jsonb_object_keys(ch) k) THEN
                v_action := 'assigned';
            END IF;
        END IF;
    WHEN 'projects' THEN
        v_type := 'project';
        v_title := r ->> 'name';
        IF TG_OP = 'UPDATE' AND ch ? 'owner_id' THEN
            v_action := 'transferred';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN NULL;    -- its log goes with it (nobody can see it any more)
        END IF;
    WHEN 'sprints' THEN
        v_type := 'sprint';
        v_title := r ->> 'name';
    WHEN 'action_lists' THEN
        v_type := 'action_list';
        v_title := r ->> 'title';
    WHEN 'comments' THEN
        v_type := 'comment';
        v_task := (r ->> 'task_id')::uuid;
        SELECT t.title, ARRAY[t.scope], ARRAY[t.project_id] INTO v_title, v_scopes, v_projs
          FROM public.tasks t WHERE t.id = v_task;
        IF NOT FOUND THEN
            RETURN NULL;    -- deleted with its task, which is logged
        END IF;
        IF TG_OP = 'INSERT' THEN
            v_action := 'commented';
        END IF;
    WHEN 'project_members' THEN
        v_type := 'member';
        v_rid := (r ->> 'user_id')::uuid;
        SELECT u.username INTO v_title FROM public.users u WHERE u.id = v_rid;
        SELECT p.name INTO v_pname FROM public.projects p WHERE p.id = (r ->> 'project_id')::uuid;
        -- A member who loses the project can no longer read its scope, so
        -- their own scope learns it too (resource the project, no
        -- project_id: no project's log shows it); the changes feed turns
        -- it into the project's "revoked", or "delete" when the project
        -- itself is being deleted (its log goes with it).
        IF TG_OP = 'DELETE' THEN
            INSERT INTO public.activity (actor_id, actor_username, scope, resource_type,
                                         resource_id, title, action)
            VALUES (v_actor, v_name, v_rid, 'project', (r ->> 'project_id')::uuid, v_pname,
                    CASE WHEN v_pname IS NULL THEN 'deleted' ELSE 'member_removed' END);
        END IF;
        IF v_pname IS NULL THEN
            RETURN NULL;    -- the project is being deleted
        END IF;
        v_scopes := ARRAY[(r ->> 'project_id')::uuid];
        v_projs := v_scopes;
        v_action := CASE TG_OP WHEN 'INSERT' THEN 'member_added'
                               WHEN 'DELETE' THEN 'member_removed' ELSE 'role_changed' END;
        IF TG_OP <> 'UPDATE' THEN
            ch := jsonb_build_object('role', jsonb_build_array(o -> 'role', n -> 'role'));
        ELSE
            ch := jsonb_build_object('role', ch -> 'role');
        END IF;
    ELSE
        RETURN NULL;
    END CASE;

    IF v_scopes IS NULL THEN
        -- the row's scope, and for a move also the one it left
        IF TG_TABLE_NAME = 'projects' THEN
            v_scopes := ARRAY[v_rid];
            v_projs := ARRAY[v_rid];
        ELSE
            v_scopes := ARRAY[coalesce((r ->> 'project_id')::uuid, (r ->> 'owner_id')::uuid)];
            v_projs := ARRAY[(r ->> 'project_id')::uuid];
            IF TG_OP = 'UPDATE' AND coalesce((o ->> 'project_id')::uuid, (o ->> 'owner_id')::uuid)
                                    <> v_scopes[1] THEN
                v_scopes := v_scopes || coalesce((o ->> 'project_id')::uuid, (o ->> 'owner_id')::uuid);
                v_projs := v_projs || (o ->> 'project_id')::uuid;
            END IF;
        END IF;
    END IF;

    IF v_action = 'touched' THEN
        v_task := NULL;
        v_projs := array_fill(NULL::uuid, ARRAY[cardinality(v_scopes)]);
    END IF;
    FOR i IN 1 .. cardinality(v_scopes) LOOP
        INSERT INTO public.activity (actor_id, actor_username, scope, project_id, task_id,
                                     resource_type, resource_id, title, action, changes)
        VALUES (v_actor, v_name, v_scopes[i], v_projs[i], v_task,
                v_type, v_rid, v_title, v_action, ch);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER tasks_activity AFTER INSERT OR UPDATE OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION taskman_activity_record();
CREATE TRIGGER projects_activity AFTER INSERT OR UPDATE OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION taskman_activity_record();
CREATE TRIGGER sprints_activity AFTER INSERT OR UPDATE OR DELETE ON sprints
    FOR EACH ROW EXECUTE FUNCTION taskman_activity_record();
CREATE TRIGGER action_lists_activity AFTER INSERT OR UPDATE OR DELETE ON action_lists
    FOR EACH ROW EXECUTE FUNCTION taskman_activity_record();
CREATE TRIGGER comments_activity AFTER INSERT OR UPDATE OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION taskman_activity_record();
CREATE TRIGGER project_members_activity AFTER INSERT OR UPDATE OR DELETE ON project_members
    FOR EACH ROW EXECUTE FUNCTION taskman_activity_record();

-- One batch of the log's retention (taskmanctl prune calls it until it
-- returns less than p_batch): at most p_batch rows older than p_days
-- days, oldest first, only below the snapshot's xmin (so a cursor handed
-- out later is never behind a pruned row); activity_horizon moves past
-- them in the same transaction.  Nobody updates activity rows, so the
-- short DELETE blocks no writer.
CREATE FUNCTION taskman_activity_prune(p_days integer, p_batch integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    n   integer;
    vx  xid8;
    vi  bigint;
BEGIN
    WITH d AS (DELETE FROM public.activity a
                WHERE a.id IN (SELECT o.id FROM public.activity o
                                WHERE o.at < now() - make_interval(days => p_days)
                                  AND o.xid < pg_snapshot_xmin(pg_current_snapshot())
                                ORDER BY o.id LIMIT p_batch)
               RETURNING a.xid, a.id)
    SELECT (SELECT count(*) FROM d)::integer,
           (SELECT d.xid FROM d ORDER BY d.xid DESC, d.id DESC LIMIT 1),
           (SELECT d.id FROM d ORDER BY d.xid DESC, d.id DESC LIMIT 1)
      INTO n, vx, vi;
    IF n > 0 THEN
        INSERT INTO public.activity_horizon AS h (one, xid, id) VALUES (true, vx, vi)
        ON CONFLICT (one) DO UPDATE SET xid = EXCLUDED.xid, id = EXCLUDED.id
         WHERE (h.xid, h.id) < (EXCLUDED.xid, EXCLUDED.id);
    END IF;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION taskman_activity_prune(integer, integer) FROM PUBLIC;

------------------------------------------------------------------------------
-- Row-level security
------------------------------------------------------------------------------

ALTER TABLE project_members ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE invitations     ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE comments        ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE activity        ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE activity_horizon ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- The table owner, in the SECURITY DEFINER functions above.
CREATE POLICY projects_definer        ON projects        TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY sprints_definer         ON sprints         TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY tasks_definer           ON tasks           TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY action_lists_definer    ON action_lists    TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY project_members_definer ON project_members TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY invitations_definer     ON invitations     TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY comments_definer        ON comments        TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY activity_definer        ON activity        TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY activity_horizon_definer ON activity_horizon TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY users_definer_reads     ON users FOR SELECT TO CURRENT_USER USING (true);

-- Projects: members read, the creator inserts, managers change and delete.
DROP POLICY projects_owner ON projects;
CREATE POLICY projects_read ON projects FOR SELECT
    USING (owner_id = taskman_me() OR id = ANY ((SELECT taskman_my_scopes())::uuid[]));
CREATE POLICY projects_insert ON projects FOR INSERT
    WITH CHECK (owner_id = taskman_me());
CREATE POLICY projects_update ON projects FOR UPDATE
    USING (id = ANY ((SELECT taskman_my_managed())::uuid[]))
    WITH CHECK (id = ANY ((SELECT taskman_my_managed())::uuid[]));
CREATE POLICY projects_delete ON projects FOR DELETE
    USING (id = ANY ((SELECT taskman_my_managed())::uuid[]));

-- Sprints live in a project: members read, editors write.
DROP POLICY sprints_owner ON sprints;
CREATE POLICY sprints_read ON sprints FOR SELECT
    USING (project_id = ANY ((SELECT taskman_my_scopes())::uuid[]));
CREATE POLICY sprints_insert ON sprints FOR INSERT
    WITH CHECK (project_id = ANY ((SELECT taskman_my_write_scopes())::uuid[]));
CREATE POLICY sprints_update ON sprints FOR UPDATE
    USING (project_id = ANY ((SELECT taskman_my_write_scopes())::uuid[]))
    WITH CHECK (project_id = ANY ((SELECT taskman_my_write_scopes())::uuid[]));
CREATE POLICY sprints_delete ON sprints FOR DELETE
    USING (project_id = ANY ((SELECT taskman_my_write_scopes())::uuid[]));

-- Tasks by scope (0005): read in any scope of the user's, write in the
-- scopes where they are an editor (their own included).
DROP POLICY tasks_owner ON tasks;
CREATE POLICY tasks_read ON tasks FOR SELECT
    USING (scope = ANY ((SELECT taskman_my_scopes())::uuid[]));
CREATE POLICY tasks_insert ON tasks FOR INSERT
    WITH CHECK (scope = ANY ((SELECT taskman_my_write_scopes())::uuid[]));
CREATE POLICY tasks_update ON tasks FOR UPDATE
    USING (scope = ANY ((SELECT taskman_my_write_scopes())::uuid[]))
    WITH CHECK (scope = ANY ((SELECT taskman_my_write_scopes())::uuid[]));
CREATE POLICY tasks_delete ON tasks FOR DELETE
    USING (scope = ANY ((SELECT taskman_my_write_scopes())::uuid[]));

DROP POLICY action_lists_owner ON action_lists;
CREATE POLICY action_lists_read ON action_lists FOR SELECT
    USING (coalesce(project_id, owner_id) = ANY ((SELECT taskman_my_scopes())::uuid[]));
CREATE POLICY action_lists_insert ON action_lists FOR INSERT
    WITH CHECK (coalesce(project_id, owner_id) = ANY ((SELECT taskman_my_write_scopes())::uuid[]));
CREATE POLICY action_lists_update ON action_lists FOR UPDATE
    USING (coalesce(project_id, owner_id) = ANY ((SELECT taskman_my_write_scopes())::uuid[]))
    WITH CHECK (coalesce(project_id, owner_id) = ANY ((SELECT taskman_my_write_scopes())::uuid[]));
CREATE POLICY action_lists_delete ON action_lists FOR DELETE
    USING (coalesce(project_id, owner_id) = ANY ((SELECT taskman_my_write_scopes())::uuid[]));

-- Members: members read; managers change roles and remove, anyone leaves;
-- never the owner's row.  Rows are inserted by the definer functions only.
CREATE POLICY project_members_read ON project_members FOR SELECT
    USING (project_id = ANY ((SELECT taskman_my_scopes())::uuid[]));
CREATE POLICY project_members_update ON project_members FOR UPDATE
    USING (project_id = ANY ((SELECT taskman_my_managed())::uuid[])
           AND user_id <> (SELECT p.owner_id FROM projects p WHERE p.id = project_id))
    WITH CHECK (project_id = ANY ((SELECT taskman_my_managed())::uuid[]));
CREATE POLICY project_members_delete ON project_members FOR DELETE
    USING ((project_id = ANY ((SELECT taskman_my_managed())::uuid[]) OR user_id = taskman_me())
           AND user_id <> (SELECT p.owner_id FROM projects p WHERE p.id = project_id));
CREATE POLICY project_members_no_readonly_update ON project_members AS RESTRICTIVE FOR UPDATE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY project_members_no_readonly_delete ON project_members AS RESTRICTIVE FOR DELETE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');

-- Invitations: the project's managers, and the person addressed.
CREATE POLICY invitations_read ON invitations FOR SELECT
    USING (project_id = ANY ((SELECT taskman_my_managed())::uuid[])
           OR taskman_invited_me(email, username));
CREATE POLICY invitations_insert ON invitations FOR INSERT
    WITH CHECK (project_id = ANY ((SELECT taskman_my_managed())::uuid[]));
CREATE POLICY invitations_update ON invitations FOR UPDATE
    USING (project_id = ANY ((SELECT taskman_my_managed())::uuid[]))
    WITH CHECK (project_id = ANY ((SELECT taskman_my_managed())::uuid[]));
CREATE POLICY invitations_delete ON invitations FOR DELETE
    USING (project_id = ANY ((SELECT taskman_my_managed())::uuid[]));
CREATE POLICY invitations_no_readonly_insert ON invitations AS RESTRICTIVE FOR INSERT
    WITH CHECK (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');

-- Comments: visible with their task; written by editors of the task's
-- scope as themselves; edited by the author; deleted by the author or a
-- manager of the project.
CREATE POLICY comments_read ON comments FOR SELECT
    USING (EXISTS (SELECT 1 FROM tasks t WHERE t.id = task_id));
CREATE POLICY comments_insert ON comments FOR INSERT
    WITH CHECK (author_id = taskman_me()
                AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = task_id
                              AND t.scope = ANY ((SELECT taskman_my_write_scopes())::uuid[])));
CREATE POLICY comments_update ON comments FOR UPDATE
    USING (author_id = taskman_me() AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = task_id))
    WITH CHECK (author_id = taskman_me());
CREATE POLICY comments_delete ON comments FOR DELETE
    USING (EXISTS (SELECT 1 FROM tasks t WHERE t.id = task_id
                     AND (author_id = taskman_me()
                          OR t.project_id = ANY ((SELECT taskman_my_managed())::uuid[]))));
CREATE POLICY comments_no_readonly_insert ON comments AS RESTRICTIVE FOR INSERT
    WITH CHECK (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY comments_no_readonly_update ON comments AS RESTRICTIVE FOR UPDATE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY comments_no_readonly_delete ON comments AS RESTRICTIVE FOR DELETE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');

-- Activity: read where the scope is the reader's; written only by the
-- trigger (no INSERT privilege for the workers).
CREATE POLICY activity_read ON activity FOR SELECT
    USING (scope = ANY ((SELECT taskman_my_scopes())::uuid[]));
-- The horizon is one position of the log, the same for everyone.
CREATE POLICY activity_horizon_read ON activity_horizon FOR SELECT USING (true);

------------------------------------------------------------------------------
-- The finder (0005) learns the assignee filter ($18: a user, or the
-- string 'none' for unassigned).
------------------------------------------------------------------------------
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
    v_assignee  uuid;
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
    IF p_filter ->> 'assignee_id' = 'none' THEN
        w := w || ' AND t.assignee_id IS NULL';
    ELSIF p_filter ? 'assignee_id' THEN
        v_assignee := (p_filter ->> 'assignee_id')::uuid;
        w := w || ' AND t.assignee_id = $18';
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
                p_limit, NULL::bigint, p_offset, v_assignee;
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
                p_limit, NULL::bigint, p_offset, v_assignee;
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
            CASE WHEN p_cap IS NULL THEN NULL ELSE p_cap + 1 END,
            NULL::uuid, NULL::integer, NULL::bigint, NULL::integer, v_assignee;

    -- Per scope the first limit + offset + 1 rows in order, then the page
    -- of their merge.
    RETURN QUERY EXECUTE
        'SELECT (row_number() OVER ())::integer, t.id, ' || kj || ', $16::bigint FROM ('
        || 'SELECT t.* FROM unnest($1) s(scope) CROSS JOIN LATERAL (SELECT t.* FROM tasks t '
        || 'WHERE t.scope = s.scope' || w || cur || ' ORDER BY ' || ord
        || ' LIMIT $15 + $17 + 1) t ORDER BY ' || ord || ' LIMIT $15 + 1 OFFSET $17) t'
      USING v_scopes, v_status, v_priority, v_project, v_sprint, v_tag,
            v_before, v_after, v_since, v_q, v_owner, p_after, NULL::integer, p_after_id,
            p_limit, v_total, p_offset, v_assignee;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RETURN QUERY SELECT 0, NULL::uuid, NULL::json, v_total;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION taskman_scopes_of(uuid, text), taskman_role_in(uuid, uuid),
    taskman_user_brief(uuid), taskman_member_json(project_members, boolean),
    taskman_invitation_json(invitations), taskman_invitation_answer(uuid, boolean),
    taskman_assignee_ok(uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION taskman_scopes_of(uuid, text), taskman_role_in(uuid, uuid),
    taskman_user_brief(uuid), taskman_member_json(project_members, boolean),
    taskman_invitation_json(invitations), taskman_invitation_answer(uuid, boolean),
    taskman_assignee_ok(uuid, uuid, uuid), taskman_role_rank(text), taskman_me(),
    taskman_my_write_scopes(), taskman_my_managed(), taskman_invited_me(text, text),
    taskman_comment_json(comments), taskman_activity_json(activity) TO taskman_app;

GRANT SELECT, UPDATE, DELETE         ON project_members TO taskman_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON invitations     TO taskman_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON comments        TO taskman_app;
GRANT SELECT                         ON activity        TO taskman_app;
GRANT SELECT                         ON activity_horizon TO taskman_app;

------------------------------------------------------------------------------
-- Per request (issue 9): taskman_set_user (0006) ran its look-ups once per
-- reference to c.ok -- four times -- because the planner pulled the
-- LATERAL sub-select up into each use; OFFSET 0 keeps it one sub-plan run
-- once.  u.id = p_id gives the users look-up its primary-key condition
-- (pre.uid, the same value, keeps it after the set_config it depends on).
------------------------------------------------------------------------------
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
                                    WHERE u.id = p_id AND u.id = pre.uid
                                      AND NOT u.disabled AND u.role = p_role)
                       AND (p_sid IS NULL
                            OR EXISTS (SELECT 1 FROM public.refresh_sessions s
                                        WHERE s.family_id = p_sid AND s.user_id = pre.uid
                                          AND s.revoked_at IS NULL AND s.rotated_at IS NULL
                                          AND s.expires_at > now())) AS ok
                    OFFSET 0) AS c
$$;

------------------------------------------------------------------------------
-- Events (0007) meet teams: the TEAMS HOOKs of 0007.  A project-scoped
-- event goes to the webhooks of every member of the project (re-checked at
-- delivery through taskman_event_may_see, so a removed member's webhook
-- stops hearing about it); comments and memberships have events too;
-- assignment and invitation mails.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION taskman_event_may_see(p_user uuid, p_owner uuid, p_project uuid)
    RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT CASE WHEN p_project IS NULL THEN p_user = p_owner
                ELSE EXISTS (SELECT 1 FROM public.project_members m
                              WHERE m.project_id = p_project AND m.user_id = p_user) END
$$;

-- Whether anyone who would hear of a change of p_owner's resource in
-- p_project has an active webhook (the triggers' cheap exit).
CREATE FUNCTION taskman_events_wanted(p_owner uuid, p_project uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM public.webhooks w WHERE w.active AND w.owner_id = p_owner)
        OR (p_project IS NOT NULL AND EXISTS (
                SELECT 1 FROM public.project_members m JOIN public.webhooks w
                    ON w.owner_id = m.user_id AND w.active
                 WHERE m.project_id = p_project))
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
           -- the resource's owner, and every member of its project
           AND (w.owner_id = p_owner
                OR (p_project IS NOT NULL AND w.owner_id IN (
                        SELECT m.user_id FROM public.project_members m
                         WHERE m.project_id = p_project)))
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
    -- The cheap exit: nobody who would hear of it has an active webhook.
    IF NOT public.taskman_events_wanted(v_owner,
            CASE WHEN TG_OP = 'DELETE' THEN OLD.project_id ELSE NEW.project_id END)
       AND (TG_OP <> 'UPDATE' OR OLD.project_id IS NULL
            OR NOT public.taskman_events_wanted(v_owner, OLD.project_id)) THEN
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
    IF NOT public.taskman_events_wanted(v_owner,
            CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.id END) THEN
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
            -- Through the scopes (0005's indexes lead with tasks.scope): the
            -- webhook owner's personal tasks and those of every project
            -- they are a member of (0008); a task seen by several webhook
            -- owners is announced once (task_due_notices), to all of them
            -- (taskman_events_fanout).
            SELECT k.* FROM tasks k
             WHERE k.scope = ANY (array_prepend(o.owner_id,
                       ARRAY(SELECT m.project_id FROM project_members m
                              WHERE m.user_id = o.owner_id)))
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
                  -- "their" open tasks: assigned to them, or theirs and unassigned
                  SELECT k.id, k.title, k.due_at FROM tasks k   -- scopes as above
                   WHERE k.scope = ANY (array_prepend(u.id,
                             ARRAY(SELECT m.project_id FROM project_members m
                                    WHERE m.user_id = u.id)))
                     AND (k.assignee_id = u.id OR (k.assignee_id IS NULL AND k.owner_id = u.id))
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

-- comment.created: to whoever hears of the task.
CREATE FUNCTION taskman_comments_events() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    t public.tasks;
BEGIN
    SELECT * INTO t FROM public.tasks k WHERE k.id = NEW.task_id;
    IF NOT FOUND OR NOT public.taskman_events_wanted(t.owner_id, t.project_id) THEN
        RETURN NULL;
    END IF;
    PERFORM public.taskman_events_fanout(t.owner_id, t.project_id, 'comment.created',
                                         public.taskman_comment_json(NEW), NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER comments_events AFTER INSERT ON comments
    FOR EACH ROW EXECUTE FUNCTION taskman_comments_events();

-- project.member_added / project.member_removed: to the project's members
-- (a removed member's own webhooks no longer qualify).
CREATE FUNCTION taskman_members_events() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    m       public.project_members := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    v_owner uuid;
BEGIN
    SELECT p.owner_id INTO v_owner FROM public.projects p WHERE p.id = m.project_id;
    IF NOT FOUND OR m.user_id = v_owner
       OR NOT public.taskman_events_wanted(v_owner, m.project_id) THEN
        -- no listener, the project is being deleted, or it is the owner's
        -- own membership, made with the project
        RETURN NULL;
    END IF;
    PERFORM public.taskman_events_fanout(v_owner, m.project_id,
        CASE TG_OP WHEN 'DELETE' THEN 'project.member_removed' ELSE 'project.member_added' END,
        public.taskman_member_json(m, false), NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER project_members_events AFTER INSERT OR DELETE ON project_members
    FOR EACH ROW EXECUTE FUNCTION taskman_members_events();

-- Mail: "you were assigned a task" (0007's function, now that the column
-- exists) and "you were invited" (to the account with that address or
-- username, else to the e-mail address itself; a renewal mails again).
CREATE TRIGGER tasks_assignment_mail AFTER INSERT OR UPDATE OF assignee_id ON tasks
    FOR EACH ROW EXECUTE FUNCTION taskman_tasks_assignment_mail();

CREATE FUNCTION taskman_invitations_mail() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    v_user uuid;
    v_name text;
BEGIN
    SELECT u.id INTO v_user FROM public.users u
     WHERE (NEW.email IS NOT NULL AND lower(u.email) = lower(NEW.email))
        OR (NEW.username IS NOT NULL AND lower(u.username) = lower(NEW.username));
    IF v_user IS NULL AND NEW.email IS NULL THEN
        RETURN NULL;        -- a username nobody has: nowhere to write to
    END IF;
    SELECT p.name INTO v_name FROM public.projects p WHERE p.id = NEW.project_id;
    PERFORM public.taskman_mail_enqueue(v_user, CASE WHEN v_user IS NULL THEN NEW.email END,
        'invitation', jsonb_build_object('project_name', v_name, 'invitation_id', NEW.id,
                                         'role', NEW.role));
    RETURN NULL;
END
$$;
CREATE TRIGGER invitations_mail AFTER INSERT OR UPDATE OF expires_at ON invitations
    FOR EACH ROW EXECUTE FUNCTION taskman_invitations_mail();

-- taskman-jobs reads memberships (the schedule's scopes) and re-checks them
-- through taskman_event_may_see at delivery.
GRANT SELECT ON project_members TO taskman_jobs;
CREATE POLICY project_members_jobs_select ON project_members FOR SELECT TO taskman_jobs
    USING (true);
REVOKE ALL ON FUNCTION taskman_events_wanted(uuid, uuid) FROM PUBLIC;

------------------------------------------------------------------------------
-- The definer JSON helpers answer only about what the request's user may
-- see: they are callable by the workers' role with any row or id, and as
-- the table owner they would otherwise read anyone's (found in review).
------------------------------------------------------------------------------

-- A user's public face (id, username, display name): to themself, to
-- anyone sharing a project with them, to readers of a task they commented
-- on, and to whoever they invited.  NULL for anyone else.
CREATE OR REPLACE FUNCTION taskman_user_brief(p_id uuid) RETURNS json
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT json_build_object('id', u.id, 'username', u.username, 'display_name', u.display_name)
      FROM public.users u
     WHERE u.id = p_id
       AND (u.id = public.taskman_me()
            OR EXISTS (SELECT 1 FROM public.project_members a
                         JOIN public.project_members b ON b.project_id = a.project_id
                        WHERE a.user_id = public.taskman_me() AND b.user_id = u.id)
            OR EXISTS (SELECT 1 FROM public.comments c JOIN public.tasks t ON t.id = c.task_id
                        WHERE c.author_id = u.id
                          AND t.scope = ANY (public.taskman_scopes_of(public.taskman_me(), 'viewer')))
            OR EXISTS (SELECT 1 FROM public.invitations i
                        WHERE i.invited_by = u.id
                          AND public.taskman_invited_me(i.email, i.username)))
$$;

-- A membership, to the project's members; the e-mail only to its managers.
CREATE OR REPLACE FUNCTION taskman_member_json(m project_members, p_with_email boolean) RETURNS json
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT json_build_object(
        'project_id', m.project_id,
        'user', CASE WHEN p_with_email
                          AND m.project_id = ANY (public.taskman_scopes_of(public.taskman_me(), 'manager'))
                     THEN json_build_object('id', u.id, 'username', u.username,
                                            'display_name', u.display_name, 'email', u.email)
                     ELSE json_build_object('id', u.id, 'username', u.username,
                                            'display_name', u.display_name) END,
        'role', m.role,
        'owner', m.user_id = p.owner_id,
        'added_at', public.taskman_ts(m.added_at), 'added_by', m.added_by)
      FROM public.users u, public.projects p
     WHERE u.id = m.user_id AND p.id = m.project_id
       AND (m.project_id = ANY (public.taskman_scopes_of(public.taskman_me(), 'viewer'))
            -- the definer functions that write memberships (accept) run as
            -- the table owner for a user who was not a member a moment ago
            OR m.user_id = public.taskman_me())
$$;

-- An invitation, to the project's managers and to the person invited.
CREATE OR REPLACE FUNCTION taskman_invitation_json(i invitations) RETURNS json
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT json_build_object(
        'id', i.id,
        'project', (SELECT json_build_object('id', p.id, 'name', p.name)
                      FROM public.projects p WHERE p.id = i.project_id),
        'email', i.email, 'username', i.username, 'role', i.role,
        'invited_by', public.taskman_user_brief(i.invited_by),
        'created_at', public.taskman_ts(i.created_at),
        'expires_at', public.taskman_ts(i.expires_at))
     WHERE i.project_id = ANY (public.taskman_scopes_of(public.taskman_me(), 'manager'))
        OR public.taskman_invited_me(i.email, i.username)
$$;

-- A readonly user changes no invitation, not even through SQL.
CREATE POLICY invitations_no_readonly_update ON invitations AS RESTRICTIVE FOR UPDATE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY invitations_no_readonly_delete ON invitations AS RESTRICTIVE FOR DELETE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
