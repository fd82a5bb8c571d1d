//! The device's own live streams (U6: "an mjpg-streamer style HTTP URL" per camera): per camera
//! `GET /cam/<code>?action=stream` answers `multipart/x-mixed-replace;boundary=boundarydonotcross`
//! with one JPEG part per published frame, and `GET /cam/<code>?action=snapshot` the newest JPEG.
//! `GET /report.json` is the device's per-day in/out report (E3), as the device last set it.
//! [`stream_url`] builds the address the device registers with the platform.
//!
//! Key design decision: **encode for viewers only, at a capped rate, once for all of them.**
//! Encoding every 25 fps camera frame as JPEG would cost more than the analysis, so
//! [`MjpegHub::publish`] encodes only while someone streams the camera, at most
//! [`MjpegSettings::max_fps`] frames per second of *presentation* time (so it behaves the same
//! on virtual and wall time); otherwise it just keeps the newest frame (an `Arc`, no copy) and
//! encodes it only when a snapshot or a new viewer asks. Each JPEG goes on a `watch` channel per
//! camera: every client sends the newest one, so a slow client skips frames instead of queueing
//! them or slowing the others. Shutdown ends every open stream first, then stops the server
//! gracefully.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::{Bytes, BytesMut};
use eseal_protocol::CameraCode;
use tokio::sync::watch;

use super::{check_frame, jpeg};
use crate::Error;
use crate::frame::Frame;

/// The multipart boundary, mjpg-streamer's own.
pub const BOUNDARY: &str = "boundarydonotcross";

/// How long [`MjpegServer::shutdown`] waits for connections to close.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// Stream settings.
#[derive(Debug, Clone, PartialEq)]
pub struct MjpegSettings {
    /// JPEG quality, 1–100.
    pub quality: u8,
    /// Most frames encoded per second of presentation time while someone streams.
    pub max_fps: f64,
    /// Downscale (aspect kept) to at most this width; `None` streams the frame size.
    pub max_width: Option<u32>,
}

impl Default for MjpegSettings {
    fn default() -> Self {
        MjpegSettings {
            quality: 80,
            max_fps: 12.5,
            max_width: None,
        }
    }
}

/// `<public_base>/cam/<code>?action=stream`, the U6 live-stream address of a camera
/// (`public_base` like `http://10.0.0.5:8090`, a trailing `/` is ignored).
pub fn stream_url(public_base: &str, code: CameraCode) -> String {
    format!(
        "{}/cam/{code}?action=stream",
        public_base.trim_end_matches('/')
    )
}

/// `<public_base>/cam/<code>?action=snapshot`.
pub fn snapshot_url(public_base: &str, code: CameraCode) -> String {
    format!(
        "{}/cam/{code}?action=snapshot",
        public_base.trim_end_matches('/')
    )
}

/// One encoded frame.
#[derive(Debug)]
struct Part {
    jpeg: Bytes,
    pts_ns: u64,
    /// Publish order, so a frame encoded late never replaces a newer one.
    seq: u64,
}

#[derive(Debug, Default)]
struct FeedState {
    next_seq: u64,
    /// The newest frame not yet encoded.
    raw: Option<(u64, Frame)>,
    /// Presentation time of the last frame encoded for viewers.
    last_encoded_pts: Option<u64>,
}

/// One camera's stream.
#[derive(Debug)]
struct Feed {
    latest: watch::Sender<Option<Arc<Part>>>,
    state: Mutex<FeedState>,
    encoded: AtomicU64,
}

impl Feed {
    fn new() -> Feed {
        Feed {
            latest: watch::Sender::new(None),
            state: Mutex::new(FeedState::default()),
            encoded: AtomicU64::new(0),
        }
    }

    fn state(&self) -> MutexGuard<'_, FeedState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn encode_and_send(
        &self,
        seq: u64,
        frame: &Frame,
        settings: &MjpegSettings,
    ) -> Result<(), Error> {
        let bytes = match settings.max_width {
            Some(max) if max < frame.width => {
                let opts = jpeg::JpegOptions::default().max_width(max).thickness(0);
                let (rgb, w, h) = jpeg::render(frame, &[], &opts)?;
                jpeg::encode_rgb(&rgb, w, h, settings.quality)?
            }
            _ => jpeg::encode(frame, settings.quality)?,
        };
        self.encoded.fetch_add(1, Ordering::Relaxed);
        let part = Arc::new(Part {
            jpeg: Bytes::from(bytes),
            pts_ns: frame.pts_ns,
            seq,
        });
        self.latest.send_if_modified(|current| {
            let newer = current.as_ref().is_none_or(|c| c.seq < part.seq);
            if newer {
                *current = Some(part);
            }
            newer
        });
        Ok(())
    }

    /// Encodes the kept frame, if it is newer than the newest JPEG.
    fn encode_kept(&self, settings: &MjpegSettings) -> Result<(), Error> {
        let Some((seq, frame)) = self.state().raw.take() else {
            return Ok(());
        };
        self.encode_and_send(seq, &frame, settings)
    }
}

#[derive(Debug)]
struct HubInner {
    settings: MjpegSettings,
    cameras: Mutex<HashMap<CameraCode, Arc<Feed>>>,
    /// Never set: the closing signal of routers made by [`MjpegHub::router`].
    never_closing: watch::Sender<bool>,
    /// The device's per-day report (E3) as JSON, served at `GET /report.json`.
    report: Mutex<Option<Arc<Vec<u8>>>>,
}

/// The device's live streams, one per camera; cheap to clone, shared by the frame loops that
/// publish and the server that serves.
#[derive(Debug, Clone)]
pub struct MjpegHub {
    inner: Arc<HubInner>,
}

impl MjpegHub {
    /// An empty hub.
    pub fn new(settings: MjpegSettings) -> MjpegHub {
        MjpegHub {
            inner: Arc::new(HubInner {
                settings,
                cameras: Mutex::new(HashMap::new()),
                never_closing: watch::Sender::new(false),
                report: Mutex::new(None),
            }),
        }
    }

    fn cameras(&self) -> MutexGuard<'_, HashMap<CameraCode, Arc<Feed>>> {
        self.inner
            .cameras
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn feed(&self, code: CameraCode) -> Arc<Feed> {
        self.cameras()
            .entry(code)
            .or_insert_with(|| Arc::new(Feed::new()))
            .clone()
    }

    fn lookup(&self, code: CameraCode) -> Option<Arc<Feed>> {
        self.cameras().get(&code).cloned()
    }

    /// Makes a camera known before its first frame (its stream then waits for frames and its
    /// snapshot answers 503; unknown cameras answer 404).
    pub fn register(&self, code: CameraCode) {
        self.feed(code);
    }

    /// Publishes a camera's newest frame; returns whether it was encoded now (someone streams
    /// and the rate cap allows it). Otherwise the frame is kept, unencoded, for a snapshot.
    /// Fails only for a malformed frame or an encoder error.
    pub fn publish(&self, code: CameraCode, frame: &Frame) -> Result<bool, Error> {
        check_frame(frame)?;
        let feed = self.feed(code);
        let settings = &self.inner.settings;
        let min_gap_ns = if settings.max_fps.is_finite() && settings.max_fps > 0.0 {
            // 10 % slack so timestamp jitter does not halve the rate.
            (0.9e9 / settings.max_fps) as u64
        } else {
            0
        };
        let seq = {
            let mut state = feed.state();
            let seq = state.next_seq;
            state.next_seq += 1;
            let due = state
                .last_encoded_pts
                .is_none_or(|last| frame.pts_ns < last || frame.pts_ns - last >= min_gap_ns);
            if feed.latest.receiver_count() == 0 || !due {
                state.raw = Some((seq, frame.clone()));
                return Ok(false);
            }
            state.raw = None;
            state.last_encoded_pts = Some(frame.pts_ns);
            seq
        };
        feed.encode_and_send(seq, frame, settings)?;
        Ok(true)
    }

    /// Clients streaming `code` now.
    pub fn viewers(&self, code: CameraCode) -> usize {
        self.lookup(code).map_or(0, |f| f.latest.receiver_count())
    }

    /// JPEGs encoded for `code` so far (streams and snapshots).
    pub fn encoded(&self, code: CameraCode) -> u64 {
        self.lookup(code)
            .map_or(0, |f| f.encoded.load(Ordering::Relaxed))
    }

    /// Sets the JSON document served at `GET /report.json` (the device's E3 day report).
    pub fn set_report(&self, json: Vec<u8>) {
        *self
            .inner
            .report
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(json));
    }

    fn report(&self) -> Option<Arc<Vec<u8>>> {
        self.inner
            .report
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The routes, `GET /cam/{code}?action=stream|snapshot` and `GET /report.json`, to embed in another server or to
    /// test with `Router::oneshot`. Their streams end only when the client goes away.
    pub fn router(&self) -> Router {
        routes(self.clone(), self.inner.never_closing.subscribe())
    }
}

#[derive(Debug, Clone)]
struct AppState {
    hub: MjpegHub,
    closing: watch::Receiver<bool>,
}

fn routes(hub: MjpegHub, closing: watch::Receiver<bool>) -> Router {
    Router::new()
        .route("/cam/{code}", get(camera))
        .route("/report.json", get(report))
        .with_state(AppState { hub, closing })
}

/// `GET /report.json`: the device's per-day in/out report (E3), as the device last set it.
async fn report(State(app): State<AppState>) -> Response {
    let Some(json) = app.hub.report() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no report yet\n").into_response();
    };
    no_cache(Response::builder())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json.as_ref().clone()))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The MJPEG server on a tokio runtime. [`MjpegServer::shutdown`] ends the open streams and
/// stops it; dropping it does the same without waiting.
#[derive(Debug)]
pub struct MjpegServer {
    addr: SocketAddr,
    hub: MjpegHub,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl MjpegServer {
    /// Serves `hub` on `listener` (bind `127.0.0.1:0` in tests and read [`addr`](Self::addr)).
    /// Must be called inside a tokio runtime; the server runs as a task on it.
    pub fn start(listener: tokio::net::TcpListener, hub: MjpegHub) -> Result<MjpegServer, Error> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|e| {
            Error::io(
                "the MJPEG server needs a tokio runtime",
                std::io::Error::other(e),
            )
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("MJPEG listener address", e))?;
        let stop = watch::Sender::new(false);
        let app = routes(hub.clone(), stop.subscribe());
        let mut stopping = stop.subscribe();
        let task = runtime.spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    // Also when the server handle is dropped (the sender goes away).
                    let _ = stopping.wait_for(|s| *s).await;
                })
                .await
        });
        tracing::info!(%addr, "MJPEG live streams (U6) listening");
        Ok(MjpegServer {
            addr,
            hub,
            stop,
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The hub it serves.
    pub fn hub(&self) -> &MjpegHub {
        &self.hub
    }

    /// `http://<addr>/cam/<code>?action=stream`.
    pub fn url(&self, code: CameraCode) -> String {
        stream_url(&format!("http://{}", self.addr), code)
    }

    /// Ends every open stream, stops accepting and waits (up to 5 s) for the connections to
    /// close.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        self.stop.send_replace(true);
        let Some(task) = self.task.take() else {
            return Ok(());
        };
        let abort = task.abort_handle();
        match tokio::time::timeout(SHUTDOWN_WAIT, task).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(Error::io(format!("MJPEG server on {}", self.addr), e)),
            Ok(Err(e)) => Err(Error::io(
                format!("MJPEG server on {}", self.addr),
                std::io::Error::other(e),
            )),
            Err(_) => {
                abort.abort();
                Err(Error::io(
                    format!("MJPEG server on {}", self.addr),
                    std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "connections still open after 5 s; aborted",
                    ),
                ))
            }
        }
    }
}

impl Drop for MjpegServer {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

async fn camera(
    State(app): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(feed) = CameraCode::parse(&code)
        .ok()
        .and_then(|c| app.hub.lookup(c))
    else {
        return (StatusCode::NOT_FOUND, "no such camera\n").into_response();
    };
    let settings = app.hub.inner.settings.clone();
    match query.get("action").map(String::as_str) {
        None | Some("stream") => stream(feed, settings, app.closing).await,
        Some("snapshot") => snapshot(feed, settings).await,
        Some(_) => (
            StatusCode::BAD_REQUEST,
            "action must be stream or snapshot\n",
        )
            .into_response(),
    }
}

/// Encodes the kept frame off the async threads.
async fn encode_kept(feed: &Arc<Feed>, settings: MjpegSettings) {
    let feed = feed.clone();
    match tokio::task::spawn_blocking(move || feed.encode_kept(&settings)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "MJPEG frame could not be encoded"),
        Err(e) => tracing::error!(error = %e, "MJPEG encoder task failed"),
    }
}

fn no_cache(builder: axum::http::response::Builder) -> axum::http::response::Builder {
    builder
        .header(
            header::CACHE_CONTROL,
            "no-store, no-cache, must-revalidate, max-age=0",
        )
        .header(header::PRAGMA, "no-cache")
}

async fn snapshot(feed: Arc<Feed>, settings: MjpegSettings) -> Response {
    encode_kept(&feed, settings).await;
    let Some(part) = feed.latest.borrow().clone() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no frame yet\n").into_response();
    };
    no_cache(Response::builder())
        .header(header::CONTENT_TYPE, "image/jpeg")
        .header(header::CONTENT_LENGTH, part.jpeg.len())
        .header("X-Timestamp", timestamp(part.pts_ns))
        .body(Body::from(part.jpeg.clone()))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn stream(
    feed: Arc<Feed>,
    settings: MjpegSettings,
    closing: watch::Receiver<bool>,
) -> Response {
    // Subscribe first (from now on publishing encodes), then encode what was kept, and send the
    // newest JPEG at once.
    let mut rx = feed.latest.subscribe();
    encode_kept(&feed, settings).await;
    rx.mark_changed();
    let parts = futures::stream::unfold((rx, closing), |(mut rx, mut closing)| async move {
        loop {
            tokio::select! {
                changed = rx.changed() => changed.ok()?,
                _ = closing.wait_for(|c| *c) => return None,
            }
            let part = rx.borrow_and_update().clone();
            if let Some(part) = part {
                return Some((Ok::<_, Infallible>(multipart(&part)), (rx, closing)));
            }
        }
    });
    no_cache(Response::builder())
        .header(
            header::CONTENT_TYPE,
            format!("multipart/x-mixed-replace;boundary={BOUNDARY}"),
        )
        .body(Body::from_stream(parts))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// `secs.micros` of a presentation time.
fn timestamp(pts_ns: u64) -> String {
    format!(
        "{}.{:06}",
        pts_ns / 1_000_000_000,
        pts_ns % 1_000_000_000 / 1_000
    )
}

/// One multipart part: boundary line, headers, the JPEG, CRLF.
fn multipart(part: &Part) -> Bytes {
    let head = format!(
        "--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\nX-Timestamp: {}\r\n\r\n",
        part.jpeg.len(),
        timestamp(part.pts_ns)
    );
    let mut out = BytesMut::with_capacity(head.len() + part.jpeg.len() + 2);
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(&part.jpeg);
    out.extend_from_slice(b"\r\n");
    out.freeze()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls_follow_mjpg_streamer() {
        let code = CameraCode::parse("20").unwrap();
        assert_eq!(
            stream_url("http://10.0.0.5:8090/", code),
            "http://10.0.0.5:8090/cam/20?action=stream"
        );
        assert_eq!(
            snapshot_url("http://10.0.0.5:8090", code),
            "http://10.0.0.5:8090/cam/20?action=snapshot"
        );
    }

    #[test]
    fn nothing_is_encoded_without_viewers() {
        let hub = MjpegHub::new(MjpegSettings::default());
        let code = CameraCode::parse("10").unwrap();
        let frame = Frame::new(4, 2, vec![9; 24], 0).unwrap();
        assert!(!hub.publish(code, &frame).unwrap());
        assert_eq!(hub.encoded(code), 0);
        let bad = Frame {
            width: 4,
            height: 2,
            rgb: Arc::new(vec![0; 5]),
            pts_ns: 1,
        };
        assert!(hub.publish(code, &bad).is_err());
    }
}
