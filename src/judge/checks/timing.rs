//! R2: uploads "at once", measured from the true event — never from the time the device wrote
//! into the name, which a device with a late clock would choose itself.
//!
//! For every report matched to a true event (U1, U2, U3, U5; a U4 has no instant of its own
//! and is held to its cadence window by U4):
//! - clock error = the distance from the true instant to the second the name stands for
//!   (`[n, n + 1)`), signed (late positive); `R2.skew` holds `|error| ≤ skew`;
//! - delay = arrival − truth; `R2.latency` holds `delay ≤ skew + latency`.
//!
//! Reported per camera as median, 95th percentile and maximum, with the worst file named.

use std::collections::BTreeMap;

use super::{Ctx, Out, Req, Timed, base, pass_if};
use crate::judge::verdict::{CameraDelays, Check, Spread, Verdict};

const SKEW: Req = Req {
    clause: "R2",
    zh: "设备时钟偏差",
    en: "Device clock error",
    text: "The CST time in a name is the event's, within the configured clock skew (R2, default ±5 s), measured against the true event.",
};
const LATENCY: Req = Req {
    clause: "R2",
    zh: "上传及时性",
    en: "Uploads at once",
    text: "Uploaded at once: arrived within skew + latency (R2, default 5 + 10 s) after the true event.",
};

/// The signed clock error of a name's second `n` for a true instant `t`: 0 when `t` lies in
/// `[n, n + 1)`, else the distance to that interval (positive: the name is late).
pub(super) fn clock_error(name_s: f64, truth_s: f64) -> f64 {
    if truth_s < name_s {
        name_s - truth_s
    } else if truth_s >= name_s + 1.0 {
        -(truth_s - (name_s + 1.0))
    } else {
        0.0
    }
}

pub(super) fn check(ctx: &Ctx<'_>, out: &mut Out) -> Vec<CameraDelays> {
    let w = ctx.opts.window;
    let timed = &out.timed;
    let mut skew_f = Vec::new();
    let mut late_f = Vec::new();
    for t in timed {
        let e = clock_error(t.name_s, t.truth_s);
        if e.abs() > w.skew_s + 1e-9 {
            skew_f.push(format!(
                "{}: name {e:+.1} s from the true event at {:.1} s (bound ±{} s)",
                t.file, t.truth_s, w.skew_s
            ));
        }
        if let Some(a) = t.arrived_s
            && a - t.truth_s > w.skew_s + w.latency_s + 1e-9
        {
            late_f.push(format!(
                "{}: arrived {:.1} s after the true event at {:.1} s (bound {} s)",
                t.file,
                a - t.truth_s,
                t.truth_s,
                w.skew_s + w.latency_s
            ));
        }
    }
    let delays = per_camera(timed);
    let summary = |f: &dyn Fn(&CameraDelays) -> Option<String>| {
        delays.iter().filter_map(f).collect::<Vec<_>>().join("; ")
    };
    let n = timed.len();
    let known = timed.iter().filter(|t| t.arrived_s.is_some()).count();
    let skew_check = if n == 0 {
        Check {
            expected: format!("|name − truth| ≤ {} s", w.skew_s),
            actual: "no report matched to a true event".into(),
            unit: "s".into(),
            ..base(&SKEW, "R2.skew", Verdict::NotApplicable)
        }
    } else {
        let worst = delays
            .iter()
            .map(|d| d.clock_error.max_s)
            .fold(0.0, f64::max);
        let ok = skew_f.is_empty();
        Check {
            expected: format!("|name − truth| ≤ {} s for every matched report", w.skew_s),
            actual: format!(
                "{} of {n} outside: {}",
                skew_f.len(),
                summary(&|d| Some(format!(
                    "camera {} |error| median {:.1} s, p95 {:.1} s, max {:.1} s ({})",
                    d.camera,
                    d.clock_error.median_s,
                    d.clock_error.p95_s,
                    d.clock_error.max_s,
                    d.clock_error.worst
                )))
            ),
            value: Some(super::round6(worst)),
            bar: Some(w.skew_s),
            unit: "s".into(),
            findings: skew_f,
            ..base(&SKEW, "R2.skew", pass_if(ok))
        }
    };
    let bound = w.skew_s + w.latency_s;
    let latency_check = if n == 0 {
        Check {
            expected: format!("arrival − truth ≤ {bound} s"),
            actual: "no report matched to a true event".into(),
            unit: "s".into(),
            ..base(&LATENCY, "R2.latency", Verdict::NotApplicable)
        }
    } else if known < n {
        Check {
            expected: format!("arrival − truth ≤ {bound} s"),
            actual: format!("arrival unknown for {} of {n} matched report(s)", n - known),
            unit: "s".into(),
            supply: Some("平台接收时间 / the platform's arrival time of every upload".into()),
            ..base(&LATENCY, "R2.latency", Verdict::Inconclusive)
        }
    } else {
        let worst = delays
            .iter()
            .filter_map(|d| d.delay.as_ref())
            .map(|s| s.max_s)
            .fold(f64::MIN, f64::max);
        let ok = late_f.is_empty();
        Check {
            expected: format!("arrival − truth ≤ {bound} s for every matched report"),
            actual: format!(
                "{} of {n} late: {}",
                late_f.len(),
                summary(&|d| d.delay.as_ref().map(|s| format!(
                    "camera {} delay median {:.1} s, p95 {:.1} s, max {:.1} s ({})",
                    d.camera, s.median_s, s.p95_s, s.max_s, s.worst
                )))
            ),
            value: Some(super::round6(worst)),
            bar: Some(bound),
            unit: "s".into(),
            findings: late_f,
            ..base(&LATENCY, "R2.latency", pass_if(ok))
        }
    };
    out.checks.push(skew_check);
    out.checks.push(latency_check);
    delays
}

fn per_camera(timed: &[Timed]) -> Vec<CameraDelays> {
    let mut by: BTreeMap<&str, Vec<&Timed>> = BTreeMap::new();
    for t in timed {
        by.entry(t.camera.as_str()).or_default().push(t);
    }
    by.into_iter()
        .map(|(camera, ts)| {
            let errors: Vec<(f64, &str)> = ts
                .iter()
                .map(|t| (clock_error(t.name_s, t.truth_s).abs(), t.file.as_str()))
                .collect();
            let delays: Vec<(f64, &str)> = ts
                .iter()
                .filter_map(|t| t.arrived_s.map(|a| (a - t.truth_s, t.file.as_str())))
                .collect();
            CameraDelays {
                camera: camera.to_owned(),
                reports: ts.len() as u32,
                clock_error: spread(errors),
                delay: (delays.len() == ts.len()).then(|| spread(delays)),
            }
        })
        .collect()
}

/// Median, nearest-rank 95th percentile and maximum (the first file reaching it).
fn spread(mut v: Vec<(f64, &str)>) -> Spread {
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = v.len();
    if n == 0 {
        return Spread {
            median_s: 0.0,
            p95_s: 0.0,
            max_s: 0.0,
            worst: String::new(),
        };
    }
    let median = if n % 2 == 1 {
        v[n / 2].0
    } else {
        (v[n / 2 - 1].0 + v[n / 2].0) / 2.0
    };
    let rank = ((0.95 * n as f64).ceil() as usize).clamp(1, n);
    let max = v[n - 1].0;
    let worst = v.iter().find(|x| x.0 == max).map_or("", |x| x.1).to_owned();
    let r = super::round6;
    Spread {
        median_s: r(median),
        p95_s: r(v[rank - 1].0),
        max_s: r(max),
        worst,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_error_is_the_distance_to_the_names_second() {
        assert_eq!(clock_error(10.0, 10.4), 0.0);
        assert!((clock_error(12.0, 10.4) - 1.6).abs() < 1e-9);
        assert!((clock_error(8.0, 10.4) + 1.4).abs() < 1e-9);
        assert!((clock_error(30.0, 10.0) - 20.0).abs() < 1e-9);
    }

    #[test]
    fn spread_is_median_p95_and_max_with_the_worst_file() {
        let v: Vec<(f64, &str)> = (1..=20)
            .map(|i| (f64::from(i), if i == 20 { "late.jpg" } else { "x.jpg" }))
            .collect();
        let s = spread(v);
        assert_eq!((s.median_s, s.p95_s, s.max_s), (10.5, 19.0, 20.0));
        assert_eq!(s.worst, "late.jpg");
    }
}
