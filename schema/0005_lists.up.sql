-- 0005_lists.up.sql — task lists, search and filters at 100,000 tasks
-- (issue 9; the design is in docs/TASKS-INDEXES.md).
--
-- * tasks.scope: the one uuid a task is visible through — its project, or
--   for a personal task its owner.  Every list walks one index per scope
--   the caller can see (taskman_my_scopes()) and merges the heads, so a
--   page costs limit + 1 index entries per scope whatever the list's size,
--   and a shared project (issue 12) is one more scope, not a new plan.
-- * Indexes: one btree per sort order on (scope, key, id), GIN on
--   (scope, tags) and (scope, search) through btree_gin, so a tag or a
--   word is found among one scope's rows only.  0001/0003's owner-keyed
--   indexes go: 16 indexes on tasks become 12 (cheaper writes).
-- * taskman_task_find(): lists with a tag or text filter and
--   /tasks/search.  Under row-level security PostgreSQL never uses `@>`
--   or `@@` as an index condition (neither is leakproof), so these lists
--   scanned every row of the user.  This SECURITY DEFINER function runs
--   as the table owner, which a SELECT-only policy lets read tasks without
--   the per-user policy, finds the page's ids through the GIN indexes with
--   the scopes of the verified request user, and the caller fetches the
--   rows by id under RLS (the second lock).

CREATE EXTENSION IF NOT EXISTS btree_gin;

-- Stored, so that it can lead every index; coalesce() in a generated
-- column is evaluated on write, never in a query (no leakproof question).
ALTER TABLE tasks ADD COLUMN scope uuid NOT NULL
    GENERATED ALWAYS AS (coalesce(project_id, owner_id)) STORED;

DROP INDEX tasks_owner_created_idx, tasks_owner_updated_idx, tasks_owner_due_idx,
           tasks_owner_priority_idx, tasks_owner_title_idx, tasks_owner_status_idx,
           tasks_owner_project_idx, tasks_owner_sprint_idx, tasks_tags_idx,
           tasks_search_idx, tasks_open_urgent_idx, tasks_owner_due_asc_idx,
           tasks_owner_due_desc_idx, tasks_owner_title_c_idx, tasks_open_urgent_order_idx;

-- Default sort.  owner_id (which the row-level-security policy reads),
-- status and priority are included so that capped counts, also with those
-- filters, and project metrics (counts by status) are index-only scans.
CREATE INDEX tasks_scope_created_idx ON tasks (scope, created_at, id) INCLUDE (owner_id, status, priority);
CREATE INDEX tasks_scope_updated_idx ON tasks (scope, updated_at, id);
-- "No due date" last both ways; CASE, not coalesce(), so that the planner
-- may use the key as an index condition under RLS (CASE is leakproof).
CREATE INDEX tasks_scope_due_asc_idx ON tasks
    (scope, (CASE WHEN due_at IS NULL THEN 'infinity'::timestamptz ELSE due_at END), id);
CREATE INDEX tasks_scope_due_desc_idx ON tasks
    (scope, (CASE WHEN due_at IS NULL THEN '-infinity'::timestamptz ELSE due_at END), id);
CREATE INDEX tasks_scope_priority_idx ON tasks (scope, priority, id);
CREATE INDEX tasks_scope_title_idx ON tasks (scope, (title COLLATE "C"), id);
-- GET /tasks/high-priority in its exact order.
CREATE INDEX tasks_scope_urgent_idx ON tasks
    (scope, priority, (CASE WHEN due_at IS NULL THEN 'infinity'::timestamptz ELSE due_at END), created_at, id)
    WHERE priority IN ('p0', 'p1') AND status NOT IN ('done', 'dropped');
CREATE INDEX tasks_scope_tags_idx ON tasks USING gin (scope, tags);
CREATE INDEX tasks_scope_search_idx ON tasks USING gin (scope, search);
-- sprint_id filter, burndown, and the sprint/project foreign-key actions
-- (which look rows up by these columns).
CREATE INDEX tasks_sprint_idx ON tasks (sprint_id) WHERE sprint_id IS NOT NULL;
CREATE INDEX tasks_project_idx ON tasks (project_id) WHERE project_id IS NOT NULL;

-- The scopes the request's user sees: their own id (personal tasks) and
-- their projects.  Plain SQL without SET so that it is inlined; under the
-- workers' role RLS limits projects to the user's anyway.  Issue 12
-- (teams) widens this to the projects the user is a member of.
CREATE FUNCTION taskman_my_scopes() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT NULLIF(current_setting('taskman.user_id', true), '')::uuid
        || ARRAY(SELECT p.id FROM public.projects p
                  WHERE p.owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid)
$$;

-- The table owner reads tasks in taskman_task_find() without the per-user
-- policy (FORCE ROW LEVEL SECURITY stays: writes and every other role are
-- unchanged).  The owner can switch RLS off on its own tables anyway, so
-- this grants it nothing it could not take; it lets the planner use the
-- GIN indexes, which a policy qualifier in front of `@>`/`@@` forbids.
CREATE POLICY tasks_owner_reads ON tasks FOR SELECT TO CURRENT_USER USING (true);

------------------------------------------------------------------------------
-- taskman_task_find: one page of ids for a list with a tag or text filter
-- (and /tasks/search, sort 'rank').  Rows (pos, id, sort_key, total) in
-- page order, at most p_limit + 1 (one more says there is a next page);
-- no page row at all: one row (n, NULL, NULL, total).
--
--   p_filter  as taskman_task_page() took it (validated by the worker):
--             status, priority (arrays), project_id, sprint_id, tag,
--             due_before, due_before_date, due_after, updated_since, q,
--             owner_id (only that user's tasks: the todo surface);
--   p_sort    created_at, updated_at, due_at, priority, title ('-' for
--             descending) or rank (needs q);
--   p_after   the cursor's key values (JSON array) and p_after_id its id,
--             or NULL: the first page;
--   p_cap     total counts at most this many rows (NULL: exact), and
--             sort 'rank' ranks at most this many matches (NULL: all).
--
-- Security: the user is taken from taskman.user_id, which the worker's
-- identity step (taskman_set_user) set in this transaction for the
-- verified token; the scopes are that user's, computed here; the caller
-- re-reads every returned id under RLS.  Only fixed fragments are
-- concatenated, every value is a parameter.
------------------------------------------------------------------------------
CREATE FUNCTION taskman_task_find(p_filter jsonb, p_sort text, p_after jsonb,
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

REVOKE ALL ON FUNCTION taskman_task_find(jsonb, text, jsonb, uuid, integer, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION taskman_my_scopes(),
    taskman_task_find(jsonb, text, jsonb, uuid, integer, integer, integer) TO taskman_app;

-- taskman_task_page() (0003) is replaced by the worker's prepared list
-- statements (src/api/tasks.c) and taskman_task_find().
DROP FUNCTION taskman_task_page(uuid, jsonb, text, jsonb, uuid, integer, integer, text);

-- The detach triggers find a project's tasks through the scope index.
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
