//! `eseal platform serve` and `eseal demo` (the platform walk-through; the main job is `eseal certify`).
//!
//! [`start_platform`] composes the reference platform from its parts — store, ingest, accounts,
//! FTP server, HTTPS API — and is what the CLI, the load tool and the end-to-end tests start.
//! The demo uploads the spec's five example names with **curl**, the real client a technician
//! would use, and reports what the platform recorded.

#![allow(clippy::print_stdout)] // command-line output is the job here

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use eseal_platform::Platform;
use eseal_platform::config::PlatformConfig;
use eseal_platform::http::{AppState, HttpsHandle, serve_https};
use eseal_platform::ingest::Ingest;
use serde::Serialize;
use serde_json::{Value, json};

use crate::cli::ServeArgs;

/// `127.0.0.1:0`: any free loopback port.
pub fn loopback0() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A demo account as printed and written to the ready file.
#[derive(Debug, Clone, Serialize)]
pub struct AccountInfo {
    pub mine: String,
    pub mine_name: String,
    pub county: String,
    pub username: String,
    pub password: String,
    pub token: String,
}

/// A running reference platform.
#[derive(Debug)]
pub struct RunningPlatform {
    pub data_dir: PathBuf,
    pub ftp_addr: SocketAddr,
    pub https_addr: SocketAddr,
    /// PEM of the certificate the HTTPS API serves (self-signed unless configured).
    pub cert_pem_path: PathBuf,
    pub cert_sha256: String,
    /// Token that reads every mine (demo: generated at start and printed).
    pub admin_token: String,
    /// Demo accounts (empty without `--demo`).
    pub accounts: Vec<AccountInfo>,
    /// Demo regulator users of the regulators' API (empty without `--demo`).
    pub regulators: Vec<eseal_platform::demo::DemoUser>,
    pub ingest: Ingest,
    platform: Platform,
    https: HttpsHandle,
}

impl RunningPlatform {
    /// The platform itself: its store, accounts and supervision (the load tools seed through it).
    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// Stops both servers.
    pub async fn shutdown(self) {
        self.https.shutdown(Duration::from_secs(2));
        let _ = self.platform.shutdown().await;
        let _ = self.https.stopped().await;
    }

    /// What scripts need to talk to the platform, as JSON.
    pub fn ready_json(&self) -> Value {
        json!({
            "ftp": self.ftp_addr.to_string(),
            "https": self.https_addr.to_string(),
            "cert_pem": self.cert_pem_path,
            "cert_sha256": self.cert_sha256,
            "admin_token": self.admin_token,
            "accounts": self.accounts,
            "regulators": self.regulators,
            "data_dir": self.data_dir,
        })
    }
}

/// Starts the platform on `data_dir` with the given listen addresses (port 0 allowed).
pub async fn start_platform(
    data_dir: &Path,
    demo: bool,
    ftp_addr: SocketAddr,
    https_addr: SocketAddr,
) -> Result<RunningPlatform> {
    let config = PlatformConfig::builder()
        .data_dir(data_dir)
        .ftp_addr(ftp_addr)
        .https_addr(https_addr)
        .build()?;
    start_with_config(config, demo).await
}

/// Starts the platform from a full configuration: the platform crate's store, ingest, accounts
/// and FTP server, plus its HTTPS API on the same ingest path.
pub async fn start_with_config(config: PlatformConfig, demo: bool) -> Result<RunningPlatform> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "could not create the data directory {}",
            config.data_dir.display()
        )
    })?;
    let platform = Platform::builder(config.clone())
        .seed_demo(demo)
        .start()
        .await
        .context("could not start the platform")?;
    let infos = platform
        .demo
        .iter()
        .map(|a| AccountInfo {
            mine: a.mine.clone(),
            mine_name: a.name.clone(),
            county: a.county.clone(),
            username: a.username.clone(),
            password: a.password.clone(),
            token: a.token.clone(),
        })
        .collect();
    let admin_token = match std::env::var("ESEAL_PLATFORM_ADMIN_TOKEN") {
        Ok(t) if !t.is_empty() => t,
        _ if demo => eseal_platform::demo::demo_token("admin"),
        _ => hex::encode(rand::random::<[u8; 24]>()),
    };
    let state = AppState::new(platform.ingest.clone())
        .with_admin_token(&admin_token)
        .with_supervision(platform.supervision.clone());
    let https = serve_https(&config, state)
        .await
        .context("could not start the HTTPS API")?;
    let tls_dir = config.data_dir.join("tls");
    std::fs::create_dir_all(&tls_dir)?;
    let cert_pem_path = tls_dir.join("served-cert.pem");
    std::fs::write(&cert_pem_path, &https.cert_pem)?;
    Ok(RunningPlatform {
        data_dir: config.data_dir.clone(),
        ftp_addr: platform
            .ftp_addr()
            .context("the FTP server did not start")?,
        https_addr: https.addr,
        cert_pem_path,
        cert_sha256: https.fingerprint_sha256.clone(),
        admin_token,
        accounts: infos,
        regulators: platform.demo_users.clone(),
        ingest: platform.ingest.clone(),
        platform,
        https,
    })
}

/// `eseal platform serve`.
pub async fn serve(args: ServeArgs) -> Result<ExitCode> {
    let mut builder = PlatformConfig::builder();
    if let Some(file) = &args.config {
        builder = builder.file(file);
    }
    builder = builder.process_env();
    if let Some(d) = &args.data_dir {
        builder = builder.data_dir(d);
    }
    if let Some(u) = &args.database_url {
        builder = builder.database_url(u.clone());
    }
    if let Some(a) = args.ftp_addr {
        builder = builder.ftp_addr(a);
    }
    if let Some(a) = args.https_addr {
        builder = builder.https_addr(a);
    }
    let config = builder.build()?;
    let platform = start_with_config(config, args.demo).await?;
    println!(
        "eseal reference platform (data: {})",
        platform.data_dir.display()
    );
    println!(
        "  FTP    ftp://{}/   (U1-U4 evidence, per-mine accounts, U7)",
        platform.ftp_addr
    );
    println!(
        "  HTTPS  https://{}/ (U5 lock events, U6 streams, /api/v1/events, regulators' /api/v1/alarms and /api/v1/feed, /openapi.json, /metrics)",
        platform.https_addr
    );
    println!(
        "  TLS certificate {} (sha256 {})",
        platform.cert_pem_path.display(),
        platform.cert_sha256
    );
    println!("  admin token     {}", platform.admin_token);
    if !platform.accounts.is_empty() {
        println!("  demo accounts (demo only — do not use in production):");
        println!(
            "    {:<14} {:<24} {:<16} {:<20} token",
            "mine", "name", "user", "password"
        );
        for a in &platform.accounts {
            println!(
                "    {:<14} {:<24} {:<16} {:<20} {}",
                a.mine, a.mine_name, a.username, a.password, a.token
            );
        }
    }
    if !platform.regulators.is_empty() {
        println!("  demo regulators (POST /api/v1/session; demo only):");
        println!("    {:<22} {:<8} {:<12} password", "user", "unit", "role");
        for u in &platform.regulators {
            println!(
                "    {:<22} {:<8} {:<12} {}",
                u.username, u.unit, u.role, u.password
            );
        }
    }
    if let Some(path) = &args.ready_file {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&platform.ready_json())?)?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("could not write {}", path.display()))?;
    }
    tokio::signal::ctrl_c()
        .await
        .context("could not wait for Ctrl-C")?;
    println!("shutting down");
    platform.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// The spec's five example names (attachment 3 §4.2): U1, U2, U3 (32-digit form), U4, U5.
pub const SPEC_EXAMPLES: [&str; 5] = [
    "1404210078662001000520210104224515.jpg",
    "1404210078663002001020210105200820.jpg",
    "14042100786610030120210104121546.mp4",
    "140421007866200420210104094515.jpg",
    "14042100786610000120210104121546.mp4",
];

/// A deliberately malformed name the demo also sends, to show a refusal and its reason.
pub const DEMO_MALFORMED: &str = "14042100786620010a0520210104224515.jpg";

fn curl(args: &[String]) -> Result<(bool, String, String)> {
    let out = Command::new("curl")
        .args(args)
        .output()
        .context("could not run curl (bash scripts/setup.sh installs it)")?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    ))
}

/// `eseal demo`: the platform walk-through (the main job is `eseal certify`, `scripts/certify.sh`).
pub async fn run(out: &Path) -> Result<ExitCode> {
    let data = out.join("platform");
    if data.exists() {
        std::fs::remove_dir_all(&data)
            .with_context(|| format!("could not clear {}", data.display()))?;
    }
    let uploads = out.join("uploads");
    std::fs::create_dir_all(&uploads)?;
    let platform = start_platform(&data, true, loopback0(), loopback0()).await?;
    let account = platform
        .accounts
        .iter()
        .find(|a| a.mine == "140421007866")
        .context("the demo data has no account for the spec's example mine 140421007866")?
        .clone();
    println!(
        "platform up: ftp://{} https://{}",
        platform.ftp_addr, platform.https_addr
    );

    let mut steps = Vec::new();
    for (i, name) in SPEC_EXAMPLES
        .iter()
        .chain([DEMO_MALFORMED].iter())
        .enumerate()
    {
        let path = uploads.join(name);
        if name.ends_with(".jpg") {
            std::fs::write(
                &path,
                crate::assets::jpeg_with_rectangle(640, 360, (260, 90, 90, 200), i as u32)?,
            )?;
        } else {
            crate::assets::mp4_clip(&path, crate::assets::Codec::H264, 10, 25, i as u32)?;
        }
        let is_lock = *name == SPEC_EXAMPLES[4];
        let (ok, stdout, stderr) = if is_lock {
            let meta = json!({
                "mine_code": "140421007866", "lock_code": "10", "lock_state": "0001",
                "time": "20210104121546", "file_name": name, "duration_s": 10.0,
                "description": "提升机电子锁被挪动 (hoist lock moved), spec example"
            });
            let meta_path = uploads.join("lock-event.json");
            std::fs::write(&meta_path, serde_json::to_vec_pretty(&meta)?)?;
            curl(&[
                "-sS".into(),
                "--fail-with-body".into(),
                "--cacert".into(),
                platform.cert_pem_path.display().to_string(),
                "-H".into(),
                format!("Authorization: Bearer {}", account.token),
                "-F".into(),
                format!("metadata=@{};type=application/json", meta_path.display()),
                "-F".into(),
                format!("video=@{};type=video/mp4;filename={name}", path.display()),
                format!(
                    "https://localhost:{}/api/v1/lock-events",
                    platform.https_addr.port()
                ),
            ])?
        } else {
            curl(&[
                "-sS".into(),
                "-T".into(),
                path.display().to_string(),
                "--ftp-create-dirs".into(),
                format!(
                    "ftp://{}:{}@{}/incoming/{name}",
                    account.username, account.password, platform.ftp_addr
                ),
            ])?
        };
        let channel = if is_lock {
            "HTTPS POST (curl)"
        } else {
            "FTP STOR (curl)"
        };
        println!(
            "  {channel:<18} {name:<40} {}",
            if ok {
                "accepted".to_owned()
            } else {
                format!("refused: {stderr}")
            }
        );
        steps.push(json!({ "name": name, "channel": channel, "accepted": ok, "client_stdout": stdout, "client_stderr": stderr }));
    }
    // U6: register the live stream address of camera 20, then change it.
    for url in [
        "http://10.14.4.21:8080/?action=stream",
        "http://10.14.4.22:8080/?action=stream",
    ] {
        let (ok, stdout, stderr) = curl(&[
            "-sS".into(),
            "--fail-with-body".into(),
            "--cacert".into(),
            platform.cert_pem_path.display().to_string(),
            "-X".into(),
            "PUT".into(),
            "-H".into(),
            format!("Authorization: Bearer {}", account.token),
            "-H".into(),
            "Content-Type: application/json".into(),
            "--data".into(),
            json!({"mine_code": "140421007866", "camera_code": "20", "url": url}).to_string(),
            format!(
                "https://localhost:{}/api/v1/mines/140421007866/cameras/20/stream",
                platform.https_addr.port()
            ),
        ])?;
        println!(
            "  {:<18} camera 20 → {url:<40} {}",
            "HTTPS PUT (curl)",
            if ok { "registered" } else { "refused" }
        );
        steps.push(json!({ "stream_url": url, "accepted": ok, "client_stdout": stdout, "client_stderr": stderr }));
    }

    // What the platform recorded, read back through its own HTTPS API.
    let read = |path: &str| -> Result<Value> {
        let (ok, stdout, stderr) = curl(&[
            "-sS".into(),
            "--fail-with-body".into(),
            "--cacert".into(),
            platform.cert_pem_path.display().to_string(),
            "-H".into(),
            format!("Authorization: Bearer {}", platform.admin_token),
            format!("https://localhost:{}{path}", platform.https_addr.port()),
        ])?;
        if !ok {
            bail!("GET {path} failed: {stderr} {stdout}");
        }
        serde_json::from_str(&stdout).with_context(|| format!("GET {path} returned non-JSON"))
    };
    let events = read("/api/v1/events?mine=140421007866")?;
    let violations = read("/api/v1/violations?mine=140421007866")?;
    let streams = read("/api/v1/streams?mine=140421007866")?;
    platform.shutdown().await;

    // Put the platform's own reason next to each refused upload (curl only shows the reply code).
    for step in steps.iter_mut().filter(|s| s["accepted"] == false) {
        let Some(name) = step["name"].as_str().map(str::to_owned) else {
            continue;
        };
        let reason = violations["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|v| v["name"].as_str().is_some_and(|n| n.ends_with(&name)))
            .and_then(|v| v["reason"].as_str())
            .map(str::to_owned);
        if let Some(reason) = reason {
            println!("  platform recorded the refusal of {name}: {reason}");
            step["platform_reason"] = json!(reason);
        }
    }

    let report = json!({
        "title": "eseal demo: the spec's five example uploads on the reference platform / 规范示例上传演示",
        "generated_at": chrono::Utc::now().to_rfc3339(),
        "eseal_version": env!("CARGO_PKG_VERSION"),
        "mine": account.mine, "account": account.username,
        "steps": steps, "events": events, "violations": violations, "streams": streams,
    });
    let report_json = out.join("report.json");
    std::fs::write(&report_json, serde_json::to_vec_pretty(&report)?)?;
    let report_md = out.join("report.md");
    std::fs::write(&report_md, markdown(&report))?;
    let accepted = steps.iter().filter(|s| s["accepted"] == true).count();
    let expected_ok = SPEC_EXAMPLES.len() + 2;
    println!(
        "{accepted} of {} uploads/registrations accepted (expected {expected_ok}: the malformed name must be refused)",
        steps.len()
    );
    println!("report: {}", report_md.display());
    println!("{}", report_json.display());
    Ok(if accepted == expected_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn markdown(report: &Value) -> String {
    let mut s = String::new();
    s.push_str("# eseal demo — 规范示例上传 / spec example uploads\n\n");
    s.push_str(&format!(
        "Generated {} by eseal {}.\n\n",
        report["generated_at"], report["eseal_version"]
    ));
    s.push_str("## 上传 / Uploads\n\n| name | channel | result |\n|---|---|---|\n");
    for step in report["steps"].as_array().into_iter().flatten() {
        let what = step["name"]
            .as_str()
            .or(step["stream_url"].as_str())
            .unwrap_or("?");
        let result = if step["accepted"] == true {
            "accepted 已接收".to_owned()
        } else {
            format!(
                "refused 拒收: {}",
                step["platform_reason"]
                    .as_str()
                    .or(step["client_stderr"].as_str())
                    .unwrap_or("")
            )
        };
        s.push_str(&format!(
            "| `{what}` | {} | {result} |\n",
            step["channel"].as_str().unwrap_or("HTTPS PUT (U6)")
        ));
    }
    s.push_str("\n## 平台记录的事件 / Events recorded\n\n```json\n");
    s.push_str(&serde_json::to_string_pretty(&report["events"]).unwrap_or_default());
    s.push_str("\n```\n\n## 违规记录 / Violations\n\n```json\n");
    s.push_str(&serde_json::to_string_pretty(&report["violations"]).unwrap_or_default());
    s.push_str("\n```\n\n## 视频流地址 / Stream addresses (U6)\n\n```json\n");
    s.push_str(&serde_json::to_string_pretty(&report["streams"]).unwrap_or_default());
    s.push_str("\n```\n");
    s
}
