-- eseal ingest schema (U1-U8), SQLite dialect. Its twin is ../postgres/0000_ingest.sql: the same
-- tables, columns, constraints and indexes; only the DDL spelling differs. It is the old store's
-- ../../0001_ingest.sql and ../../0002_ingest_indexes.sql in one step, with STRICT tables; a file
-- those two brought to PRAGMA user_version 2 is adopted as it is (see platform/src/db/migrate.rs).
-- Conventions of both:
--   * times are RFC 3339 UTC text ("2021-01-04T14:45:15.000Z"; event_utc to the second): text
--     order is time order;
--   * JSON documents are TEXT;
--   * tables are STRICT, so a value of the wrong type fails here as it would on PostgreSQL.

CREATE TABLE regions (
    code   TEXT PRIMARY KEY,              -- 6-digit administrative division code
    name   TEXT NOT NULL,
    level  TEXT NOT NULL CHECK (level IN ('province', 'city', 'county')),
    parent TEXT REFERENCES regions (code)
) STRICT;

CREATE TABLE mines (
    code   TEXT PRIMARY KEY,              -- 12-digit mine code (R1: first 6 = county)
    name   TEXT NOT NULL,
    county TEXT NOT NULL REFERENCES regions (code),
    state  TEXT NOT NULL                  -- 停产 / 停建 / 关闭
) STRICT;

-- U7: one FTP account (and one HTTPS bearer token) per mine, issued by the administration.
CREATE TABLE accounts (
    username      TEXT PRIMARY KEY,
    mine          TEXT NOT NULL UNIQUE REFERENCES mines (code),
    password_hash TEXT NOT NULL,          -- argon2id PHC string
    token_hash    TEXT NOT NULL,          -- sha256 hex of the bearer token
    created_at    TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX accounts_token ON accounts (token_hash);

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
) STRICT;

-- One row per accepted upload (U1-U5). `name` is the file name as uploaded; UNIQUE (name)
-- decides races between concurrent uploads of one name (U8).
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
    sha256          TEXT NOT NULL REFERENCES evidence (sha256),
    findings        TEXT NOT NULL,        -- JSON array of protocol findings (ambiguities ...)
    metadata        TEXT                  -- U5 JSON body as received
) STRICT;
CREATE INDEX events_mine_time ON events (mine, event_utc);
CREATE INDEX events_received ON events (received_at);
CREATE INDEX events_sha256 ON events (sha256);

-- Every refused upload or request, with the reason. Nothing is silently dropped.
-- kind: name | mine_mismatch | channel | content | conflict | metadata | too_large | aborted | ...
-- Quarantined bytes of a refused upload are kept at quarantine/<sha256> (not evidence).
CREATE TABLE violations (
    id          INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('ftp', 'https')),
    account     TEXT NOT NULL,
    mine        TEXT,                     -- the account's mine
    name        TEXT NOT NULL,            -- file name / path as sent
    kind        TEXT NOT NULL,
    clause      TEXT,                     -- U1..U8 when known
    field       TEXT,                     -- offending field when known
    reason      TEXT NOT NULL,
    sha256      TEXT,                     -- of the refused bytes, when complete
    size        INTEGER
) STRICT;
CREATE INDEX violations_mine ON violations (mine, received_at);
CREATE INDEX violations_received ON violations (received_at);

-- U6: the current live-stream address of each camera, and every registration ever made.
CREATE TABLE streams (
    mine          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    url           TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    PRIMARY KEY (mine, camera)
) STRICT;
CREATE TABLE stream_history (
    id          INTEGER PRIMARY KEY,
    mine        TEXT NOT NULL,
    camera      TEXT NOT NULL,
    url         TEXT NOT NULL,
    received_at TEXT NOT NULL,
    account     TEXT NOT NULL
) STRICT;
