-- The schema of the Python photo-processor, unchanged. IF NOT EXISTS lets `migrate up` adopt a
-- database that service already created.

DO $$
BEGIN
    CREATE TYPE photo_status AS ENUM ('pending', 'processing', 'completed', 'failed');
EXCEPTION
    WHEN duplicate_object THEN NULL;
END
$$;

CREATE TABLE IF NOT EXISTS photos (
    uuid       uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    url        text         NOT NULL,
    status     photo_status NOT NULL DEFAULT 'pending',
    created_at timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS photo_thumbnails (
    uuid       uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    photo_uuid uuid        NOT NULL REFERENCES photos,
    width      smallint    NOT NULL,
    height     smallint    NOT NULL,
    url        text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

---- create above / drop below ----

DROP TABLE photo_thumbnails;
DROP TABLE photos;
DROP TYPE photo_status;
