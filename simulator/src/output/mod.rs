//! Outputs: what leaves the simulator as pictures, files and live streams.
//!
//! Key design decision: **the world stays virtual; only the live streams look at the wall
//! clock.** Everything here takes finished [`Frame`]s and their virtual `pts_ns`. Files (PNG
//! frames, a contact sheet, MP4 through GStreamer) are timestamped from `pts_ns` alone, so the
//! same scenario gives a file of the same length however fast the machine renders, and the same
//! bytes (see [`mp4`] for what that takes of the encoders and the muxer). Live streams
//! for external devices (RTSP through gst-rtsp-server, MJPEG over HTTP as mjpg-streamer serves
//! it, U6) are fed through a [`FrameSink`] by a caller that paces frames against a wall-clock
//! start with [`pace`]; the servers themselves never hold frames back or invent them.
//!
//! - [`png`]: [`write_png`], [`contact_sheet`] with a built-in 5×7 digit font for tile labels.
//! - [`mp4`]: [`Mp4Writer`] (appsrc → videoconvert → I420 → x264enc/x265enc → parse → mp4mux),
//!   [`write_mp4`] with a progress hook, [`probe_mp4`] through `gst-discoverer-1.0`.
//! - [`rtsp`]: [`RtspServer`], one mount `/cam/<camera code>` per camera.
//! - [`mjpeg`]: [`MjpegServer`], `/cam/<camera code>?action=stream|snapshot`.
//! - [`live`]: [`LiveServer`], both of the above per camera, as `eseal sim serve` runs them.
//! - [`pace`]: real-time pacing of a frame iterator.

use crate::frame::Frame;

pub mod font;
pub mod live;
pub mod mjpeg;
pub mod mp4;
pub mod pace;
pub mod png;
pub mod rtsp;

pub use live::{LiveFeed, LiveServer};
pub use mjpeg::{MjpegServer, MjpegSink};
pub use mp4::{Codec, Mp4Info, Mp4Writer, cctv_kbps, probe_mp4, write_mp4};
pub use pace::{PaceReport, Pacer, pace};
pub use png::{contact_sheet, read_png, write_png, write_pngs};
pub use rtsp::{RtspServer, RtspSink};

/// Everything that can go wrong writing or serving frames.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// GStreamer could not be initialised (libraries missing or broken).
    #[error("GStreamer could not be initialised: {0}")]
    Init(String),
    /// A GStreamer element is not installed (its plugin package is missing).
    #[error("GStreamer element {0} is not installed")]
    MissingElement(&'static str),
    /// An element posted an error, or refused a state change or a link.
    #[error("GStreamer element {element}: {message}")]
    Gst {
        /// The element's name (e.g. `x264enc`, `filesink`), or the pipeline's.
        element: String,
        /// GStreamer's message.
        message: String,
        /// GStreamer's debug detail, if any.
        debug: Option<String>,
    },
    /// The pipeline did not finish in time.
    #[error("timed out after {seconds} s waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: &'static str,
        /// How long we waited.
        seconds: u64,
    },
    /// A frame does not fit the stream it was pushed to.
    #[error(
        "frame {index} is {got_width}×{got_height} with {got_bytes} bytes, expected {width}×{height} RGB8"
    )]
    FrameSize {
        /// Index of the offending frame.
        index: u64,
        /// Its width.
        got_width: u32,
        /// Its height.
        got_height: u32,
        /// Its byte length.
        got_bytes: usize,
        /// Expected width.
        width: u32,
        /// Expected height.
        height: u32,
    },
    /// The size cannot be encoded (I420 needs even, non-zero sizes).
    #[error("{width}×{height} cannot be encoded: width and height must be even and non-zero")]
    BadSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// A frame rate of zero.
    #[error("frame rate must be at least 1 fps")]
    BadFps,
    /// Nothing to write.
    #[error("no frames to write")]
    NoFrames,
    /// File or socket I/O, with the path or address concerned.
    #[error("{context}: {source}")]
    Io {
        /// The path or address.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// PNG/JPEG encoding or decoding.
    #[error("{context}: {source}")]
    Image {
        /// The path, or what was encoded.
        context: String,
        /// The codec error.
        #[source]
        source: image::ImageError,
    },
    /// `gst-discoverer-1.0` failed or its output could not be read.
    #[error("gst-discoverer-1.0 on {path}: {message}")]
    Probe {
        /// The probed file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    pub(crate) fn io(context: impl std::fmt::Display, source: std::io::Error) -> Error {
        Error::Io {
            context: context.to_string(),
            source,
        }
    }

    pub(crate) fn image(context: impl std::fmt::Display, source: image::ImageError) -> Error {
        Error::Image {
            context: context.to_string(),
            source,
        }
    }

    /// Checks that a frame holds `width × height` packed RGB8 pixels.
    pub(crate) fn check_frame(frame: &Frame, width: u32, height: u32) -> Result<(), Error> {
        let expected = width as usize * height as usize * 3;
        if frame.width == width && frame.height == height && frame.rgb.len() == expected {
            Ok(())
        } else {
            Err(Error::FrameSize {
                index: frame.index,
                got_width: frame.width,
                got_height: frame.height,
                got_bytes: frame.rgb.len(),
                width,
                height,
            })
        }
    }
}

/// Where a live stream's frames go: push each frame when its time comes (see [`pace`]).
///
/// Pushing never blocks on clients: a sink with nobody watching drops the frame.
pub trait FrameSink: Send {
    /// Offers one frame to the stream's viewers.
    fn push(&self, frame: &Frame) -> Result<(), Error>;
}

/// Initialises GStreamer once; later calls are cheap.
pub(crate) fn gst_init() -> Result<(), Error> {
    gstreamer::init().map_err(|e| Error::Init(e.to_string()))
}
