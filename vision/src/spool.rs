//! The durable spool: every piece of evidence (U1–U5) and every stream registration (U6) is
//! written here before any upload is tried, so a platform outage or a device restart loses
//! nothing and sends nothing under a different name.
//!
//! Key design decision: **one file pair per item, committed by a rename, and the directory is
//! the whole state.** [`Spool::push`] writes the payload (`NNNNNNNNNNNN.bin`) and the metadata
//! (`NNNNNNNNNNNN.json`: channel, the U1–U4 name or the U5/U6 JSON body, the payload's length and
//! SHA-256) each to a temp file, fsyncs them, renames them into place and fsyncs the directory;
//! only then does it return the item's sequence number. There is no separate index or counter
//! file that could disagree with the items: on [`Spool::open`] the queue is the `.json`/`.bin`
//! pairs in the directory, and the next sequence number is one above the highest number found
//! anywhere the spool keeps a record (the queue, `rejected/`, `corrupt/` and the append-only
//! `sent.log`), so numbers only ever grow.
//!
//! Every item leaves the queue in exactly one recorded way: [`Spool::ack`] (uploaded; a line in
//! `sent.log`, then the files are removed), [`Spool::reject`] (the platform refused it for good;
//! files moved to `rejected/` with the reason) or, when its bytes no longer match their SHA-256
//! or a file of the pair is missing, moved to `corrupt/` with the reason by [`Spool::load`] or
//! [`Spool::open`]. Nothing is silently dropped. A crash in the middle of any of these is
//! finished on the next open (an item already in `sent.log` is removed, one whose reason is in
//! `rejected/` is moved there); temp files of an interrupted push are deleted.
//!
//! The spool is used by one owner at a time (`&mut self`); the device shares it between the
//! analysers and the uploader as a [`SharedSpool`].

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use eseal_protocol::{EvidenceName, LockEventMetadata, StreamRegistration};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::evidence::Outgoing;

/// A spool shared between the producers (analysers) and the uploader. Locks are held only
/// for the spool's own (short, blocking) file operations, never across network I/O.
pub type SharedSpool = Arc<Mutex<Spool>>;

/// Name of the append-only log of acknowledged items (JSON Lines).
pub const SENT_LOG: &str = "sent.log";
/// The head item's failed upload attempts ([`Spool::record_failures`]).
pub const RETRY_STATE: &str = "retry.state";
/// Folder of items the platform refused for good.
pub const REJECTED_DIR: &str = "rejected";
/// Folder of items whose files were damaged or torn.
pub const CORRUPT_DIR: &str = "corrupt";

/// Version of the metadata file format.
const FORMAT: u32 = 1;
/// Width of the sequence number in file names.
const SEQ_WIDTH: usize = 12;

/// Which way an item goes to the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// U1–U4 by FTP.
    Ftp,
    /// U5 by HTTPS POST (multipart).
    Lock,
    /// U6 by HTTPS PUT (JSON).
    Stream,
}

/// What the metadata file says about the item, besides its payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
enum Body {
    /// The U1–U4 file name, as its string (re-parsed with [`EvidenceName::parse`] on load).
    Ftp { name: String },
    /// The U5 JSON part.
    Lock { metadata: LockEventMetadata },
    /// The U6 PUT body.
    Stream { registration: StreamRegistration },
}

impl Body {
    fn channel(&self) -> Channel {
        match self {
            Body::Ftp { .. } => Channel::Ftp,
            Body::Lock { .. } => Channel::Lock,
            Body::Stream { .. } => Channel::Stream,
        }
    }
}

/// The metadata file `NNNNNNNNNNNN.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    format: u32,
    seq: u64,
    label: String,
    payload_len: u64,
    payload_sha256: String,
    #[serde(flatten)]
    body: Body,
}

/// One line of `sent.log`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SentLine {
    seq: u64,
    label: String,
    sha256: String,
    /// Wall-clock time of the acknowledgement, RFC 3339 UTC.
    time: String,
}

/// The reason file `rejected/NNNNNNNNNNNN.reason.json` or `corrupt/NNNNNNNNNNNN.reason.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ReasonFile {
    seq: u64,
    label: String,
    reason: String,
    /// Wall-clock time, RFC 3339 UTC.
    time: String,
}

/// A queued item as listed by [`Spool::pending`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolEntry {
    /// Sequence number (upload order).
    pub seq: u64,
    /// File name, or `stream <camera>`.
    pub label: String,
    /// Upload channel.
    pub channel: Channel,
    /// Payload length, bytes.
    pub len: u64,
    /// SHA-256 of the payload, lower-case hex.
    pub sha256: String,
}

/// An item read back by [`Spool::load`], its payload verified.
#[derive(Debug, Clone, PartialEq)]
pub struct SpooledItem {
    /// Sequence number.
    pub seq: u64,
    /// SHA-256 of the payload, lower-case hex.
    pub sha256: String,
    /// The item, exactly as pushed.
    pub item: Outgoing,
}

/// An item moved to `corrupt/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorruptItem {
    /// Sequence number.
    pub seq: u64,
    /// Its label when the metadata could still be read.
    pub label: Option<String>,
    /// What was wrong.
    pub reason: String,
}

/// What [`Spool::load`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    /// The item, verified.
    Item(SpooledItem),
    /// The item was damaged; it has been moved to `corrupt/` with the reason.
    Corrupt(CorruptItem),
}

/// Counts of the spool's records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpoolCounts {
    /// Items waiting to be uploaded.
    pub pending: usize,
    /// Lines in `sent.log`.
    pub sent: u64,
    /// Items in `rejected/`.
    pub rejected: u64,
    /// Items in `corrupt/`.
    pub corrupt: u64,
}

/// What [`Spool::open`] repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Temp files of interrupted writes, deleted.
    pub temp_files_removed: Vec<PathBuf>,
    /// Items found damaged or torn, moved to `corrupt/`.
    pub corrupt: Vec<CorruptItem>,
    /// Items already in `sent.log` whose files were still queued (a crash during `ack`), removed.
    pub acks_completed: Vec<u64>,
    /// Items whose reason was already in `rejected/` (a crash during `reject`), moved there.
    pub rejects_completed: Vec<u64>,
    /// Lines of `sent.log` that could not be read (a torn last line), skipped.
    pub unreadable_log_lines: usize,
    /// Files that are not the spool's, left alone.
    pub foreign_files: Vec<PathBuf>,
}

/// The durable queue of outgoing items. See the module documentation.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    index: BTreeMap<u64, SpoolEntry>,
    next_seq: u64,
    counts: SpoolCounts,
    recovery: Recovery,
}

fn seq_name(seq: u64, ext: &str) -> String {
    format!("{seq:0SEQ_WIDTH$}.{ext}")
}

/// `(seq, rest)` of a file name `NNNNNNNNNNNN.rest`.
fn parse_seq_name(name: &str) -> Option<(u64, &str)> {
    let (digits, rest) = name.split_at_checked(SEQ_WIDTH)?;
    let rest = rest.strip_prefix('.')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, rest))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn io_at(what: &str, path: &Path) -> impl FnOnce(io::Error) -> Error {
    let what = format!("spool: {what} {}", path.display());
    move |e| Error::io(what, e)
}

fn json_error(what: String, e: serde_json::Error) -> Error {
    Error::io(what, io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Fsyncs a directory, making renames and removals in it durable.
fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_at("could not fsync directory", dir))
}

/// Writes `bytes` to `dir/.name.tmp`, fsyncs it and renames it to `dir/name` (the caller
/// fsyncs the directory).
fn write_renamed(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), Error> {
    let tmp = dir.join(format!("{name}.tmp"));
    let path = dir.join(name);
    let mut f = File::create(&tmp).map_err(io_at("could not create", &tmp))?;
    f.write_all(bytes).map_err(io_at("could not write", &tmp))?;
    f.sync_all().map_err(io_at("could not fsync", &tmp))?;
    drop(f);
    fs::rename(&tmp, &path).map_err(io_at("could not rename into place", &path))
}

/// Renames `from` to `to` if `from` exists.
fn move_if_present(from: &Path, to: &Path) -> Result<(), Error> {
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_at("could not move", from)(e)),
    }
}

fn remove_if_present(path: &Path) -> Result<(), Error> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_at("could not remove", path)(e)),
    }
}

/// The files of a folder (not recursing), by name.
fn list_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, Error> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_at("could not list", dir))? {
        let entry = entry.map_err(io_at("could not list", dir))?;
        let path = entry.path();
        if path.is_dir() {
            continue;
        }
        out.push((entry.file_name().to_string_lossy().into_owned(), path));
    }
    out.sort();
    Ok(out)
}

/// Sequence numbers that have a `NNNNNNNNNNNN.reason.json` in `dir`; temp files there are
/// removed (recorded in `removed`).
fn scan_aside(dir: &Path, removed: &mut Vec<PathBuf>) -> Result<(BTreeSet<u64>, u64), Error> {
    let mut reasons = BTreeSet::new();
    let mut max = 0;
    for (name, path) in list_files(dir)? {
        if name.ends_with(".tmp") {
            remove_if_present(&path)?;
            removed.push(path);
            continue;
        }
        if let Some((seq, rest)) = parse_seq_name(&name) {
            max = max.max(seq);
            if rest == "reason.json" {
                reasons.insert(seq);
            }
        }
    }
    Ok((reasons, max))
}

impl Spool {
    /// Opens the spool in `dir`, creating it if needed, and recovers from a crash: deletes temp
    /// files, finishes interrupted acks and rejects, and moves torn or unreadable items to
    /// `corrupt/` (see [`Spool::recovery`]).
    pub fn open(dir: impl AsRef<Path>) -> Result<Spool, Error> {
        let dir = dir.as_ref().to_path_buf();
        let rejected_dir = dir.join(REJECTED_DIR);
        let corrupt_dir = dir.join(CORRUPT_DIR);
        for d in [&dir, &rejected_dir, &corrupt_dir] {
            fs::create_dir_all(d).map_err(io_at("could not create", d))?;
        }
        let mut recovery = Recovery::default();
        let mut max_seq = 0u64;

        // The queue: NNNNNNNNNNNN.json + NNNNNNNNNNNN.bin pairs.
        let mut found: BTreeMap<u64, (bool, bool)> = BTreeMap::new();
        for (name, path) in list_files(&dir)? {
            if name.ends_with(".tmp") {
                remove_if_present(&path)?;
                recovery.temp_files_removed.push(path);
                continue;
            }
            if name == SENT_LOG || name == RETRY_STATE {
                continue;
            }
            match parse_seq_name(&name) {
                Some((seq, "json")) => found.entry(seq).or_default().0 = true,
                Some((seq, "bin")) => found.entry(seq).or_default().1 = true,
                _ => recovery.foreign_files.push(path),
            }
        }
        let (rejected_reasons, max_rejected) =
            scan_aside(&rejected_dir, &mut recovery.temp_files_removed)?;
        let (corrupt_reasons, max_corrupt) =
            scan_aside(&corrupt_dir, &mut recovery.temp_files_removed)?;
        max_seq = max_seq.max(max_rejected).max(max_corrupt);

        // The log of acknowledged items.
        let log_path = dir.join(SENT_LOG);
        let mut sent_seqs = BTreeSet::new();
        let mut sent = 0u64;
        match fs::read(&log_path) {
            Ok(bytes) => {
                for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                    match serde_json::from_slice::<SentLine>(line) {
                        Ok(l) => {
                            sent += 1;
                            max_seq = max_seq.max(l.seq);
                            sent_seqs.insert(l.seq);
                        }
                        Err(_) => recovery.unreadable_log_lines += 1,
                    }
                }
                if bytes.last().is_some_and(|&b| b != b'\n') {
                    // A torn last line: end it, so the next line starts on its own.
                    let mut f = OpenOptions::new()
                        .append(true)
                        .open(&log_path)
                        .map_err(io_at("could not open", &log_path))?;
                    f.write_all(b"\n")
                        .map_err(io_at("could not write", &log_path))?;
                    f.sync_all().map_err(io_at("could not fsync", &log_path))?;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_at("could not read", &log_path)(e)),
        }

        let mut spool = Spool {
            dir,
            index: BTreeMap::new(),
            next_seq: 1,
            counts: SpoolCounts {
                pending: 0,
                sent,
                rejected: rejected_reasons.len() as u64,
                corrupt: corrupt_reasons.len() as u64,
            },
            recovery: Recovery::default(),
        };
        for (&seq, &(has_json, has_bin)) in &found {
            max_seq = max_seq.max(seq);
            let json_path = spool.path(seq, "json");
            let bin_path = spool.path(seq, "bin");
            if sent_seqs.contains(&seq) {
                remove_if_present(&bin_path)?;
                remove_if_present(&json_path)?;
                recovery.acks_completed.push(seq);
                continue;
            }
            if rejected_reasons.contains(&seq) {
                move_if_present(&bin_path, &rejected_dir.join(seq_name(seq, "bin")))?;
                move_if_present(&json_path, &rejected_dir.join(seq_name(seq, "json")))?;
                recovery.rejects_completed.push(seq);
                continue;
            }
            if corrupt_reasons.contains(&seq) {
                // A crash while moving a damaged item aside: finish the move.
                move_if_present(&bin_path, &corrupt_dir.join(seq_name(seq, "bin")))?;
                move_if_present(&json_path, &corrupt_dir.join(seq_name(seq, "json")))?;
                continue;
            }
            let problem = match (has_json, has_bin) {
                (true, true) => match spool.read_record(seq) {
                    Ok(record) => {
                        let entry = SpoolEntry {
                            seq,
                            label: record.label.clone(),
                            channel: record.body.channel(),
                            len: record.payload_len,
                            sha256: record.payload_sha256.clone(),
                        };
                        spool.index.insert(seq, entry);
                        None
                    }
                    Err(reason) => Some((None, reason)),
                },
                (true, false) => Some((
                    spool.read_record(seq).ok().map(|r| r.label),
                    "payload file missing (torn write)".to_owned(),
                )),
                (false, _) => Some((None, "metadata file missing (torn write)".to_owned())),
            };
            if let Some((label, reason)) = problem {
                let item = spool.move_to_corrupt(seq, label, reason)?;
                recovery.corrupt.push(item);
            }
        }
        sync_dir(&spool.dir)?;
        sync_dir(&rejected_dir)?;
        sync_dir(&corrupt_dir)?;
        spool.counts.pending = spool.index.len();
        spool.next_seq = max_seq.saturating_add(1);
        for c in &recovery.corrupt {
            tracing::warn!(seq = c.seq, reason = %c.reason, "spool: damaged item moved to corrupt/");
        }
        if !recovery.temp_files_removed.is_empty() {
            tracing::info!(
                n = recovery.temp_files_removed.len(),
                "spool: temp files of interrupted writes removed"
            );
        }
        spool.recovery = recovery;
        Ok(spool)
    }

    /// Wraps the spool for sharing between producers and the uploader.
    pub fn shared(self) -> SharedSpool {
        Arc::new(Mutex::new(self))
    }

    /// The spool's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What [`Spool::open`] repaired.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// The sequence number the next [`Spool::push`] will assign.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Counts of pending, sent, rejected and corrupt items.
    pub fn counts(&self) -> SpoolCounts {
        SpoolCounts {
            pending: self.index.len(),
            ..self.counts
        }
    }

    /// Queued items, in sequence (upload) order.
    pub fn pending(&self) -> Vec<SpoolEntry> {
        self.index.values().cloned().collect()
    }

    /// The oldest queued item.
    pub fn head(&self) -> Option<&SpoolEntry> {
        self.index.values().next()
    }

    /// Failed upload attempts of item `seq` recorded by [`Spool::record_failures`], in this
    /// process or an earlier one (0 when none, or when the record is of another item): a
    /// device that restarts during an outage goes on with its back-off instead of starting
    /// again at the shortest wait.
    pub fn recorded_failures(&self, seq: u64) -> u32 {
        let Ok(text) = fs::read_to_string(self.dir.join(RETRY_STATE)) else {
            return 0;
        };
        let mut parts = text.split_whitespace();
        match (
            parts.next().map(str::parse::<u64>),
            parts.next().map(str::parse::<u32>),
        ) {
            (Some(Ok(s)), Some(Ok(n))) if s == seq => n,
            _ => 0,
        }
    }

    /// Records that item `seq` has failed `failures` times (`retry.state`: one line
    /// `SEQ FAILURES`, replaced by a rename from a `.tmp` file that [`Spool::open`] clears like
    /// any other; advisory, so not fsynced: losing it costs only a shorter first wait).
    pub fn record_failures(&self, seq: u64, failures: u32) -> Result<(), Error> {
        let path = self.dir.join(RETRY_STATE);
        let part = self.dir.join(format!("{RETRY_STATE}.tmp"));
        fs::write(&part, format!("{seq} {failures}\n")).map_err(io_at("could not write", &part))?;
        fs::rename(&part, &path).map_err(io_at("could not rename into", &path))
    }

    /// The queued item with this number.
    pub fn entry(&self, seq: u64) -> Option<&SpoolEntry> {
        self.index.get(&seq)
    }

    fn path(&self, seq: u64, ext: &str) -> PathBuf {
        self.dir.join(seq_name(seq, ext))
    }

    /// Writes `item` durably and returns its sequence number. When this returns `Ok`, the item
    /// survives a crash or power cut: both files are fsynced and renamed into place and the
    /// directory is fsynced.
    pub fn push(&mut self, item: &Outgoing) -> Result<u64, Error> {
        let seq = self.next_seq;
        // Never reuse a number, even when this push fails half-way.
        self.next_seq += 1;
        let (body, payload): (Body, &[u8]) = match item {
            Outgoing::Ftp { name, bytes } => (
                Body::Ftp {
                    name: name.to_string(),
                },
                bytes,
            ),
            Outgoing::Lock { metadata, video } => (
                Body::Lock {
                    metadata: metadata.clone(),
                },
                video,
            ),
            Outgoing::Stream { registration } => (
                Body::Stream {
                    registration: registration.clone(),
                },
                &[],
            ),
        };
        let record = Record {
            format: FORMAT,
            seq,
            label: item.label(),
            payload_len: payload.len() as u64,
            payload_sha256: sha256_hex(payload),
            body,
        };
        let json = serde_json::to_vec_pretty(&record)
            .map_err(|e| json_error(format!("spool: could not encode item {seq}"), e))?;
        let result = write_renamed(&self.dir, &seq_name(seq, "bin"), payload)
            .and_then(|()| write_renamed(&self.dir, &seq_name(seq, "json"), &json))
            .and_then(|()| sync_dir(&self.dir));
        if let Err(e) = result {
            // Leave no half item behind (best effort: open() cleans up what remains).
            for ext in ["bin.tmp", "json.tmp", "json", "bin"] {
                let _ = fs::remove_file(self.path(seq, ext));
            }
            return Err(e);
        }
        self.index.insert(
            seq,
            SpoolEntry {
                seq,
                label: record.label,
                channel: record.body.channel(),
                len: record.payload_len,
                sha256: record.payload_sha256,
            },
        );
        Ok(seq)
    }

    /// Reads and parses an item's metadata file; `Err` is the reason it is unusable.
    fn read_record(&self, seq: u64) -> Result<Record, String> {
        let path = self.path(seq, "json");
        let bytes = fs::read(&path).map_err(|e| format!("metadata unreadable: {e}"))?;
        let record: Record =
            serde_json::from_slice(&bytes).map_err(|e| format!("metadata is not valid: {e}"))?;
        if record.seq != seq {
            return Err(format!(
                "metadata names item {} in the file of item {seq}",
                record.seq
            ));
        }
        if record.format != FORMAT {
            return Err(format!(
                "metadata format {} (this device reads {FORMAT})",
                record.format
            ));
        }
        Ok(record)
    }

    /// Reads one queued item back, verifying the payload's length and SHA-256. A damaged item is
    /// moved to `corrupt/` with the reason and reported as [`Loaded::Corrupt`]; `Err` is an I/O
    /// failure that left the item where it was.
    pub fn load(&mut self, seq: u64) -> Result<Loaded, Error> {
        let Some(entry) = self.index.get(&seq).cloned() else {
            return Err(Error::io(
                format!("spool: item {seq} is not queued"),
                io::Error::from(io::ErrorKind::NotFound),
            ));
        };
        let record = match self.read_record(seq) {
            Ok(r) => r,
            Err(reason) => return self.corrupt(seq, Some(entry.label), reason),
        };
        let bin_path = self.path(seq, "bin");
        let mut payload = Vec::with_capacity(
            usize::try_from(record.payload_len)
                .unwrap_or(0)
                .min(64 << 20),
        );
        match File::open(&bin_path).and_then(|mut f| f.read_to_end(&mut payload)) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return self.corrupt(seq, Some(record.label), "payload file missing".to_owned());
            }
            Err(e) => return Err(io_at("could not read", &bin_path)(e)),
        }
        if payload.len() as u64 != record.payload_len {
            let reason = format!(
                "payload is {} bytes, the metadata says {} (torn or truncated)",
                payload.len(),
                record.payload_len
            );
            return self.corrupt(seq, Some(record.label), reason);
        }
        let sha256 = sha256_hex(&payload);
        if sha256 != record.payload_sha256 {
            let reason = format!(
                "payload SHA-256 is {sha256}, the metadata says {} (damaged)",
                record.payload_sha256
            );
            return self.corrupt(seq, Some(record.label), reason);
        }
        let item = match record.body {
            Body::Ftp { name } => match EvidenceName::parse(&name) {
                Ok(parsed) => Outgoing::Ftp {
                    name: parsed.name,
                    bytes: payload,
                },
                Err(e) => {
                    return self.corrupt(
                        seq,
                        Some(record.label),
                        format!("file name {name:?} does not parse: {e}"),
                    );
                }
            },
            Body::Lock { metadata } => Outgoing::Lock {
                metadata,
                video: payload,
            },
            Body::Stream { registration } => Outgoing::Stream { registration },
        };
        Ok(Loaded::Item(SpooledItem { seq, sha256, item }))
    }

    fn corrupt(
        &mut self,
        seq: u64,
        label: Option<String>,
        reason: String,
    ) -> Result<Loaded, Error> {
        let item = self.move_to_corrupt(seq, label, reason)?;
        sync_dir(&self.dir)?;
        tracing::warn!(seq, reason = %item.reason, "spool: damaged item moved to corrupt/");
        Ok(Loaded::Corrupt(item))
    }

    /// Writes the reason, moves whatever files of the item exist to `corrupt/` and drops it from
    /// the queue (the caller fsyncs the spool directory).
    fn move_to_corrupt(
        &mut self,
        seq: u64,
        label: Option<String>,
        reason: String,
    ) -> Result<CorruptItem, Error> {
        let aside = self.dir.join(CORRUPT_DIR);
        let file = ReasonFile {
            seq,
            label: label.clone().unwrap_or_default(),
            reason: reason.clone(),
            time: now_rfc3339(),
        };
        let json = serde_json::to_vec_pretty(&file).map_err(|e| {
            json_error(
                format!("spool: could not encode the reason of item {seq}"),
                e,
            )
        })?;
        write_renamed(&aside, &seq_name(seq, "reason.json"), &json)?;
        for ext in ["bin", "json"] {
            move_if_present(&self.path(seq, ext), &aside.join(seq_name(seq, ext)))?;
        }
        sync_dir(&aside)?;
        self.index.remove(&seq);
        self.counts.corrupt += 1;
        Ok(CorruptItem { seq, label, reason })
    }

    /// Records that the item was uploaded: appends a line (seq, label, sha256, time) to
    /// `sent.log`, fsyncs it, then removes the item's files durably.
    pub fn ack(&mut self, seq: u64) -> Result<(), Error> {
        let Some(entry) = self.index.get(&seq).cloned() else {
            return Err(Error::io(
                format!("spool: cannot ack item {seq}: not queued"),
                io::Error::from(io::ErrorKind::NotFound),
            ));
        };
        let line = SentLine {
            seq,
            label: entry.label,
            sha256: entry.sha256,
            time: now_rfc3339(),
        };
        let mut text = serde_json::to_vec(&line)
            .map_err(|e| json_error(format!("spool: could not encode the ack of item {seq}"), e))?;
        text.push(b'\n');
        let log_path = self.dir.join(SENT_LOG);
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io_at("could not open", &log_path))?;
        log.write_all(&text)
            .map_err(io_at("could not write", &log_path))?;
        log.sync_all()
            .map_err(io_at("could not fsync", &log_path))?;
        // From here the item counts as sent: were the removal to fail, open() finishes it.
        self.index.remove(&seq);
        self.counts.sent += 1;
        remove_if_present(&self.path(seq, "bin"))?;
        remove_if_present(&self.path(seq, "json"))?;
        sync_dir(&self.dir)
    }

    /// Records that the platform refused the item for good: writes the reason and moves the
    /// item's files to `rejected/`, durably. The item is kept, and the queue moves on.
    pub fn reject(&mut self, seq: u64, reason: &str) -> Result<(), Error> {
        let Some(entry) = self.index.get(&seq).cloned() else {
            return Err(Error::io(
                format!("spool: cannot reject item {seq}: not queued"),
                io::Error::from(io::ErrorKind::NotFound),
            ));
        };
        let aside = self.dir.join(REJECTED_DIR);
        let file = ReasonFile {
            seq,
            label: entry.label,
            reason: reason.to_owned(),
            time: now_rfc3339(),
        };
        let json = serde_json::to_vec_pretty(&file).map_err(|e| {
            json_error(
                format!("spool: could not encode the reason of item {seq}"),
                e,
            )
        })?;
        write_renamed(&aside, &seq_name(seq, "reason.json"), &json)?;
        sync_dir(&aside)?;
        // From here the item counts as rejected: were a move to fail, open() finishes it.
        self.index.remove(&seq);
        self.counts.rejected += 1;
        for ext in ["bin", "json"] {
            move_if_present(&self.path(seq, ext), &aside.join(seq_name(seq, ext)))?;
        }
        sync_dir(&aside)?;
        sync_dir(&self.dir)
    }

    /// The reason recorded for a rejected item.
    pub fn rejection_reason(&self, seq: u64) -> Option<String> {
        let path = self
            .dir
            .join(REJECTED_DIR)
            .join(seq_name(seq, "reason.json"));
        let bytes = fs::read(path).ok()?;
        serde_json::from_slice::<ReasonFile>(&bytes)
            .ok()
            .map(|r| r.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_state_is_the_head_items_and_not_a_foreign_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let spool = Spool::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spool.recorded_failures(3), 0);
        spool
            .record_failures(3, 5)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spool.recorded_failures(3), 5);
        assert_eq!(spool.recorded_failures(4), 0, "another item starts afresh");
        drop(spool);
        let spool = Spool::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            spool.recovery().foreign_files.is_empty(),
            "{:?}",
            spool.recovery()
        );
        assert_eq!(spool.recorded_failures(3), 5, "kept across a reopen");
        fs::write(dir.path().join(RETRY_STATE), "three five").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            spool.recorded_failures(3),
            0,
            "a damaged record counts as none"
        );
    }

    #[test]
    fn sequence_file_names() {
        assert_eq!(seq_name(7, "json"), "000000000007.json");
        assert_eq!(parse_seq_name("000000000007.json"), Some((7, "json")));
        assert_eq!(
            parse_seq_name("000000000007.reason.json"),
            Some((7, "reason.json"))
        );
        assert_eq!(parse_seq_name("00000000000a.json"), None);
        assert_eq!(parse_seq_name("7.json"), None);
        assert_eq!(parse_seq_name("000000000007json"), None);
        assert_eq!(parse_seq_name("é"), None);
    }
}
