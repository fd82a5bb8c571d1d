//! Content-addressed evidence files: `data_dir/evidence/ab/abcdef…` (the SHA-256 in hex).
//!
//! Every write is atomic and durable: a temp file in the destination directory, write, fsync the
//! file, rename to the final name, fsync the directory. A reader therefore sees either nothing
//! or the whole file, and after `store` returns the file survives a crash.
//!
//! `quarantine/<sha256>` keeps the bytes of refused uploads for diagnosis; they are not evidence.
//! `tmp/` holds uploads in flight; it is emptied at start-up (an upload cut off by a crash was
//! never acknowledged, so nothing there is owed to anyone).
//!
//! Durability invariant: the evidence tree holds exactly the files the `events` table (and the
//! regulators' `handling_photos`, P5) references, nothing else. A crash between the rename of a new file and the commit of its event row leaves
//! a file no event references (and a crash inside [`write_atomic`] a `.incoming-*` temp file);
//! [`EvidenceStore::quarantine_orphans`] moves such files to `quarantine/orphans/` at start-up.
//! They were never acknowledged, but they are moved, never deleted.
//!
//! All methods block; call them from a blocking thread.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The evidence, quarantine and temp directories under the data directory.
#[derive(Debug, Clone)]
pub struct EvidenceStore {
    evidence: PathBuf,
    quarantine: PathBuf,
    tmp: PathBuf,
}

/// SHA-256 of `bytes` in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A SHA-256 digest as 32 bytes (half the memory of its hex form in a large set).
pub type Digest32 = [u8; 32];

/// The 32 bytes of a lower-case hex SHA-256 digest; `None` for anything else.
pub fn digest_of(sha256: &str) -> Option<Digest32> {
    let mut out = [0u8; 32];
    (is_sha256_hex(sha256) && hex::decode_to_slice(sha256, &mut out).is_ok()).then_some(out)
}

/// What the start-up sweep found and did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OrphanSweep {
    /// Evidence files (named by their digest) that no event references, moved to
    /// `quarantine/orphans/`.
    pub blobs_moved: u64,
    /// Other files in the evidence tree (`.incoming-*` temp files of an interrupted write, stray
    /// names), moved to `quarantine/orphans/`.
    pub others_moved: u64,
    /// Files that should have been moved but could not be (logged).
    pub move_failed: u64,
    /// `evidence` rows that no event referenced, deleted (their files are then orphans).
    pub rows_deleted: u64,
    /// Digests events reference whose file is not in the tree (logged as errors).
    pub missing: u64,
}

impl OrphanSweep {
    /// Files moved to `quarantine/orphans/`.
    pub fn moved(&self) -> u64 {
        self.blobs_moved + self.others_moved
    }
}

impl EvidenceStore {
    /// Creates the directories under `data_dir` and empties `tmp/`.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<EvidenceStore> {
        let d = data_dir.as_ref();
        let s = EvidenceStore {
            evidence: d.join("evidence"),
            quarantine: d.join("quarantine"),
            tmp: d.join("tmp"),
        };
        for dir in [&s.evidence, &s.quarantine, &s.tmp] {
            fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("could not create {}", dir.display()), e))?;
        }
        let entries = fs::read_dir(&s.tmp)
            .map_err(|e| Error::io(format!("could not list {}", s.tmp.display()), e))?;
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_file()
                && let Err(e) = fs::remove_file(&p)
            {
                tracing::warn!(path = %p.display(), error = %e, "could not remove stale upload temp file");
            }
        }
        Ok(s)
    }

    /// Directory for uploads in flight (same file system as the evidence).
    pub fn tmp_dir(&self) -> &Path {
        &self.tmp
    }

    /// Where the evidence with this digest lives (whether or not it exists). `None` for a
    /// string that is not a SHA-256 hex digest, so no caller can build a path out of the tree.
    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        is_sha256_hex(sha256).then(|| self.evidence.join(&sha256[..2]).join(sha256))
    }

    /// Where the start-up sweep puts files no event references.
    pub fn orphans_dir(&self) -> PathBuf {
        self.quarantine.join("orphans")
    }

    /// Moves every file of the evidence tree that is not `ab/<digest>` with a digest in
    /// `referenced` to [`EvidenceStore::orphans_dir`]; counts referenced digests with no file.
    /// One directory walk; call it at start-up, before any upload is accepted.
    /// `rows_deleted` of the result is left 0 (the database is the caller's).
    pub fn quarantine_orphans(&self, referenced: &HashSet<Digest32>) -> Result<OrphanSweep> {
        let mut sweep = OrphanSweep::default();
        let mut found: u64 = 0;
        let orphans = self.orphans_dir();
        let list = |dir: &Path| {
            fs::read_dir(dir).map_err(|e| Error::io(format!("could not list {}", dir.display()), e))
        };
        let mut mover = Mover {
            dest: &orphans,
            created: false,
            touched: Vec::new(),
        };
        for top in list(&self.evidence)? {
            let top = top.map_err(|e| Error::io("could not list the evidence directory", e))?;
            let top_path = top.path();
            if !top.file_type().is_ok_and(|t| t.is_dir()) {
                mover.r#move(&top_path, &self.evidence, &mut sweep, false);
                continue;
            }
            let prefix = top.file_name();
            for entry in list(&top_path)? {
                let entry = entry
                    .map_err(|e| Error::io(format!("could not list {}", top_path.display()), e))?;
                let path = entry.path();
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    tracing::warn!(path = %path.display(), "unexpected directory in the evidence tree; left in place");
                    continue;
                }
                let name = entry.file_name();
                let digest = name
                    .to_str()
                    .filter(|n| prefix.to_str() == n.get(..2))
                    .and_then(digest_of);
                match digest {
                    Some(d) if referenced.contains(&d) => found += 1,
                    Some(_) => mover.r#move(&path, &top_path, &mut sweep, true),
                    None => mover.r#move(&path, &top_path, &mut sweep, false),
                }
            }
        }
        mover.sync()?;
        sweep.missing = (referenced.len() as u64).saturating_sub(found);
        Ok(sweep)
    }

    /// Where quarantined bytes with this digest live.
    pub fn quarantine_path_of(&self, sha256: &str) -> Option<PathBuf> {
        is_sha256_hex(sha256).then(|| self.quarantine.join(sha256))
    }

    /// True when the evidence file exists.
    pub fn contains(&self, sha256: &str) -> bool {
        self.path_of(sha256).is_some_and(|p| p.is_file())
    }

    /// Stores `bytes` (whose digest the caller computed) as evidence, atomically and durably.
    /// Storing the same digest again is a no-op.
    pub fn store(&self, sha256: &str, bytes: &[u8]) -> Result<PathBuf> {
        let path = self
            .path_of(sha256)
            .ok_or_else(|| Error::Internal(format!("not a sha256 digest: {sha256:?}")))?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.evidence.clone());
        if !dir.is_dir() {
            fs::create_dir_all(&dir)
                .map_err(|e| Error::io(format!("could not create {}", dir.display()), e))?;
            sync_dir(&self.evidence)?;
        }
        if path.is_file() {
            return Ok(path);
        }
        write_atomic(&dir, &path, bytes)?;
        Ok(path)
    }

    /// Keeps refused bytes for diagnosis (not evidence).
    pub fn quarantine(&self, sha256: &str, bytes: &[u8]) -> Result<PathBuf> {
        let path = self
            .quarantine_path_of(sha256)
            .ok_or_else(|| Error::Internal(format!("not a sha256 digest: {sha256:?}")))?;
        if !path.is_file() {
            write_atomic(&self.quarantine, &path, bytes)?;
        }
        Ok(path)
    }

    /// Reads stored evidence.
    pub fn read(&self, sha256: &str) -> Result<Vec<u8>> {
        let path = self
            .path_of(sha256)
            .ok_or_else(|| Error::Internal(format!("not a sha256 digest: {sha256:?}")))?;
        fs::read(&path).map_err(|e| Error::io(format!("could not read {}", path.display()), e))
    }
}

/// Moves files into the orphans directory under names that never overwrite.
struct Mover<'a> {
    dest: &'a Path,
    created: bool,
    /// Directories a file left (fsynced at the end).
    touched: Vec<PathBuf>,
}

impl Mover<'_> {
    fn r#move(&mut self, from: &Path, dir: &Path, sweep: &mut OrphanSweep, blob: bool) {
        if let Err(e) = self.try_move(from, dir) {
            tracing::error!(path = %from.display(), error = %e, "could not move an orphan evidence file to quarantine");
            sweep.move_failed += 1;
        } else if blob {
            sweep.blobs_moved += 1;
        } else {
            sweep.others_moved += 1;
        }
    }

    fn try_move(&mut self, from: &Path, dir: &Path) -> Result<()> {
        if !self.created {
            fs::create_dir_all(self.dest)
                .map_err(|e| Error::io(format!("could not create {}", self.dest.display()), e))?;
            self.created = true;
        }
        // `.incoming-x` becomes `incoming-x`: nothing hidden in quarantine.
        let name = from
            .file_name()
            .map(|n| n.to_string_lossy().trim_start_matches('.').to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "orphan".to_owned());
        let mut to = self.dest.join(&name);
        let mut n = 1;
        while to.symlink_metadata().is_ok() {
            to = self.dest.join(format!("{name}.{n}"));
            n += 1;
        }
        fs::rename(from, &to).map_err(|e| {
            Error::io(
                format!("could not move {} to {}", from.display(), to.display()),
                e,
            )
        })?;
        tracing::info!(from = %from.display(), to = %to.display(), "moved an evidence file no event references to quarantine");
        if !self.touched.iter().any(|d| d == dir) {
            self.touched.push(dir.to_path_buf());
        }
        Ok(())
    }

    /// Makes the moves durable.
    fn sync(&self) -> Result<()> {
        if self.touched.is_empty() {
            return Ok(());
        }
        sync_dir(self.dest)?;
        self.touched.iter().try_for_each(|d| sync_dir(d))
    }
}

fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    let ctx = |what: &str| format!("could not {what} {}", path.display());
    let mut tmp = tempfile::Builder::new()
        .prefix(".incoming-")
        .tempfile_in(dir)
        .map_err(|e| Error::io(ctx("create a temp file for"), e))?;
    tmp.write_all(bytes)
        .map_err(|e| Error::io(ctx("write"), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(ctx("fsync"), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(ctx("rename into"), e.error))?;
    sync_dir(dir)
}

/// fsyncs a directory so a rename or create in it is durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(format!("could not fsync directory {}", dir.display()), e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn stores_content_addressed_and_cleans_tmp() {
        let d = tempfile::tempdir().unwrap();
        let s = EvidenceStore::open(d.path()).unwrap();
        fs::write(s.tmp_dir().join("leftover"), b"partial").unwrap();
        let s = EvidenceStore::open(d.path()).unwrap();
        assert_eq!(fs::read_dir(s.tmp_dir()).unwrap().count(), 0);

        let bytes = b"hello evidence";
        let h = sha256_hex(bytes);
        let p = s.store(&h, bytes).unwrap();
        assert_eq!(p, d.path().join("evidence").join(&h[..2]).join(&h));
        assert_eq!(fs::read(&p).unwrap(), bytes);
        assert!(s.contains(&h));
        s.store(&h, bytes).unwrap();
        // no temp files left behind
        assert_eq!(fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
        assert!(s.path_of("../../etc/passwd").is_none());
        let q = s.quarantine(&sha256_hex(b"bad"), b"bad").unwrap();
        assert!(q.starts_with(d.path().join("quarantine")));
    }

    #[test]
    fn sweep_moves_what_no_event_references_and_keeps_the_rest() {
        let d = tempfile::tempdir().unwrap();
        let s = EvidenceStore::open(d.path()).unwrap();
        let kept = sha256_hex(b"kept");
        let orphan = sha256_hex(b"orphan");
        let gone = sha256_hex(b"gone");
        s.store(&kept, b"kept").unwrap();
        let orphan_path = s.store(&orphan, b"orphan").unwrap();
        let kept_dir = s.path_of(&kept).unwrap().parent().unwrap().to_owned();
        fs::write(kept_dir.join(".incoming-AbC123"), b"half").unwrap();
        fs::write(d.path().join("evidence/stray.txt"), b"stray").unwrap();
        // a digest name in the wrong two-letter directory is not evidence either
        let misplaced = sha256_hex(b"misplaced");
        let wrong_dir = d
            .path()
            .join("evidence")
            .join(if misplaced.starts_with("00") {
                "01"
            } else {
                "00"
            });
        fs::create_dir_all(&wrong_dir).unwrap();
        fs::write(wrong_dir.join(&misplaced), b"misplaced").unwrap();
        // an earlier sweep already moved a file with the orphan's name: nothing is overwritten
        fs::create_dir_all(s.orphans_dir()).unwrap();
        fs::write(s.orphans_dir().join(&orphan), b"earlier").unwrap();

        let referenced: HashSet<Digest32> = [&kept, &gone]
            .iter()
            .map(|h| digest_of(h).unwrap())
            .collect();
        let sweep = s.quarantine_orphans(&referenced).unwrap();
        assert_eq!(
            sweep,
            OrphanSweep {
                blobs_moved: 1,
                others_moved: 3,
                move_failed: 0,
                rows_deleted: 0,
                missing: 1,
            }
        );
        assert_eq!(fs::read(s.path_of(&kept).unwrap()).unwrap(), b"kept");
        assert!(!orphan_path.exists());
        let o = s.orphans_dir();
        assert_eq!(fs::read(o.join(&orphan)).unwrap(), b"earlier");
        assert_eq!(fs::read(o.join(format!("{orphan}.1"))).unwrap(), b"orphan");
        assert_eq!(fs::read(o.join("incoming-AbC123")).unwrap(), b"half");
        assert_eq!(fs::read(o.join("stray.txt")).unwrap(), b"stray");
        assert_eq!(fs::read(o.join(&misplaced)).unwrap(), b"misplaced");
        // idempotent
        assert_eq!(s.quarantine_orphans(&referenced).unwrap().moved(), 0);
        assert!(digest_of("../../etc/passwd").is_none());
        assert!(digest_of(&kept.to_uppercase()).is_none());
    }
}
