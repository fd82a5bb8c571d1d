//! Push channels over real loopback HTTP (P14): webhook retries against a local receiver, and
//! the SSE live feed read by a streaming HTTP client, filtered by jurisdiction (R1, P5).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{TimeZone, Utc};
use eseal_platform::supervision::push::{
    Channel, Delivery, Feed, Notice, RetryPolicy, WebhookTarget, Webhooks,
};
use eseal_platform::supervision::workflow::{Alarm, AlarmFacts, Policy};
use eseal_platform::supervision::{Actor, AlarmKind, RiskGrade, Role, UnitCode};
use eseal_protocol::MineCode;
use serde_json::{Value, json};

/// A mine of county 140421 (the spec's example) and one of the neighbouring county 140422,
/// both in city 1404.
const MINE_A: &str = "140421007866";
const MINE_B: &str = "140422000001";

fn unit(s: &str) -> UnitCode {
    UnitCode::parse(s).expect(s)
}

fn notice(id: i64, mine: &str) -> Notice {
    let raised = AlarmFacts {
        id,
        kind: AlarmKind::PeopleOverLimit,
        grade: RiskGrade::Major,
        mine: MineCode::parse(mine).expect("mine"),
        camera: Some("20".to_owned()),
        message: "入井人数 31".to_owned(),
        event_time: Utc
            .with_ymd_and_hms(2021, 1, 4, 14, 45, 12)
            .single()
            .expect("time"),
        evidence: vec![],
    };
    let at = Utc
        .with_ymd_and_hms(2021, 1, 4, 14, 45, 15)
        .single()
        .expect("time");
    Notice::raised(&Alarm::raise(raised, &Policy::default(), at).expect("raise"))
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    format!("http://{addr}")
}

// ---------------------------------------------------------------------------------------------
// Webhooks

/// What the local receiver answers to the n-th request (0-based).
type Script = Arc<dyn Fn(usize) -> (StatusCode, Value) + Send + Sync>;

#[derive(Clone)]
struct Receiver {
    count: Arc<AtomicUsize>,
    bodies: Arc<Mutex<Vec<Value>>>,
    script: Script,
}

async fn receive(State(r): State<Receiver>, Json(body): Json<Value>) -> Response {
    let n = r.count.fetch_add(1, Ordering::SeqCst);
    r.bodies.lock().expect("lock").push(body);
    let (status, answer) = (r.script)(n);
    (status, Json(answer)).into_response()
}

/// A receiver on loopback answering by `script`; returns it and its URL.
async fn receiver(
    script: impl Fn(usize) -> (StatusCode, Value) + Send + Sync + 'static,
) -> (Receiver, String) {
    let r = Receiver {
        count: Arc::new(AtomicUsize::new(0)),
        bodies: Arc::new(Mutex::new(Vec::new())),
        script: Arc::new(script),
    };
    let base = serve(
        axum::Router::new()
            .route("/hook", post(receive))
            .with_state(r.clone()),
    )
    .await;
    (r, format!("{base}/hook?key=SECRET-KEY"))
}

fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        jitter: 0.0,
        seed: 7,
        timeout: Duration::from_secs(5),
    }
}

fn sms(url: &str) -> WebhookTarget {
    WebhookTarget {
        name: "county-sms".to_owned(),
        channel: Channel::SmsGateway {
            url: url.to_owned(),
            phone_numbers: vec!["13800000000".to_owned()],
            template_id: "ESEAL_ALARM".to_owned(),
        },
        units: vec![unit("140421")],
        min_grade: RiskGrade::Low,
    }
}

fn wecom(url: &str) -> WebhookTarget {
    WebhookTarget {
        name: "city-robot".to_owned(),
        channel: Channel::WeComRobot {
            url: url.to_owned(),
        },
        units: vec![unit("140400")],
        min_grade: RiskGrade::Serious,
    }
}

async fn deliver(target: WebhookTarget, retry: RetryPolicy, n: &Notice) -> Delivery {
    let hooks = Webhooks::builder()
        .target(target.clone())
        .retry(retry)
        .build()
        .expect("webhooks");
    hooks.deliver(&target, n).await
}

fn statuses(d: &Delivery) -> Vec<Option<u16>> {
    d.attempts.iter().map(|a| a.status).collect()
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_the_notice_on_the_third_attempt() {
    let (r, url) = receiver(|n| {
        if n < 2 {
            (StatusCode::SERVICE_UNAVAILABLE, json!({"code": 503}))
        } else {
            (StatusCode::OK, json!({"code": 0}))
        }
    })
    .await;
    let d = deliver(sms(&url), fast_retries(5), &notice(7, MINE_A)).await;
    assert_eq!(statuses(&d), [Some(503), Some(503), Some(200)]);
    let backoff: Vec<u64> = d.attempts.iter().map(|a| a.backoff_ms).collect();
    assert_eq!(backoff, [0, 20, 40], "exponential back-off recorded");
    assert!(d.delivered_at.is_some() && d.last_error.is_none(), "{d:?}");
    assert!(d.attempts[0].error.as_deref().unwrap_or("").contains("503"));
    let bodies = r.bodies.lock().expect("lock").clone();
    assert_eq!(bodies.len(), 3);
    assert!(
        bodies.iter().all(|b| b == &bodies[0]),
        "every retry sends the same body"
    );
    assert_eq!(bodies[0]["template_id"], "ESEAL_ALARM");
    assert_eq!(bodies[0]["params"]["mine"], MINE_A);
    assert_eq!(bodies[0]["params"]["time"], "2021-01-04 22:45:15");
}

#[tokio::test]
async fn wecom_errcode_non_zero_counts_as_a_failed_attempt() {
    let (r, url) = receiver(|n| match n {
        0 => (
            StatusCode::OK,
            json!({"errcode": 45009, "errmsg": "api freq out of limit"}),
        ),
        _ => (StatusCode::OK, json!({"errcode": 0, "errmsg": "ok"})),
    })
    .await;
    let d = deliver(wecom(&url), fast_retries(3), &notice(8, MINE_B)).await;
    assert_eq!(statuses(&d), [Some(200), Some(200)]);
    let first = d.attempts[0]
        .error
        .as_deref()
        .expect("first attempt failed");
    assert!(
        first.contains("45009") && first.contains("api freq out of limit"),
        "{first}"
    );
    assert!(d.delivered_at.is_some());
    let body = r.bodies.lock().expect("lock")[0].clone();
    assert_eq!(body["msgtype"], "markdown");
    let content = body["markdown"]["content"].as_str().expect("content");
    assert!(
        content.contains(MINE_B) && content.contains("入井人数超限"),
        "{content}"
    );
}

#[tokio::test]
async fn a_permanently_failing_target_gives_up_after_max_attempts_with_the_last_error() {
    let (r, url) = receiver(|n| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": format!("down {n}")}),
        )
    })
    .await;
    let d = deliver(sms(&url), fast_retries(4), &notice(9, MINE_A)).await;
    assert_eq!(d.attempts.len(), 4);
    assert_eq!(r.count.load(Ordering::SeqCst), 4);
    assert!(d.delivered_at.is_none());
    let last = d.last_error.as_deref().expect("last error");
    assert!(last.contains("500") && last.contains("down 3"), "{last}");
}

#[tokio::test]
async fn a_client_error_is_permanent_and_not_retried() {
    let (r, url) = receiver(|_| (StatusCode::NOT_FOUND, json!({"error": "no such robot"}))).await;
    let d = deliver(sms(&url), fast_retries(5), &notice(10, MINE_A)).await;
    assert_eq!(statuses(&d), [Some(404)]);
    assert_eq!(r.count.load(Ordering::SeqCst), 1);
    assert!(d.last_error.as_deref().unwrap_or("").contains("404"));
}

#[tokio::test]
async fn an_unreachable_target_is_a_connect_error_that_keeps_the_key_secret() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let url = format!("http://{addr}/cgi-bin/webhook/send?key=SECRET-KEY");
    let d = deliver(wecom(&url), fast_retries(2), &notice(11, MINE_A)).await;
    assert_eq!(statuses(&d), [None, None]);
    let last = d.last_error.as_deref().expect("error");
    assert!(last.starts_with("connect"), "{last}");
    assert!(
        !last.contains("SECRET"),
        "the robot key must not be recorded: {last}"
    );
}

#[tokio::test]
async fn webhooks_follow_the_feed_and_report_each_delivery() {
    let (r, url) = receiver(|_| (StatusCode::OK, json!({"errcode": 0, "errmsg": "ok"}))).await;
    let feed = Feed::new();
    let hooks = Webhooks::builder()
        .target(wecom(&url))
        .retry(fast_retries(3))
        .build()
        .expect("webhooks");
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let worker = hooks.spawn(&feed, tx);
    let mut low = notice(12, MINE_A);
    low.grade = RiskGrade::Low; // below the robot's min_grade: not sent
    feed.publish(low);
    let seq = feed.publish(notice(13, MINE_A));
    let d = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a delivery in time")
        .expect("delivery");
    assert_eq!((d.alarm_id, d.notice_seq, d.attempts.len()), (13, seq, 1));
    assert!(d.delivered_at.is_some());
    assert_eq!(r.count.load(Ordering::SeqCst), 1);
    drop(feed);
    tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .expect("the worker ends with the feed")
        .expect("worker");
}

// ---------------------------------------------------------------------------------------------
// SSE live feed

/// The platform's feed route behind a stand-in for authentication: `?unit=<code>` makes the
/// caller a viewer of that unit.
async fn feed_server(feed: &Feed) -> String {
    let auth = |mut req: Request, next: Next| async move {
        let code = req
            .uri()
            .query()
            .and_then(|q| q.strip_prefix("unit="))
            .unwrap_or("000000")
            .to_owned();
        let actor = Actor::user(&format!("viewer-{code}"), unit(&code), Role::Viewer);
        req.extensions_mut().insert(actor);
        next.run(req).await
    };
    serve(
        eseal_platform::supervision::push::sse_route(feed.clone())
            .layer(axum::middleware::from_fn(auth)),
    )
    .await
}

#[derive(Debug, PartialEq)]
struct SseEvent {
    id: Option<u64>,
    event: String,
    data: Value,
}

/// A streaming SSE reader over reqwest.
struct SseClient {
    resp: reqwest::Response,
    buf: String,
    ready: VecDeque<SseEvent>,
}

impl SseClient {
    async fn connect(base: &str, unit_code: &str, last_event_id: Option<&str>) -> SseClient {
        let mut req = reqwest::Client::new().get(format!("{base}/feed?unit={unit_code}"));
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id);
        }
        let resp = req.send().await.expect("connect");
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()["content-type"].to_str().expect("type"),
            "text/event-stream"
        );
        SseClient {
            resp,
            buf: String::new(),
            ready: VecDeque::new(),
        }
    }

    /// The next event (comments and keep-alives skipped).
    async fn next(&mut self) -> SseEvent {
        loop {
            if let Some(e) = self.ready.pop_front() {
                return e;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), self.resp.chunk())
                .await
                .expect("an event in time")
                .expect("stream")
                .expect("stream open");
            self.buf
                .push_str(std::str::from_utf8(&chunk).expect("utf-8"));
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().parse().expect("numeric id"));
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if !event.is_empty() {
                    let data = serde_json::from_str(&data).expect("JSON data");
                    self.ready.push_back(SseEvent { id, event, data });
                }
            }
        }
    }

    /// The next `alarm` event's (id, alarm id, mine).
    async fn next_alarm(&mut self) -> (u64, i64, String) {
        let e = self.next().await;
        assert_eq!(e.event, "alarm", "{e:?}");
        let id = e.id.expect("alarm events have ids");
        assert_eq!(e.data["seq"], id);
        (
            id,
            e.data["alarm_id"].as_i64().expect("alarm_id"),
            e.data["mine"].as_str().expect("mine").to_owned(),
        )
    }
}

#[tokio::test]
async fn a_county_user_gets_its_own_mines_notices_and_not_another_countys() {
    let feed = Feed::new();
    let base = feed_server(&feed).await;
    let mut county = SseClient::connect(&base, "140421", None).await;
    let mut city = SseClient::connect(&base, "140400", None).await;
    let mut other_city = SseClient::connect(&base, "140500", None).await;
    assert_eq!(
        feed.subscribers(),
        3,
        "subscribed once the response headers came"
    );

    feed.publish(notice(1, MINE_A));
    feed.publish(notice(2, MINE_B));
    feed.publish(notice(3, MINE_A));

    assert_eq!(county.next_alarm().await, (1, 1, MINE_A.to_owned()));
    assert_eq!(
        county.next_alarm().await,
        (3, 3, MINE_A.to_owned()),
        "the other county's alarm 2 is skipped"
    );
    // The city covers both counties.
    assert_eq!(city.next_alarm().await, (1, 1, MINE_A.to_owned()));
    assert_eq!(city.next_alarm().await, (2, 2, MINE_B.to_owned()));
    assert_eq!(city.next_alarm().await, (3, 3, MINE_A.to_owned()));
    // Another city sees nothing of them: the next thing it gets is its own mine's alarm.
    feed.publish(notice(4, "140521000001"));
    assert_eq!(
        other_city.next_alarm().await,
        (4, 4, "140521000001".to_owned())
    );
}

#[tokio::test]
async fn last_event_id_resume_replays_missed_notices() {
    let feed = Feed::new();
    let base = feed_server(&feed).await;
    for (id, mine) in [(1, MINE_A), (2, MINE_A), (3, MINE_B), (4, MINE_A)] {
        feed.publish(notice(id, mine));
    }
    let mut county = SseClient::connect(&base, "140421", Some("1")).await;
    assert_eq!(county.next_alarm().await.0, 2);
    assert_eq!(county.next_alarm().await.0, 4, "3 is another county's");
    feed.publish(notice(5, MINE_A));
    assert_eq!(county.next_alarm().await.0, 5, "then live, without a gap");

    // An id this feed never gave (e.g. from before a restart): a `lagged` event, then live.
    let mut stale = SseClient::connect(&base, "140421", Some("999")).await;
    let e = stale.next().await;
    assert_eq!(e.event, "lagged");
    assert!(e.data["message"].as_str().unwrap_or("").contains("reload"));
    feed.publish(notice(6, MINE_A));
    assert_eq!(stale.next_alarm().await.0, 6);

    let resp = reqwest::Client::new()
        .get(format!("{base}/feed?unit=140421"))
        .header("Last-Event-ID", "abc")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("error body");
    assert_eq!(body["error"]["field"], "Last-Event-ID");
}
