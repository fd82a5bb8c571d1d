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

/// The floor of an exact check id (`E3.up.events.20`, never a prefix: an entry `E` must not
/// let every E check through).
fn shortfall(name: &str, id: &str) -> Option<f64> {
    KNOWN_SHORTFALLS
        .iter()
        .find(|(f, w, _)| *f == name && *w == id)
        .map(|(_, _, v)| *v)
}

/// Checks of the public suite the judge cannot decide, each with why (issue 15: more than half
/// of the camera's true events fall in its tamper windows, so the scenario is no evidence there).
/// Exact ids; a listed check that becomes decidable fails the test until it is removed.
const KNOWN_INCONCLUSIVE: &[(&str, &str)] = &[
    // 4 of the 7 people coming up cross while camera 20 is covered.
    ("tamper-all-kinds", "E3.up.count.20"),
    ("tamper-all-kinds", "E3.up.events.20"),
    ("tamper-all-kinds", "E3.up.errors.20"),
    // The one truck leaves while camera 30 is turned away.
    ("tamper-all-kinds", "E5.count.30"),
    ("tamper-all-kinds", "E5.events.30"),
    ("tamper-all-kinds", "E5.errors.30"),
];

/// Every entry names one exact check with a bounded floor, and the list stays empty: adding a
/// line needs a commit that says why (issue 15).
#[test]
fn known_shortfalls_are_exact_bounded_and_empty() {
    for (scenario, id, floor) in KNOWN_SHORTFALLS {
        assert!(
            id.split('.').count() >= 3,
            "{scenario}: {id} is not an exact check id"
        );
        assert!(
            (0.5..1.0).contains(floor),
            "{scenario} {id}: floor {floor} is not a bounded figure"
        );
    }
    assert!(
        KNOWN_SHORTFALLS.is_empty(),
        "KNOWN_SHORTFALLS is not empty: say why in the commit, then change this assertion"
    );
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
    scored_independently(name, &outcome.exports);
    let mut failed = Vec::new();
    for c in &r.checks {
        let floor = shortfall(name, &c.id);
        let undecided = KNOWN_INCONCLUSIVE
            .iter()
            .any(|(f, id)| *f == name && *id == c.id);
        if c.verdict == Verdict::Inconclusive && !undecided {
            failed.push(format!("{name}: {} INCONCLUSIVE: {}", c.id, c.actual));
        }
        if c.verdict != Verdict::Inconclusive && undecided {
            failed.push(format!(
                "{name}: {} is now {}: remove it from KNOWN_INCONCLUSIVE",
                c.id,
                c.verdict.label()
            ));
        }
        if c.id.contains(".errors.") {
            // Misses + extras as a share of the true events: issue 4's bar read as errors.
            if let Some(v) = c.value
                && v > 1.0 - COUNT_BAR + 1e-9
            {
                failed.push(format!(
                    "{name}: {} = {v:.3} errors, must be ≤ {:.3}",
                    c.id,
                    1.0 - COUNT_BAR
                ));
            }
        } else if let (Some(bar), Some(v)) = (bar_of(c), c.value) {
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

/// Issue 15: the judge's event-level figures equal what `sed_eval` (an implementation nobody here
/// wrote) computes from the same exported truth and report times.
fn scored_independently(name: &str, exports: &[eseal::judge::checks::MatchingExport]) {
    if exports.is_empty() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    eseal::judge::export::write_matchings(dir.path(), name, exports).unwrap();
    let o = std::process::Command::new("python3")
        .arg("tests/scorers/sed_eval_check.py")
        .arg(dir.path())
        .output()
        .expect("python3 (scripts/setup.sh installs sed_eval)");
    let out = String::from_utf8_lossy(&o.stdout);
    println!("{out}");
    assert!(
        o.status.success(),
        "{name}: sed_eval disagrees with the judge:\n{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
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
    let mut seen = observe(&result);
    // The judge's own look at the pictures, so that E4 is judged here too (issue 15: no check
    // is tolerated whatever its result).
    seen.captures = eseal::judge::capture_pass::locate(
        &scenario,
        &seen.uploads,
        CertifyOptions::default().judge.window,
    )
    .unwrap();
    let checks = checks::judge(
        &scenario,
        &result.truth,
        &seen,
        &CertifyOptions::default().judge,
    )
    .checks;
    print_checks("outage-12min", &checks);
    for c in &checks {
        assert!(
            c.verdict != Verdict::Fail || c.id == "R2.latency",
            "{} FAILS: {} {:?}",
            c.id,
            c.actual,
            c.findings
        );
    }
    let latency = checks.iter().find(|c| c.id == "R2.latency").unwrap();
    assert_eq!(
        latency.verdict,
        Verdict::Fail,
        "uploads held for 10 minutes are late: {latency:?}"
    );
}
