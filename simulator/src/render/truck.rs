//! A mine dump truck: wheels, chassis, cab (windscreen, side windows, headlights) at the front,
//! an open bed behind it, a heap of ore in the bed when loaded.

use super::emit::{Emitter, upright_box};
use super::geom::{Mat, ellipse_pts};
use super::vector::V3;
use crate::scene::TruckLook;

const TYRE: [u8; 3] = [28, 28, 30];
const HUB: [u8; 3] = [150, 150, 150];
const CHASSIS: [u8; 3] = [45, 45, 48];
const GLASS: [u8; 3] = [40, 55, 70];
const BED: [u8; 3] = [150, 120, 60];
const BED_INSIDE: [u8; 3] = [70, 60, 45];
const ORE: [u8; 3] = [58, 52, 46];
const ORE_LIGHT: [u8; 3] = [96, 88, 76];
const HEADLIGHT: [u8; 3] = [240, 236, 200];

/// Cab length (m) and bed top height (m).
const CAB_L: f32 = 2.1;
const BED_TOP: f32 = 2.3;

/// Corners of the truck's bounding box (for truth and culling).
pub(crate) fn bounds_pts(pos: V3, heading: f32, look: &TruckLook) -> [V3; 8] {
    let fwd = V3::new(heading.cos(), heading.sin(), 0.0);
    let left = V3::new(-heading.sin(), heading.cos(), 0.0);
    let (hl, hw) = (look.length_m * 0.5, look.width_m * 0.5);
    let top = if look.loaded { BED_TOP + 0.9 } else { 3.0 };
    let mut out = [V3::default(); 8];
    let mut i = 0;
    for f in [-hl, hl] {
        for l in [-hw, hw] {
            for z in [0.0, top] {
                out[i] = pos + fwd * f + left * l + V3::new(0.0, 0.0, z);
                i += 1;
            }
        }
    }
    out
}

/// Emits the truck's ops.
pub(crate) fn emit(e: &mut Emitter<'_>, pos: V3, heading: f32, look: &TruckLook) {
    let fwd = V3::new(heading.cos(), heading.sin(), 0.0);
    let left = V3::new(-heading.sin(), heading.cos(), 0.0);
    let up = V3::new(0.0, 0.0, 1.0);
    let len = look.length_m.max(CAB_L + 1.5);
    let (hl, hw) = (len * 0.5, look.width_m.max(1.2) * 0.5);
    let cam_side = if left.dot(e.cam.centre - pos) > 0.0 {
        1.0
    } else {
        -1.0
    };

    // Wheels: the far side first, then chassis, then the near side.
    let axles = [hl - 1.0, -hl + 1.1, -hl + 2.3];
    let wheel = |e: &mut Emitter<'_>, side: f32| {
        for &x in &axles {
            let c = pos + fwd * x + left * ((hw - 0.05) * side) + up * 0.55;
            let n = left * side;
            let tyre = ellipse_pts(c, fwd * 0.55, up * 0.55, 14);
            e.poly(&tyre, n, TYRE, Mat::Diffuse);
            let hub = ellipse_pts(c + n * 0.02, fwd * 0.22, up * 0.22, 10);
            e.poly(&hub, n, HUB, Mat::Diffuse);
        }
    };
    wheel(e, -cam_side);
    let chassis = upright_box(pos + up * 0.8, fwd, left, [hl - 0.05, hw * 0.85, 0.22]);
    e.cuboid(&chassis, CHASSIS, |_, _| {});
    wheel(e, cam_side);

    // Cab and bed, the farther first.
    let cab_c = pos + fwd * (hl - CAB_L * 0.5) + up * 1.95;
    let bed_len = len - CAB_L - 0.15;
    let bed_c = pos + fwd * (-hl + bed_len * 0.5) + up * ((1.02 + BED_TOP) * 0.5);
    let cab_first = e.cam.depth(cab_c) > e.cam.depth(bed_c);
    let draw_cab = |e: &mut Emitter<'_>| {
        let cab = upright_box(cab_c, fwd, left, [CAB_L * 0.5, hw * 0.94, 0.95]);
        e.cuboid(&cab, look.cab, |e, f| match (f.axis, f.sign > 0.0) {
            (0, true) => {
                // Front: windscreen over the upper half, two headlights low.
                e.poly(
                    &f.sub(0.08, 0.92, 0.52, 0.92),
                    f.normal,
                    GLASS,
                    Mat::Diffuse,
                );
                e.poly(
                    &f.sub(0.06, 0.22, 0.10, 0.22),
                    f.normal,
                    HEADLIGHT,
                    Mat::Emissive,
                );
                e.poly(
                    &f.sub(0.78, 0.94, 0.10, 0.22),
                    f.normal,
                    HEADLIGHT,
                    Mat::Emissive,
                );
                e.poly(&f.sub(0.3, 0.7, 0.12, 0.3), f.normal, CHASSIS, Mat::Diffuse);
            }
            (1, _) => {
                // Side window (u runs along the truck: 0 back … 1 front).
                e.poly(&f.sub(0.15, 0.85, 0.5, 0.9), f.normal, GLASS, Mat::Diffuse);
            }
            (0, false) => {
                e.poly(&f.sub(0.2, 0.8, 0.6, 0.9), f.normal, GLASS, Mat::Diffuse);
            }
            _ => {}
        });
    };
    let draw_bed = |e: &mut Emitter<'_>| {
        let bed = upright_box(
            bed_c,
            fwd,
            left,
            [bed_len * 0.5, hw, (BED_TOP - 1.02) * 0.5],
        );
        let loaded = look.loaded;
        e.cuboid(&bed, BED, |e, f| {
            if f.axis == 2 && f.sign > 0.0 {
                // Open top: the inside floor, or the ore heap.
                e.poly(
                    &f.sub(0.04, 0.96, 0.06, 0.94),
                    f.normal,
                    BED_INSIDE,
                    Mat::Diffuse,
                );
                if loaded {
                    let base = [
                        f.at(0.05, 0.08),
                        f.at(0.95, 0.08),
                        f.at(0.95, 0.92),
                        f.at(0.05, 0.92),
                    ];
                    let ridge_h = up * 0.85;
                    let mut pts = base.to_vec();
                    pts.push(f.at(0.25, 0.5) + ridge_h);
                    pts.push(f.at(0.75, 0.5) + ridge_h);
                    pts.push(f.at(0.5, 0.3) + ridge_h * 0.8);
                    pts.push(f.at(0.5, 0.7) + ridge_h * 0.8);
                    e.hull(&pts, ORE, Mat::Diffuse, 0.95);
                    // Lighter lumps on the heap.
                    for (i, (u, v)) in [
                        (0.3, 0.4),
                        (0.55, 0.6),
                        (0.7, 0.35),
                        (0.42, 0.7),
                        (0.62, 0.45),
                        (0.2, 0.6),
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        let hgt = 0.55 + 0.05 * (i % 3) as f32;
                        e.ball(
                            f.at(u, v) + ridge_h * hgt,
                            0.16,
                            ORE_LIGHT,
                            Mat::Diffuse,
                            1.0,
                        );
                    }
                }
            } else if f.axis == 1 {
                // Ribs on the sides.
                for k in 1..4 {
                    let u = k as f32 / 4.0;
                    e.poly(
                        &f.sub(u - 0.015, u + 0.015, 0.0, 1.0),
                        f.normal,
                        [120, 95, 45],
                        Mat::Diffuse,
                    );
                }
            }
        });
    };
    if cab_first {
        draw_cab(e);
        draw_bed(e);
    } else {
        draw_bed(e);
        draw_cab(e);
    }
}
