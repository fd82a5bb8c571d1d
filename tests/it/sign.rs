//! A report a lab can sign (issue 15): `eseal certify --sign-key` with a key made by the real
//! `openssl` CLI, then `eseal verify` — the real binary — on the directory as it is, with one
//! evidence byte flipped, with one signature digit changed, and against another lab's key. The
//! signature is also checked by `openssl pkeyutl` and the fingerprint by `openssl pkey` +
//! `sha256sum`: code that shares nothing with ours.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn eseal(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn openssl(args: &[&str]) -> Output {
    let o = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI (Debian package openssl)");
    assert!(o.status.success(), "openssl {args:?}: {}", text(&o));
    o
}

/// A fresh copy of `src` (a report directory) to tamper with.
fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

fn evidence_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("evidence")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out.sort();
    out
}

/// The first 30 s of `gate-trucks` (a few truck pictures), certified and signed. A case file needs
/// an `[expect]`; whether the run meets it (the exit code) does not matter here, only the report.
fn certify_signed(work: &Path, key: &Path) -> PathBuf {
    let case = work.join("short.toml");
    std::fs::write(
        &case,
        format!(
            "about = \"the first 30 s of gate-trucks, for signing\"\nscenario = \"{}/scenarios/conformant/gate-trucks.toml\"\n\
             duration_s = 30\n[expect]\nfail = [\"E5.count\"]\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    let out = work.join("report");
    let o = eseal(&[
        "certify",
        "--scenarios",
        case.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--sign-key",
        key.to_str().unwrap(),
    ]);
    assert!(
        out.join("MANIFEST.sha256").is_file(),
        "no report: {}",
        text(&o)
    );
    out
}

#[test]
fn a_signed_report_verifies_and_any_tampering_is_refused_naming_the_file() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let key = w.join("lab.pem");
    openssl(&[
        "genpkey",
        "-algorithm",
        "ed25519",
        "-out",
        key.to_str().unwrap(),
    ]);
    let lab_pub = w.join("lab.pub");
    openssl(&[
        "pkey",
        "-in",
        key.to_str().unwrap(),
        "-pubout",
        "-out",
        lab_pub.to_str().unwrap(),
    ]);
    let report = certify_signed(w, &key);
    for f in ["MANIFEST.sha256.sig", "signing-key.pub"] {
        assert!(report.join(f).is_file(), "{f} missing");
    }
    let evidence = evidence_files(&report);
    assert!(!evidence.is_empty(), "the short case uploads pictures");

    // The fingerprint, computed by openssl and sha256sum: the last 32 bytes of the SPKI DER are
    // the raw key. report.html shows it.
    let der = openssl(&[
        "pkey",
        "-pubin",
        "-in",
        lab_pub.to_str().unwrap(),
        "-outform",
        "DER",
    ])
    .stdout;
    let raw = &der[der.len() - 32..];
    let hex = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(raw))
    };
    let grouped: Vec<&str> = (0..16).map(|i| &hex[i * 4..i * 4 + 4]).collect();
    let fingerprint = grouped.join(" ");
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(
        html.contains(&fingerprint),
        "report.html does not show {fingerprint}"
    );
    assert!(html.contains("签名密钥指纹 / Signing key fingerprint"));

    // openssl verifies the signature over the manifest (hex in the file → 64 raw bytes).
    let sig_hex = std::fs::read_to_string(report.join("MANIFEST.sha256.sig")).unwrap();
    assert_eq!(sig_hex.trim().len(), 128, "128 hex digits");
    let sig_bin = w.join("sig.bin");
    std::fs::write(&sig_bin, hex::decode(sig_hex.trim()).unwrap()).unwrap();
    let manifest = report.join("MANIFEST.sha256");
    let o = openssl(&[
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        lab_pub.to_str().unwrap(),
        "-rawin",
        "-in",
        manifest.to_str().unwrap(),
        "-sigfile",
        sig_bin.to_str().unwrap(),
    ]);
    assert!(
        text(&o).contains("Signature Verified Successfully"),
        "{}",
        text(&o)
    );

    // eseal verify: with the lab's key, and with the shipped key (with its warning).
    let o = eseal(&[
        "verify",
        report.to_str().unwrap(),
        "--public-key",
        lab_pub.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("VERIFIED") && text(&o).contains(&fingerprint),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("WARNING"), "{}", text(&o));
    let o = eseal(&["verify", report.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("integrity") && text(&o).contains("not who signed it"),
        "{}",
        text(&o)
    );

    // One evidence byte flipped: refused, naming the file.
    let bad = w.join("flipped");
    copy_dir(&report, &bad);
    let victim = evidence_files(&bad).pop().unwrap();
    let mut bytes = std::fs::read(&victim).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&victim, bytes).unwrap();
    let rel = victim
        .strip_prefix(&bad)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let o = eseal(&[
        "verify",
        bad.to_str().unwrap(),
        "--public-key",
        lab_pub.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("HASH MISMATCH: {rel}")),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("REFUSED"), "{}", text(&o));

    // One signature digit changed: refused.
    let bad = w.join("badsig");
    copy_dir(&report, &bad);
    let mut sig: Vec<u8> = sig_hex.trim().bytes().collect();
    sig[20] = if sig[20] == b'0' { b'1' } else { b'0' };
    std::fs::write(
        bad.join("MANIFEST.sha256.sig"),
        [sig.as_slice(), b"\n"].concat(),
    )
    .unwrap();
    let o = eseal(&[
        "verify",
        bad.to_str().unwrap(),
        "--public-key",
        lab_pub.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("SIGNATURE INVALID"), "{}", text(&o));

    // Another lab's key: refused.
    let other = w.join("other.pem");
    let o = eseal(&["keygen", "--out", other.to_str().unwrap()]);
    assert!(
        o.status.success() && text(&o).contains("fingerprint"),
        "{}",
        text(&o)
    );
    let o = eseal(&[
        "verify",
        report.to_str().unwrap(),
        "--public-key",
        w.join("other.pem.pub").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("SIGNATURE INVALID"), "{}", text(&o));
    // keygen never overwrites a key.
    let o = eseal(&["keygen", "--out", other.to_str().unwrap()]);
    assert!(
        !o.status.success() && text(&o).contains("already exists"),
        "{}",
        text(&o)
    );
}

/// A key file that is not an Ed25519 PKCS#8 key is refused before anything runs.
#[test]
fn a_bad_signing_key_is_refused_before_the_run() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let junk = w.join("junk.pem");
    std::fs::write(
        &junk,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let o = eseal(&[
        "certify",
        "--scenarios",
        "scenarios/conformant/gate-trucks.toml",
        "--out",
        w.join("r").to_str().unwrap(),
        "--sign-key",
        junk.to_str().unwrap(),
    ]);
    assert!(
        !o.status.success() && text(&o).contains("PKCS#8 PEM"),
        "{}",
        text(&o)
    );
    assert!(
        !w.join("r/report.json").exists(),
        "nothing runs with a bad key"
    );
    // An RSA key is not an Ed25519 key.
    let rsa = w.join("rsa.pem");
    openssl(&[
        "genpkey",
        "-algorithm",
        "rsa",
        "-pkeyopt",
        "rsa_keygen_bits:1024",
        "-out",
        rsa.to_str().unwrap(),
    ]);
    let o = eseal(&[
        "certify",
        "--scenarios",
        "scenarios/conformant/gate-trucks.toml",
        "--out",
        w.join("r").to_str().unwrap(),
        "--sign-key",
        rsa.to_str().unwrap(),
    ]);
    assert!(
        !o.status.success() && text(&o).contains("Ed25519"),
        "{}",
        text(&o)
    );
}
