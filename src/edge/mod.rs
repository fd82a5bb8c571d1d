//! The reference edge device run in-process against the simulator: installation from a
//! scenario, frames on the virtual clock, and a small scorer against ground truth (until the
//! judge, issue 5, replaces it).

pub mod cli;
pub mod install;
pub mod people;
pub mod run;
pub mod score;
