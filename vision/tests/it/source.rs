//! Frame sources at wall time: MP4 files and MJPEG over HTTP decoded by GStreamer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use eseal_protocol::CameraCode;
use eseal_vision::Error;
use eseal_vision::frame::{Frame, FrameSource};
use eseal_vision::media::clip::{ClipRecorder, ClipSettings};
use eseal_vision::media::mjpeg::{MjpegHub, MjpegServer, MjpegSettings};
use eseal_vision::source::{GstSource, SourceKind, SourceSettings};

use crate::media::{publisher, synthetic};

/// Every frame until the end of the stream.
fn drain(src: &mut GstSource) -> Vec<Frame> {
    let mut frames = Vec::new();
    while let Some(f) = src.next_frame().unwrap() {
        frames.push(f);
    }
    frames
}

fn assert_increasing(frames: &[Frame]) {
    for w in frames.windows(2) {
        assert!(
            w[1].pts_ns > w[0].pts_ns,
            "pts {} then {}",
            w[0].pts_ns,
            w[1].pts_ns
        );
    }
}

#[test]
fn an_mp4_written_by_the_clip_encoder_decodes_frame_by_frame() {
    let mut rec = ClipRecorder::new(ClipSettings::default(), 25.0).unwrap();
    let mut clips = Vec::new();
    for i in 0..12 * 25 {
        let frame = synthetic(640, 360, i, 25);
        if i == 5 * 25 {
            rec.request(frame.pts_ns, ());
        }
        clips.extend(rec.push(&frame).unwrap());
    }
    let clip = clips.pop().unwrap().clip.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    std::fs::write(&path, &clip.mp4).unwrap();
    let path = path.to_str().unwrap();
    assert_eq!(SourceKind::of(path), SourceKind::File);

    let mut src = GstSource::open(path, SourceSettings::new(640, 360).realtime(false)).unwrap();
    let t = Instant::now();
    let frames = drain(&mut src);
    println!(
        "decoded {} frames of {} in {:?}",
        frames.len(),
        path,
        t.elapsed()
    );
    assert_eq!(frames.len(), clip.frames as usize);
    assert_eq!(src.frames(), u64::from(clip.frames));
    assert!(frames.iter().all(|f| (f.width, f.height) == (640, 360)));
    assert_increasing(&frames);
    assert_eq!(frames[0].pts_ns, 0, "a file starts at running time 0");
    // 12.5 fps: the last of 125 frames is at 9.92 s.
    let last = frames.last().unwrap().pts_ns;
    assert!(
        last.abs_diff(9_920_000_000) < 2_000_000,
        "last frame at {last} ns"
    );
    // The moving square survived encoding: frames differ.
    assert_ne!(frames[0].rgb, frames[10].rgb);
    assert!(
        src.next_frame().unwrap().is_none() && src.next_frame().unwrap().is_none(),
        "EOS stays EOS"
    );

    // The same file scaled to another size, through a file:// URI.
    let mut small = GstSource::open(
        &format!("file://{path}"),
        SourceSettings::new(162, 90).realtime(false),
    )
    .unwrap();
    let frames = drain(&mut small);
    assert_eq!(frames.len(), clip.frames as usize);
    assert!(
        frames
            .iter()
            .all(|f| (f.width, f.height, f.rgb.len()) == (162, 90, 162 * 90 * 3)),
        "rows unpadded"
    );
}

#[test]
fn a_file_paced_at_real_time_takes_its_duration() {
    let mut rec = ClipRecorder::new(
        ClipSettings {
            clip_s: 1.0,
            pre_s: 0.0,
            ..ClipSettings::default()
        },
        25.0,
    )
    .unwrap();
    let mut clips = Vec::new();
    for i in 0..2 * 25 {
        let frame = synthetic(320, 180, i, 25);
        if i == 0 {
            rec.request(0, ());
        }
        clips.extend(rec.push(&frame).unwrap());
    }
    let clip = clips.pop().unwrap().clip.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.mp4");
    std::fs::write(&path, &clip.mp4).unwrap();
    let mut src = GstSource::open(path.to_str().unwrap(), SourceSettings::new(320, 180)).unwrap();
    let t = Instant::now();
    let n = drain(&mut src).len();
    let took = t.elapsed();
    println!("1 s file at real time: {n} frames in {took:?}");
    assert_eq!(n, 13);
    assert!(took >= Duration::from_millis(850), "paced: {took:?}");
}

#[test]
fn an_mjpeg_stream_from_the_device_server_is_pulled_through_the_source() {
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
        MjpegServer::start(
            listener,
            MjpegHub::new(MjpegSettings {
                max_fps: 25.0,
                ..MjpegSettings::default()
            }),
        )
        .unwrap()
    };
    let code = CameraCode::parse("10").unwrap();
    let hub = server.hub().clone();
    hub.register(code);
    let stop = Arc::new(AtomicBool::new(false));
    let pusher = publisher(hub.clone(), code, stop.clone());
    let url = server.url(code);
    assert_eq!(SourceKind::of(&url), SourceKind::Mjpeg);

    let mut src = GstSource::open(
        &url,
        SourceSettings::new(160, 120).timeout(Duration::from_secs(15)),
    )
    .unwrap();
    assert!(src.is_live());
    let t = Instant::now();
    let frames: Vec<Frame> = (0..10)
        .map(|_| {
            src.next_frame()
                .unwrap()
                .expect("a live stream does not end")
        })
        .collect();
    println!("10 MJPEG frames through souphttpsrc in {:?}", t.elapsed());
    assert!(frames.iter().all(|f| (f.width, f.height) == (160, 120)));
    assert_increasing(&frames);
    // Stamped on arrival at about the publishing rate (25 fps, 40 ms apart): 9 gaps span > 0.2 s.
    let span = frames[9].pts_ns - frames[0].pts_ns;
    assert!(span > 200_000_000, "10 frames span {span} ns");
    // The publisher's red with a dark bar: most of the picture is red.
    let f = &frames[9];
    let red = (0..f.width)
        .filter(|&x| {
            let [r, g, b] = f.pixel(x, 60);
            r > 150 && g < 100 && b < 100
        })
        .count();
    assert!(red > 100, "{red} of 160 pixels are red");
    drop(src);
    stop.store(true, Ordering::Relaxed);
    pusher.join().unwrap();
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn a_stream_that_sends_nothing_times_out() {
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
        MjpegServer::start(listener, MjpegHub::new(MjpegSettings::default())).unwrap()
    };
    let code = CameraCode::parse("10").unwrap();
    server.hub().register(code);
    let mut src = GstSource::open(
        &server.url(code),
        SourceSettings::new(160, 120).timeout(Duration::from_secs(1)),
    )
    .unwrap();
    let t = Instant::now();
    let err = src.next_frame().unwrap_err();
    assert!(t.elapsed() >= Duration::from_secs(1) && t.elapsed() < Duration::from_secs(5));
    let msg = err.to_string();
    assert!(
        msg.contains("no frame within 1.0 s") && msg.contains(&server.url(code)),
        "{msg}"
    );
    drop(src);
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn a_missing_file_is_an_error_naming_filesrc_and_the_path() {
    let err = GstSource::open("/nonexistent/clip.mp4", SourceSettings::new(64, 48)).unwrap_err();
    assert!(
        matches!(&err, Error::Video(m) if m.contains("filesrc") && m.contains("/nonexistent/clip.mp4")),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_video_is_an_error_naming_the_element() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.mp4");
    std::fs::write(&path, b"this is not an mp4 file, just text".repeat(100)).unwrap();
    let path = path.to_str().unwrap();
    let result = GstSource::open(path, SourceSettings::new(64, 48).realtime(false))
        .and_then(|mut s| s.next_frame());
    let err = result.unwrap_err();
    let msg = err.to_string();
    println!("{msg}");
    assert!(msg.contains(path), "{msg}");
    assert!(
        msg.contains("typefind") || msg.contains("dec") || msg.contains("demux"),
        "names the element: {msg}"
    );
}

#[test]
fn an_unreachable_stream_is_an_error_naming_the_element_and_url() {
    // A port nobody listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/cam/10?action=stream");
    let result = GstSource::open(
        &url,
        SourceSettings::new(64, 48).timeout(Duration::from_secs(10)),
    )
    .and_then(|mut s| s.next_frame());
    let msg = result.unwrap_err().to_string();
    println!("{msg}");
    assert!(msg.contains("souphttpsrc") && msg.contains(&url), "{msg}");
}

#[test]
fn credentials_never_appear_in_errors() {
    let url = "rtsp://admin:hunter2@127.0.0.1:1/cam/10";
    assert_eq!(SourceKind::of(url), SourceKind::Rtsp);
    let result = GstSource::open(
        url,
        SourceSettings::new(64, 48).timeout(Duration::from_secs(10)),
    )
    .and_then(|mut s| s.next_frame());
    let msg = result.unwrap_err().to_string();
    println!("{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
    assert!(msg.contains("rtsp://***@127.0.0.1:1/cam/10"), "{msg}");
}
