//! Pictures and video the device makes: JPEG evidence with rectangles (U1, U2, U4), 10-second
//! H.264 clips from a per-camera ring buffer (U3, U5, R3), and its own MJPEG live streams (U6).
//!
//! Key design decision: **the shared frame is never touched.** Every picture is made from a copy
//! (a crop, a downscale or a plain clone of the pixels) so analysers, the clip ring and the live
//! stream can hold the same `Arc` frame at once; and the expensive work — JPEG and H.264 encoding
//! — is done only when evidence or a viewer needs it, from frames already reduced to the size
//! the evidence needs ([`scale`]).

pub mod clip;
pub mod jpeg;
pub mod mjpeg;
pub mod scale;

use std::sync::OnceLock;

use crate::Error;
use crate::frame::Frame;

/// Initialises GStreamer once per process; later calls return the first outcome.
pub(crate) fn gst_init() -> Result<(), Error> {
    static INIT: OnceLock<Result<(), String>> = OnceLock::new();
    INIT.get_or_init(|| gstreamer::init().map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| Error::Video(format!("GStreamer could not be initialised: {e}")))
}

/// Checks that a frame's pixel buffer is `width * height * 3` bytes and not empty.
pub(crate) fn check_frame(frame: &Frame) -> Result<(), Error> {
    let expected = u64::from(frame.width) * u64::from(frame.height) * 3;
    if frame.width == 0 || frame.height == 0 {
        return Err(Error::Image(format!(
            "empty frame {}×{} at {} ns",
            frame.width, frame.height, frame.pts_ns
        )));
    }
    if frame.rgb.len() as u64 != expected {
        return Err(Error::Image(format!(
            "frame {}×{} at {} ns has {} bytes of RGB, expected {expected}",
            frame.width,
            frame.height,
            frame.pts_ns,
            frame.rgb.len()
        )));
    }
    Ok(())
}

/// How messages name the element that posted a bus message: its factory (`souphttpsrc`,
/// `qtdemux`), or its object name when it has none.
pub(crate) fn element_name(src: Option<&gstreamer::Object>) -> String {
    use gstreamer::prelude::*;
    let Some(obj) = src else {
        return "pipeline".to_owned();
    };
    obj.downcast_ref::<gstreamer::Element>()
        .and_then(|e| e.factory())
        .map(|f| f.name().to_string())
        .unwrap_or_else(|| obj.name().to_string())
}

/// GStreamer debug text (several lines, with source paths) folded into one line.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
