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

/// Issue 17: nothing in the reference device knows a scenario or a seed. Outside its tests and
/// comments, `vision/src` names no scenario file of the project (the public suite, tuning,
/// faults, violations, live), never says "scenario", and its only seed is the uploader's own
/// retry jitter (`jitter_seed`), which is the device's randomness, not the footage's.
#[test]
fn vision_knows_no_scenario_and_no_seed() {
    fn tomls(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                tomls(&path, out);
            } else if path.extension().is_some_and(|e| e == "toml") {
                out.push(path.file_stem().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut stems = Vec::new();
    tomls(&root().join("scenarios"), &mut stems);
    assert!(stems.iter().any(|s| s == "shaft-day-groups"), "{stems:?}");
    let mut files = Vec::new();
    rust_files(&root().join("vision/src"), &mut files);
    let tests = test_module_files(&files);
    let mut checked = 0;
    for f in files.iter().filter(|f| !tests.contains(f)) {
        let mut code = without_comments(&std::fs::read_to_string(f).unwrap());
        for r in test_module_ranges(&code).into_iter().rev() {
            code.replace_range(r, "");
        }
        let lower = code.to_lowercase();
        let at = f.strip_prefix(root()).unwrap().display();
        assert!(!lower.contains("scenario"), "{at} speaks of a scenario");
        for stem in &stems {
            assert!(
                !code.contains(stem.as_str()),
                "{at} names the scenario {stem}"
            );
        }
        for (i, _) in lower.match_indices("seed") {
            assert!(
                lower[..i].ends_with("jitter_"),
                "{at} knows a seed: …{}…",
                &code[i.saturating_sub(30)..(i + 10).min(code.len())]
            );
        }
        checked += 1;
    }
    assert!(checked > 20, "only {checked} files of vision/src read");
}

/// What the judge may use of the reference device (`eseal_vision`), outside its tests: only the
/// knobs needed to build a faulty reference device and to read what it delivers. The judge must
/// not borrow the device's algorithms (matching, probing, detection …): a bug there would be
/// repeated in the judge and the device under test and never seen (issue 15).
const JUDGE_MAY_USE: &[&str] = &[
    // The fault knobs of a violation case (`[faults]`): the judge builds a faulty reference
    // device with them (`src/judge/cases.rs`, `src/judge/certify.rs`).
    "eseal_vision::device::Faults",
    // The enum of the reference device's count log (`Device::counts()`): `observe` reads the
    // people-up counts from it, as an external device's day report is read. A name, not an
    // algorithm.
    "eseal_vision::device::Counter",
    // Which person detector the reference device under test runs (`eseal certify --detector`,
    // issue 17): a setting the judge passes through to the device it builds, as it passes the
    // fault knobs; the judge never runs a detector.
    "eseal_vision::config::DetectorConfig",
];

/// What the judge's own unit tests may use besides: the reference device's JPEG writer and
/// frame type, to make uploads exactly as the reference device draws them (test fixtures for the
/// rectangle locator in `src/judge/capture.rs`, never called by the judge itself).
const JUDGE_TESTS_MAY_USE: &[&str] = &["eseal_vision::media::jpeg", "eseal_vision::frame::Frame"];

/// Code with `//` comments removed (doc comments may name anything), lines kept.
fn without_comments(src: &str) -> String {
    src.lines()
        .map(|l| l.split_once("//").map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `eseal_vision` path in `code`, `use` trees expanded (`eseal_vision::a::{b, c::D}` gives
/// `eseal_vision::a::b` and `eseal_vision::a::c::D`), with the byte offset where it starts.
fn vision_paths(code: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices("eseal_vision") {
        if code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let toks = path_tokens(&code[at..]);
        let mut paths = Vec::new();
        use_tree(&toks, &mut 0, "", &mut paths);
        out.extend(paths.into_iter().map(|p| (at, p)));
    }
    out
}

#[derive(Debug, PartialEq)]
enum Tok<'a> {
    Id(&'a str),
    Sep,
    Open,
    Close,
    Comma,
}

/// The tokens of a path or `use` tree at the start of `s`, up to the first that cannot be part
/// of one (a `{` only right after `::`, so a struct literal ends the path).
fn path_tokens(s: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    let mut depth = 0usize;
    loop {
        rest = rest.trim_start();
        let tok = if let Some(r) = rest.strip_prefix("::") {
            rest = r;
            Tok::Sep
        } else if out.last() == Some(&Tok::Sep) && rest.starts_with('{') {
            rest = &rest[1..];
            depth += 1;
            Tok::Open
        } else if depth > 0 && rest.starts_with('}') {
            rest = &rest[1..];
            depth -= 1;
            Tok::Close
        } else if depth > 0 && rest.starts_with(',') {
            rest = &rest[1..];
            Tok::Comma
        } else {
            let n = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if n == 0 {
                return out;
            }
            let (id, r) = rest.split_at(n);
            rest = r;
            Tok::Id(id)
        };
        out.push(tok);
    }
}

/// Expands the tree at `toks[*pos..]` under `prefix` into `out`.
fn use_tree(toks: &[Tok<'_>], pos: &mut usize, prefix: &str, out: &mut Vec<String>) {
    match toks.get(*pos) {
        Some(Tok::Open) => {
            *pos += 1;
            while let Some(t) = toks.get(*pos) {
                match t {
                    Tok::Close => {
                        *pos += 1;
                        return;
                    }
                    Tok::Comma => *pos += 1,
                    _ => {
                        let before = *pos;
                        use_tree(toks, pos, prefix, out);
                        if *pos == before {
                            return; // not a tree: stop rather than loop
                        }
                    }
                }
            }
        }
        Some(Tok::Id(id)) => {
            *pos += 1;
            let path = match (*id, prefix) {
                ("self", p) => p.to_owned(),
                (id, "") => id.to_owned(),
                (id, p) => format!("{p}::{id}"),
            };
            if toks.get(*pos) == Some(&Tok::Sep) {
                *pos += 1;
                use_tree(toks, pos, &path, out);
            } else {
                if toks.get(*pos) == Some(&Tok::Id("as")) {
                    *pos += 2;
                }
                out.push(path);
            }
        }
        _ => {
            if !prefix.is_empty() {
                out.push(prefix.to_owned());
            }
        }
    }
}

/// Byte ranges of `#[cfg(test)]` modules written inline (`mod tests { … }`).
fn test_module_ranges(code: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = code[from..].find("#[cfg(test)]") {
        let at = from + k;
        from = at + 1;
        let rest = &code[at..];
        let Some(open) = rest.find(['{', ';']) else {
            continue;
        };
        if !rest[..open].contains("mod ") || rest.as_bytes()[open] == b';' {
            continue;
        }
        let mut depth = 0usize;
        for (i, b) in rest.bytes().enumerate().skip(open) {
            match b {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        out.push(at..at + i + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Files of `dir` that are whole test modules: `#[cfg(test)] mod x;` in a sibling's code.
fn test_module_files(files: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for f in files {
        let code = without_comments(&std::fs::read_to_string(f).unwrap());
        let dir = if f.file_name().is_some_and(|n| n == "mod.rs") {
            f.parent().unwrap().to_owned()
        } else {
            f.with_extension("")
        };
        for (i, _) in code.match_indices("#[cfg(test)]") {
            let rest = code[i + "#[cfg(test)]".len()..].trim_start();
            if let Some(decl) = rest.strip_prefix("mod ")
                && let Some(name) = decl.split(';').next().filter(|n| !n.contains('{'))
            {
                let name = name.trim();
                out.push(dir.join(format!("{name}.rs")));
                out.push(dir.join(name).join("mod.rs"));
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn allowed(path: &str, list: &[&str]) -> bool {
    list.iter().any(|a| {
        path == *a
            || path
                .strip_prefix(a)
                .is_some_and(|rest| rest.starts_with("::"))
    })
}

/// What `src/judge/` uses of `eseal_vision` and is not allowed: `file:line: path`.
fn judge_vision_uses_not_allowed(judge: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(judge, &mut files);
    files.sort();
    let test_files = test_module_files(&files);
    let mut bad = Vec::new();
    for f in &files {
        let code = without_comments(&std::fs::read_to_string(f).unwrap());
        let whole_file_is_test = test_files.contains(f);
        let tests = test_module_ranges(&code);
        for (at, path) in vision_paths(&code) {
            let in_test = whole_file_is_test || tests.iter().any(|r| r.contains(&at));
            if allowed(&path, JUDGE_MAY_USE) || (in_test && allowed(&path, JUDGE_TESTS_MAY_USE)) {
                continue;
            }
            let line = code[..at].matches('\n').count() + 1;
            let rel = f.strip_prefix(root()).unwrap_or(f).display().to_string();
            bad.push(format!(
                "{rel}:{line}: {path}{}",
                if in_test { " (in a test)" } else { "" }
            ));
        }
    }
    bad
}

#[test]
fn the_judge_uses_nothing_of_the_reference_device_but_its_fault_knobs() {
    let bad = judge_vision_uses_not_allowed(&root().join("src/judge"));
    assert!(
        bad.is_empty(),
        "src/judge/ uses the reference device's code beyond the allowed fault knobs (the judge must own its \
         algorithms, issue 15):\n  {}",
        bad.join("\n  ")
    );
    // The crate is not brought in under another name either.
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(
        !manifest.contains("package = \"eseal-vision\""),
        "the root package renames eseal-vision"
    );
}

/// The scanner itself: `use` trees, inline paths, comments and test modules.
#[test]
fn the_vision_path_scanner_reads_use_trees_and_inline_paths() {
    let code = "use eseal_vision::device::{Counter, Faults as F, self};\n\
                use eseal_vision::{a::{b, c::D}, e};\n\
                fn f() { let x = eseal_vision :: media::clip::probe_mp4(&b); my_eseal_vision::x(); }\n\
                // eseal_vision::in_a_comment\n";
    let code = without_comments(code);
    let paths: Vec<String> = vision_paths(&code).into_iter().map(|(_, p)| p).collect();
    assert_eq!(
        paths,
        [
            "eseal_vision::device::Counter",
            "eseal_vision::device::Faults",
            "eseal_vision::device",
            "eseal_vision::a::b",
            "eseal_vision::a::c::D",
            "eseal_vision::e",
            "eseal_vision::media::clip::probe_mp4",
        ]
    );
    assert!(allowed("eseal_vision::device::Faults", JUDGE_MAY_USE));
    assert!(allowed(
        "eseal_vision::device::Faults::default",
        JUDGE_MAY_USE
    ));
    assert!(!allowed("eseal_vision::device::FaultsX", JUDGE_MAY_USE));
    assert!(
        !allowed("eseal_vision::device", JUDGE_MAY_USE),
        "a whole module is not a knob"
    );
    let code = "fn a() {}\n#[cfg(test)]\nmod tests {\n fn b() { eseal_vision::frame::Frame::new(); }\n}\nfn c() { eseal_vision::frame::Frame::new(); }\n";
    let ranges = test_module_ranges(code);
    let hits = vision_paths(code);
    assert_eq!(hits.len(), 2);
    assert!(
        ranges.iter().any(|r| r.contains(&hits[0].0))
            && !ranges.iter().any(|r| r.contains(&hits[1].0))
    );
}
