//! Trucks at the vehicle gate (E5, U2): blobs on the ground plane, tracked across the gate line.
//!
//! Key design decision: **a truck is big and rigid, so a blob is enough — but measure it in
//! metres.** The foreground of the gate camera (the same light-normalised background model as
//! for people) is split into 8-connected components; a component is a truck candidate when its
//! ground footprint, from the calibration, is at least a small car's width. Its ground point is
//! where the lowest row of the blob meets the road, the truck's end nearest the camera. The
//! ground points are tracked and counted across the gate line with the same tracker and
//! hysteresis band as people, with truck-sized gates and speeds. Leaving the site (`Up` in the
//! tracker's terms: inside → outside) is what U2 counts and captures.

use std::collections::HashMap;

use crate::calib::Projector;
use crate::config::CameraConfig;
use crate::frame::Frame;
use crate::people::foreground::{Background, BackgroundSettings, GreyImage, downscale, scale_for};
use crate::people::track::{TrackSettings, Tracker};
use crate::people::{Detection, PersonCrossing, Shot, with_captures};

/// A truck counted across the gate line: `Up` is leaving the site (U2), `Down` entering; the
/// capture is the best view near the gate line.
pub type TruckCrossing = PersonCrossing;

/// Truck detection, tracking and counting on one gate camera.
#[derive(Debug)]
pub struct TruckAnalyzer {
    projector: Projector,
    edge: [[f64; 2]; 2],
    scale: u32,
    bg: Background,
    grey: GreyImage,
    tracker: Tracker,
    best: HashMap<u64, Shot>,
    labels: Vec<u32>,
    stack: Vec<usize>,
    /// Blobs of the last frame (diagnostics).
    pub last_detections: Vec<Detection>,
}

/// Least width of a truck's blob on the ground, metres.
const MIN_WIDTH_M: f64 = 1.2;

impl TruckAnalyzer {
    /// The analyser of a gate camera; `None` without a gate line.
    pub fn new(camera: &CameraConfig) -> Option<TruckAnalyzer> {
        let edge = camera.edge?;
        let settings = TrackSettings {
            band_m: 1.0,
            gate_m: 2.0,
            max_speed: 16.0,
            confirm_hits: 4,
            max_coast_s: 1.0,
            ghost_s: 2.0,
            alpha: 0.6,
            beta: 0.2,
            extent_margin_m: 3.0,
            sure_score: 0.0,
        };
        Some(TruckAnalyzer {
            projector: Projector::new(&camera.calibration, camera.width, camera.height),
            edge,
            scale: scale_for(camera.width),
            bg: Background::new(BackgroundSettings {
                alpha_fg: 0.0002,
                ..BackgroundSettings::default()
            }),
            grey: GreyImage {
                width: 0,
                height: 0,
                px: Vec::new(),
            },
            tracker: Tracker::new(edge, settings),
            best: HashMap::new(),
            labels: Vec::new(),
            stack: Vec::new(),
            last_detections: Vec::new(),
        })
    }

    /// The gate line.
    pub fn edge(&self) -> [[f64; 2]; 2] {
        self.edge
    }

    fn blobs(&mut self) -> Vec<Detection> {
        let (w, h) = (self.grey.width, self.grey.height);
        let mask = &self.bg.mask;
        self.labels.clear();
        self.labels.resize(w * h, 0);
        let mut out = Vec::new();
        let mut next = 0u32;
        let s = f64::from(self.scale);
        for start in 0..w * h {
            if mask[start] == 0 || self.labels[start] != 0 {
                continue;
            }
            next += 1;
            let (mut x0, mut y0, mut x1, mut y1, mut n) = (w, h, 0usize, 0usize, 0usize);
            self.stack.clear();
            self.stack.push(start);
            self.labels[start] = next;
            while let Some(i) = self.stack.pop() {
                let (x, y) = (i % w, i / w);
                n += 1;
                x0 = x0.min(x);
                x1 = x1.max(x + 1);
                y0 = y0.min(y);
                y1 = y1.max(y + 1);
                for dy in -1i64..=1 {
                    for dx in -1i64..=1 {
                        let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                        if nx < 0 || ny < 0 || nx >= w as i64 || ny >= h as i64 {
                            continue;
                        }
                        let j = ny as usize * w + nx as usize;
                        if mask[j] == 1 && self.labels[j] == 0 {
                            self.labels[j] = next;
                            self.stack.push(j);
                        }
                    }
                }
            }
            if n < 30 {
                continue;
            }
            // The lowest row's extent on the road gives the ground width and the near end.
            let foot_y = (y1 as f64) * s;
            let (Some(gl), Some(gr), Some(gc)) = (
                self.projector.pixel_to_ground(x0 as f64 * s, foot_y),
                self.projector.pixel_to_ground(x1 as f64 * s, foot_y),
                self.projector
                    .pixel_to_ground((x0 + x1) as f64 * 0.5 * s, foot_y),
            ) else {
                continue;
            };
            let width = ((gl[0] - gr[0]).powi(2) + (gl[1] - gr[1]).powi(2)).sqrt();
            if width < MIN_WIDTH_M {
                continue;
            }
            let fill = n as f32 / ((x1 - x0) * (y1 - y0)) as f32;
            let scale = self.scale;
            let (fw, fh) = (self.projector.width(), self.projector.height());
            let bbox = [
                x0 as u32 * scale,
                y0 as u32 * scale,
                (x1 as u32 * scale).min(fw),
                (y1 as u32 * scale).min(fh),
            ];
            let inside = x0 > 0 && y0 > 0 && x1 < w && y1 < h;
            out.push(Detection {
                ground: gc,
                bbox,
                score: n as f32,
                visibility: fill,
                inside,
                crowded: 0.0,
            });
        }
        out
    }

    /// Analyses one frame; returns the trucks counted on it.
    pub fn push(&mut self, frame: &Frame) -> Vec<TruckCrossing> {
        downscale(frame, self.scale, &mut self.grey);
        self.bg.apply_at(&self.grey, frame.pts_ns);
        let detections = if self.bg.age == 0 || self.bg.frozen {
            Vec::new()
        } else {
            self.blobs()
        };
        let (events, owners) = self.tracker.update(frame.pts_ns, &detections);
        for (old, new) in self.tracker.resumed.iter().chain(&self.tracker.swapped) {
            if let Some(shot) = self.best.remove(old) {
                self.best.insert(*new, shot);
            }
        }
        for (d, id) in detections.iter().zip(&owners) {
            let s = crate::people::detect::side(&self.edge, d.ground).abs();
            // Wholly in the picture, and the nearer the gate line the better.
            let quality = if d.inside {
                1.0 / (1.0 + s as f32 * 0.1)
            } else {
                0.1
            };
            if self.best.get(id).is_none_or(|b| quality > b.quality) {
                self.best.insert(
                    *id,
                    Shot {
                        frame: frame.clone(),
                        bbox: d.bbox,
                        quality,
                    },
                );
            }
        }
        self.last_detections = detections;
        let out = with_captures(events, &self.best);
        for id in &self.tracker.ended {
            self.best.remove(id);
        }
        out
    }
}
