//! Frame sources at wall time: GStreamer decoding RTSP, MJPEG over HTTP and MP4 files.
