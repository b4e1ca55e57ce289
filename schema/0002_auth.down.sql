DROP FUNCTION taskman_external_user(text, text, text);
DROP FUNCTION taskman_logout(bytea, text, text);
DROP FUNCTION taskman_refresh_rotate(bytea, bytea, integer, text, text, text);
DROP FUNCTION taskman_login_failed(text, text, uuid, text, text, integer, integer);
DROP FUNCTION taskman_login_lookup(text, text);
DROP FUNCTION taskman_throttle_account_key(text);
DROP FUNCTION taskman_set_user(uuid, text);
DROP FUNCTION taskman_user_json(users);
DROP FUNCTION taskman_ts(timestamptz);
