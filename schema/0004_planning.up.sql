-- placeholder: filled by the 0004_planning work
SELECT 1;
