-- Several sizes and formats per photo (PHOTOPROC_THUMBNAIL_SIZES, PHOTOPROC_THUMBNAIL_FORMATS)
-- and a ThumbHash placeholder. Every existing row is a JPEG (the seed and earlier versions made
-- nothing else), so the default keeps them right.
ALTER TABLE photo_thumbnails
    ADD COLUMN format text NOT NULL DEFAULT 'jpeg'
        CONSTRAINT photo_thumbnails_format_check CHECK (format IN ('jpeg', 'webp', 'avif'));

-- One row per photo, size and format; it also serves lookups by photo_uuid.
CREATE UNIQUE INDEX photo_thumbnails_photo_size_format_key
    ON photo_thumbnails (photo_uuid, size, format);
DROP INDEX photo_thumbnails_photo_size_key;

-- The ThumbHash (https://evanw.github.io/thumbhash/) of the photo, made from its smallest
-- thumbnail: at most 25 bytes. NULL until the photo is processed by a version that makes one.
ALTER TABLE photos ADD COLUMN thumbhash bytea
    CONSTRAINT photos_thumbhash_length_check CHECK (octet_length(thumbhash) BETWEEN 1 AND 64);

---- create above / drop below ----

ALTER TABLE photos DROP COLUMN thumbhash;
-- Going back to one row per photo and size keeps the JPEG of each.
DELETE FROM photo_thumbnails WHERE format <> 'jpeg';
CREATE UNIQUE INDEX photo_thumbnails_photo_size_key ON photo_thumbnails (photo_uuid, size);
DROP INDEX photo_thumbnails_photo_size_format_key;
ALTER TABLE photo_thumbnails DROP COLUMN format;
