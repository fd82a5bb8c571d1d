//! Device time: frame presentation times → mine-side China Standard Time (R2).
//!
//! The device's clock is an epoch (the CST instant of `pts_ns = 0`) plus the frames' own
//! presentation times. In-process runs set the epoch to the scenario's start, so the whole
//! device runs on virtual time; live runs set it to the wall clock at start-up and take
//! presentation times from the pipeline's running time. Nothing in the analysers reads the wall
//! clock.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone};
use eseal_protocol::MineTime;

/// China Standard Time, UTC+8.
pub fn cst() -> FixedOffset {
    MineTime::CST
}

/// Epoch plus nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceClock {
    epoch: DateTime<FixedOffset>,
}

impl DeviceClock {
    /// A clock whose `pts_ns = 0` is `epoch` (converted to CST).
    pub fn new(epoch: DateTime<FixedOffset>) -> DeviceClock {
        DeviceClock {
            epoch: epoch.with_timezone(&cst()),
        }
    }

    /// The CST instant of `pts_ns = 0`.
    pub fn epoch(&self) -> DateTime<FixedOffset> {
        self.epoch
    }

    /// The CST instant of a presentation time.
    pub fn at(&self, pts_ns: u64) -> DateTime<FixedOffset> {
        self.epoch + Duration::nanoseconds(i64::try_from(pts_ns).unwrap_or(i64::MAX))
    }

    /// The mine time (to the second, truncated) of a presentation time, as U1–U5 names carry it.
    /// `None` only past the year 9999.
    pub fn mine_time(&self, pts_ns: u64) -> Option<MineTime> {
        MineTime::from_naive(self.at(pts_ns).naive_local()).ok()
    }

    /// The CST day (00:00:00–23:59:59) of a presentation time: the daily counters' day (U1/U2).
    pub fn day(&self, pts_ns: u64) -> NaiveDate {
        self.at(pts_ns).date_naive()
    }

    /// Nanoseconds since the epoch of a CST instant (0 before the epoch).
    pub fn pts_of(&self, t: DateTime<impl TimeZone>) -> u64 {
        let d = t.with_timezone(&cst()) - self.epoch;
        u64::try_from(d.num_nanoseconds().unwrap_or(0)).unwrap_or(0)
    }
}
