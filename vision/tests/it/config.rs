//! The device configuration: the documented example parses, and bad keys are named.

use eseal_vision::DeviceConfig;

#[test]
fn the_documented_example_parses() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/edge.toml.example");
    let c = DeviceConfig::from_file(&path).unwrap();
    assert_eq!(c.mine.to_string(), "140421007866");
    assert_eq!(c.cameras.len(), 1);
    assert_eq!(c.analysis.tamper_interval_s, 3600.0);
    assert_eq!(c.locks[0].camera, c.cameras[0].code);
}

fn err(text: &str) -> String {
    DeviceConfig::from_toml(text).unwrap_err().to_string()
}

const BASE: &str = r#"
device_id = "x"
mine = "140421007866"
state_dir = "/tmp/x"
[[cameras]]
code = "20"
site = "shaft_mouth"
width = 1280
height = 720
fps = 25
calibration = { position = [0.0, -4.0, 4.5], yaw_deg = 90, tilt_deg = 45, hfov_deg = 70 }
"#;

#[test]
fn errors_name_the_key_and_the_expected_form() {
    assert!(
        err(BASE).contains("cameras[0].edge: expected the counting edge"),
        "{}",
        err(BASE)
    );
    let odd = BASE
        .replace("width = 1280", "width = 1281")
        .replace("fps = 25", "fps = 25\nedge = [[0.0, 0.0], [2.0, 0.0]]");
    assert!(
        err(&odd).contains("cameras[0].width: expected an even size up to 2560×1440 (C7)"),
        "{}",
        err(&odd)
    );
    let mine = BASE.replace("140421007866", "14042100786");
    assert!(err(&mine).contains("line 3"), "{}", err(&mine));
    let unknown = format!("{BASE}\ncolour = 1");
    assert!(err(&unknown).contains("colour"), "{}", err(&unknown));
    let lock = format!(
        "{}\nedge = [[0.0, 0.0], [2.0, 0.0]]\n[[locks]]\ncode = \"10\"\ncamera = \"30\"",
        BASE.trim_end()
    );
    assert!(
        err(&lock).contains("locks[0].camera: no camera with code 30"),
        "{}",
        err(&lock)
    );
    let with_edge = BASE.replace("fps = 25", "fps = 25\nedge = [[0.0, 0.0], [2.0, 0.0]]");
    let streams = |listen: &str, url: &str| {
        format!(
            "{}\n[streams]\nlisten = \"{listen}\"\npublic_url = \"{url}\"",
            with_edge.trim_end()
        )
    };
    assert!(DeviceConfig::from_toml(&streams("0.0.0.0:8090", "http://10.0.0.5:8090")).is_ok());
    let zero = err(&streams("127.0.0.1:0", "http://127.0.0.1:0"));
    assert!(
        zero.contains("streams.public_url: expected the URL the platform reaches"),
        "{zero}"
    );
    let bare = err(&streams("0.0.0.0:8090", "10.0.0.5:8090"));
    assert!(bare.contains("streams.public_url"), "{bare}");
    let listen = err(&streams("port 8090", "http://10.0.0.5:8090"));
    assert!(
        listen.contains("streams.listen: expected an address"),
        "{listen}"
    );
}
