//! Read side of the platform store, and the few writes the HTTPS API owns.
//!
//! Every function takes a [`Conn`] of the [`crate::db`] layer, so the same SQL runs on SQLite and
//! PostgreSQL, on whatever blocking thread holds the connection — callers on the async side go
//! through [`crate::store::Store::read`] / [`crate::store::Store::call`]. Listings page by row id
//! (`after_id`, ascending) rather than by offset, so a page boundary never shifts while uploads
//! keep arriving.
//!
//! Time filters compare the stored RFC 3339 UTC strings by their `YYYY-MM-DDTHH:MM:SS` prefix:
//! that keeps the `(mine, event_utc)` index usable and is exact at the one-second resolution
//! the mine-side names carry (U1–U5 time field). On PostgreSQL the time columns are
//! `COLLATE "C"`, so the comparison is the same byte order as on SQLite.

use crate::db::{Conn, Row, Value};
use crate::error::Result;
use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone, Utc};
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

fn event_from_row(row: &Row) -> Result<EventRow> {
    let sha256: String = row.get("sha256")?;
    let media_type: Option<String> = row.get("media_type")?;
    let evidence = match media_type {
        Some(media_type) => Some(evidence_from_row(row, sha256.clone(), media_type)?),
        None => None,
    };
    Ok(EventRow {
        id: row.get("id")?,
        name: row.get("name")?,
        clause: row.get("clause")?,
        mine: row.get("mine")?,
        camera: row.get("camera")?,
        analysis_type: row.get("analysis_type")?,
        daily_count: row.get("daily_count")?,
        transport_state: row.get("transport_state")?,
        lock_code: row.get("lock_code")?,
        lock_state: row.get("lock_state")?,
        mine_time: row.get("mine_time")?,
        event_utc: row.get("event_utc")?,
        received_at: row.get("received_at")?,
        channel: row.get("channel")?,
        account: row.get("account")?,
        sha256,
        findings: json_column(row.get("findings")?).unwrap_or_else(|| serde_json::json!([])),
        metadata: json_column(row.get("metadata")?),
        evidence,
    })
}

/// The `evidence` columns of `row` (read by name, so an event joined with its evidence reads
/// the same way).
fn evidence_from_row(row: &Row, sha256: String, media_type: String) -> Result<EvidenceInfo> {
    Ok(EvidenceInfo {
        sha256,
        size: row.get("size")?,
        media_type,
        width: row.get("width")?,
        height: row.get("height")?,
        codec: row.get("codec")?,
        duration_ms: row.get("duration_ms")?,
        stored_at: row.get("stored_at")?,
    })
}

fn rows<T>(rows: Vec<Row>, f: impl Fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

/// Builds `WHERE ...` clauses and their parameters.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    params: Vec<Value>,
}

impl Where {
    /// `column <op> $N` with the next parameter number.
    fn push(&mut self, column: &str, op: &str, value: Value) {
        self.params.push(value);
        self.clauses
            .push(format!("{column} {op} ${}", self.params.len()));
    }

    fn eq(&mut self, column: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.push(column, "=", Value::Text(v.clone()));
        }
    }

    fn range(&mut self, column: &str, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) {
        if let Some(from) = from {
            // A stored value "…:SS[.fff]Z" sorts at or after its "…:SS" prefix.
            self.push(column, ">=", Value::Text(time_key(from)));
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
            self.push(column, "<", Value::Text(time_key(bound)));
        }
    }

    fn after(&mut self, column: &str, after_id: Option<i64>) {
        if let Some(id) = after_id {
            self.push(column, ">", Value::I64(id));
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
pub fn list_events(conn: &mut Conn, filter: &EventFilter) -> Result<Vec<EventRow>> {
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
    rows(conn.query(&sql, &w.params)?, event_from_row)
}

/// One event by its file name.
pub fn get_event_by_name(conn: &mut Conn, name: &str) -> Result<Option<EventRow>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e LEFT JOIN evidence v ON v.sha256 = e.sha256 \
         WHERE e.name = $1"
    );
    conn.query_opt(&sql, &[name.into()])?
        .as_ref()
        .map(event_from_row)
        .transpose()
}

/// Every violation, oldest first (for tests and diagnostics; the API pages with
/// [`list_violations`]).
pub fn all_violations(conn: &mut Conn) -> Result<Vec<ViolationRow>> {
    let sql = format!("SELECT {VIOLATION_COLUMNS} FROM violations ORDER BY id");
    rows(conn.query(&sql, &[])?, violation_from_row)
}

/// One event by id.
pub fn get_event(conn: &mut Conn, id: i64) -> Result<Option<EventRow>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e LEFT JOIN evidence v ON v.sha256 = e.sha256 \
         WHERE e.id = $1"
    );
    conn.query_opt(&sql, &[id.into()])?
        .as_ref()
        .map(event_from_row)
        .transpose()
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

fn violation_from_row(row: &Row) -> Result<ViolationRow> {
    Ok(ViolationRow {
        id: row.get("id")?,
        received_at: row.get("received_at")?,
        channel: row.get("channel")?,
        account: row.get("account")?,
        mine: row.get("mine")?,
        name: row.get("name")?,
        kind: row.get("kind")?,
        clause: row.get("clause")?,
        field: row.get("field")?,
        reason: row.get("reason")?,
        sha256: row.get("sha256")?,
        size: row.get("size")?,
    })
}

/// Violations matching `filter`, oldest id first.
pub fn list_violations(conn: &mut Conn, filter: &ViolationFilter) -> Result<Vec<ViolationRow>> {
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
    rows(conn.query(&sql, &w.params)?, violation_from_row)
}

/// One violation by id.
pub fn get_violation(conn: &mut Conn, id: i64) -> Result<Option<ViolationRow>> {
    let sql = format!("SELECT {VIOLATION_COLUMNS} FROM violations WHERE id = $1");
    conn.query_opt(&sql, &[id.into()])?
        .as_ref()
        .map(violation_from_row)
        .transpose()
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
pub fn insert_violation(conn: &mut Conn, v: &NewViolation<'_>) -> Result<i64> {
    conn.insert_id(
        "INSERT INTO violations \
         (received_at, channel, account, mine, name, kind, clause, field, reason, sha256, size) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        &[
            now_rfc3339().into(),
            v.channel.into(),
            v.account.into(),
            v.mine.into(),
            v.name.into(),
            v.kind.into(),
            v.clause.into(),
            v.field.into(),
            v.reason.into(),
            v.sha256.into(),
            v.size.into(),
        ],
    )
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
    /// The IP address the last registration came from (null for registrations made before the
    /// platform recorded it). A judge compares it with the URL's host: the stream should be
    /// served by the device that registered it (U6).
    pub peer: Option<String>,
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
    /// The IP address the registration came from (null when not recorded).
    pub peer: Option<String>,
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

fn stream_from_row(row: &Row) -> Result<StreamRow> {
    Ok(StreamRow {
        mine: row.get("mine")?,
        camera: row.get("camera")?,
        url: row.get("url")?,
        registered_at: row.get("registered_at")?,
        updated_at: row.get("updated_at")?,
        revision: row.get("revision")?,
        peer: row.get("peer")?,
    })
}

const STREAM_COLUMNS: &str = "mine, camera, url, registered_at, updated_at, revision, peer";

/// Upserts the current address of `mine`/`camera` and appends the registration to the
/// history, in one transaction (U6: "uploads it again at once whenever it changes"). `peer` is
/// the IP address the registration came from, when the server knows it.
pub fn register_stream(
    conn: &mut Conn,
    mine: &str,
    camera: &str,
    url: &str,
    account: &str,
    peer: Option<&str>,
) -> Result<(StreamRow, StreamChange)> {
    let now = now_rfc3339();
    let key = [Value::from(mine), Value::from(camera)];
    conn.transaction(|tx| {
        let current = tx.query_opt(
            "SELECT url FROM streams WHERE mine = $1 AND camera = $2",
            &key,
        )?;
        let with = |extra: &[&str]| {
            let mut p = key.to_vec();
            p.extend(extra.iter().map(|s| Value::from(*s)));
            p.push(Value::from(peer));
            p
        };
        let change = match current.map(|r| r.text("url")).transpose()? {
            None => {
                tx.execute(
                    "INSERT INTO streams \
                     (mine, camera, url, registered_at, updated_at, revision, peer) \
                     VALUES ($1, $2, $3, $4, $4, 1, $5)",
                    &with(&[url, &now]),
                )?;
                StreamChange::Created
            }
            Some(old) if old == url => {
                tx.execute(
                    "UPDATE streams SET updated_at = $3, peer = $4 \
                     WHERE mine = $1 AND camera = $2",
                    &with(&[&now]),
                )?;
                StreamChange::Unchanged
            }
            Some(_) => {
                tx.execute(
                    "UPDATE streams SET url = $3, updated_at = $4, revision = revision + 1, \
                     peer = $5 WHERE mine = $1 AND camera = $2",
                    &with(&[url, &now]),
                )?;
                StreamChange::Updated
            }
        };
        tx.execute(
            "INSERT INTO stream_history (mine, camera, url, received_at, account, peer) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &with(&[url, &now, account]),
        )?;
        let row = tx.query_one(
            &format!("SELECT {STREAM_COLUMNS} FROM streams WHERE mine = $1 AND camera = $2"),
            &key,
        )?;
        Ok((stream_from_row(&row)?, change))
    })
}

/// Current stream addresses, of one mine or of all, ordered by mine then camera.
pub fn list_streams(conn: &mut Conn, mine: Option<&str>) -> Result<Vec<StreamRow>> {
    let found = match mine {
        Some(m) => conn.query(
            &format!("SELECT {STREAM_COLUMNS} FROM streams WHERE mine = $1 ORDER BY mine, camera"),
            &[m.into()],
        )?,
        None => conn.query(
            &format!("SELECT {STREAM_COLUMNS} FROM streams ORDER BY mine, camera"),
            &[],
        )?,
    };
    rows(found, stream_from_row)
}

/// The current address of one camera.
pub fn get_stream(conn: &mut Conn, mine: &str, camera: &str) -> Result<Option<StreamRow>> {
    conn.query_opt(
        &format!("SELECT {STREAM_COLUMNS} FROM streams WHERE mine = $1 AND camera = $2"),
        &[mine.into(), camera.into()],
    )?
    .as_ref()
    .map(stream_from_row)
    .transpose()
}

/// Every registration of one camera, oldest first.
pub fn stream_history(conn: &mut Conn, mine: &str, camera: &str) -> Result<Vec<StreamHistoryRow>> {
    let found = conn.query(
        "SELECT id, url, received_at, account, peer FROM stream_history \
         WHERE mine = $1 AND camera = $2 ORDER BY id",
        &[mine.into(), camera.into()],
    )?;
    rows(found, |r| {
        Ok(StreamHistoryRow {
            id: r.get("id")?,
            url: r.get("url")?,
            received_at: r.get("received_at")?,
            account: r.get("account")?,
            peer: r.get("peer")?,
        })
    })
}

/// An evidence blob's media type and size, if it is stored.
pub fn evidence_info(conn: &mut Conn, sha256: &str) -> Result<Option<EvidenceInfo>> {
    conn.query_opt(
        "SELECT sha256, size, media_type, width, height, codec, duration_ms, stored_at \
         FROM evidence WHERE sha256 = $1",
        &[sha256.into()],
    )?
    .map(|r| evidence_from_row(&r, r.get("sha256")?, r.get("media_type")?))
    .transpose()
}

/// Whether an event of `mine` refers to the blob `sha256` (a mine may read its own evidence).
pub fn evidence_belongs_to(conn: &mut Conn, sha256: &str, mine: &str) -> Result<bool> {
    conn.query_one(
        "SELECT EXISTS (SELECT 1 FROM events WHERE sha256 = $1 AND mine = $2) AS found",
        &[sha256.into(), mine.into()],
    )?
    .bool("found")
}

/// A trivial query proving the database answers (health check).
pub fn ping(conn: &mut Conn) -> Result<()> {
    conn.query_one("SELECT COUNT(*) AS n FROM mines", &[])?
        .i64("n")
        .map(drop)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::db::Db;
    use crate::db::testing::on_both_backends;

    on_both_backends!(
        event_filters,
        event_row_carries_evidence_and_json,
        stream_revisions_and_history,
        violations_insert_and_filter,
    );

    /// Two mines, one evidence blob and three events (ids 1, 2, 3).
    async fn seeded(db: Db) -> Db {
        db.run(|c| {
            c.execute_batch(
                "INSERT INTO regions VALUES ('140421', 'county', 'county', NULL);
                 INSERT INTO mines VALUES ('140421007866', 'm1', '140421', '停产');
                 INSERT INTO mines VALUES ('140421007867', 'm2', '140421', '停产');
                 INSERT INTO evidence VALUES ('aa', 3, 'image/jpeg', 64, 48, 'jpeg', NULL, 't');",
            )?;
            for (i, (mine, camera, ty, utc)) in [
                ("140421007866", "20", "01", "2021-01-04T14:45:15Z"),
                ("140421007866", "30", "02", "2021-01-05T12:08:20Z"),
                ("140421007867", "20", "01", "2021-01-05T12:08:21.500Z"),
            ]
            .into_iter()
            .enumerate()
            {
                c.execute(
                    "INSERT INTO events (name, clause, mine, camera, analysis_type, daily_count, \
                     mine_time, event_utc, received_at, channel, account, sha256, findings) \
                     VALUES ($1, $2, $3, $4, $5, 1, 'x', $6, 'r', 'ftp', 'a', 'aa', '[]')",
                    &[
                        format!("n{i}").into(),
                        if ty == "01" { "U1" } else { "U2" }.into(),
                        mine.into(),
                        camera.into(),
                        ty.into(),
                        utc.into(),
                    ],
                )?;
            }
            Ok(())
        })
        .await
        .expect("seed");
        db
    }

    async fn ids(db: &Db, f: &EventFilter) -> Vec<i64> {
        let f = f.clone();
        db.run(move |c| list_events(c, &f))
            .await
            .expect("list")
            .iter()
            .map(|e| e.id)
            .collect()
    }

    async fn event_filters(db: Db) {
        let db = seeded(db).await;
        let all = EventFilter {
            limit: 100,
            ..Default::default()
        };
        assert_eq!(ids(&db, &all).await, [1, 2, 3]);
        let mine = EventFilter {
            mine: Some("140421007867".into()),
            ..all.clone()
        };
        assert_eq!(ids(&db, &mine).await, [3]);
        let camera = EventFilter {
            camera: Some("30".into()),
            ..all.clone()
        };
        assert_eq!(ids(&db, &camera).await, [2]);
        let clause = EventFilter {
            clause: Some("U1".into()),
            ..all.clone()
        };
        assert_eq!(ids(&db, &clause).await, [1, 3]);
        let ty = EventFilter {
            analysis_type: Some("02".into()),
            ..all.clone()
        };
        assert_eq!(ids(&db, &ty).await, [2]);
        let page = EventFilter {
            after_id: Some(1),
            limit: 1,
            ..all.clone()
        };
        assert_eq!(ids(&db, &page).await, [2]);
        // Half-open interval, one-second resolution, fractional stored seconds included.
        let from = parse_time_filter("20210105200820");
        let f = EventFilter {
            from,
            ..all.clone()
        };
        assert_eq!(ids(&db, &f).await, [2, 3]);
        let to = parse_time_filter("2021-01-05T12:08:21Z");
        let f = EventFilter { to, ..all.clone() };
        assert_eq!(ids(&db, &f).await, [1, 2]);
        let to = parse_time_filter("2021-01-05T20:08:22+08:00");
        let f = EventFilter {
            from,
            to,
            ..all.clone()
        };
        assert_eq!(ids(&db, &f).await, [2, 3]);
    }

    async fn event_row_carries_evidence_and_json(db: Db) {
        let db = seeded(db).await;
        let (e, none) = db
            .run(|c| Ok((get_event(c, 1)?, get_event(c, 99)?)))
            .await
            .expect("query");
        let e = e.expect("row");
        assert_eq!(e.findings, serde_json::json!([]));
        assert_eq!(
            e.evidence.as_ref().map(|v| v.media_type.as_str()),
            Some("image/jpeg")
        );
        assert_eq!(e.evidence.as_ref().and_then(|v| v.width), Some(64));
        assert!(none.is_none());
        let by_name = db
            .run(|c| get_event_by_name(c, "n1"))
            .await
            .expect("query")
            .expect("row");
        assert_eq!(by_name.id, 2);
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

    async fn stream_revisions_and_history(db: Db) {
        let db = seeded(db).await;
        db.run(|conn| {
            let (m, c) = ("140421007866", "10");
            let (row, ch) = register_stream(conn, m, c, "http://a/?action=stream", "u", None)?;
            assert_eq!((row.revision, ch), (1, StreamChange::Created));
            let (row, ch) = register_stream(conn, m, c, "http://a/?action=stream", "u", None)?;
            assert_eq!((row.revision, ch), (1, StreamChange::Unchanged));
            let (row, ch) =
                register_stream(conn, m, c, "http://b/?action=stream", "u", Some("10.0.0.7"))?;
            assert_eq!((row.revision, ch), (2, StreamChange::Updated));
            assert_eq!(row.url, "http://b/?action=stream");
            assert_eq!(
                row.peer.as_deref(),
                Some("10.0.0.7"),
                "the current row names its peer"
            );
            register_stream(conn, m, "02", "http://c/?action=stream", "u", None)?;
            let h = stream_history(conn, m, c)?;
            assert_eq!(h.len(), 3);
            let peers: Vec<_> = h.iter().map(|r| r.peer.as_deref()).collect();
            assert_eq!(
                peers,
                [None, None, Some("10.0.0.7")],
                "each registration keeps its own"
            );
            let cameras: Vec<String> = list_streams(conn, Some(m))?
                .into_iter()
                .map(|s| s.camera)
                .collect();
            assert_eq!(cameras, ["02", "10"]);
            assert_eq!(list_streams(conn, None)?.len(), 2);
            assert_eq!(list_streams(conn, Some("140421007867"))?.len(), 0);
            assert_eq!(get_stream(conn, m, c)?.map(|s| s.revision), Some(2));
            assert!(get_stream(conn, m, "99")?.is_none());
            Ok(())
        })
        .await
        .unwrap();
    }

    async fn violations_insert_and_filter(db: Db) {
        let db = seeded(db).await;
        db.run(|conn| {
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
            let id = insert_violation(conn, &v)?;
            let f = ViolationFilter {
                kind: Some("metadata".into()),
                limit: 10,
                ..Default::default()
            };
            let rows = list_violations(conn, &f)?;
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].id, id);
            assert_eq!(rows[0].field.as_deref(), Some("lock_state"));
            assert_eq!(get_violation(conn, id)?.as_ref(), Some(&rows[0]));
            assert_eq!(all_violations(conn)?, rows);
            let f = ViolationFilter {
                mine: Some("140421007867".into()),
                limit: 10,
                ..Default::default()
            };
            assert!(list_violations(conn, &f)?.is_empty());
            assert!(evidence_belongs_to(conn, "aa", "140421007866")?);
            assert!(!evidence_belongs_to(conn, "aa", "999999999999")?);
            let info = evidence_info(conn, "aa")?.expect("evidence row");
            assert_eq!((info.size, info.codec.as_deref()), (3, Some("jpeg")));
            ping(conn)
        })
        .await
        .unwrap();
    }
}
