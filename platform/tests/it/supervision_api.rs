//! The regulators' HTTP API (issue 6) end to end: a seeded platform served over real TLS on
//! `127.0.0.1:0`, driven by reqwest trusting its self-signed certificate. Alarms are raised by
//! real FTP uploads of the demo mines (nobody is allowed down, so any U1 raises 入井人数超限)
//! followed by `Supervision::catch_up`. The workflow test also runs on PostgreSQL when
//! `ESEAL_TEST_PG_URL` is set (`scripts/postgres.sh`).

use std::collections::VecDeque;
use std::time::Duration;

use eseal_platform::demo::demo_user_password;
use eseal_platform::http::{self, AppState, HttpsHandle};
use eseal_platform::supervision::service::SupervisionSettings;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::postgres::PgSchema;
use crate::support::*;

const ADMIN: &str = "admin-token-of-the-read-api";
/// A demo mine of county 140924 (繁峙县, city 140900), outside the 140421 users' jurisdiction.
const FANSHI_MINE: &str = "140924000101";

/// A seeded platform with its HTTPS API (regulators' routes on) and a client that trusts it.
struct Api {
    tp: TestPlatform,
    https: HttpsHandle,
    client: reqwest::Client,
    base: String,
    _schema: Option<PgSchema>,
}

async fn serve(tp: &TestPlatform, supervision: bool) -> (HttpsHandle, reqwest::Client, String) {
    let mut state = AppState::new(tp.platform.ingest.clone()).with_admin_token(ADMIN);
    if supervision {
        state = state.with_supervision(tp.platform.supervision.clone());
    }
    let https = http::serve_https(&tp.platform.config, state).await.unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&https.cert_pem).unwrap()])
        .build()
        .unwrap();
    let base = format!("https://127.0.0.1:{}", https.addr.port());
    (https, client, base)
}

impl Api {
    async fn start() -> Api {
        Api::start_with(None, true).await
    }

    async fn start_with(schema: Option<PgSchema>, supervision: bool) -> Api {
        let url = schema.as_ref().map(|s| s.url.clone());
        let tp = TestPlatform::start_with(|b| {
            let b = b.https_addr("127.0.0.1:0".parse().unwrap());
            match url {
                Some(u) => b.database_url(u),
                None => b,
            }
        })
        .await;
        let (https, client, base) = serve(&tp, supervision).await;
        Api {
            tp,
            https,
            client,
            base,
            _schema: schema,
        }
    }

    /// Stops the platform and its API and starts both again on the same data directory.
    async fn restart(self) -> Api {
        self.https.shutdown(Duration::from_secs(1));
        self.https.stopped().await.unwrap();
        let tp = self.tp.restart().await;
        let (https, client, base) = serve(&tp, true).await;
        Api {
            tp,
            https,
            client,
            base,
            _schema: self._schema,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Logs a demo user in; the session token.
    async fn login(&self, username: &str) -> String {
        let (status, body) = self
            .send(
                self.client
                    .post(self.url("/api/v1/session"))
                    .json(&json!({"username": username, "password": demo_user_password(username)})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{username}: {body}");
        body["token"].as_str().unwrap().to_owned()
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        (status, body)
    }

    async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.send(self.client.get(self.url(path)).bearer_auth(token))
            .await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    async fn put(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            self.client
                .put(self.url(path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    async fn act(&self, token: &str, alarm: i64, action: Value) -> (StatusCode, Value) {
        self.post(token, &format!("/api/v1/alarms/{alarm}/actions"), action)
            .await
    }

    /// The ids of the alarms at `mine`, as the platform itself sees them.
    async fn alarms_at(&self, mine: &str) -> Vec<i64> {
        let sup = &self.tp.platform.supervision;
        let filter = eseal_platform::supervision::desk::AlarmFilter {
            mine: Some(eseal_protocol::MineCode::parse(mine).unwrap()),
            limit: Some(1000),
            ..Default::default()
        };
        sup.desk()
            .list(
                &eseal_platform::supervision::Actor::System,
                filter,
                sup.now(),
            )
            .await
            .unwrap()
            .iter()
            .map(|a| a.alarm.facts.id)
            .collect()
    }

    /// Uploads U1 "person `n` of the day went down at `mine`" by FTP with the mine's account,
    /// lets supervision evaluate it, and returns the alarms it raised. (The platform's own
    /// worker may evaluate the upload first; after `catch_up` it has been evaluated either way.)
    async fn person_down(&self, mine: &str, n: u16) -> Vec<i64> {
        let before = self.alarms_at(mine).await;
        let acc = self.tp.account(mine).clone();
        let name = format!("{mine}2001{n:04}20261128100{n:03}.jpg");
        let mut ftp = suppa_login(self.tp.port(), &acc.username, &acc.password).await;
        suppa_put(&mut ftp, &name, &jpeg(n as u8)).await.unwrap();
        let _ = ftp.quit().await;
        self.tp.platform.supervision.catch_up().await.unwrap();
        let mut raised = self.alarms_at(mine).await;
        raised.retain(|id| !before.contains(id));
        raised
    }

    /// One new alarm at `mine` (入井人数超限: the demo mines allow nobody down).
    async fn raise(&self, mine: &str) -> i64 {
        let raised = self.person_down(mine, 1).await;
        assert_eq!(raised.len(), 1, "one alarm raised at {mine}: {raised:?}");
        raised[0]
    }

    async fn upload_photo(
        &self,
        token: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> (StatusCode, Value) {
        self.send(
            self.client
                .post(self.url("/api/v1/handling-photos"))
                .bearer_auth(token)
                .header("content-type", content_type)
                .body(bytes),
        )
        .await
    }

    async fn stop(self) {
        self.https.shutdown(Duration::from_secs(1));
        self.https.stopped().await.unwrap();
        self.tp.platform.shutdown().await.unwrap();
    }
}

fn error_field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or("")
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or("")
}

// ---- the SSE feed, read by a streaming reqwest response -----------------------------------

#[derive(Debug)]
struct SseEvent {
    id: Option<u64>,
    event: String,
    data: Value,
}

struct Feed {
    resp: reqwest::Response,
    buf: String,
    ready: VecDeque<SseEvent>,
}

impl Feed {
    async fn open(api: &Api, token: &str, last_event_id: Option<u64>) -> Feed {
        let mut req = api.client.get(api.url("/api/v1/feed")).bearer_auth(token);
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(
            resp.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Feed {
            resp,
            buf: String::new(),
            ready: VecDeque::new(),
        }
    }

    /// The next event within `wait` (comments and keep-alives skipped); `None` when none came.
    async fn next_within(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(e) = self.ready.pop_front() {
                return Some(e);
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .ok()?
                .unwrap()
                .expect("the feed stays open");
            self.buf.push_str(std::str::from_utf8(&chunk).unwrap());
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().parse().unwrap());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if !event.is_empty() {
                    let data = serde_json::from_str(&data).unwrap();
                    self.ready.push_back(SseEvent { id, event, data });
                }
            }
        }
    }

    /// The next `alarm` event: (event id, what happened, alarm id, mine).
    async fn next_alarm(&mut self) -> (u64, String, i64, String) {
        let e = self
            .next_within(Duration::from_secs(10))
            .await
            .expect("an alarm event in time");
        assert_eq!(e.event, "alarm", "{e:?}");
        (
            e.id.unwrap(),
            e.data["event"].as_str().unwrap().to_owned(),
            e.data["alarm_id"].as_i64().unwrap(),
            e.data["mine"].as_str().unwrap().to_owned(),
        )
    }
}

// ---- sessions ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_me_logout_and_the_tokens_that_are_refused() {
    let api = Api::start().await;
    let user = "inspector.140421";
    let (status, login) = api
        .send(
            api.client
                .post(api.url("/api/v1/session"))
                .json(&json!({"username": user, "password": demo_user_password(user)})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{login}");
    let token = login["token"].as_str().unwrap();
    assert_eq!(token.len(), 64);
    assert!(login["expires_at"].is_string(), "{login}");
    assert_eq!(
        login["actor"],
        json!({"kind": "user", "username": user, "unit": "140421", "role": "inspector"})
    );
    let (status, me) = api.get(token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"]["username"], user);
    assert_eq!(me["unit"]["code"], "140421");
    assert_eq!(me["unit"]["level"], "county");
    assert!(me["user"].get("password_hash").is_none() && me["user"].get("password").is_none());

    // Wrong password and unknown user: the same 401, with WWW-Authenticate.
    let mut refusals = Vec::new();
    for (name, password) in [
        (user, "wrong password"),
        ("nobody.140421", "wrong password"),
    ] {
        let resp = api
            .client
            .post(api.url("/api/v1/session"))
            .json(&json!({"username": name, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert!(resp.headers().contains_key("www-authenticate"));
        let body: Value = resp.json().await.unwrap();
        refusals.push(message(&body).to_owned());
    }
    assert_eq!(
        refusals[0], refusals[1],
        "unknown user and bad password look alike"
    );
    assert!(refusals[0].contains("用户名或密码错误"), "{}", refusals[0]);
    // A body that is not a login names the member.
    let (status, body) = api
        .send(
            api.client
                .post(api.url("/api/v1/session"))
                .json(&json!({"user": user})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_field(&body), "user");

    // No token, a garbage token, a mine's upload token, the read API's admin token: 401.
    let resp = api
        .client
        .get(api.url("/api/v1/alarms"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer realm=\"eseal\"");
    let mine_token = api.tp.account(MINE).token.clone();
    for (t, says) in [
        ("garbage", "unknown session token"),
        (mine_token.as_str(), "upload token of mine 140421007866"),
        (ADMIN, "administrator token"),
    ] {
        let (status, body) = api.get(t, "/api/v1/alarms").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{t}: {body}");
        assert!(message(&body).contains(says), "{t}: {body}");
        assert_eq!(error_field(&body), "Authorization");
    }
    // The mine token still works where it belongs.
    let resp = api
        .client
        .get(api.url("/api/v1/events"))
        .bearer_auth(&mine_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // Logout ends the session; logging out again is refused as the session is gone.
    let resp = api
        .client
        .delete(api.url("/api/v1/session"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (status, body) = api.get(token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(message(&body).contains("revoked"), "{body}");

    // Guessing: after 5 failures of one name in 15 minutes (one above) the next try is 429
    // with Retry-After, whatever the password; other names are not affected (P5).
    for _ in 0..4 {
        let (status, _) = api
            .send(
                api.client
                    .post(api.url("/api/v1/session"))
                    .json(&json!({"username": "nobody.140421", "password": "wrong password"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let resp = api
        .client
        .post(api.url("/api/v1/session"))
        .json(&json!({"username": "nobody.140421", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((800..=900).contains(&wait), "Retry-After {wait}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_logins", "{body}");
    assert_eq!(error_field(&body), "username");
    assert!(message(&body).contains("登录失败次数过多"), "{body}");
    let (status, _) = api
        .send(
            api.client
                .post(api.url("/api/v1/session"))
                .json(&json!({"username": user, "password": demo_user_password(user)})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_feed_ends_with_its_session() {
    let mut settings = SupervisionSettings::reference().unwrap();
    settings.feed_keep_alive = Duration::from_millis(200);
    let tp = TestPlatform::start_with_supervision(
        |b| b.https_addr("127.0.0.1:0".parse().unwrap()),
        Some(settings),
    )
    .await;
    let (https, client, base) = serve(&tp, true).await;
    let api = Api {
        tp,
        https,
        client,
        base,
        _schema: None,
    };
    let token = api.login("inspector.140421").await;
    let other = api.login("inspector.140421").await;
    let mut feed = Feed::open(&api, &token, None).await;
    let mut stays = Feed::open(&api, &other, None).await;
    // Several keep-alives pass and the feed stays open while the session stands.
    assert!(feed.next_within(Duration::from_millis(700)).await.is_none());
    let resp = api
        .client
        .delete(api.url("/api/v1/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let e = feed
        .next_within(Duration::from_secs(5))
        .await
        .expect("a session_ended event");
    assert_eq!(e.event, "session_ended", "{e:?}");
    let text = e.data["message"].as_str().unwrap();
    assert!(
        text.contains("会话已结束") && text.contains("revoked"),
        "{text}"
    );
    // and then the stream ends.
    let end = tokio::time::timeout(Duration::from_secs(5), feed.resp.chunk())
        .await
        .expect("the stream ends after session_ended")
        .unwrap();
    assert!(end.is_none(), "{end:?}");
    // The same user's other session keeps its feed.
    assert!(
        stays
            .next_within(Duration::from_millis(500))
            .await
            .is_none()
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_supervision_the_regulators_routes_answer_503() {
    let api = Api::start_with(None, false).await;
    let (status, body) = api
        .send(
            api.client
                .post(api.url("/api/v1/session"))
                .json(&json!({"username": "inspector.140421", "password": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "supervision_unavailable");
    let (status, _) = api.get("anything", "/api/v1/alarms").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    // The read API is not affected.
    let resp = api
        .client
        .get(api.url("/api/v1/events"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    api.stop().await;
}

// ---- the workflow --------------------------------------------------------------------------

/// Every transition and refusal of the handling workflow (P4, P5) through HTTP, with the city
/// above seeing each step on its live feed as it happens.
async fn workflow_through_http(api: &Api) {
    let county = api.login("inspector.140421").await;
    let county_lead = api.login("supervisor.140421").await;
    let viewer = api.login("viewer.140421").await;
    let city_lead = api.login("supervisor.140400").await;
    let other_county = api.login("inspector.140924").await;
    let mut city_feed = Feed::open(api, &city_lead, None).await;

    let id = api.raise(MINE).await;
    let (_, event, alarm, mine) = city_feed.next_alarm().await;
    assert_eq!((event.as_str(), alarm, mine.as_str()), ("raised", id, MINE));

    // The county sees it, pushed and waiting; what it may do is part of the answer.
    let (status, list) = api.get(&county, "/api/v1/alarms").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let a = &list["alarms"][0];
    assert_eq!(
        (a["id"].as_i64(), a["state"].as_str()),
        (Some(id), Some("pushed"))
    );
    assert_eq!(a["kind"], "people_over_limit");
    assert_eq!(a["allowed"], json!(["acknowledge"]));
    // Another county neither reads it nor lists it.
    let (status, body) = api
        .get(&other_county, &format!("/api/v1/alarms/{id}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["clause"], "R1");
    assert!(message(&body).contains("140924"), "{body}");
    let (_, list) = api.get(&other_county, "/api/v1/alarms").await;
    assert_eq!(list["alarms"], json!([]), "not in another county's list");
    // No such alarm: 404.
    let (status, _) = api.get(&county, "/api/v1/alarms/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Its evidence (P3): the U1 upload that raised it, and the picture itself.
    let (status, ev) = api
        .get(&city_lead, &format!("/api/v1/alarms/{id}/evidence"))
        .await;
    assert_eq!(status, StatusCode::OK, "{ev}");
    let upload = &ev["evidence"][0];
    assert_eq!(
        (upload["clause"].as_str(), upload["daily_count"].as_i64()),
        (Some("U1"), Some(1))
    );
    let picture = upload["sha256"].as_str().unwrap().to_owned();
    assert_eq!(picture, sha256_hex(&jpeg(1)));
    let resp = api
        .client
        .get(api.url(&format!("/api/v1/alarms/{id}/evidence/{picture}")))
        .bearer_auth(&county)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert_eq!(resp.bytes().await.unwrap().to_vec(), jpeg(1));
    let (status, _) = api
        .get(
            &other_county,
            &format!("/api/v1/alarms/{id}/evidence/{picture}"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = api
        .get(
            &county,
            &format!("/api/v1/alarms/{id}/evidence/{}", sha256_hex(b"other")),
        )
        .await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::NOT_FOUND, "sha256")
    );

    // A viewer may not act.
    let (status, body) = api.act(&viewer, id, json!({"action": "acknowledge"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "role_too_low");
    // Only the platform records automatic supervision.
    let (status, body) = api
        .act(
            &city_lead,
            id,
            json!({"action": "auto_supervise", "rung": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        (error_field(&body), body["error"]["clause"].as_str()),
        ("action", Some("P4"))
    );

    // 签收 by the county inspector.
    let (status, done) = api
        .act(
            &county,
            id,
            json!({"action": "acknowledge", "note": "已签收，前往现场"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["step"]["to"], "acknowledged");
    assert_eq!(done["alarm"]["state"], "acknowledged");
    assert_eq!(city_feed.next_alarm().await.1, "acknowledged");
    let (_, seen) = api.get(&city_lead, &format!("/api/v1/alarms/{id}")).await;
    assert_eq!(
        seen["state"], "acknowledged",
        "the city sees the step at once"
    );

    // Closing an alarm nobody handled: 409, naming the state.
    let (status, body) = api.act(&county_lead, id, json!({"action": "close"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "invalid_transition");
    // A county user may not supervise; the city supervisor may.
    let (status, body) = api
        .act(
            &county_lead,
            id,
            json!({"action": "supervise", "note": "尽快处置"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["clause"], "P4");
    let (status, done) = api
        .act(
            &city_lead,
            id,
            json!({"action": "supervise", "note": "请于今日内完成现场核查"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(
        done["alarm"]["state"], "acknowledged",
        "supervision changes no state"
    );
    assert_eq!(done["alarm"]["supervised_by"], "city");
    let supervised = city_feed.next_alarm().await;
    assert_eq!(supervised.1, "supervised");
    let (_, seen) = api.get(&county, &format!("/api/v1/alarms/{id}")).await;
    assert_eq!(seen["supervisions"][0]["note"], "请于今日内完成现场核查");

    // Photos: only a real JPEG is kept; a handling may name only photos that were uploaded.
    let (status, body) = api.upload_photo(&county, png(), "image/jpeg").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_field(&body), "body");
    let (status, body) = api.upload_photo(&county, jpeg(7), "image/png").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let (status, body) = api.upload_photo(&viewer, jpeg(7), "image/jpeg").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, photo) = api.upload_photo(&county, jpeg(7), "image/jpeg").await;
    assert_eq!(status, StatusCode::CREATED, "{photo}");
    let sha = photo["sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha, sha256_hex(&jpeg(7)));
    let unknown = sha256_hex(b"never uploaded");
    let (status, body) = api
        .act(
            &county,
            id,
            json!({"action": "handle", "result": "confirmed_violation", "notes": "现场核查属实", "photos": [unknown]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        (error_field(&body), body["error"]["clause"].as_str()),
        ("photos", Some("P5"))
    );
    // 处置 with the photo.
    let (status, done) = api
        .act(
            &county,
            id,
            json!({"action": "handle", "result": "confirmed_violation", "notes": "现场核查属实，已责令停止", "photos": [sha]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["alarm"]["state"], "handled");
    assert_eq!(done["alarm"]["result"], "confirmed_violation");
    assert_eq!(city_feed.next_alarm().await.1, "handled");
    // The city above reads the photo; another county does not.
    let resp = api
        .client
        .get(api.url(&format!("/api/v1/handling-photos/{sha}")))
        .bearer_auth(&city_lead)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert_eq!(resp.bytes().await.unwrap().to_vec(), jpeg(7));
    let (status, _) = api
        .get(&other_county, &format!("/api/v1/handling-photos/{sha}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // 办结 by the county supervisor; the inspector may not close.
    let (status, body) = api.act(&county, id, json!({"action": "close"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, done) = api
        .act(
            &county_lead,
            id,
            json!({"action": "close", "remarks": "闭环"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["alarm"]["state"], "closed");
    assert_eq!(done["alarm"]["allowed"], json!([]));
    assert_eq!(city_feed.next_alarm().await.1, "closed");
    let (_, seen) = api.get(&city_lead, &format!("/api/v1/alarms/{id}")).await;
    let actions: Vec<&str> = seen["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["acknowledge", "supervise", "handle", "close"]);

    // The closed loop is in the figures (P12) and the audit log.
    let (status, stats) = api
        .get(&city_lead, "/api/v1/stats/alarms?unit=140421")
        .await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(
        (
            stats["stats"]["alarms"].as_u64(),
            stats["stats"]["handled"].as_u64(),
            stats["stats"]["closed"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(stats["stats"]["handling_rate"], 100.0);
    let (status, audit) = api
        .get(
            &city_lead,
            &format!("/api/v1/audit?object_kind=alarm&object_id={id}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let audited: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        audited,
        [
            "alarm.close",
            "alarm.handle",
            "alarm.supervise",
            "alarm.acknowledge"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_is_acknowledged_handled_supervised_and_closed_through_http() {
    let api = Api::start().await;
    workflow_through_http(&api).await;
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workflow_through_http_on_postgres() {
    let Some(schema) = PgSchema::create() else {
        eprintln!("not run on PostgreSQL: ESEAL_TEST_PG_URL is unset (scripts/postgres.sh)");
        return;
    };
    let api = Api::start_with(Some(schema), true).await;
    workflow_through_http(&api).await;
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_alarm_filters_name_the_parameter() {
    let api = Api::start().await;
    let county = api.login("inspector.140421").await;
    for (query, status, field) in [
        ("state=open", StatusCode::BAD_REQUEST, "state"),
        ("kind=fire", StatusCode::BAD_REQUEST, "kind"),
        ("limit=0", StatusCode::BAD_REQUEST, "limit"),
        ("limit=many", StatusCode::BAD_REQUEST, "limit"),
        ("mine=1404", StatusCode::BAD_REQUEST, "mine"),
        ("colour=red", StatusCode::BAD_REQUEST, "colour"),
        ("mine=140924000101", StatusCode::FORBIDDEN, "mine"),
    ] {
        let (s, body) = api.get(&county, &format!("/api/v1/alarms?{query}")).await;
        assert_eq!(s, status, "{query}: {body}");
        assert_eq!(error_field(&body), field, "{query}: {body}");
    }
    let (s, body) = api
        .get(
            &county,
            "/api/v1/alarms?state=pushed&kind=people_over_limit&limit=5&mine=140421007866",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = api.get(&county, "/api/v1/alarms/abc").await;
    assert_eq!((s, error_field(&body)), (StatusCode::BAD_REQUEST, "id"));
    let (s, body) = api
        .send(
            api.client
                .post(api.url("/api/v1/alarms/1/actions"))
                .bearer_auth(&county)
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (s, body) = api.act(&county, 1, json!({"action": "dance"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    api.stop().await;
}

// ---- the live feed -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_feed_carries_a_new_alarm_to_its_county_and_not_to_another() {
    let api = Api::start().await;
    let changzhi = api.login("inspector.140421").await;
    let fanshi = api.login("inspector.140924").await;
    let mut changzhi_feed = Feed::open(&api, &changzhi, None).await;
    let mut fanshi_feed = Feed::open(&api, &fanshi, None).await;

    let id = api.raise(MINE).await;
    let (seq, event, alarm, mine) = changzhi_feed.next_alarm().await;
    assert_eq!((event.as_str(), alarm, mine.as_str()), ("raised", id, MINE));
    assert!(
        fanshi_feed
            .next_within(Duration::from_millis(500))
            .await
            .is_none(),
        "another county's feed carries nothing of it"
    );
    // Its own mine's alarm is the next thing it gets.
    let other = api.raise(FANSHI_MINE).await;
    let (_, _, alarm, mine) = fanshi_feed.next_alarm().await;
    assert_eq!((alarm, mine.as_str()), (other, FANSHI_MINE));
    assert!(
        changzhi_feed
            .next_within(Duration::from_millis(500))
            .await
            .is_none()
    );

    // Last-Event-ID resumes after the last event received: the missed one is replayed.
    drop(changzhi_feed);
    let mut resumed = Feed::open(&api, &changzhi, Some(seq - 1)).await;
    assert_eq!(resumed.next_alarm().await.2, id);
    let (status, body) = api
        .send(
            api.client
                .get(api.url("/api/v1/feed"))
                .bearer_auth(&changzhi)
                .header("Last-Event-ID", "yesterday"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_field(&body), "Last-Event-ID");
    api.stop().await;
}

// ---- mine configuration, import, defaults, lifecycle ---------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mine_configuration_and_county_defaults_are_an_admins() {
    let api = Api::start().await;
    let admin = api.login("admin.140421").await;
    let inspector = api.login("inspector.140421").await;
    let path = format!("/api/v1/mines/{MINE}/config");
    let (status, c) = api.get(&inspector, &path).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["filed"]["state"], "stopped");
    assert_eq!(c["effective"]["people"]["value"], 0);
    assert_eq!(c["effective"]["people"]["source"]["source"], "no_duty_flag");

    let config = json!({"mine": MINE, "name": "长治县示例矿井", "state": "停产",
        "shutdown_date": "2025-01-01", "one_stop_four_continue": true, "expected_people_per_day": 3});
    let (status, body) = api.put(&inspector, &path, config.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(message(&body).contains("P9"), "{body}");
    let (status, body) = api
        .put(
            &admin,
            &format!("/api/v1/mines/{OTHER_MINE}/config"),
            config.clone(),
        )
        .await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "mine"),
        "{body}"
    );
    let mut bad = config.clone();
    bad["expected_people_per_day"] = json!(-1);
    let (status, body) = api.put(&admin, &path, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_field(&body), "expected_people_per_day");
    let (status, body) = api
        .put(
            &admin,
            &format!("/api/v1/mines/{FANSHI_MINE}/config"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(message(&body).contains(FANSHI_MINE), "{body}");
    let (status, c) = api.put(&admin, &path, config).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["effective"]["people"]["value"], 3);
    assert_eq!(
        c["effective"]["people"]["source"]["source"],
        "mine_expected"
    );
    // Three may go down now; the fourth raises the alarm.
    assert!(api.person_down(MINE, 3).await.is_empty());
    assert_eq!(api.person_down(MINE, 4).await.len(), 1);

    // County defaults (P10).
    let defaults = "/api/v1/counties/140421/defaults";
    let (status, d) = api.get(&inspector, defaults).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(
        d,
        json!({"county": "140421", "people_threshold": null, "truck_threshold": null})
    );
    let (status, body) = api
        .put(&inspector, defaults, json!({"people_threshold": 2}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, d) = api
        .put(
            &admin,
            defaults,
            json!({"people_threshold": 2, "truck_threshold": 4}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let (_, d) = api.get(&inspector, defaults).await;
    assert_eq!(d["truck_threshold"], 4);
    let (status, body) = api
        .put(&admin, "/api/v1/counties/140400/defaults", json!({}))
        .await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::FORBIDDEN, "county"),
        "the city above is outside a county's jurisdiction: {body}"
    );
    let city_admin = api.login("admin.140400").await;
    let (status, body) = api
        .put(&city_admin, "/api/v1/counties/140400/defaults", json!({}))
        .await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::BAD_REQUEST, "county"),
        "a city is no county: {body}"
    );
    let (status, body) = api
        .put(&admin, "/api/v1/counties/140924/defaults", json!({}))
        .await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::FORBIDDEN, "county"),
        "{body}"
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mine_import_with_one_bad_row_reports_that_row_and_imports_nothing() {
    let api = Api::start().await;
    let admin = api.login("admin.140421").await;
    let import = |body: &'static str, ct: &'static str, token: String| {
        let req = api
            .client
            .post(api.url("/api/v1/mines/import"))
            .bearer_auth(token)
            .header("content-type", ct)
            .body(body);
        api.send(req)
    };
    let csv_bad = "矿山编码,矿山名称,矿山状态,一停四不停,每日预计下井人数\n\
                   140421007866,长治县示例矿井,停产,是,2\n\
                   140421007867,长治县荫城铁矿,停运,否,\n\
                   140421007868,长治县西火煤矿,关闭,否,\n";
    let (status, report) = import(csv_bad, "text/csv", admin.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(report["committed"], false);
    assert_eq!(report["imported"], json!([]));
    let refused = report["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 1, "{report}");
    assert_eq!(refused[0]["row"], 3);
    assert_eq!(refused[0]["field"], "矿山状态 (state)");
    assert_eq!(refused[0]["found"], "停运");
    assert_eq!(report["error"]["code"], "import_refused");
    assert_eq!(report["error"]["clause"], "P9");
    // Nothing was filed: the first row's numbers are not in force.
    let (_, c) = api
        .get(&admin, &format!("/api/v1/mines/{MINE}/config"))
        .await;
    assert_eq!(c["filed"]["one_stop_four_continue"], false, "{c}");

    let csv_good = "\u{feff}mine_code,name,state,one_stop_four_continue,expected_people_per_day\n\
                    140421007866,长治县示例矿井,停产,是,2\n\
                    \n\
                    140421007867,长治县荫城铁矿,停建,否,\n";
    let (status, report) = import(csv_good, "text/csv; charset=utf-8", admin.clone()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["committed"], true);
    let rows: Vec<(u64, &str)> = report["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_u64().unwrap(), r["mine"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [(2, MINE), (4, OTHER_MINE)]);
    let (_, c) = api
        .get(&admin, &format!("/api/v1/mines/{MINE}/config"))
        .await;
    assert_eq!(c["effective"]["people"]["value"], 2, "{c}");

    // JSON: an array of configurations, items named from 1.
    let (status, report) = import(
        r#"[{"mine": "140421007868", "name": "西火煤矿", "state": "关闭"}, {"mine": "140421007866", "name": "x", "state": "停产", "colour": "red"}]"#,
        "application/json",
        admin.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(report["refused"][0]["row"], 2);
    assert_eq!(report["refused"][0]["field"], "colour");
    // A mine outside the jurisdiction refuses the whole import; so does a non-admin.
    let (status, body) = import(
        "mine_code,name,state\n140924000101,岩头铁矿,停产\n",
        "text/csv",
        admin.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        message(&body).contains("140924000101") && message(&body).contains("row 2"),
        "{body}"
    );
    let inspector = api.login("inspector.140421").await;
    let (status, _) = import(csv_good, "text/csv", inspector).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = import(csv_good, "application/xml", admin.clone()).await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type")
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_records_scope_seal_removal_and_unfittable_mines() {
    let api = Api::start().await;
    let county_admin = api.login("admin.140421").await;
    let province_admin = api.login("admin.140000").await;
    let inspector = api.login("inspector.140421").await;
    let base = format!("/api/v1/mines/{MINE}/lifecycle");
    let (status, l) = api.get(&inspector, &base).await;
    assert_eq!(status, StatusCode::OK, "{l}");
    assert_eq!(l["in_scope"], false);

    // L1: join, and joining again changes nothing (409).
    let join = json!({"direction": "join", "date": "2026-01-10", "reason": "停产满6个月"});
    let (status, body) = api
        .post(&inspector, &format!("{base}/scope-changes"), join.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, l) = api
        .post(
            &county_admin,
            &format!("{base}/scope-changes"),
            join.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{l}");
    assert_eq!(l["in_scope"], true);
    assert_eq!(l["scope_changes"][0]["record"]["by"], "140421");
    let (status, body) = api
        .post(&county_admin, &format!("{base}/scope-changes"), join)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["clause"], "L1");

    // L2: no seal removal without the province's approval.
    let (status, body) = api
        .post(
            &county_admin,
            &format!("{base}/seal-removals"),
            json!({"removed_on": "2026-06-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        (error_field(&body), body["error"]["clause"].as_str()),
        ("approval", Some("L2"))
    );
    let by_city = json!({"removed_on": "2026-06-01",
        "approval": {"approver": "140400", "document": "长应急〔2026〕3号", "approved_on": "2026-05-20"}});
    let (status, body) = api
        .post(&county_admin, &format!("{base}/seal-removals"), by_city)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_field(&body), "approval.approver");
    let approved = json!({"removed_on": "2026-06-01",
        "approval": {"approver": "140000", "document": "晋应急〔2026〕12号", "approved_on": "2026-05-20"}});
    let (status, l) = api
        .post(&county_admin, &format!("{base}/seal-removals"), approved)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{l}");
    assert_eq!(
        l["seal_removals"][0]["record"]["approval"]["approver"],
        "140000"
    );
    assert_eq!(l["scope_changes"][1]["record"]["direction"], "leave");

    // L3: an unfittable mine is filed by the province and patrolled.
    let filing = json!({"filed_on": "2026-07-01", "reason": "井口无供电，无法安装", "responsible": "140421", "patrol_every_days": 7});
    let (status, body) = api
        .post(&county_admin, &format!("{base}/unfittable"), filing.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_field(&body), "filed_by");
    let (status, l) = api
        .post(&province_admin, &format!("{base}/unfittable"), filing)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{l}");
    let (status, l) = api
        .post(
            &inspector,
            &format!("{base}/patrols"),
            json!({"date": "2026-07-05", "findings": "封闭完好"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{l}");
    let (status, body) = api
        .post(
            &inspector,
            &format!("{base}/patrols"),
            json!({"date": "2026-07-06", "findings": " "}),
        )
        .await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "findings"),
        "{body}"
    );
    let (status, o) = api
        .get(
            &province_admin,
            "/api/v1/lifecycle/overdue-patrols?date=2026-07-20",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["overdue"][0]["mine"], MINE);
    assert_eq!(o["overdue"][0]["due"], "2026-07-12");
    let (status, body) = api
        .get(&inspector, "/api/v1/lifecycle/overdue-patrols?unit=140000")
        .await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::FORBIDDEN, "unit"),
        "{body}"
    );
    api.stop().await;
}

// ---- statistics, reports, network status ---------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_export_as_csv_and_xlsx_attachments() {
    let api = Api::start().await;
    let county = api.login("supervisor.140421").await;
    api.raise(MINE).await;
    let today = chrono::Utc::now() + chrono::Duration::hours(8);
    let today = today.date_naive().to_string();

    let (status, r) = api.get(&county, "/api/v1/reports/weekly").await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["kind"], "weekly");
    assert_eq!(r["summary"]["alarms"], 1);
    for (format, media, magic) in [
        ("csv", "text/csv; charset=utf-8", "\u{feff}".as_bytes()),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            b"PK\x03\x04".as_slice(),
        ),
    ] {
        for kind in ["weekly", "monthly"] {
            let resp = api
                .client
                .get(api.url(&format!(
                    "/api/v1/reports/{kind}?unit=140421&date={today}&format={format}"
                )))
                .bearer_auth(&county)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{kind} {format}");
            assert_eq!(resp.headers()["content-type"], media);
            let disposition = resp.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(
                disposition.starts_with(&format!("attachment; filename=\"report-{kind}-140421-"))
                    && disposition.ends_with(&format!(".{format}\"")),
                "{disposition}"
            );
            let body = resp.bytes().await.unwrap();
            assert!(
                body.len() > 100 && body.starts_with(magic),
                "{kind} {format}: {} bytes",
                body.len()
            );
            if format == "csv" {
                let text = String::from_utf8(body.to_vec()).unwrap();
                assert!(text.contains("报警数(alarms)"), "{text}");
            }
        }
    }
    // Statistics export the same way.
    let resp = api
        .client
        .get(api.url("/api/v1/stats/subordinates?format=csv"))
        .bearer_auth(&county)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let text = resp.text().await.unwrap();
    assert!(text.contains(MINE), "{text}");
    let (status, daily) = api
        .get(
            &county,
            &format!("/api/v1/stats/daily?mine={MINE}&date=2026-11-28"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{daily}");
    assert_eq!(daily["rows"][0]["people_down"], 1);
    let (status, kinds) = api.get(&county, "/api/v1/stats/kinds").await;
    assert_eq!(status, StatusCode::OK, "{kinds}");
    assert_eq!(kinds["rows"][0]["kind"], "people_over_limit");
    assert_eq!(kinds["rows"][0]["stats"]["alarms"], 1);

    // Refusals name the parameter.
    for (path, status, field) in [
        ("/api/v1/reports/daily", StatusCode::BAD_REQUEST, "kind"),
        (
            "/api/v1/reports/weekly?format=pdf",
            StatusCode::BAD_REQUEST,
            "format",
        ),
        (
            "/api/v1/reports/weekly?unit=140924",
            StatusCode::FORBIDDEN,
            "unit",
        ),
        (
            "/api/v1/reports/weekly?unit=14",
            StatusCode::BAD_REQUEST,
            "unit",
        ),
        (
            "/api/v1/stats/alarms?from=2026-02-30",
            StatusCode::BAD_REQUEST,
            "from",
        ),
        (
            "/api/v1/stats/alarms?from=2026-05-01&to=2026-04-01",
            StatusCode::BAD_REQUEST,
            "to",
        ),
        (
            "/api/v1/stats/alarms?from=2020-01-01&to=2026-01-01",
            StatusCode::BAD_REQUEST,
            "to",
        ),
        (
            "/api/v1/stats/subordinates?unit=140421007866",
            StatusCode::BAD_REQUEST,
            "unit",
        ),
        (
            "/api/v1/stats/daily?mine=140924000101",
            StatusCode::FORBIDDEN,
            "mine",
        ),
    ] {
        let (s, body) = api.get(&county, path).await;
        assert_eq!((s, error_field(&body)), (status, field), "{path}: {body}");
    }
    let (s, body) = api.get(&county, "/api/v1/reports/weekly?unit=140924").await;
    assert!(message(&body).contains("140924"), "{s} {body}");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_status_by_region_mine_state_and_online_state() {
    let api = Api::start().await;
    let city = api.login("supervisor.140400").await;
    // A sign of life from one mine, then a patrol.
    api.person_down(MINE, 1).await;
    api.tp.platform.supervision.patrol().await.unwrap();
    let (status, n) = api.get(&city, "/api/v1/network-status").await;
    assert_eq!(status, StatusCode::OK, "{n}");
    let mine = n["mines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mine"] == MINE)
        .unwrap_or_else(|| panic!("{n}"));
    assert_eq!(mine["online"], true);
    assert_eq!(mine["mine_state"], "stopped");
    assert!(n["online"].as_u64().unwrap() >= 1);
    let (_, online) = api
        .get(
            &city,
            "/api/v1/network-status?unit=140421&state=停产&online=true",
        )
        .await;
    assert!(
        online["mines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["mine"] == MINE),
        "{online}"
    );
    let (_, offline) = api
        .get(&city, "/api/v1/network-status?unit=140421&online=false")
        .await;
    assert!(
        !offline["mines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["mine"] == MINE),
        "{offline}"
    );
    let (_, closing) = api.get(&city, "/api/v1/network-status?state=closing").await;
    assert!(
        !closing["mines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["mine"] == MINE),
        "{closing}"
    );
    for (query, status, field) in [
        ("state=running", StatusCode::BAD_REQUEST, "state"),
        ("online=maybe", StatusCode::BAD_REQUEST, "online"),
        ("unit=140900", StatusCode::FORBIDDEN, "unit"),
    ] {
        let (s, body) = api
            .get(&city, &format!("/api/v1/network-status?{query}"))
            .await;
        assert_eq!((s, error_field(&body)), (status, field), "{query}: {body}");
    }
    let resp = api
        .client
        .get(api.url("/api/v1/network-status?format=xlsx"))
        .bearer_auth(&city)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.unwrap().starts_with(b"PK"));
    let (status, s) = api.get(&city, "/api/v1/stability?unit=140421").await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let row = s["mines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mine"] == MINE)
        .unwrap();
    assert_eq!(row["uploads"], 1);
    api.stop().await;
}

// ---- units, users, audit, photos across a restart ------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_create_units_and_users_of_their_jurisdiction_and_passwords_never_come_back() {
    let api = Api::start().await;
    let admin = api.login("admin.140421").await;
    let inspector = api.login("inspector.140421").await;
    let (status, units) = api.get(&admin, "/api/v1/units").await;
    assert_eq!(status, StatusCode::OK, "{units}");
    let codes: Vec<&str> = units["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["140421"]);
    let (status, unit) = api
        .post(
            &admin,
            "/api/v1/units",
            json!({"code": MINE, "name": "长治县示例矿井"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{unit}");
    assert_eq!(unit["level"], "mine");
    let (status, body) = api
        .post(
            &admin,
            "/api/v1/units",
            json!({"code": "140422", "name": "x"}),
        )
        .await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::FORBIDDEN, "code"),
        "{body}"
    );
    let (status, _) = api
        .post(
            &admin,
            "/api/v1/units",
            json!({"code": MINE, "name": "again"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let new = json!({"username": "inspector2.140421", "display_name": "李检查", "unit": "140421",
        "role": "inspector", "password": "a long enough password"});
    let (status, body) = api.post(&inspector, "/api/v1/users", new.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, user) = api.post(&admin, "/api/v1/users", new.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["username"], "inspector2.140421");
    let text = user.to_string();
    assert!(
        !text.contains("password") && !text.contains("a long enough"),
        "{text}"
    );
    let (status, login) = api
        .post(
            "",
            "/api/v1/session",
            json!({"username": "inspector2.140421", "password": "a long enough password"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{login}");
    let (status, _) = api.post(&admin, "/api/v1/users", new.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    for (field, value, status) in [
        ("password", json!("short"), StatusCode::UNPROCESSABLE_ENTITY),
        (
            "username",
            json!("Not A Name"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("role", json!("boss"), StatusCode::UNPROCESSABLE_ENTITY),
        ("unit", json!("140924"), StatusCode::FORBIDDEN),
    ] {
        let mut bad = new.clone();
        bad["username"] = json!("someone.140421");
        bad[field] = value;
        let (s, body) = api.post(&admin, "/api/v1/users", bad).await;
        assert_eq!((s, error_field(&body)), (status, field), "{field}: {body}");
    }
    let (status, users) = api.get(&inspector, "/api/v1/users").await;
    assert_eq!(status, StatusCode::OK, "{users}");
    let users = users["users"].as_array().unwrap();
    assert!(users.iter().any(|u| u["username"] == "inspector2.140421"));
    assert!(
        users
            .iter()
            .all(|u| u["unit"].as_str().unwrap().starts_with("140421"))
    );
    assert!(!Value::Array(users.clone()).to_string().contains("password"));
    let (status, audit) = api
        .get(&admin, "/api/v1/audit?object_kind=user&limit=5")
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    assert_eq!(audit["entries"][0]["action"], "user.create");
    assert_eq!(audit["entries"][0]["object_id"], "inspector2.140421");
    let (status, body) = api.get(&admin, "/api/v1/audit?limit=0").await;
    assert_eq!(
        (status, error_field(&body)),
        (StatusCode::BAD_REQUEST, "limit")
    );
    api.stop().await;
}

/// Regression: a handling photo is evidence no event references, and must not be swept to
/// `quarantine/orphans/` at the next start-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handling_photo_survives_a_restart() {
    let api = Api::start().await;
    let county = api.login("inspector.140421").await;
    let (status, photo) = api.upload_photo(&county, jpeg(42), "image/jpeg").await;
    assert_eq!(status, StatusCode::CREATED, "{photo}");
    // The same bytes again: the same photo.
    let (status, again) = api.upload_photo(&county, jpeg(42), "image/jpeg").await;
    assert_eq!(
        (status, &again["sha256"]),
        (StatusCode::CREATED, &photo["sha256"])
    );
    let sha = photo["sha256"].as_str().unwrap().to_owned();
    let api = api.restart().await;
    assert_eq!(api.tp.platform.ingest.orphan_sweep().moved(), 0);
    let county = api.login("inspector.140421").await;
    let resp = api
        .client
        .get(api.url(&format!("/api/v1/handling-photos/{sha}")))
        .bearer_auth(&county)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().to_vec(), jpeg(42));
    api.stop().await;
}
