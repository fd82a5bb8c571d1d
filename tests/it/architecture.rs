//! Keeps ARCHITECTURE.md true: every path it names exists, and the crate dependency invariants it
//! states hold in the manifests.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Paths quoted in backticks that look like repository paths (contain a `/` or end in `.md`,
/// `.rs`, `.sh`, `.json`, `.sql`).
fn named_paths(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, chunk) in doc.split('`').enumerate() {
        if i % 2 == 0
            || chunk.contains(' ')
            || chunk.starts_with("../")
            || chunk.starts_with('/')
            || chunk.contains("::")
        {
            continue;
        }
        let looks_like_path = chunk.ends_with('/')
            || [".md", ".rs", ".sh", ".json", ".sql", ".toml"]
                .iter()
                .any(|e| chunk.ends_with(e));
        if looks_like_path && !chunk.contains('{') && !chunk.contains('<') {
            out.push(chunk.to_owned());
        }
    }
    out
}

#[test]
fn every_path_named_in_architecture_md_exists() {
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let paths = named_paths(&doc);
    assert!(
        paths.len() >= 8,
        "expected the code map to name paths, found {paths:?}"
    );
    let missing: Vec<_> = paths.iter().filter(|p| !root().join(p).exists()).collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
}

fn deps_of(manifest: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(manifest)).unwrap();
    let mut in_deps = false;
    let mut deps = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && let Some((name, _)) = line.split_once('=') {
            deps.push(name.trim().trim_end_matches(".workspace").to_owned());
        }
    }
    deps
}

#[test]
fn protocol_is_a_leaf_without_io_or_async() {
    let deps = deps_of("protocol/Cargo.toml");
    for forbidden in [
        "tokio",
        "eseal-platform",
        "eseal-simulator",
        "eseal-vision",
        "async-trait",
        "futures",
    ] {
        assert!(
            !deps.iter().any(|d| d == forbidden),
            "protocol must not depend on {forbidden}: {deps:?}"
        );
    }
}

#[test]
fn simulator_depends_only_on_protocol() {
    let deps = deps_of("simulator/Cargo.toml");
    assert!(deps.iter().any(|d| d == "eseal-protocol"), "{deps:?}");
    for forbidden in ["eseal-platform", "eseal-vision", "eseal"] {
        assert!(
            !deps.iter().any(|d| d == forbidden),
            "simulator must not depend on {forbidden}: {deps:?}"
        );
    }
}

#[test]
fn platform_knows_nothing_of_simulator_or_vision() {
    let deps = deps_of("platform/Cargo.toml");
    assert!(deps.iter().any(|d| d == "eseal-protocol"), "{deps:?}");
    for forbidden in ["eseal-simulator", "eseal-vision", "eseal"] {
        assert!(
            !deps.iter().any(|d| d == forbidden),
            "platform must not depend on {forbidden}: {deps:?}"
        );
    }
}

#[test]
fn vision_never_sees_ground_truth() {
    // The reference device depends on the wire contract only: never on the simulator (ground
    // truth) — not even as a dev-dependency — and never on the platform at run time.
    let deps = deps_of("vision/Cargo.toml");
    assert!(deps.iter().any(|d| d == "eseal-protocol"), "{deps:?}");
    for forbidden in ["eseal-simulator", "eseal-platform", "eseal"] {
        assert!(
            !deps.iter().any(|d| d == forbidden),
            "vision must not depend on {forbidden}: {deps:?}"
        );
    }
    let manifest = std::fs::read_to_string(root().join("vision/Cargo.toml")).unwrap();
    assert!(
        !manifest.contains("eseal-simulator"),
        "vision/Cargo.toml names the simulator"
    );
}
