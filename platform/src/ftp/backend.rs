//! libunftp plumbing: the authenticator, the user (a mine account) and the storage back-end
//! that hands every STOR to [`Ingest::accept`].
//!
//! The back-end is virtual: directories always exist (clients `MKD`/`CWD` freely, curl's
//! `--ftp-create-dirs` works), `LIST` shows the mine's accepted evidence, `RETR` serves it,
//! `DELE`/`RNFR`/`RMD` are refused. A STOR is spooled to a temp file (bounded by the maximum
//! upload size) and judged only once the data connection ends cleanly; a reset connection is
//! recorded as an aborted upload and stores nothing.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use unftp_core::auth::{
    AuthenticationError, Authenticator, Credentials, Principal, UserDetail, UserDetailError,
    UserDetailProvider,
};
use unftp_core::storage::{Error as StorageError, ErrorKind, Fileinfo, Metadata, StorageBackend};

use crate::accounts::{Accounts, MineAccount};
use crate::ingest::{Channel, Ingest, Refusal, RefusalKind, Upload, UploadBody, one_line};

/// A STOR whose data connection stays silent this long is treated as cut off.
pub const DATA_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
/// After a file grew past the size limit, up to this much more (or the limit, if larger) is read
/// and discarded so the client sees the 552 reply.
const DRAIN_MIN_BYTES: u64 = 16 * 1024 * 1024;
/// Idle time that ends draining an oversized upload.
const DRAIN_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The logged-in FTP user: a mine account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MineUser {
    /// The account.
    pub account: MineAccount,
}

impl UserDetail for MineUser {}

impl fmt::Display for MineUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (mine {})", self.account.username, self.account.mine)
    }
}

/// Password check against [`Accounts`] (argon2id).
#[derive(Debug, Clone)]
pub struct MineAuthenticator {
    pub(crate) accounts: Accounts,
}

#[async_trait]
impl Authenticator for MineAuthenticator {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        let password = creds
            .password
            .as_deref()
            .ok_or(AuthenticationError::BadPassword)?;
        match self.accounts.verify_password(username, password).await {
            Ok(Some(a)) => Ok(Principal {
                username: a.username,
            }),
            Ok(None) => Err(AuthenticationError::BadPassword),
            Err(e) => Err(AuthenticationError::with_source("account store failed", e)),
        }
    }

    fn name(&self) -> &str {
        "eseal-mine-accounts"
    }
}

/// Maps an authenticated user name to its [`MineUser`].
#[derive(Debug, Clone)]
pub struct MineUserProvider {
    pub(crate) accounts: Accounts,
}

#[async_trait]
impl UserDetailProvider for MineUserProvider {
    type User = MineUser;

    async fn provide_user_detail(
        &self,
        principal: &Principal,
    ) -> Result<MineUser, UserDetailError> {
        match self.accounts.get(&principal.username).await {
            Ok(Some(account)) => Ok(MineUser { account }),
            Ok(None) => Err(UserDetailError::UserNotFound {
                username: principal.username.clone(),
            }),
            Err(e) => Err(UserDetailError::with_source("account store failed", e)),
        }
    }
}

/// What the back-end tells the control-channel front: the reply text to use instead of
/// libunftp's fixed one after its last failure (take-once), and how many uploads it has begun
/// to read. One per control connection.
#[derive(Debug, Default)]
pub struct RefusalBoard {
    slot: Mutex<Option<BoardEntry>>,
    /// Uploads whose data the back-end has begun to read.
    reads: std::sync::atomic::AtomicU64,
    read_begun: tokio::sync::Notify,
}

/// One posted failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardEntry {
    /// The reply code libunftp will send for the error we returned.
    pub code: u16,
    /// The text to send instead (one line, ≤ 500 bytes).
    pub text: String,
}

impl RefusalBoard {
    /// Posts the reason for the error about to be returned to libunftp.
    pub fn post(&self, code: u16, text: &str) {
        let entry = BoardEntry {
            code,
            text: one_line(text, 500),
        };
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(entry);
    }

    /// Takes the posted reason, if any.
    pub fn take(&self) -> Option<BoardEntry> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// The back-end began to read an upload's data: libunftp holds the data connection.
    pub fn begin_read(&self) {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.read_begun.notify_waiters();
    }

    /// Uploads begun so far.
    pub fn reads(&self) -> u64 {
        self.reads.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits until more than `n` uploads have begun.
    pub async fn read_begun_after(&self, n: u64) {
        loop {
            let notified = self.read_begun.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.reads() > n {
                return;
            }
            notified.await;
        }
    }
}

/// libunftp storage back-end of one control connection.
#[derive(Debug, Clone)]
pub struct EvidenceBackend {
    pub(crate) ingest: Ingest,
    pub(crate) board: Arc<RefusalBoard>,
}

/// Metadata of a virtual directory or an evidence file.
#[derive(Debug, Clone)]
pub struct Meta {
    len: u64,
    dir: bool,
    modified: SystemTime,
}

impl Metadata for Meta {
    fn len(&self) -> u64 {
        self.len
    }
    fn is_dir(&self) -> bool {
        self.dir
    }
    fn is_file(&self) -> bool {
        !self.dir
    }
    fn is_symlink(&self) -> bool {
        false
    }
    fn modified(&self) -> unftp_core::storage::Result<SystemTime> {
        Ok(self.modified)
    }
    fn gid(&self) -> u32 {
        0
    }
    fn uid(&self) -> u32 {
        0
    }
}

fn storage_kind(kind: RefusalKind) -> ErrorKind {
    match kind {
        RefusalKind::Name
        | RefusalKind::Channel
        | RefusalKind::Conflict
        | RefusalKind::Metadata => ErrorKind::FileNameNotAllowedError,
        RefusalKind::MineMismatch => ErrorKind::PermissionDenied,
        RefusalKind::Content => ErrorKind::PageTypeUnknown,
        RefusalKind::TooLarge => ErrorKind::ExceededStorageAllocationError,
        RefusalKind::Aborted => ErrorKind::ConnectionClosed,
        RefusalKind::Internal => ErrorKind::LocalError,
    }
}

fn looks_like_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".jpg") || lower.ends_with(".mp4")
}

fn last_component(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl EvidenceBackend {
    fn refused(&self, r: &Refusal) -> StorageError {
        let kind = storage_kind(r.kind);
        self.board.post(r.kind.ftp_code(), &r.reason);
        StorageError::new(kind, r.reason.clone())
    }

    fn deny(&self, code: u16, kind: ErrorKind, text: &str) -> StorageError {
        self.board.post(code, text);
        StorageError::new(kind, text.to_owned())
    }

    async fn evidence_of(
        &self,
        user: &MineUser,
        name: &str,
    ) -> unftp_core::storage::Result<Option<(String, u64, SystemTime)>> {
        let row = self
            .ingest
            .event_by_name(name)
            .await
            .map_err(|e| StorageError::new(ErrorKind::LocalError, e))?;
        let Some(row) = row.filter(|r| r.mine == user.account.mine.as_str()) else {
            return Ok(None);
        };
        let Some(path) = self.ingest.evidence().path_of(&row.sha256) else {
            return Ok(None);
        };
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| StorageError::new(ErrorKind::LocalError, e))?;
        Ok(Some((
            row.sha256,
            meta.len(),
            meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        )))
    }

    /// Spools `input` into a temp file; `Err` carries the refusal when the transfer broke or grew too large.
    async fn spool<R: AsyncRead + Unpin>(
        &self,
        user: &MineUser,
        sent: &str,
        mut input: R,
    ) -> Result<(tempfile::TempPath, u64), StorageError> {
        self.board.begin_read();
        let max = self.ingest.max_upload_size();
        let tmp = tempfile::Builder::new()
            .prefix("ftp-")
            .tempfile_in(self.ingest.tmp_dir())
            .map_err(|e| StorageError::new(ErrorKind::LocalError, e))?
            .into_temp_path();
        let mut file = tokio::fs::File::create(&tmp)
            .await
            .map_err(|e| StorageError::new(ErrorKind::LocalError, e))?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut total: u64 = 0;
        loop {
            let read = tokio::time::timeout(DATA_IDLE_TIMEOUT, input.read(&mut buf)).await;
            let read = read.unwrap_or_else(|_| {
                Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no data for {} s", DATA_IDLE_TIMEOUT.as_secs()),
                ))
            });
            let n = match read {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    let r = self
                        .ingest
                        .record_aborted(
                            &user.account,
                            Channel::Ftp,
                            sent,
                            total,
                            &format!("data connection failed ({e})"),
                        )
                        .await;
                    return Err(self.refused(&r));
                }
            };
            total += n as u64;
            if total > max {
                // Read (and discard) the rest of a moderately oversized file so that the client
                // finishes sending and reads the 552 with its reason, instead of a broken pipe.
                let mut drained: u64 = 0;
                let drain_limit = max.max(DRAIN_MIN_BYTES);
                while drained < drain_limit {
                    match tokio::time::timeout(DRAIN_IDLE_TIMEOUT, input.read(&mut buf)).await {
                        Ok(Ok(n)) if n > 0 => drained += n as u64,
                        _ => break,
                    }
                }
                let r = self
                    .ingest
                    .record_too_large(&user.account, Channel::Ftp, sent)
                    .await;
                return Err(self.refused(&r));
            }
            file.write_all(&buf[..n])
                .await
                .map_err(|e| StorageError::new(ErrorKind::LocalError, e))?;
        }
        file.flush()
            .await
            .map_err(|e| StorageError::new(ErrorKind::LocalError, e))?;
        Ok((tmp, total))
    }
}

#[async_trait]
impl StorageBackend<MineUser> for EvidenceBackend {
    type Metadata = Meta;

    fn name(&self) -> &str {
        "eseal-evidence"
    }

    async fn metadata<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        user: &MineUser,
        path: P,
    ) -> unftp_core::storage::Result<Meta> {
        let name = last_component(path.as_ref());
        if !looks_like_file(&name) {
            return Ok(Meta {
                len: 0,
                dir: true,
                modified: SystemTime::now(),
            });
        }
        match self.evidence_of(user, &name).await? {
            Some((_, len, modified)) => Ok(Meta {
                len,
                dir: false,
                modified,
            }),
            None => Err(ErrorKind::PermanentFileNotAvailable.into()),
        }
    }

    async fn list<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        user: &MineUser,
        path: P,
    ) -> unftp_core::storage::Result<Vec<Fileinfo<PathBuf, Meta>>>
    where
        Meta: Metadata,
    {
        let only = Some(last_component(path.as_ref())).filter(|n| looks_like_file(n));
        let rows = self
            .ingest
            .event_names_of_mine(user.account.mine.as_str())
            .await
            .map_err(|e| StorageError::new(ErrorKind::LocalError, e))?;
        Ok(rows
            .into_iter()
            .filter(|(name, _, _)| only.as_ref().is_none_or(|o| o == name))
            .map(|(name, _, size)| Fileinfo {
                path: PathBuf::from(name),
                metadata: Meta {
                    len: u64::try_from(size).unwrap_or(0),
                    dir: false,
                    modified: SystemTime::now(),
                },
            })
            .collect())
    }

    async fn get<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        user: &MineUser,
        path: P,
        start_pos: u64,
    ) -> unftp_core::storage::Result<Box<dyn AsyncRead + Send + Sync + Unpin>> {
        let name = last_component(path.as_ref());
        let Some((sha, _, _)) = self.evidence_of(user, &name).await? else {
            return Err(self.deny(
                550,
                ErrorKind::PermanentFileNotAvailable,
                &format!("{name}: no such accepted evidence of this mine"),
            ));
        };
        let file_path = self
            .ingest
            .evidence()
            .path_of(&sha)
            .ok_or(ErrorKind::PermanentFileNotAvailable)?;
        let mut f = tokio::fs::File::open(file_path)
            .await
            .map_err(|e| StorageError::new(ErrorKind::LocalError, e))?;
        if start_pos > 0 {
            f.seek(std::io::SeekFrom::Start(start_pos))
                .await
                .map_err(|e| StorageError::new(ErrorKind::LocalError, e))?;
        }
        Ok(Box::new(f))
    }

    async fn put<
        P: AsRef<Path> + Send + fmt::Debug,
        R: AsyncRead + Send + Sync + Unpin + 'static,
    >(
        &self,
        user: &MineUser,
        input: R,
        path: P,
        start_pos: u64,
    ) -> unftp_core::storage::Result<u64> {
        let sent = path.as_ref().to_string_lossy().into_owned();
        if start_pos != 0 {
            return Err(self.deny(
                550,
                ErrorKind::PermissionDenied,
                "resumed uploads (REST/APPE) are not accepted: evidence is sent whole",
            ));
        }
        let (tmp, size) = self.spool(user, &sent, input).await?;
        let upload = Upload {
            account: &user.account,
            channel: Channel::Ftp,
            name: &sent,
            body: UploadBody::TempFile(tmp),
            metadata: None,
        };
        match self.ingest.accept(upload).await {
            Ok(_) => Ok(size),
            Err(r) => Err(self.refused(&r)),
        }
    }

    async fn del<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        _user: &MineUser,
        _path: P,
    ) -> unftp_core::storage::Result<()> {
        Err(self.deny(
            550,
            ErrorKind::PermissionDenied,
            "evidence cannot be deleted: accepted uploads are kept as they were received",
        ))
    }

    async fn mkd<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        _user: &MineUser,
        _path: P,
    ) -> unftp_core::storage::Result<()> {
        Ok(())
    }

    async fn rename<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        _user: &MineUser,
        _from: P,
        _to: P,
    ) -> unftp_core::storage::Result<()> {
        Err(self.deny(
            550,
            ErrorKind::PermissionDenied,
            "evidence cannot be renamed: upload it under its final name",
        ))
    }

    async fn rmd<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        _user: &MineUser,
        _path: P,
    ) -> unftp_core::storage::Result<()> {
        Err(self.deny(
            550,
            ErrorKind::PermissionDenied,
            "directories are virtual and cannot be removed",
        ))
    }

    async fn cwd<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        _user: &MineUser,
        _path: P,
    ) -> unftp_core::storage::Result<()> {
        Ok(())
    }
}
