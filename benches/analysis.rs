//! Analysis speed of the reference device (issue 4 goal: ≥ 200 frames/s per core at 1280×720
//! with 10 people in view, i.e. eight 25-fps streams per core). Frames are rendered once by the
//! simulator before timing; the timed loop is the people analyser alone (foreground, template
//! fit, tracking, counting, capture selection) on one thread.
//!
//! The `detector_720p_10_in_view` group times the person detectors alone on the same frames:
//! the classical template detector beside the learned one (issue 17: letterbox, ONNX Runtime
//! inference with one intra-op thread, decode, feet on the ground), the learned one's letterbox
//! and letterbox + inference separately, and a batch of four frames in one session call. The
//! learned detector runs the untrained network of `vision/tests/fixtures/` (the architecture of
//! `scripts/detector/model.py`: same cost as a trained one); ONNX Runtime comes from
//! `scripts/setup.sh` (`var/onnxruntime`) or `ESEAL_ORT_DYLIB`.
#![allow(clippy::unwrap_used)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use eseal::edge::install::device_config;
use eseal_simulator::Simulation;
use eseal_simulator::render::{Rendered, Renderer};
use eseal_vision::calib::Projector;
use eseal_vision::frame::Frame;
use eseal_vision::people::learned::{INPUT_H, INPUT_W};
use eseal_vision::people::{
    LearnedDetector, LearnedModel, LearnedSettings, PeopleAnalyzer, PersonDetector,
    TemplateDetector, TemplateSettings,
};

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

fn learned_model() -> LearnedModel {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("vision/tests/fixtures/detector-untrained.onnx");
    LearnedModel::open(&path, LearnedSettings::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn detectors(c: &mut Criterion) {
    let (camera, frames) = frames();
    let (warm, timed): (Vec<_>, Vec<_>) =
        frames.into_iter().partition(|f| f.pts_ns < 2_000_000_000);
    let projector = Projector::new(&camera.calibration, camera.width, camera.height);
    let edge = camera.edge.unwrap();
    let mut g = c.benchmark_group("detector_720p_10_in_view");
    g.throughput(Throughput::Elements(timed.len() as u64));
    g.sample_size(10);
    g.measurement_time(std::time::Duration::from_secs(8));
    let mut classical = TemplateDetector::new(projector, edge, TemplateSettings::default());
    for f in &warm {
        classical.detect(f, &[]);
    }
    g.bench_function("classical", |b| {
        b.iter_batched(
            || classical.clone(),
            |mut d| {
                for f in &timed {
                    std::hint::black_box(d.detect(f, &[]));
                }
                d
            },
            BatchSize::LargeInput,
        )
    });
    let mut learned = LearnedDetector::new(learned_model(), projector, edge);
    g.bench_function("learned", |b| {
        b.iter(|| {
            for f in &timed {
                std::hint::black_box(learned.detect(f, &[]));
            }
        })
    });
    let mut model = learned_model();
    g.bench_function("learned_letterbox_and_inference", |b| {
        b.iter(|| {
            for f in &timed {
                std::hint::black_box(model.maps(&[f]).unwrap());
            }
        })
    });
    let letterbox = model.letterbox(camera.width, camera.height).clone();
    let (mut input, mut scratch) = (vec![0.0f32; 3 * INPUT_W * INPUT_H], Vec::new());
    g.bench_function("learned_letterbox", |b| {
        b.iter(|| {
            for f in &timed {
                letterbox.fill(f, &mut input, &mut scratch);
                std::hint::black_box(&input);
            }
        })
    });
    // Four cameras' frames in one session call (here four consecutive frames of one camera).
    g.bench_function("learned_batch_of_4", |b| {
        b.iter(|| {
            for four in timed.chunks(4) {
                let four: Vec<&Frame> = four.iter().collect();
                std::hint::black_box(model.detect_batch(&four).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, people, detectors);
criterion_main!(benches);
