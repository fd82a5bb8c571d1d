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

pub mod accounts;
pub mod config;
pub mod content;
pub mod demo;
pub mod error;
pub mod evidence;
pub mod ftp;
pub mod ingest;
pub mod store;
pub mod http;
pub mod query;

pub use error::{Error, Result};
