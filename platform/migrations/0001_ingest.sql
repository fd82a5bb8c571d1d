-- eseal reference platform, schema v1: regions, mines, accounts, evidence, events, violations,
-- stream addresses. Times are RFC 3339 UTC strings unless the column says otherwise.

CREATE TABLE regions (
    code   TEXT PRIMARY KEY,              -- 6-digit administrative division code
    name   TEXT NOT NULL,
    level  TEXT NOT NULL CHECK (level IN ('province', 'city', 'county')),
    parent TEXT REFERENCES regions(code)
);

CREATE TABLE mines (
    code   TEXT PRIMARY KEY,              -- 12-digit mine code (R1: first 6 = county)
    name   TEXT NOT NULL,
    county TEXT NOT NULL REFERENCES regions(code),
    state  TEXT NOT NULL                  -- 停产 / 停建 / 关闭
);

-- U7: one FTP account (and one HTTPS bearer token) per mine, issued by the administration.
CREATE TABLE accounts (
    username      TEXT PRIMARY KEY,
    mine          TEXT NOT NULL UNIQUE REFERENCES mines(code),
    password_hash TEXT NOT NULL,          -- argon2id PHC string
    token_hash    TEXT NOT NULL,          -- sha256 hex of the bearer token
    created_at    TEXT NOT NULL
);

-- Content-addressed evidence blobs: evidence/<sha256[0..2]>/<sha256>.
CREATE TABLE evidence (
    sha256      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    media_type  TEXT NOT NULL,            -- image/jpeg | video/mp4
    width       INTEGER,
    height      INTEGER,
    codec       TEXT,                     -- jpeg | avc1 | ...
    duration_ms INTEGER,                  -- MP4 only
    stored_at   TEXT NOT NULL
);

-- One row per accepted upload (U1-U5). `name` is the file name as uploaded.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    clause          TEXT NOT NULL,        -- U1 .. U5
    mine            TEXT NOT NULL,
    camera          TEXT,                 -- U1-U4
    analysis_type   TEXT,                 -- 01..05 (U1-U4)
    daily_count     INTEGER,              -- U1, U2
    transport_state TEXT,                 -- U3 32-digit form: 00/01/02
    lock_code       TEXT,                 -- U5
    lock_state      TEXT,                 -- U5: 0001/0002
    mine_time       TEXT NOT NULL,        -- yyyyMMddHHmmss, China Standard Time, as in the name
    event_utc       TEXT NOT NULL,        -- mine_time converted to UTC
    received_at     TEXT NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('ftp', 'https')),
    account         TEXT NOT NULL,
    sha256          TEXT NOT NULL REFERENCES evidence(sha256),
    findings        TEXT NOT NULL,        -- JSON array of protocol findings (ambiguities ...)
    metadata        TEXT                  -- U5 JSON body as received
);
CREATE INDEX events_mine_time ON events (mine, event_utc);
CREATE INDEX events_received ON events (received_at);

-- Every refused upload or request, with the reason. Nothing is silently dropped.
CREATE TABLE violations (
    id          INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('ftp', 'https')),
    account     TEXT NOT NULL,
    mine        TEXT,                     -- the account's mine
    name        TEXT NOT NULL,            -- file name / path as sent
    kind        TEXT NOT NULL,            -- name | mine_mismatch | content | conflict | metadata | aborted
    clause      TEXT,                     -- U1..U8 when known
    field       TEXT,                     -- offending field when known
    reason      TEXT NOT NULL,
    sha256      TEXT,                     -- of the refused bytes, when complete
    size        INTEGER
);
CREATE INDEX violations_mine ON violations (mine, received_at);

-- U6: the current live-stream address of each camera, and every registration ever made.
CREATE TABLE streams (
    mine          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    url           TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    PRIMARY KEY (mine, camera)
);
CREATE TABLE stream_history (
    id          INTEGER PRIMARY KEY,
    mine        TEXT NOT NULL,
    camera      TEXT NOT NULL,
    url         TEXT NOT NULL,
    received_at TEXT NOT NULL,
    account     TEXT NOT NULL
);
