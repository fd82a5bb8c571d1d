//! Tamper analysis (U4): occlusion (type 04) and angle moved (type 05) against a reference view.
//!
//! Key design decision: **compare the camera with its own recent past, in measures that do not
//! care about light or passers-by, and only at the check instants.** Per frame the analyser does
//! almost nothing: it compares 1024 probe pixels with the previous frame (a live sensor's noise
//! changes every frame; a frozen picture does not) and every 0.5 s keeps a 160-px-wide grey
//! thumbnail in a ring of fifteen. At each check — every `interval_s` (U4: once an hour) — the
//! view is the per-pixel median of the ring (7.5 s: walkers and trucks mostly drop out), cells
//! where something moved in the last 2.5 s are left out of the comparison, and the view is
//! compared with the reference view:
//! - frozen: no probe pixel changed for ≥ 1 s although the sensor was alive when the reference
//!   was learnt → 04;
//! - exposure: most of the picture saturated white, or a dim picture's 95th percentile jumped
//!   near white, or the whole picture crushed dark (95th percentile far below the
//!   reference's) → 04;
//! - colour mode changed (day colour ↔ IR monochrome, C6) with a sane exposure → the view is
//!   learnt as the new reference, no finding: at the switch the brightness, contrast and
//!   texture all change but the geometry does not, and the next check compares night with
//!   night. (Under-exposure is tested first: a crushed colour picture also looks grey.);
//! - structure, per cell of a 16 × 9 grid, the view's gradients scaled by the ratio of the 95th
//!   percentiles (a dimmer picture of the same scene compares equal; a cover leaves the
//!   visible part as bright as before): many cells newly blank (a cover band) or most
//!   structured cells lost while the rest lines up → 04; the median per-cell gradient
//!   peakiness `mean(E²)/mean(E)²` fallen (blur spreads an edge: defocus, smear) → 04; the
//!   median per-cell contrast fallen while the edges still line up (a veil) → 04;
//! - still sharp but the edge map no longer lines up (normalised correlation at zero shift
//!   very low — another scene — or clearly better at a shift) → 05.
//!
//! A structural finding stands only if the newest 2.5 s of thumbnails show one too (the ring's
//! median lags, so a cover taken away just before a check would be reported late), and a move
//! only if they do not show a cover (a cover that came as the light changed looks moved in
//! the long view). After a
//! colour-mode switch the reference is made of the few thumbnails of the new mode, so the next
//! check learns again rather than judging against it.
//!
//! A structural finding must hold against the reference before the current one too, so a
//! reference learnt with people standing in it cannot make their leaving a tamper. A clean
//! check learns its view as the new reference (never from frozen thumbnails), so slow changes —
//! dusk, weather, seasons — never accumulate; a tampered check keeps the old one, so a moved
//! camera is reported at every check until it is put back. One finding per check while
//! tampered; the first check is `interval_s` after the first frame.

use std::collections::VecDeque;

use eseal_protocol::TamperKind;

use crate::config::CameraConfig;
use crate::equipment::{Grey, quantile};
use crate::frame::Frame;

/// One tamper finding (U4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TamperFinding {
    /// The check instant (presentation time, ns).
    pub pts_ns: u64,
    /// Occluded (04) or moved off its angle (05).
    pub kind: TamperKind,
    /// Strength of the evidence, 0–1 (share of structure lost, 1 − correlation, …).
    pub score: f32,
}

/// What a check decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verdict {
    /// No reference yet: the view was learnt.
    #[default]
    Learning,
    /// Nothing wrong; the view became the reference.
    Clean,
    /// The colour mode changed (day ↔ IR): the view became the reference.
    Relearned,
    /// Occluded (04), with the reason.
    Occluded(&'static str),
    /// Moved off its angle (05).
    Moved,
    /// The view over the last seconds looks tampered but the newest thumbnails do not: the
    /// tamper has just ended (or the light just changed). No finding, nothing learnt.
    Ended,
}

/// The measures of one check (diagnostics and tuning).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TamperCheck {
    pub pts_ns: u64,
    pub verdict: Verdict,
    /// Seconds without any probe pixel changing.
    pub frozen_s: f32,
    /// Share of the thumbnail at ≥ 245.
    pub bright: f32,
    /// 95th percentile level, now and in the reference.
    pub p95: f32,
    pub p95_ref: f32,
    /// Share of cells left out of the comparison because something moved there.
    pub moving: f32,
    /// Share of structured reference cells whose structure is lost.
    pub lost: f32,
    /// Share of compared cells blank now but not in the reference.
    pub blank: f32,
    /// Median per-cell gradient now / reference, after matching the 95th percentiles.
    pub contrast: f32,
    /// Median per-cell gradient peakiness now / reference (falls with blur).
    pub sharpness: f32,
    /// Edge-map correlation at zero shift, over the cells not lost, and the best one at a shift.
    pub ncc0: f32,
    pub ncc_visible: f32,
    pub ncc_best: f32,
    pub shift: (i32, i32),
    pub mono: bool,
}

/// Thumbnail width (px).
const THUMB_W: usize = 160;
/// Interval between thumbnails (s), thumbnails kept (the view is their per-pixel median) and
/// the newest ones in which motion is looked for.
const SAMPLE_S: f64 = 0.5;
const RING: usize = 15;
const RECENT: usize = 5;
/// Thumbnails needed before the first reference is learnt.
const LEARN_MIN: usize = 5;
/// Probe grid (per side).
const PROBE: usize = 32;
/// No probe change for this long: frozen (s).
const FREEZE_S: f64 = 1.0;
/// Share of frame pairs that must differ for the sensor to count as alive.
const ALIVE: f32 = 0.8;
/// Over-exposure: share of the picture at ≥ 245, and its rise over the reference.
const BRIGHT_MIN: f32 = 0.4;
const BRIGHT_RISE: f32 = 0.3;
/// Over-exposure of a dim scene (dusk, night): little saturates, but the 95th percentile
/// jumps near white and to this many times the reference's (tuning seed 70005 at dusk, gain
/// 4.3: 65 → 230; light never triples between two checks without a colour-mode switch).
const OVER_P95: f32 = 200.0;
const OVER_RATIO: f32 = 2.5;
/// Under-exposure: 95th percentile at most this, and at most this share of the reference's.
const DARK_P95: f32 = 45.0;
const DARK_RATIO: f32 = 0.4;
/// Cell grid of the structure comparison.
const CELLS: (usize, usize) = (16, 9);
/// A cell moves when at least `MOTION_SAMPLES` of the recent thumbnails differ from their
/// median by more than `MOTION_LEVELS` (mean over the cell, after gain compensation).
const MOTION_LEVELS: f32 = 2.5;
const MOTION_SAMPLES: usize = 2;
/// Fewest static cells for the comparison to leave moving cells out.
const STATIC_MIN: f32 = 0.25;
/// A reference cell has structure when its mean gradient is at least this share of the
/// reference's mean level; it is blank below `BLANK_SHARE`.
const CELL_STRUCTURE: f32 = 0.01;
const BLANK_SHARE: f32 = 0.005;
/// A structured cell is lost when its gradient falls below this share of the reference's.
const CELL_LOST: f32 = 0.33;
/// Share of lost structured cells, with the rest still in line, that is an occlusion.
const LOST_MIN: f32 = 0.4;
/// Share of static cells newly blank that is a cover.
const BLANK_NEW: f32 = 0.25;
/// Blur: median per-cell gradient peakiness below this share of the reference's.
const SHARP_MIN: f32 = 0.7;
/// Veil: median per-cell contrast below this share of the reference's while the edges line up.
const CONTRAST_MIN: f32 = 0.7;
/// Edges line up when the correlation is at least this.
const ALIGNED: f32 = 0.5;
/// A sharp view whose edges correlate with the reference's less than this at zero shift shows
/// another scene: moved. Measured 2026-12-07 on tuning seeds 70006 and 70019 (turned cameras:
/// 0.03–0.09) and 70013 (the same gate after dusk fell to night under IR: 0.39–0.46).
const MOVED_NCC: f32 = 0.25;
/// Much structure lost while what is left still lines up this well: a cover. Lower than
/// [`ALIGNED`]: a cover that came as night fell leaves the rest lit otherwise (tuning seed
/// 70012: 0.42); turned cameras measured 0.14–0.15 (70005) and lose less (0.10–0.22).
const COVER_ALIGNED: f32 = 0.35;
/// Shift search on the half-size edge maps (px, each way), and how much better a shifted
/// match must be to count as a move.
const SEARCH: i32 = 8;
const SHIFT_GAIN: f32 = 0.25;
/// Smallest thumbnail analysed.
const MIN_THUMB: (usize, usize) = (32, 18);

/// One kept thumbnail.
#[derive(Debug, Clone)]
struct Sample {
    grey: Grey,
    mono: Option<bool>,
    /// The picture changed between frames since the previous thumbnail (not frozen).
    alive: bool,
}

/// A view: the median thumbnail, its colour mode, the cells with recent motion, its statistics.
#[derive(Debug, Clone)]
struct View {
    grey: Grey,
    mono: Option<bool>,
    moving: Vec<bool>,
    stats: ViewStats,
    /// Every thumbnail of it came from a live (not frozen) picture.
    alive: bool,
}

/// The reference view and whether the sensor was alive when it was learnt.
#[derive(Debug, Clone)]
struct Reference {
    view: View,
    alive: f32,
}

/// Camera tamper checks of one camera (U4).
#[derive(Debug)]
pub struct TamperAnalyzer {
    interval_ns: u64,
    next_check: Option<u64>,
    size: (u32, u32),
    probe: Vec<u8>,
    probe_prev: Vec<u8>,
    last_change: Option<u64>,
    alive: f32,
    last_pts: Option<u64>,
    next_sample: u64,
    ring: VecDeque<Sample>,
    /// A frame-to-frame change was seen since the last thumbnail.
    changed_since_sample: bool,
    reference: Option<Reference>,
    /// The reference before the current one: a structural finding must hold against both.
    previous: Option<Reference>,
    /// The reference was learnt at a colour-mode switch, from the few thumbnails of the new
    /// mode: the next check learns again rather than judging against it.
    settling: bool,
    last_check: Option<TamperCheck>,
}

impl TamperAnalyzer {
    /// An analyser for `camera` checking every `interval_s` seconds (U4: 3600; a non-finite or
    /// non-positive interval is taken as 3600). The first check is `interval_s` after the first
    /// frame; the reference is learnt from the first 2.5 s.
    pub fn new(camera: &CameraConfig, interval_s: f64) -> TamperAnalyzer {
        let _ = camera;
        let interval_s = if interval_s.is_finite() && interval_s > 0.0 {
            interval_s
        } else {
            3600.0
        };
        TamperAnalyzer {
            interval_ns: ((interval_s * 1e9) as u64).max(1),
            ..TamperAnalyzer::blank()
        }
    }

    /// The measures of the last check.
    pub fn last_check(&self) -> Option<&TamperCheck> {
        self.last_check.as_ref()
    }

    /// Analyses one frame; at a check instant, returns a finding when the camera is tampered.
    pub fn push(&mut self, frame: &Frame) -> Option<TamperFinding> {
        let (fw, fh) = (frame.width as usize, frame.height as usize);
        if fw == 0 || fh == 0 || frame.rgb.len() < fw * fh * 3 {
            return None;
        }
        let pts = frame.pts_ns;
        if (frame.width, frame.height) != self.size || self.last_pts.is_some_and(|t| pts < t) {
            // A new stream: learn again.
            *self = TamperAnalyzer::new_like(self);
            self.size = (frame.width, frame.height);
        }
        let next_check = *self
            .next_check
            .get_or_insert(pts.saturating_add(self.interval_ns));
        let dt = self.last_pts.map_or(0.0, |t| (pts - t) as f64 / 1e9);
        self.last_pts = Some(pts);

        // Probe: does the picture change from frame to frame?
        std::mem::swap(&mut self.probe, &mut self.probe_prev);
        probe(frame, &mut self.probe);
        if self.probe_prev.len() == self.probe.len() && dt > 0.0 {
            let changed = self.probe != self.probe_prev;
            if changed {
                self.last_change = Some(pts);
                self.changed_since_sample = true;
            }
            let a = (1.0 - (-dt / 5.0).exp()) as f32;
            self.alive += (f32::from(u8::from(changed)) - self.alive) * a;
        } else {
            self.last_change = Some(pts);
        }

        if pts >= self.next_sample {
            self.next_sample = pts.saturating_add((SAMPLE_S * 1e9) as u64);
            if let Some(grey) = Grey::from_frame(frame, THUMB_W)
                .filter(|g| g.w >= MIN_THUMB.0 && g.h >= MIN_THUMB.1)
            {
                let alive = std::mem::take(&mut self.changed_since_sample);
                self.ring.push_back(Sample {
                    grey,
                    mono: mono(&self.probe),
                    alive,
                });
                while self.ring.len() > RING {
                    self.ring.pop_front();
                }
            }
        }
        if self.reference.is_none() && self.ring.len() >= LEARN_MIN {
            self.learn(None);
        }
        if pts < next_check {
            return None;
        }
        // The next check instant after this frame (checks missed in a gap are not repeated).
        let missed = (pts - next_check) / self.interval_ns + 1;
        self.next_check = Some(next_check.saturating_add(missed.saturating_mul(self.interval_ns)));
        self.check(pts)
    }

    fn new_like(old: &TamperAnalyzer) -> TamperAnalyzer {
        TamperAnalyzer {
            interval_ns: old.interval_ns,
            ..TamperAnalyzer::blank()
        }
    }

    fn blank() -> TamperAnalyzer {
        TamperAnalyzer {
            interval_ns: 1,
            next_check: None,
            size: (0, 0),
            probe: Vec::new(),
            probe_prev: Vec::new(),
            last_change: None,
            alive: 0.0,
            last_pts: None,
            next_sample: 0,
            ring: VecDeque::new(),
            changed_since_sample: false,
            reference: None,
            previous: None,
            settling: false,
            last_check: None,
        }
    }

    /// The current view: the per-pixel median of the ring's thumbnails in the newest one's
    /// colour mode (so right after a day → IR switch it is the IR view alone), with the cells
    /// that moved in the newest thumbnails.
    fn current(&self) -> Option<View> {
        self.view_of(RING)
    }

    /// The view of the newest [`RECENT`] thumbnails alone (same colour mode): what the camera
    /// shows now, where the whole ring's median still holds seconds of the past.
    fn recent(&self) -> Option<View> {
        self.view_of(RECENT)
    }

    /// The view of the newest `n` thumbnails in the newest one's colour mode.
    fn view_of(&self, n: usize) -> Option<View> {
        let last = self.ring.back()?;
        let (w, h) = (last.grey.w, last.grey.h);
        let mut samples: Vec<&Sample> = self
            .ring
            .iter()
            .rev()
            .take(n)
            .filter(|s| s.grey.w == w && s.grey.h == h && s.mono == last.mono)
            .collect();
        samples.reverse();
        let alive = samples.iter().skip(1).all(|s| s.alive);
        let same: Vec<&Grey> = samples.iter().map(|s| &s.grey).collect();
        let grey = median(&same, w, h);
        let recent = &same[same.len().saturating_sub(RECENT)..];
        let moving = moving_cells(recent, &median(recent, w, h));
        let stats = ViewStats::of(&grey);
        Some(View {
            grey,
            mono: last.mono,
            moving,
            stats,
            alive,
        })
    }

    /// Learns `view` (or the current view) as the reference, unless it holds a frozen picture.
    fn learn(&mut self, view: Option<View>) {
        if let Some(view) = view.or_else(|| self.current()).filter(|v| v.alive) {
            let old = self.reference.replace(Reference {
                view,
                alive: self.alive,
            });
            if old.is_some() {
                self.previous = old;
            }
        }
    }

    fn check(&mut self, pts: u64) -> Option<TamperFinding> {
        let mut c = TamperCheck {
            pts_ns: pts,
            ..TamperCheck::default()
        };
        let (Some(reference), Some(view)) = (self.reference.clone(), self.current()) else {
            self.learn(None);
            self.last_check = Some(c);
            return None;
        };
        let (rs, vs) = (&reference.view.stats, &view.stats);
        c.mono = view.mono == Some(true);
        c.frozen_s = self
            .last_change
            .map_or(0.0, |t| (pts.saturating_sub(t) as f64 / 1e9) as f32);
        c.bright = vs.bright;
        c.p95 = vs.p95;
        c.p95_ref = rs.p95;
        let same_size =
            (view.grey.w, view.grey.h) == (reference.view.grey.w, reference.view.grey.h);
        if same_size {
            c.set(&structure(&view, &reference.view));
        }
        let mode_changed = view.mono.is_some()
            && reference.view.mono.is_some()
            && view.mono != reference.view.mono;
        let verdict = if f64::from(c.frozen_s) >= FREEZE_S && reference.alive >= ALIVE {
            Verdict::Occluded("frozen")
        } else if (vs.bright >= BRIGHT_MIN && vs.bright >= rs.bright + BRIGHT_RISE)
            || (vs.p95 >= OVER_P95 && vs.p95 >= OVER_RATIO * rs.p95)
        {
            Verdict::Occluded("over-exposed")
        } else if vs.p95 <= DARK_P95 && vs.p95 <= DARK_RATIO * rs.p95 {
            Verdict::Occluded("under-exposed")
        } else if !same_size || mode_changed {
            Verdict::Relearned
        } else {
            match structural(&c) {
                // A structural finding must also hold against the reference before (when it is
                // comparable): a reference learnt with people standing in it does not make their
                // leaving a tamper.
                v @ (Verdict::Occluded(_) | Verdict::Moved) => match &self.previous {
                    Some(p) if comparable(&view, &p.view) => {
                        let mut q = c;
                        q.set(&structure(&view, &p.view));
                        if structural(&q) == Verdict::Clean {
                            Verdict::Clean
                        } else {
                            v
                        }
                    }
                    _ => v,
                },
                v => v,
            }
        };
        let settling = std::mem::take(&mut self.settling);
        let verdict = self.confirm(verdict, &reference, settling, &mut c);
        c.verdict = verdict;
        tracing::debug!(pts_s = pts as f64 / 1e9, ?verdict, blank = c.blank, lost = c.lost, ncc0 = c.ncc0,
            ncc_visible = c.ncc_visible, ncc_best = c.ncc_best, shift = ?c.shift, contrast = c.contrast,
            sharpness = c.sharpness, bright = c.bright, p95 = c.p95, "tamper check");
        self.last_check = Some(c);
        let score = |v: f32| v.clamp(0.0, 1.0);
        self.settling = verdict == Verdict::Relearned && !settling;
        match verdict {
            Verdict::Learning => None,
            Verdict::Clean | Verdict::Relearned => {
                self.learn(Some(view));
                None
            }
            Verdict::Ended => None,
            Verdict::Occluded(why) => Some(TamperFinding {
                pts_ns: pts,
                kind: TamperKind::Occlusion,
                score: score(match why {
                    "frozen" => 1.0,
                    "over-exposed" => c.bright,
                    "under-exposed" => 1.0 - c.p95 / c.p95_ref.max(1.0),
                    "covered" => c.blank.max(c.lost),
                    "blurred" => 1.0 - c.sharpness,
                    _ => 1.0 - c.contrast,
                }),
            }),
            Verdict::Moved => Some(TamperFinding {
                pts_ns: pts,
                kind: TamperKind::AngleMoved,
                score: score(1.0 - c.ncc0),
            }),
        }
    }
}

impl TamperAnalyzer {
    /// A structural finding stands only if the newest thumbnails show one too: the ring's
    /// median lags seconds behind, so a cover just taken away would be reported late; and a
    /// move seen in the long view that is a cover now is a cover. Right after a
    /// colour-mode switch the reference is young: the check learns again instead.
    fn confirm(
        &self,
        verdict: Verdict,
        reference: &Reference,
        settling: bool,
        c: &mut TamperCheck,
    ) -> Verdict {
        if !matches!(verdict, Verdict::Occluded(_) | Verdict::Moved)
            || matches!(
                verdict,
                Verdict::Occluded("frozen" | "over-exposed" | "under-exposed")
            )
        {
            return verdict;
        }
        if settling {
            return Verdict::Relearned;
        }
        let Some(now) = self.recent() else {
            return verdict;
        };
        if (now.grey.w, now.grey.h) != (reference.view.grey.w, reference.view.grey.h) {
            return verdict;
        }
        let mut q = *c;
        q.set(&structure(&now, &reference.view));
        match (verdict, structural(&q)) {
            (_, Verdict::Clean) => Verdict::Ended,
            // Fewer thumbnails are noisier: the long view's kind stands, except that a cover
            // seen now is a cover (a move is found in both).
            (Verdict::Moved, v @ Verdict::Occluded(_)) => v,
            (v, _) => v,
        }
    }
}

impl TamperCheck {
    fn set(&mut self, m: &Structure) {
        self.moving = m.moving;
        self.lost = m.lost;
        self.blank = m.blank;
        self.contrast = m.contrast;
        self.sharpness = m.sharpness;
        self.ncc0 = m.ncc0;
        self.ncc_visible = m.ncc_visible;
        self.ncc_best = m.ncc_best;
        self.shift = m.shift;
    }
}

/// The verdict of the structure measures alone: covered, blurred, veiled, moved or clean.
fn structural(c: &TamperCheck) -> Verdict {
    // Newly blank cells are a cover when the rest of the picture still lines up, or when much of
    // the reference's structure is gone with them; a turned camera that now sees a plain wall
    // has new blank cells too, but neither (it is moved, below).
    let blank = c.blank >= BLANK_NEW && (c.lost >= LOST_MIN || c.ncc_visible >= ALIGNED);
    if blank || (c.lost >= LOST_MIN && c.ncc_visible >= COVER_ALIGNED) {
        Verdict::Occluded("covered")
    } else if c.sharpness < SHARP_MIN {
        Verdict::Occluded("blurred")
    } else if c.contrast < CONTRAST_MIN && c.ncc0 >= ALIGNED {
        Verdict::Occluded("veiled")
    } else if c.ncc0 < MOVED_NCC || (c.ncc_best - c.ncc0 >= SHIFT_GAIN && c.shift != (0, 0)) {
        Verdict::Moved
    } else {
        Verdict::Clean
    }
}

/// Two views can be compared structurally: same size and same colour mode.
fn comparable(a: &View, b: &View) -> bool {
    (a.grey.w, a.grey.h) == (b.grey.w, b.grey.h)
        && (a.mono.is_none() || b.mono.is_none() || a.mono == b.mono)
}

/// Per-pixel median of thumbnails of one size (`w × h`).
fn median(frames: &[&Grey], w: usize, h: usize) -> Grey {
    let mut px = vec![0.0f32; w * h];
    let mut v = Vec::with_capacity(frames.len());
    for (i, p) in px.iter_mut().enumerate() {
        v.clear();
        v.extend(frames.iter().map(|g| g.px[i]));
        v.sort_by(f32::total_cmp);
        *p = v.get(v.len() / 2).copied().unwrap_or(0.0);
    }
    Grey { w, h, px }
}

/// The cell rectangle `(x0, y0, x1, y1)` of cell `i` on a `w × h` thumbnail.
fn cell_rect(i: usize, w: usize, h: usize) -> (usize, usize, usize, usize) {
    let (cx, cy) = (i % CELLS.0, i / CELLS.0);
    (
        cx * w / CELLS.0,
        cy * h / CELLS.1,
        (cx + 1) * w / CELLS.0,
        (cy + 1) * h / CELLS.1,
    )
}

/// Cells where at least [`MOTION_SAMPLES`] of `frames` differ from `med` (each frame's gain
/// matched to the median first, so flicker is not motion).
fn moving_cells(frames: &[&Grey], med: &Grey) -> Vec<bool> {
    let (w, h) = (med.w, med.h);
    let gains: Vec<f32> = frames
        .iter()
        .map(|g| crate::equipment::gain_ratio(g, med))
        .collect();
    (0..CELLS.0 * CELLS.1)
        .map(|i| {
            let (x0, y0, x1, y1) = cell_rect(i, w, h);
            let n = ((x1 - x0) * (y1 - y0)).max(1) as f32;
            frames
                .iter()
                .zip(&gains)
                .filter(|(g, r)| {
                    let mut d = 0.0;
                    for y in y0..y1 {
                        for x in x0..x1 {
                            d += (g.px[y * w + x] * **r - med.px[y * w + x]).abs();
                        }
                    }
                    d / n > MOTION_LEVELS
                })
                .count()
                >= MOTION_SAMPLES
        })
        .collect()
}

/// Samples `PROBE × PROBE` pixels (RGB) of `frame` into `out`.
fn probe(frame: &Frame, out: &mut Vec<u8>) {
    out.clear();
    let (w, h) = (frame.width as usize, frame.height as usize);
    for j in 0..PROBE {
        let y = (2 * j + 1) * h / (2 * PROBE);
        for i in 0..PROBE {
            let x = (2 * i + 1) * w / (2 * PROBE);
            let k = (y.min(h - 1) * w + x.min(w - 1)) * 3;
            out.extend_from_slice(&frame.rgb[k..k + 3]);
        }
    }
}

/// Whether the probe pixels are monochrome (IR): nearly all unsaturated pixels have equal
/// channels (±2); `None` when too few pixels are unsaturated to tell.
fn mono(probe: &[u8]) -> Option<bool> {
    let (mut n, mut grey) = (0u32, 0u32);
    for p in probe.chunks_exact(3) {
        let (lo, hi) = (p[0].min(p[1]).min(p[2]), p[0].max(p[1]).max(p[2]));
        if !(8..250).contains(&hi) {
            continue;
        }
        n += 1;
        grey += u32::from(hi - lo <= 2);
    }
    (n >= 64).then_some(grey as f32 >= 0.95 * n as f32)
}

/// Level statistics and edge maps of one view.
#[derive(Debug, Clone)]
struct ViewStats {
    mean: f32,
    p95: f32,
    bright: f32,
    /// Gradient magnitude at full thumbnail size and at half size.
    edges: Vec<f32>,
    edges_half: Vec<f32>,
    half: (usize, usize),
}

impl ViewStats {
    fn of(g: &Grey) -> ViewStats {
        let half_grey = halve(g);
        ViewStats {
            mean: g.mean(),
            p95: quantile(&g.px, 0.95),
            bright: g.px.iter().filter(|v| **v >= 245.0).count() as f32 / g.px.len().max(1) as f32,
            edges: gradient(g),
            edges_half: gradient(&half_grey),
            half: (half_grey.w, half_grey.h),
        }
    }
}

/// 2 × 2 block means.
fn halve(g: &Grey) -> Grey {
    let (w, h) = ((g.w / 2).max(1), (g.h / 2).max(1));
    let mut px = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            let at = |xx: usize, yy: usize| g.px[yy.min(g.h - 1) * g.w + xx.min(g.w - 1)];
            px[y * w + x] = 0.25
                * (at(2 * x, 2 * y)
                    + at(2 * x + 1, 2 * y)
                    + at(2 * x, 2 * y + 1)
                    + at(2 * x + 1, 2 * y + 1));
        }
    }
    Grey { w, h, px }
}

/// `|∂x| + |∂y|` (forward differences; zero on the last row and column).
fn gradient(g: &Grey) -> Vec<f32> {
    let mut e = vec![0.0; g.w * g.h];
    for y in 0..g.h {
        for x in 0..g.w {
            let p = g.px[y * g.w + x];
            let gx = if x + 1 < g.w {
                (g.px[y * g.w + x + 1] - p).abs()
            } else {
                0.0
            };
            let gy = if y + 1 < g.h {
                (g.px[(y + 1) * g.w + x] - p).abs()
            } else {
                0.0
            };
            e[y * g.w + x] = gx + gy;
        }
    }
    e
}

/// The structure comparison of a view with the reference.
#[derive(Debug, Clone, Copy, Default)]
struct Structure {
    moving: f32,
    lost: f32,
    blank: f32,
    contrast: f32,
    sharpness: f32,
    ncc0: f32,
    ncc_visible: f32,
    ncc_best: f32,
    shift: (i32, i32),
}

/// Mean gradient and gradient peakiness `mean(E²) / mean(E)²` of each cell.
fn cell_gradients(e: &[f32], w: usize, h: usize) -> Vec<(f32, f32)> {
    (0..CELLS.0 * CELLS.1)
        .map(|i| {
            let (x0, y0, x1, y1) = cell_rect(i, w, h);
            let (mut s, mut s2, mut n) = (0.0f32, 0.0f32, 0u32);
            for y in y0..y1 {
                for &v in &e[y * w + x0..y * w + x1] {
                    s += v;
                    s2 += v * v;
                    n += 1;
                }
            }
            let m = s / n.max(1) as f32;
            (
                m,
                if m > 1e-6 {
                    s2 / n.max(1) as f32 / (m * m)
                } else {
                    0.0
                },
            )
        })
        .collect()
}

/// Compares `view` with `reference` over the cells that moved in neither (all cells when too
/// few are static). The view's gradients are scaled by the ratio of the 95th percentiles, so a
/// dimmer or brighter picture of the same scene compares equal while a cover (which leaves the
/// visible part as bright as before) does not.
fn structure(view: &View, reference: &View) -> Structure {
    let (w, h) = (view.grey.w, view.grey.h);
    let (vs, rs) = (&view.stats, &reference.stats);
    let g = (rs.p95.max(1.0) / vs.p95.max(1.0)).clamp(0.25, 4.0);
    let (cv, cr) = (
        cell_gradients(&vs.edges, w, h),
        cell_gradients(&rs.edges, w, h),
    );
    let n_cells = cv.len();
    let moving: Vec<bool> = (0..n_cells)
        .map(|i| view.moving[i] || reference.moving[i])
        .collect();
    let moving_share = moving.iter().filter(|m| **m).count() as f32 / n_cells as f32;
    let use_cell: Vec<bool> = if 1.0 - moving_share >= STATIC_MIN {
        moving.iter().map(|m| !m).collect()
    } else {
        vec![true; n_cells]
    };
    let level = rs.mean.max(8.0);
    let structured: Vec<usize> = (0..n_cells)
        .filter(|&i| use_cell[i] && cr[i].0 >= CELL_STRUCTURE * level)
        .collect();
    let lost_cell: Vec<bool> = (0..n_cells)
        .map(|i| {
            use_cell[i] && cr[i].0 >= CELL_STRUCTURE * level && cv[i].0 * g < CELL_LOST * cr[i].0
        })
        .collect();
    let lost = lost_cell.iter().filter(|l| **l).count() as f32 / structured.len().max(1) as f32;
    let n_use = use_cell.iter().filter(|u| **u).count().max(1) as f32;
    let blank = (0..n_cells)
        .filter(|&i| {
            use_cell[i] && cv[i].0 * g < BLANK_SHARE * level && cr[i].0 >= BLANK_SHARE * level
        })
        .count() as f32
        / n_use;
    let ratios = |f: &dyn Fn(usize) -> f32| -> f32 {
        let v: Vec<f32> = structured.iter().map(|&i| f(i)).collect();
        if v.is_empty() { 1.0 } else { quantile(&v, 0.5) }
    };
    let contrast = ratios(&|i| cv[i].0 * g / cr[i].0.max(1e-6));
    let sharpness = ratios(&|i| cv[i].1 / cr[i].1.max(1e-6));
    let cell_of = |x: usize, y: usize| {
        (y * CELLS.1 / h).min(CELLS.1 - 1) * CELLS.0 + (x * CELLS.0 / w).min(CELLS.0 - 1)
    };
    let ncc0 = ncc(&vs.edges, &rs.edges, w, h, (0, 0), |x, y| {
        use_cell[cell_of(x, y)]
    });
    let ncc_visible = ncc(&vs.edges, &rs.edges, w, h, (0, 0), |x, y| {
        let c = cell_of(x, y);
        use_cell[c] && !lost_cell[c]
    });
    let (hw, hh) = vs.half;
    let mut best = (f32::NEG_INFINITY, (0, 0));
    for dy in -SEARCH..=SEARCH {
        for dx in -SEARCH..=SEARCH {
            let v = ncc(&vs.edges_half, &rs.edges_half, hw, hh, (dx, dy), |_, _| {
                true
            });
            if v > best.0 {
                best = (v, (dx, dy));
            }
        }
    }
    Structure {
        moving: moving_share,
        lost,
        blank,
        contrast,
        sharpness,
        ncc0,
        ncc_visible,
        ncc_best: best.0,
        shift: best.1,
    }
}

/// Normalised cross-correlation of `a` (at `(x, y)`) with `b` (at `(x + dx, y + dy)`) over the
/// overlap where `keep(x, y)`; 0 when there is nothing to correlate.
fn ncc(
    a: &[f32],
    b: &[f32],
    w: usize,
    h: usize,
    (dx, dy): (i32, i32),
    keep: impl Fn(usize, usize) -> bool,
) -> f32 {
    let (mut n, mut sa, mut sb, mut saa, mut sbb, mut sab) =
        (0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for y in 0..h {
        let yb = y as i32 + dy;
        if yb < 0 || yb >= h as i32 {
            continue;
        }
        for x in 0..w {
            let xb = x as i32 + dx;
            if xb < 0 || xb >= w as i32 || !keep(x, y) {
                continue;
            }
            let (p, q) = (
                f64::from(a[y * w + x]),
                f64::from(b[yb as usize * w + xb as usize]),
            );
            n += 1.0;
            sa += p;
            sb += q;
            saa += p * p;
            sbb += q * q;
            sab += p * q;
        }
    }
    if n < 16.0 {
        return 0.0;
    }
    let va = saa - sa * sa / n;
    let vb = sbb - sb * sb / n;
    if va <= 1e-9 || vb <= 1e-9 {
        return 0.0;
    }
    ((sab - sa * sb / n) / (va * vb).sqrt()) as f32
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    //! Hand-made frames: a scene of 12-px blocks (sharp structure everywhere) with people-like
    //! dark bars walking through it, sensor noise and lamp flicker; each tamper kind as a knob
    //! from 12 s on; checks every 5 s.

    use super::*;
    use crate::calib::Calibration;
    use crate::config::Site;
    use eseal_protocol::CameraCode;

    const W: u32 = 320;
    const H: u32 = 180;
    const FPS: u64 = 25;

    fn camera() -> CameraConfig {
        CameraConfig {
            code: CameraCode::parse("20").unwrap(),
            site: Site::ShaftMouth,
            width: W,
            height: H,
            fps: 25,
            calibration: Calibration {
                position: [0.0, -4.0, 4.5],
                yaw_deg: 90.0,
                tilt_deg: 45.0,
                hfov_deg: 70.0,
            },
            edge: Some([[-2.5, 0.0], [2.5, 0.0]]),
            source: None,
        }
    }

    fn hash(a: u64, b: u64) -> u64 {
        let mut z = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0x632B_E59B_D9B4_E019);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    #[derive(Clone, Copy, PartialEq)]
    enum Knob {
        None,
        Cover,
        /// A cover from 12 s taken away at 23.5 s, 1.5 s before the check at 25 s.
        CoverBriefly,
        Freeze,
        Moved,
        Blur,
        Gain(f32),
        /// Dusk: the light falls to 30 % over the run (no tamper).
        Dusk,
        /// Day → IR monochrome at 12 s, far (upper) part darker (no tamper).
        Infrared,
    }

    /// The scene's colour at `(x, y)`, seen from a view shifted by `(dx, dy)`.
    fn scene(x: i64, y: i64) -> [f32; 3] {
        let h = hash(
            ((x.div_euclid(12)) + 1000) as u64,
            ((y.div_euclid(12)) + 1000) as u64,
        );
        let v = 50.0 + (h % 150) as f32;
        [
            v * (0.9 + (h >> 8 & 7) as f32 * 0.03),
            v,
            v * (0.8 + (h >> 12 & 7) as f32 * 0.04),
        ]
    }

    fn render(k: u64, knob: Knob, t: f64) -> Vec<f32> {
        let on = t >= 12.0;
        let (dx, dy) = if knob == Knob::Moved && on {
            (40, 15)
        } else {
            (0, 0)
        };
        // Two walkers.
        let walkers = [
            ((k as i64 * 3) % 400 - 40, 60i64),
            ((300 - (k as i64 * 2) % 400), 100i64),
        ];
        let mut px = vec![0.0f32; (W * H * 3) as usize];
        for y in 0..H as i64 {
            for x in 0..W as i64 {
                let mut c = scene(x + dx, y + dy);
                if walkers
                    .iter()
                    .any(|(wx, wy)| (x - wx).abs() < 10 && (y - wy).abs() < 28)
                {
                    c = [40.0, 45.0, 70.0];
                }
                let i = (y as usize * W as usize + x as usize) * 3;
                px[i..i + 3].copy_from_slice(&c);
            }
        }
        if knob == Knob::Blur && on {
            px = box_blur(&px, 6);
        }
        px
    }

    /// Box blur of radius `r`, horizontal then vertical (edges clamp).
    fn box_blur(px: &[f32], r: i64) -> Vec<f32> {
        let (w, h) = (W as i64, H as i64);
        let pass = |src: &[f32], horizontal: bool| -> Vec<f32> {
            let mut out = vec![0.0; src.len()];
            for y in 0..h {
                for x in 0..w {
                    for c in 0..3 {
                        let mut s = 0.0;
                        for d in -r..=r {
                            let (xx, yy) = if horizontal {
                                ((x + d).clamp(0, w - 1), y)
                            } else {
                                (x, (y + d).clamp(0, h - 1))
                            };
                            s += src[((yy * w + xx) * 3 + c) as usize];
                        }
                        out[((y * w + x) * 3 + c) as usize] = s / (2 * r + 1) as f32;
                    }
                }
            }
            out
        };
        pass(&pass(px, true), false)
    }

    /// Runs `seconds` of frames with `knob`; returns the findings.
    fn run(knob: Knob, seconds: f64) -> Vec<TamperFinding> {
        let mut a = TamperAnalyzer::new(&camera(), 5.0);
        let mut out = Vec::new();
        let mut frozen: Option<Vec<u8>> = None;
        for k in 0..(seconds * FPS as f64) as u64 {
            let t = k as f64 / FPS as f64;
            let pts = k * 1_000_000_000 / FPS;
            let rgb = match (&frozen, knob) {
                (Some(f), Knob::Freeze) => f.clone(),
                _ => {
                    let px = render(k, knob, t);
                    let flicker = 1.0 + 0.1 * ((hash(k, 5) % 2001) as f32 / 1000.0 - 1.0);
                    let mut gain = flicker;
                    match knob {
                        Knob::Gain(g) if t >= 12.0 => gain *= g,
                        Knob::Dusk => gain *= 1.0 - 0.7 * (t / seconds) as f32,
                        _ => {}
                    }
                    let ir = knob == Knob::Infrared && t >= 12.0;
                    let mut rgb = Vec::with_capacity(px.len());
                    for (i, p) in px.chunks_exact(3).enumerate() {
                        let y = i / W as usize;
                        let mut c = [p[0], p[1], p[2]];
                        if ir {
                            let g = (0.3 * c[0] + 0.59 * c[1] + 0.11 * c[2])
                                * (0.5 + y as f32 / H as f32);
                            c = [g; 3];
                        }
                        let covered = match knob {
                            Knob::Cover => t >= 12.0,
                            Knob::CoverBriefly => (12.0..23.5).contains(&t),
                            _ => false,
                        };
                        if covered && y < (H as usize * 7 / 10) {
                            c = [18.0, 16.0, 14.0];
                        }
                        let n = hash(k * 7_919 + i as u64, 3);
                        for (j, v) in c.iter().enumerate() {
                            let sh = if ir { 0 } else { j * 16 };
                            let u = ((n >> sh) & 0xff) as f32 / 255.0
                                + ((n >> (sh + 8)) & 0xff) as f32 / 255.0
                                - 1.0;
                            rgb.push((v * gain + u * 3.5).round().clamp(0.0, 255.0) as u8);
                        }
                    }
                    if knob == Knob::Freeze && t >= 12.0 {
                        frozen = Some(rgb.clone());
                    }
                    rgb
                }
            };
            if let Some(f) = a.push(&Frame::new(W, H, rgb, pts).unwrap()) {
                out.push(f);
            }
        }
        out
    }

    /// Findings at checks from 20 s on (the check at 15 s may or may not see a tamper that
    /// began at 12 s), all of `kind`, and none before 12 s.
    fn assert_found(knob: Knob, kind: TamperKind) {
        let f = run(knob, 31.0);
        assert!(
            f.iter()
                .all(|f| f.pts_ns >= 12_000_000_000 && f.kind == kind),
            "{f:?}"
        );
        let late: Vec<u64> = f
            .iter()
            .filter(|f| f.pts_ns >= 19_000_000_000)
            .map(|f| f.pts_ns / 1_000_000_000)
            .collect();
        assert_eq!(
            late,
            vec![20, 25, 30],
            "one finding per check while tampered: {f:?}"
        );
        assert!(f.iter().all(|f| (0.0..=1.0).contains(&f.score)), "{f:?}");
    }

    #[test]
    fn a_clean_camera_with_walkers_and_flicker_gives_no_finding() {
        assert_eq!(run(Knob::None, 31.0), vec![]);
    }

    #[test]
    fn dusk_and_the_switch_to_infrared_give_no_finding() {
        assert_eq!(run(Knob::Dusk, 31.0), vec![]);
        assert_eq!(run(Knob::Infrared, 31.0), vec![]);
    }

    #[test]
    fn new_blank_cells_of_a_turned_camera_are_a_move_not_a_cover() {
        // Measured on tamper-all-kinds with seed 12 at 25 s: the gate camera turned 35° now
        // sees a plain wall (new blank cells) while nothing of the reference lines up.
        let check = |blank, lost, ncc_visible, ncc0| TamperCheck {
            blank,
            lost,
            ncc_visible,
            ncc0,
            ncc_best: ncc0,
            contrast: 0.73,
            sharpness: 0.95,
            ..TamperCheck::default()
        };
        assert_eq!(structural(&check(0.27, 0.37, 0.16, 0.08)), Verdict::Moved);
        // A cover: much of the reference's structure is gone (shaft camera, 80 % covered).
        assert_eq!(
            structural(&check(0.46, 0.93, -0.03, -0.04)),
            Verdict::Occluded("covered")
        );
        // A small cover: the rest of the picture still lines up.
        assert_eq!(
            structural(&check(0.27, 0.2, 0.8, 0.7)),
            Verdict::Occluded("covered")
        );
    }

    #[test]
    fn a_cover_is_an_occlusion() {
        assert_found(Knob::Cover, TamperKind::Occlusion);
    }

    #[test]
    fn a_cover_taken_away_before_the_check_is_not_reported_there() {
        // The ring's median at 25 s still holds 6 s of cover; the newest thumbnails do not.
        let f: Vec<(u64, TamperKind)> = run(Knob::CoverBriefly, 31.0)
            .iter()
            .map(|f| (f.pts_ns / 1_000_000_000, f.kind))
            .collect();
        assert!(f.contains(&(20, TamperKind::Occlusion)), "{f:?}");
        assert!(f.iter().all(|(t, _)| *t <= 20), "{f:?}");
    }

    #[test]
    fn a_frozen_picture_is_an_occlusion() {
        assert_found(Knob::Freeze, TamperKind::Occlusion);
    }

    #[test]
    fn a_blurred_picture_is_an_occlusion() {
        assert_found(Knob::Blur, TamperKind::Occlusion);
    }

    #[test]
    fn over_and_under_exposure_are_occlusions() {
        assert_found(Knob::Gain(5.0), TamperKind::Occlusion);
        assert_found(Knob::Gain(0.1), TamperKind::Occlusion);
    }

    #[test]
    fn a_shifted_view_is_angle_moved() {
        assert_found(Knob::Moved, TamperKind::AngleMoved);
    }

    #[test]
    fn odd_frames_and_intervals_never_panic() {
        for interval in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-9, 5.0] {
            let mut a = TamperAnalyzer::new(&camera(), interval);
            let frames = [
                Frame {
                    width: 0,
                    height: 0,
                    rgb: std::sync::Arc::new(Vec::new()),
                    pts_ns: 0,
                },
                Frame {
                    width: 640,
                    height: 360,
                    rgb: std::sync::Arc::new(vec![0; 10]),
                    pts_ns: 1,
                },
                Frame::new(1, 1, vec![9, 9, 9], 2).unwrap(),
                Frame::new(3, 2, vec![200; 18], 3).unwrap(),
                Frame::new(64, 36, vec![1; 64 * 36 * 3], 4).unwrap(),
                Frame::new(64, 36, vec![255; 64 * 36 * 3], 6_000_000_000).unwrap(),
                Frame::new(64, 36, vec![0; 64 * 36 * 3], 12_000_000_000).unwrap(),
                Frame::new(65, 37, vec![128; 65 * 37 * 3], 13_000_000_000).unwrap(),
            ];
            for (i, f) in frames.iter().enumerate() {
                for k in 0..40u64 {
                    let g = Frame {
                        pts_ns: f.pts_ns + k * 200_000_000 + i as u64,
                        ..f.clone()
                    };
                    let _ = a.push(&g);
                }
            }
        }
    }
}
