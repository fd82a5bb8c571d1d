//! One metrics registry for both channels: uploads over FTP (suppaftp) and over HTTPS (reqwest
//! over TLS) are each counted once, by the ingest, and `/metrics` shows both.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::Request;
use eseal_platform::http::{self, AppState};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::support::*;

/// U5 name of the spec's example mine: hoist lock 10 moved at 2021-01-04 12:15:46 CST.
const U5: &str = "14042100786610000120210104121546.mp4";

/// Every `eseal_uploads_*` and `eseal_violations_total` sample and the ingest histogram's
/// `_count`s, as `name{labels}` → value.
fn ingest_samples(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| {
            l.starts_with("eseal_uploads_")
                || l.starts_with("eseal_violations_total")
                || l.starts_with("eseal_ingest_duration_seconds_count")
        })
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_ftp_and_https_uploads_once_each() {
    let tp = TestPlatform::start_with(|b| b.https_addr("127.0.0.1:0".parse().unwrap())).await;
    let acc = tp.account(MINE).clone();

    // FTP: two new events, one idempotent re-upload, a bad name and bad content.
    let (u1, u4) = (jpeg(1), jpeg(2));
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    suppa_put(&mut ftp, "1404210078662001000520210104224515.jpg", &u1)
        .await
        .unwrap();
    suppa_put(&mut ftp, "1404210078662001000520210104224515.jpg", &u1)
        .await
        .unwrap();
    suppa_put(&mut ftp, "140421007866200420210104094515.jpg", &u4)
        .await
        .unwrap();
    let e = suppa_put(&mut ftp, "14042100786620010a0520210104224515.jpg", &u1)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("[553]") && e.contains("field count"), "{e}");
    let e = suppa_put(&mut ftp, "1404210078662001000620210104224516.jpg", &png())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("[551]"), "{e}");
    let _ = ftp.quit().await;

    // HTTPS over TLS: a new lock event, its idempotent re-post, one without a token and one
    // whose JSON disagrees with the name (both refused before the ingest).
    let state = AppState::new(tp.platform.ingest.clone());
    let server = http::serve_https(&tp.platform.config, state.clone())
        .await
        .unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&server.cert_pem).unwrap()])
        .build()
        .unwrap();
    let url = format!(
        "https://127.0.0.1:{}/api/v1/lock-events",
        server.addr.port()
    );
    let clip = h264_mp4();
    let post = |state: &str, token: Option<&str>| {
        let meta = json!({"mine_code": MINE, "lock_code": "10", "lock_state": state,
            "time": "20210104121546", "file_name": U5});
        let form = reqwest::multipart::Form::new()
            .part(
                "metadata",
                reqwest::multipart::Part::text(meta.to_string())
                    .mime_str("application/json")
                    .unwrap(),
            )
            .part(
                "video",
                reqwest::multipart::Part::bytes(clip.clone())
                    .file_name(U5)
                    .mime_str("video/mp4")
                    .unwrap(),
            );
        let mut req = client.post(&url).multipart(form);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let token = acc.token.as_str();
    assert_eq!(post("0001", Some(token)).await.unwrap().status(), 201);
    assert_eq!(post("0001", Some(token)).await.unwrap().status(), 200);
    assert_eq!(post("0001", None).await.unwrap().status(), 401);
    assert_eq!(post("0002", Some(token)).await.unwrap().status(), 422);
    server.shutdown(std::time::Duration::from_secs(5));
    server.stopped().await.unwrap();

    // GET /metrics in process, on the same state.
    let resp = http::router(state)
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();

    let expected: BTreeMap<String, String> = [
        (
            r#"eseal_uploads_accepted_total{channel="ftp",clause="U1"}"#,
            "1".to_owned(),
        ),
        (
            r#"eseal_uploads_accepted_total{channel="ftp",clause="U4"}"#,
            "1".to_owned(),
        ),
        (
            r#"eseal_uploads_accepted_total{channel="https",clause="U5"}"#,
            "1".to_owned(),
        ),
        (
            r#"eseal_uploads_duplicate_total{channel="ftp",clause="U1"}"#,
            "1".to_owned(),
        ),
        (
            r#"eseal_uploads_duplicate_total{channel="https",clause="U5"}"#,
            "1".to_owned(),
        ),
        (
            r#"eseal_uploads_refused_total{channel="ftp",clause="U1"}"#,
            "2".to_owned(),
        ),
        (
            r#"eseal_uploads_refused_total{channel="https",clause="U5"}"#,
            "1".to_owned(),
        ),
        (
            r#"eseal_uploads_refused_total{channel="https",clause="U7"}"#,
            "1".to_owned(),
        ),
        (
            r#"eseal_uploads_accepted_bytes_total{channel="ftp"}"#,
            (u1.len() + u4.len()).to_string(),
        ),
        (
            r#"eseal_uploads_accepted_bytes_total{channel="https"}"#,
            clip.len().to_string(),
        ),
        (
            r#"eseal_violations_total{channel="ftp",kind="content"}"#,
            "1".to_owned(),
        ),
        (
            r#"eseal_violations_total{channel="ftp",kind="name"}"#,
            "1".to_owned(),
        ),
        (
            r#"eseal_violations_total{channel="https",kind="auth"}"#,
            "1".to_owned(),
        ),
        (
            r#"eseal_violations_total{channel="https",kind="metadata"}"#,
            "1".to_owned(),
        ),
        // five FTP uploads reached the ingest; two HTTPS ones (the others were refused before)
        (
            r#"eseal_ingest_duration_seconds_count{channel="ftp"}"#,
            "5".to_owned(),
        ),
        (
            r#"eseal_ingest_duration_seconds_count{channel="https"}"#,
            "2".to_owned(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(ingest_samples(&text), expected, "{text}");
    for line in [
        "# TYPE eseal_uploads_accepted_total counter\n",
        "# TYPE eseal_ingest_duration_seconds histogram\n",
        "eseal_ingest_duration_seconds_bucket{channel=\"ftp\",le=\"+Inf\"} 5\n",
        "eseal_ingest_duration_seconds_bucket{channel=\"https\",le=\"+Inf\"} 2\n",
        "eseal_http_requests_total{method=\"POST\",route=\"/api/v1/lock-events\",status=\"201\"} 1\n",
        "eseal_http_requests_total{method=\"POST\",route=\"/api/v1/lock-events\",status=\"401\"} 1\n",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
    // the database agrees: every counted violation is a row
    assert_eq!(tp.platform.ingest.violations().await.unwrap().len(), 4);
}
