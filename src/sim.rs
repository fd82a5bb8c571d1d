//! `eseal sim check | render | serve | random`: the simulator from the command line.
//!
//! `check` validates a scenario and prints its timeline. `random` draws a whole scenario from
//! a seed (`eseal_simulator::random`) and writes its TOML. `render` steps the world at the
//! cameras' frame rates on the virtual clock, renders every camera's frames and writes, per run:
//! `events.jsonl` (ground-truth events, `eseal_simulator::truth`), `objects.jsonl` (per-frame
//! object truth: boxes, visible fraction, facing), a contact sheet PNG per camera, and on request
//! every frame as PNG and an MP4 per camera (H.264 or H.265).

#![allow(clippy::print_stdout)] // command-line output is the job here

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use eseal_simulator::frame::Frame;
use eseal_simulator::output::{self, Codec, Mp4Writer};
use eseal_simulator::render::{Rendered, Renderer};
use eseal_simulator::{ScenarioError, Simulation};
use serde_json::json;

/// Prints a scenario error with every diagnostic (file:line: field: message) and returns exit 2.
fn report_scenario_error(err: &ScenarioError) -> ExitCode {
    eprintln!("error: {err}");
    for d in err.diagnostics() {
        eprintln!("  {d}");
    }
    ExitCode::from(2)
}

/// `eseal sim check FILE`.
pub fn check(file: &Path) -> Result<ExitCode> {
    match eseal_simulator::check(file) {
        Ok((scenario, timeline)) => {
            println!("{}: ok (seed {})", file.display(), scenario.seed);
            print!("{timeline}");
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => Ok(report_scenario_error(&err)),
    }
}

/// Options of `eseal sim random`.
#[derive(Debug, Clone, clap::Args)]
pub struct RandomArgs {
    /// Seed of every choice, 0–9223372036854775807: the same seed (and flags) writes the same
    /// bytes; it is also the scenario's own seed.
    #[arg(long)]
    pub seed: u64,
    /// shaft (one people camera), gate (trucks) or site (shaft mouth, gate, belt and/or skip,
    /// e-locks); default: drawn from the seed.
    #[arg(long, value_name = "shaft|gate|site")]
    pub kind: Option<String>,
    /// Length of the scenario in whole minutes, 1–10080 [default: 2].
    #[arg(long, value_name = "M")]
    pub minutes: Option<String>,
    /// How people and trucks are drawn [default: realistic].
    #[arg(long, value_name = "flat|realistic")]
    pub render: Option<String>,
    /// Write the TOML to this file, or into this directory as <kind>-<seed>.toml when the path
    /// ends in / or is a directory (created if need be); default: stdout.
    #[arg(long, value_name = "FILE|DIR/")]
    pub out: Option<PathBuf>,
}

/// `eseal sim random`: the drawn TOML to `--out` (then its path on stdout) or to stdout; the
/// seed and what was drawn on stderr. A bad flag is a one-line error naming the flag and the
/// expected form, exit 2.
pub fn random(args: &RandomArgs) -> Result<ExitCode> {
    use eseal_simulator::random::{Options, draw};
    let options = match Options::from_flags(
        args.seed,
        args.kind.as_deref(),
        args.minutes.as_deref(),
        args.render.as_deref(),
    ) {
        Ok(o) => o,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(2));
        }
    };
    let drawn = draw(&options)?;
    let style = match drawn.scenario.render {
        eseal_simulator::scene::RenderStyle::Flat => "flat",
        eseal_simulator::scene::RenderStyle::Realistic => "realistic",
    };
    let what = format!(
        "seed {}: {} scene, {} min, {} lighting, {style}",
        options.seed,
        drawn.kind.name(),
        options.minutes,
        drawn.lighting.name()
    );
    let Some(out) = &args.out else {
        print!("{}", drawn.text);
        eprintln!("{what}");
        return Ok(ExitCode::SUCCESS);
    };
    let path = if out.is_dir() || out.as_os_str().to_string_lossy().ends_with('/') {
        out.join(drawn.file_name())
    } else {
        out.clone()
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    std::fs::write(&path, &drawn.text)
        .with_context(|| format!("could not write {}", path.display()))?;
    eprintln!("{what} → {}", path.display());
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// Options of `eseal sim render`.
#[derive(Debug, Clone, clap::Args)]
pub struct RenderArgs {
    /// Scenario file (TOML).
    pub file: PathBuf,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Write every frame as PNG (DIR/<camera>/frame-NNNNNN.png).
    #[arg(long)]
    pub png: bool,
    /// Write one MP4 per camera with this codec: h264 or h265.
    #[arg(long)]
    pub mp4: Option<String>,
    /// Render only the first SECONDS of the scenario.
    #[arg(long)]
    pub seconds: Option<f64>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Render (and write the truth of) only every Nth frame of each camera, frame 0 first: a
    /// sample for a training set (issue 17). Not with --mp4, which needs every frame.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub every: u64,
}

/// `eseal sim render`.
pub fn render(args: &RenderArgs) -> Result<ExitCode> {
    let (mut scenario, _) = match eseal_simulator::check(&args.file) {
        Ok(v) => v,
        Err(err) => return Ok(report_scenario_error(&err)),
    };
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let codec: Option<Codec> = args
        .mp4
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--mp4: {e}"))?;
    if codec.is_some() && args.every > 1 {
        anyhow::bail!(
            "--every {}: a video needs every frame; drop --mp4 or --every",
            args.every
        );
    }
    let limit_ns = args
        .seconds
        .map(|s| (s.max(0.0) * 1e9) as u64)
        .unwrap_or(u64::MAX);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("could not create {}", args.out.display()))?;
    println!(
        "rendering {} (seed {}) into {}",
        args.file.display(),
        scenario.seed,
        args.out.display()
    );

    let sim = Simulation::new(&scenario);
    let total: u64 = (0..scenario.cameras.len())
        .map(|c| {
            let fps = u64::from(scenario.cameras[c].fps.max(1));
            sim.world()
                .frame_count(c)
                .min(limit_ns.saturating_mul(fps) / 1_000_000_000 + 1)
                .div_ceil(args.every)
        })
        .sum();
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} frames {per_sec} eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );

    let codes: Vec<String> = scenario
        .cameras
        .iter()
        .map(|c| c.code.to_string())
        .collect();
    let mut renderers: Vec<Renderer> = scenario.cameras.iter().map(|_| Renderer::new()).collect();
    let mut rendered: Vec<Rendered> = scenario.cameras.iter().map(|_| Rendered::empty()).collect();
    let mut writers: BTreeMap<usize, Mp4Writer> = BTreeMap::new();
    let mut sheet: BTreeMap<usize, Vec<Frame>> = BTreeMap::new();
    let mut events = Vec::new();
    let mut objects = BufWriter::new(std::fs::File::create(args.out.join("objects.jsonl"))?);
    let mut frames_done = 0u64;

    for step in sim {
        if step.t_ns > limit_ns {
            break;
        }
        events.extend(step.events);
        for (cam, scene) in &step.scenes {
            let cam = *cam;
            if scene.frame_index % args.every != 0 {
                continue;
            }
            let out = &mut rendered[cam];
            renderers[cam]
                .render_into(scene, out)
                .with_context(|| format!("rendering camera {}", codes[cam]))?;
            let line = json!({
                "t_ns": scene.time_ns, "camera": codes[cam], "frame": scene.frame_index,
                "frozen": out.frozen, "objects": out.objects,
            });
            serde_json::to_writer(&mut objects, &line)?;
            objects.write_all(b"\n")?;
            if args.png {
                let dir = args.out.join(&codes[cam]);
                std::fs::create_dir_all(&dir)?;
                output::write_png(
                    &out.frame,
                    &dir.join(format!("frame-{:06}.png", scene.frame_index)),
                )?;
            }
            if let Some(codec) = codec {
                let cam_spec = &scenario.cameras[cam];
                let w = match writers.entry(cam) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        let path = args.out.join(format!("{}.mp4", codes[cam]));
                        e.insert(Mp4Writer::create(
                            &path,
                            codec,
                            out.frame.width,
                            out.frame.height,
                            cam_spec.fps,
                        )?)
                    }
                };
                w.push(&out.frame)?;
            }
            // Contact sheet: one frame per second of virtual time, at most 24.
            let fps = u64::from(scenario.cameras[cam].fps.max(1));
            let tiles = sheet.entry(cam).or_default();
            if scene.frame_index % fps == 0 && tiles.len() < 24 {
                tiles.push(out.frame.clone());
            }
            frames_done += 1;
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    objects.flush()?;
    let mut ev = BufWriter::new(std::fs::File::create(args.out.join("events.jsonl"))?);
    eseal_simulator::truth::write_jsonl(&events, &mut ev)?;
    ev.flush()?;
    for (cam, w) in writers {
        let info = w.finish()?;
        println!("  {}.mp4: {info:?}", codes[cam]);
    }
    for (cam, tiles) in &sheet {
        if tiles.is_empty() {
            continue;
        }
        let sheet = output::contact_sheet(tiles, 4, 320)?;
        let path = args.out.join(format!("{}-contact.png", codes[*cam]));
        output::write_png(&sheet, &path)?;
        println!("  contact sheet {}", path.display());
    }
    println!("{frames_done} frames, {} events", events.len());
    println!("{}", args.out.join("events.jsonl").display());
    Ok(ExitCode::SUCCESS)
}

/// Options of `eseal sim serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Scenario file (TOML).
    pub file: PathBuf,
    /// RTSP listen address (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8554")]
    pub rtsp_addr: std::net::SocketAddr,
    /// MJPEG HTTP listen address (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub http_addr: std::net::SocketAddr,
    /// RTSP codec: h264 or h265 (C7: cameras encode both).
    #[arg(long, default_value = "h264")]
    pub codec: String,
    /// Play the scenario again from the start when it ends.
    #[arg(long = "loop")]
    pub repeat: bool,
    /// Also write the stream URLs as JSON to this file once they are up (for scripts and tests).
    #[arg(long)]
    pub ready_file: Option<PathBuf>,
}

/// `eseal sim serve`: every camera of the scenario as an RTSP stream and an mjpg-streamer-style
/// MJPEG stream (U6), rendered on the fly and paced at real time, for external devices.
pub fn serve(args: &ServeArgs) -> Result<ExitCode> {
    use eseal_simulator::output::{FrameSink, LiveServer, Pacer};

    let (scenario, _) = match eseal_simulator::check(&args.file) {
        Ok(v) => v,
        Err(err) => return Ok(report_scenario_error(&err)),
    };
    let codec: Codec = args
        .codec
        .parse()
        .map_err(|e| anyhow::anyhow!("--codec: {e}"))?;
    let live = LiveServer::start(args.rtsp_addr, args.http_addr)
        .context("could not start the stream servers")?;
    let mut feeds = Vec::new();
    let mut urls = Vec::new();
    println!(
        "serving {} (seed {}) at real time",
        args.file.display(),
        scenario.seed
    );
    for cam in &scenario.cameras {
        let code = cam.code.to_string();
        feeds.push(live.add_camera(&code, codec, cam.pose.width, cam.pose.height, cam.fps)?);
        let (rtsp, mjpeg) = (live.rtsp_url(&code), live.mjpeg_url(&code));
        println!(
            "  camera {code} ({:?}, {}x{} @ {} fps)",
            cam.site, cam.pose.width, cam.pose.height, cam.fps
        );
        println!("    RTSP  {rtsp}");
        println!("    MJPEG {mjpeg}");
        urls.push(json!({ "camera": code, "rtsp": rtsp, "mjpeg": mjpeg }));
    }
    if let Some(path) = &args.ready_file {
        let tmp = path.with_extension("tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(&json!({ "cameras": urls }))?,
        )?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("could not write {}", path.display()))?;
    }
    let mut renderers: Vec<Renderer> = scenario.cameras.iter().map(|_| Renderer::new()).collect();
    let mut rendered: Vec<Rendered> = scenario.cameras.iter().map(|_| Rendered::empty()).collect();
    loop {
        let mut pacer = Pacer::new();
        let mut late_frames = 0u64;
        for step in Simulation::new(&scenario) {
            if pacer.wait_for(step.t_ns) > std::time::Duration::from_millis(200) {
                late_frames += 1;
            }
            for (cam, scene) in &step.scenes {
                renderers[*cam].render_into(scene, &mut rendered[*cam])?;
                if let Err(err) = feeds[*cam].push(&rendered[*cam].frame) {
                    tracing::warn!(camera = %scenario.cameras[*cam].code, %err, "frame not delivered");
                }
            }
        }
        if late_frames > 0 {
            tracing::warn!(
                late_frames,
                "rendering fell behind real time (more than 200 ms late)"
            );
        }
        if !args.repeat {
            break;
        }
    }
    println!("scenario finished");
    live.shutdown();
    Ok(ExitCode::SUCCESS)
}
