//! The reference regulators' platform (智能监管平台): FTP + HTTPS ingest of mine-side uploads
//! (U1–U5), the evidence store, and the database the rest of the platform reads.
//!
//! Key design decision: **one ingest path, nothing acknowledged is lost, every refusal is
//! recorded.** Whatever the channel (FTP for U1–U4, HTTPS for U5), an upload goes through
//! [`ingest::Ingest::accept`]: the name must parse (U1–U5), its mine must be the account's own
//! (U7, R1), the bytes must be what the extension promises; then the evidence file is written
//! atomically and durably and the event row is committed *before* the client is told "accepted",
//! so an acknowledged upload survives a crash. A refused upload never becomes an event or
//! evidence: it becomes a `violations` row with the reason (bytes quarantined for diagnosis), and
//! the client is told that reason in the protocol's own words (an FTP reply such as
//! `553 U1 field count: expected 4 digits at 16..20, found "00a5"`).
//!
//! The database is one URL ([`config::PlatformConfig::database_url`]): the SQLite file
//! `data_dir/platform.sqlite3` by default, or PostgreSQL. Every table — ingest and supervision —
//! goes through the [`db`] layer with the same SQL on both backends ([`store::Store`]).

pub mod accounts;
pub mod config;
pub mod content;
pub mod db;
pub mod demo;
pub mod error;
pub mod evidence;
pub mod ftp;
pub mod http;
pub mod ingest;
pub mod metrics;
pub mod query;
pub mod store;
pub mod supervision;

pub use error::{Error, Result};

use std::net::SocketAddr;

use accounts::Accounts;
use config::PlatformConfig;
use demo::{DemoAccount, DemoUser};
use ftp::{FtpHandle, FtpServer};
use ingest::Ingest;
use store::Store;
use supervision::service::{Supervision, SupervisionSettings, SupervisionTasks};

/// Starts the platform: opens the database of `database_url` (SQLite by default, or
/// PostgreSQL; see [`config`]) and migrates it, optionally seeds the demo data, and starts the
/// FTP server. The HTTPS API is started by its own module on the same [`Ingest`].
///
/// ```no_run
/// # async fn f() -> eseal_platform::Result<()> {
/// let config = eseal_platform::config::PlatformConfig::builder().process_env().build()?;
/// let platform = eseal_platform::Platform::builder(config).seed_demo(true).start().await?;
/// println!("FTP on {:?}", platform.ftp_addr());
/// platform.shutdown().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Platform {
    /// The configuration it runs with.
    pub config: PlatformConfig,
    /// The database.
    pub store: Store,
    /// The one ingest path (FTP and HTTPS).
    pub ingest: Ingest,
    /// Mine accounts.
    pub accounts: Accounts,
    /// Demo credentials, when seeded.
    pub demo: Vec<DemoAccount>,
    /// The FTP server, when started.
    pub ftp: Option<FtpHandle>,
    /// Alarms, handling, users, patrol (issue 6); its worker follows the ingest.
    pub supervision: Supervision,
    /// Demo regulator users, when seeded.
    pub demo_users: Vec<DemoUser>,
    supervision_tasks: Option<SupervisionTasks>,
}

/// Builder of a running [`Platform`].
#[derive(Debug)]
pub struct PlatformBuilder {
    config: PlatformConfig,
    seed_demo: bool,
    ftp: bool,
    supervision: Option<SupervisionSettings>,
}

impl Platform {
    /// A builder: FTP on, demo seeding off.
    pub fn builder(config: PlatformConfig) -> PlatformBuilder {
        PlatformBuilder {
            config,
            seed_demo: false,
            ftp: true,
            supervision: None,
        }
    }

    /// The bound FTP control address.
    pub fn ftp_addr(&self) -> Option<SocketAddr> {
        self.ftp.as_ref().map(FtpHandle::local_addr)
    }

    /// Stops the servers and the supervision worker.
    pub async fn shutdown(self) -> Result<()> {
        if let Some(tasks) = self.supervision_tasks {
            tasks.shutdown().await;
        }
        if let Some(ftp) = self.ftp {
            ftp.shutdown().await?;
        }
        Ok(())
    }
}

impl PlatformBuilder {
    /// Seeds the demo hierarchy, mines and accounts ([`demo::seed_demo`]).
    pub fn seed_demo(mut self, yes: bool) -> Self {
        self.seed_demo = yes;
        self
    }

    /// How supervision runs (default: [`SupervisionSettings::reference`], the wall clock).
    pub fn supervision(mut self, settings: SupervisionSettings) -> Self {
        self.supervision = Some(settings);
        self
    }

    /// Starts the FTP server (default on).
    pub fn ftp(mut self, yes: bool) -> Self {
        self.ftp = yes;
        self
    }

    /// Opens everything and starts the servers.
    pub async fn start(self) -> Result<Platform> {
        let config = self.config;
        let store = Store::connect_async(&config.database_url()).await?;
        let demo = if self.seed_demo {
            demo::seed_demo(&store).await?
        } else {
            Vec::new()
        };
        let (s, dir, max) = (
            store.clone(),
            config.data_dir.clone(),
            config.max_upload_size,
        );
        let ingest = tokio::task::spawn_blocking(move || Ingest::new(s, dir, max)).await??;
        let accounts = Accounts::new(store.clone());
        let mut settings = match self.supervision {
            Some(s) => s,
            None => SupervisionSettings::reference()?,
        };
        if settings.webhooks.is_none() && !config.webhooks.is_empty() {
            let hooks = config
                .webhooks
                .iter()
                .cloned()
                .fold(supervision::push::Webhooks::builder(), |b, t| b.target(t))
                .build()
                .map_err(|e| Error::config("webhooks", e.expected, e.to_string()))?;
            settings.webhooks = Some(hooks);
        }
        let supervision = Supervision::new(&ingest, settings);
        let demo_users = if self.seed_demo {
            demo::seed_supervision(&supervision).await?
        } else {
            Vec::new()
        };
        let supervision_tasks = Some(supervision.spawn());
        let ftp = if self.ftp {
            Some(
                FtpServer::bind(&config, ingest.clone(), accounts.clone())
                    .await?
                    .spawn(),
            )
        } else {
            None
        };
        Ok(Platform {
            config,
            store,
            ingest,
            accounts,
            demo,
            ftp,
            supervision,
            demo_users,
            supervision_tasks,
        })
    }
}
