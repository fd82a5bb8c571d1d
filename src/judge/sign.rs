//! Signed report directories (issue 15: a report a lab can sign).
//!
//! Key design decision: **the signature covers the manifest, and the manifest covers the
//! directory.** `MANIFEST.sha256` already lists the SHA-256 of the four report files and of every
//! file under `evidence/`; an Ed25519 signature over its exact bytes (`MANIFEST.sha256.sig`: the
//! 64-byte signature as 128 lower-case hex digits and a newline) therefore seals every byte the
//! judge wrote. The public key goes beside it (`signing-key.pub`, SPKI PEM as `openssl pkey
//! -pubout` writes it), and its fingerprint — SHA-256 of the raw 32-byte key, hex, in groups of
//! four — is printed in `report.html`, which is itself in the manifest: the page names the key
//! that must have signed it, so re-signing a report with another key is detected.
//!
//! [`verify_dir`] is the other half: every listed file must be there with its hash, no file in
//! the manifest's scope (the report files and `evidence/`) may be unlisted, the signature must
//! verify (strictly) against the key given, or else against the `signing-key.pub` shipped in the
//! directory — which proves integrity only, not origin, and is said so — and the page must name
//! that key. Keys: PKCS#8 PEM private keys (`openssl genpkey -algorithm ed25519`, or
//! [`generate_key`]), randomness from the operating system.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::report::{EVIDENCE_DIR, JUNIT_XML, MANIFEST, REPORT_HTML, REPORT_JSON, TIMINGS_JSON};

/// The signature file beside the manifest.
pub const SIGNATURE: &str = "MANIFEST.sha256.sig";
/// The signer's public key beside the manifest.
pub const PUBLIC_KEY: &str = "signing-key.pub";
/// The `id` of the element of `report.html` that holds the fingerprint (or "unsigned").
pub const HTML_FINGERPRINT_ID: &str = "signing-key";
/// What `report.html` shows when the report is not signed.
pub const UNSIGNED: &str = "未签名 / unsigned";

/// What can go wrong with keys and signatures.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("could not {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{}: not an Ed25519 private key in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, as \
         `openssl genpkey -algorithm ed25519` or `eseal keygen` write it): {why}",
        path.display()
    )]
    PrivateKey { path: PathBuf, why: String },
    #[error(
        "{}: not an Ed25519 public key in SPKI PEM (`-----BEGIN PUBLIC KEY-----`, as \
         `openssl pkey -pubout` or `eseal keygen` write it): {why}",
        path.display()
    )]
    PublicKey { path: PathBuf, why: String },
    #[error("{} already exists: refusing to overwrite a key", path.display())]
    Exists { path: PathBuf },
    #[error("could not get randomness from the operating system: {0}")]
    Random(String),
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> SignError + 'a {
    move |source| SignError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

/// The fingerprint of a public key: SHA-256 of its 32 raw bytes, hex in groups of four
/// (`3f2a 9c1b …`, 16 groups).
pub fn fingerprint(key: &VerifyingKey) -> String {
    let hex = hex::encode(Sha256::digest(key.as_bytes()));
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A loaded signing key (its secret is never printed).
pub struct ReportSigner {
    key: SigningKey,
}

impl fmt::Debug for ReportSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReportSigner")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl ReportSigner {
    /// Reads a PKCS#8 PEM Ed25519 private key.
    pub fn from_pem_file(path: &Path) -> Result<ReportSigner, SignError> {
        let text = std::fs::read_to_string(path).map_err(io_err("read the signing key", path))?;
        let key = SigningKey::from_pkcs8_pem(text.trim()).map_err(|e| SignError::PrivateKey {
            path: path.to_owned(),
            why: e.to_string(),
        })?;
        Ok(ReportSigner { key })
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// See [`fingerprint`].
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.verifying_key())
    }

    /// The public key as SPKI PEM (the `signing-key.pub` file).
    pub fn public_key_pem(&self) -> String {
        public_key_pem(&self.verifying_key())
    }

    /// The signature file's text for `manifest`: 128 hex digits and a newline.
    pub fn signature_text(&self, manifest: &[u8]) -> String {
        format!("{}\n", hex::encode(self.key.sign(manifest).to_bytes()))
    }
}

fn public_key_pem(key: &VerifyingKey) -> String {
    // Encoding 32 bytes into a fixed SPKI structure cannot fail; fall back to nothing if it did.
    key.to_public_key_pem(LineEnding::LF).unwrap_or_default()
}

/// Reads an SPKI PEM Ed25519 public key.
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, SignError> {
    let text = std::fs::read_to_string(path).map_err(io_err("read the public key", path))?;
    VerifyingKey::from_public_key_pem(text.trim()).map_err(|e| SignError::PublicKey {
        path: path.to_owned(),
        why: e.to_string(),
    })
}

/// Writes a new key pair: the PKCS#8 PEM private key at `out` (mode 0600) and the SPKI PEM
/// public key at `out` + `.pub`; refuses to overwrite either. Returns the public key's path and
/// the fingerprint.
pub fn generate_key(out: &Path) -> Result<(PathBuf, String), SignError> {
    use rand::TryRngCore as _;
    let mut pub_name = out.as_os_str().to_owned();
    pub_name.push(".pub");
    let pub_path = PathBuf::from(pub_name);
    for p in [out, pub_path.as_path()] {
        if p.exists() {
            return Err(SignError::Exists { path: p.to_owned() });
        }
    }
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng
        .try_fill_bytes(seed.as_mut())
        .map_err(|e| SignError::Random(e.to_string()))?;
    let key = SigningKey::from_bytes(&seed);
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| SignError::PrivateKey {
            path: out.to_owned(),
            why: e.to_string(),
        })?;
    write_new(out, pem.as_bytes(), 0o600)?;
    write_new(
        &pub_path,
        public_key_pem(&key.verifying_key()).as_bytes(),
        0o644,
    )?;
    Ok((pub_path, fingerprint(&key.verifying_key())))
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), SignError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                SignError::Exists {
                    path: path.to_owned(),
                }
            } else {
                SignError::Io {
                    what: "create",
                    path: path.to_owned(),
                    source: e,
                }
            }
        })?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(io_err("write", path))
}

/// Where the key that checked the signature came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `--public-key FILE`: proves who signed (as far as the file is trusted).
    Given(PathBuf),
    /// The `signing-key.pub` shipped in the directory: proves integrity only, not origin.
    Shipped,
}

/// One reason a report directory is refused, naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The manifest is missing or unreadable.
    NoManifest(String),
    /// A manifest line is not `<64 hex>  <path>`.
    BadLine { line: usize, text: String },
    /// A listed path leaves the directory or is listed twice.
    BadPath(String),
    /// A listed file is not there.
    Missing(String),
    /// A listed file's SHA-256 differs.
    Mismatch(String),
    /// A file in the manifest's scope (report files, `evidence/`) that it does not list.
    Unlisted(String),
    /// No `MANIFEST.sha256.sig`, or not 128 hex digits.
    NoSignature(String),
    /// No public key given and none shipped.
    NoPublicKey,
    /// The signature does not verify against the key.
    SignatureInvalid { fingerprint: String },
    /// `report.html` names another key (or none) than the one the signature verifies with.
    PageNamesAnotherKey { page: String, key: String },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoManifest(why) => write!(f, "清单缺失 / no manifest: {MANIFEST}: {why}"),
            Problem::BadLine { line, text } => write!(
                f,
                "清单行无法解析 / unreadable manifest line {line}: {text:?}"
            ),
            Problem::BadPath(p) => write!(
                f,
                "清单路径非法或重复 / path outside the directory or listed twice: {p}"
            ),
            Problem::Missing(p) => write!(f, "文件缺失 / MISSING: {p}"),
            Problem::Mismatch(p) => write!(f, "哈希不符 / HASH MISMATCH: {p}"),
            Problem::Unlisted(p) => write!(f, "清单未列出 / NOT IN THE MANIFEST: {p}"),
            Problem::NoSignature(why) => write!(
                f,
                "无有效签名文件 / no usable signature: {SIGNATURE}: {why}"
            ),
            Problem::NoPublicKey => write!(
                f,
                "无公钥 / no public key: give --public-key FILE (no {PUBLIC_KEY} in the directory)"
            ),
            Problem::SignatureInvalid { fingerprint } => {
                write!(
                    f,
                    "签名无效 / SIGNATURE INVALID for {MANIFEST} with key {fingerprint}"
                )
            }
            Problem::PageNamesAnotherKey { page, key } => write!(
                f,
                "报告页面所示签名密钥与验证密钥不同 / {REPORT_HTML} names signing key {page:?}, the signature verifies with {key}"
            ),
        }
    }
}

/// What [`verify_dir`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Files the manifest lists.
    pub listed: usize,
    /// Listed files whose hash matched.
    pub matched: usize,
    /// The key the signature was checked with, and its fingerprint.
    pub key: Option<(KeySource, String)>,
    /// Whether the signature verified.
    pub signature_ok: bool,
    /// Files outside the manifest's scope (e.g. a later `report.png`): not covered, not refused.
    pub not_covered: Vec<String>,
    /// Reasons to refuse; empty when the directory verifies.
    pub problems: Vec<Problem>,
}

impl Verification {
    /// Whether the directory verifies.
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && self.signature_ok
    }
}

/// Checks a report directory: hashes, scope, signature and the page's fingerprint (see the
/// module note). Errors only when `public_key` is given and cannot be read; everything about the
/// directory is a [`Problem`].
pub fn verify_dir(dir: &Path, public_key: Option<&Path>) -> Result<Verification, SignError> {
    let given = public_key.map(read_public_key).transpose()?;
    let mut v = Verification {
        listed: 0,
        matched: 0,
        key: None,
        signature_ok: false,
        not_covered: vec![],
        problems: vec![],
    };
    let manifest = match std::fs::read(dir.join(MANIFEST)) {
        Ok(m) => m,
        Err(e) => {
            v.problems.push(Problem::NoManifest(e.to_string()));
            return Ok(v);
        }
    };
    let listed = check_hashes(dir, &manifest, &mut v);
    check_scope(dir, &listed, &mut v);
    let key = match (given, public_key) {
        (Some(k), Some(p)) => Some((k, KeySource::Given(p.to_owned()))),
        _ => match read_public_key(&dir.join(PUBLIC_KEY)) {
            Ok(k) => Some((k, KeySource::Shipped)),
            Err(_) => {
                v.problems.push(Problem::NoPublicKey);
                None
            }
        },
    };
    let Some((key, source)) = key else {
        return Ok(v);
    };
    let fp = fingerprint(&key);
    v.key = Some((source, fp.clone()));
    match read_signature(&dir.join(SIGNATURE)) {
        Err(why) => v.problems.push(Problem::NoSignature(why)),
        Ok(sig) if key.verify_strict(&manifest, &sig).is_ok() => v.signature_ok = true,
        Ok(_) => v.problems.push(Problem::SignatureInvalid {
            fingerprint: fp.clone(),
        }),
    }
    if v.signature_ok {
        let page = std::fs::read_to_string(dir.join(REPORT_HTML))
            .ok()
            .and_then(|h| page_fingerprint(&h));
        if page.as_deref() != Some(fp.as_str()) {
            v.problems.push(Problem::PageNamesAnotherKey {
                page: page.unwrap_or_else(|| "none".to_owned()),
                key: fp,
            });
        }
    }
    Ok(v)
}

/// The fingerprint `report.html` shows (the text of the element with [`HTML_FINGERPRINT_ID`]).
pub fn page_fingerprint(html: &str) -> Option<String> {
    let marker = format!("id=\"{HTML_FINGERPRINT_ID}\"");
    let at = html.find(&marker)? + marker.len();
    let rest = &html[at..];
    let start = rest.find('>')? + 1;
    let end = rest[start..].find('<')? + start;
    Some(rest[start..end].trim().to_owned())
}

fn read_signature(path: &Path) -> Result<Signature, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let bytes = hex::decode(text.trim()).map_err(|e| format!("not hex: {e}"))?;
    let bytes: [u8; 64] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("{} bytes, expected 64", b.len()))?;
    Ok(Signature::from_bytes(&bytes))
}

/// Parses the manifest and checks every listed file's hash; returns the listed paths.
fn check_hashes(dir: &Path, manifest: &[u8], v: &mut Verification) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let text = String::from_utf8_lossy(manifest);
    for (i, line) in text.lines().enumerate() {
        let Some((hash, rel)) = parse_line(line) else {
            v.problems.push(Problem::BadLine {
                line: i + 1,
                text: line.to_owned(),
            });
            continue;
        };
        v.listed += 1;
        if !is_inside(&rel) || !seen.insert(rel.clone()) {
            v.problems.push(Problem::BadPath(rel));
            continue;
        }
        match std::fs::read(dir.join(&rel)) {
            Err(_) => v.problems.push(Problem::Missing(rel)),
            Ok(bytes) if hex::encode(Sha256::digest(&bytes)) == hash => v.matched += 1,
            Ok(_) => v.problems.push(Problem::Mismatch(rel)),
        }
    }
    seen.into_iter().collect()
}

/// One `sha256sum` line: `<hex>  <path>` or `<hex> *<path>`, with its `\` escape form.
fn parse_line(line: &str) -> Option<(String, String)> {
    let (escaped, line) = match line.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let hash = line.get(..64)?;
    if !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let rel = line
        .get(64..)?
        .strip_prefix("  ")
        .or_else(|| line.get(64..)?.strip_prefix(" *"))?;
    if rel.is_empty() {
        return None;
    }
    let rel = if escaped {
        unescape(rel)?
    } else {
        rel.to_owned()
    };
    Some((hash.to_ascii_lowercase(), rel))
}

fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => out.push('\\'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            _ => return None,
        }
    }
    Some(out)
}

/// A relative path of plain components (no `..`, no root, no prefix).
fn is_inside(rel: &str) -> bool {
    let p = Path::new(rel);
    p.components().next().is_some() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Files in the manifest's scope that it does not list are problems; other files beside the
/// manifest are noted as not covered.
fn check_scope(dir: &Path, listed: &[String], v: &mut Verification) {
    let listed: std::collections::BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    let mut in_scope: Vec<String> = [REPORT_JSON, REPORT_HTML, JUNIT_XML, TIMINGS_JSON]
        .iter()
        .filter(|f| dir.join(f).is_file())
        .map(|f| (*f).to_owned())
        .collect();
    let evidence = dir.join(EVIDENCE_DIR);
    if evidence.is_dir() {
        files_under(&evidence, EVIDENCE_DIR, &mut in_scope);
    }
    in_scope.sort();
    for f in in_scope {
        if !listed.contains(f.as_str()) {
            v.problems.push(Problem::Unlisted(f));
        }
    }
    let own = [
        REPORT_JSON,
        REPORT_HTML,
        JUNIT_XML,
        TIMINGS_JSON,
        MANIFEST,
        SIGNATURE,
        PUBLIC_KEY,
        EVIDENCE_DIR,
    ];
    let mut others: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| !own.contains(&n.as_str()))
        .collect();
    others.sort();
    v.not_covered = others;
}

/// Regular files under `dir` (symbolic links followed, as the manifest's writer does; a link
/// loop ends where the system refuses to resolve the path, ELOOP).
fn files_under(dir: &Path, rel: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            out.push(format!("{rel}/{}", entry.file_name().to_string_lossy()));
            continue;
        };
        let rel = format!("{rel}/{name}");
        if path.is_dir() {
            files_under(&path, &rel, out);
        } else if path.is_file() {
            out.push(rel);
        }
    }
}

#[cfg(test)]
mod tests;
