//! A lit cap lamp turned toward the camera: an LED far brighter than anything else in a night
//! picture, so it saturates and blooms (the lens and sensor spread it into a halo). By day the
//! same lamp is a small bright dot.

use super::body::Glare;

/// Adds the lamp's bloom to an RGBA8 canvas (`w`×`h`); `dark` is 1 at night and 0 in full
/// daylight; `ir` draws it white. Returns the rect it touched.
#[inline(never)]
pub(crate) fn bloom(
    data: &mut [u8],
    (w, h): (u32, u32),
    g: &Glare,
    dark: f32,
    ir: bool,
) -> Option<(u32, u32, u32, u32)> {
    // The LED's beam: intensity falls as exp(-(θ/25°)²) off its axis, so a lamp looking at the
    // ground ahead glares only at a camera it faces.
    let theta = g.toward.clamp(0.0, 1.0).acos() / 25f32.to_radians();
    let strength = (-theta * theta).exp() * dark.clamp(0.0, 1.0);
    if strength < 0.02 || !g.x.is_finite() || !g.y.is_finite() {
        return None;
    }
    let core = g.radius_px.max(0.5);
    let halo = (2.5 * core).max(2.0) * (0.6 + 0.4 * strength);
    let reach = 3.0 * halo;
    let x0 = (g.x - reach).floor().max(0.0) as u32;
    let y0 = (g.y - reach).floor().max(0.0) as u32;
    let x1 = ((g.x + reach).ceil().max(0.0) as u32).min(w);
    let y1 = ((g.y + reach).ceil().max(0.0) as u32).min(h);
    if x0 >= x1 || y0 >= y1 {
        return None;
    }
    let tint = if ir { [1.0; 3] } else { [1.0, 0.96, 0.86] };
    for y in y0..y1 {
        for x in x0..x1 {
            let (dx, dy) = (x as f32 + 0.5 - g.x, y as f32 + 0.5 - g.y);
            let d = (dx * dx + dy * dy).sqrt();
            let v = if d <= core {
                1.0
            } else {
                0.6 * (-((d - core) / halo).powi(2)).exp()
            } * strength;
            let i = ((y * w + x) * 4) as usize;
            for c in 0..3 {
                let add = v * tint[c] * 255.0;
                data[i + c] = (f32::from(data[i + c]) + add).min(255.0) as u8;
            }
        }
    }
    Some((x0, y0, x1, y1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lamp_facing_the_camera_blooms_and_one_turned_away_does_not() {
        let (w, h) = (64u32, 48u32);
        let g = Glare {
            x: 30.0,
            y: 20.0,
            radius_px: 1.5,
            toward: 1.0,
        };
        let mut data = vec![40u8; (w * h * 4) as usize];
        let r = bloom(&mut data, (w, h), &g, 1.0, true).expect("a lamp facing the camera blooms");
        let at = |x: u32, y: u32| data[((y * w + x) * 4) as usize];
        assert_eq!(at(30, 20), 255, "the core saturates");
        assert!(at(33, 20) > 70 && at(33, 20) < 255, "a halo around it");
        assert_eq!(at(0, 0), 40, "nothing far away");
        assert!(r.0 <= 30 && r.2 > 30);
        let mut side = vec![40u8; (w * h * 4) as usize];
        let away = Glare { toward: 0.5, ..g };
        assert!(bloom(&mut side, (w, h), &away, 1.0, true).is_none());
        assert!(
            bloom(&mut side, (w, h), &g, 0.0, false).is_none(),
            "no bloom in daylight"
        );
    }
}
