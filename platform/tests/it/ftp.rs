//! FTP ingest end to end: real clients (curl, suppaftp, a raw socket client) against the
//! platform on loopback.

use std::time::Duration;

use eseal_platform::ingest::EventRow;
use tokio::io::AsyncWriteExt;

use crate::support::*;

/// (name, clause, camera, analysis type, daily count, transport state, finding kinds)
type Case = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<i64>,
    Option<&'static str>,
    &'static [&'static str],
);

const CASES: &[Case] = &[
    (
        "1404210078662001000520210104224515.jpg",
        "U1",
        "20",
        "01",
        Some(5),
        None,
        &[],
    ),
    (
        "1404210078663002001020210105200820.jpg",
        "U2",
        "30",
        "02",
        Some(10),
        None,
        &[],
    ),
    (
        "14042100786610030120210104121546.mp4",
        "U3",
        "10",
        "03",
        None,
        Some("01"),
        &["u3_example_form_32"],
    ),
    (
        "140421007866100320210104121600.mp4",
        "U3",
        "10",
        "03",
        None,
        None,
        &["u3_rule_form_30"],
    ),
    (
        "140421007866200420210104094515.jpg",
        "U4",
        "20",
        "04",
        None,
        None,
        &[],
    ),
    (
        "140421007866200520210104100000.jpg",
        "U4",
        "20",
        "05",
        None,
        None,
        &[],
    ),
];

fn bytes_for(i: usize, name: &str) -> Vec<u8> {
    if name.ends_with(".mp4") {
        h264_mp4()
    } else {
        jpeg(i as u8)
    }
}

fn utc_of(mine_time: &str) -> String {
    let t = chrono::NaiveDateTime::parse_from_str(mine_time, "%Y%m%d%H%M%S").unwrap()
        - chrono::Duration::hours(8);
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

async fn assert_event(tp: &TestPlatform, case: &Case, bytes: &[u8]) -> EventRow {
    let (name, clause, camera, atype, count, state, findings) = *case;
    let e = tp
        .platform
        .ingest
        .event_by_name(name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no event for {name}"));
    assert_eq!(e.clause, clause, "{name}");
    assert_eq!(e.mine, MINE);
    assert_eq!(e.camera.as_deref(), Some(camera), "{name}");
    assert_eq!(e.analysis_type.as_deref(), Some(atype), "{name}");
    assert_eq!(e.daily_count, count, "{name}");
    assert_eq!(e.transport_state.as_deref(), state, "{name}");
    assert_eq!(e.lock_code, None);
    let digits = name.split('.').next().unwrap();
    let mine_time = &digits[digits.len() - 14..];
    assert_eq!(e.mine_time, mine_time);
    assert_eq!(e.event_utc, utc_of(mine_time));
    assert_eq!(e.channel, "ftp");
    assert_eq!(e.account, tp.account(MINE).username);
    let kinds: Vec<&str> = e
        .findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, findings, "{name}");
    assert_eq!(e.sha256, sha256_hex(bytes), "{name}");
    let stored = tp.platform.ingest.evidence().read(&e.sha256).unwrap();
    assert_eq!(stored, bytes, "{name}: evidence bytes");
    e
}

async fn assert_media_rows(tp: &TestPlatform) {
    let rows: Vec<(String, String, Option<i64>, Option<i64>)> = tp
        .platform
        .store
        .read(|c| {
            c.query(
                "SELECT media_type, codec, width, duration_ms FROM evidence ORDER BY media_type",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok((
                    r.get("media_type")?,
                    r.get("codec")?,
                    r.get("width")?,
                    r.get("duration_ms")?,
                ))
            })
            .collect()
        })
        .await
        .unwrap();
    for (media, codec, width, dur) in rows {
        assert_eq!(width, Some(64));
        if media == "video/mp4" {
            assert_eq!(codec, "avc1");
            let d = dur.unwrap();
            assert!((9_500..=10_500).contains(&d), "clip duration {d} ms (R3)");
        } else {
            assert_eq!(
                (media.as_str(), codec.as_str(), dur),
                ("image/jpeg", "jpeg", None)
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_uploads_every_ftp_clause() {
    let tp = TestPlatform::start().await;
    let acc = tp.account(MINE).clone();
    for (i, case) in CASES.iter().enumerate() {
        let bytes = bytes_for(i, case.0);
        let r = curl_upload(tp.port(), &acc.username, &acc.password, case.0, &bytes).await;
        assert!(r.ok, "curl upload of {} failed:\n{}", case.0, r.stderr);
        assert!(r.stderr.contains("< 226"), "{}", r.stderr);
        assert_event(&tp, case, &bytes).await;
    }
    assert_eq!(
        tp.platform.ingest.count_events().await.unwrap(),
        CASES.len() as i64
    );
    // two U3 clips share one evidence blob (same bytes), so one fewer file than events
    assert_eq!(tp.evidence_files().len(), CASES.len() - 1);
    assert_media_rows(&tp).await;
    assert!(tp.platform.ingest.violations().await.unwrap().is_empty());
    assert!(tp.tmp_files().is_empty(), "spooled uploads are removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suppaftp_uploads_every_ftp_clause_and_lists_and_retrieves() {
    let tp = TestPlatform::start().await;
    let acc = tp.account(MINE).clone();
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    ftp.mkdir("/incoming").await.unwrap();
    ftp.cwd("/incoming").await.unwrap();
    for (i, case) in CASES.iter().enumerate() {
        let bytes = bytes_for(i, case.0);
        suppa_put(&mut ftp, case.0, &bytes)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.0));
        assert_event(&tp, case, &bytes).await;
    }
    // LIST shows the mine's accepted evidence
    let names = ftp.nlst(None).await.unwrap();
    for case in CASES {
        assert!(
            names.iter().any(|n| n.ends_with(case.0)),
            "{} not in {names:?}",
            case.0
        );
    }
    // RETR serves it back unchanged
    let got = ftp
        .retr(CASES[0].0, |mut s| {
            Box::pin(async move {
                let mut v = Vec::new();
                tokio::io::AsyncReadExt::read_to_end(&mut s, &mut v)
                    .await
                    .map_err(suppaftp::FtpError::ConnectionError)?;
                Ok((v, s))
            })
        })
        .await
        .unwrap();
    assert_eq!(got, bytes_for(0, CASES[0].0));
    // DELE and RNFR/RNTO are refused, with a reason
    let e = ftp.rm(CASES[0].0).await.unwrap_err().to_string();
    assert!(e.contains("550") && e.contains("cannot be deleted"), "{e}");
    assert!(ftp.rename(CASES[0].0, "x.jpg").await.is_err());
    assert!(
        tp.platform
            .ingest
            .event_by_name(CASES[0].0)
            .await
            .unwrap()
            .is_some()
    );
    ftp.quit().await.unwrap();
    assert_media_rows(&tp).await;
}

/// The spec's five example names (U1–U5) parse; the four FTP ones upload as they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_example_names_upload() {
    let tp = TestPlatform::start().await;
    let acc = tp.account(MINE).clone();
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    for (name, bytes) in [
        ("1404210078662001000520210104224515.jpg", jpeg(1)),
        ("1404210078663002001020210105200820.jpg", jpeg(2)),
        ("14042100786610030120210104121546.mp4", h264_mp4()),
        ("140421007866200420210104094515.jpg", jpeg(3)),
    ] {
        suppa_put(&mut ftp, name, &bytes)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // U5 goes by HTTPS: over FTP it is refused, saying so
    let e = suppa_put(
        &mut ftp,
        "14042100786610000120210104121546.mp4",
        &h264_mp4(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("553") && e.contains("U5") && e.contains("HTTPS"),
        "{e}"
    );
    assert_eq!(tp.platform.ingest.count_events().await.unwrap(), 4);
}

struct RefusalCase {
    name: String,
    bytes: Vec<u8>,
    code: &'static str,
    kind: &'static str,
    says: Vec<String>,
}

fn refusal_cases() -> Vec<RefusalCase> {
    vec![
        RefusalCase {
            name: "140421007866200100a520210104224515.jpg".into(),
            bytes: jpeg(9),
            code: "553",
            kind: "name",
            says: vec!["U1 field count: expected 4 digits at 16..20, found \"00a5\"".into()],
        },
        RefusalCase {
            name: format!("{OTHER_MINE}2001000520210104224515.jpg"),
            bytes: jpeg(9),
            code: "550",
            kind: "mine_mismatch",
            says: vec![OTHER_MINE.into(), MINE.into()],
        },
        RefusalCase {
            name: "1404210078662001000620210104224516.jpg".into(),
            bytes: png(),
            code: "551",
            kind: "content",
            says: vec!["content: not a JPEG (starts with 89 50 4E 47: PNG)".into()],
        },
        RefusalCase {
            name: "14042100786610030120210104121547.mp4".into(),
            bytes: h265_mp4(),
            code: "551",
            kind: "content",
            says: vec!["H.265".into(), "H.264".into()],
        },
    ]
}

async fn assert_refused_cleanly(tp: &TestPlatform, cases: &[RefusalCase]) {
    assert_eq!(
        tp.platform.ingest.count_events().await.unwrap(),
        0,
        "a refusal never becomes an event"
    );
    assert_eq!(tp.platform.ingest.count_evidence().await.unwrap(), 0);
    assert!(
        tp.evidence_files().is_empty(),
        "a refusal never becomes evidence: {:?}",
        tp.evidence_files()
    );
    let v = tp.platform.ingest.violations().await.unwrap();
    assert_eq!(v.len(), cases.len(), "{v:#?}");
    for (row, case) in v.iter().zip(cases) {
        assert_eq!(row.kind, case.kind, "{row:?}");
        assert!(row.name.ends_with(&case.name));
        assert_eq!(row.channel, "ftp");
        assert_eq!(row.mine.as_deref(), Some(MINE));
        for s in &case.says {
            assert!(
                row.reason.contains(s.as_str()),
                "reason {:?} should contain {s:?}",
                row.reason
            );
        }
        let sha = row.sha256.as_deref().unwrap();
        assert_eq!(sha, sha256_hex(&case.bytes));
        assert!(
            tp.platform
                .ingest
                .evidence()
                .quarantine_path_of(sha)
                .unwrap()
                .is_file(),
            "refused bytes are quarantined"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suppaftp_refusals_say_why() {
    let tp = TestPlatform::start().await;
    let acc = tp.account(MINE).clone();
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    let cases = refusal_cases();
    for c in &cases {
        let e = suppa_put(&mut ftp, &c.name, &c.bytes).await.unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(&format!("[{}]", c.code)),
            "{}: {text}",
            c.name
        );
        for s in &c.says {
            assert!(
                text.contains(s.as_str()),
                "reply {text:?} should contain {s:?}"
            );
        }
    }
    // the session is still usable after refusals
    suppa_put(&mut ftp, "1404210078662001000120210104000001.jpg", &jpeg(1))
        .await
        .unwrap();
    let v = tp
        .platform
        .ingest
        .event_by_name("1404210078662001000120210104000001.jpg")
        .await
        .unwrap();
    assert!(v.is_some());
    // now check the refusals in isolation
    let tp2 = TestPlatform::start().await;
    let mut ftp = suppa_login(tp2.port(), &acc.username, &acc.password).await;
    for c in &cases {
        assert!(suppa_put(&mut ftp, &c.name, &c.bytes).await.is_err());
    }
    assert_refused_cleanly(&tp2, &cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_refusals_say_why() {
    let tp = TestPlatform::start().await;
    let acc = tp.account(MINE).clone();
    let cases = refusal_cases();
    for c in &cases {
        let r = curl_upload(tp.port(), &acc.username, &acc.password, &c.name, &c.bytes).await;
        assert!(!r.ok, "{} should be refused", c.name);
        let line = r
            .stderr
            .lines()
            .find(|l| l.starts_with(&format!("< {} ", c.code)))
            .unwrap_or_else(|| panic!("no {} reply in:\n{}", c.code, r.stderr));
        for s in &c.says {
            assert!(
                line.contains(s.as_str()),
                "curl saw {line:?}, should contain {s:?}"
            );
        }
    }
    assert_refused_cleanly(&tp, &cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reupload_is_idempotent_and_conflict_keeps_the_original() {
    let tp = TestPlatform::start().await;
    let acc = tp.account(MINE).clone();
    let name = "1404210078662001000520210104224515.jpg";
    let original = jpeg(1);
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    suppa_put(&mut ftp, name, &original).await.unwrap();
    suppa_put(&mut ftp, name, &original).await.unwrap();
    let r = curl_upload(tp.port(), &acc.username, &acc.password, name, &original).await;
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(tp.platform.ingest.count_events().await.unwrap(), 1);
    let m = tp.platform.ingest.metrics();
    assert_eq!(
        m.duplicate_count(eseal_platform::ingest::Channel::Ftp, "U1"),
        2
    );
    assert_eq!(
        m.accepted_count(eseal_platform::ingest::Channel::Ftp, "U1"),
        1
    );

    let e = suppa_put(&mut ftp, name, &jpeg(2))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("[553]") && e.contains("already accepted"), "{e}");
    let ev = tp
        .platform
        .ingest
        .event_by_name(name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.sha256, sha256_hex(&original));
    assert_eq!(
        tp.platform.ingest.evidence().read(&ev.sha256).unwrap(),
        original
    );
    assert_eq!(tp.evidence_files().len(), 1);
    let v = tp.platform.ingest.violations().await.unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].kind, "conflict");
    assert_eq!(v[0].sha256.as_deref(), Some(sha256_hex(&jpeg(2)).as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_mid_upload_stores_nothing() {
    let tp = TestPlatform::start().await;
    let acc = tp.account(MINE).clone();
    let name = "14042100786610030120210104121546.mp4";
    let clip = h264_mp4();
    let mut raw = RawFtp::login(tp.port(), &acc.username, &acc.password).await;
    let mut data = raw.stor(name).await;
    data.write_all(&clip[..clip.len() / 2]).await.unwrap();
    data.flush().await.unwrap();
    data.set_zero_linger().unwrap();
    drop(data); // RST
    let reply = raw.reply().await;
    assert!(
        reply.starts_with("426 ") && reply.contains("aborted"),
        "{reply}"
    );
    assert_eq!(tp.platform.ingest.count_events().await.unwrap(), 0);
    assert!(tp.evidence_files().is_empty());
    let v = tp.platform.ingest.violations().await.unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].kind, "aborted");

    // A clean close after half the bytes is a short file: refused for its content.
    let mut data = raw.stor(name).await;
    data.write_all(&clip[..clip.len() / 2]).await.unwrap();
    data.shutdown().await.unwrap();
    drop(data);
    let reply = raw.reply().await;
    assert!(reply.starts_with("551 content: MP4"), "{reply}");
    assert_eq!(tp.platform.ingest.count_events().await.unwrap(), 0);
    assert!(tp.evidence_files().is_empty());
    assert!(tp.tmp_files().is_empty());

    // and the whole clip afterwards is fine
    let mut data = raw.stor(name).await;
    data.write_all(&clip).await.unwrap();
    data.shutdown().await.unwrap();
    drop(data);
    assert!(raw.reply().await.starts_with("226"));
    assert_eq!(tp.platform.ingest.count_events().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_shutdown_mid_upload_stores_nothing() {
    let mut tp = TestPlatform::start().await;
    let acc = tp.account(MINE).clone();
    let clip = h264_mp4();
    let mut raw = RawFtp::login(tp.port(), &acc.username, &acc.password).await;
    let mut data = raw.stor("14042100786610030120210104121546.mp4").await;
    data.write_all(&clip[..clip.len() / 2]).await.unwrap();
    data.flush().await.unwrap();
    let ftp = tp.platform.ftp.take().unwrap();
    tokio::time::timeout(Duration::from_secs(10), ftp.shutdown())
        .await
        .unwrap()
        .unwrap();
    drop(data);
    drop(raw);
    assert_eq!(tp.platform.ingest.count_events().await.unwrap(), 0);
    assert!(tp.evidence_files().is_empty());
    // what a restart finds: spooled leftovers are cleared
    let _again = eseal_platform::evidence::EvidenceStore::open(tp.dir.path()).unwrap();
    assert!(tp.tmp_files().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_large_is_refused_with_552() {
    let tp = TestPlatform::start_with(|b| b.max_upload_size(2048)).await;
    let acc = tp.account(MINE).clone();
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    let big: Vec<u8> = jpeg(1).into_iter().cycle().take(100_000).collect();
    let e = suppa_put(&mut ftp, "1404210078662001000520210104224515.jpg", &big)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("[552]") && e.contains("2048 bytes"), "{e}");
    let v = tp.platform.ingest.violations().await.unwrap();
    assert_eq!(v[0].kind, "too_large");
    assert_eq!(tp.platform.ingest.count_events().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_command_line_closes_the_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tp = TestPlatform::start().await;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", tp.port()))
        .await
        .unwrap();
    let mut greeting = [0u8; 64];
    let n = s.read(&mut greeting).await.unwrap();
    assert!(greeting[..n].starts_with(b"220"));
    // 1 MiB without a line end: the front must hang up rather than buffer it.
    let chunk = vec![b'A'; 64 * 1024];
    let mut closed = false;
    for _ in 0..16 {
        if s.write_all(&chunk).await.is_err() {
            closed = true;
            break;
        }
    }
    if !closed {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut rest)).await;
        closed = matches!(read, Ok(Ok(_)) | Ok(Err(_)));
    }
    assert!(closed, "the server kept reading a 1 MiB command line");
    // The server still serves others.
    let acc = tp.account(MINE).clone();
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    suppa_put(&mut ftp, "1404210078662001000120261128101010.jpg", &jpeg(3))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_refused() {
    let tp = TestPlatform::start().await;
    let acc = tp.account(MINE).clone();
    let mut ftp = Ftp::connect(("127.0.0.1", tp.port())).await.unwrap();
    let e = ftp
        .login(acc.username.as_str(), "not-the-password")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("530"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_concurrent_clients() {
    let tp = TestPlatform::start().await;
    let acc = tp.account(MINE).clone();
    let port = tp.port();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 1..=16u8 {
        let (user, pass) = (acc.username.clone(), acc.password.clone());
        tasks.spawn(async move {
            let mut ftp = suppa_login(port, &user, &pass).await;
            let name = format!("{MINE}2001{:04}202101042245{:02}.jpg", i, i);
            suppa_put(&mut ftp, &name, &jpeg(i))
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            ftp.quit().await.unwrap();
            name
        });
    }
    let mut names = Vec::new();
    while let Some(r) = tasks.join_next().await {
        names.push(r.unwrap());
    }
    assert_eq!(tp.platform.ingest.count_events().await.unwrap(), 16);
    for (i, name) in names.iter().enumerate() {
        let e = tp
            .platform
            .ingest
            .event_by_name(name)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{name} missing ({i})"));
        assert_eq!(e.clause, "U1");
    }
    assert_eq!(tp.evidence_files().len(), 16);
}

/// libunftp alone only accepts data connections from the control connection's address, which
/// behind the front is always 127.0.0.1; the front relays them, so a client at any address
/// works, and a data connection from a different address than the client's is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passive_data_from_a_non_loopback_style_client_address() {
    let tp = TestPlatform::start_with(|b| b.ftp_addr("127.0.0.2:0".parse().unwrap())).await;
    let server = tp.platform.ftp_addr().unwrap();
    let acc = tp.account(MINE).clone();
    let client_ip: std::net::IpAddr = "127.0.0.3".parse().unwrap();
    let mut raw = RawFtp::login_from(client_ip, server, &acc.username, &acc.password).await;
    let reply = raw.cmd("PASV").await;
    let data_addr = pasv_addr(&reply);
    assert_eq!(
        data_addr.ip().to_string(),
        "127.0.0.2",
        "advertises the address the client reached: {reply}"
    );

    // a stranger connecting first is dropped; the client's own connection is relayed
    let mut stranger = connect_from("127.0.0.4".parse().unwrap(), data_addr)
        .await
        .unwrap();
    let mut buf = [0u8; 1];
    let n = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::AsyncReadExt::read(&mut stranger, &mut buf),
    )
    .await
    .unwrap();
    assert!(
        matches!(n, Ok(0) | Err(_)),
        "stranger's data connection must be closed"
    );
    let mut data = connect_from(client_ip, data_addr).await.unwrap();
    let name = "1404210078662001000520210104224515.jpg";
    let r = raw.cmd(&format!("STOR {name}")).await;
    assert!(r.starts_with("150"), "{r}");
    let bytes = jpeg(7);
    data.write_all(&bytes).await.unwrap();
    data.shutdown().await.unwrap();
    drop(data);
    let r = raw.reply().await;
    assert!(r.starts_with("226"), "{r}");
    let e = tp
        .platform
        .ingest
        .event_by_name(name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.sha256, sha256_hex(&bytes));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_passive_host_is_advertised() {
    let tp =
        TestPlatform::start_with(|b| b.passive_host(Some("192.0.2.10".parse().unwrap()))).await;
    let acc = tp.account(MINE).clone();
    let mut raw = RawFtp::login(tp.port(), &acc.username, &acc.password).await;
    let reply = raw.cmd("PASV").await;
    assert_eq!(pasv_addr(&reply).ip().to_string(), "192.0.2.10", "{reply}");
    let reply = raw.cmd("EPSV").await;
    assert!(
        reply.starts_with("229 Entering Extended Passive Mode (|||"),
        "{reply}"
    );
}
