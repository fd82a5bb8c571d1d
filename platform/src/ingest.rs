//! The one path every upload takes, FTP (U1–U4) and HTTPS (U5) alike.
//!
//! [`Ingest::accept`] decides, in this order: size, path (`..` refused), name (U1–U5), mine
//! (the account's own, U7/R1), channel (U1–U4 by FTP, U5 by HTTPS), content (JPEG decodes;
//! MP4 is H.264 with a duration), U5 metadata, then duplicates. A refusal is recorded as a
//! `violations` row (bytes quarantined) and never becomes an event or evidence. An acceptance
//! writes the evidence file atomically and durably, then commits the evidence and event rows in
//! one transaction, and only then returns: an acknowledged upload survives a crash. A crash
//! between the file's rename and the commit leaves a file no event references; [`Ingest::new`]
//! moves such files to `quarantine/orphans/` at start-up, so the evidence tree holds what the
//! events (and the regulators' handling photos, [`Ingest::keep_referenced`]) reference and
//! nothing else.
//!
//! Same name + same bytes again is an idempotent success (`duplicate: true`, no new row). Same
//! name + different bytes is a `conflict` violation; the original stays. The `UNIQUE(name)`
//! constraint decides races between concurrent uploads, on either backend: the insert is
//! `ON CONFLICT (name) DO NOTHING RETURNING id`, and the loser rolls back and reads the winner.
//!
//! The SQL is the [`crate::db`] layer's, the same on SQLite and PostgreSQL. On SQLite the
//! store lets one commit write at a time ([`Store::call`]); on PostgreSQL commits of different
//! bytes run side by side, and only uploads of the same bytes take turns (a lock per digest
//! stripe), so that one upload's "is the file there?" check cannot interleave with another's
//! removal of a file its lost race left unreferenced.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{SecondsFormat, Utc};
use eseal_protocol::{EvidenceName, Extension, Finding, LockEventMetadata, NameError};
use serde::Serialize;

use crate::accounts::MineAccount;
use crate::content::{self, ContentInfo, MediaKind};
use crate::db::{Conn, Value};
use crate::error::{Error, Result};
use crate::evidence::{Digest32, EvidenceStore, OrphanSweep, digest_of, sha256_hex};
use crate::metrics::IngestMetrics;
use crate::query::{self, NewViolation};
use crate::store::Store;

/// Now as RFC 3339 UTC with milliseconds (`2021-01-04T14:45:15.123Z`).
pub fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// How the upload arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// FTP (U1–U4).
    Ftp,
    /// HTTPS POST (U5).
    Https,
}

impl Channel {
    /// `"ftp"` / `"https"`, as stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Ftp => "ftp",
            Channel::Https => "https",
        }
    }
}

/// The uploaded bytes: in memory, or a temp file that is removed when ingest is done with it.
#[derive(Debug)]
pub enum UploadBody {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// A temp file (preferably under [`Ingest::tmp_dir`]); deleted on drop.
    TempFile(tempfile::TempPath),
}

impl From<Vec<u8>> for UploadBody {
    fn from(v: Vec<u8>) -> Self {
        UploadBody::Bytes(v)
    }
}

/// One upload to judge.
#[derive(Debug)]
pub struct Upload<'a> {
    /// Who sent it (authenticated).
    pub account: &'a MineAccount,
    /// How.
    pub channel: Channel,
    /// The name as sent; may carry a directory prefix (`/incoming/…`), never `..`.
    pub name: &'a str,
    /// The bytes.
    pub body: UploadBody,
    /// U5: the JSON body as received.
    pub metadata: Option<serde_json::Value>,
}

/// An accepted upload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Accepted {
    /// `events.id`.
    pub event_id: i64,
    /// The file name (without any directory prefix).
    pub name: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// True when this exact upload had been accepted before (idempotent re-upload).
    pub duplicate: bool,
    /// Ambiguities of the name (U3 form, U5 extension …).
    pub findings: Vec<Finding>,
}

/// Why an upload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    /// The name does not parse, or the path is not allowed. FTP 553.
    Name,
    /// The name's mine is not the account's. FTP 550.
    MineMismatch,
    /// U1–U4 not by FTP, or U5 not by HTTPS. FTP 553.
    Channel,
    /// The bytes are not what the extension and clause require. FTP 551.
    Content,
    /// The name was accepted before with different bytes. FTP 553.
    Conflict,
    /// The U5 JSON body is malformed or disagrees with the name.
    Metadata,
    /// Larger than the configured maximum. FTP 552.
    TooLarge,
    /// The transfer was cut off before it completed (FTP data connection reset). FTP 426.
    Aborted,
    /// The platform failed (disk, database); nothing was recorded as accepted. FTP 451.
    Internal,
}

impl RefusalKind {
    /// The value stored in `violations.kind`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RefusalKind::Name => "name",
            RefusalKind::MineMismatch => "mine_mismatch",
            RefusalKind::Channel => "channel",
            RefusalKind::Content => "content",
            RefusalKind::Conflict => "conflict",
            RefusalKind::Metadata => "metadata",
            RefusalKind::TooLarge => "too_large",
            RefusalKind::Aborted => "aborted",
            RefusalKind::Internal => "internal",
        }
    }

    /// The FTP reply code for this refusal.
    pub const fn ftp_code(self) -> u16 {
        match self {
            RefusalKind::Name
            | RefusalKind::Channel
            | RefusalKind::Conflict
            | RefusalKind::Metadata => 553,
            RefusalKind::MineMismatch => 550,
            RefusalKind::Content => 551,
            RefusalKind::TooLarge => 552,
            RefusalKind::Aborted => 426,
            RefusalKind::Internal => 451,
        }
    }
}

/// A refused upload, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// What kind of problem.
    pub kind: RefusalKind,
    /// The clause broken, when there is one (`U1`, `R1`, `U5` …).
    pub clause: Option<String>,
    /// The offending name field, when there is one (`count`, `mine` …).
    pub field: Option<String>,
    /// One line saying why, safe to show the client, e.g.
    /// `U1 field count: expected 4 digits at 16..20, found "00a5"`.
    pub reason: String,
    /// `violations.id`; 0 when it could not be recorded (`Internal`).
    pub violation_id: i64,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// A refusal a channel front-end made itself, outside [`Ingest::accept`] (the HTTPS API's
/// token, multipart and JSON checks; U6 registrations), to record as a `violations` row.
#[derive(Debug, Clone)]
pub struct FrontRefusal {
    /// How the request arrived.
    pub channel: Channel,
    /// The account's user name; empty when unknown.
    pub account: String,
    /// The account's mine.
    pub mine: Option<String>,
    /// The file name as sent, or the request path when there is none.
    pub name: String,
    /// `violations.kind`.
    pub kind: &'static str,
    /// The clause broken, when known.
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

#[derive(Debug)]
struct Inner {
    store: Store,
    evidence: EvidenceStore,
    max_upload_size: u64,
    metrics: IngestMetrics,
    sweep: OrphanSweep,
    /// Turns of uploads of the same bytes, by the digest's first byte (see the module docs).
    digest_locks: Vec<Mutex<()>>,
    /// Signalled after every new event's commit (see [`Ingest::committed`]).
    committed: tokio::sync::Notify,
}

/// Stripes of [`Inner::digest_locks`].
const DIGEST_LOCKS: usize = 16;

/// The ingest service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Ingest {
    inner: Arc<Inner>,
}

pub use crate::query::{EventRow, ViolationRow};

/// Drops a trailing ` (U1)` / ` (U1-U5)` / ` (U1/U2)` clause citation from a protocol error's text.
fn without_clause_suffix(s: &str) -> &str {
    match s.rfind(" (") {
        Some(i)
            if s.ends_with(')')
                && s[i + 2..s.len() - 1]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/') =>
        {
            &s[..i]
        }
        _ => s,
    }
}

/// A refusal before it is recorded.
struct Pending {
    kind: RefusalKind,
    clause: Option<String>,
    field: Option<String>,
    reason: String,
}

fn pending(
    kind: RefusalKind,
    clause: Option<&str>,
    field: Option<&str>,
    reason: impl Into<String>,
) -> Pending {
    Pending {
        kind,
        clause: clause.map(str::to_owned),
        field: field.map(str::to_owned),
        reason: reason.into(),
    }
}

fn name_refusal(e: &NameError) -> Pending {
    let text = e.to_string();
    pending(
        RefusalKind::Name,
        Some(e.clause),
        Some(&e.field.to_string()),
        format!("{} {}", e.clause, without_clause_suffix(&text)),
    )
}

/// The last path component of what the client sent, or why it is not acceptable. A refusal
/// names the field `name` (the file name as a whole), as the protocol's parser does.
fn file_name_of(sent: &str) -> std::result::Result<&str, Pending> {
    let field = eseal_protocol::Field::Name.as_str();
    let comps: Vec<&str> = sent.split(['/', '\\']).collect();
    if comps.contains(&"..") {
        return Err(pending(
            RefusalKind::Name,
            Some("U1-U5"),
            Some(field),
            format!(
                "U1-U5 field {field}: path {:?} contains \"..\"; upload plain file names (a directory prefix is ignored)",
                excerpt(sent)
            ),
        ));
    }
    let last = comps.last().copied().unwrap_or("");
    if last.is_empty() {
        return Err(pending(
            RefusalKind::Name,
            Some("U1-U5"),
            Some(field),
            format!(
                "U1-U5 field {field}: path {:?} has no file name",
                excerpt(sent)
            ),
        ));
    }
    Ok(last)
}

fn excerpt(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

struct Checked {
    name: String,
    parsed: EvidenceName,
    findings: Vec<Finding>,
    info: ContentInfo,
}

impl Ingest {
    /// Ingest into `store`, keeping evidence under `data_dir` (see [`EvidenceStore`]).
    /// Blocking (creates directories, empties `tmp/`, sweeps orphans — see
    /// [`Ingest::orphan_sweep`]): call at start-up, before any other `Ingest` uses `data_dir`.
    pub fn new(store: Store, data_dir: impl Into<PathBuf>, max_upload_size: u64) -> Result<Ingest> {
        let evidence = EvidenceStore::open(data_dir.into())?;
        let sweep = sweep_orphans(&store, &evidence)?;
        Ok(Ingest {
            inner: Arc::new(Inner {
                store,
                evidence,
                max_upload_size,
                metrics: IngestMetrics::default(),
                sweep,
                digest_locks: (0..DIGEST_LOCKS).map(|_| Mutex::new(())).collect(),
                committed: tokio::sync::Notify::new(),
            }),
        })
    }

    /// What the start-up sweep did: evidence files no event references (left by a crash
    /// between the file's rename and its event's commit) moved to `quarantine/orphans/`, and
    /// `evidence` rows no event references deleted.
    pub fn orphan_sweep(&self) -> OrphanSweep {
        self.inner.sweep
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The evidence files.
    pub fn evidence(&self) -> &EvidenceStore {
        &self.inner.evidence
    }

    /// Where channel front-ends should spool uploads in flight.
    pub fn tmp_dir(&self) -> &std::path::Path {
        self.inner.evidence.tmp_dir()
    }

    /// The configured maximum upload size in bytes.
    pub fn max_upload_size(&self) -> u64 {
        self.inner.max_upload_size
    }

    /// The one metrics registry of uploads and violations, every channel (see
    /// [`crate::metrics`]); `/metrics` renders it.
    pub fn metrics(&self) -> &IngestMetrics {
        &self.inner.metrics
    }

    /// Completes after a new event has been committed (at once when one was committed since the
    /// last wait). For the one consumer that follows the `events` table in id order (the
    /// supervision worker): a wake-up, not a delivery — the consumer reads the table, so an
    /// event committed while nobody waited is never missed.
    pub async fn committed(&self) {
        self.inner.committed.notified().await;
    }

    /// Judges one upload; see the module docs. Returns only after the outcome is durable.
    /// Counts the outcome and the time it took in [`Ingest::metrics`].
    pub async fn accept(&self, up: Upload<'_>) -> std::result::Result<Accepted, Refusal> {
        let started = Instant::now();
        let this = self.clone();
        let account = up.account.clone();
        let channel = up.channel;
        let sent = up.name.to_owned();
        let body = up.body;
        let metadata = up.metadata;
        let outcome = tokio::task::spawn_blocking(move || {
            this.accept_blocking(&account, channel, &sent, body, metadata)
        })
        .await;
        let outcome = outcome.unwrap_or_else(|e| {
            tracing::error!(error = %e, "ingest task failed");
            self.inner.metrics.refused(channel, None);
            Err(internal_refusal())
        });
        self.inner.metrics.observe(channel, started.elapsed());
        outcome
    }

    /// Records a refused upload that a channel front-end turned away before it reached
    /// [`Ingest::accept`]; counted as a refused upload and a violation. Returns the row id.
    pub async fn record_refused_upload(&self, r: FrontRefusal) -> Result<i64> {
        self.inner.metrics.refused(r.channel, r.clause.as_deref());
        self.record_violation(r).await
    }

    /// Records a violation that is not an upload (e.g. a refused U6 registration); counted as a
    /// violation of its kind. Returns the row id.
    pub async fn record_violation(&self, r: FrontRefusal) -> Result<i64> {
        let (channel, kind) = (r.channel, r.kind);
        let id = self
            .inner
            .store
            .call(move |c| {
                query::insert_violation(
                    c,
                    &NewViolation {
                        channel: r.channel.as_str(),
                        account: &r.account,
                        mine: r.mine.as_deref(),
                        name: &r.name,
                        kind: r.kind,
                        clause: r.clause.as_deref(),
                        field: r.field.as_deref(),
                        reason: &r.reason,
                        sha256: r.sha256.as_deref(),
                        size: r.size,
                    },
                )
            })
            .await?;
        self.inner.metrics.violation(channel, kind);
        Ok(id)
    }

    /// Records an upload that never completed (e.g. an FTP data connection reset), so that the
    /// attempt is visible. Nothing is stored as evidence.
    pub async fn record_aborted(
        &self,
        account: &MineAccount,
        channel: Channel,
        sent: &str,
        received: u64,
        why: &str,
    ) -> Refusal {
        let this = self.clone();
        let account = account.clone();
        let sent = sent.to_owned();
        let reason = format!(
            "upload aborted after {received} bytes: {why}; nothing was stored, send it again"
        );
        let res = tokio::task::spawn_blocking(move || {
            this.refuse(
                &account,
                channel,
                &sent,
                None,
                pending(RefusalKind::Aborted, None, None, reason),
            )
        })
        .await;
        res.unwrap_or_else(|_| internal_refusal())
    }

    /// Records an upload refused for its size without reading it all.
    pub async fn record_too_large(
        &self,
        account: &MineAccount,
        channel: Channel,
        sent: &str,
    ) -> Refusal {
        let this = self.clone();
        let account = account.clone();
        let sent = sent.to_owned();
        let max = self.inner.max_upload_size;
        let res = tokio::task::spawn_blocking(move || {
            this.refuse(
                &account,
                channel,
                &sent,
                None,
                pending(RefusalKind::TooLarge, None, None, too_large_reason(max)),
            )
        })
        .await;
        res.unwrap_or_else(|_| internal_refusal())
    }

    fn accept_blocking(
        &self,
        account: &MineAccount,
        channel: Channel,
        sent: &str,
        body: UploadBody,
        metadata: Option<serde_json::Value>,
    ) -> std::result::Result<Accepted, Refusal> {
        let max = self.inner.max_upload_size;
        let bytes = match body {
            UploadBody::Bytes(b) => b,
            UploadBody::TempFile(p) => {
                let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                if len > max {
                    return Err(self.refuse(
                        account,
                        channel,
                        sent,
                        None,
                        pending(RefusalKind::TooLarge, None, None, too_large_reason(max)),
                    ));
                }
                match std::fs::read(&p) {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(path = %p.display(), error = %e, "could not read spooled upload");
                        self.inner.metrics.refused(channel, None);
                        return Err(internal_refusal());
                    }
                }
            }
        };
        if bytes.len() as u64 > max {
            return Err(self.refuse(
                account,
                channel,
                sent,
                None,
                pending(RefusalKind::TooLarge, None, None, too_large_reason(max)),
            ));
        }
        let sha = sha256_hex(&bytes);
        let checked = match self.check(account, channel, sent, &bytes, metadata.as_ref()) {
            Ok(c) => c,
            Err(p) => return Err(self.refuse(account, channel, sent, Some((&sha, &bytes)), p)),
        };
        match self.commit(account, channel, &checked, &sha, &bytes, metadata.as_ref()) {
            Ok(Commit::New(event_id)) => {
                self.inner.metrics.accepted(
                    channel,
                    checked.parsed.clause().as_str(),
                    bytes.len() as u64,
                );
                tracing::info!(name = %checked.name, event_id, account = %account.username, "accepted");
                self.inner.committed.notify_one();
                Ok(Accepted {
                    event_id,
                    name: checked.name,
                    sha256: sha,
                    duplicate: false,
                    findings: checked.findings,
                })
            }
            Ok(Commit::Duplicate(event_id)) => {
                self.inner
                    .metrics
                    .duplicate(channel, checked.parsed.clause().as_str());
                Ok(Accepted {
                    event_id,
                    name: checked.name,
                    sha256: sha,
                    duplicate: true,
                    findings: checked.findings,
                })
            }
            Ok(Commit::Conflict { event_id, original }) => {
                let reason = format!(
                    "U8 {} was already accepted (event {event_id}) with different content (sha256 {}…); the original is kept, re-send the same bytes or use a new time",
                    checked.name,
                    &original[..original.len().min(16)]
                );
                let p = pending(RefusalKind::Conflict, Some("U8"), None, reason);
                Err(self.refuse(account, channel, sent, Some((&sha, &bytes)), p))
            }
            Err(e) => {
                tracing::error!(name = %checked.name, error = %e, "could not commit an upload");
                self.inner.metrics.refused(channel, None);
                Err(internal_refusal())
            }
        }
    }

    fn check(
        &self,
        account: &MineAccount,
        channel: Channel,
        sent: &str,
        bytes: &[u8],
        metadata: Option<&serde_json::Value>,
    ) -> std::result::Result<Checked, Pending> {
        let file_name = file_name_of(sent)?;
        let parsed = EvidenceName::parse(file_name).map_err(|e| name_refusal(&e))?;
        let name = parsed.name;
        let clause = name.clause().as_str();
        let mine = name.mine();
        if mine != account.mine {
            return Err(pending(
                RefusalKind::MineMismatch,
                Some("U7"),
                Some("mine"),
                format!(
                    "U7 mine code {} in the name is not this account's mine {} (account {} may upload only its own mine's evidence)",
                    mine.as_str(),
                    account.mine.as_str(),
                    account.username
                ),
            ));
        }
        let expected_channel = if clause == "U5" {
            Channel::Https
        } else {
            Channel::Ftp
        };
        if channel != expected_channel {
            let how = match expected_channel {
                Channel::Ftp => "by FTP",
                Channel::Https => "by HTTPS POST",
            };
            return Err(pending(
                RefusalKind::Channel,
                Some(clause),
                None,
                format!(
                    "{clause} evidence is uploaded {how}, not by {}",
                    channel.as_str().to_uppercase()
                ),
            ));
        }
        let kind = match name.extension() {
            Extension::Jpg => MediaKind::Jpeg,
            Extension::Mp4 => MediaKind::Mp4,
        };
        let info = content::check(kind, clause, bytes).map_err(|r| {
            pending(
                RefusalKind::Content,
                r.clause.or(Some(clause)),
                None,
                r.reason,
            )
        })?;
        if let Some(m) = metadata {
            if clause != "U5" {
                return Err(pending(
                    RefusalKind::Metadata,
                    Some(clause),
                    None,
                    format!(
                        "metadata: a JSON body is defined only for U5 lock events, not {clause}"
                    ),
                ));
            }
            let meta: LockEventMetadata = serde_json::from_value(m.clone()).map_err(|e| {
                pending(
                    RefusalKind::Metadata,
                    Some("U5"),
                    None,
                    format!("metadata: {e}"),
                )
            })?;
            meta.check_consistent(&name).map_err(|e| {
                let text = e.to_string();
                pending(
                    RefusalKind::Metadata,
                    Some(e.clause),
                    Some(&e.field.to_string()),
                    format!("metadata: {}", without_clause_suffix(&text)),
                )
            })?;
        }
        Ok(Checked {
            name: file_name.to_owned(),
            parsed: name,
            findings: parsed.findings,
            info,
        })
    }

    fn commit(
        &self,
        account: &MineAccount,
        channel: Channel,
        c: &Checked,
        sha: &str,
        bytes: &[u8],
        metadata: Option<&serde_json::Value>,
    ) -> Result<Commit> {
        let store = &self.inner.store;
        let evidence = &self.inner.evidence;
        // Cheap look-up first so that re-uploads and conflicts write nothing.
        let existing = store.read_blocking(|conn| existing_event(conn, &c.name))?;
        if let Some(outcome) = classify(existing, sha) {
            return Ok(outcome);
        }
        evidence.store(sha, bytes)?;
        let n = &c.parsed;
        let findings = serde_json::to_string(&c.findings).unwrap_or_else(|_| "[]".to_owned());
        let now = now_rfc3339();
        let evidence_row = [
            Value::from(sha),
            Value::I64(bytes.len() as i64),
            c.info.media_type.into(),
            c.info.width.map(i64::from).into(),
            c.info.height.map(i64::from).into(),
            (&c.info.codec).into(),
            c.info
                .duration_ms
                .map(|d| d.min(i64::MAX as u64) as i64)
                .into(),
            (&now).into(),
        ];
        let event_row = [
            Value::from(&c.name),
            n.clause().as_str().into(),
            n.mine().as_str().into(),
            n.camera().map(|x| x.to_string()).into(),
            n.analysis_type().map(|x| x.to_string()).into(),
            n.count().map(|x| i64::from(x.get())).into(),
            n.transport_state().map(|x| x.to_string()).into(),
            n.lock().map(|x| x.to_string()).into(),
            n.lock_state().map(|x| x.to_string()).into(),
            n.time().to_string().into(),
            n.time()
                .to_utc()
                .to_rfc3339_opts(SecondsFormat::Secs, true)
                .into(),
            (&now).into(),
            channel.as_str().into(),
            (&account.username).into(),
            sha.into(),
            findings.into(),
            metadata.map(|m| m.to_string()).into(),
        ];
        let stripe = digest_of(sha).map_or(0, |d| usize::from(d[0]) % DIGEST_LOCKS);
        let _turn = self.inner.digest_locks[stripe]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        store.call_blocking(|conn| {
            // Another upload may have removed an orphan file with this digest meanwhile.
            if !evidence.contains(sha) {
                evidence.store(sha, bytes)?;
            }
            let committed = conn.transaction(|tx| {
                tx.execute(
                    "INSERT INTO evidence (sha256, size, media_type, width, height, codec, duration_ms, stored_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (sha256) DO NOTHING",
                    &evidence_row,
                )?;
                let inserted = tx.query_opt(
                    "INSERT INTO events (name, clause, mine, camera, analysis_type, daily_count, transport_state, lock_code, lock_state, \
                     mine_time, event_utc, received_at, channel, account, sha256, findings, metadata) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                     ON CONFLICT (name) DO NOTHING RETURNING id",
                    &event_row,
                )?;
                match inserted {
                    Some(row) => row.i64("id"),
                    // Lost a race on UNIQUE(name): roll back the evidence row too.
                    None => Err(Error::Conflict(format!("event {} exists already", c.name))),
                }
            });
            match committed {
                Ok(id) => Ok(Commit::New(id)),
                Err(Error::Conflict(_)) => {
                    // The winner has committed (its row decided our insert): it decides.
                    let existing = existing_event(conn, &c.name)?;
                    let outcome = classify(existing, sha)
                        .ok_or_else(|| Error::Internal(format!("event {} vanished", c.name)))?;
                    let referenced = conn
                        .query_one(
                            "SELECT (EXISTS (SELECT 1 FROM evidence WHERE sha256 = $1) \
                             OR EXISTS (SELECT 1 FROM handling_photos WHERE sha256 = $1)) AS referenced",
                            &[sha.into()],
                        )?
                        .bool("referenced")?;
                    if !referenced && let Some(p) = evidence.path_of(sha) {
                        let _ = std::fs::remove_file(p);
                    }
                    Ok(outcome)
                }
                Err(e) => Err(e),
            }
        })
    }

    /// Keeps `bytes` (whose lower-case hex SHA-256 is `sha`) in the evidence tree for a row
    /// that is not an event — a handling photo (P5, `handling_photos`) — written by `record` in
    /// a transaction. The file is written first, durably, then `record` commits, in the same
    /// turn as uploads of the same digest take, so that no upload that lost a race removes the
    /// file between the two. `record` must insert the row that references the file: the
    /// start-up sweep moves unreferenced files to `quarantine/orphans/`. Blocking.
    pub fn keep_referenced<T>(
        &self,
        sha: &str,
        bytes: &[u8],
        record: impl FnOnce(&mut Conn) -> Result<T>,
    ) -> Result<T> {
        if sha256_hex(bytes) != sha {
            return Err(Error::Internal(format!(
                "{sha} is not the digest of the bytes to keep"
            )));
        }
        let stripe = digest_of(sha).map_or(0, |d| usize::from(d[0]) % DIGEST_LOCKS);
        let _turn = self.inner.digest_locks[stripe]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        self.inner.evidence.store(sha, bytes)?;
        self.inner
            .store
            .call_blocking(|conn| conn.transaction(record))
    }

    /// Records a refusal (violation row + quarantined bytes), counts it and returns it.
    fn refuse(
        &self,
        account: &MineAccount,
        channel: Channel,
        sent: &str,
        bytes: Option<(&str, &[u8])>,
        p: Pending,
    ) -> Refusal {
        self.inner.metrics.refused(channel, p.clause.as_deref());
        if let Some((sha, b)) = bytes
            && let Err(e) = self.inner.evidence.quarantine(sha, b)
        {
            tracing::warn!(error = %e, "could not quarantine refused bytes");
        }
        let reason = one_line(&p.reason, 480);
        let name = excerpt(sent);
        let recorded = self.inner.store.call_blocking(|conn| {
            query::insert_violation(
                conn,
                &NewViolation {
                    channel: channel.as_str(),
                    account: &account.username,
                    mine: Some(account.mine.as_str()),
                    name: &name,
                    kind: p.kind.as_str(),
                    clause: p.clause.as_deref(),
                    field: p.field.as_deref(),
                    reason: &reason,
                    sha256: bytes.map(|(s, _)| s),
                    size: bytes.map(|(_, b)| b.len() as i64),
                },
            )
        });
        if recorded.is_ok() {
            self.inner.metrics.violation(channel, p.kind.as_str());
        }
        let violation_id = recorded.unwrap_or_else(|e| {
            tracing::error!(error = %e, "could not record a violation");
            0
        });
        tracing::info!(kind = p.kind.as_str(), %reason, account = %account.username, violation_id, "refused");
        Refusal {
            kind: p.kind,
            clause: p.clause,
            field: p.field,
            reason,
            violation_id,
        }
    }

    // ----- query helpers (the general filtered queries are in `query.rs`) -----

    /// The event with this file name.
    pub async fn event_by_name(&self, name: &str) -> Result<Option<EventRow>> {
        let name = name.to_owned();
        self.inner
            .store
            .read(move |c| crate::query::get_event_by_name(c, &name))
            .await
    }

    /// Accepted file names of one mine, oldest first.
    pub async fn event_names_of_mine(&self, mine: &str) -> Result<Vec<(String, String, i64)>> {
        let mine = mine.to_owned();
        self.inner
            .store
            .read(move |c| {
                c.query(
                    "SELECT e.name, e.sha256, v.size FROM events e JOIN evidence v ON v.sha256 = e.sha256 \
                     WHERE e.mine = $1 ORDER BY e.id",
                    &[mine.into()],
                )?
                .iter()
                .map(|r| Ok((r.text("name")?, r.text("sha256")?, r.i64("size")?)))
                .collect()
            })
            .await
    }

    /// Number of events.
    pub async fn count_events(&self) -> Result<i64> {
        self.inner
            .store
            .read(|c| {
                c.query_one("SELECT COUNT(*) AS n FROM events", &[])?
                    .i64("n")
            })
            .await
    }

    /// Number of evidence rows.
    pub async fn count_evidence(&self) -> Result<i64> {
        self.inner
            .store
            .read(|c| {
                c.query_one("SELECT COUNT(*) AS n FROM evidence", &[])?
                    .i64("n")
            })
            .await
    }

    /// All violations, oldest first.
    pub async fn violations(&self) -> Result<Vec<ViolationRow>> {
        self.inner.store.read(crate::query::all_violations).await
    }
}

enum Commit {
    New(i64),
    Duplicate(i64),
    Conflict { event_id: i64, original: String },
}

fn existing_event(conn: &mut Conn, name: &str) -> Result<Option<(i64, String)>> {
    conn.query_opt(
        "SELECT id, sha256 FROM events WHERE name = $1",
        &[name.into()],
    )?
    .map(|r| Ok((r.i64("id")?, r.text("sha256")?)))
    .transpose()
}

fn classify(existing: Option<(i64, String)>, sha: &str) -> Option<Commit> {
    existing.map(|(id, original)| {
        if original == sha {
            Commit::Duplicate(id)
        } else {
            Commit::Conflict {
                event_id: id,
                original,
            }
        }
    })
}

/// The start-up half of the durability invariant "the evidence tree holds what events (and
/// handling photos) reference, nothing else": deletes `evidence` rows no event references (the
/// ingest writes both rows in one transaction, so only a manual edit or an older build leaves
/// such a row), reads the referenced digests into a set (32 bytes each), and moves every other
/// file of the tree to
/// `quarantine/orphans/` ([`EvidenceStore::quarantine_orphans`]).
fn sweep_orphans(store: &Store, evidence: &EvidenceStore) -> Result<OrphanSweep> {
    let started = std::time::Instant::now();
    let (rows_deleted, referenced) = store.call_blocking(|conn| {
        conn.transaction(|tx| {
            let deleted = tx.execute(
                "DELETE FROM evidence WHERE NOT EXISTS (SELECT 1 FROM events WHERE events.sha256 = evidence.sha256)",
                &[],
            )?;
            let mut set: HashSet<Digest32> = HashSet::new();
            let referencing = "SELECT sha256 FROM events UNION SELECT sha256 FROM handling_photos";
            for r in tx.query(referencing, &[])? {
                let hex = r.text("sha256")?;
                match digest_of(&hex) {
                    Some(d) => {
                        set.insert(d);
                    }
                    None => tracing::error!(sha256 = %hex, "an event references a malformed digest"),
                }
            }
            Ok((deleted, set))
        })
    })?;
    let mut sweep = evidence.quarantine_orphans(&referenced)?;
    sweep.rows_deleted = rows_deleted;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    if sweep.moved() > 0 || sweep.rows_deleted > 0 || sweep.move_failed > 0 {
        tracing::warn!(
            moved = sweep.moved(),
            blobs = sweep.blobs_moved,
            others = sweep.others_moved,
            failed = sweep.move_failed,
            rows_deleted = sweep.rows_deleted,
            referenced = referenced.len(),
            elapsed_ms,
            "start-up sweep moved evidence files no event references to quarantine/orphans"
        );
    } else {
        tracing::info!(
            moved = 0,
            referenced = referenced.len(),
            elapsed_ms,
            "start-up sweep: evidence tree matches the events"
        );
    }
    if sweep.missing > 0 {
        tracing::error!(
            missing = sweep.missing,
            "events reference evidence files that are not in the evidence tree"
        );
    }
    Ok(sweep)
}

fn too_large_reason(max: u64) -> String {
    format!("upload is larger than the platform's limit of {max} bytes")
}

fn internal_refusal() -> Refusal {
    Refusal {
        kind: RefusalKind::Internal,
        clause: None,
        field: None,
        reason: "internal error: the upload was not stored, send it again later".to_owned(),
        violation_id: 0,
    }
}

/// `s` on one line (CR/LF and other controls replaced by spaces), at most `max` bytes.
pub fn one_line(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if out.len() > max {
        let mut cut = max;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::db::Db;
    use crate::db::testing::on_both_backends;
    use crate::query::EventFilter;
    use crate::store::RegionLevel;
    use eseal_protocol::MineCode;

    const MINE: &str = "140421007866";

    on_both_backends!(
        accepted_upload_round_trips_through_the_queries,
        duplicate_names_are_idempotent_or_refused_as_conflicts,
        concurrent_uploads_all_commit_and_races_on_one_name_have_one_winner,
    );

    /// Ingest over `db` with the mine of [`MINE`] registered; evidence under the temp dir.
    async fn ingest_on(db: Db) -> (Ingest, MineAccount, tempfile::TempDir) {
        let store = Store::from_db(db);
        store
            .upsert_region("140421", "长治县", RegionLevel::County, None)
            .await
            .unwrap();
        store
            .upsert_mine(MINE, "m", "140421", "停产")
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_path_buf();
        let ingest = tokio::task::spawn_blocking(move || Ingest::new(store, data, 1 << 20))
            .await
            .unwrap()
            .unwrap();
        let account = MineAccount {
            username: format!("m{MINE}"),
            mine: MineCode::parse(MINE).unwrap(),
        };
        (ingest, account, dir)
    }

    /// A small JPEG; `seed` varies the pixels, so different seeds give different bytes.
    fn jpeg(seed: u8) -> Vec<u8> {
        let img = image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([seed.wrapping_add(x as u8), (y as u8).wrapping_mul(4), 128])
        });
        let mut buf = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut buf, image::ImageFormat::Jpeg)
            .unwrap();
        buf.into_inner()
    }

    /// The U1 name of camera 20 with daily count `count` (U1: mine, camera, 01, count, time).
    fn u1_name(count: u16) -> String {
        format!("{MINE}2001{count:04}20210104224515.jpg")
    }

    async fn upload(
        ingest: &Ingest,
        account: &MineAccount,
        name: &str,
        bytes: Vec<u8>,
    ) -> std::result::Result<Accepted, Refusal> {
        ingest
            .accept(Upload {
                account,
                channel: Channel::Ftp,
                name,
                body: UploadBody::Bytes(bytes),
                metadata: None,
            })
            .await
    }

    async fn accepted_upload_round_trips_through_the_queries(db: Db) {
        let (ingest, account, _dir) = ingest_on(db).await;
        let bytes = jpeg(1);
        let name = u1_name(5);
        let a = upload(
            &ingest,
            &account,
            &format!("/incoming/{name}"),
            bytes.clone(),
        )
        .await
        .unwrap();
        assert_eq!((a.name.as_str(), a.duplicate), (name.as_str(), false));
        assert_eq!(a.sha256, sha256_hex(&bytes));
        // Committed before `accept` returned: every read sees it at once.
        let e = ingest.event_by_name(&name).await.unwrap().unwrap();
        assert_eq!(e.id, a.event_id);
        assert_eq!(
            (e.clause.as_str(), e.mine.as_str(), e.camera.as_deref()),
            ("U1", MINE, Some("20"))
        );
        assert_eq!(
            (e.analysis_type.as_deref(), e.daily_count),
            (Some("01"), Some(5))
        );
        assert_eq!(
            (e.mine_time.as_str(), e.event_utc.as_str()),
            ("20210104224515", "2021-01-04T14:45:15Z")
        );
        assert_eq!(
            (e.channel.as_str(), e.account.as_str()),
            ("ftp", "m140421007866")
        );
        let v = e.evidence.clone().unwrap();
        assert_eq!(
            (v.size, v.media_type.as_str(), v.width, v.height),
            (bytes.len() as i64, "image/jpeg", Some(64), Some(48))
        );
        assert_eq!(ingest.evidence().read(&a.sha256).unwrap(), bytes);
        let store = ingest.store().clone();
        let listed = store
            .read(|c| {
                let f = EventFilter {
                    mine: Some(MINE.to_owned()),
                    from: crate::query::parse_time_filter("20210104224515"),
                    limit: 10,
                    ..Default::default()
                };
                crate::query::list_events(c, &f)
            })
            .await
            .unwrap();
        assert_eq!(listed, vec![e]);
        let names = ingest.event_names_of_mine(MINE).await.unwrap();
        assert_eq!(names, vec![(name, a.sha256.clone(), bytes.len() as i64)]);
        assert_eq!(
            (
                ingest.count_events().await.unwrap(),
                ingest.count_evidence().await.unwrap()
            ),
            (1, 1)
        );
        // A refusal is a violations row, not an event.
        let r = upload(&ingest, &account, "not-a-name.jpg", jpeg(2))
            .await
            .unwrap_err();
        assert_eq!(r.kind, RefusalKind::Name);
        let vs = ingest.violations().await.unwrap();
        assert_eq!(vs.len(), 1);
        assert_eq!((vs[0].id, vs[0].kind.as_str()), (r.violation_id, "name"));
        assert_eq!(ingest.count_events().await.unwrap(), 1);
    }

    async fn duplicate_names_are_idempotent_or_refused_as_conflicts(db: Db) {
        let (ingest, account, _dir) = ingest_on(db).await;
        let name = u1_name(6);
        let first = upload(&ingest, &account, &name, jpeg(1)).await.unwrap();
        let again = upload(&ingest, &account, &name, jpeg(1)).await.unwrap();
        assert!(again.duplicate);
        assert_eq!(again.event_id, first.event_id);
        assert!(ingest.violations().await.unwrap().is_empty());
        let r = upload(&ingest, &account, &name, jpeg(2)).await.unwrap_err();
        assert_eq!(
            (r.kind, r.clause.as_deref()),
            (RefusalKind::Conflict, Some("U8"))
        );
        assert!(
            r.reason.contains(&format!("event {}", first.event_id)),
            "{}",
            r.reason
        );
        let vs = ingest.violations().await.unwrap();
        assert_eq!(vs.len(), 1);
        assert_eq!(vs[0].kind, "conflict");
        assert_eq!(vs[0].sha256.as_deref(), Some(sha256_hex(&jpeg(2)).as_str()));
        // The original stays; the refused bytes are not evidence.
        let e = ingest.event_by_name(&name).await.unwrap().unwrap();
        assert_eq!(e.sha256, first.sha256);
        assert_eq!(
            (
                ingest.count_events().await.unwrap(),
                ingest.count_evidence().await.unwrap()
            ),
            (1, 1)
        );
        assert!(!ingest.evidence().contains(&sha256_hex(&jpeg(2))));
    }

    async fn concurrent_uploads_all_commit_and_races_on_one_name_have_one_winner(db: Db) {
        let (ingest, account, _dir) = ingest_on(db).await;
        let spawn = |name: String, bytes: Vec<u8>| {
            let (ingest, account) = (ingest.clone(), account.clone());
            tokio::spawn(async move { upload(&ingest, &account, &name, bytes).await })
        };
        // 24 distinct uploads at once: all accepted, none lost.
        let tasks: Vec<_> = (0..24u8)
            .map(|i| spawn(u1_name(100 + u16::from(i)), jpeg(10 + i)))
            .collect();
        let mut ids = Vec::new();
        for t in tasks {
            let a = t.await.unwrap().unwrap();
            assert!(!a.duplicate);
            ids.push(a.event_id);
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 24);
        assert_eq!(ingest.count_events().await.unwrap(), 24);
        assert_eq!(ingest.count_evidence().await.unwrap(), 24);
        // 8 uploads of one name and the same bytes: one new event, 7 duplicates of it.
        let tasks: Vec<_> = (0..8).map(|_| spawn(u1_name(200), jpeg(99))).collect();
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap().unwrap());
        }
        assert_eq!(outcomes.iter().filter(|a| !a.duplicate).count(), 1);
        assert!(outcomes.iter().all(|a| a.event_id == outcomes[0].event_id));
        // 6 uploads of one name with different bytes: one winner, 5 conflicts, and only the
        // winner's bytes are evidence.
        let tasks: Vec<_> = (0..6u8)
            .map(|i| spawn(u1_name(201), jpeg(150 + i)))
            .collect();
        let (mut won, mut conflicts) = (Vec::new(), 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(a) => won.push(a),
                Err(r) => {
                    assert_eq!(r.kind, RefusalKind::Conflict, "{}", r.reason);
                    conflicts += 1;
                }
            }
        }
        assert_eq!((won.len(), conflicts), (1, 5));
        assert_eq!(ingest.count_events().await.unwrap(), 26);
        assert_eq!(ingest.count_evidence().await.unwrap(), 26);
        for i in 0..6u8 {
            let sha = sha256_hex(&jpeg(150 + i));
            assert_eq!(
                ingest.evidence().contains(&sha),
                sha == won[0].sha256,
                "file {i}"
            );
        }
        let conflict_rows = ingest
            .violations()
            .await
            .unwrap()
            .iter()
            .filter(|v| v.kind == "conflict")
            .count();
        assert_eq!(conflict_rows, 5);
    }

    #[test]
    fn clause_suffix_is_dropped() {
        assert_eq!(
            without_clause_suffix(r#"field count: expected 4 digits at 16..20, found "00a5" (U1)"#),
            r#"field count: expected 4 digits at 16..20, found "00a5""#
        );
        assert_eq!(without_clause_suffix("x (U1-U5)"), "x");
        assert_eq!(
            without_clause_suffix(r#"found "06" (U1/U2)"#),
            r#"found "06""#
        );
        assert_eq!(without_clause_suffix("a (b c)"), "a (b c)");
        assert_eq!(without_clause_suffix("no suffix"), "no suffix");
    }

    #[test]
    fn paths() {
        assert!(matches!(file_name_of("/incoming/a.jpg"), Ok("a.jpg")));
        assert!(matches!(file_name_of("a.jpg"), Ok("a.jpg")));
        assert!(file_name_of("/incoming/../a.jpg").is_err());
        assert!(file_name_of("/incoming/").is_err());
    }

    #[test]
    fn one_line_strips_controls_and_bounds() {
        assert_eq!(one_line("a\r\nb", 10), "a  b");
        assert_eq!(one_line("煤煤煤", 4), "煤");
    }
}
