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

/// A point's base colour (linear 0..1), its reflectance in near infrared (850 nm, what an IR
/// camera sees under its illuminator) and its finish.
///
/// Visible colour says little about NIR: most textile dyes are transparent there, so navy and
/// grey work wear look light grey at night, unless the dye is carbon black; skin is bright, hair,
/// pupils, rubber and coal dust stay dark. Figures from published NIR reflectance of fabrics and
/// skin (roughly: undyed cotton 0.7–0.8, dyed cotton/polyester 0.4–0.7, carbon-black dyes 0.1,
/// skin 0.5–0.6, black hair 0.1–0.2, coal 0.05).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Surface {
    pub rgb: [f32; 3],
    pub nir: f32,
    pub finish: Finish,
}

impl Surface {
    pub const fn new(rgb: [f32; 3], nir: f32, finish: Finish) -> Surface {
        Surface { rgb, nir, finish }
    }
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
    /// NIR reflectance of the jacket, the trousers and the vest (or coverall): drawn per
    /// person, since the same visible colour can be any of them.
    pub nir_jacket: f32,
    pub nir_trousers: f32,
    pub nir_vest: f32,
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

const HAIR: Surface = Surface::new([0.012, 0.010, 0.009], 0.14, Finish::Skin);
const PUPIL: Surface = Surface::new([0.018, 0.014, 0.012], 0.10, Finish::Skin);
const BROW: Surface = Surface::new([0.012, 0.010, 0.009], 0.20, Finish::Skin);
const TAPE: Surface = Surface::new([0.55, 0.56, 0.58], 0.8, Finish::Retro);
const RUBBER: Surface = Surface::new([0.018, 0.018, 0.02], 0.05, Finish::Gloss);
const GLOVE: Surface = Surface::new([0.62, 0.60, 0.55], 0.72, Finish::Cloth);
const BELT: Surface = Surface::new([0.02, 0.018, 0.015], 0.12, Finish::Cloth);
/// Coal dust: black in visible light and in NIR.
const DUST: [f32; 3] = [0.03, 0.028, 0.026];
const DUST_NIR: f32 = 0.05;
/// NIR reflectance of skin (850 nm; a little lower for darker skin).
const SKIN_NIR: f32 = 0.55;

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
            let t = 0.25 * self.dirt;
            return Surface {
                rgb: mix(s.rgb, DUST, t),
                nir: s.nir + (DUST_NIR - s.nir) * t,
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
            nir: s.nir * k + (DUST_NIR - s.nir * k) * dust,
            finish: s.finish,
        }
    }

    fn base(&self, part: usize, p: V3, joints: &[V3]) -> Surface {
        let cloth = |rgb, nir| Surface::new(rgb, nir, Finish::Cloth);
        let skin = Surface::new(self.skin, self.skin_nir(), Finish::Skin);
        let (suit, suit_nir) = if self.cut == Cut::Coverall {
            (self.vest, self.nir_vest)
        } else {
            (self.clothes, self.nir_trousers)
        };
        let band = |z: f32, lo: f32| (lo..lo + 0.05).contains(&z);
        match part {
            bone::HEAD => {
                let hair = p.z > 1.60 || (p.z > 1.50 && p.x < -0.01);
                if hair { HAIR } else { self.face(p) }
            }
            bone::NECK if p.z > 1.43 => skin,
            bone::HAND_L | bone::HAND_R if self.gloves => GLOVE,
            bone::HAND_L | bone::HAND_R => skin,
            bone::FOOT_L | bone::FOOT_R => RUBBER,
            bone::THIGH_L | bone::THIGH_R | bone::SHIN_L | bone::SHIN_R => {
                if p.z < self.boot_top {
                    RUBBER
                } else if self.cut != Cut::Vest && band(p.z, self.boot_top.max(0.40) + 0.04) {
                    TAPE
                } else {
                    cloth(suit, suit_nir)
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
                    TAPE
                } else {
                    cloth(suit, self.jacket_nir())
                }
            }
            _ => self.torso(p, suit),
        }
    }

    fn skin_nir(&self) -> f32 {
        // Darker skin reflects a little less at 850 nm.
        SKIN_NIR * (0.85 + 0.15 * self.skin[0].sqrt() / 0.8).min(1.05)
    }

    fn jacket_nir(&self) -> f32 {
        if self.cut == Cut::Coverall {
            self.nir_vest
        } else {
            self.nir_jacket
        }
    }

    /// Skin with the face's features on the front of the head: eyes, brows and lips. Their
    /// places are the MakeHuman mesh's own (eye centres at x 0.110, y ±0.031, z 1.545; the mouth
    /// joint at z 1.505, from the `helper-*-eye` and `joint-mouth` groups of the base mesh).
    fn face(&self, p: V3) -> Surface {
        let skin = Surface::new(self.skin, self.skin_nir(), Finish::Skin);
        if p.x < 0.085 {
            return skin;
        }
        let (y, z) = (p.y.abs(), p.z);
        let eye = ((y - 0.031) / 0.016).powi(2) + ((z - 1.545) / 0.009).powi(2);
        if eye < 1.0 {
            return PUPIL;
        }
        if (1.558..1.568).contains(&z) && (0.012..0.052).contains(&y) {
            return BROW;
        }
        let scaled = |r: [f32; 3], n: f32| Surface::new(r, skin.nir * n, Finish::Skin);
        if (1.490..1.502).contains(&z) && y < 0.022 {
            let s = self.skin;
            return scaled([s[0] * 0.75, s[1] * 0.45, s[2] * 0.45], 0.85);
        }
        if eye < 2.2 {
            // The socket's shade around the eye.
            return scaled(self.skin.map(|c| c * 0.7), 0.75);
        }
        skin
    }

    fn torso(&self, p: V3, suit: [f32; 3]) -> Surface {
        let cloth = |rgb, nir| Surface::new(rgb, nir, Finish::Cloth);
        if (0.93..0.97).contains(&p.z) && self.cut != Cut::Coverall {
            return BELT;
        }
        if p.z < 0.93 {
            return if self.cut == Cut::Coverall {
                cloth(self.vest, self.nir_vest)
            } else {
                cloth(self.clothes, self.nir_trousers)
            };
        }
        let band = |lo: f32| (lo..lo + 0.05).contains(&p.z);
        match self.cut {
            Cut::Vest if p.z < 1.43 => {
                let brace = p.z > 1.14 && (0.06..0.10).contains(&p.y.abs());
                if band(1.02) || band(1.10) || brace {
                    TAPE
                } else {
                    cloth(self.vest, self.nir_vest)
                }
            }
            Cut::Uniform | Cut::Coverall if band(1.20) => TAPE,
            _ => cloth(suit, self.jacket_nir()),
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

    fn outfit(dirt: f32) -> Outfit {
        Outfit {
            cut: Cut::Uniform,
            clothes: lin([30, 40, 90]),
            vest: lin([240, 200, 0]),
            skin: lin([190, 150, 120]),
            nir_jacket: 0.6,
            nir_trousers: 0.5,
            nir_vest: 0.7,
            boot_top: 0.38,
            gloves: false,
            dirt,
            seed: 9,
        }
    }

    #[test]
    fn the_face_keeps_its_features_and_coal_dust_stays_dark_in_near_infrared() {
        let o = outfit(0.5);
        let joints = vec![V3::default(); 32];
        // Issue 16: under the IR illuminator the eyes and hair must stay darker than the skin
        // (they were all one grey before), and navy cloth must read light.
        let skin = o.base(bone::HEAD, V3::new(0.10, 0.0, 1.52), &joints);
        let pupil = o.base(bone::HEAD, V3::new(0.11, 0.031, 1.545), &joints);
        let hair = o.base(bone::HEAD, V3::new(0.0, 0.0, 1.63), &joints);
        assert!(pupil.nir < 0.5 * skin.nir && hair.nir < 0.5 * skin.nir);
        let jacket = o.base(bone::SPINE, V3::new(0.1, 0.0, 1.3), &joints);
        assert!(
            jacket.nir > 0.4,
            "navy cloth reads light in NIR: {}",
            jacket.nir
        );
        // Heavy dust pulls cloth towards coal's NIR, never up.
        let p = V3::new(0.1, 0.05, 0.6);
        let clean = o.surface(bone::THIGH_L as u8, p, &joints, 1.0, 0.0);
        let dusty = o.surface(bone::THIGH_L as u8, p, &joints, 1.0, 0.8);
        assert!(
            dusty.nir < 0.4 * clean.nir,
            "{} vs {}",
            dusty.nir,
            clean.nir
        );
    }

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
