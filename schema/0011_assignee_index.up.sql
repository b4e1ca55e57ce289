-- 0011_assignee_index.up.sql — "my work" without costing every other list.
--
-- 0008's tasks_scope_assignee_idx (scope, assignee_id, created_at, id) was
-- the smallest index that starts with scope, so the planner took it for
-- plain "scope = …" scans: the search and tag finder's candidate scan
-- stopped using its GIN indexes, and the re-read of a page by id scanned a
-- whole scope (measured by scripts/bench: search 7 req/s, tag filter under
-- 2 req/s at 100,000 tasks).  Partial on assigned tasks, it serves only
-- what implies assignee_id IS NOT NULL: ?assignee_id=<user>|me.
DROP INDEX tasks_scope_assignee_idx;
CREATE INDEX tasks_scope_assignee_idx ON tasks (scope, assignee_id, created_at, id)
    WHERE assignee_id IS NOT NULL;
