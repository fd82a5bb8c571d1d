//! The judge (issue 5, in progress): the only code that sees ground truth and what a device
//! reported together, and scores the device clause by clause.
//!
//! - [`assign`]: the judge's own optimal assignment (most feasible pairs, then least cost).
//! - [`matching`]: optimal one-to-one matching of truth events to reports inside the R2
//!   tolerance window, with event-level precision, recall and F1.
//! - [`mp4`]: the judge's own ISO-BMFF reader (a clip's codec, size and duration).
//! - [`checks`]: the checks, clause by clause, from truth and what a device delivered.
//! - [`sign`]: Ed25519 signatures over a report directory's manifest, and their verification.
//! - [`verdict`]: what the judge concludes, as data (the `report.json` schema).
//! - [`stream_health`]: in external mode, the judge's own viewer of the streams it serves.

pub mod alarm_closure;
pub mod assign;
pub mod capture;
pub mod capture_pass;
pub mod cases;
pub mod certify;
pub mod checks;
pub mod cli;
pub mod export;
pub mod external;
pub mod matching;
pub mod mp4;
pub mod observed;
pub mod ready;
pub mod report;
pub mod sign;
pub mod sign_cli;
pub mod stream_health;
pub mod verdict;
