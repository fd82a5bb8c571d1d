//! The installer's survey: a scenario's cameras as an edge device is configured with them.
//!
//! What crosses from the simulator to the device here is installation data only — each camera's
//! code, site kind, stream size, mounting pose and optics, and the counting edge painted on the
//! ground — exactly what a fitter records when installing a seal (C3/C4). No actor, event or
//! truth crosses: the device learns everything else from pixels.

use std::path::Path;

use eseal_simulator::Scenario;
use eseal_simulator::scene::SiteKind;
use eseal_vision::calib::Calibration;
use eseal_vision::config::{AnalysisConfig, CameraConfig, DeviceConfig, LockConfig, Site};

/// The device configuration for a scenario's mine and cameras.
pub fn device_config(scenario: &Scenario, state_dir: &Path) -> DeviceConfig {
    let cameras: Vec<CameraConfig> = scenario
        .cameras
        .iter()
        .map(|c| CameraConfig {
            code: c.code,
            site: match c.site {
                SiteKind::ShaftMouth => Site::ShaftMouth,
                SiteKind::ReturnAirShaft => Site::ReturnAirShaft,
                SiteKind::VehicleGate => Site::VehicleGate,
                SiteKind::Belt => Site::Belt,
                SiteKind::SkipHeadframe => Site::SkipHeadframe,
            },
            width: c.pose.width,
            height: c.pose.height,
            fps: c.fps,
            calibration: Calibration {
                position: [
                    f64::from(c.pose.position.x),
                    f64::from(c.pose.position.y),
                    f64::from(c.pose.position.z),
                ],
                yaw_deg: f64::from(c.pose.yaw).to_degrees(),
                tilt_deg: f64::from(c.pose.tilt).to_degrees(),
                hfov_deg: f64::from(c.pose.hfov).to_degrees(),
            },
            edge: c.edge.map(|e| [e.a, e.b]),
            source: None,
        })
        .collect();
    // Each lock is wired to the box; its clip comes from the camera nearest its equipment:
    // hoist/skip locks (1x, 5x) → a skip or shaft camera, belt locks (2x) → the belt camera,
    // otherwise the first camera.
    let pick = |want: &[Site]| {
        cameras
            .iter()
            .find(|c| want.contains(&c.site))
            .or(cameras.first())
            .map(|c| c.code)
    };
    let locks = scenario
        .locks
        .iter()
        .filter_map(|l| {
            let tens = l.code.get() / 10;
            let camera = match tens {
                2 => pick(&[Site::Belt, Site::SkipHeadframe]),
                1 | 5 => pick(&[Site::SkipHeadframe, Site::ShaftMouth, Site::Belt]),
                _ => pick(&[Site::ShaftMouth, Site::VehicleGate]),
            }?;
            Some(LockConfig {
                code: l.code,
                camera,
            })
        })
        .fold(Vec::<LockConfig>::new(), |mut acc, l| {
            if !acc.iter().any(|a| a.code == l.code) {
                acc.push(l);
            }
            acc
        });
    DeviceConfig {
        device_id: "eseal-reference-edge".to_owned(),
        mine: scenario.mine.code,
        state_dir: state_dir.to_path_buf(),
        cameras,
        locks,
        platform: None,
        streams: None,
        analysis: AnalysisConfig::default(),
    }
}
