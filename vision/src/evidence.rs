//! What the device sends: evidence files named by the spec (U1–U5) and stream registrations (U6).
//!
//! Analysers produce [`Outgoing`] items; the device writes each one durably to its spool before
//! anything is uploaded ([`crate::spool`]), and the uploader sends them in spool order.

use eseal_protocol::{EvidenceName, LockEventMetadata, StreamRegistration};

/// One thing to deliver to the platform.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// U1–U4: a JPEG or MP4 uploaded by FTP under its spec name.
    Ftp {
        /// The file name (U1–U4).
        name: EvidenceName,
        /// JPEG (U1, U2, U4) or MP4 (U3) bytes.
        bytes: Vec<u8>,
    },
    /// U5: a lock event posted by HTTPS with its 10-second H.264 MP4.
    Lock {
        /// The JSON part; its `file_name` names the clip.
        metadata: LockEventMetadata,
        /// The MP4 bytes.
        video: Vec<u8>,
    },
    /// U6: a camera's live stream address, registered at start-up and on every change.
    Stream {
        /// The PUT body.
        registration: StreamRegistration,
    },
}

impl Outgoing {
    /// A short label for logs and reports: the file name, or `stream <camera>`.
    pub fn label(&self) -> String {
        match self {
            Outgoing::Ftp { name, .. } => name.to_string(),
            Outgoing::Lock { metadata, .. } => metadata.file_name.clone(),
            Outgoing::Stream { registration } => format!("stream {}", registration.camera_code),
        }
    }

    /// The payload bytes (empty for a stream registration).
    pub fn payload(&self) -> &[u8] {
        match self {
            Outgoing::Ftp { bytes, .. } => bytes,
            Outgoing::Lock { video, .. } => video,
            Outgoing::Stream { .. } => &[],
        }
    }
}
