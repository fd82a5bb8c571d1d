//! People at a shaft mouth (E3, E4, U1): detection, tracking, bidirectional counting, capture.
//!
//! Key design decision: **the count and the capture come from the same track.** A
//! [`PeopleAnalyzer`] runs a [`detect::PersonDetector`] on every frame, feeds the detections to a
//! [`track::Tracker`] that counts zone changes across the counting band, and keeps for every
//! track its best view so far — the frame where that person was most fully seen and wholly in
//! the picture, front or back. When a track is counted going down, that best view becomes the
//! capture (the device turns it into the U1 JPEG with the rectangle drawn round the person), so
//! every counted person has a capture and no capture exists without a count.

pub mod detect;
pub mod foreground;
pub mod learned;
pub mod track;

use std::collections::HashMap;

use crate::calib::Projector;
use crate::config::{CameraConfig, DetectorConfig};
use crate::frame::Frame;

pub use detect::{Detection, PersonDetector, TemplateDetector, TemplateSettings};
pub use learned::{LearnedDetector, LearnedModel, LearnedSettings};
pub use track::{CrossingEvent, Direction, TrackSettings, Tracker};

/// How far from the edge a view out of the capture range may be and still serve a track that
/// has no other, metres.
const FALLBACK_SIDE_M: f64 = 1.6;

/// How recent a view must be to stay the best one, ns.
const RECENT_NS: u64 = 1_200_000_000;

/// A frame and the box of one person in it: the evidence for a U1 capture.
#[derive(Debug, Clone, PartialEq)]
pub struct Shot {
    pub frame: Frame,
    /// Full-frame pixels `[x0, y0, x1, y1)`.
    pub bbox: [u32; 4],
    /// How good the view is (0–1): share of the person seen, wholly inside the picture.
    pub quality: f32,
}

/// A person (or, as [`crate::trucks::TruckCrossing`], a truck) counted across the edge.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonCrossing {
    pub track: u64,
    pub direction: Direction,
    /// Estimated instant the feet crossed the edge.
    pub crossing_ns: u64,
    /// The frame on which the count was decided.
    pub decided_ns: u64,
    /// The best view of this person (always present for `Down` once the person was seen).
    pub capture: Option<Shot>,
}

/// Counted crossings with each track's best view (people here, trucks in [`crate::trucks`]).
pub(crate) fn with_captures(
    events: Vec<CrossingEvent>,
    best: &HashMap<u64, Shot>,
) -> Vec<PersonCrossing> {
    events
        .into_iter()
        .map(|e| PersonCrossing {
            track: e.track,
            direction: e.direction,
            crossing_ns: e.crossing_ns,
            decided_ns: e.decided_ns,
            capture: best.get(&e.track).cloned(),
        })
        .collect()
}

/// Counting and capture on one shaft-mouth camera.
#[derive(Debug)]
pub struct PeopleAnalyzer {
    detector: Box<dyn PersonDetector + Send>,
    tracker: Tracker,
    edge: [[f64; 2]; 2],
    best: HashMap<u64, Shot>,
    /// Tracks whose best view is from beyond the capture range, with its distance from the edge
    /// (metres): kept only until a view in range comes.
    fallback: HashMap<u64, f64>,
    /// Views of tracks that ended recently: (track, when it ended, view).
    lost: Vec<(u64, u64, Shot)>,
    /// Detections of the last frame (diagnostics, live overlay).
    pub last_detections: Vec<Detection>,
}

impl std::fmt::Debug for dyn PersonDetector + Send {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonDetector")
    }
}

impl PeopleAnalyzer {
    /// The analyser for a camera with a counting edge; `None` without one.
    pub fn new(camera: &CameraConfig) -> Option<PeopleAnalyzer> {
        let edge = camera.edge?;
        let projector = Projector::new(&camera.calibration, camera.width, camera.height);
        let detector = TemplateDetector::new(projector, edge, TemplateSettings::default());
        Some(Self::with_detector(
            Box::new(detector),
            edge,
            TrackSettings::default(),
        ))
    }

    /// The analyser for a camera with a counting edge running the configured detector; `None`
    /// without an edge. The learned detector's model and ONNX Runtime are loaded here, so a
    /// missing one is an error at start-up naming the path.
    pub fn with_config(
        camera: &CameraConfig,
        detector: &DetectorConfig,
    ) -> Result<Option<PeopleAnalyzer>, crate::Error> {
        let Some(edge) = camera.edge else {
            return Ok(None);
        };
        let Some(model) = LearnedModel::from_config(detector)? else {
            return Ok(Self::new(camera));
        };
        let projector = Projector::new(&camera.calibration, camera.width, camera.height);
        Ok(Some(Self::with_detector(
            Box::new(LearnedDetector::new(model, projector, edge)),
            edge,
            TrackSettings {
                sure_score: learned::SURE_SCORE,
                ..TrackSettings::default()
            },
        )))
    }

    /// The analyser with another detector (e.g. a learned one) and tracker settings.
    pub fn with_detector(
        detector: Box<dyn PersonDetector + Send>,
        edge: [[f64; 2]; 2],
        settings: TrackSettings,
    ) -> PeopleAnalyzer {
        PeopleAnalyzer {
            detector,
            tracker: Tracker::new(edge, settings),
            edge,
            best: HashMap::new(),
            fallback: HashMap::new(),
            lost: Vec::new(),
            last_detections: Vec::new(),
        }
    }

    /// The live tracks.
    pub fn tracks(&self) -> &[track::Track] {
        self.tracker.tracks()
    }

    /// Analyses one frame; returns the people counted on it.
    pub fn push(&mut self, frame: &Frame) -> Vec<PersonCrossing> {
        let priors = self.tracker.predictions(frame.pts_ns);
        let detections = self.detector.detect(frame, &priors);
        let (events, owners) = self.tracker.update(frame.pts_ns, &detections);
        // A track resumed from a lost one carries its best view on; so does the new track that
        // took over the person a swapped track left (the old one starts on its new person's
        // views afresh).
        for (old, new) in self.tracker.resumed.iter().chain(&self.tracker.swapped) {
            let shot = self.best.remove(old).or_else(|| {
                let k = self.lost.iter().position(|(id, _, _)| id == old)?;
                Some(self.lost.swap_remove(k).2)
            });
            if let Some(shot) = shot {
                self.best.insert(*new, shot);
            }
            if let Some(f) = self.fallback.remove(old) {
                self.fallback.insert(*new, f);
            }
        }
        for (d, id) in detections.iter().zip(&owners) {
            let s = detect::side(&self.edge, d.ground);
            // Front or back views near the edge; wholly inside the picture beats cut off. A
            // track first seen beyond that (someone who walked through hidden behind the one in
            // front) keeps its nearest view until it has one in range.
            let in_range = (-0.9..=0.6).contains(&s);
            if !in_range {
                let nearer = match self.fallback.get(id) {
                    Some(had) => s.abs() < *had,
                    None => !self.best.contains_key(id),
                };
                if s.abs() > FALLBACK_SIDE_M || !nearer {
                    continue;
                }
            }
            // A person cut by the picture's border is a poor capture, whatever the template says.
            let margin = frame.width.div_ceil(foreground::TARGET_WIDTH) * 2;
            let cut = d.bbox[0] < margin
                || d.bbox[1] < margin
                || d.bbox[2] + margin > frame.width
                || d.bbox[3] + margin > frame.height;
            // Nearer the edge the person is mid-picture and the position surest.
            let near = 1.0 - 0.3 * (s.abs() / 1.8).min(1.0) as f32;
            // Overlapped by someone else's box: the fit is less sure and the picture less clear.
            let area = |b: [u32; 4]| {
                f64::from(b[2].saturating_sub(b[0])) * f64::from(b[3].saturating_sub(b[1]))
            };
            let overlap = detections
                .iter()
                .filter(|e| !std::ptr::eq(*e, d))
                .map(|e| {
                    let i = [
                        d.bbox[0].max(e.bbox[0]),
                        d.bbox[1].max(e.bbox[1]),
                        d.bbox[2].min(e.bbox[2]),
                        d.bbox[3].min(e.bbox[3]),
                    ];
                    area(i) / area(d.bbox).max(1.0)
                })
                .fold(0.0, f64::max) as f32;
            let clear = (1.0 - overlap).clamp(0.2, 1.0) * crowd_factor(d.crowded);
            let quality =
                clear * near * d.visibility.min(1.0) * if d.inside && !cut { 1.0 } else { 0.35 };
            // Best of the recent views: the one just before the count is surely this person's.
            let better = !in_range
                || self.fallback.contains_key(id)
                || self.best.get(id).is_none_or(|b| {
                    quality > b.quality + 0.02
                        || frame.pts_ns.saturating_sub(b.frame.pts_ns) > RECENT_NS
                });
            if better {
                self.best.insert(
                    *id,
                    Shot {
                        frame: frame.clone(),
                        bbox: d.bbox,
                        quality,
                    },
                );
                if in_range {
                    self.fallback.remove(id);
                } else {
                    self.fallback.insert(*id, s.abs());
                }
            }
        }
        self.last_detections = detections;
        let out = with_captures(events, &self.best);
        // Ended tracks may still be resumed through their ghost: keep their views a while.
        for id in &self.tracker.ended {
            self.fallback.remove(id);
            if let Some(shot) = self.best.remove(id) {
                self.lost.push((*id, frame.pts_ns, shot));
            }
        }
        self.lost
            .retain(|(_, at, _)| frame.pts_ns.saturating_sub(*at) < 5_000_000_000);
        out
    }
}

/// Weight of [`Detection::crowded`] in a capture's quality. Measured 2026-12-02 on the seven
/// people scenarios (`eseal edge people`): captures 54 → 57 of 61 at weights 3–20 (day groups
/// 13 → 14 of 14, tamper-all-kinds 18 → 20 of 24), none lost, counts unchanged; 1 gains only one.
const CROWD_WEIGHT: f32 = 4.0;

/// How much a capture's quality keeps when unexplained foreground adjoins the person (someone
/// not found stands in the same image column, so the box may hold part of them): at least 0.2.
fn crowd_factor(crowded: f32) -> f32 {
    1.0 - (CROWD_WEIGHT * crowded).clamp(0.0, 0.8)
}
