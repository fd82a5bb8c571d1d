//! Alarm closure (P4, P5, P14; issue 5 deliver 3, issue 6 acceptance): does every upload that
//! should alarm raise an alarm on the reference platform, is it pushed to the mine's county at
//! once, and can the county drive it to closure — while what nobody handles is supervised (督办)
//! when its deadline passes?
//!
//! Key design decision: **the judge acts as a county's regulators would, through the
//! platform's HTTP API only.** Before the run it files the mine's numbers as the county admin
//! (so it knows, without asking the platform, which uploads must alarm); during the run the
//! county inspector's live feed (SSE) is open; after it, the inspector acknowledges and handles
//! each alarm and the county supervisor closes it, while the city supervisor reads each step.
//! One alarm is left alone and the virtual clock is moved past its deadline: the platform must
//! supervise it by itself. The expectation of which uploads alarm is the judge's own reading of
//! the configuration (people or trucks of the day over the filed number; any belt or skip
//! running; any occlusion or move; any lock event), never the platform's rule engine.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use eseal_protocol::{EvidenceName, TamperKind, TransportState};
use serde_json::{Value, json};

use super::observed::Upload;
use super::verdict::{Check, Verdict};

/// The numbers the judge files for the mine before the run (P9, P10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// People allowed down per CST day (一停四不停 duty staff).
    pub people: u16,
    /// Trucks allowed out per CST day.
    pub trucks: u16,
}

/// A notice the county's live feed delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub alarm_id: i64,
    /// `raised`, `acknowledged`, … `auto_supervised`.
    pub event: String,
    pub kind: String,
}

/// An alarm as the county's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmSeen {
    pub id: i64,
    /// `people_over_limit` …
    pub kind: String,
    pub grade: String,
    pub camera: Option<String>,
    pub message: String,
    /// File names of the uploads that raised it.
    pub evidence: Vec<String>,
}

/// What happened when the county handled one alarm.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Handling {
    pub alarm_id: i64,
    /// HTTP status of: closing before anybody handled it (must be refused, 409), acknowledge,
    /// handle, close.
    pub early_close: Option<u16>,
    pub acknowledge: Option<u16>,
    pub handle: Option<u16>,
    pub close: Option<u16>,
    /// The state the city supervisor reads afterwards, and how many steps it sees.
    pub city_state: Option<String>,
    pub city_steps: usize,
}

/// The alarm left alone past its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Escalation {
    pub alarm_id: i64,
    /// Virtual hours the clock was moved on.
    pub advanced_h: i64,
    /// Automatic supervisions (`auto_supervise` steps) the city supervisor sees on it.
    pub auto_steps: usize,
    /// Whether the county's feed was told of the supervision (judged under P4.pushed).
    pub pushed: bool,
    /// Closed afterwards (the supervision does not stop the county handling it).
    pub closed_after: bool,
    /// HTTP status of acknowledge, handle and close afterwards.
    pub after: [u16; 3],
}

/// Everything the judge saw of the platform's alarm handling in one run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClosureRun {
    pub limits: Option<Limits>,
    pub county: String,
    pub pushed: Vec<Pushed>,
    pub alarms: Vec<AlarmSeen>,
    pub handled: Vec<Handling>,
    pub escalation: Option<Escalation>,
    /// What stopped the judge from driving the workflow (login failed, API answered nonsense).
    pub errors: Vec<String>,
}

/// The demo users the judge acts as (the reference platform's seed; a lab's platform names its
/// own).
#[derive(Debug, Clone)]
pub struct Regulators {
    pub county_admin: (String, String),
    pub county_inspector: (String, String),
    pub county_supervisor: (String, String),
    pub city_supervisor: (String, String),
}

impl Regulators {
    /// The reference platform's demo users of the mine's county and city.
    pub fn demo(county: &str) -> Regulators {
        let city = format!("{}00", &county[..4.min(county.len())]);
        let user = |role: &str, unit: &str| {
            let name = format!("{role}.{unit}");
            let pw = eseal_platform::demo::demo_user_password(&name);
            (name, pw)
        };
        Regulators {
            county_admin: user("admin", county),
            county_inspector: user("inspector", county),
            county_supervisor: user("supervisor", county),
            city_supervisor: user("supervisor", &city),
        }
    }
}

/// The platform's HTTPS API as a regulator's client.
#[derive(Debug, Clone)]
pub struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    /// A client of `base` (`https://127.0.0.1:port`) trusting the PEM certificate `ca`.
    pub fn new(base: &str, ca_pem: &[u8]) -> Result<Api> {
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(ca_pem)?])
            .timeout(Duration::from_secs(20))
            .build()?;
        Ok(Api {
            client,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    /// Logs in; the session token.
    pub async fn login(&self, (user, password): &(String, String)) -> Result<String> {
        let (status, v) = self
            .send(
                reqwest::Method::POST,
                "/api/v1/session",
                None,
                Some(json!({"username": user, "password": password})),
            )
            .await?;
        if status != 201 && status != 200 {
            bail!("login as {user}: HTTP {status}: {v}");
        }
        v.get("token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("login as {user}: no token in {v}"))
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<(u16, Value)> {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("{path}: no answer"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, v))
    }

    async fn get(&self, token: &str, path: &str) -> Result<(u16, Value)> {
        self.send(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Result<(u16, Value)> {
        self.send(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    async fn put(&self, token: &str, path: &str, body: Value) -> Result<(u16, Value)> {
        self.send(reqwest::Method::PUT, path, Some(token), Some(body))
            .await
    }
}

/// Files the mine's configuration as the county admin: stopped (停产) under 一停四不停 with
/// `limits.people` allowed down a day and `limits.trucks` trucks.
pub async fn configure(
    api: &Api,
    who: &Regulators,
    mine: &str,
    name: &str,
    limits: Limits,
) -> Result<()> {
    let token = api.login(&who.county_admin).await?;
    let body = json!({
        "mine": mine,
        "name": name,
        "state": "停产",
        "one_stop_four_continue": true,
        "expected_people_per_day": limits.people,
        "truck_threshold": limits.trucks,
    });
    let (status, v) = api
        .put(&token, &format!("/api/v1/mines/{mine}/config"), body)
        .await?;
    if status != 200 && status != 201 && status != 204 {
        bail!("filing the configuration of mine {mine}: HTTP {status}: {v}");
    }
    Ok(())
}

/// The county inspector's live feed, read in the background (reconnecting with `Last-Event-ID`
/// when the platform restarts).
#[derive(Debug)]
pub struct FeedListener {
    pushed: Arc<Mutex<Vec<Pushed>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FeedListener {
    /// Opens the feed of `who.county_inspector`.
    pub fn spawn(api: Api, who: &Regulators) -> FeedListener {
        let pushed = Arc::new(Mutex::new(Vec::new()));
        let (sink, creds) = (pushed.clone(), who.county_inspector.clone());
        let task = tokio::spawn(async move {
            let mut last: Option<String> = None;
            loop {
                if let Err(e) = listen(&api, &creds, &sink, &mut last).await {
                    tracing::debug!(error = %format!("{e:#}"), "judge: live feed interrupted; reconnecting");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        FeedListener { pushed, task }
    }

    /// What the feed delivered so far.
    pub fn pushed(&self) -> Vec<Pushed> {
        self.pushed.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Stops listening.
    pub fn stop(self) -> Vec<Pushed> {
        self.task.abort();
        self.pushed()
    }
}

async fn listen(
    api: &Api,
    creds: &(String, String),
    sink: &Mutex<Vec<Pushed>>,
    last: &mut Option<String>,
) -> Result<()> {
    let token = api.login(creds).await?;
    let mut req = api
        .client
        .get(format!("{}/api/v1/feed", api.base))
        .bearer_auth(&token)
        .timeout(Duration::from_secs(24 * 3600));
    if let Some(id) = last.as_deref() {
        req = req.header("Last-Event-ID", id);
    }
    let mut resp = req.send().await?;
    if !resp.status().is_success() {
        bail!("feed: HTTP {}", resp.status());
    }
    let mut buf = String::new();
    while let Some(chunk) = resp.chunk().await? {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let (mut event, mut data, mut id) = (String::new(), String::new(), None);
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    event = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                } else if let Some(v) = line.strip_prefix("id:") {
                    id = Some(v.trim().to_owned());
                }
            }
            if id.is_some() {
                *last = id;
            }
            if event != "alarm" {
                continue;
            }
            let Ok(v) = serde_json::from_str::<Value>(&data) else {
                continue;
            };
            let p = Pushed {
                alarm_id: v.get("alarm_id").and_then(Value::as_i64).unwrap_or(-1),
                event: str_of(&v, "event"),
                kind: str_of(&v, "kind"),
            };
            if let Ok(mut s) = sink.lock() {
                s.push(p);
            }
        }
    }
    Ok(())
}

fn str_of(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn alarm_of(v: &Value) -> AlarmSeen {
    AlarmSeen {
        id: v.get("id").and_then(Value::as_i64).unwrap_or(-1),
        kind: str_of(v, "kind"),
        grade: str_of(v, "grade"),
        camera: v.get("camera").and_then(Value::as_str).map(str::to_owned),
        message: str_of(v, "message"),
        evidence: v
            .get("evidence")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.get("name").and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// How the judge moves the platform's (virtual) clock and lets its automatic supervision run.
pub trait PlatformClock {
    /// Moves the clock `hours` on and waits until the platform has run its supervision at the
    /// new time.
    fn advance(&self, hours: i64) -> impl std::future::Future<Output = Result<()>> + Send;
}

/// Hours the clock is moved on for the escalation: past the longest handling deadline of the
/// reference policy (24 h) and its second rung.
pub const ESCALATE_AFTER_H: i64 = 49;

/// Drives every alarm of the county's list to closure, but one that is left for the automatic
/// supervision (see the module docs). `feed` is stopped at the end; what it delivered is kept.
pub async fn drive(
    api: &Api,
    who: &Regulators,
    county: &str,
    limits: Limits,
    feed: FeedListener,
    clock: &impl PlatformClock,
) -> ClosureRun {
    let mut run = ClosureRun {
        limits: Some(limits),
        county: county.to_owned(),
        ..ClosureRun::default()
    };
    if let Err(e) = drive_inner(api, who, &mut run, &feed, clock).await {
        run.errors.push(format!("{e:#}"));
    }
    run.pushed = feed.stop();
    run
}

async fn drive_inner(
    api: &Api,
    who: &Regulators,
    run: &mut ClosureRun,
    feed: &FeedListener,
    clock: &impl PlatformClock,
) -> Result<()> {
    let inspector = api.login(&who.county_inspector).await?;
    let supervisor = api.login(&who.county_supervisor).await?;
    let city = api.login(&who.city_supervisor).await?;
    let (status, v) = api.get(&inspector, "/api/v1/alarms?limit=1000").await?;
    if status != 200 {
        bail!(
            "GET /api/v1/alarms as {}: HTTP {status}: {v}",
            who.county_inspector.0
        );
    }
    let mut alarms: Vec<AlarmSeen> = v
        .get("alarms")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(alarm_of).collect())
        .unwrap_or_default();
    alarms.sort_by_key(|a| a.id);
    run.alarms = alarms.clone();
    // Give the feed a moment to deliver what it has not yet (it is pushed at once; this is
    // loopback latency on a busy machine, up to 5 s wall — not a tolerance of the judge: a
    // platform that never pushes fails however long it is given).
    for _ in 0..250 {
        let seen = feed.pushed();
        if alarms.iter().all(|a| {
            seen.iter()
                .any(|p| p.alarm_id == a.id && p.event == "raised")
        }) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let Some((left, rest)) = alarms.split_last() else {
        return Ok(());
    };
    for a in rest {
        let path = format!("/api/v1/alarms/{}/actions", a.id);
        let mut h = Handling {
            alarm_id: a.id,
            ..Handling::default()
        };
        h.early_close = Some(
            api.post(
                &supervisor,
                &path,
                json!({"action": "close", "remarks": "未处置即办结（应被拒绝）"}),
            )
            .await?
            .0,
        );
        h.acknowledge = Some(
            api.post(
                &inspector,
                &path,
                json!({"action": "acknowledge", "note": "已签收，派员核查"}),
            )
            .await?
            .0,
        );
        h.handle = Some(
            api.post(
                &inspector,
                &path,
                json!({"action": "handle", "result": "confirmed_violation", "notes": "现场核查：认证测试（judge）", "photos": []}),
            )
            .await?
            .0,
        );
        h.close = Some(
            api.post(
                &supervisor,
                &path,
                json!({"action": "close", "remarks": "认证测试办结"}),
            )
            .await?
            .0,
        );
        let (s, v) = api.get(&city, &format!("/api/v1/alarms/{}", a.id)).await?;
        if s == 200 {
            h.city_state = Some(str_of(&v, "state"));
            h.city_steps = v.get("steps").and_then(Value::as_array).map_or(0, Vec::len);
        }
        run.handled.push(h);
    }
    // The last alarm: nobody acts; the deadline passes.
    clock.advance(ESCALATE_AFTER_H).await?;
    // Two days on, the sessions have expired (they last hours): log in again, as people would.
    let inspector = api.login(&who.county_inspector).await?;
    let supervisor = api.login(&who.county_supervisor).await?;
    let city = api.login(&who.city_supervisor).await?;
    let mut e = Escalation {
        alarm_id: left.id,
        advanced_h: ESCALATE_AFTER_H,
        ..Escalation::default()
    };
    let (s, v) = api
        .get(&city, &format!("/api/v1/alarms/{}", left.id))
        .await?;
    if s == 200 {
        // Supervision is recorded beside the state (its own list), or as a step.
        let auto_sup = v
            .get("supervisions")
            .and_then(Value::as_array)
            .map_or(0, |s| {
                s.iter()
                    .filter(|x| x.get("automatic").is_some_and(|a| !a.is_null()))
                    .count()
            });
        let auto_steps = v.get("steps").and_then(Value::as_array).map_or(0, |steps| {
            steps
                .iter()
                .filter(|st| {
                    st.pointer("/action/action").and_then(Value::as_str) == Some("auto_supervise")
                })
                .count()
        });
        e.auto_steps = auto_sup.max(auto_steps);
    }
    for _ in 0..250 {
        if feed
            .pushed()
            .iter()
            .any(|p| p.alarm_id == left.id && p.event.contains("supervis"))
        {
            e.pushed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let path = format!("/api/v1/alarms/{}/actions", left.id);
    let ack = api
        .post(
            &inspector,
            &path,
            json!({"action": "acknowledge", "note": "督办后签收"}),
        )
        .await?
        .0;
    let handle = api
        .post(&inspector, &path, json!({"action": "handle", "result": "confirmed_violation", "notes": "督办后现场核查", "photos": []}))
        .await?
        .0;
    let close = api
        .post(
            &supervisor,
            &path,
            json!({"action": "close", "remarks": "督办件办结"}),
        )
        .await?
        .0;
    e.closed_after = ack == 200 && handle == 200 && close == 200;
    e.after = [ack, handle, close];
    run.escalation = Some(e);
    Ok(())
}

/// The alarm kind an upload must raise under `limits`, and the scope within which one alarm
/// covers several uploads; `None`: the upload must not alarm.
fn expected_kind(name: &EvidenceName, limits: Limits) -> Option<(&'static str, String)> {
    let day = |t: eseal_protocol::MineTime| -> NaiveDate { t.date() };
    match *name {
        EvidenceName::People {
            mine, count, time, ..
        } => (count.get() > limits.people)
            .then(|| ("people_over_limit", format!("{mine}/{}", day(time)))),
        EvidenceName::Truck {
            mine, count, time, ..
        } => (count.get() > limits.trucks)
            .then(|| ("trucks_over_limit", format!("{mine}/{}", day(time)))),
        EvidenceName::Transport {
            mine,
            camera,
            state,
            ..
        } => match state {
            Some(TransportState::Stopped) => None,
            _ => Some(("transport_running", format!("{mine}/{camera}"))),
        },
        EvidenceName::Tamper {
            mine,
            camera,
            kind,
            time,
        } => {
            let k = match kind {
                TamperKind::Occlusion => "camera_occluded",
                TamperKind::AngleMoved => "camera_moved",
            };
            Some((k, format!("{mine}/{camera}/{}", day(time))))
        }
        EvidenceName::Lock { .. } => Some(("lock_tampered", String::new())),
    }
}

const P4_RAISED: (&str, &str, &str) = (
    "告警生成",
    "Alarms raised",
    "Every upload that should alarm under the mine's configuration raises an alarm; nothing else does (P3, P4).",
);
const P4_PUSHED: (&str, &str, &str) = (
    "告警推送",
    "Alarms pushed",
    "Every alarm, and every supervision of it, is pushed to the mine's county at once, on its live feed (P4, P14).",
);
const P4_CLOSED: (&str, &str, &str) = (
    "告警闭环处置",
    "Alarm handling to closure",
    "The county acknowledges, handles and closes each alarm; closing an unhandled one is refused; every step is visible to the city at once (P4, P5).",
);
const P4_ESCALATED: (&str, &str, &str) = (
    "超时督办",
    "Overdue supervision",
    "An alarm nobody handles within its deadline is supervised (督办) automatically, visibly to the city, and can still be handled and closed (P4).",
);

#[allow(clippy::too_many_arguments)]
fn check(
    t: (&str, &str, &str),
    id: &str,
    verdict: Verdict,
    expected: String,
    actual: String,
    value: Option<f64>,
    findings: Vec<String>,
) -> Check {
    Check {
        id: id.to_owned(),
        clause: "P4".to_owned(),
        title_zh: t.0.to_owned(),
        title_en: t.1.to_owned(),
        requirement: t.2.to_owned(),
        verdict,
        expected,
        actual,
        value,
        bar: value.map(|_| 1.0),
        unit: if value.is_some() {
            "ratio".to_owned()
        } else {
            String::new()
        },
        evidence: Vec::new(),
        findings,
        excluded: None,
        supply: None,
    }
}

const ALL: [(&str, (&str, &str, &str)); 4] = [
    ("P4.raised", P4_RAISED),
    ("P4.pushed", P4_PUSHED),
    ("P4.closed", P4_CLOSED),
    ("P4.escalated", P4_ESCALATED),
];

/// The P4 checks of a run. `run` is `None` when the judge did not drive the platform's alarm
/// handling (external mode: P4 is the platform's clause and the platform is the judge's own, not
/// under test): every check NOT-APPLICABLE, saying so. A run without the mine's filed limits
/// cannot tell which uploads must alarm: every check INCONCLUSIVE, never silently absent.
pub fn checks(uploads: &[Upload], run: Option<&ClosureRun>) -> Vec<Check> {
    let Some(run) = run else {
        return ALL
            .into_iter()
            .map(|(id, t)| {
                let actual = "the judge did not drive the platform's alarm handling in this run (P4 is the platform's clause, not the device's)".into();
                check(t, id, Verdict::NotApplicable, "the platform's alarm handling is observed".into(), actual, None, Vec::new())
            })
            .collect();
    };
    let mut out = Vec::new();
    let Some(limits) = run.limits else {
        return ALL
            .into_iter()
            .map(|(id, t)| Check {
                supply: Some(
                    "矿井的人员与车辆限值 / the mine's filed people and truck limits (P9, P10)"
                        .into(),
                ),
                ..check(
                    t,
                    id,
                    Verdict::Inconclusive,
                    "the mine's limits filed before the run".into(),
                    "no limits were filed: the judge cannot tell which uploads must alarm".into(),
                    None,
                    run.errors.clone(),
                )
            })
            .collect();
    };
    let by_name: BTreeMap<&str, &AlarmSeen> = run
        .alarms
        .iter()
        .flat_map(|a| a.evidence.iter().map(move |n| (n.as_str(), a)))
        .collect();
    // Which scope each alarm covers: the scope of its evidence.
    let mut covered: BTreeMap<(&'static str, String), Vec<i64>> = BTreeMap::new();
    let mut findings = Vec::new();
    for a in &run.alarms {
        let mut ok = false;
        for n in &a.evidence {
            match EvidenceName::parse(n)
                .ok()
                .and_then(|p| expected_kind(&p.name, limits))
            {
                Some((k, scope)) if k == a.kind => {
                    ok = true;
                    covered.entry((k, scope)).or_default().push(a.id);
                }
                _ => {}
            }
        }
        if !ok {
            findings.push(format!(
                "alarm {} {} ({}) raised by {:?}, which should not alarm under the configuration",
                a.id, a.kind, a.message, a.evidence
            ));
        }
    }
    let false_alarms = findings.len();
    let mut should = 0usize;
    let mut missed = 0usize;
    for u in uploads {
        let Ok(p) = EvidenceName::parse(&u.name) else {
            continue;
        };
        let Some((kind, scope)) = expected_kind(&p.name, limits) else {
            continue;
        };
        should += 1;
        let hit = if kind == "lock_tampered" {
            by_name.get(u.name.as_str()).is_some_and(|a| a.kind == kind)
        } else {
            covered.contains_key(&(kind, scope))
        };
        if !hit {
            missed += 1;
            findings.push(format!("{}: should raise {kind} (people ≤ {}, trucks ≤ {} a day filed) but no alarm covers it", u.name, limits.people, limits.trucks));
        }
    }
    let raised_ok = missed == 0 && false_alarms == 0;
    out.push(check(
        P4_RAISED,
        "P4.raised",
        if !run.errors.is_empty() { Verdict::Fail } else { pass(raised_ok) },
        format!("every alarming upload covered by an alarm, no false alarm (filed: {} people, {} trucks a day)", limits.people, limits.trucks),
        format!("{} upload(s) should alarm, {missed} not covered; {} alarm(s), {false_alarms} false", should, run.alarms.len()),
        (should > 0).then(|| (should - missed) as f64 / should as f64),
        findings.into_iter().chain(run.errors.iter().cloned()).collect(),
    ));
    if run.alarms.is_empty() {
        for (id, t) in [
            ("P4.pushed", P4_PUSHED),
            ("P4.closed", P4_CLOSED),
            ("P4.escalated", P4_ESCALATED),
        ] {
            out.push(check(
                t,
                id,
                Verdict::NotApplicable,
                "alarms to push and handle".into(),
                "no alarm was raised in this run".into(),
                None,
                Vec::new(),
            ));
        }
        return out;
    }
    let unpushed: Vec<String> = run
        .alarms
        .iter()
        .filter(|a| {
            !run.pushed
                .iter()
                .any(|p| p.alarm_id == a.id && p.event == "raised")
        })
        .map(|a| {
            format!(
                "alarm {} {} ({}) never reached county {}'s live feed",
                a.id, a.kind, a.message, run.county
            )
        })
        .collect();
    let n = run.alarms.len();
    let raised_pushed = n - unpushed.len();
    let mut unpushed = unpushed;
    // The supervision of the alarm left alone is news for the county too (P14).
    if let Some(e) = run
        .escalation
        .as_ref()
        .filter(|e| e.auto_steps > 0 && !e.pushed)
    {
        unpushed.push(format!(
            "alarm {}: its automatic supervision never reached county {}'s live feed",
            e.alarm_id, run.county
        ));
    }
    out.push(check(
        P4_PUSHED,
        "P4.pushed",
        pass(unpushed.is_empty()),
        format!(
            "each alarm and each supervision on county {}'s live feed",
            run.county
        ),
        format!("{raised_pushed} of {n} alarm(s) pushed"),
        Some(raised_pushed as f64 / n as f64),
        unpushed,
    ));
    let mut bad = Vec::new();
    for h in &run.handled {
        let s = |x: Option<u16>| x.map_or_else(|| "-".to_owned(), |v| v.to_string());
        if h.early_close != Some(409) {
            bad.push(format!("alarm {}: closing it before anybody handled it answered {} (expected 409, refused)", h.alarm_id, s(h.early_close)));
        }
        for (what, st) in [
            ("acknowledge", h.acknowledge),
            ("handle", h.handle),
            ("close", h.close),
        ] {
            if st != Some(200) {
                bad.push(format!(
                    "alarm {}: {what} answered {} (expected 200)",
                    h.alarm_id,
                    s(st)
                ));
            }
        }
        if h.city_state.as_deref() != Some("closed") || h.city_steps < 3 {
            bad.push(format!("alarm {}: the city sees state {:?} with {} step(s) (expected closed with its 3 steps)", h.alarm_id, h.city_state, h.city_steps));
        }
    }
    let done = run.handled.len();
    out.push(check(
        P4_CLOSED,
        "P4.closed",
        if done == 0 {
            Verdict::NotApplicable
        } else {
            pass(bad.is_empty())
        },
        "acknowledge → handle → close accepted, early close refused, the city sees every step"
            .into(),
        if done == 0 {
            "one alarm only: it is kept for the overdue check".into()
        } else {
            format!(
                "{done} alarm(s) driven to closure, {} problem(s)",
                bad.len()
            )
        },
        None,
        bad,
    ));
    let (verdict, actual, f) = match &run.escalation {
        None => (
            Verdict::Fail,
            "the judge could not reach the escalation step".to_owned(),
            run.errors.clone(),
        ),
        Some(e) => {
            let mut f = Vec::new();
            if e.auto_steps == 0 {
                f.push(format!(
                    "alarm {}: no automatic supervision {} h after it was raised untouched",
                    e.alarm_id, e.advanced_h
                ));
            }
            if !e.closed_after {
                f.push(format!(
                    "alarm {}: could not be handled and closed after its supervision (acknowledge, handle, close answered {:?})",
                    e.alarm_id, e.after
                ));
            }
            (
                pass(f.is_empty()),
                format!(
                    "alarm {}: {} automatic supervision(s) after {} h",
                    e.alarm_id, e.auto_steps, e.advanced_h
                ),
                f,
            )
        }
    };
    out.push(check(
        P4_ESCALATED,
        "P4.escalated",
        verdict,
        "automatic 督办 of the alarm nobody handled, pushed to the county".into(),
        actual,
        None,
        f,
    ));
    out
}

fn pass(ok: bool) -> Verdict {
    if ok { Verdict::Pass } else { Verdict::Fail }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const L: Limits = Limits {
        people: 2,
        trucks: 1,
    };

    fn up(name: &str) -> Upload {
        Upload {
            name: name.to_owned(),
            bytes: Vec::new(),
            arrived_s: Some(0.0),
        }
    }

    /// U1 of camera 20 with the day's `count`, on 2026-11-28.
    fn person(count: u16, hhmmss: &str) -> String {
        format!("14042100786620010{count:03}20261128{hhmmss}.jpg")
    }

    fn alarm(id: i64, kind: &str, evidence: &str) -> AlarmSeen {
        AlarmSeen {
            id,
            kind: kind.to_owned(),
            grade: "general".to_owned(),
            camera: None,
            message: String::new(),
            evidence: vec![evidence.to_owned()],
        }
    }

    fn good_run(alarms: Vec<AlarmSeen>) -> ClosureRun {
        let (last, rest) = alarms.split_last().unwrap();
        ClosureRun {
            limits: Some(L),
            county: "140421".to_owned(),
            pushed: alarms
                .iter()
                .map(|a| Pushed {
                    alarm_id: a.id,
                    event: "raised".into(),
                    kind: a.kind.clone(),
                })
                .chain([Pushed {
                    alarm_id: last.id,
                    event: "auto_supervised".into(),
                    kind: last.kind.clone(),
                }])
                .collect(),
            handled: rest
                .iter()
                .map(|a| Handling {
                    alarm_id: a.id,
                    early_close: Some(409),
                    acknowledge: Some(200),
                    handle: Some(200),
                    close: Some(200),
                    city_state: Some("closed".into()),
                    city_steps: 3,
                })
                .collect(),
            escalation: Some(Escalation {
                alarm_id: last.id,
                advanced_h: ESCALATE_AFTER_H,
                auto_steps: 1,
                pushed: true,
                closed_after: true,
                after: [200; 3],
            }),
            alarms,
            errors: Vec::new(),
        }
    }

    fn verdict(checks: &[Check], id: &str) -> Verdict {
        checks
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.verdict)
            .unwrap()
    }

    fn uploads() -> Vec<Upload> {
        // Two people are allowed: the third and fourth must alarm; one occlusion must alarm.
        vec![
            up(&person(1, "080000")),
            up(&person(2, "080100")),
            up(&person(3, "080200")),
            up(&person(4, "080300")),
            up("140421007866200420261128080400.jpg"),
        ]
    }

    #[test]
    fn only_what_exceeds_the_filed_numbers_must_alarm() {
        let p = |n| EvidenceName::parse(&person(n, "080000")).unwrap().name;
        assert_eq!(expected_kind(&p(2), L), None);
        assert_eq!(
            expected_kind(&p(3), L).map(|k| k.0),
            Some("people_over_limit")
        );
        let truck = |n: u16| {
            EvidenceName::parse(&format!("14042100786630020{n:03}20261128080000.jpg"))
                .unwrap()
                .name
        };
        assert_eq!(expected_kind(&truck(1), L), None);
        assert_eq!(
            expected_kind(&truck(2), L).map(|k| k.0),
            Some("trucks_over_limit")
        );
        let belt = |s: &str| {
            EvidenceName::parse(&format!("1404210078661003{s}20261128080000.mp4"))
                .unwrap()
                .name
        };
        assert_eq!(expected_kind(&belt("00"), L), None);
        assert_eq!(
            expected_kind(&belt("02"), L).map(|k| k.0),
            Some("transport_running")
        );
    }

    #[test]
    fn a_platform_that_does_everything_passes() {
        let run = good_run(vec![
            alarm(1, "people_over_limit", &person(3, "080200")),
            alarm(2, "camera_occluded", "140421007866200420261128080400.jpg"),
        ]);
        let c = checks(&uploads(), Some(&run));
        for id in ["P4.raised", "P4.pushed", "P4.closed", "P4.escalated"] {
            assert_eq!(verdict(&c, id), Verdict::Pass, "{id}: {c:#?}");
        }
    }

    #[test]
    fn a_missed_alarm_or_a_false_one_fails_raised() {
        // The occlusion never alarmed.
        let run = good_run(vec![alarm(1, "people_over_limit", &person(3, "080200"))]);
        let c = checks(&uploads(), Some(&run));
        assert_eq!(verdict(&c, "P4.raised"), Verdict::Fail);
        assert!(
            c[0].findings.iter().any(|f| f.contains("camera_occluded")),
            "{:?}",
            c[0].findings
        );
        // An alarm on the second person, who was allowed down.
        let run = good_run(vec![
            alarm(1, "people_over_limit", &person(2, "080100")),
            alarm(2, "people_over_limit", &person(3, "080200")),
            alarm(3, "camera_occluded", "140421007866200420261128080400.jpg"),
        ]);
        let c = checks(&uploads(), Some(&run));
        assert_eq!(verdict(&c, "P4.raised"), Verdict::Fail);
        assert!(
            c[0].findings.iter().any(|f| f.contains("should not alarm")),
            "{:?}",
            c[0].findings
        );
    }

    #[test]
    fn silence_on_the_feed_fails_pushed_only() {
        let mut run = good_run(vec![
            alarm(1, "people_over_limit", &person(3, "080200")),
            alarm(2, "camera_occluded", "140421007866200420261128080400.jpg"),
        ]);
        run.pushed.clear();
        run.escalation.as_mut().unwrap().pushed = false;
        let c = checks(&uploads(), Some(&run));
        assert_eq!(verdict(&c, "P4.pushed"), Verdict::Fail);
        assert_eq!(verdict(&c, "P4.raised"), Verdict::Pass);
        assert_eq!(verdict(&c, "P4.closed"), Verdict::Pass);
        assert_eq!(verdict(&c, "P4.escalated"), Verdict::Pass);
        // Alarms pushed, their supervision not: still a push failure.
        let mut run = good_run(vec![
            alarm(1, "people_over_limit", &person(3, "080200")),
            alarm(2, "camera_occluded", "140421007866200420261128080400.jpg"),
        ]);
        run.escalation.as_mut().unwrap().pushed = false;
        assert_eq!(
            verdict(&checks(&uploads(), Some(&run)), "P4.pushed"),
            Verdict::Fail
        );
    }

    #[test]
    fn an_accepted_early_close_or_no_supervision_fails() {
        let mut run = good_run(vec![
            alarm(1, "people_over_limit", &person(3, "080200")),
            alarm(2, "camera_occluded", "140421007866200420261128080400.jpg"),
        ]);
        run.handled[0].early_close = Some(200);
        let c = checks(&uploads(), Some(&run));
        assert_eq!(verdict(&c, "P4.closed"), Verdict::Fail);
        let mut run = good_run(vec![
            alarm(1, "people_over_limit", &person(3, "080200")),
            alarm(2, "camera_occluded", "140421007866200420261128080400.jpg"),
        ]);
        run.escalation.as_mut().unwrap().auto_steps = 0;
        let c = checks(&uploads(), Some(&run));
        assert_eq!(verdict(&c, "P4.escalated"), Verdict::Fail);
    }

    /// Issue 15: a run whose mine had no limits filed cannot say which uploads must alarm; the
    /// old checks returned nothing at all (the clause silently vanished from the report).
    #[test]
    fn a_run_without_filed_limits_is_inconclusive_not_silent() {
        let run = ClosureRun {
            limits: None,
            county: "140421".into(),
            ..ClosureRun::default()
        };
        let c = checks(&uploads(), Some(&run));
        assert_eq!(c.len(), 4, "every P4 check is reported: {c:?}");
        assert!(
            c.iter()
                .all(|c| c.verdict == Verdict::Inconclusive && c.supply.is_some()),
            "{c:?}"
        );
    }

    #[test]
    fn nothing_to_alarm_is_not_applicable_and_unobserved_is_too() {
        let run = ClosureRun {
            limits: Some(L),
            county: "140421".into(),
            ..ClosureRun::default()
        };
        let c = checks(&[up(&person(1, "080000"))], Some(&run));
        assert_eq!(verdict(&c, "P4.raised"), Verdict::Pass);
        assert_eq!(verdict(&c, "P4.closed"), Verdict::NotApplicable);
        let c = checks(&[up(&person(3, "080000"))], None);
        assert!(c.iter().all(|c| c.verdict == Verdict::NotApplicable));
    }
}
