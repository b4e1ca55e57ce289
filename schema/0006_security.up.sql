-- 0006_security.up.sql — what a security audit asked for (issue 10).
--
-- 1. Every SECURITY DEFINER function pins search_path = pg_catalog, public,
--    pg_temp.  Without pg_temp named, PostgreSQL searches the session's
--    temporary schema FIRST for tables, so a role allowed to create
--    temporary objects could shadow login_throttle (or any unqualified
--    table) with a temp view and have a definer function use it as the
--    owner.  The app role also loses TEMPORARY (scripts/lib/stack.sh,
--    docs/DEPLOYMENT.md); scripts/check tries the shadowing
--    (t/integration/test_definer.sh) and lists definer functions without
--    the pinned path.
-- 2. taskman_app cannot read users.password_hash any more.  Login and the
--    password check of PATCH /users/me go through definer functions that
--    hand out only the hash's settings (algorithm, parameters, salt); the
--    worker computes the candidate hash and the database compares.  It has
--    no privilege on login_throttle either: only those functions count.
-- 5. Lockout per (account, client network) with a soft account-wide delay;
--    an attempt is counted (reserved) in the same transaction that checks
--    the lock, before the password is verified, and given back on success.
-- 6. taskman_set_user() also checks the access token's session (sid).
-- 9. taskman_prune() deletes expired throttle, session and idempotency rows.

------------------------------------------------------------------------------
-- 1. Pinned search_path for the definer functions of 0002 (the other
--    functions with a SET clause run as the caller and gain nothing, but
--    get the same path so one rule holds everywhere).
------------------------------------------------------------------------------

ALTER FUNCTION taskman_login_lookup(text, text) SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION taskman_refresh_rotate(bytea, bytea, integer, text, text, text)
    SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION taskman_logout(bytea, text, text) SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION taskman_external_user(text, text, text) SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION taskman_login_failed(text, text, uuid, text, text, integer, integer)
    SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION taskman_users_guard() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION taskman_detach_from_project() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION taskman_detach_from_sprint() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION taskman_unlink_deleted_task() SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION taskman_action_items_check_tasks() SET search_path = pg_catalog, public, pg_temp;

-- login_lookup returns password hashes: the worker no longer calls it and
-- may not.  login_failed needs privileges on login_throttle the worker no
-- longer has.
REVOKE EXECUTE ON FUNCTION taskman_login_lookup(text, text) FROM taskman_app;
REVOKE EXECUTE ON FUNCTION taskman_login_failed(text, text, uuid, text, text, integer, integer)
    FROM PUBLIC;

------------------------------------------------------------------------------
-- 2. What the app role can read.
------------------------------------------------------------------------------

-- Column privileges: everything but password_hash.  (Writing it stays
-- allowed: registration and password changes store hashes.)  A whole-row
-- reference such as taskman_user_json(u) needs SELECT on every column, so
-- the worker uses the column form below.
REVOKE SELECT ON users FROM taskman_app;
GRANT SELECT (id, email, username, display_name, role, disabled, external_issuer,
              external_subject, created_at, updated_at, version)
    ON users TO taskman_app;

CREATE FUNCTION taskman_user_json(p_id uuid, p_email text, p_username text,
                                  p_display_name text, p_role text, p_disabled boolean,
                                  p_created_at timestamptz, p_updated_at timestamptz,
                                  p_version integer)
    RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'id', p_id, 'email', p_email, 'username', p_username,
        'display_name', p_display_name, 'role', p_role, 'disabled', p_disabled,
        'created_at', taskman_ts(p_created_at), 'updated_at', taskman_ts(p_updated_at),
        'version', p_version)
$$;

-- The row form stays for the owner's use, now one definition for both.
CREATE OR REPLACE FUNCTION taskman_user_json(u users) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT taskman_user_json(u.id, u.email, u.username, u.display_name, u.role,
                             u.disabled, u.created_at, u.updated_at, u.version)
$$;

REVOKE ALL ON login_throttle FROM taskman_app;

------------------------------------------------------------------------------
-- 5. Throttling.  Keys (login_throttle holds no e-mail addresses):
--   'pair:' || sha256(lower(account) || ' ' || network)  hard lock after
--            p_pair_limit attempts in 15 min: 30 s, doubling, at most 15 min
--   'addr:' || network     hard lock after p_addr_limit attempts (any account)
--   'acct:' || sha256(lower(account))   SOFT: after p_soft_limit attempts from
--            anywhere, 1 s between attempts, doubling, at most 8 s
-- network is the client's address for IPv4 and its /64 for IPv6 (computed
-- by the worker, src/auth/throttle.c).  An attacker elsewhere can therefore
-- lock an account only for their own network, and slow it down by seconds.
------------------------------------------------------------------------------

CREATE FUNCTION taskman_throttle_pair_key(p_account text, p_net text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 'pair:' || encode(sha256(convert_to(lower(p_account) || ' ' || p_net, 'UTF8')), 'hex') $$;

-- One key: counts this attempt unless the key is locked, and locks it once
-- the count reaches p_limit.  Returns the seconds still locked (0: go on).
-- The upsert takes the row lock until the caller's transaction ends, so
-- concurrent attempts are counted one after the other.
CREATE FUNCTION taskman_throttle_take(p_key text, p_limit integer, p_base integer,
                                      p_max integer)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    r public.login_throttle;
BEGIN
    INSERT INTO public.login_throttle AS t (key, window_start, failures)
    VALUES (p_key, now(), 1)
    ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN t.locked_until > now() THEN t.failures
                        WHEN t.window_start < now() - interval '15 minutes' THEN 1
                        ELSE t.failures + 1 END,
        window_start = CASE WHEN t.locked_until > now() THEN t.window_start
                            WHEN t.window_start < now() - interval '15 minutes' THEN now()
                            ELSE t.window_start END
    RETURNING * INTO r;
    IF r.locked_until > now() THEN
        RETURN greatest(1, ceil(extract(epoch FROM r.locked_until - now()))::integer);
    END IF;
    IF r.failures >= p_limit THEN
        UPDATE public.login_throttle
           SET locked_until = now() + make_interval(secs =>
                   least(p_max, p_base * power(2, least(r.failures - p_limit, 10))))
         WHERE key = p_key;
    END IF;
    RETURN 0;
END
$$;

-- All three keys of one attempt.  Returns the seconds to wait (0: verify
-- the password now).  A key already locked answers without counting.
CREATE FUNCTION taskman_throttle_begin(p_account text, p_net text, p_pair_limit integer,
                                       p_addr_limit integer, p_soft_limit integer)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    k_pair text := public.taskman_throttle_pair_key(p_account, p_net);
    k_addr text := 'addr:' || p_net;
    k_acct text := public.taskman_throttle_account_key(p_account);
    wait   integer;
BEGIN
    SELECT coalesce(ceil(extract(epoch FROM max(t.locked_until) - now()))::integer, 0)
      INTO wait
      FROM public.login_throttle t
     WHERE t.key IN (k_pair, k_addr, k_acct) AND t.locked_until > now();
    IF wait > 0 THEN
        RETURN wait;
    END IF;
    wait := public.taskman_throttle_take(k_pair, p_pair_limit, 30, 900);
    IF wait = 0 THEN
        wait := public.taskman_throttle_take(k_addr, p_addr_limit, 30, 900);
    END IF;
    IF wait = 0 THEN
        wait := public.taskman_throttle_take(k_acct, p_soft_limit, 1, 8);
    END IF;
    RETURN wait;
END
$$;

-- After a correct password: the attempt was not a guess.
CREATE FUNCTION taskman_throttle_release(p_account text, p_net text) RETURNS void
    LANGUAGE sql
    SET search_path = pg_catalog, public, pg_temp
AS $$
    DELETE FROM public.login_throttle
     WHERE key IN (public.taskman_throttle_pair_key(p_account, p_net),
                   public.taskman_throttle_account_key(p_account));
    UPDATE public.login_throttle SET failures = greatest(failures - 1, 0)
     WHERE key = 'addr:' || p_net AND locked_until IS NULL;
$$;

-- '$argon2id$v=19$m=..,t=..,p=..$salt' and the digest's length in bytes,
-- or NULLs when there is no Argon2id hash.
CREATE FUNCTION taskman_hash_settings(p_hash text, OUT settings text, OUT hash_len integer)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN ok THEN substring(p_hash FROM '^(.*)\$[^$]*$') END,
           CASE WHEN ok THEN (length(substring(p_hash FROM '\$([^$]*)$')) * 3) / 4 END
      FROM (SELECT coalesce(p_hash ~ '^\$argon2id\$v=[0-9]+\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$',
                            false) AS ok) AS c
$$;

-- The worker compares nothing itself: equal digests of the two PHC strings.
CREATE FUNCTION taskman_hash_matches(p_stored text, p_candidate text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT p_stored IS NOT NULL AND p_candidate IS NOT NULL
       AND sha256(convert_to(p_stored, 'UTF8')) = sha256(convert_to(p_candidate, 'UTF8'))
$$;

-- Login step 1, before the password is checked: counts the attempt (or
-- answers how long to wait) and returns only what hashing the candidate
-- needs.  Whether the account exists is not revealed: an unknown one gives
-- NULL settings, and the worker hashes with its own dummy settings.
CREATE FUNCTION taskman_login_begin(p_email text, p_net text, p_pair_limit integer,
                                    p_addr_limit integer, p_soft_limit integer)
    RETURNS TABLE (retry_after integer, settings text, hash_len integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_saved text := current_setting('taskman.role', true);
    v_wait  integer;
BEGIN
    v_wait := public.taskman_throttle_begin(p_email, p_net, p_pair_limit, p_addr_limit,
                                            p_soft_limit);
    IF v_wait > 0 THEN
        RETURN QUERY SELECT v_wait, NULL::text, NULL::integer;
        RETURN;
    END IF;
    PERFORM set_config('taskman.role', 'admin', true);
    RETURN QUERY
    SELECT 0, h.settings, h.hash_len
      FROM (SELECT 1) AS one
      LEFT JOIN public.users u ON lower(u.email) = lower(p_email)
      LEFT JOIN LATERAL public.taskman_hash_settings(u.password_hash) h ON true;
    PERFORM set_config('taskman.role', coalesce(v_saved, ''), true);
END
$$;

-- Login step 2: compares the candidate PHC string with the stored one.  On
-- success gives the attempt back and returns the user; on failure audits
-- (reason unknown_email, wrong_password or disabled) and returns ok false.
CREATE FUNCTION taskman_login_verify(p_email text, p_net text, p_candidate text,
                                     p_request_id text)
    RETURNS TABLE (ok boolean, user_id uuid, role text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_saved text := current_setting('taskman.role', true);
    u       public.users;
    v_match boolean;
    v_wait  integer;
BEGIN
    PERFORM set_config('taskman.role', 'admin', true);
    SELECT * INTO u FROM public.users x WHERE lower(x.email) = lower(p_email);
    v_match := public.taskman_hash_matches(u.password_hash, p_candidate);
    IF v_match AND NOT u.disabled THEN
        PERFORM public.taskman_throttle_release(p_email, p_net);
        PERFORM set_config('taskman.role', coalesce(v_saved, ''), true);
        RETURN QUERY SELECT true, u.id, u.role;
        RETURN;
    END IF;
    SELECT coalesce(ceil(extract(epoch FROM max(t.locked_until) - now()))::integer, 0)
      INTO v_wait FROM public.login_throttle t
     WHERE t.key IN (public.taskman_throttle_pair_key(p_email, p_net), 'addr:' || p_net)
       AND t.locked_until > now();
    INSERT INTO public.audit_events (actor_id, target_id, action, client_addr, request_id, details)
    VALUES (NULL, u.id, 'login.failure', left(p_net, 64), left(p_request_id, 128),
            jsonb_build_object('reason', CASE WHEN u.id IS NULL THEN 'unknown_email'
                                              WHEN v_match THEN 'disabled'
                                              ELSE 'wrong_password' END,
                               'locked_for_s', v_wait));
    PERFORM set_config('taskman.role', coalesce(v_saved, ''), true);
    RETURN QUERY SELECT false, NULL::uuid, NULL::text;
END
$$;

-- PATCH /users/me with a new password, step 1: the current user's
-- settings, counted against the same throttle as a login (the account is
-- the user's e-mail address, or its id when it has none).  Runs after
-- taskman_set_user() in the same transaction; without a current user it
-- returns no row.
CREATE FUNCTION taskman_reauth_begin(p_net text, p_pair_limit integer, p_addr_limit integer,
                                     p_soft_limit integer)
    RETURNS TABLE (retry_after integer, settings text, hash_len integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_saved text := current_setting('taskman.role', true);
    v_uid   uuid := NULLIF(current_setting('taskman.user_id', true), '')::uuid;
    u       public.users;
    v_wait  integer;
BEGIN
    IF v_uid IS NULL THEN
        RETURN;
    END IF;
    PERFORM set_config('taskman.role', 'admin', true);
    SELECT * INTO u FROM public.users x WHERE x.id = v_uid;
    PERFORM set_config('taskman.role', coalesce(v_saved, ''), true);
    IF u.id IS NULL THEN
        RETURN;
    END IF;
    v_wait := public.taskman_throttle_begin(coalesce(u.email, u.id::text), p_net,
                                            p_pair_limit, p_addr_limit, p_soft_limit);
    IF v_wait > 0 THEN
        RETURN QUERY SELECT v_wait, NULL::text, NULL::integer;
        RETURN;
    END IF;
    RETURN QUERY SELECT 0, h.settings, h.hash_len FROM public.taskman_hash_settings(u.password_hash) h;
END
$$;

-- Step 2: true when the candidate is the current password (the attempt is
-- given back); false is audited as reauth.failure and stays counted.
CREATE FUNCTION taskman_reauth_verify(p_net text, p_candidate text, p_request_id text)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    v_saved text := current_setting('taskman.role', true);
    v_uid   uuid := NULLIF(current_setting('taskman.user_id', true), '')::uuid;
    u       public.users;
BEGIN
    IF v_uid IS NULL THEN
        RETURN false;
    END IF;
    PERFORM set_config('taskman.role', 'admin', true);
    SELECT * INTO u FROM public.users x WHERE x.id = v_uid;
    PERFORM set_config('taskman.role', coalesce(v_saved, ''), true);
    IF public.taskman_hash_matches(u.password_hash, p_candidate) THEN
        PERFORM public.taskman_throttle_release(coalesce(u.email, u.id::text), p_net);
        RETURN true;
    END IF;
    INSERT INTO public.audit_events (actor_id, target_id, action, client_addr, request_id)
    VALUES (v_uid, v_uid, 'reauth.failure', left(p_net, 64), left(p_request_id, 128));
    RETURN false;
END
$$;

REVOKE ALL ON FUNCTION taskman_throttle_take(text, integer, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION taskman_throttle_begin(text, text, integer, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION taskman_throttle_release(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION taskman_login_begin(text, text, integer, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION taskman_login_verify(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION taskman_reauth_begin(text, integer, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION taskman_reauth_verify(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION taskman_login_begin(text, text, integer, integer, integer) TO taskman_app;
GRANT EXECUTE ON FUNCTION taskman_login_verify(text, text, text, text) TO taskman_app;
GRANT EXECUTE ON FUNCTION taskman_reauth_begin(text, integer, integer, integer) TO taskman_app;
GRANT EXECUTE ON FUNCTION taskman_reauth_verify(text, text, text) TO taskman_app;

------------------------------------------------------------------------------
-- 6. The per-request identity step, now also bound to the token's session.
------------------------------------------------------------------------------

-- The first statement of every authenticated request's transaction.  True:
-- the user exists, is enabled, still has the token's role, and -- when the
-- token names a session (sid, the refresh family) -- that session still
-- has a live, unrevoked, unexpired token; then p_id/p_role become the
-- current user.  False: both settings are emptied (row-level security
-- shows nothing) AND the transaction is made read-only, so whatever the
-- rest of the pipeline tries to write fails and nothing commits; the
-- worker answers 401.  One primary-key look-up and one index look-up.
--
-- Plain SQL rather than PL/pgSQL (no interpreter, no exception block).  It
-- cannot be inlined: it has a sub-select and calls set_config (volatile).
-- Runs as the caller, which sees its own user row and sessions; names only
-- pg_catalog functions and public tables, and carries no SET clause, which
-- would add a save/restore on every call.  The look-ups depend on `pre`,
-- which sets the user id first (row-level security shows a user only their
-- own row and sessions); the outer CASE evaluates its condition, where all
-- the final set_config calls sit, before anything else.
CREATE FUNCTION taskman_set_user(p_id uuid, p_role text, p_sid uuid) RETURNS boolean
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

-- The PL/pgSQL version of 0002 is replaced, not kept beside it.
DROP FUNCTION taskman_set_user(uuid, text);

------------------------------------------------------------------------------
-- 9. Pruning (taskmanctl prune, run by taskman-prune.timer).
------------------------------------------------------------------------------

-- The owner reaches every row of refresh_sessions as 'admin'; the owner in
-- an admin context reaches idempotency keys too, for pruning (a DELETE with
-- a WHERE clause also needs the rows visible to SELECT).  The app role is
-- not TO this policy.
CREATE POLICY idempotency_keys_owner_admin ON idempotency_keys TO taskman_owner
    USING (current_setting('taskman.role', true) = 'admin');

-- Deletes what no code path can use any more: throttle rows whose window
-- and lock are over, refresh sessions expired for more than a day (a
-- rotated token is kept until then, so reuse is still recognised), and
-- idempotency keys older than their 24 hours.  Returns the counts.
CREATE FUNCTION taskman_prune(OUT throttle bigint, OUT sessions bigint, OUT idempotency bigint)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    v_saved text := current_setting('taskman.role', true);
BEGIN
    PERFORM set_config('taskman.role', 'admin', true);
    DELETE FROM public.login_throttle
     WHERE window_start < now() - interval '15 minutes'
       AND (locked_until IS NULL OR locked_until < now());
    GET DIAGNOSTICS throttle = ROW_COUNT;
    -- newest first would break nothing; replaced_by is ON DELETE SET NULL
    DELETE FROM public.refresh_sessions WHERE expires_at < now() - interval '1 day';
    GET DIAGNOSTICS sessions = ROW_COUNT;
    DELETE FROM public.idempotency_keys WHERE created_at < now() - interval '24 hours';
    GET DIAGNOSTICS idempotency = ROW_COUNT;
    PERFORM set_config('taskman.role', coalesce(v_saved, ''), true);
END
$$;
REVOKE ALL ON FUNCTION taskman_prune() FROM PUBLIC;
