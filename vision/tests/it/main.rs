//! Integration tests of eseal-vision (one test binary, ripgrep style).
#![allow(clippy::unwrap_used, clippy::print_stdout)]
mod config;
mod learned;
mod media;
mod source;
mod spool;
mod upload;
