//! Real-time pacing for live streams: frames go out when their virtual time comes on the wall
//! clock. This is the only place in the simulator that reads the wall clock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::frame::Frame;

/// Maps virtual frame times onto the wall clock: the first time waited for is "now", every
/// later one is that much later.
#[derive(Debug, Clone)]
pub struct Pacer {
    start: Instant,
    origin_ns: Option<u64>,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new()
    }
}

impl Pacer {
    /// A pacer whose wall-clock start is now.
    pub fn new() -> Pacer {
        Pacer {
            start: Instant::now(),
            origin_ns: None,
        }
    }

    /// The wall-clock instant at which virtual time `pts_ns` is due.
    pub fn due(&mut self, pts_ns: u64) -> Instant {
        let origin = *self.origin_ns.get_or_insert(pts_ns);
        self.start + Duration::from_nanos(pts_ns.saturating_sub(origin))
    }

    /// Sleeps until `pts_ns` is due; returns how late it already was (zero if on time).
    pub fn wait_for(&mut self, pts_ns: u64) -> Duration {
        let due = self.due(pts_ns);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
            Duration::ZERO
        } else {
            now - due
        }
    }
}

/// What [`pace`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PaceReport {
    /// Frames handed to `push`.
    pub frames: u64,
    /// The worst lateness of a frame against its due time (the producer or `push` too slow).
    pub max_late: Duration,
    /// Whether `stop` ended the run before the frames ran out.
    pub stopped: bool,
}

/// Hands each frame to `push` when its `pts_ns` is due against a wall-clock start (now),
/// until the frames run out or `stop` is set. Late frames are pushed at once, not dropped.
///
/// `sim serve` interleaves its cameras' frames in time order and dispatches them by camera
/// in `push`.
pub fn pace<I, F>(frames: I, stop: &AtomicBool, mut push: F) -> PaceReport
where
    I: IntoIterator<Item = Frame>,
    F: FnMut(&Frame),
{
    let mut pacer = Pacer::new();
    let mut report = PaceReport::default();
    for frame in frames {
        if stop.load(Ordering::Relaxed) {
            report.stopped = true;
            break;
        }
        report.max_late = report.max_late.max(pacer.wait_for(frame.pts_ns));
        push(&frame);
        report.frames += 1;
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_go_out_at_their_time() {
        let frames = (0..5u64).map(|i| Frame::black(2, 2, i, 1_000_000_000 + i * 20_000_000));
        let start = Instant::now();
        let mut sent = Vec::new();
        let report = pace(frames, &AtomicBool::new(false), |f| {
            sent.push((f.index, start.elapsed()))
        });
        assert_eq!(report.frames, 5);
        assert!(!report.stopped);
        let (_, last) = sent[4];
        assert!(
            last >= Duration::from_millis(80),
            "last frame after {last:?}"
        );
        assert!(
            last < Duration::from_millis(500),
            "last frame after {last:?}"
        );
    }

    #[test]
    fn stop_ends_the_run() {
        let stop = AtomicBool::new(true);
        let report = pace((0..5u64).map(|i| Frame::black(2, 2, i, i)), &stop, |_| {});
        assert_eq!(
            report,
            PaceReport {
                frames: 0,
                max_late: Duration::ZERO,
                stopped: true
            }
        );
    }
}
