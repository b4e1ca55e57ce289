-- 0002_auth.up.sql — the database half of authentication (API.md section 2).
--
-- Functions the worker calls where a statement must act before, or beyond,
-- the current user's rows: the per-request user check, login look-up and
-- throttling, refresh-token rotation and logout by token hash, and the
-- mapping of external identities.  Only the ones that must see other
-- users' rows are SECURITY DEFINER.  Row-level security binds their owner
-- too (it is FORCEd), so they raise taskman.role to 'admin' for their own
-- work and put the caller's value back before they return; an error in
-- between rolls the setting back with everything else, so the caller's
-- transaction never keeps admin visibility.  (A `SET taskman.role` clause
-- on the function would be neater, but PostgreSQL 15 lets only superusers
-- attach custom settings to functions.)  Every one pins search_path.
--
-- Also the one place a user row becomes JSON (taskman_user_json), so every
-- endpoint that returns a user returns the same fields in the same format.

-- The helpers below that are not SECURITY DEFINER carry no SET clause:
-- a SET clause makes PostgreSQL save and restore the setting on every call
-- and stops it from inlining SQL functions, and these run on every request.
-- They name only pg_catalog functions (always searched first) and public
-- tables, and no role but the owner may create objects (0001 revokes
-- CREATE on public), so nothing can shadow them.

-- RFC 3339 in UTC, whole seconds: 2026-11-21T23:00:00Z.  STABLE, not
-- IMMUTABLE, because to_char() is: PostgreSQL inlines a SQL function only
-- when its body is as stable as it claims, and an inlined call costs
-- nothing where a called one is parsed anew on every execution.
CREATE FUNCTION taskman_ts(t timestamptz) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

-- Never password_hash, never the external identity's internals.
CREATE FUNCTION taskman_user_json(u users) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'id', u.id, 'email', u.email, 'username', u.username,
        'display_name', u.display_name, 'role', u.role, 'disabled', u.disabled,
        'created_at', taskman_ts(u.created_at), 'updated_at', taskman_ts(u.updated_at),
        'version', u.version)
$$;

-- The first statement of every authenticated request's transaction: makes
-- p_id the current user for row-level security, and fails with SQLSTATE
-- 28000 (the worker answers 401) when the user is gone, disabled, or no
-- longer has the role the token was issued for.  That is what makes
-- disabling and role changes take effect on the next request rather than
-- when the access token expires.  Runs as the caller: it reads only the
-- caller's own row.
CREATE FUNCTION taskman_set_user(p_id uuid, p_role text) RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    v_role     text;
    v_disabled boolean;
BEGIN
    PERFORM set_config('taskman.user_id', p_id::text, true);
    PERFORM set_config('taskman.role', '', true);
    SELECT role, disabled INTO v_role, v_disabled FROM public.users WHERE id = p_id;
    IF NOT FOUND OR v_disabled OR v_role IS DISTINCT FROM p_role THEN
        RAISE EXCEPTION 'the token no longer matches an enabled user'
            USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    PERFORM set_config('taskman.role', v_role, true);
END
$$;

-- Throttle keys: the account's is a hash of the lower-cased address, so
-- login_throttle holds no e-mail addresses.
CREATE FUNCTION taskman_throttle_account_key(p_email text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 'acct:' || encode(sha256(convert_to(lower(p_email), 'UTF8')), 'hex') $$;

-- Login step 1, before the password is checked: how long the account or
-- the client address must still wait (0: not locked), and the account.
CREATE FUNCTION taskman_login_lookup(p_email text, p_addr text)
    RETURNS TABLE (retry_after integer, id uuid, password_hash text, role text,
                   disabled boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
#variable_conflict use_column
DECLARE
    v_saved text := current_setting('taskman.role', true);
BEGIN
    PERFORM set_config('taskman.role', 'admin', true);
    RETURN QUERY
    SELECT coalesce((SELECT ceil(extract(epoch FROM max(t.locked_until) - now()))::integer
                       FROM login_throttle t
                      WHERE t.key IN (taskman_throttle_account_key(p_email), 'addr:' || p_addr)
                        AND t.locked_until > now()), 0),
           u.id, u.password_hash, u.role, u.disabled
      FROM (SELECT 1) AS one
      LEFT JOIN users u ON lower(u.email) = lower(p_email);
    PERFORM set_config('taskman.role', coalesce(v_saved, ''), true);
END
$$;

-- Login step 2 on failure: count it for the account and the address, lock
-- either once it passes its threshold within a 15-minute window (30 s,
-- doubling per further failure, at most 15 min), and audit it.  Returns
-- the seconds to wait now (0: not locked).  Counters are shared by every
-- worker and host, because they live here.
CREATE FUNCTION taskman_login_failed(p_email text, p_addr text, p_target uuid,
                                     p_request_id text, p_reason text,
                                     p_account_limit integer, p_addr_limit integer)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
DECLARE
    k       text;
    lim     integer;
    n       integer;
    wait    integer := 0;
BEGIN
    FOREACH k IN ARRAY ARRAY[taskman_throttle_account_key(p_email), 'addr:' || p_addr] LOOP
        lim := CASE WHEN k LIKE 'acct:%' THEN p_account_limit ELSE p_addr_limit END;
        INSERT INTO login_throttle AS t (key, window_start, failures)
        VALUES (k, now(), 1)
        ON CONFLICT (key) DO UPDATE SET
            failures = CASE WHEN t.window_start < now() - interval '15 minutes'
                            THEN 1 ELSE t.failures + 1 END,
            window_start = CASE WHEN t.window_start < now() - interval '15 minutes'
                                THEN now() ELSE t.window_start END
        RETURNING failures INTO n;
        IF n >= lim THEN
            UPDATE login_throttle
               SET locked_until = now() + make_interval(secs =>
                       least(900, 30 * power(2, least(n - lim, 10))))
             WHERE key = k;
            wait := greatest(wait, least(900, 30 * power(2, least(n - lim, 10)))::integer);
        END IF;
    END LOOP;
    INSERT INTO audit_events (actor_id, target_id, action, client_addr, request_id, details)
    VALUES (NULL, p_target, 'login.failure', left(p_addr, 64), left(p_request_id, 128),
            jsonb_build_object('reason', p_reason, 'locked_for_s', wait));
    RETURN wait;
END
$$;

-- Refresh-token rotation, all in one transaction.  outcome:
--   ok       the old token is spent, the new one (same family) is live
--   reused   the old token had already been rotated: theft is assumed,
--            the whole family is revoked (the newest token too) and audited
--   invalid  unknown, revoked, expired, or its user is disabled
CREATE FUNCTION taskman_refresh_rotate(p_old bytea, p_new bytea, p_ttl_s integer,
                                       p_addr text, p_ua text, p_request_id text)
    RETURNS TABLE (outcome text, user_id uuid, family_id uuid, role text, user_json json)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
#variable_conflict use_column
DECLARE
    s       refresh_sessions;
    u       users;
    v_new   uuid;
    v_saved text := current_setting('taskman.role', true);
BEGIN
    PERFORM set_config('taskman.role', 'admin', true);
    SELECT * INTO s FROM refresh_sessions WHERE token_hash = p_old FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM set_config('taskman.role', coalesce(v_saved, ''), true);
        RETURN QUERY SELECT 'invalid'::text, NULL::uuid, NULL::uuid, NULL::text, NULL::json;
        RETURN;
    END IF;
    IF s.rotated_at IS NOT NULL THEN
        UPDATE refresh_sessions SET revoked_at = now()
         WHERE refresh_sessions.family_id = s.family_id AND revoked_at IS NULL;
        INSERT INTO audit_events (actor_id, target_id, action, client_addr, request_id, details)
        VALUES (NULL, s.user_id, 'refresh.reuse', left(p_addr, 64), left(p_request_id, 128),
                jsonb_build_object('family_id', s.family_id));
        PERFORM set_config('taskman.role', coalesce(v_saved, ''), true);
        RETURN QUERY SELECT 'reused'::text, s.user_id, s.family_id, NULL::text, NULL::json;
        RETURN;
    END IF;
    SELECT * INTO u FROM users WHERE id = s.user_id;
    IF s.revoked_at IS NOT NULL OR s.expires_at <= now() OR u.disabled THEN
        PERFORM set_config('taskman.role', coalesce(v_saved, ''), true);
        RETURN QUERY SELECT 'invalid'::text, s.user_id, s.family_id, NULL::text, NULL::json;
        RETURN;
    END IF;
    INSERT INTO refresh_sessions (user_id, family_id, token_hash, expires_at, client_addr, user_agent)
    VALUES (s.user_id, s.family_id, p_new, now() + make_interval(secs => p_ttl_s),
            left(p_addr, 64), left(p_ua, 1024))
    RETURNING id INTO v_new;
    UPDATE refresh_sessions SET rotated_at = now(), replaced_by = v_new WHERE id = s.id;
    PERFORM set_config('taskman.role', coalesce(v_saved, ''), true);
    RETURN QUERY SELECT 'ok'::text, u.id, s.family_id, u.role, taskman_user_json(u);
END
$$;

-- Logout: revokes the token's whole family (the login session).  Returns
-- the user id, or NULL for an unknown token (logout still answers 204).
CREATE FUNCTION taskman_logout(p_hash bytea, p_addr text, p_request_id text)
    RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_user   uuid;
    v_family uuid;
    v_saved  text := current_setting('taskman.role', true);
BEGIN
    PERFORM set_config('taskman.role', 'admin', true);
    SELECT s.user_id, s.family_id INTO v_user, v_family
      FROM refresh_sessions s WHERE s.token_hash = p_hash;
    IF FOUND THEN
        UPDATE refresh_sessions SET revoked_at = now()
         WHERE family_id = v_family AND revoked_at IS NULL;
        INSERT INTO audit_events (actor_id, target_id, action, client_addr, request_id)
        VALUES (v_user, v_user, 'logout', left(p_addr, 64), left(p_request_id, 128));
    END IF;
    PERFORM set_config('taskman.role', coalesce(v_saved, ''), true);
    RETURN v_user;
END
$$;

-- An external issuer's subject becomes a local 'user' account on first
-- sight.  The token's e-mail is kept only when no local account has it.
CREATE FUNCTION taskman_external_user(p_issuer text, p_subject text, p_email text)
    RETURNS TABLE (id uuid, role text, disabled boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
#variable_conflict use_column
DECLARE
    v_saved text := current_setting('taskman.role', true);
BEGIN
    PERFORM set_config('taskman.role', 'admin', true);
    INSERT INTO users (external_issuer, external_subject, email)
    VALUES (p_issuer, p_subject,
            CASE WHEN p_email IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM users x WHERE lower(x.email) = lower(p_email))
                 THEN lower(p_email) END)
    ON CONFLICT (external_issuer, external_subject) DO NOTHING;
    RETURN QUERY SELECT u.id, u.role, u.disabled FROM users u
     WHERE u.external_issuer = p_issuer AND u.external_subject = p_subject;
    PERFORM set_config('taskman.role', coalesce(v_saved, ''), true);
END
$$;

REVOKE ALL ON FUNCTION taskman_login_lookup(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION taskman_refresh_rotate(bytea, bytea, integer, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION taskman_logout(bytea, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION taskman_external_user(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION taskman_login_lookup(text, text) TO taskman_app;
GRANT EXECUTE ON FUNCTION taskman_refresh_rotate(bytea, bytea, integer, text, text, text) TO taskman_app;
GRANT EXECUTE ON FUNCTION taskman_logout(bytea, text, text) TO taskman_app;
GRANT EXECUTE ON FUNCTION taskman_external_user(text, text, text) TO taskman_app;
