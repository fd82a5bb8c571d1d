-- eseal supervision schema v2 (issue 6): what the automatic patrol (P2, P8) needs beyond
-- 0001's patrol_status, PostgreSQL dialect. Its twin is ../sqlite/0002_patrol.sql.

-- Since when the mine or camera has been in its current state (the exact virtual time: for
-- offline, last_seen + the policy's silence; for online, the upload or probe that proved it),
-- and how many stream probes in a row have succeeded (flap damping on recovery).
ALTER TABLE patrol_status ADD COLUMN since TEXT COLLATE "C";
ALTER TABLE patrol_status ADD COLUMN ok_probes BIGINT NOT NULL DEFAULT 0;

-- Every online/offline change, append-only: the data-stability figures (availability,
-- outages, longest outage) of any period are computed from it.
CREATE TABLE patrol_transitions (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mine   TEXT COLLATE "C" NOT NULL,
    camera TEXT COLLATE "C", -- NULL: the mine as a whole
    online BOOLEAN NOT NULL,
    at     TEXT COLLATE "C" NOT NULL -- when the new state began (patrol_status.since)
);
CREATE INDEX patrol_transitions_mine ON patrol_transitions (mine, camera, at);
