-- Placeholder for the coordinator's migration 0005 (performance), so that
-- this branch's 0006 has no gap.  On merge, take the coordinator's file.
SELECT 1;
