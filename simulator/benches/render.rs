//! Rendering alone: frames/s at 1280×720 and 2560×1440 with 10 people in view, day colour and
//! night IR, in both styles (goals: flat ≥ 400 and ≥ 100 frames/s per core, issue 3; realistic
//! ≥ 100 and ≥ 25, issue 16). The background cache is warm (the camera does not move between
//! frames), as in a real run; people walk on the spot between frames (their gait advances, their
//! place wobbles by a few centimetres), so every frame has all ten in view. The flat style of
//! the same frames is the anchor the realistic one is compared with.
//! `render_10_people/1280x720_day_left_edge` has the same people moved so that several are cut
//! by the left image edge. `render_gate_trucks` is a vehicle gate with a loaded dump truck coming
//! toward the camera and a light truck driving away (issue 16: a realistic truck should cost no
//! more than about two realistic people); its `_empty` frames are the same gate without them.
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use eseal_simulator::render::{Rendered, Renderer};
use eseal_simulator::scene::{
    Actor, ActorKind, RenderScene, RenderStyle, SiteKind, TruckLook, Vec2, Vec3,
};

#[path = "common/scene.rs"]
mod common;
use common::scene;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("render_10_people");
    g.sample_size(20);
    let styles = [
        (RenderStyle::Flat, ""),
        (RenderStyle::Realistic, "realistic_"),
    ];
    for ((w, h), ir, (style, prefix)) in [(1280u32, 720u32), (2560, 1440)]
        .into_iter()
        .flat_map(|size| [false, true].map(|ir| (size, ir)))
        .flat_map(|(size, ir)| styles.map(|st| (size, ir, st)))
    {
        {
            let name = format!("{prefix}{w}x{h}_{}", if ir { "night_ir" } else { "day" });
            let mut s = scene(w, h, ir, style);
            let mut r = Renderer::new();
            let mut out = Rendered::empty();
            r.render_into(&s, &mut out).unwrap();
            g.bench_function(&name, |b| {
                b.iter(|| {
                    s.frame_index += 1;
                    s.noise_seed = s.noise_seed.wrapping_add(1);
                    // A wobble of ±5 cm about the start, not a walk out of the picture.
                    let dx = if s.frame_index % 20 < 10 { 0.01 } else { -0.01 };
                    for a in &mut s.actors {
                        a.position.x += dx;
                        if let ActorKind::Person(p) = &mut a.kind {
                            p.gait_phase = (p.gait_phase + 0.04) % 1.0;
                        }
                    }
                    r.render_into(&s, &mut out).unwrap();
                    std::hint::black_box(&out);
                })
            });
        }
    }
    // The 10 people moved towards the left image edge, so that several are cut by it: the cost
    // of measuring their pixels beyond the border.
    let (w, h) = (1280u32, 720u32);
    let mut s = scene(w, h, false, RenderStyle::Flat);
    let depth = s.camera.project(s.actors[0].position).map_or(5.0, |p| p.2);
    let cam = eseal_simulator::render::Camera::new(&s.camera);
    let shift = w as f32 * 0.5 * depth / cam.focal_px();
    for a in &mut s.actors {
        a.position.y += shift;
    }
    let mut r = Renderer::new();
    let mut out = Rendered::empty();
    r.render_into(&s, &mut out).unwrap();
    g.bench_function(format!("{w}x{h}_day_left_edge"), |b| {
        b.iter(|| {
            s.frame_index += 1;
            s.noise_seed = s.noise_seed.wrapping_add(1);
            for a in &mut s.actors {
                if let ActorKind::Person(p) = &mut a.kind {
                    p.gait_phase = (p.gait_phase + 0.04) % 1.0;
                }
            }
            r.render_into(&s, &mut out).unwrap();
            std::hint::black_box(&out);
        })
    });
    g.finish();
    // The same frames without people: the fixed per-frame cost (background restore, RGB
    // conversion with noise, id mask clear); the difference to the above is the people.
    let mut g = c.benchmark_group("render_no_people");
    g.sample_size(20);
    for (w, h) in [(1280u32, 720u32), (2560, 1440)] {
        let mut s = scene(w, h, false, RenderStyle::Flat);
        s.actors.clear();
        let mut r = Renderer::new();
        let mut out = Rendered::empty();
        r.render_into(&s, &mut out).unwrap();
        g.bench_function(format!("{w}x{h}_day"), |b| {
            b.iter(|| {
                s.noise_seed = s.noise_seed.wrapping_add(1);
                r.render_into(&s, &mut out).unwrap();
                std::hint::black_box(&out);
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("render_gate_trucks");
    g.sample_size(20);
    for (style, prefix) in [
        (RenderStyle::Flat, ""),
        (RenderStyle::Realistic, "realistic_"),
    ] {
        for (ir, empty) in [(false, false), (true, false), (false, true)] {
            let mut s = gate(ir, style);
            if empty {
                s.actors.clear();
            }
            let name = format!(
                "{prefix}1280x720_{}{}",
                if ir { "night_ir" } else { "day" },
                if empty { "_empty" } else { "" }
            );
            let mut r = Renderer::new();
            let mut out = Rendered::empty();
            r.render_into(&s, &mut out).unwrap();
            g.bench_function(&name, |b| {
                b.iter(|| {
                    s.frame_index += 1;
                    s.noise_seed = s.noise_seed.wrapping_add(1);
                    let dx = if s.frame_index % 20 < 10 { 0.02 } else { -0.02 };
                    for a in &mut s.actors {
                        a.position.y += dx;
                    }
                    r.render_into(&s, &mut out).unwrap();
                    std::hint::black_box(&out);
                })
            });
        }
    }
    g.finish();
}

/// A vehicle gate seen from a 6 m pole: a loaded 8 m dump truck 14 m away coming toward the
/// camera, an empty 6.6 m light truck 24 m away driving off.
fn gate(ir: bool, style: RenderStyle) -> RenderScene {
    let mut s = scene(1280, 720, ir, style);
    s.site = SiteKind::VehicleGate;
    s.camera.position = Vec3::new(0.0, 0.0, 6.0);
    s.camera.tilt = 25f32.to_radians();
    s.counting_edge = Some((Vec2::new(16.0, -5.0), Vec2::new(16.0, 5.0)));
    let truck = |id, x: f32, y, heading, length_m, loaded| Actor {
        id,
        position: Vec3::new(x, y, 0.0),
        heading,
        kind: ActorKind::Truck(TruckLook {
            length_m,
            width_m: 2.5,
            cab: [200, 40, 30],
            loaded,
        }),
    };
    s.actors = vec![
        truck(1, 14.0, 1.8, std::f32::consts::PI, 8.0, true),
        truck(2, 24.0, -1.8, 0.0, 6.6, false),
    ];
    s
}

criterion_group!(benches, bench);
criterion_main!(benches);
