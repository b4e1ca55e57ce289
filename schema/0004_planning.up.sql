-- 0004_planning.up.sql — the JSON shapes of projects, sprints and action
-- lists (API.md section 3), built in one place each so that every endpoint
-- (get, list, create, the Idempotency-Key replay) returns the same fields in
-- the same format.  The tables, their foreign keys and the detach/unlink
-- triggers are in 0001; this file adds no table.
--
-- Formats: ids as UUID strings, times through taskman_ts() (RFC 3339 UTC,
-- whole seconds), dates YYYY-MM-DD, numeric points as JSON numbers without
-- trailing zeros (trim_scale: 5.50 -> 5.5).

-- A date as YYYY-MM-DD whatever DateStyle says; NULL stays NULL.  STABLE
-- like to_char(), so that it is inlined (see taskman_ts).
CREATE FUNCTION taskman_date(d date) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT to_char(d, 'YYYY-MM-DD') $$;

CREATE FUNCTION taskman_project_json(p projects) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'id', p.id, 'name', p.name, 'description', p.description,
        'status', p.status, 'start_date', taskman_date(p.start_date),
        'target_end_date', taskman_date(p.target_end_date),
        'owner_id', p.owner_id,
        'created_at', taskman_ts(p.created_at), 'updated_at', taskman_ts(p.updated_at),
        'version', p.version)
$$;

CREATE FUNCTION taskman_sprint_json(s sprints) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'id', s.id, 'project_id', s.project_id, 'name', s.name, 'goal', s.goal,
        'status', s.status, 'cadence', s.cadence,
        'start_date', taskman_date(s.start_date), 'end_date', taskman_date(s.end_date),
        'velocity_target_points', trim_scale(s.velocity_target_points),
        'owner_id', s.owner_id,
        'created_at', taskman_ts(s.created_at), 'updated_at', taskman_ts(s.updated_at),
        'version', s.version)
$$;

-- items are stored normalised by the application ({"text","done","task_id"}
-- in that order, task_id lower-case or null), so they are passed through.
CREATE FUNCTION taskman_action_list_json(a action_lists) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'id', a.id, 'title', a.title, 'description', a.description,
        'status', a.status, 'project_id', a.project_id, 'sprint_id', a.sprint_id,
        'items', a.items, 'owner_id', a.owner_id,
        'created_at', taskman_ts(a.created_at), 'updated_at', taskman_ts(a.updated_at),
        'version', a.version)
$$;

-- Name-sorted project and sprint lists, title-sorted action lists
-- (sort=name / sort=title compares code points).
CREATE INDEX projects_owner_name_idx ON projects (owner_id, name COLLATE "C", id);
CREATE INDEX sprints_owner_name_idx ON sprints (owner_id, name COLLATE "C", id);
CREATE INDEX sprints_owner_start_idx ON sprints (owner_id, start_date, id);
CREATE INDEX action_lists_owner_title_idx ON action_lists (owner_id, title COLLATE "C", id);
