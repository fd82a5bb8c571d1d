//! Integration tests of eseal-vision (one test binary, ripgrep style).
#![allow(clippy::unwrap_used, clippy::print_stdout)]
mod spool;
mod upload;
mod config;
mod media;
mod source;
