//! Issue 15, item 10: a lab's own scenario, with a mine that is none of the reference
//! platform's demo mines and a county outside the demo regions, is certified — the run
//! provisions the mine with a fresh account and the county's regulators on the platform.

use eseal::judge::certify::{Case, CertifyOptions, judge_case};
use eseal::judge::verdict::Verdict;

/// The mine code (and region) a lab might write: county 370781 (山东省潍坊市青州市) is not in
/// the demo hierarchy (山西省 only), and no demo mine has this code.
pub const LAB_MINE: &str = "370781000123";
pub const LAB_REGION: &str = "山东省潍坊市青州市";

/// `file`'s text with its `[mine]` table turned into the lab's mine.
pub fn with_lab_mine(file: &str) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = String::new();
    let mut in_mine = false;
    for line in text.lines() {
        if line.starts_with('[') {
            in_mine = line.trim() == "[mine]";
        }
        let line = match line.split_once('=').map(|(k, _)| k.trim()) {
            Some("code") if in_mine => format!("code = \"{LAB_MINE}\""),
            Some("name") if in_mine => "name = \"青州市实验室铁矿\"".to_owned(),
            Some("region") if in_mine => format!("region = \"{LAB_REGION}\""),
            Some("state") if in_mine => "state = \"停建\"".to_owned(),
            _ => line.to_owned(),
        };
        out.push_str(&line);
        out.push('\n');
    }
    assert!(out.contains(LAB_MINE), "{file} has no [mine] code");
    out
}

#[test]
fn a_scenario_of_a_mine_the_platform_never_heard_of_is_certified_in_process() {
    assert!(
        !eseal_platform::demo::DEMO_MINES
            .iter()
            .any(|m| m.0 == LAB_MINE)
            && !eseal_platform::demo::DEMO_REGIONS
                .iter()
                .any(|r| r.0 == &LAB_MINE[..6]),
        "the test needs a mine and county outside the demo data"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lab-skip.toml");
    std::fs::write(
        &file,
        with_lab_mine("scenarios/conformant/skip-trips-locks.toml"),
    )
    .unwrap();
    let (mut scenario, _) = eseal_simulator::check(&file).unwrap();
    // The skip runs from 2 s and a lock event comes at 50 s: two alarms, one closed by the
    // county and one left to be supervised when overdue.
    scenario.duration_ns = 65_000_000_000;
    let outcome = judge_case(&Case::conformant(scenario), &CertifyOptions::default()).unwrap();
    let r = &outcome.report;
    for c in &r.checks {
        println!("{:<24} {:<18} {}", c.id, c.verdict.label(), c.actual);
    }
    assert_eq!(r.mine, LAB_MINE);
    assert!(
        r.evidence.iter().any(|e| e.name.starts_with(LAB_MINE)),
        "the platform accepted the mine's uploads: {:?}",
        r.evidence
    );
    let get = |id: &str| {
        r.checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id}"))
    };
    assert_eq!(get("protocol.names").verdict, Verdict::Pass);
    // The judge acted as the county 370781 through the platform's API: alarms raised, pushed,
    // closed and supervised when overdue.
    for id in ["P4.raised", "P4.pushed", "P4.closed", "P4.escalated"] {
        let c = get(id);
        assert_eq!(
            c.verdict,
            Verdict::Pass,
            "{id}: {} {:?}",
            c.actual,
            c.findings
        );
    }
}
