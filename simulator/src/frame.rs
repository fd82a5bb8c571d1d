//! A rendered video frame: RGB8 pixels with the virtual time it shows.

/// One frame, packed RGB8 rows (`width * 3` bytes per row, no padding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
    /// Frame index from the start of the scenario.
    pub index: u64,
    /// Presentation time from the scenario start, nanoseconds (virtual clock).
    pub pts_ns: u64,
}

impl Frame {
    /// A black frame.
    pub fn black(width: u32, height: u32, index: u64, pts_ns: u64) -> Frame {
        Frame {
            width,
            height,
            rgb: vec![0; width as usize * height as usize * 3],
            index,
            pts_ns,
        }
    }
}
