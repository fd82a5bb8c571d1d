//! Profile helper for the renderer: renders the render bench's 10-people scene (`benches/common/scene.rs`,
//! shared with the bench) N times after one warm-up frame and prints wall and
//! CPU time per frame (CPU time of this thread from `/proc/thread-self/schedstat`, steadier than
//! wall time on a shared machine). For `perf record`, and for checking that a change keeps the
//! frames: with `hash` it prints a hash of every frame's pixels and id mask; `DUMP=file` writes
//! the last frame's RGB bytes; `PX=1` prints the objects' pixel count.
//!
//! `cargo run --release -p eseal-simulator --example profile_render -- 1280 720 day|ir real|flat N [hash]`
#![allow(clippy::unwrap_used, clippy::print_stdout)]
use eseal_simulator::render::{Rendered, Renderer};
use eseal_simulator::scene::{ActorKind, RenderStyle};

#[path = "../benches/common/scene.rs"]
mod common;
use common::scene;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let w: u32 = args[1].parse().unwrap();
    let h: u32 = args[2].parse().unwrap();
    let ir = args[3] == "ir";
    let style = if args[4] == "flat" {
        RenderStyle::Flat
    } else {
        RenderStyle::Realistic
    };
    let n: u32 = args[5].parse().unwrap();
    let mut s = scene(w, h, ir, style);
    let mut r = Renderer::new();
    let mut out = Rendered::empty();
    r.render_into(&s, &mut out).unwrap();
    let hash = args.get(6).is_some_and(|a| a == "hash");
    let mut hs = std::hash::DefaultHasher::new();
    let cpu = || {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let c0 = cpu();
    let t = std::time::Instant::now();
    for _ in 0..n {
        s.frame_index += 1;
        s.noise_seed = s.noise_seed.wrapping_add(1);
        let dx = if s.frame_index % 20 < 10 { 0.01 } else { -0.01 };
        for a in &mut s.actors {
            a.position.x += dx;
            if let ActorKind::Person(p) = &mut a.kind {
                p.gait_phase = (p.gait_phase + 0.04) % 1.0;
            }
        }
        r.render_into(&s, &mut out).unwrap();
        std::hint::black_box(&out);
        if hash {
            use std::hash::Hash;
            out.frame.rgb.hash(&mut hs);
            out.ids.ids.hash(&mut hs);
        }
    }
    if let Ok(f) = std::env::var("DUMP") {
        std::fs::write(f, &out.frame.rgb).unwrap();
    }
    if std::env::var("PX").is_ok() {
        let px: u32 = out.objects.iter().map(|o| o.unoccluded_px).sum();
        eprintln!("{px} object pixels");
    }
    if hash {
        use std::hash::Hasher;
        println!("{:016x}", hs.finish());
    }
    eprintln!(
        "{:.3} ms/frame (cpu {:.3})",
        t.elapsed().as_secs_f64() * 1e3 / n as f64,
        (cpu() - c0) as f64 / 1e6 / n as f64
    );
}
