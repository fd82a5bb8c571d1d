//! `eseal sim random` (issue 17): drawn scenarios are valid, reproducible, varied, within the
//! spec's ranges and cover every condition the format can describe.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::{BTreeSet, HashSet};

use eseal_protocol::LockState;
use eseal_simulator::World;
use eseal_simulator::random::{self, DrawError, Drawn, Kind, LightKind, Options};
use eseal_simulator::scenario::{
    Behaviour, BeltState, Formation, GeneratorDirection, GeneratorKind, IR_SWITCH_AMBIENT,
    PersonDirection, Scenario, TamperKindSpec, TruckDirection,
};
use eseal_simulator::scene::{RenderStyle, SiteKind};
use eseal_simulator::truth::EventKind;

const NS: f64 = 1e9;

/// Draws `kind` at `seed` for `minutes`, panicking with the seed on failure.
fn draw(seed: u64, kind: Option<Kind>, minutes: u32) -> Drawn {
    let options = Options {
        seed,
        kind,
        minutes,
        render: RenderStyle::Realistic,
    };
    random::draw(&options).unwrap_or_else(|e| panic!("seed {seed} {kind:?} {minutes} min: {e}"))
}

/// Every drawn file is valid (the draw parses it back), keeps the ranges the spec and the judge
/// need, and gives the judge something to count.
#[test]
fn two_hundred_seeds_of_every_kind_validate() {
    for kind in Kind::ALL {
        for seed in 0..200 {
            let minutes = [1, 2, 3, 5, 2][(seed % 5) as usize];
            let d = draw(seed, Some(kind), minutes);
            let again = Scenario::parse(&d.text, "again.toml").unwrap();
            assert_eq!(again.seed, seed);
            assert_eq!(again.duration_ns, u64::from(minutes) * 60_000_000_000);
            assert_eq!(again.render, RenderStyle::Realistic);
            check_ranges(&d.scenario);
            check_judgeable(kind, &d.scenario);
            check_written_like_by_hand(&d.text);
        }
    }
}

/// What the spec (C3, C4, C7) and the judge's exclusion rule ask of every drawn file.
fn check_ranges(s: &Scenario) {
    let seed = s.seed;
    let dur = s.duration_ns as f64 / NS;
    for (i, c) in s.cameras.iter().enumerate() {
        assert!(
            c.pose.width <= 2560 && c.pose.height <= 1440,
            "seed {seed}: C7"
        );
        if let (SiteKind::ShaftMouth | SiteKind::ReturnAirShaft, Some(edge)) = (c.site, c.edge) {
            let tilt = f64::from(c.pose.tilt.to_degrees());
            assert!(
                (39.99..=70.01).contains(&tilt),
                "seed {seed}: C3 tilt {tilt}"
            );
            assert_eq!(
                random::shaft_view_problem(&c.pose, &edge),
                None,
                "seed {seed}"
            );
        }
        let windows: Vec<_> = s.tamper.iter().filter(|t| t.camera == i).collect();
        let tampered: f64 = windows
            .iter()
            .map(|t| (t.until_ns - t.from_ns) as f64 / NS)
            .sum();
        assert!(
            tampered <= 0.25 * dur + 1e-6,
            "seed {seed}: {tampered} s tampered"
        );
        for t in windows {
            assert!(
                t.from_ns as f64 / NS >= 12.0,
                "seed {seed}: tamper too early"
            );
            assert!(
                t.until_ns as f64 / NS <= dur - 10.0 + 1e-6,
                "seed {seed}: tamper too late"
            );
        }
    }
    for p in &s.people {
        assert!(
            p.at_ns as f64 / NS >= 3.0,
            "seed {seed}: people before the start-up"
        );
    }
}

/// No number carries binary noise (`0.30000000000000004`): at most 3 decimals anywhere.
fn check_written_like_by_hand(text: &str) {
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut run = None;
        for ch in line.chars() {
            run = match (ch, run) {
                ('.', _) => Some(0),
                (c, Some(n)) if c.is_ascii_digit() => Some(n + 1),
                _ => None,
            };
            assert!(run.is_none_or(|n| n <= 3), "too many decimals: {line}");
        }
    }
}

/// Shaft and site scenes have someone crossing down, gate and site scenes a truck leaving.
fn check_judgeable(kind: Kind, s: &Scenario) {
    let world = World::new(s);
    let down = world.events().iter().any(|e| {
        matches!(
            e.kind,
            EventKind::Crossing {
                direction: PersonDirection::Down,
                ..
            }
        )
    });
    let out = world.events().iter().any(|e| {
        matches!(
            e.kind,
            EventKind::Truck {
                direction: TruckDirection::Out,
                ..
            }
        )
    });
    // The judge's exclusion rule: events within 1 s of a camera's tamper window are left out;
    // drawn scenes leave out at most 40 % of any camera's count of one kind and direction.
    for (c, cam) in s.cameras.iter().enumerate() {
        for class in ["Crossing Down", "Crossing Up", "Truck Out", "Truck In"] {
            let times: Vec<u64> = world
                .events()
                .iter()
                .filter(|e| e.camera == Some(cam.code))
                .filter(|e| match &e.kind {
                    EventKind::Crossing { direction, .. } => {
                        format!("Crossing {direction:?}") == class
                    }
                    EventKind::Truck { direction, .. } => format!("Truck {direction:?}") == class,
                    _ => false,
                })
                .map(|e| e.t_ns)
                .collect();
            let out = times
                .iter()
                .filter(|&&t| {
                    s.tamper.iter().any(|w| {
                        w.camera == c
                            && t + 1_000_000_000 >= w.from_ns
                            && t <= w.until_ns + 1_000_000_000
                    })
                })
                .count();
            assert!(
                out as f64 <= random::EXCLUDED_AT_MOST * times.len() as f64,
                "seed {}: camera {} leaves {out} of {} {class} out",
                s.seed,
                cam.code,
                times.len()
            );
        }
    }
    if kind != Kind::Gate {
        assert!(down, "seed {}: nobody goes down", s.seed);
    }
    if kind != Kind::Shaft {
        assert!(out, "seed {}: no truck leaves", s.seed);
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    for kind in [None, Some(Kind::Shaft), Some(Kind::Gate), Some(Kind::Site)] {
        for seed in [0, 1, 17, 4242, random::MAX_SEED] {
            let (a, b) = (draw(seed, kind, 2), draw(seed, kind, 2));
            assert_eq!(a.text, b.text, "seed {seed} {kind:?}");
            assert!(
                a.text.contains(&format!("--seed {seed} ")),
                "the header names the command"
            );
        }
    }
}

/// The header's command reproduces the file: without --kind the seed picks the kind, and the
/// header names it, so drawing it explicitly gives the same bytes.
#[test]
fn the_header_names_the_command_that_writes_the_same_bytes() {
    for seed in 0..30 {
        let d = draw(seed, None, 3);
        let line = d.text.lines().next().unwrap();
        let expected = format!(
            "# Drawn by `eseal sim random --seed {seed} --kind {} --minutes 3 --render realistic`",
            d.kind.name()
        );
        assert!(line.starts_with(&expected), "{line}");
        assert_eq!(draw(seed, Some(d.kind), 3).text, d.text, "seed {seed}");
    }
}

#[test]
fn different_seeds_differ() {
    for kind in [None, Some(Kind::Shaft), Some(Kind::Gate), Some(Kind::Site)] {
        let texts: HashSet<String> = (0..50).map(|seed| draw(seed, kind, 2).text).collect();
        assert_eq!(texts.len(), 50, "{kind:?}");
        // Not only the header: the keys differ too.
        let bodies: HashSet<String> = (0..50)
            .map(|seed| {
                let t = draw(seed, kind, 2).text;
                t[t.find("\nseed").unwrap()..]
                    .lines()
                    .filter(|l| !l.starts_with("seed") && !l.starts_with("name"))
                    .collect()
            })
            .collect();
        assert_eq!(bodies.len(), 50, "{kind:?}");
    }
}

/// Everything the format can describe turns up over 300 seeds (kinds drawn from the seed).
#[test]
fn three_hundred_seeds_cover_every_condition() {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut note = |what: String| {
        seen.insert(what);
    };
    for seed in 0..300 {
        let d = draw(seed, None, 2);
        let s = &d.scenario;
        note(format!("kind {:?}", d.kind));
        note(format!("light {:?}", d.lighting));
        check_light(d.lighting, s);
        for c in &s.cameras {
            note(format!("site {:?}", c.site));
            note(format!("size {}x{}", c.pose.width, c.pose.height));
            if c.haze > 0.0 {
                note("haze".into());
            }
        }
        if s.lighting.iter().any(|k| k.flicker > 0.0) {
            note("flicker".into());
        }
        for p in &s.people {
            note(format!("people {:?}", p.direction));
            note(format!("behaviour {:?}", p.behaviour));
            note(format!("formation {:?}", p.formation));
            if p.count == 5 {
                note("five abreast or in file".into());
            }
        }
        if s.people.windows(2).any(|w| {
            w[0].at_ns.abs_diff(w[1].at_ns) < 4_000_000_000 && w[0].direction != w[1].direction
        }) {
            note("two flows at once".into());
        }
        for g in &s.generators {
            note(format!("generator {:?} {:?}", g.kind, g.direction));
            if g.kind == GeneratorKind::People && g.rate_per_hour >= 200.0 {
                note("shift change".into());
            }
        }
        for t in &s.trucks {
            note(format!("trucks {:?}", t.direction));
            if t.count >= 9 {
                note("long convoy".into());
            }
        }
        for t in &s.tamper {
            note(format!("tamper {:?}", t.kind));
        }
        for b in &s.belt {
            note(format!("belt {:?}", b.state));
        }
        if !s.skips.is_empty() {
            note("skips".into());
        }
        for l in &s.locks {
            note(format!("lock {:?}", l.state));
        }
    }
    let mut want: Vec<String> = Vec::new();
    want.extend(Kind::ALL.map(|k| format!("kind {k:?}")));
    want.extend(LightKind::ALL.map(|k| format!("light {k:?}")));
    want.extend(
        [
            SiteKind::ShaftMouth,
            SiteKind::ReturnAirShaft,
            SiteKind::VehicleGate,
            SiteKind::Belt,
            SiteKind::SkipHeadframe,
        ]
        .map(|s| format!("site {s:?}")),
    );
    want.extend(
        [
            "size 1280x720",
            "size 1920x1080",
            "size 2560x1440",
            "haze",
            "flicker",
        ]
        .map(String::from),
    );
    want.extend([PersonDirection::Down, PersonDirection::Up].map(|d| format!("people {d:?}")));
    want.extend(
        [
            Behaviour::Cross,
            Behaviour::StopAndGo,
            Behaviour::TurnBack,
            Behaviour::Loiter,
        ]
        .map(|b| format!("behaviour {b:?}")),
    );
    want.extend([Formation::SideBySide, Formation::File].map(|f| format!("formation {f:?}")));
    want.extend(
        [
            "five abreast or in file",
            "two flows at once",
            "shift change",
            "long convoy",
            "skips",
        ]
        .map(String::from),
    );
    want.extend(
        [
            GeneratorDirection::Both,
            GeneratorDirection::Down,
            GeneratorDirection::Up,
        ]
        .map(|d| format!("generator People {d:?}")),
    );
    want.extend(
        [
            GeneratorDirection::Both,
            GeneratorDirection::In,
            GeneratorDirection::Out,
        ]
        .map(|d| format!("generator Trucks {d:?}")),
    );
    want.extend([TruckDirection::In, TruckDirection::Out].map(|d| format!("trucks {d:?}")));
    want.extend(
        [
            TamperKindSpec::Cover,
            TamperKindSpec::Smear,
            TamperKindSpec::Defocus,
            TamperKindSpec::AngleMoved,
            TamperKindSpec::Freeze,
            TamperKindSpec::OverExposure,
            TamperKindSpec::UnderExposure,
        ]
        .map(|k| format!("tamper {k:?}")),
    );
    want.extend(
        [
            BeltState::Stopped,
            BeltState::RunningLoaded,
            BeltState::RunningEmpty,
        ]
        .map(|b| format!("belt {b:?}")),
    );
    want.extend([LockState::Moved, LockState::Damaged].map(|l| format!("lock {l:?}")));
    let missing: Vec<&String> = want.iter().filter(|w| !seen.contains(*w)).collect();
    assert!(missing.is_empty(), "never drawn in 300 seeds: {missing:?}");
}

/// The lighting kind is what the keys say: day stays in colour, night in IR (C6), dusk and dawn
/// cross the switch the right way.
fn check_light(kind: LightKind, s: &Scenario) {
    let (first, last) = (
        s.lighting[0].ambient,
        s.lighting[s.lighting.len() - 1].ambient,
    );
    let ir = |a: f64| a < IR_SWITCH_AMBIENT;
    let ok = match kind {
        LightKind::Day => s.lighting.iter().all(|k| !ir(k.ambient)),
        LightKind::Night => s.lighting.iter().all(|k| ir(k.ambient)),
        LightKind::Dusk => !ir(first) && ir(last),
        LightKind::Dawn => ir(first) && !ir(last),
    };
    assert!(ok, "seed {}: {kind:?} with keys {:?}", s.seed, s.lighting);
}

/// Staged people never walk through each other, and trucks in one lane keep their distance
/// (the simulator's Poisson generators are left out: their arrivals are independent).
#[test]
fn staged_traffic_keeps_bodies_apart() {
    for seed in 0..60 {
        for kind in [Kind::Shaft, Kind::Gate] {
            let mut s = draw(seed, Some(kind), 3).scenario;
            s.generators.clear();
            let world = World::new(&s);
            let plan = world.plan();
            let mut t = 0;
            while t <= s.duration_ns {
                let people: Vec<[f64; 2]> = plan
                    .people
                    .iter()
                    .filter_map(|p| p.track.at(t).map(|x| x.position))
                    .collect();
                for (i, a) in people.iter().enumerate() {
                    for b in &people[i + 1..] {
                        let d = (a[0] - b[0]).hypot(a[1] - b[1]);
                        assert!(d >= 0.6, "seed {seed}: two people {d:.2} m apart at {t} ns");
                    }
                }
                let trucks: Vec<_> = plan
                    .trucks
                    .iter()
                    .filter_map(|k| k.track.at(t).map(|x| (k.direction, x.position)))
                    .collect();
                for (i, (da, a)) in trucks.iter().enumerate() {
                    for (db, b) in &trucks[i + 1..] {
                        let d = (a[0] - b[0]).hypot(a[1] - b[1]);
                        assert!(da != db || d >= 8.6, "seed {seed}: trucks {d:.2} m apart");
                    }
                }
                t += 200_000_000;
            }
        }
    }
}

/// Long runs are drawn in blocks: staged traffic and Poisson blocks alternate.
#[test]
fn an_hour_is_drawn_in_blocks() {
    for kind in Kind::ALL {
        let d = draw(5, Some(kind), 60);
        let s = &d.scenario;
        assert_eq!(s.duration_ns, 3_600_000_000_000);
        assert!(
            !s.generators.is_empty(),
            "{kind:?}: no Poisson block in an hour"
        );
        assert!(
            !s.people.is_empty() || !s.trucks.is_empty(),
            "{kind:?}: no staged traffic"
        );
        check_ranges(s);
    }
}

#[test]
fn the_style_is_realistic_unless_asked() {
    let d = random::draw(&Options::new(3)).unwrap();
    assert!(d.text.contains("render = \"realistic\""), "{}", d.text);
    let flat = Options::from_flags(3, None, None, Some("flat")).unwrap();
    let f = random::draw(&flat).unwrap();
    assert_eq!(f.scenario.render, RenderStyle::Flat);
    assert!(f.text.contains("--render flat"));
    // Only the style (and the header naming it) changes.
    let strip = |t: &str| -> String {
        t.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("render"))
            .collect()
    };
    assert_eq!(strip(&d.text), strip(&f.text));
}

#[test]
fn bad_flags_name_the_flag_and_the_expected_form() {
    let err = |r: Result<Options, DrawError>| r.unwrap_err().to_string();
    let e = err(Options::from_flags(1, Some("mine"), None, None));
    assert_eq!(e, "--kind: expected shaft, gate or site, found \"mine\"");
    for bad in ["0", "-3", "1.5", "two", "10081", ""] {
        let e = err(Options::from_flags(1, None, Some(bad), None));
        assert!(
            e.starts_with("--minutes: expected whole minutes 1–10080"),
            "{e}"
        );
        assert!(e.ends_with(&format!("found {bad:?}")), "{e}");
    }
    let e = err(Options::from_flags(1, None, None, Some("photo")));
    assert_eq!(e, "--render: expected flat or realistic, found \"photo\"");
    let e = err(Options::from_flags(random::MAX_SEED + 1, None, None, None));
    assert!(
        e.starts_with("--seed: expected a seed 0–9223372036854775807"),
        "{e}"
    );
    let ok = Options::from_flags(9, Some("gate"), Some("7"), Some("realistic")).unwrap();
    assert_eq!((ok.kind, ok.minutes), (Some(Kind::Gate), 7));
}
