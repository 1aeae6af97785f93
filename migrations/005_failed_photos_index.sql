-- The failed photos, for the admin page: its list of recent failures (newest first, read on
-- every poll of every open tab) and its "retry failed" action (oldest first). Without these
-- both read and sort every photo. Partial, so each holds the failed photos only.
CREATE INDEX photos_failed_recent_idx ON photos (updated_at DESC, uuid) WHERE status = 'failed';
CREATE INDEX photos_failed_oldest_idx ON photos (created_at, uuid) WHERE status = 'failed';

---- create above / drop below ----

DROP INDEX photos_failed_oldest_idx;
DROP INDEX photos_failed_recent_idx;
