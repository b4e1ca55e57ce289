-- 0001_init.up.sql — taskman's whole data model (API.md sections 2 and 3).
--
-- Applied by `taskmanctl migrate up` as role taskman_owner, inside one
-- transaction together with its schema_migrations row.  The file must not
-- contain BEGIN/COMMIT.  PostgreSQL 15 or later (ON DELETE SET NULL (col)).
--
-- Conventions used throughout:
-- * No extensions: gen_random_uuid() is built in since PG 13; e-mail
--   addresses are unique case-insensitively through a lower(email) index
--   instead of citext.
-- * Every length rule of the contract is mirrored by a CHECK using
--   char_length (characters, not bytes).  The application validates first and
--   answers 422; a CHECK failure (SQLSTATE 23514) means the application let a
--   bad value through and should also map to 422, never to a 500.
-- * updated_at and version are maintained by the APPLICATION: every UPDATE it
--   issues sets updated_at = now(), version = version + 1.  There are no
--   triggers for that, so a statement shows exactly what it changes.  The only
--   writes the database makes on its own (detaching tasks from a deleted
--   project or sprint, nulling action-list item task_ids of a deleted task)
--   bump version and updated_at themselves, so ETags change with the row.
-- * Row-level security is ENABLED and FORCED on every table holding user data.
--   The worker (role taskman_app) sets, in the same transaction as each
--   user-scoped statement:
--       set_config('taskman.user_id', '<uuid>', true)
--       set_config('taskman.role', 'admin'|'user'|'readonly', true)
--   Policies read NULLIF(current_setting('taskman.user_id', true), '')::uuid;
--   when it is unset every policy sees no rows (fail closed).
--   Policies are written for PUBLIC, not only for taskman_app: because RLS is
--   FORCED they then also bind the table owner (taskman_owner) — migrations,
--   `taskmanctl user ...` and SECURITY DEFINER functions owned by
--   taskman_owner get the same rows the app would get for the same
--   taskman.user_id / taskman.role, instead of none at all.  GRANTs decide
--   which roles may touch a table; policies decide which rows.
--   Foreign-key checks and ON DELETE actions are not subject to RLS.

-- The app never creates objects.  (PG 15 already does this for new
-- databases; repeated here for clusters upgraded from older versions.)
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

------------------------------------------------------------------------------
-- Helper functions (IMMUTABLE, used by CHECK constraints and the generated
-- search column; they reference only pg_catalog, so dump/restore is safe).
------------------------------------------------------------------------------

-- Task tags: a one-dimensional array of at most 20 distinct, non-null
-- strings of 1..50 characters.  Distinctness is exact (case-sensitive).
CREATE FUNCTION taskman_tags_valid(tags text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN cardinality(tags) = 0 THEN true
        WHEN array_ndims(tags) <> 1 OR cardinality(tags) > 20 THEN false
        ELSE NOT EXISTS (SELECT 1 FROM unnest(tags) AS t(tag)
                         WHERE tag IS NULL OR char_length(tag) NOT BETWEEN 1 AND 50)
             AND (SELECT count(DISTINCT tag) FROM unnest(tags) AS t(tag)) = cardinality(tags)
    END
$$;

-- Action-list items: a JSON array of at most 500 objects
--   {"text": string 1..1000 chars, "done": boolean, "task_id": uuid string | null}
-- "task_id" may be absent (= null); no other keys.  task_id must be the
-- canonical lower-case text form (what uuid::text prints) so that the delete
-- trigger on tasks can find it by containment.  Whether the task exists and
-- belongs to the list's owner is checked by a trigger (a CHECK cannot look at
-- other rows).  CASE keeps jsonb_* functions away from values of the wrong
-- JSON type, since AND does not guarantee evaluation order.
CREATE FUNCTION taskman_action_items_valid(items jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN jsonb_typeof(items) <> 'array' THEN false
        WHEN jsonb_array_length(items) > 500 THEN false
        ELSE NOT EXISTS (
            SELECT 1 FROM jsonb_array_elements(items) AS e(item)
            WHERE NOT CASE
                WHEN jsonb_typeof(item) <> 'object' THEN false
                ELSE coalesce(jsonb_typeof(item -> 'text') = 'string', false)
                 AND char_length(item ->> 'text') BETWEEN 1 AND 1000
                 AND coalesce(jsonb_typeof(item -> 'done') = 'boolean', false)
                 AND (NOT item ? 'task_id'
                      OR jsonb_typeof(item -> 'task_id') = 'null'
                      OR (jsonb_typeof(item -> 'task_id') = 'string'
                          AND (item ->> 'task_id') ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'))
                 AND NOT EXISTS (SELECT 1 FROM jsonb_object_keys(item) AS k(key)
                                 WHERE key NOT IN ('text', 'done', 'task_id'))
            END)
    END
$$;

-- The full-text document of a task: title (weight A), tags (B),
-- description (C), text search configuration 'english' (stemming, English
-- stop words).  Queries must use the same configuration, e.g.
--   WHERE search @@ websearch_to_tsquery('english', $1)
--   ORDER BY ts_rank(search, websearch_to_tsquery('english', $1)) DESC, id
-- array_to_string() is only STABLE in general (it calls type output
-- functions); for text[] it is immutable, hence this wrapper.
CREATE FUNCTION taskman_task_document(title text, tags text[], description text)
    RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT setweight(to_tsvector('pg_catalog.english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('pg_catalog.english', coalesce(array_to_string(tags, ' '), '')), 'B')
        || setweight(to_tsvector('pg_catalog.english', coalesce(description, '')), 'C')
$$;

------------------------------------------------------------------------------
-- Accounts
------------------------------------------------------------------------------

CREATE TABLE users (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Unique case-insensitively (users_email_lower_key below): look users up
    -- with lower(email) = lower($1) so that index is used.  NULL only for
    -- users created from an external issuer's token that carried no e-mail.
    email            text        CHECK (char_length(email) BETWEEN 3 AND 254
                                        AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    -- Optional handle, unique case-insensitively; 3..32 characters of
    -- [A-Za-z0-9_.-], starting with a letter or digit (so it can never look
    -- like an e-mail address or a UUID with an @).
    username         text        CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$'),
    display_name     text        CHECK (char_length(display_name) <= 200),
    -- PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash).  NULL for
    -- users that only authenticate through an external issuer.
    password_hash    text        CHECK (char_length(password_hash) BETWEEN 1 AND 1024),
    role             text        NOT NULL DEFAULT 'user'
                                 CHECK (role IN ('admin', 'user', 'readonly')),
    disabled         boolean     NOT NULL DEFAULT false,
    -- (iss, sub) of an external identity (Better Auth, OIDC) mapped to this
    -- user; both or neither.
    external_issuer  text        CHECK (char_length(external_issuer) BETWEEN 1 AND 1024),
    external_subject text        CHECK (char_length(external_subject) BETWEEN 1 AND 255),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    version          integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT users_external_pair CHECK ((external_issuer IS NULL) = (external_subject IS NULL)),
    -- Local accounts need an e-mail address to log in with.
    CONSTRAINT users_email_or_external CHECK (email IS NOT NULL OR external_subject IS NOT NULL),
    CONSTRAINT users_external_key UNIQUE (external_issuer, external_subject)
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE INDEX users_created_at_idx ON users (created_at, id);   -- admin list paging

-- Role and disabled flag change only in an admin context, whatever the
-- statement: a bug in "PATCH /users/me" cannot promote or re-enable anyone.
-- taskman.role = 'admin' is what the admin endpoints and `taskmanctl user`
-- set; SQLSTATE 42501 otherwise.
CREATE FUNCTION taskman_users_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, public
AS $$
BEGIN
    IF (NEW.role IS DISTINCT FROM OLD.role OR NEW.disabled IS DISTINCT FROM OLD.disabled)
       AND coalesce(current_setting('taskman.role', true), '') <> 'admin' THEN
        RAISE EXCEPTION 'only an admin may change role or disabled of user %', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER users_guard BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION taskman_users_guard();

-- Refresh tokens: only SHA-256(token) is stored.  A session belongs to a
-- family (all rotations of one login); presenting a rotated token revokes the
-- family (UPDATE ... SET revoked_at = now() WHERE family_id = $1).
CREATE TABLE refresh_sessions (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   uuid        NOT NULL,
    token_hash  bytea       NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz,
    replaced_by uuid        REFERENCES refresh_sessions (id) ON DELETE SET NULL,
    -- Truncate before storing: the application decides, the database bounds.
    client_addr text        CHECK (char_length(client_addr) <= 64),
    user_agent  text        CHECK (char_length(user_agent) <= 1024),
    CONSTRAINT refresh_sessions_expiry CHECK (expires_at > created_at)
);
CREATE INDEX refresh_sessions_family_idx ON refresh_sessions (family_id);
CREATE INDEX refresh_sessions_user_idx ON refresh_sessions (user_id);
CREATE INDEX refresh_sessions_expires_idx ON refresh_sessions (expires_at);  -- purge

-- Append-only audit trail: logins, failures, refresh-token reuse, role
-- changes, disables.  No foreign keys: the trail outlives the users it names.
CREATE TABLE audit_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,                       -- who did it (NULL: not authenticated)
    target_id   uuid,                       -- whom / what it concerned
    action      text        NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),  -- e.g. 'login.failure'
    client_addr text        CHECK (char_length(client_addr) <= 64),
    request_id  text        CHECK (char_length(request_id) <= 128),
    details     jsonb       CHECK (jsonb_typeof(details) = 'object')
);
CREATE INDEX audit_events_at_idx ON audit_events (at);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, at);
CREATE INDEX audit_events_target_idx ON audit_events (target_id, at);

-- Brute-force counters, one row per key, for example
--   'acct:' || encode(sha256(convert_to(lower(email), 'UTF8')), 'hex')
--   'addr:' || client address
-- (hashing the e-mail keeps addresses out of this table).  failures counts
-- within the window that began at window_start; locked_until, when in the
-- future, means "answer 429 with Retry-After".  Rows whose window and lock
-- are over may be deleted at any time.
CREATE TABLE login_throttle (
    key          text        PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 300),
    window_start timestamptz NOT NULL DEFAULT now(),
    failures     integer     NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_until timestamptz
);
CREATE INDEX login_throttle_window_idx ON login_throttle (window_start);  -- purge

------------------------------------------------------------------------------
-- Resources (API.md section 3).  Every row has owner_id; ownership is
-- carried into every foreign key (composite keys with owner_id), so a row can
-- never point at another user's project or sprint, with or without RLS.
------------------------------------------------------------------------------

CREATE TABLE projects (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description     text        CHECK (char_length(description) <= 10000),
    status          text        NOT NULL DEFAULT 'discovery'
                                CHECK (status IN ('discovery', 'active', 'paused', 'closed')),
    start_date      date,
    target_end_date date,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT projects_dates CHECK (target_end_date >= start_date),  -- NULL passes
    CONSTRAINT projects_id_owner_key UNIQUE (id, owner_id)            -- target of composite FKs
);
CREATE INDEX projects_owner_created_idx ON projects (owner_id, created_at, id);
CREATE INDEX projects_owner_updated_idx ON projects (owner_id, updated_at, id);
CREATE INDEX projects_owner_status_idx ON projects (owner_id, status);

CREATE TABLE sprints (
    id                     uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id               uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id             uuid        NOT NULL,
    name                   text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    goal                   text        CHECK (char_length(goal) <= 10000),
    status                 text        NOT NULL DEFAULT 'planned'
                                       CHECK (status IN ('planned', 'active', 'closed')),
    cadence                text        CHECK (cadence IN ('weekly', 'biweekly', 'monthly', 'custom')),
    start_date             date        NOT NULL,
    end_date               date        NOT NULL,
    -- numeric, not float, so that sums in burndowns are exact.  The upper
    -- bound also keeps out 'NaN' and 'Infinity' (which compare >= 0).
    velocity_target_points numeric     CHECK (velocity_target_points >= 0
                                              AND velocity_target_points <= 1000000),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    version                integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT sprints_dates CHECK (end_date >= start_date),
    -- The project must be one of the owner's.  Deleting a project deletes its
    -- sprints.
    CONSTRAINT sprints_project_fk FOREIGN KEY (project_id, owner_id)
        REFERENCES projects (id, owner_id) ON DELETE CASCADE,
    -- Target of the (sprint_id, project_id, owner_id) keys of tasks and
    -- action lists: "a sprint implies its project".
    CONSTRAINT sprints_id_project_owner_key UNIQUE (id, project_id, owner_id)
);
CREATE INDEX sprints_owner_created_idx ON sprints (owner_id, created_at, id);
CREATE INDEX sprints_owner_updated_idx ON sprints (owner_id, updated_at, id);
CREATE INDEX sprints_owner_project_idx ON sprints (owner_id, project_id);
CREATE INDEX sprints_owner_status_idx ON sprints (owner_id, status);

-- Tasks.  project_id/sprint_id are own resources or NULL; a sprint implies
-- its project: the composite key (sprint_id, project_id, owner_id) ->
-- sprints (id, project_id, owner_id) makes the task's project the sprint's
-- project, and moving a sprint to another project moves its tasks along
-- (ON UPDATE CASCADE).  ON DELETE SET NULL (column) keeps owner_id (and, for
-- the sprint key, project_id) intact; the detach triggers further below do
-- the same work first and bump version, these actions are the safety net.
CREATE TABLE tasks (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id      uuid,
    sprint_id       uuid,
    title           text        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 500),
    description     text        CHECK (char_length(description) <= 10000),
    status          text        NOT NULL DEFAULT 'new'
                                CHECK (status IN ('new', 'ready', 'in_progress', 'blocked',
                                                  'review', 'done', 'dropped')),
    -- p0 urgent ... p3 low; sorts correctly as text.
    priority        text        NOT NULL DEFAULT 'p2' CHECK (priority IN ('p0', 'p1', 'p2', 'p3')),
    due_at          timestamptz,
    -- Never NULL: the API's "tags": null is stored as '{}'.
    tags            text[]      NOT NULL DEFAULT '{}' CHECK (taskman_tags_valid(tags)),
    estimate_points numeric     CHECK (estimate_points >= 0 AND estimate_points <= 1000000),
    -- Set when the task becomes done, cleared when it leaves done.  The
    -- status transition table itself is the application's job.
    completed_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    search          tsvector    GENERATED ALWAYS AS
                                (taskman_task_document(title, tags, description)) STORED,
    CONSTRAINT tasks_completed_at_status CHECK ((status = 'done') = (completed_at IS NOT NULL)),
    CONSTRAINT tasks_sprint_needs_project CHECK (sprint_id IS NULL OR project_id IS NOT NULL),
    CONSTRAINT tasks_project_fk FOREIGN KEY (project_id, owner_id)
        REFERENCES projects (id, owner_id) ON DELETE SET NULL (project_id),
    CONSTRAINT tasks_sprint_fk FOREIGN KEY (sprint_id, project_id, owner_id)
        REFERENCES sprints (id, project_id, owner_id)
        ON UPDATE CASCADE ON DELETE SET NULL (sprint_id)
);
-- One index per list sort order (ties broken by id), per filter, and for
-- full-text search.  Every query also has owner_id = <user> through RLS.
CREATE INDEX tasks_owner_created_idx  ON tasks (owner_id, created_at, id);
CREATE INDEX tasks_owner_updated_idx  ON tasks (owner_id, updated_at, id);
CREATE INDEX tasks_owner_due_idx      ON tasks (owner_id, due_at, id);
CREATE INDEX tasks_owner_priority_idx ON tasks (owner_id, priority, id);
CREATE INDEX tasks_owner_title_idx    ON tasks (owner_id, title, id);
CREATE INDEX tasks_owner_status_idx   ON tasks (owner_id, status);
-- Also serves project metrics (counts by status) and the project FK.
CREATE INDEX tasks_owner_project_idx  ON tasks (owner_id, project_id, status);
CREATE INDEX tasks_owner_sprint_idx   ON tasks (owner_id, sprint_id);
CREATE INDEX tasks_tags_idx           ON tasks USING gin (tags);
CREATE INDEX tasks_search_idx         ON tasks USING gin (search);
-- GET /tasks/high-priority: open p0/p1, most urgent first.
CREATE INDEX tasks_open_urgent_idx    ON tasks (owner_id, priority, due_at, id)
    WHERE priority IN ('p0', 'p1') AND status NOT IN ('done', 'dropped');

CREATE TABLE action_lists (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id  uuid,
    sprint_id   uuid,
    title       text        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description text        CHECK (char_length(description) <= 10000),
    status      text        NOT NULL DEFAULT 'active'
                            CHECK (status IN ('active', 'completed', 'archived')),
    -- Ordered [{"text", "done", "task_id"}, ...], see taskman_action_items_valid.
    items       jsonb       NOT NULL DEFAULT '[]' CHECK (taskman_action_items_valid(items)),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT action_lists_sprint_needs_project CHECK (sprint_id IS NULL OR project_id IS NOT NULL),
    CONSTRAINT action_lists_project_fk FOREIGN KEY (project_id, owner_id)
        REFERENCES projects (id, owner_id) ON DELETE SET NULL (project_id),
    CONSTRAINT action_lists_sprint_fk FOREIGN KEY (sprint_id, project_id, owner_id)
        REFERENCES sprints (id, project_id, owner_id)
        ON UPDATE CASCADE ON DELETE SET NULL (sprint_id)
);
CREATE INDEX action_lists_owner_created_idx ON action_lists (owner_id, created_at, id);
CREATE INDEX action_lists_owner_updated_idx ON action_lists (owner_id, updated_at, id);
CREATE INDEX action_lists_owner_project_idx ON action_lists (owner_id, project_id);
CREATE INDEX action_lists_owner_sprint_idx  ON action_lists (owner_id, sprint_id);
CREATE INDEX action_lists_owner_status_idx  ON action_lists (owner_id, status);

-- Idempotent creates: the first response to (owner, Idempotency-Key) is kept
-- for 24 h.  Suggested use, all in the create's transaction: INSERT the key
-- row first (a concurrent request with the same key then waits on the primary
-- key and afterwards finds the stored response), create the resource, UPDATE
-- the row with the response.  response_* are NULL only inside that
-- transaction.  Rows older than 24 h are to be ignored and may be deleted.
CREATE TABLE idempotency_keys (
    owner_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key             text        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    method          text        NOT NULL CHECK (method ~ '^[A-Z]{1,16}$'),
    path            text        NOT NULL CHECK (char_length(path) BETWEEN 1 AND 2048),
    request_hash    bytea       NOT NULL CHECK (octet_length(request_hash) = 32),  -- SHA-256 of the body
    response_status integer     CHECK (response_status BETWEEN 100 AND 599),
    response_body   text,       -- replayed byte for byte, hence text rather than jsonb
    location        text        CHECK (char_length(location) <= 2048),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);  -- expiry

------------------------------------------------------------------------------
-- Referential work that foreign keys cannot do well
------------------------------------------------------------------------------

-- Deleting a project or a sprint first detaches its tasks and action lists
-- (project_id/sprint_id := NULL, version + 1).  Doing it here rather than
-- only through the ON DELETE SET NULL actions (a) bumps version, so ETags
-- change, and (b) does not depend on the order in which PostgreSQL fires the
-- foreign-key actions of a project delete (if tasks.project_id were nulled
-- before the cascaded sprint delete ran, the composite sprint key would no
-- longer match and tasks_sprint_needs_project would fail).  Runs with the
-- invoker's rights; the deleting user owns these rows, so RLS shows them.
CREATE FUNCTION taskman_detach_from_project() RETURNS trigger
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
CREATE TRIGGER projects_detach BEFORE DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION taskman_detach_from_project();

CREATE FUNCTION taskman_detach_from_sprint() RETURNS trigger
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
CREATE TRIGGER sprints_detach BEFORE DELETE ON sprints
    FOR EACH ROW EXECUTE FUNCTION taskman_detach_from_sprint();

-- Deleting a task sets task_id to null in every item of its owner's action
-- lists that referred to it (order and other fields kept; version + 1).
CREATE FUNCTION taskman_unlink_deleted_task() RETURNS trigger
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
CREATE TRIGGER tasks_unlink_action_items AFTER DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION taskman_unlink_deleted_task();

-- An action-list item's task_id must be one of the list owner's tasks.  Only
-- task_ids that the statement adds are checked (removing or keeping one is
-- always fine, which also lets the unlink trigger above run during a
-- multi-row task delete).  The referenced tasks are locked FOR KEY SHARE, as
-- a foreign key would, so a concurrent delete of such a task waits for this
-- transaction and then unlinks the item.  SQLSTATE 23503 -> 422.
CREATE FUNCTION taskman_action_items_check_tasks() RETURNS trigger
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
CREATE TRIGGER action_lists_check_tasks BEFORE INSERT OR UPDATE OF items, owner_id ON action_lists
    FOR EACH ROW EXECUTE FUNCTION taskman_action_items_check_tasks();

------------------------------------------------------------------------------
-- Row-level security.  See the header for taskman.user_id / taskman.role.
------------------------------------------------------------------------------

ALTER TABLE users            ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE refresh_sessions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_events     ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE projects         ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE sprints          ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE tasks            ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE action_lists     ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
-- login_throttle has no RLS: its rows are counters keyed by a hashed account
-- name or a client address, read and written BEFORE anyone is authenticated
-- (so there is no taskman.user_id to scope them by), and they hold no user
-- data.  Only GRANTs protect it.

-- users: a user sees and updates their own row; an admin any row.
-- Registration (and first sight of an external identity) inserts without an
-- admin: the application first picks the id and makes it the current user,
--   SELECT set_config('taskman.user_id', gen_random_uuid()::text, true);
--   INSERT INTO users (id, email, ...) VALUES (<that id>, ...);
-- and may then only create an enabled 'user' row with exactly that id.
-- Look-ups before the user is known (login by e-mail, external (iss, sub),
-- refresh by token hash) belong in SECURITY DEFINER functions (migration
-- 0002).  Owned by taskman_owner they are bound by these same policies
-- (FORCE), so such a function must make itself admin for its own duration.
-- NOT with a "SET taskman.role = 'admin'" clause in CREATE FUNCTION: for a
-- custom placeholder parameter PostgreSQL 15 requires superuser (or a
-- superuser's GRANT SET ON PARAMETER taskman.role) to create that, so the
-- migration fails as taskman_owner.  Instead, in plpgsql:
--   DECLARE prev text := current_setting('taskman.role', true);
--   BEGIN PERFORM set_config('taskman.role', 'admin', true);
--         ... the look-up ...
--         PERFORM set_config('taskman.role', coalesce(prev, ''), true);
-- An error in between aborts the transaction (or the caller's savepoint),
-- which undoes the set_config too, so admin never leaks to the caller.
CREATE POLICY users_select ON users FOR SELECT
    USING (id = NULLIF(current_setting('taskman.user_id', true), '')::uuid
           OR current_setting('taskman.role', true) = 'admin');
CREATE POLICY users_update ON users FOR UPDATE
    USING (id = NULLIF(current_setting('taskman.user_id', true), '')::uuid
           OR current_setting('taskman.role', true) = 'admin')
    WITH CHECK (id = NULLIF(current_setting('taskman.user_id', true), '')::uuid
                OR current_setting('taskman.role', true) = 'admin');
CREATE POLICY users_insert ON users FOR INSERT
    WITH CHECK (current_setting('taskman.role', true) = 'admin'
                OR (id = NULLIF(current_setting('taskman.user_id', true), '')::uuid
                    AND role = 'user' AND NOT disabled));
-- taskman_app is not granted DELETE on users (the API never deletes
-- accounts); this policy is for an admin context of the owner.
CREATE POLICY users_delete ON users FOR DELETE
    USING (current_setting('taskman.role', true) = 'admin');

-- refresh_sessions: one's own sessions; an admin may also see and revoke
-- other users' sessions (disabling a user revokes all of them).
CREATE POLICY refresh_sessions_own ON refresh_sessions
    USING (user_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid
           OR current_setting('taskman.role', true) = 'admin')
    WITH CHECK (user_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid
                OR current_setting('taskman.role', true) = 'admin');

-- audit_events: anyone may append (failed logins have no user yet), only an
-- admin may read.  Note: INSERT ... RETURNING needs SELECT, so don't use
-- RETURNING here.  taskman_app gets no UPDATE/DELETE at all.
CREATE POLICY audit_events_insert ON audit_events FOR INSERT WITH CHECK (true);
CREATE POLICY audit_events_select ON audit_events FOR SELECT
    USING (current_setting('taskman.role', true) = 'admin');

-- Owned resources: only one's own rows, for every command, admin included
-- (API.md: admins see only their own projects, sprints, tasks, lists).
-- Additionally (AS RESTRICTIVE, ANDed) a 'readonly' user can write nothing;
-- the application answers 403 before it gets here, this is defence in depth.
CREATE POLICY projects_owner ON projects
    USING (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid)
    WITH CHECK (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid);
CREATE POLICY projects_no_readonly_insert ON projects AS RESTRICTIVE FOR INSERT
    WITH CHECK (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY projects_no_readonly_update ON projects AS RESTRICTIVE FOR UPDATE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY projects_no_readonly_delete ON projects AS RESTRICTIVE FOR DELETE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');

CREATE POLICY sprints_owner ON sprints
    USING (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid)
    WITH CHECK (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid);
CREATE POLICY sprints_no_readonly_insert ON sprints AS RESTRICTIVE FOR INSERT
    WITH CHECK (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY sprints_no_readonly_update ON sprints AS RESTRICTIVE FOR UPDATE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY sprints_no_readonly_delete ON sprints AS RESTRICTIVE FOR DELETE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');

CREATE POLICY tasks_owner ON tasks
    USING (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid)
    WITH CHECK (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid);
CREATE POLICY tasks_no_readonly_insert ON tasks AS RESTRICTIVE FOR INSERT
    WITH CHECK (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY tasks_no_readonly_update ON tasks AS RESTRICTIVE FOR UPDATE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY tasks_no_readonly_delete ON tasks AS RESTRICTIVE FOR DELETE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');

CREATE POLICY action_lists_owner ON action_lists
    USING (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid)
    WITH CHECK (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid);
CREATE POLICY action_lists_no_readonly_insert ON action_lists AS RESTRICTIVE FOR INSERT
    WITH CHECK (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY action_lists_no_readonly_update ON action_lists AS RESTRICTIVE FOR UPDATE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');
CREATE POLICY action_lists_no_readonly_delete ON action_lists AS RESTRICTIVE FOR DELETE
    USING (current_setting('taskman.role', true) IS DISTINCT FROM 'readonly');

CREATE POLICY idempotency_keys_owner ON idempotency_keys
    USING (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid)
    WITH CHECK (owner_id = NULLIF(current_setting('taskman.user_id', true), '')::uuid);

------------------------------------------------------------------------------
-- Privileges of the workers' role.  No TRUNCATE, REFERENCES, TRIGGER, no
-- ownership; nothing on login_throttle/audit_events beyond what is needed.
------------------------------------------------------------------------------

GRANT USAGE ON SCHEMA public TO taskman_app;
GRANT SELECT, INSERT, UPDATE         ON users            TO taskman_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON refresh_sessions TO taskman_app;
GRANT SELECT, INSERT                 ON audit_events     TO taskman_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle   TO taskman_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON projects         TO taskman_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON sprints          TO taskman_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tasks            TO taskman_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON action_lists     TO taskman_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO taskman_app;
-- An identity column needs no sequence privilege to insert; USAGE allows
-- currval() after an insert, nothing more.
GRANT USAGE ON SEQUENCE audit_events_id_seq TO taskman_app;
-- /health/startup compares max(version) with what the worker expects.
-- schema_migrations is created by taskmanctl before this file runs.
GRANT SELECT ON schema_migrations TO taskman_app;
