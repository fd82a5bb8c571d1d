//! The e-seal (矿山电子封条) wire contract: the codes, evidence file names and
//! JSON bodies that the mine side sends and the platform receives
//! (REQUIREMENTS.md clauses U1–U8, R1–R4). No I/O, no async.
//!
//! Key design decision: **parse, don't validate.** Every type here can only
//! hold a value the spec allows — a [`MineCode`] is 12 ASCII digits, a
//! [`MineTime`] is a real CST second, an [`EvidenceName`] formats back to
//! exactly the name it came from — so code downstream never re-checks. A
//! parse either fails with one [`NameError`] naming the [`Field`], its byte
//! span, what was found, what was expected and the clause; or it succeeds
//! with a [`ParsedName`] whose [`Finding`]s record where the name took one
//! reading of an ambiguous clause (U3's 30- vs 32-digit form, U5's `.jpg` vs
//! `.mp4`). Ambiguity is reported, never silently passed or failed, and
//! never guessed into an error.
//!
//! ```
//! use eseal_protocol::{EvidenceName, Field, FindingKind};
//!
//! let parsed = EvidenceName::parse("14042100786610030120210104121546.mp4")?;
//! assert_eq!(parsed.name.camera().map(|c| c.get()), Some(10));
//! assert_eq!(parsed.findings[0].kind, FindingKind::U3ExampleForm32);
//! assert_eq!(parsed.name.to_string(), "14042100786610030120210104121546.mp4");
//!
//! let err = EvidenceName::parse("14042100786620010a0520210104224515.jpg").unwrap_err();
//! assert_eq!(err.field, Field::Count);
//! assert_eq!(err.to_string(), r#"field count: expected 4 digits at 16..20, found "0a05" (U1)"#);
//! # Ok::<(), eseal_protocol::NameError>(())
//! ```
//!
//! Nothing here knows about FTP, HTTP, storage, the simulator or the
//! platform's alarm rules; both sides depend on this crate and nothing else
//! lives in it.

mod body;
mod codes;
mod error;
mod name;
mod time;

pub use body::{LockEventMetadata, StreamRegistration, validate_stream_url};
pub use codes::{
    AnalysisType, CameraCode, CameraKind, Clause, DailyCount, Extension, LockCode, LockKind,
    LockState, MineCode, TamperKind, TransportState,
};
pub use error::{Field, FieldError, NameError, TimeField};
pub use name::{EvidenceName, Finding, FindingKind, MAX_NAME_LEN, ParsedName};
pub use time::MineTime;
