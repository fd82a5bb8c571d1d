//! MP4 files through GStreamer: appsrc → videoconvert → I420 → x264enc/x265enc → parse → mp4mux.
//!
//! Buffers are stamped from the frames' virtual `pts_ns` (the first frame is time 0) with a
//! duration of exactly one frame period, so a clip of 250 frames at 25 fps is 10.000 s long
//! whatever the wall clock did. The I420 caps before the encoder keep x264 from choosing
//! "High 4:4:4", which most players refuse.
//!
//! The same frames give the same bytes (issue 16), on any machine and however busy it is:
//! - x264 encodes in one thread. Its constant bit rate is held by a VBV model that, with
//!   several threads, reads how far the other threads have got: `tune=zerolatency`'s sliced
//!   threads read the sizes of the other slices of the picture, frame threads whether the
//!   previous pictures are still being encoded. The quantisers then depended on thread timing
//!   (two renders of one scenario decoded up to 24 grey levels apart). One thread encodes 720p
//!   many times faster than real time, and the renderer runs beside it.
//! - x265 encodes with one frame thread (as `tune=zerolatency` sets it) and wavefront rows, at an
//!   average bit rate without VBV: its output depends neither on timing nor on the cores.
//! - videoconvert runs with a fixed number of threads (`CONVERT_THREADS`): its I420 differs
//!   between one thread and several for some sizes, and the default follows the cores.
//! - mp4mux stamps the wall clock into the headers: `header_times` sets those times to 0.
//!
//! The bit rate is x264enc's and x265enc's default, 2048 kbit/s, as a CCTV camera's main stream.

mod header_times;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use super::{Error, gst_init};
use crate::frame::Frame;

/// How long [`Mp4Writer::finish`] waits for the muxer to write the file after the last frame.
const FINISH_TIMEOUT_S: u64 = 60;

/// Video codec of an MP4 file or a stream (C7: cameras encode both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// H.264 / AVC.
    H264,
    /// H.265 / HEVC.
    H265,
}

impl Codec {
    /// The GStreamer encoder element.
    pub fn encoder(self) -> &'static str {
        match self {
            Codec::H264 => "x264enc",
            Codec::H265 => "x265enc",
        }
    }

    /// The GStreamer parser element.
    pub fn parser(self) -> &'static str {
        match self {
            Codec::H264 => "h264parse",
            Codec::H265 => "h265parse",
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Codec::H264 => "H.264",
            Codec::H265 => "H.265",
        })
    }
}

/// Not one of `h264`, `h265` (or `H.264`, `avc`, `H.265`, `hevc`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown codec {0:?}: expected h264 or h265")]
pub struct UnknownCodec(pub String);

impl FromStr for Codec {
    type Err = UnknownCodec;

    fn from_str(s: &str) -> Result<Codec, UnknownCodec> {
        match s.to_ascii_lowercase().replace(['.', '-'], "").as_str() {
            "h264" | "avc" | "x264" => Ok(Codec::H264),
            "h265" | "hevc" | "x265" => Ok(Codec::H265),
            _ => Err(UnknownCodec(s.to_owned())),
        }
    }
}

/// What an MP4 file holds: as written ([`Mp4Writer::finish`]) or as read ([`probe_mp4`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mp4Info {
    /// Video codec.
    pub codec: Codec,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Play length: the last frame's time plus one frame period.
    pub duration: Duration,
}

/// Writes frames of one size to an MP4 file. Push frames in time order, then [`finish`].
///
/// Dropping a writer without finishing stops the pipeline and leaves an unplayable file.
///
/// [`finish`]: Mp4Writer::finish
#[derive(Debug)]
pub struct Mp4Writer {
    path: PathBuf,
    pipeline: gst::Pipeline,
    src: gst_app::AppSrc,
    codec: Codec,
    width: u32,
    height: u32,
    frame_ns: u64,
    first_pts: Option<u64>,
    end_ns: u64,
    frames: u64,
    finished: bool,
}

fn make(factory: &'static str) -> Result<gst::Element, Error> {
    gst::ElementFactory::make(factory)
        .name(factory)
        .build()
        .map_err(|_| Error::MissingElement(factory))
}

fn pipeline_error(element: &str, message: impl fmt::Display) -> Error {
    Error::Gst {
        element: element.to_owned(),
        message: message.to_string(),
        debug: None,
    }
}

/// Turns a bus error message into [`Error::Gst`] naming the element that posted it.
pub(crate) fn message_error(err: &gst::message::Error) -> Error {
    Error::Gst {
        element: err
            .src()
            .map(|s| s.name().to_string())
            .unwrap_or_else(|| "pipeline".to_owned()),
        message: err.error().to_string(),
        debug: err.debug().map(|d| d.to_string()),
    }
}

/// The first error on the pipeline's bus within `wait`, or `fallback` if there is none.
fn bus_error(pipeline: &gst::Pipeline, wait: gst::ClockTime, fallback: Error) -> Error {
    let Some(bus) = pipeline.bus() else {
        return fallback;
    };
    match bus.timed_pop_filtered(wait, &[gst::MessageType::Error]) {
        Some(msg) => match msg.view() {
            gst::MessageView::Error(err) => message_error(err),
            _ => fallback,
        },
        None => fallback,
    }
}

/// Caps of the raw frames an appsrc is fed: packed RGB at a whole frame rate.
pub(crate) fn rgb_caps(width: u32, height: u32, fps: u32) -> gst::Caps {
    gst::Caps::builder("video/x-raw")
        .field("format", "RGB")
        .field("width", width as i32)
        .field("height", height as i32)
        .field("framerate", gst::Fraction::new(fps as i32, 1))
        .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
        .build()
}

/// The YUV matrix of what leaves the simulator: BT.601 (limited range), what most CCTV cameras
/// and decoders assume. With BT.709, GStreamer's videoconvert turns grey into U = 127, so a
/// night (IR monochrome) picture decoded to RGB came out faintly coloured (B 2–3 levels below R);
/// a camera in black-and-white mode sends neutral chroma, U = V = 128.
pub(crate) const COLORIMETRY: &str = "bt601";

/// Threads of `videoconvert` for MP4 files: a constant, so that the bytes do not depend on the
/// machine's cores (RGB→I420 is a large part of the cost at 1440p).
const CONVERT_THREADS: u32 = 4;

/// Threads for `videoconvert` in live streams (RGB→I420 is a large part of the cost at 1440p).
pub(crate) fn convert_threads() -> u32 {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get() as u32)
        .min(4)
}

/// The bit rate a CCTV camera streams at this size, kbit/s: H.264 about 2 Mbit/s at 720p,
/// 4 at 1080p and 6 at 1440p (the main-stream defaults of common 1–4 MP cameras), H.265 about
/// 60 % of that; never below 256 kbit/s for small test sizes. The encoders' own default was
/// 2 Mbit/s whatever the size (too little for 1440p, far too much for 320×180).
pub fn cctv_kbps(codec: Codec, width: u32, height: u32) -> u32 {
    let px = f64::from(width) * f64::from(height);
    let h264 = 2048.0 * (px / (1280.0 * 720.0)).powf(0.8);
    let k = match codec {
        Codec::H264 => h264,
        Codec::H265 => 0.6 * h264,
    };
    (k.round() as u32).clamp(256, 12_288)
}

/// Sets the encoder of an MP4 file for fast encoding without B-frames, a keyframe every
/// `key_int` frames, a CCTV bit rate for its size ([`cctv_kbps`]) and output that depends on the
/// frames alone (see the module's notes).
fn configure_encoder(enc: &gst::Element, codec: Codec, key_int: u32, kbps: u32) {
    enc.set_property("bitrate", kbps);
    enc.set_property_from_str("speed-preset", "ultrafast");
    enc.set_property_from_str("tune", "zerolatency");
    enc.set_property_from_str("key-int-max", &key_int.to_string());
    match codec {
        Codec::H264 => enc.set_property("threads", 1u32),
        // log-level: x265 otherwise prints its banner and statistics on stderr.
        Codec::H265 => enc.set_property("option-string", "log-level=error:frame-threads=1"),
    }
}

/// Checks a size and rate can be encoded as I420.
pub(crate) fn check_size(width: u32, height: u32, fps: u32) -> Result<(), Error> {
    if width == 0 || height == 0 || !width.is_multiple_of(2) || !height.is_multiple_of(2) {
        return Err(Error::BadSize { width, height });
    }
    if fps == 0 {
        return Err(Error::BadFps);
    }
    Ok(())
}

impl Mp4Writer {
    /// Starts a pipeline writing `width`×`height` RGB frames at `fps` to `path` as `codec`.
    ///
    /// Fails with [`Error::MissingElement`] if a plugin is missing, or [`Error::Gst`] naming the
    /// element (e.g. `filesink` for a path that cannot be written).
    pub fn create(
        path: &Path,
        codec: Codec,
        width: u32,
        height: u32,
        fps: u32,
    ) -> Result<Mp4Writer, Error> {
        gst_init()?;
        check_size(width, height, fps)?;
        let frame_bytes = u64::from(width) * u64::from(height) * 3;
        let pipeline = gst::Pipeline::with_name("mp4");
        let src = gst_app::AppSrc::builder()
            .name("appsrc")
            .caps(&rgb_caps(width, height, fps))
            .format(gst::Format::Time)
            .block(true)
            .max_bytes(frame_bytes * 4)
            .build();
        let convert = make("videoconvert")?;
        convert.set_property("n-threads", CONVERT_THREADS);
        let i420 = make("capsfilter")?;
        i420.set_property(
            "caps",
            gst::Caps::builder("video/x-raw")
                .field("format", "I420")
                .field("colorimetry", COLORIMETRY)
                .build(),
        );
        let enc = make(codec.encoder())?;
        configure_encoder(
            &enc,
            codec,
            fps.saturating_mul(2),
            cctv_kbps(codec, width, height),
        );
        let parse = make(codec.parser())?;
        let mux = make("mp4mux")?;
        let sink = make("filesink")?;
        sink.set_property("location", path.to_string_lossy().as_ref());
        let elements = [src.upcast_ref(), &convert, &i420, &enc, &parse, &mux, &sink];
        pipeline
            .add_many(elements)
            .map_err(|e| pipeline_error("mp4", e))?;
        gst::Element::link_many(elements).map_err(|e| pipeline_error("mp4", e))?;
        if let Err(e) = pipeline.set_state(gst::State::Playing) {
            let err = bus_error(
                &pipeline,
                gst::ClockTime::from_mseconds(100),
                pipeline_error("mp4", e),
            );
            let _ = pipeline.set_state(gst::State::Null);
            return Err(err);
        }
        Ok(Mp4Writer {
            path: path.to_owned(),
            pipeline,
            src,
            codec,
            width,
            height,
            frame_ns: 1_000_000_000 / u64::from(fps),
            first_pts: None,
            end_ns: 0,
            frames: 0,
            finished: false,
        })
    }

    /// Encodes one frame (copies its pixels). Blocks while the encoder is a few frames behind.
    pub fn push(&mut self, frame: &Frame) -> Result<(), Error> {
        Error::check_frame(frame, self.width, self.height)?;
        self.push_buffer(
            frame.index,
            frame.pts_ns,
            gst::Buffer::from_slice(frame.rgb.clone()),
        )
    }

    /// Encodes one frame, taking its pixels without a copy.
    pub fn push_owned(&mut self, frame: Frame) -> Result<(), Error> {
        Error::check_frame(&frame, self.width, self.height)?;
        self.push_buffer(
            frame.index,
            frame.pts_ns,
            gst::Buffer::from_mut_slice(frame.rgb),
        )
    }

    fn push_buffer(
        &mut self,
        index: u64,
        pts_ns: u64,
        mut buffer: gst::Buffer,
    ) -> Result<(), Error> {
        let first = *self.first_pts.get_or_insert(pts_ns);
        let pts = pts_ns.saturating_sub(first);
        if let Some(b) = buffer.get_mut() {
            b.set_pts(gst::ClockTime::from_nseconds(pts));
            b.set_duration(gst::ClockTime::from_nseconds(self.frame_ns));
            b.set_offset(index);
        }
        if let Err(flow) = self.src.push_buffer(buffer) {
            let fallback = pipeline_error("appsrc", format!("frame {index} refused: {flow:?}"));
            return Err(bus_error(
                &self.pipeline,
                gst::ClockTime::from_seconds(1),
                fallback,
            ));
        }
        if let Some(msg) = self
            .pipeline
            .bus()
            .and_then(|b| b.pop_filtered(&[gst::MessageType::Error]))
            && let gst::MessageView::Error(err) = msg.view()
        {
            return Err(message_error(err));
        }
        self.end_ns = self.end_ns.max(pts + self.frame_ns);
        self.frames += 1;
        Ok(())
    }

    /// Frames pushed so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Ends the stream, waits for the muxer to finish the file, stops the pipeline and clears the
    /// wall-clock times from the file's headers.
    pub fn finish(mut self) -> Result<Mp4Info, Error> {
        self.finished = true;
        let result = self.drain();
        let _ = self.pipeline.set_state(gst::State::Null);
        result?;
        if self.frames == 0 {
            return Err(Error::NoFrames);
        }
        header_times::clear(&self.path)?;
        Ok(Mp4Info {
            codec: self.codec,
            width: self.width,
            height: self.height,
            duration: Duration::from_nanos(self.end_ns),
        })
    }

    fn drain(&self) -> Result<(), Error> {
        self.src
            .end_of_stream()
            .map_err(|flow| pipeline_error("appsrc", format!("end of stream refused: {flow:?}")))?;
        let bus = self
            .pipeline
            .bus()
            .ok_or_else(|| pipeline_error("mp4", "pipeline has no bus"))?;
        let wait = gst::ClockTime::from_seconds(FINISH_TIMEOUT_S);
        match bus.timed_pop_filtered(wait, &[gst::MessageType::Eos, gst::MessageType::Error]) {
            Some(msg) => match msg.view() {
                gst::MessageView::Error(err) => Err(message_error(err)),
                _ => Ok(()),
            },
            None => Err(Error::Timeout {
                what: "the MP4 muxer to finish",
                seconds: FINISH_TIMEOUT_S,
            }),
        }
    }
}

impl Drop for Mp4Writer {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.pipeline.set_state(gst::State::Null);
        }
    }
}

/// Writes all `frames` (one size, in time order) to `path`, calling `progress` with the number
/// of frames encoded after each one: the hook for a caller's progress bar.
pub fn write_mp4<I>(
    path: &Path,
    codec: Codec,
    fps: u32,
    frames: I,
    mut progress: impl FnMut(u64),
) -> Result<Mp4Info, Error>
where
    I: IntoIterator<Item = Frame>,
{
    let mut frames = frames.into_iter();
    let first = frames.next().ok_or(Error::NoFrames)?;
    let mut writer = Mp4Writer::create(path, codec, first.width, first.height, fps)?;
    writer.push_owned(first)?;
    progress(1);
    for frame in frames {
        writer.push_owned(frame)?;
        progress(writer.frames());
    }
    writer.finish()
}

/// The text `gst-discoverer-1.0 FILE` prints for a file.
pub fn discover(path: &Path) -> Result<String, Error> {
    let out = Command::new("gst-discoverer-1.0")
        .arg(path)
        .output()
        .map_err(|e| Error::io("could not run gst-discoverer-1.0", e))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() || text.contains("An error was encountered") {
        let detail = text
            .lines()
            .skip_while(|l| !l.contains("An error was encountered"))
            .nth(1);
        return Err(Error::Probe {
            path: path.display().to_string(),
            message: detail.map_or_else(
                || String::from_utf8_lossy(&out.stderr).trim().to_owned(),
                |d| d.trim().to_owned(),
            ),
        });
    }
    Ok(text)
}

/// Codec, size and duration of an MP4 file as `gst-discoverer-1.0` reports them.
pub fn probe_mp4(path: &Path) -> Result<Mp4Info, Error> {
    let text = discover(path)?;
    parse_discoverer(&text).map_err(|message| Error::Probe {
        path: path.display().to_string(),
        message,
    })
}

/// Reads the first video stream of `gst-discoverer-1.0` output.
pub fn parse_discoverer(text: &str) -> Result<Mp4Info, String> {
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
    let name = video.split_once(": ").map_or(video, |(_, n)| n);
    let upper = name.to_ascii_uppercase();
    let codec = if upper.contains("H.264") || upper.contains("AVC") {
        Codec::H264
    } else if upper.contains("H.265") || upper.contains("HEVC") {
        Codec::H265
    } else {
        return Err(format!("video is {name}, not H.264 or H.265"));
    };
    let number = |name: &str| -> Result<u32, String> {
        let v = field(name).ok_or_else(|| format!("no {name} line"))?;
        v.parse().map_err(|_| format!("unreadable {name} {v:?}"))
    };
    Ok(Mp4Info {
        codec,
        width: number("Width:")?,
        height: number("Height:")?,
        duration,
    })
}

/// `H:MM:SS.nnnnnnnnn` as GStreamer prints a clock time.
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
    Some(Duration::from_secs(h * 3600 + m * 60 + sec) + Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discoverer_output_is_read() {
        let text = "Properties:\n  Duration: 0:00:10.000000000\n  container #0: Quicktime\n    video #1: H.264 (High Profile)\n      Width: 2560\n      Height: 1440\n";
        let info = parse_discoverer(text).expect("parses");
        assert_eq!(
            info,
            Mp4Info {
                codec: Codec::H264,
                width: 2560,
                height: 1440,
                duration: Duration::from_secs(10)
            }
        );
        assert_eq!(
            parse_clock("1:02:03.5"),
            Some(Duration::from_millis(3_723_500))
        );
        assert!(parse_discoverer("  video #1: VP8\n  Duration: 0:00:01.0\n").is_err());
    }

    #[test]
    fn codecs_parse_from_cli_words() {
        assert_eq!("h264".parse(), Ok(Codec::H264));
        assert_eq!("HEVC".parse(), Ok(Codec::H265));
        assert_eq!("H.265".parse(), Ok(Codec::H265));
        assert!("vp9".parse::<Codec>().is_err());
    }
}
