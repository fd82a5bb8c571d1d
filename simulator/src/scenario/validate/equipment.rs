//! `[[belt]]`, `[[skips]]` and `[[locks]]`: the equipment whose state the device reports (U3,
//! U5): belt changes in time order per camera, skip trips that never overlap on one headframe.

use super::{Run, Validator};
use crate::scenario::defaults;
use crate::scenario::file;
use crate::scenario::model::{BeltChange, Camera, LockSpec, SkipSpec};
use crate::scenario::time::seconds_to_ns;
use crate::scene::SiteKind;

impl Validator<'_> {
    pub(super) fn belt_change(
        &mut self,
        p: &str,
        b: file::Belt,
        cameras: &[Camera],
        run: Run,
        earlier: &[BeltChange],
    ) -> BeltChange {
        let camera = self.camera_ref(
            &format!("{p}.camera"),
            b.camera,
            cameras,
            &[SiteKind::Belt],
            "belt changes",
        );
        let at_ns = self.time(&format!("{p}.at"), b.at, run);
        let speed_mps = b.speed_mps.unwrap_or(defaults::BELT_SPEED_MPS);
        self.range(
            &format!("{p}.speed_mps"),
            speed_mps,
            0.5,
            6.0,
            "belt speed (m/s)",
        );
        if earlier
            .iter()
            .any(|o| o.camera == camera && o.at_ns >= at_ns)
        {
            self.err(
                &format!("{p}.at"),
                "belt changes of one camera must be in increasing time order",
            );
        }
        BeltChange {
            camera,
            at_ns,
            state: b.state,
            speed_mps,
        }
    }

    pub(super) fn skip(
        &mut self,
        p: &str,
        s: file::Skip,
        cameras: &[Camera],
        run: Run,
        earlier: &[SkipSpec],
    ) -> SkipSpec {
        let camera = self.camera_ref(
            &format!("{p}.camera"),
            s.camera,
            cameras,
            &[SiteKind::SkipHeadframe],
            "skip trips",
        );
        let at_ns = self.time(&format!("{p}.at"), s.at, run);
        let travel_s = s.travel_s.unwrap_or(defaults::SKIP_TRAVEL_S);
        let dwell_s = s.dwell_s.unwrap_or(defaults::SKIP_DWELL_S);
        let height_m = s.height_m.unwrap_or(defaults::SKIP_HEIGHT_M);
        self.range(
            &format!("{p}.travel_s"),
            travel_s,
            2.0,
            300.0,
            "one-way travel time (s)",
        );
        self.range(
            &format!("{p}.dwell_s"),
            dwell_s,
            0.5,
            300.0,
            "dwell time (s)",
        );
        self.range(
            &format!("{p}.height_m"),
            height_m,
            2.0,
            60.0,
            "skip travel height (m)",
        );
        if !(1..=1000).contains(&s.trips) {
            self.err(
                &format!("{p}.trips"),
                format!("expected 1–1000 trips, found {}", s.trips),
            );
        }
        let spec = SkipSpec {
            camera,
            at_ns,
            trips: s.trips,
            loaded: s.loaded,
            travel_s,
            dwell_s,
            height_m,
        };
        let end = |k: &SkipSpec| {
            k.at_ns + seconds_to_ns(f64::from(k.trips) * 2.0 * (k.travel_s + k.dwell_s))
        };
        if earlier
            .iter()
            .any(|o| o.camera == camera && o.at_ns < end(&spec) && spec.at_ns < end(o))
        {
            self.err(
                &format!("{p}.at"),
                "overlaps an earlier [[skips]] entry of the same camera (one skip per headframe)",
            );
        }
        spec
    }

    pub(super) fn lock(&mut self, p: &str, l: file::Lock, run: Run) -> LockSpec {
        let at_ns = self.time(&format!("{p}.at"), l.at, run);
        LockSpec {
            code: l.code,
            state: l.state,
            at_ns,
        }
    }
}
