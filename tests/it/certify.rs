//! The judge on the violation suite (issue 5 acceptance): every case in `scenarios/violations/`
//! runs the reference device with its fault and must fail exactly the checks it names (and be
//! AMBIGUOUS-IN-SPEC where it says), with every other check passing or not applicable.

use eseal::judge::cases::{self, expectation_errors};
use eseal::judge::certify::{CertifyOptions, judge_case};

fn violation(name: &str) {
    let file = format!("scenarios/violations/{name}.toml");
    let loaded = cases::load(std::path::Path::new(&file), None).unwrap();
    let expect = loaded
        .expect
        .clone()
        .expect("a violation case has [expect]");
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
    a_platform_that_never_pushes_fails_alarm_push => "platform-push-disabled",
    a_clock_20_s_late_fails_r2_skew_only => "clock-20s-late",
    uploads_held_25_s_fail_r2_latency_only => "uploads-held-25s",
    a_phantom_for_every_miss_fails_the_absolute_error_check => "phantom-up-counts",
}

#[test]
fn every_violation_case_has_its_test() {
    let mut on_disk: Vec<String> = std::fs::read_dir("scenarios/violations")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('_'))
        })
        .filter_map(|p| p.file_stem()?.to_str().map(str::to_owned))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|s| (*s).to_owned()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "scenarios/violations/*.toml and the violation_cases! list differ"
    );
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
    // An expectation as broad as a clause would let all its checks fail unnoticed (issue 15).
    std::fs::write(
        &f,
        format!(
            "about = \"x\"\nscenario = \"{}/scenarios/conformant/gate-trucks.toml\"\n[expect]\nfail = [\"E5\"]\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    let e = format!("{:#}", cases::load(&f, None).unwrap_err());
    assert!(e.contains("\"E5\" is too broad"), "{e}");
    std::fs::write(
        &f,
        "about = \"x\"\nscenario = \"nowhere.toml\"\n[expect]\nfail = [\"E5.count\"]\n",
    )
    .unwrap();
    let e = format!("{:#}", cases::load(&f, None).unwrap_err());
    assert!(e.contains("nowhere.toml"), "{e}");
}

/// A hand-checked case (issue 5 acceptance: the event-level figures agree with an independent
/// computation). The truth of `gate-trucks` is five trucks leaving, at about 7.1, 16.1, 25.1,
/// 98.7 and 108.4 s; the device's U2 uploads are written by hand around them, and the figures
/// worked out on paper with the R2 window (a report may be at most 5 s early, 15 s late):
///
/// | upload at | admissible for     | outcome                                           |
/// |-----------|--------------------|---------------------------------------------------|
/// | t1        | truck 1            | match                                             |
/// | t3 + 14 s | truck 3            | match (inside the latency); truck 2 has none: miss |
/// | 60 s      | none               | extra                                             |
/// | t4 − 3 s  | truck 4            | match (inside the skew; 3 s is closer than 3.7 s) |
/// | t5 − 6 s  | truck 4 only       | extra (truck 4 is taken, truck 5 too far): miss   |
///
/// 5 true, 5 reported, 3 matched: precision 3/5, recall 3/5, F1 3/5; the counter (0001..0005 in
/// time order) is in order, and the day's count-level accuracy is 1 − |5 − 5| / 5 = 100 %.
#[test]
fn event_level_figures_agree_with_a_hand_checked_case() {
    use eseal::judge::checks::{Observed, Upload, judge};
    use eseal_simulator::truth::EventKind;
    let (scenario, _) = eseal_simulator::check(std::path::Path::new(
        "scenarios/conformant/gate-trucks.toml",
    ))
    .unwrap();
    let truth: Vec<_> = eseal_simulator::Simulation::new(&scenario)
        .flat_map(|s| s.events)
        .collect();
    let out: Vec<f64> = truth
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Truck {
                    direction: eseal_simulator::scenario::TruckDirection::Out,
                    ..
                }
            )
        })
        .map(|e| e.t_ns as f64 / 1e9)
        .collect();
    assert_eq!(out.len(), 5, "the scenario sends five trucks out: {out:?}");
    assert!(
        out[1] - out[0] > 5.0 && out[3] - out[2] > 60.0 && out[4] - out[3] > 6.5,
        "the table assumes these gaps: {out:?}"
    );
    let mut times = [out[0], out[2] + 14.0, 60.0, out[3] - 3.0, out[4] - 6.0];
    times.sort_by(f64::total_cmp);
    let uploads = times
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let at = scenario.start + chrono::Duration::milliseconds((t * 1000.0) as i64);
            let name = format!(
                "{}3002{:04}{}.jpg",
                scenario.mine.code,
                i + 1,
                at.format("%Y%m%d%H%M%S")
            );
            Upload {
                name,
                bytes: Vec::new(),
                arrived_s: None,
            }
        })
        .collect();
    let seen = Observed {
        uploads,
        ..Observed::default()
    };
    let checks = judge(
        &scenario,
        &truth,
        &seen,
        &eseal::judge::certify::CertifyOptions::default().judge,
    )
    .checks;
    let get = |id: &str| {
        checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no {id}"))
    };
    let events = get("E5.events.30");
    assert_eq!(
        events.actual,
        "5 true, 5 reported, 3 matched: precision 60.0 %, recall 60.0 %, F1 60.0 %"
    );
    assert_eq!(events.value, Some(0.6));
    assert_eq!(events.verdict, eseal::judge::verdict::Verdict::Fail);
    assert_eq!(
        events.findings.len(),
        4,
        "two misses and two extras: {:?}",
        events.findings
    );
    assert!(
        events.findings[0].starts_with(&format!("truck leaving at {:.1} s", out[1])),
        "{:?}",
        events.findings
    );
    assert!(
        events.findings[1].starts_with(&format!("truck leaving at {:.1} s", out[4])),
        "{:?}",
        events.findings
    );
    assert!(
        events.findings[2].contains("at 60.0 s matches no truck"),
        "{:?}",
        events.findings
    );
    assert_eq!(get("E5.count.30").value, Some(1.0));
    // The day's count is right (5 of 5) but two misses and two phantoms are 4 errors of 5 true:
    // they do not cancel (issue 15).
    let errors = get("E5.errors.30");
    assert_eq!(
        errors.actual,
        "2 missed + 2 extra = 4 error(s) of 5 true: 80.0 %"
    );
    assert_eq!(errors.verdict, eseal::judge::verdict::Verdict::Fail);
    assert_eq!(
        get("U2.counter.30").verdict,
        eseal::judge::verdict::Verdict::Pass
    );
}

/// Determinism (issue 5 acceptance): the same scenario, seed and device give byte-identical
/// JSON reports.
#[test]
fn the_same_case_gives_byte_identical_json_reports() {
    let (scenario, _) = eseal_simulator::check(std::path::Path::new(
        "scenarios/conformant/belt-state-changes.toml",
    ))
    .unwrap();
    let case = eseal::judge::certify::Case::conformant(scenario);
    let opts = CertifyOptions::default();
    let json = || {
        let o = judge_case(&case, &opts).unwrap();
        let report = eseal::judge::certify::certification(&[o], &opts);
        serde_json::to_vec_pretty(&report).unwrap()
    };
    let (a, b) = (json(), json());
    assert!(
        a == b,
        "the two reports differ:\n{}\n----\n{}",
        String::from_utf8_lossy(&a),
        String::from_utf8_lossy(&b)
    );
    // Clips and pictures are in it by hash, so this also says the evidence bytes are the same.
    assert!(String::from_utf8_lossy(&a).contains("\"sha256\""));
}

fn eseal(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(args)
        .output()
        .unwrap()
}

/// `eseal certify` as a CI maintainer calls it: exit 0 and the HTML report's path as the last
/// line when the device passes; exit 1 with the seed and the command that reproduces it when a
/// case does not come out as it should; a clear refusal of bad arguments.
#[test]
fn certify_exits_by_the_verdict_and_names_the_seed_and_the_reproducing_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pass");
    let matchings = dir.path().join("matchings");
    let o = eseal(&[
        "certify",
        "--scenarios",
        "scenarios/conformant/gate-trucks.toml",
        "--out",
        out.to_str().unwrap(),
        "--export-matching",
        matchings.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let exported: serde_json::Value = serde_json::from_slice(
        &std::fs::read(matchings.join("gate-trucks/E5.events.30.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(exported["judge"]["truth"], 5, "{exported}");
    let last = stdout.lines().last().unwrap();
    assert_eq!(last, out.join("report.html").display().to_string());
    for f in [
        "report.json",
        "report.html",
        "junit.xml",
        "timings.json",
        "MANIFEST.sha256",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["device"]["detector"], "classical",
        "{}",
        report["device"]
    );
    // A case whose expectation the device does not meet: the uploads are late (latency fails),
    // but the case claims only E5 fails.
    let case = dir.path().join("wrong-expectation.toml");
    std::fs::write(
        &case,
        format!(
            "about = \"late uploads, wrongly expected to fail E5\"\nscenario = \"{}/scenarios/conformant/gate-trucks.toml\"\nduration_s = 40\n[faults]\nupload_batch_s = 40\n[expect]\nfail = [\"E5.events\"]\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    let o = eseal(&[
        "certify",
        "--scenarios",
        case.to_str().unwrap(),
        "--out",
        dir.path().join("fail").to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("R2.latency failed, which the case does not target"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "reproduce: eseal certify --scenarios {} --seed 505",
            case.display()
        )),
        "{stdout}"
    );
    // Bad arguments name the flag and the expected form.
    let o = eseal(&[
        "certify",
        "--scenarios",
        "scenarios/conformant/gate-trucks.toml",
        "--device",
        "vendor-x",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && stderr.contains("--device vendor-x: expected `reference`"),
        "{stderr}"
    );
    for (args, want) in [
        (
            &["--detector", "yolo"][..],
            "--detector yolo: expected `classical` or `learned`",
        ),
        (
            &["--detector", "learned", "--model", "no/such.onnx"][..],
            "--model no/such.onnx: no such file",
        ),
    ] {
        let mut all = vec![
            "certify",
            "--scenarios",
            "scenarios/conformant/gate-trucks.toml",
        ];
        all.extend_from_slice(args);
        let o = eseal(&all);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && stderr.contains(want), "{stderr}");
    }
    let o = eseal(&["certify", "--scenarios", "no/such/dir"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no/such/dir: no such file or directory"));
}

/// Issue 6 acceptance: a scenario run through the reference device produces the alarms its
/// configuration implies — here belt/skip running (U3 → 运输设备运行) and every lock event
/// (U5 → 电子锁被移动/破坏), each pushed to the county, driven to closure, the last supervised
/// when overdue.
#[test]
fn a_scenario_through_the_reference_device_raises_the_alarms_its_configuration_implies() {
    use eseal::edge::run::{RunOptions, run_in_process};
    use eseal::judge::certify::ALARM_LIMITS;
    let (scenario, _) = eseal_simulator::check(std::path::Path::new(
        "scenarios/conformant/skip-trips-locks.toml",
    ))
    .unwrap();
    let opts = RunOptions {
        tamper_interval_s: Some(5.0),
        closure: Some(ALARM_LIMITS),
        ..RunOptions::default()
    };
    let run = run_in_process(&scenario, &opts).unwrap();
    let closure = run
        .closure
        .as_ref()
        .expect("the judge drove the platform's alarms");
    assert!(closure.errors.is_empty(), "{:?}", closure.errors);
    let u5: Vec<&String> = run
        .received
        .iter()
        .filter(|n| n.len() == 36 && &n[14..16] == "00")
        .collect();
    let locks: Vec<_> = closure
        .alarms
        .iter()
        .filter(|a| a.kind == "lock_tampered")
        .collect();
    assert!(!u5.is_empty(), "the scenario has lock events");
    assert_eq!(
        locks.len(),
        u5.len(),
        "one alarm per lock event: {locks:?} for {u5:?}"
    );
    for l in &locks {
        assert!(l.evidence.iter().all(|e| u5.contains(&e)), "{l:?}");
    }
    assert!(
        closure.alarms.iter().any(|a| a.kind == "transport_running"),
        "{:?}",
        closure.alarms
    );
    // Nothing but what the configuration implies: no people or trucks in this scenario.
    assert!(
        closure
            .alarms
            .iter()
            .all(|a| a.kind == "lock_tampered" || a.kind == "transport_running"),
        "{:?}",
        closure.alarms
    );
    let seen = eseal::judge::certify::observe(&run);
    for c in eseal::judge::alarm_closure::checks(&seen.uploads, Some(closure)) {
        assert_eq!(
            c.verdict,
            eseal::judge::verdict::Verdict::Pass,
            "{} {}: {:?}",
            c.id,
            c.actual,
            c.findings
        );
    }
    // Every alarm but the one kept for the overdue check was closed by the county.
    assert_eq!(closure.handled.len() + 1, closure.alarms.len());
}

/// A scenario and its ground truth, without rendering (for judging hand-made observations).
fn scenario_and_truth(
    file: &str,
) -> (
    eseal_simulator::Scenario,
    Vec<eseal_simulator::truth::Event>,
) {
    let (scenario, _) = eseal_simulator::check(std::path::Path::new(file)).unwrap();
    let truth = eseal_simulator::Simulation::new(&scenario)
        .flat_map(|s| s.events)
        .collect();
    (scenario, truth)
}

/// Issue 15: an external device that serves no day report (or one without the per-person log)
/// leaves E3 up INCONCLUSIVE — never NOT-APPLICABLE, never a pass — and the certification says
/// what the lab must supply.
#[test]
fn no_day_report_leaves_people_coming_up_inconclusive_and_says_what_to_supply() {
    use eseal::judge::checks::{DayCounts, Observed, judge};
    use eseal::judge::verdict::Verdict;
    let (scenario, truth) =
        scenario_and_truth("scenarios/conformant/shaft-stop-and-go-turn-back.toml");
    let opts = CertifyOptions::default().judge;
    let verdict_of = |seen: &Observed, id: &str| {
        let checks = judge(&scenario, &truth, seen, &opts).checks;
        let c = checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no {id}"))
            .clone();
        (c.verdict, c.supply.unwrap_or_default())
    };
    // No day report at all (the old judge said NOT-APPLICABLE, and the certificate passed).
    let bare = Observed::default();
    let (v, supply) = verdict_of(&bare, "E3.up.count.20");
    assert_eq!(v, Verdict::Inconclusive);
    assert!(supply.contains("day report"), "{supply}");
    assert_eq!(
        verdict_of(&bare, "E3.up.events.20").0,
        Verdict::Inconclusive
    );
    // A day report with the right figure but no per-person log: the count is judged, the events
    // are not.
    let day = scenario.start.date_naive();
    let ups = truth
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                eseal_simulator::truth::EventKind::Crossing {
                    direction: eseal_simulator::scenario::PersonDirection::Up,
                    ..
                }
            )
        })
        .count() as u32;
    let mut report = std::collections::BTreeMap::new();
    report.insert(
        day,
        std::collections::BTreeMap::from([(
            "20".to_owned(),
            DayCounts {
                people_up: ups,
                ..DayCounts::default()
            },
        )]),
    );
    let with_figures = Observed {
        day_report: Some(report),
        ..Observed::default()
    };
    assert_eq!(verdict_of(&with_figures, "E3.up.count.20").0, Verdict::Pass);
    let (v, supply) = verdict_of(&with_figures, "E3.up.errors.20");
    assert_eq!(v, Verdict::Inconclusive);
    assert!(supply.contains("per-person log"), "{supply}");
    // And a certification with an undecided check is not a pass.
    assert_eq!(
        Verdict::combine([Verdict::Pass, Verdict::Inconclusive]),
        Verdict::Inconclusive
    );
}

/// Issue 15: an upload that arrives while the spool drains after the last frame is noted at the
/// instant the platform acknowledged it, not credited as arriving when the scenario ended — a
/// device that drains slowly fails latency. Every upload of `uploads-held-25s` is held 25 s; the
/// last truck leaves less than 25 s before the end, so its U2 arrives after the last frame.
#[test]
fn uploads_after_the_last_frame_arrive_when_the_spool_drains() {
    let loaded = cases::load(
        std::path::Path::new("scenarios/violations/uploads-held-25s.toml"),
        None,
    )
    .unwrap();
    let end_s = loaded.case.scenario.duration_ns as f64 / 1e9;
    let run_opts = eseal::edge::run::RunOptions {
        tamper_interval_s: Some(5.0),
        upload_hold_s: loaded.case.upload_hold_s,
        ..eseal::edge::run::RunOptions::default()
    };
    let run = eseal::edge::run::run_in_process(&loaded.case.scenario, &run_opts).unwrap();
    let seen = eseal::judge::certify::observe(&run);
    let arrivals: Vec<f64> = seen.uploads.iter().filter_map(|u| u.arrived_s).collect();
    assert_eq!(
        arrivals.len(),
        seen.uploads.len(),
        "every upload has its arrival"
    );
    let last = arrivals.iter().copied().fold(f64::MIN, f64::max);
    assert!(
        last > end_s + 1.0,
        "the last upload arrived at {last} s, after the end ({end_s} s), and says so"
    );
    let checks = eseal::judge::checks::judge(
        &loaded.case.scenario,
        &run.truth,
        &seen,
        &CertifyOptions::default().judge,
    )
    .checks;
    let latency = checks.iter().find(|c| c.id == "R2.latency").unwrap();
    assert_eq!(
        latency.verdict,
        eseal::judge::verdict::Verdict::Fail,
        "{latency:?}"
    );
    // The device decides on a truck as its front crosses, a little before the truth (its centre).
    assert!(
        latency.value.unwrap() >= 24.0,
        "the worst delay is the hold: {latency:?}"
    );
}

/// Issue 15 (external mode, item 9): registering the judge's own camera URL for U6 serves
/// multipart JPEG from the right place but is not the device's stream: U6 fails and says why.
#[test]
fn a_registered_stream_that_is_the_judges_own_camera_fails_u6() {
    use eseal::edge::run::StreamProbe;
    use eseal::judge::checks::{Observed, judge};
    use eseal::judge::verdict::Verdict;
    let (scenario, truth) =
        scenario_and_truth("scenarios/conformant/shaft-stop-and-go-turn-back.toml");
    let probe = |url: &str| StreamProbe {
        camera: "20".to_owned(),
        url: url.to_owned(),
        status: Some(200),
        content_type: "multipart/x-mixed-replace; boundary=frame".to_owned(),
        jpeg: true,
        error: None,
        registered_from: Some("127.0.0.1".to_owned()),
        answered_from: Some("127.0.0.1".to_owned()),
    };
    let judge_prefix = "http://127.0.0.1:18080/".to_owned();
    let u6 = |url: &str| {
        let seen = Observed {
            streams: vec![probe(url)],
            judge_stream_prefixes: vec![judge_prefix.clone()],
            ..Observed::default()
        };
        let checks = judge(&scenario, &truth, &seen, &CertifyOptions::default().judge).checks;
        checks.into_iter().find(|c| c.id == "U6.stream.20").unwrap()
    };
    let borrowed = u6("http://127.0.0.1:18080/cam/20?action=stream");
    assert_eq!(borrowed.verdict, Verdict::Fail, "{borrowed:?}");
    assert!(
        borrowed.findings[0].contains("the judge's own camera stream"),
        "{:?}",
        borrowed.findings
    );
    assert_eq!(
        u6("http://127.0.0.1:8090/cam/20?action=stream").verdict,
        Verdict::Pass
    );
}

/// Issue 15 (external mode, item 9): the registered stream must answer from the address the
/// registration came from. A device that registers some other machine's MJPEG stream fails U6
/// and the finding names both addresses; when the platform did not record the registering
/// address the judge cannot tell, and says so (INCONCLUSIVE with what to supply), never PASS.
#[test]
fn a_registered_stream_served_from_another_address_fails_u6() {
    use eseal::edge::run::StreamProbe;
    use eseal::judge::checks::{Observed, judge};
    use eseal::judge::verdict::Verdict;
    let (scenario, truth) =
        scenario_and_truth("scenarios/conformant/shaft-stop-and-go-turn-back.toml");
    let u6 = |registered_from: Option<&str>, answered_from: &str| {
        let seen = Observed {
            streams: vec![StreamProbe {
                camera: "20".to_owned(),
                url: format!("http://{answered_from}:8080/?action=stream"),
                status: Some(200),
                content_type: "multipart/x-mixed-replace; boundary=frame".to_owned(),
                jpeg: true,
                error: None,
                registered_from: registered_from.map(str::to_owned),
                answered_from: Some(answered_from.to_owned()),
            }],
            ..Observed::default()
        };
        let checks = judge(&scenario, &truth, &seen, &CertifyOptions::default().judge).checks;
        checks.into_iter().find(|c| c.id == "U6.stream.20").unwrap()
    };
    let elsewhere = u6(Some("192.0.2.10"), "192.0.2.99");
    assert_eq!(elsewhere.verdict, Verdict::Fail, "{elsewhere:?}");
    assert!(
        elsewhere
            .findings
            .iter()
            .any(|f| f.contains("answers from 192.0.2.99, but was registered from 192.0.2.10")),
        "{:?}",
        elsewhere.findings
    );
    assert_eq!(u6(Some("192.0.2.10"), "192.0.2.10").verdict, Verdict::Pass);
    assert_eq!(
        u6(Some("::ffff:192.0.2.10"), "192.0.2.10").verdict,
        Verdict::Pass,
        "an IPv4-mapped address is the same address"
    );
    assert_eq!(
        u6(Some("127.0.0.1"), "::1").verdict,
        Verdict::Pass,
        "both loopback: the same machine"
    );
    let unknown = u6(None, "192.0.2.10");
    assert_eq!(unknown.verdict, Verdict::Inconclusive, "{unknown:?}");
    assert!(unknown.supply.as_deref().unwrap().contains("peer"));
}

/// The belt scenario with `tamper` appended, its truth, and a U3 clip named at each of
/// `clips` (seconds from the start, state code).
fn belt_case(
    tamper: &str,
    clips: &[(f64, &str)],
) -> (
    eseal_simulator::Scenario,
    Vec<eseal_simulator::truth::Event>,
    eseal::judge::checks::Observed,
) {
    use eseal::judge::checks::{Observed, Upload};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("belt.toml");
    let text = std::fs::read_to_string("scenarios/conformant/belt-state-changes.toml").unwrap();
    std::fs::write(&path, format!("{text}\n{tamper}")).unwrap();
    let (scenario, _) = eseal_simulator::check(&path).unwrap();
    let truth: Vec<_> = eseal_simulator::Simulation::new(&scenario)
        .flat_map(|s| s.events)
        .collect();
    let uploads = clips
        .iter()
        .map(|(t, state)| {
            let at = scenario.start + chrono::Duration::milliseconds((t * 1000.0) as i64);
            Upload {
                name: format!(
                    "{}1003{state}{}.mp4",
                    scenario.mine.code,
                    at.format("%Y%m%d%H%M%S")
                ),
                bytes: Vec::new(),
                arrived_s: None,
            }
        })
        .collect();
    let seen = Observed {
        uploads,
        ..Observed::default()
    };
    (scenario, truth, seen)
}

/// E2 on a covered belt camera: the change under the cover (01 at 55 s, cover 53–60 s) and a
/// clip named inside the cover are left out and disclosed; a change missed outside it still
/// fails; a cover over most changes is no evidence either way.
#[test]
fn state_changes_under_a_cover_are_left_out_and_disclosed_and_the_rest_still_judged() {
    use eseal::judge::checks::judge;
    use eseal::judge::verdict::Verdict;
    let cover = |from: &str, until: &str| {
        format!(
            "[[tamper]]\ncamera = \"10\"\nkind = \"cover\"\nfrom = \"+00:00:{from}\"\nuntil = \"+00:00:{until}\"\nfraction = 1.0\n"
        )
    };
    let e2 = |tamper: &str, clips: &[(f64, &str)]| {
        let (scenario, truth, seen) = belt_case(tamper, clips);
        let opts = eseal::judge::certify::CertifyOptions::default().judge;
        let checks = judge(&scenario, &truth, &seen, &opts).checks;
        (checks.into_iter())
            .find(|c| c.id == "E2.transport.10")
            .expect("an E2 check of camera 10")
    };
    let all_but_covered = [(10.0, "01"), (35.0, "02"), (57.0, "00"), (75.0, "00")];
    let c = e2(&cover("53", "59"), &all_but_covered);
    assert_eq!(c.verdict, Verdict::Pass, "{c:?}");
    assert!(
        c.actual
            .ends_with("excluded: 1 state changes, 1 U3 clips (camera 10 occluded 00:00:52–00:01:00 (tamper interval ± 1 s))"),
        "{}",
        c.actual
    );
    // Without the cover the same clips miss the change at 55 s and name one that never was.
    let c = e2("", &all_but_covered);
    assert_eq!(c.verdict, Verdict::Fail, "{c:?}");
    assert!(c.excluded.is_none());
    // A change outside the cover missed: FAIL, whatever was left out.
    let c = e2(&cover("53", "59"), &[(10.0, "01"), (75.0, "00")]);
    assert_eq!(c.verdict, Verdict::Fail, "{c:?}");
    assert!(
        c.findings
            .iter()
            .any(|f| f.starts_with("state 02 at 35.0 s: no U3")),
        "{c:?}"
    );
    // Three of the four changes under a cover: no verdict, and what to supply.
    let c = e2(&cover("05", "59"), &[(75.0, "00")]);
    assert_eq!(c.verdict, Verdict::Inconclusive, "{c:?}");
    assert!(c.supply.is_some(), "{c:?}");
}
