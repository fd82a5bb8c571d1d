-- eseal supervision schema v1 (issue 6), SQLite dialect. Its twin is
-- ../postgres/0001_supervision.sql: the same tables, columns, constraints and indexes; only the
-- DDL spelling differs. Conventions of both:
--   * times are RFC 3339 UTC text with milliseconds ("2021-01-04T14:45:15.000Z"): text order
--     is time order;
--   * JSON documents are TEXT;
--   * booleans are INTEGER 0/1 here (BOOLEAN there);
--   * tables are STRICT, so a value of the wrong type fails here as it would on PostgreSQL.
-- Jurisdiction is a code prefix (R1, GB/T 2260): "which rows does unit U see" is
-- `unit LIKE '<prefix>%'`, so every scoped table stores the unit (or mine code) of its rows.

-- The administrative hierarchy: national -> province -> city -> county -> mine.
CREATE TABLE units (
    code       TEXT PRIMARY KEY,            -- 000000 | XX0000 | XXXX00 | XXXXXX | 12-digit mine
    name       TEXT NOT NULL,
    level      TEXT NOT NULL CHECK (level IN ('national', 'province', 'city', 'county', 'mine')),
    parent     TEXT REFERENCES units (code), -- NULL only for national
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX units_parent ON units (parent);

-- Regulators' users: one unit and one role each.
CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    unit          TEXT NOT NULL REFERENCES units (code),
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'inspector', 'supervisor', 'admin')),
    password_hash TEXT NOT NULL,            -- argon2id PHC string
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    TEXT NOT NULL
) STRICT;
CREATE INDEX users_unit ON users (unit);

-- Login sessions. The token is shown once; only its SHA-256 is kept.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,            -- sha256 hex of the bearer token
    username   TEXT NOT NULL REFERENCES users (username),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT                         -- NULL while the session is live
) STRICT;
CREATE INDEX sessions_username ON sessions (username);

-- Every state change: who, when, what, before/after. Append-only (triggers below).
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,              -- user name, or "system"
    unit        TEXT NOT NULL,              -- unit of the object: the jurisdiction that sees it
    action      TEXT NOT NULL,              -- "user.create", "alarm.acknowledge", ...
    object_kind TEXT NOT NULL,              -- "user", "unit", "alarm", ...
    object_id   TEXT NOT NULL,
    before      TEXT,                       -- JSON; NULL when the object is new
    after       TEXT                        -- JSON; NULL when the object is gone
) STRICT;
CREATE INDEX audit_log_unit ON audit_log (unit, id);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- P9: each mine's configuration as the county set it (the inputs of the alarm rules).
CREATE TABLE mine_configs (
    mine       TEXT PRIMARY KEY,            -- 12-digit mine code
    county     TEXT NOT NULL,               -- its first six digits (R1)
    config     TEXT NOT NULL,               -- JSON
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
) STRICT;
CREATE INDEX mine_configs_county ON mine_configs (county);

-- P10: a county's default thresholds.
CREATE TABLE county_defaults (
    county     TEXT PRIMARY KEY,
    config     TEXT NOT NULL,               -- JSON
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
) STRICT;

-- L1-L3: a mine joining or leaving the scope, seal removal approvals, patrol filings.
CREATE TABLE lifecycle_records (
    id      INTEGER PRIMARY KEY,
    mine    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'      -- JSON
) STRICT;
CREATE INDEX lifecycle_records_mine ON lifecycle_records (mine, at);

-- P2-P5: alarms raised by the rules, one per dedup key.
CREATE TABLE alarms (
    id         INTEGER PRIMARY KEY,
    mine       TEXT NOT NULL,
    county     TEXT NOT NULL,               -- the mine's county (R1): who handles it (P5)
    camera     TEXT,
    kind       TEXT NOT NULL CHECK (kind IN ('people_over_limit', 'trucks_over_limit',
                   'transport_running', 'camera_occluded', 'camera_moved', 'lock_tampered',
                   'mine_offline')),
    grade      TEXT NOT NULL CHECK (grade IN ('low', 'general', 'serious', 'major')),
    message    TEXT NOT NULL,
    event_time TEXT NOT NULL,
    raised_at  TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pushed', 'acknowledged', 'handled', 'closed')),
    deadline   TEXT,                        -- handling deadline; overdue alarms are supervised
    dedup_key  TEXT NOT NULL UNIQUE,
    evidence   TEXT NOT NULL DEFAULT '[]'   -- JSON
) STRICT;
CREATE INDEX alarms_mine ON alarms (mine, raised_at);
CREATE INDEX alarms_county_state ON alarms (county, state, raised_at);
CREATE INDEX alarms_state_deadline ON alarms (state, deadline);
CREATE INDEX alarms_raised ON alarms (raised_at);

-- P5: every handling step of an alarm.
CREATE TABLE alarm_steps (
    id           INTEGER PRIMARY KEY,
    alarm_id     INTEGER NOT NULL REFERENCES alarms (id),
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    state_before TEXT,
    state_after  TEXT NOT NULL,
    details      TEXT NOT NULL DEFAULT '{}' -- JSON
) STRICT;
CREATE INDEX alarm_steps_alarm ON alarm_steps (alarm_id, id);

-- P4: supervision (督办), automatic or by a city-level or higher user.
CREATE TABLE supervisions (
    id        INTEGER PRIMARY KEY,
    alarm_id  INTEGER NOT NULL REFERENCES alarms (id),
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    level     TEXT NOT NULL,                -- unit level of the supervisor
    automatic INTEGER NOT NULL CHECK (automatic IN (0, 1)),
    note      TEXT
) STRICT;
CREATE INDEX supervisions_alarm ON supervisions (alarm_id, id);

-- P14: outgoing pushes (platform, WeChat, SMS), retried until delivered.
CREATE TABLE push_deliveries (
    id              INTEGER PRIMARY KEY,
    alarm_id        INTEGER REFERENCES alarms (id),
    channel         TEXT NOT NULL,
    target          TEXT NOT NULL,
    payload         TEXT NOT NULL,          -- JSON
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT
) STRICT;
CREATE INDEX push_deliveries_pending ON push_deliveries (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX push_deliveries_alarm ON push_deliveries (alarm_id);

-- P2, P8: the automatic patrol's latest view of each mine (camera NULL) and camera.
CREATE TABLE patrol_status (
    id         INTEGER PRIMARY KEY,
    mine       TEXT NOT NULL,
    camera     TEXT,                        -- NULL: the mine as a whole
    online     INTEGER NOT NULL CHECK (online IN (0, 1)),
    last_seen  TEXT,
    checked_at TEXT NOT NULL
) STRICT;
-- One row per mine and one per camera; upsert with ON CONFLICT (mine) WHERE camera IS NULL or
-- ON CONFLICT (mine, camera) WHERE camera IS NOT NULL.
CREATE UNIQUE INDEX patrol_status_mine ON patrol_status (mine) WHERE camera IS NULL;
CREATE UNIQUE INDEX patrol_status_camera ON patrol_status (mine, camera) WHERE camera IS NOT NULL;
CREATE INDEX patrol_status_online ON patrol_status (online, mine);
