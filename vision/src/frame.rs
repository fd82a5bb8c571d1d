//! Frames as the device receives them: RGB8 pixels of one camera with a presentation time.
//!
//! Pixels are shared (`Arc`), so analysers, the clip ring buffer and a pending capture can hold
//! the same frame without copying it.

use std::sync::Arc;

/// One decoded video frame, packed RGB8 rows (`width * 3` bytes per row, no padding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub rgb: Arc<Vec<u8>>,
    /// Presentation time, nanoseconds since the device's epoch (see [`crate::clock::DeviceClock`]).
    pub pts_ns: u64,
}

impl Frame {
    /// A frame from packed RGB8 bytes; `None` when the length is not `width * height * 3`.
    pub fn new(width: u32, height: u32, rgb: Vec<u8>, pts_ns: u64) -> Option<Frame> {
        (rgb.len() == width as usize * height as usize * 3).then(|| Frame {
            width,
            height,
            rgb: Arc::new(rgb),
            pts_ns,
        })
    }

    /// The RGB triple at `(x, y)` (must be inside the image).
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }
}

/// Where frames come from: the in-process simulator at virtual time, or GStreamer decoding a
/// live stream or file at wall time.
pub trait FrameSource {
    /// The next frame, `Ok(None)` at the end of the stream.
    fn next_frame(&mut self) -> Result<Option<Frame>, crate::Error>;
}
