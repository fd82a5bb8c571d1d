//! `eseal certify`: certify a device on scenarios and violation cases, write the report.

#![allow(clippy::print_stdout, clippy::print_stderr)] // command-line output is the job here

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::cases::{self, LoadedCase};
use super::certify::{CertifyOptions, certification, run_cases};
use super::checks::Options;
use super::external::{ExternalOptions, certify_external};
use super::matching::Window;
use super::sign::ReportSigner;
use super::verdict::Verdict;

// Defaults of the flags, also what the reproducing command leaves out.
const DEVICE: &str = "reference";
const ANY_LOOPBACK: &str = "127.0.0.1:0";
const CONNECT_TIMEOUT_S: u64 = 300;
const SKEW_S: f64 = 5.0;
const LATENCY_S: f64 = 10.0;
const TAMPER_S: f64 = 5.0;

/// Options of `eseal certify`.
#[derive(Debug, Clone, clap::Args)]
pub struct CertifyArgs {
    /// Scenario files, violation case files, or directories of them.
    #[arg(long, required = true, num_args = 1..)]
    pub scenarios: Vec<PathBuf>,
    /// The device under test: `reference` (in process, virtual time) or `external` (a device
    /// that pulls the cameras' RTSP streams and uploads to the judge's platform, at real time).
    #[arg(long, default_value = DEVICE)]
    pub device: String,
    /// External mode: RTSP server address.
    #[arg(long, default_value = ANY_LOOPBACK)]
    pub rtsp_addr: std::net::SocketAddr,
    /// External mode: MJPEG server address.
    #[arg(long, default_value = ANY_LOOPBACK)]
    pub mjpeg_addr: std::net::SocketAddr,
    /// External mode: the platform's FTP address.
    #[arg(long, default_value = ANY_LOOPBACK)]
    pub ftp_addr: std::net::SocketAddr,
    /// External mode: the platform's HTTPS address.
    #[arg(long, default_value = ANY_LOOPBACK)]
    pub https_addr: std::net::SocketAddr,
    /// External mode: write every address and account as JSON here once serving.
    #[arg(long)]
    pub ready_file: Option<PathBuf>,
    /// External mode: seconds to wait for the device to pull every camera.
    #[arg(long, default_value_t = CONNECT_TIMEOUT_S)]
    pub connect_timeout: u64,
    /// External mode: the device's day report (E3) as JSON, fetched at the end.
    #[arg(long)]
    pub device_report: Option<String>,
    /// Overrides every scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Where the report, its evidence and its manifest go.
    #[arg(long, default_value = "var/certify")]
    pub out: PathBuf,
    /// Cases run at once (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Clock skew allowed either way, seconds (R2).
    #[arg(long, default_value_t = SKEW_S)]
    pub skew: f64,
    /// Upload latency allowed after the event, seconds (R2 "at once").
    #[arg(long, default_value_t = LATENCY_S)]
    pub latency: f64,
    /// The device's tamper check cadence, seconds (the spec's is 3600; short scenarios need less).
    #[arg(long, default_value_t = TAMPER_S)]
    pub tamper_interval: f64,
    /// Also write the event-level matchings behind the E3/E5 checks here, one JSON file per
    /// check, for scoring by an independent implementation (`docs/report-schema.md`).
    #[arg(long)]
    pub export_matching: Option<PathBuf>,
    /// Sign the report with this Ed25519 private key (PKCS#8 PEM, from `eseal keygen` or
    /// `openssl genpkey -algorithm ed25519`): MANIFEST.sha256.sig and signing-key.pub are
    /// written beside the manifest, and report.html shows the key's fingerprint.
    #[arg(long)]
    pub sign_key: Option<PathBuf>,
    /// The reference device's detector (`--device reference` only).
    #[command(flatten)]
    pub detector: crate::edge::cli::DetectorArgs,
}

/// Runs `eseal certify`; exit 0 when the device passes (or every violation case comes out as it
/// expects), 1 when it fails, 2 when the verdict is INCONCLUSIVE (what to supply is printed).
pub fn certify(args: &CertifyArgs) -> Result<ExitCode> {
    let external = match args.device.as_str() {
        "reference" => false,
        "external" => true,
        other => bail!(
            "--device {other}: expected `reference` (in process) or `external` (a device on RTSP, at real time)"
        ),
    };
    for (what, v) in [
        ("--skew", args.skew),
        ("--latency", args.latency),
        ("--tamper-interval", args.tamper_interval),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            bail!("{what} must be a number of seconds ≥ 0, found {v}");
        }
    }
    // A bad key is refused before anything runs.
    let signer = args
        .sign_key
        .as_deref()
        .map(ReportSigner::from_pem_file)
        .transpose()?;
    let files = cases::expand(&args.scenarios)?;
    let loaded: Vec<LoadedCase> = files
        .iter()
        .map(|f| cases::load(f, args.seed))
        .collect::<Result<_>>()?;
    if external && let Some(v) = loaded.iter().find(|l| l.expect.is_some()) {
        bail!(
            "{}: a violation case gives the reference device a fault; it needs --device reference",
            v.case.file
        );
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let opts = CertifyOptions {
        judge: Options {
            window: Window {
                skew_s: args.skew,
                latency_s: args.latency,
            },
            tamper_interval_s: args.tamper_interval,
        },
        out_dir: Some(args.out.clone()),
        jobs,
        detector: Some(args.detector.config()?),
        detector_name: Some(args.detector.describe()?),
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    eprintln!(
        "eseal certify: {} case(s), {} at a time, seeds {}",
        loaded.len(),
        jobs.min(loaded.len().max(1)),
        seeds(&loaded)
    );
    let bar = indicatif::ProgressBar::new(loaded.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} cases, {elapsed} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.tick();
    let cases: Vec<_> = loaded.iter().map(|l| l.case.clone()).collect();
    let outcomes = if external {
        bar.finish_and_clear();
        let mut out = Vec::new();
        for case in &cases {
            let data = tempfile::tempdir().context("a directory for the platform's data")?;
            let ext = ExternalOptions {
                rtsp_addr: args.rtsp_addr,
                mjpeg_addr: args.mjpeg_addr,
                ftp_addr: args.ftp_addr,
                https_addr: args.https_addr,
                data_dir: data.path().to_path_buf(),
                ready_file: args.ready_file.clone(),
                connect_timeout: std::time::Duration::from_secs(args.connect_timeout),
                device_report: args.device_report.clone(),
            };
            out.push(certify_external(case, &ext, &opts)?);
        }
        out
    } else {
        let o = run_cases(&cases, &opts, &|_, _, name| {
            bar.inc(1);
            bar.set_message(name.to_owned());
        })?;
        bar.finish_and_clear();
        o
    };
    let mut report = certification(&outcomes, &opts);
    if external {
        report.device.kind = "external".to_owned();
        report.device.name = "device under test 被测设备".to_owned();
        report.device.version = "as configured by the operator".to_owned();
        report.device.detector = None;
    }
    let timings: Vec<_> = outcomes.iter().map(|o| o.timing.clone()).collect();
    let paths = super::report::write_signed_report(&args.out, &report, &timings, signer.as_ref())?;
    if let Some(s) = &signer {
        eprintln!("signed 已签名: fingerprint 密钥指纹 {}", s.fingerprint());
    }
    if let Some(dir) = &args.export_matching {
        for o in &outcomes {
            super::export::write_matchings(dir, &o.report.scenario, &o.exports)?;
        }
    }

    // A summary, and for every failure the seed and the command that reproduces it.
    let mut ok = true;
    for (l, o) in loaded.iter().zip(&outcomes) {
        let r = &o.report;
        let errors = l.expect.as_ref().map(|e| cases::expectation_errors(r, e));
        let line = match &errors {
            None => r.verdict.label().to_owned(),
            Some(e) if e.is_empty() => {
                format!("{} as expected (violation case)", r.verdict.label())
            }
            Some(_) => format!("{} NOT as the violation case expects", r.verdict.label()),
        };
        println!("{:<36} {line}", r.scenario);
        let failed = match &errors {
            None => r.verdict != Verdict::Pass && r.verdict != Verdict::NotApplicable,
            Some(e) => !e.is_empty(),
        };
        if failed {
            ok = false;
            for c in r
                .checks
                .iter()
                .filter(|c| matches!(c.verdict, Verdict::Fail | Verdict::Inconclusive))
            {
                println!(
                    "  {} {} ({}): {}",
                    c.verdict.label(),
                    c.id,
                    c.clause,
                    c.actual
                );
            }
            for e in errors.iter().flatten() {
                println!("  case: {e}");
            }
            println!(
                "  seed {}; reproduce: {}",
                r.seed,
                reproduce(args, &r.file, r.seed)
            );
        }
    }
    if loaded.iter().any(|l| l.expect.is_some()) {
        println!(
            "violation cases: {}",
            if ok {
                "every case as expected 全部符合预期"
            } else {
                "NOT as expected 不符合预期"
            }
        );
    } else {
        println!(
            "verdict: {} {}",
            report.verdict.label(),
            report.verdict.label_zh()
        );
        for what in &report.must_supply {
            println!("  must supply 须补充: {what}");
        }
    }
    println!("{}", paths.html.display());
    let violations = loaded.iter().any(|l| l.expect.is_some());
    Ok(if ok {
        ExitCode::SUCCESS
    } else if !violations && report.verdict == Verdict::Inconclusive {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    })
}

/// A word for a POSIX shell: as it is when it holds no special character, else single-quoted.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The command that re-runs one case as it was run: the same mode and every flag that changes
/// the run when it is not the default (not `--out` or `--jobs`, which do not).
fn reproduce(args: &CertifyArgs, file: &str, seed: u64) -> String {
    let mut words = vec![
        "eseal certify --scenarios".to_owned(),
        shell_word(file),
        format!("--seed {seed}"),
    ];
    let mut flag =
        |name: &str, value: String| words.push(format!("--{name} {}", shell_word(&value)));
    if args.device != DEVICE {
        flag("device", args.device.clone());
    }
    if args.device == "external" {
        for (name, addr) in [
            ("rtsp-addr", args.rtsp_addr),
            ("mjpeg-addr", args.mjpeg_addr),
            ("ftp-addr", args.ftp_addr),
            ("https-addr", args.https_addr),
        ] {
            if addr.to_string() != ANY_LOOPBACK {
                flag(name, addr.to_string());
            }
        }
        if let Some(f) = &args.ready_file {
            flag("ready-file", f.display().to_string());
        }
        if args.connect_timeout != CONNECT_TIMEOUT_S {
            flag("connect-timeout", args.connect_timeout.to_string());
        }
        if let Some(url) = &args.device_report {
            flag("device-report", url.clone());
        }
    }
    for (name, v, default) in [
        ("skew", args.skew, SKEW_S),
        ("latency", args.latency, LATENCY_S),
        ("tamper-interval", args.tamper_interval, TAMPER_S),
    ] {
        if v != default {
            flag(name, v.to_string());
        }
    }
    words.join(" ")
}

fn seeds(cases: &[LoadedCase]) -> String {
    let mut v: Vec<String> = cases
        .iter()
        .map(|c| c.case.scenario.seed.to_string())
        .collect();
    v.dedup();
    if v.len() > 4 {
        format!("{} … ({} cases)", v[..4].join(", "), cases.len())
    } else {
        v.join(", ")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cmd {
        #[command(flatten)]
        args: CertifyArgs,
    }

    fn args(argv: &[&str]) -> CertifyArgs {
        Cmd::try_parse_from(std::iter::once("certify").chain(argv.iter().copied()))
            .unwrap()
            .args
    }

    /// Issue 15 item 4: the reproducing command keeps the mode and every flag that changes the
    /// run, and leaves out what does not (where the report goes, how many cases at once).
    #[test]
    fn the_reproducing_command_keeps_the_mode_and_the_flags() {
        let plain = args(&["--scenarios", "a.toml", "--out", "o", "--jobs", "3"]);
        assert_eq!(
            reproduce(&plain, "a.toml", 7),
            "eseal certify --scenarios a.toml --seed 7"
        );
        let ext = args(&[
            "--scenarios",
            "dir",
            "--device",
            "external",
            "--rtsp-addr",
            "0.0.0.0:8554",
            "--mjpeg-addr",
            "127.0.0.1:0",
            "--ftp-addr",
            "0.0.0.0:2121",
            "--https-addr",
            "0.0.0.0:8443",
            "--ready-file",
            "/tmp/my ready.json",
            "--connect-timeout",
            "60",
            "--device-report",
            "http://10.0.0.5:8080/report.json",
            "--latency",
            "8",
            "--skew",
            "5",
            "--tamper-interval",
            "30",
        ]);
        assert_eq!(
            reproduce(&ext, "dir/shaft.toml", 11),
            "eseal certify --scenarios dir/shaft.toml --seed 11 --device external --rtsp-addr 0.0.0.0:8554 \
             --ftp-addr 0.0.0.0:2121 --https-addr 0.0.0.0:8443 --ready-file '/tmp/my ready.json' --connect-timeout 60 \
             --device-report http://10.0.0.5:8080/report.json --latency 8 --tamper-interval 30"
        );
    }
}
