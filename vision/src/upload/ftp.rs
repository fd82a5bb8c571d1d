//! The FTP channel (U1–U4, U7): one kept control connection, binary STOR under the spec name.
//!
//! Key design decision: **keep one logged-in control connection and distrust it once.** Evidence
//! arrives one file at a time, so the connection is kept between uploads (no login per file). A
//! kept connection may have gone stale without us knowing (the platform restarted, or its idle
//! timeout closed it); when a STOR on a *reused* connection fails at the connection level, the
//! same STOR is tried once more on a fresh connection before the failure counts. Re-sending is
//! safe: the platform treats the same name with the same bytes as idempotent.
//!
//! Reply classes: `55x` is the platform refusing this file (U1–U4 name, mine, content, size,
//! conflict) and is permanent; `4xx`, other `5xx` (e.g. `530` credentials) and every
//! connection-level error or timeout are retryable, because they say nothing against the file.

use std::io::Cursor;
use std::time::Duration;

use suppaftp::FtpError;
use suppaftp::tokio::AsyncFtpStream;
use suppaftp::types::FileType;

use super::Failure;

/// The FTP side of the uploader.
pub(crate) struct FtpLink {
    addr: String,
    user: String,
    password: String,
    connect_timeout: Duration,
    io_timeout: Duration,
    conn: Option<AsyncFtpStream>,
}

impl std::fmt::Debug for FtpLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FtpLink")
            .field("addr", &self.addr)
            .field("user", &self.user)
            .field("connected", &self.conn.is_some())
            .finish_non_exhaustive()
    }
}

/// The text of an FTP reply: `553 U1 field count: …`.
fn reply_text(resp: &suppaftp::types::Response) -> String {
    let code = resp.status.code();
    let body = String::from_utf8_lossy(&resp.body);
    let body = body.trim();
    if body.starts_with(&code.to_string()) {
        body.to_owned()
    } else {
        format!("{code} {body}")
    }
}

/// Classifies an FTP reply that was not the expected one.
pub(crate) fn classify_reply(code: u32, text: String) -> Failure {
    if (550..=559).contains(&code) {
        Failure::permanent(format!("FTP {text}"))
    } else {
        Failure::retryable(format!("FTP {text}"))
    }
}

impl FtpLink {
    pub(crate) fn new(
        addr: &str,
        user: &str,
        password: &str,
        connect_timeout: Duration,
        io_timeout: Duration,
    ) -> FtpLink {
        FtpLink {
            addr: addr.to_owned(),
            user: user.to_owned(),
            password: password.to_owned(),
            connect_timeout,
            io_timeout,
            conn: None,
        }
    }

    /// True while a control connection is kept.
    pub(crate) fn connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Uploads `bytes` as `name` (STOR, binary).
    pub(crate) async fn store(&mut self, name: &str, bytes: &[u8]) -> Result<(), Failure> {
        let reused = self.conn.is_some();
        match self.try_store(name, bytes).await {
            Err(f) if reused && f.connection_lost => {
                tracing::debug!(reason = %f.reason, "FTP: kept connection failed; trying once on a new one");
                self.try_store(name, bytes).await
            }
            r => r,
        }
    }

    async fn try_store(&mut self, name: &str, bytes: &[u8]) -> Result<(), Failure> {
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => self.connect().await?,
        };
        let mut reader = Cursor::new(bytes);
        match tokio::time::timeout(self.io_timeout, conn.put_file(name, &mut reader)).await {
            Ok(Ok(_)) => {
                self.conn = Some(conn);
                Ok(())
            }
            Ok(Err(FtpError::UnexpectedResponse(resp))) => {
                let code = resp.status.code();
                // The server answered: the control connection is in step, keep it — unless it
                // says it is closing (421).
                if code != 421 {
                    self.conn = Some(conn);
                }
                Err(classify_reply(code, reply_text(&resp)))
            }
            Ok(Err(e)) => Err(Failure::lost(format!("FTP STOR {name}: {e}"))),
            Err(_) => Err(Failure::retryable(format!(
                "FTP STOR {name}: no completion within {} s",
                self.io_timeout.as_secs_f64()
            ))),
        }
    }

    async fn connect(&mut self) -> Result<AsyncFtpStream, Failure> {
        let addr =
            match tokio::time::timeout(self.connect_timeout, tokio::net::lookup_host(&self.addr))
                .await
            {
                Ok(Ok(mut addrs)) => addrs.next().ok_or_else(|| {
                    Failure::retryable(format!(
                        "FTP {}: the name resolves to no address",
                        self.addr
                    ))
                })?,
                Ok(Err(e)) => return Err(Failure::retryable(format!("FTP {}: {e}", self.addr))),
                Err(_) => {
                    return Err(Failure::retryable(format!(
                        "FTP {}: name lookup timed out",
                        self.addr
                    )));
                }
            };
        let mut conn = AsyncFtpStream::connect_timeout(addr, self.connect_timeout)
            .await
            .map_err(|e| Failure::retryable(format!("FTP connect {addr}: {e}")))?;
        let io = self.io_timeout;
        let step =
            |what: &'static str, r: Result<Result<(), FtpError>, tokio::time::error::Elapsed>| {
                match r {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(FtpError::UnexpectedResponse(resp))) => {
                        // A refused login or TYPE says nothing against the file: retry (U7 account).
                        Err(Failure::retryable(format!(
                            "FTP {what}: {}",
                            reply_text(&resp)
                        )))
                    }
                    Ok(Err(e)) => Err(Failure::retryable(format!("FTP {what}: {e}"))),
                    Err(_) => Err(Failure::retryable(format!(
                        "FTP {what}: timed out after {} s",
                        io.as_secs_f64()
                    ))),
                }
            };
        step(
            "login",
            tokio::time::timeout(io, conn.login(self.user.as_str(), self.password.as_str())).await,
        )?;
        // suppaftp defaults to ASCII, which would rewrite line endings inside JPEG/MP4 bytes.
        step(
            "TYPE I",
            tokio::time::timeout(io, conn.transfer_type(FileType::Binary)).await,
        )?;
        tracing::debug!(%addr, user = %self.user, "FTP: logged in");
        Ok(conn)
    }

    /// Ends the session politely (QUIT), if there is one.
    pub(crate) async fn close(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = tokio::time::timeout(self.io_timeout, conn.quit()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_classes() {
        for code in [550, 551, 552, 553] {
            assert!(
                !classify_reply(code, format!("{code} no")).retryable,
                "{code}"
            );
        }
        for code in [421, 425, 426, 450, 451, 452, 500, 501, 530] {
            assert!(
                classify_reply(code, format!("{code} later")).retryable,
                "{code}"
            );
        }
    }
}
