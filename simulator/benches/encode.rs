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
        px[0] = if bar { 250 } else { ((x + y + shift) % 256) as u8 };
        px[1] = ((y * 3 + shift) % 256) as u8;
        px[2] = ((x ^ y) % 256) as u8;
    }
    Frame { width, height, rgb, index, pts_ns: index * 1_000_000_000 / u64::from(FPS) }
}

fn encode(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("x264_mp4_encode");
    group.sample_size(10).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(12));
    for (width, height, count) in [(1280u32, 720u32, 50u64), (2560, 1440, 25)] {
        let frames: Vec<Frame> = (0..count).map(|i| pattern(width, height, i)).collect();
        let path = dir.path().join(format!("{width}x{height}.mp4"));
        group.throughput(Throughput::Elements(count));
        group.bench_function(format!("{width}x{height}"), |b| {
            b.iter(|| {
                let mut writer = Mp4Writer::create(&path, Codec::H264, width, height, FPS).expect("pipeline");
                for frame in &frames {
                    writer.push(frame).expect("push");
                }
                black_box(writer.finish().expect("finish"))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
