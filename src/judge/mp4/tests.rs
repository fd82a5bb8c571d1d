//! The MP4 reader against `gst-discoverer-1.0` (an independent implementation) on clips made
//! by GStreamer — the simulator's writer and `gst-launch-1.0` pipelines of other shapes
//! (fragmented, QuickTime, `avc3`, H.265, odd sizes) — and on damaged and random bytes.

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;

use super::*;

/// Codec family, width, height and duration as `gst-discoverer-1.0` prints them.
fn discover(path: &Path) -> (String, u32, u32, f64) {
    let out = Command::new("gst-discoverer-1.0")
        .arg(path)
        .output()
        .expect("gst-discoverer-1.0 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
    };
    let duration = field("Duration:").unwrap_or_else(|| panic!("no Duration in {text}"));
    let (hms, frac) = duration.split_once('.').unwrap_or((duration, "0"));
    let secs: Vec<f64> = hms.split(':').map(|p| p.parse().expect("clock")).collect();
    let duration = secs[0] * 3600.0
        + secs[1] * 60.0
        + secs[2]
        + format!("0.{frac}").parse::<f64>().expect("fraction");
    let video = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("video #"))
        .unwrap_or_else(|| panic!("no video in {text}"));
    let codec = video.split_once(": ").map_or(video, |(_, c)| c).to_owned();
    let num = |name: &str| {
        field(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    (codec, num("Width:"), num("Height:"), duration)
}

/// A clip from `gst-launch-1.0`: `src` is the source and caps, `tail` the encoder to the muxer.
fn launch(dir: &Path, name: &str, src: &str, tail: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let pipeline = format!(
        "{src} ! videoconvert ! {tail} ! filesink location={}",
        path.display()
    );
    let out = Command::new("gst-launch-1.0")
        .arg("-q")
        .args(pipeline.split_whitespace())
        .output()
        .expect("gst-launch-1.0 runs");
    assert!(
        out.status.success() && path.is_file(),
        "{pipeline}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// Synthetic frames through the simulator's MP4 writer (the path `eseal sim render` takes).
fn simulator_clip(
    dir: &Path,
    codec: eseal_simulator::output::Codec,
    w: u32,
    h: u32,
    frames: u64,
) -> std::path::PathBuf {
    let path = dir.join(format!("sim-{codec:?}-{w}x{h}.mp4"));
    let frames = (0..frames).map(|k| eseal_simulator::frame::Frame {
        width: w,
        height: h,
        rgb: (0..w * h * 3)
            .map(|i| ((i as u64 + k * 7) % 251) as u8)
            .collect(),
        index: k,
        pts_ns: k * 40_000_000,
    });
    eseal_simulator::output::write_mp4(&path, codec, 25, frames, |_| {})
        .expect("simulator writes the clip");
    path
}

fn check_against_discoverer(path: &Path) -> Mp4Info {
    let bytes = std::fs::read(path).expect("clip");
    let info = probe(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (codec, w, h, d) = discover(path);
    let upper = codec.to_ascii_uppercase();
    let h264 = upper.contains("H.264") || upper.contains("AVC");
    assert_eq!(
        info.is_h264(),
        h264,
        "{}: ours {} vs discoverer {codec}",
        path.display(),
        info.codec
    );
    if upper.contains("H.265") || upper.contains("HEVC") {
        assert!(
            matches!(info.codec.as_str(), "hvc1" | "hev1"),
            "{}: {}",
            path.display(),
            info.codec
        );
    }
    assert_eq!(
        (info.width, info.height),
        (w, h),
        "{}: size",
        path.display()
    );
    assert!(
        (info.duration_s - d).abs() < 0.0005,
        "{}: duration ours {} vs discoverer {d}",
        path.display(),
        info.duration_s
    );
    info
}

#[test]
fn agrees_with_gst_discoverer_on_clips_of_many_shapes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let test_src = |n: u32, w: u32, h: u32, fps: &str| {
        format!(
            "videotestsrc num-buffers={n} pattern=ball ! video/x-raw,width={w},height={h},framerate={fps}"
        )
    };
    let x264 = "x264enc speed-preset=ultrafast threads=1";
    let clips = [
        // The reference device's shape: faststart, H.264, 25 fps.
        launch(
            d,
            "faststart.mp4",
            &test_src(250, 320, 240, "25/1"),
            &format!("{x264} ! h264parse ! mp4mux faststart=true"),
        ),
        // moov after mdat, an odd size and frame rate.
        launch(
            d,
            "plain.mp4",
            &test_src(37, 178, 98, "15/1"),
            &format!("{x264} ! h264parse ! mp4mux"),
        ),
        // Fragmented: the duration is in the fragments (or mehd), not in mdhd.
        launch(
            d,
            "fragmented.mp4",
            &test_src(130, 160, 120, "25/1"),
            &format!("{x264} key-int-max=25 ! h264parse ! mp4mux fragment-duration=1000"),
        ),
        // QuickTime muxer, in-band parameter sets (avc3).
        launch(
            d,
            "qt.mov",
            &test_src(60, 64, 48, "30/1"),
            &format!("{x264} ! h264parse ! video/x-h264,stream-format=avc3 ! qtmux"),
        ),
        // Not H.264.
        launch(
            d,
            "hevc.mp4",
            &test_src(25, 128, 96, "25/1"),
            "x265enc speed-preset=ultrafast ! h265parse ! mp4mux",
        ),
        simulator_clip(d, eseal_simulator::output::Codec::H264, 96, 64, 50),
        simulator_clip(d, eseal_simulator::output::Codec::H265, 96, 64, 30),
    ];
    let infos: Vec<Mp4Info> = clips.iter().map(|p| check_against_discoverer(p)).collect();
    // And the figures themselves, for the shapes made here.
    assert_eq!(infos[0].codec, "avc1");
    assert!(
        (infos[0].duration_s - 10.0).abs() < 1e-9,
        "250 frames at 25 fps: {}",
        infos[0].duration_s
    );
    assert!(
        (infos[2].duration_s - 5.2).abs() < 1e-9,
        "130 frames at 25 fps: {}",
        infos[2].duration_s
    );
    assert_eq!(infos[3].codec, "avc3");
    assert!(!infos[4].is_h264());
}

/// A minimal box.
fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

/// A hand-made one-track file: `mdhd` timescale 1000 and `duration`, the given sample entry.
fn tiny(duration: u32, entry: &[u8; 4], w: u16, h: u16) -> Vec<u8> {
    let mut mdhd = vec![0u8; 12];
    mdhd.extend_from_slice(&1000u32.to_be_bytes());
    mdhd.extend_from_slice(&duration.to_be_bytes());
    mdhd.extend_from_slice(&[0; 4]);
    let mut hdlr = vec![0u8; 8];
    hdlr.extend_from_slice(b"vide");
    hdlr.extend_from_slice(&[0; 13]);
    let mut visual = vec![0u8; 24];
    visual.extend_from_slice(&w.to_be_bytes());
    visual.extend_from_slice(&h.to_be_bytes());
    visual.extend_from_slice(&[0; 50]);
    let mut stsd = vec![0, 0, 0, 0, 0, 0, 0, 1];
    stsd.extend(bx(entry, &visual));
    let stbl = bx(b"stbl", &bx(b"stsd", &stsd));
    let minf = bx(b"minf", &stbl);
    let mdia = bx(
        b"mdia",
        &[bx(b"mdhd", &mdhd), bx(b"hdlr", &hdlr), minf].concat(),
    );
    let mut tkhd = vec![0u8; 84];
    tkhd[12..16].copy_from_slice(&1u32.to_be_bytes());
    let trak = bx(b"trak", &[bx(b"tkhd", &tkhd), mdia].concat());
    [bx(b"ftyp", b"isom\0\0\0\0"), bx(b"moov", &trak)].concat()
}

#[test]
fn a_hand_made_file_reads_exactly() {
    let info = probe(&tiny(10_040, b"avc1", 1920, 1080)).expect("reads");
    assert_eq!(
        info,
        Mp4Info {
            codec: "avc1".to_owned(),
            duration_s: 10.04,
            width: 1920,
            height: 1080
        }
    );
    assert!(
        !probe(&tiny(10_000, b"mp4v", 8, 8))
            .expect("reads")
            .is_h264()
    );
}

#[test]
fn refusals_name_what_is_wrong() {
    let good = tiny(1000, b"avc1", 8, 8);
    // The moov box claims one byte more than the file has.
    let mut over = good.clone();
    let at = 16; // after ftyp (16 bytes): moov's size
    let size = u32::from_be_bytes(over[at..at + 4].try_into().expect("4")) + 1;
    over[at..at + 4].copy_from_slice(&size.to_be_bytes());
    let e = probe(&over).expect_err("overrun");
    assert!(
        matches!(&e, Mp4Error::BadBox { kind, offset: 16, .. } if kind == "moov"),
        "{e}"
    );
    assert!(e.to_string().contains("runs past"), "{e}");
    // A size smaller than the header.
    let mut small = good.clone();
    small[at..at + 4].copy_from_slice(&4u32.to_be_bytes());
    assert!(
        probe(&small)
            .expect_err("small")
            .to_string()
            .contains("smaller than its 8-byte header")
    );
    // No moov, no video, zero timescale.
    assert_eq!(probe(&bx(b"ftyp", b"isom")), Err(Mp4Error::Missing("moov")));
    assert_eq!(probe(&[]), Err(Mp4Error::Missing("moov")));
    let mut no_video = good.clone();
    let vide = good.windows(4).position(|w| w == b"vide").expect("handler");
    no_video[vide..vide + 4].copy_from_slice(b"soun");
    assert_eq!(probe(&no_video), Err(Mp4Error::NoVideo));
    let mut zero = good.clone();
    let ts = good
        .windows(4)
        .position(|w| w == 1000u32.to_be_bytes())
        .expect("timescale");
    zero[ts..ts + 4].copy_from_slice(&[0; 4]);
    assert_eq!(probe(&zero), Err(Mp4Error::Zero("mdhd timescale")));
    // A JPEG is not an MP4.
    assert!(matches!(
        probe(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1]),
        Err(Mp4Error::BadBox { .. })
    ));
}

/// 64-bit sizes and size 0 (to the end) are read; a 64-bit size past the end is refused.
#[test]
fn large_and_open_ended_sizes() {
    let good = tiny(2000, b"avc1", 8, 8);
    let (ftyp, moov) = good.split_at(16);
    let mut large = ftyp.to_vec();
    large.extend_from_slice(&1u32.to_be_bytes());
    large.extend_from_slice(b"moov");
    large.extend_from_slice(&(moov.len() as u64 + 8).to_be_bytes());
    large.extend_from_slice(&moov[8..]);
    assert_eq!(probe(&large).expect("64-bit size").duration_s, 2.0);
    let mut past = large.clone();
    past[24..32].copy_from_slice(&u64::MAX.to_be_bytes());
    assert!(probe(&past).is_err());
    let mut open = good.clone();
    open[16..20].copy_from_slice(&0u32.to_be_bytes());
    assert_eq!(probe(&open).expect("size 0").duration_s, 2.0);
}

fn real_clip() -> &'static [u8] {
    static CLIP: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    CLIP.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = "videotestsrc num-buffers=30 ! video/x-raw,width=64,height=48,framerate=25/1";
        let p = launch(
            dir.path(),
            "f.mp4",
            src,
            "x264enc speed-preset=ultrafast ! h264parse ! mp4mux fragment-duration=400",
        );
        std::fs::read(p).expect("clip")
    })
}

#[test]
fn every_truncation_of_a_real_clip_is_an_error_or_a_value() {
    let clip = real_clip();
    assert!(probe(clip).is_ok());
    for n in 0..clip.len() {
        let _ = probe(&clip[..n]);
    }
}

/// A fragmented clip's duration comes from `mvex/mehd`; without it (zeroed here), from the
/// fragments' sample durations — both give the 30 frames at 25 fps that were encoded.
#[test]
fn fragmented_duration_from_mehd_or_from_the_fragments() {
    let clip = real_clip();
    assert!((probe(clip).expect("reads").duration_s - 1.2).abs() < 1e-9);
    let at = clip.windows(4).position(|w| w == b"mehd").expect("mehd");
    let mut no_mehd = clip.to_vec();
    let version = no_mehd[at + 4];
    let len = if version == 1 { 8 } else { 4 };
    no_mehd[at + 8..at + 8 + len].fill(0);
    assert!((probe(&no_mehd).expect("reads").duration_s - 1.2).abs() < 1e-9);
}

/// Byte positions of `clip` outside the payload of its top-level `mdat` boxes: the boxes the
/// reader reads (damage inside picture data is not what a box reader can trip on).
fn structure_positions(clip: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 8 <= clip.len() {
        let size = u32::from_be_bytes(clip[at..at + 4].try_into().expect("4")) as usize;
        let end = if size < 8 {
            clip.len()
        } else {
            (at + size).min(clip.len())
        };
        if &clip[at + 4..at + 8] == b"mdat" {
            out.extend(at..at + 8);
        } else {
            out.extend(at..end);
        }
        at = end;
    }
    out
}

/// A one-track file whose boxes are given by the caller (random bytes in the tests below):
/// `bodies` replaces the payload of the named box (`mdhd`, `hdlr`, `tkhd`, `stsd`, or the
/// sample entry `avc1`); `fragments` adds `mvex/trex` and one `moof/traf` with these
/// `tfhd` and `trun` payloads, with the media duration zero so they are read.
fn built(
    bodies: &[(&[u8; 4], Vec<u8>)],
    fragments: Option<(Vec<u8>, Vec<u8>, Vec<u8>)>,
) -> Vec<u8> {
    let body = |kind: &[u8; 4], default: Vec<u8>| {
        bodies
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(default, |(_, b)| b.clone())
    };
    let mut mdhd = vec![0u8; 12];
    mdhd.extend_from_slice(&1000u32.to_be_bytes());
    mdhd.extend_from_slice(&if fragments.is_some() { 0u32 } else { 4000 }.to_be_bytes());
    mdhd.extend_from_slice(&[0; 4]);
    let mut hdlr = vec![0u8; 8];
    hdlr.extend_from_slice(b"vide");
    hdlr.extend_from_slice(&[0; 13]);
    let entry = bx(b"avc1", &body(b"avc1", vec![0u8; 78]));
    let mut stsd = vec![0, 0, 0, 0, 0, 0, 0, 1];
    stsd.extend(entry);
    let stbl = bx(b"stbl", &bx(b"stsd", &body(b"stsd", stsd)));
    let mdia = bx(
        b"mdia",
        &[
            bx(b"mdhd", &body(b"mdhd", mdhd)),
            bx(b"hdlr", &body(b"hdlr", hdlr)),
            bx(b"minf", &stbl),
        ]
        .concat(),
    );
    let mut tkhd = vec![0u8; 84];
    tkhd[12..16].copy_from_slice(&1u32.to_be_bytes());
    let trak = bx(b"trak", &[bx(b"tkhd", &body(b"tkhd", tkhd)), mdia].concat());
    let Some((trex, tfhd, trun)) = fragments else {
        return bx(b"moov", &trak);
    };
    let moov = bx(b"moov", &[trak, bx(b"mvex", &bx(b"trex", &trex))].concat());
    let moof = bx(
        b"moof",
        &bx(b"traf", &[bx(b"tfhd", &tfhd), bx(b"trun", &trun)].concat()),
    );
    [moov, moof].concat()
}

fn words(w: &[u32]) -> Vec<u8> {
    w.iter().flat_map(|x| x.to_be_bytes()).collect()
}

/// The three places a fragment's sample duration can be (ISO/IEC 14496-12 8.8): per sample in
/// `trun`, after the optional fields its flags announce; the `tfhd` default; the `trex` default.
#[test]
fn fragment_tables_are_read_by_their_flags() {
    let trex = words(&[0, 1, 1, 300, 0, 0]); // version/flags, track 1, description 1, duration 300
    // trun: data offset (0x1), first-sample flags (0x4), per-sample duration and size.
    let trun = words(&[0x0000_0305, 3, 99, 0xFFFF_FFFF, 400, 10, 400, 10, 500, 10]);
    let tfhd = words(&[0, 1]);
    assert!(
        (probe(&built(&[], Some((trex.clone(), tfhd, trun))))
            .expect("reads")
            .duration_s
            - 1.3)
            .abs()
            < 1e-9
    );
    // tfhd with a base data offset (0x1) and a default duration (0x8) of 200; 5 samples, sizes only.
    let tfhd = words(&[0x0000_0009, 1, 0, 0, 200]);
    let trun = words(&[0x0000_0200, 5, 1, 1, 1, 1, 1]);
    assert!(
        (probe(&built(&[], Some((trex.clone(), tfhd, trun))))
            .expect("reads")
            .duration_s
            - 1.0)
            .abs()
            < 1e-9
    );
    // Neither: the trex default (300) for 4 samples.
    let trun = words(&[0, 4]);
    assert!(
        (probe(&built(&[], Some((trex, words(&[0, 1]), trun))))
            .expect("reads")
            .duration_s
            - 1.2)
            .abs()
            < 1e-9
    );
    // A sample count larger than the table is refused, not read past.
    let trun = words(&[0x0000_0100, 1_000_000, 400]);
    assert!(
        probe(&built(
            &[],
            Some((words(&[0, 1, 1, 300, 0, 0]), words(&[0, 1]), trun))
        ))
        .is_err()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Random bytes, and random bytes dressed as boxes the reader descends into.
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = probe(&bytes);
        for kind in [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"mvex", b"moof", b"traf", b"trun"] {
            let _ = probe(&bx(b"moov", &bx(kind, &bytes)));
        }
    }

    /// A real fragmented clip with bytes of its boxes (not of its pictures) overwritten.
    #[test]
    fn damaged_clips_never_panic(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12)) {
        let mut clip = real_clip().to_vec();
        let places = structure_positions(&clip);
        for (at, b) in edits {
            clip[places[at.index(places.len())]] = b;
        }
        let _ = probe(&clip);
    }

    /// Every box the reader reads, given random contents of random length (short ones
    /// included), in a file that is otherwise well formed.
    #[test]
    fn random_box_contents_never_panic(
        which in 0usize..5,
        body in proptest::collection::vec(any::<u8>(), 0..120),
        frag in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 3),
        flags in any::<u32>(),
    ) {
        let kinds: [&[u8; 4]; 5] = [b"mdhd", b"hdlr", b"tkhd", b"stsd", b"avc1"];
        let _ = probe(&built(&[(kinds[which], body.clone())], None));
        // Fragments with random flags over random tables.
        let mut trun = flags.to_be_bytes().to_vec();
        trun.extend_from_slice(&frag[2]);
        let mut tfhd = (flags >> 3).to_be_bytes().to_vec();
        tfhd.extend_from_slice(&1u32.to_be_bytes());
        tfhd.extend_from_slice(&frag[1]);
        let _ = probe(&built(&[], Some((frag[0].clone(), tfhd, trun))));
    }
}
