//! Validation: the rules a scenario must keep beyond its TOML types (C3 tilt, C7 resolution, an
//! actor naming an unknown camera, a counting edge out of view, overlapping tampering on one
//! camera ...). Every problem is reported, located by its field path; defaults are filled in on
//! the way. One file per group of tables; this one holds the run itself (start, duration, seed)
//! and the checks the tables share.

mod actors;
mod cameras;
mod equipment;
mod generators;
mod lighting;
mod tamper;

use chrono::{DateTime, Datelike, FixedOffset};
use eseal_protocol::{CameraCode, MineTime};

use crate::clock::NS_PER_S;
use crate::scenario::diagnostic::{Diagnostic, Locator, fmt_offset, site_name};
use crate::scenario::file;
use crate::scenario::model::{Camera, Mine, Scenario};
use crate::scenario::time::TimeSpec;
use crate::scene::SiteKind;

/// Sites with a counting edge people cross.
const EDGE_SITES: [SiteKind; 2] = [SiteKind::ShaftMouth, SiteKind::ReturnAirShaft];

/// Validates a parsed file: the scenario, or every problem found, in file order.
pub(super) fn validate(
    root: file::Root,
    file: &str,
    loc: Locator<'_>,
) -> Result<Scenario, Vec<Diagnostic>> {
    let mut v = Validator {
        loc,
        diags: Vec::new(),
    };
    let scenario = v.scenario(root, file);
    if v.diags.is_empty() {
        Ok(scenario)
    } else {
        v.diags.sort_by_key(|d| (d.line, d.column));
        Err(v.diags)
    }
}

/// Collects the problems of one file.
struct Validator<'a> {
    loc: Locator<'a>,
    diags: Vec<Diagnostic>,
}

/// The run's start and length: every time in the file is resolved against them.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: DateTime<FixedOffset>,
    duration_ns: u64,
}

impl Validator<'_> {
    fn scenario(&mut self, r: file::Root, file: &str) -> Scenario {
        let start = self.start(r.start);
        let duration_ns = self.duration(r.duration);
        if r.seed > i64::MAX as u64 {
            self.err("seed", "expected a seed 0–9223372036854775807");
        }
        let run = Run { start, duration_ns };
        let mine = Mine {
            code: r.mine.code,
            name: r.mine.name,
            region: r.mine.region,
            state: r.mine.state,
        };
        let cameras = self.cameras(r.cameras);
        let lighting = self.lighting(r.lighting, run);
        let cams = &cameras;
        let people = self.table("people", r.people, |v, p, g, _| v.group(p, g, cams, run));
        let trucks = self.table("trucks", r.trucks, |v, p, t, _| v.convoy(p, t, cams, run));
        let belt = self.table("belt", r.belt, |v, p, b, earlier| {
            v.belt_change(p, b, cams, run, earlier)
        });
        let skips = self.table("skips", r.skips, |v, p, s, earlier| {
            v.skip(p, s, cams, run, earlier)
        });
        let tamper = self.table("tamper", r.tamper, |v, p, t, earlier| {
            v.tampering(p, &t, cams, run, earlier)
        });
        let locks = self.table("locks", r.locks, |v, p, l, _| v.lock(p, l, run));
        let generators = self.table("generators", r.generators, |v, p, g, _| {
            v.generator(p, g, cams, run)
        });
        Scenario {
            file: file.to_owned(),
            seed: r.seed,
            start,
            duration_ns,
            render: r.render,
            mine,
            cameras,
            lighting,
            people,
            trucks,
            belt,
            skips,
            tamper,
            locks,
            generators,
        }
    }

    fn start(&mut self, start: TimeSpec) -> DateTime<FixedOffset> {
        match start {
            TimeSpec::Absolute(t) => {
                if !(2000..=2099).contains(&t.year()) {
                    self.err(
                        "start",
                        format!("expected a year 2000–2099, found {}", t.year()),
                    );
                }
                t
            }
            TimeSpec::Offset(_) => {
                self.err("start", "expected an absolute CST time (\"2026-11-28T08:00:00+08:00\" or \"20261128080000\"), found an offset");
                DateTime::UNIX_EPOCH.with_timezone(&MineTime::CST)
            }
        }
    }

    fn duration(&mut self, duration: TimeSpec) -> u64 {
        match duration {
            TimeSpec::Offset(ns) if ns > 0 && ns <= 7 * 24 * 3600 * NS_PER_S => ns,
            TimeSpec::Offset(ns) => {
                self.err(
                    "duration",
                    format!("expected 0 < duration ≤ 7 days, found {}", fmt_offset(ns)),
                );
                NS_PER_S
            }
            TimeSpec::Absolute(_) => {
                self.err(
                    "duration",
                    "expected a length (\"00:01:00\" or seconds), found an absolute time",
                );
                NS_PER_S
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Shared checks

    /// Validates a table row by row: each row is named `table[i]` and sees the rows validated
    /// before it (for the order and overlap rules).
    fn table<R, T>(
        &mut self,
        table: &str,
        rows: Vec<R>,
        mut row: impl FnMut(&mut Self, &str, R, &[T]) -> T,
    ) -> Vec<T> {
        let mut done = Vec::new();
        for (i, r) in rows.into_iter().enumerate() {
            let t = row(self, &format!("{table}[{i}]"), r, &done);
            done.push(t);
        }
        done
    }

    fn err(&mut self, path: &str, message: impl Into<String>) {
        let d = self.loc.at_path(path, &message.into());
        self.diags.push(d);
    }

    fn range(&mut self, path: &str, v: f64, lo: f64, hi: f64, what: &str) {
        if !(v.is_finite() && (lo..=hi).contains(&v)) {
            self.err(path, format!("expected {what} {lo}–{hi}, found {v}"));
        }
    }

    fn time(&mut self, path: &str, t: TimeSpec, run: Run) -> u64 {
        let dur = run.duration_ns;
        match t.resolve(run.start) {
            Some(ns) if ns <= dur => ns,
            Some(ns) => {
                self.err(
                    path,
                    format!(
                        "time {} is after the end of the scenario ({})",
                        fmt_offset(ns),
                        fmt_offset(dur)
                    ),
                );
                dur
            }
            None => {
                self.err(path, "time is before the scenario start");
                0
            }
        }
    }

    fn camera_ref(
        &mut self,
        path: &str,
        code: CameraCode,
        cams: &[Camera],
        sites: &[SiteKind],
        what: &str,
    ) -> usize {
        match cams.iter().position(|c| c.code == code) {
            None => {
                let known: Vec<String> = cams.iter().map(|c| c.code.to_string()).collect();
                self.err(
                    path,
                    format!("unknown camera {code} (cameras: {})", known.join(", ")),
                );
                0
            }
            Some(i) => {
                if !sites.contains(&cams[i].site) {
                    self.err(
                        path,
                        format!(
                            "{what} need a {} camera; camera {code} is a {}",
                            sites
                                .iter()
                                .map(|s| site_name(*s))
                                .collect::<Vec<_>>()
                                .join(" or "),
                            site_name(cams[i].site)
                        ),
                    );
                }
                i
            }
        }
    }
}
