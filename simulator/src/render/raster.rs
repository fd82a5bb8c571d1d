//! A small triangle rasteriser with a depth buffer, for the realistic path's meshes.
//!
//! Coverage is decided once per pixel centre with edge functions and a top-left rule, the same
//! way for the colour image, the id mask and the object-alone mask, so the truth measured on
//! the mask is exactly what is drawn. No anti-aliasing: the camera model's lens blur softens
//! edges afterwards, as a real lens does. Depth is tested on 1/z (interpolated linearly in screen
//! space, which is exact for a pinhole camera); attributes are interpolated affinely (triangles
//! are a few pixels wide at CCTV distances).

/// Attributes carried per vertex and interpolated per pixel.
pub(crate) const N_ATTR: usize = 8;

/// A projected vertex.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct SVert {
    pub x: f32,
    pub y: f32,
    /// 1 / depth (metres⁻¹).
    pub inv_z: f32,
    pub a: [f32; N_ATTR],
}

/// A triangle of projected vertices, with the code of what it is (shading decides by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct STri {
    pub v: [u32; 3],
    pub part: u8,
}

/// What a draw writes.
pub(crate) enum Ink<'a> {
    /// Shaded colour: `shade(part, attributes) → RGB bytes`.
    Colour(&'a dyn Fn(u8, &[f32; N_ATTR]) -> [u8; 3]),
    /// The mask value of an object id (no shading).
    Id(u16),
}

/// Draws `tris` into an RGBA8 image (`data`, `w`×`h`, alpha written 255) with the depth buffer
/// `zbuf` (1/z, larger is nearer, same size). Back faces (clockwise on screen) are skipped.
pub(crate) fn draw(
    data: &mut [u8],
    zbuf: &mut [f32],
    w: u32,
    h: u32,
    verts: &[SVert],
    tris: &[STri],
    ink: &Ink<'_>,
) {
    for t in tris {
        let [a, b, c] = t.v.map(|i| verts[i as usize]);
        let area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
        // Screen y grows downward: a counter-clockwise world triangle facing the camera has
        // negative area here.
        if area >= 0.0 || a.inv_z <= 0.0 || b.inv_z <= 0.0 || c.inv_z <= 0.0 {
            continue;
        }
        let x0 = a.x.min(b.x).min(c.x).floor().max(0.0) as i64;
        let y0 = a.y.min(b.y).min(c.y).floor().max(0.0) as i64;
        let x1 = (a.x.max(b.x).max(c.x).ceil() as i64).min(w as i64);
        let y1 = (a.y.max(b.y).max(c.y).ceil() as i64).min(h as i64);
        if x0 >= x1 || y0 >= y1 {
            continue;
        }
        let inv = 1.0 / area;
        // Edge functions at the pixel centre, stepped incrementally along each row: for edge
        // p→q, e(x, y) = dx·(y − p.y) − dy·(x − p.x), so e(x + 1) = e(x) − dy.
        let edges = [(b, c), (c, a), (a, b)].map(|(p, q)| {
            let (dx, dy) = (q.x - p.x, q.y - p.y);
            // Top-left rule: on an edge (e = 0) only top or left edges own the pixel.
            let top_left = dy > 0.0 || (dy == 0.0 && dx < 0.0);
            (p, dx, dy, top_left)
        });
        let px0 = x0 as f32 + 0.5;
        for y in y0..y1 {
            let py = y as f32 + 0.5;
            let row = y as usize * w as usize;
            let mut e = edges.map(|(p, dx, dy, _)| dx * (py - p.y) - dy * (px0 - p.x));
            for x in x0..x1 {
                let inside = (0..3).all(|k| e[k] < 0.0 || (e[k] == 0.0 && edges[k].3));
                if inside {
                    let wts = [e[0] * inv, e[1] * inv, e[2] * inv];
                    plot(
                        data,
                        zbuf,
                        row + x as usize,
                        &wts,
                        [&a, &b, &c],
                        t.part,
                        ink,
                    );
                }
                for k in 0..3 {
                    e[k] -= edges[k].2;
                }
            }
        }
    }
}

/// Writes one covered pixel if it is nearer than what the depth buffer holds.
#[inline]
fn plot(
    data: &mut [u8],
    zbuf: &mut [f32],
    i: usize,
    wts: &[f32; 3],
    v: [&SVert; 3],
    part: u8,
    ink: &Ink<'_>,
) {
    let z = wts[0] * v[0].inv_z + wts[1] * v[1].inv_z + wts[2] * v[2].inv_z;
    if z <= zbuf[i] {
        return;
    }
    zbuf[i] = z;
    let px4 = &mut data[i * 4..i * 4 + 4];
    match ink {
        Ink::Id(id) => px4.copy_from_slice(&[(id & 0xff) as u8, (id >> 8) as u8, 0, 255]),
        Ink::Colour(shade) => {
            let mut at = [0.0f32; N_ATTR];
            for (j, x) in at.iter_mut().enumerate() {
                *x = wts[0] * v[0].a[j] + wts[1] * v[1].a[j] + wts[2] * v[2].a[j];
            }
            let rgb = shade(part, &at);
            px4.copy_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
        }
    }
}

/// Darkens (once per pixel per `stamp` generation) the pixels covered by `tris`, both faces:
/// a cast shadow on the ground. `keep` is the fraction of light left (0..1).
#[allow(clippy::too_many_arguments)]
pub(crate) fn shadow(
    data: &mut [u8],
    stamp: &mut [u16],
    generation: u16,
    w: u32,
    h: u32,
    pts: &[(f32, f32)],
    tris: &[STri],
    keep: f32,
) {
    let k = (keep.clamp(0.0, 1.0) * 256.0) as u32;
    for t in tris {
        let [a, b, c] = t.v.map(|i| pts[i as usize]);
        let area = (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
        if area == 0.0 {
            continue;
        }
        let s = area.signum();
        let x0 = a.0.min(b.0).min(c.0).floor().max(0.0) as i64;
        let y0 = a.1.min(b.1).min(c.1).floor().max(0.0) as i64;
        let x1 = (a.0.max(b.0).max(c.0).ceil() as i64).min(w as i64);
        let y1 = (a.1.max(b.1).max(c.1).ceil() as i64).min(h as i64);
        let edges = [(b, c), (c, a), (a, b)].map(|(p, q)| (p, s * (q.0 - p.0), s * (q.1 - p.1)));
        let px0 = x0 as f32 + 0.5;
        for y in y0..y1 {
            let py = y as f32 + 0.5;
            let mut e = edges.map(|(p, dx, dy)| dx * (py - p.1) - dy * (px0 - p.0));
            for x in x0..x1 {
                // Inside: every edge function has the sign of the area (either winding).
                if e[0] >= 0.0 && e[1] >= 0.0 && e[2] >= 0.0 {
                    let i = y as usize * w as usize + x as usize;
                    if stamp[i] != generation {
                        stamp[i] = generation;
                        for ch in &mut data[i * 4..i * 4 + 3] {
                            *ch = ((*ch as u32 * k) >> 8) as u8;
                        }
                    }
                }
                for (ek, edge) in e.iter_mut().zip(&edges) {
                    *ek -= edge.2;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: f32, y: f32, z: f32) -> SVert {
        SVert {
            x,
            y,
            inv_z: 1.0 / z,
            a: [0.0; N_ATTR],
        }
    }

    #[test]
    fn two_triangles_sharing_an_edge_cover_each_pixel_once_and_the_nearer_wins() {
        let (w, h) = (16u32, 16u32);
        // A square split along its diagonal, facing the camera (negative screen area).
        let verts = [
            v(2.0, 2.0, 5.0),
            v(2.0, 12.0, 5.0),
            v(12.0, 12.0, 5.0),
            v(12.0, 2.0, 5.0),
        ];
        let tris = [
            STri {
                v: [0, 1, 2],
                part: 1,
            },
            STri {
                v: [0, 2, 3],
                part: 2,
            },
        ];
        let mut data = vec![0u8; (w * h * 4) as usize];
        let mut z = vec![0.0f32; (w * h) as usize];
        let count = std::cell::Cell::new(0);
        let shade = |p: u8, _: &[f32; N_ATTR]| {
            count.set(count.get() + 1);
            [p, 0, 0]
        };
        draw(&mut data, &mut z, w, h, &verts, &tris, &Ink::Colour(&shade));
        assert_eq!(
            count.get(),
            100,
            "a 10×10 square is 100 pixel centres, each shaded once"
        );
        // A nearer triangle over part of it wins; a farther one does not.
        let near = [v(0.0, 0.0, 2.0), v(0.0, 8.0, 2.0), v(8.0, 0.0, 2.0)];
        draw(
            &mut data,
            &mut z,
            w,
            h,
            &near,
            &[STri {
                v: [0, 1, 2],
                part: 9,
            }],
            &Ink::Id(9),
        );
        let far = [
            v(0.0, 0.0, 9.0),
            v(0.0, 16.0, 9.0),
            v(16.0, 16.0, 9.0),
            v(16.0, 0.0, 9.0),
        ];
        let ftris = [
            STri {
                v: [0, 1, 2],
                part: 7,
            },
            STri {
                v: [0, 2, 3],
                part: 7,
            },
        ];
        draw(&mut data, &mut z, w, h, &far, &ftris, &Ink::Id(7));
        assert_eq!(data[(3 * 16 + 3) * 4], 9);
        assert_eq!(data[(10 * 16 + 10) * 4], 2);
        assert_eq!(
            data[(14 * 16 + 14) * 4],
            7,
            "the far one fills only where nothing was"
        );
    }

    #[test]
    fn a_shadow_darkens_its_triangle_once_whatever_the_winding() {
        let pts = [(2.0, 2.0), (2.0, 12.0), (12.0, 12.0), (12.0, 2.0)];
        let tris = [
            STri {
                v: [0, 1, 2],
                part: 0,
            },
            STri {
                v: [0, 3, 2],
                part: 0,
            },
        ];
        let mut data = vec![200u8; 16 * 16 * 4];
        let mut stamp = vec![0u16; 16 * 16];
        shadow(&mut data, &mut stamp, 1, 16, 16, &pts, &tris, 0.5);
        assert_eq!(data[(5 * 16 + 5) * 4], 100, "inside, darkened once");
        assert_eq!(data[(5 * 16 + 10) * 4], 100, "the other winding too");
        assert_eq!(data[(14 * 16 + 14) * 4], 200, "outside untouched");
    }

    #[test]
    fn back_faces_are_not_drawn() {
        let verts = [v(2.0, 2.0, 5.0), v(12.0, 12.0, 5.0), v(2.0, 12.0, 5.0)];
        let mut data = vec![0u8; 16 * 16 * 4];
        let mut z = vec![0.0f32; 16 * 16];
        draw(
            &mut data,
            &mut z,
            16,
            16,
            &verts,
            &[STri {
                v: [0, 1, 2],
                part: 1,
            }],
            &Ink::Id(1),
        );
        assert!(data.iter().all(|&b| b == 0));
    }
}
