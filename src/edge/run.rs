//! An in-process run: the simulator's cameras feed the reference device on the virtual clock,
//! and the device uploads through its spool to a real reference platform (FTP + HTTPS on
//! loopback) — the chain of a certification run without wall-clock waiting.
//!
//! Faults are knobs: the platform can be taken down for a stretch of virtual time and the device
//! restarted in the middle of it (a new [`Device`] and [`Uploader`] on the same state
//! directory), which is how store-and-forward is shown to lose nothing.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use eseal_platform::Platform;
use eseal_platform::config::{PlatformConfig, PortRange};
use eseal_platform::http::{AppState, HttpsHandle, serve_https};
use eseal_platform::supervision::service::{Clock, SupervisionSettings};
use eseal_simulator::render::{BoxPx, Rendered, Renderer};
use eseal_simulator::scenario::Mine;
use eseal_simulator::truth::{Event, EventKind};
use eseal_simulator::{Scenario, Simulation};
use eseal_vision::clock::DeviceClock;
use eseal_vision::config::{DetectorConfig, DeviceConfig, PlatformLink};
use eseal_vision::device::{Counted, DailyReport, Decision, Device, Faults};
use eseal_vision::frame::Frame;
use eseal_vision::media::mjpeg::{MjpegHub, MjpegServer, MjpegSettings};
use eseal_vision::upload::{UploadOptions, Uploader};

use super::install::device_config;
use super::provision::{Provisioned, provision};
use crate::judge::alarm_closure::{
    self as closure, Api, ClosureRun, FeedListener, Limits, PlatformClock,
};

const S: u64 = 1_000_000_000;

/// Truth boxes of one frame: (actor id, full box, visible box).
pub type FrameBoxes = Vec<(u32, Option<BoxPx>, Option<BoxPx>)>;

/// A platform outage during the run, in seconds of virtual time from the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outage {
    /// The platform stops.
    pub stop_s: f64,
    /// The device is restarted (dropped and re-opened on its state directory), if set.
    pub restart_device_s: Option<f64>,
    /// The platform starts again on the same data directory and ports.
    pub resume_s: f64,
}

/// Options of an in-process run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Tamper check cadence, seconds (the spec's hour is too long for short scenarios).
    pub tamper_interval_s: Option<f64>,
    pub outage: Option<Outage>,
    pub faults: Faults,
    /// The device uploads in batches this far apart, seconds (a late-upload fault; default: at
    /// once, every 0.2 s).
    pub upload_batch_s: Option<f64>,
    /// Clip length the device is configured with, seconds (default the spec's 10).
    pub clip_s: Option<f64>,
    /// Where the platform's data and the device's state go (a temp dir when `None`).
    pub work_dir: Option<PathBuf>,
    /// Drive the platform's alarm handling as the county would, with these numbers filed for
    /// the mine (P4; see [`crate::judge::alarm_closure`]). `None`: alarms are not looked at.
    pub closure: Option<Limits>,
    /// A faulty platform for the judge's violation suite: alarms raised but never pushed (P14).
    pub platform_push_disabled: bool,
    /// A device fault: its clock runs this many seconds late (names stamped late; R2.skew).
    pub clock_offset_s: Option<f64>,
    /// A device fault: every item is held this long before it is sent (uploads late with right
    /// names; R2.latency).
    pub upload_hold_s: Option<f64>,
    /// The person detector the device runs (default: the device configuration's default).
    pub detector: Option<DetectorConfig>,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunResult {
    /// Ground truth of the scenario.
    pub truth: Vec<Event>,
    /// Accepted uploads on the platform (file names), in commit order.
    pub received: Vec<String>,
    /// The same uploads with their content and when they arrived on the virtual clock.
    pub uploads: Vec<ReceivedFile>,
    /// Refused uploads (platform violations): (name, reason).
    pub violations: Vec<(String, String)>,
    /// U6 stream registrations the platform holds.
    pub streams: Vec<RegisteredStream>,
    /// What each registered address served when the run probed it before stopping (U6).
    pub stream_probes: Vec<StreamProbe>,
    /// Every decision of every device instance, in order.
    pub decisions: Vec<Decision>,
    /// Every count of every device instance, in order (event-level view of the report).
    pub counts: Vec<Counted>,
    /// The device's own per-day report (E3), from its durable counters.
    pub report: DailyReport,
    /// Items still in the spool at the end (should be none), rejected by the platform.
    pub left_in_spool: usize,
    pub rejected: usize,
    /// Per camera index and frame pts: truth boxes (id, full, visible), for frames the device
    /// captured.
    pub capture_truth: BTreeMap<(String, u64), FrameBoxes>,
    /// Frames analysed and wall time.
    pub frames: u64,
    pub wall: Duration,
    pub scenario_s: f64,
    /// The platform's alarm handling as the judge drove it (when [`RunOptions::closure`]).
    pub closure: Option<ClosureRun>,
}

/// One upload the platform accepted.
#[derive(Debug, Clone)]
pub struct ReceivedFile {
    pub name: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
    /// Virtual time (ns from the scenario start) at which the platform acknowledged it, the
    /// spool's drain after the last frame included. `None` if no acknowledgement was seen.
    pub arrived_ns: Option<u64>,
}

/// What a registered stream address answered (U6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamProbe {
    pub camera: String,
    pub url: String,
    /// HTTP status, `Content-Type`, and whether a JPEG (FF D8) came within the first part.
    pub status: Option<u16>,
    pub content_type: String,
    pub jpeg: bool,
    pub error: Option<String>,
    /// The IP address the platform saw the registration come from (`peer` of
    /// `GET /api/v1/streams`); `None` if the platform did not record it.
    pub registered_from: Option<String>,
    /// The IP address that answered the fetch of `url` (the TCP peer of the connection).
    pub answered_from: Option<String>,
}

/// A camera's current U6 registration as the platform lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredStream {
    pub camera: String,
    pub url: String,
    /// The IP address the registration came from, if the platform recorded it.
    pub peer: Option<String>,
}

/// A reference platform run in process: FTP and HTTPS.
pub(crate) struct TestPlatform {
    pub(crate) platform: Platform,
    pub(crate) https: HttpsHandle,
}

pub(crate) const ADMIN: &str = "eseal-inprocess-admin";

/// The platform's clock in an in-process run: the scenario's start plus the virtual time the
/// run has reached (plus what the judge moves it on for the overdue check).
#[derive(Debug, Clone)]
pub(crate) struct VirtualClock {
    epoch: chrono::DateTime<chrono::Utc>,
    offset_ns: Arc<AtomicI64>,
}

impl VirtualClock {
    pub(crate) fn new(epoch: chrono::DateTime<chrono::FixedOffset>) -> VirtualClock {
        VirtualClock {
            epoch: epoch.with_timezone(&chrono::Utc),
            offset_ns: Arc::new(AtomicI64::new(0)),
        }
    }

    pub(crate) fn set(&self, ns: u64) {
        self.offset_ns
            .store(i64::try_from(ns).unwrap_or(i64::MAX), Ordering::SeqCst);
    }

    fn clock(&self) -> Clock {
        let (epoch, off) = (self.epoch, self.offset_ns.clone());
        Arc::new(move || epoch + chrono::Duration::nanoseconds(off.load(Ordering::SeqCst)))
    }
}

/// Moves the platform's virtual clock for the judge and runs its automatic supervision.
struct JudgeClock<'a> {
    clock: &'a VirtualClock,
    supervision: eseal_platform::supervision::service::Supervision,
}

impl PlatformClock for JudgeClock<'_> {
    async fn advance(&self, hours: i64) -> Result<()> {
        self.clock
            .offset_ns
            .fetch_add(hours * 3600 * S as i64, Ordering::SeqCst);
        self.supervision
            .tick()
            .await
            .context("the platform's automatic supervision")?;
        Ok(())
    }
}

/// A platform for an external device (wall clock), with the scenario's mine provisioned.
pub(crate) async fn start_platform(
    data_dir: &Path,
    ftp: SocketAddr,
    https: SocketAddr,
    mine: &Mine,
) -> Result<(TestPlatform, Provisioned)> {
    let p = start_platform_with(data_dir, ftp, https, None, true).await?;
    let account = provision(&p.platform, mine)
        .await
        .with_context(|| format!("provisioning mine {} on the reference platform", mine.code))?;
    Ok((p, account))
}

pub(crate) async fn start_platform_with(
    data_dir: &Path,
    ftp: SocketAddr,
    https: SocketAddr,
    clock: Option<&VirtualClock>,
    push: bool,
) -> Result<TestPlatform> {
    let mut settings = SupervisionSettings::reference().context("supervision settings")?;
    if let Some(c) = clock {
        settings.clock = c.clock();
    }
    // Supervision runs on the virtual clock: woken by every commit, ticking often; no timed
    // patrol (its silence thresholds are wall-clock minutes).
    settings.tick_every = Duration::from_millis(200);
    settings.patrol_every = None;
    settings.push = push;
    let config = PlatformConfig::builder()
        .data_dir(data_dir)
        .ftp_addr(ftp)
        .https_addr(https)
        .passive_ports(PortRange::ANY)
        .build()
        .context("platform configuration")?;
    // No demo data: the run provisions the scenario's mine with fresh credentials (`provision`).
    let platform = Platform::builder(config.clone())
        .supervision(settings)
        .start()
        .await
        .context("starting the platform")?;
    let state = AppState::new(platform.ingest.clone())
        .with_admin_token(ADMIN)
        .with_supervision(platform.supervision.clone());
    let https = serve_https(&config, state)
        .await
        .context("starting the platform's HTTPS API")?;
    Ok(TestPlatform { platform, https })
}

pub(crate) async fn stop_platform(p: TestPlatform) -> Result<()> {
    p.https.shutdown(Duration::from_secs(1));
    p.https.stopped().await.context("stopping HTTPS")?;
    p.platform.shutdown().await.context("stopping FTP")?;
    Ok(())
}

fn link(p: &TestPlatform, account: &Provisioned) -> Result<PlatformLink> {
    let ftp = p.platform.ftp_addr().context("FTP is not running")?;
    Ok(PlatformLink {
        ftp_addr: ftp.to_string(),
        ftp_user: account.username.clone(),
        ftp_password: account.password.clone(),
        https_url: format!("https://127.0.0.1:{}", p.https.addr.port()),
        token: account.token.clone(),
        ca_cert: Some(
            eseal_platform::http::tls::tls_dir(&p.platform.config.data_dir).join("cert.pem"),
        ),
    })
}

/// Runs `scenario` through the reference device into a reference platform.
pub fn run_in_process(scenario: &Scenario, opts: &RunOptions) -> Result<RunResult> {
    let started = Instant::now();
    let tmp;
    let work = match &opts.work_dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::tempdir().context("temp dir")?;
            tmp.path().to_path_buf()
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let platform_dir = work.join("platform");
    let any: SocketAddr = "127.0.0.1:0".parse()?;
    let vclock = VirtualClock::new(scenario.start);
    let push = !opts.platform_push_disabled;
    let mut platform = Some(rt.block_on(start_platform_with(
        &platform_dir,
        any,
        any,
        Some(&vclock),
        push,
    ))?);
    let (ftp_addr, https_addr) = {
        let p = platform.as_ref().context("platform")?;
        (p.platform.ftp_addr().context("ftp")?, p.https.addr)
    };
    let mine = scenario.mine.code.to_string();
    let county = scenario.mine.code.county_code().to_owned();
    let started_platform = platform.as_ref().context("platform")?;
    let account = rt
        .block_on(provision(&started_platform.platform, &scenario.mine))
        .with_context(|| format!("provisioning mine {mine} on the reference platform"))?;
    let the_link = link(started_platform, &account)?;
    // The judge as the county: files the mine's numbers, then listens to the county's feed.
    let feed = match opts.closure {
        None => None,
        Some(limits) => {
            let who = account.regulators.clone();
            let pem =
                std::fs::read(eseal_platform::http::tls::tls_dir(&platform_dir).join("cert.pem"))
                    .context("the platform's certificate")?;
            let api = Api::new(&format!("https://127.0.0.1:{}", https_addr.port()), &pem)?;
            rt.block_on(closure::configure(
                &api,
                &who,
                &mine,
                &scenario.mine.name,
                limits,
            ))?;
            let _g = rt.enter();
            let listener = FeedListener::spawn(api.clone(), &who);
            Some((api, who, listener))
        }
    };

    let mut config: DeviceConfig = device_config(scenario, &work.join("device"));
    if let Some(t) = opts.tamper_interval_s {
        config.analysis.tamper_interval_s = t;
    }
    if let Some(c) = opts.clip_s {
        config.analysis.clip_s = c;
    }
    if let Some(d) = &opts.detector {
        config.analysis.detector = d.clone();
    }
    let pump_every_ns = opts.upload_batch_s.map_or(S / 5, |b| (b * 1e9) as u64);
    config.platform = Some(the_link.clone());
    let offset_ms = opts
        .clock_offset_s
        .map_or(0, |s| (s * 1000.0).round() as i64);
    let clock = DeviceClock::new(scenario.start + chrono::Duration::milliseconds(offset_ms));
    let upload_options = UploadOptions {
        hold: std::time::Duration::from_secs_f64(opts.upload_hold_s.unwrap_or(0.0).max(0.0)),
        ..UploadOptions::default()
    };

    // The device's own MJPEG server (U6), registered at start.
    let hub = MjpegHub::new(MjpegSettings::default());
    for c in &config.cameras {
        hub.register(c.code);
    }
    let listener = rt.block_on(tokio::net::TcpListener::bind(any))?;
    let mjpeg = {
        let _g = rt.enter();
        MjpegServer::start(listener, hub.clone())?
    };

    let open = |config: &DeviceConfig| -> Result<(Device, Uploader)> {
        let device = Device::open(config.clone(), clock)?.with_faults(opts.faults.clone());
        let uploader = {
            let _g = rt.enter();
            Uploader::new(device.spool(), &the_link, upload_options.clone())?
        };
        Ok((device, uploader))
    };
    let (mut device, mut uploader) = open(&config)?;
    for c in &config.cameras {
        device.register_stream(c.code, &mjpeg.url(c.code), 0)?;
    }

    let mut decisions: Vec<Decision> = Vec::new();
    let mut counts: Vec<Counted> = Vec::new();
    let mut renderers: Vec<Renderer> = scenario.cameras.iter().map(|_| Renderer::new()).collect();
    let mut rendered = Rendered::empty();
    let mut truth = Vec::new();
    let mut boxes: BTreeMap<(String, u64), FrameBoxes> = BTreeMap::new();
    let mut frames = 0u64;
    let mut restarted = false;
    let mut last_pump = 0u64;
    let mut arrivals: BTreeMap<String, u64> = BTreeMap::new();
    let codes: Vec<_> = scenario.cameras.iter().map(|c| c.code).collect();
    let keep_boxes_s = 4 * S;

    for step in Simulation::new(scenario) {
        let now = step.t_ns;
        vclock.set(now);
        // Faults on the virtual clock.
        if let Some(o) = opts.outage {
            let at = |s: f64| (s * 1e9) as u64;
            if now >= at(o.stop_s)
                && now < at(o.resume_s)
                && let Some(p) = platform.take()
            {
                rt.block_on(stop_platform(p))?;
                tracing::info!(t_s = now as f64 / 1e9, "fault: platform stopped");
            }
            if let Some(r) = o.restart_device_s
                && !restarted
                && now >= at(r)
            {
                restarted = true;
                decisions.extend(device.decisions().iter().cloned());
                counts.extend_from_slice(device.counts());
                rt.block_on(uploader.close());
                drop(uploader);
                drop(device);
                (device, uploader) = open(&config)?;
                tracing::info!(t_s = now as f64 / 1e9, "fault: device restarted");
            }
            if platform.is_none() && now >= at(o.resume_s) {
                platform = Some(rt.block_on(start_platform_with(
                    &platform_dir,
                    ftp_addr,
                    https_addr,
                    Some(&vclock),
                    push,
                ))?);
                tracing::info!(t_s = now as f64 / 1e9, "fault: platform back");
            }
        }
        for e in &step.events {
            if let EventKind::Lock { lock, state } = &e.kind {
                device.lock_signal(*lock, *state, e.t_ns)?;
            }
        }
        truth.extend(step.events);
        for (cam, scene) in &step.scenes {
            let r = &mut renderers[*cam];
            r.render_into(scene, &mut rendered)
                .with_context(|| format!("rendering camera {}", codes[*cam]))?;
            let f = &rendered.frame;
            let frame =
                Frame::new(f.width, f.height, f.rgb.clone(), f.pts_ns).context("frame size")?;
            let key = (codes[*cam].to_string(), frame.pts_ns);
            boxes.insert(
                key,
                rendered
                    .objects
                    .iter()
                    .map(|o| (o.id, o.full_box, o.visible_box))
                    .collect(),
            );
            let _ = hub.publish(codes[*cam], &frame);
            device.process(codes[*cam], &frame)?;
            frames += 1;
        }
        // Forget truth boxes of frames that can no longer be a capture, except captured ones.
        let captured: std::collections::BTreeSet<u64> = device
            .decisions()
            .iter()
            .chain(decisions.iter())
            .filter_map(|d| d.capture.map(|c| c.0))
            .collect();
        boxes.retain(|(_, t), _| t + keep_boxes_s > now || captured.contains(t));
        if now >= last_pump + pump_every_ns {
            last_pump = now;
            let r = rt.block_on(uploader.pump(now));
            note_arrivals(&mut arrivals, &r);
        }
    }
    device.finish()?;
    let end = scenario.duration_ns;
    if platform.is_none() {
        platform = Some(rt.block_on(start_platform_with(
            &platform_dir,
            ftp_addr,
            https_addr,
            Some(&vclock),
            push,
        ))?);
    }
    // The spool drains after the last frame on the virtual clock (the next batch, then each
    // back-off deadline, for up to an hour), every acknowledgement noted at its instant.
    let horizon = end + 3600 * S;
    let mut at = end.max(last_pump + pump_every_ns);
    let report_pump = loop {
        let r = rt.block_on(uploader.pump(at));
        note_arrivals(&mut arrivals, &r);
        match r.next_retry_ns {
            Some(t) if t > at && t <= horizon => at = t,
            _ => break r,
        }
    };
    vclock.set(end);
    let p = platform.take().context("platform")?;
    let closure = match (feed, opts.closure) {
        (Some((api, who, feed)), Some(limits)) => Some(rt.block_on(async {
            if let Err(e) = p.platform.supervision.catch_up().await {
                tracing::error!(error = %e, "the platform did not evaluate every upload");
            }
            let clock = JudgeClock {
                clock: &vclock,
                supervision: p.platform.supervision.clone(),
            };
            closure::drive(&api, &who, &county, limits, feed, &clock).await
        })),
        _ => None,
    };
    let mut uploads = Vec::new();
    for (name, sha256, _) in rt.block_on(p.platform.ingest.event_names_of_mine(&mine))? {
        let bytes = p
            .platform
            .ingest
            .evidence()
            .read(&sha256)
            .with_context(|| format!("reading the evidence of {name}"))?;
        let arrived_ns = arrivals.get(&name).copied();
        uploads.push(ReceivedFile {
            name,
            sha256,
            bytes,
            arrived_ns,
        });
    }
    let received: Vec<String> = uploads.iter().map(|u| u.name.clone()).collect();
    let violations = rt
        .block_on(p.platform.ingest.violations())?
        .into_iter()
        .map(|v| (v.name, v.reason))
        .collect();
    let streams = rt.block_on(streams_of(&p, &mine))?;
    let stream_probes = rt.block_on(probe_streams(&streams));
    decisions.extend(device.decisions().iter().cloned());
    counts.extend_from_slice(device.counts());
    let spool_counts = device
        .spool()
        .lock()
        .map(|s| s.counts())
        .map_err(|_| anyhow::anyhow!("spool lock"))?;
    let report = device.report();
    rt.block_on(uploader.close());
    rt.block_on(stop_platform(p))?;
    let _ = rt.block_on(mjpeg.shutdown());
    let captured: std::collections::BTreeSet<u64> = decisions
        .iter()
        .filter_map(|d| d.capture.map(|c| c.0))
        .collect();
    boxes.retain(|(_, t), _| captured.contains(t));
    Ok(RunResult {
        truth,
        received,
        uploads,
        violations,
        streams,
        stream_probes,
        decisions,
        counts,
        report,
        left_in_spool: report_pump.pending,
        rejected: spool_counts.rejected as usize,
        capture_truth: boxes,
        frames,
        wall: started.elapsed(),
        scenario_s: scenario.duration_ns as f64 / 1e9,
        closure,
    })
}

/// Notes when each acknowledged upload arrived (the pump's virtual time of its acknowledgement);
/// the first acknowledgement counts.
fn note_arrivals(arrivals: &mut BTreeMap<String, u64>, r: &eseal_vision::upload::PumpReport) {
    for d in &r.sent {
        arrivals.entry(d.label.clone()).or_insert(d.done_ns);
    }
}

/// Fetches each registered address and reads the start of what it serves (U6: an
/// mjpeg-streamer style `multipart/x-mixed-replace` stream of JPEGs).
pub async fn probe_streams(streams: &[RegisteredStream]) -> Vec<StreamProbe> {
    let mut out = Vec::new();
    for s in streams {
        let mut probe = StreamProbe {
            camera: s.camera.clone(),
            url: s.url.clone(),
            status: None,
            content_type: String::new(),
            jpeg: false,
            error: None,
            registered_from: s.peer.clone(),
            answered_from: None,
        };
        match probe_one(&s.url).await {
            Ok(answer) => {
                probe.status = Some(answer.status);
                probe.content_type = answer.content_type;
                probe.jpeg = answer.jpeg;
                probe.answered_from = answer.from;
            }
            Err(e) => probe.error = Some(format!("{e:#}")),
        }
        out.push(probe);
    }
    out
}

/// What one stream address answered.
struct StreamAnswer {
    status: u16,
    content_type: String,
    jpeg: bool,
    /// The IP address of the server that answered (canonical form: an IPv4-mapped IPv6
    /// address is written as IPv4).
    from: Option<String>,
}

async fn probe_one(url: &str) -> Result<StreamAnswer> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let mut resp = client.get(url).send().await?;
    let status = resp.status().as_u16();
    let from = resp
        .remote_addr()
        .map(|a| a.ip().to_canonical().to_string());
    let ct = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut head = Vec::new();
    while head.len() < 256 * 1024 {
        match tokio::time::timeout(Duration::from_secs(3), resp.chunk()).await {
            Ok(Ok(Some(c))) => {
                head.extend_from_slice(&c);
                if head.windows(2).any(|w| w == [0xFF, 0xD8]) {
                    break;
                }
            }
            _ => break,
        }
    }
    Ok(StreamAnswer {
        status,
        content_type: ct,
        jpeg: head.windows(2).any(|w| w == [0xFF, 0xD8]),
        from,
    })
}

pub(crate) async fn streams_of(p: &TestPlatform, mine: &str) -> Result<Vec<RegisteredStream>> {
    let pem = std::fs::read(
        eseal_platform::http::tls::tls_dir(&p.platform.config.data_dir).join("cert.pem"),
    )?;
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem)?])
        .build()?;
    let v: serde_json::Value = client
        .get(format!(
            "https://127.0.0.1:{}/api/v1/streams?mine={mine}",
            p.https.addr.port()
        ))
        .bearer_auth(ADMIN)
        .send()
        .await?
        .json()
        .await?;
    let items = v
        .get("items")
        .and_then(|i| i.as_array())
        .cloned()
        .unwrap_or_default();
    Ok(items
        .iter()
        .map(|s| {
            let f = |k: &str| {
                s.get(k)
                    .and_then(|x| x.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            RegisteredStream {
                camera: f("camera"),
                url: f("url"),
                peer: s.get("peer").and_then(|x| x.as_str()).map(str::to_owned),
            }
        })
        .collect())
}
