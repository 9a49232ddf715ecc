-- Periodic rescans (`enqueue_due_rescans`) look for vendors, across accounts,
-- by their last scan time or, never scanned, their creation time, oldest
-- first: this index serves that order directly (the plain index on
-- last_scanned_at it replaces served no query). Same text for both databases.
DROP INDEX vendors_last_scanned;
CREATE INDEX vendors_due ON vendors ((COALESCE(last_scanned_at, created_at)), id);
