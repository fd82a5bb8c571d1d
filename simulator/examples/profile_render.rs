//! Profile helper for the renderer: renders the render bench's 10-people scene (a copy of
//! `scene()` in `benches/render.rs`) N times after one warm-up frame and prints wall and
//! CPU time per frame (CPU time of this thread from `/proc/thread-self/schedstat`, steadier than
//! wall time on a shared machine). For `perf record`, and for checking that a change keeps the
//! frames: with `hash` it prints a hash of every frame's pixels and id mask; `DUMP=file` writes
//! the last frame's RGB bytes; `PX=1` prints the objects' pixel count.
//!
//! `cargo run --release -p eseal-simulator --example profile_render -- 1280 720 day|ir real|flat N [hash]`
#![allow(clippy::unwrap_used, clippy::print_stdout)]
use eseal_simulator::render::{Rendered, Renderer};
use eseal_simulator::scene::{
    Actor, ActorKind, Atmosphere, CameraPose, ColourMode, Equipment, Exposure, Lighting,
    PersonLook, RenderScene, RenderStyle, SiteKind, Vec2, Vec3,
};

fn scene(w: u32, h: u32, ir: bool, style: RenderStyle) -> RenderScene {
    let (height, tilt) = (4.5f32, 0.96f32);
    let ex = height / tilt.tan();
    let actors = (0..10u32)
        .map(|i| Actor {
            id: i + 1,
            position: Vec3::new(
                ex - 1.5 + (i / 5) as f32 * 2.2 + 0.3 * (i % 5) as f32,
                -2.4 + (i % 5) as f32 * 1.2,
                0.0,
            ),
            heading: if i.is_multiple_of(2) {
                0.0
            } else {
                std::f32::consts::PI
            },
            kind: ActorKind::Person(PersonLook {
                height_m: 1.7,
                helmet: [240, 200, 20],
                vest: [250, 120, 20],
                clothes: [40, 50, 75],
                carrying_tool: i.is_multiple_of(3),
                lamp_on: true,
                gait_phase: i as f32 * 0.1,
                walking: true,
                speed_mps: 1.3,
                gait_hz: 1.3 / 1.5,
            }),
        })
        .collect();
    RenderScene {
        frame_index: 0,
        time_ns: 0,
        camera: CameraPose {
            position: Vec3::new(0.0, 0.0, height),
            yaw: 0.0,
            tilt,
            hfov: 80f32.to_radians(),
            width: w,
            height: h,
        },
        site: SiteKind::ShaftMouth,
        counting_edge: Some((Vec2::new(ex, -3.0), Vec2::new(ex, 3.0))),
        lighting: if ir {
            Lighting {
                mode: ColourMode::InfraredMono,
                ambient: 0.0,
                dusk: 0.0,
                lamp: 1.0,
            }
        } else {
            Lighting {
                mode: ColourMode::Colour,
                ambient: 0.9,
                dusk: 0.0,
                lamp: 1.0,
            }
        },
        atmosphere: Atmosphere {
            noise_sigma: 2.5,
            haze: 0.1,
        },
        tamper: None,
        actors,
        equipment: Equipment {
            belt: None,
            skip: None,
        },
        noise_seed: 1,
        style,
        // What the automatic exposure picks: a short shutter by day, the frame time at night
        // (so the realistic IR figure includes the motion blur).
        exposure: Exposure {
            shutter_s: if ir { 0.04 } else { 0.002 },
            lag_gain: 1.0,
        },
    }
}

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
