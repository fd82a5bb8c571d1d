//! The streams of `eseal certify --device external` (issue 15, external mode): a device that
//! pulls only MJPEG starts the run with its first viewer, as an RTSP viewer does (item 5; before,
//! the judge waited for RTSP viewers only, so the MJPEG stream stayed silent and the run never
//! started); and the judge watches its own RTSP stream beside the device, under CPU load, and
//! reports its health as `stream.health.<camera>` (item 1).

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{Child, wait_for_json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `scenarios/live/shaft-25s.toml` cut to 6 s with one person going down.
fn short_scenario() -> String {
    let full = std::fs::read_to_string(format!("{ROOT}/scenarios/live/shaft-25s.toml")).unwrap();
    let head = &full[..full.find("[[people]]").unwrap()];
    let head = head.replace("duration = \"00:00:25\"", "duration = \"00:00:06\"");
    assert!(
        head.contains("00:00:06"),
        "the live scenario's duration line changed: {head}"
    );
    format!("{head}[[people]]\ncamera = \"20\"\nat = \"+00:00:01\"\ndirection = \"down\"\n")
}

/// Threads that keep a core busy each until `stop`.
fn burn(threads: usize, stop: &Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<u64>> {
    (0..threads)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut x = 1u64;
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..100_000 {
                        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    }
                }
                x
            })
        })
        .collect()
}

#[test]
fn an_mjpeg_only_device_starts_the_run_and_the_judge_checks_its_own_rtsp_stream() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("short.toml"), short_scenario()).unwrap();
    let (ready, out) = (d.join("ready.json"), d.join("report"));
    let judge = Command::new("timeout")
        .arg("120")
        .arg(env!("CARGO_BIN_EXE_eseal"))
        .args(["certify", "--device", "external", "--connect-timeout", "20"])
        .args(["--skew", "1", "--latency", "1", "--scenarios"])
        .arg(d.join("short.toml"))
        .arg("--ready-file")
        .arg(&ready)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut judge = Child(judge);
    let r = wait_for_json(&ready, 60, "certify --device external");
    let mjpeg = r["cameras"][0]["mjpeg"].as_str().unwrap();
    // The device: nothing but an MJPEG client, reading for 8 s, with two cores kept busy.
    let stop = Arc::new(AtomicBool::new(false));
    let burners = burn(2, &stop);
    let body = Command::new("curl")
        .args(["-s", "--max-time", "8", mjpeg])
        .output()
        .unwrap()
        .stdout;
    let parts = body
        .windows(24)
        .filter(|w| w.eq_ignore_ascii_case(b"content-type: image/jpeg"))
        .count();
    let status = judge.0.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    burners.into_iter().for_each(|b| drop(b.join()));
    let mut stdout = String::new();
    std::io::Read::read_to_string(judge.0.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(judge.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(
        parts >= 50,
        "the MJPEG-only device got {parts} JPEG parts in 8 s (the run did not start on its viewer)\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("streaming from"), "{stdout}\n{stderr}");
    assert!(
        status.success() || status.code() == Some(1),
        "certify exits 0 (pass) or 1 (fail), not {status}: {stderr}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["device"]["kind"], "external");
    let checks = report["scenarios"][0]["checks"].as_array().unwrap();
    let health = checks
        .iter()
        .find(|c| c["id"] == "stream.health.20")
        .unwrap_or_else(|| panic!("no stream.health.20: {checks:#?}"));
    assert_eq!(
        health["verdict"], "PASS",
        "the judge's own RTSP stream: {health:#}"
    );
    let actual = health["actual"].as_str().unwrap();
    println!("stream.health.20: {actual}");
    let decoded: u64 = actual
        .split(" decoded by")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no decoded count in {actual}"));
    assert!(
        decoded >= 100,
        "the judge's viewer decoded {decoded} frames of 6 s at 25 fps: {actual}"
    );
}
