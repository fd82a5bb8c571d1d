-- eseal ingest schema step 6 (issue 15), SQLite dialect; its twin is
-- ../postgres/0006_stream_peer.sql. U6: the network address a stream registration came from, so
-- that a judge can tell whether the registered URL is served by the device that registered it.
-- NULL for registrations kept from before this step (the address was not recorded).
ALTER TABLE streams ADD COLUMN peer TEXT;
ALTER TABLE stream_history ADD COLUMN peer TEXT;
