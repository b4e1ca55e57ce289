-- 0003_tasks.up.sql — the database half of tasks (API.md sections 3 and 4).
--
-- src/api/tasks.c and src/api/todo.c call these; the tables are in 0001.
--
-- * taskman_task_json / taskman_todo_json: the one place a task row becomes
--   JSON, in the v1 shape and in the todo shape.
-- * taskman_task_apply / taskman_task_problems: every write (create, PATCH,
--   POST .../status, /complete, /assign-*, todo POST/PUT/complete) is a
--   jsonb "change set" applied to the current row (NULL::tasks for a
--   create).  _apply computes the new row; _problems says why the change
--   may not be made (transition, references).  The UPDATE calls both on its
--   target row, so under concurrency they see the row as it is when the
--   UPDATE gets its lock (READ COMMITTED re-check), never a stale copy.
-- * taskman_task_page: every task list (filters, sort, offset or keyset
--   cursor, full-text search) as one dynamic query built only from
--   whitelisted fragments, values always bound as parameters.
-- * Indexes the list sorts need beyond 0001's.
--
-- Change set keys (validated by the application before they get here):
--   title, description, status, priority, due_at, tags, estimate_points,
--   project_id, sprint_id     as in the v1 API (null clears);
--   priority_high: true       todo "high": p1, but a p0 task stays p0;
--   complete: "toggle"        open -> done, done -> ready (dropped: refused)
--             "set"           open -> done, done stays (dropped: refused)
--             "unset"         done -> ready, anything else stays;
--   due_date, due_time        todo: date/time (UTC) of due_at; due_date null
--                             clears due_at, due_time null means 00:00.
-- Any other key is ignored (e.g. "version", which the caller checks).

------------------------------------------------------------------------------
-- JSON.  These three are plain SQL without a SET clause so that the planner
-- inlines them into the list queries (a function with SET search_path is
-- called row by row instead); they use only pg_catalog, which is always
-- searched first, and they are not SECURITY DEFINER.
------------------------------------------------------------------------------

-- Times as taskman_ts() prints them (RFC 3339, UTC, whole seconds).
CREATE FUNCTION taskman_task_json(t tasks) RETURNS json
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

-- The todo view of the same row: completed <=> done, p0/p1 -> high,
-- p2 -> medium, p3 -> low, due_at split into a UTC date and HH:MM (null
-- when due_at is exactly midnight UTC).
CREATE FUNCTION taskman_todo_json(t tasks) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'id', t.id, 'title', t.title, 'description', t.description,
        'completed', t.status = 'done',
        'due_date', to_char(t.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
        'due_time', CASE WHEN (t.due_at AT TIME ZONE 'UTC')::time = '00:00:00' THEN NULL
                         ELSE to_char(t.due_at AT TIME ZONE 'UTC', 'HH24:MI') END,
        'priority', CASE t.priority WHEN 'p0' THEN 'high' WHEN 'p1' THEN 'high'
                                    WHEN 'p2' THEN 'medium' ELSE 'low' END,
        'tags', to_json(t.tags), 'user_id', t.owner_id,
        'created_at', to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'updated_at', to_char(t.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'version', t.version)
$$;

-- A timestamp as a keyset-cursor value: exact to the microsecond, in UTC,
-- independent of the session's DateStyle and TimeZone; 'infinity' and
-- '-infinity' as themselves.  (text)::timestamptz reads it back.
CREATE FUNCTION taskman_ts_key(t timestamptz) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN isfinite(t)
                THEN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                ELSE t::text END
$$;

------------------------------------------------------------------------------
-- Writes
------------------------------------------------------------------------------

-- API.md section 3: the allowed status changes; staying put is no change.
CREATE FUNCTION taskman_task_transition_ok(p_from text, p_to text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog
AS $$
    SELECT p_from = p_to OR (p_from, p_to) IN (
        ('new', 'ready'), ('new', 'in_progress'), ('new', 'dropped'),
        ('ready', 'in_progress'), ('ready', 'dropped'),
        ('in_progress', 'blocked'), ('in_progress', 'review'),
        ('in_progress', 'done'), ('in_progress', 'dropped'),
        ('blocked', 'in_progress'), ('blocked', 'dropped'),
        ('review', 'in_progress'), ('review', 'done'), ('review', 'dropped'),
        ('done', 'ready'), ('dropped', 'ready'))
$$;

-- The row t (NULL::tasks for a create) with change set b applied, for
-- owner p_owner.  Only the writable columns and completed_at are computed;
-- id, owner_id, created_at, updated_at and version are the caller's.
-- A sprint implies its project; a new project that is not the old one
-- drops the sprint.  References are not checked here (see _problems; the
-- foreign keys back it up).
CREATE FUNCTION taskman_task_apply(p_owner uuid, t tasks, b jsonb) RETURNS tasks
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

-- Why change set b may not be applied to row t (NULL::tasks: a create) of
-- owner p_owner; '{}' when it may.  Codes:
--   transition          status change not in the table (409 invalid-transition)
--   dropped             complete on a dropped task (409 invalid-transition)
--   project_id          not one of the owner's projects (422)
--   sprint_id           not one of the owner's sprints (422)
--   sprint_id:project   project_id given and not the sprint's project (422)
--   due_time            a time without any due date (422)
--   due_at              outside years 0001-9999 once in UTC (422)
CREATE FUNCTION taskman_task_problems(p_owner uuid, t tasks, b jsonb) RETURNS text[]
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

------------------------------------------------------------------------------
-- Lists
------------------------------------------------------------------------------

-- One page of p_owner's tasks, plus the total count, as rows
--   (total, item, sort_key, item_id)
-- in order; item is the task JSON (p_view 'v1' or 'todo'), sort_key a JSON
-- array of the row's sort key values (for the next keyset cursor).  At most
-- p_limit + 1 rows: one more than asked says there is a next page.  With
-- no task on the page a single row (total, NULL, NULL, NULL) is returned;
-- total = -1 means the cursor's row (p_after_id, when p_after is NULL)
-- no longer exists.
--
-- p_filter (validated by the application): status, priority (arrays),
-- project_id, sprint_id, tag, due_before, due_after, updated_since, q,
-- due_before_date (todo: due on or before that UTC day), high_priority
-- (true: open p0/p1 only).
-- p_sort: created_at, updated_at, due_at, priority, title, each optionally
-- prefixed '-' (descending, ties by id descending), 'rank' (full-text
-- relevance to q, then id) or 'urgent' (priority, due_at, created_at, id).
-- Tasks without due_at sort last both ways.  p_after/p_after_id: the
-- cursor (key values and id of the last row seen); p_after NULL with an id
-- takes the key from that row as it is now (cursors too long to carry it).
--
-- Built with EXECUTE, so each call is planned for its actual filters and
-- values (a prepared statement with "$n IS NULL OR ..." everywhere would
-- get a generic plan that scans).  Only fixed fragments are concatenated.
CREATE FUNCTION taskman_task_page(p_owner uuid, p_filter jsonb, p_sort text,
                                  p_after jsonb, p_after_id uuid,
                                  p_limit integer, p_offset integer, p_view text)
    RETURNS TABLE (total bigint, item json, sort_key json, item_id uuid)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, public
    -- websearch_to_tsquery of only stop words says so with a NOTICE
    SET client_min_messages = warning
AS $$
DECLARE
    w           text := 't.owner_id = $1';
    descending  boolean := left(p_sort, 1) = '-';
    s           text := ltrim(p_sort, '-');
    keys        text[];     -- sort expressions, id excluded
    casts       text[];     -- how a cursor value becomes comparable
    outs        text[];     -- how a key value becomes cursor text
    ord         text;
    cur         text := '';
    js          text;
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
    v_total     bigint;
BEGIN
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
    IF coalesce((p_filter ->> 'high_priority')::boolean, false) THEN
        -- the predicate of tasks_open_urgent_order_idx, word for word
        w := w || ' AND t.priority IN (''p0'', ''p1'') AND t.status NOT IN (''done'', ''dropped'')';
    END IF;

    CASE s
        WHEN 'created_at', 'updated_at' THEN
            keys := ARRAY['t.' || s];
            casts := ARRAY['($11 ->> 0)::timestamptz'];
            outs := ARRAY['taskman_ts_key(t.' || s || ')'];
        WHEN 'due_at' THEN
            keys := ARRAY[CASE WHEN descending
                               THEN 'CASE WHEN t.due_at IS NULL THEN ''-infinity''::timestamptz ELSE t.due_at END'
                               ELSE 'CASE WHEN t.due_at IS NULL THEN ''infinity''::timestamptz ELSE t.due_at END' END];
            casts := ARRAY['($11 ->> 0)::timestamptz'];
            outs := ARRAY['taskman_ts_key(' || keys[1] || ')'];
        WHEN 'priority' THEN
            keys := ARRAY['t.priority'];
            casts := ARRAY['($11 ->> 0)'];
            outs := keys;
        WHEN 'title' THEN
            keys := ARRAY['(t.title COLLATE "C")'];
            casts := ARRAY['(($11 ->> 0) COLLATE "C")'];
            outs := ARRAY['t.title'];
        WHEN 'urgent' THEN
            keys := ARRAY['t.priority', 'CASE WHEN t.due_at IS NULL THEN ''infinity''::timestamptz ELSE t.due_at END', 't.created_at'];
            casts := ARRAY['($11 ->> 0)', '($11 ->> 1)::timestamptz', '($11 ->> 2)::timestamptz'];
            outs := ARRAY['t.priority', 'taskman_ts_key(CASE WHEN t.due_at IS NULL THEN ''infinity''::timestamptz ELSE t.due_at END)',
                          'taskman_ts_key(t.created_at)'];
        WHEN 'rank' THEN
            IF v_q IS NULL THEN
                RAISE EXCEPTION 'sort rank needs q' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            keys := ARRAY['ts_rank(t.search, websearch_to_tsquery(''english'', $10))'];
            casts := ARRAY['($11 ->> 0)::real'];
            outs := keys;
            descending := false;
        ELSE
            RAISE EXCEPTION 'unknown sort %', p_sort USING ERRCODE = 'invalid_parameter_value';
    END CASE;

    -- Due filters also as bounds on the sort expression, so that sort=due_at
    -- starts its index scan at the bound (the plain due_at condition stays:
    -- these alone would let rows without due_at through).
    IF s = 'due_at' THEN
        IF v_after IS NOT NULL THEN w := w || ' AND ' || keys[1] || ' >= $8'; END IF;
        IF v_before IS NOT NULL THEN w := w || ' AND ' || keys[1] || ' < $7'; END IF;
    END IF;

    -- A long cursor carries only the id: take the key from that row now.
    IF p_after IS NULL AND p_after_id IS NOT NULL THEN
        EXECUTE 'SELECT json_build_array(' || array_to_string(outs, ', ') || ')::jsonb'
             || ' FROM tasks t WHERE t.owner_id = $1 AND t.id = $2'
           INTO p_after USING p_owner, p_after_id;
        IF p_after IS NULL THEN
            RETURN QUERY SELECT (-1)::bigint, NULL::json, NULL::json, NULL::uuid;
            RETURN;
        END IF;
    END IF;

    IF s = 'rank' THEN
        ord := keys[1] || ' DESC, t.id';
        IF p_after IS NOT NULL THEN
            cur := ' AND (' || keys[1] || ' < ' || casts[1] || ' OR (' || keys[1]
                || ' = ' || casts[1] || ' AND t.id > $12))';
        END IF;
    ELSE
        ord := '';
        FOR i IN 1 .. cardinality(keys) LOOP
            ord := ord || keys[i] || CASE WHEN descending THEN ' DESC, ' ELSE ', ' END;
        END LOOP;
        ord := ord || 't.id' || CASE WHEN descending THEN ' DESC' ELSE '' END;
        IF p_after IS NOT NULL THEN
            cur := ' AND (' || array_to_string(keys, ', ') || ', t.id) '
                || CASE WHEN descending THEN '<' ELSE '>' END
                || ' (' || array_to_string(casts, ', ') || ', $12)';
        END IF;
    END IF;

    js := CASE WHEN p_view = 'todo' THEN 'taskman_todo_json(t)' ELSE 'taskman_task_json(t)' END;
    kj := 'json_build_array(' || array_to_string(outs, ', ') || ')';

    EXECUTE 'SELECT count(*) FROM tasks t WHERE ' || w
       INTO v_total
      USING p_owner, v_status, v_priority, v_project, v_sprint, v_tag,
            v_before, v_after, v_since, v_q;

    -- The inner query finds the page (rows skipped by OFFSET are never
    -- turned into JSON); the outer one keeps its order (no join, no sort).
    RETURN QUERY EXECUTE
        'SELECT $15::bigint, ' || js || ', ' || kj || ', t.id FROM (SELECT t.* FROM tasks t WHERE '
        || w || cur || ' ORDER BY ' || ord || ' LIMIT $13 + 1 OFFSET $14) t'
      USING p_owner, v_status, v_priority, v_project, v_sprint, v_tag,
            v_before, v_after, v_since, v_q, p_after, p_after_id,
            p_limit, p_offset, v_total;
    IF NOT FOUND THEN
        RETURN QUERY SELECT v_total, NULL::json, NULL::json, NULL::uuid;
    END IF;
END
$$;

------------------------------------------------------------------------------
-- Indexes for the list sorts that 0001's do not serve.  (0001 has
-- (owner_id, created_at|updated_at|priority, id) and the filter indexes.)
--
-- Row-level security: the workers' role sees tasks through the policy, and
-- PostgreSQL then uses a condition of the query as an index condition only
-- when everything in it is leakproof.  So "no due date" is spelled as a
-- CASE, not coalesce() (which the planner treats as possibly leaky), in
-- these indexes and in taskman_task_page(); otherwise a cursor or a due
-- bound on sort=due_at could not seek.  (tags @> and search @@ are not
-- leakproof either: see docs/TASKS-INDEXES.md.)
------------------------------------------------------------------------------

-- sort=due_at / -due_at with "no due date last" both ways.
CREATE INDEX tasks_owner_due_asc_idx ON tasks
    (owner_id, (CASE WHEN due_at IS NULL THEN 'infinity'::timestamptz ELSE due_at END), id);
CREATE INDEX tasks_owner_due_desc_idx ON tasks
    (owner_id, (CASE WHEN due_at IS NULL THEN '-infinity'::timestamptz ELSE due_at END), id);
-- sort=title compares code points, whatever the database's collation.
CREATE INDEX tasks_owner_title_c_idx ON tasks (owner_id, (title COLLATE "C"), id);
-- GET /tasks/high-priority in its exact order.
CREATE INDEX tasks_open_urgent_order_idx ON tasks
    (owner_id, priority, (CASE WHEN due_at IS NULL THEN 'infinity'::timestamptz ELSE due_at END), created_at, id)
    WHERE priority IN ('p0', 'p1') AND status NOT IN ('done', 'dropped');

GRANT EXECUTE ON FUNCTION
    taskman_task_json(tasks), taskman_todo_json(tasks), taskman_ts_key(timestamptz),
    taskman_task_transition_ok(text, text), taskman_task_apply(uuid, tasks, jsonb),
    taskman_task_problems(uuid, tasks, jsonb),
    taskman_task_page(uuid, jsonb, text, jsonb, uuid, integer, integer, text)
    TO taskman_app;
