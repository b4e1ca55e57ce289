-- placeholder: filled by the 0003_tasks work
SELECT 1;
