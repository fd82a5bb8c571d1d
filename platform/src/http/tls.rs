//! TLS material for the HTTPS API (U5 requires HTTPS).
//!
//! A configured PEM certificate chain and key are used as they are. With none configured the
//! platform makes a self-signed certificate on first start (SANs `localhost`, `127.0.0.1` and
//! the configured host) and keeps it under `data_dir/tls/`, so that devices which pinned it keep
//! trusting it across restarts. Its SHA-256 fingerprint is logged either way.
//!
//! The rustls configuration is built with the *ring* provider named explicitly: other crates in
//! the build enable aws-lc-rs too, and rustls refuses to guess between two.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::config::PlatformConfig;
use crate::error::{Error, Result};

/// Installs rustls' ring provider as the process default (a no-op if one is installed).
pub fn install_crypto_provider() {
    // Err means a provider is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The certificate and key the HTTPS listener serves.
#[derive(Clone)]
pub struct TlsMaterial {
    /// PEM certificate chain.
    pub cert_pem: Vec<u8>,
    /// PEM private key.
    pub key_pem: Vec<u8>,
    /// Where the certificate lives (configured, or under `data_dir/tls/`).
    pub cert_path: PathBuf,
    /// Lower-case hex SHA-256 of the leaf certificate's DER.
    pub fingerprint_sha256: String,
    /// True when the platform generated the certificate itself.
    pub self_signed: bool,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("TlsMaterial")
            .field("cert_path", &self.cert_path)
            .field("fingerprint_sha256", &self.fingerprint_sha256)
            .field("self_signed", &self.self_signed)
            .finish_non_exhaustive()
    }
}

/// Directory of the generated certificate.
pub fn tls_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("tls")
}

/// Subject alternative names of a generated certificate for this configuration.
pub fn subject_alt_names(config: &PlatformConfig) -> Vec<String> {
    let mut sans = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let mut add = |ip: IpAddr| {
        if !ip.is_unspecified() && !sans.contains(&ip.to_string()) {
            sans.push(ip.to_string());
        }
    };
    add(config.https_addr.ip());
    if let Some(h) = config.passive_host {
        add(h);
    }
    sans
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::io(context, e)
}

/// Loads the configured certificate, or the persisted generated one, or generates and persists
/// a new one (also when the configured host is no longer among the persisted SANs).
/// Blocking file I/O: call at start-up or inside `spawn_blocking`.
pub fn load_or_generate(config: &PlatformConfig) -> Result<TlsMaterial> {
    if let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) {
        let cert_pem = std::fs::read(cert).map_err(io(format!(
            "could not read TLS certificate {}",
            cert.display()
        )))?;
        let key_pem =
            std::fs::read(key).map_err(io(format!("could not read TLS key {}", key.display())))?;
        let fingerprint_sha256 = fingerprint(&cert_pem)?;
        return Ok(TlsMaterial {
            cert_pem,
            key_pem,
            cert_path: cert.clone(),
            fingerprint_sha256,
            self_signed: false,
        });
    }
    let dir = tls_dir(&config.data_dir);
    let (cert_path, key_path, sans_path) = (
        dir.join("cert.pem"),
        dir.join("key.pem"),
        dir.join("sans.txt"),
    );
    let wanted = subject_alt_names(config);
    if cert_path.exists() && key_path.exists() {
        let have = std::fs::read_to_string(&sans_path).unwrap_or_default();
        let have: Vec<&str> = have.lines().collect();
        if wanted.iter().all(|s| have.contains(&s.as_str())) {
            let cert_pem = std::fs::read(&cert_path)
                .map_err(io(format!("could not read {}", cert_path.display())))?;
            let key_pem = std::fs::read(&key_path)
                .map_err(io(format!("could not read {}", key_path.display())))?;
            let fingerprint_sha256 = fingerprint(&cert_pem)?;
            return Ok(TlsMaterial {
                cert_pem,
                key_pem,
                cert_path,
                fingerprint_sha256,
                self_signed: true,
            });
        }
        tracing::warn!(sans = ?wanted, "configured host not in the persisted certificate; generating a new one");
    }
    let mut params = rcgen::CertificateParams::new(wanted.clone())
        .map_err(|e| Error::Server(format!("could not make certificate parameters: {e}")))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "eseal reference platform");
    let key = rcgen::KeyPair::generate()
        .map_err(|e| Error::Server(format!("could not generate a TLS key: {e}")))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| Error::Server(format!("could not self-sign: {e}")))?;
    let cert_pem = cert.pem().into_bytes();
    let key_pem = key.serialize_pem().into_bytes();
    std::fs::create_dir_all(&dir).map_err(io(format!("could not create {}", dir.display())))?;
    write_atomic(&key_path, &key_pem, true)?;
    write_atomic(&cert_path, &cert_pem, false)?;
    write_atomic(
        &sans_path,
        format!("{}\n", wanted.join("\n")).as_bytes(),
        false,
    )?;
    let fingerprint_sha256 = hex::encode(Sha256::digest(cert.der()));
    Ok(TlsMaterial {
        cert_pem,
        key_pem,
        cert_path,
        fingerprint_sha256,
        self_signed: true,
    })
}

fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        use std::io::Write;
        let mut f = opts
            .open(&tmp)
            .map_err(io(format!("could not create {}", tmp.display())))?;
        f.write_all(bytes)
            .map_err(io(format!("could not write {}", tmp.display())))?;
        f.sync_all()
            .map_err(io(format!("could not sync {}", tmp.display())))?;
    }
    std::fs::rename(&tmp, path)
        .map_err(io(format!("could not rename {} into place", tmp.display())))
}

fn certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::Server(format!("TLS certificate is not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Server(
            "TLS certificate file holds no certificate".into(),
        ));
    }
    Ok(certs)
}

/// SHA-256 of the first certificate's DER, lower-case hex.
pub fn fingerprint(cert_pem: &[u8]) -> Result<String> {
    Ok(hex::encode(Sha256::digest(certs(cert_pem)?[0].as_ref())))
}

/// A rustls server configuration (ring provider, TLS 1.2 + 1.3, ALPN h2 + http/1.1).
pub fn server_config(m: &TlsMaterial) -> Result<Arc<ServerConfig>> {
    let chain = certs(&m.cert_pem)?;
    let key = PrivateKeyDer::from_pem_slice(&m.key_pem)
        .map_err(|e| Error::Server(format!("TLS key is not a valid PEM private key: {e}")))?;
    let mut cfg =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Server(format!("TLS protocol versions: {e}")))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| Error::Server(format!("TLS certificate and key do not fit: {e}")))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificate_persists_across_restarts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = PlatformConfig::builder()
            .data_dir(dir.path())
            .build()
            .expect("config");
        let a = load_or_generate(&config).expect("generate");
        assert!(a.self_signed);
        assert_eq!(a.fingerprint_sha256.len(), 64);
        let b = load_or_generate(&config).expect("reload");
        assert_eq!(a.fingerprint_sha256, b.fingerprint_sha256);
        assert_eq!(fingerprint(&b.cert_pem).expect("fp"), a.fingerprint_sha256);
        server_config(&b).expect("rustls config");
        // A new host in the configuration needs a new certificate.
        let config = PlatformConfig::builder()
            .data_dir(dir.path())
            .https_addr("10.1.2.3:8443".parse().expect("addr"))
            .build()
            .expect("config");
        let c = load_or_generate(&config).expect("regenerate");
        assert_ne!(c.fingerprint_sha256, a.fingerprint_sha256);
    }
}
