-- eseal supervision schema v5 (issue 6), SQLite dialect; its twin is
-- ../postgres/0005_handling_photos.sql. P5: the photos a county user takes at the on-site
-- inspection, uploaded (POST /api/v1/handling-photos) before the handling that names them by
-- their SHA-256. The bytes are a file of the content-addressed evidence tree
-- (evidence/<ab>/<sha256>), which keeps exactly the files an event or a handling photo references.
CREATE TABLE handling_photos (
    sha256      TEXT NOT NULL,              -- lower-case hex of the JPEG's bytes
    unit        TEXT NOT NULL,              -- the uploader's unit: who may name and read it
    size        INTEGER NOT NULL,
    width       INTEGER,
    height      INTEGER,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    PRIMARY KEY (sha256, unit)
) STRICT;
