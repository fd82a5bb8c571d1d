//! The one error type of the platform crate.
//!
//! Upload *refusals* are not errors: they are an expected outcome of [`crate::ingest::Ingest::accept`]
//! and have their own type ([`crate::ingest::Refusal`]). `Error` is for the platform itself
//! failing (bad configuration, database or disk trouble, a server that cannot bind).

use std::path::PathBuf;

/// Result alias of the platform crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong inside the platform (not the uploads it judges).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is malformed. `key` is the TOML key or environment variable.
    #[error("config: {key}: expected {expected}, found {found:?}")]
    Config {
        /// TOML key (`passive_ports`) or environment variable (`ESEAL_PLATFORM_PASSIVE_PORTS`).
        key: String,
        /// The expected form, e.g. `a port range like "50000-50100"`.
        expected: String,
        /// What was found.
        found: String,
    },
    /// The configuration file could not be read or is not TOML.
    #[error("config: {path}: {reason}")]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// Why it could not be used.
        reason: String,
    },
    /// SQLite failed.
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The database was written by a newer build.
    #[error("database: schema version {found} is newer than this build knows ({known})")]
    SchemaTooNew {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// Newest migration of this build.
        known: i64,
    },
    /// A file system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An account name, mine or token is unknown, or a password is wrong.
    #[error("account: {0}")]
    Account(String),
    /// A server could not start.
    #[error("server: {0}")]
    Server(String),
    /// A background task panicked or was cancelled.
    #[error("internal: {0}")]
    Internal(String),
    /// PostgreSQL failed (the [`crate::db`] layer's second backend).
    #[error("database: {0}")]
    Postgres(#[from] postgres::Error),
    /// A result column is missing or holds another type than the caller reads.
    #[error("column {column:?}: expected {expected}, found {found}")]
    Column {
        /// The column name.
        column: String,
        /// What the caller reads (`integer`, `text` ...).
        expected: String,
        /// What the row holds.
        found: String,
    },
    /// A statement is malformed for the [`crate::db`] layer (placeholders, parameter count) or
    /// returned another number of rows than the call requires.
    #[error("query: {0}")]
    Query(String),
    /// The database refused a write by a constraint, the same kind on both backends.
    #[error("database: {kind} constraint failed: {detail}")]
    Constraint {
        /// Which kind of constraint.
        kind: crate::db::ConstraintKind,
        /// The backend's message.
        detail: String,
    },
    /// A value given to the platform is malformed. `field` names it.
    #[error("{field}: expected {expected}, found {found}")]
    Invalid {
        /// The field (`username`, `password` ...).
        field: String,
        /// The expected form.
        expected: String,
        /// What was found (never a secret: a password is described by its length).
        found: String,
    },
    /// A session token or a login was refused.
    #[error("authentication: {0}")]
    Auth(#[from] crate::supervision::users::AuthError),
    /// The actor may not do this; the message names the rule.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The thing to act on does not exist (or is outside the actor's jurisdiction).
    #[error("not found: {0}")]
    NotFound(String),
    /// The thing to create exists already.
    #[error("conflict: {0}")]
    Conflict(String),
}

impl Error {
    /// An I/O error with context (`"could not create <path>"`).
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn config(key: &str, expected: &str, found: impl Into<String>) -> Self {
        Error::Config {
            key: key.to_owned(),
            expected: expected.to_owned(),
            found: found.into(),
        }
    }

    pub(crate) fn invalid(field: &str, expected: &str, found: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.to_owned(),
            expected: expected.to_owned(),
            found: found.into(),
        }
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Internal(format!("blocking task failed: {e}"))
    }
}
