//! Platform configuration: defaults < TOML file < `ESEAL_PLATFORM_*` environment < builder calls.
//!
//! ```toml
//! data_dir = "var/platform"
//! ftp_addr = "127.0.0.1:2121"
//! passive_ports = "50000-50100"   # "0" = any free port
//! passive_host = "192.0.2.10"     # advertised in PASV replies; default: the local IP the client reached
//! https_addr = "127.0.0.1:8443"
//! tls_cert = "cert.pem"           # optional; both or neither
//! tls_key = "key.pem"
//! max_upload_size = "64MiB"       # or a number of bytes
//! database_url = "postgres://eseal:PASSWORD@db.example/eseal"   # default: data_dir/platform.sqlite3
//! ```
//!
//! Environment: `ESEAL_PLATFORM_DATA_DIR`, `_FTP_ADDR`, `_PASSIVE_PORTS`, `_PASSIVE_HOST`,
//! `_HTTPS_ADDR`, `_TLS_CERT`, `_TLS_KEY`, `_MAX_UPLOAD_SIZE`, `_DATABASE_URL`. A malformed value
//! is an error that names the key and the expected form; it is never silently replaced by a
//! default.
//!
//! `database_url` chooses the backend of the whole platform (ingest and supervision, issue 6):
//! `sqlite:PATH` or a plain file path for SQLite, `postgres://USER:PASSWORD@HOST[:PORT]/DB` for
//! PostgreSQL. Unset, it is the SQLite file `data_dir/platform.sqlite3`, as before. Evidence,
//! quarantine, temp and TLS files stay under `data_dir` whatever the database. The password
//! never appears in `Debug` output or errors ([`DatabaseUrl`]).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Default FTP control address.
pub const DEFAULT_FTP_ADDR: &str = "127.0.0.1:2121";
/// Default HTTPS address.
pub const DEFAULT_HTTPS_ADDR: &str = "127.0.0.1:8443";
/// Default largest accepted upload (64 MiB).
pub const DEFAULT_MAX_UPLOAD: u64 = 64 * 1024 * 1024;
/// Default data directory (relative to the working directory).
pub const DEFAULT_DATA_DIR: &str = "var/platform";
/// Environment variable prefix.
pub const ENV_PREFIX: &str = "ESEAL_PLATFORM_";

/// An inclusive passive port range; `0-0` means "any free port".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    /// First port.
    pub start: u16,
    /// Last port (inclusive).
    pub end: u16,
}

impl PortRange {
    /// Any free port chosen by the operating system.
    pub const ANY: PortRange = PortRange { start: 0, end: 0 };

    /// Parses `"50000-50100"`, `"50000"` or `"0"`.
    pub fn parse(s: &str) -> Option<PortRange> {
        let s = s.trim();
        let (a, b) = match s.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (s, s),
        };
        let start: u16 = a.parse().ok()?;
        let end: u16 = b.parse().ok()?;
        if start > end || (start == 0 && end != 0) {
            return None;
        }
        Some(PortRange { start, end })
    }

    /// True for `0-0`.
    pub fn is_any(&self) -> bool {
        self.start == 0
    }
}

impl std::fmt::Display for PortRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// A database URL as configured; `Debug` and `Display` hide its password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Checks the form (`sqlite:PATH`, a file path, or `postgres://...`); `Err` names what is
    /// expected.
    pub fn parse(url: &str) -> std::result::Result<DatabaseUrl, &'static str> {
        crate::db::parse_url(url)
            .map(|_| DatabaseUrl(url.trim().to_owned()))
            .map_err(|_| DATABASE_URL_FORM)
    }

    /// The URL, password included: for opening the database only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::db::redact(&self.0))
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

const DATABASE_URL_FORM: &str = "sqlite:PATH, a file path, or postgres://USER:PASSWORD@HOST[:PORT]/DB (in-memory SQLite is not supported)";

/// The platform's configuration. Build with [`PlatformConfig::builder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformConfig {
    /// Root of the database, evidence, quarantine and temp files.
    pub data_dir: PathBuf,
    /// FTP control listen address (port 0 = any free port).
    pub ftp_addr: SocketAddr,
    /// Ports handed out for passive data connections.
    pub passive_ports: PortRange,
    /// Address advertised in PASV replies; `None` = the local address of the client's control connection.
    pub passive_host: Option<IpAddr>,
    /// HTTPS listen address.
    pub https_addr: SocketAddr,
    /// PEM certificate chain for HTTPS; `None` = a self-signed certificate is made at start.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS.
    pub tls_key: Option<PathBuf>,
    /// Largest upload accepted, in bytes.
    pub max_upload_size: u64,
    /// The database; `None` = the SQLite file [`PlatformConfig::database_path`].
    pub database_url: Option<DatabaseUrl>,
    /// Webhook targets (P14: WeChat Work group robots, SMS gateways) the alarm feed is pushed
    /// to; `[[webhooks]]` tables of the TOML file only (no environment form).
    pub webhooks: Vec<crate::supervision::push::WebhookTarget>,
}

impl PlatformConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> PlatformConfigBuilder {
        PlatformConfigBuilder::default()
    }

    /// The default SQLite database file, `data_dir/platform.sqlite3` (used unless
    /// `database_url` is set).
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("platform.sqlite3")
    }

    /// The URL the platform opens: `database_url`, or `sqlite:` + [`PlatformConfig::database_path`].
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!("sqlite:{}", self.database_path().display()),
        }
    }
}

/// Builder of [`PlatformConfig`]. Layers apply in a fixed order whatever the call order:
/// defaults, then the TOML file, then the environment, then explicit setter calls.
#[derive(Debug, Default, Clone)]
pub struct PlatformConfigBuilder {
    file: Option<PathBuf>,
    toml_text: Option<String>,
    env: BTreeMap<String, String>,
    explicit: BTreeMap<&'static str, String>,
    explicit_passive_host: Option<Option<IpAddr>>,
}

/// (toml key, env suffix, expected form)
const KEYS: &[(&str, &str, &str)] = &[
    ("data_dir", "DATA_DIR", "a directory path"),
    (
        "ftp_addr",
        "FTP_ADDR",
        "an IP socket address like \"127.0.0.1:2121\"",
    ),
    (
        "passive_ports",
        "PASSIVE_PORTS",
        "a port range like \"50000-50100\" (or \"0\" for any free port)",
    ),
    (
        "passive_host",
        "PASSIVE_HOST",
        "an IP address like \"192.0.2.10\"",
    ),
    (
        "https_addr",
        "HTTPS_ADDR",
        "an IP socket address like \"127.0.0.1:8443\"",
    ),
    ("tls_cert", "TLS_CERT", "a PEM file path"),
    ("tls_key", "TLS_KEY", "a PEM file path"),
    (
        "max_upload_size",
        "MAX_UPLOAD_SIZE",
        "a size like 67108864, \"64MiB\" or \"500KiB\"",
    ),
    ("database_url", "DATABASE_URL", DATABASE_URL_FORM),
];

impl PlatformConfigBuilder {
    /// Reads this TOML file at `build()`; unknown keys are errors.
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.file = Some(path.into());
        self
    }

    /// Uses this TOML text (as if read from a file).
    pub fn toml(mut self, text: impl Into<String>) -> Self {
        self.toml_text = Some(text.into());
        self
    }

    /// Applies `ESEAL_PLATFORM_*` variables of the process environment.
    pub fn process_env(self) -> Self {
        self.env(std::env::vars())
    }

    /// Applies `ESEAL_PLATFORM_*` variables from the given pairs (other names are ignored).
    pub fn env<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        for (k, v) in vars {
            let k = k.into();
            if k.starts_with(ENV_PREFIX) {
                self.env.insert(k, v.into());
            }
        }
        self
    }

    /// Sets the data directory.
    pub fn data_dir(mut self, p: impl AsRef<Path>) -> Self {
        self.explicit
            .insert("data_dir", p.as_ref().to_string_lossy().into_owned());
        self
    }

    /// Sets the FTP listen address.
    pub fn ftp_addr(mut self, a: SocketAddr) -> Self {
        self.explicit.insert("ftp_addr", a.to_string());
        self
    }

    /// Sets the HTTPS listen address.
    pub fn https_addr(mut self, a: SocketAddr) -> Self {
        self.explicit.insert("https_addr", a.to_string());
        self
    }

    /// Sets the passive port range.
    pub fn passive_ports(mut self, r: PortRange) -> Self {
        self.explicit.insert("passive_ports", r.to_string());
        self
    }

    /// Sets (or clears, with `None`) the advertised passive host.
    pub fn passive_host(mut self, h: Option<IpAddr>) -> Self {
        self.explicit_passive_host = Some(h);
        self
    }

    /// Sets the TLS certificate and key files.
    pub fn tls(mut self, cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Self {
        self.explicit
            .insert("tls_cert", cert.as_ref().to_string_lossy().into_owned());
        self.explicit
            .insert("tls_key", key.as_ref().to_string_lossy().into_owned());
        self
    }

    /// Sets the database URL (`sqlite:PATH`, a file path, or `postgres://...`).
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.explicit.insert("database_url", url.into());
        self
    }

    /// Sets the largest accepted upload in bytes.
    pub fn max_upload_size(mut self, bytes: u64) -> Self {
        self.explicit.insert("max_upload_size", bytes.to_string());
        self
    }

    /// Validates every layer and builds the configuration.
    pub fn build(self) -> Result<PlatformConfig> {
        // key -> (value, where it came from: the TOML key or env var name used in errors)
        let mut values: BTreeMap<&'static str, (String, String)> = BTreeMap::new();
        let mut webhooks = Vec::new();

        let toml_text = match (&self.file, &self.toml_text) {
            (_, Some(t)) => Some((t.clone(), "<toml>".to_owned())),
            (Some(p), None) => {
                let t = std::fs::read_to_string(p).map_err(|e| Error::ConfigFile {
                    path: p.clone(),
                    reason: e.to_string(),
                })?;
                Some((t, p.display().to_string()))
            }
            (None, None) => None,
        };
        if let Some((text, origin)) = toml_text {
            let table: toml::Table =
                text.parse()
                    .map_err(|e: toml::de::Error| Error::ConfigFile {
                        path: PathBuf::from(&origin),
                        reason: e.to_string(),
                    })?;
            for (k, v) in table {
                if k == "webhooks" {
                    webhooks = parse_webhooks(v)?;
                    continue;
                }
                let Some(&(key, _, expected)) = KEYS.iter().find(|(key, _, _)| *key == k) else {
                    let known: Vec<&str> = KEYS.iter().map(|k| k.0).chain(["webhooks"]).collect();
                    return Err(Error::config(
                        &k,
                        &format!("one of the keys {}", known.join(", ")),
                        "an unknown key",
                    ));
                };
                let s = match v {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(i) => i.to_string(),
                    other => return Err(Error::config(key, expected, other.to_string())),
                };
                values.insert(key, (s, key.to_owned()));
            }
        }
        for &(key, suffix, _) in KEYS {
            let var = format!("{ENV_PREFIX}{suffix}");
            if let Some(v) = self.env.get(&var) {
                values.insert(key, (v.clone(), var));
            }
        }
        for (key, v) in self.explicit {
            values.insert(key, (v, key.to_owned()));
        }

        let expected = |key: &str| {
            KEYS.iter()
                .find(|k| k.0 == key)
                .map(|k| k.2)
                .unwrap_or("a value")
        };
        let get = |key: &'static str| {
            values
                .get(key)
                .map(|(v, origin)| (v.as_str(), origin.as_str()))
        };

        let data_dir = match get("data_dir") {
            Some((v, origin)) if v.trim().is_empty() => {
                return Err(Error::config(origin, expected("data_dir"), v));
            }
            Some((v, _)) => PathBuf::from(v),
            None => PathBuf::from(DEFAULT_DATA_DIR),
        };
        let addr = |key: &'static str, default: &str| -> Result<SocketAddr> {
            let (v, origin) = get(key).unwrap_or((default, key));
            v.trim()
                .parse()
                .map_err(|_| Error::config(origin, expected(key), v))
        };
        let ftp_addr = addr("ftp_addr", DEFAULT_FTP_ADDR)?;
        let https_addr = addr("https_addr", DEFAULT_HTTPS_ADDR)?;
        let passive_ports = match get("passive_ports") {
            Some((v, origin)) => PortRange::parse(v)
                .ok_or_else(|| Error::config(origin, expected("passive_ports"), v))?,
            None => PortRange {
                start: 50000,
                end: 50100,
            },
        };
        let mut passive_host = match get("passive_host") {
            Some((v, _)) if v.trim().is_empty() => None,
            Some((v, origin)) => Some(
                v.trim()
                    .parse::<IpAddr>()
                    .map_err(|_| Error::config(origin, expected("passive_host"), v))?,
            ),
            None => None,
        };
        if let Some(h) = self.explicit_passive_host {
            passive_host = h;
        }
        let path = |key: &'static str| {
            get(key)
                .filter(|(v, _)| !v.trim().is_empty())
                .map(|(v, _)| PathBuf::from(v))
        };
        let tls_cert = path("tls_cert");
        let tls_key = path("tls_key");
        if tls_cert.is_some() != tls_key.is_some() {
            let (missing, present) = if tls_cert.is_some() {
                ("tls_key", "tls_cert")
            } else {
                ("tls_cert", "tls_key")
            };
            return Err(Error::config(
                missing,
                &format!("a PEM file path, because {present} is set"),
                "nothing",
            ));
        }
        let max_upload_size = match get("max_upload_size") {
            Some((v, origin)) => parse_size(v)
                .ok_or_else(|| Error::config(origin, expected("max_upload_size"), v))?,
            None => DEFAULT_MAX_UPLOAD,
        };
        let database_url = match get("database_url") {
            Some((v, origin)) => Some(
                DatabaseUrl::parse(v)
                    .map_err(|form| Error::config(origin, form, crate::db::redact(v)))?,
            ),
            None => None,
        };
        Ok(PlatformConfig {
            database_url,
            data_dir,
            ftp_addr,
            passive_ports,
            passive_host,
            https_addr,
            tls_cert,
            tls_key,
            max_upload_size,
            webhooks,
        })
    }
}

/// The form of one `[[webhooks]]` table.
const WEBHOOK_FORM: &str = "a table with name, units (unit codes, \"000000\" for all), optional \
     min_grade (low, general, serious, major) and channel = {kind = \"wecom_robot\", url = \"https://…\"} \
     or {kind = \"sms_gateway\", url, phone_numbers, template_id} (P14)";

/// The `[[webhooks]]` tables: each a [`crate::supervision::push::WebhookTarget`], checked as
/// the push module checks it, names unique.
fn parse_webhooks(v: toml::Value) -> Result<Vec<crate::supervision::push::WebhookTarget>> {
    use crate::supervision::push::WebhookTarget;
    let toml::Value::Array(items) = v else {
        return Err(Error::config("webhooks", WEBHOOK_FORM, v.to_string()));
    };
    let mut out: Vec<WebhookTarget> = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let key = format!("webhooks[{i}]");
        let target: WebhookTarget = match item {
            toml::Value::Table(t) => t
                .try_into()
                .map_err(|e: toml::de::Error| Error::config(&key, WEBHOOK_FORM, e.message()))?,
            other => return Err(Error::config(&key, WEBHOOK_FORM, other.type_str())),
        };
        target.check().map_err(|e| {
            let field = match e.field {
                "url" | "phone_numbers" | "template_id" => format!("channel.{}", e.field),
                f => f.to_owned(),
            };
            Error::config(&format!("{key}.{field}"), e.expected, e.reason.clone())
        })?;
        if out.iter().any(|o| o.name == target.name) {
            return Err(Error::config(
                &format!("{key}.name"),
                "a name unique among webhook targets",
                target.name,
            ));
        }
        out.push(target);
    }
    Ok(out)
}

/// Parses `1234`, `"64MiB"`, `"500KiB"`, `"1GiB"`, `"10MB"` (decimal) into bytes; 0 is refused.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mul: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "k" => 1 << 10,
        "mib" | "m" => 1 << 20,
        "gib" | "g" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => return None,
    };
    n.checked_mul(mul).filter(|&b| b > 0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn webhook_targets_come_from_webhooks_tables() {
        let c = PlatformConfig::builder()
            .toml(
                r#"
                [[webhooks]]
                name = "county-robot"
                units = ["140421"]
                min_grade = "serious"
                channel = { kind = "wecom_robot", url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K" }

                [[webhooks]]
                name = "county-sms"
                units = ["140421", "140422"]
                [webhooks.channel]
                kind = "sms_gateway"
                url = "http://127.0.0.1:9000/sms"
                phone_numbers = ["13800000000"]
                template_id = "ESEAL_ALARM"
                "#,
            )
            .build()
            .unwrap();
        assert_eq!(c.webhooks.len(), 2);
        assert_eq!(c.webhooks[0].name, "county-robot");
        assert_eq!(c.webhooks[0].channel.id(), "wecom_robot");
        assert_eq!(
            c.webhooks[0].min_grade,
            crate::supervision::RiskGrade::Serious
        );
        assert_eq!(c.webhooks[1].channel.id(), "sms_gateway");
        assert_eq!(c.webhooks[1].min_grade, crate::supervision::RiskGrade::Low);
        assert!(
            PlatformConfig::builder()
                .build()
                .unwrap()
                .webhooks
                .is_empty()
        );
    }

    #[test]
    fn a_bad_webhook_table_names_the_target_and_field() {
        let err = |text: &str| match PlatformConfig::builder().toml(text).build() {
            Err(Error::Config {
                key,
                expected,
                found,
            }) => (key, expected, found),
            other => panic!("expected a config error, got {other:?}"),
        };
        let (key, expected, _) = err(r#"webhooks = "https://x""#);
        assert_eq!(key, "webhooks");
        assert!(expected.contains("wecom_robot"), "{expected}");
        let (key, _, found) = err(r#"[[webhooks]]
            name = "r"
            units = ["140421"]
            channel = { kind = "dingtalk", url = "https://x" }"#);
        assert_eq!(key, "webhooks[0]");
        assert!(found.contains("dingtalk"), "{found}");
        let (key, _, _) = err(r#"[[webhooks]]
            name = "r"
            units = ["140421"]
            channel = { kind = "wecom_robot", url = "ftp://x" }"#);
        assert_eq!(key, "webhooks[0].channel.url");
        let (key, _, found) = err(r#"[[webhooks]]
            name = "r"
            units = ["140421"]
            channel = { kind = "wecom_robot", url = "https://x" }
            [[webhooks]]
            name = "r"
            units = ["140421"]
            channel = { kind = "wecom_robot", url = "https://y" }"#);
        assert_eq!((key.as_str(), found.as_str()), ("webhooks[1].name", "r"));
        let (key, _, _) = err(r#"[[webhooks]]
            name = "s"
            units = ["140421"]
            channel = { kind = "sms_gateway", url = "https://x", phone_numbers = ["12ab"], template_id = "T" }"#);
        assert_eq!(key, "webhooks[0].channel.phone_numbers");
    }

    #[test]
    fn defaults() {
        let c = PlatformConfig::builder().build().unwrap();
        assert_eq!(c.ftp_addr.to_string(), DEFAULT_FTP_ADDR);
        assert_eq!(c.https_addr.to_string(), DEFAULT_HTTPS_ADDR);
        assert_eq!(c.max_upload_size, 64 * 1024 * 1024);
        assert_eq!(
            c.passive_ports,
            PortRange {
                start: 50000,
                end: 50100
            }
        );
        assert_eq!(c.passive_host, None);
    }

    #[test]
    fn layers_apply_in_order() {
        let c = PlatformConfig::builder()
            .data_dir("/explicit")
            .toml("data_dir = \"/file\"\nftp_addr = \"0.0.0.0:21\"\nmax_upload_size = 1024\npassive_ports = \"60000-60010\"")
            .env([("ESEAL_PLATFORM_FTP_ADDR", "127.0.0.2:2121"), ("ESEAL_PLATFORM_PASSIVE_HOST", "10.0.0.1"), ("OTHER", "x")])
            .build()
            .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/explicit"));
        assert_eq!(c.ftp_addr.to_string(), "127.0.0.2:2121");
        assert_eq!(c.max_upload_size, 1024);
        assert_eq!(
            c.passive_ports,
            PortRange {
                start: 60000,
                end: 60010
            }
        );
        assert_eq!(c.passive_host, Some("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn bad_values_name_the_key_and_form() {
        let e = PlatformConfig::builder()
            .env([("ESEAL_PLATFORM_PASSIVE_PORTS", "abc")])
            .build()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "config: ESEAL_PLATFORM_PASSIVE_PORTS: expected a port range like \"50000-50100\" (or \"0\" for any free port), found \"abc\""
        );
        let e = PlatformConfig::builder()
            .toml("ftp_addr = \"localhost\"")
            .build()
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("ftp_addr: expected an IP socket address"),
            "{e}"
        );
        let e = PlatformConfig::builder()
            .toml("max_upload_size = \"lots\"")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("max_upload_size"), "{e}");
        let e = PlatformConfig::builder()
            .toml("ftp_port = 21")
            .build()
            .unwrap_err();
        assert!(
            e.to_string().contains("ftp_port: expected one of the keys"),
            "{e}"
        );
        let e = PlatformConfig::builder()
            .env([("ESEAL_PLATFORM_TLS_CERT", "c.pem")])
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("tls_key"), "{e}");
    }

    #[test]
    fn database_url_defaults_to_the_sqlite_file_and_hides_its_password() {
        let c = PlatformConfig::builder().data_dir("/d").build().unwrap();
        assert_eq!(c.database_url, None);
        assert_eq!(c.database_url(), "sqlite:/d/platform.sqlite3");
        let c = PlatformConfig::builder()
            .toml("database_url = \"sqlite:/file.sqlite3\"")
            .env([(
                "ESEAL_PLATFORM_DATABASE_URL",
                "postgres://eseal:secret@db/eseal",
            )])
            .build()
            .unwrap();
        assert_eq!(c.database_url(), "postgres://eseal:secret@db/eseal");
        let shown = format!("{c:?}");
        assert!(
            shown.contains("postgres://eseal:***@db/eseal") && !shown.contains("secret"),
            "{shown}"
        );
        let c = PlatformConfig::builder()
            .env([(
                "ESEAL_PLATFORM_DATABASE_URL",
                "postgres://eseal:secret@db/eseal",
            )])
            .database_url("sqlite:x.sqlite3")
            .build()
            .unwrap();
        assert_eq!(c.database_url(), "sqlite:x.sqlite3");
        for bad in ["mysql://u:secret@h/db", "sqlite::memory:", ""] {
            let e = PlatformConfig::builder()
                .env([("ESEAL_PLATFORM_DATABASE_URL", bad)])
                .build()
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("config: ESEAL_PLATFORM_DATABASE_URL: expected sqlite:PATH")
                    && !e.contains("secret"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn sizes_and_ranges() {
        assert_eq!(parse_size("64MiB"), Some(64 << 20));
        assert_eq!(parse_size("500 KiB"), Some(500 << 10));
        assert_eq!(parse_size("10MB"), Some(10_000_000));
        assert_eq!(parse_size("0"), None);
        assert_eq!(parse_size("x"), None);
        assert_eq!(PortRange::parse("0"), Some(PortRange::ANY));
        assert_eq!(PortRange::parse("5-4"), None);
        assert_eq!(PortRange::parse("0-10"), None);
        assert_eq!(
            PortRange::parse("2100"),
            Some(PortRange {
                start: 2100,
                end: 2100
            })
        );
    }
}
