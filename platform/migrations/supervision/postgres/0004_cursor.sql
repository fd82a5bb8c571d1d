-- eseal supervision schema v4 (issue 6): how far the supervision worker has evaluated the
-- `events` table (PostgreSQL dialect; its twin is ../sqlite/0004_cursor.sql). The worker reads
-- events in id order after `last_event_id`, evaluates each by the mine's configuration, then
-- moves the cursor; raising is idempotent by the alarm's dedup key, so a crash between the two
-- re-evaluates a few events and raises nothing twice.
CREATE TABLE supervision_cursor (
    name          TEXT COLLATE "C" PRIMARY KEY,
    last_event_id BIGINT NOT NULL,
    updated_at    TEXT COLLATE "C" NOT NULL
);
