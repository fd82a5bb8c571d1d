//! MJPEG over HTTP as mjpg-streamer serves it (U6): per camera,
//! `GET /cam/<code>?action=stream` answers `multipart/x-mixed-replace;boundary=boundarydonotcross`
//! with one JPEG part per frame, and `GET /cam/<code>?action=snapshot` one JPEG.
//!
//! Each frame is encoded once, by the pusher, and published on a `tokio::sync::watch` channel
//! per camera: every client reads the newest JPEG, so a slow client skips frames rather than
//! holding the others back or growing a queue, and a snapshot is simply the newest JPEG.
//! While nobody streams a camera its frames are not encoded: the newest is kept raw and encoded
//! only if a snapshot (or a new stream) asks for it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::{Bytes, BytesMut};
use image::codecs::jpeg::JpegEncoder;
use tokio::sync::{oneshot, watch};

use super::{Error, FrameSink};
use crate::frame::Frame;

/// The multipart boundary, mjpg-streamer's own.
pub const BOUNDARY: &str = "boundarydonotcross";
/// JPEG quality of the stream.
pub const JPEG_QUALITY: u8 = 80;

/// One encoded frame.
#[derive(Debug, Clone)]
struct Jpeg {
    bytes: Bytes,
    pts_ns: u64,
    /// Push order, so an older frame encoded late never replaces a newer one.
    seq: u64,
}

/// One camera's stream state.
#[derive(Debug)]
struct Feed {
    jpeg: watch::Sender<Option<Jpeg>>,
    /// The newest frame pushed while nobody streamed, not yet encoded.
    pending: Mutex<Option<(u64, Frame)>>,
    next_seq: AtomicU64,
}

impl Feed {
    fn new() -> Feed {
        Feed {
            jpeg: watch::Sender::new(None),
            pending: Mutex::new(None),
            next_seq: AtomicU64::new(0),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Option<(u64, Frame)>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Encodes and publishes the frame if anyone streams; otherwise keeps it for later.
    fn push(&self, frame: &Frame) -> Result<(), Error> {
        Error::check_frame(frame, frame.width, frame.height)?;
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        if self.jpeg.receiver_count() == 0 {
            *self.pending() = Some((seq, frame.clone()));
            return Ok(());
        }
        *self.pending() = None;
        self.publish(seq, frame)
    }

    /// Encodes a kept frame, if any, so the channel holds the newest frame as a JPEG.
    fn flush(&self) -> Result<(), Error> {
        let kept = self.pending().take();
        match kept {
            Some((seq, frame)) => self.publish(seq, &frame),
            None => Ok(()),
        }
    }

    fn publish(&self, seq: u64, frame: &Frame) -> Result<(), Error> {
        let jpeg = Jpeg {
            bytes: encode_jpeg(frame, JPEG_QUALITY)?,
            pts_ns: frame.pts_ns,
            seq,
        };
        self.jpeg.send_if_modified(|current| {
            let newer = current.as_ref().is_none_or(|c| c.seq < jpeg.seq);
            if newer {
                *current = Some(jpeg);
            }
            newer
        });
        Ok(())
    }
}

type Channel = Arc<Feed>;
type Cameras = Arc<Mutex<HashMap<String, Channel>>>;

/// Encodes a frame as a baseline JPEG at `quality` (1–100).
pub fn encode_jpeg(frame: &Frame, quality: u8) -> Result<Bytes, Error> {
    Error::check_frame(frame, frame.width, frame.height)?;
    let mut out = Cursor::new(Vec::with_capacity(frame.rgb.len() / 8));
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode(
            &frame.rgb,
            frame.width,
            frame.height,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| Error::image(format!("JPEG of frame {}", frame.index), e))?;
    Ok(Bytes::from(out.into_inner()))
}

/// Feeds one camera's MJPEG stream; cheap to clone.
#[derive(Debug, Clone)]
pub struct MjpegSink {
    channel: Channel,
}

impl FrameSink for MjpegSink {
    /// Encodes the frame once and makes it every client's next part and the snapshot (while
    /// nobody streams, keeps it unencoded until a snapshot asks).
    fn push(&self, frame: &Frame) -> Result<(), Error> {
        self.channel.push(frame)
    }
}

/// An HTTP server for MJPEG streams on its own thread and tokio runtime.
///
/// Dropping it (or [`MjpegServer::shutdown`]) stops the server and ends every open stream.
#[derive(Debug)]
pub struct MjpegServer {
    addr: SocketAddr,
    cameras: Cameras,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MjpegServer {
    /// Binds `addr` (port 0 picks a free port; see [`MjpegServer::addr`]) and starts serving.
    pub fn start(addr: SocketAddr) -> Result<MjpegServer, Error> {
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|e| Error::io(format!("could not bind {addr}"), e))?;
        let addr = listener.local_addr().map_err(|e| Error::io(addr, e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::io(addr, e))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("could not start the MJPEG runtime", e))?;
        let cameras = Cameras::default();
        let app = router(cameras.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("mjpeg-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::error!(%addr, error = %e, "MJPEG server could not listen");
                            return;
                        }
                    };
                    tokio::select! {
                        served = axum::serve(listener, app) => {
                            if let Err(e) = served {
                                tracing::error!(%addr, error = %e, "MJPEG server stopped");
                            }
                        }
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime cancels the open streams.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(|e| Error::io("could not start the MJPEG thread", e))?;
        Ok(MjpegServer {
            addr,
            cameras,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The bound address (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/cam/<code>?action=stream`, the U6 live-stream address of a camera.
    pub fn url(&self, camera: &str) -> String {
        format!("http://{}/cam/{camera}?action=stream", self.addr)
    }

    /// The sink for camera `code`, registering the camera on first use (until a frame is
    /// pushed its stream waits and its snapshot answers 503).
    pub fn sender(&self, camera: &str) -> MjpegSink {
        MjpegSink {
            channel: channel(&self.cameras, camera),
        }
    }

    /// Stops the server and waits for its thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MjpegServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn channel(cameras: &Cameras, camera: &str) -> Channel {
    let mut map = cameras.lock().unwrap_or_else(PoisonError::into_inner);
    map.entry(camera.to_owned())
        .or_insert_with(|| Arc::new(Feed::new()))
        .clone()
}

fn lookup(cameras: &Cameras, camera: &str) -> Option<Channel> {
    cameras
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(camera)
        .cloned()
}

/// The MJPEG routes over a camera table, for [`MjpegServer`] or to test without a socket.
fn router(cameras: Cameras) -> Router {
    Router::new()
        .route("/cam/{code}", get(camera))
        .with_state(cameras)
}

/// A router with its own camera table and one sink per camera code, for embedding the MJPEG
/// routes in another server or testing them with `Router::oneshot`.
pub fn router_with_sinks<'a>(
    cameras: impl IntoIterator<Item = &'a str>,
) -> (Router, HashMap<String, MjpegSink>) {
    let table = Cameras::default();
    let sinks = cameras
        .into_iter()
        .map(|c| {
            (
                c.to_owned(),
                MjpegSink {
                    channel: channel(&table, c),
                },
            )
        })
        .collect();
    (router(table), sinks)
}

async fn camera(
    State(cameras): State<Cameras>,
    Path(code): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(channel) = lookup(&cameras, &code) else {
        return (StatusCode::NOT_FOUND, "no such camera\n").into_response();
    };
    match query.get("action").map(String::as_str) {
        None | Some("stream") => stream(channel).await,
        Some("snapshot") => snapshot(channel).await,
        Some(_) => (
            StatusCode::BAD_REQUEST,
            "action must be stream or snapshot\n",
        )
            .into_response(),
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

/// Encodes a kept frame off the async thread.
async fn flush(channel: &Channel) {
    let feed = channel.clone();
    match tokio::task::spawn_blocking(move || feed.flush()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "MJPEG frame could not be encoded"),
        Err(e) => tracing::error!(error = %e, "MJPEG encoder task failed"),
    }
}

async fn snapshot(channel: Channel) -> Response {
    flush(&channel).await;
    let Some(jpeg) = channel.jpeg.borrow().clone() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no frame yet\n").into_response();
    };
    no_cache(Response::builder())
        .header(header::CONTENT_TYPE, "image/jpeg")
        .header(header::CONTENT_LENGTH, jpeg.bytes.len())
        .header("X-Timestamp", timestamp(jpeg.pts_ns))
        .body(Body::from(jpeg.bytes))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn stream(channel: Channel) -> Response {
    // Subscribe first: from now on every push is encoded; then encode what was kept.
    let mut rx = channel.jpeg.subscribe();
    flush(&channel).await;
    // Send the newest frame at once, then every new one.
    rx.mark_changed();
    let parts = futures::stream::unfold(rx, |mut rx| async move {
        loop {
            rx.changed().await.ok()?;
            let jpeg = rx.borrow_and_update().clone();
            if let Some(jpeg) = jpeg {
                return Some((Ok::<_, Infallible>(part(&jpeg)), rx));
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

/// `secs.micros` of a frame's virtual time.
fn timestamp(pts_ns: u64) -> String {
    format!(
        "{}.{:06}",
        pts_ns / 1_000_000_000,
        pts_ns % 1_000_000_000 / 1_000
    )
}

/// One multipart part: boundary line, headers, the JPEG, CRLF.
fn part(jpeg: &Jpeg) -> Bytes {
    let head = format!(
        "--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\nX-Timestamp: {}\r\n\r\n",
        jpeg.bytes.len(),
        timestamp(jpeg.pts_ns)
    );
    let mut out = BytesMut::with_capacity(head.len() + jpeg.bytes.len() + 2);
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(&jpeg.bytes);
    out.extend_from_slice(b"\r\n");
    out.freeze()
}
