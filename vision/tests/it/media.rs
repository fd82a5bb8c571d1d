//! Media the device makes: evidence JPEGs with rectangles (U1/U2/U4), 10-second clips from the
//! ring buffer (U3/U5, R3) and the device's own MJPEG streams (U6).

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use eseal_protocol::CameraCode;
use eseal_vision::Error;
use eseal_vision::frame::Frame;
use eseal_vision::media::clip::{ClipRecorder, ClipSettings, probe_mp4};
use eseal_vision::media::jpeg::{self, JpegOptions, RED, Rect};
use eseal_vision::media::mjpeg::{self, MjpegHub, MjpegServer, MjpegSettings};

const SECOND: u64 = 1_000_000_000;

/// A synthetic camera frame: a grey level that changes with `index` and a 64×64 white square
/// moving 8 px a frame, so consecutive frames differ.
pub(crate) fn synthetic(width: u32, height: u32, index: u64, fps: u64) -> Frame {
    let (w, h) = (width as usize, height as usize);
    let mut rgb = vec![(40 + index % 150) as u8; w * h * 3];
    let side = 64.min(w).min(h);
    let x0 = (index as usize * 8) % (w - side + 1);
    let y0 = (h - side) / 2;
    for y in y0..y0 + side {
        rgb[(y * w + x0) * 3..(y * w + x0 + side) * 3].fill(255);
    }
    Frame::new(width, height, rgb, index * SECOND / fps).unwrap()
}

/// A flat frame of one colour.
pub(crate) fn flat(width: u32, height: u32, rgb: [u8; 3], pts_ns: u64) -> Frame {
    let px: Vec<u8> = (0..width * height).flat_map(|_| rgb).collect();
    Frame::new(width, height, px, pts_ns).unwrap()
}

fn red_dominant([r, g, b]: [u8; 3]) -> bool {
    i32::from(r) > i32::from(g) + 80 && i32::from(r) > i32::from(b) + 80
}

fn decode(jpeg: &[u8]) -> image::RgbImage {
    image::load_from_memory(jpeg)
        .expect("the JPEG decodes")
        .to_rgb8()
}

fn px(img: &image::RgbImage, x: u32, y: u32) -> [u8; 3] {
    img.get_pixel(x, y).0
}

// ---- JPEG evidence ----

#[test]
fn the_rectangle_is_drawn_inside_and_on_the_box() {
    let (w, h) = (40u32, 30u32);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    jpeg::draw_rect(&mut rgb, w, h, Rect::new(5, 4, 25, 20), RED, 3);
    let red = |x: u32, y: u32| rgb[((y * w + x) * 3) as usize..][..3] == RED;
    let row = |y: u32| (0..w).filter(|&x| red(x, y)).collect::<Vec<_>>();
    // Outer edge exactly the box: columns 5..25, rows 4..20; lines 3 px thick inside it.
    for y in [4, 5, 6, 17, 18, 19] {
        assert_eq!(
            row(y),
            (5..25).collect::<Vec<_>>(),
            "row {y} is a full horizontal line"
        );
    }
    for y in [3, 20] {
        assert!(row(y).is_empty(), "row {y} is outside the box");
    }
    for y in 7..17 {
        assert_eq!(
            row(y),
            vec![5, 6, 7, 22, 23, 24],
            "row {y} has the two vertical lines"
        );
    }
    // Thickness is configurable; an empty or inverted box draws nothing.
    let mut thin = vec![0u8; (w * h * 3) as usize];
    jpeg::draw_rect(&mut thin, w, h, Rect::new(5, 4, 25, 20), [0, 0, 255], 1);
    assert_eq!(
        thin.chunks(3).filter(|p| p == &[0, 0, 255]).count(),
        2 * 20 + 2 * 14
    );
    let mut none = vec![0u8; (w * h * 3) as usize];
    jpeg::draw_rect(&mut none, w, h, Rect::new(25, 4, 5, 20), RED, 3);
    jpeg::draw_rect(&mut none, w, h, Rect::new(5, 4, 5, 20), RED, 3);
    assert!(none.iter().all(|&v| v == 0));
}

#[test]
fn evidence_jpeg_has_a_red_rectangle_round_the_object_and_leaves_the_frame_alone() {
    let frame = flat(320, 240, [128, 128, 128], 0);
    let before = frame.rgb.as_ref().clone();
    let b = Rect::new(40, 30, 200, 180);
    let bytes = jpeg::encode_with_boxes(&frame, &[b], &JpegOptions::default()).unwrap();
    assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF], "a JPEG");
    assert_eq!(*frame.rgb, before, "the shared frame is not modified");
    let img = decode(&bytes);
    assert_eq!(img.dimensions(), (320, 240));
    let (mx, my) = (120, 105);
    // The middle of each 3 px line.
    for (x, y) in [(41, my), (198, my), (mx, 31), (mx, 178)] {
        assert!(
            red_dominant(px(&img, x, y)),
            "edge pixel ({x}, {y}) is {:?}",
            px(&img, x, y)
        );
    }
    // Well outside and well inside the lines.
    for (x, y) in [
        (30, my),
        (210, my),
        (mx, 20),
        (mx, 190),
        (mx, my),
        (48, my),
        (190, my),
    ] {
        assert!(
            !red_dominant(px(&img, x, y)),
            "pixel ({x}, {y}) is {:?}",
            px(&img, x, y)
        );
    }
}

#[test]
fn boxes_reaching_off_the_image_are_clipped() {
    let frame = flat(160, 120, [128, 128, 128], 0);
    let boxes = [
        Rect::new(-50, -50, 100, 80),
        Rect::new(500, 500, 900, 900),
        Rect::new(i32::MIN, i32::MIN, i32::MAX, i32::MAX),
        Rect::from_f64([f64::NAN, f64::NEG_INFINITY, f64::INFINITY, 1e300]),
    ];
    let img =
        decode(&jpeg::encode_with_boxes(&frame, &boxes[..2], &JpegOptions::default()).unwrap());
    // Only the right and bottom sides of the first box are inside.
    assert!(red_dominant(px(&img, 98, 40)));
    assert!(red_dominant(px(&img, 50, 78)));
    assert!(
        !red_dominant(px(&img, 1, 40)),
        "the left side is off the image"
    );
    assert!(!red_dominant(px(&img, 130, 100)));
    // Boxes covering everything and nonsense coordinates are fine too.
    assert!(jpeg::encode_with_boxes(&frame, &boxes[2..], &JpegOptions::default()).is_ok());
}

#[test]
fn a_crop_and_downscale_keep_the_rectangle_on_the_object() {
    let frame = synthetic(1280, 720, 3, 25);
    let b = Rect::new(400, 200, 720, 520);
    let opts = JpegOptions::default()
        .crop(Rect::new(240, 40, 880, 680))
        .max_width(320)
        .quality(90)
        .color([0, 255, 0]);
    let img = decode(&jpeg::encode_with_boxes(&frame, &[b], &opts).unwrap());
    assert_eq!(img.dimensions(), (320, 320), "640×640 crop halved");
    // The box maps to [80, 80, 240, 240) in the picture.
    let green =
        |[r, g, b]: [u8; 3]| i32::from(g) > i32::from(r) + 80 && i32::from(g) > i32::from(b) + 80;
    assert!(green(px(&img, 81, 160)) && green(px(&img, 238, 160)) && green(px(&img, 160, 81)));
    assert!(!green(px(&img, 70, 160)) && !green(px(&img, 160, 200)));
    // A crop entirely off the frame is an error, not a panic.
    let off = JpegOptions::default().crop(Rect::new(2000, 0, 2100, 100));
    assert!(matches!(
        jpeg::encode_with_boxes(&frame, &[b], &off),
        Err(Error::Image(_))
    ));
}

#[test]
fn a_plain_jpeg_is_the_frame() {
    let frame = flat(64, 48, [200, 30, 30], 5);
    let img = decode(&jpeg::encode(&frame, 85).unwrap());
    assert_eq!(img.dimensions(), (64, 48));
    let [r, g, b] = px(&img, 32, 24);
    assert!(
        r.abs_diff(200) < 12 && g.abs_diff(30) < 12 && b.abs_diff(30) < 12,
        "{r} {g} {b}"
    );
    // Quality is honoured: lower quality, fewer bytes.
    let busy = synthetic(320, 240, 7, 25);
    assert!(jpeg::encode(&busy, 30).unwrap().len() < jpeg::encode(&busy, 95).unwrap().len());
}

#[test]
fn malformed_frames_are_refused_not_panicked_on() {
    let short = Frame {
        width: 10,
        height: 10,
        rgb: Arc::new(vec![0; 299]),
        pts_ns: 0,
    };
    let empty = Frame {
        width: 0,
        height: 10,
        rgb: Arc::new(Vec::new()),
        pts_ns: 0,
    };
    for f in [&short, &empty] {
        assert!(matches!(jpeg::encode(f, 85), Err(Error::Image(_))));
        assert!(matches!(
            jpeg::encode_with_boxes(f, &[Rect::new(0, 0, 5, 5)], &JpegOptions::default()),
            Err(Error::Image(_))
        ));
    }
    let mut rec = ClipRecorder::<()>::new(ClipSettings::default(), 25.0).unwrap();
    assert!(rec.push(&short).is_err());
    assert_eq!(rec.ring_len(), 0);
}

// ---- clips ----

fn discoverer_text(mp4: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    std::fs::write(&path, mp4).unwrap();
    let out = Command::new("gst-discoverer-1.0")
        .arg(&path)
        .output()
        .expect("gst-discoverer-1.0 runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_ten_second_clip_round_an_event_at_7_s_from_15_s_of_720p() {
    let settings = ClipSettings::default();
    let mut rec = ClipRecorder::new(settings, 25.0).unwrap();
    assert_eq!(
        rec.step(),
        2,
        "25 fps camera → every 2nd frame, 12.5 fps clips"
    );
    assert_eq!(rec.ring_capacity(), 89, "(5 s + 2 s margin) × 12.5 fps + 1");
    let mut clips = Vec::new();
    let mut push_time = Duration::ZERO;
    for i in 0..15 * 25 {
        let frame = synthetic(1280, 720, i, 25);
        if i == 7 * 25 {
            rec.request(frame.pts_ns, "lock 10 moved");
        }
        let t = Instant::now();
        let done = rec.push(&frame).unwrap();
        push_time += t.elapsed();
        if !done.is_empty() {
            // The window ends at 12 s: the clip is out as soon as no later frame can be in it.
            assert_eq!(
                frame.pts_ns,
                12 * SECOND,
                "finished at the first kept frame after the window"
            );
        }
        clips.extend(done);
        assert!(
            rec.ring_len() <= rec.ring_capacity(),
            "ring holds {} > {}",
            rec.ring_len(),
            rec.ring_capacity()
        );
        assert!(rec.ring_bytes() <= rec.ring_capacity() * 640 * 360 * 3);
    }
    assert_eq!(
        rec.ring_len(),
        rec.ring_capacity(),
        "the ring is full in steady state, not larger"
    );
    assert!(rec.flush().is_empty());
    assert_eq!(clips.len(), 1);
    let finished = clips.pop().unwrap();
    assert_eq!(finished.tag, "lock 10 moved");
    assert_eq!(finished.event_pts_ns, 7 * SECOND);
    let clip = finished.clip.unwrap();
    println!(
        "720p → {}×{} clip: {} frames, {:?}, {} bytes, encoded in {:?}; 375 pushes (with downscale) took {:?}",
        clip.width,
        clip.height,
        clip.frames,
        clip.duration,
        clip.mp4.len(),
        clip.encode_time,
        push_time - clip.encode_time
    );
    assert_eq!((clip.width, clip.height), (640, 360));
    assert_eq!(clip.start_pts_ns, 2 * SECOND, "event − pre_s");
    assert_eq!(clip.frames, 125, "10 s at 12.5 fps");
    assert_eq!(clip.duration, Duration::from_secs(10));
    assert!(!clip.short && !clip.clamped);

    // gst-discoverer-1.0 reads what R3 checks: H.264 and 10.0 s.
    let text = discoverer_text(&clip.mp4);
    assert!(text.contains("H.264"), "{text}");
    assert!(text.contains("Duration: 0:00:10.0"), "{text}");
    let probe = probe_mp4(&clip.mp4).unwrap();
    assert!(probe.is_h264(), "{probe:?}");
    assert!(
        (9.5..=10.5).contains(&probe.duration.as_secs_f64()),
        "R3: {probe:?}"
    );
    assert_eq!((probe.width, probe.height), (640, 360));
    assert!(
        !probe.video.contains("4:4:4"),
        "I420, not High 4:4:4: {}",
        probe.video
    );
    // And the reference platform's own MP4 reader accepts it as a U5 clip.
    let info =
        eseal_platform::content::check_mp4("U5", &clip.mp4).expect("the platform accepts the clip");
    assert_eq!(info.codec, "avc1");
    assert_eq!(info.duration_ms, Some(10_000));
}

/// Small frames, for the bookkeeping tests.
fn run(
    rec: &mut ClipRecorder<&'static str>,
    frames: std::ops::Range<u64>,
    requests: &[(u64, &'static str)],
) -> Vec<eseal_vision::media::clip::FinishedClip<&'static str>> {
    let mut out = Vec::new();
    for i in frames {
        let frame = synthetic(320, 180, i, 25);
        for &(at, tag) in requests {
            if at == frame.pts_ns {
                rec.request(at, tag);
            }
        }
        out.extend(rec.push(&frame).unwrap());
    }
    out
}

#[test]
fn overlapping_requests_each_get_their_clip() {
    let mut rec = ClipRecorder::new(ClipSettings::default(), 25.0).unwrap();
    let clips = run(
        &mut rec,
        0..16 * 25,
        &[(6 * SECOND, "a"), (9 * SECOND, "b"), (9 * SECOND, "c")],
    );
    let tags: Vec<_> = clips.iter().map(|c| c.tag).collect();
    assert_eq!(tags, ["a", "b", "c"]);
    for (c, start) in clips.iter().zip([1, 4, 4]) {
        let clip = c.clip.as_ref().unwrap();
        assert_eq!(clip.start_pts_ns, start * SECOND, "{}", c.tag);
        assert_eq!(
            (clip.frames, clip.duration),
            (125, Duration::from_secs(10)),
            "{}",
            c.tag
        );
        assert_eq!(
            (clip.width, clip.height),
            (320, 180),
            "narrower than 640 keeps its size"
        );
    }
    // Same frames, same bytes: b and c are identical files.
    assert_eq!(
        clips[1].clip.as_ref().unwrap().mp4,
        clips[2].clip.as_ref().unwrap().mp4
    );
    let probe = probe_mp4(&clips[0].clip.as_ref().unwrap().mp4).unwrap();
    assert!(
        (probe.duration.as_secs_f64() - 10.0).abs() < 0.09,
        "{probe:?}"
    );
}

#[test]
fn a_clip_at_the_start_of_the_stream_is_clamped_and_still_ten_seconds() {
    let mut rec = ClipRecorder::new(ClipSettings::default(), 25.0).unwrap();
    // Requested before any frame, and at 2 s when only 2 s of history exist.
    rec.request(SECOND, "before");
    let clips = run(&mut rec, 0..12 * 25, &[(2 * SECOND, "early")]);
    assert_eq!(clips.len(), 2);
    for c in &clips {
        let clip = c.clip.as_ref().unwrap();
        assert_eq!(clip.start_pts_ns, 0, "{}: starts at the first frame", c.tag);
        assert_eq!(
            clip.duration,
            Duration::from_secs(10),
            "{}: extended after the event",
            c.tag
        );
        assert!(clip.clamped && !clip.short, "{}", c.tag);
    }
}

#[test]
fn a_late_request_within_the_margin_gets_its_full_pre_event_part() {
    let mut rec = ClipRecorder::new(ClipSettings::default(), 25.0).unwrap();
    // The event was at 8 s but recognised 1.5 s later.
    let mut got = Vec::new();
    for i in 0..20 * 25 {
        let frame = synthetic(320, 180, i, 25);
        if i == 238 {
            // 9.52 s
            rec.request(8 * SECOND, "late");
        }
        got.extend(rec.push(&frame).unwrap());
    }
    let clip = got[0].clip.as_ref().unwrap();
    assert_eq!(
        (clip.start_pts_ns, clip.frames, clip.clamped),
        (3 * SECOND, 125, false)
    );
}

#[test]
fn flush_ends_open_clips_with_what_there_is_and_flags_them() {
    let mut rec = ClipRecorder::new(ClipSettings::default(), 25.0).unwrap();
    let clips = run(&mut rec, 0..14 * 25, &[(12 * SECOND, "cut off")]);
    assert!(clips.is_empty());
    assert_eq!(rec.pending(), 1);
    rec.request(60 * SECOND, "never filmed");
    let flushed = rec.flush();
    assert_eq!(rec.pending(), 0);
    assert_eq!(flushed.len(), 2);
    let clip = flushed[0].clip.as_ref().unwrap();
    // Window [7 s, 17 s) but the stream ended after the frame at 13.92 s.
    assert_eq!(clip.start_pts_ns, 7 * SECOND);
    assert_eq!(clip.frames, 87);
    assert_eq!(clip.duration, Duration::from_millis(7000));
    assert!(clip.short);
    let probe = probe_mp4(&clip.mp4).unwrap();
    assert!(
        (probe.duration.as_secs_f64() - 7.0).abs() < 0.09,
        "{probe:?}"
    );
    assert_eq!(flushed[1].tag, "never filmed");
    assert!(matches!(&flushed[1].clip, Err(Error::Video(m)) if m.contains("no frame")));
}

#[test]
fn frames_must_move_forward_in_time() {
    let mut rec = ClipRecorder::<()>::new(ClipSettings::default(), 25.0).unwrap();
    rec.push(&flat(64, 48, [1, 2, 3], SECOND)).unwrap();
    assert!(matches!(
        rec.push(&flat(64, 48, [1, 2, 3], SECOND)),
        Err(Error::Video(_))
    ));
    assert!(rec.push(&flat(64, 48, [1, 2, 3], SECOND / 2)).is_err());
    assert_eq!(rec.ring_len(), 1);
    // A later frame of another size is scaled to the clip size.
    rec.push(&flat(128, 96, [1, 2, 3], 2 * SECOND)).unwrap();
    assert_eq!((rec.ring_len(), rec.frame_size()), (2, Some((64, 48))));
    // Times at the end of the range saturate rather than overflow.
    rec.request(u64::MAX, ());
    let mut done = rec.push(&flat(64, 48, [1, 2, 3], u64::MAX - 1)).unwrap();
    done.extend(rec.push(&flat(64, 48, [1, 2, 3], u64::MAX)).unwrap());
    done.extend(rec.flush());
    assert_eq!(done.len(), 1);
}

#[test]
fn deferred_jobs_encode_on_another_thread() {
    let mut rec = ClipRecorder::new(
        ClipSettings {
            clip_s: 2.0,
            pre_s: 1.0,
            ..ClipSettings::default()
        },
        25.0,
    )
    .unwrap();
    let mut jobs = Vec::new();
    for i in 0..4 * 25 {
        let frame = synthetic(320, 180, i, 25);
        if i == 25 {
            rec.request(frame.pts_ns, 7u32);
        }
        jobs.extend(rec.push_deferred(&frame).unwrap());
    }
    assert_eq!(jobs.len(), 1);
    assert_eq!((*jobs[0].tag(), jobs[0].frames()), (7, 25));
    let job = jobs.pop().unwrap();
    let done = std::thread::spawn(move || job.encode()).join().unwrap();
    assert_eq!(done.clip.unwrap().duration, Duration::from_secs(2));
}

// ---- MJPEG live streams ----

/// A runtime, a server on 127.0.0.1:0 and a hub.
fn server(settings: MjpegSettings) -> (tokio::runtime::Runtime, MjpegServer) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let server = {
        let _guard = rt.enter();
        MjpegServer::start(listener, MjpegHub::new(settings)).unwrap()
    };
    (rt, server)
}

/// Publishes 320×240 frames at 25 fps (presentation time = wall time since start) until stopped.
pub(crate) fn publisher(
    hub: MjpegHub,
    code: CameraCode,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            let mut frame = flat(320, 240, [220, 40, 40], start.elapsed().as_nanos() as u64);
            if let Some(rgb) = Arc::get_mut(&mut frame.rgb) {
                // A moving dark bar, so frames differ.
                let x = (n as usize * 4) % 300;
                for y in 0..240 {
                    rgb[(y * 320 + x) * 3..(y * 320 + x + 20) * 3].fill(0);
                }
            }
            hub.publish(code, &frame).unwrap();
            n += 1;
            std::thread::sleep(Duration::from_millis(40));
        }
        n
    })
}

/// The JPEG parts of a multipart body.
fn parts(body: &[u8]) -> Vec<Vec<u8>> {
    let marker = format!("--{}\r\n", mjpeg::BOUNDARY);
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(at) = rest
        .windows(marker.len())
        .position(|w| w == marker.as_bytes())
    {
        rest = &rest[at + marker.len()..];
        let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") else {
            break;
        };
        let head = String::from_utf8_lossy(&rest[..end]).to_string();
        assert!(head.contains("Content-Type: image/jpeg"), "{head}");
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .and_then(|v| v.trim().parse().ok())
            .expect("Content-Length");
        let data = &rest[end + 4..];
        if data.len() < len {
            break; // cut off by curl's time limit
        }
        out.push(data[..len].to_vec());
        rest = &data[len..];
    }
    out
}

#[test]
fn curl_reads_a_multipart_stream_of_jpegs_from_the_device() {
    let (rt, server) = server(MjpegSettings::default());
    let code = CameraCode::parse("20").unwrap();
    let hub = server.hub().clone();
    hub.register(code);
    let stop = Arc::new(AtomicBool::new(false));
    let pusher = publisher(hub.clone(), code, stop.clone());
    let dir = tempfile::tempdir().unwrap();
    let (headers, body) = (dir.path().join("headers"), dir.path().join("body"));
    let url = mjpeg::stream_url(&format!("http://{}/", server.addr()), code);
    assert_eq!(url, server.url(code));
    let status = Command::new("curl")
        .args(["-s", "-N", "--max-time", "2", "-D"])
        .arg(&headers)
        .arg("-o")
        .arg(&body)
        .arg(&url)
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(28),
        "curl stops at its time limit: the stream does not end by itself"
    );
    stop.store(true, Ordering::Relaxed);
    let published = pusher.join().unwrap();
    let headers = std::fs::read_to_string(&headers).unwrap();
    assert!(headers.starts_with("HTTP/1.1 200"), "{headers}");
    assert!(
        headers.contains("multipart/x-mixed-replace;boundary=boundarydonotcross"),
        "{headers}"
    );
    let jpegs = parts(&std::fs::read(&body).unwrap());
    assert!(jpegs.len() >= 2, "got {} parts", jpegs.len());
    for j in &jpegs {
        let img = decode(j);
        assert_eq!(img.dimensions(), (320, 240));
        assert!(red_dominant(px(&img, 310, 5)) || red_dominant(px(&img, 5, 5)));
    }
    // Encoded for the viewer only, and at most 12.5 of the 25 frames a second.
    let encoded = hub.encoded(code);
    println!(
        "MJPEG: {published} frames published, {encoded} encoded, {} parts received in 2 s",
        jpegs.len()
    );
    assert!(
        encoded >= jpegs.len() as u64 && encoded * 10 < published * 6 + 30,
        "{encoded} of {published}"
    );
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn snapshots_unknown_cameras_and_bad_actions() {
    let (rt, server) = server(MjpegSettings {
        max_width: Some(160),
        ..MjpegSettings::default()
    });
    let hub = server.hub().clone();
    let (cam, other) = (
        CameraCode::parse("30").unwrap(),
        CameraCode::parse("31").unwrap(),
    );
    hub.register(other);
    hub.publish(cam, &flat(320, 240, [10, 200, 10], 0)).unwrap();
    assert_eq!(
        hub.encoded(cam),
        0,
        "nobody streams: the frame is kept, not encoded"
    );
    let base = format!("http://{}", server.addr());
    let get = |url: &str| {
        let out = Command::new("curl")
            .args([
                "-s",
                "--max-time",
                "5",
                "-w",
                "\n%{http_code} %{content_type}",
                url,
            ])
            .output()
            .unwrap();
        let (body, tail) = out
            .stdout
            .split_at(out.stdout.iter().rposition(|&b| b == b'\n').unwrap());
        (
            body.to_vec(),
            String::from_utf8_lossy(&tail[1..]).to_string(),
        )
    };
    let (jpeg_bytes, status) = get(&mjpeg::snapshot_url(&base, cam));
    assert_eq!(status, "200 image/jpeg");
    let img = decode(&jpeg_bytes);
    assert_eq!(img.dimensions(), (160, 120), "downscaled to max_width");
    assert_eq!(hub.encoded(cam), 1, "encoded once, on demand");
    assert_eq!(
        get(&mjpeg::snapshot_url(&base, other)).1.split(' ').next(),
        Some("503")
    );
    assert_eq!(
        get(&format!("{base}/cam/12?action=snapshot"))
            .1
            .split(' ')
            .next(),
        Some("404")
    );
    assert_eq!(
        get(&format!("{base}/cam/xx?action=snapshot"))
            .1
            .split(' ')
            .next(),
        Some("404")
    );
    assert_eq!(
        get(&format!("{base}/cam/30?action=dance"))
            .1
            .split(' ')
            .next(),
        Some("400")
    );
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn shutdown_ends_open_streams_and_stops_the_server() {
    let (rt, server) = server(MjpegSettings::default());
    let code = CameraCode::parse("10").unwrap();
    let hub = server.hub().clone();
    hub.register(code);
    let url = server.url(code);
    let addr = server.addr();
    let mut curl = Command::new("curl")
        .args(["-s", "-N", "-o", "/dev/null", &url])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while hub.viewers(code) == 0 {
        assert!(Instant::now() < deadline, "curl never connected");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        hub.publish(code, &flat(64, 48, [0, 0, 0], 0)).unwrap(),
        "a viewer: encoded at once"
    );
    let t = Instant::now();
    rt.block_on(server.shutdown()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(s) = curl.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = curl.kill();
            panic!("curl still streaming 5 s after shutdown");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    println!(
        "shutdown with an open stream took {:?}; curl exited {status}",
        t.elapsed()
    );
    assert!(status.success(), "the stream ended cleanly: {status}");
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "no longer listening"
    );
}

#[test]
fn the_day_report_is_served_as_json_once_set() {
    let (rt, server) = server(MjpegSettings::default());
    let url = format!("http://{}/report.json", server.addr());
    let get = |url: &str| {
        let out = std::process::Command::new("curl")
            .args(["-s", "-i", "--max-time", "5", url])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let before = get(&url);
    assert!(before.starts_with("HTTP/1.1 503"), "{before}");
    server
        .hub()
        .set_report(br#"{"mine":"140421007866","days":{}}"#.to_vec());
    let after = get(&url);
    assert!(after.starts_with("HTTP/1.1 200"), "{after}");
    assert!(
        after
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{after}"
    );
    assert!(
        after.ends_with(r#"{"mine":"140421007866","days":{}}"#),
        "{after}"
    );
    drop(server);
    drop(rt);
}

#[test]
fn the_same_frames_encoded_a_second_apart_give_the_same_bytes() {
    // The muxer would stamp the wall clock as the creation time; the clip's own time is used
    // instead, so a clip re-encoded later (after a restart, say) is the same file.
    let encode = || {
        let mut rec = ClipRecorder::new(ClipSettings::default(), 25.0).unwrap();
        let clips = run(&mut rec, 0..12 * 25, &[(6 * SECOND, "a")]);
        clips[0].clip.as_ref().unwrap().mp4.clone()
    };
    let first = encode();
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(first, encode());
}

#[test]
fn the_mp4_creation_time_is_the_clip_window_start_on_the_device_clock() {
    let epoch = 1_700_000_000; // 2023-11-14T22:13:20Z
    let settings = ClipSettings {
        epoch_unix_s: epoch,
        ..ClipSettings::default()
    };
    let mut rec = ClipRecorder::new(settings, 25.0).unwrap();
    let clips = run(&mut rec, 0..12 * 25, &[(6 * SECOND, "a")]);
    let mp4 = &clips[0].clip.as_ref().unwrap().mp4;
    let at = mp4.windows(4).position(|w| w == b"mvhd").unwrap() + 4;
    assert_eq!(mp4[at], 0, "mvhd version 0");
    let created = u32::from_be_bytes(mp4[at + 4..at + 8].try_into().unwrap());
    // The window starts 1 s into the stream; QuickTime counts from 1904.
    assert_eq!(i64::from(created), epoch + 1 + 2_082_844_800);
}
