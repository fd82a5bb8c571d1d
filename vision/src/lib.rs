//! eseal-vision: the reference edge analysis device (前置分析设备, E2–E5), what a good vendor box
//! does — count people both ways at shaft mouths and capture each one going down (U1), count
//! trucks leaving (U2), watch the belt and skip (U3), detect tampering (U4), report e-lock events
//! (U5), publish its own live streams (U6) — and deliver all of it with store-and-forward.
//!
//! Key design decision: **the device sees pixels, a clock and its installation, nothing else.**
//! It depends on `eseal-protocol` only; it never sees ground truth, so the judge scores it
//! exactly as it scores a vendor's box. Its inputs are [`frame::Frame`]s with presentation times
//! (from the in-process simulator at virtual time, or GStreamer at wall time), its camera
//! calibration ([`calib`]) and the e-lock signals wired to it; its outputs are spec-named
//! evidence ([`evidence::Outgoing`]) written durably to a spool before any upload is tried.

pub mod calib;
pub mod clock;
pub mod config;
pub mod device;
pub mod equipment;
pub mod evidence;
pub mod frame;
pub mod media;
pub mod people;
pub mod source;
pub mod spool;
pub mod tamper;
pub mod trucks;
pub mod upload;

pub use config::{ConfigError, DeviceConfig};

/// Everything that can go wrong in the device.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A file of the spool or the state could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, with the path.
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A video pipeline failed (GStreamer).
    #[error("video: {0}")]
    Video(String),
    /// An image could not be encoded or decoded.
    #[error("image: {0}")]
    Image(String),
    /// The learned detector could not be loaded or run: ONNX Runtime's library or the model
    /// (the message names the path and what to install).
    #[error("detector: {0}")]
    Detector(String),
    /// An upload failed; it stays in the spool and is retried.
    #[error("upload of {label}: {message}")]
    Upload {
        /// The item (file name or `stream <camera>`).
        label: String,
        /// Why.
        message: String,
        /// Whether retrying can help (network, 4xx-transient, 5xx) or not (a refusal).
        retryable: bool,
    },
}

impl Error {
    /// An I/O error with what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}
