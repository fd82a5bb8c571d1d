//! The FTP channel (U1–U4; U7 accounts): libunftp behind a thin control-channel front.
//!
//! Each accepted client connection gets its own libunftp session over a loopback socket pair
//! (`Server::service`), whose storage back-end ([`backend::EvidenceBackend`]) hands every STOR to
//! [`Ingest::accept`]. The front ([`front`]) relays the control and passive data connections and
//! rewrites libunftp's fixed error texts into the refusal reason, e.g.
//! `553 U1 field count: expected 4 digits at 16..20, found "00a5"`.
//!
//! Reply codes: name / channel / conflict → 553, another mine's code → 550, content → 551,
//! too large → 552, cut-off transfer → 426, platform failure → 451.
//!
//! ```no_run
//! # async fn f(config: eseal_platform::config::PlatformConfig, ingest: eseal_platform::ingest::Ingest,
//! #            accounts: eseal_platform::accounts::Accounts) -> eseal_platform::Result<()> {
//! let server = eseal_platform::ftp::FtpServer::bind(&config, ingest, accounts).await?;
//! let handle = server.spawn();
//! println!("FTP on {}", handle.local_addr());
//! handle.shutdown().await?;
//! # Ok(()) }
//! ```

pub mod backend;
mod front;

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use libunftp::ServerBuilder;
use libunftp::options::PassiveHost;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::accounts::Accounts;
use crate::config::{PlatformConfig, PortRange};
use crate::error::{Error, Result};
use crate::ingest::Ingest;
use backend::{EvidenceBackend, MineAuthenticator, MineUser, MineUserProvider, RefusalBoard};

/// Greeting sent on connect.
pub const GREETING: &str = "eseal reference platform: FTP upload of mine evidence (U1-U4)";

#[derive(Debug)]
struct Shared {
    ingest: Ingest,
    accounts: Accounts,
    passive_ports: PortRange,
    passive_host: Option<IpAddr>,
}

/// A bound, not yet running FTP server.
#[derive(Debug)]
pub struct FtpServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
}

/// A running FTP server.
#[derive(Debug)]
pub struct FtpHandle {
    local_addr: SocketAddr,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl FtpHandle {
    /// The bound control address (the real port when the config said port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, cuts every session (uploads in flight are not acknowledged and leave
    /// nothing behind) and waits for the server task.
    pub async fn shutdown(self) -> Result<()> {
        self.cancel.cancel();
        self.task.await?
    }

    /// Waits until the server stops (it runs until shut down).
    pub async fn wait(self) -> Result<()> {
        self.task.await?
    }

    /// A token that stops the server when cancelled.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

impl FtpServer {
    /// Binds the control listener at `config.ftp_addr` (port 0: any free port).
    pub async fn bind(
        config: &PlatformConfig,
        ingest: Ingest,
        accounts: Accounts,
    ) -> Result<FtpServer> {
        let listener = TcpListener::bind(config.ftp_addr).await.map_err(|e| {
            Error::Server(format!("ftp: could not listen on {}: {e}", config.ftp_addr))
        })?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| Error::io("ftp: local address", e))?;
        let shared = Arc::new(Shared {
            ingest,
            accounts,
            passive_ports: config.passive_ports,
            passive_host: config.passive_host,
        });
        Ok(FtpServer {
            listener,
            local_addr,
            shared,
        })
    }

    /// The bound control address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Runs on a new task.
    pub fn spawn(self) -> FtpHandle {
        let cancel = CancellationToken::new();
        let local_addr = self.local_addr;
        let c = cancel.clone();
        let task = tokio::spawn(async move { self.run(c).await });
        FtpHandle {
            local_addr,
            cancel,
            task,
        }
    }

    /// Runs until `shutdown` completes.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send) -> Result<()> {
        let cancel = CancellationToken::new();
        let c = cancel.clone();
        let run = self.run(c);
        tokio::pin!(run);
        tokio::select! {
            r = &mut run => r,
            _ = shutdown => {
                cancel.cancel();
                run.await
            }
        }
    }

    async fn run(self, cancel: CancellationToken) -> Result<()> {
        tracing::info!(addr = %self.local_addr, "FTP server listening");
        let mut sessions = JoinSet::new();
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                r = self.listener.accept() => match r {
                    Ok((stream, peer)) => {
                        let shared = self.shared.clone();
                        let token = cancel.child_token();
                        sessions.spawn(async move {
                            if let Err(e) = serve(shared, stream, token).await {
                                tracing::debug!(%peer, error = %e, "FTP session ended with an error");
                            }
                        });
                    }
                    Err(e) => {
                        // e.g. too many open files: back off instead of spinning
                        tracing::warn!(error = %e, "FTP accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            }
        }
        sessions.shutdown().await;
        tracing::info!(addr = %self.local_addr, "FTP server stopped");
        Ok(())
    }
}

/// A connected pair of loopback sockets: (ours, libunftp's).
async fn loopback_pair() -> io::Result<(TcpStream, TcpStream)> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = l.local_addr()?;
    let (ours, theirs) = tokio::join!(TcpStream::connect(addr), l.accept());
    let ours = ours?;
    let (theirs, peer) = theirs?;
    // Replies and commands are small writes: no Nagle delay on either end of the pair.
    ours.set_nodelay(true)?;
    theirs.set_nodelay(true)?;
    if peer != ours.local_addr()? {
        return Err(io::Error::other(
            "loopback pairing was raced by another connection",
        ));
    }
    Ok((ours, theirs))
}

async fn serve(
    shared: Arc<Shared>,
    client: TcpStream,
    cancel: CancellationToken,
) -> io::Result<()> {
    let client_peer = client.peer_addr()?;
    let client_local = client.local_addr()?;
    let board = Arc::new(RefusalBoard::default());
    let backend = EvidenceBackend {
        ingest: shared.ingest.clone(),
        board: board.clone(),
    };
    let provider: Arc<dyn unftp_core::auth::UserDetailProvider<User = MineUser> + Send + Sync> =
        Arc::new(MineUserProvider {
            accounts: shared.accounts.clone(),
        });
    let server = ServerBuilder::<EvidenceBackend, MineUser>::with_user_detail_provider(
        Box::new(move || backend.clone()),
        provider,
    )
    .authenticator(Arc::new(MineAuthenticator {
        accounts: shared.accounts.clone(),
    }))
    .greeting(GREETING)
    .passive_ports(0..=0)
    .passive_host(PassiveHost::Ip(Ipv4Addr::LOCALHOST))
    .idle_session_timeout(600)
    .build()
    .map_err(io::Error::other)?;
    let (upstream, inner) = loopback_pair().await?;
    let session = tokio::spawn(async move {
        if let Err(e) = server.service(inner).await {
            tracing::debug!(error = ?e, "libunftp session failed");
        }
    });
    let front = front::Front {
        client_peer,
        client_local,
        passive_ports: shared.passive_ports,
        passive_host: shared.passive_host,
        board,
        cancel: cancel.clone(),
    };
    let result = tokio::select! {
        r = front::relay_control(client, upstream, front) => r,
        _ = cancel.cancelled() => Ok(()),
    };
    // Closing our end of the loopback pair ends the libunftp session; an ingest already
    // running finishes (it is durable either way) but nothing more is accepted.
    cancel.cancel();
    let _ = session.await;
    result
}
