//! The reference edge device from the command line (`edge run`, `edge people`, `edge trucks`,
//! `edge equipment`) and in process against the simulator: installation from a scenario and
//! frames on the virtual clock, the run the judge (`crate::judge`) scores.

pub mod cli;
pub mod equipment;
pub mod install;
pub mod people;
pub mod provision;
pub mod run;
mod scoring;
pub mod trucks;
