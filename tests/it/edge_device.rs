//! The reference edge device end to end, in process (issue 4 acceptance): every public scenario
//! runs through the simulator → device → spool → uploader → reference platform, and the scorer
//! holds what arrived to the bars (people ≥ 97 % per direction, capture ≥ 99 %, trucks
//! and belt changes exact, every tamper interval and lock event reported, every stream
//! registered, nothing lost or duplicated).

use eseal::edge::run::{RunOptions, run_in_process};
use eseal::judge::certify::{Case, CertifyOptions, judge_case, observe};
use eseal::judge::checks;
use eseal::judge::verdict::{Check, Verdict};

/// Tamper checks every 5 s of virtual time (the spec's hour is longer than the scenarios).
const TAMPER_S: f64 = 5.0;

/// Issue 4's bars, stricter than the spec's floors the judge holds a device to (E3 90 %, E4
/// 95 %): people counted ≥ 97 % per direction (count level and event level), capture ≥ 99 %.
const COUNT_BAR: f64 = 0.97;
const CAPTURE_BAR: f64 = 0.99;

/// Figures known to be below the issue-4 bar, with the value they must not fall below (a
/// regression guard). None today (2026-12-04): the last one, a capture on `tamper-all-kinds`
/// where two people in a tight file blended into one silhouette, was fixed by the tracker's
/// swap repair (`vision/src/people/track.rs`, `left_course`). A line whose floor is below the
/// spec's floor also lets that check FAIL in the judge's verdict.
const KNOWN_SHORTFALLS: &[(&str, &str, f64)] = &[];

fn shortfall(name: &str, id: &str) -> Option<f64> {
    KNOWN_SHORTFALLS
        .iter()
        .find(|(f, w, _)| *f == name && id.starts_with(w))
        .map(|(_, _, v)| *v)
}

/// The issue-4 bar of a check, if it has one.
fn bar_of(c: &Check) -> Option<f64> {
    if c.id.starts_with("E3.") {
        Some(COUNT_BAR)
    } else if c.id.starts_with("E4.") {
        Some(CAPTURE_BAR)
    } else {
        None
    }
}

fn print_checks(name: &str, checks: &[Check]) {
    for c in checks {
        println!(
            "{name}: {:<24} {:<18} {}",
            c.id,
            c.verdict.label(),
            c.actual
        );
        for f in c.findings.iter().take(12) {
            println!("    {f}");
        }
    }
}

/// Runs one public scenario through the judge; holds the reference device to the spec (every
/// check passes, is ambiguous or not applicable) and to issue 4's stricter bars (or their
/// known floors); and matches the golden report.
fn meets_the_bars(name: &str) {
    let file = format!("scenarios/conformant/{name}.toml");
    let (scenario, _) = eseal_simulator::check(std::path::Path::new(&file)).unwrap();
    let outcome = judge_case(&Case::conformant(scenario), &CertifyOptions::default()).unwrap();
    let r = &outcome.report;
    let t = &outcome.timing;
    println!(
        "{file} (seed {}): {} frames in {:.1} s wall for {:.0} s of scenario",
        r.seed, t.frames, t.wall_s, t.scenario_s
    );
    print_checks(name, &r.checks);
    let mut failed = Vec::new();
    for c in &r.checks {
        let floor = shortfall(name, &c.id);
        if let (Some(bar), Some(v)) = (bar_of(c), c.value) {
            let need = floor.unwrap_or(bar);
            if v + 1e-9 < need {
                failed.push(format!("{}: {} = {v:.3}, must be ≥ {need:.3}", name, c.id));
            } else if floor.is_some() && v + 1e-9 >= bar {
                println!(
                    "  {name}: {} now meets the bar: remove it from KNOWN_SHORTFALLS",
                    c.id
                );
            }
        }
        if c.verdict == Verdict::Fail && floor.is_none() {
            failed.push(format!("{name}: {} FAILS: {}", c.id, c.actual));
        }
    }
    assert!(failed.is_empty(), "below the bar: {failed:#?}");
    // Golden (issue 5): the whole JSON report of the case, evidence hashes included.
    insta::with_settings!({ snapshot_path => "../../golden", prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_json_snapshot!(name, r);
    });
}

/// One test per public scenario, so the test harness spreads them over the cores.
macro_rules! public_scenarios {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                meets_the_bars($name);
            }
        )*
        const PUBLIC: &[&str] = &[$($name),*];
    };
}

public_scenarios! {
    belt_state_changes_meets_the_bars => "belt-state-changes",
    gate_trucks_meets_the_bars => "gate-trucks",
    midnight_reset_meets_the_bars => "midnight-reset",
    return_air_2560x1440_meets_the_bars => "return-air-2560x1440",
    shaft_bidirectional_flow_meets_the_bars => "shaft-bidirectional-flow",
    shaft_day_groups_meets_the_bars => "shaft-day-groups",
    shaft_night_ir_meets_the_bars => "shaft-night-ir",
    shaft_stop_and_go_turn_back_meets_the_bars => "shaft-stop-and-go-turn-back",
    skip_trips_locks_meets_the_bars => "skip-trips-locks",
    tamper_all_kinds_meets_the_bars => "tamper-all-kinds",
}

/// A new public scenario cannot be left out of the tests above.
#[test]
fn every_public_scenario_has_its_test() {
    let mut on_disk: Vec<String> = std::fs::read_dir("scenarios/conformant")
        .unwrap()
        .filter_map(|e| e.ok()?.path().file_stem()?.to_str().map(str::to_owned))
        .filter(|n| n != "EXAMPLE")
        .collect();
    on_disk.retain(|n| std::path::Path::new(&format!("scenarios/conformant/{n}.toml")).is_file());
    on_disk.sort();
    let mut listed: Vec<String> = PUBLIC.iter().map(|s| (*s).to_owned()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "scenarios/conformant/*.toml and the public_scenarios! list differ"
    );
}

/// Store-and-forward (issue 4 acceptance): the platform is down for 10 virtual minutes and the
/// device is restarted once in the middle; afterwards the platform holds every upload the device
/// decided, exactly once, and nothing is left in the spool.
#[test]
fn outage_of_ten_minutes_with_a_device_restart_loses_and_duplicates_nothing() {
    use eseal::edge::run::Outage;
    let (scenario, _) =
        eseal_simulator::check(std::path::Path::new("scenarios/faults/outage-12min.toml")).unwrap();
    let opts = RunOptions {
        tamper_interval_s: Some(TAMPER_S),
        outage: Some(Outage {
            stop_s: 60.0,
            restart_device_s: Some(360.0),
            resume_s: 660.0,
        }),
        ..RunOptions::default()
    };
    let result = run_in_process(&scenario, &opts).unwrap();
    let decided: std::collections::BTreeSet<&str> =
        result.decisions.iter().map(|d| d.label.as_str()).collect();
    let files: Vec<&str> = decided
        .iter()
        .copied()
        .filter(|l| !l.starts_with("stream"))
        .collect();
    let received: std::collections::BTreeSet<&str> =
        result.received.iter().map(String::as_str).collect();
    assert_eq!(
        result.received.len(),
        received.len(),
        "a file arrived twice: {:?}",
        result.received
    );
    let missing: Vec<_> = files.iter().filter(|l| !received.contains(**l)).collect();
    let extra: Vec<_> = received.iter().filter(|l| !decided.contains(**l)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, not decided {extra:?}"
    );
    // 8 people down, 2 trucks out, 1 lock, during and around the outage: all there.
    assert!(files.len() >= 11, "decided only {files:?}");
    assert_eq!(result.left_in_spool, 0);
    // The judge: everything is right except that what was due during the outage came late.
    let seen = observe(&result);
    let checks = checks::judge(
        &scenario,
        &result.truth,
        &seen,
        &CertifyOptions::default().judge,
    );
    print_checks("outage-12min", &checks);
    for c in &checks {
        let late_is_expected = c.id == "protocol.latency" || c.id.starts_with("E4.");
        assert!(
            c.verdict != Verdict::Fail || late_is_expected,
            "{} FAILS: {} {:?}",
            c.id,
            c.actual,
            c.findings
        );
    }
    let latency = checks.iter().find(|c| c.id == "protocol.latency").unwrap();
    assert_eq!(
        latency.verdict,
        Verdict::Fail,
        "uploads held for 10 minutes are late: {latency:?}"
    );
}
