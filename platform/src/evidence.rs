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
//! All methods block; call them from a blocking thread.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

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
}
