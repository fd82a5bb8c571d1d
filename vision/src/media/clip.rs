//! 10-second H.264 clips round an event (U3 transport state changes, U5 e-lock events; R3
//! accepts 9.5–10.5 s), from a per-camera ring buffer of recent frames.
//!
//! Key design decision: **the ring keeps small frames at a clip frame rate, and a clip's
//! timeline is its window, not its frames.** A 720p RGB frame is 2.7 MB and a clip needs five
//! seconds before the event, so the ring keeps every k-th frame (≈ 12.5 fps by default) reduced
//! to at most 640 px wide (even sizes, aspect kept): 7 s of history at 640×360 is 89 frames,
//! 61 MB, instead of 175 × 2.7 MB. Frames are shared (`Arc`) between the ring and every open
//! clip, so overlapping clips cost nothing extra. A clip covers the half-open window
//! `[event − pre_s, event − pre_s + clip_s)`; its MP4 starts at the window start and ends at the
//! window end (each frame shown until the next one's time), so a complete clip lasts exactly
//! `clip_s` and the event is exactly `pre_s` into it, whatever the frame phase. At the start of
//! a stream the window starts at the first frame instead and still lasts `clip_s` (flagged
//! `clamped`); [`ClipRecorder::flush`] ends open clips with what there is (flagged `short`).
//!
//! Encoding is `appsrc → videoconvert → video/x-raw,format=I420 → x264enc (ultrafast, a keyframe
//! every second) → h264parse → mp4mux faststart=true → appsink`, entirely in memory: with
//! `faststart` the muxer writes `moov` before `mdat` and never seeks back. [`ClipRecorder::push`]
//! encodes synchronously (deterministic: the same frames give the same clips at the same push);
//! [`ClipRecorder::push_deferred`] hands back [`ClipJob`]s to encode on another thread.

use std::collections::VecDeque;
use std::fmt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use super::{check_frame, gst_init, scale};
use crate::Error;
use crate::frame::Frame;

/// How long encoding one clip may take before it is abandoned.
const ENCODE_TIMEOUT_S: u64 = 120;

/// Clip and ring settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipSettings {
    /// Clip length, seconds (U3/U5: 10).
    pub clip_s: f64,
    /// Part of the clip before the event, seconds (0 ≤ `pre_s` ≤ `clip_s`).
    pub pre_s: f64,
    /// Extra history kept beyond `pre_s`, seconds: how late a request may come after its event
    /// (recognition delay) and still get its full pre-event part.
    pub margin_s: f64,
    /// Ring frames are downscaled to at most this width (aspect kept, even sizes).
    pub max_width: u32,
    /// Clip frame rate, approximately: every k-th camera frame is kept, k = round(camera fps /
    /// `fps_target`), at least 1.
    pub fps_target: f64,
    /// x264 bit rate, kbit/s.
    pub bitrate_kbps: u32,
    /// Keyframe interval, seconds (so the clip is seekable).
    pub keyframe_s: f64,
    /// Unix time (seconds) of `pts_ns = 0`. A clip's MP4 creation time is this plus its window
    /// start, so the same frames give the same bytes whenever they are encoded (without it the
    /// muxer stamps the wall clock, and a re-encoded clip would differ from the first one).
    pub epoch_unix_s: i64,
}

impl Default for ClipSettings {
    fn default() -> Self {
        ClipSettings {
            clip_s: 10.0,
            pre_s: 5.0,
            margin_s: 2.0,
            max_width: 640,
            fps_target: 12.5,
            bitrate_kbps: 1000,
            keyframe_s: 1.0,
            epoch_unix_s: 0,
        }
    }
}

impl ClipSettings {
    /// Checks every value is usable; the error names the field.
    pub fn validate(&self) -> Result<(), Error> {
        let bad =
            |field: &str, why: &str| Err(Error::Video(format!("clip settings: {field}: {why}")));
        let finite_pos = |v: f64| v.is_finite() && v > 0.0;
        if !finite_pos(self.clip_s) || self.clip_s > 3600.0 {
            return bad("clip_s", "expected 0 < clip_s ≤ 3600 seconds");
        }
        if !self.pre_s.is_finite() || self.pre_s < 0.0 || self.pre_s > self.clip_s {
            return bad("pre_s", "expected 0 ≤ pre_s ≤ clip_s");
        }
        if !self.margin_s.is_finite() || self.margin_s < 0.0 || self.margin_s > 3600.0 {
            return bad("margin_s", "expected 0 ≤ margin_s ≤ 3600 seconds");
        }
        if self.max_width < 2 {
            return bad("max_width", "expected at least 2 pixels");
        }
        if !finite_pos(self.fps_target) || self.fps_target > 240.0 {
            return bad("fps_target", "expected 0 < fps_target ≤ 240");
        }
        if self.bitrate_kbps == 0 {
            return bad("bitrate_kbps", "expected more than 0");
        }
        if !finite_pos(self.keyframe_s) {
            return bad("keyframe_s", "expected more than 0 seconds");
        }
        Ok(())
    }
}

/// One ring frame: downscaled pixels and the camera frame's presentation time.
struct Kept {
    pts_ns: u64,
    rgb: Vec<u8>,
}

impl fmt::Debug for Kept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kept")
            .field("pts_ns", &self.pts_ns)
            .field("bytes", &self.rgb.len())
            .finish()
    }
}

/// A requested clip still collecting frames.
#[derive(Debug)]
struct Pending<T> {
    tag: T,
    event_ns: u64,
    start_ns: u64,
    end_ns: u64,
    clamped: bool,
    /// Requested before the stream had any frame: the window moves to the first frame.
    awaiting_stream: bool,
    frames: Vec<Arc<Kept>>,
}

/// A clip as encoded.
#[derive(Clone, PartialEq, Eq)]
pub struct Clip {
    /// The MP4 file (H.264, `moov` first).
    pub mp4: Vec<u8>,
    /// Presentation time of the clip's start (the window start), ns.
    pub start_pts_ns: u64,
    /// Play length: `clip_s` for a complete clip.
    pub duration: Duration,
    /// Frames in the file.
    pub frames: u32,
    /// Picture size.
    pub width: u32,
    pub height: u32,
    /// The window had to start later than `event − pre_s` (stream start, or history lost to a
    /// request later than `margin_s`).
    pub clamped: bool,
    /// Shorter than `clip_s` by more than half a frame: ended by [`ClipRecorder::flush`].
    pub short: bool,
    /// Wall time the encoding took.
    pub encode_time: Duration,
}

impl fmt::Debug for Clip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clip")
            .field("mp4_bytes", &self.mp4.len())
            .field("start_pts_ns", &self.start_pts_ns)
            .field("duration", &self.duration)
            .field("frames", &self.frames)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("clamped", &self.clamped)
            .field("short", &self.short)
            .field("encode_time", &self.encode_time)
            .finish()
    }
}

/// A finished request: its tag, its event time and the clip (or why it could not be made).
#[derive(Debug)]
pub struct FinishedClip<T> {
    pub tag: T,
    /// The event time given to [`ClipRecorder::request`], ns.
    pub event_pts_ns: u64,
    pub clip: Result<Clip, Error>,
}

/// A clip whose frames are all collected, ready to encode (on any thread).
#[derive(Debug)]
pub struct ClipJob<T> {
    tag: T,
    event_ns: u64,
    start_ns: u64,
    /// Where the clip's timeline ends (the window end, or after the last frame when flushed).
    end_ns: u64,
    clip_ns: u64,
    kept_ns: u64,
    clamped: bool,
    frames: Vec<Arc<Kept>>,
    width: u32,
    height: u32,
    fps: gst::Fraction,
    bitrate_kbps: u32,
    key_int: u32,
    /// The MP4's creation time (Unix seconds): the window start on the device clock.
    created_unix_s: i64,
}

impl<T> ClipJob<T> {
    /// The request's tag.
    pub fn tag(&self) -> &T {
        &self.tag
    }

    /// Frames collected.
    pub fn frames(&self) -> usize {
        self.frames.len()
    }

    /// Encodes the clip to MP4.
    pub fn encode(self) -> FinishedClip<T> {
        let clip = self.encode_clip();
        FinishedClip {
            tag: self.tag,
            event_pts_ns: self.event_ns,
            clip,
        }
    }

    fn encode_clip(&self) -> Result<Clip, Error> {
        let Some(last) = self.frames.last() else {
            return Err(Error::Video(format!(
                "clip for the event at {} ns: no frame arrived in its window [{}, {}) ns",
                self.event_ns, self.start_ns, self.end_ns
            )));
        };
        let end_rel = self
            .end_ns
            .saturating_sub(self.start_ns)
            .max(last.pts_ns.saturating_sub(self.start_ns).saturating_add(1));
        // Each frame is shown from its own time (the first from the window start) to the next's.
        let starts: Vec<u64> = self
            .frames
            .iter()
            .enumerate()
            .map(|(i, k)| {
                if i == 0 {
                    0
                } else {
                    k.pts_ns.saturating_sub(self.start_ns)
                }
            })
            .collect();
        let timeline: Vec<(u64, u64)> = starts
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                (
                    s,
                    starts
                        .get(i + 1)
                        .copied()
                        .unwrap_or(end_rel)
                        .saturating_sub(s)
                        .max(1),
                )
            })
            .collect();
        let began = Instant::now();
        let mp4 = encode_mp4(self, &timeline)?;
        Ok(Clip {
            mp4,
            start_pts_ns: self.start_ns,
            duration: Duration::from_nanos(end_rel),
            frames: self.frames.len() as u32,
            width: self.width,
            height: self.height,
            clamped: self.clamped,
            short: end_rel + self.kept_ns / 2 < self.clip_ns,
            encode_time: began.elapsed(),
        })
    }
}

/// One camera's ring buffer and open clip requests. `T` is the caller's tag for a request
/// (e.g. the evidence name to upload the clip under).
#[derive(Debug)]
pub struct ClipRecorder<T> {
    settings: ClipSettings,
    camera_fps: f64,
    frame_ns: u64,
    step: u32,
    kept_ns: u64,
    clip_ns: u64,
    pre_ns: u64,
    capacity: usize,
    ring: VecDeque<Arc<Kept>>,
    size: Option<(u32, u32)>,
    /// A frame is kept when its time is at or after this.
    next_due: Option<u64>,
    last_pts: Option<u64>,
    pending: Vec<Pending<T>>,
}

fn secs_to_ns(s: f64) -> u64 {
    (s * 1e9).round() as u64
}

impl<T> ClipRecorder<T> {
    /// A recorder for a camera delivering `camera_fps` frames per second.
    pub fn new(settings: ClipSettings, camera_fps: f64) -> Result<ClipRecorder<T>, Error> {
        settings.validate()?;
        if !camera_fps.is_finite() || camera_fps <= 0.0 || camera_fps > 1000.0 {
            return Err(Error::Video(format!(
                "clip recorder: camera fps {camera_fps}: expected 0 < fps ≤ 1000"
            )));
        }
        let frame_ns = secs_to_ns(1.0 / camera_fps).max(1);
        let step = (camera_fps / settings.fps_target).round().max(1.0) as u32;
        let kept_ns = frame_ns * u64::from(step);
        let history_ns = secs_to_ns(settings.pre_s + settings.margin_s);
        let capacity = history_ns.div_ceil(kept_ns) as usize + 1;
        Ok(ClipRecorder {
            clip_ns: secs_to_ns(settings.clip_s),
            pre_ns: secs_to_ns(settings.pre_s),
            settings,
            camera_fps,
            frame_ns,
            step,
            kept_ns,
            capacity,
            ring: VecDeque::with_capacity(capacity),
            size: None,
            next_due: None,
            last_pts: None,
            pending: Vec::new(),
        })
    }

    /// The settings.
    pub fn settings(&self) -> &ClipSettings {
        &self.settings
    }

    /// Every k-th camera frame is kept.
    pub fn step(&self) -> u32 {
        self.step
    }

    /// The clip frame rate, frames per second.
    pub fn clip_fps(&self) -> f64 {
        self.camera_fps / f64::from(self.step)
    }

    /// Frames in the ring now.
    pub fn ring_len(&self) -> usize {
        self.ring.len()
    }

    /// The most frames the ring ever holds: `ceil((pre_s + margin_s) × clip fps) + 1`.
    pub fn ring_capacity(&self) -> usize {
        self.capacity
    }

    /// Pixel bytes held by the ring now.
    pub fn ring_bytes(&self) -> usize {
        self.ring.iter().map(|k| k.rgb.len()).sum()
    }

    /// Size of ring and clip frames, once the first frame has arrived.
    pub fn frame_size(&self) -> Option<(u32, u32)> {
        self.size
    }

    /// Requests still collecting frames.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Starts a clip of the window `[event − pre_s, event − pre_s + clip_s)`, tagged `tag`.
    ///
    /// If the ring's oldest frame is later than the window start (start of the stream, or a
    /// request more than `margin_s` late) the window starts at that frame and still lasts
    /// `clip_s`. A window that is already over comes out of the next [`push`](Self::push).
    pub fn request(&mut self, event_pts_ns: u64, tag: T) {
        let desired = event_pts_ns.saturating_sub(self.pre_ns);
        let start = match self.ring.front() {
            Some(first) if first.pts_ns > desired => first.pts_ns,
            _ => desired,
        };
        let end = start.saturating_add(self.clip_ns);
        let frames = self
            .ring
            .iter()
            .filter(|k| k.pts_ns >= start && k.pts_ns < end)
            .cloned()
            .collect();
        self.pending.push(Pending {
            tag,
            event_ns: event_pts_ns,
            start_ns: start,
            end_ns: end,
            clamped: start > desired || event_pts_ns < self.pre_ns,
            awaiting_stream: self.ring.is_empty(),
            frames,
        });
    }

    /// Takes a camera frame (copying a downscale of it if it is kept) and returns the clips it
    /// completes, encoded. Fails only for a frame it refuses: a malformed one, or one whose
    /// time is not after the previous frame's (nothing is changed then).
    pub fn push(&mut self, frame: &Frame) -> Result<Vec<FinishedClip<T>>, Error> {
        Ok(self
            .push_deferred(frame)?
            .into_iter()
            .map(ClipJob::encode)
            .collect())
    }

    /// As [`push`](Self::push), but returns the completed clips unencoded.
    pub fn push_deferred(&mut self, frame: &Frame) -> Result<Vec<ClipJob<T>>, Error> {
        check_frame(frame)?;
        let pts = frame.pts_ns;
        if let Some(last) = self.last_pts
            && pts <= last
        {
            return Err(Error::Video(format!(
                "clip recorder: frame at {pts} ns is not after the previous one at {last} ns"
            )));
        }
        if self.next_due.is_none_or(|due| pts >= due) {
            let (w, h) = match self.size {
                Some(size) => size,
                None => scale::fit_even(frame.width, frame.height, self.settings.max_width),
            };
            let rgb = scale::resize(&frame.rgb, frame.width, frame.height, w, h)?;
            self.size = Some((w, h));
            let kept = Arc::new(Kept { pts_ns: pts, rgb });
            self.ring.push_back(kept.clone());
            while self.ring.len() > self.capacity {
                self.ring.pop_front();
            }
            for p in &mut self.pending {
                if p.awaiting_stream {
                    p.awaiting_stream = false;
                    if pts > p.start_ns {
                        p.start_ns = pts;
                        p.end_ns = pts.saturating_add(self.clip_ns);
                        p.clamped = true;
                    }
                }
                if pts >= p.start_ns && pts < p.end_ns {
                    p.frames.push(kept.clone());
                }
            }
            // Half a camera frame of tolerance, so jitter does not skip a frame.
            self.next_due = Some(pts.saturating_add(self.kept_ns - self.frame_ns / 2));
        }
        self.last_pts = Some(pts);
        let due = self.next_due.unwrap_or(0);
        // No frame kept from now on can fall inside a window that ends at or before `due`.
        let (done, open): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| !p.awaiting_stream && p.end_ns <= due);
        self.pending = open;
        Ok(done.into_iter().map(|p| self.job(p, true)).collect())
    }

    /// Ends every open request with the frames collected so far (end of stream): each clip
    /// ends one frame after its last frame and is flagged `short` if that is before its window
    /// end; a request with no frame at all gives an error with its tag.
    pub fn flush(&mut self) -> Vec<FinishedClip<T>> {
        let pending = std::mem::take(&mut self.pending);
        pending
            .into_iter()
            .map(|p| self.job(p, false).encode())
            .collect()
    }

    fn job(&self, p: Pending<T>, complete: bool) -> ClipJob<T> {
        let end_ns = match (complete, p.frames.last()) {
            (false, Some(last)) => last.pts_ns.saturating_add(self.kept_ns).min(p.end_ns),
            _ => p.end_ns,
        };
        let (width, height) = self.size.unwrap_or((2, 2));
        let fps = gst::Fraction::approximate_f64(self.clip_fps())
            .unwrap_or_else(|| gst::Fraction::new(25, 1));
        let key_int = (self.settings.keyframe_s * self.clip_fps())
            .round()
            .clamp(1.0, 1000.0) as u32;
        ClipJob {
            tag: p.tag,
            event_ns: p.event_ns,
            start_ns: p.start_ns,
            end_ns,
            clip_ns: self.clip_ns,
            kept_ns: self.kept_ns,
            clamped: p.clamped,
            frames: p.frames,
            width,
            height,
            fps,
            bitrate_kbps: self.settings.bitrate_kbps,
            key_int,
            created_unix_s: self
                .settings
                .epoch_unix_s
                .saturating_add(i64::try_from(p.start_ns / 1_000_000_000).unwrap_or(i64::MAX)),
        }
    }
}

fn make(factory: &str) -> Result<gst::Element, Error> {
    gst::ElementFactory::make(factory).build().map_err(|_| {
        Error::Video(format!(
            "GStreamer element {factory} is missing (install the GStreamer plugins)"
        ))
    })
}

/// The first error on the bus, as `Error::Video` naming the element.
fn bus_error(msg: &gst::message::Error, what: &str) -> Error {
    let element = crate::media::element_name(msg.src());
    let debug = msg
        .debug()
        .map(|d| format!(" ({})", crate::media::one_line(&d)))
        .unwrap_or_default();
    Error::Video(format!("{what}: {element}: {}{debug}", msg.error()))
}

/// Runs one clip through the encoder; `timeline` is `(pts, duration)` per frame, ns.
fn encode_mp4<T>(job: &ClipJob<T>, timeline: &[(u64, u64)]) -> Result<Vec<u8>, Error> {
    gst_init()?;
    let what = format!(
        "clip encoder ({}×{}, {} frames)",
        job.width,
        job.height,
        job.frames.len()
    );
    let fail = |e: &dyn fmt::Display| Error::Video(format!("{what}: {e}"));
    let pipeline = gst::Pipeline::new();
    let caps = gst::Caps::builder("video/x-raw")
        .field("format", "RGB")
        .field("width", job.width as i32)
        .field("height", job.height as i32)
        .field("framerate", job.fps)
        .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
        .build();
    let frame_bytes = u64::from(job.width) * u64::from(job.height) * 3;
    let src = gst_app::AppSrc::builder()
        .caps(&caps)
        .format(gst::Format::Time)
        .block(true)
        .max_bytes(frame_bytes * 4)
        .build();
    let convert = make("videoconvert")?;
    let i420 = make("capsfilter")?;
    // Without I420 here videoconvert picks 4:4:4 and x264 writes "High 4:4:4" (TOOLCHAIN.md).
    i420.set_property(
        "caps",
        gst::Caps::builder("video/x-raw")
            .field("format", "I420")
            .build(),
    );
    let enc = make("x264enc")?;
    enc.set_property_from_str("speed-preset", "ultrafast");
    enc.set_property_from_str("tune", "zerolatency");
    enc.set_property("key-int-max", job.key_int);
    enc.set_property("bitrate", job.bitrate_kbps);
    // One thread: with zerolatency's sliced threads the bitstream depends on the thread count,
    // i.e. on the machine; one thread gives the same bytes everywhere (a clip is 125 small frames).
    enc.set_property("threads", 1u32);
    let parse = make("h264parse")?;
    let mux = make("mp4mux")?;
    mux.set_property("faststart", true);
    let sink = gst_app::AppSink::builder().sync(false).build();
    let elements = [
        src.upcast_ref(),
        &convert,
        &i420,
        &enc,
        &parse,
        &mux,
        sink.upcast_ref(),
    ];
    pipeline.add_many(elements).map_err(|e| fail(&e))?;
    gst::Element::link_many(elements).map_err(|e| fail(&e))?;
    let result = run_encoder(&pipeline, &src, &sink, job, timeline, &what);
    let _ = pipeline.set_state(gst::State::Null);
    let mut mp4 = result?;
    // mp4mux stamps the wall clock as creation and modification time; the clip's own time goes
    // there instead, so the same frames give the same file whenever they are encoded.
    stamp_mp4_times(&mut mp4, job.created_unix_s);
    Ok(mp4)
}

/// Seconds from 1904-01-01 (the QuickTime epoch) to 1970-01-01.
const QT_EPOCH_OFFSET_S: i64 = 2_082_844_800;

/// Sets the creation and modification times of every `mvhd`, `tkhd` and `mdhd` box in `moov`
/// to `unix_s` (ISO/IEC 14496-12 §8.2.2, §8.3.2, §8.4.2: version 0 holds 32-bit, version 1
/// 64-bit seconds since 1904). Boxes it cannot parse are left as they are.
pub(crate) fn stamp_mp4_times(mp4: &mut [u8], unix_s: i64) {
    let qt = unix_s.saturating_add(QT_EPOCH_OFFSET_S).max(0);
    walk_boxes(mp4, &mut |kind, body| {
        if !matches!(kind, b"mvhd" | b"tkhd" | b"mdhd") || body.len() < 4 {
            return;
        }
        match body[0] {
            0 if body.len() >= 12 => {
                let v = u32::try_from(qt).unwrap_or(u32::MAX).to_be_bytes();
                body[4..8].copy_from_slice(&v);
                body[8..12].copy_from_slice(&v);
            }
            1 if body.len() >= 20 => {
                let v = u64::try_from(qt).unwrap_or(0).to_be_bytes();
                body[4..12].copy_from_slice(&v);
                body[12..20].copy_from_slice(&v);
            }
            _ => {}
        }
    });
}

/// Calls `visit(type, body)` for every box, descending into the containers on the path to the
/// time-stamped boxes (`moov`, `trak`, `mdia`).
fn walk_boxes(mut data: &mut [u8], visit: &mut dyn FnMut(&[u8; 4], &mut [u8])) {
    while data.len() >= 8 {
        let size32 = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as u64;
        let kind = [data[4], data[5], data[6], data[7]];
        let (header, size) = match size32 {
            0 => (8, data.len() as u64),
            1 if data.len() >= 16 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&data[8..16]);
                (16, u64::from_be_bytes(b))
            }
            _ => (8, size32),
        };
        let Ok(size) = usize::try_from(size) else {
            return;
        };
        if size < header || size > data.len() {
            return;
        }
        let (this, rest) = data.split_at_mut(size);
        let body = &mut this[header..];
        if matches!(&kind, b"moov" | b"trak" | b"mdia") {
            walk_boxes(body, visit);
        } else {
            visit(&kind, body);
        }
        data = rest;
    }
}

fn run_encoder<T>(
    pipeline: &gst::Pipeline,
    src: &gst_app::AppSrc,
    sink: &gst_app::AppSink,
    job: &ClipJob<T>,
    timeline: &[(u64, u64)],
    what: &str,
) -> Result<Vec<u8>, Error> {
    let bus = pipeline
        .bus()
        .ok_or_else(|| Error::Video(format!("{what}: pipeline has no bus")))?;
    let first_error = |fallback: String| match bus.pop_filtered(&[gst::MessageType::Error]) {
        Some(msg) => match msg.view() {
            gst::MessageView::Error(e) => bus_error(e, what),
            _ => Error::Video(fallback),
        },
        None => Error::Video(fallback),
    };
    if let Err(e) = pipeline.set_state(gst::State::Playing) {
        return Err(first_error(format!("{what}: could not start: {e}")));
    }
    // Appsink keeps what it receives (unbounded), so pushing everything first cannot block
    // on it; the output is an MP4 of about a megabyte.
    for (i, (kept, &(pts, duration))) in job.frames.iter().zip(timeline).enumerate() {
        let mut buffer = gst::Buffer::from_slice(ArcBytes(kept.clone()));
        if let Some(b) = buffer.get_mut() {
            b.set_pts(gst::ClockTime::from_nseconds(pts));
            b.set_duration(gst::ClockTime::from_nseconds(duration));
            b.set_offset(i as u64);
        }
        if let Err(flow) = src.push_buffer(buffer) {
            return Err(first_error(format!(
                "{what}: appsrc refused frame {i}: {flow:?}"
            )));
        }
    }
    src.end_of_stream()
        .map_err(|flow| first_error(format!("{what}: appsrc refused end of stream: {flow:?}")))?;
    // Appsink posts EOS only once every sample has been pulled, so pull while waiting.
    let deadline = Instant::now() + Duration::from_secs(ENCODE_TIMEOUT_S);
    let mut out = Vec::new();
    loop {
        if let Some(msg) = bus.pop_filtered(&[gst::MessageType::Error])
            && let gst::MessageView::Error(e) = msg.view()
        {
            return Err(bus_error(e, what));
        }
        match sink.try_pull_sample(gst::ClockTime::from_mseconds(50)) {
            Some(sample) => append(&mut out, &sample, what)?,
            None if sink.is_eos() => break,
            None if Instant::now() >= deadline => {
                return Err(Error::Video(format!(
                    "{what}: not finished after {ENCODE_TIMEOUT_S} s"
                )));
            }
            None => {}
        }
    }
    if out.is_empty() {
        return Err(Error::Video(format!("{what}: the muxer wrote nothing")));
    }
    Ok(out)
}

/// Appends one muxer output buffer; the muxer numbers its output by byte offset, which is
/// honoured should it ever rewrite a header.
fn append(out: &mut Vec<u8>, sample: &gst::Sample, what: &str) -> Result<(), Error> {
    let Some(buffer) = sample.buffer() else {
        return Ok(());
    };
    let map = buffer
        .map_readable()
        .map_err(|e| Error::Video(format!("{what}: unreadable output: {e}")))?;
    let offset = buffer.offset();
    match usize::try_from(offset) {
        Ok(at) if offset != gst::format::Buffers::OFFSET_NONE && at <= out.len() => {
            let end = at + map.len();
            if end > out.len() {
                out.resize(end, 0);
            }
            out[at..end].copy_from_slice(&map);
        }
        _ => out.extend_from_slice(&map),
    }
    Ok(())
}

/// Lets a ring frame back a GStreamer buffer without copying it.
struct ArcBytes(Arc<Kept>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0.rgb
    }
}

/// What `gst-discoverer-1.0` reports about an MP4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mp4Probe {
    /// The video stream's description, e.g. `H.264 (Constrained Baseline Profile)`.
    pub video: String,
    pub duration: Duration,
    pub width: u32,
    pub height: u32,
}

impl Mp4Probe {
    /// Whether the video is H.264 (U5).
    pub fn is_h264(&self) -> bool {
        let v = self.video.to_ascii_uppercase();
        v.contains("H.264") || v.contains("AVC")
    }
}

/// Codec, size and duration of MP4 bytes, read by `gst-discoverer-1.0` from a temporary file
/// (for tests and self-checks; R3).
pub fn probe_mp4(bytes: &[u8]) -> Result<Mp4Probe, Error> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let path: PathBuf = std::env::temp_dir().join(format!(
        "eseal-vision-probe-{}-{}.mp4",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, bytes)
        .map_err(|e| Error::io(format!("could not write {}", path.display()), e))?;
    let out = Command::new("gst-discoverer-1.0").arg(&path).output();
    let _ = std::fs::remove_file(&path);
    let out = out.map_err(|e| Error::io("could not run gst-discoverer-1.0", e))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_discoverer(&text).map_err(|why| Error::Video(format!("gst-discoverer-1.0: {why}")))
}

/// Reads duration, first video stream and its size from `gst-discoverer-1.0` output.
pub fn parse_discoverer(text: &str) -> Result<Mp4Probe, String> {
    if let Some(err) = text
        .lines()
        .skip_while(|l| !l.contains("An error was encountered"))
        .nth(1)
    {
        return Err(err.trim().to_owned());
    }
    let field = |name: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
    };
    let duration = field("Duration:").ok_or("no Duration line")?;
    let duration =
        parse_clock(duration).ok_or_else(|| format!("unreadable duration {duration:?}"))?;
    let video = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("video #"))
        .ok_or("no video stream")?;
    let video = video.split_once(": ").map_or(video, |(_, v)| v).to_owned();
    let number = |name: &str| -> Result<u32, String> {
        let v = field(name).ok_or_else(|| format!("no {name} line"))?;
        v.parse().map_err(|_| format!("unreadable {name} {v:?}"))
    };
    Ok(Mp4Probe {
        video,
        duration,
        width: number("Width:")?,
        height: number("Height:")?,
    })
}

/// `H:MM:SS.nnnnnnnnn`, a GStreamer clock time.
fn parse_clock(s: &str) -> Option<Duration> {
    let mut parts = s.splitn(3, ':');
    let h: u64 = parts.next()?.parse().ok()?;
    let m: u64 = parts.next()?.parse().ok()?;
    let rest = parts.next()?;
    let (sec, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let sec: u64 = sec.parse().ok()?;
    let frac = frac.get(..9).unwrap_or(frac);
    let nanos: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    Some(
        Duration::from_secs(
            h.checked_mul(3600)?
                .checked_add(m.checked_mul(60)?)?
                .checked_add(sec)?,
        ) + Duration::from_nanos(nanos),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn discoverer_output_is_read() {
        let text = "Properties:\n  Duration: 0:00:10.000000000\n  Seekable: yes\n  container #0: Quicktime\n    video #1: H.264 (Constrained Baseline Profile)\n      Width: 640\n      Height: 360\n";
        let p = parse_discoverer(text).unwrap();
        assert_eq!(p.duration, Duration::from_secs(10));
        assert!(p.is_h264());
        assert_eq!((p.width, p.height), (640, 360));
        assert_eq!(
            parse_clock("1:02:03.5"),
            Some(Duration::from_millis(3_723_500))
        );
        assert_eq!(parse_clock("0:00:07"), Some(Duration::from_secs(7)));
        assert!(parse_discoverer("Analyzing x\nAn error was encountered while discovering the file\n This file contains no playable streams.\n").is_err());
    }

    #[test]
    fn settings_are_checked() {
        assert!(ClipSettings::default().validate().is_ok());
        let bad = ClipSettings {
            pre_s: 11.0,
            ..ClipSettings::default()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("pre_s"));
        let bad = ClipSettings {
            fps_target: f64::NAN,
            ..ClipSettings::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("fps_target")
        );
        assert!(ClipRecorder::<()>::new(ClipSettings::default(), 0.0).is_err());
    }

    #[test]
    fn the_ring_is_sized_from_history_and_rate() {
        let r = ClipRecorder::<()>::new(ClipSettings::default(), 25.0).unwrap();
        assert_eq!(r.step(), 2);
        assert_eq!(r.ring_capacity(), 89); // 7 s × 12.5 fps + 1
        let r = ClipRecorder::<()>::new(ClipSettings::default(), 30.0).unwrap();
        assert_eq!(r.step(), 2);
        assert!((r.clip_fps() - 15.0).abs() < 1e-9);
    }
}
