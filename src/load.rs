//! `eseal load ftp`: FTP ingest load on loopback. N concurrent suppaftp clients upload distinct
//! U1 evidence (a JPEG, unique bytes each) to an in-process reference platform; reports uploads/s
//! and ingest-to-event latency (STOR sent → `226` received; the platform commits the event row
//! before it sends `226`, and the tool checks each event is queryable the moment `226` arrives).

#![allow(clippy::print_stdout)] // a command-line tool: its report is its output

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use eseal_protocol::{CameraCode, DailyCount, EvidenceName, MineCode, MineTime};
use suppaftp::tokio::AsyncFtpStream;
use suppaftp::types::FileType;

use crate::demo::{self, RunningPlatform};

/// Arguments of `eseal load ftp`.
#[derive(Debug, Clone, clap::Args)]
pub struct FtpLoadArgs {
    /// Concurrent FTP clients (one control connection each).
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Uploads in all.
    #[arg(long, default_value_t = 2000)]
    pub uploads: usize,
    /// Picture width (the JPEG is about width×height/20 bytes).
    #[arg(long, default_value_t = 640)]
    pub width: u32,
    /// Picture height.
    #[arg(long, default_value_t = 360)]
    pub height: u32,
}

/// What one load run measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoadReport {
    pub clients: usize,
    pub uploads_ok: usize,
    pub uploads_failed: usize,
    pub payload_bytes: usize,
    pub wall_s: f64,
    pub uploads_per_s: f64,
    pub latency_ms_median: f64,
    pub latency_ms_p90: f64,
    pub latency_ms_p99: f64,
    pub latency_ms_max: f64,
    /// Uploads whose event was not queryable right after `226` (must be 0).
    pub events_missing_after_ack: usize,
}

/// The `n`-th distinct U1 name of the load run (unique for n < 300 000).
fn load_name(mine: MineCode, n: usize) -> Result<EvidenceName> {
    let base = MineTime::parse("20261128080000").map_err(|e| anyhow::anyhow!("{e}"))?;
    let camera =
        CameraCode::parse(&format!("{}", 10 + n % 30)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let count = DailyCount::new(((n / 30) % 10_000) as u16).map_err(|e| anyhow::anyhow!("{e}"))?;
    let time = MineTime::from_utc(base.to_utc() + chrono::Duration::seconds((n / 300_000) as i64))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(EvidenceName::People {
        mine,
        camera,
        count,
        time,
    })
}

/// A JPEG made unique by a COM (comment) segment right after SOI: still a valid JPEG.
pub(crate) fn unique_jpeg(base: &[u8], n: usize) -> Vec<u8> {
    let comment = format!("eseal-load {n}");
    let len = (comment.len() + 2) as u16;
    let mut out = Vec::with_capacity(base.len() + comment.len() + 4);
    out.extend_from_slice(&base[..2]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(comment.as_bytes());
    out.extend_from_slice(&base[2..]);
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Median, p90, p99 and maximum of a set of latencies in ms (NaN when there are none).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Latency {
    pub n: usize,
    pub median: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    pub fn of(mut ms: Vec<f64>) -> Latency {
        ms.sort_by(f64::total_cmp);
        Latency {
            n: ms.len(),
            median: percentile(&ms, 0.5),
            p90: percentile(&ms, 0.9),
            p99: percentile(&ms, 0.99),
            max: ms.last().copied().unwrap_or(f64::NAN),
        }
    }
}

/// One control connection logged in as a mine account, binary mode.
pub(crate) async fn login(
    addr: std::net::SocketAddr,
    username: &str,
    password: &str,
) -> Result<AsyncFtpStream> {
    let mut ftp = AsyncFtpStream::connect(addr).await.context("FTP connect")?;
    ftp.login(username, password)
        .await
        .with_context(|| format!("FTP login as {username}"))?;
    ftp.transfer_type(FileType::Binary)
        .await
        .context("FTP TYPE I")?;
    Ok(ftp)
}

/// Runs the load against an already running platform.
pub async fn run_against(platform: &RunningPlatform, args: &FtpLoadArgs) -> Result<LoadReport> {
    if args.clients == 0 || args.uploads == 0 {
        bail!("--clients and --uploads must be at least 1");
    }
    let account = platform
        .accounts
        .first()
        .context("the platform has no demo account")?
        .clone();
    let mine = MineCode::parse(&account.mine).map_err(|e| anyhow::anyhow!("{e}"))?;
    let base = crate::assets::jpeg_with_rectangle(
        args.width,
        args.height,
        (
            args.width / 3,
            args.height / 4,
            args.width / 6,
            args.height / 2,
        ),
        7,
    )?;
    let payload_bytes = base.len();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.clients {
        let next = next.clone();
        let account = account.clone();
        let base = base.clone();
        let addr = platform.ftp_addr;
        let total = args.uploads;
        let ingest = platform.ingest.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0usize;
            let mut missing = 0usize;
            let mut ftp = login(addr, &account.username, &account.password).await?;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                let name = load_name(mine, n)?.to_string();
                let bytes = unique_jpeg(&base, n);
                let t0 = Instant::now();
                match ftp.put_file(&name, &mut bytes.as_slice()).await {
                    Ok(_) => {
                        latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
                        if ingest.event_by_name(&name).await.ok().flatten().is_none() {
                            missing += 1;
                        }
                    }
                    Err(err) => {
                        failed += 1;
                        tracing::warn!(%name, %err, "upload failed");
                    }
                }
            }
            let _ = ftp.quit().await;
            anyhow::Ok((latencies, failed, missing))
        }));
    }
    let mut latencies = Vec::new();
    let (mut failed, mut missing) = (0, 0);
    for t in tasks {
        let (l, f, m) = t.await.context("client task panicked")??;
        latencies.extend(l);
        failed += f;
        missing += m;
    }
    let wall = started.elapsed();
    let latency = Latency::of(latencies);
    Ok(LoadReport {
        clients: args.clients,
        uploads_ok: latency.n,
        uploads_failed: failed,
        payload_bytes,
        wall_s: wall.as_secs_f64(),
        uploads_per_s: latency.n as f64 / wall.as_secs_f64().max(1e-9),
        latency_ms_median: latency.median,
        latency_ms_p90: latency.p90,
        latency_ms_p99: latency.p99,
        latency_ms_max: latency.max,
        events_missing_after_ack: missing,
    })
}

/// `eseal load ftp`: starts a platform in a temp dir and runs the load against it.
pub async fn ftp(args: FtpLoadArgs) -> Result<ExitCode> {
    let dir = tempfile::tempdir().context("could not make a temp dir")?;
    let platform =
        demo::start_platform(dir.path(), true, demo::loopback0(), demo::loopback0()).await?;
    println!(
        "eseal load ftp: {} clients, {} uploads → ftp://{}",
        args.clients, args.uploads, platform.ftp_addr
    );
    let report = run_against(&platform, &args).await?;
    platform.shutdown().await;
    println!("{}", serde_json::to_string_pretty(&report)?);
    println!(
        "| {} | {} | {:.0} B | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
        report.clients,
        report.uploads_ok,
        report.payload_bytes as f64,
        report.uploads_per_s,
        report.latency_ms_median,
        report.latency_ms_p99,
        report.latency_ms_max,
        report.uploads_failed
    );
    let ok = report.uploads_failed == 0 && report.events_missing_after_ack == 0;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
