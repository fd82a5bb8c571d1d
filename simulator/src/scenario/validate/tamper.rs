//! `[[tamper]]`: camera tampering (U4) over a time span, one at a time per camera, with only the
//! parameter keys of its kind, each in range.

use super::{Run, Validator};
use crate::scenario::diagnostic::fmt_offset;
use crate::scenario::file;
use crate::scenario::model::{Camera, TamperSpec};
use crate::scenario::vocabulary::TamperKindSpec;
use crate::scene::SiteKind;

/// Every site: any camera can be tampered with.
const ANY_SITE: [SiteKind; 5] = [
    SiteKind::ShaftMouth,
    SiteKind::ReturnAirShaft,
    SiteKind::VehicleGate,
    SiteKind::Belt,
    SiteKind::SkipHeadframe,
];

impl Validator<'_> {
    pub(super) fn tampering(
        &mut self,
        p: &str,
        t: &file::Tamper,
        cameras: &[Camera],
        run: Run,
        earlier: &[TamperSpec],
    ) -> TamperSpec {
        let camera = self.camera_ref(
            &format!("{p}.camera"),
            t.camera,
            cameras,
            &ANY_SITE,
            "tampering",
        );
        let from_ns = self.time(&format!("{p}.from"), t.from, run);
        let until_ns = self.time(&format!("{p}.until"), t.until, run);
        if until_ns <= from_ns {
            self.err(
                &format!("{p}.until"),
                format!(
                    "expected until after from ({}), found {}",
                    fmt_offset(from_ns),
                    fmt_offset(until_ns)
                ),
            );
        }
        self.tamper_keys(p, t);
        let (amount, tilt_deg) = self.tamper_amount(p, t);
        if let Some((j, _)) = earlier
            .iter()
            .enumerate()
            .find(|(_, o)| o.camera == camera && o.from_ns < until_ns && from_ns < o.until_ns)
        {
            self.err(
                &format!("{p}.from"),
                format!(
                    "overlaps tamper[{j}] on camera {} (one tampering at a time per camera)",
                    t.camera
                ),
            );
        }
        TamperSpec {
            camera,
            kind: t.kind,
            from_ns,
            until_ns,
            amount,
            tilt_deg,
        }
    }

    /// Only the parameter keys of the kind may be given.
    fn tamper_keys(&mut self, p: &str, t: &file::Tamper) {
        use TamperKindSpec as K;
        let allowed: &[&str] = match t.kind {
            K::Cover => &["fraction"],
            K::Smear => &["strength"],
            K::Defocus => &["radius_px"],
            K::AngleMoved => &["pan_deg", "tilt_deg"],
            K::Freeze => &[],
            K::OverExposure | K::UnderExposure => &["gain"],
        };
        for (key, present) in [
            ("fraction", t.fraction.is_some()),
            ("strength", t.strength.is_some()),
            ("radius_px", t.radius_px.is_some()),
            ("pan_deg", t.pan_deg.is_some()),
            ("tilt_deg", t.tilt_deg.is_some()),
            ("gain", t.gain.is_some()),
        ] {
            if present && !allowed.contains(&key) {
                self.err(
                    &format!("{p}.{key}"),
                    format!("{key} does not apply to {} tampering", t.kind.name()),
                );
            }
        }
    }

    /// The kind's parameter, defaulted and in range, and the tilt change of an angle move:
    /// `(amount, tilt_deg)` as [`TamperSpec`] holds them.
    fn tamper_amount(&mut self, p: &str, t: &file::Tamper) -> (f64, f64) {
        use TamperKindSpec as K;
        match t.kind {
            K::Cover => {
                let v = t.fraction.unwrap_or(0.7);
                self.range(
                    &format!("{p}.fraction"),
                    v,
                    0.05,
                    1.0,
                    "covered fraction of the image",
                );
                (v, 0.0)
            }
            K::Smear => {
                let v = t.strength.unwrap_or(0.8);
                self.range(&format!("{p}.strength"), v, 0.05, 1.0, "smear strength");
                (v, 0.0)
            }
            K::Defocus => {
                let v = t.radius_px.unwrap_or(12.0);
                self.range(&format!("{p}.radius_px"), v, 1.0, 100.0, "blur radius (px)");
                (v, 0.0)
            }
            K::AngleMoved => {
                let pan = t.pan_deg.unwrap_or(25.0);
                let tilt = t.tilt_deg.unwrap_or(0.0);
                self.range(
                    &format!("{p}.pan_deg"),
                    pan,
                    -180.0,
                    180.0,
                    "pan change (°)",
                );
                self.range(
                    &format!("{p}.tilt_deg"),
                    tilt,
                    -30.0,
                    30.0,
                    "tilt change (°)",
                );
                if pan.abs() < 2.0 && tilt.abs() < 2.0 {
                    self.err(
                        &format!("{p}.pan_deg"),
                        "an angle move needs |pan| or |tilt| ≥ 2°",
                    );
                }
                (pan, tilt)
            }
            K::Freeze => (0.0, 0.0),
            K::OverExposure => {
                let v = t.gain.unwrap_or(4.0);
                self.range(&format!("{p}.gain"), v, 1.5, 50.0, "over-exposure gain");
                (v, 0.0)
            }
            K::UnderExposure => {
                let v = t.gain.unwrap_or(0.15);
                self.range(&format!("{p}.gain"), v, 0.0, 0.7, "under-exposure gain");
                (v, 0.0)
            }
        }
    }
}
