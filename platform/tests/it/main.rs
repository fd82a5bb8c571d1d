//! Integration tests of the platform: real FTP clients over loopback, and the ingest API.
#![allow(clippy::unwrap_used)]

mod alarms;
mod ftp;
mod http;
mod ingest;
mod malformed;
mod metrics;
mod postgres;
mod push;
mod supervision_api;
mod support;
