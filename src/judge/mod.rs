//! The judge (issue 5, in progress): the only code that sees ground truth and what a device
//! reported together, and scores the device clause by clause.
//!
//! - [`matching`]: optimal one-to-one matching of truth events to reports inside the R2
//!   tolerance window, with event-level precision, recall and F1.
//! - [`checks`]: the checks, clause by clause, from truth and what a device delivered.
//! - [`verdict`]: what the judge concludes, as data (the `report.json` schema).

pub mod capture;
pub mod capture_pass;
pub mod cases;
pub mod certify;
pub mod checks;
pub mod cli;
pub mod closure;
pub mod external;
pub mod matching;
pub mod ready;
pub mod report;
pub mod verdict;
