//! The judge's own look at the camera streams it serves in external mode (issue 15, external
//! mode, item 1): while the device watches, the judge pulls each camera's RTSP stream as a second
//! viewer with `ffmpeg` (FFmpeg's RTSP client and H.264 parser, what OpenCV and most boxes decode
//! with) and compares every decoded frame with the frames it rendered. If its own stream is
//! corrupt, the report says so as a check of the *judge* (`stream.health.<camera>`), so a vendor
//! is not blamed for pictures it never received (E4's "the upload is not this frame").
//!
//! How a frame is compared: both sides are brought to a small grey picture (a `k`×`k` box
//! average, `k` = width / 320, BT.709 luma; FFmpeg's `crop,scale=…:flags=area,format=gray` on
//! the decoded side) and the decoded frame is matched with the best of the renders of the last
//! [`RING_S`] seconds (the stream's latency, and frames the server drops before encoding when the
//! machine is slow: what arrives is always some rendered frame). A frame is bad below
//! [`MIN_PSNR_DB`] or when one 40×30 tile differs by more than [`MAX_TILE_MAD`] grey levels on
//! average (a smear or a grey block). Measured on `shaft-day-groups` at load 8–9 on 2 cores:
//! correct decoding 43–50 dB, tiles ≤ 6.5; the broken stream of 71f73fe 16.5–17 dB, tiles ~130.

use std::collections::VecDeque;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

use eseal_simulator::frame::Frame;
use serde::Serialize;

use super::verdict::{Check, Verdict};

/// Width the pictures are compared at (about; `k` = frame width / 320, at least 1).
pub const THUMB_WIDTH: u32 = 320;
/// A decoded frame below this PSNR against its best render is bad.
pub const MIN_PSNR_DB: f64 = 35.0;
/// A decoded frame with a 40×30 tile this far off on average (grey levels) is bad.
pub const MAX_TILE_MAD: f64 = 15.0;
/// The share of bad frames the check tolerates (the judge's own viewer lagging past the ring);
/// one broken group of pictures is 25 frames.
pub const MAX_BAD_RATIO: f64 = 0.01;
/// Seconds of rendered frames kept to match a decoded one.
pub const RING_S: u32 = 8;
/// Bad frames listed in the check.
const LISTED: usize = 5;

/// What the judge's own viewer saw of one camera's stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamHealth {
    pub camera: String,
    pub url: String,
    /// `ffmpeg (RTSP over TCP)`.
    pub decoder: String,
    /// Frames rendered and pushed while the viewer ran.
    pub frames_served: u64,
    pub frames_decoded: u64,
    /// Decoded frames compared with a render (those that arrived with renders in the ring).
    pub frames_compared: u64,
    pub frames_bad: u64,
    pub worst_psnr_db: Option<f64>,
    pub median_psnr_db: Option<f64>,
    pub worst_tile_mad: Option<f64>,
    /// The first bad frames.
    pub bad: Vec<BadFrame>,
    /// The last lines `ffmpeg` wrote to stderr, if any.
    pub decoder_log: String,
    /// Why the stream could not be measured (the judge's viewer did not start).
    pub error: Option<String>,
}

/// One decoded frame that is no rendered frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadFrame {
    /// When it was decoded, seconds after the scenario started.
    pub at_s: f64,
    /// The rendered frame it resembles most, and how much.
    pub render: u64,
    pub psnr_db: f64,
    pub tile_mad: f64,
}

/// The check of the judge's own stream: `FAIL` means the *judge's* stream was corrupt, not the
/// device; `NOT-APPLICABLE` that it could not be measured (the reason is in `actual`).
pub fn check(h: &StreamHealth) -> Check {
    let ratio = h.frames_bad as f64 / h.frames_compared.max(1) as f64;
    let (verdict, actual) = if let Some(err) = &h.error {
        (
            Verdict::NotApplicable,
            format!("未能测量 not measured: {err}"),
        )
    } else if h.frames_compared == 0 {
        let a = format!(
            "评判方自身的拉流未解码出画面，不是被测设备的问题 The judge's own viewer decoded {} of {} frames served, none comparable: the judge's stream failed, not the device (ffmpeg: {})",
            h.frames_decoded,
            h.frames_served,
            if h.decoder_log.is_empty() {
                "-"
            } else {
                &h.decoder_log
            }
        );
        (Verdict::Fail, a)
    } else {
        let figures = figures(h);
        if ratio > MAX_BAD_RATIO {
            let a = format!(
                "评判方推送的视频流画面损坏，不是被测设备的问题；本摄像机基于画面的检查（E4）不能作为设备的证据。The judge's own stream was corrupt — not the device's fault; picture-based checks of this camera (E4) are no evidence against the device: {figures}"
            );
            (Verdict::Fail, a)
        } else {
            (
                Verdict::Pass,
                format!("评判方视频流完好 the judge's stream decoded cleanly: {figures}"),
            )
        }
    };
    Check {
        id: format!("stream.health.{}", h.camera),
        clause: "C7".to_owned(),
        title_zh: "评判方视频流完好性".to_owned(),
        title_en: "The judge's own stream decodes cleanly".to_owned(),
        requirement: "The judge serves the camera (C7: H.264) over RTSP; a standard FFmpeg viewer of its own must decode the rendered pictures. This checks the judge, not the device: when it fails the device was sent corrupt pictures, and the certification is INCONCLUSIVE (run again), never the device's FAIL.".to_owned(),
        verdict,
        expected: format!(
            "至多 {:.0} % 的解码帧与渲染帧不符 at most {:.0} % of decoded frames unlike every render of the last {RING_S} s (PSNR < {MIN_PSNR_DB} dB or a 40×30 tile off by > {MAX_TILE_MAD} grey levels)",
            MAX_BAD_RATIO * 100.0,
            MAX_BAD_RATIO * 100.0
        ),
        actual,
        value: (h.error.is_none() && h.frames_compared > 0).then(|| (ratio * 1e6).round() / 1e6),
        bar: Some(MAX_BAD_RATIO),
        unit: "ratio".to_owned(),
        evidence: Vec::new(),
        findings: h
            .bad
            .iter()
            .map(|b| {
                format!(
                    "{:.2} s: closest render frame {} at {:.1} dB, worst tile {:.1}",
                    b.at_s, b.render, b.psnr_db, b.tile_mad
                )
            })
            .collect(),
        excluded: None,
        supply: None,
    }
}

fn figures(h: &StreamHealth) -> String {
    let f = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
    format!(
        "{} served, {} decoded by {}, {} compared, {} bad; PSNR worst {} dB, median {} dB; worst tile {}",
        h.frames_served,
        h.frames_decoded,
        h.decoder,
        h.frames_compared,
        h.frames_bad,
        f(h.worst_psnr_db),
        f(h.median_psnr_db),
        f(h.worst_tile_mad)
    )
}

/// A small grey picture: `width`×`height` bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Thumb {
    pub width: usize,
    pub height: usize,
    pub grey: Vec<u8>,
}

/// The box size and thumbnail size for frames of `width`×`height`.
pub fn thumb_geometry(width: u32, height: u32) -> (usize, usize, usize) {
    let k = (width / THUMB_WIDTH).max(1) as usize;
    (k, width as usize / k, height as usize / k)
}

/// A rendered frame as FFmpeg's `crop,scale=…:flags=area,format=gray` shows the decoded one.
pub fn thumb(frame: &Frame) -> Thumb {
    // BT.709 luma in 16-bit fixed point (the weights sum to 65536).
    const R: u32 = 13933;
    const G: u32 = 46871;
    const B: u32 = 4732;
    let (k, tw, th) = thumb_geometry(frame.width, frame.height);
    let fw = frame.width as usize;
    let mut sum = vec![0u64; tw * th];
    for y in 0..th * k {
        let row = &frame.rgb[y * fw * 3..][..tw * k * 3];
        let out = &mut sum[(y / k) * tw..][..tw];
        for (acc, block) in out.iter_mut().zip(row.chunks_exact(3 * k)) {
            let luma: u32 = block
                .chunks_exact(3)
                .map(|p| R * u32::from(p[0]) + G * u32::from(p[1]) + B * u32::from(p[2]))
                .sum();
            *acc += u64::from(luma);
        }
    }
    let n = (k * k) as u64 * 65536;
    let grey = sum
        .iter()
        .map(|v| ((v + n / 2) / n).min(255) as u8)
        .collect();
    Thumb {
        width: tw,
        height: th,
        grey,
    }
}

/// A quarter-size copy (4×4 box averages) to rank candidates quickly.
pub fn coarse(t: &Thumb) -> Vec<u8> {
    let (cw, ch) = (t.width / 4, t.height / 4);
    let mut out = Vec::with_capacity(cw * ch);
    for cy in 0..ch {
        for cx in 0..cw {
            let mut s = 0u32;
            for y in cy * 4..cy * 4 + 4 {
                s += t.grey[y * t.width + cx * 4..][..4]
                    .iter()
                    .map(|&v| u32::from(v))
                    .sum::<u32>();
            }
            out.push(((s + 8) / 16) as u8);
        }
    }
    out
}

/// A rendered frame kept to match decoded ones with.
#[derive(Debug, Clone)]
pub struct Render {
    pub index: u64,
    pub grey: Vec<u8>,
    pub coarse: Vec<u8>,
}

impl Render {
    pub fn of(frame: &Frame) -> Render {
        let t = thumb(frame);
        Render {
            index: frame.index,
            coarse: coarse(&t),
            grey: t.grey,
        }
    }
}

/// PSNR of two pictures of the same size, dB (99 when identical).
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let sse: u64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| u64::from(x.abs_diff(y)).pow(2))
        .sum();
    if sse == 0 {
        return 99.0;
    }
    10.0 * (255f64 * 255.0 * a.len() as f64 / sse as f64).log10()
}

/// The largest mean absolute difference over the 40×30 tiles (at 320 wide; scaled with it).
pub fn worst_tile(a: &Thumb, b: &[u8]) -> f64 {
    let (tw, th) = ((a.width / 8).max(1), (a.height / 6).max(1));
    let mut worst = 0f64;
    for ty in (0..a.height).step_by(th) {
        for tx in (0..a.width).step_by(tw) {
            let (mut sum, mut n) = (0u64, 0u64);
            for y in ty..(ty + th).min(a.height) {
                for x in tx..(tx + tw).min(a.width) {
                    let i = y * a.width + x;
                    sum += u64::from(a.grey[i].abs_diff(b[i]));
                    n += 1;
                }
            }
            worst = worst.max(sum as f64 / n.max(1) as f64);
        }
    }
    worst
}

/// The best match of `decoded` among `renders`: frame index, PSNR, worst tile.
pub fn best_match(decoded: &Thumb, renders: &[Arc<Render>]) -> Option<(u64, f64, f64)> {
    // The quarter-size pictures pick three candidates; the full ones decide.
    let small = coarse(decoded);
    let sse = |r: &[u8]| -> u64 {
        small
            .iter()
            .zip(r)
            .map(|(&x, &y)| u64::from(x.abs_diff(y)).pow(2))
            .sum()
    };
    let mut ranked: Vec<(u64, usize)> = renders
        .iter()
        .enumerate()
        .map(|(i, r)| (sse(&r.coarse), i))
        .collect();
    ranked.sort_unstable();
    ranked
        .iter()
        .take(3)
        .map(|&(_, i)| {
            let r = &renders[i];
            (
                r.index,
                psnr(&decoded.grey, &r.grey),
                worst_tile(decoded, &r.grey),
            )
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// What the viewer's reader thread keeps.
#[derive(Debug, Default)]
struct Tally {
    decoded: u64,
    psnr: Vec<f64>,
    worst_tile: Option<f64>,
    bad: u64,
    listed: Vec<BadFrame>,
    stderr: String,
}

type Ring = Arc<Mutex<VecDeque<Arc<Render>>>>;

fn lock(ring: &Ring) -> std::sync::MutexGuard<'_, VecDeque<Arc<Render>>> {
    ring.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The judge's own viewer of one camera's RTSP stream: `ffmpeg` decoding to small grey pictures
/// on a thread, each matched with the renders offered to it.
#[derive(Debug)]
pub struct StreamViewer {
    camera: String,
    url: String,
    ring: Ring,
    ring_len: usize,
    served: u64,
    child: Option<std::process::Child>,
    reader: Option<JoinHandle<Tally>>,
    error: Option<String>,
}

impl StreamViewer {
    /// Starts `ffmpeg` on `url` (RTSP over TCP) for frames of `width`×`height` at `fps`. If it
    /// cannot start, the viewer records why and [`StreamViewer::finish`] reports it.
    /// Bad frames are timed from `t0`, the scenario's start.
    pub fn start(
        camera: &str,
        url: &str,
        (width, height, fps): (u32, u32, u32),
        t0: Instant,
    ) -> StreamViewer {
        let (k, tw, th) = thumb_geometry(width, height);
        let mut viewer = StreamViewer {
            camera: camera.to_owned(),
            url: url.to_owned(),
            ring: Ring::default(),
            ring_len: (RING_S * fps.max(1)) as usize,
            served: 0,
            child: None,
            reader: None,
            error: None,
        };
        let filter = format!(
            "crop={}:{}:0:0,scale={tw}:{th}:flags=area,format=gray",
            tw * k,
            th * k
        );
        let spawned = Command::new("ffmpeg")
            .args([
                "-nostdin",
                "-hide_banner",
                "-loglevel",
                "error",
                "-rtsp_transport",
                "tcp",
                "-i",
                url,
            ])
            // Every decoded frame once: no duplicates or drops to make a constant rate.
            .args([
                "-an",
                "-fps_mode",
                "passthrough",
                "-vf",
                &filter,
                "-f",
                "rawvideo",
                "-",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        match spawned {
            Ok(mut child) => {
                let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
                let ring = viewer.ring.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("stream-health-{camera}"))
                    .spawn(move || read_and_compare(stdout, stderr, (tw, th), &ring, t0));
                match spawned {
                    Ok(handle) => viewer.reader = Some(handle),
                    Err(e) => {
                        viewer.error = Some(format!("could not start the reader thread: {e}"))
                    }
                }
                viewer.child = Some(child);
            }
            Err(e) => {
                viewer.error = Some(format!(
                    "ffmpeg could not be started ({e}); scripts/setup.sh installs it"
                ))
            }
        }
        viewer
    }

    /// Keeps a rendered frame to compare decoded ones with; call it before the frame is pushed.
    pub fn offer(&mut self, frame: &Frame) {
        if self.reader.is_none() {
            return;
        }
        let render = Arc::new(Render::of(frame));
        let mut ring = lock(&self.ring);
        ring.push_back(render);
        while ring.len() > self.ring_len {
            ring.pop_front();
        }
        self.served += 1;
    }

    /// Stops `ffmpeg` and returns what was seen.
    pub fn finish(mut self) -> StreamHealth {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        let tally = self
            .reader
            .take()
            .and_then(|r| r.join().ok())
            .unwrap_or_default();
        let mut psnr = tally.psnr.clone();
        psnr.sort_by(f64::total_cmp);
        StreamHealth {
            camera: self.camera.clone(),
            url: self.url.clone(),
            decoder: "ffmpeg (RTSP over TCP)".to_owned(),
            frames_served: self.served,
            frames_decoded: tally.decoded,
            frames_compared: psnr.len() as u64,
            frames_bad: tally.bad,
            worst_psnr_db: psnr.first().map(|v| (v * 10.0).round() / 10.0),
            median_psnr_db: psnr.get(psnr.len() / 2).map(|v| (v * 10.0).round() / 10.0),
            worst_tile_mad: tally.worst_tile.map(|v| (v * 10.0).round() / 10.0),
            bad: tally.listed,
            decoder_log: tally.stderr,
            error: self.error.take(),
        }
    }
}

/// The reader thread: every decoded picture matched with the ring; the end of ffmpeg's stderr.
fn read_and_compare(
    stdout: Option<std::process::ChildStdout>,
    stderr: Option<std::process::ChildStderr>,
    (tw, th): (usize, usize),
    ring: &Ring,
    t0: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let stderr = stderr.map(|mut e| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = e.read_to_string(&mut text);
            text
        })
    });
    if let Some(mut out) = stdout {
        let mut buf = vec![0u8; tw * th];
        while out.read_exact(&mut buf).is_ok() {
            tally.decoded += 1;
            let decoded = Thumb {
                width: tw,
                height: th,
                grey: buf.clone(),
            };
            let renders: Vec<Arc<Render>> = lock(ring).iter().cloned().collect();
            let Some((render, psnr_db, tile_mad)) = best_match(&decoded, &renders) else {
                continue;
            };
            tally.psnr.push(psnr_db);
            tally.worst_tile = Some(tally.worst_tile.unwrap_or(0.0).max(tile_mad));
            if psnr_db < MIN_PSNR_DB || tile_mad > MAX_TILE_MAD {
                tally.bad += 1;
                if tally.listed.len() < LISTED {
                    let at_s = (t0.elapsed().as_secs_f64() * 100.0).round() / 100.0;
                    tally.listed.push(BadFrame {
                        at_s,
                        render,
                        psnr_db,
                        tile_mad,
                    });
                }
            }
        }
    }
    if let Some(text) = stderr.and_then(|h| h.join().ok()) {
        let tail: Vec<&str> = text.lines().rev().take(3).collect();
        tally.stderr = tail.into_iter().rev().collect::<Vec<_>>().join(" | ");
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(width: u32, height: u32, f: impl Fn(usize, usize) -> [u8; 3]) -> Frame {
        let mut rgb = Vec::new();
        for y in 0..height as usize {
            for x in 0..width as usize {
                rgb.extend_from_slice(&f(x, y));
            }
        }
        Frame {
            width,
            height,
            rgb,
            index: 0,
            pts_ns: 0,
        }
    }

    fn health(compared: u64, bad: u64) -> StreamHealth {
        StreamHealth {
            camera: "20".to_owned(),
            url: "rtsp://127.0.0.1/cam/20".to_owned(),
            decoder: "ffmpeg (RTSP over TCP)".to_owned(),
            frames_served: 250,
            frames_decoded: compared,
            frames_compared: compared,
            frames_bad: bad,
            worst_psnr_db: Some(if bad > 0 { 16.7 } else { 43.0 }),
            median_psnr_db: Some(45.0),
            worst_tile_mad: Some(if bad > 0 { 131.9 } else { 2.0 }),
            bad: Vec::new(),
            decoder_log: String::new(),
            error: None,
        }
    }

    #[test]
    fn a_thumbnail_is_the_box_average_of_bt709_luma() {
        let f = frame(1280, 720, |x, _| {
            if x % 4 < 2 {
                [255, 255, 255]
            } else {
                [0, 0, 0]
            }
        });
        let t = thumb(&f);
        assert_eq!((t.width, t.height), (320, 180));
        assert!(
            t.grey.iter().all(|&g| g == 128),
            "half white, half black in every 4×4 box"
        );
        let green = thumb(&frame(640, 360, |_, _| [0, 200, 0]));
        assert_eq!((green.width, green.height), (320, 180));
        assert_eq!(green.grey[0], 143, "0.7152 × 200");
    }

    #[test]
    fn a_decoded_frame_matches_its_own_render_and_a_grey_one_matches_none() {
        let renders: Vec<Arc<Render>> = (0..10u64)
            .map(|i| {
                let f = frame(640, 360, |x, y| {
                    if (x + 7 * i as usize) % 64 < 32 && y > 40 {
                        [200, 180, 40]
                    } else {
                        [90, 90, 90]
                    }
                });
                Arc::new(Render::of(&Frame { index: i, ..f }))
            })
            .collect();
        let mut own = Thumb {
            width: 320,
            height: 180,
            grey: renders[6].grey.clone(),
        };
        own.grey
            .iter_mut()
            .step_by(7)
            .for_each(|g| *g = g.saturating_add(2));
        let (idx, db, tile) = best_match(&own, &renders).expect("ten renders");
        assert_eq!(idx, 6);
        assert!(
            db > MIN_PSNR_DB && tile < MAX_TILE_MAD,
            "{db} dB, tile {tile}"
        );
        let grey = Thumb {
            width: 320,
            height: 180,
            grey: vec![138; 320 * 180],
        };
        let (_, db, tile) = best_match(&grey, &renders).expect("ten renders");
        assert!(
            db < MIN_PSNR_DB && tile > MAX_TILE_MAD,
            "{db} dB, tile {tile}"
        );
    }

    #[test]
    fn a_corrupt_stream_fails_the_judge_not_the_device() {
        let ok = check(&health(250, 0));
        assert_eq!(
            (ok.id.as_str(), ok.verdict),
            ("stream.health.20", Verdict::Pass)
        );
        let bad = check(&health(250, 100));
        assert_eq!(bad.verdict, Verdict::Fail);
        assert!(
            bad.actual.contains("not the device's fault")
                && bad.actual.contains("不是被测设备的问题"),
            "{}",
            bad.actual
        );
        assert_eq!(bad.value, Some(0.4));
        assert_eq!(
            check(&health(250, 2)).verdict,
            Verdict::Pass,
            "2 of 250 is within {MAX_BAD_RATIO}"
        );
        assert_eq!(
            check(&health(0, 0)).verdict,
            Verdict::Fail,
            "nothing decoded is the judge's failure"
        );
        let mut missing = health(0, 0);
        missing.error = Some("ffmpeg could not be started".to_owned());
        assert_eq!(check(&missing).verdict, Verdict::NotApplicable);
    }
}
