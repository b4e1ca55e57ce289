-- 0010_recurrence.up.sql — recurring tasks (API.md section 10).
--
-- tasks.recurrence is NULL or {"rule": RRULE, "from": "due"|"completion"};
-- the worker checks the rule (src/api/rrule.c) before it gets here.  When a
-- recurring task becomes done, a trigger creates the next occurrence in the
-- same transaction: same fields, status new, due_at the next date of the
-- rule after the old due date (from due) or after the completion (from
-- completion, at the old due time of day), in UTC, COUNT decreased by one;
-- nothing once COUNT is 1 or the next date is past UNTIL.  The completed
-- task remembers it (next_occurrence_id), so completing it again after a
-- reopen creates no second one, and reopening deletes nothing.

ALTER TABLE tasks
    ADD COLUMN recurrence jsonb
        CONSTRAINT tasks_recurrence_shape CHECK (recurrence IS NULL OR (
            jsonb_typeof(recurrence) = 'object'
            AND jsonb_typeof(recurrence -> 'rule') = 'string'
            AND recurrence ->> 'from' IN ('due', 'completion'))),
    ADD COLUMN next_occurrence_id uuid REFERENCES tasks (id) ON DELETE SET NULL,
    ADD CONSTRAINT tasks_recurrence_due CHECK (recurrence IS NULL OR due_at IS NOT NULL);
-- The foreign key's ON DELETE looks rows up by it on every task delete.
CREATE INDEX tasks_next_occurrence_idx ON tasks (next_occurrence_id)
    WHERE next_occurrence_id IS NOT NULL;

-- The stored form of a request's recurrence: null stays NULL, "from"
-- defaults to "due".
CREATE FUNCTION taskman_recurrence_norm(j jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN j IS NULL OR jsonb_typeof(j) = 'null' THEN NULL
                ELSE jsonb_build_object('rule', j ->> 'rule',
                                        'from', coalesce(j ->> 'from', 'due')) END
$$;

-- The next occurrence of p_rule strictly after p_base (UTC; the time of
-- day of p_base is kept), or NULL when it would be past UNTIL.  COUNT is
-- the caller's business.  Dates that do not exist in a month or year
-- (BYMONTHDAY=31 in April, 29 February) are skipped, as RFC 5545 says;
-- BYMONTHDAY=-1 is the last day of the month.
CREATE FUNCTION taskman_rrule_next(p_rule text, p_base timestamptz) RETURNS timestamptz
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog
AS $$
DECLARE
    part     text;
    k        text;
    v        text;
    freq     text;
    step     integer := 1;
    byday    integer[];
    bymd     integer[];
    until_ts timestamptz;
    d        date := (p_base AT TIME ZONE 'UTC')::date;
    tod      time := (p_base AT TIME ZONE 'UTC')::time;
    nd       date;
    ws       date;
    ms       date;
    dim      integer;
    dd       integer;
    best     date;
    i        integer;
    x        integer;
BEGIN
    FOREACH part IN ARRAY string_to_array(p_rule, ';') LOOP
        k := split_part(part, '=', 1);
        v := split_part(part, '=', 2);
        CASE k
            WHEN 'FREQ' THEN freq := v;
            WHEN 'INTERVAL' THEN step := v::integer;
            WHEN 'BYDAY' THEN
                byday := ARRAY(SELECT array_position(ARRAY['MO','TU','WE','TH','FR','SA','SU'], w.day)
                                 FROM unnest(string_to_array(v, ',')) w(day) ORDER BY 1);
            WHEN 'BYMONTHDAY' THEN bymd := string_to_array(v, ',')::integer[];
            WHEN 'UNTIL' THEN
                until_ts := CASE WHEN length(v) = 8
                                 THEN (to_date(v, 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC'
                                      - interval '1 microsecond'
                                 ELSE to_timestamp(v, 'YYYYMMDD"T"HH24MISS"Z"')::timestamp
                                      AT TIME ZONE 'UTC' END;
            ELSE NULL;      -- COUNT
        END CASE;
    END LOOP;

    CASE freq
    WHEN 'DAILY' THEN
        nd := d + step;
    WHEN 'WEEKLY' THEN
        IF byday IS NULL THEN
            nd := d + 7 * step;
        ELSE
            ws := d - (extract(isodow FROM d)::integer - 1);
            -- a later day of this week, else the first day of the next week in the cycle
            SELECT min(w.n) INTO dd FROM unnest(byday) w(n) WHERE w.n > extract(isodow FROM d)::integer;
            IF dd IS NOT NULL THEN
                nd := ws + (dd - 1);
            ELSE
                nd := ws + 7 * step + (byday[1] - 1);
            END IF;
        END IF;
    WHEN 'MONTHLY' THEN
        IF bymd IS NULL THEN
            bymd := ARRAY[extract(day FROM d)::integer];
        END IF;
        ms := date_trunc('month', d)::date;
        -- at most 12 * 366 months ahead: BYMONTHDAY=31 with INTERVAL=2
        -- from an even month never matches, and must end
        FOR i IN 0 .. 4392 LOOP
            dim := extract(day FROM (ms + interval '1 month' - interval '1 day'))::integer;
            best := NULL;
            FOREACH x IN ARRAY bymd LOOP
                dd := CASE WHEN x > 0 THEN x ELSE dim + x + 1 END;
                IF dd BETWEEN 1 AND dim AND ms + (dd - 1) > d
                   AND (best IS NULL OR ms + (dd - 1) < best) THEN
                    best := ms + (dd - 1);
                END IF;
            END LOOP;
            IF best IS NOT NULL THEN
                nd := best;
                EXIT;
            END IF;
            ms := (ms + make_interval(months => step))::date;
            EXIT WHEN ms > '9999-12-01';
        END LOOP;
    WHEN 'YEARLY' THEN
        FOR i IN 1 .. 400 LOOP
            x := extract(year FROM d)::integer + i * step;
            -- 29 February only in leap years; every other date every year
            IF extract(month FROM d) <> 2 OR extract(day FROM d) <> 29
               OR (x % 4 = 0 AND (x % 100 <> 0 OR x % 400 = 0)) THEN
                nd := make_date(x, extract(month FROM d)::integer, extract(day FROM d)::integer);
                EXIT;
            END IF;
        END LOOP;
    END CASE;

    IF nd IS NULL OR nd > '9999-12-31' THEN
        RETURN NULL;
    END IF;
    IF until_ts IS NOT NULL AND (nd + tod) AT TIME ZONE 'UTC' > until_ts THEN
        RETURN NULL;
    END IF;
    RETURN (nd + tod) AT TIME ZONE 'UTC';
END
$$;

-- The COUNT of a rule decreased by one ('' when it is exhausted: 1 left),
-- the rule itself without COUNT.
CREATE FUNCTION taskman_rrule_after_one(p_rule text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN c IS NULL THEN p_rule
                WHEN c <= 1 THEN ''
                ELSE regexp_replace(p_rule, '(^|;)COUNT=[0-9]+', '\1COUNT=' || (c - 1)) END
      FROM (SELECT substring(p_rule FROM '(?:^|;)COUNT=([0-9]+)')::integer AS c) x
$$;

CREATE FUNCTION taskman_tasks_recur() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    v_rule text := taskman_rrule_after_one(NEW.recurrence ->> 'rule');
    v_base timestamptz;
    v_next timestamptz;
    v_id   uuid := gen_random_uuid();
BEGIN
    IF v_rule = '' OR NEW.due_at IS NULL THEN
        RETURN NEW;         -- the last occurrence
    END IF;
    v_base := CASE WHEN NEW.recurrence ->> 'from' = 'completion'
                   THEN ((coalesce(NEW.completed_at, now()) AT TIME ZONE 'UTC')::date
                         + (NEW.due_at AT TIME ZONE 'UTC')::time) AT TIME ZONE 'UTC'
                   ELSE NEW.due_at END;
    v_next := taskman_rrule_next(NEW.recurrence ->> 'rule', v_base);
    IF v_next IS NULL THEN
        RETURN NEW;         -- past UNTIL
    END IF;
    INSERT INTO public.tasks (id, owner_id, project_id, sprint_id, assignee_id, title,
                              description, priority, due_at, tags, estimate_points, recurrence)
    VALUES (v_id, NEW.owner_id, NEW.project_id, NEW.sprint_id, NEW.assignee_id, NEW.title,
            NEW.description, NEW.priority, v_next, NEW.tags, NEW.estimate_points,
            jsonb_build_object('rule', v_rule, 'from', NEW.recurrence ->> 'from'));
    NEW.next_occurrence_id := v_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER tasks_recur BEFORE UPDATE OF status ON tasks
    FOR EACH ROW WHEN (NEW.status = 'done' AND OLD.status <> 'done'
                       AND NEW.recurrence IS NOT NULL AND NEW.next_occurrence_id IS NULL)
    EXECUTE FUNCTION taskman_tasks_recur();

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
        'recurrence', t.recurrence, 'next_occurrence_id', t.next_occurrence_id,
        'created_at', to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'updated_at', to_char(t.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'version', t.version)
$$;

GRANT EXECUTE ON FUNCTION taskman_recurrence_norm(jsonb), taskman_rrule_next(text, timestamptz),
    taskman_rrule_after_one(text) TO taskman_app;
