//! The learned detector through ONNX Runtime: decoding against a model whose output is known
//! (`vision/tests/fixtures/detector-constant.onnx`, made by
//! `scripts/detector/make_test_model.py`), the untrained network's shapes and batching, and the
//! errors for a missing library or model. ONNX Runtime comes from `scripts/setup.sh`'s
//! `var/onnxruntime` (or `ESEAL_ORT_DYLIB`).

use std::path::{Path, PathBuf};

use eseal_vision::DeviceConfig;
use eseal_vision::calib::{Calibration, Projector};
use eseal_vision::clock::{DeviceClock, cst};
use eseal_vision::device::Device;
use eseal_vision::frame::Frame;
use eseal_vision::people::learned::{self, BoxDetection, Class, GRID_H, GRID_W};
use eseal_vision::people::{LearnedDetector, LearnedModel, LearnedSettings, PersonDetector};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn model(name: &str, settings: LearnedSettings) -> LearnedModel {
    LearnedModel::open(&fixture(name), settings).unwrap_or_else(|e| panic!("{e}"))
}

fn constant(threshold: f32) -> LearnedModel {
    model(
        "detector-constant.onnx",
        LearnedSettings {
            threshold,
            ..LearnedSettings::default()
        },
    )
}

/// A frame with a diagonal gradient (the constant model ignores it; the untrained one not).
fn frame(width: u32, height: u32, seed: u32) -> Frame {
    let mut rgb = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let v = (x * 255 / width + y * 255 / height + seed * 37) % 256;
            rgb.extend_from_slice(&[v as u8, (255 - v) as u8, ((x ^ y) & 0xff) as u8]);
        }
    }
    Frame::new(width, height, rgb, 0).unwrap()
}

/// The constant model's boxes (class, score, box in input pixels), strongest first per class,
/// at a threshold of 0.3 (`scripts/detector/make_test_model.py`).
const EXPECTED: &[(Class, f32, [f64; 4])] = &[
    (Class::Person, 0.9, [250.0, 10.0, 262.0, 22.0]),
    (Class::Person, 0.9, [141.0, 133.0, 181.0, 233.0]),
    (Class::Person, 0.8, [-12.0, 160.0, 28.0, 240.0]),
    (Class::Person, 0.6, [386.0, 122.0, 418.0, 202.0]),
    (Class::HeadShoulders, 0.75, [150.0, 150.0, 170.0, 170.0]),
    (Class::Truck, 0.95, [380.0, 80.0, 500.0, 160.0]),
];

/// `boxes` are `expected` with input pixels mapped by `(x - pad_x) / scale`, `(y - pad_y) / scale`,
/// in the same order.
fn check(boxes: &[BoxDetection], expected: &[(Class, f32, [f64; 4])], scale: f64, pad: [f64; 2]) {
    let want: Vec<(Class, f32, [f64; 4])> = expected
        .iter()
        .map(|&(c, s, b)| {
            let m = |v: f64, i: usize| (v - pad[i % 2]) / scale;
            (c, s, [m(b[0], 0), m(b[1], 1), m(b[2], 2), m(b[3], 3)])
        })
        .collect();
    assert_eq!(boxes.len(), want.len(), "{boxes:#?}\nexpected {want:#?}");
    for (b, (class, score, bbox)) in boxes.iter().zip(&want) {
        assert_eq!(b.class, *class, "{b:?} vs {bbox:?}");
        assert!((b.score - score).abs() < 1e-6, "{b:?} vs {score}");
        for (got, want) in b.bbox.iter().zip(bbox) {
            assert!((got - want).abs() < 1e-3, "{b:?} vs {bbox:?}");
        }
    }
}

#[test]
fn boxes_come_back_in_the_frames_own_pixels() {
    let mut m = constant(0.3);
    let hd = m.detect(&frame(1280, 720, 0)).unwrap();
    check(&hd, EXPECTED, 0.4, [0.0, 0.0]);
    let full_hd = m.detect(&frame(1920, 1080, 0)).unwrap();
    check(&full_hd, EXPECTED, 512.0 / 1920.0, [0.0, 0.0]);
    // 4:3 is letterboxed: 384 × 288 in the middle of the input, 64 px of grey either side.
    let vga = m.detect(&frame(640, 480, 0)).unwrap();
    check(&vga, EXPECTED, 0.6, [64.0, 0.0]);
    // The person of 0.9 at 1280×720, by hand: input [141, 133, 181, 233] ÷ 0.4 (the map's
    // sizes and offsets are f32).
    for (got, want) in hd[1].bbox.iter().zip([352.5, 332.5, 452.5, 582.5]) {
        assert!((got - want).abs() < 1e-4, "{:?}", hd[1]);
    }
}

#[test]
fn the_threshold_and_local_maxima_decide_which_cells_are_boxes() {
    // At 0.7 the person of 0.6 goes.
    let strong: Vec<_> = EXPECTED.iter().filter(|e| e.1 >= 0.7).copied().collect();
    check(
        &constant(0.7).detect(&frame(1280, 720, 0)).unwrap(),
        &strong,
        0.4,
        [0.0, 0.0],
    );
    // At 0.2 the cell of 0.25 comes; the neighbours of the 0.9 peak (0.85, 0.5) never do, and
    // the plateau of two equal head-and-shoulder cells stays one box.
    let mut weak = EXPECTED.to_vec();
    weak.insert(4, (Class::Person, 0.25, [266.0, 202.0, 298.0, 282.0]));
    check(
        &constant(0.2).detect(&frame(1280, 720, 0)).unwrap(),
        &weak,
        0.4,
        [0.0, 0.0],
    );
}

fn calibration() -> Calibration {
    Calibration {
        position: [0.0, -4.0, 4.5],
        yaw_deg: 90.0,
        tilt_deg: 45.0,
        hfov_deg: 70.0,
    }
}

const EDGE: [[f64; 2]; 2] = [[-2.5, 0.0], [2.5, 0.0]];

#[test]
fn feet_stand_on_the_ground_where_the_projector_puts_them() {
    for (w, h) in [(1280u32, 720u32), (1920, 1080)] {
        let projector = Projector::new(&calibration(), w, h);
        let mut d = LearnedDetector::new(constant(0.3), projector, EDGE);
        let f = frame(w, h, 1);
        let people = d.detect(&f, &[]);
        assert_eq!(d.last_boxes().len(), EXPECTED.len(), "all classes are kept");
        // The person far beyond the edge (feet ~5 m inside, the area reaches 4.5 m) is left out.
        assert_eq!(people.len(), 3, "{people:#?}");
        let k = f64::from(w) / 512.0;
        let boxes = [d.last_boxes()[1], d.last_boxes()[2], d.last_boxes()[3]];
        for ((p, (_, score, b)), found) in people.iter().zip(&EXPECTED[1..]).zip(boxes) {
            // Exactly the projector's ground point of the box's bottom centre…
            let [x0, _, x1, y1] = found.bbox;
            let g = projector.pixel_to_ground((x0 + x1) / 2.0, y1).unwrap();
            assert!(
                (p.ground[0] - g[0]).abs() < 1e-12 && (p.ground[1] - g[1]).abs() < 1e-12,
                "{p:?} vs {g:?}"
            );
            // …which is the feet of the box written into the model, to within the f32 map.
            let feet = ((b[0] + b[2]) / 2.0 * k, b[3] * k);
            let g = projector.pixel_to_ground(feet.0, feet.1).unwrap();
            assert!(
                (p.ground[0] - g[0]).abs() < 1e-5 && (p.ground[1] - g[1]).abs() < 1e-5,
                "{p:?} vs {g:?}"
            );
            assert_eq!(p.score, *score);
            assert_eq!(p.crowded, 0.0);
        }
        // The same person seen at 720p and 1080p stands on the same spot, 1.33 m left of the
        // camera's axis and 1.26 m outside the edge.
        let hd = Projector::new(&calibration(), 1280, 720)
            .pixel_to_ground(402.5, 582.5)
            .unwrap();
        assert!((hd[0] + 1.3299).abs() < 1e-4 && (hd[1] + 1.2620).abs() < 1e-4);
        assert!((people[0].ground[0] - hd[0]).abs() < 1e-5, "{people:?}");
        assert!((people[0].ground[1] - hd[1]).abs() < 1e-5, "{people:?}");
        // Wholly inside; the one cut by the left border is 70 % inside.
        assert!(people[0].inside && people[0].visibility == 1.0);
        assert!(!people[1].inside && (people[1].visibility - 0.7).abs() < 1e-6);
        let s = f64::from(w) / 512.0;
        assert_eq!(
            people[1].bbox,
            [
                0,
                (160.0 * s) as u32,
                (28.0 * s).ceil() as u32,
                (240.0 * s) as u32
            ]
        );
        assert_eq!(people[0].bbox[0], (141.0 * s).floor() as u32);
        assert_eq!(people[0].bbox[3], (233.0 * s).ceil() as u32);
    }
    // A narrower area (1 m either side, not beyond the ends) keeps only the person 0.7 m
    // outside, 4.7 m along the edge; the one 1.3 m outside and the one beyond the end go.
    let projector = Projector::new(&calibration(), 1280, 720);
    let mut d = LearnedDetector::new(constant(0.3), projector, EDGE).with_area(1.0, 0.0);
    let people = d.detect(&frame(1280, 720, 0), &[]);
    assert_eq!(people.len(), 1, "{people:#?}");
    assert_eq!(people[0].score, 0.6);
}

#[test]
fn the_untrained_network_runs_and_a_batch_equals_single_frames() {
    let mut m = model("detector-untrained.onnx", LearnedSettings::default());
    let (a, b) = (frame(1280, 720, 2), frame(1920, 1080, 5));
    let one = m.maps(&[&a]).unwrap();
    assert_eq!(one.shape, [1, 11, GRID_H as i64, GRID_W as i64]);
    let heat = &one.image(0)[..3 * GRID_H * GRID_W];
    assert!(
        heat.iter().all(|v| (0.0..=1.0).contains(v)),
        "heat maps are sigmoids"
    );
    let two = m.maps(&[&a, &b]).unwrap();
    assert_eq!(two.shape, [2, 11, GRID_H as i64, GRID_W as i64]);
    let single_b = m.maps(&[&b]).unwrap();
    for (batch, single) in [
        (two.image(0), one.image(0)),
        (two.image(1), single_b.image(0)),
    ] {
        let worst = batch
            .iter()
            .zip(single)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "batch differs from single frames by {worst}");
    }
    assert_ne!(
        one.image(0),
        single_b.image(0),
        "different frames, different maps"
    );
    let boxes = m.detect_batch(&[&a, &b]).unwrap();
    assert_eq!(boxes.len(), 2);
    assert_eq!(boxes[0], m.detect(&a).unwrap());
}

#[test]
fn a_missing_library_or_model_is_an_error_naming_the_path() {
    let lib = Path::new("/nonexistent/onnxruntime/libonnxruntime.so.1.32.0");
    let e = learned::load_runtime(lib).unwrap_err().to_string();
    assert!(
        e.contains("/nonexistent/onnxruntime/libonnxruntime.so.1.32.0")
            && e.contains("onnxruntime==1.32.0")
            && e.contains("scripts/setup.sh"),
        "{e}"
    );
    let e = LearnedModel::open_with_library(
        &fixture("detector-constant.onnx"),
        lib,
        LearnedSettings::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("/nonexistent/onnxruntime"), "{e}");
    let missing = fixture("no-such-model.onnx");
    let e = LearnedModel::open(&missing, LearnedSettings::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&missing.display().to_string()) && e.contains("not found"),
        "{e}"
    );
    // Not an ONNX file at all.
    let e = LearnedModel::open(&fixture("../it/main.rs"), LearnedSettings::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("main.rs"), "{e}");
}

fn device_config(detector: &str, state: &Path) -> String {
    format!(
        r#"
device_id = "x"
mine = "140421007866"
state_dir = "{}"
[analysis.detector]
{detector}
[[cameras]]
code = "20"
site = "shaft_mouth"
width = 1280
height = 720
fps = 25
edge = [[-2.5, 0.0], [2.5, 0.0]]
calibration = {{ position = [0.0, -4.0, 4.5], yaw_deg = 90, tilt_deg = 45, hfov_deg = 70 }}
"#,
        state.display()
    )
}

#[test]
fn the_device_config_chooses_the_detector() {
    let dir = tempfile::tempdir().unwrap();
    let clock = DeviceClock::new(chrono::Utc::now().with_timezone(&cst()));
    let open = |detector: &str| {
        let c = DeviceConfig::from_toml(&device_config(detector, dir.path()))
            .map_err(|e| e.to_string())?;
        Device::open(c, clock).map_err(|e| e.to_string())?;
        Ok::<_, String>(())
    };
    let err = |detector: &str| open(detector).unwrap_err();
    // The classical one is the default.
    let c = DeviceConfig::from_toml(&device_config("", dir.path())).unwrap();
    assert_eq!(
        c.analysis.detector.kind,
        eseal_vision::config::DetectorKind::Classical
    );
    open("").unwrap();
    open(&format!(
        "kind = \"learned\"\nmodel = \"{}\"",
        fixture("detector-constant.onnx").display()
    ))
    .unwrap();
    let e = err("kind = \"learned\"");
    assert!(
        e.contains("analysis.detector.model: expected the ONNX file"),
        "{e}"
    );
    let e = err("kind = \"learned\"\nmodel = \"/nowhere/detector.onnx\"");
    assert!(
        e.contains("/nowhere/detector.onnx") && e.contains("not found"),
        "{e}"
    );
    let e = err("kind = \"learned\"\nmodel = \"m.onnx\"\nthreshold = 1.5");
    assert!(e.contains("analysis.detector.threshold"), "{e}");
    let e = err("kind = \"neural\"");
    assert!(e.contains("neural"), "{e}");
}
