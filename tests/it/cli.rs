//! The `eseal name` commands as a person debugging a device uses them.

use std::process::Command;

fn eseal(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn name_parse_prints_the_fields_of_the_spec_example() {
    let out = eseal(&["name", "parse", "1404210078662001000520210104224515.jpg"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "U1",
        "140421007866",
        "camera",
        "20",
        "count",
        "5",
        "20210104224515",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
}

#[test]
fn name_parse_fails_and_names_the_field_of_a_bad_name() {
    let out = eseal(&[
        "name",
        "parse",
        "--json",
        "14042100786620010a0520210104224515.jpg",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let line = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(v["error"]["field"], "count", "{v}");
}

#[test]
fn name_format_round_trips_through_parse() {
    let out = eseal(&[
        "name",
        "format",
        "--clause",
        "U3",
        "--mine",
        "140421007866",
        "--camera",
        "10",
        "--state",
        "01",
        "--time",
        "20210104121546",
    ]);
    assert!(out.status.success(), "{out:?}");
    let name = String::from_utf8(out.stdout).unwrap();
    assert_eq!(name.trim(), "14042100786610030120210104121546.mp4");
}

#[test]
fn the_documented_configuration_example_is_accepted() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/platform.toml.example");
    let config = eseal_platform::config::PlatformConfig::builder()
        .file(path)
        .build()
        .unwrap();
    assert_eq!(config.ftp_addr.port(), 2121);
    assert_eq!(config.https_addr.port(), 8443);
}

#[test]
fn platform_serve_names_the_bad_configuration_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "ftp_addr = \"localhost:twenty-one\"\n").unwrap();
    let out = eseal(&["platform", "serve", "--config", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ftp_addr"), "{err}");
}
