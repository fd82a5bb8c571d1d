//! Webhooks (P14): WeChat Work (企业微信) group robots and SMS gateways, with retries.
//!
//! **WeChat Work group robot** — `POST <robot url>` (`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`)
//! with `{"msgtype": "markdown", "markdown": {"content": "…"}}`, content at most 4096 bytes of
//! UTF-8 (longer content is cut at a character boundary). The robot answers HTTP 200 with
//! `{"errcode": 0, "errmsg": "ok"}`; any other `errcode` (or a body without one) is a failure.
//! Note: a robot accepts about 20 messages a minute; this module does not throttle.
//!
//! **SMS gateway (reference profile format, ours)** — `POST <gateway url>` with
//!
//! ```json
//! {"phone_numbers": ["13800000000"], "template_id": "ESEAL_ALARM",
//!  "params": {"alarm_id": "7", "mine": "140421007866", "kind": "入井人数超限",
//!             "grade": "重大风险(红)", "event": "新报警", "state": "待签收",
//!             "time": "2021-01-04 22:45:15", "message": "入井人数 31"},
//!  "text": "【重大风险(红)】矿山 140421007866 入井人数超限：…", "dedup_key": "eseal-7-12"}
//! ```
//!
//! Every `params` value is a string (SMS templates take strings); `time` is China Standard
//! Time; `dedup_key` (alarm id and feed sequence) is the same on every retry so the gateway can
//! drop duplicates. Success: HTTP 2xx, unless the body is a JSON object whose `code` is a
//! non-zero number.
//!
//! **Retries**: up to [`RetryPolicy::max_attempts`], exponential back-off from
//! [`RetryPolicy::initial_backoff`] doubling up to [`RetryPolicy::max_backoff`], each delay
//! shortened by a seeded random fraction up to [`RetryPolicy::jitter`] (so a run is
//! reproducible). HTTP 4xx other than 408 and 429 is permanent and not retried. Every attempt is
//! recorded in the returned [`Delivery`]; error texts never contain the URL (robot keys are
//! secrets).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};

use super::{Feed, Item, Notice};
use crate::supervision::{Actor, RiskGrade, UnitCode};

/// Longest WeChat Work markdown content, in bytes.
const WECOM_MAX_BYTES: usize = 4096;
/// Most bytes of a response body read.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Where a webhook goes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Channel {
    /// A WeChat Work group robot (企业微信群机器人).
    #[serde(rename = "wecom_robot")]
    WeComRobot {
        /// The robot's webhook URL (contains its key: a secret).
        url: String,
    },
    /// An SMS gateway speaking the module's JSON format.
    SmsGateway {
        /// The gateway's URL.
        url: String,
        /// Recipients: digits, optionally with a leading `+`.
        phone_numbers: Vec<String>,
        /// The gateway's template id.
        template_id: String,
    },
}

impl Channel {
    fn url(&self) -> &str {
        match self {
            Channel::WeComRobot { url } | Channel::SmsGateway { url, .. } => url,
        }
    }

    /// Stable id: `wecom_robot` or `sms_gateway`.
    pub fn id(&self) -> &'static str {
        match self {
            Channel::WeComRobot { .. } => "wecom_robot",
            Channel::SmsGateway { .. } => "sms_gateway",
        }
    }
}

/// Shows the URL without its query (where robot keys are).
impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = self.url();
        let shown = url
            .split_once('?')
            .map_or(url.to_owned(), |(u, _)| format!("{u}?…"));
        match self {
            Channel::WeComRobot { .. } => {
                f.debug_struct("WeComRobot").field("url", &shown).finish()
            }
            Channel::SmsGateway {
                phone_numbers,
                template_id,
                ..
            } => f
                .debug_struct("SmsGateway")
                .field("url", &shown)
                .field("phone_numbers", &phone_numbers.len())
                .field("template_id", template_id)
                .finish(),
        }
    }
}

fn default_grade() -> RiskGrade {
    RiskGrade::Low
}

/// A webhook subscription: a channel and the notices it wants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookTarget {
    /// Name, unique among targets (recorded in each [`Delivery`]).
    pub name: String,
    /// Where to send.
    pub channel: Channel,
    /// Notices about mines any of these units covers (`000000`: all).
    pub units: Vec<UnitCode>,
    /// Only alarms of this grade or higher (default: all).
    #[serde(default = "default_grade")]
    pub min_grade: RiskGrade,
}

/// Error of a webhook configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("webhook target {target:?} {field}: {reason} (expected {expected}, P14)")]
pub struct PushError {
    /// The target's name.
    pub target: String,
    /// The field.
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
    /// The form expected.
    pub expected: &'static str,
}

impl WebhookTarget {
    /// Whether `notice` is for this target.
    pub fn matches(&self, notice: &Notice) -> bool {
        notice.grade >= self.min_grade && self.units.iter().any(|u| u.covers_mine(&notice.mine))
    }

    /// The request body for `notice`.
    pub fn body(&self, notice: &Notice) -> Value {
        match &self.channel {
            Channel::WeComRobot { .. } => wecom_body(notice),
            Channel::SmsGateway {
                phone_numbers,
                template_id,
                ..
            } => sms_body(notice, phone_numbers, template_id),
        }
    }

    /// Checks the target: a name, units, an http(s) URL, and for SMS phone numbers and a
    /// template id.
    pub fn check(&self) -> Result<(), PushError> {
        let err = |field, reason: String, expected| PushError {
            target: self.name.clone(),
            field,
            reason,
            expected,
        };
        if self.name.trim().is_empty() {
            return Err(err("name", "blank".to_owned(), "a non-blank name"));
        }
        if self.units.is_empty() {
            return Err(err(
                "units",
                "empty".to_owned(),
                "at least one unit code (000000 for every mine)",
            ));
        }
        match reqwest::Url::parse(self.channel.url()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => {
                return Err(err(
                    "url",
                    "not an http(s) URL".to_owned(),
                    "an absolute http:// or https:// URL",
                ));
            }
        }
        if let Channel::SmsGateway {
            phone_numbers,
            template_id,
            ..
        } = &self.channel
        {
            if phone_numbers.is_empty() {
                return Err(err(
                    "phone_numbers",
                    "empty".to_owned(),
                    "at least one phone number",
                ));
            }
            for p in phone_numbers {
                let digits = p.strip_prefix('+').unwrap_or(p);
                if digits.len() < 5
                    || digits.len() > 15
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(err(
                        "phone_numbers",
                        format!("{p:?} is not a phone number"),
                        "5–15 digits, optionally after +",
                    ));
                }
            }
            if template_id.trim().is_empty() {
                return Err(err(
                    "template_id",
                    "blank".to_owned(),
                    "the gateway's template id",
                ));
            }
        }
        Ok(())
    }
}

/// `at` in China Standard Time (UTC+8), as mine-side times are.
fn cst(at: DateTime<Utc>) -> String {
    match FixedOffset::east_opt(8 * 3600) {
        Some(tz) => at
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        None => at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    }
}

/// Cuts `s` to at most `max` bytes at a character boundary.
fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// The WeChat Work group robot body of `notice` (markdown message).
pub fn wecom_body(notice: &Notice) -> Value {
    let color = match notice.grade {
        RiskGrade::Major | RiskGrade::Serious => "warning",
        RiskGrade::General => "comment",
        RiskGrade::Low => "info",
    };
    let mut content = format!(
        "### 矿山电子封条 · {}\n<font color=\"{color}\">{}</font> {}\n> 矿山：{}\n> 类型：{}\n> 内容：{}\n> 状态：{}\n> 时间：{}（北京时间）\n",
        notice.event.zh(),
        notice.grade.zh(),
        notice.kind.zh(),
        notice.mine,
        notice.kind.zh(),
        notice.message,
        notice.state.zh(),
        cst(notice.at),
    );
    if let Some(camera) = &notice.camera {
        content.push_str(&format!("> 位置：{camera}\n"));
    }
    if let Some(unit) = &notice.supervising_unit {
        content.push_str(&format!("> 督办单位：{unit}（{}级）\n", unit.level().zh()));
    }
    content.push_str(&format!(
        "报警编号 {} · 操作 {}",
        notice.alarm_id, notice.actor
    ));
    json!({
        "msgtype": "markdown",
        "markdown": { "content": truncate(content, WECOM_MAX_BYTES) },
    })
}

/// The SMS gateway body of `notice` (the module's format).
pub fn sms_body(notice: &Notice, phone_numbers: &[String], template_id: &str) -> Value {
    json!({
        "phone_numbers": phone_numbers,
        "template_id": template_id,
        "params": {
            "alarm_id": notice.alarm_id.to_string(),
            "mine": notice.mine.as_str(),
            "kind": notice.kind.zh(),
            "grade": notice.grade.zh(),
            "event": notice.event.zh(),
            "state": notice.state.zh(),
            "time": cst(notice.at),
            "message": notice.message,
        },
        "text": notice.text,
        "dedup_key": format!("eseal-{}-{}", notice.alarm_id, notice.seq),
    })
}

/// How deliveries are retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, first included (default 5; at least 1).
    pub max_attempts: u32,
    /// Delay before the second attempt (default 1 s).
    pub initial_backoff: Duration,
    /// Longest delay (default 60 s).
    pub max_backoff: Duration,
    /// Each delay is shortened by a random fraction in `[0, jitter)` (default 0.2; 0 = none).
    pub jitter: f64,
    /// Seed of the jitter (with the target name and notice sequence: reproducible).
    pub seed: u64,
    /// Timeout of one attempt (default 10 s).
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            jitter: 0.2,
            seed: 0,
            timeout: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `n` (2 = first retry): `initial × 2^(n−2)`, capped, jittered.
    pub fn backoff(&self, n: u32, rng: &mut StdRng) -> Duration {
        let doublings = n.saturating_sub(2).min(30);
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff);
        let jitter = self.jitter.clamp(0.0, 1.0);
        if jitter == 0.0 {
            return base;
        }
        base.mul_f64(1.0 - jitter * rng.random::<f64>())
    }
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1-based.
    pub n: u32,
    /// When it started.
    pub at: DateTime<Utc>,
    /// Back-off waited before it, in ms.
    pub backoff_ms: u64,
    /// HTTP status, when a response came.
    pub status: Option<u16>,
    /// Why it failed; `None` on success.
    pub error: Option<String>,
}

/// The record of one notice sent to one target, for the store to persist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Target name.
    pub target: String,
    /// `wecom_robot` or `sms_gateway`.
    pub channel: String,
    /// The alarm.
    pub alarm_id: i64,
    /// The notice's feed sequence.
    pub notice_seq: u64,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// When it was delivered; `None` if it gave up.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The last attempt's error, when it gave up.
    pub last_error: Option<String>,
}

/// The time source of delivery records.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What [`Webhooks`] are configured with.
#[derive(Clone)]
struct Settings {
    targets: Vec<WebhookTarget>,
    retry: RetryPolicy,
    clock: Clock,
    concurrency: usize,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("targets", &self.targets)
            .field("retry", &self.retry)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// Sends notices to webhook targets. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Webhooks {
    client: reqwest::Client,
    settings: Arc<Settings>,
}

/// Builder of [`Webhooks`].
#[derive(Debug)]
pub struct WebhooksBuilder(Settings);

impl WebhooksBuilder {
    /// Adds a target.
    pub fn target(mut self, target: WebhookTarget) -> Self {
        self.0.targets.push(target);
        self
    }

    /// The retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.0.retry = retry;
        self
    }

    /// The clock of the attempt records (default: the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.0.clock = clock;
        self
    }

    /// Most deliveries in flight at once in [`Webhooks::spawn`] (default 16).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.0.concurrency = n.max(1);
        self
    }

    /// Checks every target (and that names are unique) and builds the HTTP client.
    pub fn build(self) -> Result<Webhooks, PushError> {
        let mut settings = self.0;
        settings.retry.max_attempts = settings.retry.max_attempts.max(1);
        for (i, t) in settings.targets.iter().enumerate() {
            t.check()?;
            if settings.targets[..i].iter().any(|o| o.name == t.name) {
                return Err(PushError {
                    target: t.name.clone(),
                    field: "name",
                    reason: "used by another target".to_owned(),
                    expected: "a name unique among targets",
                });
            }
        }
        let client = reqwest::Client::builder()
            .timeout(settings.retry.timeout)
            .user_agent(concat!("eseal-platform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PushError {
                target: String::new(),
                field: "client",
                reason: e.to_string(),
                expected: "a working TLS configuration",
            })?;
        Ok(Webhooks {
            client,
            settings: Arc::new(settings),
        })
    }
}

/// The error text of a request failure: the error and its causes, without the URL.
fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "request"
    };
    let e = e.without_url();
    let mut text = format!("{kind}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

async fn read_capped(mut resp: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = MAX_RESPONSE_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_RESPONSE_BYTES {
            break;
        }
    }
    body
}

/// Whether a 2xx response body says the channel accepted the message.
fn accepted(channel: &Channel, body: &[u8]) -> Result<(), String> {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    match channel {
        Channel::WeComRobot { .. } => match parsed.as_ref().and_then(|v| v.get("errcode")) {
            Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(()),
            Some(code) => Err(format!(
                "WeCom errcode {code}: {}",
                parsed
                    .as_ref()
                    .and_then(|v| v.get("errmsg"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
            )),
            None => Err(format!(
                "WeCom answered without errcode (expected {{\"errcode\":0}}): {}",
                snippet(body)
            )),
        },
        Channel::SmsGateway { .. } => match parsed.as_ref().and_then(|v| v.get("code")) {
            Some(Value::Number(n)) if n.as_f64() != Some(0.0) => {
                Err(format!("SMS gateway code {n}: {}", snippet(body)))
            }
            _ => Ok(()),
        },
    }
}

fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let mut out: String = s.chars().take(200).collect();
    if s.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// Seed of one delivery's jitter: the policy seed, the target name and the notice sequence.
fn delivery_seed(seed: u64, target: &str, seq: u64) -> u64 {
    // FNV-1a: stable across runs and platforms (std's hasher is not).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in target.bytes().chain(seq.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^ seed
}

impl Webhooks {
    /// A builder: no targets, default retries, system clock.
    pub fn builder() -> WebhooksBuilder {
        WebhooksBuilder(Settings {
            targets: Vec::new(),
            retry: RetryPolicy::default(),
            clock: Arc::new(Utc::now),
            concurrency: 16,
        })
    }

    /// The targets.
    pub fn targets(&self) -> &[WebhookTarget] {
        &self.settings.targets
    }

    /// Sends `notice` to `target`, retrying by the policy; returns the record of every attempt.
    pub async fn deliver(&self, target: &WebhookTarget, notice: &Notice) -> Delivery {
        let body = target.body(notice);
        let mut rng = StdRng::seed_from_u64(delivery_seed(
            self.settings.retry.seed,
            &target.name,
            notice.seq,
        ));
        let mut delivery = Delivery {
            target: target.name.clone(),
            channel: target.channel.id().to_owned(),
            alarm_id: notice.alarm_id,
            notice_seq: notice.seq,
            attempts: Vec::new(),
            delivered_at: None,
            last_error: None,
        };
        for n in 1..=self.settings.retry.max_attempts {
            let wait = if n == 1 {
                Duration::ZERO
            } else {
                self.settings.retry.backoff(n, &mut rng)
            };
            tokio::time::sleep(wait).await;
            let at = (self.settings.clock)();
            let started = Instant::now();
            let (status, outcome, retryable) = match self
                .client
                .post(target.channel.url())
                .json(&body)
                .send()
                .await
            {
                Err(e) => (None, Err(describe(e)), true),
                Ok(resp) => {
                    let status = resp.status();
                    let bytes = read_capped(resp).await;
                    if status.is_success() {
                        (
                            Some(status.as_u16()),
                            accepted(&target.channel, &bytes),
                            true,
                        )
                    } else {
                        let permanent = status.is_client_error()
                            && status.as_u16() != 408
                            && status.as_u16() != 429;
                        (
                            Some(status.as_u16()),
                            Err(format!("HTTP {status}: {}", snippet(&bytes))),
                            !permanent,
                        )
                    }
                }
            };
            tracing::debug!(target = %target.name, n, elapsed_ms = started.elapsed().as_millis() as u64, ?status, "webhook attempt");
            let error = outcome.err();
            delivery.attempts.push(Attempt {
                n,
                at,
                backoff_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                status,
                error: error.clone(),
            });
            match error {
                None => {
                    delivery.delivered_at = Some(at);
                    delivery.last_error = None;
                    return delivery;
                }
                Some(e) => {
                    delivery.last_error = Some(e);
                    if !retryable {
                        break;
                    }
                }
            }
        }
        tracing::warn!(target = %target.name, alarm = notice.alarm_id, error = ?delivery.last_error, "webhook gave up");
        delivery
    }

    /// Sends `notice` to every matching target at once.
    pub async fn dispatch(&self, notice: &Notice) -> Vec<Delivery> {
        let sends = self
            .settings
            .targets
            .iter()
            .filter(|t| t.matches(notice))
            .map(|t| self.deliver(t, notice));
        futures::future::join_all(sends).await
    }

    /// Subscribes to `feed` as the platform and delivers every notice in the background, at
    /// most `concurrency` deliveries in flight; each finished [`Delivery`] goes to
    /// `deliveries` (for the store). If deliveries fall so far behind that the feed's replay
    /// buffer is overrun, the lost notices are logged (not sent). Ends with the feed.
    pub fn spawn(
        self,
        feed: &Feed,
        deliveries: mpsc::Sender<Delivery>,
    ) -> tokio::task::JoinHandle<()> {
        let mut sub = feed.subscribe(&Actor::System, None);
        let permits = Arc::new(Semaphore::new(self.settings.concurrency));
        tokio::spawn(async move {
            while let Some(item) = sub.recv().await {
                let p = match item {
                    Item::Notice(p) => p,
                    Item::Lagged { missed } => {
                        tracing::warn!(missed, "webhooks fell behind the feed; notices not sent");
                        continue;
                    }
                };
                if !self.settings.targets.iter().any(|t| t.matches(&p.notice)) {
                    continue;
                }
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let (hooks, tx) = (self.clone(), deliveries.clone());
                tokio::spawn(async move {
                    for d in hooks.dispatch(&p.notice).await {
                        // The receiver gone means nobody records deliveries any more.
                        let _ = tx.send(d).await;
                    }
                    drop(permit);
                });
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use eseal_protocol::MineCode;

    use super::*;
    use crate::supervision::push::NoticeEvent;
    use crate::supervision::{AlarmKind, AlarmState};

    fn notice() -> Notice {
        let mine = MineCode::parse("140421007866").expect("mine");
        Notice {
            seq: 12,
            at: Utc
                .with_ymd_and_hms(2021, 1, 4, 14, 45, 15)
                .single()
                .expect("t"),
            event: NoticeEvent::Raised,
            alarm_id: 7,
            county: UnitCode::parse("140421").expect("county"),
            mine,
            kind: AlarmKind::PeopleOverLimit,
            grade: RiskGrade::Major,
            state: AlarmState::Pushed,
            camera: Some("20".to_owned()),
            message: "入井人数 31".to_owned(),
            evidence: vec![],
            actor: "system".to_owned(),
            supervising_unit: None,
            text: "【重大风险(红)】矿山 140421007866 入井人数超限".to_owned(),
        }
    }

    #[test]
    fn wecom_body_is_a_markdown_message_in_beijing_time() {
        let v = wecom_body(&notice());
        assert_eq!(v["msgtype"], "markdown");
        let content = v["markdown"]["content"].as_str().expect("content");
        assert!(
            content.contains("2021-01-04 22:45:15（北京时间）"),
            "{content}"
        );
        assert!(
            content.contains("<font color=\"warning\">重大风险(红)</font>"),
            "{content}"
        );
        let mut long = notice();
        long.message = "超".repeat(3000);
        let content = wecom_body(&long)["markdown"]["content"]
            .as_str()
            .expect("c")
            .to_owned();
        assert!(content.len() <= WECOM_MAX_BYTES);
    }

    #[test]
    fn sms_body_has_string_params_and_a_stable_dedup_key() {
        let v = sms_body(&notice(), &["13800000000".to_owned()], "ESEAL_ALARM");
        assert_eq!(v["params"]["alarm_id"], "7");
        assert_eq!(v["params"]["time"], "2021-01-04 22:45:15");
        assert_eq!(v["dedup_key"], "eseal-7-12");
        assert_eq!(v["phone_numbers"][0], "13800000000");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_is_seeded() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            jitter: 0.0,
            ..RetryPolicy::default()
        };
        let mut rng = StdRng::seed_from_u64(1);
        let ms: Vec<u128> = (2..=5)
            .map(|n| p.backoff(n, &mut rng).as_millis())
            .collect();
        assert_eq!(ms, [100, 200, 350, 350]);
        let j = RetryPolicy { jitter: 0.5, ..p };
        let run = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (2..=5).map(|n| j.backoff(n, &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
        assert!(run(9).iter().zip([100, 200, 350, 350]).all(|(d, b)| {
            let ms = d.as_millis();
            ms <= b && ms >= b / 2
        }));
    }

    #[test]
    fn targets_are_checked_and_keys_stay_out_of_debug() {
        let mut t = WebhookTarget {
            name: "sms".to_owned(),
            channel: Channel::SmsGateway {
                url: "http://127.0.0.1:9/sms".to_owned(),
                phone_numbers: vec!["138-0000".to_owned()],
                template_id: "T".to_owned(),
            },
            units: vec![UnitCode::parse("140421").expect("unit")],
            min_grade: RiskGrade::Low,
        };
        assert_eq!(t.check().expect_err("phone").field, "phone_numbers");
        t.channel = Channel::WeComRobot {
            url: "ftp://x".to_owned(),
        };
        assert_eq!(t.check().expect_err("url").field, "url");
        t.channel = Channel::WeComRobot {
            url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET".to_owned(),
        };
        t.check().expect("ok");
        assert!(!format!("{t:?}").contains("SECRET"));
        assert!(t.matches(&notice()));
        t.min_grade = RiskGrade::Major;
        assert!(t.matches(&notice()));
        t.units = vec![UnitCode::parse("140422").expect("unit")];
        assert!(!t.matches(&notice()));
    }

    #[test]
    fn wecom_errcode_and_sms_code_decide_success() {
        let wecom = Channel::WeComRobot { url: String::new() };
        assert!(accepted(&wecom, br#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        let e = accepted(
            &wecom,
            br#"{"errcode":93000,"errmsg":"invalid webhook url"}"#,
        )
        .expect_err("93000");
        assert!(
            e.contains("93000") && e.contains("invalid webhook url"),
            "{e}"
        );
        assert!(accepted(&wecom, b"OK").is_err());
        let sms = Channel::SmsGateway {
            url: String::new(),
            phone_numbers: vec![],
            template_id: String::new(),
        };
        assert!(accepted(&sms, b"").is_ok());
        assert!(accepted(&sms, br#"{"code":0}"#).is_ok());
        assert!(accepted(&sms, br#"{"code":1001,"msg":"quota"}"#).is_err());
    }
}
