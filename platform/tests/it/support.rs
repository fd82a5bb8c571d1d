//! Test harness: a platform on loopback port 0, test media made at test time, a raw FTP client.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use eseal_platform::Platform;
use eseal_platform::config::{PlatformConfig, PortRange};
use eseal_platform::demo::DemoAccount;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// The spec's example mine (U1–U5 examples).
pub const MINE: &str = "140421007866";
/// Another demo mine in the same county.
pub const OTHER_MINE: &str = "140421007867";

pub struct TestPlatform {
    pub dir: tempfile::TempDir,
    pub platform: Platform,
}

impl TestPlatform {
    pub async fn start() -> TestPlatform {
        Self::start_with(|b| b).await
    }

    pub async fn start_with(
        f: impl FnOnce(
            eseal_platform::config::PlatformConfigBuilder,
        ) -> eseal_platform::config::PlatformConfigBuilder,
    ) -> TestPlatform {
        Self::start_with_supervision(f, None).await
    }

    /// [`TestPlatform::start_with`] with these supervision settings (default: the reference).
    pub async fn start_with_supervision(
        f: impl FnOnce(
            eseal_platform::config::PlatformConfigBuilder,
        ) -> eseal_platform::config::PlatformConfigBuilder,
        supervision: Option<eseal_platform::supervision::service::SupervisionSettings>,
    ) -> TestPlatform {
        let dir = tempfile::tempdir().unwrap();
        let config = f(PlatformConfig::builder()
            .data_dir(dir.path())
            .ftp_addr("127.0.0.1:0".parse().unwrap())
            .passive_ports(PortRange::ANY))
        .build()
        .unwrap();
        let mut builder = Platform::builder(config).seed_demo(true);
        if let Some(s) = supervision {
            builder = builder.supervision(s);
        }
        let platform = builder.start().await.unwrap();
        TestPlatform { dir, platform }
    }

    /// Stops the platform and starts a new one on the same data directory and configuration
    /// (what a process restart does: the start-up work runs again).
    pub async fn restart(self) -> TestPlatform {
        let (dir, config) = self.stop().await;
        TestPlatform::resume(dir, config).await
    }

    /// Stops the platform, keeping its data directory.
    pub async fn stop(self) -> (tempfile::TempDir, PlatformConfig) {
        let config = self.platform.config.clone();
        self.platform.shutdown().await.unwrap();
        (self.dir, config)
    }

    /// Starts a platform on a stopped one's data directory.
    pub async fn resume(dir: tempfile::TempDir, config: PlatformConfig) -> TestPlatform {
        let platform = Platform::builder(config)
            .seed_demo(true)
            .start()
            .await
            .unwrap();
        TestPlatform { dir, platform }
    }

    pub fn port(&self) -> u16 {
        self.platform.ftp_addr().unwrap().port()
    }

    pub fn account(&self, mine: &str) -> &DemoAccount {
        self.platform.demo.iter().find(|d| d.mine == mine).unwrap()
    }

    /// Files under `evidence/` (not counting directories).
    pub fn evidence_files(&self) -> Vec<PathBuf> {
        files_under(&self.dir.path().join("evidence"))
    }

    pub fn tmp_files(&self) -> Vec<PathBuf> {
        files_under(&self.dir.path().join("tmp"))
    }
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// A small JPEG; `seed` varies the pixels so that different seeds give different bytes.
pub fn jpeg(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([seed.wrapping_add(x as u8), y as u8 * 4, 128])
    });
    let mut buf = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut buf, image::ImageFormat::Jpeg)
        .unwrap();
    buf.into_inner()
}

pub fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(16, 16, image::Rgb([1, 2, 3]));
    let mut buf = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut buf, image::ImageFormat::Png)
        .unwrap();
    buf.into_inner()
}

fn media_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// A 10-second 64×48 clip made with GStreamer (`x264enc` or `x265enc`), cached per test run.
fn gst_clip(encoder: &str, file: &str) -> Vec<u8> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let path = media_dir().join(file);
    if !path.exists() {
        let tmp = media_dir().join(format!("{file}.part"));
        let pipeline = format!(
            "videotestsrc num-buffers=100 ! video/x-raw,width=64,height=48,framerate=10/1 ! videoconvert ! video/x-raw,format=I420 ! {encoder} ! mp4mux ! filesink location={}",
            tmp.display()
        );
        let out = std::process::Command::new("gst-launch-1.0")
            .args(["-q"])
            .args(pipeline.split(' ').filter(|a| !a.is_empty()))
            .output()
            .expect("gst-launch-1.0 must be installed (scripts/setup.sh installs GStreamer)");
        assert!(
            out.status.success(),
            "gst-launch failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::rename(&tmp, &path).unwrap();
    }
    std::fs::read(&path).unwrap()
}

/// A 10 s H.264 MP4.
pub fn h264_mp4() -> Vec<u8> {
    gst_clip("x264enc", "h264.mp4")
}

/// A 10 s H.265 MP4.
pub fn h265_mp4() -> Vec<u8> {
    gst_clip("x265enc ! h265parse", "h265.mp4")
}

// ---- curl ----------------------------------------------------------------------------------

pub struct CurlResult {
    pub ok: bool,
    pub stderr: String,
}

/// `curl -sS -v -T file ftp://user:pass@127.0.0.1:PORT/incoming/NAME --ftp-create-dirs`
pub async fn curl_upload(
    port: u16,
    user: &str,
    pass: &str,
    name: &str,
    bytes: &[u8],
) -> CurlResult {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upload.bin");
    std::fs::write(&file, bytes).unwrap();
    let url = format!("ftp://{user}:{pass}@127.0.0.1:{port}/incoming/{name}");
    let out = tokio::process::Command::new("curl")
        .args(["-sS", "-v", "--max-time", "60", "-T"])
        .arg(&file)
        .arg(&url)
        .arg("--ftp-create-dirs")
        .output()
        .await
        .expect("curl must be installed");
    CurlResult {
        ok: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

// ---- suppaftp ------------------------------------------------------------------------------

pub type Ftp = suppaftp::tokio::AsyncFtpStream;

pub async fn suppa_login(port: u16, user: &str, pass: &str) -> Ftp {
    let mut ftp = Ftp::connect(("127.0.0.1", port)).await.unwrap();
    ftp.login(user, pass).await.unwrap();
    ftp.transfer_type(suppaftp::types::FileType::Binary)
        .await
        .unwrap();
    ftp
}

pub async fn suppa_put(ftp: &mut Ftp, name: &str, bytes: &[u8]) -> Result<u64, suppaftp::FtpError> {
    let mut r = std::io::Cursor::new(bytes.to_vec());
    ftp.put_file(name, &mut r).await
}

// ---- a raw FTP client, for what real clients will not do (cut a transfer off) ---------------

/// How long [`RawFtp::reply`] waits for a line.
pub const REPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

pub struct RawFtp {
    r: BufReader<OwnedReadHalf>,
    w: OwnedWriteHalf,
}

impl RawFtp {
    pub async fn login(port: u16, user: &str, pass: &str) -> RawFtp {
        let s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        Self::login_on(s, user, pass).await
    }

    /// Connects from `from` (any local address, e.g. 127.0.0.3) to `server`.
    pub async fn login_from(
        from: std::net::IpAddr,
        server: std::net::SocketAddr,
        user: &str,
        pass: &str,
    ) -> RawFtp {
        let s = connect_from(from, server).await.unwrap();
        Self::login_on(s, user, pass).await
    }

    async fn login_on(s: TcpStream, user: &str, pass: &str) -> RawFtp {
        let (r, w) = s.into_split();
        let mut f = RawFtp {
            r: BufReader::new(r),
            w,
        };
        assert!(f.reply().await.starts_with("220"));
        assert!(f.cmd(&format!("USER {user}")).await.starts_with("331"));
        assert!(f.cmd(&format!("PASS {pass}")).await.starts_with("230"));
        assert!(f.cmd("TYPE I").await.starts_with("200"));
        f
    }

    /// Reads one (possibly multi-line) reply; returns its last line. A server that never
    /// answers fails the test within [`REPLY_TIMEOUT`] instead of hanging the run.
    pub async fn reply(&mut self) -> String {
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(REPLY_TIMEOUT, self.r.read_line(&mut line))
                .await
                .unwrap_or_else(|_| panic!("no FTP reply within {} s", REPLY_TIMEOUT.as_secs()))
                .unwrap();
            assert!(n > 0, "control connection closed");
            let b = line.as_bytes();
            if b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b' ' {
                return line.trim_end().to_owned();
            }
        }
    }

    pub async fn cmd(&mut self, c: &str) -> String {
        self.w
            .write_all(format!("{c}\r\n").as_bytes())
            .await
            .unwrap();
        self.reply().await
    }

    /// EPSV + STOR; returns the connected data socket after the 150 mark.
    pub async fn stor(&mut self, name: &str) -> TcpStream {
        let r = self.cmd("EPSV").await;
        let port: u16 = r
            .split("|||")
            .nth(1)
            .and_then(|s| s.split('|').next())
            .and_then(|p| p.parse().ok())
            .unwrap();
        let data = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let r = self.cmd(&format!("STOR {name}")).await;
        assert!(r.starts_with("150"), "{r}");
        data
    }
}

/// A TCP connection to `server` whose source address is `from`.
pub async fn connect_from(
    from: std::net::IpAddr,
    server: std::net::SocketAddr,
) -> std::io::Result<TcpStream> {
    let sock = tokio::net::TcpSocket::new_v4()?;
    sock.bind(std::net::SocketAddr::new(from, 0))?;
    sock.connect(server).await
}

/// The address in a `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` reply.
pub fn pasv_addr(reply: &str) -> std::net::SocketAddr {
    let inner = &reply[reply.find('(').unwrap() + 1..reply.rfind(')').unwrap()];
    let n: Vec<u8> = inner
        .split(',')
        .map(|x| x.trim().parse().unwrap())
        .collect();
    std::net::SocketAddr::new(
        std::net::Ipv4Addr::new(n[0], n[1], n[2], n[3]).into(),
        u16::from(n[4]) * 256 + u16::from(n[5]),
    )
}
