//! Evidence payloads for demos, load runs and end-to-end tests: a JPEG with the spec's drawn
//! rectangle (U1/U2 "图片中用矩形框标出") and H.264 MP4 clips made by GStreamer. Nothing here is
//! committed as a file; everything is made at run time.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use image::{Rgb, RgbImage};

/// A `w`×`h` JPEG: a dim shaft-mouth-like gradient with a red rectangle drawn round `rect`
/// (x, y, width, height), as a device marks the recognised person or truck. `seed` varies the
/// picture so different uploads have different bytes.
pub fn jpeg_with_rectangle(
    w: u32,
    h: u32,
    rect: (u32, u32, u32, u32),
    seed: u32,
) -> Result<Vec<u8>> {
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let g = ((x + y + seed) % 96) as u8 + 40;
        Rgb([g, g, g.saturating_add((seed % 17) as u8)])
    });
    let (rx, ry, rw, rh) = rect;
    let red = Rgb([230, 30, 30]);
    for t in 0..3u32 {
        for x in rx..(rx + rw).min(w) {
            for y in [ry + t, (ry + rh).saturating_sub(1 + t)] {
                if y < h {
                    img.put_pixel(x, y, red);
                }
            }
        }
        for y in ry..(ry + rh).min(h) {
            for x in [rx + t, (rx + rw).saturating_sub(1 + t)] {
                if x < w {
                    img.put_pixel(x, y, red);
                }
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .context("could not encode JPEG")?;
    Ok(out.into_inner())
}

/// Video codec of a generated clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    H264,
    H265,
}

/// Writes an MP4 clip of `seconds` at `fps` to `path` with `gst-launch-1.0` (I420 caps before the
/// encoder, as TOOLCHAIN.md warns). `pattern` is a videotestsrc pattern number (varies the bytes).
pub fn mp4_clip(path: &Path, codec: Codec, seconds: u32, fps: u32, pattern: u32) -> Result<()> {
    let frames = seconds * fps;
    let enc: &[&str] = match codec {
        Codec::H264 => &[
            "x264enc",
            "speed-preset=ultrafast",
            "key-int-max=25",
            "!",
            "h264parse",
        ],
        Codec::H265 => &["x265enc", "speed-preset=ultrafast", "!", "h265parse"],
    };
    let location = format!("location={}", path.display());
    let caps = format!("video/x-raw,width=320,height=180,framerate={fps}/1");
    let mut args: Vec<String> = vec![
        "-q".into(),
        "videotestsrc".into(),
        format!("num-buffers={frames}"),
        format!("pattern={pattern}"),
        "!".into(),
        caps,
        "!".into(),
        "videoconvert".into(),
        "!".into(),
        "video/x-raw,format=I420".into(),
        "!".into(),
    ];
    args.extend(enc.iter().map(|s| (*s).to_owned()));
    args.extend([
        "!".into(),
        "mp4mux".into(),
        "!".into(),
        "filesink".into(),
        location,
    ]);
    let out = Command::new("gst-launch-1.0")
        .args(&args)
        .output()
        .context("could not run gst-launch-1.0 (install GStreamer: bash scripts/setup.sh)")?;
    if !out.status.success() {
        bail!(
            "gst-launch-1.0 failed making {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}
