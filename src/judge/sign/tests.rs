use super::*;
use crate::judge::report::render_manifest;

/// A key from a fixed seed (tests only; real keys come from the OS, see `generate_key`).
fn signer(seed: u8) -> ReportSigner {
    ReportSigner {
        key: SigningKey::from_bytes(&[seed; 32]),
    }
}

/// A small report directory signed by `s`: the four report files (the page naming `s`'s
/// fingerprint), two evidence files, the manifest, the signature and the public key.
fn signed_dir(s: &ReportSigner) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir_all(d.join("evidence/case")).expect("mkdir");
    std::fs::write(d.join(REPORT_JSON), "{}\n").expect("write");
    std::fs::write(d.join(TIMINGS_JSON), "[]\n").expect("write");
    std::fs::write(d.join(JUNIT_XML), "<testsuites/>\n").expect("write");
    let html = format!(
        "<p><span class=\"mono\" id=\"{HTML_FINGERPRINT_ID}\">{}</span></p>\n",
        s.fingerprint()
    );
    std::fs::write(d.join(REPORT_HTML), html).expect("write");
    std::fs::write(d.join("evidence/case/a.jpg"), [1u8, 2, 3]).expect("write");
    std::fs::write(d.join("evidence/case/b.mp4"), [4u8; 100]).expect("write");
    let manifest = render_manifest(d).expect("manifest");
    std::fs::write(d.join(MANIFEST), &manifest).expect("write");
    std::fs::write(d.join(SIGNATURE), s.signature_text(manifest.as_bytes())).expect("write");
    std::fs::write(d.join(PUBLIC_KEY), s.public_key_pem()).expect("write");
    dir
}

#[test]
fn a_signed_directory_verifies_with_its_shipped_key_and_a_given_one() {
    let s = signer(7);
    let dir = signed_dir(&s);
    let v = verify_dir(dir.path(), None).expect("verify");
    assert!(v.ok(), "{:?}", v.problems);
    assert_eq!((v.listed, v.matched), (6, 6));
    assert_eq!(v.key, Some((KeySource::Shipped, s.fingerprint())));
    let given = dir.path().join("lab.pub");
    std::fs::write(&given, s.public_key_pem()).expect("write");
    let v = verify_dir(dir.path(), Some(&given)).expect("verify");
    assert!(v.ok(), "{:?}", v.problems);
    assert_eq!(
        v.key,
        Some((KeySource::Given(given.clone()), s.fingerprint()))
    );
    assert_eq!(
        v.not_covered,
        ["lab.pub"],
        "a file beside the manifest is noted, not refused"
    );
}

#[test]
fn every_kind_of_tampering_is_refused_naming_the_file() {
    let s = signer(7);
    // One evidence byte.
    let dir = signed_dir(&s);
    let f = dir.path().join("evidence/case/b.mp4");
    let mut bytes = std::fs::read(&f).expect("read");
    bytes[50] ^= 1;
    std::fs::write(&f, bytes).expect("write");
    let v = verify_dir(dir.path(), None).expect("verify");
    assert_eq!(
        v.problems,
        [Problem::Mismatch("evidence/case/b.mp4".to_owned())]
    );
    assert!(!v.ok());
    // A listed file removed, an evidence file added.
    let dir = signed_dir(&s);
    std::fs::remove_file(dir.path().join("evidence/case/a.jpg")).expect("rm");
    std::fs::write(dir.path().join("evidence/case/c.jpg"), b"forged").expect("write");
    let v = verify_dir(dir.path(), None).expect("verify");
    assert_eq!(
        v.problems,
        [
            Problem::Missing("evidence/case/a.jpg".to_owned()),
            Problem::Unlisted("evidence/case/c.jpg".to_owned())
        ]
    );
    // The manifest edited to match an edited file: the signature no longer verifies.
    let dir = signed_dir(&s);
    std::fs::write(dir.path().join("evidence/case/a.jpg"), b"forged").expect("write");
    let m = render_manifest(dir.path()).expect("manifest");
    std::fs::write(dir.path().join(MANIFEST), m).expect("write");
    let v = verify_dir(dir.path(), None).expect("verify");
    assert_eq!(
        v.problems,
        [Problem::SignatureInvalid {
            fingerprint: s.fingerprint()
        }]
    );
    // One signature digit changed.
    let dir = signed_dir(&s);
    let sig = std::fs::read_to_string(dir.path().join(SIGNATURE)).expect("read");
    let flipped: String = sig
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i == 10 {
                if c == '0' { '1' } else { '0' }
            } else {
                c
            }
        })
        .collect();
    std::fs::write(dir.path().join(SIGNATURE), flipped).expect("write");
    assert!(!verify_dir(dir.path(), None).expect("verify").ok());
    // No signature at all.
    std::fs::remove_file(dir.path().join(SIGNATURE)).expect("rm");
    assert!(matches!(
        verify_dir(dir.path(), None).expect("verify").problems[..],
        [Problem::NoSignature(_)]
    ));
}

/// Re-signing someone's report with another key: the manifest and the signature agree, but the
/// page (covered by the manifest) names the first key.
#[test]
fn a_report_re_signed_with_another_key_is_refused() {
    let (first, other) = (signer(7), signer(8));
    let dir = signed_dir(&first);
    let manifest = std::fs::read(dir.path().join(MANIFEST)).expect("read");
    std::fs::write(dir.path().join(SIGNATURE), other.signature_text(&manifest)).expect("write");
    std::fs::write(dir.path().join(PUBLIC_KEY), other.public_key_pem()).expect("write");
    let v = verify_dir(dir.path(), None).expect("verify");
    assert!(v.signature_ok);
    assert_eq!(
        v.problems,
        [Problem::PageNamesAnotherKey {
            page: first.fingerprint(),
            key: other.fingerprint()
        }]
    );
    // And against the first key, the signature fails.
    let given = dir.path().join("first.pub");
    std::fs::write(&given, first.public_key_pem()).expect("write");
    let v = verify_dir(dir.path(), Some(&given)).expect("verify");
    assert_eq!(
        v.problems,
        [Problem::SignatureInvalid {
            fingerprint: first.fingerprint()
        }]
    );
}

#[test]
fn manifest_lines_are_read_as_sha256sum_writes_them() {
    let h = "ab".repeat(32);
    assert_eq!(
        parse_line(&format!("{h}  evidence/a b.jpg")),
        Some((h.clone(), "evidence/a b.jpg".to_owned()))
    );
    assert_eq!(
        parse_line(&format!("{h} *report.json")),
        Some((h.clone(), "report.json".to_owned()))
    );
    assert_eq!(
        parse_line(&format!("\\{h}  evidence/a\\nb\\\\c")),
        Some((h.clone(), "evidence/a\nb\\c".to_owned()))
    );
    assert_eq!(
        parse_line(&format!("{h} report.json")),
        None,
        "one space is not the format"
    );
    assert_eq!(parse_line(&format!("{}  x", "zz".repeat(32))), None);
    assert_eq!(parse_line("short"), None);
    assert!(is_inside("evidence/a/b.jpg") && is_inside("report.json"));
    for bad in ["../x", "/etc/passwd", "evidence/../../x", "", "./x"] {
        assert!(!is_inside(bad), "{bad}");
    }
}

#[test]
fn paths_leaving_the_directory_are_refused() {
    let s = signer(7);
    let dir = signed_dir(&s);
    let mut m = std::fs::read_to_string(dir.path().join(MANIFEST)).expect("read");
    m.push_str(&format!("{}  ../outside\n", "00".repeat(32)));
    std::fs::write(dir.path().join(MANIFEST), &m).expect("write");
    let v = verify_dir(dir.path(), None).expect("verify");
    assert!(
        v.problems
            .contains(&Problem::BadPath("../outside".to_owned())),
        "{:?}",
        v.problems
    );
}

#[test]
fn fingerprints_are_sha256_of_the_raw_key_in_groups_of_four() {
    let s = signer(1);
    let fp = s.fingerprint();
    let hex = hex::encode(Sha256::digest(s.verifying_key().as_bytes()));
    assert_eq!(fp.replace(' ', ""), hex);
    assert_eq!(fp.split(' ').count(), 16);
    assert!(fp.split(' ').all(|g| g.len() == 4));
    assert_ne!(fp, signer(2).fingerprint());
    assert_eq!(
        page_fingerprint(&format!(
            "<td><span id=\"{HTML_FINGERPRINT_ID}\"> {fp} </span>"
        )),
        Some(fp)
    );
    assert_eq!(page_fingerprint("<td>nothing</td>"), None);
}

#[test]
fn generated_keys_load_sign_and_are_never_overwritten() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("lab.pem");
    let (pub_path, fp) = generate_key(&key).expect("keygen");
    assert_eq!(pub_path, dir.path().join("lab.pem.pub"));
    let mode = std::fs::metadata(&key).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the private key is readable by its owner only");
    let s = ReportSigner::from_pem_file(&key).expect("loads");
    assert_eq!(s.fingerprint(), fp);
    assert_eq!(
        fingerprint(&read_public_key(&pub_path).expect("public")),
        fp
    );
    assert!(
        std::fs::read_to_string(&key)
            .expect("read")
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    assert!(matches!(generate_key(&key), Err(SignError::Exists { .. })));
    // Two keys differ (randomness from the OS, not a constant).
    let (_, fp2) = generate_key(&dir.path().join("other.pem")).expect("keygen");
    assert_ne!(fp, fp2);
    // Not a key: the error says what is expected.
    std::fs::write(dir.path().join("junk.pem"), "hello").expect("write");
    let e = ReportSigner::from_pem_file(&dir.path().join("junk.pem")).expect_err("junk");
    assert!(e.to_string().contains("PKCS#8 PEM"), "{e}");
}

/// A symbolic link looping back into `evidence/` ends (the system stops resolving the path) and
/// what it reaches is refused as not in the manifest, not skipped.
#[test]
fn a_symlink_loop_under_evidence_ends() {
    let s = signer(7);
    let dir = signed_dir(&s);
    std::os::unix::fs::symlink("..", dir.path().join("evidence/case/loop")).expect("symlink");
    let v = verify_dir(dir.path(), None).expect("verify");
    assert!(
        !v.ok(),
        "files reached through the loop are not in the manifest"
    );
    assert!(
        v.problems
            .iter()
            .all(|p| matches!(p, Problem::Unlisted(f) if f.starts_with("evidence/case/loop/"))),
        "{:?}",
        v.problems
    );
}
