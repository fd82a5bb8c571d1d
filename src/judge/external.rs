//! `eseal certify --device external` (issue 5, deliver 5): a vendor's box judged at real time.
//! The judge serves the scenario's cameras as RTSP (H.264) and MJPEG, runs a reference platform
//! for the device to upload to (FTP for U1–U4, HTTPS for U5/U6), prints what the vendor must
//! configure, waits until the device pulls every camera, streams the scenario at real time,
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
use super::ready;
use super::verdict::Timing;
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
                "the device did not pull every camera's RTSP stream within {} s",
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

    // Stream at real time, keeping the truth.
    let started = Instant::now();
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
            if let Err(err) = feeds[*cam].push(&rendered[*cam].frame) {
                tracing::warn!(camera = %scenario.cameras[*cam].code, %err, "frame not delivered");
            }
            frames += 1;
        }
    }
    // The streams and the report while the device surely still runs; then what it still owes
    // arrives within the latency bound (and a report read then, if it answers, is newer).
    let (streams, mut day_report) = rt.block_on(async {
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
        day_report = Some(Ok(later));
    }
    let day_report = day_report.transpose()?;
    let seen = rt.block_on(observe_platform(&platform, &mine, t0, streams?, day_report))?;
    live.shutdown();
    rt.block_on(stop_platform(platform))?;
    let mut seen = seen;
    let report = scenario_report(&case, &truth, &mut seen, opts)?;
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
    })
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

/// The device's day report: `{"days": {"YYYY-MM-DD": {"<camera>": {"people_down": n, ...}}}}`
/// (the reference device's `/report.json`).
async fn fetch_report(url: &str) -> Result<DayReport> {
    let v: serde_json::Value = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    parse_day_report(&v)
}
