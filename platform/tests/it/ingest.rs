//! The ingest API as the HTTPS side uses it (U5), and its race behaviour.

use eseal_platform::ingest::{Channel, RefusalKind, Upload, UploadBody};
use serde_json::json;

use crate::support::*;

const U5: &str = "14042100786610000120210104121546.mp4";

fn meta(file_name: &str, state: &str) -> serde_json::Value {
    json!({"mine_code": MINE, "lock_code": "10", "lock_state": state, "time": "20210104121546", "file_name": file_name})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn u5_over_https_with_metadata() {
    let tp = TestPlatform::start().await;
    let ingest = &tp.platform.ingest;
    let account = tp
        .platform
        .accounts
        .verify_token(&tp.account(MINE).token)
        .await
        .unwrap()
        .unwrap();
    let clip = h264_mp4();
    let up = |metadata, channel| Upload {
        account: &account,
        channel,
        name: U5,
        body: UploadBody::Bytes(clip.clone()),
        metadata,
    };

    // U5 by FTP is refused (the spec says HTTPS POST)
    let r = ingest
        .accept(up(Some(meta(U5, "0001")), Channel::Ftp))
        .await
        .unwrap_err();
    assert_eq!(r.kind, RefusalKind::Channel);
    // metadata that disagrees with the name is refused, naming the field
    let r = ingest
        .accept(up(Some(meta(U5, "0002")), Channel::Https))
        .await
        .unwrap_err();
    assert_eq!(r.kind, RefusalKind::Metadata);
    assert!(r.reason.starts_with("metadata: "), "{}", r.reason);
    assert!(r.violation_id > 0);
    // unknown JSON fields are refused
    let mut bad = meta(U5, "0001");
    bad["colour"] = json!("red");
    let r = ingest
        .accept(up(Some(bad), Channel::Https))
        .await
        .unwrap_err();
    assert!(r.reason.contains("colour"), "{}", r.reason);

    let a = ingest
        .accept(up(Some(meta(U5, "0001")), Channel::Https))
        .await
        .unwrap();
    assert!(!a.duplicate);
    assert_eq!(a.name, U5);
    let e = ingest.event_by_name(U5).await.unwrap().unwrap();
    assert_eq!(
        (
            e.clause.as_str(),
            e.lock_code.as_deref(),
            e.lock_state.as_deref(),
            e.channel.as_str()
        ),
        ("U5", Some("10"), Some("0001"), "https")
    );
    assert_eq!(e.camera, None);
    assert_eq!(e.metadata.unwrap()["lock_state"], "0001");
    assert_eq!(ingest.violations().await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_same_name_races_resolve_to_one_event() {
    let tp = TestPlatform::start().await;
    let ingest = tp.platform.ingest.clone();
    let account = tp
        .platform
        .accounts
        .get(&tp.account(MINE).username)
        .await
        .unwrap()
        .unwrap();
    let name = "1404210078662001000520210104224515.jpg";
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8u8 {
        let (ingest, account) = (ingest.clone(), account.clone());
        // half send the same bytes, half different ones
        let bytes = if i % 2 == 0 { jpeg(1) } else { jpeg(100 + i) };
        tasks.spawn(async move {
            ingest
                .accept(Upload {
                    account: &account,
                    channel: Channel::Ftp,
                    name,
                    body: bytes.into(),
                    metadata: None,
                })
                .await
        });
    }
    let mut outcomes = Vec::new();
    while let Some(r) = tasks.join_next().await {
        outcomes.push(r.unwrap());
    }
    assert_eq!(ingest.count_events().await.unwrap(), 1);
    let winner = ingest.event_by_name(name).await.unwrap().unwrap();
    let accepted: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert!(
        accepted
            .iter()
            .all(|a| a.sha256 == winner.sha256 && a.event_id == winner.id)
    );
    assert_eq!(accepted.iter().filter(|a| !a.duplicate).count(), 1);
    for r in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert_eq!(r.kind, RefusalKind::Conflict);
    }
    // only the winner's bytes are evidence
    assert_eq!(tp.evidence_files().len(), 1);
    assert_eq!(
        tp.platform
            .ingest
            .evidence()
            .read(&winner.sha256)
            .unwrap()
            .len() as u64,
        std::fs::metadata(&tp.evidence_files()[0]).unwrap().len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_with_dotdot_are_refused() {
    let tp = TestPlatform::start().await;
    let account = tp
        .platform
        .accounts
        .get(&tp.account(MINE).username)
        .await
        .unwrap()
        .unwrap();
    let r = tp
        .platform
        .ingest
        .accept(Upload {
            account: &account,
            channel: Channel::Ftp,
            name: "/incoming/../1404210078662001000520210104224515.jpg",
            body: jpeg(1).into(),
            metadata: None,
        })
        .await
        .unwrap_err();
    assert_eq!(r.kind, RefusalKind::Name);
    assert!(r.reason.contains(".."), "{}", r.reason);
}

/// A crash between an evidence file's rename and its event's commit leaves a file no event
/// references (and a crash inside the atomic write a `.incoming-*` temp file). Start-up moves
/// them to `quarantine/orphans/` (never deletes them) and keeps every referenced file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_evidence_is_quarantined_at_start_up() {
    let tp = TestPlatform::start().await;
    assert_eq!(tp.platform.ingest.orphan_sweep().moved(), 0);
    let acc = tp.account(MINE).clone();
    let name = "1404210078662001000520210104224515.jpg";
    let kept = jpeg(1);
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    suppa_put(&mut ftp, name, &kept).await.unwrap();
    let _ = ftp.quit().await;
    let kept_sha = sha256_hex(&kept);
    let evidence_dir = tp.dir.path().join("evidence");
    let kept_path = evidence_dir.join(&kept_sha[..2]).join(&kept_sha);
    assert_eq!(std::fs::read(&kept_path).unwrap(), kept);

    // a clean restart moves nothing
    let tp = tp.restart().await;
    assert_eq!(tp.platform.ingest.orphan_sweep(), Default::default());
    let db = tp.platform.config.database_path();
    let (dir, config) = tp.stop().await;

    // What a crash leaves behind: a blob renamed into place whose event never committed,
    let plant = |bytes: &[u8]| {
        let sha = sha256_hex(bytes);
        std::fs::create_dir_all(evidence_dir.join(&sha[..2])).unwrap();
        std::fs::write(evidence_dir.join(&sha[..2]).join(&sha), bytes).unwrap();
        sha
    };
    plant(&jpeg(2));
    // a half-written temp file of the atomic write, beside a referenced blob,
    std::fs::write(kept_path.with_file_name(".incoming-Xy12Ab"), &kept[..10]).unwrap();
    // and an evidence row that no event references, with its file.
    let rowless = plant(&jpeg(3));
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute(
        "INSERT INTO evidence (sha256, size, media_type, stored_at) VALUES (?1, ?2, 'image/jpeg', '2021-01-04T14:45:15.000Z')",
        rusqlite::params![rowless, jpeg(3).len() as i64],
    )
    .unwrap();
    drop(c);
    assert_eq!(files_under(&evidence_dir).len(), 4);

    let tp = TestPlatform::resume(dir, config).await;
    let sweep = tp.platform.ingest.orphan_sweep();
    assert_eq!(
        (
            sweep.blobs_moved,
            sweep.others_moved,
            sweep.rows_deleted,
            sweep.move_failed,
            sweep.missing
        ),
        (2, 1, 1, 0, 0),
        "{sweep:?}"
    );
    // the referenced blob stays, and is the only file left
    assert_eq!(tp.evidence_files(), vec![kept_path.clone()]);
    assert_eq!(std::fs::read(&kept_path).unwrap(), kept);
    assert_eq!(tp.platform.ingest.count_evidence().await.unwrap(), 1);
    // the others are in quarantine/orphans, whole
    let orphans = tp.dir.path().join("quarantine/orphans");
    assert_eq!(
        std::fs::read(orphans.join(sha256_hex(&jpeg(2)))).unwrap(),
        jpeg(2)
    );
    assert_eq!(
        std::fs::read(orphans.join(sha256_hex(&jpeg(3)))).unwrap(),
        jpeg(3)
    );
    assert_eq!(
        std::fs::read(orphans.join("incoming-Xy12Ab")).unwrap(),
        &kept[..10]
    );
    assert_eq!(files_under(&orphans).len(), 3);
    assert!(tp.platform.ingest.violations().await.unwrap().is_empty());

    // the platform works on: the event is listed, and the orphan's bytes upload as new evidence
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    let listed = ftp.nlst(None).await.unwrap();
    assert!(listed.iter().any(|n| n.ends_with(name)), "{listed:?}");
    suppa_put(&mut ftp, "1404210078662001000620210104224516.jpg", &jpeg(2))
        .await
        .unwrap();
    let _ = ftp.quit().await;
    assert_eq!(tp.evidence_files().len(), 2);
    assert_eq!(tp.platform.ingest.count_evidence().await.unwrap(), 2);
}
