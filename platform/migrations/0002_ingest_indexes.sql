-- eseal reference platform, schema v2: look-up indexes used by ingest and authentication.
-- violations.kind values: name | mine_mismatch | content | conflict | metadata | too_large | aborted.
-- Quarantined bytes of a refused upload are kept at quarantine/<violations.sha256> (not evidence).

CREATE UNIQUE INDEX accounts_token ON accounts (token_hash);
CREATE INDEX events_sha256 ON events (sha256);
CREATE INDEX violations_received ON violations (received_at);
