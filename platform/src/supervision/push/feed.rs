//! The live feed: a broadcast hub with a bounded replay buffer, and its SSE endpoint.
//!
//! Ordering: [`Feed::publish`] assigns the sequence number, appends to the replay buffer and
//! sends on the broadcast under one short lock, and [`Feed::subscribe`] takes its broadcast
//! receiver and its replay snapshot under the same lock; so a subscriber sees every notice
//! exactly once, in order, with no gap between replay and live. Lag (the broadcast overran a
//! slow subscriber): the subscriber refills from the replay buffer; notices already gone from
//! it are announced as one [`Item::Lagged`] with their count, and the client reloads the alarm
//! list (the SSE `lagged` event says so).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures::Stream;
use tokio::sync::broadcast;

use super::Notice;
use crate::http::error::ApiError;
use crate::supervision::Actor;

/// A published notice with its JSON, serialised once for every subscriber.
#[derive(Debug)]
pub struct Published {
    /// The notice, with its `seq`.
    pub notice: Notice,
    /// `serde_json` of the notice.
    pub json: String,
}

/// What a subscription yields.
#[derive(Debug, Clone)]
pub enum Item {
    /// A notice about a mine the subscriber's unit covers.
    Notice(Arc<Published>),
    /// Notices were lost to this subscriber (it fell behind further than the replay buffer, or
    /// resumed from an id the feed no longer or never had). `missed` counts every notice lost,
    /// visible to the subscriber or not (0 when unknown); the client should reload the list.
    Lagged {
        /// How many notices of the feed were lost.
        missed: u64,
    },
}

struct Ring {
    next_seq: u64,
    buf: VecDeque<Arc<Published>>,
    cap: usize,
}

impl Ring {
    fn latest(&self) -> u64 {
        self.next_seq.saturating_sub(1)
    }

    /// The notices after `last` that `actor` may see, preceded by a `Lagged` when some after
    /// `last` are gone from the buffer.
    fn after(&self, last: u64, actor: &Actor, out: &mut VecDeque<Item>) {
        let oldest = self.buf.front().map_or(self.next_seq, |p| p.notice.seq);
        if last.saturating_add(1) < oldest {
            out.push_back(Item::Lagged {
                missed: oldest - last - 1,
            });
        }
        for p in self.buf.iter().filter(|p| p.notice.seq > last) {
            if actor.sees_mine(&p.notice.mine) {
                out.push_back(Item::Notice(p.clone()));
            }
        }
    }
}

struct Inner {
    tx: broadcast::Sender<Arc<Published>>,
    ring: Mutex<Ring>,
    keep_alive: Duration,
}

impl Inner {
    fn ring(&self) -> MutexGuard<'_, Ring> {
        // A panic while holding the lock leaves the ring consistent (push/pop only).
        self.ring.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The live alarm feed. Cheap to clone (one shared hub). When every clone is dropped, every
/// subscription ends.
#[derive(Clone)]
pub struct Feed {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed")
            .field("latest_seq", &self.latest_seq())
            .field("subscribers", &self.subscribers())
            .finish()
    }
}

/// Builder of a [`Feed`].
#[derive(Debug, Clone)]
pub struct FeedBuilder {
    live: usize,
    replay: usize,
    first_seq: u64,
    keep_alive: Duration,
}

impl Default for FeedBuilder {
    fn default() -> Self {
        FeedBuilder {
            live: 1024,
            replay: 8192,
            first_seq: 1,
            keep_alive: Duration::from_secs(15),
        }
    }
}

impl FeedBuilder {
    /// How many notices a subscriber may fall behind before it lags and refills from the
    /// replay buffer (default 1024).
    pub fn live_capacity(mut self, n: usize) -> Self {
        self.live = n.max(1);
        self
    }

    /// How many recent notices are kept for `Last-Event-ID` resume and lag refill (default
    /// 8192).
    pub fn replay_capacity(mut self, n: usize) -> Self {
        self.replay = n.max(1);
        self
    }

    /// The first sequence number (default 1). A restarted platform should start above the
    /// ids it gave before, e.g. from a persisted high-water mark or the start time in ms, so
    /// that clients resuming with an old id get a `lagged` event instead of wrong replays.
    pub fn first_seq(mut self, seq: u64) -> Self {
        self.first_seq = seq.max(1);
        self
    }

    /// Interval of SSE keep-alive comments (default 15 s).
    pub fn keep_alive(mut self, every: Duration) -> Self {
        self.keep_alive = every;
        self
    }

    /// The feed.
    pub fn build(self) -> Feed {
        let (tx, _) = broadcast::channel(self.live);
        Feed {
            inner: Arc::new(Inner {
                tx,
                ring: Mutex::new(Ring {
                    next_seq: self.first_seq,
                    buf: VecDeque::with_capacity(self.replay.min(1024)),
                    cap: self.replay,
                }),
                keep_alive: self.keep_alive,
            }),
        }
    }
}

impl Default for Feed {
    fn default() -> Self {
        FeedBuilder::default().build()
    }
}

impl Feed {
    /// A feed with the default capacities.
    pub fn new() -> Feed {
        Feed::default()
    }

    /// How often an idle SSE connection gets a keep-alive comment.
    pub fn keep_alive_interval(&self) -> Duration {
        self.inner.keep_alive
    }

    /// A builder.
    pub fn builder() -> FeedBuilder {
        FeedBuilder::default()
    }

    /// Publishes `notice`, giving it the next sequence number, which it returns. Never waits
    /// for a subscriber.
    pub fn publish(&self, mut notice: Notice) -> u64 {
        let mut ring = self.inner.ring();
        let seq = ring.next_seq;
        ring.next_seq += 1;
        notice.seq = seq;
        let json = serde_json::to_string(&notice).unwrap_or_else(|e| {
            tracing::error!(error = %e, seq, "cannot serialise a notice");
            format!("{{\"seq\":{seq}}}")
        });
        let p = Arc::new(Published { notice, json });
        if ring.buf.len() >= ring.cap {
            ring.buf.pop_front();
        }
        ring.buf.push_back(p.clone());
        // No receiver is not an error: nobody is watching.
        let _ = self.inner.tx.send(p);
        seq
    }

    /// The last sequence number given (0 or `first_seq - 1` before any).
    pub fn latest_seq(&self) -> u64 {
        self.inner.ring().latest()
    }

    /// How many subscriptions are open.
    pub fn subscribers(&self) -> usize {
        self.inner.tx.receiver_count()
    }

    /// Subscribes `actor` to the notices of the mines its unit covers ([`Actor::System`]: all).
    /// With `last_event_id`, first replays the buffered notices after it (resume).
    pub fn subscribe(&self, actor: &Actor, last_event_id: Option<u64>) -> Subscription {
        let ring = self.inner.ring();
        let rx = self.inner.tx.subscribe();
        let latest = ring.latest();
        let mut backlog = VecDeque::new();
        match last_event_id {
            Some(id) if id > latest => backlog.push_back(Item::Lagged { missed: 0 }),
            Some(id) => ring.after(id, actor, &mut backlog),
            None => {}
        }
        drop(ring);
        Subscription {
            rx,
            backlog,
            last: latest,
            actor: actor.clone(),
            feed: Arc::downgrade(&self.inner),
        }
    }
}

/// One subscriber's view of the feed.
pub struct Subscription {
    rx: broadcast::Receiver<Arc<Published>>,
    backlog: VecDeque<Item>,
    last: u64,
    actor: Actor,
    feed: Weak<Inner>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("actor", &self.actor)
            .field("last", &self.last)
            .field("backlog", &self.backlog.len())
            .finish()
    }
}

impl Subscription {
    /// The next item for this subscriber; `None` once the feed is gone.
    pub async fn recv(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.backlog.pop_front() {
                return Some(item);
            }
            match self.rx.recv().await {
                Ok(p) => {
                    if p.notice.seq <= self.last {
                        continue;
                    }
                    self.last = p.notice.seq;
                    if self.actor.sees_mine(&p.notice.mine) {
                        return Some(Item::Notice(p));
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return None,
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let inner = self.feed.upgrade()?;
                    let ring = inner.ring();
                    ring.after(self.last, &self.actor, &mut self.backlog);
                    self.last = self.last.max(ring.latest());
                }
            }
        }
    }
}

fn event(item: Item) -> Event {
    match item {
        Item::Notice(p) => Event::default()
            .id(p.notice.seq.to_string())
            .event("alarm")
            .data(p.json.as_str()),
        Item::Lagged { missed } => Event::default().event("lagged").data(
            serde_json::json!({
                "missed": missed,
                "message": "推送滞后，部分通知已丢失，请重新加载报警列表 (the feed fell behind and lost notices; reload the alarm list)",
            })
            .to_string(),
        ),
    }
}

/// The SSE response of `actor`'s live feed: `alarm` events (`id` = seq, `data` = [`Notice`]
/// JSON), `lagged` events, keep-alive comments; resumes after `last_event_id`.
pub fn sse(
    feed: &Feed,
    actor: &Actor,
    last_event_id: Option<u64>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    sse_until(feed, actor, last_event_id, std::future::pending())
}

/// [`sse`] that ends when `end` completes, with the event it yields as the last one (a session
/// that expired or was closed: the stream must not outlive the right to read it).
pub fn sse_until<F>(
    feed: &Feed,
    actor: &Actor,
    last_event_id: Option<u64>,
    end: F,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<F>>
where
    F: std::future::Future<Output = Event> + Send + 'static,
{
    let sub = feed.subscribe(actor, last_event_id);
    let hello = Event::default().comment(format!("eseal live feed, latest id {}", sub.last));
    let first = futures::stream::once(async move { Ok(hello) });
    let end: std::pin::Pin<Box<dyn std::future::Future<Output = Event> + Send>> = Box::pin(end);
    let rest = futures::stream::unfold(Some((sub, end)), |state| async move {
        let (mut sub, mut end) = state?;
        tokio::select! {
            last = &mut end => Some((Ok(last), None)),
            item = sub.recv() => {
                let item = item?;
                Some((Ok(event(item)), Some((sub, end))))
            }
        }
    });
    use futures::StreamExt;
    Sse::new(first.chain(rest)).keep_alive(
        KeepAlive::new()
            .interval(feed.inner.keep_alive)
            .text("keep-alive"),
    )
}

/// Parses the `Last-Event-ID` header (400 naming it when it is not an event id).
pub(crate) fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(v) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let s = v.to_str().unwrap_or_default().trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<u64>().map(Some).map_err(|_| {
        ApiError::bad_request(
            "invalid_header",
            format!(
                "Last-Event-ID: 不是本推送的事件编号 (expected the decimal id of an event of this feed, found {s:?})"
            ),
        )
        .field("Last-Event-ID")
        .clause("P14")
    })
}

async fn feed_handler(
    State(feed): State<Feed>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let last = last_event_id(&headers)?;
    Ok(sse(&feed, &actor, last))
}

/// `GET /feed`: the SSE live feed of the caller. Authentication is the caller's: a layer in
/// front must insert the authenticated [`Actor`] as a request extension (without it the
/// request fails with 500, a wiring bug). Honours `Last-Event-ID` (400 when not a number).
pub fn sse_route(feed: Feed) -> axum::Router {
    axum::Router::new()
        .route("/feed", get(feed_handler))
        .with_state(feed)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use eseal_protocol::MineCode;

    use super::*;
    use crate::supervision::push::NoticeEvent;
    use crate::supervision::{AlarmKind, AlarmState, RiskGrade, Role, UnitCode};

    fn notice(mine: &str) -> Notice {
        let mine = MineCode::parse(mine).expect("mine");
        Notice {
            seq: 0,
            at: Utc
                .with_ymd_and_hms(2021, 1, 4, 14, 0, 0)
                .single()
                .expect("time"),
            event: NoticeEvent::Raised,
            alarm_id: 1,
            county: UnitCode::parse(mine.county_code()).expect("county"),
            mine,
            kind: AlarmKind::CameraOccluded,
            grade: RiskGrade::General,
            state: AlarmState::Pushed,
            camera: None,
            message: "遮挡".to_owned(),
            evidence: vec![],
            actor: "system".to_owned(),
            supervising_unit: None,
            text: String::new(),
        }
    }

    fn county() -> Actor {
        Actor::user("c", UnitCode::parse("140421").expect("unit"), Role::Viewer)
    }

    fn seqs(items: &[Item]) -> Vec<Option<u64>> {
        items
            .iter()
            .map(|i| match i {
                Item::Notice(p) => Some(p.notice.seq),
                Item::Lagged { .. } => None,
            })
            .collect()
    }

    async fn drain(sub: &mut Subscription, n: usize) -> Vec<Item> {
        let mut out = Vec::new();
        for _ in 0..n {
            let item = tokio::time::timeout(Duration::from_secs(2), sub.recv())
                .await
                .expect("an item in time")
                .expect("feed open");
            out.push(item);
        }
        out
    }

    /// A feed of the capacities with a county subscriber that did not read while `n` notices
    /// of its mine were published (publishing never waits for it).
    fn flooded(live: usize, replay: usize, n: usize) -> (Feed, Subscription) {
        let feed = Feed::builder()
            .live_capacity(live)
            .replay_capacity(replay)
            .build();
        let sub = feed.subscribe(&county(), None);
        for _ in 0..n {
            feed.publish(notice("140421007866"));
        }
        (feed, sub)
    }

    #[tokio::test]
    async fn a_slow_subscriber_refills_from_the_replay_buffer_without_blocking_publishers() {
        let (_feed, mut sub) = flooded(4, 16, 12);
        // Publishing never waited; the subscriber lagged in the broadcast but the replay buffer
        // still held everything: all 12, in order, once.
        let got = drain(&mut sub, 12).await;
        assert_eq!(seqs(&got), (1..=12).map(Some).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_subscriber_behind_the_replay_buffer_gets_one_lagged_item() {
        let (feed, mut sub) = flooded(2, 4, 10);
        let got = drain(&mut sub, 5).await;
        assert!(matches!(got[0], Item::Lagged { missed: 6 }), "{got:?}");
        assert_eq!(seqs(&got[1..]), [Some(7), Some(8), Some(9), Some(10)]);
        feed.publish(notice("140421007866"));
        assert_eq!(seqs(&drain(&mut sub, 1).await), [Some(11)]);
    }

    #[tokio::test]
    async fn resume_from_an_unknown_id_is_lagged_and_the_feed_ending_ends_subscriptions() {
        let feed = Feed::new();
        feed.publish(notice("140421007866"));
        let mut sub = feed.subscribe(&county(), Some(99));
        assert!(matches!(sub.recv().await, Some(Item::Lagged { missed: 0 })));
        drop(feed);
        assert!(sub.recv().await.is_none());
    }

    #[test]
    fn last_event_id_must_be_a_number() {
        let mut h = HeaderMap::new();
        assert_eq!(last_event_id(&h).expect("none"), None);
        h.insert("last-event-id", "42".parse().expect("value"));
        assert_eq!(last_event_id(&h).expect("42"), Some(42));
        h.insert("last-event-id", "abc".parse().expect("value"));
        let e = last_event_id(&h).expect_err("abc");
        assert_eq!(e.status.as_u16(), 400);
        assert_eq!(e.detail.field.as_deref(), Some("Last-Event-ID"));
    }
}
