//! PNG frames and a labelled contact sheet for a quick look at a run.

use std::path::Path;

use image::RgbImage;
use image::imageops::{self, FilterType};

use super::Error;
use super::font;
use crate::frame::Frame;

/// Writes one frame as an 8-bit RGB PNG.
pub fn write_png(frame: &Frame, path: &Path) -> Result<(), Error> {
    Error::check_frame(frame, frame.width, frame.height)?;
    image::save_buffer_with_format(
        path,
        &frame.rgb,
        frame.width,
        frame.height,
        image::ExtendedColorType::Rgb8,
        image::ImageFormat::Png,
    )
    .map_err(|e| Error::image(path.display(), e))
}

/// Reads a PNG back as a frame (index 0, time 0); any colour type is converted to RGB8.
pub fn read_png(path: &Path) -> Result<Frame, Error> {
    let img = image::open(path)
        .map_err(|e| Error::image(path.display(), e))?
        .into_rgb8();
    Ok(Frame {
        width: img.width(),
        height: img.height(),
        rgb: img.into_raw(),
        index: 0,
        pts_ns: 0,
    })
}

/// The file name [`write_pngs`] gives a frame: `frame_000123.png`.
pub fn png_name(frame: &Frame) -> String {
    format!("frame_{:06}.png", frame.index)
}

/// Writes every frame as `dir/frame_NNNNNN.png` (see [`png_name`]), calling `progress` with
/// the number written so far after each one. Returns how many were written.
pub fn write_pngs<I>(dir: &Path, frames: I, mut progress: impl FnMut(u64)) -> Result<u64, Error>
where
    I: IntoIterator<Item = Frame>,
{
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
    let mut done = 0;
    for frame in frames {
        write_png(&frame, &dir.join(png_name(&frame)))?;
        done += 1;
        progress(done);
    }
    Ok(done)
}

/// Gap between tiles and around the sheet, pixels.
const GAP: u32 = 4;
const BACKGROUND: [u8; 3] = [32, 32, 32];
const LABEL_COLOR: [u8; 3] = [255, 255, 255];

/// `#index h:mm:ss.ss` style label: `#250 0:10.00`, `#90000 1:00:00.00`.
pub fn frame_label(frame: &Frame) -> String {
    let centis = frame.pts_ns / 10_000_000;
    let (h, m, s, cs) = (
        centis / 360_000,
        centis / 6_000 % 60,
        centis / 100 % 60,
        centis % 100,
    );
    if h > 0 {
        format!("#{} {h}:{m:02}:{s:02}.{cs:02}", frame.index)
    } else {
        format!("#{} {m}:{s:02}.{cs:02}", frame.index)
    }
}

/// The label scale used for tiles `thumb_width` wide.
fn label_scale(thumb_width: u32) -> u32 {
    if thumb_width >= 240 { 2 } else { 1 }
}

/// Size of the sheet [`contact_sheet`] makes: `(width, height)`.
///
/// Every tile is `thumb_width` wide and as high as the first frame's aspect ratio gives, with a
/// label strip under it; tiles are `GAP` (4) pixels apart and from the edges.
pub fn contact_sheet_size(frames: &[Frame], columns: u32, thumb_width: u32) -> Option<(u32, u32)> {
    let first = frames.first()?;
    if columns == 0 || thumb_width == 0 || first.width == 0 {
        return None;
    }
    let thumb_height = thumb_height(first, thumb_width);
    let cell_height = thumb_height + label_height(thumb_width);
    let columns = columns.min(frames.len() as u32);
    let rows = (frames.len() as u32).div_ceil(columns);
    Some((
        columns * (thumb_width + GAP) + GAP,
        rows * (cell_height + GAP) + GAP,
    ))
}

fn thumb_height(first: &Frame, thumb_width: u32) -> u32 {
    ((u64::from(first.height) * u64::from(thumb_width) + u64::from(first.width) / 2)
        / u64::from(first.width))
    .max(1) as u32
}

fn label_height(thumb_width: u32) -> u32 {
    font::GLYPH_H * label_scale(thumb_width) + 4
}

/// A contact sheet: the frames as `thumb_width`-wide tiles, `columns` to a row, each labelled
/// with its frame index and time (`#250 0:10.00`) in the built-in 5×7 font.
///
/// Tiles take the first frame's aspect ratio. The sheet is returned as a frame (index 0,
/// time 0) so it can be written with [`write_png`].
pub fn contact_sheet(frames: &[Frame], columns: u32, thumb_width: u32) -> Result<Frame, Error> {
    let (width, height) =
        contact_sheet_size(frames, columns, thumb_width).ok_or(Error::NoFrames)?;
    let columns = columns.min(frames.len() as u32);
    let thumb_h = thumb_height(&frames[0], thumb_width);
    let cell_h = thumb_h + label_height(thumb_width);
    let scale = label_scale(thumb_width);
    let mut sheet = RgbImage::from_pixel(width, height, image::Rgb(BACKGROUND));
    for (i, frame) in frames.iter().enumerate() {
        Error::check_frame(frame, frame.width, frame.height)?;
        let col = i as u32 % columns;
        let row = i as u32 / columns;
        let x = GAP + col * (thumb_width + GAP);
        let y = GAP + row * (cell_h + GAP);
        let src = image::ImageBuffer::<image::Rgb<u8>, &[u8]>::from_raw(
            frame.width,
            frame.height,
            &frame.rgb[..],
        )
        .ok_or(Error::NoFrames)?;
        let thumb = imageops::resize(&src, thumb_width, thumb_h, FilterType::Triangle);
        imageops::replace(&mut sheet, &thumb, i64::from(x), i64::from(y));
        let mut label = frame_label(frame);
        while label.len() > 1 && font::text_width(&label, scale) > thumb_width {
            label.pop();
        }
        font::draw_text(
            &mut sheet,
            width,
            x,
            y + thumb_h + 2,
            &label,
            scale,
            LABEL_COLOR,
        );
    }
    Ok(Frame {
        width,
        height,
        rgb: sheet.into_raw(),
        index: 0,
        pts_ns: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_show_index_and_time() {
        let f = |index, pts_ns| Frame {
            width: 2,
            height: 2,
            rgb: vec![0; 12],
            index,
            pts_ns,
        };
        assert_eq!(frame_label(&f(250, 10_000_000_000)), "#250 0:10.00");
        assert_eq!(frame_label(&f(7, 4_960_000_000)), "#7 0:04.96");
        assert_eq!(
            frame_label(&f(90_000, 3_600_000_000_000)),
            "#90000 1:00:00.00"
        );
    }
}
