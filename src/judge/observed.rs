//! What the judge knows of a device's run ([`Observed`]): only what any device delivers — the
//! files the platform accepted with their arrival, what it refused, the registered stream
//! addresses as probed, the device's day report and, where it gives one, its count log — and
//! what the judge found in them (located rectangles, probed clips, the alarm closure it drove).
//! Every check reads this and nothing else, so a vendor's box is judged by exactly the same code
//! as the reference device.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use eseal_simulator::render::BoxPx;

/// One accepted upload.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Virtual (or wall) arrival, seconds from the scenario start, when known.
    pub arrived_s: Option<f64>,
}

/// Where a U1/U2 JPEG's drawn rectangle was found, and the truth of that frame.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureFound {
    /// The frame the picture shows, ns from the start.
    pub pts_ns: u64,
    /// The drawn rectangle `[x0, y0, x1, y1)`.
    pub rect: [u32; 4],
    /// Truth objects of that frame: (actor id, full box, visible box).
    pub objects: Vec<(u32, Option<BoxPx>, Option<BoxPx>)>,
}

/// A registered stream address and what it served (U6), as the run's probe saw it.
pub use crate::edge::run::StreamProbe as StreamSeen;

/// A U3/U5 clip as probed.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipSeen {
    pub duration_s: f64,
    pub h264: bool,
    pub width: u32,
    pub height: u32,
}

/// Everything the judge knows of a device's run.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub uploads: Vec<Upload>,
    /// Uploads the platform refused: (name, reason).
    pub refused: Vec<(String, String)>,
    pub streams: Vec<StreamSeen>,
    /// The device's day report: date → camera → (people down, people up, trucks out).
    pub day_report: Option<DayReport>,
    /// Why there is no day report, when the judge tried to fetch one and failed.
    pub day_report_error: Option<String>,
    /// The device's event-level count of people coming up, (camera, seconds from the start),
    /// where the device exposes one (the spec has no upload for people coming up).
    pub counted_up: Option<Vec<(String, f64)>>,
    /// Per U1/U2 name: where its rectangle is, or why it could not be found.
    pub captures: BTreeMap<String, Result<CaptureFound, String>>,
    /// Per U3/U5 name: the probed clip, or why it could not be probed.
    pub clips: BTreeMap<String, Result<ClipSeen, String>>,
    /// URL prefixes of the judge's own camera streams (external mode): a U6 registration of one
    /// of them is not the device's stream.
    pub judge_stream_prefixes: Vec<String>,
    /// The platform's alarm handling as the judge drove it (P4), when observed.
    pub closure: Option<super::alarm_closure::ClosureRun>,
}

/// A day's figures of one camera in the device's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DayCounts {
    pub people_down: u32,
    pub people_up: u32,
    pub trucks_out: u32,
}

/// A device's day report as the judge reads it: date → camera → figures.
pub type DayReport = BTreeMap<NaiveDate, BTreeMap<String, DayCounts>>;

/// Reads a day report, `{"days": {"YYYY-MM-DD": {"<camera>": {"people_down": n, "people_up": n,
/// "trucks_out": n, ...}}}}` (the reference device's `/report.json`); a figure left out counts 0,
/// other keys are ignored, so a vendor's richer report reads too.
pub fn parse_day_report(v: &serde_json::Value) -> anyhow::Result<DayReport> {
    use anyhow::Context as _;
    let mut out = BTreeMap::new();
    let days = v
        .get("days")
        .and_then(|d| d.as_object())
        .context("the report has no \"days\" object")?;
    for (day, cams) in days {
        let date: NaiveDate = day
            .parse()
            .with_context(|| format!("days.{day}: expected a date YYYY-MM-DD"))?;
        let mut per = BTreeMap::new();
        for (cam, f) in cams.as_object().into_iter().flatten() {
            let n = |k: &str| {
                f.get(k)
                    .and_then(serde_json::Value::as_u64)
                    .map_or(0, |x| x.min(u64::from(u32::MAX)) as u32)
            };
            per.insert(
                cam.clone(),
                DayCounts {
                    people_down: n("people_down"),
                    people_up: n("people_up"),
                    trucks_out: n("trucks_out"),
                },
            );
        }
        out.insert(date, per);
    }
    Ok(out)
}

/// Reads the per-person log of people coming up from a day report, when it has one:
/// `"events": [{"camera": "20", "counter": "people_up", "time": "2026-11-28T08:00:01.250+08:00"}]`
/// → (camera, seconds from `start`). `None` when the report has no `events` list; entries of
/// other counters are skipped; a malformed entry is an error naming it.
pub fn parse_count_log(
    v: &serde_json::Value,
    start: chrono::DateTime<chrono::FixedOffset>,
) -> anyhow::Result<Option<Vec<(String, f64)>>> {
    use anyhow::Context as _;
    let Some(events) = v.get("events") else {
        return Ok(None);
    };
    let events = events
        .as_array()
        .context("events: expected a list of {camera, counter, time}")?;
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let field = |k: &str| {
            e.get(k)
                .and_then(serde_json::Value::as_str)
                .with_context(|| format!("events[{i}].{k}: expected a string"))
        };
        if field("counter")? != "people_up" {
            continue;
        }
        let time = chrono::DateTime::parse_from_rfc3339(field("time")?).with_context(|| {
            format!("events[{i}].time: expected RFC 3339, e.g. 2026-11-28T08:00:01.250+08:00")
        })?;
        out.push((
            field("camera")?.to_owned(),
            (time - start).num_milliseconds() as f64 / 1000.0,
        ));
    }
    Ok(Some(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_count_log_reads_people_coming_up_and_names_a_bad_entry() {
        let start = chrono::DateTime::parse_from_rfc3339("2026-11-28T08:00:00+08:00").unwrap();
        let v = serde_json::json!({"days": {}, "events": [
            {"camera": "20", "counter": "people_up", "time": "2026-11-28T08:00:01.250+08:00"},
            {"camera": "20", "counter": "people_down", "time": "2026-11-28T08:00:02+08:00"}
        ]});
        assert_eq!(
            parse_count_log(&v, start).unwrap(),
            Some(vec![("20".to_owned(), 1.25)])
        );
        assert_eq!(
            parse_count_log(&serde_json::json!({"days": {}}), start).unwrap(),
            None
        );
        let bad = serde_json::json!({"events": [{"camera": "20", "counter": "people_up", "time": "08:00"}]});
        assert!(
            format!("{:#}", parse_count_log(&bad, start).unwrap_err()).contains("events[0].time")
        );
    }
}
