//! A tiny built-in 5×7 bitmap font for labels: digits and a little punctuation, no font files.

/// Glyph width in pixels (before scaling).
pub const GLYPH_W: u32 = 5;
/// Glyph height in pixels (before scaling).
pub const GLYPH_H: u32 = 7;
/// Horizontal advance per character, including one column of spacing.
pub const ADVANCE: u32 = GLYPH_W + 1;

/// Seven rows of five bits (bit 4 = leftmost column) for a character, `None` if not in the font.
pub fn glyph(c: char) -> Option<[u8; 7]> {
    Some(match c {
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        '#' => [0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        's' => [0x00, 0x00, 0x0E, 0x10, 0x0E, 0x01, 0x1E],
        ' ' => [0; 7],
        _ => return None,
    })
}

/// Width in pixels of `text` drawn at `scale`.
pub fn text_width(text: &str, scale: u32) -> u32 {
    (text.chars().count() as u32 * ADVANCE).saturating_sub(1) * scale
}

/// Draws `text` into a packed RGB8 image (`width` pixels per row) with its top-left corner at
/// (`x`, `y`), each font pixel a `scale`×`scale` square. Characters outside the font draw as a
/// filled box; pixels outside the image are clipped.
pub fn draw_text(
    rgb: &mut [u8],
    width: u32,
    x: u32,
    y: u32,
    text: &str,
    scale: u32,
    color: [u8; 3],
) {
    let height = (rgb.len() / (width as usize * 3).max(1)) as u32;
    for (i, c) in text.chars().enumerate() {
        let rows = glyph(c).unwrap_or([0x1F; 7]);
        let gx = x + i as u32 * ADVANCE * scale;
        for (row, bits) in rows.iter().enumerate() {
            for col in 0..GLYPH_W {
                if bits & (0x10 >> col) == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let px = gx + col * scale + dx;
                        let py = y + row as u32 * scale + dy;
                        if px < width && py < height {
                            let at = (py as usize * width as usize + px as usize) * 3;
                            rgb[at..at + 3].copy_from_slice(&color);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_drawn_where_its_bits_say() {
        let w = 8;
        let mut rgb = vec![0u8; (w * 9 * 3) as usize];
        draw_text(&mut rgb, w, 1, 1, "1", 1, [255, 255, 255]);
        let lit = |x: u32, y: u32| rgb[((y * w + x) * 3) as usize] == 255;
        // Top row of '1' is 0x04: only the middle column.
        assert!(lit(3, 1));
        assert!(!lit(1, 1) && !lit(2, 1) && !lit(4, 1) && !lit(5, 1));
        // Bottom row is 0x0E: three middle columns.
        assert!(lit(2, 7) && lit(3, 7) && lit(4, 7));
        assert_eq!(text_width("12", 2), 22);
    }
}
