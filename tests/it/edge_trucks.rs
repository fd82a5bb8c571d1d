//! Truck counting at the vehicle gate (E5, U2), truck by truck, on the truck analyser alone
//! (`eseal edge trucks`; `ESEAL_DEBUG_TRUCKS=FROM..TO` prints blobs, tracks and true trucks).

use eseal::edge::trucks::score_trucks;
use eseal::judge::matching::Window;
use eseal_simulator::random::{Kind, Options, draw};
use eseal_vision::config::{DetectorConfig, DetectorKind};

/// Issue 17, item 5: the first 26 s of the random gate scene of tuning seed 70 003 (1080p at
/// dusk, a convoy of six leaving 3 s apart, a seventh truck leaving while one comes in). The
/// seventh leaving truck is hidden behind the sixth in the picture until it has passed the gate
/// line: the foreground blob analyser sees one blob for both and misses it; the learned
/// detector's truck boxes see both. In-sample (the truck-box merging rule was chosen on this
/// scene), so a regression test of the path from pixels to truck counts, not a figure.
#[test]
fn the_learned_detector_counts_a_truck_hidden_behind_another_as_it_leaves() {
    let mut drawn = draw(&Options {
        kind: Some(Kind::Gate),
        ..Options::new(70003)
    })
    .unwrap();
    drawn.scenario.duration_ns = 26_000_000_000;
    let learned = DetectorConfig {
        kind: DetectorKind::Learned,
        model: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/vision/models/detector.onnx").into()),
        ..DetectorConfig::default()
    };
    let scores = score_trucks(&drawn.scenario, Window::symmetric(3.0), &learned).unwrap();
    assert_eq!(scores.len(), 1);
    let s = &scores[0];
    let shown = format!("{s:#?}");
    assert_eq!(
        (s.true_out, s.true_in),
        (7, 1),
        "the scene changed: {shown}"
    );
    assert_eq!((s.device_out, s.matched_out), (7, 7), "{shown}");
    assert_eq!((s.device_in, s.matched_in), (1, 1), "{shown}");
}
