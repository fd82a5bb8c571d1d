//! The supervision worker end to end (issue 6, P2–P4): real FTP uploads become alarms by the
//! mine's configuration, each pushed on the county's live feed; what was evaluated survives a
//! restart and nothing is raised twice.

use std::time::Duration;

use eseal_platform::supervision::push::Item;
use eseal_platform::supervision::{Actor, AlarmKind, Role, UnitCode};

use crate::support::{MINE, TestPlatform, jpeg, suppa_login, suppa_put};

/// Alarms of the platform, as the national admin sees them.
async fn alarms(tp: &TestPlatform) -> Vec<(AlarmKind, String, Vec<String>)> {
    let sup = &tp.platform.supervision;
    let admin = Actor::user("admin.000000", UnitCode::national(), Role::Admin);
    let mut v: Vec<_> = sup
        .desk()
        .list(&admin, Default::default(), sup.now())
        .await
        .unwrap()
        .into_iter()
        .map(|a| {
            let names = a
                .alarm
                .facts
                .evidence
                .iter()
                .map(|e| e.name.clone())
                .collect();
            (a.alarm.facts.kind, a.alarm.facts.message.clone(), names)
        })
        .collect();
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_raise_the_alarms_the_configuration_implies_and_push_them_to_the_county() {
    let tp = TestPlatform::start().await;
    let sup = tp.platform.supervision.clone();
    let county = Actor::user(
        "inspector.140421",
        UnitCode::parse("140421").unwrap(),
        Role::Inspector,
    );
    let other = Actor::user(
        "inspector.140924",
        UnitCode::parse("140924").unwrap(),
        Role::Inspector,
    );
    let mut feed = sup.feed().subscribe(&county, None);
    let mut other_feed = sup.feed().subscribe(&other, None);

    let acc = tp.account(MINE).clone();
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    // The demo mine is stopped without 一停四不停: nobody may go down, so the first person
    // raises 入井人数超限 (general); the third (3 over the limit of 0) raises it again as serious,
    // the fourth raises nothing (same band, same day).
    for n in 1..=4u8 {
        let name = format!("{MINE}2001000{n}20250723140322.jpg");
        suppa_put(&mut ftp, &name, &jpeg(n)).await.unwrap();
    }
    // A camera occluded (U4 type 04).
    suppa_put(&mut ftp, &format!("{MINE}200420250723140323.jpg"), &jpeg(9))
        .await
        .unwrap();

    // The worker is woken by the commits; the notices arrive without anybody asking.
    let mut got = Vec::new();
    while got.len() < 3 {
        match tokio::time::timeout(Duration::from_secs(10), feed.recv()).await {
            Ok(Some(Item::Notice(p))) => got.push(p.notice.clone()),
            other => panic!("feed: expected 3 notices, got {} then {other:?}", got.len()),
        }
    }
    let mut kinds: Vec<_> = got.iter().map(|n| (n.kind, n.message.clone())).collect();
    kinds.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        kinds,
        vec![
            (AlarmKind::PeopleOverLimit, "入井人数 1".to_owned()),
            (AlarmKind::PeopleOverLimit, "入井人数 3".to_owned()),
            (AlarmKind::CameraOccluded, "摄像头遮挡".to_owned()),
        ]
    );
    // Each alarm names the upload that raised it.
    let first = got.iter().find(|n| n.message == "入井人数 1").unwrap();
    assert_eq!(first.evidence.len(), 1);
    assert_eq!(
        first.evidence[0].name,
        format!("{MINE}2001000120250723140322.jpg")
    );
    // Another county hears nothing.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), other_feed.recv())
            .await
            .is_err(),
        "a notice of county 140421 reached county 140924's feed"
    );
    let before = alarms(&tp).await;
    assert_eq!(before.len(), 3, "{before:?}");
    let stats = sup.stats().await;
    assert_eq!(stats.evaluated, 5);

    // A restart: the cursor is durable, so nothing is evaluated or raised again.
    drop(ftp);
    let tp = tp.restart().await;
    let raised = tp.platform.supervision.catch_up().await.unwrap();
    assert!(
        raised.is_empty(),
        "raised again after a restart: {raised:?}"
    );
    assert_eq!(tp.platform.supervision.stats().await.evaluated, 0);
    assert_eq!(alarms(&tp).await, before);

    // An upload accepted after the restart is evaluated.
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    suppa_put(
        &mut ftp,
        &format!("{MINE}200520250723140324.jpg"),
        &jpeg(10),
    )
    .await
    .unwrap();
    let sup = tp.platform.supervision.clone();
    sup.catch_up().await.unwrap();
    let after = alarms(&tp).await;
    assert_eq!(after.len(), 4, "{after:?}");
    assert!(after.iter().any(|a| a.0 == AlarmKind::CameraMoved));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mine_allowed_people_down_alarms_only_beyond_its_number() {
    let tp = TestPlatform::start().await;
    let sup = tp.platform.supervision.clone();
    let mut config = eseal_platform::supervision::mines::MineConfig::new(
        eseal_protocol::MineCode::parse(MINE).unwrap(),
        "示例矿井",
        eseal_platform::supervision::mines::MineState::Stopped,
    );
    config.one_stop_four_continue = true;
    config.expected_people_per_day = Some(2);
    sup.desk()
        .file_mine(&Actor::System, config, sup.now())
        .await
        .unwrap();
    let acc = tp.account(MINE).clone();
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    for n in 1..=2u8 {
        suppa_put(
            &mut ftp,
            &format!("{MINE}2001000{n}20250723140322.jpg"),
            &jpeg(n),
        )
        .await
        .unwrap();
    }
    sup.catch_up().await.unwrap();
    assert!(alarms(&tp).await.is_empty(), "two people are allowed down");
    suppa_put(
        &mut ftp,
        &format!("{MINE}2001000320250723140322.jpg"),
        &jpeg(3),
    )
    .await
    .unwrap();
    sup.catch_up().await.unwrap();
    let a = alarms(&tp).await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].1, "入井人数 3");
}

/// A WeChat Work robot on loopback: every body it receives goes to the channel; it answers as
/// the robot does (`errcode` 0).
async fn robot() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<serde_json::Value>,
) {
    use axum::routing::post;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/cgi-bin/webhook/send",
        post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(body);
                axum::Json(serde_json::json!({"errcode": 0, "errmsg": "ok"}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/cgi-bin/webhook/send?key=SECRET"), rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_of_platform_toml_gets_the_alarms_of_its_units_only() {
    let (county_url, mut county) = robot().await;
    let (other_url, mut other) = robot().await;
    let toml = format!(
        r#"
        [[webhooks]]
        name = "county-140421"
        units = ["140421"]
        channel = {{ kind = "wecom_robot", url = "{county_url}" }}

        [[webhooks]]
        name = "county-140924"
        units = ["140924"]
        channel = {{ kind = "wecom_robot", url = "{other_url}" }}
        "#
    );
    let tp = TestPlatform::start_with(|b| b.toml(toml)).await;
    let acc = tp.account(MINE).clone();
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    // The demo mine is stopped: the first person going down raises 入井人数超限 (P14 push).
    suppa_put(
        &mut ftp,
        &format!("{MINE}2001000120250723140322.jpg"),
        &jpeg(1),
    )
    .await
    .unwrap();
    let body = tokio::time::timeout(Duration::from_secs(20), county.recv())
        .await
        .expect("the county's robot got nothing within 20 s")
        .unwrap();
    assert_eq!(body["msgtype"], "markdown", "{body}");
    let text = body["markdown"]["content"].as_str().unwrap_or_default();
    assert!(text.contains(MINE) && text.contains("入井人数"), "{text}");
    assert!(
        tokio::time::timeout(Duration::from_millis(500), other.recv())
            .await
            .is_err(),
        "an alarm of county 140421 reached county 140924's robot"
    );
}
