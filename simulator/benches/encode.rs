//! x264 encode throughput of the MP4 writer: frames/s at 1280×720 and 2560×1440 (C7's maximum).
//!
//! Each iteration writes a whole MP4 (`Mp4Writer::create` → push N frames → `finish`), so the
//! figure includes the frame copy into GStreamer, RGB→I420 conversion, x264 (ultrafast,
//! zerolatency), h264parse, mp4mux and the file write, and the pipeline start and drain.
//! Frames come from a fixed pattern, made before timing. Results: `benches/RESULTS.md`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eseal_simulator::frame::Frame;
use eseal_simulator::output::{Codec, Mp4Writer};

const FPS: u32 = 25;

/// A moving diagonal gradient with a bright bar: detail for the encoder, the same every run.
fn pattern(width: u32, height: u32, index: u64) -> Frame {
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    let shift = index as u32 * 7;
    for (i, px) in rgb.chunks_exact_mut(3).enumerate() {
        let (x, y) = (i as u32 % width, i as u32 / width);
        let bar = (x + shift) % 160 < 12;
        px[0] = if bar {
            250
        } else {
            ((x + y + shift) % 256) as u8
        };
        px[1] = ((y * 3 + shift) % 256) as u8;
        px[2] = ((x ^ y) % 256) as u8;
    }
    Frame {
        width,
        height,
        rgb,
        index,
        pts_ns: index * 1_000_000_000 / u64::from(FPS),
    }
}

fn encode(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("x264_mp4_encode");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(12));
    for (width, height, count) in [(1280u32, 720u32, 50u64), (2560, 1440, 25)] {
        let frames: Vec<Frame> = (0..count).map(|i| pattern(width, height, i)).collect();
        let path = dir.path().join(format!("{width}x{height}.mp4"));
        group.throughput(Throughput::Elements(count));
        group.bench_function(format!("{width}x{height}"), |b| {
            b.iter(|| {
                let mut writer =
                    Mp4Writer::create(&path, Codec::H264, width, height, FPS).expect("pipeline");
                for frame in &frames {
                    writer.push(frame).expect("push");
                }
                black_box(writer.finish().expect("finish"))
            });
        });
    }
    group.finish();
}

/// Render + encode, as `eseal sim render --mp4 h264` does: scenes of a public scenario (the
/// stretch with the most people in view) rendered by one warm `Renderer` and pushed into an MP4.
fn render_encode(c: &mut Criterion) {
    use eseal_simulator::render::{Rendered, Renderer};
    let dir = tempfile::tempdir().expect("tempdir");
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/conformant/shaft-bidirectional-flow.toml"
    );
    let scenario = eseal_simulator::Scenario::load(file).expect("public scenario");
    let world = eseal_simulator::World::new(&scenario);
    let cam = 0;
    let count = 50u64;
    // The 50-frame window with the most actors in view.
    let start = (0..world.frame_count(cam).saturating_sub(count))
        .step_by(25)
        .max_by_key(|&f| world.scene_at(cam, f).actors.len())
        .unwrap_or(0);
    let scenes: Vec<_> = (start..start + count)
        .map(|f| world.scene_at(cam, f))
        .collect();
    let (width, height) = (scenes[0].camera.width, scenes[0].camera.height);
    let fps = scenario.cameras[cam].fps;
    let path = dir.path().join("render-encode.mp4");
    let mut group = c.benchmark_group("render_encode_h264");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(12));
    group.throughput(Throughput::Elements(count));
    let people = scenes.iter().map(|s| s.actors.len()).max().unwrap_or(0);
    group.bench_function(format!("{width}x{height}_{people}_actors_max"), |b| {
        let mut renderer = Renderer::new();
        let mut out = Rendered::empty();
        b.iter(|| {
            let mut writer =
                Mp4Writer::create(&path, Codec::H264, width, height, fps).expect("pipeline");
            for scene in &scenes {
                renderer.render_into(scene, &mut out).expect("render");
                writer.push(&out.frame).expect("push");
            }
            black_box(writer.finish().expect("finish"))
        });
    });
    group.finish();
}

criterion_group!(benches, encode, render_encode);
criterion_main!(benches);
