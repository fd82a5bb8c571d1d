//! The judge (issue 5, in progress): the only code that sees ground truth and what a device
//! reported together, and scores the device clause by clause.
//!
//! - [`matching`]: optimal one-to-one matching of truth events to reports inside the R2
//!   tolerance window, with event-level precision, recall and F1.
//! - [`verdict`]: what the judge concludes, as data (the `report.json` schema).

pub mod matching;
pub mod verdict;
