-- What the admin page shows about how a thumbnail was made: the source it was made from and
-- how long each stage took. Nullable: rows written before this version (and by the Python
-- service) have none of it, and a reader shows them as unknown.
ALTER TABLE photo_thumbnails
    ADD COLUMN source_bytes      bigint,           -- the downloaded photo, in bytes
    ADD COLUMN source_width      integer,          -- its pixels as displayed (after EXIF orientation)
    ADD COLUMN source_height     integer,
    ADD COLUMN source_format     text,             -- jpeg, png, gif, webp, bmp, tiff, heic or avif
    ADD COLUMN download_seconds  double precision, -- fetching the URL
    ADD COLUMN thumbnail_seconds double precision, -- decoding, resizing and encoding
    ADD COLUMN store_seconds     double precision; -- writing the file or object (not the row)

-- The admin page's gallery: the latest thumbnails first.
CREATE INDEX photo_thumbnails_created_idx ON photo_thumbnails (created_at DESC, uuid);

---- create above / drop below ----

DROP INDEX photo_thumbnails_created_idx;
ALTER TABLE photo_thumbnails
    DROP COLUMN store_seconds,
    DROP COLUMN thumbnail_seconds,
    DROP COLUMN download_seconds,
    DROP COLUMN source_format,
    DROP COLUMN source_height,
    DROP COLUMN source_width,
    DROP COLUMN source_bytes;
