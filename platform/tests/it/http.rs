//! The HTTPS API: handlers in process with `Router::oneshot` (error shapes, scoping, filters),
//! and a real TLS server on `127.0.0.1:0` driven by reqwest, trusting the platform's
//! self-signed certificate (U5 lock events, U6 stream registration).

use std::path::PathBuf;
use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use eseal_platform::accounts::Accounts;
use eseal_platform::config::PlatformConfig;
use eseal_platform::http::{self, AppState};
use eseal_platform::ingest::Ingest;
use eseal_platform::store::Store;
use eseal_protocol::MineCode;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const MINE_A: &str = "140421007866";
const MINE_B: &str = "140421007867";
const ADMIN: &str = "admin-token-for-tests";
/// U5 name of mine A: hoist lock 10 moved (0001) at 2021-01-04 12:15:46 CST.
const NAME_A: &str = "14042100786610000120210104121546.mp4";
const BOUNDARY: &str = "eseal-test-boundary";

/// A 10-second 64×48 H.264 MP4 made once per test run with GStreamer (never committed).
fn clip() -> &'static [u8] {
    static CLIP: OnceLock<Vec<u8>> = OnceLock::new();
    CLIP.get_or_init(|| make_clip("smpte"))
}

/// Another clip, with different bytes.
fn other_clip() -> &'static [u8] {
    static CLIP: OnceLock<Vec<u8>> = OnceLock::new();
    CLIP.get_or_init(|| make_clip("ball"))
}

fn make_clip(pattern: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    let status = std::process::Command::new("gst-launch-1.0")
        .args([
            "-q",
            "videotestsrc",
            &format!("pattern={pattern}"),
            "num-buffers=100",
            "!",
            "video/x-raw,width=64,height=48,framerate=10/1",
        ])
        .args([
            "!",
            "videoconvert",
            "!",
            "video/x-raw,format=I420",
            "!",
            "x264enc",
            "!",
            "mp4mux",
            "!",
            "filesink",
        ])
        .arg(format!("location={}", path.display()))
        .status()
        .expect("gst-launch-1.0 must be installed (scripts/setup.sh)");
    assert!(
        status.success(),
        "gst-launch-1.0 failed to make the test clip"
    );
    std::fs::read(&path).unwrap()
}

struct Fixture {
    dir: tempfile::TempDir,
    state: AppState,
    token_a: String,
    token_b: String,
}

impl Fixture {
    fn app(&self) -> Router {
        http::router(self.state.clone())
    }

    fn config(&self) -> PlatformConfig {
        PlatformConfig::builder()
            .data_dir(self.dir.path())
            .https_addr("127.0.0.1:0".parse().unwrap())
            .build()
            .unwrap()
    }
}

async fn fixture() -> Fixture {
    fixture_with(64 << 20).await
}

async fn fixture_with(max_upload_size: u64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_async(dir.path().join("platform.sqlite3"))
        .await
        .unwrap();
    store
        .call(|c| {
            c.execute_batch(&format!(
                "INSERT INTO regions (code, name, level, parent) VALUES ('140421', '长治市上党区', 'county', NULL);
                 INSERT INTO mines (code, name, county, state) VALUES ('{MINE_A}', 'A', '140421', '停产');
                 INSERT INTO mines (code, name, county, state) VALUES ('{MINE_B}', 'B', '140421', '停产');"
            ))?;
            Ok(())
        })
        .await
        .unwrap();
    let accounts = Accounts::new(store.clone());
    let token_a = accounts
        .create_account(&MineCode::parse(MINE_A).unwrap())
        .await
        .unwrap()
        .token;
    let token_b = accounts
        .create_account(&MineCode::parse(MINE_B).unwrap())
        .await
        .unwrap()
        .token;
    let data_dir: PathBuf = dir.path().to_owned();
    let ingest = tokio::task::spawn_blocking(move || Ingest::new(store, data_dir, max_upload_size))
        .await
        .unwrap()
        .unwrap();
    let state = AppState::new(ingest).with_admin_token(ADMIN);
    Fixture {
        dir,
        state,
        token_a,
        token_b,
    }
}

fn metadata(name: &str) -> Value {
    json!({
        "mine_code": &name[0..12], "lock_code": &name[12..14], "lock_state": &name[14..18],
        "time": &name[18..32], "file_name": name, "duration_s": 10.0,
        "device_id": "edge-01", "description": "提升机电子锁被挪动"
    })
}

/// A multipart/form-data body with the given parts: (part name, filename, content type, bytes).
fn multipart(parts: &[(&str, Option<&str>, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, ct, bytes) in parts {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
        );
        if let Some(f) = filename {
            body.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
        }
        body.extend_from_slice(format!("\r\nContent-Type: {ct}\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn lock_event_body(meta: &Value, filename: &str, video: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(meta).unwrap();
    multipart(&[
        ("metadata", None, "application/json", &json),
        ("video", Some(filename), "video/mp4", video),
    ])
}

fn post_lock_event(token: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut r = Request::post("/api/v1/lock-events").header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::from(body)).unwrap()
}

fn get(uri: &str, token: Option<&str>) -> Request<Body> {
    let mut r = Request::get(uri);
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::empty()).unwrap()
}

fn put_json(uri: &str, token: &str, body: &Value) -> Request<Body> {
    Request::put(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

/// Sends one request in process; returns the status and the body (JSON, or a JSON string).
async fn call(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, body)
}

/// Asserts the one error shape and returns the detail.
fn error(body: &Value, code: &str, field: Option<&str>) -> Value {
    let e = body
        .get("error")
        .unwrap_or_else(|| panic!("not an error body: {body}"));
    assert_eq!(e["code"], code, "{body}");
    if let Some(f) = field {
        assert_eq!(e["field"], f, "{body}");
        assert!(
            e["message"].as_str().unwrap().contains(f),
            "message should name {f}: {body}"
        );
    }
    e.clone()
}

#[tokio::test]
async fn missing_or_unknown_token_is_401() {
    let f = fixture().await;
    let app = f.app();
    let (status, body) = call(&app, get("/api/v1/events", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    error(&body, "unauthorized", Some("Authorization"));
    let (status, _) = call(&app, get("/api/v1/events", Some("nope"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // An unauthenticated upload is refused and still recorded.
    let (status, body) = call(
        &app,
        post_lock_event(None, lock_event_body(&metadata(NAME_A), NAME_A, b"x")),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let id = error(&body, "unauthorized", Some("Authorization"))["violation_id"]
        .as_i64()
        .expect("violation id");
    let (status, v) = call(&app, get(&format!("/api/v1/violations/{id}"), Some(ADMIN))).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["kind"].as_str(), v["clause"].as_str()),
        (Some("auth"), Some("U7"))
    );
}

#[tokio::test]
async fn a_mine_token_reads_only_its_mine() {
    let f = fixture().await;
    let app = f.app();
    let (status, body) = call(
        &app,
        get(&format!("/api/v1/events?mine={MINE_B}"), Some(&f.token_a)),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    error(&body, "forbidden", Some("mine"));
    let (status, body) = call(
        &app,
        get(
            &format!("/api/v1/violations?mine={MINE_B}"),
            Some(&f.token_a),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = call(
        &app,
        get(&format!("/api/v1/streams?mine={MINE_B}"), Some(&f.token_a)),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &app,
        get(&format!("/api/v1/events?mine={MINE_B}"), Some(ADMIN)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Registering a stream for another mine is refused and recorded.
    let reg = json!({"mine_code": MINE_B, "camera_code": "20", "url": "http://10.0.0.5:8080/?action=stream"});
    let uri = format!("/api/v1/mines/{MINE_B}/cameras/20/stream");
    let (status, body) = call(&app, put_json(&uri, &f.token_a, &reg)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    error(&body, "forbidden", Some("mine"));
    let (_, v) = call(
        &app,
        get("/api/v1/violations?kind=mine_mismatch", Some(&f.token_a)),
    )
    .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1, "{v}");
}

#[tokio::test]
async fn bad_json_member_is_422_naming_it_and_recorded() {
    let f = fixture().await;
    let app = f.app();
    let mut meta = metadata(NAME_A);
    meta["lock_state"] = json!("0003");
    let (status, body) = call(
        &app,
        post_lock_event(Some(&f.token_a), lock_event_body(&meta, NAME_A, clip())),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let e = error(&body, "invalid_metadata", Some("lock_state"));
    assert_eq!(e["clause"], "U5");

    let mut meta = metadata(NAME_A);
    meta.as_object_mut().unwrap().remove("time");
    let (status, body) = call(
        &app,
        post_lock_event(Some(&f.token_a), lock_event_body(&meta, NAME_A, clip())),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    error(&body, "invalid_metadata", Some("time"));

    let mut meta = metadata(NAME_A);
    meta["colour"] = json!("red");
    let (_, body) = call(
        &app,
        post_lock_event(Some(&f.token_a), lock_event_body(&meta, NAME_A, clip())),
    )
    .await;
    error(&body, "invalid_metadata", Some("colour"));

    // Not JSON at all, and missing parts.
    let raw = multipart(&[
        ("metadata", None, "application/json", b"{oops"),
        ("video", Some(NAME_A), "video/mp4", clip()),
    ]);
    let (status, body) = call(&app, post_lock_event(Some(&f.token_a), raw)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    error(&body, "invalid_json", Some("metadata"));
    let only_meta = multipart(&[(
        "metadata",
        None,
        "application/json",
        &serde_json::to_vec(&metadata(NAME_A)).unwrap(),
    )]);
    let (_, body) = call(&app, post_lock_event(Some(&f.token_a), only_meta)).await;
    error(&body, "missing_part", Some("video"));
    let (_, body) = call(
        &app,
        post_lock_event(
            Some(&f.token_a),
            multipart(&[("video", Some(NAME_A), "video/mp4", clip())]),
        ),
    )
    .await;
    error(&body, "missing_part", Some("metadata"));

    // Every one of them is a violation of mine A, visible to mine A.
    let (status, v) = call(&app, get("/api/v1/violations?clause=U5", Some(&f.token_a))).await;
    assert_eq!(status, StatusCode::OK);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "{v}");
    assert_eq!(items[0]["field"], "lock_state");
    assert_eq!(items[0]["kind"], "metadata");
    assert_eq!(items[0]["mine"], MINE_A);
    assert_eq!(items[0]["name"], NAME_A);
    assert_eq!(items[0]["sha256"].as_str().map(str::len), Some(64));
    let (_, none) = call(&app, get("/api/v1/events", Some(&f.token_a))).await;
    assert_eq!(none["items"], json!([]));
}

#[tokio::test]
async fn query_parameters_are_checked_and_named() {
    let f = fixture().await;
    let app = f.app();
    for (uri, field) in [
        ("/api/v1/events?type=06", "type"),
        ("/api/v1/events?limit=5000", "limit"),
        ("/api/v1/events?limit=0", "limit"),
        ("/api/v1/events?from=yesterday", "from"),
        ("/api/v1/events?to=2021-13-01T00:00:00Z", "to"),
        ("/api/v1/events?camera=99", "camera"),
        ("/api/v1/events?mine=1404", "mine"),
        ("/api/v1/events?cursor=abc", "cursor"),
        ("/api/v1/events?colour=red", "colour"),
        ("/api/v1/violations?limit=1001", "limit"),
    ] {
        let (status, body) = call(&app, get(uri, Some(ADMIN))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["error"]["field"], field, "{uri}: {body}");
    }
    let (status, body) = call(
        &app,
        get(
            "/api/v1/events?type=U5&from=20210101000000&to=2021-02-01T00:00:00Z&limit=10",
            Some(ADMIN),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(&app, get("/api/v1/events/999", Some(ADMIN))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    error(&body, "not_found", Some("id"));
    let (status, body) = call(&app, get("/api/v1/nowhere", None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    error(&body, "not_found", None);
}

#[tokio::test]
async fn ops_endpoints() {
    let f = fixture().await;
    let app = f.app();
    let (status, body) = call(&app, get("/healthz", None)).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"status": "ok", "db": "ok"}))
    );
    let (status, body) = call(&app, get("/openapi.json", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        serde_json::from_str::<Value>(http::openapi_json_text()).unwrap()
    );
    let _ = call(&app, get("/api/v1/events", None)).await;
    let (status, body) = call(&app, get("/metrics", None)).await;
    assert_eq!(status, StatusCode::OK);
    let text = body.as_str().unwrap();
    assert!(
        text.contains(
            "eseal_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("route=\"/api/v1/events\",status=\"401\"} 1"),
        "{text}"
    );
}

/// The whole U5/U6 exchange over real TLS, trusting the platform's generated certificate.
#[tokio::test]
async fn https_end_to_end() {
    let f = fixture().await;
    let config = f.config();
    let server = http::serve_https(&config, f.state.clone()).await.unwrap();
    assert_ne!(server.addr.port(), 0);
    assert!(config.data_dir.join("tls/cert.pem").is_file());
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&server.cert_pem).unwrap()])
        .build()
        .unwrap();
    let base = format!("https://127.0.0.1:{}", server.addr.port());
    let auth = |t: &str| format!("Bearer {t}");
    let form = |meta: &Value, filename: &str| {
        reqwest::multipart::Form::new()
            .part(
                "metadata",
                reqwest::multipart::Part::text(meta.to_string())
                    .mime_str("application/json")
                    .unwrap(),
            )
            .part(
                "video",
                reqwest::multipart::Part::bytes(clip().to_vec())
                    .file_name(filename.to_owned())
                    .mime_str("video/mp4")
                    .unwrap(),
            )
    };

    // U5: a lock event is accepted (201) ...
    let resp = client
        .post(format!("{base}/api/v1/lock-events"))
        .header("Authorization", auth(&f.token_a))
        .multipart(form(&metadata(NAME_A), NAME_A))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let accepted: Value = resp.json().await.unwrap();
    assert_eq!(accepted["name"], NAME_A);
    assert_eq!(accepted["duplicate"], false);
    let sha = accepted["sha256"].as_str().unwrap().to_owned();
    let event_id = accepted["event_id"].as_i64().unwrap();

    // ... appears in the event listing with every field ...
    let events: Value = client
        .get(format!("{base}/api/v1/events?type=U5"))
        .header("Authorization", auth(&f.token_a))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let e = &events["items"][0];
    assert_eq!(events["items"].as_array().unwrap().len(), 1, "{events}");
    assert_eq!(e["id"], event_id);
    assert_eq!(e["clause"], "U5");
    assert_eq!(e["mine"], MINE_A);
    assert_eq!(e["lock_code"], "10");
    assert_eq!(e["lock_state"], "0001");
    assert_eq!(e["mine_time"], "20210104121546");
    assert_eq!(e["event_utc"], "2021-01-04T04:15:46Z");
    assert_eq!(e["channel"], "https");
    assert_eq!(e["sha256"], sha.as_str());
    assert_eq!(e["findings"], json!([]));
    assert_eq!(e["metadata"]["device_id"], "edge-01");
    assert_eq!(e["evidence"]["media_type"], "video/mp4");
    assert!(
        e["evidence"]["duration_ms"].as_i64().unwrap() >= 9_500,
        "{e}"
    );
    assert!(e["received_at"].as_str().unwrap().ends_with('Z'));
    let by_time: Value = client
        .get(format!(
            "{base}/api/v1/events?from=20210104121546&to=20210104121547&camera=10"
        ))
        .header("Authorization", auth(ADMIN))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // U5 events have no camera: the camera filter excludes them.
    assert_eq!(by_time["items"], json!([]));

    // ... its evidence streams back with its media type (not to another mine) ...
    let blob = client
        .get(format!("{base}/api/v1/evidence/{sha}"))
        .header("Authorization", auth(&f.token_a))
        .send()
        .await
        .unwrap();
    assert_eq!(blob.status(), 200);
    assert_eq!(blob.headers()["content-type"], "video/mp4");
    assert_eq!(blob.bytes().await.unwrap().as_ref(), clip());
    let other = client
        .get(format!("{base}/api/v1/evidence/{sha}"))
        .header("Authorization", auth(&f.token_b))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);

    // ... and re-posting it is idempotent (200, same event).
    let resp = client
        .post(format!("{base}/api/v1/lock-events"))
        .header("Authorization", auth(&f.token_a))
        .multipart(form(&metadata(NAME_A), NAME_A))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let again: Value = resp.json().await.unwrap();
    assert_eq!(
        (again["event_id"].as_i64(), again["duplicate"].as_bool()),
        (Some(event_id), Some(true))
    );

    // A name that disagrees with the JSON is refused, the field named, and recorded.
    let name2 = "14042100786610000220210104121600.mp4";
    let mut meta = metadata(name2);
    meta["lock_state"] = json!("0001");
    let resp = client
        .post(format!("{base}/api/v1/lock-events"))
        .header("Authorization", auth(&f.token_a))
        .multipart(form(&meta, name2))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    let detail = error(&body, "name_mismatch", Some("lock_state"));
    let vid = detail["violation_id"].as_i64().unwrap();
    let violations: Value = client
        .get(format!("{base}/api/v1/violations?kind=metadata"))
        .header("Authorization", auth(&f.token_a))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let v = violations["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == vid)
        .expect("violation listed");
    assert_eq!(v["name"], name2);
    assert_eq!(v["field"], "lock_state");
    assert_eq!(v["clause"], "U5");
    assert_eq!(v["channel"], "https");

    // U6: register a stream (201, revision 1), again unchanged (200, revision 1), then move it
    // (200, revision 2); the history has every registration.
    let uri = format!("{base}/api/v1/mines/{MINE_A}/cameras/20/stream");
    let put = |url: &str| {
        client
            .put(&uri)
            .header("Authorization", auth(&f.token_a))
            .json(&json!({"mine_code": MINE_A, "camera_code": "20", "url": url, "codec": "mjpeg"}))
            .send()
    };
    let r1 = put("http://10.0.0.5:8080/?action=stream").await.unwrap();
    assert_eq!(r1.status(), 201);
    let r1: Value = r1.json().await.unwrap();
    assert_eq!(
        (r1["revision"].as_i64(), r1["change"].as_str()),
        (Some(1), Some("created"))
    );
    let r1b = put("http://10.0.0.5:8080/?action=stream").await.unwrap();
    assert_eq!(r1b.status(), 200);
    assert_eq!(r1b.json::<Value>().await.unwrap()["revision"], 1);
    let r2 = put("http://10.0.0.6:8080/?action=stream").await.unwrap();
    assert_eq!(r2.status(), 200);
    let r2: Value = r2.json().await.unwrap();
    assert_eq!(
        (r2["revision"].as_i64(), r2["change"].as_str()),
        (Some(2), Some("updated"))
    );
    let detail: Value = client
        .get(&uri)
        .header("Authorization", auth(&f.token_a))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["url"], "http://10.0.0.6:8080/?action=stream");
    let urls: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        [
            "http://10.0.0.5:8080/?action=stream",
            "http://10.0.0.5:8080/?action=stream",
            "http://10.0.0.6:8080/?action=stream"
        ]
    );
    let list: Value = client
        .get(format!("{base}/api/v1/streams"))
        .header("Authorization", auth(&f.token_a))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // The address the registration came from is kept (U6: the stream should be the device's).
    assert_eq!(list["items"][0]["peer"], "127.0.0.1", "{list}");
    assert!(
        detail["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["peer"] == "127.0.0.1"),
        "{detail}"
    );

    // A bad URL and a body that disagrees with the path are refused with the field named.
    let bad = client
        .put(&uri)
        .header("Authorization", auth(&f.token_a))
        .json(&json!({"mine_code": MINE_A, "camera_code": "20", "url": "rtsp://cam/stream"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    error(
        &bad.json::<Value>().await.unwrap(),
        "invalid_body",
        Some("url"),
    );
    let bad = client
        .put(&uri)
        .header("Authorization", auth(&f.token_a))
        .json(&json!({"mine_code": MINE_A, "camera_code": "30", "url": "http://h/"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    error(
        &bad.json::<Value>().await.unwrap(),
        "path_mismatch",
        Some("camera_code"),
    );

    // The certificate stays the same across a restart of the server.
    let fingerprint = server.fingerprint_sha256.clone();
    server.shutdown(std::time::Duration::from_secs(1));
    server.stopped().await.unwrap();
    let again = http::serve_https(&config, f.state.clone()).await.unwrap();
    assert_eq!(again.fingerprint_sha256, fingerprint);
    let health = client
        .get(format!("https://127.0.0.1:{}/healthz", again.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    again.shutdown(std::time::Duration::from_secs(1));
}

#[tokio::test]
async fn same_name_other_bytes_is_a_409_conflict() {
    let f = fixture().await;
    let app = f.app();
    let body = lock_event_body(&metadata(NAME_A), NAME_A, clip());
    let (status, _) = call(&app, post_lock_event(Some(&f.token_a), body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let body = lock_event_body(&metadata(NAME_A), NAME_A, other_clip());
    let (status, body) = call(&app, post_lock_event(Some(&f.token_a), body)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let e = error(&body, "conflict", Some("file_name"));
    assert_eq!(e["clause"], "U8");
    assert!(e["violation_id"].as_i64().is_some());
    // A name of another mine is the ingest's mine check (U7).
    let name_b = "14042100786710000120210104121546.mp4";
    let body = lock_event_body(&metadata(name_b), name_b, clip());
    let (status, body) = call(&app, post_lock_event(Some(&f.token_a), body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    error(&body, "mine_mismatch", Some("mine"));
}

#[tokio::test]
async fn oversized_uploads_are_413_and_recorded() {
    let f = fixture_with(1000).await;
    let app = f.app();
    // Over the ingest's maximum: refused by the ingest.
    let (status, body) = call(
        &app,
        post_lock_event(
            Some(&f.token_a),
            lock_event_body(&metadata(NAME_A), NAME_A, clip()),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    error(&body, "too_large", Some("video"));
    // Over the request body limit (maximum + 1 MiB): refused while reading the part.
    let big = vec![0u8; (1 << 20) + 4096];
    let (status, body) = call(
        &app,
        post_lock_event(
            Some(&f.token_a),
            lock_event_body(&metadata(NAME_A), NAME_A, &big),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"]["violation_id"].as_i64().is_some(), "{body}");
    let (_, v) = call(&app, get("/api/v1/violations?kind=too_large", Some(ADMIN))).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 2, "{v}");
}
