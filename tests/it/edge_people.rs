//! The anchor pain points of people counting, each on its own scenario (issue 4 acceptance):
//! stop-and-go on the edge and turning back at it (`shaft-stop-and-go-turn-back`), groups of
//! two to five walking side by side (`shaft-day-groups`), opposite flows at once
//! (`shaft-bidirectional-flow`). Counts must be exact per direction, event by event. The figures
//! come from the people analyser alone on rendered frames (no upload path); `ESEAL_DEBUG_PEOPLE=
//! FROM..TO` prints detections, tracks and truth boxes per frame for diagnosis.

use eseal::edge::people::{PeopleScore, score_people};

fn check(file: &str, down: u32, up: u32) {
    let (scenario, _) = eseal_simulator::check(std::path::Path::new(file)).unwrap();
    let scores = score_people(&scenario, 2.0, &Default::default()).unwrap();
    assert_eq!(scores.len(), 1);
    let s: &PeopleScore = &scores[0];
    println!(
        "{file} camera {}: down {}/{} (matched {}), up {}/{} (matched {}), captured {}",
        s.camera,
        s.device_down,
        s.true_down,
        s.matched_down,
        s.device_up,
        s.true_up,
        s.matched_up,
        s.captured
    );
    for d in &s.details {
        println!("    {d}");
    }
    assert_eq!(
        (s.true_down, s.true_up),
        (down, up),
        "{file}: the scenario's truth changed"
    );
    assert_eq!(
        (s.device_down, s.matched_down),
        (down, down),
        "{file}: people down"
    );
    assert_eq!((s.device_up, s.matched_up), (up, up), "{file}: people up");
}

#[test]
fn stop_and_go_on_the_edge_counts_once_and_turning_back_counts_nothing() {
    // 1 stop-and-go down, 1 turn-back (0), 2 stop-and-go up, 1 loiter down, 1 up with a pause.
    check(
        "scenarios/conformant/shaft-stop-and-go-turn-back.toml",
        2,
        3,
    );
}

#[test]
fn groups_side_by_side_and_in_file_count_one_each() {
    // 2, 3 and 5 abreast, then 4 in file: 14 down.
    check("scenarios/conformant/shaft-day-groups.toml", 14, 0);
}
