//! eseal — conformance simulator and test harness for the mine electronic seal (矿山电子封条).
//!
//! The root package holds the command line and, from issue 5 on, the judge: the only code that
//! sees ground truth and device uploads together. Everything the binary does lives here so that
//! tests can call it; `main.rs` only maps errors to an exit code.

pub mod assets;
pub mod cli;
pub mod demo;
pub mod edge;
pub mod judge;
pub mod load;
pub mod load_alarms;
pub mod names;
pub mod sim;
