package storetest

// SeedSchema is the schema the Python photo-processor created (docs/contract.md), with no
// rows: what `migrate up` must adopt. Tests append the rows their case needs.
const SeedSchema = `
CREATE TYPE photo_status AS ENUM ('pending', 'processing', 'completed', 'failed');
CREATE TABLE photos (
    uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url text NOT NULL,
    status photo_status NOT NULL DEFAULT 'pending',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE photo_thumbnails (
    uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    photo_uuid uuid NOT NULL REFERENCES photos,
    width smallint NOT NULL,
    height smallint NOT NULL,
    url text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
`
