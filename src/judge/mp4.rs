//! The judge's own MP4 (ISO-BMFF, ISO/IEC 14496-12) reader: what a clip is — its video codec,
//! picture size and duration — read from the file's boxes (issue 15: the judge owns its
//! algorithms; it used to ask the reference device's helper, which runs `gst-discoverer-1.0`).
//!
//! Key design decision: **read only what the checks need, and trust no length.** The reader
//! walks the box tree down to the first video track (`moov/trak` whose `mdia/hdlr` handler is
//! `vide`) and reads four things: the media timescale and duration (`mdia/mdhd`), the sample
//! entry's four-character code (`mdia/minf/stbl/stsd`: `avc1`/`avc3` are H.264) and the picture
//! size (the visual sample entry, or else the track header `tkhd`). A fragmented file
//! (`moov/mvex`, then `moof` boxes) gets its duration from `mvex/mehd` or else by adding the
//! sample durations of the track's `moof/traf/trun` boxes. Every box size is checked against
//! its parent before anything is read (a box that overruns is an error naming it and its
//! offset); the reader never recurses into boxes it does not know but follows the fixed paths
//! above, so its depth is bounded by construction (seven levels, `moov` to the sample entry)
//! whatever the nesting; loops run over bytes that are there (a sample count larger than its
//! table stops at the table's end); every read is bounds-checked. Any input, however damaged,
//! gives a value or an [`Mp4Error`], never a panic. Checked against
//! `gst-discoverer-1.0` (an independent implementation) on clips made with GStreamer.

use std::fmt;

/// What the judge knows about a clip.
#[derive(Debug, Clone, PartialEq)]
pub struct Mp4Info {
    /// The first video track's sample entry code, e.g. `avc1` (H.264) or `hvc1` (H.265).
    pub codec: String,
    /// The video track's duration, seconds.
    pub duration_s: f64,
    /// Picture size in pixels.
    pub width: u32,
    pub height: u32,
}

impl Mp4Info {
    /// Whether the video is H.264 (`avc1` or `avc3`, U3/U5).
    pub fn is_h264(&self) -> bool {
        matches!(self.codec.as_str(), "avc1" | "avc3")
    }
}

/// Why bytes are not a readable MP4 clip.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mp4Error {
    /// A box's size runs past its parent (or the file), or is smaller than its own header.
    #[error("box `{kind}` at byte {offset}: {why}")]
    BadBox {
        kind: String,
        offset: usize,
        why: String,
    },
    /// A box needed is missing.
    #[error("no `{0}` box")]
    Missing(&'static str),
    /// No track has a `vide` handler.
    #[error("no video track (no trak with an hdlr of type `vide`)")]
    NoVideo,
    /// A field that must not be zero is.
    #[error("`{0}` is zero")]
    Zero(&'static str),
}

/// A box: its type, its payload, and where it and its payload start in the file.
#[derive(Clone, Copy)]
struct Bx<'a> {
    kind: [u8; 4],
    offset: usize,
    body_offset: usize,
    body: &'a [u8],
}

impl fmt::Debug for Bx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{}+{}",
            fourcc(self.kind),
            self.offset,
            self.body.len()
        )
    }
}

fn fourcc(k: [u8; 4]) -> String {
    k.iter()
        .map(|b| {
            if b.is_ascii_graphic() {
                *b as char
            } else {
                '?'
            }
        })
        .collect()
}

/// The child boxes of `data` (which starts at file offset `base`), sizes checked.
fn children(data: &[u8], base: usize) -> Result<Vec<Bx<'_>>, Mp4Error> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < data.len() {
        let offset = base + at;
        let rest = &data[at..];
        let bad = |kind: &[u8], why: String| Mp4Error::BadBox {
            kind: fourcc(kind4(kind)),
            offset,
            why,
        };
        if rest.len() < 8 {
            return Err(bad(
                b"????",
                format!("{} trailing bytes, too few for a box header", rest.len()),
            ));
        }
        let kind = kind4(&rest[4..8]);
        let size32 = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let (size, header) = match size32 {
            0 => (rest.len() as u64, 8usize),
            1 => {
                let Some(large) = be_u64(rest, 8) else {
                    return Err(bad(&kind, "64-bit size cut off".to_owned()));
                };
                (large, 16)
            }
            n => (u64::from(n), 8),
        };
        let header = if &kind == b"uuid" {
            header + 16
        } else {
            header
        };
        if size < header as u64 {
            return Err(bad(
                &kind,
                format!("size {size} is smaller than its {header}-byte header"),
            ));
        }
        if size > rest.len() as u64 {
            return Err(bad(
                &kind,
                format!(
                    "size {size} runs past the {} bytes left in its parent",
                    rest.len()
                ),
            ));
        }
        let size = size as usize; // ≤ rest.len(), so it fits
        out.push(Bx {
            kind,
            offset,
            body_offset: offset + header,
            body: &rest[header..size],
        });
        at += size;
    }
    Ok(out)
}

fn kind4(b: &[u8]) -> [u8; 4] {
    let mut k = [b'?'; 4];
    for (d, s) in k.iter_mut().zip(b) {
        *d = *s;
    }
    k
}

fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// The first child of type `kind`.
fn child<'a>(parent: &Bx<'a>, kind: &[u8; 4]) -> Result<Option<Bx<'a>>, Mp4Error> {
    Ok(children(parent.body, parent.body_offset)?
        .into_iter()
        .find(|b| &b.kind == kind))
}

/// Every child of type `kind`.
fn all<'a>(parent: &Bx<'a>, kind: &[u8; 4]) -> Result<Vec<Bx<'a>>, Mp4Error> {
    Ok(children(parent.body, parent.body_offset)?
        .into_iter()
        .filter(|b| &b.kind == kind)
        .collect())
}

fn need<'a>(b: Option<Bx<'a>>, what: &'static str) -> Result<Bx<'a>, Mp4Error> {
    b.ok_or(Mp4Error::Missing(what))
}

fn short(b: &Bx<'_>, what: &str) -> Mp4Error {
    Mp4Error::BadBox {
        kind: fourcc(b.kind),
        offset: b.offset,
        why: format!("too short for {what}"),
    }
}

/// Reads codec, size and duration of an MP4 clip. Never panics.
pub fn probe(bytes: &[u8]) -> Result<Mp4Info, Mp4Error> {
    let top = children(bytes, 0)?;
    let moov = need(top.iter().copied().find(|b| &b.kind == b"moov"), "moov")?;
    let mut video = None;
    for trak in all(&moov, b"trak")? {
        let mdia = need(child(&trak, b"mdia")?, "mdia")?;
        let hdlr = need(child(&mdia, b"hdlr")?, "hdlr")?;
        // FullBox (4), pre_defined (4), handler_type (4).
        if hdlr.body.get(8..12) == Some(b"vide") {
            video = Some((trak, mdia));
            break;
        }
    }
    let (trak, mdia) = video.ok_or(Mp4Error::NoVideo)?;
    let (timescale, media_duration) = mdhd(&need(child(&mdia, b"mdhd")?, "mdhd")?)?;
    let tkhd = need(child(&trak, b"tkhd")?, "tkhd")?;
    let (track_id, tk_size) = tkhd_fields(&tkhd)?;
    let minf = need(child(&mdia, b"minf")?, "minf")?;
    let stbl = need(child(&minf, b"stbl")?, "stbl")?;
    let stsd = need(child(&stbl, b"stsd")?, "stsd")?;
    let (codec, entry_size) = sample_entry(&stsd)?;
    let (width, height) = match entry_size {
        Some((w, h)) if w > 0 && h > 0 => (w, h),
        _ => tk_size,
    };
    let duration = if media_duration > 0 {
        media_duration as f64 / f64::from(timescale)
    } else {
        fragmented_duration(&top, &moov, track_id, timescale)?
    };
    Ok(Mp4Info {
        codec,
        duration_s: duration,
        width,
        height,
    })
}

/// `mdhd`: (timescale, duration in it).
fn mdhd(b: &Bx<'_>) -> Result<(u32, u64), Mp4Error> {
    let version = *b.body.first().ok_or_else(|| short(b, "its version"))?;
    let (ts, dur) = if version == 1 {
        (be_u32(b.body, 20), be_u64(b.body, 24))
    } else {
        (
            be_u32(b.body, 12),
            be_u32(b.body, 16).map(|d| if d == u32::MAX { 0 } else { u64::from(d) }),
        )
    };
    let (Some(ts), Some(dur)) = (ts, dur) else {
        return Err(short(b, "timescale and duration"));
    };
    if ts == 0 {
        return Err(Mp4Error::Zero("mdhd timescale"));
    }
    // An all-ones duration means "unknown" in either version.
    Ok((ts, if dur == u64::MAX { 0 } else { dur }))
}

/// `tkhd`: (track id, (width, height)) — the size is 16.16 fixed point in the last 8 bytes.
fn tkhd_fields(b: &Bx<'_>) -> Result<(u32, (u32, u32)), Mp4Error> {
    let version = *b.body.first().ok_or_else(|| short(b, "its version"))?;
    let (id_at, size_at) = if version == 1 { (20, 88) } else { (12, 76) };
    let id = be_u32(b.body, id_at).ok_or_else(|| short(b, "the track id"))?;
    let w = be_u32(b.body, size_at).ok_or_else(|| short(b, "the width"))?;
    let h = be_u32(b.body, size_at + 4).ok_or_else(|| short(b, "the height"))?;
    Ok((id, (w >> 16, h >> 16)))
}

/// `stsd`: the first sample entry's code and, for a visual entry, its width and height.
fn sample_entry(stsd: &Bx<'_>) -> Result<(String, Option<(u32, u32)>), Mp4Error> {
    // FullBox (4), entry_count (4), then the entries as boxes.
    let count = be_u32(stsd.body, 4).ok_or_else(|| short(stsd, "its entry count"))?;
    if count == 0 {
        return Err(Mp4Error::Zero("stsd entry_count"));
    }
    let entries = children(stsd.body.get(8..).unwrap_or_default(), stsd.body_offset + 8)?;
    let first = entries
        .first()
        .ok_or(Mp4Error::Missing("stsd sample entry"))?;
    // VisualSampleEntry: reserved (6), data_reference_index (2), pre_defined/reserved (16),
    // width (2), height (2).
    let size = be_u16(first.body, 24)
        .zip(be_u16(first.body, 26))
        .map(|(w, h)| (u32::from(w), u32::from(h)));
    Ok((fourcc(first.kind), size))
}

/// The duration of a fragmented track: `mvex/mehd` when given, else the sum of its `trun`
/// sample durations (per sample, or the `tfhd` / `trex` default).
fn fragmented_duration(
    top: &[Bx<'_>],
    moov: &Bx<'_>,
    track: u32,
    timescale: u32,
) -> Result<f64, Mp4Error> {
    let Some(mvex) = child(moov, b"mvex")? else {
        return Ok(0.0);
    };
    if let Some(mehd) = child(&mvex, b"mehd")? {
        let v1 = mehd.body.first() == Some(&1);
        let d = if v1 {
            be_u64(mehd.body, 4)
        } else {
            be_u32(mehd.body, 4).map(u64::from)
        };
        let movie_ts = child(moov, b"mvhd")?.and_then(|m| {
            let at = if m.body.first() == Some(&1) { 20 } else { 12 };
            be_u32(m.body, at)
        });
        if let (Some(d), Some(ts)) = (d, movie_ts)
            && d > 0
            && ts > 0
        {
            return Ok(d as f64 / f64::from(ts));
        }
    }
    let trex_default = all(&mvex, b"trex")?
        .iter()
        .find(|t| be_u32(t.body, 4) == Some(track))
        .and_then(|t| be_u32(t.body, 12))
        .unwrap_or(0);
    let mut total: u64 = 0;
    for moof in top.iter().filter(|b| &b.kind == b"moof") {
        for traf in all(moof, b"traf")? {
            let tfhd = need(child(&traf, b"tfhd")?, "tfhd")?;
            if be_u32(tfhd.body, 4) != Some(track) {
                continue;
            }
            let default = tfhd_default_duration(&tfhd).unwrap_or(trex_default);
            for trun in all(&traf, b"trun")? {
                total = total.saturating_add(trun_duration(&trun, default)?);
            }
        }
    }
    Ok(total as f64 / f64::from(timescale))
}

/// `tfhd`'s default sample duration, when its flag 0x08 says it is there.
fn tfhd_default_duration(tfhd: &Bx<'_>) -> Option<u32> {
    let flags = be_u32(tfhd.body, 0)? & 0x00ff_ffff;
    if flags & 0x08 == 0 {
        return None;
    }
    // FullBox (4), track_ID (4), then optional base_data_offset (8), sample_description_index (4).
    let mut at = 8;
    if flags & 0x01 != 0 {
        at += 8;
    }
    if flags & 0x02 != 0 {
        at += 4;
    }
    be_u32(tfhd.body, at)
}

/// The summed sample durations of a `trun`.
fn trun_duration(trun: &Bx<'_>, default: u32) -> Result<u64, Mp4Error> {
    let flags = be_u32(trun.body, 0).ok_or_else(|| short(trun, "its flags"))? & 0x00ff_ffff;
    let count = be_u32(trun.body, 4).ok_or_else(|| short(trun, "its sample count"))?;
    let mut at = 8usize;
    if flags & 0x001 != 0 {
        at += 4; // data_offset
    }
    if flags & 0x004 != 0 {
        at += 4; // first_sample_flags
    }
    let per_sample = [0x100u32, 0x200, 0x400, 0x800]
        .iter()
        .filter(|f| flags & **f != 0)
        .count()
        * 4;
    if flags & 0x100 == 0 {
        // Every sample lasts the default; the table still has to be there.
        let table = (count as usize)
            .checked_mul(per_sample)
            .and_then(|n| n.checked_add(at));
        if table.is_none_or(|end| end > trun.body.len()) {
            return Err(short(trun, &format!("{count} samples")));
        }
        return Ok(u64::from(count) * u64::from(default));
    }
    let mut total = 0u64;
    for _ in 0..count {
        let d = be_u32(trun.body, at).ok_or_else(|| short(trun, &format!("{count} samples")))?;
        total = total.saturating_add(u64::from(d));
        at += per_sample;
    }
    Ok(total)
}

#[cfg(test)]
mod tests;
