//! The capture checker (E4, U1, R4): which frame of the camera an uploaded U1 JPEG shows, where
//! the rectangle drawn in it is, and how well that rectangle overlaps the person.
//!
//! A U1 upload is a JPEG of a frame with a rectangle drawn round the person going down. Its name
//! carries the time to the second only, and a device may upload its best frame of the person,
//! taken a few seconds before that time. So the judge, re-running the simulation, first finds
//! the frame ([`FrameFinder`], comparing [`Signature`]s of every rendered frame with the
//! upload's), then the rectangle in it ([`locate_rectangle`], against the clean render of that
//! frame), and holds the rectangle's box to IoU ≥ 0.5 with the truth box (R4, [`iou`]).
//!
//! Boxes are half-open full-frame pixel rectangles `[x0, y0, x1, y1)`, as devices report them
//! and as the reference draws them (`eseal_vision::media::jpeg`: the line's outer edge is the
//! box).
//!
//! Key design decision: **the rectangle is found by difference from the clean render, not by
//! colour.** The judge has the exact pixels the camera showed, so whatever a device drew (any
//! colour, any line width, any JPEG quality) is what differs from them. A pixel counts where it
//! differs by more than JPEG noise does and by a good part of its neighbourhood's strongest
//! difference (the blur beside a line is not line); only straight runs along rows or columns
//! are kept (noise and ringing do not form them), bridged where the upload has the lines' own
//! colour (where a line crosses something of its colour it cannot show). A connected outline
//! whose every side is either seen or cut by the frame border is a rectangle, each side placed
//! on the outermost row or column the line covers well, so a stray pixel of ringing does not
//! grow the box. A side that shows nowhere (a black line along dark hair on a dark ground) is
//! not guessed: that upload is "no rectangle". The frame [`Signature`] must not be fooled by the
//! rectangle either: it compares coarse luma cells, each cell's difference capped, so the few
//! cells a rectangle crosses weigh the same against every candidate frame and the rest of the
//! picture decides. Every pass is linear in the pixels; nothing panics on any input.

use std::io::Cursor;

use eseal_simulator::render::BoxPx;
use image::codecs::jpeg::JpegDecoder;
use image::{DynamicImage, ImageDecoder};

/// Largest upload side accepted, pixels (the simulator's largest frame side).
pub const MAX_SIDE: u32 = eseal_simulator::render::MAX_SIDE;

/// Columns of a [`Signature`]'s cell grid (fewer for narrower frames): 8 px cells at 1280×720.
pub const SIGNATURE_COLS: u32 = 160;
/// Rows of a [`Signature`]'s cell grid (fewer for lower frames).
pub const SIGNATURE_ROWS: u32 = 90;
/// Most a single cell adds to a [`Signature::distance`], luma levels: a cell a rectangle line
/// crosses differs by far more than JPEG noise, and counts no more than this.
pub const CELL_CAP: f32 = 12.0;
/// A cell's difference up to this, luma levels, is taken for noise in a
/// [`Signature::distance`] (an 8×8 cell's mean moves by about half a level through JPEG).
pub const NOISE_LEVEL: f32 = 1.0;

/// Least difference of a drawn line's pixel from the clean frame: `|ΔR| + |ΔG| + |ΔB|`. JPEG
/// noise of an undrawn pixel stays below it even at quality 50.
pub const MIN_THRESHOLD: u16 = 90;
/// A line pixel also differs by at least this fraction of the largest difference within 2 px,
/// so the JPEG blur beside a line is not taken for the line.
pub const LOCAL_RATIO: f64 = 0.4;
/// Fewer pixels differing by [`MIN_THRESHOLD`] than this are no rectangle (a few outliers are
/// not a line).
pub const MIN_DIFFERING: usize = 64;
/// Shortest straight run of differing pixels that counts as a line, pixels; also the shortest
/// side of a rectangle the locator finds.
pub const MIN_RUN: usize = 8;
/// Longest gap inside a run (JPEG can leave a pixel of a line under the threshold), pixels.
pub const MAX_GAP: usize = 2;

/// Why an upload's capture cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    #[error("the upload is not a decodable JPEG: {0}")]
    NotJpeg(String),
    #[error("the upload is {width}×{height}, larger than {MAX_SIDE} pixels per side")]
    TooLarge { width: u32, height: u32 },
    #[error(
        "the upload is {upload_width}×{upload_height} but the camera's frame is {clean_width}×{clean_height}"
    )]
    SizeMismatch {
        upload_width: u32,
        upload_height: u32,
        clean_width: u32,
        clean_height: u32,
    },
    #[error("{what} has {len} bytes, which is not a {width}×{height} RGB frame")]
    BadBuffer {
        what: &'static str,
        len: usize,
        width: u32,
        height: u32,
    },
    /// The upload differs from the clean frame over more than a quarter of its pixels, far
    /// more than any rectangle covers: it shows another instant, camera or scene.
    #[error(
        "the upload is not this frame: {differing} of its {pixels} pixels differ from it by {MIN_THRESHOLD} or more"
    )]
    NotTheFrame { differing: usize, pixels: usize },
    /// The upload and the clean frame do not differ by a rectangular outline.
    #[error("no rectangle: {0}")]
    NoRectangle(String),
}

/// A decoded picture, packed RGB8 rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

/// Decodes an uploaded JPEG (any colour type) to RGB8; refuses what is not a JPEG, a JPEG cut
/// short (no end-of-image marker at the end, zero padding after it allowed: the decoder would
/// grey out the missing part), and pictures over [`MAX_SIDE`] per side (before allocating
/// their pixels).
pub fn decode_jpeg(bytes: &[u8]) -> Result<Decoded, CaptureError> {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    if bytes.len() >= 2 && bytes[..2] == [0xFF, 0xD8] && !bytes[..end].ends_with(&[0xFF, 0xD9]) {
        return Err(CaptureError::NotJpeg(format!(
            "it is cut short: its {} bytes end without the end-of-image marker",
            bytes.len()
        )));
    }
    let decoder =
        JpegDecoder::new(Cursor::new(bytes)).map_err(|e| CaptureError::NotJpeg(e.to_string()))?;
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(CaptureError::TooLarge { width, height });
    }
    if width == 0 || height == 0 {
        return Err(CaptureError::NotJpeg(format!(
            "its size is {width}×{height}"
        )));
    }
    let image =
        DynamicImage::from_decoder(decoder).map_err(|e| CaptureError::NotJpeg(e.to_string()))?;
    let rgb = image.into_rgb8().into_raw();
    check_rgb("the decoded upload", &rgb, width, height)?;
    Ok(Decoded { width, height, rgb })
}

/// Checks that `rgb` is a non-empty `width`×`height` RGB8 frame.
fn check_rgb(what: &'static str, rgb: &[u8], width: u32, height: u32) -> Result<(), CaptureError> {
    let expected = u64::from(width) * u64::from(height) * 3;
    if expected == 0 || rgb.len() as u64 != expected {
        return Err(CaptureError::BadBuffer {
            what,
            len: rgb.len(),
            width,
            height,
        });
    }
    Ok(())
}

/// Intersection over union of two half-open boxes `[x0, y0, x1, y1)` (R4); an empty or
/// inverted box has no area, and two boxes without area have IoU 0.
pub fn iou(a: [u32; 4], b: [u32; 4]) -> f64 {
    let area =
        |r: [u32; 4]| f64::from(r[2].saturating_sub(r[0])) * f64::from(r[3].saturating_sub(r[1]));
    let inter = area([
        a[0].max(b[0]),
        a[1].max(b[1]),
        a[2].min(b[2]),
        a[3].min(b[3]),
    ]);
    let union = area(a) + area(b) - inter;
    if union <= 0.0 { 0.0 } else { inter / union }
}

/// A simulator truth box as `[x0, y0, x1, y1)`.
pub fn corners(b: &BoxPx) -> [u32; 4] {
    [b.x0, b.y0, b.x1, b.y1]
}

/// A frame's fingerprint: mean luma (`(R + 2G + B) / 4`) of a grid of cells, at most
/// [`SIGNATURE_COLS`]×[`SIGNATURE_ROWS`] (8×8 px cells at 1280×720). Cheap (one pass over the
/// pixels), and averaging a cell washes out JPEG noise.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    width: u32,
    height: u32,
    cells: Vec<f32>,
}

impl Signature {
    /// The signature of a `width`×`height` packed RGB8 frame.
    pub fn of_rgb(rgb: &[u8], width: u32, height: u32) -> Result<Signature, CaptureError> {
        check_rgb("the frame", rgb, width, height)?;
        let (w, h) = (width as usize, height as usize);
        let (cols, rows) = (
            w.min(SIGNATURE_COLS as usize),
            h.min(SIGNATURE_ROWS as usize),
        );
        // Cell c spans columns xb[c]..xb[c + 1]; every cell has at least one pixel.
        let xb: Vec<usize> = (0..=cols).map(|c| c * w / cols).collect();
        let yb: Vec<usize> = (0..=rows).map(|r| r * h / rows).collect();
        let mut cells = Vec::with_capacity(cols * rows);
        let mut sums = vec![0u64; cols];
        for r in 0..rows {
            sums.fill(0);
            for row in rgb[yb[r] * w * 3..yb[r + 1] * w * 3].chunks_exact(w * 3) {
                for (c, sum) in sums.iter_mut().enumerate() {
                    let (part, _) = row[xb[c] * 3..xb[c + 1] * 3].as_chunks::<3>();
                    let s: u32 = part
                        .iter()
                        .map(|p| u32::from(p[0]) + 2 * u32::from(p[1]) + u32::from(p[2]))
                        .sum();
                    *sum += u64::from(s);
                }
            }
            let cell_rows = (yb[r + 1] - yb[r]) as u64;
            for (c, sum) in sums.iter().enumerate() {
                let n = (xb[c + 1] - xb[c]) as u64 * cell_rows * 4;
                cells.push((*sum as f64 / n as f64) as f32);
            }
        }
        Ok(Signature {
            width,
            height,
            cells,
        })
    }

    /// The signature of a decoded picture.
    pub fn of_decoded(d: &Decoded) -> Result<Signature, CaptureError> {
        Signature::of_rgb(&d.rgb, d.width, d.height)
    }

    /// Size of the frame it was made from.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// How different two frames look, in luma levels: the mean over cells of the absolute
    /// difference, each cell's capped at [`CELL_CAP`] (so a drawn rectangle, which changes a
    /// few cells a lot, weighs the same against every candidate frame) and its first
    /// [`NOISE_LEVEL`] counting a tenth (JPEG and sensor noise move a cell by less, motion by
    /// more; the tenth still tells apart frames of a still scene). About 0.1 for the same
    /// instant through JPEG with a rectangle drawn; `f64::INFINITY` when the frame sizes
    /// differ.
    pub fn distance(&self, other: &Signature) -> f64 {
        if self.size() != other.size() || self.cells.len() != other.cells.len() {
            return f64::INFINITY;
        }
        let sum: f64 = self
            .cells
            .iter()
            .zip(&other.cells)
            .map(|(a, b)| {
                let d = (a - b).abs().min(CELL_CAP);
                f64::from(d - 0.9 * d.min(NOISE_LEVEL))
            })
            .sum();
        sum / self.cells.len() as f64
    }
}

/// The frame most like an upload so far, with its pixels (the clean frame to locate the
/// rectangle against).
#[derive(Debug, Clone, PartialEq)]
pub struct BestFrame {
    pub pts_ns: u64,
    /// [`Signature::distance`] to the upload.
    pub distance: f64,
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

/// Finds which frame an upload shows, in one streaming pass over the camera's frames: offer
/// every rendered frame (in any order); it keeps a copy of the closest one, copying only when
/// a frame is closer than every earlier one (so the first of identical frames, e.g. frozen
/// ones, wins). Which frames to offer (the window before the upload's name time) is the
/// caller's choice.
#[derive(Debug, Clone)]
pub struct FrameFinder {
    target: Signature,
    best: Option<BestFrame>,
}

impl FrameFinder {
    /// A finder for the upload whose signature is `target`.
    pub fn new(target: Signature) -> FrameFinder {
        FrameFinder { target, best: None }
    }

    /// The upload's signature.
    pub fn target(&self) -> &Signature {
        &self.target
    }

    /// Offers a frame; returns whether it is the new best. A frame of another size than the
    /// upload, or not a `width`×`height` RGB8 buffer, is ignored.
    pub fn offer(&mut self, pts_ns: u64, rgb: &[u8], width: u32, height: u32) -> bool {
        if (width, height) != self.target.size() {
            return false;
        }
        match Signature::of_rgb(rgb, width, height) {
            Ok(signature) => self.offer_signed(pts_ns, &signature, rgb),
            Err(_) => false,
        }
    }

    /// Offers a frame whose signature the caller computed once for every pending upload;
    /// `signature` must be that of `rgb`. Returns whether it is the new best.
    pub fn offer_signed(&mut self, pts_ns: u64, signature: &Signature, rgb: &[u8]) -> bool {
        let distance = self.target.distance(signature);
        let (width, height) = signature.size();
        let fits = check_rgb("the frame", rgb, width, height).is_ok();
        if !distance.is_finite()
            || !fits
            || self.best.as_ref().is_some_and(|b| b.distance <= distance)
        {
            return false;
        }
        match &mut self.best {
            Some(b) => {
                b.pts_ns = pts_ns;
                b.distance = distance;
                b.rgb.clear();
                b.rgb.extend_from_slice(rgb);
            }
            None => {
                self.best = Some(BestFrame {
                    pts_ns,
                    distance,
                    width,
                    height,
                    rgb: rgb.to_vec(),
                })
            }
        }
        true
    }

    /// The closest frame offered so far.
    pub fn best(&self) -> Option<&BestFrame> {
        self.best.as_ref()
    }

    /// The closest frame offered.
    pub fn into_best(self) -> Option<BestFrame> {
        self.best
    }
}

/// A rectangle found in an upload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Located {
    /// The rectangle's outer edge `[x0, y0, x1, y1)`, full-frame pixels, clipped to the frame.
    pub bbox: [u32; 4],
    /// Which sides of `bbox` (in the order x0, y0, x1, y1) lie on the frame border, where the
    /// rectangle may reach past the frame and is cut.
    pub at_border: [bool; 4],
    /// Line width seen, pixels (median over the drawn sides; JPEG blur can add one).
    pub thickness: u32,
    /// The lines' colour as decoded (the median over all line pixels found).
    pub colour: [u8; 3],
    /// Fraction of the drawn sides' length where the line is seen, 0–1 (the rest has the
    /// lines' colour in the upload: the line is faint there against what it crosses, or does
    /// not show at all).
    pub support: f64,
    /// Strongly differing pixels on no rectangle found, as a fraction of all of them: near 0
    /// when the clean frame is the upload's instant; high when it is not (people moved) or the
    /// device drew more than rectangles.
    pub unexplained: f64,
}

/// Decodes an uploaded JPEG and locates its rectangle against the clean render of its frame
/// (`clean`, `width`×`height` RGB8); see [`locate_rectangle`].
pub fn locate_in_jpeg(
    jpeg: &[u8],
    clean: &[u8],
    width: u32,
    height: u32,
) -> Result<Located, CaptureError> {
    let upload = decode_jpeg(jpeg)?;
    if (upload.width, upload.height) != (width, height) {
        return Err(CaptureError::SizeMismatch {
            upload_width: upload.width,
            upload_height: upload.height,
            clean_width: width,
            clean_height: height,
        });
    }
    locate_rectangle(&upload.rgb, clean, width, height)
}

/// The strongest rectangle drawn in `upload` (decoded, `width`×`height` RGB8) that is not in
/// `clean`, the same frame as rendered; see [`locate_rectangles`].
pub fn locate_rectangle(
    upload: &[u8],
    clean: &[u8],
    width: u32,
    height: u32,
) -> Result<Located, CaptureError> {
    let all = locate_rectangles(upload, clean, width, height)?;
    all.into_iter()
        .next()
        .ok_or_else(|| CaptureError::NoRectangle("none found".to_owned()))
}

// Per-pixel flags of the locator.
const STRONG: u8 = 1;
const LINE: u8 = 2;
const SEEN: u8 = 4;
/// Not strong, but of the lines' colour in the upload: a line may be there, faint against the
/// clean frame or not showing at all where the picture has that colour already.
const COLOURED: u8 = 8;

/// Largest number of candidate outlines examined (the largest connected sets of line pixels).
const MAX_CANDIDATES: usize = 32;

/// Every rectangle drawn in `upload` that is not in `clean` (both `width`×`height` RGB8, the
/// same instant), strongest outline first; at least one, else [`CaptureError::NoRectangle`]
/// ([`CaptureError::NotTheFrame`] when they are not the same picture at all).
///
/// 1. Difference `|ΔR| + |ΔG| + |ΔB|` per pixel. A pixel is *strong* when it differs by at
///    least [`MIN_THRESHOLD`] and by at least [`LOCAL_RATIO`] of the largest difference within
///    2 px (so the blur beside a line is not line, whatever the line's contrast elsewhere).
/// 2. *Line* pixels: runs of at least [`MIN_RUN`] pixels along a row or a column, from a
///    strong pixel to a strong pixel, with at least half that many strong, gaps of up to
///    [`MAX_GAP`] bridged. Their median colour in the upload is the lines' colour; a second
///    pass also bridges any stretch of *coloured* pixels, those of the upload within
///    [`MIN_THRESHOLD`] of that colour (a line faint against, or hidden by, what it crosses).
/// 3. The largest 8-connected sets of line pixels are candidates. Each side of a candidate's
///    bounds is placed on the frame border when it touches it (a cut rectangle); else on the
///    outer edge of the nearest row (column) beyond it, reached through coloured pixels along
///    both perpendicular sides, that holds [`MIN_RUN`] line pixels and is line or coloured
///    over half the box; else on the outermost row (column) within it that is line over a
///    fifth of the box and line or coloured over half.
/// 4. A candidate is a rectangle when every side not on the border is line or coloured along
///    at least half of its middle (between the perpendicular lines) and line along
///    [`MIN_RUN`] px of it, and opposite drawn sides leave a hole between them (a filled strip
///    is not an outline). Rectangles found twice (pieces of one outline) are kept once.
pub fn locate_rectangles(
    upload: &[u8],
    clean: &[u8],
    width: u32,
    height: u32,
) -> Result<Vec<Located>, CaptureError> {
    check_rgb("the upload", upload, width, height)?;
    check_rgb("the clean frame", clean, width, height)?;
    let (w, h) = (width as usize, height as usize);
    let (upload3, clean3) = (upload.as_chunks::<3>().0, clean.as_chunks::<3>().0);
    let n = w * h;
    // Strong: differing by MIN_THRESHOLD, then by LOCAL_RATIO of the local maximum.
    let mut flags: Vec<u8> = upload3
        .iter()
        .zip(clean3)
        .map(|(u, c)| {
            if distance(u, c) >= MIN_THRESHOLD {
                STRONG
            } else {
                0
            }
        })
        .collect();
    let differing = flags.iter().filter(|&&f| f != 0).count();
    if differing < MIN_DIFFERING {
        return Err(CaptureError::NoRectangle(format!(
            "only {differing} pixel(s) of the upload differ from the clean frame by {MIN_THRESHOLD} or more \
             (|ΔR| + |ΔG| + |ΔB|)"
        )));
    }
    if differing > n / 4 {
        return Err(CaptureError::NotTheFrame {
            differing,
            pixels: n,
        });
    }
    let diff = |p: usize| distance(&upload3[p], &clean3[p]);
    for (p, f) in flags.iter_mut().enumerate() {
        if *f != 0 && f64::from(diff(p)) < LOCAL_RATIO * f64::from(local_max(diff, w, h, p)) {
            *f = 0;
        }
    }
    // Lines as seen, then again bridging where a line of their colour would not show.
    mark_runs(&mut flags, w, h, 0);
    let colour = line_colour(&flags, upload3).ok_or_else(|| {
        CaptureError::NoRectangle(format!(
            "the upload differs from the clean frame ({differing} pixels by {MIN_THRESHOLD} or more, \
             |ΔR| + |ΔG| + |ΔB|) in no straight run of {MIN_RUN}+ px"
        ))
    })?;
    for (f, u) in flags.iter_mut().zip(upload3) {
        let coloured = (*f & STRONG == 0) & (distance(u, &colour) < MIN_THRESHOLD);
        *f = (*f & !LINE) | if coloured { COLOURED } else { 0 };
    }
    mark_runs(&mut flags, w, h, COLOURED);

    // Candidates: the largest connected sets of line pixels, by their bounds.
    let mut sets: Vec<(usize, [usize; 4])> = Vec::new();
    let mut stack = Vec::new();
    for start in 0..flags.len() {
        if flags[start] & (LINE | SEEN) == LINE {
            let (n, bounds) = flood(&mut flags, w, h, start, &mut stack);
            if n >= 2 * MIN_RUN {
                sets.push((n, bounds));
            }
        }
    }
    let segments = sets.len();
    sets.sort_by_key(|s| std::cmp::Reverse(s.0));
    let map = Map {
        flags: &flags,
        w,
        h,
    };
    let mut found: Vec<Outline> = Vec::new();
    for (_, bounds) in sets.into_iter().take(MAX_CANDIDATES) {
        if let Some(o) = map.outline(bounds) {
            // Two pieces of one outline (split where it does not show) give the same rectangle.
            if !found
                .iter()
                .any(|f| iou(f.bbox.map(|v| v as u32), o.bbox.map(|v| v as u32)) > 0.9)
            {
                found.push(o);
            }
        }
    }
    let strong = flags.iter().filter(|&&f| f & STRONG != 0).count();
    if found.is_empty() {
        return Err(CaptureError::NoRectangle(format!(
            "the difference from the clean frame ({strong} strongly differing pixels, {segments} connected set(s) \
             of straight runs of {MIN_RUN}+ px) has no rectangular outline"
        )));
    }
    let unexplained = unexplained(&flags, w, &found, strong);
    Ok(found
        .into_iter()
        .map(|o| Located {
            bbox: o.bbox.map(|v| v as u32),
            at_border: o.at_border,
            thickness: o.thickness as u32,
            colour,
            support: o.support,
            unexplained,
        })
        .collect())
}

/// `|ΔR| + |ΔG| + |ΔB|` between two RGB pixels.
fn distance(a: &[u8; 3], b: &[u8; 3]) -> u16 {
    u16::from(a[0].abs_diff(b[0])) + u16::from(a[1].abs_diff(b[1])) + u16::from(a[2].abs_diff(b[2]))
}

/// The largest `diff` within 2 px (a 5×5 square, cut by the frame) of pixel `p`.
fn local_max(diff: impl Fn(usize) -> u16, w: usize, h: usize, p: usize) -> u16 {
    let (x, y) = (p % w, p / w);
    let xs = x.saturating_sub(2)..(x + 3).min(w);
    (y.saturating_sub(2)..(y + 3).min(h))
        .flat_map(|ny| xs.clone().map(move |nx| ny * w + nx))
        .map(diff)
        .max()
        .unwrap_or(0)
}

/// The colour of the lines: the per-channel median of the upload over the [`LINE`] pixels
/// (`None` when there are too few to be a line).
fn line_colour(flags: &[u8], upload: &[[u8; 3]]) -> Option<[u8; 3]> {
    let mut hist = [[0usize; 256]; 3];
    let mut n = 0;
    for (p, f) in flags.iter().enumerate() {
        if f & LINE != 0 {
            n += 1;
            (0..3).for_each(|i| hist[i][usize::from(upload[p][i])] += 1);
        }
    }
    if n < MIN_RUN {
        return None;
    }
    let median = |h: &[usize; 256]| {
        let mut seen = 0;
        h.iter().position(|&c| {
            seen += c;
            2 * seen > n
        })
    };
    Some([
        median(&hist[0])? as u8,
        median(&hist[1])? as u8,
        median(&hist[2])? as u8,
    ])
}

/// A run along a row or a column being scanned.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// First and last strong pixel.
    first: usize,
    last: usize,
    /// Strong pixels in it.
    strong: usize,
    /// Consecutive strong pixels up to `last`, and the most seen in it.
    segment: usize,
    longest: usize,
    /// Pixels since `last`: all, and those neither strong nor bridging.
    since: usize,
    gap: usize,
    /// Whether it bridges more than [`MAX_GAP`] pixels somewhere.
    bridged: bool,
}

impl Run {
    fn start(at: usize) -> Run {
        Run {
            first: at,
            last: at,
            strong: 1,
            segment: 1,
            longest: 1,
            since: 0,
            gap: 0,
            bridged: false,
        }
    }

    /// Whether it is a line: long enough, mostly seen rather than bridged, and, where it
    /// bridges a long stretch, seen along [`MIN_RUN`] pixels in a row somewhere (so the
    /// cross-sections of two perpendicular lines are not joined across what lies between).
    fn is_line(&self) -> bool {
        self.last + 1 - self.first >= MIN_RUN
            && 2 * self.strong >= MIN_RUN
            && (!self.bridged || self.longest >= MIN_RUN)
    }
}

/// Sets [`LINE`] on every pixel of each run along a row or a column from a [`STRONG`] pixel to
/// a strong pixel that [`Run::is_line`]; up to [`MAX_GAP`] other pixels in a row are bridged,
/// and any number of pixels flagged `bridge`. One row-major pass.
fn mark_runs(flags: &mut [u8], w: usize, h: usize, bridge: u8) {
    // Horizontal runs.
    for row in flags.chunks_exact_mut(w) {
        if !row.iter().any(|f| f & STRONG != 0) {
            continue;
        }
        let mut run: Option<Run> = None;
        for x in 0..w {
            if let Some(r) = step(&mut run, row[x], x, bridge) {
                row[r.first..=r.last].iter_mut().for_each(|f| *f |= LINE);
            }
        }
        if let Some(r) = run.filter(Run::is_line) {
            row[r.first..=r.last].iter_mut().for_each(|f| *f |= LINE);
        }
    }
    // Vertical runs: one state per column while scanning rows; the runs closed in a row are
    // marked after it (`step` does not read LINE, so marking order does not matter).
    let mut runs: Vec<Option<Run>> = vec![None; w];
    let mut done: Vec<(usize, Run)> = Vec::new();
    for y in 0..h {
        for (x, (run, &f)) in runs.iter_mut().zip(&flags[y * w..(y + 1) * w]).enumerate() {
            if let Some(r) = step(run, f, y, bridge) {
                done.push((x, r));
            }
        }
        for (x, r) in done.drain(..) {
            (r.first..=r.last).for_each(|y| flags[y * w + x] |= LINE);
        }
    }
    for (x, run) in runs.into_iter().enumerate() {
        if let Some(r) = run.filter(Run::is_line) {
            (r.first..=r.last).for_each(|y| flags[y * w + x] |= LINE);
        }
    }
}

/// Advances `run` over the pixel at position `at` with flags `f`; returns the run that ends
/// there if it is a line.
#[inline]
fn step(run: &mut Option<Run>, f: u8, at: usize, bridge: u8) -> Option<Run> {
    let Some(r) = run else {
        if f & STRONG != 0 {
            *run = Some(Run::start(at));
        }
        return None;
    };
    if f & STRONG != 0 {
        // An open run has at most MAX_GAP other pixels since its last strong one.
        r.segment = if r.since == 0 { r.segment + 1 } else { 1 };
        r.longest = r.longest.max(r.segment);
        r.bridged |= r.since > MAX_GAP;
        (r.last, r.strong, r.since, r.gap) = (at, r.strong + 1, 0, 0);
    } else if f & bridge != 0 {
        r.since += 1;
    } else if r.gap < MAX_GAP {
        (r.since, r.gap) = (r.since + 1, r.gap + 1);
    } else {
        let ended = *r;
        *run = None;
        return ended.is_line().then_some(ended);
    }
    None
}

/// Marks [`SEEN`] the 8-connected [`LINE`] pixels reachable from `start`; returns how many there
/// are and their bounds `[x0, y0, x1, y1)`.
fn flood(
    flags: &mut [u8],
    w: usize,
    h: usize,
    start: usize,
    stack: &mut Vec<usize>,
) -> (usize, [usize; 4]) {
    let (mut n, mut b) = (0, [w, h, 0, 0]);
    flags[start] |= SEEN;
    stack.push(start);
    while let Some(p) = stack.pop() {
        let (x, y) = (p % w, p / w);
        n += 1;
        b = [b[0].min(x), b[1].min(y), b[2].max(x + 1), b[3].max(y + 1)];
        for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
            for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                let q = ny * w + nx;
                if flags[q] & (LINE | SEEN) == LINE {
                    flags[q] |= SEEN;
                    stack.push(q);
                }
            }
        }
    }
    (n, b)
}

/// A rectangle accepted, in `usize` pixels.
#[derive(Debug, Clone, Copy)]
struct Outline {
    bbox: [usize; 4],
    at_border: [bool; 4],
    thickness: usize,
    support: f64,
}

/// The locator's flags, read along lines. Sides are numbered as box coordinates: 0 left (x0),
/// 1 top (y0), 2 right (x1), 3 bottom (y1); a side's line is a column (0, 2) or a row (1, 3).
struct Map<'a> {
    flags: &'a [u8],
    w: usize,
    h: usize,
}

/// Where a side is: on the line `pos` (column or row index of its outermost pixels), or on the
/// frame border.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    Drawn(usize),
    Border,
}

impl Map<'_> {
    /// Flags of the pixel at `along` on line `pos` of a side `horizontal` or not.
    fn at(&self, horizontal: bool, pos: usize, along: usize) -> u8 {
        if horizontal {
            self.flags[pos * self.w + along]
        } else {
            self.flags[along * self.w + pos]
        }
    }

    /// Pixels of line `pos` over `span` with any flag of `mask`.
    fn count(&self, horizontal: bool, pos: usize, span: std::ops::Range<usize>, mask: u8) -> usize {
        span.filter(|&q| self.at(horizontal, pos, q) & mask != 0)
            .count()
    }

    /// The rectangle whose line pixels have bounds `b`, if they form one.
    fn outline(&self, b: [usize; 4]) -> Option<Outline> {
        let (w, h) = (self.w, self.h);
        // Line index of each side at the box `r`'s edge.
        let edge = |r: &[usize; 4], i: usize| if i < 2 { r[i] } else { r[i] - 1 };
        let mut places: [Option<Place>; 4] = [None; 4];
        let mut r = b;
        // Left and right on the bounds, top and bottom on those, left and right again.
        for i in [0, 2, 1, 3, 0, 2] {
            let place = self.place(i, &r, &places)?;
            places[i] = Some(place);
            r[i] = match place {
                Place::Border => [0, 0, w, h][i],
                // The box is half-open: a right or bottom line's outer pixels are inside it.
                Place::Drawn(p) => p + usize::from(i >= 2),
            };
            if r[0] >= r[2] || r[1] >= r[3] {
                return None;
            }
        }
        let at_border = places.map(|p| p == Some(Place::Border));
        if at_border.iter().all(|&b| b) {
            return None;
        }
        // Thickness: lines inward from the edge seen about as well as the edge.
        let mut thick = [0usize; 4];
        for i in (0..4).filter(|&i| !at_border[i]) {
            let horizontal = i % 2 == 1;
            let span = if horizontal { r[0]..r[2] } else { r[1]..r[3] };
            let size = if horizontal { r[3] - r[1] } else { r[2] - r[0] };
            let first = self.count(horizontal, edge(&r, i), span.clone(), LINE);
            thick[i] = (0..size)
                .map(|k| if i < 2 { r[i] + k } else { r[i] - 1 - k })
                .take_while(|&pos| 4 * self.count(horizontal, pos, span.clone(), LINE) >= 3 * first)
                .count()
                .max(1);
        }
        // Opposite drawn sides leave a hole.
        for (i, j, size) in [(0, 2, r[2] - r[0]), (1, 3, r[3] - r[1])] {
            if !at_border[i] && !at_border[j] && thick[i] + thick[j] >= size {
                return None;
            }
        }
        // Each drawn side is there along its middle.
        let (mut seen_all, mut middle_all) = (0, 0);
        for i in (0..4).filter(|&i| !at_border[i]) {
            let horizontal = i % 2 == 1;
            let (lo, hi) = if horizontal { (0, 2) } else { (1, 3) };
            let middle = (r[lo] + thick[lo])..r[hi].saturating_sub(thick[hi]);
            let band: Vec<usize> = (0..thick[i])
                .map(|k| if i < 2 { r[i] + k } else { r[i] - 1 - k })
                .collect();
            let (mut line, mut either, mut seen) = (0, 0, 0);
            for q in middle.clone() {
                let any = |mask: u8| {
                    band.iter()
                        .any(|&pos| self.at(horizontal, pos, q) & mask != 0)
                };
                line += usize::from(any(LINE));
                either += usize::from(any(LINE | COLOURED));
                seen += usize::from(any(STRONG));
            }
            let n = middle.len();
            if 2 * either < n || line < MIN_RUN.min(n) {
                return None;
            }
            (seen_all, middle_all) = (seen_all + seen, middle_all + n);
        }
        let mut drawn: Vec<usize> = (0..4)
            .filter(|&i| !at_border[i])
            .map(|i| thick[i])
            .collect();
        drawn.sort_unstable();
        let support = if middle_all == 0 {
            1.0
        } else {
            seen_all as f64 / middle_all as f64
        };
        Some(Outline {
            bbox: r,
            at_border,
            thickness: drawn[drawn.len() / 2],
            support,
        })
    }

    /// Where side `i` of the box `r` is (see [`locate_rectangles`], step 3); `places` says
    /// which perpendicular sides are on the border (`None`: not placed yet).
    fn place(&self, i: usize, r: &[usize; 4], places: &[Option<Place>; 4]) -> Option<Place> {
        let horizontal = i % 2 == 1;
        let limit = if horizontal { self.h } else { self.w };
        let at = if i < 2 { r[i] } else { r[i] - 1 };
        if (i < 2 && at == 0) || (i >= 2 && at + 1 == limit) {
            return Some(Place::Border);
        }
        let span = if horizontal { r[0]..r[2] } else { r[1]..r[3] };
        let n = span.len();
        // Pixels of line `pos` that are line, and line or coloured.
        let cover = |pos: usize| {
            (
                self.count(horizontal, pos, span.clone(), LINE),
                self.count(horizontal, pos, span.clone(), LINE | COLOURED),
            )
        };
        // Beyond the edge, while both perpendicular sides can go on unseen: a pixel of the
        // first 3 of each one's band is strong, line or coloured.
        let (lo, hi) = if horizontal { (0, 2) } else { (1, 3) };
        let goes_on = |pos: usize| {
            let band = |q: Option<usize>| {
                q.is_some_and(|q| self.at(horizontal, pos, q) & (STRONG | LINE | COLOURED) != 0)
            };
            (places[lo] == Some(Place::Border)
                || (0..3).any(|k| band(Some(span.start + k).filter(|&q| q < span.end))))
                && (places[hi] == Some(Place::Border)
                    || (0..3)
                        .any(|k| band((span.end - 1).checked_sub(k).filter(|&q| q >= span.start))))
        };
        let outward = |pos: usize| {
            if i < 2 {
                pos.checked_sub(1)
            } else {
                Some(pos + 1).filter(|&p| p < limit)
            }
        };
        let drawn = |pos: usize| {
            let (seen, either) = cover(pos);
            seen >= MIN_RUN.min(n.div_ceil(2)) && 2 * either >= n
        };
        let mut pos = at;
        while let Some(next) = outward(pos).filter(|&p| goes_on(p)) {
            pos = next;
            if drawn(pos) {
                // Reached from inside: the line's outer edge may be further out.
                while let Some(next) = outward(pos).filter(|&p| drawn(p)) {
                    pos = next;
                }
                return Some(Place::Drawn(pos));
            }
        }
        // Within the bounds, from the edge in.
        let size = if horizontal { r[3] - r[1] } else { r[2] - r[0] };
        (0..size.div_ceil(2))
            .map(|k| if i < 2 { at + k } else { at - k })
            .find(|&pos| {
                let (seen, either) = cover(pos);
                5 * seen >= n && 2 * either >= n
            })
            .map(Place::Drawn)
    }
}

/// Fraction of the `strong` strongly differing pixels off every outline's band (its lines,
/// widened by 2 px of JPEG blur either side).
fn unexplained(flags: &[u8], w: usize, outlines: &[Outline], strong: usize) -> f64 {
    if strong == 0 {
        return 0.0;
    }
    let h = flags.len() / w;
    let mut on_band = 0;
    for (p, _) in flags.iter().enumerate().filter(|(_, f)| *f & STRONG != 0) {
        let (x, y) = (p % w, p / w);
        on_band += usize::from(outlines.iter().any(|o| {
            let [x0, y0, x1, y1] = o.bbox;
            let m = o.thickness + 2;
            let outer = x + 2 >= x0 && x < (x1 + 2).min(w) && y + 2 >= y0 && y < (y1 + 2).min(h);
            let inner = x >= x0 + m && x + m < x1 && y >= y0 + m && y + m < y1;
            outer && !inner
        }));
    }
    (strong - on_band) as f64 / strong as f64
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use eseal_simulator::render::{Rendered, Renderer};
    use eseal_simulator::{Scenario, Simulation};
    use eseal_vision::frame::Frame;
    use eseal_vision::media::jpeg::{JpegOptions, Rect, encode_rgb, encode_with_boxes};
    use rand::{Rng, SeedableRng};

    use super::*;

    const SCENARIO: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/conformant/shaft-day-groups.toml"
    );
    /// Two people walk away from camera 20, both whole and inside the frame, at 6 s.
    const AT_NS: u64 = 6_000_000_000;
    const FRAME_NS: u64 = 40_000_000;

    /// Renders camera 20's frames from `from_ns` on, `n` of them, calling `each` with every one.
    fn render(from_ns: u64, n: usize, mut each: impl FnMut(&Rendered)) {
        let scenario = Scenario::load(SCENARIO).expect("the public scenario loads");
        let (mut renderer, mut out, mut left) = (Renderer::new(), Rendered::empty(), n);
        for step in Simulation::new(&scenario) {
            if step.t_ns < from_ns {
                continue;
            }
            for (_, scene) in &step.scenes {
                renderer
                    .render_into(scene, &mut out)
                    .expect("the frame renders");
                each(&out);
                left -= 1;
            }
            if left == 0 {
                return;
            }
        }
        panic!("the scenario ended before {n} frames from {from_ns} ns");
    }

    /// The frame at [`AT_NS`], rendered once.
    fn shot() -> &'static Rendered {
        static SHOT: OnceLock<Rendered> = OnceLock::new();
        SHOT.get_or_init(|| {
            let mut shot = None;
            render(AT_NS, 1, |r| shot = Some(r.clone()));
            shot.expect("one frame")
        })
    }

    /// The truth boxes of the whole, unoccluded people in `r`.
    fn people(r: &Rendered) -> Vec<[u32; 4]> {
        r.objects
            .iter()
            .filter(|o| o.visible_fraction > 0.99)
            .filter_map(|o| o.full_box.as_ref())
            .map(corners)
            .collect()
    }

    fn rect(b: [u32; 4]) -> Rect {
        Rect::new(b[0] as i32, b[1] as i32, b[2] as i32, b[3] as i32)
    }

    /// The evidence JPEG of `r` with `boxes` drawn as `opts` says, as the reference makes it.
    fn draw(r: &Rendered, boxes: &[Rect], opts: &JpegOptions) -> Vec<u8> {
        let f = &r.frame;
        let frame = Frame::new(f.width, f.height, f.rgb.clone(), f.pts_ns).expect("frame size");
        encode_with_boxes(&frame, boxes, opts).expect("the evidence encodes")
    }

    /// Draws `drawn` on the shot with `opts` and checks that the located box is `expect` within
    /// 2 px on each side.
    fn check(drawn: Rect, opts: JpegOptions, expect: [u32; 4]) -> Located {
        let r = shot();
        let jpeg = draw(r, &[drawn], &opts);
        let f = &r.frame;
        let found =
            locate_in_jpeg(&jpeg, &f.rgb, f.width, f.height).expect("the rectangle is found");
        let off = (0..4)
            .map(|i| found.bbox[i].abs_diff(expect[i]))
            .max()
            .unwrap_or(0);
        assert!(
            off <= 2,
            "drawn {drawn:?} with {opts:?}: located {found:?}, expected {expect:?}"
        );
        found
    }

    fn first_person() -> [u32; 4] {
        let boxes = people(shot());
        assert!(
            boxes.len() >= 2,
            "the shot at {AT_NS} ns has two whole people: {boxes:?}"
        );
        boxes[0]
    }

    #[test]
    fn red_3px_box_drawn_on_a_person_is_located_within_2_px() {
        let truth = first_person();
        let found = check(rect(truth), JpegOptions::default(), truth);
        assert!(iou(found.bbox, truth) >= 0.9, "{found:?} against {truth:?}");
        assert_eq!(found.at_border, [false; 4]);
        assert!(found.thickness.abs_diff(3) <= 1, "{found:?}");
        assert!(found.unexplained < 0.05, "{found:?}");
    }

    #[test]
    fn green_1px_box_is_located() {
        let truth = first_person();
        check(
            rect(truth),
            JpegOptions::default().color([0, 255, 0]).thickness(1),
            truth,
        );
    }

    #[test]
    fn box_5px_thick_is_located() {
        let truth = first_person();
        let found = check(rect(truth), JpegOptions::default().thickness(5), truth);
        assert!(found.thickness.abs_diff(5) <= 1, "{found:?}");
    }

    #[test]
    fn box_at_quality_50_is_located() {
        let truth = first_person();
        check(rect(truth), JpegOptions::default().quality(50), truth);
    }

    #[test]
    fn box_cut_by_the_frame_border_is_located_as_its_part_inside() {
        let found = check(
            Rect::new(-40, -30, 200, 260),
            JpegOptions::default(),
            [0, 0, 200, 260],
        );
        assert_eq!(found.at_border, [true, true, false, false]);
        let found = check(
            Rect::new(1100, 500, 1400, 900),
            JpegOptions::default().color([255, 255, 0]),
            [1100, 500, 1280, 720],
        );
        assert_eq!(found.at_border, [false, false, true, true]);
    }

    #[test]
    fn every_rectangle_drawn_is_located() {
        let r = shot();
        let boxes = people(r);
        let thin = JpegOptions::default().thickness(1);
        let jpeg = draw(r, &[rect(boxes[0]), rect(boxes[1])], &thin);
        let upload = decode_jpeg(&jpeg).expect("decodes");
        let all = locate_rectangles(&upload.rgb, &r.frame.rgb, upload.width, upload.height)
            .expect("found");
        assert_eq!(all.len(), 2, "{all:?}");
        let mut got: Vec<[u32; 4]> = all.iter().map(|l| l.bbox).collect();
        got.sort_unstable();
        for (g, want) in got.iter().zip(&boxes) {
            assert!(
                (0..4).all(|i| g[i].abs_diff(want[i]) <= 2),
                "{got:?} against {boxes:?}"
            );
        }
        assert!(all[0].unexplained < 0.05, "{all:?}");
    }

    #[test]
    fn no_rectangle_drawn_is_the_error_no_rectangle() {
        let r = shot();
        let f = &r.frame;
        for quality in [85, 50] {
            let jpeg = encode_rgb(&f.rgb, f.width, f.height, quality).expect("encodes");
            let err = locate_in_jpeg(&jpeg, &f.rgb, f.width, f.height).expect_err("nothing drawn");
            assert!(matches!(err, CaptureError::NoRectangle(_)), "{err}");
            assert!(err.to_string().starts_with("no rectangle"), "{err}");
        }
    }

    #[test]
    fn frame_finder_picks_the_drawn_frame_among_50_consecutive_ones() {
        let from = AT_NS - 25 * FRAME_NS;
        let drawn_box = first_person();
        let jpeg = draw(shot(), &[rect(drawn_box)], &JpegOptions::default());
        let upload = decode_jpeg(&jpeg).expect("decodes");
        let mut finder = FrameFinder::new(Signature::of_decoded(&upload).expect("signature"));
        let (mut distances, mut next_frame) = (Vec::new(), Vec::new());
        render(from, 50, |r| {
            let f = &r.frame;
            if f.pts_ns == AT_NS + FRAME_NS {
                next_frame = f.rgb.clone();
            }
            let signature = Signature::of_rgb(&f.rgb, f.width, f.height).expect("signature");
            distances.push((f.pts_ns, finder.target().distance(&signature)));
            finder.offer_signed(f.pts_ns, &signature, &f.rgb);
        });
        let best = finder.into_best().expect("a frame was offered");
        assert_eq!(best.pts_ns, AT_NS, "distances {distances:?}");
        assert_eq!(best.rgb, shot().frame.rgb);
        // The neighbours, where people moved by a few pixels, are clearly farther.
        let next = distances
            .iter()
            .filter(|d| d.0 != AT_NS)
            .map(|d| d.1)
            .fold(f64::INFINITY, f64::min);
        assert!(
            next > 1.5 * best.distance,
            "best {} next {next}",
            best.distance
        );
        let found =
            locate_rectangle(&upload.rgb, &best.rgb, best.width, best.height).expect("found");
        assert!(iou(found.bbox, drawn_box) >= 0.9, "{found:?}");
        assert!(found.unexplained < 0.05, "{found:?}");
        // Against the next frame, 40 ms later, what moved is no rectangle.
        match locate_rectangle(&upload.rgb, &next_frame, best.width, best.height) {
            Ok(l) => assert!(l.unexplained > 0.3, "{l:?}"),
            Err(e) => assert!(matches!(e, CaptureError::NoRectangle(_)), "{e}"),
        }
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let f = &shot().frame;
        let jpeg = draw(shot(), &[rect(first_person())], &JpegOptions::default());
        // Not JPEG at all.
        for len in [0, 1, 2, 3, 10, 100, 1000, 10_000] {
            let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            assert!(
                matches!(decode_jpeg(&bytes), Err(CaptureError::NotJpeg(_))),
                "{len} random bytes"
            );
        }
        // Truncated.
        for cut in [2, 20, 200, 600, jpeg.len() / 2, jpeg.len() - 2] {
            let err =
                locate_in_jpeg(&jpeg[..cut], &f.rgb, f.width, f.height).expect_err("truncated");
            assert!(
                matches!(err, CaptureError::NotJpeg(_)),
                "cut at {cut}: {err}"
            );
        }
        // Corrupted: whatever it decodes to, no panic.
        for _ in 0..8 {
            let mut bad = jpeg.clone();
            for _ in 0..8 {
                let i = rng.random_range(0..bad.len());
                bad[i] = rng.random();
            }
            let _ = locate_in_jpeg(&bad, &f.rgb, f.width, f.height);
        }
        // Wrong size: both sizes are named.
        let small = encode_rgb(&f.rgb[..640 * 360 * 3], 640, 360, 85).expect("encodes");
        let err = locate_in_jpeg(&small, &f.rgb, f.width, f.height).expect_err("wrong size");
        assert_eq!(
            err.to_string(),
            "the upload is 640×360 but the camera's frame is 1280×720"
        );
        // Another picture altogether.
        let negative: Vec<u8> = f.rgb.iter().map(|v| 255 - v).collect();
        let err =
            locate_rectangle(&negative, &f.rgb, f.width, f.height).expect_err("not the frame");
        assert!(matches!(err, CaptureError::NotTheFrame { .. }), "{err}");
        // Buffers that are not the frame they claim to be.
        assert!(matches!(
            locate_rectangle(&f.rgb, &f.rgb[1..], f.width, f.height),
            Err(CaptureError::BadBuffer { .. })
        ));
        assert!(matches!(
            locate_rectangle(&[], &[], 0, 0),
            Err(CaptureError::BadBuffer { .. })
        ));
        assert!(Signature::of_rgb(&[1, 2], 1, 1).is_err());
        assert!(
            !FrameFinder::new(Signature::of_rgb(&[0; 3], 1, 1).expect("1×1"))
                .offer(0, &[0; 6], 2, 1)
        );
        // Tiny and random images, drawn or not.
        for (w, h) in [(1, 1), (2, 3), (7, 1), (1, 9), (9, 9), (16, 16), (33, 20)] {
            let n = w as usize * h as usize * 3;
            let a: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            let b: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            let _ = locate_rectangles(&a, &b, w, h);
            let _ = locate_rectangles(&a, &a, w, h);
            let mut boxed = a.clone();
            eseal_vision::media::jpeg::draw_rect(
                &mut boxed,
                w,
                h,
                Rect::new(1, 1, w as i32 - 1, h as i32 - 1),
                [255; 3],
                1,
            );
            let _ = locate_rectangles(&boxed, &a, w, h);
            let s = Signature::of_rgb(&a, w, h).expect("signature");
            assert_eq!(s.distance(&s), 0.0);
            let tiny = encode_rgb(&a, w, h, 85).expect("encodes");
            assert_eq!(decode_jpeg(&tiny).map(|d| (d.width, d.height)), Ok((w, h)));
        }
    }

    /// A `w`×`h` grey picture with `patches` of colour painted on, and the same with a
    /// `thickness` px rectangle `drawn` in `colour`, through JPEG at quality 85, decoded.
    fn synthetic(
        w: u32,
        h: u32,
        patches: &[(Rect, [u8; 3])],
        drawn: Rect,
        colour: [u8; 3],
        thickness: u32,
    ) -> (Vec<u8>, Vec<u8>) {
        let mut clean = vec![150u8; (w * h * 3) as usize];
        for (r, c) in patches {
            eseal_vision::media::jpeg::draw_rect(&mut clean, w, h, *r, *c, u32::MAX);
        }
        let mut upload = clean.clone();
        eseal_vision::media::jpeg::draw_rect(&mut upload, w, h, drawn, colour, thickness);
        let jpeg = encode_rgb(&upload, w, h, 85).expect("encodes");
        (decode_jpeg(&jpeg).expect("decodes").rgb, clean)
    }

    #[test]
    fn box_round_a_region_of_its_own_colour_is_an_outline_not_a_filled_box() {
        // Everything inside the black lines is black already: rows between the left and right
        // lines must not be joined into lines across it.
        let (upload, clean) = synthetic(
            200,
            160,
            &[(Rect::new(33, 23, 167, 137), [10, 10, 10])],
            Rect::new(30, 20, 170, 140),
            [0; 3],
            3,
        );
        let found = locate_rectangle(&upload, &clean, 200, 160).expect("found");
        assert_eq!(found.bbox, [30, 20, 170, 140], "{found:?}");
        assert!(found.thickness <= 4, "{found:?}");
    }

    #[test]
    fn line_crossing_something_of_its_colour_is_bridged() {
        // A white bar 30 px wide crosses the top and bottom lines of a white rectangle, and a
        // white block hides its top-left corner.
        let patches = [
            (Rect::new(80, 0, 110, 160), [255; 3]),
            (Rect::new(20, 10, 45, 40), [255; 3]),
        ];
        let (upload, clean) =
            synthetic(200, 160, &patches, Rect::new(30, 20, 170, 140), [255; 3], 2);
        let found = locate_rectangle(&upload, &clean, 200, 160).expect("found");
        assert_eq!(found.bbox, [30, 20, 170, 140], "{found:?}");
        assert!(
            found.support < 0.9,
            "part of the outline does not show: {found:?}"
        );
    }

    #[test]
    fn iou_of_half_open_boxes() {
        assert_eq!(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1.0);
        assert_eq!(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50.0 / 150.0);
        // Touching boxes share no pixel.
        assert_eq!(iou([0, 0, 10, 10], [10, 0, 20, 10]), 0.0);
        assert_eq!(iou([0, 0, 10, 10], [2, 2, 4, 4]), 4.0 / 100.0);
        // Empty and inverted boxes have no area.
        assert_eq!(iou([5, 5, 5, 5], [5, 5, 5, 5]), 0.0);
        assert_eq!(iou([9, 9, 1, 1], [0, 0, 10, 10]), 0.0);
    }
}
