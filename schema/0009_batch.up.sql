-- 0009_batch.up.sql — POST /api/v1/tasks/batch (API.md section 8): up to
-- 100 task operations in one transaction, all or nothing.
--
-- taskman_tasks_batch() runs the operations in order with the same pieces
-- the single statements of src/api/tasks.c use: visibility through
-- taskman_scopes_of(), the role through taskman_role_in(), the change set
-- through taskman_task_problems() and taskman_task_apply(), activity
-- through the tasks triggers of 0008.  It runs as the caller (SECURITY
-- INVOKER): row-level security applies to every row it touches.
--
-- The first operation that fails RAISEs, so the statement and with it
-- every write of the earlier operations (their activity rows included) is
-- rolled back.  A function that returned its failure normally would
-- commit them.  The error carries the operation's index and the reason:
--
--   SQLSTATE TMB01, MESSAGE '<index>|<code>|<a>|<b>' with code
--     notfound                 the task is not visible to the caller (404)
--     forbidden                visible, but the role is below editor here
--                              or where the task would go (403)
--     precondition             if_match is not the current version (412)
--     version|<current>        fields.version is not the current one (409)
--     problems|<list>|<status> taskman_task_problems() codes, comma
--                              separated, and the task's status (409 for
--                              transitions, else 422)
--   a foreign key or check that caught a reference going away meanwhile
--     keeps its SQLSTATE and CONSTRAINT, MESSAGE 'batch operation <index>'
--   SQLSTATE TMB00: p_dry and every operation succeeded (the caller only
--     wanted to know whether one of them fails: nothing may stay).
--
-- Operations (p_ops, built by src/api/batch.c from a validated body):
--   {"op": "create", "fields": {change set}}
--   {"op": "update", "id": uuid, "fields": {change set}, "if_match": int?}
--     (the status operation is an update of {"status": ...})
--   {"op": "delete", "id": uuid, "if_match": int?}
-- Indexes count from 0.  Rows are locked (FOR UPDATE) before the checks,
-- so a concurrent writer cannot slip between a check and the write.
--
-- Returns one row: the response body {"results": [{status, task?}]} and the
-- status transitions it made ('from>to', comma separated) for the metrics.

CREATE FUNCTION taskman_tasks_batch(p_user uuid, p_ops jsonb, p_dry boolean)
    RETURNS TABLE (body json, transitions text)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, public
AS $$
DECLARE
    o       jsonb;
    i       integer := -1;
    ch      jsonb;
    t       tasks;
    n       tasks;
    probs   text[];
    v_id    uuid;
    v_ifm   integer;
    v_ver   integer;
    res     text[] := '{}';     -- the results, as JSON text (json_build_object pads)
    tr      text[] := '{}';
    e_state text;
    e_cons  text;
BEGIN
    BEGIN
        FOR o IN SELECT x.value FROM jsonb_array_elements(p_ops) WITH ORDINALITY x ORDER BY x.ordinality
        LOOP
            i := i + 1;
            ch := coalesce(o -> 'fields', '{}'::jsonb);
            v_ifm := (o ->> 'if_match')::integer;

            IF o ->> 'op' = 'create' THEN
                probs := taskman_task_problems(p_user, NULL::tasks, ch);
                IF EXISTS (SELECT 1 FROM unnest(probs) p WHERE p LIKE '%:role') THEN
                    RAISE EXCEPTION USING ERRCODE = 'TMB01', MESSAGE = i || '|forbidden';
                END IF;
                IF cardinality(probs) > 0 THEN
                    RAISE EXCEPTION USING ERRCODE = 'TMB01',
                        MESSAGE = i || '|problems|' || array_to_string(probs, ',') || '|';
                END IF;
                n := taskman_task_apply(p_user, NULL::tasks, ch);
                INSERT INTO tasks (owner_id, project_id, sprint_id, assignee_id, title,
                    description, status, priority, due_at, tags, estimate_points, completed_at)
                VALUES (p_user, n.project_id, n.sprint_id, n.assignee_id, n.title,
                    n.description, n.status, n.priority, n.due_at, n.tags,
                    n.estimate_points, n.completed_at)
                RETURNING * INTO t;
                res := res || ('{"status":201,"task":' || taskman_task_json(t)::text || '}');
                CONTINUE;
            END IF;

            -- update and delete: visible (else 404), writable (else 403), then locked
            v_id := (o ->> 'id')::uuid;
            PERFORM 1 FROM tasks x
             WHERE x.id = v_id AND x.scope = ANY (taskman_scopes_of(p_user, 'viewer'))
               AND taskman_role_rank(taskman_role_in(p_user, x.scope)) >= 2;
            IF NOT FOUND THEN
                IF EXISTS (SELECT 1 FROM tasks x WHERE x.id = v_id
                            AND x.scope = ANY (taskman_scopes_of(p_user, 'viewer'))) THEN
                    RAISE EXCEPTION USING ERRCODE = 'TMB01', MESSAGE = i || '|forbidden';
                END IF;
                RAISE EXCEPTION USING ERRCODE = 'TMB01', MESSAGE = i || '|notfound';
            END IF;
            SELECT x.* INTO t FROM tasks x
             WHERE x.id = v_id AND x.scope = ANY (taskman_scopes_of(p_user, 'editor'))
               FOR UPDATE;
            IF NOT FOUND THEN
                -- deleted or moved away meanwhile
                RAISE EXCEPTION USING ERRCODE = 'TMB01', MESSAGE = i || '|notfound';
            END IF;

            IF o ->> 'op' = 'delete' THEN
                IF v_ifm IS NOT NULL AND v_ifm <> t.version THEN
                    RAISE EXCEPTION USING ERRCODE = 'TMB01', MESSAGE = i || '|precondition';
                END IF;
                DELETE FROM tasks x WHERE x.id = v_id;
                res := res || '{"status":204}'::text;
                CONTINUE;
            END IF;

            -- update, in the order tasks_do_update() explains a refusal
            v_ver := (ch ->> 'version')::integer;
            probs := taskman_task_problems(p_user, t, ch);
            IF EXISTS (SELECT 1 FROM unnest(probs) p WHERE p LIKE '%:role') THEN
                RAISE EXCEPTION USING ERRCODE = 'TMB01', MESSAGE = i || '|forbidden';
            END IF;
            IF v_ifm IS NOT NULL AND v_ifm <> t.version THEN
                RAISE EXCEPTION USING ERRCODE = 'TMB01', MESSAGE = i || '|precondition';
            END IF;
            IF v_ver IS NOT NULL AND v_ver <> t.version THEN
                RAISE EXCEPTION USING ERRCODE = 'TMB01', MESSAGE = i || '|version|' || t.version;
            END IF;
            IF cardinality(probs) > 0 THEN
                RAISE EXCEPTION USING ERRCODE = 'TMB01',
                    MESSAGE = i || '|problems|' || array_to_string(probs, ',') || '|' || t.status;
            END IF;
            n := taskman_task_apply(p_user, t, ch);
            UPDATE tasks x SET (owner_id, project_id, sprint_id, assignee_id, title,
                description, status, priority, due_at, tags, estimate_points, completed_at) =
                (n.owner_id, n.project_id, n.sprint_id, n.assignee_id, n.title,
                 n.description, n.status, n.priority, n.due_at, n.tags, n.estimate_points,
                 n.completed_at),
                version = x.version + 1, updated_at = now()
             WHERE x.id = v_id
            RETURNING x.* INTO n;
            IF n.status IS DISTINCT FROM t.status THEN
                tr := tr || (t.status || '>' || n.status);
            END IF;
            res := res || ('{"status":200,"task":' || taskman_task_json(n)::text || '}');
        END LOOP;
    EXCEPTION
        WHEN integrity_constraint_violation OR data_exception THEN
            GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_cons = CONSTRAINT_NAME;
            RAISE EXCEPTION USING ERRCODE = e_state, CONSTRAINT = coalesce(e_cons, ''),
                MESSAGE = 'batch operation ' || i;
    END;
    IF p_dry THEN
        RAISE EXCEPTION USING ERRCODE = 'TMB00', MESSAGE = 'every operation would succeed';
    END IF;
    RETURN QUERY SELECT ('{"results":[' || array_to_string(res, ',') || ']}')::json,
                        array_to_string(tr, ',');
END
$$;

GRANT EXECUTE ON FUNCTION taskman_tasks_batch(uuid, jsonb, boolean) TO taskman_app;
