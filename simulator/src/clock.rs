//! Virtual time: a [`Clock`] (the scenario's CST start plus nanoseconds since it) and per-camera
//! [`FrameSchedule`]s. Nothing in the simulator reads the wall clock.
//!
//! Time inside the world is `t_ns: u64`, nanoseconds since the scenario start. A camera at `fps`
//! frames per second shows frame `k` at `t = floor(k · 10⁹ / fps)` ns, exactly, in integers, so
//! 25 fps is a 40 ms step and 30 fps alternates 33 333 333 / 33 333 334 ns without drift. The
//! world's common tick is the union of all cameras' frame times: [`crate::world::World::step`]
//! moves to the earliest next frame of any camera.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta};
use eseal_protocol::MineTime;

/// Nanoseconds per second.
pub const NS_PER_S: u64 = 1_000_000_000;

/// The virtual clock: the scenario's start instant (CST) and the current time since it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    start: DateTime<FixedOffset>,
    now_ns: u64,
}

impl Clock {
    /// A clock at the scenario start. `start` is shown in China Standard Time.
    pub fn new(start: DateTime<FixedOffset>) -> Clock {
        Clock {
            start: start.with_timezone(&MineTime::CST),
            now_ns: 0,
        }
    }

    /// The scenario start, CST.
    pub fn start(&self) -> DateTime<FixedOffset> {
        self.start
    }

    /// Nanoseconds since the start.
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    /// Moves the clock to `t_ns` (never backwards).
    pub fn advance_to(&mut self, t_ns: u64) {
        self.now_ns = self.now_ns.max(t_ns);
    }

    /// The CST instant `t_ns` after the start.
    pub fn cst_at(&self, t_ns: u64) -> DateTime<FixedOffset> {
        let delta = TimeDelta::nanoseconds(i64::try_from(t_ns).unwrap_or(i64::MAX));
        self.start.checked_add_signed(delta).unwrap_or(self.start)
    }

    /// The current CST instant.
    pub fn now_cst(&self) -> DateTime<FixedOffset> {
        self.cst_at(self.now_ns)
    }

    /// The spec's 14-digit CST time (second resolution) of `t_ns`.
    pub fn mine_time(&self, t_ns: u64) -> MineTime {
        let naive = self.cst_at(t_ns).naive_local();
        // Start times are validated to years 2000–2099, far inside MineTime's range.
        MineTime::from_naive(naive).unwrap_or_else(|_| fallback_time())
    }

    /// The CST calendar day of `t_ns` (daily counts reset at 00:00:00 CST, U1/U2).
    pub fn cst_day(&self, t_ns: u64) -> NaiveDate {
        self.cst_at(t_ns).date_naive()
    }

    /// Every CST midnight strictly after the start and at or before `end_ns`, as `t_ns`.
    pub fn midnights_until(&self, end_ns: u64) -> Vec<u64> {
        let mut out = Vec::new();
        let mut day = self.cst_day(0);
        while let Some(next) = day.succ_opt() {
            let Some(midnight) = next.and_hms_opt(0, 0, 0) else {
                break;
            };
            let since = midnight - self.start.naive_local();
            let Some(ns) = since.num_nanoseconds().and_then(|n| u64::try_from(n).ok()) else {
                break;
            };
            if ns > end_ns {
                break;
            }
            out.push(ns);
            day = next;
        }
        out
    }
}

fn fallback_time() -> MineTime {
    // Unreachable for validated scenarios; a fixed value keeps the function total.
    NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|n| MineTime::from_naive(n).ok())
        .unwrap_or_else(|| unreachable!("2000-01-01 is a valid MineTime"))
}

/// When one camera takes its frames: frame `k` at `floor(k · 10⁹ / fps)` ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameSchedule {
    /// Frames per second.
    pub fps: u32,
}

impl FrameSchedule {
    /// Time of frame `k`, ns since the start.
    pub fn frame_time(&self, k: u64) -> u64 {
        let t = u128::from(k) * u128::from(NS_PER_S) / u128::from(self.fps.max(1));
        u64::try_from(t).unwrap_or(u64::MAX)
    }

    /// The first frame at or after `t_ns`.
    pub fn frame_at_or_after(&self, t_ns: u64) -> u64 {
        let fps = u128::from(self.fps.max(1));
        // ceil(t · fps / 10⁹), then step back while the previous frame is still ≥ t.
        let k = (u128::from(t_ns) * fps).div_ceil(u128::from(NS_PER_S));
        let mut k64 = u64::try_from(k).unwrap_or(u64::MAX);
        while k64 > 0 && self.frame_time(k64 - 1) >= t_ns {
            k64 -= 1;
        }
        while self.frame_time(k64) < t_ns {
            k64 += 1;
        }
        k64
    }

    /// The last frame at or before `t_ns`.
    pub fn frame_at_or_before(&self, t_ns: u64) -> u64 {
        let k = self.frame_at_or_after(t_ns);
        if self.frame_time(k) == t_ns {
            k
        } else {
            k.saturating_sub(1)
        }
    }

    /// Number of frames in `[0, duration_ns)`.
    pub fn frames_in(&self, duration_ns: u64) -> u64 {
        self.frame_at_or_after(duration_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_fps_has_no_drift() {
        let s = FrameSchedule { fps: 30 };
        assert_eq!(s.frame_time(30), NS_PER_S);
        assert_eq!(s.frame_time(1), 33_333_333);
        assert_eq!(s.frame_at_or_after(33_333_333), 1);
        assert_eq!(s.frame_at_or_after(33_333_334), 2);
        assert_eq!(s.frame_at_or_before(33_333_334), 1);
        assert_eq!(s.frames_in(10 * NS_PER_S), 300);
    }
}
