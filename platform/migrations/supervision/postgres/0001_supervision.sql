-- eseal supervision schema v1 (issue 6), PostgreSQL dialect. Its twin is
-- ../sqlite/0001_supervision.sql: the same tables, columns, constraints and indexes; only the
-- DDL spelling differs. Conventions of both:
--   * times are RFC 3339 UTC text with milliseconds ("2021-01-04T14:45:15.000Z"): text order
--     is time order;
--   * JSON documents are TEXT;
--   * booleans are BOOLEAN here (INTEGER 0/1 there);
--   * integers are BIGINT (the one integer type the code binds); ids are identities;
--   * time and code columns are COLLATE "C", so they compare byte by byte as on SQLite.
-- Jurisdiction is a code prefix (R1, GB/T 2260): "which rows does unit U see" is
-- `unit LIKE '<prefix>%'`, so every scoped table stores the unit (or mine code) of its rows.

-- The administrative hierarchy: national -> province -> city -> county -> mine.
CREATE TABLE units (
    code       TEXT COLLATE "C" PRIMARY KEY, -- 000000 | XX0000 | XXXX00 | XXXXXX | 12-digit mine
    name       TEXT NOT NULL,
    level      TEXT NOT NULL CHECK (level IN ('national', 'province', 'city', 'county', 'mine')),
    parent     TEXT COLLATE "C" REFERENCES units (code), -- NULL only for national
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX units_parent ON units (parent);

-- Regulators' users: one unit and one role each.
CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    unit          TEXT COLLATE "C" NOT NULL REFERENCES units (code),
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'inspector', 'supervisor', 'admin')),
    password_hash TEXT NOT NULL,            -- argon2id PHC string
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TEXT COLLATE "C" NOT NULL
);
CREATE INDEX users_unit ON users (unit);

-- Login sessions. The token is shown once; only its SHA-256 is kept.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,            -- sha256 hex of the bearer token
    username   TEXT NOT NULL REFERENCES users (username),
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    revoked_at TEXT COLLATE "C" -- NULL while the session is live
);
CREATE INDEX sessions_username ON sessions (username);

-- Every state change: who, when, what, before/after. Append-only (triggers below).
CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TEXT COLLATE "C" NOT NULL,
    actor       TEXT NOT NULL,              -- user name, or "system"
    unit        TEXT COLLATE "C" NOT NULL, -- unit of the object: the jurisdiction that sees it
    action      TEXT NOT NULL,              -- "user.create", "alarm.acknowledge", ...
    object_kind TEXT NOT NULL,              -- "user", "unit", "alarm", ...
    object_id   TEXT NOT NULL,
    before      TEXT,                       -- JSON; NULL when the object is new
    after       TEXT                        -- JSON; NULL when the object is gone
);
CREATE INDEX audit_log_unit ON audit_log (unit, id);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id, id);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- P9: each mine's configuration as the county set it (the inputs of the alarm rules).
CREATE TABLE mine_configs (
    mine       TEXT COLLATE "C" PRIMARY KEY, -- 12-digit mine code
    county     TEXT COLLATE "C" NOT NULL, -- its first six digits (R1)
    config     TEXT NOT NULL,               -- JSON
    updated_at TEXT COLLATE "C" NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX mine_configs_county ON mine_configs (county);

-- P10: a county's default thresholds.
CREATE TABLE county_defaults (
    county     TEXT COLLATE "C" PRIMARY KEY,
    config     TEXT NOT NULL,               -- JSON
    updated_at TEXT COLLATE "C" NOT NULL,
    updated_by TEXT NOT NULL
);

-- L1-L3: a mine joining or leaving the scope, seal removal approvals, patrol filings.
CREATE TABLE lifecycle_records (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mine    TEXT COLLATE "C" NOT NULL,
    kind    TEXT NOT NULL,
    at      TEXT COLLATE "C" NOT NULL,
    actor   TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'      -- JSON
);
CREATE INDEX lifecycle_records_mine ON lifecycle_records (mine, at);

-- P2-P5: alarms raised by the rules, one per dedup key.
CREATE TABLE alarms (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mine       TEXT COLLATE "C" NOT NULL,
    county     TEXT COLLATE "C" NOT NULL, -- the mine's county (R1): who handles it (P5)
    camera     TEXT,
    kind       TEXT NOT NULL CHECK (kind IN ('people_over_limit', 'trucks_over_limit',
                   'transport_running', 'camera_occluded', 'camera_moved', 'lock_tampered',
                   'mine_offline')),
    grade      TEXT NOT NULL CHECK (grade IN ('low', 'general', 'serious', 'major')),
    message    TEXT NOT NULL,
    event_time TEXT COLLATE "C" NOT NULL,
    raised_at  TEXT COLLATE "C" NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pushed', 'acknowledged', 'handled', 'closed')),
    deadline   TEXT COLLATE "C", -- handling deadline; overdue alarms are supervised
    dedup_key  TEXT NOT NULL UNIQUE,
    evidence   TEXT NOT NULL DEFAULT '[]'   -- JSON
);
CREATE INDEX alarms_mine ON alarms (mine, raised_at);
CREATE INDEX alarms_county_state ON alarms (county, state, raised_at);
CREATE INDEX alarms_state_deadline ON alarms (state, deadline);
CREATE INDEX alarms_raised ON alarms (raised_at);

-- P5: every handling step of an alarm.
CREATE TABLE alarm_steps (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alarm_id     BIGINT NOT NULL REFERENCES alarms (id),
    at           TEXT COLLATE "C" NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    state_before TEXT,
    state_after  TEXT NOT NULL,
    details      TEXT NOT NULL DEFAULT '{}' -- JSON
);
CREATE INDEX alarm_steps_alarm ON alarm_steps (alarm_id, id);

-- P4: supervision (督办), automatic or by a city-level or higher user.
CREATE TABLE supervisions (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alarm_id  BIGINT NOT NULL REFERENCES alarms (id),
    at        TEXT COLLATE "C" NOT NULL,
    actor     TEXT NOT NULL,
    level     TEXT NOT NULL,                -- unit level of the supervisor
    automatic BOOLEAN NOT NULL,
    note      TEXT
);
CREATE INDEX supervisions_alarm ON supervisions (alarm_id, id);

-- P14: outgoing pushes (platform, WeChat, SMS), retried until delivered.
CREATE TABLE push_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alarm_id        BIGINT REFERENCES alarms (id),
    channel         TEXT NOT NULL,
    target          TEXT NOT NULL,
    payload         TEXT NOT NULL,          -- JSON
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT COLLATE "C" NOT NULL,
    delivered_at    TEXT COLLATE "C",
    last_error      TEXT
);
CREATE INDEX push_deliveries_pending ON push_deliveries (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX push_deliveries_alarm ON push_deliveries (alarm_id);

-- P2, P8: the automatic patrol's latest view of each mine (camera NULL) and camera.
CREATE TABLE patrol_status (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mine       TEXT COLLATE "C" NOT NULL,
    camera     TEXT,                        -- NULL: the mine as a whole
    online     BOOLEAN NOT NULL,
    last_seen  TEXT COLLATE "C",
    checked_at TEXT COLLATE "C" NOT NULL
);
-- One row per mine and one per camera; upsert with ON CONFLICT (mine) WHERE camera IS NULL or
-- ON CONFLICT (mine, camera) WHERE camera IS NOT NULL.
CREATE UNIQUE INDEX patrol_status_mine ON patrol_status (mine) WHERE camera IS NULL;
CREATE UNIQUE INDEX patrol_status_camera ON patrol_status (mine, camera) WHERE camera IS NOT NULL;
CREATE INDEX patrol_status_online ON patrol_status (online, mine);
