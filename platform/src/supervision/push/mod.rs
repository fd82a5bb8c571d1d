//! Push channels (P14, P1's live alarm feed, P5's "every higher level sees it at once"): an
//! in-memory live feed served as Server-Sent Events, and webhooks to WeChat Work (企业微信) group
//! robots and SMS gateways with retries.
//!
//! Key design decision: **the feed is a broadcast of pre-serialised notices filtered by code
//! prefix, never a query.** Publishing a workflow step costs one lock, one JSON serialisation
//! and one `tokio::sync::broadcast` send, whatever the number of subscribers; each subscriber
//! drops what its unit does not cover ([`UnitCode::covers`](super::UnitCode::covers), a prefix
//! compare). Nothing on that path touches the database or waits for a subscriber: a subscriber
//! that falls behind loses its place in the broadcast, refills from the bounded replay buffer
//! (the same buffer that serves `Last-Event-ID` resume) and, only if that is not enough, gets a
//! `lagged` event telling it to reload the alarm list. Webhooks are subscribers too
//! ([`Webhooks::spawn`]), so a slow robot never slows the live feed.

mod feed;
mod webhook;

use chrono::{DateTime, Utc};
use eseal_protocol::MineCode;
use serde::{Deserialize, Serialize};

pub(crate) use feed::last_event_id;
pub use feed::{Feed, FeedBuilder, Item, Published, Subscription, sse, sse_route, sse_until};
pub use webhook::{
    Attempt, Channel, Clock, Delivery, PushError, RetryPolicy, WebhookTarget, Webhooks,
    WebhooksBuilder, sms_body, wecom_body,
};

use super::workflow::{Action, ActionKind, Alarm, Step};
use super::{AlarmKind, AlarmState, RiskGrade, UnitCode};

/// What happened to the alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeEvent {
    /// 新报警 — raised and pushed to the county.
    Raised,
    /// 已签收.
    Acknowledged,
    /// 已处置.
    Handled,
    /// 已办结.
    Closed,
    /// 人工督办.
    Supervised,
    /// 自动督办.
    AutoSupervised,
}

impl NoticeEvent {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            NoticeEvent::Raised => "新报警",
            NoticeEvent::Acknowledged => "已签收",
            NoticeEvent::Handled => "已处置",
            NoticeEvent::Closed => "已办结",
            NoticeEvent::Supervised => "督办",
            NoticeEvent::AutoSupervised => "自动督办",
        }
    }

    fn of(kind: ActionKind) -> NoticeEvent {
        match kind {
            ActionKind::Acknowledge => NoticeEvent::Acknowledged,
            ActionKind::Handle => NoticeEvent::Handled,
            ActionKind::Close => NoticeEvent::Closed,
            ActionKind::Supervise => NoticeEvent::Supervised,
            ActionKind::AutoSupervise => NoticeEvent::AutoSupervised,
        }
    }
}

/// One message of the live feed and the webhooks: an alarm raised, or a step of its workflow.
/// Serialised as the `data` of an SSE `alarm` event, with `seq` as its `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Notice {
    /// Position in the feed, given by [`Feed::publish`] (0 before publishing).
    pub seq: u64,
    /// When it happened (the alarm's raising or the step's time).
    pub at: DateTime<Utc>,
    /// What happened.
    pub event: NoticeEvent,
    /// The alarm.
    pub alarm_id: i64,
    /// Its mine: who may receive the notice is decided by this code alone.
    #[schema(value_type = String, pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine: MineCode,
    /// The mine's county (R1).
    pub county: UnitCode,
    /// Alarm type.
    pub kind: AlarmKind,
    /// Risk grade.
    pub grade: RiskGrade,
    /// State after the event.
    pub state: AlarmState,
    /// Camera or lock code, if any.
    pub camera: Option<String>,
    /// The alarm's message, e.g. `入井人数 31`.
    pub message: String,
    /// The upload(s) that raised the alarm (event id and file name).
    #[serde(default)]
    pub evidence: Vec<super::rules::Evidence>,
    /// Who did it: user name or `system`.
    pub actor: String,
    /// For supervisions: the supervising unit.
    pub supervising_unit: Option<UnitCode>,
    /// One-line summary in Chinese, as shown in the feed and sent by SMS.
    pub text: String,
}

impl Notice {
    fn base(alarm: &Alarm, event: NoticeEvent, at: DateTime<Utc>, actor: &str) -> Notice {
        let facts = &alarm.facts;
        let mut n = Notice {
            seq: 0,
            at,
            event,
            alarm_id: facts.id,
            mine: facts.mine,
            county: alarm.county.clone(),
            kind: facts.kind,
            grade: facts.grade,
            state: alarm.state,
            camera: facts.camera.clone(),
            message: facts.message.clone(),
            evidence: facts.evidence.clone(),
            actor: actor.to_owned(),
            supervising_unit: None,
            text: String::new(),
        };
        n.text = format!(
            "【{}】矿山 {} {}：{}（{}，报警 {}）",
            facts.grade.zh(),
            facts.mine,
            facts.kind.zh(),
            facts.message,
            event.zh(),
            facts.id,
        );
        n
    }

    /// The notice of a newly raised alarm.
    pub fn raised(alarm: &Alarm) -> Notice {
        Notice::base(alarm, NoticeEvent::Raised, alarm.raised_at, "system")
    }

    /// The notice of a workflow step of `alarm` (as [`workflow::apply`](super::workflow::apply)
    /// or [`workflow::tick`](super::workflow::tick) returned it).
    pub fn step(alarm: &Alarm, step: &Step) -> Notice {
        let mut n = Notice::base(
            alarm,
            NoticeEvent::of(step.action.kind()),
            step.at,
            &step.actor,
        );
        n.state = step.to;
        n.supervising_unit = match &step.action {
            Action::AutoSupervise(a) => Some(a.unit.clone()),
            Action::Supervise { .. } => step.unit.clone(),
            _ => None,
        };
        n
    }
}
