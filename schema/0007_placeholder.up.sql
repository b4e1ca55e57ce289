-- Placeholder for 0007_events (branch events); removed when events is merged.
SELECT 1;
