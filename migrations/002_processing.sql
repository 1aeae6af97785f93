-- What processing needs: retries and their reasons, leases for claims, one thumbnail row per
-- photo and size, and indexes for the queries the daemon runs.

ALTER TABLE photos
    ADD COLUMN updated_at     timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN attempts       integer     NOT NULL DEFAULT 0,
    -- Why the last attempt failed; NULL unless failed or awaiting a retry.
    ADD COLUMN failure_reason text,
    -- While processing: when the claim expires and another worker may take the photo over.
    ADD COLUMN lease_until    timestamptz,
    -- Set when an expired or stuck claim was handed back and the photo queued again; a claim
    -- may then take the photo at once, without waiting for the pushed lease. NULL otherwise.
    ADD COLUMN requeued_at    timestamptz;

-- Pending photos, oldest first, paged by (created_at, uuid).
CREATE INDEX photos_pending_idx ON photos (created_at, uuid) WHERE status = 'pending';

-- Claims whose lease expired.
CREATE INDEX photos_processing_lease_idx ON photos (lease_until) WHERE status = 'processing';

-- Rows the Python service wrote were all made for its 320-pixel box. The default only
-- backfills them: new rows must say which size they were made for.
ALTER TABLE photo_thumbnails ADD COLUMN size smallint NOT NULL DEFAULT 320;
ALTER TABLE photo_thumbnails ALTER COLUMN size DROP DEFAULT;

-- The Python service inserted a row per delivery, so a redelivered message left duplicates.
-- Keep the newest of each, then let the unique index prevent more.
DELETE FROM photo_thumbnails t
USING photo_thumbnails newer
WHERE newer.photo_uuid = t.photo_uuid
  AND newer.size = t.size
  AND (newer.created_at, newer.uuid) > (t.created_at, t.uuid);

-- One row per photo and size; it also serves lookups by photo_uuid.
CREATE UNIQUE INDEX photo_thumbnails_photo_size_key ON photo_thumbnails (photo_uuid, size);

ALTER TABLE photo_thumbnails ADD CONSTRAINT photo_thumbnails_dimensions_check
    CHECK (width > 0 AND height > 0 AND size > 0);

---- create above / drop below ----

ALTER TABLE photo_thumbnails DROP CONSTRAINT photo_thumbnails_dimensions_check;
DROP INDEX photo_thumbnails_photo_size_key;
ALTER TABLE photo_thumbnails DROP COLUMN size;

DROP INDEX photos_processing_lease_idx;
DROP INDEX photos_pending_idx;
ALTER TABLE photos
    DROP COLUMN requeued_at,
    DROP COLUMN lease_until,
    DROP COLUMN failure_reason,
    DROP COLUMN attempts,
    DROP COLUMN updated_at;
