//! JPEG evidence: a frame (or a crop/downscale of it) with rectangles drawn round the recognised
//! objects (U1 people going down, U2 trucks leaving; R4 checks the rectangle against the truth),
//! and plain JPEGs (U4 tamper evidence, U6 live streams).
//!
//! Key design decision: **a rectangle's outer edge is exactly the box.** Boxes are half-open
//! full-frame pixel rectangles `[x0, y0, x1, y1)` as detectors report them; the border is drawn
//! inside and on that boundary (pixels `x0..x0+t` and `x1-t..x1`, likewise in y), so a judge
//! measuring the red outline recovers the detector's box, not one grown by the line width. The
//! frame is shared (`Arc`), so drawing always works on a copy; boxes are clipped to the image,
//! and nothing about a box (negative, inverted, off-image) can make drawing fail or panic.

use std::io::Cursor;

use image::ExtendedColorType;
use image::codecs::jpeg::JpegEncoder;

use super::{check_frame, scale};
use crate::Error;
use crate::frame::Frame;

/// Default JPEG quality of evidence pictures.
pub const DEFAULT_QUALITY: u8 = 85;
/// Default rectangle colour: pure red.
pub const RED: [u8; 3] = [255, 0, 0];
/// Default rectangle line width, pixels.
pub const DEFAULT_THICKNESS: u32 = 3;

/// A half-open pixel rectangle `[x0, x1) × [y0, y1)` in full-frame coordinates. It may extend
/// past the image or be empty; drawing clips it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rect {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl Rect {
    /// `[x0, y0, x1, y1)`.
    pub const fn new(x0: i32, y0: i32, x1: i32, y1: i32) -> Rect {
        Rect { x0, y0, x1, y1 }
    }

    /// From a detector's floating-point box `[x0, y0, x1, y1]`, each edge rounded to the
    /// nearest pixel boundary (NaN becomes 0, infinities saturate).
    pub fn from_f64([x0, y0, x1, y1]: [f64; 4]) -> Rect {
        // `as` from f64 saturates and maps NaN to 0.
        Rect::new(
            x0.round() as i32,
            y0.round() as i32,
            x1.round() as i32,
            y1.round() as i32,
        )
    }

    /// Width (0 when empty or inverted).
    pub fn width(&self) -> u32 {
        (i64::from(self.x1) - i64::from(self.x0)).clamp(0, i64::from(u32::MAX)) as u32
    }

    /// Height (0 when empty or inverted).
    pub fn height(&self) -> u32 {
        (i64::from(self.y1) - i64::from(self.y0)).clamp(0, i64::from(u32::MAX)) as u32
    }

    /// Whether it covers no pixel.
    pub fn is_empty(&self) -> bool {
        self.width() == 0 || self.height() == 0
    }

    /// The part inside a `width`×`height` image as `[x0, y0, x1, y1)`, `None` if nothing is.
    pub fn clip(&self, width: u32, height: u32) -> Option<[u32; 4]> {
        let cx = |v: i32, max: u32| (i64::from(v)).clamp(0, i64::from(max)) as u32;
        let r = [
            cx(self.x0, width),
            cx(self.y0, height),
            cx(self.x1, width),
            cx(self.y1, height),
        ];
        (r[0] < r[2] && r[1] < r[3]).then_some(r)
    }
}

/// How evidence pictures are made. `JpegOptions::default()` is quality 85, red, 3 px, whole
/// frame at full size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JpegOptions {
    /// JPEG quality, 1–100 (values outside are clamped).
    pub quality: u8,
    /// Rectangle colour, RGB.
    pub color: [u8; 3],
    /// Rectangle line width in output pixels (0 draws nothing).
    pub thickness: u32,
    /// Only this part of the frame (full-frame coordinates, clipped to the image).
    pub crop: Option<Rect>,
    /// Downscale (keeping the aspect ratio) so the picture is at most this wide.
    pub max_width: Option<u32>,
}

impl Default for JpegOptions {
    fn default() -> Self {
        JpegOptions {
            quality: DEFAULT_QUALITY,
            color: RED,
            thickness: DEFAULT_THICKNESS,
            crop: None,
            max_width: None,
        }
    }
}

impl JpegOptions {
    /// With JPEG quality `q`.
    pub fn quality(mut self, q: u8) -> Self {
        self.quality = q;
        self
    }

    /// With rectangle colour `rgb`.
    pub fn color(mut self, rgb: [u8; 3]) -> Self {
        self.color = rgb;
        self
    }

    /// With rectangle line width `px`.
    pub fn thickness(mut self, px: u32) -> Self {
        self.thickness = px;
        self
    }

    /// Only the part `r` of the frame.
    pub fn crop(mut self, r: Rect) -> Self {
        self.crop = Some(r);
        self
    }

    /// At most `px` wide.
    pub fn max_width(mut self, px: u32) -> Self {
        self.max_width = Some(px);
        self
    }
}

/// Draws the border of `rect` into `rgb` (`width`×`height` packed RGB8): the pixels of the
/// clipped rectangle within `thickness` of its outer edge. A rectangle thinner than twice the
/// line is filled. Does nothing for an empty or off-image rectangle or a short buffer.
pub fn draw_rect(
    rgb: &mut [u8],
    width: u32,
    height: u32,
    rect: Rect,
    color: [u8; 3],
    thickness: u32,
) {
    let (w, h) = (width as usize, height as usize);
    if thickness == 0 || rect.is_empty() || rgb.len() < w * h * 3 {
        return;
    }
    // Bands are computed on the unclipped box, so a box reaching past the image keeps its
    // border only on the sides that are inside.
    let t = i64::from(thickness);
    let (x0, y0, x1, y1) = (
        i64::from(rect.x0),
        i64::from(rect.y0),
        i64::from(rect.x1),
        i64::from(rect.y1),
    );
    let Some([cx0, cy0, cx1, cy1]) = rect.clip(width, height) else {
        return;
    };
    for y in cy0..cy1 {
        let yi = i64::from(y);
        let full_row = yi < y0 + t || yi >= y1 - t;
        let row = y as usize * w * 3;
        for x in cx0..cx1 {
            let xi = i64::from(x);
            if full_row || xi < x0 + t || xi >= x1 - t {
                let i = row + x as usize * 3;
                rgb[i..i + 3].copy_from_slice(&color);
            }
        }
    }
}

/// Encodes packed RGB8 pixels as a baseline JPEG.
pub fn encode_rgb(rgb: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>, Error> {
    if width == 0 || height == 0 || rgb.len() as u64 != u64::from(width) * u64::from(height) * 3 {
        return Err(Error::Image(format!(
            "cannot encode {} bytes as a {width}×{height} RGB JPEG",
            rgb.len()
        )));
    }
    let mut out = Cursor::new(Vec::with_capacity(rgb.len() / 10));
    JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100))
        .encode(rgb, width, height, ExtendedColorType::Rgb8)
        .map_err(|e| Error::Image(format!("JPEG encoding of {width}×{height}: {e}")))?;
    Ok(out.into_inner())
}

/// A plain JPEG of the whole frame (U4 tamper evidence).
pub fn encode(frame: &Frame, quality: u8) -> Result<Vec<u8>, Error> {
    check_frame(frame)?;
    encode_rgb(&frame.rgb, frame.width, frame.height, quality)
}

/// Pixels of the evidence picture: the frame, cropped and downscaled as `opts` says, with
/// `boxes` (full-frame coordinates) drawn on; returns `(rgb, width, height)`.
pub fn render(
    frame: &Frame,
    boxes: &[Rect],
    opts: &JpegOptions,
) -> Result<(Vec<u8>, u32, u32), Error> {
    check_frame(frame)?;
    let area = match opts.crop {
        None => [0, 0, frame.width, frame.height],
        Some(r) => r.clip(frame.width, frame.height).ok_or_else(|| {
            Error::Image(format!(
                "crop [{}, {}, {}, {}) is outside the {}×{} frame",
                r.x0, r.y0, r.x1, r.y1, frame.width, frame.height
            ))
        })?,
    };
    let (aw, ah) = (area[2] - area[0], area[3] - area[1]);
    let (ow, oh) = match opts.max_width {
        Some(max) if max < aw => scale::fit_even(aw, ah, max),
        _ => (aw, ah),
    };
    // Copy first: the frame is shared with the analysers and the clip ring.
    let mut rgb = if area == [0, 0, frame.width, frame.height] {
        frame.rgb.to_vec()
    } else {
        scale::crop(&frame.rgb, frame.width, frame.height, area)?
    };
    if (ow, oh) != (aw, ah) {
        rgb = scale::resize(&rgb, aw, ah, ow, oh)?;
    }
    let (sx, sy) = (f64::from(ow) / f64::from(aw), f64::from(oh) / f64::from(ah));
    let (ox, oy) = (f64::from(area[0]), f64::from(area[1]));
    for b in boxes {
        let mapped = Rect::from_f64([
            (f64::from(b.x0) - ox) * sx,
            (f64::from(b.y0) - oy) * sy,
            (f64::from(b.x1) - ox) * sx,
            (f64::from(b.y1) - oy) * sy,
        ]);
        draw_rect(&mut rgb, ow, oh, mapped, opts.color, opts.thickness);
    }
    Ok((rgb, ow, oh))
}

/// The evidence JPEG of U1/U2: the frame (cropped/downscaled per `opts`) with a rectangle
/// round each box. The frame itself is not modified.
pub fn encode_with_boxes(
    frame: &Frame,
    boxes: &[Rect],
    opts: &JpegOptions,
) -> Result<Vec<u8>, Error> {
    let (rgb, w, h) = render(frame, boxes, opts)?;
    encode_rgb(&rgb, w, h, opts.quality)
}
