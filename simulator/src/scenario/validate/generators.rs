//! `[[generators]]`: Poisson arrivals of people or trucks at one camera, with the directions,
//! group sizes and probabilities of their kind.

use super::{EDGE_SITES, Run, Validator};
use crate::scenario::file;
use crate::scenario::model::{Camera, GeneratorSpec};
use crate::scenario::vocabulary::{GeneratorDirection, GeneratorKind};
use crate::scene::SiteKind;

/// What a generator draws for each arrival, defaults filled in.
struct Mix {
    group_max: u8,
    p_stop_and_go: f64,
    p_turn_back: f64,
    p_loaded: f64,
}

impl Validator<'_> {
    pub(super) fn generator(
        &mut self,
        p: &str,
        g: file::Generator,
        cameras: &[Camera],
        run: Run,
    ) -> GeneratorSpec {
        let (sites, what): (&[SiteKind], &str) = match g.kind {
            GeneratorKind::People => (&EDGE_SITES, "people"),
            GeneratorKind::Trucks => (&[SiteKind::VehicleGate], "trucks"),
        };
        let camera = self.camera_ref(&format!("{p}.camera"), g.camera, cameras, sites, what);
        let from_ns = self.time(&format!("{p}.from"), g.from, run);
        let until_ns = self.time(&format!("{p}.until"), g.until, run);
        if until_ns <= from_ns {
            self.err(&format!("{p}.until"), "expected until after from");
        }
        self.range(
            &format!("{p}.rate_per_hour"),
            g.rate_per_hour,
            0.001,
            3600.0,
            "arrivals per hour",
        );
        let ok_dir = match (g.kind, g.direction) {
            (_, GeneratorDirection::Both) => true,
            (GeneratorKind::People, d) => {
                matches!(d, GeneratorDirection::Down | GeneratorDirection::Up)
            }
            (GeneratorKind::Trucks, d) => {
                matches!(d, GeneratorDirection::In | GeneratorDirection::Out)
            }
        };
        if !ok_dir {
            self.err(
                &format!("{p}.direction"),
                "expected down/up/both for people, in/out/both for trucks",
            );
        }
        let mix = self.mix(p, &g);
        self.generator_keys(p, &g);
        GeneratorSpec {
            kind: g.kind,
            camera,
            from_ns,
            until_ns,
            rate_per_hour: g.rate_per_hour,
            direction: g.direction,
            group_max: mix.group_max,
            p_stop_and_go: mix.p_stop_and_go,
            p_turn_back: mix.p_turn_back,
            p_loaded: mix.p_loaded,
        }
    }

    /// Group size and probabilities, defaulted and in range.
    fn mix(&mut self, p: &str, g: &file::Generator) -> Mix {
        let group_max = g.group_max.unwrap_or(if g.kind == GeneratorKind::People {
            3
        } else {
            1
        });
        if g.kind == GeneratorKind::People && !(1..=5).contains(&group_max) {
            self.err(
                &format!("{p}.group_max"),
                format!("expected a group size 1–5, found {group_max}"),
            );
        }
        let p_stop_and_go = g.p_stop_and_go.unwrap_or(0.0);
        let p_turn_back = g.p_turn_back.unwrap_or(0.0);
        let p_loaded = g.p_loaded.unwrap_or(0.7);
        self.range(
            &format!("{p}.p_stop_and_go"),
            p_stop_and_go,
            0.0,
            1.0,
            "probability",
        );
        self.range(
            &format!("{p}.p_turn_back"),
            p_turn_back,
            0.0,
            1.0,
            "probability",
        );
        self.range(&format!("{p}.p_loaded"), p_loaded, 0.0, 1.0, "probability");
        if p_stop_and_go + p_turn_back > 1.0 {
            self.err(
                &format!("{p}.p_turn_back"),
                "p_stop_and_go + p_turn_back must be ≤ 1",
            );
        }
        Mix {
            group_max,
            p_stop_and_go,
            p_turn_back,
            p_loaded,
        }
    }

    /// Keys of the other kind may not be given.
    fn generator_keys(&mut self, p: &str, g: &file::Generator) {
        for (key, present, kind) in [
            ("group_max", g.group_max.is_some(), GeneratorKind::People),
            (
                "p_stop_and_go",
                g.p_stop_and_go.is_some(),
                GeneratorKind::People,
            ),
            (
                "p_turn_back",
                g.p_turn_back.is_some(),
                GeneratorKind::People,
            ),
            ("p_loaded", g.p_loaded.is_some(), GeneratorKind::Trucks),
        ] {
            if present && g.kind != kind {
                self.err(
                    &format!("{p}.{key}"),
                    format!("{key} applies to {kind:?} generators only").to_lowercase(),
                );
            }
        }
    }
}
