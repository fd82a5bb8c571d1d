//! The judge on the violation suite (issue 5 acceptance): every case in `scenarios/violations/`
//! runs the reference device with its fault and must fail exactly the checks it names (and be
//! AMBIGUOUS-IN-SPEC where it says), with every other check passing or not applicable.

use eseal::judge::cases::{self, expectation_errors};
use eseal::judge::certify::{CertifyOptions, judge_case};

fn violation(name: &str) {
    let file = format!("scenarios/violations/{name}.toml");
    let loaded = cases::load(std::path::Path::new(&file), None).unwrap();
    let expect = loaded.expect.clone().expect("a violation case has [expect]");
    let outcome = judge_case(&loaded.case, &CertifyOptions::default()).unwrap();
    let r = &outcome.report;
    for c in &r.checks {
        println!("{:<24} {:<18} {}", c.id, c.verdict.label(), c.actual);
        for f in c.findings.iter().take(5) {
            println!("    {f}");
        }
    }
    let errors = expectation_errors(r, &expect);
    assert!(errors.is_empty(), "{file} (seed {}): {errors:#?}", r.seed);
}

/// One test per case, so the harness spreads them over the cores.
macro_rules! violation_cases {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(#[test] fn $test() { violation($name); })*
        const CASES: &[&str] = &[$($name),*];
    };
}

violation_cases! {
    dropping_every_fifth_person_fails_counting_and_capture => "drop-every-5th-person",
    forgetting_the_midnight_reset_fails_the_counters => "no-midnight-reset",
    a_wrong_camera_code_fails_the_names_and_the_gate_counts => "wrong-camera-code",
    a_load_state_contradicting_the_belt_fails_e2 => "swapped-load-state",
    uploads_in_40_s_batches_fail_latency => "late-uploads",
    pictures_without_a_rectangle_fail_capture => "no-rectangle",
    eight_second_clips_fail_u3_and_u5 => "short-clips",
    the_30_digit_u3_reading_is_ambiguous_not_failed => "u3-rule-form",
}

#[test]
fn every_violation_case_has_its_test() {
    let mut on_disk: Vec<String> = std::fs::read_dir("scenarios/violations")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter_map(|p| p.file_stem()?.to_str().map(str::to_owned))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|s| (*s).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "scenarios/violations/*.toml and the violation_cases! list differ");
}

#[test]
fn a_case_file_with_an_unknown_fault_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.toml");
    std::fs::write(
        &f,
        format!(
            "about = \"x\"\nscenario = \"{}/scenarios/conformant/gate-trucks.toml\"\n[faults]\nforget_everything = true\n[expect]\nfail = [\"E5\"]\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    let e = format!("{:#}", cases::load(&f, None).unwrap_err());
    assert!(e.contains("forget_everything"), "{e}");
    std::fs::write(&f, "about = \"x\"\nscenario = \"nowhere.toml\"\n[expect]\nfail = [\"E5\"]\n").unwrap();
    let e = format!("{:#}", cases::load(&f, None).unwrap_err());
    assert!(e.contains("nowhere.toml"), "{e}");
}
