//! `[[people]]` and `[[trucks]]`: groups at a counting edge and convoys through a gate, each on
//! a camera of the right site, fitting through the portal opening or the gate line.

use super::{EDGE_SITES, Run, Validator};
use crate::scenario::defaults;
use crate::scenario::file;
use crate::scenario::model::{Camera, PeopleSpec, TruckSpec};
use crate::scenario::vocabulary::{Behaviour, Formation};
use crate::scene::SiteKind;

impl Validator<'_> {
    pub(super) fn group(
        &mut self,
        p: &str,
        g: file::People,
        cameras: &[Camera],
        run: Run,
    ) -> PeopleSpec {
        let camera = self.camera_ref(
            &format!("{p}.camera"),
            g.camera,
            cameras,
            &EDGE_SITES,
            "people",
        );
        let at_ns = self.time(&format!("{p}.at"), g.at, run);
        if !(1..=5).contains(&g.count) {
            self.err(
                &format!("{p}.count"),
                format!("expected a group of 1–5 people, found {}", g.count),
            );
        }
        if let Some(s) = g.speed_mps {
            self.range(
                &format!("{p}.speed_mps"),
                s,
                0.8,
                1.6,
                "walking speed (m/s)",
            );
        }
        let (pause_s, pause_at_m) = self.pause(p, &g);
        let offset_m = g.offset_m.unwrap_or(0.0);
        self.group_fits(p, &g, cameras.get(camera), offset_m);
        PeopleSpec {
            camera,
            at_ns,
            count: g.count,
            formation: g.formation,
            direction: g.direction,
            speed_mps: g.speed_mps,
            behaviour: g.behaviour,
            pause_s,
            pause_at_m,
            offset_m,
            tools: g.tools,
        }
    }

    /// How long and where the group pauses: `(pause_s, pause_at_m)`, defaults by behaviour.
    fn pause(&mut self, p: &str, g: &file::People) -> (f64, f64) {
        let pause_s = g.pause_s.unwrap_or(match g.behaviour {
            Behaviour::Cross => 0.0,
            _ => defaults::PAUSE_S,
        });
        self.range(&format!("{p}.pause_s"), pause_s, 0.0, 600.0, "pause (s)");
        let pause_at_m = g.pause_at_m.unwrap_or(match g.behaviour {
            Behaviour::TurnBack => defaults::TURN_BACK_AT_M,
            Behaviour::Loiter => -1.2,
            _ => 0.0,
        });
        match g.behaviour {
            Behaviour::TurnBack => self.range(
                &format!("{p}.pause_at_m"),
                pause_at_m,
                -2.9,
                -0.1,
                "turn-back point before the edge (m)",
            ),
            Behaviour::StopAndGo | Behaviour::Loiter => {
                if g.pause_at_m.is_some() {
                    self.err(
                        &format!("{p}.pause_at_m"),
                        format!(
                            "{:?} pauses at a fixed place; remove pause_at_m",
                            g.behaviour
                        )
                        .to_lowercase(),
                    );
                }
            }
            Behaviour::Cross => self.range(
                &format!("{p}.pause_at_m"),
                pause_at_m,
                -2.9,
                2.9,
                "pause point (m from the edge; the portal is 3 m beyond it)",
            ),
        }
        (pause_s, pause_at_m)
    }

    /// The group, abreast or in file, must pass through the counting edge and the portal
    /// opening at its offset.
    fn group_fits(&mut self, p: &str, g: &file::People, camera: Option<&Camera>, offset_m: f64) {
        let shaft_edge = camera
            .filter(|c| EDGE_SITES.contains(&c.site) && (1..=5).contains(&g.count))
            .and_then(|c| c.edge);
        if let Some(edge) = shaft_edge {
            let half = edge.length() / 2.0;
            let spread = match g.formation {
                Formation::SideBySide => 0.375 * f64::from(g.count.saturating_sub(1)),
                Formation::File => 0.0,
            };
            let half = half.min(crate::ground::PORTAL_HALF_OPENING_M);
            if offset_m.abs() + spread > half - 0.1 {
                self.err(
                    &format!("{p}.offset_m"),
                    format!("the group ({:.2} m wide) at offset {offset_m} m does not fit through the {:.2} m of counting edge and 3.4 m portal opening", 2.0 * spread, edge.length()),
                );
            }
        }
    }

    pub(super) fn convoy(
        &mut self,
        p: &str,
        t: file::Trucks,
        cameras: &[Camera],
        run: Run,
    ) -> TruckSpec {
        let camera = self.camera_ref(
            &format!("{p}.camera"),
            t.camera,
            cameras,
            &[SiteKind::VehicleGate],
            "trucks",
        );
        let at_ns = self.time(&format!("{p}.at"), t.at, run);
        if !(1..=20).contains(&t.count) {
            self.err(
                &format!("{p}.count"),
                format!("expected a convoy of 1–20 trucks, found {}", t.count),
            );
        }
        if let Some(edge) = cameras.get(camera).and_then(|c| c.edge)
            && edge.length() / 2.0 < crate::ground::TRUCK_LANE_M + 0.5
        {
            self.err(
                &format!("{p}.camera"),
                format!(
                    "camera {}'s gate line is {:.1} m long; trucks keep {} m right of its middle, so it must be at least {:.1} m",
                    t.camera,
                    edge.length(),
                    crate::ground::TRUCK_LANE_M,
                    2.0 * (crate::ground::TRUCK_LANE_M + 0.5)
                ),
            );
        }
        let spacing_s = t.spacing_s.unwrap_or(defaults::TRUCK_SPACING_S);
        self.range(
            &format!("{p}.spacing_s"),
            spacing_s,
            3.0,
            600.0,
            "convoy spacing (s)",
        );
        let speed_mps = t.speed_mps.unwrap_or(defaults::TRUCK_SPEED_MPS);
        self.range(
            &format!("{p}.speed_mps"),
            speed_mps,
            1.0,
            15.0,
            "truck speed (m/s)",
        );
        TruckSpec {
            camera,
            at_ns,
            count: t.count,
            direction: t.direction,
            loaded: t.loaded,
            spacing_s,
            speed_mps,
        }
    }
}
