-- eseal ingest schema (U1-U8), PostgreSQL dialect. Its twin is ../sqlite/0000_ingest.sql: the
-- same tables, columns, constraints and indexes; only the DDL spelling differs. Conventions of
-- both:
--   * times are RFC 3339 UTC text ("2021-01-04T14:45:15.000Z"; event_utc to the second): text
--     order is time order;
--   * JSON documents are TEXT;
--   * integers are BIGINT (the one integer type the code binds); ids are identities;
--   * time and code columns are COLLATE "C", so they compare byte by byte as on SQLite.

CREATE TABLE regions (
    code   TEXT COLLATE "C" PRIMARY KEY, -- 6-digit administrative division code
    name   TEXT NOT NULL,
    level  TEXT NOT NULL CHECK (level IN ('province', 'city', 'county')),
    parent TEXT COLLATE "C" REFERENCES regions (code)
);

CREATE TABLE mines (
    code   TEXT COLLATE "C" PRIMARY KEY, -- 12-digit mine code (R1: first 6 = county)
    name   TEXT NOT NULL,
    county TEXT COLLATE "C" NOT NULL REFERENCES regions (code),
    state  TEXT NOT NULL                 -- 停产 / 停建 / 关闭
);

-- U7: one FTP account (and one HTTPS bearer token) per mine, issued by the administration.
CREATE TABLE accounts (
    username      TEXT PRIMARY KEY,
    mine          TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES mines (code),
    password_hash TEXT NOT NULL,          -- argon2id PHC string
    token_hash    TEXT NOT NULL,          -- sha256 hex of the bearer token
    created_at    TEXT COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX accounts_token ON accounts (token_hash);

-- Content-addressed evidence blobs: evidence/<sha256[0..2]>/<sha256>.
CREATE TABLE evidence (
    sha256      TEXT COLLATE "C" PRIMARY KEY,
    size        BIGINT NOT NULL,
    media_type  TEXT NOT NULL,            -- image/jpeg | video/mp4
    width       BIGINT,
    height      BIGINT,
    codec       TEXT,                     -- jpeg | avc1 | ...
    duration_ms BIGINT,                   -- MP4 only
    stored_at   TEXT COLLATE "C" NOT NULL
);

-- One row per accepted upload (U1-U5). `name` is the file name as uploaded; UNIQUE (name)
-- decides races between concurrent uploads of one name (U8).
CREATE TABLE events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    clause          TEXT NOT NULL,        -- U1 .. U5
    mine            TEXT COLLATE "C" NOT NULL,
    camera          TEXT COLLATE "C",     -- U1-U4
    analysis_type   TEXT,                 -- 01..05 (U1-U4)
    daily_count     BIGINT,               -- U1, U2
    transport_state TEXT,                 -- U3 32-digit form: 00/01/02
    lock_code       TEXT,                 -- U5
    lock_state      TEXT,                 -- U5: 0001/0002
    mine_time       TEXT COLLATE "C" NOT NULL, -- yyyyMMddHHmmss, China Standard Time, as in the name
    event_utc       TEXT COLLATE "C" NOT NULL, -- mine_time converted to UTC
    received_at     TEXT COLLATE "C" NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('ftp', 'https')),
    account         TEXT NOT NULL,
    sha256          TEXT COLLATE "C" NOT NULL REFERENCES evidence (sha256),
    findings        TEXT NOT NULL,        -- JSON array of protocol findings (ambiguities ...)
    metadata        TEXT                  -- U5 JSON body as received
);
CREATE INDEX events_mine_time ON events (mine, event_utc);
CREATE INDEX events_received ON events (received_at);
CREATE INDEX events_sha256 ON events (sha256);

-- Every refused upload or request, with the reason. Nothing is silently dropped.
-- kind: name | mine_mismatch | channel | content | conflict | metadata | too_large | aborted | ...
-- Quarantined bytes of a refused upload are kept at quarantine/<sha256> (not evidence).
CREATE TABLE violations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at TEXT COLLATE "C" NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('ftp', 'https')),
    account     TEXT NOT NULL,
    mine        TEXT COLLATE "C",         -- the account's mine
    name        TEXT NOT NULL,            -- file name / path as sent
    kind        TEXT NOT NULL,
    clause      TEXT,                     -- U1..U8 when known
    field       TEXT,                     -- offending field when known
    reason      TEXT NOT NULL,
    sha256      TEXT,                     -- of the refused bytes, when complete
    size        BIGINT
);
CREATE INDEX violations_mine ON violations (mine, received_at);
CREATE INDEX violations_received ON violations (received_at);

-- U6: the current live-stream address of each camera, and every registration ever made.
CREATE TABLE streams (
    mine          TEXT COLLATE "C" NOT NULL,
    camera        TEXT COLLATE "C" NOT NULL,
    url           TEXT NOT NULL,
    registered_at TEXT COLLATE "C" NOT NULL,
    updated_at    TEXT COLLATE "C" NOT NULL,
    revision      BIGINT NOT NULL,
    PRIMARY KEY (mine, camera)
);
CREATE TABLE stream_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mine        TEXT COLLATE "C" NOT NULL,
    camera      TEXT COLLATE "C" NOT NULL,
    url         TEXT NOT NULL,
    received_at TEXT COLLATE "C" NOT NULL,
    account     TEXT NOT NULL
);
