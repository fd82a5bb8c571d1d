//! Light: the start instant and the `[[lighting]]` keys, drawn together so the clock and the sky
//! agree (a night scene starts between 19:00 and 04:30 CST and may run across midnight, where
//! the daily counts reset).
//!
//! | kind | weight | start (CST) | keys |
//! |---|---|---|---|
//! | day | 0.4 | 08:00–15:30 | ambient 0.8–1, one time in three a cloud takes it to 0.55–0.85 |
//! | dusk | 0.2 | 17:00–18:30 | 0.55–0.9 with a warm tint, ramping to 0.03–0.15 within the run: the camera switches to IR (C6) |
//! | dawn | 0.1 | 05:00–06:30 | the reverse: night IR ramping to day colour |
//! | night | 0.3 | 19:00–04:30 | ambient 0.01–0.15 throughout: IR monochrome (C6) |
//!
//! Site lamps flicker (0.05–0.25) in half the scenes that have darkness in them. Haze is a
//! camera key, drawn with the camera.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone};
use eseal_protocol::MineTime;
use rand::Rng;
use rand_chacha::ChaCha12Rng;

use super::{offset, pick, uniform};
use crate::scenario::LightMode;
use crate::scenario::file;

/// The lighting of a drawn scene.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LightKind {
    /// Daylight, colour throughout.
    Day,
    /// Daylight fading to night: the camera switches to IR monochrome during the run.
    Dusk,
    /// Night brightening to day: IR monochrome, then colour.
    Dawn,
    /// Night: IR monochrome throughout.
    Night,
}

impl LightKind {
    /// Every kind.
    pub const ALL: [LightKind; 4] = [
        LightKind::Day,
        LightKind::Dusk,
        LightKind::Dawn,
        LightKind::Night,
    ];

    /// Its word in the file's header.
    pub fn name(self) -> &'static str {
        match self {
            LightKind::Day => "day",
            LightKind::Dusk => "dusk",
            LightKind::Dawn => "dawn",
            LightKind::Night => "night IR",
        }
    }
}

/// Start instant and keys.
#[derive(Debug)]
pub(super) struct Light {
    pub kind: LightKind,
    pub start: DateTime<FixedOffset>,
    pub keys: Vec<file::Light>,
}

/// Draws the lighting of a run of `duration_s`.
pub(super) fn draw(r: &mut ChaCha12Rng, duration_s: f64) -> Light {
    let kind = pick(
        r,
        &[
            (LightKind::Day, 0.4),
            (LightKind::Dusk, 0.2),
            (LightKind::Dawn, 0.1),
            (LightKind::Night, 0.3),
        ],
    );
    // Minutes after midnight of the first minute the run may start, and how many choices.
    let (first, span) = match kind {
        LightKind::Day => (8 * 60, 7 * 60 + 30),
        LightKind::Dusk => (17 * 60, 90),
        LightKind::Dawn => (5 * 60, 90),
        LightKind::Night => (19 * 60, 9 * 60 + 30),
    };
    let minute = first + r.random_range(0..=span);
    let day = r.random_range(0..730);
    let second = r.random_range(0..60);
    let start = start_instant(day, minute, second);
    let flicker = kind != LightKind::Day && r.random_bool(0.5);
    let flicker = if flicker {
        uniform(r, 0.05, 0.25, 0.01)
    } else {
        0.0
    };
    let key = |at_s: f64, ambient: f64, dusk: f64, flicker: f64| file::Light {
        at: offset(at_s),
        ambient,
        dusk,
        mode: LightMode::Auto,
        flicker,
    };
    let mut keys = Vec::new();
    match kind {
        LightKind::Day => {
            keys.push(key(0.0, uniform(r, 0.8, 1.0, 0.01), 0.0, 0.0));
            if r.random_bool(1.0 / 3.0) {
                let at = uniform(r, 0.3, 0.8, 0.01) * duration_s;
                keys.push(key(at, uniform(r, 0.55, 0.85, 0.01), 0.0, 0.0));
            }
        }
        LightKind::Dusk | LightKind::Dawn => {
            let bright = (uniform(r, 0.55, 0.9, 0.01), uniform(r, 0.3, 0.8, 0.01));
            let dark = (uniform(r, 0.03, 0.15, 0.01), uniform(r, 0.0, 0.3, 0.01));
            let from = uniform(r, 0.05, 0.3, 0.01) * duration_s;
            let until = uniform(r, 0.5, 0.8, 0.01) * duration_s;
            let (a, b) = if kind == LightKind::Dusk {
                (bright, dark)
            } else {
                (dark, bright)
            };
            keys.push(key(
                0.0,
                a.0,
                a.1,
                if kind == LightKind::Dawn {
                    flicker
                } else {
                    0.0
                },
            ));
            keys.push(key(
                from,
                a.0,
                a.1,
                if kind == LightKind::Dawn {
                    flicker
                } else {
                    0.0
                },
            ));
            keys.push(key(
                until,
                b.0,
                b.1,
                if kind == LightKind::Dusk {
                    flicker
                } else {
                    0.0
                },
            ));
        }
        LightKind::Night => keys.push(key(0.0, uniform(r, 0.01, 0.15, 0.01), 0.0, flicker)),
    }
    Light { kind, start, keys }
}

/// `day` days after 2026-01-01, `minute` minutes (may pass midnight) and `second` seconds, CST.
fn start_instant(day: u32, minute: u32, second: u32) -> DateTime<FixedOffset> {
    let base = NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    let local = base
        + Duration::days(i64::from(day))
        + Duration::minutes(i64::from(minute))
        + Duration::seconds(i64::from(second));
    MineTime::CST
        .from_local_datetime(&local)
        .single()
        .unwrap_or_else(|| MineTime::CST.from_utc_datetime(&local))
}
