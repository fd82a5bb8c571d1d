//! Analysis speed of the reference device (issue 4 goal: ≥ 200 frames/s per core at 1280×720
//! with 10 people in view, i.e. eight 25-fps streams per core). Frames are rendered once by the
//! simulator before timing; the timed loop is the people analyser alone (foreground, template
//! fit, tracking, counting, capture selection) on one thread.
#![allow(clippy::unwrap_used)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use eseal::edge::install::device_config;
use eseal_simulator::Simulation;
use eseal_simulator::render::{Rendered, Renderer};
use eseal_vision::frame::Frame;
use eseal_vision::people::PeopleAnalyzer;

const SCENARIO: &str = r#"
seed = 7
start = "2026-11-28T08:00:00+08:00"
duration = "00:00:08"
[mine]
code = "140421007866"
name = "bench"
region = "bench"
state = "停产"
[[cameras]]
code = "20"
site = "shaft_mouth"
width = 1280
height = 720
fps = 25
position = [0.0, -4.0, 4.5]
tilt_deg = 45
yaw_deg = 90
hfov_deg = 70
edge = [[-2.5, 0.0], [2.5, 0.0]]
[[people]]
camera = "20"
at = "+00:00:00"
count = 5
direction = "down"
speed_mps = 1.0
[[people]]
camera = "20"
at = "+00:00:01.2"
count = 5
direction = "down"
speed_mps = 1.0
"#;

fn frames() -> (eseal_vision::config::CameraConfig, Vec<Frame>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.toml");
    std::fs::write(&path, SCENARIO).unwrap();
    let (scenario, _) = eseal_simulator::check(&path).unwrap();
    let camera = device_config(&scenario, dir.path()).cameras[0].clone();
    let mut r = Renderer::new();
    let mut out = Rendered::empty();
    let mut frames = Vec::new();
    for step in Simulation::new(&scenario) {
        for (_, scene) in &step.scenes {
            r.render_into(scene, &mut out).unwrap();
            let f = &out.frame;
            // 5.5–7.0 s: both groups of five are in view.
            if (5_500_000_000..7_000_000_000).contains(&f.pts_ns) || f.pts_ns < 2_000_000_000 {
                frames.push(Frame::new(f.width, f.height, f.rgb.clone(), f.pts_ns).unwrap());
            }
        }
    }
    (camera, frames)
}

fn people(c: &mut Criterion) {
    let (camera, frames) = frames();
    let (warm, timed): (Vec<_>, Vec<_>) =
        frames.into_iter().partition(|f| f.pts_ns < 2_000_000_000);
    let mut g = c.benchmark_group("people_720p_10_in_view");
    g.throughput(Throughput::Elements(timed.len() as u64));
    g.bench_function("analyse", |b| {
        b.iter_batched(
            || {
                let mut a = PeopleAnalyzer::new(&camera).unwrap();
                for f in &warm {
                    a.push(f);
                }
                a
            },
            |mut a| {
                for f in &timed {
                    std::hint::black_box(a.push(f));
                }
                a
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, people);
criterion_main!(benches);
