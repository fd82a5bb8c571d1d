//! `eseal certify --device external` (issue 5, deliver 5): a vendor's box judged at real time.
//! The judge serves the scenario's cameras as RTSP (H.264) and MJPEG, runs a reference platform
//! for the device to upload to (FTP for U1–U4, HTTPS for U5/U6), prints what the vendor must
//! configure, waits until the device pulls every camera (RTSP or MJPEG), streams the scenario at real time,
//! waits out the upload latency, and judges what arrived with the same checks as in process.
//!
//! Key design decision: **the scenario's clock is anchored when the device starts watching.** A
//! real device stamps its names with its own CST clock, not the scenario's date; so the
//! scenario's start is set to the wall instant streaming begins (every truth time is an offset
//! from it), and names are judged against that within the R2 skew. Arrival is the platform's
//! own receipt time. Scenarios that rely on a particular wall time (a run across midnight) keep
//! their offsets but not their date: day boundaries fall where the device's clock puts them.

#![allow(clippy::print_stdout)] // the vendor's instructions are command-line output

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{FixedOffset, Utc};
use eseal_simulator::Simulation;
use eseal_simulator::output::{Codec, FrameSink, LiveServer, Pacer};
use eseal_simulator::render::{Rendered, Renderer};

use super::certify::{Case, CaseOutcome, CertifyOptions, scenario_report};
use super::checks::{DayReport, Observed, StreamSeen, Upload, parse_day_report};
use super::observed::parse_count_log;
use super::ready;
use super::stream_health::{self, StreamHealth, StreamViewer};
use super::verdict::{ScenarioReport, Timing, Verdict};
use crate::edge::run::{probe_streams, start_platform, stop_platform, streams_of};

/// Where the external mode listens and how long it waits.
#[derive(Debug, Clone)]
pub struct ExternalOptions {
    pub rtsp_addr: SocketAddr,
    pub mjpeg_addr: SocketAddr,
    pub ftp_addr: SocketAddr,
    pub https_addr: SocketAddr,
    /// The platform's data (evidence store, database, TLS certificate).
    pub data_dir: PathBuf,
    /// JSON with every address and account, written when the servers are up.
    pub ready_file: Option<PathBuf>,
    /// How long to wait for the device to pull every camera.
    pub connect_timeout: Duration,
    /// The device's day report (E3 statistics), fetched at the end, e.g.
    /// `http://DEVICE/report.json` (the reference device's own server serves it there).
    pub device_report: Option<String>,
}

/// Runs one case against an external device and judges it.
pub fn certify_external(
    case: &Case,
    ext: &ExternalOptions,
    opts: &CertifyOptions,
) -> Result<CaseOutcome> {
    let mut case = case.clone();
    let scenario = &case.scenario;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (platform, account) = rt.block_on(start_platform(
        &ext.data_dir,
        ext.ftp_addr,
        ext.https_addr,
        &scenario.mine,
    ))?;
    let mine = scenario.mine.code.to_string();
    let ftp = platform.platform.ftp_addr().context("FTP is not running")?;
    let https = platform.https.addr;
    let cert =
        eseal_platform::http::tls::tls_dir(&platform.platform.config.data_dir).join("cert.pem");

    let live = LiveServer::start(ext.rtsp_addr, ext.mjpeg_addr)
        .context("could not start the stream servers")?;
    let mut feeds = Vec::new();
    let mut cameras = Vec::new();
    for cam in &scenario.cameras {
        let code = cam.code.to_string();
        feeds.push(live.add_camera(
            &code,
            Codec::H264,
            cam.pose.width,
            cam.pose.height,
            cam.fps,
        )?);
        cameras.push(ready::camera_entry(
            cam,
            &live.rtsp_url(&code),
            &live.mjpeg_url(&code),
        ));
    }
    let grace = opts.judge.window.skew_s + opts.judge.window.latency_s + 2.0;
    let ready = ready::ready_json(&ready::Handshake {
        mine: &mine,
        mine_name: &scenario.mine.name,
        cameras,
        ftp: ftp.to_string(),
        https: format!("https://127.0.0.1:{}", https.port()),
        ftp_user: &account.username,
        ftp_password: &account.password,
        token: &account.token,
        cert_path: &cert,
        ca_pem: std::fs::read_to_string(&cert)
            .with_context(|| format!("reading the platform's certificate {}", cert.display()))?,
        duration_s: scenario.duration_ns as f64 / 1e9,
        connect_timeout_s: ext.connect_timeout.as_secs(),
        grace_s: grace,
        device_report: ext.device_report.as_deref(),
    });
    println!(
        "eseal certify --device external: {} (seed {})",
        case.file, scenario.seed
    );
    for line in ready::instructions(&ready) {
        println!("{line}");
    }
    if let Some(path) = &ext.ready_file {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&ready)?)?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    }

    // Wait for the device.
    let deadline = Instant::now() + ext.connect_timeout;
    while !feeds.iter().all(|f| f.has_viewers()) {
        if Instant::now() > deadline {
            live.shutdown();
            rt.block_on(stop_platform(platform))?;
            bail!(
                "the device did not pull every camera's stream (RTSP or MJPEG) within {} s",
                ext.connect_timeout.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let cst = FixedOffset::east_opt(8 * 3600).context("CST offset")?;
    let t0 = Utc::now().with_timezone(&cst);
    case.scenario.start = t0;
    let scenario = &case.scenario;
    println!(
        "streaming from {} for {:.0} s",
        t0.to_rfc3339(),
        scenario.duration_ns as f64 / 1e9
    );

    // Stream at real time, keeping the truth; the judge watches its own streams beside the device.
    let started = Instant::now();
    let mut viewers = own_viewers(scenario, &live, started);
    let mut renderers: Vec<Renderer> = scenario.cameras.iter().map(|_| Renderer::new()).collect();
    let mut rendered: Vec<Rendered> = scenario.cameras.iter().map(|_| Rendered::empty()).collect();
    let mut truth = Vec::new();
    let mut frames = 0u64;
    let mut pacer = Pacer::new();
    for step in Simulation::new(scenario) {
        pacer.wait_for(step.t_ns);
        truth.extend(step.events);
        for (cam, scene) in &step.scenes {
            renderers[*cam].render_into(scene, &mut rendered[*cam])?;
            viewers[*cam].offer(&rendered[*cam].frame);
            if let Err(err) = feeds[*cam].push(&rendered[*cam].frame) {
                tracing::warn!(camera = %scenario.cameras[*cam].code, %err, "frame not delivered");
            }
            frames += 1;
        }
    }
    let health: Vec<StreamHealth> = viewers.into_iter().map(StreamViewer::finish).collect();
    // The streams and the report while the device surely still runs; then what it still owes
    // arrives within the latency bound (and a report read then, if it answers, is newer).
    let (streams, mut report) = rt.block_on(async {
        let streams = probe_registered(&platform, &mine).await;
        let report = match ext.device_report.as_deref() {
            Some(url) => Some(
                fetch_report(url)
                    .await
                    .with_context(|| format!("fetching the device's day report from {url}")),
            ),
            None => None,
        };
        (streams, report)
    });
    println!("scenario finished; waiting {grace:.0} s for the last uploads");
    std::thread::sleep(Duration::from_secs_f64(grace));
    if let Some(url) = ext.device_report.as_deref()
        && let Ok(later) = rt.block_on(fetch_report(url))
    {
        report = Some(Ok(later));
    }
    // A device that serves no (readable) day report leaves E3 up INCONCLUSIVE, with the reason.
    let (day_report, counted_up, day_report_error) = match report {
        None => (None, None, None),
        Some(Ok(v)) => match (parse_day_report(&v), parse_count_log(&v, t0)) {
            (Ok(d), Ok(log)) => (Some(d), log, None),
            (Err(e), _) | (_, Err(e)) => (None, None, Some(format!("{e:#}"))),
        },
        Some(Err(e)) => (None, None, Some(format!("{e:#}"))),
    };
    if let Some(e) = &day_report_error {
        println!("the device's day report could not be read 无法读取设备日报: {e}");
    }
    let mut seen = rt.block_on(observe_platform(&platform, &mine, t0, streams?, day_report))?;
    seen.counted_up = counted_up;
    seen.day_report_error = day_report_error;
    // The judge's own stream addresses: registering one of them is not the device's stream (U6).
    seen.judge_stream_prefixes = scenario
        .cameras
        .iter()
        .map(|c| stream_prefix(&live.mjpeg_url(&c.code.to_string())))
        .collect();
    live.shutdown();
    rt.block_on(stop_platform(platform))?;
    let (mut report, exports) = scenario_report(&case, &truth, &mut seen, opts)?;
    add_stream_health(&mut report, &health);
    let wall_s = started.elapsed().as_secs_f64();
    let scenario_s = scenario.duration_ns as f64 / 1e9;
    Ok(CaseOutcome {
        report,
        timing: Timing {
            scenario: case.name.clone(),
            frames,
            wall_s,
            scenario_s,
            speedup: scenario_s / wall_s.max(1e-9),
        },
        faults: Vec::new(),
        exports,
    })
}

/// `http://host:port/` of a URL (the judge's MJPEG server serves every camera there).
fn stream_prefix(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => url[..after_scheme + slash + 1].to_owned(),
        None => format!("{url}/"),
    }
}

/// The judge's own RTSP viewer of every camera, started once the device watches.
fn own_viewers(
    scenario: &eseal_simulator::Scenario,
    live: &LiveServer,
    t0: Instant,
) -> Vec<StreamViewer> {
    scenario
        .cameras
        .iter()
        .map(|cam| {
            let code = cam.code.to_string();
            StreamViewer::start(
                &code,
                &live.rtsp_url(&code),
                (cam.pose.width, cam.pose.height, cam.fps),
                t0,
            )
        })
        .collect()
}

/// The checks of the judge's own streams (`stream.health.<camera>`), and a word on the console
/// when one failed: that is the judge's fault, not the device's. A corrupt stream of the judge
/// leaves the certification INCONCLUSIVE (it must be run again), never a device FAIL.
fn add_stream_health(report: &mut ScenarioReport, health: &[StreamHealth]) {
    for h in health {
        let mut check = stream_health::check(h);
        if check.verdict == Verdict::Fail {
            println!(
                "评判方视频流异常 the judge's own stream of camera {} was corrupt (not the device's fault): {}",
                h.camera, check.actual
            );
            check.verdict = Verdict::Inconclusive;
            check.supply = Some(format!(
                "在评判方视频流正常的条件下重新认证 / a rerun in which the judge's own stream of camera {} decodes cleanly (less load on the judge's machine)",
                h.camera
            ));
        }
        report.checks.push(check);
    }
    report.verdict = Verdict::combine(report.checks.iter().map(|c| c.verdict));
}

/// What the platform holds of the device, as the judge sees it.
async fn observe_platform(
    p: &crate::edge::run::TestPlatform,
    mine: &str,
    t0: chrono::DateTime<FixedOffset>,
    streams: Vec<StreamSeen>,
    day_report: Option<DayReport>,
) -> Result<Observed> {
    let ingest = &p.platform.ingest;
    let mut uploads = Vec::new();
    for (name, sha256, _) in ingest.event_names_of_mine(mine).await? {
        let bytes = ingest
            .evidence()
            .read(&sha256)
            .with_context(|| format!("reading the evidence of {name}"))?;
        let arrived_s = ingest
            .event_by_name(&name)
            .await?
            .and_then(|e| chrono::DateTime::parse_from_rfc3339(&e.received_at).ok())
            .map(|at| (at - t0).num_milliseconds() as f64 / 1000.0);
        uploads.push(Upload {
            name,
            bytes,
            arrived_s,
        });
    }
    let refused = ingest
        .violations()
        .await?
        .into_iter()
        .map(|v| (v.name, v.reason))
        .collect();
    Ok(Observed {
        uploads,
        refused,
        streams,
        day_report,
        counted_up: None,
        ..Observed::default()
    })
}

/// The registered stream addresses (U6), each fetched.
async fn probe_registered(
    p: &crate::edge::run::TestPlatform,
    mine: &str,
) -> Result<Vec<StreamSeen>> {
    let streams = streams_of(p, mine).await?;
    Ok(probe_streams(&streams).await)
}

/// The device's day report as JSON: `{"days": {"YYYY-MM-DD": {"<camera>": {"people_down": n,
/// ...}}}, "events": [...]}` (the reference device's `/report.json`; docs/external-device.md).
async fn fetch_report(url: &str) -> Result<serde_json::Value> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}
