//! The live reference device (issue 4, deliver 1 and 9): `eseal edge run` pulls a camera's RTSP
//! stream from `eseal sim serve` at wall time through GStreamer, counts and captures, and uploads
//! to `eseal platform serve` by FTP (U1) and HTTPS (U6), three real processes on loopback, and
//! serves its day report (E3) at `/report.json` while it runs.
//! Checked from outside with curl against the platform's read API.

use std::process::{Command, Stdio};

use crate::{Child, wait_for_json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Starts `eseal ARGS...` with its output discarded.
fn quiet(args: &[&std::ffi::OsStr]) -> Child {
    Child(
        Command::new(env!("CARGO_BIN_EXE_eseal"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn api(platform: &serde_json::Value, path: &str) -> serde_json::Value {
    let url = format!("https://{}{path}", platform["https"].as_str().unwrap());
    let out = Command::new("curl")
        .args([
            "-s",
            "--fail",
            "--max-time",
            "10",
            "--cacert",
            platform["cert_pem"].as_str().unwrap(),
        ])
        .args([
            "-H",
            &format!(
                "Authorization: Bearer {}",
                platform["admin_token"].as_str().unwrap()
            ),
            &url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What the live device needs to know: its platform account and its camera's stream.
#[derive(Debug)]
pub struct EdgeLink {
    pub state_dir: std::path::PathBuf,
    pub mine: String,
    pub ftp: String,
    pub user: String,
    pub password: String,
    pub https_url: String,
    pub token: String,
    pub cert: String,
    /// The device's own MJPEG server port (U6).
    pub port: u16,
    pub rtsp: String,
}

/// An `edge run` configuration for `scenarios/live/shaft-25s.toml`'s one camera (640×360, the
/// scenario's calibration).
pub fn edge_config(l: &EdgeLink) -> String {
    format!(
        r#"device_id = "eseal-live-test"
mine = "{mine}"
state_dir = "{state}"
[platform]
ftp_addr = "{ftp}"
ftp_user = "{user}"
ftp_password = "{password}"
https_url = "{https}"
token = "{token}"
ca_cert = "{cert}"
[streams]
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
[analysis]
tamper_interval_s = 3600
[[cameras]]
code = "20"
site = "shaft_mouth"
source = "{rtsp}"
width = 640
height = 360
fps = 25
edge = [[-2.5, 0.0], [2.5, 0.0]]
[cameras.calibration]
position = [0.0, -4.0, 4.5]
yaw_deg = 90
tilt_deg = 45
hfov_deg = 70
"#,
        mine = l.mine,
        state = l.state_dir.display(),
        ftp = l.ftp,
        user = l.user,
        password = l.password,
        https = l.https_url,
        token = l.token,
        cert = l.cert,
        port = l.port,
        rtsp = l.rtsp,
    )
}

pub fn free_port_for_tests() -> u16 {
    free_port()
}

#[test]
fn edge_run_pulls_rtsp_from_sim_serve_and_uploads_to_the_platform() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bin = env!("CARGO_BIN_EXE_eseal");
    let (data, ready) = (d.join("platform"), d.join("platform.json"));
    let _platform = quiet(&[
        "platform".as_ref(),
        "serve".as_ref(),
        "--demo".as_ref(),
        "--ftp-addr".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--https-addr".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--data-dir".as_ref(),
        data.as_os_str(),
        "--ready-file".as_ref(),
        ready.as_os_str(),
    ]);
    let platform = wait_for_json(&d.join("platform.json"), 60, "platform serve");
    let account = platform["accounts"].as_array().unwrap()[0].clone();
    let mine = account["mine"].as_str().unwrap().to_owned();

    let scenario = format!("{ROOT}/scenarios/live/shaft-25s.toml");
    let sim_ready = d.join("sim.json");
    let _sim = quiet(&[
        "sim".as_ref(),
        "serve".as_ref(),
        scenario.as_ref(),
        "--rtsp-addr".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--http-addr".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--ready-file".as_ref(),
        sim_ready.as_os_str(),
    ]);
    let sim = wait_for_json(&d.join("sim.json"), 60, "sim serve");
    let rtsp = sim["cameras"][0]["rtsp"].as_str().unwrap();

    let port = free_port();
    let config = edge_config(&EdgeLink {
        state_dir: d.join("edge"),
        mine: mine.clone(),
        ftp: platform["ftp"].as_str().unwrap().to_owned(),
        user: account["username"].as_str().unwrap().to_owned(),
        password: account["password"].as_str().unwrap().to_owned(),
        https_url: format!("https://{}", platform["https"].as_str().unwrap()),
        token: account["token"].as_str().unwrap().to_owned(),
        cert: platform["cert_pem"].as_str().unwrap().to_owned(),
        port,
        rtsp: rtsp.to_owned(),
    });
    std::fs::write(d.join("edge.toml"), config).unwrap();
    // The device runs until the stream ends (the scenario is 25 s), then drains its spool.
    let mut edge = Command::new("timeout")
        .arg("120")
        .arg(bin)
        .args(["edge", "run", "--config"])
        .arg(d.join("edge.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // E3 while it runs: its own server answers `/report.json` with the counts so far; the first
    // person is down by +8 s of the scenario.
    let report_url = format!("http://127.0.0.1:{port}/report.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let live_down = loop {
        let out = Command::new("curl")
            .args(["-s", "--fail", "--max-time", "2", &report_url])
            .output()
            .unwrap();
        let down = serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .ok()
            .and_then(|r| r["days"].as_object()?.values().next()?["20"]["people_down"].as_u64());
        if down.is_some_and(|n| n >= 1)
            || std::time::Instant::now() > deadline
            || edge.try_wait().unwrap().is_some()
        {
            break down;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    assert!(
        live_down.is_some_and(|n| n >= 1),
        "the running device's /report.json never showed a person down"
    );
    let out = edge.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "edge run: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("report: "),
        "edge run names its report: {stdout}"
    );

    // E3: the device's own day report, as JSON in its state directory.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("edge/report.json")).unwrap()).unwrap();
    let day = report["days"].as_object().unwrap().values().next().unwrap();
    assert_eq!(day["20"]["people_down"], 2, "{report}");
    assert_eq!(day["20"]["people_up"], 1, "{report}");

    // U1: two captures over FTP, numbered 0001 and 0002 for camera 20 of this mine.
    let events = api(&platform, &format!("/api/v1/events?mine={mine}"));
    let u1: Vec<&serde_json::Value> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["clause"] == "U1")
        .collect();
    assert_eq!(u1.len(), 2, "{events}");
    let mut counts: Vec<i64> = u1
        .iter()
        .map(|e| e["daily_count"].as_i64().unwrap())
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, [1, 2]);
    for e in &u1 {
        assert_eq!(e["camera"], "20");
        assert_eq!(e["channel"], "ftp");
        assert_eq!(e["evidence"]["media_type"], "image/jpeg");
        assert_eq!(
            (
                e["evidence"]["width"].as_i64(),
                e["evidence"]["height"].as_i64()
            ),
            (Some(640), Some(360))
        );
    }
    // U6: the device's own MJPEG address registered over HTTPS.
    let streams = api(&platform, &format!("/api/v1/streams?mine={mine}"));
    let urls: Vec<&str> = streams["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["url"].as_str())
        .collect();
    assert_eq!(
        urls,
        [format!("http://127.0.0.1:{port}/cam/20?action=stream")],
        "{streams}"
    );
}
