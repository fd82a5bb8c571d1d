//! The uploader against the real reference platform, in process: FTP on 127.0.0.1 and the
//! HTTPS API with its self-signed certificate (pinned by the device). Covers U1–U6 arriving in
//! order, idempotent re-sends, an outage with a device restart in the middle (store-and-forward
//! on virtual time), permanent refusals that go to `rejected/` without blocking the queue, and
//! credential errors that must not.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use eseal_platform::Platform;
use eseal_platform::config::{PlatformConfig, PortRange};
use eseal_platform::http::{AppState, HttpsHandle, serve_https};
use eseal_protocol::{EvidenceName, LockEventMetadata, StreamRegistration};
use eseal_vision::config::PlatformLink;
use eseal_vision::evidence::Outgoing;
use eseal_vision::spool::{SharedSpool, Spool};
use eseal_vision::upload::{Outcome, UploadOptions, Uploader};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The spec's example mine (U1–U5), seeded by the platform's demo data.
const MINE: &str = "140421007866";
/// Another demo mine in the same county.
const OTHER_MINE: &str = "140421007867";
const ADMIN: &str = "admin-token-for-vision-upload-tests";
const S: u64 = 1_000_000_000;

// ---- test media, made at test time (as platform/tests/it/support.rs does) -------------------

/// A small JPEG that decodes; `seed` varies the pixels (and so the bytes).
fn jpeg(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([seed.wrapping_add(x as u8), (y as u8).wrapping_mul(4), 128])
    });
    let mut buf = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut buf, image::ImageFormat::Jpeg)
        .unwrap();
    buf.into_inner()
}

fn media_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// A 10-second 64×48 H.264 MP4 made by GStreamer, cached per test run; `pattern` (a
/// videotestsrc pattern) varies the bytes.
fn h264_mp4(pattern: u32) -> Vec<u8> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let path = media_dir().join(format!("h264-{pattern}.mp4"));
    if !path.exists() {
        let tmp = media_dir().join(format!("h264-{pattern}.mp4.part"));
        let pipeline = format!(
            "videotestsrc num-buffers=100 pattern={pattern} ! video/x-raw,width=64,height=48,framerate=10/1 ! videoconvert ! video/x-raw,format=I420 ! x264enc ! mp4mux ! filesink location={}",
            tmp.display()
        );
        let out = std::process::Command::new("gst-launch-1.0")
            .arg("-q")
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

// ---- items ----------------------------------------------------------------------------------

fn name(s: &str) -> EvidenceName {
    EvidenceName::parse(s).unwrap().name
}

/// U1: person `count` (< 60) of 2021-01-04 at camera 20, at 20:`count`:15 CST.
fn u1(mine: &str, count: u16, seed: u8) -> Outgoing {
    Outgoing::Ftp {
        name: name(&format!("{mine}2001{count:04}2021010420{count:02}15.jpg")),
        bytes: jpeg(seed),
    }
}

fn u2() -> Outgoing {
    Outgoing::Ftp {
        name: name("1404210078663002001020210105200820.jpg"),
        bytes: jpeg(200),
    }
}

fn u3() -> Outgoing {
    Outgoing::Ftp {
        name: name("14042100786610030120210104121546.mp4"),
        bytes: h264_mp4(0),
    }
}

fn u4() -> Outgoing {
    Outgoing::Ftp {
        name: name("140421007866200420210104094515.jpg"),
        bytes: jpeg(77),
    }
}

fn u5(mine: &str) -> Outgoing {
    let file_name = format!("{mine}10000120210104121546.mp4");
    let metadata: LockEventMetadata = serde_json::from_value(json!({
        "mine_code": mine, "lock_code": "10", "lock_state": "0001", "time": "20210104121546",
        "file_name": file_name, "duration_s": 10.0, "device_id": "eseal-vision-test",
        "description": "提升机电子锁被挪动"
    }))
    .unwrap();
    Outgoing::Lock {
        metadata,
        video: h264_mp4(1),
    }
}

fn u6(camera: &str, url: &str) -> Outgoing {
    let registration: StreamRegistration = serde_json::from_value(json!({
        "mine_code": MINE, "camera_code": camera, "url": url, "codec": "mjpeg"
    }))
    .unwrap();
    Outgoing::Stream { registration }
}

// ---- the platform ---------------------------------------------------------------------------

struct TestPlatform {
    platform: Platform,
    https: HttpsHandle,
}

impl TestPlatform {
    /// FTP and HTTPS on the given addresses (port 0: any), data in `data_dir`.
    async fn start(data_dir: &Path, ftp: SocketAddr, https: SocketAddr) -> TestPlatform {
        let config = PlatformConfig::builder()
            .data_dir(data_dir)
            .ftp_addr(ftp)
            .https_addr(https)
            .passive_ports(PortRange::ANY)
            .build()
            .unwrap();
        let platform = Platform::builder(config.clone())
            .seed_demo(true)
            .start()
            .await
            .unwrap();
        let state = AppState::new(platform.ingest.clone()).with_admin_token(ADMIN);
        let https = serve_https(&config, state).await.unwrap();
        TestPlatform { platform, https }
    }

    async fn start_any(data_dir: &Path) -> TestPlatform {
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        Self::start(data_dir, any, any).await
    }

    fn ftp_addr(&self) -> SocketAddr {
        self.platform.ftp_addr().unwrap()
    }

    fn https_addr(&self) -> SocketAddr {
        self.https.addr
    }

    /// Stops both servers (what a platform outage looks like to the device).
    async fn stop(self) {
        self.https.shutdown(Duration::from_secs(1));
        self.https.stopped().await.unwrap();
        self.platform.shutdown().await.unwrap();
    }

    /// The device's link for `mine`'s demo account, pinning the platform's certificate.
    fn link(&self, mine: &str) -> PlatformLink {
        let acc = self.platform.demo.iter().find(|d| d.mine == mine).unwrap();
        PlatformLink {
            ftp_addr: self.ftp_addr().to_string(),
            ftp_user: acc.username.clone(),
            ftp_password: acc.password.clone(),
            https_url: format!("https://127.0.0.1:{}", self.https_addr().port()),
            token: acc.token.clone(),
            ca_cert: Some(cert_path(&self.platform.config.data_dir)),
        }
    }

    /// Accepted (name, sha256) of a mine, in the order the platform committed them.
    async fn events(&self, mine: &str) -> Vec<(String, String)> {
        self.platform
            .ingest
            .event_names_of_mine(mine)
            .await
            .unwrap()
            .into_iter()
            .map(|(n, sha, _)| (n, sha))
            .collect()
    }

    async fn violations(&self) -> Vec<eseal_platform::query::ViolationRow> {
        self.platform.ingest.violations().await.unwrap()
    }

    /// `GET path` with the administrator token.
    async fn admin_get(&self, path: &str) -> Value {
        let pem = std::fs::read(cert_path(&self.platform.config.data_dir)).unwrap();
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
            .build()
            .unwrap();
        let resp = client
            .get(format!(
                "https://127.0.0.1:{}{path}",
                self.https_addr().port()
            ))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.unwrap()
    }
}

/// Where the platform keeps its generated certificate (`platform/src/http/tls.rs`).
fn cert_path(data_dir: &Path) -> PathBuf {
    eseal_platform::http::tls::tls_dir(data_dir).join("cert.pem")
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Options with short timeouts (everything is on loopback).
fn options() -> UploadOptions {
    UploadOptions {
        connect_timeout: Duration::from_secs(5),
        io_timeout: Duration::from_secs(30),
        ..UploadOptions::default()
    }
}

fn open_spool(dir: &Path) -> SharedSpool {
    Spool::open(dir).unwrap().shared()
}

fn push(spool: &SharedSpool, item: &Outgoing) -> u64 {
    spool.lock().unwrap().push(item).unwrap()
}

fn labels(ds: &[eseal_vision::upload::Delivery]) -> Vec<String> {
    ds.iter().map(|d| d.label.clone()).collect()
}

fn ftp_name(item: &Outgoing) -> String {
    match item {
        Outgoing::Ftp { name, .. } => name.to_string(),
        Outgoing::Lock { metadata, .. } => metadata.file_name.clone(),
        Outgoing::Stream { .. } => panic!("a stream registration has no file name"),
    }
}

// ---- tests ----------------------------------------------------------------------------------

/// U1–U6 all arrive, in spool order, byte for byte; a re-send of the same name with the same
/// bytes (a crash between the platform's acknowledgement and the spool's ack) counts as sent and
/// is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_clause_arrives_in_order_and_resends_are_idempotent() {
    let pdir = tempfile::tempdir().unwrap();
    let tp = TestPlatform::start_any(pdir.path()).await;
    let sdir = tempfile::tempdir().unwrap();
    let spool = open_spool(sdir.path());
    let mut up = Uploader::new(spool.clone(), &tp.link(MINE), options()).unwrap();

    let items = [
        u1(MINE, 1, 1),
        u6("20", "http://10.0.0.5:8090/cam/20?action=stream"),
        u2(),
        u3(),
        u4(),
        u5(MINE),
        u1(MINE, 2, 2),
    ];
    for (i, item) in items.iter().enumerate() {
        assert_eq!(push(&spool, item), i as u64 + 1);
    }
    let report = up.pump(0).await;
    assert_eq!(report.failed_attempts, 0, "{:?}", report.last_error);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(
        labels(&report.sent),
        items.iter().map(Outgoing::label).collect::<Vec<_>>()
    );
    assert!(
        report
            .sent
            .iter()
            .all(|d| d.attempts == 1 && d.done_ns == 0)
    );
    assert_eq!(report.pending, 0);
    assert_eq!(report.next_retry_ns, None);
    assert!(
        up.ftp_connected(),
        "the control connection is kept between uploads"
    );

    // The platform holds every file exactly once, in order, with the spooled bytes.
    let expected: Vec<(String, String)> = items
        .iter()
        .filter(|i| !matches!(i, Outgoing::Stream { .. }))
        .map(|i| (ftp_name(i), sha(i.payload())))
        .collect();
    assert_eq!(tp.events(MINE).await, expected);
    assert!(
        tp.violations().await.is_empty(),
        "{:?}",
        tp.violations().await
    );
    // ... as the read API shows it too (U5 over HTTPS, the others over FTP)
    let page = tp.admin_get(&format!("/api/v1/events?mine={MINE}")).await;
    let rows = page["items"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[4]["clause"], "U5");
    assert_eq!(rows[4]["channel"], "https");
    assert_eq!(rows[4]["metadata"]["device_id"], "eseal-vision-test");
    assert_eq!(rows[0]["channel"], "ftp");
    let streams = tp.admin_get(&format!("/api/v1/streams?mine={MINE}")).await;
    assert_eq!(streams["items"][0]["camera"], "20");
    assert_eq!(
        streams["items"][0]["url"],
        "http://10.0.0.5:8090/cam/20?action=stream"
    );

    // Re-sent with the same names and bytes: success, nothing stored twice.
    let again = [
        u1(MINE, 1, 1),
        u5(MINE),
        u6("20", "http://10.0.0.5:8090/cam/20?action=stream"),
    ];
    for item in &again {
        push(&spool, item);
    }
    let report = up.pump(5 * S).await;
    assert_eq!(report.failed_attempts, 0, "{:?}", report.last_error);
    assert_eq!(
        report.sent.iter().map(|d| &d.outcome).collect::<Vec<_>>(),
        [
            &Outcome::Sent { duplicate: None },
            &Outcome::Sent {
                duplicate: Some(true)
            },
            &Outcome::Sent {
                duplicate: Some(true)
            },
        ]
    );
    assert_eq!(tp.events(MINE).await, expected);
    assert!(tp.violations().await.is_empty());
    let counts = spool.lock().unwrap().counts();
    assert_eq!((counts.pending, counts.sent, counts.rejected), (0, 10, 0));
    up.close().await;
    tp.stop().await;
}

/// Store-and-forward: items made while the platform is down wait in the spool with
/// exponential back-off on (virtual) time; the device restarts in the middle; when the platform
/// comes back on the same data and ports every item arrives exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_and_a_device_restart_lose_nothing_and_send_nothing_twice() {
    let pdir = tempfile::tempdir().unwrap();
    let tp = TestPlatform::start_any(pdir.path()).await;
    let (ftp_addr, https_addr) = (tp.ftp_addr(), tp.https_addr());
    let link = tp.link(MINE);
    let sdir = tempfile::tempdir().unwrap();

    let first = u1(MINE, 1, 10);
    let later = [
        u1(MINE, 2, 11),
        u3(),
        u5(MINE),
        u6("10", "http://10.0.0.5:8090/cam/10?action=stream"),
    ];
    {
        let spool = open_spool(sdir.path());
        let mut up = Uploader::new(spool.clone(), &link, options()).unwrap();
        push(&spool, &first);
        let r = up.pump(0).await;
        assert_eq!(labels(&r.sent), [first.label()]);
        assert!(up.ftp_connected());

        // --- the platform goes away
        tp.stop().await;
        for item in &later {
            push(&spool, item);
        }
        let r = up.pump(10 * S).await;
        assert!(r.sent.is_empty() && r.rejected.is_empty());
        assert_eq!(
            r.failed_attempts, 1,
            "one attempt (the stale connection's retry included)"
        );
        assert_eq!(r.next_retry_ns, Some(11 * S), "1 s after the first failure");
        assert!(r.last_error.is_some());
        assert_eq!(r.pending, 4);
        let head = up.head_state().unwrap().clone();
        assert_eq!((head.seq, head.attempts, head.failures), (2, 1, 1));
        assert_eq!(head.first_attempt_ns, 10 * S);

        // no attempt before the deadline
        let r = up.pump(10 * S + S / 2).await;
        assert_eq!(r.attempts(), 0);
        assert_eq!(r.next_retry_ns, Some(11 * S));
        assert_eq!(up.head_state().unwrap().attempts, 1);

        // then 2 s, then 4 s
        let r = up.pump(11 * S).await;
        assert_eq!(r.failed_attempts, 1);
        assert_eq!(r.next_retry_ns, Some(13 * S));
        assert_eq!(up.pump(13 * S - 1).await.attempts(), 0);
        let r = up.pump(13 * S).await;
        assert_eq!(r.failed_attempts, 1);
        assert_eq!(r.next_retry_ns, Some(17 * S));
        // run_until_idle jumps from deadline to deadline on virtual time: 17, 25, 41 s
        let r = up.run_until_idle(17 * S, 50 * S).await;
        assert_eq!(r.failed_attempts, 3);
        assert_eq!(r.now_ns, 41 * S);
        assert_eq!(r.next_retry_ns, Some(73 * S));
        assert_eq!(up.head_state().unwrap().attempts, 6);
        assert_eq!(up.totals().failed_attempts, 6);
        // --- the device restarts (uploader and spool dropped)
    }
    let spool = open_spool(sdir.path());
    {
        let s = spool.lock().unwrap();
        assert_eq!(
            s.pending()
                .iter()
                .map(|e| (e.seq, e.label.clone()))
                .collect::<Vec<_>>(),
            later
                .iter()
                .enumerate()
                .map(|(i, it)| (i as u64 + 2, it.label()))
                .collect::<Vec<_>>()
        );
        assert_eq!(s.counts().sent, 1);
    }
    let last = u1(MINE, 3, 12);
    assert_eq!(
        push(&spool, &last),
        6,
        "sequence numbers continue after the restart"
    );

    // The restarted device tries at once, and its back-off goes on from the six failures
    // before the restart (the 7th waits the longest, 60 s), not from 1 s again.
    let mut up = Uploader::new(spool.clone(), &link, options()).unwrap();
    let r = up.pump(90 * S).await;
    assert_eq!(r.failed_attempts, 1);
    let head = up.head_state().unwrap().clone();
    assert_eq!((head.seq, head.attempts, head.failures), (2, 1, 7));
    assert_eq!(r.next_retry_ns, Some(150 * S));

    // --- the platform comes back on the same data directory and the same ports
    let tp = TestPlatform::start(pdir.path(), ftp_addr, https_addr).await;
    assert_eq!((tp.ftp_addr(), tp.https_addr()), (ftp_addr, https_addr));
    assert_eq!(
        up.pump(100 * S).await.attempts(),
        0,
        "not before the deadline"
    );
    let r = up.pump(150 * S).await;
    assert_eq!(r.failed_attempts, 0, "{:?}", r.last_error);
    let mut all: Vec<Outgoing> = vec![first.clone()];
    all.extend(later.iter().cloned());
    all.push(last.clone());
    assert_eq!(
        labels(&r.sent),
        all[1..].iter().map(Outgoing::label).collect::<Vec<_>>()
    );
    assert_eq!(
        (r.sent[0].attempts, r.sent[0].first_attempt_ns),
        (2, 90 * S)
    );
    assert!(
        r.sent[1..]
            .iter()
            .all(|d| d.attempts == 1 && d.first_attempt_ns == 150 * S)
    );
    assert_eq!(r.pending, 0);

    let expected: Vec<(String, String)> = all
        .iter()
        .filter(|i| !matches!(i, Outgoing::Stream { .. }))
        .map(|i| (ftp_name(i), sha(i.payload())))
        .collect();
    assert_eq!(
        tp.events(MINE).await,
        expected,
        "every item exactly once, in order"
    );
    assert!(
        tp.violations().await.is_empty(),
        "{:?}",
        tp.violations().await
    );
    let streams = tp.admin_get(&format!("/api/v1/streams?mine={MINE}")).await;
    assert_eq!(streams["items"][0]["camera"], "10");
    assert_eq!(streams["items"][0]["revision"], 1);
    let counts = spool.lock().unwrap().counts();
    assert_eq!((counts.pending, counts.sent, counts.rejected), (0, 6, 0));
    let log = std::fs::read_to_string(sdir.path().join("sent.log")).unwrap();
    let seqs: Vec<u64> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
    up.close().await;
    tp.stop().await;
}

/// Items the platform refuses for good (FTP 550/551, HTTP 403) go to `rejected/` with the
/// platform's reason and do not hold back the items behind them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_items_go_to_rejected_with_the_reason_and_do_not_block_the_queue() {
    let pdir = tempfile::tempdir().unwrap();
    let tp = TestPlatform::start_any(pdir.path()).await;
    let sdir = tempfile::tempdir().unwrap();
    let spool = open_spool(sdir.path());
    let mut up = Uploader::new(spool.clone(), &tp.link(MINE), options()).unwrap();

    let png = {
        let img = image::RgbImage::from_pixel(16, 16, image::Rgb([1, 2, 3]));
        let mut buf = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut buf, image::ImageFormat::Png)
            .unwrap();
        buf.into_inner()
    };
    let other_mine = u1(OTHER_MINE, 1, 30); // another mine's name: 550 (U7, R1)
    let ok1 = u1(MINE, 1, 31);
    let not_jpeg = Outgoing::Ftp {
        name: name("1404210078662001000220210104220215.jpg"),
        bytes: png, // content: 551
    };
    let other_lock = u5(OTHER_MINE); // this mine's token, another mine's lock: HTTP 403
    let ok2 = u6("30", "http://10.0.0.5:8090/cam/30?action=stream");
    let ok3 = u1(MINE, 3, 32);
    for item in [&other_mine, &ok1, &not_jpeg, &other_lock, &ok2, &ok3] {
        push(&spool, item);
    }
    let r = up.pump(0).await;
    assert_eq!(r.failed_attempts, 0, "{:?}", r.last_error);
    assert_eq!(labels(&r.sent), [ok1.label(), ok2.label(), ok3.label()]);
    assert_eq!(
        labels(&r.rejected),
        [other_mine.label(), not_jpeg.label(), other_lock.label()]
    );
    let reasons: Vec<String> = r
        .rejected
        .iter()
        .map(|d| match &d.outcome {
            Outcome::Rejected { reason } => reason.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(reasons[0].starts_with("FTP 550"), "{}", reasons[0]);
    assert!(reasons[1].starts_with("FTP 551"), "{}", reasons[1]);
    assert!(
        reasons[2].starts_with("HTTP 403 mine_mismatch"),
        "{}",
        reasons[2]
    );

    // kept in rejected/ with the reason, bytes intact
    {
        let s = spool.lock().unwrap();
        for (seq, reason) in [(1, &reasons[0]), (3, &reasons[1]), (4, &reasons[2])] {
            assert_eq!(s.rejection_reason(seq).as_ref(), Some(reason));
        }
        let c = s.counts();
        assert_eq!((c.pending, c.sent, c.rejected), (0, 3, 3));
    }
    assert_eq!(
        std::fs::read(sdir.path().join("rejected/000000000001.bin")).unwrap(),
        other_mine.payload()
    );
    assert_eq!(
        tp.events(MINE).await,
        [ok1.clone(), ok3.clone()]
            .iter()
            .map(|i| (ftp_name(i), sha(i.payload())))
            .collect::<Vec<_>>()
    );
    assert!(tp.events(OTHER_MINE).await.is_empty());
    // the platform recorded each refusal as a violation too
    let v = tp.violations().await;
    assert_eq!(
        v.iter().map(|v| v.kind.as_str()).collect::<Vec<_>>(),
        ["mine_mismatch", "content", "mine_mismatch"]
    );
    up.close().await;
    tp.stop().await;
}

/// A wrong FTP password (530) or bearer token (401) says nothing against the items: they stay
/// queued with back-off instead of being rejected, and go out once the account is right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_errors_are_retried_not_rejected() {
    let pdir = tempfile::tempdir().unwrap();
    let tp = TestPlatform::start_any(pdir.path()).await;
    let sdir = tempfile::tempdir().unwrap();
    let spool = open_spool(sdir.path());
    let good = tp.link(MINE);
    let bad = PlatformLink {
        ftp_password: "not-the-password".to_owned(),
        token: "not-the-token".to_owned(),
        ..good.clone()
    };
    let jpg = u1(MINE, 1, 40);
    let reg = u6("20", "http://10.0.0.5:8090/cam/20?action=stream");

    push(&spool, &jpg);
    let mut up = Uploader::new(spool.clone(), &bad, options()).unwrap();
    let r = up.pump(0).await;
    assert_eq!(
        (r.sent.len(), r.rejected.len(), r.failed_attempts),
        (0, 0, 1)
    );
    assert!(
        r.last_error.as_deref().unwrap().contains("530"),
        "{:?}",
        r.last_error
    );
    assert_eq!(r.next_retry_ns, Some(S));

    // the HTTPS side: a stream registration alone in the queue
    let sdir2 = tempfile::tempdir().unwrap();
    let spool2 = open_spool(sdir2.path());
    push(&spool2, &reg);
    let mut up2 = Uploader::new(spool2.clone(), &bad, options()).unwrap();
    let r = up2.pump(0).await;
    assert_eq!(
        (r.sent.len(), r.rejected.len(), r.failed_attempts),
        (0, 0, 1)
    );
    assert!(
        r.last_error.as_deref().unwrap().contains("HTTP 401"),
        "{:?}",
        r.last_error
    );
    assert_eq!(spool2.lock().unwrap().counts().pending, 1);

    // with the right account both go out
    let mut up = Uploader::new(spool.clone(), &good, options()).unwrap();
    assert_eq!(labels(&up.pump(S).await.sent), [jpg.label()]);
    let mut up2 = Uploader::new(spool2.clone(), &good, options()).unwrap();
    assert_eq!(labels(&up2.pump(S).await.sent), [reg.label()]);
    assert_eq!(tp.events(MINE).await.len(), 1);
    up.close().await;
    tp.stop().await;
}

/// Live mode: `run` sends what is pushed while it runs (woken by the producer) and stops on
/// shutdown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_sends_items_pushed_while_it_runs_and_stops_on_shutdown() {
    let pdir = tempfile::tempdir().unwrap();
    let tp = TestPlatform::start_any(pdir.path()).await;
    let sdir = tempfile::tempdir().unwrap();
    let spool = open_spool(sdir.path());
    let mut up = Uploader::new(
        spool.clone(),
        &tp.link(MINE),
        UploadOptions {
            idle_poll: Duration::from_secs(30),
            ..options()
        },
    )
    .unwrap();
    let waker = up.waker();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let totals = up
            .run(async {
                let _ = stop_rx.await;
            })
            .await;
        (up, totals)
    });
    let items = [u1(MINE, 1, 50), u1(MINE, 2, 51)];
    for item in &items {
        push(&spool, item);
        waker.notify_one();
    }
    // woken at once: well before the 30 s idle poll
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while spool.lock().unwrap().counts().sent < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not sent within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop_tx.send(()).unwrap();
    let (up, totals) = tokio::time::timeout(Duration::from_secs(20), task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(totals.sent, 2);
    assert!(!up.ftp_connected(), "the FTP session is closed on shutdown");
    assert_eq!(tp.events(MINE).await.len(), 2);
    tp.stop().await;
}

/// The platform restarts under a kept FTP control connection: the next upload notices the
/// stale connection and goes out on a fresh one in the same attempt, with no back-off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_restart_under_a_kept_connection_costs_no_retry() {
    let pdir = tempfile::tempdir().unwrap();
    let tp = TestPlatform::start_any(pdir.path()).await;
    let (ftp_addr, https_addr) = (tp.ftp_addr(), tp.https_addr());
    let sdir = tempfile::tempdir().unwrap();
    let spool = open_spool(sdir.path());
    let mut up = Uploader::new(spool.clone(), &tp.link(MINE), options()).unwrap();
    let (a, b) = (u1(MINE, 1, 60), u1(MINE, 2, 61));
    push(&spool, &a);
    assert_eq!(labels(&up.pump(0).await.sent), [a.label()]);
    assert!(up.ftp_connected());
    tp.stop().await;
    let tp = TestPlatform::start(pdir.path(), ftp_addr, https_addr).await;
    push(&spool, &b);
    let r = up.pump(S).await;
    assert_eq!(r.failed_attempts, 0, "{:?}", r.last_error);
    assert_eq!(labels(&r.sent), [b.label()]);
    assert_eq!(r.sent[0].attempts, 1);
    assert_eq!(tp.events(MINE).await.len(), 2);
    up.close().await;
    tp.stop().await;
}

/// A pinned certificate that cannot be read is a configuration error at start-up, not a
/// silent fallback to the system roots.
#[test]
fn a_missing_pinned_certificate_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let spool = open_spool(&dir.path().join("spool"));
    let link = PlatformLink {
        ftp_addr: "127.0.0.1:1".to_owned(),
        ftp_user: "u".to_owned(),
        ftp_password: "p".to_owned(),
        https_url: "https://127.0.0.1:1".to_owned(),
        token: "t".to_owned(),
        ca_cert: Some(dir.path().join("no-such-cert.pem")),
    };
    let e = Uploader::new(spool.clone(), &link, options()).unwrap_err();
    assert!(e.to_string().contains("no-such-cert.pem"), "{e}");
    std::fs::write(dir.path().join("junk.pem"), b"not a certificate").unwrap();
    let link = PlatformLink {
        ca_cert: Some(dir.path().join("junk.pem")),
        ..link
    };
    assert!(Uploader::new(spool, &link, options()).is_err());
}
