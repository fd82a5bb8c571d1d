//! Live RTSP streams through gst-rtsp-server: one mount `/cam/<camera code>` per camera.
//!
//! Each mount is a shared media `appsrc ! videoconvert ! I420 ! x264enc|x265enc ! rtph26Xpay`,
//! so any number of clients pull the same encode. The appsrc is live and stamps buffers with
//! the pipeline clock as they arrive (the caller paces them, see [`super::pace`]); while nobody
//! is watching there is no pipeline and pushed frames are dropped. The appsrc keeps at most a
//! few frames and drops the oldest if the encoder falls behind real time.
//!
//! The server's sockets and clients live on a GLib main context of its own, run on a dedicated
//! thread; [`RtspServer::shutdown`] (or drop) closes the clients, stops the loop and unbinds.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use gstreamer as gst;
use gstreamer::glib;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_rtsp_server as rtsp;
use gstreamer_rtsp_server::prelude::*;

use super::mp4::{Codec, check_size, rgb_caps};
use super::{Error, FrameSink, gst_init};
use crate::frame::Frame;

type Slot = Arc<Mutex<Option<gst_app::AppSrc>>>;

fn lock(slot: &Slot) -> std::sync::MutexGuard<'_, Option<gst_app::AppSrc>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Feeds one camera's RTSP mount; cheap to clone.
#[derive(Debug, Clone)]
pub struct RtspSink {
    slot: Slot,
    width: u32,
    height: u32,
}

impl RtspSink {
    /// Whether a client is watching (a media pipeline exists to take frames).
    pub fn has_viewers(&self) -> bool {
        lock(&self.slot).is_some()
    }
}

impl FrameSink for RtspSink {
    /// Hands the frame to the encoder if anyone is watching; otherwise drops it.
    fn push(&self, frame: &Frame) -> Result<(), Error> {
        Error::check_frame(frame, self.width, self.height)?;
        let Some(src) = lock(&self.slot).clone() else {
            return Ok(());
        };
        if src
            .push_buffer(gst::Buffer::from_slice(frame.rgb.clone()))
            .is_err()
        {
            // The media is shutting down (last client left): forget it; a new client gets a
            // new pipeline through `media-configure`.
            let mut slot = lock(&self.slot);
            if slot.as_ref() == Some(&src) {
                *slot = None;
            }
        }
        Ok(())
    }
}

/// An RTSP server with one H.264 or H.265 mount per camera.
#[derive(Debug)]
pub struct RtspServer {
    server: rtsp::RTSPServer,
    context: glib::MainContext,
    main_loop: glib::MainLoop,
    source: Option<glib::SourceId>,
    thread: Option<JoinHandle<()>>,
    addr: SocketAddr,
    sinks: Mutex<HashMap<String, RtspSink>>,
}

impl RtspServer {
    /// Binds `addr` (port 0 picks a free port; see [`RtspServer::addr`]) and starts serving on
    /// a thread of its own. Cameras are added with [`RtspServer::add_camera`].
    pub fn start(addr: SocketAddr) -> Result<RtspServer, Error> {
        gst_init()?;
        let server = rtsp::RTSPServer::new();
        server.set_address(&addr.ip().to_string());
        server.set_service(&addr.port().to_string());
        let context = glib::MainContext::new();
        let main_loop = glib::MainLoop::new(Some(&context), false);
        let source = server.attach(Some(&context)).map_err(|e| Error::Gst {
            element: "rtspserver".to_owned(),
            message: format!("could not listen on {addr}: {e}"),
            debug: None,
        })?;
        let port = u16::try_from(server.bound_port()).map_err(|_| Error::Gst {
            element: "rtspserver".to_owned(),
            message: format!("no port bound on {addr}"),
            debug: None,
        })?;
        let thread = {
            let (context, main_loop) = (context.clone(), main_loop.clone());
            std::thread::Builder::new()
                .name(format!("rtsp-{port}"))
                .spawn(move || {
                    if context.with_thread_default(|| main_loop.run()).is_err() {
                        tracing::error!("RTSP main context is owned by another thread");
                    }
                })
                .map_err(|e| Error::io("could not start the RTSP thread", e))?
        };
        Ok(RtspServer {
            server,
            context,
            main_loop,
            source: Some(source),
            thread: Some(thread),
            addr: SocketAddr::new(addr.ip(), port),
            sinks: Mutex::default(),
        })
    }

    /// The bound address (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `rtsp://ADDR/cam/<code>`.
    pub fn url(&self, camera: &str) -> String {
        format!("rtsp://{}/cam/{camera}", self.addr)
    }

    /// Mounts `/cam/<camera>` streaming `width`×`height` frames at `fps` as `codec` and returns
    /// its sink. Adding a camera again returns the existing sink.
    pub fn add_camera(
        &self,
        camera: &str,
        codec: Codec,
        width: u32,
        height: u32,
        fps: u32,
    ) -> Result<RtspSink, Error> {
        check_size(width, height, fps)?;
        let mut sinks = self.sinks.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sink) = sinks.get(camera) {
            return Ok(sink.clone());
        }
        let mounts = self.server.mount_points().ok_or_else(|| Error::Gst {
            element: "rtspserver".to_owned(),
            message: "server has no mount points".to_owned(),
            debug: None,
        })?;
        let slot = Slot::default();
        let factory = rtsp::RTSPMediaFactory::new();
        factory.set_launch(&launch_line(codec, width, height, fps));
        factory.set_shared(true);
        let caps = rgb_caps(width, height, fps);
        let frame_bytes = u64::from(width) * u64::from(height) * 3;
        let configure_slot = slot.clone();
        factory.connect_media_configure(move |_, media| {
            let Ok(bin) = media.element().downcast::<gst::Bin>() else {
                return;
            };
            let Some(src) = bin
                .by_name("src")
                .and_then(|e| e.downcast::<gst_app::AppSrc>().ok())
            else {
                tracing::error!("RTSP media has no appsrc named src");
                return;
            };
            src.set_caps(Some(&caps));
            src.set_max_bytes(frame_bytes * 3);
            src.set_property_from_str("leaky-type", "downstream");
            *lock(&configure_slot) = Some(src.clone());
            let unprepared_slot = configure_slot.clone();
            media.connect_unprepared(move |_| {
                let mut slot = lock(&unprepared_slot);
                if slot.as_ref() == Some(&src) {
                    *slot = None;
                }
            });
        });
        mounts.add_factory(&format!("/cam/{camera}"), factory);
        let sink = RtspSink {
            slot,
            width,
            height,
        };
        sinks.insert(camera.to_owned(), sink.clone());
        Ok(sink)
    }

    /// Closes every client, stops the main loop and unbinds the port.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        let (server, main_loop) = (self.server.clone(), self.main_loop.clone());
        self.context.invoke(move || {
            server.client_filter(Some(&mut |_, _| rtsp::RTSPFilterResult::Remove));
            main_loop.quit();
        });
        let _ = thread.join();
        if let Some(source) = self
            .source
            .take()
            .and_then(|id| self.context.find_source_by_id(&id))
        {
            source.destroy();
        }
        for sink in self
            .sinks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
        {
            *lock(&sink.slot) = None;
        }
    }
}

impl Drop for RtspServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The media pipeline of one mount.
///
/// One slice per picture (`sliced-threads=false`): `tune=zerolatency` alone turns on x264's
/// sliced threads, which cut every picture into one slice per thread, and `rtph26Xpay
/// config-interval=-1` then repeats SPS/PPS before *every* IDR slice. A parameter set between
/// two slices of one picture starts a new access unit for FFmpeg's parser (what OpenCV and most
/// boxes decode with): each IDR became two half pictures, the rest of the GOP was predicted from
/// the half-grey one, and the picture stayed grey and smeared (issue 15, external mode, item 1).
/// GStreamer's own depayloader keeps the RTP frame together, so `avdec_h264` never showed it.
/// An IDR every second lets a viewer that joins mid-stream start within a second; B-frames
/// are off (zerolatency) so that the decoding order is the display order.
fn launch_line(codec: Codec, width: u32, height: u32, fps: u32) -> String {
    let key_int = fps.max(1);
    let kbps = super::mp4::cctv_kbps(codec, width, height);
    let (enc, pay) = match codec {
        Codec::H264 => (
            format!(
                "x264enc speed-preset=ultrafast tune=zerolatency sliced-threads=false bframes=0 key-int-max={key_int} bitrate={kbps}"
            ),
            "rtph264pay",
        ),
        Codec::H265 => (
            format!(
                "x265enc speed-preset=ultrafast tune=zerolatency key-int-max={key_int} bitrate={kbps} option-string=log-level=error"
            ),
            "rtph265pay",
        ),
    };
    format!(
        "( appsrc name=src is-live=true format=time do-timestamp=true block=false \
         ! videoconvert n-threads={threads} ! video/x-raw,format=I420,colorimetry={matrix} ! {enc} \
         ! {pay} name=pay0 pt=96 config-interval=-1 )",
        threads = super::mp4::convert_threads(),
        matrix = super::mp4::COLORIMETRY,
    )
}
