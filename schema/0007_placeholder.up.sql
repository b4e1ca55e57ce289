-- 0007_placeholder.up.sql -- an empty stand-in for migration 0007, which
-- another branch adds; it keeps the events branch's versions 1..N without
-- gaps (taskmanctl requires that).  DELETE this pair when merging the real
-- 0007 (two files of one version are refused).
SELECT 1;
