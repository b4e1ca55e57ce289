-- 0005_lists.down.sql — undoes 0005_lists.up.sql: back to the owner-keyed
-- indexes of 0001/0003 and taskman_task_page().

CREATE OR REPLACE FUNCTION taskman_detach_from_project() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public
AS $$
BEGIN
    UPDATE public.tasks
       SET project_id = NULL, sprint_id = NULL, updated_at = now(), version = version + 1
     WHERE owner_id = OLD.owner_id AND project_id = OLD.id;
    UPDATE public.action_lists
       SET project_id = NULL, sprint_id = NULL, updated_at = now(), version = version + 1
     WHERE owner_id = OLD.owner_id AND project_id = OLD.id;
    RETURN OLD;
END
$$;

DROP FUNCTION taskman_task_find(jsonb, text, jsonb, uuid, integer, integer, integer);
DROP POLICY tasks_owner_reads ON tasks;
DROP FUNCTION taskman_my_scopes();

DROP INDEX tasks_scope_created_idx, tasks_scope_updated_idx, tasks_scope_due_asc_idx,
           tasks_scope_due_desc_idx, tasks_scope_priority_idx, tasks_scope_title_idx,
           tasks_scope_urgent_idx, tasks_scope_tags_idx, tasks_scope_search_idx,
           tasks_sprint_idx, tasks_project_idx;
ALTER TABLE tasks DROP COLUMN scope;
DROP EXTENSION IF EXISTS btree_gin;

CREATE INDEX tasks_owner_created_idx  ON tasks (owner_id, created_at, id);
CREATE INDEX tasks_owner_updated_idx  ON tasks (owner_id, updated_at, id);
CREATE INDEX tasks_owner_due_idx      ON tasks (owner_id, due_at, id);
CREATE INDEX tasks_owner_priority_idx ON tasks (owner_id, priority, id);
CREATE INDEX tasks_owner_title_idx    ON tasks (owner_id, title, id);
CREATE INDEX tasks_owner_status_idx   ON tasks (owner_id, status);
CREATE INDEX tasks_owner_project_idx  ON tasks (owner_id, project_id, status);
CREATE INDEX tasks_owner_sprint_idx   ON tasks (owner_id, sprint_id);
CREATE INDEX tasks_tags_idx           ON tasks USING gin (tags);
CREATE INDEX tasks_search_idx         ON tasks USING gin (search);
CREATE INDEX tasks_open_urgent_idx    ON tasks (owner_id, priority, due_at, id)
    WHERE priority IN ('p0', 'p1') AND status NOT IN ('done', 'dropped');
CREATE INDEX tasks_owner_due_asc_idx ON tasks
    (owner_id, (CASE WHEN due_at IS NULL THEN 'infinity'::timestamptz ELSE due_at END), id);
CREATE INDEX tasks_owner_due_desc_idx ON tasks
    (owner_id, (CASE WHEN due_at IS NULL THEN '-infinity'::timestamptz ELSE due_at END), id);
CREATE INDEX tasks_owner_title_c_idx ON tasks (owner_id, (title COLLATE "C"), id);
CREATE INDEX tasks_open_urgent_order_idx ON tasks
    (owner_id, priority, (CASE WHEN due_at IS NULL THEN 'infinity'::timestamptz ELSE due_at END), created_at, id)
    WHERE priority IN ('p0', 'p1') AND status NOT IN ('done', 'dropped');

-- taskman_task_page() exactly as 0003 created it.
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

GRANT EXECUTE ON FUNCTION taskman_task_page(uuid, jsonb, text, jsonb, uuid, integer, integer, text) TO taskman_app;
