//! Read side of the platform store, and the few writes the HTTPS API owns.
//!
//! Every function takes a plain `&rusqlite::Connection` (or `&mut` for transactions), so it runs
//! on whatever thread holds the store's connection — callers on the async side go through
//! `spawn_blocking`. Listings page by row id (`after_id`, ascending) rather than by offset, so
//! a page boundary never shifts while uploads keep arriving.
//!
//! Time filters compare the stored RFC 3339 UTC strings by their `YYYY-MM-DDTHH:MM:SS` prefix:
//! that keeps the `(mine, event_utc)` index usable and is exact at the one-second resolution
//! the mine-side names carry (U1–U5 time field).

use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params, types::Value};
use serde::Serialize;
use utoipa::ToSchema;

/// Hard upper bound of one page.
pub const MAX_LIMIT: u32 = 1000;
/// Page size when the client gives none.
pub const DEFAULT_LIMIT: u32 = 100;

/// China Standard Time, the mine-side clock of every U1–U5 name (R2).
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Parses a time filter: RFC 3339 (any offset) or the mine-side `yyyyMMddHHmmss` in China
/// Standard Time (R2). Returns `None` when it is neither.
pub fn parse_time_filter(s: &str) -> Option<DateTime<Utc>> {
    if s.len() == 14 && s.bytes().all(|b| b.is_ascii_digit()) {
        let naive = NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").ok()?;
        return cst()
            .from_local_datetime(&naive)
            .single()
            .map(|t| t.with_timezone(&Utc));
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The comparable prefix of a stored time column for `t`.
fn time_key(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Current time as stored in the schema (RFC 3339 UTC, millisecond precision).
pub fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// What an event listing filters on. `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only these mines (the caller's scope); `None` = every mine.
    pub mine: Option<String>,
    pub camera: Option<String>,
    /// Clause U1..U5.
    pub clause: Option<String>,
    /// Analysis type 01..05.
    pub analysis_type: Option<String>,
    /// Event time (`event_utc`) at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Event time strictly before this instant (half-open interval).
    pub to: Option<DateTime<Utc>>,
    /// Rows with id greater than this (the previous page's `next_cursor`).
    pub after_id: Option<i64>,
    pub limit: u32,
}

/// Evidence blob facts joined into an event.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct EvidenceInfo {
    /// SHA-256 of the file, lower-case hex (`GET /api/v1/evidence/{sha256}`).
    pub sha256: String,
    /// Bytes.
    pub size: i64,
    /// `image/jpeg` or `video/mp4`.
    pub media_type: String,
    /// Pixels.
    pub width: Option<i64>,
    /// Pixels.
    pub height: Option<i64>,
    /// `jpeg`, or the MP4 video sample entry (`avc1`, `avc3`).
    pub codec: Option<String>,
    /// MP4 only: the video track's duration.
    pub duration_ms: Option<i64>,
    /// When the file was first stored (RFC 3339 UTC).
    pub stored_at: String,
}

/// One accepted upload with every field parsed from its name.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct EventRow {
    /// Event id.
    pub id: i64,
    /// The file name as uploaded.
    pub name: String,
    /// `U1`..`U5`, from the name's form.
    pub clause: String,
    /// Mine code, 12 digits (R1).
    pub mine: String,
    /// Camera code (U1–U4).
    pub camera: Option<String>,
    /// Analysis type `01`..`05` (U1–U4).
    pub analysis_type: Option<String>,
    /// Cumulative count of the day (U1, U2).
    pub daily_count: Option<i64>,
    /// U3 32-digit form only: `00` stopped, `01` running loaded, `02` running empty.
    pub transport_state: Option<String>,
    /// Lock code (U5).
    pub lock_code: Option<String>,
    /// Lock state `0001` moved / `0002` damaged (U5).
    pub lock_state: Option<String>,
    /// Time field of the name, `yyyyMMddHHmmss`, China Standard Time (R2).
    pub mine_time: String,
    /// `mine_time` as RFC 3339 UTC.
    pub event_utc: String,
    /// When the platform accepted it (RFC 3339 UTC).
    pub received_at: String,
    /// `ftp` or `https`.
    pub channel: String,
    /// The uploading account.
    pub account: String,
    /// SHA-256 of the evidence file.
    pub sha256: String,
    /// Ambiguities the name hit (U3 form, U5 extension): reported, not failed.
    #[schema(value_type = Vec<crate::http::schema::FindingDoc>)]
    pub findings: serde_json::Value,
    /// The U5 JSON body as received (U5 events only).
    #[schema(value_type = Option<crate::http::schema::LockEventMetadataDoc>)]
    pub metadata: Option<serde_json::Value>,
    /// The evidence file's facts.
    pub evidence: Option<EvidenceInfo>,
}

const EVENT_COLUMNS: &str = "e.id, e.name, e.clause, e.mine, e.camera, e.analysis_type, \
    e.daily_count, e.transport_state, e.lock_code, e.lock_state, e.mine_time, e.event_utc, \
    e.received_at, e.channel, e.account, e.sha256, e.findings, e.metadata, \
    v.size, v.media_type, v.width, v.height, v.codec, v.duration_ms, v.stored_at";

fn json_column(text: Option<String>) -> Option<serde_json::Value> {
    // A column that is not valid JSON is shown as the string it holds rather than hidden.
    text.map(|t| serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)))
}

fn event_from_row(row: &Row<'_>) -> rusqlite::Result<EventRow> {
    let sha256: String = row.get(15)?;
    let media_type: Option<String> = row.get(19)?;
    let evidence = match media_type {
        Some(media_type) => Some(EvidenceInfo {
            sha256: sha256.clone(),
            size: row.get(18)?,
            media_type,
            width: row.get(20)?,
            height: row.get(21)?,
            codec: row.get(22)?,
            duration_ms: row.get(23)?,
            stored_at: row.get(24)?,
        }),
        None => None,
    };
    Ok(EventRow {
        id: row.get(0)?,
        name: row.get(1)?,
        clause: row.get(2)?,
        mine: row.get(3)?,
        camera: row.get(4)?,
        analysis_type: row.get(5)?,
        daily_count: row.get(6)?,
        transport_state: row.get(7)?,
        lock_code: row.get(8)?,
        lock_state: row.get(9)?,
        mine_time: row.get(10)?,
        event_utc: row.get(11)?,
        received_at: row.get(12)?,
        channel: row.get(13)?,
        account: row.get(14)?,
        sha256,
        findings: json_column(row.get(16)?).unwrap_or_else(|| serde_json::json!([])),
        metadata: json_column(row.get(17)?),
        evidence,
    })
}

/// Builds `WHERE ...` clauses and their parameters.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    params: Vec<Value>,
}

impl Where {
    fn eq(&mut self, column: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.clauses.push(format!("{column} = ?"));
            self.params.push(Value::Text(v.clone()));
        }
    }

    fn range(&mut self, column: &str, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) {
        if let Some(from) = from {
            // A stored value "…:SS[.fff]Z" sorts at or after its "…:SS" prefix.
            self.clauses.push(format!("{column} >= ?"));
            self.params.push(Value::Text(time_key(from)));
        }
        if let Some(to) = to {
            // Half-open at one-second resolution: anything within a second before `to`
            // stays in, `to` itself (and its sub-second tail) is out, unless `to` has a
            // fractional part, in which case that whole second is kept.
            let bound = if to.timestamp_subsec_nanos() == 0 {
                to
            } else {
                to + Duration::seconds(1)
            };
            self.clauses.push(format!("{column} < ?"));
            self.params.push(Value::Text(time_key(bound)));
        }
    }

    fn after(&mut self, column: &str, after_id: Option<i64>) {
        if let Some(id) = after_id {
            self.clauses.push(format!("{column} > ?"));
            self.params.push(Value::Integer(id));
        }
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

fn clamp_limit(limit: u32) -> u32 {
    limit.clamp(1, MAX_LIMIT)
}

/// Events matching `filter`, oldest id first, at most `filter.limit` of them.
pub fn list_events(conn: &Connection, filter: &EventFilter) -> rusqlite::Result<Vec<EventRow>> {
    let mut w = Where::default();
    w.eq("e.mine", &filter.mine);
    w.eq("e.camera", &filter.camera);
    w.eq("e.clause", &filter.clause);
    w.eq("e.analysis_type", &filter.analysis_type);
    w.range("e.event_utc", filter.from, filter.to);
    w.after("e.id", filter.after_id);
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e LEFT JOIN evidence v ON v.sha256 = e.sha256{} \
         ORDER BY e.id LIMIT {}",
        w.sql(),
        clamp_limit(filter.limit)
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(w.params.iter()), event_from_row)?;
    rows.collect()
}

/// One event by its file name.
pub fn get_event_by_name(conn: &Connection, name: &str) -> rusqlite::Result<Option<EventRow>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e LEFT JOIN evidence v ON v.sha256 = e.sha256 \
         WHERE e.name = ?1"
    );
    conn.query_row(&sql, params![name], event_from_row).optional()
}

/// Every violation, oldest first (for tests and diagnostics; the API pages with
/// [`list_violations`]).
pub fn all_violations(conn: &Connection) -> rusqlite::Result<Vec<ViolationRow>> {
    let sql = format!("SELECT {VIOLATION_COLUMNS} FROM violations ORDER BY id");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], violation_from_row)?;
    rows.collect()
}

/// One event by id.
pub fn get_event(conn: &Connection, id: i64) -> rusqlite::Result<Option<EventRow>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e LEFT JOIN evidence v ON v.sha256 = e.sha256 \
         WHERE e.id = ?1"
    );
    conn.query_row(&sql, params![id], event_from_row).optional()
}

/// What a violation listing filters on.
#[derive(Debug, Clone, Default)]
pub struct ViolationFilter {
    pub mine: Option<String>,
    pub kind: Option<String>,
    pub clause: Option<String>,
    pub channel: Option<String>,
    /// `received_at` at or after.
    pub from: Option<DateTime<Utc>>,
    /// `received_at` strictly before.
    pub to: Option<DateTime<Utc>>,
    pub after_id: Option<i64>,
    pub limit: u32,
}

/// One refused upload or request.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct ViolationRow {
    /// Violation id.
    pub id: i64,
    /// When it was refused (RFC 3339 UTC).
    pub received_at: String,
    /// `ftp` or `https`.
    pub channel: String,
    /// The account (empty when the token was missing or unknown; `admin` for the administrator token).
    pub account: String,
    /// The account's mine.
    pub mine: Option<String>,
    /// File name as sent, or the request path when there was none.
    pub name: String,
    /// `name`, `mine_mismatch`, `channel`, `content`, `conflict`, `metadata`, `too_large`, `aborted`, `auth`, `request`.
    pub kind: String,
    /// The clause broken, when known (`U1`..`U8`, `R1`..).
    pub clause: Option<String>,
    /// The offending field, when known.
    pub field: Option<String>,
    /// Why, one line.
    pub reason: String,
    /// SHA-256 of the refused bytes, when they were read completely.
    pub sha256: Option<String>,
    /// Size of the refused bytes, when read.
    pub size: Option<i64>,
}

const VIOLATION_COLUMNS: &str =
    "id, received_at, channel, account, mine, name, kind, clause, field, reason, sha256, size";

fn violation_from_row(row: &Row<'_>) -> rusqlite::Result<ViolationRow> {
    Ok(ViolationRow {
        id: row.get(0)?,
        received_at: row.get(1)?,
        channel: row.get(2)?,
        account: row.get(3)?,
        mine: row.get(4)?,
        name: row.get(5)?,
        kind: row.get(6)?,
        clause: row.get(7)?,
        field: row.get(8)?,
        reason: row.get(9)?,
        sha256: row.get(10)?,
        size: row.get(11)?,
    })
}

/// Violations matching `filter`, oldest id first.
pub fn list_violations(
    conn: &Connection,
    filter: &ViolationFilter,
) -> rusqlite::Result<Vec<ViolationRow>> {
    let mut w = Where::default();
    w.eq("mine", &filter.mine);
    w.eq("kind", &filter.kind);
    w.eq("clause", &filter.clause);
    w.eq("channel", &filter.channel);
    w.range("received_at", filter.from, filter.to);
    w.after("id", filter.after_id);
    let sql = format!(
        "SELECT {VIOLATION_COLUMNS} FROM violations{} ORDER BY id LIMIT {}",
        w.sql(),
        clamp_limit(filter.limit)
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(
        rusqlite::params_from_iter(w.params.iter()),
        violation_from_row,
    )?;
    rows.collect()
}

/// One violation by id.
pub fn get_violation(conn: &Connection, id: i64) -> rusqlite::Result<Option<ViolationRow>> {
    let sql = format!("SELECT {VIOLATION_COLUMNS} FROM violations WHERE id = ?1");
    conn.query_row(&sql, params![id], violation_from_row)
        .optional()
}

/// A refusal to record, for requests the HTTPS API turns away before they reach the ingest
/// (unreadable multipart, bad JSON, wrong mine on a stream registration, ...).
#[derive(Debug, Clone)]
pub struct NewViolation<'a> {
    pub channel: &'a str,
    pub account: &'a str,
    pub mine: Option<&'a str>,
    pub name: &'a str,
    pub kind: &'a str,
    pub clause: Option<&'a str>,
    pub field: Option<&'a str>,
    pub reason: &'a str,
    pub sha256: Option<&'a str>,
    pub size: Option<i64>,
}

/// Records a violation; returns its id.
pub fn insert_violation(conn: &Connection, v: &NewViolation<'_>) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO violations \
         (received_at, channel, account, mine, name, kind, clause, field, reason, sha256, size) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            now_rfc3339(),
            v.channel,
            v.account,
            v.mine,
            v.name,
            v.kind,
            v.clause,
            v.field,
            v.reason,
            v.sha256,
            v.size
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The current live-stream address of one camera (U6).
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct StreamRow {
    /// Mine code.
    pub mine: String,
    /// Camera code.
    pub camera: String,
    /// The current live-stream URL (U6).
    pub url: String,
    /// First registration of this camera.
    pub registered_at: String,
    /// Last registration received, changed or not.
    pub updated_at: String,
    /// 1 on first registration, +1 each time the URL changes.
    pub revision: i64,
}

/// One registration as received (U6).
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
pub struct StreamHistoryRow {
    /// Registration id.
    pub id: i64,
    /// The URL registered.
    pub url: String,
    /// When (RFC 3339 UTC).
    pub received_at: String,
    /// The registering account.
    pub account: String,
}

/// What a registration did to the current address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StreamChange {
    /// First registration of this camera.
    Created,
    /// The URL changed: revision went up by one.
    Updated,
    /// Same URL again: same revision.
    Unchanged,
}

fn stream_from_row(row: &Row<'_>) -> rusqlite::Result<StreamRow> {
    Ok(StreamRow {
        mine: row.get(0)?,
        camera: row.get(1)?,
        url: row.get(2)?,
        registered_at: row.get(3)?,
        updated_at: row.get(4)?,
        revision: row.get(5)?,
    })
}

const STREAM_COLUMNS: &str = "mine, camera, url, registered_at, updated_at, revision";

/// Upserts the current address of `mine`/`camera` and appends the registration to the
/// history, in one transaction (U6: "uploads it again at once whenever it changes").
pub fn register_stream(
    conn: &mut Connection,
    mine: &str,
    camera: &str,
    url: &str,
    account: &str,
) -> rusqlite::Result<(StreamRow, StreamChange)> {
    let now = now_rfc3339();
    let tx = conn.transaction()?;
    let current: Option<(String, i64)> = tx
        .query_row(
            "SELECT url, revision FROM streams WHERE mine = ?1 AND camera = ?2",
            params![mine, camera],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let change = match current {
        None => {
            tx.execute(
                "INSERT INTO streams (mine, camera, url, registered_at, updated_at, revision) \
                 VALUES (?1, ?2, ?3, ?4, ?4, 1)",
                params![mine, camera, url, now],
            )?;
            StreamChange::Created
        }
        Some((old, _)) if old == url => {
            tx.execute(
                "UPDATE streams SET updated_at = ?3 WHERE mine = ?1 AND camera = ?2",
                params![mine, camera, now],
            )?;
            StreamChange::Unchanged
        }
        Some(_) => {
            tx.execute(
                "UPDATE streams SET url = ?3, updated_at = ?4, revision = revision + 1 \
                 WHERE mine = ?1 AND camera = ?2",
                params![mine, camera, url, now],
            )?;
            StreamChange::Updated
        }
    };
    tx.execute(
        "INSERT INTO stream_history (mine, camera, url, received_at, account) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![mine, camera, url, now, account],
    )?;
    let row = tx.query_row(
        &format!("SELECT {STREAM_COLUMNS} FROM streams WHERE mine = ?1 AND camera = ?2"),
        params![mine, camera],
        stream_from_row,
    )?;
    tx.commit()?;
    Ok((row, change))
}

/// Current stream addresses, of one mine or of all, ordered by mine then camera.
pub fn list_streams(conn: &Connection, mine: Option<&str>) -> rusqlite::Result<Vec<StreamRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {STREAM_COLUMNS} FROM streams WHERE (?1 IS NULL OR mine = ?1) \
         ORDER BY mine, camera"
    ))?;
    let rows = stmt.query_map(params![mine], stream_from_row)?;
    rows.collect()
}

/// The current address of one camera.
pub fn get_stream(
    conn: &Connection,
    mine: &str,
    camera: &str,
) -> rusqlite::Result<Option<StreamRow>> {
    conn.query_row(
        &format!("SELECT {STREAM_COLUMNS} FROM streams WHERE mine = ?1 AND camera = ?2"),
        params![mine, camera],
        stream_from_row,
    )
    .optional()
}

/// Every registration of one camera, oldest first.
pub fn stream_history(
    conn: &Connection,
    mine: &str,
    camera: &str,
) -> rusqlite::Result<Vec<StreamHistoryRow>> {
    let mut stmt = conn.prepare(
        "SELECT id, url, received_at, account FROM stream_history \
         WHERE mine = ?1 AND camera = ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![mine, camera], |r| {
        Ok(StreamHistoryRow {
            id: r.get(0)?,
            url: r.get(1)?,
            received_at: r.get(2)?,
            account: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// An evidence blob's media type and size, if it is stored.
pub fn evidence_info(conn: &Connection, sha256: &str) -> rusqlite::Result<Option<EvidenceInfo>> {
    conn.query_row(
        "SELECT sha256, size, media_type, width, height, codec, duration_ms, stored_at \
         FROM evidence WHERE sha256 = ?1",
        params![sha256],
        |r| {
            Ok(EvidenceInfo {
                sha256: r.get(0)?,
                size: r.get(1)?,
                media_type: r.get(2)?,
                width: r.get(3)?,
                height: r.get(4)?,
                codec: r.get(5)?,
                duration_ms: r.get(6)?,
                stored_at: r.get(7)?,
            })
        },
    )
    .optional()
}

/// Whether an event of `mine` refers to the blob `sha256` (a mine may read its own evidence).
pub fn evidence_belongs_to(conn: &Connection, sha256: &str, mine: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM events WHERE sha256 = ?1 AND mine = ?2)",
        params![sha256, mine],
        |r| r.get(0),
    )
}

/// A trivial query proving the database answers (health check).
pub fn ping(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("SELECT count(*) FROM mines", [], |r| r.get::<_, i64>(0))
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = include_str!("../migrations/0001_ingest.sql");

    fn db() -> Connection {
        let conn = Connection::open_in_memory().expect("in-memory db");
        conn.execute_batch(SCHEMA).expect("schema");
        conn.execute_batch(
            "INSERT INTO regions VALUES ('140421', 'county', 'county', NULL);
             INSERT INTO mines VALUES ('140421007866', 'm1', '140421', '停产');
             INSERT INTO mines VALUES ('140421007867', 'm2', '140421', '停产');
             INSERT INTO evidence VALUES ('aa', 3, 'image/jpeg', 64, 48, 'jpeg', NULL, 't');",
        )
        .expect("seed");
        for (i, (mine, camera, ty, utc)) in [
            ("140421007866", "20", "01", "2021-01-04T14:45:15Z"),
            ("140421007866", "30", "02", "2021-01-05T12:08:20Z"),
            ("140421007867", "20", "01", "2021-01-05T12:08:21.500Z"),
        ]
        .into_iter()
        .enumerate()
        {
            conn.execute(
                "INSERT INTO events (name, clause, mine, camera, analysis_type, daily_count, \
                 mine_time, event_utc, received_at, channel, account, sha256, findings) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, 'x', ?6, 'r', 'ftp', 'a', 'aa', '[]')",
                params![
                    format!("n{i}"),
                    if ty == "01" { "U1" } else { "U2" },
                    mine,
                    camera,
                    ty,
                    utc
                ],
            )
            .expect("event");
        }
        conn
    }

    fn ids(f: &EventFilter) -> Vec<i64> {
        let conn = db();
        list_events(&conn, f)
            .expect("list")
            .iter()
            .map(|e| e.id)
            .collect()
    }

    #[test]
    fn event_filters() {
        let all = EventFilter {
            limit: 100,
            ..Default::default()
        };
        assert_eq!(ids(&all), [1, 2, 3]);
        assert_eq!(
            ids(&EventFilter {
                mine: Some("140421007867".into()),
                ..all.clone()
            }),
            [3]
        );
        assert_eq!(
            ids(&EventFilter {
                camera: Some("30".into()),
                ..all.clone()
            }),
            [2]
        );
        assert_eq!(
            ids(&EventFilter {
                clause: Some("U1".into()),
                ..all.clone()
            }),
            [1, 3]
        );
        assert_eq!(
            ids(&EventFilter {
                analysis_type: Some("02".into()),
                ..all.clone()
            }),
            [2]
        );
        assert_eq!(
            ids(&EventFilter {
                after_id: Some(1),
                limit: 1,
                ..all.clone()
            }),
            [2]
        );
        // Half-open interval, one-second resolution, fractional stored seconds included.
        let from = parse_time_filter("20210105200820");
        assert_eq!(
            ids(&EventFilter {
                from,
                ..all.clone()
            }),
            [2, 3]
        );
        let to = parse_time_filter("2021-01-05T12:08:21Z");
        assert_eq!(ids(&EventFilter { to, ..all.clone() }), [1, 2]);
        let to = parse_time_filter("2021-01-05T20:08:22+08:00");
        assert_eq!(
            ids(&EventFilter {
                from,
                to,
                ..all.clone()
            }),
            [2, 3]
        );
    }

    #[test]
    fn event_row_carries_evidence_and_json() {
        let conn = db();
        let e = get_event(&conn, 1).expect("query").expect("row");
        assert_eq!(e.findings, serde_json::json!([]));
        assert_eq!(
            e.evidence.as_ref().map(|v| v.media_type.as_str()),
            Some("image/jpeg")
        );
        assert!(get_event(&conn, 99).expect("query").is_none());
    }

    #[test]
    fn time_filter_forms() {
        assert_eq!(
            parse_time_filter("20210104224515").map(|t| t.to_rfc3339()),
            Some("2021-01-04T14:45:15+00:00".into())
        );
        assert!(parse_time_filter("20211304224515").is_none());
        assert!(parse_time_filter("yesterday").is_none());
    }

    #[test]
    fn stream_revisions_and_history() {
        let mut conn = db();
        let (m, c) = ("140421007866", "10");
        let (row, ch) =
            register_stream(&mut conn, m, c, "http://a/?action=stream", "u").expect("r1");
        assert_eq!((row.revision, ch), (1, StreamChange::Created));
        let (row, ch) =
            register_stream(&mut conn, m, c, "http://a/?action=stream", "u").expect("r2");
        assert_eq!((row.revision, ch), (1, StreamChange::Unchanged));
        let (row, ch) =
            register_stream(&mut conn, m, c, "http://b/?action=stream", "u").expect("r3");
        assert_eq!((row.revision, ch), (2, StreamChange::Updated));
        assert_eq!(row.url, "http://b/?action=stream");
        let h = stream_history(&conn, m, c).expect("history");
        assert_eq!(h.len(), 3);
        assert_eq!(list_streams(&conn, Some(m)).expect("list").len(), 1);
        assert_eq!(
            list_streams(&conn, Some("140421007867"))
                .expect("list")
                .len(),
            0
        );
    }

    #[test]
    fn violations_insert_and_filter() {
        let conn = db();
        let v = NewViolation {
            channel: "https",
            account: "u",
            mine: Some("140421007866"),
            name: "x.mp4",
            kind: "metadata",
            clause: Some("U5"),
            field: Some("lock_state"),
            reason: "bad",
            sha256: None,
            size: None,
        };
        let id = insert_violation(&conn, &v).expect("insert");
        let f = ViolationFilter {
            kind: Some("metadata".into()),
            limit: 10,
            ..Default::default()
        };
        let rows = list_violations(&conn, &f).expect("list");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id, id);
        assert_eq!(rows[0].field.as_deref(), Some("lock_state"));
        let f = ViolationFilter {
            mine: Some("140421007867".into()),
            limit: 10,
            ..Default::default()
        };
        assert!(list_violations(&conn, &f).expect("list").is_empty());
        assert!(evidence_belongs_to(&conn, "aa", "140421007866").expect("q"));
        assert!(!evidence_belongs_to(&conn, "aa", "999999999999").expect("q"));
        ping(&conn).expect("ping");
    }
}
