//! Content checks: do the bytes match the extension and the clause?
//!
//! `.jpg` must be a complete JPEG that decodes (U1, U2, U4). `.mp4` must be an ISO-BMFF file with
//! a video track whose sample entry is H.264 (`avc1`/`avc3`) and a known duration (U3, U5). The
//! MP4 reader is our own, small and panic-free: every length is checked against its parent box
//! before it is used, so arbitrary bytes give a refusal, never a panic or a huge allocation.

/// What kind of media the name's extension promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// `.jpg`
    Jpeg,
    /// `.mp4`
    Mp4,
}

/// What the checked bytes are.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContentInfo {
    /// `image/jpeg` or `video/mp4`.
    pub media_type: &'static str,
    /// Pixels.
    pub width: Option<u32>,
    /// Pixels.
    pub height: Option<u32>,
    /// `jpeg`, or the MP4 video sample entry (`avc1`, `avc3`).
    pub codec: String,
    /// MP4 only: the video track's duration (the movie's when the track has none).
    pub duration_ms: Option<u64>,
}

/// Why the bytes were refused. `reason` starts with `content:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentRefusal {
    /// The clause the requirement comes from, when it is a clause (U5: H.264).
    pub clause: Option<&'static str>,
    /// One line, e.g. `content: not a JPEG (starts with 89 50 4E 47: PNG)`.
    pub reason: String,
}

fn refuse(reason: impl Into<String>) -> ContentRefusal {
    ContentRefusal {
        clause: None,
        reason: reason.into(),
    }
}

/// Checks `bytes` against the promised kind. `clause` (`"U1"` … `"U5"`) is used in messages.
pub fn check(kind: MediaKind, clause: &str, bytes: &[u8]) -> Result<ContentInfo, ContentRefusal> {
    match kind {
        MediaKind::Jpeg => check_jpeg(bytes),
        MediaKind::Mp4 => check_mp4(clause, bytes),
    }
}

/// Names the format of `bytes` from its magic numbers, for messages.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\xFF\xD8\xFF", "JPEG"),
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"GIF87a", "GIF"),
        (b"GIF89a", "GIF"),
        (b"BM", "BMP"),
        (b"RIFF", "RIFF (WebP/AVI/WAV)"),
        (b"%PDF", "PDF"),
        (b"PK\x03\x04", "ZIP"),
        (b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
        (b"\x00\x00\x00\x01", "raw H.264/H.265 Annex B stream"),
        (b"II*\x00", "TIFF"),
        (b"MM\x00*", "TIFF"),
    ];
    if bytes.len() >= 8 && &bytes[4..8] == b"ftyp" {
        return Some("ISO-BMFF (MP4/MOV)");
    }
    MAGIC
        .iter()
        .find(|(m, _)| bytes.starts_with(m))
        .map(|(_, n)| *n)
}

fn head_hex(bytes: &[u8]) -> String {
    let h: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02X}")).collect();
    if h.is_empty() {
        "nothing (empty file)".to_owned()
    } else {
        h.join(" ")
    }
}

fn not_a(what: &str, bytes: &[u8]) -> ContentRefusal {
    if bytes.is_empty() {
        return refuse(format!("content: not a {what} (the file is empty)"));
    }
    match sniff(bytes) {
        Some(fmt) => refuse(format!(
            "content: not a {what} (starts with {}: {fmt})",
            head_hex(bytes)
        )),
        None => refuse(format!(
            "content: not a {what} (starts with {})",
            head_hex(bytes)
        )),
    }
}

/// A complete, decodable JPEG.
pub fn check_jpeg(bytes: &[u8]) -> Result<ContentInfo, ContentRefusal> {
    if !bytes.starts_with(b"\xFF\xD8\xFF") {
        return Err(not_a("JPEG", bytes));
    }
    // Tolerate trailing padding after EOI, as some encoders write it, but the last marker must be EOI.
    let trimmed = {
        let mut end = bytes.len();
        while end > 2 && matches!(bytes[end - 1], 0x00 | b'\r' | b'\n' | b' ') {
            end -= 1;
        }
        &bytes[..end]
    };
    if !trimmed.ends_with(b"\xFF\xD9") {
        return Err(refuse(format!(
            "content: JPEG is truncated (no end-of-image marker FF D9 at the end; {} bytes received)",
            bytes.len()
        )));
    }
    let mut reader =
        image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Jpeg);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| refuse(format!("content: JPEG does not decode: {e}")))?;
    Ok(ContentInfo {
        media_type: "image/jpeg",
        width: Some(img.width()),
        height: Some(img.height()),
        codec: "jpeg".to_owned(),
        duration_ms: None,
    })
}

// ---------------------------------------------------------------------------------------------
// ISO-BMFF

#[derive(Debug, Clone, Copy)]
struct Box4<'a> {
    kind: [u8; 4],
    /// Payload (after the header).
    body: &'a [u8],
    offset: usize,
}

fn fourcc(k: &[u8; 4]) -> String {
    k.iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect()
}

/// Splits `data` (located at `base` in the file) into boxes; a box that overruns `data` is an error.
fn boxes(data: &[u8], base: usize) -> Result<Vec<Box4<'_>>, ContentRefusal> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        let rest = &data[pos..];
        if rest.len() < 8 {
            return Err(refuse(format!(
                "content: MP4 is truncated or malformed ({} stray bytes at offset {} where a box header was expected)",
                rest.len(),
                base + pos
            )));
        }
        let size32 = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let kind = [rest[4], rest[5], rest[6], rest[7]];
        let (header, size) = match size32 {
            0 => (8usize, rest.len() as u64),
            1 => {
                if rest.len() < 16 {
                    return Err(refuse(format!(
                        "content: MP4 box '{}' at offset {} is truncated",
                        fourcc(&kind),
                        base + pos
                    )));
                }
                let mut b = [0u8; 8];
                b.copy_from_slice(&rest[8..16]);
                (16usize, u64::from_be_bytes(b))
            }
            n => (8usize, u64::from(n)),
        };
        if size < header as u64 {
            return Err(refuse(format!(
                "content: MP4 box '{}' at offset {} has an impossible size {size}",
                fourcc(&kind),
                base + pos
            )));
        }
        if size > rest.len() as u64 {
            return Err(refuse(format!(
                "content: MP4 is truncated: box '{}' at offset {} claims {size} bytes, only {} present",
                fourcc(&kind),
                base + pos,
                rest.len()
            )));
        }
        let size = size as usize; // <= rest.len()
        out.push(Box4 {
            kind,
            body: &rest[header..size],
            offset: base + pos,
        });
        pos += size;
    }
    Ok(out)
}

fn children<'a>(b: &Box4<'a>) -> Result<Vec<Box4<'a>>, ContentRefusal> {
    boxes(b.body, b.offset + 8)
}

fn find<'a>(list: &[Box4<'a>], kind: &[u8; 4]) -> Option<Box4<'a>> {
    list.iter().find(|b| &b.kind == kind).copied()
}

/// Big-endian reader over a full box body that fails softly.
struct Rd<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Rd<'a> {
    fn new(b: &'a [u8]) -> Self {
        Rd { b, p: 0 }
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.p..self.p.checked_add(n)?)?;
        self.p += n;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|s| s[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|s| u16::from_be_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|s| {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            u64::from_be_bytes(a)
        })
    }
}

/// (timescale, duration) of an `mvhd` or `mdhd` body.
fn header_duration(body: &[u8]) -> Option<(u32, u64)> {
    let mut r = Rd::new(body);
    let version = r.u8()?;
    r.take(3)?;
    if version == 1 {
        r.u64()?;
        r.u64()?;
        let ts = r.u32()?;
        Some((ts, r.u64()?))
    } else {
        r.u32()?;
        r.u32()?;
        let ts = r.u32()?;
        Some((ts, u64::from(r.u32()?)))
    }
}

fn to_ms(ts: u32, dur: u64) -> Option<u64> {
    // u64::MAX duration means "unknown" in ISO-BMFF; 0 means nothing either.
    if ts == 0 || dur == 0 || dur == u64::MAX || dur == u64::from(u32::MAX) {
        return None;
    }
    Some((u128::from(dur) * 1000 / u128::from(ts)).min(u128::from(u64::MAX)) as u64)
}

struct VideoTrack {
    codec: [u8; 4],
    width: u16,
    height: u16,
    duration_ms: Option<u64>,
}

fn video_track(trak: &Box4<'_>) -> Result<Option<VideoTrack>, ContentRefusal> {
    let kids = children(trak)?;
    let Some(mdia) = find(&kids, b"mdia") else {
        return Ok(None);
    };
    let mdia_kids = children(&mdia)?;
    let Some(hdlr) = find(&mdia_kids, b"hdlr") else {
        return Ok(None);
    };
    // full box header (4) + pre_defined (4) + handler_type (4)
    if hdlr.body.get(8..12) != Some(b"vide".as_slice()) {
        return Ok(None);
    }
    let duration_ms = find(&mdia_kids, b"mdhd")
        .and_then(|m| header_duration(m.body))
        .and_then(|(ts, d)| to_ms(ts, d));
    let stsd = find(&mdia_kids, b"minf")
        .map(|m| children(&m))
        .transpose()?
        .and_then(|k| find(&k, b"stbl"))
        .map(|s| children(&s))
        .transpose()?
        .and_then(|k| find(&k, b"stsd"));
    let Some(stsd) = stsd else {
        return Err(refuse(
            "content: MP4 video track has no sample description (trak/mdia/minf/stbl/stsd missing)",
        ));
    };
    // full box header (4) + entry_count (4), then sample entries as boxes
    let entries = stsd
        .body
        .get(8..)
        .ok_or_else(|| refuse("content: MP4 'stsd' box is truncated"))?;
    let entries = boxes(entries, stsd.offset + 16)?;
    let Some(entry) = entries.first() else {
        return Err(refuse(
            "content: MP4 video track has an empty sample description (no codec)",
        ));
    };
    // VisualSampleEntry: reserved 6, data_reference_index 2, pre_defined 2, reserved 2,
    // pre_defined 12, width 2, height 2
    let mut r = Rd::new(entry.body);
    let (width, height) = match r.take(24) {
        Some(_) => (r.u16().unwrap_or(0), r.u16().unwrap_or(0)),
        None => (0, 0),
    };
    Ok(Some(VideoTrack {
        codec: entry.kind,
        width,
        height,
        duration_ms,
    }))
}

/// An MP4 with an H.264 video track and a duration.
pub fn check_mp4(clause: &str, bytes: &[u8]) -> Result<ContentInfo, ContentRefusal> {
    if bytes.len() < 8 || &bytes[4..8] != b"ftyp" {
        return Err(not_a("MP4 (no 'ftyp' box at the start)", bytes));
    }
    let top = boxes(bytes, 0)?;
    let Some(moov) = find(&top, b"moov") else {
        let kinds: Vec<String> = top
            .iter()
            .map(|b| format!("'{}'", fourcc(&b.kind)))
            .collect();
        return Err(refuse(format!(
            "content: MP4 has no 'moov' box (top-level boxes: {}); the recording was not finalised",
            kinds.join(", ")
        )));
    };
    let moov_kids = children(&moov)?;
    let movie_ms = find(&moov_kids, b"mvhd")
        .and_then(|m| header_duration(m.body))
        .and_then(|(ts, d)| to_ms(ts, d));
    let mut video = None;
    for trak in moov_kids.iter().filter(|b| &b.kind == b"trak") {
        if let Some(v) = video_track(trak)? {
            video = Some(v);
            break;
        }
    }
    let Some(v) = video else {
        return Err(refuse(
            "content: MP4 has no video track (no 'trak' with handler 'vide')",
        ));
    };
    let codec = fourcc(&v.codec);
    match &v.codec {
        b"avc1" | b"avc3" => {}
        b"hvc1" | b"hev1" => {
            let reason = if clause == "U5" {
                format!("content: .mp4 video track is H.265 ({codec}), U5 requires H.264")
            } else {
                format!(
                    "content: .mp4 video track is H.265 ({codec}), {clause} clips must be H.264 (reference profile: U5 requires H.264 and is applied to every clip)"
                )
            };
            return Err(ContentRefusal {
                clause: Some("U5"),
                reason,
            });
        }
        _ => {
            return Err(ContentRefusal {
                clause: Some("U5"),
                reason: format!(
                    "content: .mp4 video track codec is '{codec}', not H.264 (avc1/avc3) as U5 requires"
                ),
            });
        }
    }
    let duration_ms = v.duration_ms.or(movie_ms);
    if duration_ms.is_none() {
        return Err(refuse(
            "content: MP4 has no duration (mvhd and the video track's mdhd both give 0 or unknown)",
        ));
    }
    if !top.iter().any(|b| &b.kind == b"mdat" && !b.body.is_empty())
        && !top.iter().any(|b| &b.kind == b"moof")
    {
        return Err(refuse(
            "content: MP4 has no media data (no non-empty 'mdat' box)",
        ));
    }
    Ok(ContentInfo {
        media_type: "video/mp4",
        width: (v.width > 0).then_some(u32::from(v.width)),
        height: (v.height > 0).then_some(u32::from(v.height)),
        codec,
        duration_ms,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    fn full(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = vec![0, 0, 0, 0];
        b.extend_from_slice(body);
        bx(kind, &b)
    }

    /// A minimal structurally valid MP4 with one video track of the given codec.
    fn synthetic_mp4(codec: &[u8; 4], ts: u32, dur: u32) -> Vec<u8> {
        let mut mvhd = vec![0u8; 8];
        mvhd.extend_from_slice(&ts.to_be_bytes());
        mvhd.extend_from_slice(&dur.to_be_bytes());
        mvhd.extend_from_slice(&[0u8; 80]);
        let mut mdhd = vec![0u8; 8];
        mdhd.extend_from_slice(&ts.to_be_bytes());
        mdhd.extend_from_slice(&dur.to_be_bytes());
        mdhd.extend_from_slice(&[0u8; 4]);
        let mut hdlr = vec![0u8; 4];
        hdlr.extend_from_slice(b"vide");
        hdlr.extend_from_slice(&[0u8; 13]);
        let mut entry = vec![0u8; 24];
        entry.extend_from_slice(&64u16.to_be_bytes());
        entry.extend_from_slice(&48u16.to_be_bytes());
        entry.extend_from_slice(&[0u8; 50]);
        let mut stsd = 1u32.to_be_bytes().to_vec();
        stsd.extend(bx(codec, &entry));
        let stbl = bx(b"stbl", &full(b"stsd", &stsd));
        let minf = bx(b"minf", &stbl);
        let mdia = bx(
            b"mdia",
            &[full(b"mdhd", &mdhd), full(b"hdlr", &hdlr), minf].concat(),
        );
        let trak = bx(b"trak", &mdia);
        let moov = bx(b"moov", &[full(b"mvhd", &mvhd), trak].concat());
        [
            bx(b"ftyp", b"isomiso2avc1mp41"),
            bx(b"mdat", &[1, 2, 3]),
            moov,
        ]
        .concat()
    }

    #[test]
    fn synthetic_h264_passes() {
        let info = check_mp4("U3", &synthetic_mp4(b"avc1", 1000, 10_000)).unwrap();
        assert_eq!(info.codec, "avc1");
        assert_eq!(info.duration_ms, Some(10_000));
        assert_eq!((info.width, info.height), (Some(64), Some(48)));
    }

    #[test]
    fn h265_and_others_refused_with_reason() {
        let e = check_mp4("U5", &synthetic_mp4(b"hvc1", 1000, 10_000)).unwrap_err();
        assert_eq!(
            e.reason,
            "content: .mp4 video track is H.265 (hvc1), U5 requires H.264"
        );
        let e = check_mp4("U3", &synthetic_mp4(b"hev1", 1000, 10_000)).unwrap_err();
        assert!(
            e.reason.contains("H.265 (hev1), U3 clips must be H.264"),
            "{}",
            e.reason
        );
        let e = check_mp4("U3", &synthetic_mp4(b"mp4v", 1000, 10_000)).unwrap_err();
        assert!(e.reason.contains("'mp4v'"), "{}", e.reason);
        let e = check_mp4("U3", &synthetic_mp4(b"avc1", 1000, 0)).unwrap_err();
        assert!(e.reason.contains("no duration"), "{}", e.reason);
    }

    #[test]
    fn truncated_mp4_refused() {
        let full = synthetic_mp4(b"avc1", 1000, 10_000);
        for cut in [9, 20, full.len() / 2, full.len() - 1] {
            assert!(check_mp4("U3", &full[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn png_named_jpg_says_png() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let e = check_jpeg(png).unwrap_err();
        assert_eq!(
            e.reason,
            "content: not a JPEG (starts with 89 50 4E 47: PNG)"
        );
        assert_eq!(
            check_jpeg(b"").unwrap_err().reason,
            "content: not a JPEG (the file is empty)"
        );
        let e = check_mp4("U3", png).unwrap_err();
        assert!(e.reason.starts_with("content: not a MP4"), "{}", e.reason);
    }

    #[test]
    fn jpeg_decodes_and_truncation_is_refused() {
        let img = image::RgbImage::from_pixel(32, 24, image::Rgb([200, 10, 10]));
        let mut buf = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut buf, image::ImageFormat::Jpeg)
            .unwrap();
        let jpg = buf.into_inner();
        let info = check_jpeg(&jpg).unwrap();
        assert_eq!(
            (info.width, info.height, info.media_type),
            (Some(32), Some(24), "image/jpeg")
        );
        let e = check_jpeg(&jpg[..jpg.len() / 2]).unwrap_err();
        assert!(e.reason.contains("truncated"), "{}", e.reason);
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                let _ = check(MediaKind::Jpeg, "U1", &bytes);
                let _ = check(MediaKind::Mp4, "U3", &bytes);
            }

            #[test]
            fn mutated_mp4_never_panics(pos in 0usize..400, val in any::<u8>(), cut in 0usize..400) {
                let mut v = synthetic_mp4(b"avc1", 1000, 10_000);
                let n = v.len();
                v[pos % n] = val;
                v.truncate(n - cut % n);
                let _ = check_mp4("U3", &v);
            }

            #[test]
            fn ftyp_prefixed_garbage_never_panics(rest in proptest::collection::vec(any::<u8>(), 0..512)) {
                let mut v = b"\0\0\0\x10ftypisom\0\0\0\0".to_vec();
                v.extend(rest);
                let _ = check_mp4("U5", &v);
            }
        }
    }
}
