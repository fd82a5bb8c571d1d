-- eseal supervision schema v2 (issue 6): what the automatic patrol (P2, P8) needs beyond
-- 0001's patrol_status, SQLite dialect. Its twin is ../postgres/0002_patrol.sql.

-- Since when the mine or camera has been in its current state (the exact virtual time: for
-- offline, last_seen + the policy's silence; for online, the upload or probe that proved it),
-- and how many stream probes in a row have succeeded (flap damping on recovery).
ALTER TABLE patrol_status ADD COLUMN since TEXT;
ALTER TABLE patrol_status ADD COLUMN ok_probes INTEGER NOT NULL DEFAULT 0;

-- Every online/offline change, append-only: the data-stability figures (availability,
-- outages, longest outage) of any period are computed from it.
CREATE TABLE patrol_transitions (
    id     INTEGER PRIMARY KEY,
    mine   TEXT NOT NULL,
    camera TEXT,                            -- NULL: the mine as a whole
    online INTEGER NOT NULL CHECK (online IN (0, 1)),
    at     TEXT NOT NULL                    -- when the new state began (patrol_status.since)
) STRICT;
CREATE INDEX patrol_transitions_mine ON patrol_transitions (mine, camera, at);
