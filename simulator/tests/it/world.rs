//! The world: deterministic scenes and events, whatever the order or thread; seeds matter.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use eseal_simulator::scene::{ActorKind, ColourMode, Tamper};
use eseal_simulator::{Scenario, Simulation, World};

use crate::scenario::scenarios_dir;

fn load(name: &str) -> Scenario {
    let dir = if name == "EXAMPLE.toml" {
        scenarios_dir()
    } else {
        scenarios_dir().join("conformant")
    };
    Scenario::load(dir.join(name)).unwrap()
}

/// Hash of the event stream and of every `stride`-th scene of every camera, camera-major.
fn run_hash(s: &Scenario, stride: u64) -> u64 {
    let world = World::new(s);
    let mut h = DefaultHasher::new();
    serde_json::to_string(world.events()).unwrap().hash(&mut h);
    for c in 0..s.cameras.len() {
        for f in (0..world.frame_count(c)).step_by(stride as usize) {
            serde_json::to_string(&world.scene_at(c, f))
                .unwrap()
                .hash(&mut h);
        }
    }
    h.finish()
}

fn scene_hashes(world: &World, jobs: &[(usize, u64)]) -> Vec<u64> {
    jobs.iter()
        .map(|&(c, f)| {
            let mut h = DefaultHasher::new();
            serde_json::to_string(&world.scene_at(c, f))
                .unwrap()
                .hash(&mut h);
            h.finish()
        })
        .collect()
}

#[test]
fn same_scenario_and_seed_give_identical_output() {
    let s = load("tamper-all-kinds.toml");
    assert_eq!(run_hash(&s, 7), run_hash(&s, 7));
    let reparsed = load("tamper-all-kinds.toml");
    assert_eq!(run_hash(&s, 7), run_hash(&reparsed, 7));
}

#[test]
fn a_different_seed_gives_different_output() {
    let s = load("shaft-bidirectional-flow.toml");
    let mut other = s.clone();
    other.seed += 1;
    assert_ne!(run_hash(&s, 5), run_hash(&other, 5));
    let (a, b) = (World::new(&s), World::new(&other));
    assert_ne!(
        a.events(),
        b.events(),
        "generated arrivals differ with the seed"
    );
}

#[test]
fn scenes_do_not_depend_on_order_or_threads() {
    let s = load("EXAMPLE.toml");
    let world = World::new(&s);
    let mut jobs = Vec::new();
    for c in 0..s.cameras.len() {
        for f in (0..world.frame_count(c)).step_by(11) {
            jobs.push((c, f));
        }
    }
    let forward = scene_hashes(&world, &jobs);
    // Frame-major, reversed.
    let mut rev = jobs.clone();
    rev.reverse();
    let mut backward = scene_hashes(&world, &rev);
    backward.reverse();
    assert_eq!(forward, backward);
    // Two threads, interleaved jobs.
    let (even, odd): (Vec<_>, Vec<_>) = jobs.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let even: Vec<(usize, u64)> = even.into_iter().map(|(_, j)| *j).collect();
    let odd: Vec<(usize, u64)> = odd.into_iter().map(|(_, j)| *j).collect();
    let (he, ho) = std::thread::scope(|sc| {
        let a = sc.spawn(|| scene_hashes(&world, &even));
        let b = sc.spawn(|| scene_hashes(&world, &odd));
        (a.join().unwrap(), b.join().unwrap())
    });
    let mut merged = Vec::new();
    for i in 0..jobs.len() {
        merged.push(if i % 2 == 0 { he[i / 2] } else { ho[i / 2] });
    }
    assert_eq!(forward, merged);
}

#[test]
fn simulation_visits_every_frame_and_delivers_events_in_order() {
    let s = load("midnight-reset.toml");
    let mut sim = Simulation::new(&s);
    let total = sim.world().events().len();
    let frames: Vec<u64> = (0..s.cameras.len())
        .map(|c| sim.world().frame_count(c))
        .collect();
    let mut seen = vec![0u64; s.cameras.len()];
    let mut events = Vec::new();
    let mut last_t = None;
    for f in sim.by_ref() {
        assert!(last_t.is_none_or(|t| t < f.t_ns));
        last_t = Some(f.t_ns);
        for (c, scene) in &f.scenes {
            assert_eq!(scene.frame_index, seen[*c]);
            assert_eq!(scene.time_ns, f.t_ns);
            seen[*c] += 1;
        }
        events.extend(f.events);
    }
    assert_eq!(seen, frames);
    assert_eq!(frames, vec![1800, 1800]);
    // Every event is delivered once, the last step carrying any after the last frame.
    assert_eq!(events.len(), total);
    assert!(events.windows(2).all(|w| w[0].t_ns <= w[1].t_ns));
}

#[test]
fn events_after_the_last_frame_come_with_the_last_step() {
    // Cut the 25 fps run at 45.01 s (last frame at 45.000 s) and end the angle move at 45.01 s.
    let mut s = load("tamper-all-kinds.toml");
    s.duration_ns = 45_010_000_000;
    s.tamper[4].until_ns = 45_010_000_000;
    let sim = Simulation::new(&s);
    let total = sim.world().events().len();
    assert!(
        sim.world()
            .events()
            .iter()
            .any(|e| e.t_ns == 45_010_000_000)
    );
    let delivered: usize = sim.map(|f| f.events.len()).sum();
    assert_eq!(delivered, total);
}

#[test]
fn mixed_frame_rates_share_a_common_tick() {
    let mut s = load("tamper-all-kinds.toml");
    s.cameras[1].fps = 10;
    s.duration_ns = 1_000_000_000;
    let ticks: Vec<(u64, Vec<usize>)> = Simulation::new(&s)
        .map(|f| (f.t_ns, f.scenes.iter().map(|(c, _)| *c).collect()))
        .collect();
    // 25 fps every 40 ms, 10 fps every 100 ms: they meet every 200 ms.
    assert_eq!(ticks.len(), 25 + 10 - 5);
    assert_eq!(ticks[0], (0, vec![0, 1]));
    assert_eq!(ticks[1], (40_000_000, vec![0]));
    assert_eq!(ticks[3], (100_000_000, vec![1]));
}

#[test]
fn tampering_shows_in_the_scene() {
    let s = load("tamper-all-kinds.toml");
    let world = World::new(&s);
    let at = |c: usize, secs: f64| {
        world.scene_at(c, world.schedule(c).frame_at_or_after((secs * 1e9) as u64))
    };
    assert!(matches!(at(0, 12.0).tamper, Some(Tamper::Cover { .. })));
    assert!(at(0, 30.0).tamper.is_none());
    // Angle moved: the pose turns by the pan.
    let moved = at(1, 20.0);
    let normal = at(1, 50.0);
    assert!(matches!(moved.tamper, Some(Tamper::AngleMoved { .. })));
    assert!((moved.camera.yaw - normal.camera.yaw - 35f32.to_radians()).abs() < 1e-5);
    // Freeze: the world stands still (actors, lights, noise) while frame and time advance.
    let (a, b) = (at(0, 86.0), at(0, 95.0));
    assert!(matches!(a.tamper, Some(Tamper::Freeze)));
    assert_eq!(
        (a.actors.clone(), a.noise_seed, a.lighting),
        (b.actors.clone(), b.noise_seed, b.lighting)
    );
    assert!(b.frame_index > a.frame_index && b.time_ns > a.time_ns);
    assert!(matches!(at(1, 62.0).tamper, Some(Tamper::Exposure { gain }) if gain > 1.0));
}

#[test]
fn night_switches_to_infrared_and_lamps_come_on() {
    let s = load("shaft-night-ir.toml");
    let world = World::new(&s);
    let first = world.scene_at(0, 0);
    // 70 s: night (the ramp ended at 40 s), the person coming up at 65 s is in view.
    let last = world.scene_at(0, 70 * 25);
    assert_eq!(first.lighting.mode, ColourMode::Colour);
    assert_eq!(last.lighting.mode, ColourMode::InfraredMono);
    assert!(last.lighting.ambient < 0.25);
    let people: Vec<_> = last
        .actors
        .iter()
        .filter_map(|a| match a.kind {
            ActorKind::Person(p) => Some(p),
            _ => None,
        })
        .collect();
    assert!(!people.is_empty() && people.iter().all(|p| p.lamp_on));
    assert!(world.events().iter().any(|e| matches!(
        e.kind,
        eseal_simulator::truth::EventKind::Lighting {
            mode: ColourMode::InfraredMono
        }
    )));
}

#[test]
fn equipment_moves_by_its_schedule() {
    let belt = load("belt-state-changes.toml");
    let w = World::new(&belt);
    let b = |secs: u64| w.scene_at(0, secs * 25).equipment.belt.unwrap();
    assert!(!b(5).running);
    assert!(b(20).running && b(20).loaded);
    assert!((b(20).travel_m - 25.0).abs() < 1e-3, "{}", b(20).travel_m);
    assert!(b(40).running && !b(40).loaded);
    let skip = load("skip-trips-locks.toml");
    let w = World::new(&skip);
    let k = |secs: u64| w.scene_at(0, secs * 25).equipment.skip.unwrap();
    assert_eq!(k(0).height_m, 0.0);
    assert!((k(7).height_m - 7.5).abs() < 1e-4 && k(7).loaded);
    assert_eq!(k(13).height_m, 15.0);
    assert!(!k(20).loaded);
}

#[test]
fn world_portal_matches_the_renderer() {
    use eseal_simulator::render::{PORTAL_OPENING_M, PORTAL_SETBACK_M};
    use eseal_simulator::world::{PORTAL_DEPTH_M, PORTAL_HALF_OPENING_M};
    assert_eq!(PORTAL_DEPTH_M as f32, PORTAL_SETBACK_M);
    assert_eq!(PORTAL_HALF_OPENING_M as f32, PORTAL_OPENING_M / 2.0);
}

#[test]
fn world_projection_matches_the_renderer() {
    let s = load("EXAMPLE.toml");
    for cam in &s.cameras {
        let rc = eseal_simulator::render::Camera::new(&cam.pose);
        for p in [
            [0.0f32, 0.0, 0.0],
            [1.5, 1.0, 1.7],
            [-2.0, -1.0, 0.0],
            [0.0, 10.0, 20.0],
        ] {
            let v = eseal_simulator::scene::Vec3::new(p[0], p[1], p[2]);
            let mine = eseal_simulator::world::project(&cam.pose, v);
            let theirs = rc.project(v).map(|(x, y, _)| (x, y));
            match (mine, theirs) {
                (Some(a), Some(b)) => assert!(
                    (a.0 - b.0).abs() < 1e-2 && (a.1 - b.1).abs() < 1e-2,
                    "{a:?} {b:?}"
                ),
                (a, b) => assert_eq!(a.is_none(), b.is_none(), "{a:?} {b:?}"),
            }
        }
    }
}

/// Generated people sent both ways keep to the right of their way, as bodies must pass: on this
/// edge (a → b along +x, inside +y) people going down walk at x > 0, people coming up at x < 0,
/// and every one through the 3.4 m portal opening.
#[test]
fn generated_flows_both_ways_pass_side_by_side() {
    use eseal_simulator::scenario::PersonDirection;
    use eseal_simulator::truth::EventKind;
    let s = load("tamper-all-kinds.toml");
    let world = World::new(&s);
    let cam = s
        .cameras
        .iter()
        .position(|c| c.code.to_string() == "20")
        .unwrap();
    let fps = f64::from(s.cameras[cam].fps);
    let (mut down, mut up) = (0, 0);
    for e in world.events() {
        let EventKind::Crossing { id, direction, .. } = e.kind else {
            continue;
        };
        let frame = (e.t_ns as f64 / 1e9 * fps).round() as u64;
        let scene = world.scene_at(cam, frame.min(world.frame_count(cam) - 1));
        let Some(a) = scene.actors.iter().find(|a| a.id == id) else {
            continue;
        };
        let x = f64::from(a.position.x);
        assert!(
            x.abs() <= 1.6,
            "person {id} crosses at x = {x:.2}, outside the portal opening"
        );
        match direction {
            PersonDirection::Down => {
                down += 1;
                assert!(
                    x > 0.0,
                    "person {id} going down walks on the left (x = {x:.2})"
                );
            }
            PersonDirection::Up => {
                up += 1;
                assert!(
                    x < 0.0,
                    "person {id} coming up walks on the left (x = {x:.2})"
                );
            }
        }
    }
    assert!(
        down >= 10 && up >= 5,
        "too few crossings to tell: {down} down, {up} up"
    );
}

/// Issue 16: the camera's automatic exposure. A short shutter in daylight, the frame time at
/// night; right after the light drops the picture is under-exposed for a moment, and it has
/// settled again two seconds later.
#[test]
fn the_automatic_exposure_lags_a_sudden_change_of_light() {
    let dir = crate::scenario::scenarios_dir().join("tuning");
    let text = std::fs::read_to_string(dir.join("realism-day.toml")).unwrap()
        + r#"
[[lighting]]
at = "+00:00:00"
ambient = 1.0
[[lighting]]
at = "+00:00:10"
ambient = 1.0
mode = "colour"
[[lighting]]
at = "+00:00:11"
ambient = 0.05
mode = "colour"
"#;
    let s = Scenario::parse(&text, "lighting-drop.toml").unwrap();
    let at = |sec: f64| eseal_simulator::plan::exposure_at(&s, (sec * 1e9) as u64);
    let day = at(5.0);
    assert!(day.shutter_s <= 1.0 / 400.0, "{day:?}");
    assert!((day.lag_gain - 1.0).abs() < 1e-3, "settled by day: {day:?}");
    let just_after = at(11.1);
    assert!(
        just_after.lag_gain < 0.6,
        "under-exposed right after: {just_after:?}"
    );
    let later = at(13.5);
    assert!(
        (later.lag_gain - 1.0).abs() < 0.02,
        "settled 2.5 s later: {later:?}"
    );
    assert!(
        later.shutter_s > 1.0 / 40.0,
        "a long shutter in the dark: {later:?}"
    );
    // The scene carries it.
    let world = World::new(&s);
    assert_eq!(world.scene_at(0, 278).exposure, at(278.0 / 25.0));
}
