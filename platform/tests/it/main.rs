//! Integration tests of the platform: real FTP clients over loopback.
#![allow(clippy::unwrap_used)]
