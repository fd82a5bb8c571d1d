//! Both live outputs for a set of cameras, as `eseal sim serve` runs them: each camera is an
//! RTSP mount and an MJPEG stream fed by one [`LiveFeed`].

use std::net::SocketAddr;

use super::mjpeg::{MjpegServer, MjpegSink};
use super::mp4::Codec;
use super::rtsp::{RtspServer, RtspSink};
use super::{Error, FrameSink};
use crate::frame::Frame;

/// An RTSP server and an MJPEG HTTP server side by side.
#[derive(Debug)]
pub struct LiveServer {
    rtsp: RtspServer,
    mjpeg: MjpegServer,
}

/// One camera's feed to both servers.
#[derive(Debug, Clone)]
pub struct LiveFeed {
    rtsp: RtspSink,
    mjpeg: MjpegSink,
}

impl LiveFeed {
    /// Whether an RTSP client is watching this camera.
    pub fn has_viewers(&self) -> bool {
        self.rtsp.has_viewers()
    }
}

impl FrameSink for LiveFeed {
    /// Offers the frame to both streams; if one fails the other still gets it.
    fn push(&self, frame: &Frame) -> Result<(), Error> {
        let rtsp = self.rtsp.push(frame);
        let mjpeg = self.mjpeg.push(frame);
        rtsp.and(mjpeg)
    }
}

impl LiveServer {
    /// Starts both servers (port 0 picks free ports; see the `url` methods).
    pub fn start(rtsp_addr: SocketAddr, http_addr: SocketAddr) -> Result<LiveServer, Error> {
        let rtsp = RtspServer::start(rtsp_addr)?;
        let mjpeg = MjpegServer::start(http_addr)?;
        Ok(LiveServer { rtsp, mjpeg })
    }

    /// Adds camera `code` to both servers: `rtsp://…/cam/<code>` encoded as `codec`, and
    /// `http://…/cam/<code>?action=stream|snapshot`.
    pub fn add_camera(
        &self,
        camera: &str,
        codec: Codec,
        width: u32,
        height: u32,
        fps: u32,
    ) -> Result<LiveFeed, Error> {
        let rtsp = self.rtsp.add_camera(camera, codec, width, height, fps)?;
        Ok(LiveFeed {
            rtsp,
            mjpeg: self.mjpeg.sender(camera),
        })
    }

    /// The camera's RTSP URL.
    pub fn rtsp_url(&self, camera: &str) -> String {
        self.rtsp.url(camera)
    }

    /// The camera's MJPEG stream URL (the U6 live-stream address).
    pub fn mjpeg_url(&self, camera: &str) -> String {
        self.mjpeg.url(camera)
    }

    /// The RTSP server.
    pub fn rtsp(&self) -> &RtspServer {
        &self.rtsp
    }

    /// The MJPEG server.
    pub fn mjpeg(&self) -> &MjpegServer {
        &self.mjpeg
    }

    /// Stops both servers.
    pub fn shutdown(self) {
        let LiveServer { rtsp, mjpeg } = self;
        rtsp.shutdown();
        mjpeg.shutdown();
    }
}
