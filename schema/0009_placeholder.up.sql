-- Placeholder for 0009_batch (branch batch); replaced when batch is merged.
SELECT 1;
