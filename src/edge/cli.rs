//! `eseal edge run | people | trucks`: the reference device from the command line.
//!
//! `run --config FILE` is the live device: one GStreamer source thread per camera (RTSP, MJPEG
//! or MP4 at wall time), the device on the frames as they come, its own MJPEG server (U6
//! addresses registered at start), the uploader on the wall clock, and the per-day report
//! written to the state directory as JSON. (`eseal certify` judges the device in process.)

#![allow(clippy::print_stdout)] // command-line output is the job here

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, Result};
use eseal_vision::DeviceConfig;
use eseal_vision::clock::DeviceClock;
use eseal_vision::config::{DetectorConfig, DetectorKind};
use eseal_vision::device::Device;
use eseal_vision::frame::FrameSource;
use eseal_vision::media::mjpeg::{MjpegHub, MjpegServer, MjpegSettings, stream_url};
use eseal_vision::source::{GstSource, SourceSettings};
use eseal_vision::upload::{UploadOptions, Uploader};

/// Options of `eseal edge people`.
#[derive(Debug, Clone, clap::Args)]
pub struct PeopleArgs {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Matching window, seconds either side (default: the judge's, R2: 5 s early to 15 s late).
    #[arg(long)]
    pub window: Option<f64>,
    #[command(flatten)]
    pub detector: DetectorArgs,
}

/// Options of `eseal edge trucks`.
#[derive(Debug, Clone, clap::Args)]
pub struct TrucksArgs {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Matching window, seconds either side (default: the judge's, R2: 5 s early to 15 s late).
    #[arg(long)]
    pub window: Option<f64>,
    #[command(flatten)]
    pub detector: DetectorArgs,
}

/// Options of `eseal edge equipment`.
#[derive(Debug, Clone, clap::Args)]
pub struct EquipmentArgs {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Matching window, seconds either side (default: the judge's, R2: 5 s early to 15 s late).
    #[arg(long)]
    pub window: Option<f64>,
}

/// The learned detector's model as committed (issue 17; `scripts/detector/`).
pub const DEFAULT_MODEL: &str = "vision/models/detector.onnx";

/// Which person detector the reference device runs.
#[derive(Debug, Clone, clap::Args)]
pub struct DetectorArgs {
    /// The reference device's detector of people (and of trucks at the gate): `classical`
    /// (calibrated templates and blobs on the foreground) or `learned` (the network through
    /// ONNX Runtime).
    #[arg(long, default_value = "classical")]
    pub detector: String,
    /// The learned detector's ONNX model.
    #[arg(long, default_value = DEFAULT_MODEL)]
    pub model: PathBuf,
}

impl DetectorArgs {
    /// The device's detector settings; a bad name or a missing model is an error naming the flag.
    pub fn config(&self) -> Result<DetectorConfig> {
        let kind = match self.detector.as_str() {
            "classical" => DetectorKind::Classical,
            "learned" => DetectorKind::Learned,
            other => anyhow::bail!("--detector {other}: expected `classical` or `learned`"),
        };
        if kind == DetectorKind::Learned && !self.model.is_file() {
            anyhow::bail!(
                "--model {}: no such file (the learned detector's ONNX model; `just train-detector` makes one)",
                self.model.display()
            );
        }
        Ok(DetectorConfig {
            kind,
            model: (kind == DetectorKind::Learned).then(|| self.model.clone()),
            ..DetectorConfig::default()
        })
    }

    /// What the certificate names: the detector, and the model file's SHA-256 when learned.
    pub fn describe(&self) -> Result<String> {
        if self.detector != "learned" {
            return Ok(self.detector.clone());
        }
        use sha2::Digest as _;
        let bytes = std::fs::read(&self.model)
            .with_context(|| format!("--model {}: reading", self.model.display()))?;
        Ok(format!(
            "learned {} sha256:{}",
            self.model.display(),
            hex::encode(sha2::Sha256::digest(&bytes))
        ))
    }
}

/// `eseal edge people`: people figures per counting camera with every match, miss and extra.
pub fn people(args: &PeopleArgs) -> Result<ExitCode> {
    let detector = args.detector.config()?;
    let window = super::scoring::window(args.window);
    list(&args.files, |scenario| {
        let scores = super::people::score_people(scenario, window, &detector)?;
        Ok(scores
            .into_iter()
            .map(|s| {
                let line = format!(
                    "camera {} (seed {}): down {}/{} matched {} · up {}/{} matched {} · captured {}/{} · left out (tampered) {}",
                    s.camera,
                    scenario.seed,
                    s.device_down,
                    s.true_down,
                    s.matched_down,
                    s.device_up,
                    s.true_up,
                    s.matched_up,
                    s.captured,
                    s.true_down,
                    s.excluded,
                );
                (line, s.details)
            })
            .collect())
    })
}

/// `eseal edge trucks`: truck figures per gate camera with every match, miss and extra.
pub fn trucks(args: &TrucksArgs) -> Result<ExitCode> {
    let detector = args.detector.config()?;
    let window = super::scoring::window(args.window);
    list(&args.files, |scenario| {
        let scores = super::trucks::score_trucks(scenario, window, &detector)?;
        Ok(scores
            .into_iter()
            .map(|s| {
                let line = format!(
                    "camera {} (seed {}): out {}/{} matched {} · in {}/{} matched {} · left out (tampered) {}",
                    s.camera,
                    scenario.seed,
                    s.device_out,
                    s.true_out,
                    s.matched_out,
                    s.device_in,
                    s.true_in,
                    s.matched_in,
                    s.excluded,
                );
                (line, s.details)
            })
            .collect())
    })
}

/// `eseal edge equipment`: belt and skip state changes (U3) and skip trips per camera with every
/// match, miss and extra.
pub fn equipment(args: &EquipmentArgs) -> Result<ExitCode> {
    let window = super::scoring::window(args.window);
    list(&args.files, |scenario| {
        let scores = super::equipment::score_equipment(scenario, window);
        Ok(scores
            .into_iter()
            .map(|s| {
                let line = format!(
                    "camera {} {} (seed {}): changes {}/{} matched {} · trips {}/{} with the true load {} · left out (tampered) {}",
                    s.camera,
                    s.equipment,
                    scenario.seed,
                    s.device_changes,
                    s.true_changes,
                    s.matched,
                    s.device_trips,
                    s.true_trips,
                    s.trips_with_true_load,
                    s.excluded,
                );
                (line, s.details)
            })
            .collect())
    })
}

/// One camera's line and its detail lines.
type Listing = Vec<(String, Vec<String>)>;

/// Checks each scenario file, scores it with `score` and lists every camera's line (prefixed by
/// the file, followed by the seconds taken) and its details on stdout.
fn list(
    files: &[PathBuf],
    score: impl Fn(&eseal_simulator::Scenario) -> Result<Listing, eseal_vision::Error>,
) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    for file in files {
        let (scenario, _) = eseal_simulator::check(file).map_err(|e| anyhow::anyhow!("{e}"))?;
        let started = Instant::now();
        for (line, details) in score(&scenario)? {
            let text = format!(
                "{} {line} ({:.1} s)\n",
                file.display(),
                started.elapsed().as_secs_f64()
            );
            if !emit(&mut out, text, &details)? {
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes one camera's line and its details to stdout; `false` when the reader has gone (a
/// closed pipe, `| head`, ends the listing: it is not an error).
fn emit(out: &mut impl std::io::Write, mut text: String, details: &[String]) -> Result<bool> {
    for d in details {
        text.push_str(&format!("  {d}\n"));
    }
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        r => r.context("writing to stdout").map(|()| true),
    }
}

/// E3 "report statistics": the day report as JSON, served at `/report.json` by the device's own
/// server and written to `state_dir/report.json` (tmp + rename, so a reader never sees half).
fn publish_report(device: &Device, hub: &MjpegHub, path: &std::path::Path) -> Result<()> {
    let json = serde_json::to_vec_pretty(&device.report())?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, &json).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    hub.set_report(json);
    Ok(())
}

/// Options of `eseal edge run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Device configuration (TOML, see docs/edge.toml.example).
    #[arg(long)]
    pub config: PathBuf,
}

/// `eseal edge run`: the live device until every source ends or Ctrl-C.
pub async fn run(args: &RunArgs) -> Result<ExitCode> {
    let config = DeviceConfig::from_file(&args.config)?;
    let link = config
        .platform
        .clone()
        .context("the configuration has no [platform] to upload to")?;
    let clock = DeviceClock::new(chrono::Utc::now().with_timezone(&eseal_vision::clock::cst()));
    let started = Instant::now();
    let mut device = Device::open(config.clone(), clock)?;
    let hub = MjpegHub::new(MjpegSettings::default());
    let mjpeg = match &config.streams {
        Some(s) => {
            for c in &config.cameras {
                hub.register(c.code);
            }
            let listener = tokio::net::TcpListener::bind(&s.listen)
                .await
                .with_context(|| format!("streams.listen {}", s.listen))?;
            let server = MjpegServer::start(listener, hub.clone())?;
            for c in &config.cameras {
                let url = stream_url(&s.public_url, c.code);
                device.register_stream(c.code, &url, 0)?;
                println!("camera {}: live stream {url}", c.code);
            }
            Some(server)
        }
        None => None,
    };
    let mut uploader = Uploader::new(device.spool(), &link, UploadOptions::default())?;
    let waker = uploader.waker();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let upload_task = tokio::spawn(async move {
        let totals = uploader.run(async {
            let _ = stop_rx.await;
        });
        totals.await
    });

    // One decoding thread per camera; frames carry the pipeline's running time, which we put on
    // the device clock's epoch (the start of this run).
    let (tx, rx) = mpsc::sync_channel::<(usize, eseal_vision::frame::Frame)>(64);
    let mut threads = Vec::new();
    for (i, c) in config.cameras.iter().enumerate() {
        let input = c
            .source
            .clone()
            .with_context(|| format!("cameras[{i}].source: expected the stream to pull"))?;
        let settings = SourceSettings::new(c.width, c.height);
        let tx = tx.clone();
        let offset = started.elapsed().as_nanos() as u64;
        threads.push(std::thread::spawn(move || -> Result<()> {
            let mut src = GstSource::open(&input, settings)?;
            while let Some(mut f) = src.next_frame()? {
                f.pts_ns += offset;
                if tx.send((i, f)).is_err() {
                    break;
                }
            }
            Ok(())
        }));
        println!(
            "camera {}: pulling {}",
            c.code,
            eseal_vision::source::redact(c.source.as_deref().unwrap_or(""))
        );
    }
    drop(tx);
    let codes: Vec<_> = config.cameras.iter().map(|c| c.code).collect();
    let report_path = config.state_dir.join("report.json");
    publish_report(&device, &hub, &report_path)?;
    let task_report_path = report_path.clone();
    let rx_task = tokio::task::spawn_blocking(move || -> Result<Device> {
        let mut counted = device.counts().len();
        while let Ok((i, frame)) = rx.recv() {
            let _ = hub.publish(codes[i], &frame);
            if !device.process(codes[i], &frame)?.is_empty() {
                waker.notify_one();
            }
            if device.counts().len() != counted {
                counted = device.counts().len();
                publish_report(&device, &hub, &task_report_path)?;
            }
        }
        device.finish()?;
        waker.notify_one();
        publish_report(&device, &hub, &task_report_path)?;
        Ok(device)
    });
    let device = tokio::select! {
        d = rx_task => d??,
        _ = tokio::signal::ctrl_c() => {
            println!("interrupted");
            return Ok(ExitCode::from(130));
        }
    };
    for t in threads {
        match t.join() {
            Ok(Err(e)) => println!("source ended with an error: {e}"),
            Err(_) => println!("a source thread panicked"),
            Ok(Ok(())) => {}
        }
    }
    drop(device);
    let _ = stop_tx.send(());
    let totals = upload_task.await?;
    if let Some(m) = mjpeg {
        let _ = m.shutdown().await;
    }
    println!("uploads: {totals:?}");
    println!("report: {}", report_path.display());
    Ok(ExitCode::SUCCESS)
}
