//! The judge's own look at the U1/U2 pictures (E4, U1, U2, R4): which frame each picture shows
//! and where its rectangle is, against the simulator's clean render of that frame.
//!
//! Key design decision: **a second pass over the simulation, rendering only what a picture can
//! show.** A picture's name carries its second, and the device may have chosen its best view
//! some seconds before or after; so for each picture the pass renders its camera's frames in
//! `[t − LOOKBACK_S − skew, t + LOOKAHEAD_S + skew]` (overlapping windows render once), keeps the
//! frame whose signature is nearest the picture's ([`super::capture::FrameFinder`]), and when the
//! window has passed locates the rectangle against that clean frame. The simulation is
//! deterministic, so this pass sees exactly the frames the device saw, and it never uses
//! anything the device reported but the picture itself, so a vendor's box is examined the same
//! way.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use eseal_protocol::{Clause, EvidenceName};
use eseal_simulator::render::{Rendered, Renderer};
use eseal_simulator::{Scenario, Simulation};

use super::capture::{FrameFinder, Signature, decode_jpeg, locate_rectangle};
use eseal_simulator::render::BoxPx;

/// Truth objects of a frame: (actor id, full box, visible box).
type Objects = Vec<(u32, Option<BoxPx>, Option<BoxPx>)>;
use super::checks::{CaptureFound, Upload};

/// How far before its name's time a picture may have been taken, seconds (a person is in view
/// for some seconds before crossing the edge).
pub const LOOKBACK_S: f64 = 10.0;
/// How far after, seconds (the best view can come after the crossing, before the decision).
pub const LOOKAHEAD_S: f64 = 6.0;

struct Pending {
    name: String,
    camera: usize,
    from_ns: u64,
    to_ns: u64,
    finder: FrameFinder,
    /// Truth of the finder's best frame so far.
    objects: Objects,
    picture: Vec<u8>,
}

/// Per U1/U2 upload: the frame it shows, its rectangle and that frame's truth, or why not.
pub fn locate(
    scenario: &Scenario,
    uploads: &[Upload],
    skew_s: f64,
) -> Result<BTreeMap<String, Result<CaptureFound, String>>> {
    let mut out = BTreeMap::new();
    let mut pending: Vec<Pending> = Vec::new();
    for u in uploads {
        let Ok(parsed) = EvidenceName::parse(&u.name) else {
            continue;
        };
        let n = parsed.name;
        if !matches!(n.clause(), Clause::U1 | Clause::U2) {
            continue;
        }
        let Some(camera) = n
            .camera()
            .and_then(|c| scenario.cameras.iter().position(|k| k.code == c))
        else {
            out.insert(
                u.name.clone(),
                Err("its camera code is none of the mine's cameras".to_owned()),
            );
            continue;
        };
        let cam = &scenario.cameras[camera];
        let (w, h) = (cam.pose.width, cam.pose.height);
        let picture = match decode_jpeg(&u.bytes) {
            Ok(d) if (d.width, d.height) == (w, h) => d.rgb,
            Ok(d) => {
                let (pw, ph) = (d.width, d.height);
                out.insert(
                    u.name.clone(),
                    Err(format!(
                        "the picture is {pw}×{ph}, the camera's frames {w}×{h}"
                    )),
                );
                continue;
            }
            Err(e) => {
                out.insert(u.name.clone(), Err(e.to_string()));
                continue;
            }
        };
        let t_s = (n.time().to_cst() - scenario.start).num_milliseconds() as f64 / 1000.0;
        let ns = |s: f64| (s.max(0.0) * 1e9) as u64;
        pending.push(Pending {
            name: u.name.clone(),
            camera,
            from_ns: ns(t_s - LOOKBACK_S - skew_s),
            // The name's time is truncated to the second.
            to_ns: ns(t_s + 1.0 + LOOKAHEAD_S + skew_s),
            finder: FrameFinder::new(Signature::of_rgb(&picture, w, h)?),
            objects: Vec::new(),
            picture,
        });
    }
    if pending.is_empty() {
        return Ok(out);
    }
    let mut renderers: Vec<Renderer> = scenario.cameras.iter().map(|_| Renderer::new()).collect();
    let mut rendered = Rendered::empty();
    for step in Simulation::new(scenario) {
        let now = step.t_ns;
        for (cam, scene) in &step.scenes {
            if !pending
                .iter()
                .any(|p| p.camera == *cam && (p.from_ns..=p.to_ns).contains(&now))
            {
                continue;
            }
            renderers[*cam]
                .render_into(scene, &mut rendered)
                .with_context(|| {
                    format!(
                        "rendering camera {} at {now} ns",
                        scenario.cameras[*cam].code
                    )
                })?;
            let f = &rendered.frame;
            let sig = Signature::of_rgb(&f.rgb, f.width, f.height)?;
            for p in pending
                .iter_mut()
                .filter(|p| p.camera == *cam && (p.from_ns..=p.to_ns).contains(&now))
            {
                if p.finder.offer_signed(f.pts_ns, &sig, &f.rgb) {
                    p.objects = rendered
                        .objects
                        .iter()
                        .map(|o| (o.id, o.full_box, o.visible_box))
                        .collect();
                }
            }
        }
        // Pictures whose window has passed: locate and let go of their frames.
        let (done, keep): (Vec<_>, Vec<_>) = pending.into_iter().partition(|p| now > p.to_ns);
        pending = keep;
        for p in done {
            out.insert(p.name.clone(), finish(scenario, p));
        }
        if pending.is_empty() {
            break;
        }
    }
    for p in pending {
        out.insert(p.name.clone(), finish(scenario, p));
    }
    Ok(out)
}

fn finish(scenario: &Scenario, p: Pending) -> Result<CaptureFound, String> {
    let cam = &scenario.cameras[p.camera];
    let (w, h) = (cam.pose.width, cam.pose.height);
    let Some(best) = p.finder.best() else {
        return Err("no frame of its camera near its time".to_owned());
    };
    let located = locate_rectangle(&p.picture, &best.rgb, w, h).map_err(|e| e.to_string())?;
    Ok(CaptureFound {
        pts_ns: best.pts_ns,
        rect: located.bbox,
        objects: p.objects,
    })
}
