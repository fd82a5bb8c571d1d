//! `eseal sim check` and `eseal sim render` as a certification engineer runs them.

use std::process::Command;

fn eseal(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(args)
        .output()
        .unwrap()
}

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn sim_check_prints_the_timeline_of_every_public_scenario() {
    let mut checked = 0;
    let mut files: Vec<_> = std::fs::read_dir(format!("{ROOT}/scenarios/conformant"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.push(format!("{ROOT}/scenarios/EXAMPLE.toml").into());
    for path in files {
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let out = eseal(&["sim", "check", path.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: {}{}",
            path.display(),
            text,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("seed"), "{text}");
        checked += 1;
    }
    assert!(
        checked >= 9,
        "expected at least 8 public scenarios and the example, found {checked}"
    );
}

#[test]
fn sim_check_names_file_line_and_field_of_a_bad_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let good =
        std::fs::read_to_string(format!("{ROOT}/scenarios/conformant/shaft-day-groups.toml"))
            .unwrap();
    let (line_no, line) = good
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("tilt_deg"))
        .expect("the scenario sets tilt_deg");
    let bad = good.replacen(line, "tilt_deg = 89.0", 1);
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, bad).unwrap();
    let out = eseal(&["sim", "check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("bad.toml:{}", line_no + 1)), "{err}");
    assert!(err.contains("tilt"), "{err}");
}

/// Issue 17: `sim random` writes a file `sim check` accepts, the same bytes for the same seed
/// (to stdout too), and prints the seed.
#[test]
fn sim_random_writes_a_valid_scenario_and_prints_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = format!("{}/", dir.path().display());
    let args = [
        "sim",
        "random",
        "--seed",
        "31",
        "--kind",
        "site",
        "--minutes",
        "1",
    ];
    let out = eseal(&[&args[..], &["--out", &dir_arg]].concat());
    assert!(out.status.success(), "{out:?}");
    let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(path.ends_with("site-31.toml"), "{path}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("seed 31"),
        "{out:?}"
    );
    let check = eseal(&["sim", "check", &path]);
    assert!(check.status.success(), "{check:?}");
    assert!(String::from_utf8_lossy(&check.stdout).contains("seed 31"));
    let again = eseal(&args);
    assert!(again.status.success(), "{again:?}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        again.stdout,
        "same seed, same bytes"
    );
}

/// A bad --kind or --minutes is one line naming the flag and the expected form, exit 2.
#[test]
fn sim_random_refuses_a_bad_kind_or_length_naming_the_flag() {
    for (flag, value, expected) in [
        (
            "--kind",
            "mine",
            "--kind: expected shaft, gate or site, found \"mine\"",
        ),
        (
            "--minutes",
            "0",
            "--minutes: expected whole minutes 1–10080",
        ),
        (
            "--minutes",
            "1.5",
            "--minutes: expected whole minutes 1–10080",
        ),
        ("--render", "photo", "--render: expected flat or realistic"),
    ] {
        let out = eseal(&["sim", "random", "--seed", "1", flag, value]);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with(&format!("error: {expected}")), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty(), "nothing drawn");
    }
}

#[test]
fn sim_render_writes_truth_and_a_contact_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let out = eseal(&[
        "sim",
        "render",
        &format!("{ROOT}/scenarios/conformant/shaft-day-groups.toml"),
        "--out",
        dir.path().to_str().unwrap(),
        "--seconds",
        "8",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    let crossings = events
        .lines()
        .filter(|l| l.contains("\"crossing\""))
        .count();
    assert!(crossings >= 1, "no crossing in the first 8 s: {events}");
    let objects = std::fs::read_to_string(dir.path().join("objects.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(objects.lines().next().unwrap()).unwrap();
    assert_eq!(first["frame"], 0);
    assert!(
        objects.lines().count() >= 8 * 25,
        "one truth line per frame"
    );
    let sheet = image::open(dir.path().join("20-contact.png")).unwrap();
    assert!(sheet.width() > 0);
}

/// Issue 17: a training set samples frames; `--every N` renders and records only every Nth
/// frame, the same pixels and truth as a full render of those frames, and refuses a video.
#[test]
fn sim_render_every_nth_frame_gives_the_same_frames_and_truth_as_a_full_render() {
    let (full, some) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let file = format!("{ROOT}/scenarios/conformant/shaft-day-groups.toml");
    for (dir, every) in [(&full, "1"), (&some, "10")] {
        let out = eseal(&[
            "sim",
            "render",
            &file,
            "--out",
            dir.path().to_str().unwrap(),
            "--seconds",
            "3",
            "--png",
            "--every",
            every,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let lines = |d: &tempfile::TempDir| {
        std::fs::read_to_string(d.path().join("objects.jsonl"))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (all, sampled) = (lines(&full), lines(&some));
    assert_eq!(sampled.len(), 8, "frames 0, 10, .., 70 of 3 s at 25 fps");
    for (k, line) in sampled.iter().enumerate() {
        assert_eq!(line, &all[k * 10], "truth of frame {}", k * 10);
        let name = format!("20/frame-{:06}.png", k * 10);
        let (a, b) = (full.path().join(&name), some.path().join(&name));
        assert_eq!(
            std::fs::read(a).unwrap(),
            std::fs::read(b).unwrap(),
            "{name}"
        );
    }
    assert!(!some.path().join("20/frame-000001.png").exists());
    let out = eseal(&[
        "sim",
        "render",
        &file,
        "--out",
        some.path().to_str().unwrap(),
        "--mp4",
        "h264",
        "--every",
        "5",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--every"),
        "{out:?}"
    );
}

/// Issue 3 acceptance: an RTSP stream from `eseal sim serve` is pulled by `gst-launch-1.0
/// rtspsrc` and an MJPEG stream by `curl`, on loopback.
#[test]
fn sim_serve_streams_rtsp_to_gst_launch_and_mjpeg_to_curl() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready.json");
    let _server = crate::Child(
        Command::new(env!("CARGO_BIN_EXE_eseal"))
            .args([
                "sim",
                "serve",
                &format!("{ROOT}/scenarios/conformant/shaft-day-groups.toml"),
                "--loop",
            ])
            .args([
                "--rtsp-addr",
                "127.0.0.1:0",
                "--http-addr",
                "127.0.0.1:0",
                "--ready-file",
            ])
            .arg(&ready)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let urls = crate::wait_for_json(&ready, 60, "sim serve");
    let cam = &urls["cameras"][0];
    let (rtsp, mjpeg) = (
        cam["rtsp"].as_str().unwrap(),
        cam["mjpeg"].as_str().unwrap(),
    );
    assert!(mjpeg.ends_with("?action=stream"), "{mjpeg}");

    let out = Command::new("timeout")
        .args([
            "60",
            "gst-launch-1.0",
            "-m",
            "rtspsrc",
            &format!("location={rtsp}"),
            "protocols=tcp",
            "!",
        ])
        .args([
            "rtph264depay",
            "!",
            "h264parse",
            "!",
            "avdec_h264",
            "!",
            "fakesink",
            "num-buffers=25",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // fakesink posts EOS only after 25 decoded frames. An ERROR after EOS is rtspsrc's TEARDOWN
    // racing the session's close (gst-launch then exits 1): the stream itself was pulled.
    let eos = text.find("Got EOS from element");
    let pulled = eos.is_some_and(|eos| text.find("ERROR").is_none_or(|e| e > eos));
    assert!(
        pulled,
        "rtspsrc: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = Command::new("curl")
        .args(["-s", "--max-time", "3", mjpeg])
        .output()
        .unwrap();
    let body = out.stdout;
    let parts = body
        .windows(24)
        .filter(|w| w.eq_ignore_ascii_case(b"content-type: image/jpeg"))
        .count();
    assert!(
        parts >= 2,
        "expected ≥ 2 JPEG parts in 3 s, got {parts} ({} bytes)",
        body.len()
    );
    let soi = body
        .windows(3)
        .position(|w| w == [0xFF, 0xD8, 0xFF])
        .expect("a JPEG in the stream");
    let eoi = soi
        + body[soi..]
            .windows(2)
            .position(|w| w == [0xFF, 0xD9])
            .expect("JPEG end")
        + 2;
    let img = image::load_from_memory(&body[soi..eoi]).unwrap();
    assert_eq!(
        (img.width(), img.height()),
        (1280, 720),
        "the scenario's camera 20 is 1280×720"
    );
}
