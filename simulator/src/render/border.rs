//! The pixels of an object beyond the image border, were the image unbounded.
//!
//! The id mask only holds what falls inside the image, so an object cut by the border would
//! otherwise look whole. Its mask shapes are drawn alone, exactly as into the id mask (flat, not
//! anti-aliased), into a scratch canvas shifted by a whole number of pixels so that the canvas
//! covers the object's full projected bounds; the drawn pixels that map outside the image are
//! counted. The pixels inside the image are not taken from the scratch but measured on the image
//! itself by the caller, so the truth stays pixel-exact with the id mask.

use tiny_skia::{Pixmap, Transform};

use super::body::Mesh;
use super::geom::Op;
use super::light::Light;
use super::raster::{Coverage, SVert};
use super::{clear_rect, draw_ops_with, mask_bounds};

/// Halvings at most: past 2^-20 an object is far larger than any image could show.
const MAX_HALVINGS: u32 = 20;

/// Where an object's bounds go on the scratch canvas: `scale = 2^-halvings`, then shifted by
/// `(-x0, -y0)` scratch pixels; the drawn region is `width × height` from the canvas origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Placement {
    halvings: u32,
    x0: i64,
    y0: i64,
    width: u32,
    height: u32,
}

impl Placement {
    /// The placement of bounds `b` (image pixels) on a `sw × sh` canvas, halving the scale until
    /// they fit; `None` if they never do.
    fn of(b: (f32, f32, f32, f32), sw: u32, sh: u32) -> Option<Placement> {
        (0..=MAX_HALVINGS).find_map(|halvings| {
            // A power of two: scaling is exact in floating point.
            let s = (-(halvings as f32)).exp2();
            let (x0, y0) = ((b.0 * s).floor(), (b.1 * s).floor());
            let (x1, y1) = ((b.2 * s).ceil(), (b.3 * s).ceil());
            let (width, height) = (x1 - x0, y1 - y0);
            (width <= sw as f32 && height <= sh as f32).then_some(Placement {
                halvings,
                x0: x0 as i64,
                y0: y0 as i64,
                width: width as u32,
                height: height as u32,
            })
        })
    }

    fn transform(&self) -> Transform {
        let s = (-(self.halvings as f32)).exp2();
        Transform::from_row(s, 0.0, 0.0, s, -self.x0 as f32, -self.y0 as f32)
    }

    /// Whether scratch pixel `(sx, sy)` stands for image pixels outside `w × h`: at full scale
    /// the pixel itself, else the centre of the block of image pixels it stands for.
    fn outside(&self, sx: u32, sy: u32, w: u32, h: u32) -> bool {
        let k = self.halvings;
        // Doubled image coordinates of the block's centre (integers for every scale).
        let centre2 = |s: u32, o: i64| ((i64::from(s) + o) << (k + 1)) + (1i64 << k);
        let (cx2, cy2) = (centre2(sx, self.x0), centre2(sy, self.y0));
        cx2 < 0 || cy2 < 0 || cx2 >= 2 * i64::from(w) || cy2 >= 2 * i64::from(h)
    }
}

/// Pixels the mask shapes of `ops` (one object, mask value `value`) would set beyond the borders
/// of an image the size of `scratch`, were it unbounded; 0 when their bounds lie inside the
/// image (no drawing then). `scratch` must be clear (all zero) and is left clear.
pub(super) fn pixels_beyond(scratch: &mut Pixmap, ops: &[Op], value: u16, light: &Light) -> u32 {
    let Some(b) = mask_bounds(ops) else {
        return 0;
    };
    count_beyond(scratch, b, value, |pm, place| {
        draw_ops_with(pm, Some(value), ops, light, place.transform());
    })
}

/// The same for a realistic person's mesh, on an image of `size`: its vertices scaled and
/// shifted like the shapes above into `shifted`, rasterised into `cover` with the same coverage
/// rule as the id mask, and its covered pixels that stand for image pixels outside counted.
pub(super) fn mesh_pixels_beyond(
    cover: &mut Coverage,
    shifted: &mut Vec<SVert>,
    (w, h): (u32, u32),
    mesh: &Mesh,
) -> u32 {
    let Some(b) = mesh.screen_bounds() else {
        return 0;
    };
    if b.0 >= 0.0 && b.1 >= 0.0 && b.2 <= w as f32 && b.3 <= h as f32 {
        return 0;
    }
    let Some(place) = Placement::of(b, w, h) else {
        return 0;
    };
    let s = (-(place.halvings as f32)).exp2();
    shifted.clear();
    shifted.extend(mesh.verts.iter().map(|v| SVert {
        x: v.x * s - place.x0 as f32,
        y: v.y * s - place.y0 as f32,
        ..*v
    }));
    // One pixel of slack past the bounds, as for the shapes.
    let (dw, dh) = ((place.width + 1).min(w), (place.height + 1).min(h));
    cover.rasterise(shifted, &mesh.tris, (0, 0, dw, dh));
    let n = cover.count(|sx, sy| place.outside(sx, sy, w, h));
    u32::try_from(n << (2 * place.halvings)).unwrap_or(u32::MAX)
}

/// Places bounds `b` on the scratch canvas, lets `draw` draw the object there, counts its
/// pixels that stand for image pixels outside the image, and clears the canvas again.
fn count_beyond(
    scratch: &mut Pixmap,
    b: (f32, f32, f32, f32),
    value: u16,
    draw: impl FnOnce(&mut Pixmap, &Placement),
) -> u32 {
    let (w, h) = (scratch.width(), scratch.height());
    if b.0 >= 0.0 && b.1 >= 0.0 && b.2 <= w as f32 && b.3 <= h as f32 {
        return 0;
    }
    let Some(place) = Placement::of(b, w, h) else {
        return 0;
    };
    draw(scratch, &place);
    let want = u32::from_le_bytes([(value & 0xff) as u8, (value >> 8) as u8, 0, 255]);
    // One pixel of slack past the bounds, for the thin strokes of a shrunk object.
    let (dw, dh) = ((place.width + 1).min(w), (place.height + 1).min(h));
    let mut n = 0u64;
    let data = scratch.data();
    for sy in 0..dh {
        let row = sy as usize * w as usize;
        let px = &data[row * 4..(row + dw as usize) * 4];
        let (px, _) = px.as_chunks::<4>();
        for (sx, p) in px.iter().enumerate() {
            if u32::from_le_bytes(*p) == want && place.outside(sx as u32, sy, w, h) {
                n += 1;
            }
        }
    }
    clear_rect(scratch, (0, 0, dw, dh));
    u32::try_from(n << (2 * place.halvings)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_that_fit_are_placed_at_full_scale_from_their_floor() {
        let p = Placement::of((-30.5, 10.2, 40.0, 90.9), 320, 180).expect("fits");
        assert_eq!(
            p,
            Placement {
                halvings: 0,
                x0: -31,
                y0: 10,
                width: 71,
                height: 81
            }
        );
        assert!(p.outside(0, 0, 320, 180), "image column -31");
        assert!(p.outside(30, 0, 320, 180), "image column -1");
        assert!(!p.outside(31, 0, 320, 180), "image column 0");
        assert!(p.outside(31, 170, 320, 180), "image row 180");
    }

    #[test]
    fn bounds_larger_than_the_canvas_are_halved_until_they_fit() {
        let p = Placement::of((-500.0, -100.0, 300.0, 100.0), 320, 180).expect("fits");
        assert_eq!(
            (p.halvings, p.x0, p.y0, p.width, p.height),
            (2, -125, -25, 200, 50)
        );
        // Scratch column 124 stands for image columns -4..0 (centre -2), 125 for 0..4.
        assert!(p.outside(124, 30, 320, 180));
        assert!(!p.outside(125, 30, 320, 180));
        assert_eq!(Placement::of((0.0, 0.0, 1e30, 1.0), 320, 180), None);
    }
}
