-- eseal supervision schema v5 (issue 6), PostgreSQL dialect; its twin is
-- ../sqlite/0005_handling_photos.sql. P5: the photos a county user takes at the on-site
-- inspection, uploaded (POST /api/v1/handling-photos) before the handling that names them by
-- their SHA-256. The bytes are a file of the content-addressed evidence tree
-- (evidence/<ab>/<sha256>), which keeps exactly the files an event or a handling photo references.
CREATE TABLE handling_photos (
    sha256      TEXT COLLATE "C" NOT NULL,  -- lower-case hex of the JPEG's bytes
    unit        TEXT COLLATE "C" NOT NULL,  -- the uploader's unit: who may name and read it
    size        BIGINT NOT NULL,
    width       BIGINT,
    height      BIGINT,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (sha256, unit)
);
