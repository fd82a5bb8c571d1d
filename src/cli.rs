#![allow(clippy::print_stdout)] // the binary edge: printing is the job

//! Command line: argument parsing and dispatch. Each subcommand is a function that returns an
//! exit code; errors carry context for a one-line message at the binary edge.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::names::{self, FormatArgs};

/// eseal — conformance simulator and test harness for the mine electronic seal (矿山电子封条).
#[derive(Debug, Parser)]
#[command(name = "eseal", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The reference regulators' platform (FTP + HTTPS ingest).
    #[command(subcommand)]
    Platform(PlatformCommand),
    /// Parse or build evidence file names (U1–U5).
    #[command(subcommand)]
    Name(NameCommand),
    /// Platform walk-through: demo platform, the spec's five examples uploaded with curl, a
    /// report of what was recorded (the main job is `certify`).
    Demo {
        /// Directory for the platform's data and the report.
        #[arg(long, default_value = "var/demo")]
        out: PathBuf,
    },
    /// Load tools.
    #[command(subcommand)]
    Load(LoadCommand),
    /// The simulator: scenario files → synthetic mine footage with exact ground truth.
    #[command(subcommand)]
    Sim(SimCommand),
    /// The reference edge device (前置分析设备).
    #[command(subcommand)]
    Edge(EdgeCommand),
    /// Certify a device clause by clause on scenarios (and violation cases); writes the report.
    Certify(crate::judge::cli::CertifyArgs),
    /// Make an Ed25519 key pair for signing reports (`certify --sign-key`); prints the fingerprint.
    Keygen(crate::judge::sign_cli::KeygenArgs),
    /// Check a signed report directory: every hash in MANIFEST.sha256 and the signature; exit 1
    /// naming the file on any mismatch.
    Verify(crate::judge::sign_cli::VerifyArgs),
    /// Report directories of the judge (hidden: behind `just report-screenshot DIR`).
    #[command(subcommand, hide = true)]
    Report(ReportCommand),
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Screenshot DIR/report.html to DIR/report.png with headless Chromium; prints the PNG path.
    Screenshot {
        /// A report directory written by the judge.
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum EdgeCommand {
    /// Live: pull each camera's stream, analyse, upload to the configured platform.
    Run(crate::edge::cli::RunArgs),
    /// People counting and capture only, match by match (diagnosis of E3/E4 figures;
    /// `ESEAL_DEBUG_PEOPLE=FROM..TO` adds per-frame detections, tracks and truth boxes).
    People(crate::edge::cli::PeopleArgs),
    /// Truck counting only, match by match (diagnosis of E5; `ESEAL_DEBUG_TRUCKS=FROM..TO` adds
    /// per-frame blobs, tracks and true trucks).
    Trucks(crate::edge::cli::TrucksArgs),
    /// Belt and skip state changes (U3) and skip trips only, match by match (diagnosis of E2;
    /// `ESEAL_DEBUG_SKIP=FROM..TO` and `ESEAL_DEBUG_BELT=FROM..TO` add the analysers' view per
    /// frame).
    Equipment(crate::edge::cli::EquipmentArgs),
}

#[derive(Debug, Subcommand)]
enum SimCommand {
    /// Validate a scenario file and print its timeline (errors give file, line and field).
    Check {
        /// Scenario file (TOML), e.g. scenarios/EXAMPLE.toml.
        file: PathBuf,
    },
    /// Render a scenario: frames, ground truth (JSON Lines), contact sheets, optional MP4.
    Render(crate::sim::RenderArgs),
    /// Serve every camera as RTSP and MJPEG (U6) at real time, for an external device; prints
    /// the URLs.
    Serve(crate::sim::ServeArgs),
    /// Draw a whole, valid scenario from a seed — a scene nobody chose (issue 17) — and write
    /// its TOML to --out (a file, or a directory ending in /) or to stdout; prints the seed.
    Random(crate::sim::RandomArgs),
}

#[derive(Debug, Subcommand)]
enum PlatformCommand {
    /// Run the platform; prints the FTP and HTTPS addresses (and the demo accounts with --demo).
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration file (keys documented in docs/platform.toml.example).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Seed demo regions, mines and accounts (Shanxi → Xinzhou → Fanshi / Dai, Changzhi).
    #[arg(long)]
    pub demo: bool,
    /// Data directory (database, evidence, TLS); overrides the configuration.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Database URL, overriding the configuration: `sqlite:PATH` (default
    /// `sqlite:<data_dir>/platform.sqlite3`) or `postgres://user:password@host/db`.
    #[arg(long)]
    pub database_url: Option<String>,
    /// FTP listen address, e.g. 127.0.0.1:2121 (port 0 picks a free port).
    #[arg(long)]
    pub ftp_addr: Option<std::net::SocketAddr>,
    /// HTTPS listen address, e.g. 127.0.0.1:8443 (port 0 picks a free port).
    #[arg(long)]
    pub https_addr: Option<std::net::SocketAddr>,
    /// Also write the bound addresses and demo accounts as JSON to this file (for scripts).
    #[arg(long)]
    pub ready_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum NameCommand {
    /// Parse names; prints the fields and findings, or the error naming the field. Exits 1 when
    /// any name is malformed.
    Parse {
        /// File names such as 1404210078662001000520210104224515.jpg.
        #[arg(required = true)]
        names: Vec<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Build a name from its fields.
    Format {
        /// U1 people, U2 trucks, U3 transport state, U4 tamper, U5 lock.
        #[arg(long)]
        clause: String,
        /// 12-digit mine code.
        #[arg(long)]
        mine: String,
        /// Camera code (U1–U4): 1x main shaft, 2x auxiliary shaft, 3x vehicle gate.
        #[arg(long)]
        camera: Option<String>,
        /// Daily cumulative count (U1, U2).
        #[arg(long)]
        count: Option<u16>,
        /// yyyyMMddHHmmss, China Standard Time.
        #[arg(long)]
        time: String,
        /// U3 transport state 00/01/02 (32-digit reference form); omit for the 30-digit rule form.
        #[arg(long)]
        state: Option<String>,
        /// U4 tamper kind: 04 occluded, 05 angle moved.
        #[arg(long)]
        kind: Option<String>,
        /// U5 lock code: 1x hoist, 2x belt, 3x winch, 4x tram, 5x skip.
        #[arg(long)]
        lock: Option<String>,
        /// U5 lock state: 0001 moved, 0002 damaged.
        #[arg(long)]
        lock_state: Option<String>,
        /// U5 extension: mp4 (reference profile) or jpg (the spec's table).
        #[arg(long)]
        ext: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum LoadCommand {
    /// FTP uploads/s and ingest-to-event latency against an in-process platform on loopback.
    Ftp(crate::load::FtpLoadArgs),
    /// Alarm latency: N seeded mines, an open-loop upload schedule, upload acknowledged (226) →
    /// alarm on the live feed; exits 1 if an alarm is missing or the rate falls short.
    Alarms(crate::load_alarms::AlarmLoadArgs),
}

/// Parses the process arguments and runs the command.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    // The platform logs what it accepts and refuses; one-shot commands only warn.
    let serving = matches!(
        cli.command,
        Command::Platform(_) | Command::Edge(EdgeCommand::Run(_))
    );
    init_tracing(if serving {
        "info,libunftp=warn"
    } else {
        "warn,libunftp=error"
    });
    match cli.command {
        Command::Name(NameCommand::Parse { names, json }) => {
            let (text, ok) = names::parse_report(&names, json);
            print!("{text}");
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Name(NameCommand::Format {
            clause,
            mine,
            camera,
            count,
            time,
            state,
            kind,
            lock,
            lock_state,
            ext,
        }) => {
            let args = FormatArgs {
                clause,
                mine,
                camera,
                count,
                time,
                state,
                kind,
                lock,
                lock_state,
                ext,
            };
            match names::format_name(&args) {
                Ok(name) => {
                    println!("{name}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(msg) => {
                    eprintln!("error: {msg}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::Platform(PlatformCommand::Serve(args)) => {
            runtime()?.block_on(crate::demo::serve(args))
        }
        Command::Demo { out } => runtime()?.block_on(crate::demo::run(&out)),
        Command::Load(LoadCommand::Ftp(args)) => runtime()?.block_on(crate::load::ftp(args)),
        Command::Load(LoadCommand::Alarms(args)) => {
            runtime()?.block_on(crate::load_alarms::alarms(args))
        }
        Command::Sim(SimCommand::Check { file }) => crate::sim::check(&file),
        Command::Sim(SimCommand::Render(args)) => crate::sim::render(&args),
        Command::Sim(SimCommand::Serve(args)) => crate::sim::serve(&args),
        Command::Sim(SimCommand::Random(args)) => crate::sim::random(&args),
        Command::Edge(EdgeCommand::Run(args)) => runtime()?.block_on(crate::edge::cli::run(&args)),
        Command::Edge(EdgeCommand::People(args)) => crate::edge::cli::people(&args),
        Command::Edge(EdgeCommand::Trucks(args)) => crate::edge::cli::trucks(&args),
        Command::Edge(EdgeCommand::Equipment(args)) => crate::edge::cli::equipment(&args),
        Command::Certify(args) => crate::judge::cli::certify(&args),
        Command::Keygen(args) => crate::judge::sign_cli::keygen(&args),
        Command::Verify(args) => crate::judge::sign_cli::verify(&args),
        Command::Report(ReportCommand::Screenshot { dir }) => {
            let (html, png) = (
                dir.join(crate::judge::report::REPORT_HTML),
                dir.join("report.png"),
            );
            crate::judge::report::screenshot(&html, &png)
                .context("could not screenshot the report")?;
            println!("{}", png.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

fn init_tracing(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
