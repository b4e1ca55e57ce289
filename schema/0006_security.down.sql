-- 0006_security.down.sql — back to 0005's state (see the up file).

DROP FUNCTION taskman_prune();
DROP POLICY idempotency_keys_owner_admin ON idempotency_keys;

-- 0002's identity step, as it was.
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
DROP FUNCTION taskman_set_user(uuid, text, uuid);

DROP FUNCTION taskman_reauth_verify(text, text, text);
DROP FUNCTION taskman_reauth_begin(text, integer, integer, integer);
DROP FUNCTION taskman_login_verify(text, text, text, text);
DROP FUNCTION taskman_login_begin(text, text, integer, integer, integer);
DROP FUNCTION taskman_hash_matches(text, text);
DROP FUNCTION taskman_hash_settings(text);
DROP FUNCTION taskman_throttle_release(text, text);
DROP FUNCTION taskman_throttle_begin(text, text, integer, integer, integer);
DROP FUNCTION taskman_throttle_take(text, integer, integer, integer);
DROP FUNCTION taskman_throttle_pair_key(text, text);

GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO taskman_app;

CREATE OR REPLACE FUNCTION taskman_user_json(u users) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'id', u.id, 'email', u.email, 'username', u.username,
        'display_name', u.display_name, 'role', u.role, 'disabled', u.disabled,
        'created_at', taskman_ts(u.created_at), 'updated_at', taskman_ts(u.updated_at),
        'version', u.version)
$$;
DROP FUNCTION taskman_user_json(uuid, text, text, text, text, boolean, timestamptz,
                                timestamptz, integer);
REVOKE SELECT (id, email, username, display_name, role, disabled, external_issuer,
               external_subject, created_at, updated_at, version)
    ON users FROM taskman_app;
GRANT SELECT ON users TO taskman_app;

GRANT EXECUTE ON FUNCTION taskman_login_failed(text, text, uuid, text, text, integer, integer)
    TO PUBLIC;
GRANT EXECUTE ON FUNCTION taskman_login_lookup(text, text) TO taskman_app;

ALTER FUNCTION taskman_login_lookup(text, text) SET search_path = pg_catalog, public;
ALTER FUNCTION taskman_refresh_rotate(bytea, bytea, integer, text, text, text)
    SET search_path = pg_catalog, public;
ALTER FUNCTION taskman_logout(bytea, text, text) SET search_path = pg_catalog, public;
ALTER FUNCTION taskman_external_user(text, text, text) SET search_path = pg_catalog, public;
ALTER FUNCTION taskman_login_failed(text, text, uuid, text, text, integer, integer)
    SET search_path = pg_catalog, public;
ALTER FUNCTION taskman_users_guard() SET search_path = pg_catalog, public;
ALTER FUNCTION taskman_detach_from_project() SET search_path = pg_catalog, public;
ALTER FUNCTION taskman_detach_from_sprint() SET search_path = pg_catalog, public;
ALTER FUNCTION taskman_unlink_deleted_task() SET search_path = pg_catalog, public;
ALTER FUNCTION taskman_action_items_check_tasks() SET search_path = pg_catalog, public;
