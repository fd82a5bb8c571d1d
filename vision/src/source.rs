//! Frame sources at wall time: GStreamer decoding a camera's RTSP stream (C7: H.264 or H.265),
//! an mjpg-streamer style MJPEG stream over HTTP (U6), or an MP4 file, into RGB [`Frame`]s of
//! the configured size.
//!
//! Key design decision: **one decode tail, times from the pipeline, errors named.** Whatever
//! the input, the pipeline ends `videoconvert ! videoscale ! video/x-raw,format=RGB,width=W,
//! height=H,pixel-aspect-ratio=1/1 ! appsink`, so the analysers always see the calibrated size.
//! Each frame's `pts_ns` is its buffer's running time (the MJPEG source stamps parts on arrival),
//! so with the device clock's epoch set at start-up ([`crate::clock`]) frames carry real
//! presentation times and nothing downstream reads the wall clock. Inputs are chosen by form:
//! `rtsp://` → `uridecodebin` whose `rtspsrc` is set to interleaved TCP; `http(s)://…action=stream`
//! → `souphttpsrc is-live ! multipartdemux ! jpegdec`; a path (or `file://`) → `filesrc !
//! decodebin`; anything else → `uridecodebin`. Live sources drop old frames at the appsink when
//! the consumer falls behind (never a growing queue); files keep every frame. `next_frame`
//! blocks up to a timeout, returns `Ok(None)` at end of stream, and every failure is an
//! [`Error::Video`] naming the GStreamer element and the input (credentials removed).

use std::path::Path;
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::Error;
use crate::frame::{Frame, FrameSource};
use crate::media::gst_init;

/// How a source is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSettings {
    /// Frames are scaled to this size (the camera's calibrated size).
    pub width: u32,
    pub height: u32,
    /// Longest wait for a frame in [`GstSource::next_frame`] before it fails.
    pub timeout: Duration,
    /// Files only: deliver frames at their presentation times (real time) rather than as fast
    /// as they decode. Live sources are paced by the camera.
    pub realtime: bool,
    /// RTSP jitter-buffer latency, milliseconds.
    pub rtsp_latency_ms: u32,
}

impl SourceSettings {
    /// `width`×`height`, 10 s timeout, files at real time, 200 ms RTSP latency.
    pub fn new(width: u32, height: u32) -> SourceSettings {
        SourceSettings {
            width,
            height,
            timeout: Duration::from_secs(10),
            realtime: true,
            rtsp_latency_ms: 200,
        }
    }

    /// With frame timeout `t`.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Files paced at real time (`true`) or decoded as fast as possible.
    pub fn realtime(mut self, yes: bool) -> Self {
        self.realtime = yes;
        self
    }
}

/// What kind of input an address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// `rtsp://`, `rtsps://`: a camera stream, pulled over interleaved TCP.
    Rtsp,
    /// `http(s)://…?action=stream`: mjpg-streamer style MJPEG.
    Mjpeg,
    /// A local file (a path or `file://`).
    File,
    /// Any other URI, left to `uridecodebin`.
    Uri,
}

impl SourceKind {
    /// Classifies an input address.
    pub fn of(input: &str) -> SourceKind {
        let lower = input.to_ascii_lowercase();
        if lower.starts_with("rtsp://")
            || lower.starts_with("rtsps://")
            || lower.starts_with("rtspt://")
        {
            SourceKind::Rtsp
        } else if (lower.starts_with("http://") || lower.starts_with("https://"))
            && lower.contains("action=stream")
        {
            SourceKind::Mjpeg
        } else if lower.starts_with("file://") || !lower.contains("://") {
            SourceKind::File
        } else {
            SourceKind::Uri
        }
    }
}

/// `input` without a `user:password@` part, for messages and logs.
pub fn redact(input: &str) -> String {
    let Some((scheme, rest)) = input.split_once("://") else {
        return input.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => input.to_owned(),
    }
}

/// The `user:password` part of a URI, if any.
fn userinfo(input: &str) -> Option<String> {
    let (_, rest) = input.split_once("://")?;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let at = authority.rfind('@')?;
    Some(authority[..at].to_owned()).filter(|s| !s.is_empty())
}

/// A GStreamer pipeline delivering RGB frames. Dropping it stops the pipeline.
#[derive(Debug)]
pub struct GstSource {
    pipeline: gst::Pipeline,
    sink: gst_app::AppSink,
    /// The input, credentials removed.
    label: String,
    /// The `user:password` of the input, masked in every message.
    secret: Option<String>,
    kind: SourceKind,
    settings: SourceSettings,
    live: bool,
    eos: bool,
    frames: u64,
    last_pts: Option<u64>,
}

/// The common tail; `{head}` feeds it.
const TAIL: &str =
    "videoconvert name=convert ! videoscale name=scale ! capsfilter name=rgb ! appsink name=sink";

impl GstSource {
    /// Opens `input` (see [`SourceKind`]) and starts the pipeline. Fails with [`Error::Video`]
    /// when an element is missing, the file does not exist, or the pipeline cannot start;
    /// connection errors of live sources come from the first [`next_frame`](Self::next_frame).
    pub fn open(input: &str, settings: SourceSettings) -> Result<GstSource, Error> {
        gst_init()?;
        let label = redact(input);
        if settings.width == 0
            || settings.height == 0
            || settings.width > 16384
            || settings.height > 16384
        {
            return Err(Error::Video(format!(
                "{label}: frame size {}×{} is not usable",
                settings.width, settings.height
            )));
        }
        let kind = SourceKind::of(input);
        let head = match kind {
            SourceKind::Rtsp | SourceKind::Uri => "uridecodebin name=src",
            SourceKind::Mjpeg => {
                "souphttpsrc name=src is-live=true do-timestamp=true ! multipartdemux name=demux ! jpegdec name=dec"
            }
            SourceKind::File => "filesrc name=src ! decodebin name=dec",
        };
        let description = format!("{head} ! {TAIL}");
        let pipeline = gst::parse::launch(&description)
            .map_err(|e| Error::Video(format!("{label}: could not build `{description}`: {e}")))?
            .downcast::<gst::Pipeline>()
            .map_err(|_| Error::Video(format!("{label}: `{description}` is not a pipeline")))?;
        let element = |name: &str| {
            pipeline
                .by_name(name)
                .ok_or_else(|| Error::Video(format!("{label}: pipeline has no element {name}")))
        };
        let src = element("src")?;
        match kind {
            SourceKind::File => {
                let path = input.strip_prefix("file://").unwrap_or(input);
                if !Path::new(path).is_file() {
                    return Err(Error::Video(format!("filesrc: {label}: no such file")));
                }
                src.set_property("location", path);
            }
            SourceKind::Mjpeg => src.set_property("location", input),
            SourceKind::Rtsp => {
                src.set_property("uri", input);
                let latency = settings.rtsp_latency_ms;
                src.connect("source-setup", false, move |args| {
                    if let Some(Ok(source)) = args.get(1).map(|v| v.get::<gst::Element>()) {
                        if source.find_property("protocols").is_some() {
                            source.set_property_from_str("protocols", "tcp");
                        }
                        if source.find_property("latency").is_some() {
                            source.set_property_from_str("latency", &latency.to_string());
                        }
                    }
                    None
                });
            }
            SourceKind::Uri => src.set_property("uri", input),
        }
        let caps = gst::Caps::builder("video/x-raw")
            .field("format", "RGB")
            .field("width", settings.width as i32)
            .field("height", settings.height as i32)
            .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
            .build();
        element("rgb")?.set_property("caps", &caps);
        let sink = element("sink")?
            .downcast::<gst_app::AppSink>()
            .map_err(|_| Error::Video(format!("{label}: sink is not an appsink")))?;
        sink.set_max_buffers(4);
        sink.set_sync(kind == SourceKind::File && settings.realtime);
        let mut source = GstSource {
            pipeline,
            sink,
            label,
            secret: userinfo(input),
            kind,
            settings,
            live: false,
            eos: false,
            frames: 0,
            last_pts: None,
        };
        match source.pipeline.set_state(gst::State::Playing) {
            Ok(gst::StateChangeSuccess::NoPreroll) => source.live = true,
            Ok(_) => {}
            Err(_) => {
                let err = source.bus_error().unwrap_or_else(|| {
                    Error::Video(format!("{}: pipeline could not start", source.label))
                });
                return Err(err);
            }
        }
        if source.live || matches!(source.kind, SourceKind::Rtsp | SourceKind::Mjpeg) {
            // Keep the newest frames when the analysers fall behind a camera.
            source.live = true;
            source.sink.set_drop(true);
            source.sink.set_max_buffers(2);
        }
        tracing::debug!(input = %source.label, kind = ?source.kind, "frame source opened");
        Ok(source)
    }

    /// The input, credentials removed.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// What kind of input it is.
    pub fn kind(&self) -> SourceKind {
        self.kind
    }

    /// Whether it is a live source (frames dropped, not queued, when the consumer is slow).
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// Frames delivered so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The first error waiting on the bus, naming the element; warnings are logged.
    fn bus_error(&self) -> Option<Error> {
        let bus = self.pipeline.bus()?;
        while let Some(msg) =
            bus.pop_filtered(&[gst::MessageType::Error, gst::MessageType::Warning])
        {
            match msg.view() {
                gst::MessageView::Error(e) => {
                    let element = crate::media::element_name(e.src());
                    let debug = e
                        .debug()
                        .map(|d| format!(" ({})", crate::media::one_line(&d)))
                        .unwrap_or_default();
                    let msg = format!("{element}: {}: {}{debug}", self.label, e.error());
                    return Some(Error::Video(self.mask(msg)));
                }
                gst::MessageView::Warning(w) => {
                    let element = crate::media::element_name(w.src());
                    let warning = self.mask(w.error().to_string());
                    tracing::warn!(input = %self.label, %element, %warning, "frame source warning");
                }
                _ => {}
            }
        }
        None
    }

    /// `text` with the input's credentials masked.
    fn mask(&self, text: String) -> String {
        match &self.secret {
            Some(secret) => text.replace(secret.as_str(), "***"),
            None => text,
        }
    }

    /// The running time of a sample's buffer, or the pipeline's running time now.
    fn running_time(&self, sample: &gst::Sample, buffer: &gst::BufferRef) -> u64 {
        let from_segment = sample
            .segment()
            .and_then(|s| s.downcast_ref::<gst::format::Time>())
            .and_then(|s| s.to_running_time(buffer.pts()));
        match from_segment.or(buffer.pts()) {
            Some(t) => t.nseconds(),
            None => match (self.pipeline.clock(), self.pipeline.base_time()) {
                (Some(clock), Some(base)) => clock.time().saturating_sub(base).nseconds(),
                _ => 0,
            },
        }
    }

    fn frame_of(&mut self, sample: &gst::Sample) -> Result<Frame, Error> {
        let bad = |why: String| Error::Video(format!("appsink: {}: {why}", self.label));
        let s = sample
            .caps()
            .and_then(|c| c.structure(0))
            .ok_or_else(|| bad("sample without caps".into()))?;
        let dim = |name: &str| {
            s.get::<i32>(name)
                .ok()
                .and_then(|v| u32::try_from(v).ok())
                .filter(|&v| v > 0)
        };
        let (Some(width), Some(height)) = (dim("width"), dim("height")) else {
            return Err(bad(format!("caps {s} have no size")));
        };
        let buffer = sample
            .buffer()
            .ok_or_else(|| bad("sample without a buffer".into()))?;
        let map = buffer
            .map_readable()
            .map_err(|e| bad(format!("unreadable buffer: {e}")))?;
        let (w, h) = (width as usize, height as usize);
        let packed = w * 3;
        // GStreamer pads RGB rows to 4 bytes.
        let stride = packed.div_ceil(4) * 4;
        let rgb = if map.len() == packed * h {
            map.to_vec()
        } else if map.len() >= stride * h {
            let mut out = Vec::with_capacity(packed * h);
            for row in map.chunks(stride).take(h) {
                out.extend_from_slice(&row[..packed]);
            }
            out
        } else {
            return Err(bad(format!(
                "{width}×{height} RGB frame of {} bytes",
                map.len()
            )));
        };
        let mut pts = self.running_time(sample, buffer);
        // Presentation times only go forward (a live source restarting its clock must not
        // make a frame older than the previous one).
        if let Some(last) = self.last_pts
            && pts <= last
        {
            pts = last.saturating_add(1);
        }
        self.last_pts = Some(pts);
        Frame::new(width, height, rgb, pts).ok_or_else(|| bad("frame size mismatch".into()))
    }
}

impl FrameSource for GstSource {
    /// The next frame, waiting up to the configured timeout; `Ok(None)` at end of stream (and
    /// on every call after it).
    fn next_frame(&mut self) -> Result<Option<Frame>, Error> {
        if self.eos {
            return Ok(None);
        }
        let deadline = Instant::now() + self.settings.timeout;
        loop {
            if let Some(err) = self.bus_error() {
                return Err(err);
            }
            if let Some(sample) = self
                .sink
                .try_pull_sample(gst::ClockTime::from_mseconds(100))
            {
                let frame = self.frame_of(&sample)?;
                self.frames += 1;
                return Ok(Some(frame));
            }
            if self.sink.is_eos() {
                // An error may have ended the stream.
                if let Some(err) = self.bus_error() {
                    return Err(err);
                }
                self.eos = true;
                return Ok(None);
            }
            if Instant::now() >= deadline {
                return Err(Error::Video(format!(
                    "appsink: {}: no frame within {:.1} s ({} frames so far)",
                    self.label,
                    self.settings.timeout.as_secs_f64(),
                    self.frames
                )));
            }
        }
    }
}

impl Drop for GstSource {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn inputs_are_classified() {
        assert_eq!(
            SourceKind::of("rtsp://10.0.0.2:8554/cam/10"),
            SourceKind::Rtsp
        );
        assert_eq!(
            SourceKind::of("http://10.0.0.5:8090/cam/10?action=stream"),
            SourceKind::Mjpeg
        );
        assert_eq!(SourceKind::of("/var/clips/a.mp4"), SourceKind::File);
        assert_eq!(SourceKind::of("file:///var/clips/a.mp4"), SourceKind::File);
        assert_eq!(
            SourceKind::of("https://example.invalid/a.mp4"),
            SourceKind::Uri
        );
    }

    #[test]
    fn credentials_are_redacted() {
        assert_eq!(
            redact("rtsp://admin:secret@10.0.0.2:554/h264"),
            "rtsp://***@10.0.0.2:554/h264"
        );
        assert_eq!(redact("rtsp://10.0.0.2/a@b"), "rtsp://10.0.0.2/a@b");
        assert_eq!(redact("/tmp/x.mp4"), "/tmp/x.mp4");
    }
}
