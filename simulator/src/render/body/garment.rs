//! What a miner wears, as a function of the point on the body: work jacket and trousers, a
//! high-visibility vest or a coverall, retro-reflective tape, rubber boots, gloves, skin and hair
//! — with fabric grain, folds and coal dust from 3-D value noise in the body's rest frame, so the
//! pattern moves with the body.
//!
//! Garment edges are heights and distances on the rest mesh (1.66 m tall, feet on z = 0), chosen
//! from photographs of Chinese coal-mine work wear (矿工服): dark blue or grey jackets and
//! trousers with silver reflective bands at the chest, arms and below the knee; orange or
//! yellow vests with two bands around the waist and braces over the shoulders; black rubber
//! knee boots; white cotton gloves.

use super::asset::bone;
use crate::render::num::floor;
use crate::render::vector::V3;

/// How a surface answers light.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finish {
    /// Woven cloth: matte.
    Cloth,
    /// Skin: matte with a little sheen.
    Skin,
    /// Rubber and plastic: a little sheen.
    Gloss,
    /// Retro-reflective tape: returns light toward its source.
    Retro,
}

/// A point's base colour (linear 0..1) and finish.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Surface {
    pub rgb: [f32; 3],
    pub finish: Finish,
}

/// The cut of the outer garment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cut {
    /// Jacket and trousers with reflective bands (the common coal-mine uniform).
    Uniform,
    /// Jacket and trousers with a high-visibility vest over them.
    Vest,
    /// One-piece coverall in the vest colour, with bands.
    Coverall,
}

/// One person's clothes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Outfit {
    pub cut: Cut,
    pub clothes: [f32; 3],
    pub vest: [f32; 3],
    pub skin: [f32; 3],
    /// Top of the boots above the ground (m, rest mesh): knee boots ~0.38, shoes ~0.12.
    pub boot_top: f32,
    pub gloves: bool,
    /// Coal dust, 0 (clean) ..= 1.
    pub dirt: f32,
    /// Seed of the noise pattern.
    pub seed: u32,
}

/// sRGB byte → linear 0..1 (a cheap square law, as the rest of the renderer uses).
pub(crate) fn lin(c: [u8; 3]) -> [f32; 3] {
    c.map(|v| {
        let x = v as f32 / 255.0;
        x * x
    })
}

const HAIR: [f32; 3] = [0.012, 0.010, 0.009];
const TAPE: [f32; 3] = [0.55, 0.56, 0.58];
const RUBBER: [f32; 3] = [0.018, 0.018, 0.02];
const GLOVE: [f32; 3] = [0.62, 0.60, 0.55];
const BELT: [f32; 3] = [0.02, 0.018, 0.015];
const DUST: [f32; 3] = [0.03, 0.028, 0.026];

impl Outfit {
    /// The surface at rest-frame point `p` of a triangle carried by bone `part`.
    /// Low-frequency cloth variation at a rest-frame point, computed per vertex and
    /// interpolated: (fold shading factor, coal-dust amount).
    pub fn folds_and_dust(&self, p: V3) -> (f32, f32) {
        let folds =
            1.0 + 0.22 * (noise(V3::new(p.x * 9.0, p.y * 9.0, p.z * 22.0), self.seed ^ 7) - 0.5);
        // Dust: patchy, heavier low on the legs.
        let low = (1.0 - p.z / 0.9).clamp(0.0, 1.0);
        let d = noise(p * 7.0, self.seed ^ 0x55) * (0.5 + low);
        (folds, (self.dirt * d * 0.9).clamp(0.0, 0.85))
    }

    /// The surface at rest-frame point `p` of a triangle carried by bone `part`, with the
    /// interpolated [`Outfit::folds_and_dust`] there.
    #[inline(always)]
    pub fn surface(&self, part: u8, p: V3, joints: &[V3], folds: f32, dust: f32) -> Surface {
        let s = self.base(part as usize, p, joints);
        if s.finish == Finish::Retro {
            // Tape gets dusty too, but stays bright.
            return Surface {
                rgb: mix(s.rgb, DUST, 0.25 * self.dirt),
                ..s
            };
        }
        // The weave: one lattice value per 1.1 cm cell (finer than a pixel at CCTV range).
        let cell = |v: f32| floor(v * 90.0) as i32;
        let grain = 1.0 + 0.07 * (hash(cell(p.x), cell(p.y), cell(p.z), self.seed) - 0.5);
        let k = match s.finish {
            Finish::Cloth => grain * folds,
            Finish::Skin => 1.0 + 0.5 * (grain - 1.0),
            _ => folds.sqrt(),
        };
        Surface {
            rgb: mix(s.rgb.map(|c| c * k), DUST, dust),
            finish: s.finish,
        }
    }

    fn base(&self, part: usize, p: V3, joints: &[V3]) -> Surface {
        let cloth = |rgb| Surface {
            rgb,
            finish: Finish::Cloth,
        };
        let tape = Surface {
            rgb: TAPE,
            finish: Finish::Retro,
        };
        let suit = if self.cut == Cut::Coverall {
            self.vest
        } else {
            self.clothes
        };
        let band = |z: f32, lo: f32| (lo..lo + 0.05).contains(&z);
        match part {
            bone::HEAD => {
                let hair = p.z > 1.60 || (p.z > 1.50 && p.x < -0.01);
                Surface {
                    rgb: if hair { HAIR } else { self.face(p) },
                    finish: Finish::Skin,
                }
            }
            bone::NECK if p.z > 1.43 => Surface {
                rgb: self.skin,
                finish: Finish::Skin,
            },
            bone::HAND_L | bone::HAND_R => {
                if self.gloves {
                    cloth(GLOVE)
                } else {
                    Surface {
                        rgb: self.skin,
                        finish: Finish::Skin,
                    }
                }
            }
            bone::FOOT_L | bone::FOOT_R => Surface {
                rgb: RUBBER,
                finish: Finish::Gloss,
            },
            bone::THIGH_L | bone::THIGH_R | bone::SHIN_L | bone::SHIN_R => {
                if p.z < self.boot_top {
                    Surface {
                        rgb: RUBBER,
                        finish: Finish::Gloss,
                    }
                } else if self.cut != Cut::Vest && band(p.z, self.boot_top.max(0.40) + 0.04) {
                    tape
                } else {
                    cloth(suit)
                }
            }
            bone::UPPERARM_L | bone::UPPERARM_R | bone::FOREARM_L | bone::FOREARM_R => {
                let elbow = if part == bone::UPPERARM_L || part == bone::FOREARM_L {
                    joints[bone::FOREARM_L]
                } else {
                    joints[bone::FOREARM_R]
                };
                let d = (p - elbow).len();
                let on_forearm = part == bone::FOREARM_L || part == bone::FOREARM_R;
                if self.cut != Cut::Vest && on_forearm && (0.07..0.11).contains(&d) {
                    tape
                } else {
                    cloth(suit)
                }
            }
            _ => self.torso(p, suit, tape),
        }
    }

    /// Skin with the face's features on the front of the head: eyes, brows and lips. Their
    /// places are the MakeHuman mesh's own (eye centres at x 0.110, y ±0.031, z 1.545; the mouth
    /// joint at z 1.505, from the `helper-*-eye` and `joint-mouth` groups of the base mesh).
    fn face(&self, p: V3) -> [f32; 3] {
        if p.x < 0.085 {
            return self.skin;
        }
        let (y, z) = (p.y.abs(), p.z);
        let eye = ((y - 0.031) / 0.016).powi(2) + ((z - 1.545) / 0.009).powi(2);
        if eye < 1.0 {
            return [0.018, 0.014, 0.012];
        }
        if (1.558..1.568).contains(&z) && (0.012..0.052).contains(&y) {
            return HAIR;
        }
        if (1.490..1.502).contains(&z) && y < 0.022 {
            return [
                self.skin[0] * 0.75,
                self.skin[1] * 0.45,
                self.skin[2] * 0.45,
            ];
        }
        if eye < 2.2 {
            // The socket's shade around the eye.
            return self.skin.map(|c| c * 0.7);
        }
        self.skin
    }

    fn torso(&self, p: V3, suit: [f32; 3], tape: Surface) -> Surface {
        let cloth = |rgb| Surface {
            rgb,
            finish: Finish::Cloth,
        };
        if (0.93..0.97).contains(&p.z) && self.cut != Cut::Coverall {
            return cloth(BELT);
        }
        if p.z < 0.93 {
            return cloth(if self.cut == Cut::Coverall {
                self.vest
            } else {
                self.clothes
            });
        }
        let band = |lo: f32| (lo..lo + 0.05).contains(&p.z);
        match self.cut {
            Cut::Vest if p.z < 1.43 => {
                let brace = p.z > 1.14 && (0.06..0.10).contains(&p.y.abs());
                if band(1.02) || band(1.10) || brace {
                    tape
                } else {
                    cloth(self.vest)
                }
            }
            Cut::Uniform | Cut::Coverall if band(1.20) => tape,
            _ => cloth(suit),
        }
    }
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn hash(x: i32, y: i32, z: i32, seed: u32) -> f32 {
    let mut h = (x as u32).wrapping_mul(0x8da6_b343)
        ^ (y as u32).wrapping_mul(0xd816_3841)
        ^ (z as u32).wrapping_mul(0xcb1a_b31f)
        ^ seed.wrapping_mul(0x9e37_79b9);
    h ^= h >> 15;
    h = h.wrapping_mul(0x2c1b_3c6d);
    h ^= h >> 12;
    h = h.wrapping_mul(0x297a_2d39);
    h ^= h >> 15;
    (h & 0xffff) as f32 / 65535.0
}

/// Trilinear value noise in 0..1 at lattice spacing 1.
pub(crate) fn noise(p: V3, seed: u32) -> f32 {
    let (fx, fy, fz) = (floor(p.x), floor(p.y), floor(p.z));
    let (x, y, z) = (fx as i32, fy as i32, fz as i32);
    let s = |t: f32| t * t * (3.0 - 2.0 * t);
    let (tx, ty, tz) = (s(p.x - fx), s(p.y - fy), s(p.z - fz));
    let l = |a: f32, b: f32, t: f32| a + (b - a) * t;
    let c = |dx, dy, dz| hash(x + dx, y + dy, z + dz, seed);
    l(
        l(
            l(c(0, 0, 0), c(1, 0, 0), tx),
            l(c(0, 1, 0), c(1, 1, 0), tx),
            ty,
        ),
        l(
            l(c(0, 0, 1), c(1, 0, 1), tx),
            l(c(0, 1, 1), c(1, 1, 1), tx),
            ty,
        ),
        tz,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_deterministic_bounded_and_continuous() {
        let p = V3::new(0.37, -1.2, 4.9);
        assert_eq!(noise(p, 3), noise(p, 3));
        assert_ne!(noise(p, 3), noise(p, 4));
        for i in 0..1000 {
            let q = V3::new(i as f32 * 0.173, i as f32 * -0.051, 0.3);
            let n = noise(q, 1);
            assert!((0.0..=1.0).contains(&n));
            let e = noise(q + V3::new(1e-3, 0.0, 0.0), 1);
            assert!((n - e).abs() < 0.01);
        }
    }
}
