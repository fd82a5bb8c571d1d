//! Pictures and video the device makes: JPEG evidence with rectangles, 10-second H.264 clips from
//! a ring buffer, and its own MJPEG live streams (U6).
