//! End-to-end tests of the `eseal` binary and the whole chain. One test binary (ripgrep style).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod architecture;
mod cli;
mod crash;
mod demo;
mod edge_device;
mod edge_equipment;
mod edge_people;
mod ingest;
mod sim;
