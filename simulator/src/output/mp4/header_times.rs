//! Clears the wall-clock times mp4mux writes into an MP4 file's headers.
//!
//! mp4mux stamps the creation and modification times of the movie (`mvhd`), of every track
//! (`tkhd`) and of every track's media (`mdhd`) with the wall clock, in whole seconds, and has no
//! property to set them. Two renders of one scenario a second apart therefore differed in those
//! bytes. After the muxer has finished, the `moov` box is read back, those times are set to 0
//! ("unknown", 1904-01-01, as FFmpeg's bit-exact mode writes them) and the box is written back in
//! place: its size does not change. The reference device stamps its clips the same way
//! (`stamp_mp4_times` in `vision/src/media/clip.rs`, with the clip's own time); the two crates
//! share no code by design, the simulator depending on `eseal-protocol` alone.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::Error;

/// Sets the creation and modification times of the `mvhd`, `tkhd` and `mdhd` boxes of the MP4
/// file at `path` to 0.
pub(super) fn clear(path: &Path) -> Result<(), Error> {
    let what = format!("could not clear the header times of {}", path.display());
    let io = |e| Error::io(&what, e);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut at = 0u64;
    while len - at >= 8 {
        let mut head = [0u8; 16];
        let head = &mut head[..(len - at).min(16) as usize];
        file.seek(SeekFrom::Start(at)).map_err(io)?;
        file.read_exact(head).map_err(io)?;
        let Some((size, header)) = box_size(head, len - at) else {
            break;
        };
        if &head[4..8] == b"moov" {
            let mut moov = vec![0u8; usize::try_from(size).unwrap_or(usize::MAX)];
            file.seek(SeekFrom::Start(at)).map_err(io)?;
            file.read_exact(&mut moov).map_err(io)?;
            clear_in(&mut moov[header as usize..]);
            file.seek(SeekFrom::Start(at)).map_err(io)?;
            file.write_all(&moov).map_err(io)?;
        }
        at += size;
    }
    file.sync_all().map_err(io)
}

/// Size and header length of the box whose header `head` starts (8 bytes, or 16 with a 64-bit
/// size), `left` bytes before the end of its container; `None` if it does not fit there.
fn box_size(head: &[u8], left: u64) -> Option<(u64, u64)> {
    let size = u32::from_be_bytes(head.get(..4)?.try_into().ok()?);
    let (size, header) = match size {
        0 => (left, 8),
        1 => (u64::from_be_bytes(head.get(8..16)?.try_into().ok()?), 16),
        n => (u64::from(n), 8),
    };
    (size >= header && size <= left).then_some((size, header))
}

/// Clears the times of the `mvhd`, `tkhd` and `mdhd` boxes among `boxes` (the payload of a
/// container box), descending into `trak` and `mdia`.
fn clear_in(boxes: &mut [u8]) {
    let mut at = 0usize;
    while boxes.len() - at >= 8 {
        let Some((size, header)) = box_size(&boxes[at..], (boxes.len() - at) as u64) else {
            return;
        };
        let (size, header) = (size as usize, header as usize);
        let kind = [boxes[at + 4], boxes[at + 5], boxes[at + 6], boxes[at + 7]];
        let body = &mut boxes[at + header..at + size];
        match &kind {
            b"trak" | b"mdia" => clear_in(body),
            b"mvhd" | b"tkhd" | b"mdhd" => {
                // A full box: version (1 byte) and flags (3), then the creation and modification
                // times, 32-bit in version 0 and 64-bit in version 1.
                let times = if body.first() == Some(&1) { 16 } else { 8 };
                if let Some(t) = body.get_mut(4..4 + times) {
                    t.fill(0);
                }
            }
            _ => {}
        }
        at += size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    }

    /// A full box of `version` whose times are all 0xee, followed by 0x55 bytes.
    fn timed(kind: &[u8; 4], version: u8) -> Vec<u8> {
        let times = if version == 1 { 16 } else { 8 };
        let mut body = vec![version, 0, 0, 0];
        body.extend(std::iter::repeat_n(0xee, times));
        body.extend([0x55; 12]);
        boxed(kind, &body)
    }

    #[test]
    fn box_sizes_are_read_in_32_and_64_bits_and_must_fit() {
        let mut large = vec![0, 0, 0, 1];
        large.extend_from_slice(b"mdat");
        large.extend_from_slice(&40u64.to_be_bytes());
        assert_eq!(box_size(&large, 40), Some((40, 16)));
        assert_eq!(box_size(&large, 39), None);
        assert_eq!(
            box_size(&[0, 0, 0, 0, b'm', b'd', b'a', b't'], 99),
            Some((99, 8))
        );
        assert_eq!(box_size(&[0, 0, 0, 4, b'f', b'r', b'e', b'e'], 99), None);
    }

    #[test]
    fn the_times_of_movie_track_and_media_headers_are_cleared_and_nothing_else() {
        let mdia = boxed(
            b"mdia",
            &[timed(b"mdhd", 1), boxed(b"hdlr", &[0xee; 9])].concat(),
        );
        let trak = boxed(b"trak", &[timed(b"tkhd", 0), mdia].concat());
        let moov = boxed(
            b"moov",
            &[timed(b"mvhd", 0), trak, boxed(b"udta", &[0xee; 5])].concat(),
        );
        let file = [
            boxed(b"ftyp", &[0xee; 8]),
            boxed(b"mdat", &[0xee; 40]),
            moov,
        ]
        .concat();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f.mp4");
        std::fs::write(&path, &file).expect("writes");
        clear(&path).expect("clears");
        let after = std::fs::read(&path).expect("reads");
        assert_eq!(after.len(), file.len());
        let changed: usize = file.iter().zip(&after).filter(|(a, b)| a != b).count();
        assert_eq!(changed, 8 + 8 + 16, "mvhd v0, tkhd v0 and mdhd v1 times");
        // The ftyp, mdat, hdlr and udta payloads keep their 0xee bytes: 8 + 40 + 9 + 5.
        assert_eq!(after.iter().filter(|&&b| b == 0xee).count(), 8 + 40 + 9 + 5);
    }
}
