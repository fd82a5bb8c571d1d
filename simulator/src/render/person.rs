//! A walking miner as an articulated body: legs with a walking cycle, arms swinging opposite,
//! a torso box in a reflective vest, neck, head (face toward the camera when facing it), a helmet
//! dome with brim and cap lamp, and optionally a tool over the shoulder.
//!
//! Proportions scale with `height_m`. Parts are ordered for the painter: legs, the arm farther
//! than the torso, torso and vest stripes, the nearer arm, neck, head, helmet, lamp; the tool
//! before or after the body by its depth.

use std::f32::consts::TAU;

use super::emit::{Emitter, upright_box};
use super::geom::{Face, Mat};
use super::vector::V3;
use crate::scene::PersonLook;

const SKIN: [u8; 3] = [198, 150, 112];
const HAIR: [u8; 3] = [38, 30, 26];
const BOOTS: [u8; 3] = [30, 27, 25];
const TAPE: [u8; 3] = [222, 224, 218];
const HANDLE: [u8; 3] = [130, 92, 52];
const STEEL: [u8; 3] = [120, 124, 128];
const LAMP_ON: [u8; 3] = [255, 250, 215];
const LAMP_OFF: [u8; 3] = [55, 55, 52];

/// Which side of a person the camera sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    Front,
    Back,
    Side,
}

/// Frame of a person: ground point, forward, left, up.
#[derive(Debug, Clone, Copy)]
struct Body {
    p: V3,
    fwd: V3,
    left: V3,
    s: f32,
}

impl Body {
    fn at(&self, f: f32, l: f32, z: f32) -> V3 {
        self.p + self.fwd * (f * self.s) + self.left * (l * self.s) + V3::new(0.0, 0.0, z * self.s)
    }
}

/// What side of the person faces the camera.
pub(crate) fn view_of(pos: V3, heading: f32, cam_centre: V3) -> View {
    let to_cam = V3::new(cam_centre.x - pos.x, cam_centre.y - pos.y, 0.0).norm();
    let fwd = V3::new(heading.cos(), heading.sin(), 0.0);
    let d = fwd.dot(to_cam);
    if d > 0.5 {
        View::Front
    } else if d < -0.5 {
        View::Back
    } else {
        View::Side
    }
}

/// Head-and-shoulders region: corners of a box from chest to helmet top, shoulder wide.
pub(crate) fn head_shoulder_pts(pos: V3, heading: f32, look: &PersonLook) -> [V3; 8] {
    let b = body(pos, heading, look);
    let mut out = [V3::default(); 8];
    let mut i = 0;
    for f in [-0.15f32, 0.15] {
        for l in [-0.26f32, 0.26] {
            for z in [1.30f32, 1.80] {
                out[i] = b.at(f, l, z);
                i += 1;
            }
        }
    }
    out
}

fn body(pos: V3, heading: f32, look: &PersonLook) -> Body {
    let fwd = V3::new(heading.cos(), heading.sin(), 0.0);
    let left = V3::new(-heading.sin(), heading.cos(), 0.0);
    // Model units: a 1.75 m person; `s` scales everything.
    Body {
        p: pos,
        fwd,
        left,
        s: look.height_m.clamp(0.5, 2.5) / 1.75,
    }
}

fn darker(c: [u8; 3], k: f32) -> [u8; 3] {
    c.map(|v| (v as f32 * k) as u8)
}

/// Emits the person's ops; returns the side the camera sees.
pub(crate) fn emit(e: &mut Emitter<'_>, pos: V3, heading: f32, look: &PersonLook) -> View {
    let b = body(pos, heading, look);
    let view = view_of(pos, heading, e.cam.centre);
    let s = b.s;
    let swing = if look.walking {
        (look.gait_phase * TAU).sin()
    } else {
        0.0
    };
    let to_cam = (e.cam.centre - pos).norm();
    let cam_left = b.left.dot(to_cam); // > 0: the person's left side is toward the camera
    let up = V3::new(0.0, 0.0, 1.0);

    // Legs: hip 0.93, thigh 0.43, shin 0.44, foot ~0.06 above ground when straight.
    let mut legs: Vec<(f32, [V3; 3])> = Vec::with_capacity(2);
    for (side, sw) in [(1.0f32, swing), (-1.0f32, -swing)] {
        let thigh = 0.42 * sw;
        let bend = 0.75 * (-sw).max(0.0) * if look.walking { 1.0 } else { 0.0 };
        let shin = thigh - bend;
        let hip = b.at(0.0, 0.095 * side, 0.93);
        let knee = hip + (b.fwd * thigh.sin() - up * thigh.cos()) * (0.43 * s);
        let foot = knee + (b.fwd * shin.sin() - up * shin.cos()) * (0.44 * s);
        legs.push((e.cam.depth(knee), [hip, knee, foot]));
    }
    legs.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, [hip, knee, foot]) in &legs {
        let f = e.facing(b.left * cam_left.signum(), *knee);
        e.stroke(
            &[*hip, *knee, *foot],
            0.15 * s,
            look.clothes,
            Mat::Diffuse,
            f,
        );
        let toe = *foot + b.fwd * (0.13 * s) + up * (0.0);
        e.stroke(
            &[*foot - b.fwd * (0.03 * s), toe],
            0.11 * s,
            BOOTS,
            Mat::Diffuse,
            f,
        );
    }

    // Arms: shoulder 1.43; upper arm 0.30, forearm 0.27; swing opposite to the same-side leg.
    let torso_c = b.at(0.0, 0.0, 1.18);
    let torso_depth = e.cam.depth(torso_c);
    let mut arms: Vec<(f32, [V3; 3], bool)> = Vec::with_capacity(2);
    for (side, sw) in [(1.0f32, -swing), (-1.0f32, swing)] {
        let carry = look.carrying_tool && side < 0.0;
        let shoulder = b.at(0.0, 0.215 * side, 1.42);
        let (elbow, hand) = if carry {
            // Right hand up at the shoulder, holding the handle.
            let elbow =
                shoulder + b.fwd * (0.18 * s) - up * (0.16 * s) + b.left * (0.04 * s * side);
            let hand = shoulder + b.fwd * (0.16 * s) + up * (0.05 * s);
            (elbow, hand)
        } else {
            let a = 0.38 * sw;
            let out = b.left * (0.03 * s * side);
            let elbow = shoulder + (b.fwd * a.sin() - up * a.cos()) * (0.30 * s) + out;
            let fa = a + 0.25 * look.walking as u8 as f32 + 0.1;
            let hand = elbow + (b.fwd * fa.sin() - up * fa.cos()) * (0.27 * s) + out;
            (elbow, hand)
        };
        let mid = shoulder.lerp(hand, 0.5);
        arms.push((e.cam.depth(mid), [shoulder, elbow, hand], carry));
    }
    arms.sort_by(|a, b| b.0.total_cmp(&a.0));
    let draw_arm = |e: &mut Emitter<'_>, pts: &[V3; 3]| {
        let f = e.facing(b.left * cam_left.signum(), pts[1]);
        e.stroke(&pts[..], 0.105 * s, look.clothes, Mat::Diffuse, f);
        e.ball(pts[2], 0.05 * s, SKIN, Mat::Diffuse, 1.0);
    };

    // Tool over the right shoulder: handle from in front of the shoulder, back and up.
    let tool = if look.carrying_tool {
        let sh = b.at(0.0, -0.17, 1.47);
        let front = sh + b.fwd * (0.35 * s) - up * (0.12 * s);
        let back = sh - b.fwd * (0.75 * s) + up * (0.38 * s);
        Some((front, back))
    } else {
        None
    };
    let tool_first = tool.is_some_and(|(f, k)| e.cam.depth(f.lerp(k, 0.5)) > torso_depth);
    let draw_tool = |e: &mut Emitter<'_>| {
        if let Some((front, back)) = tool {
            e.stroke(&[front, back], 0.04 * s, HANDLE, Mat::Diffuse, 0.9);
            // Pick head across the end of the handle.
            let head_a = back + up * (0.12 * s) + b.fwd * (0.06 * s);
            let head_b = back - up * (0.14 * s) - b.fwd * (0.04 * s);
            e.stroke(&[head_a, back, head_b], 0.045 * s, STEEL, Mat::Diffuse, 1.0);
        }
    };
    if tool_first {
        draw_tool(e);
    }
    for (d, pts, _) in &arms {
        if *d > torso_depth {
            draw_arm(e, pts);
        }
    }

    // Torso: box from hips to shoulders, vest colour; tape bands all round, braces in front, X
    // on the back.
    let torso = upright_box(
        b.at(0.0, 0.0, 1.18),
        b.fwd,
        b.left,
        [0.115 * s, 0.205 * s, 0.27 * s],
    );
    let vest = look.vest;
    let faced = view;
    e.cuboid(&torso, vest, |e, f: &Face| {
        if f.axis == 2 {
            return;
        }
        for (v0, v1) in [(0.30f32, 0.38f32), (0.58, 0.66)] {
            e.poly(&f.sub(0.0, 1.0, v0, v1), f.normal, TAPE, Mat::Retro);
        }
        if f.axis == 0 && f.sign > 0.0 {
            for (u0, u1) in [(0.20f32, 0.30f32), (0.70, 0.80)] {
                e.poly(&f.sub(u0, u1, 0.66, 1.0), f.normal, TAPE, Mat::Retro);
            }
            // Zip of the vest, clothes showing.
            e.poly(
                &f.sub(0.47, 0.53, 0.0, 1.0),
                f.normal,
                look.clothes,
                Mat::Diffuse,
            );
        }
        if f.axis == 0 && f.sign < 0.0 {
            let lift = f.normal * 0.005;
            let w = 0.07;
            for (a, c) in [
                ((0.0f32, 1.0f32), (1.0f32, 0.66f32)),
                ((1.0, 1.0), (0.0, 0.66)),
            ] {
                let p0 = f.at(a.0, a.1) + lift;
                let p1 = f.at(c.0, c.1) + lift;
                let off = V3::new(0.0, 0.0, w * s);
                e.poly(
                    &[p0 - off, p1 - off, p1 + off, p0 + off],
                    f.normal,
                    TAPE,
                    Mat::Retro,
                );
            }
        }
    });
    let _ = faced;
    for (d, pts, _) in &arms {
        if *d <= torso_depth {
            draw_arm(e, pts);
        }
    }
    if !tool_first {
        draw_tool(e);
    }

    // Neck and head.
    e.stroke(
        &[b.at(0.0, 0.0, 1.44), b.at(0.0, 0.0, 1.56)],
        0.10 * s,
        SKIN,
        Mat::Diffuse,
        0.9,
    );
    let head = b.at(0.01, 0.0, 1.62);
    let r = 0.105 * s;
    let head_rgb = match view {
        View::Front | View::Side => SKIN,
        View::Back => HAIR,
    };
    e.ball(head, r, head_rgb, Mat::Diffuse, 1.0);
    if view == View::Side {
        // Back of the head shows hair on the far half.
        e.ball(head - b.fwd * (0.035 * s), r * 0.8, HAIR, Mat::Diffuse, 1.0);
        e.ball(head + b.fwd * (0.03 * s), r * 0.78, SKIN, Mat::Diffuse, 1.0);
    }
    if view == View::Front {
        // Eyes and mouth: small dark marks give the face away at larger sizes.
        let eye_z = 0.01 * s;
        for l in [-0.035f32, 0.035] {
            e.ball(
                head + b.fwd * (0.095 * s) + b.left * (l * s) + up * eye_z,
                0.012 * s,
                HAIR,
                Mat::Diffuse,
                1.0,
            );
        }
    }

    // Helmet: dome over the head's upper half plus a brim, a little forward.
    let hc = head + up * (0.015 * s) + b.fwd * (0.005 * s);
    let mut pts: Vec<V3> = Vec::with_capacity(60);
    let rr = r * 1.12;
    for ring in 0..4 {
        let el = ring as f32 / 4.0 * std::f32::consts::FRAC_PI_2;
        for k in 0..12 {
            let az = k as f32 / 12.0 * TAU;
            let dir =
                b.fwd * (az.cos() * el.cos()) + b.left * (az.sin() * el.cos()) + up * el.sin();
            pts.push(hc + dir * rr);
        }
    }
    pts.push(hc + up * rr);
    for k in 0..12 {
        let az = k as f32 / 12.0 * TAU;
        let reach = if az.cos() > 0.0 { 1.35 } else { 1.18 };
        pts.push(hc + (b.fwd * az.cos() + b.left * az.sin()) * (rr * reach) - up * (0.01 * s));
    }
    let f_helmet = e.facing(to_cam, hc);
    e.hull(&pts, look.helmet, Mat::Diffuse, f_helmet.max(0.85));
    // Helmet ridge line for shape.
    let ridge = [
        hc + b.fwd * (rr * 0.9) + up * (rr * 0.45),
        hc + up * (rr * 1.02),
        hc - b.fwd * (rr * 0.9) + up * (rr * 0.45),
    ];
    e.stroke(
        &ridge,
        0.02 * s,
        darker(look.helmet, 0.8),
        Mat::Diffuse,
        1.0,
    );

    // Cap lamp on the helmet front, seen unless from behind.
    let lamp = hc + b.fwd * (rr * 0.98) + up * (rr * 0.35);
    if b.fwd.dot(to_cam) > -0.25 {
        if look.lamp_on {
            e.ball(lamp, 0.09 * s, LAMP_ON, Mat::Glow, 0.35);
            e.ball(lamp, 0.028 * s, LAMP_ON, Mat::Emissive, 1.0);
        } else {
            e.ball(lamp, 0.026 * s, LAMP_OFF, Mat::Diffuse, 1.0);
        }
    }
    view
}
