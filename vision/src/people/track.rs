//! Multi-object tracking on the ground plane and bidirectional counting with hysteresis (E3).
//!
//! Key design decision: **count zone changes of tracks, never line touches of detections.** Each
//! person is a track with an alpha–beta motion model on the ground (metres, seconds); detections
//! are assigned to tracks by an optimal one-to-one assignment (Hungarian) inside a gate that
//! widens while a track coasts, so short occlusions and people walking abreast keep their
//! identities. The counting edge is a band, not a line: a track is *outside* beyond `h` metres
//! before the edge, *inside* beyond `h` after it, and in the band between. A count happens only
//! when a track that was last anchored on one side reaches the other side, so stopping on the
//! edge and walking on counts once, turning back in the band counts nothing, and two people
//! abreast are two tracks and two counts. When a track is lost (occlusion, a missed stretch of
//! frames), it leaves a short-lived *ghost* with its side; a track born near the ghost's
//! predicted position inherits that side, so a broken track does not lose its count. People
//! in a tight file blend into one silhouette; when they part, a track that stayed with the one
//! behind while the one it followed reappears ahead hands that person's history (crossing time,
//! best view) to the new track ([`Tracker::swapped`]), so the capture shows whom it counts.

use super::detect::{Detection, along, side};

/// Where a ground point is relative to the counting band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// More than `h` before the edge (outside the shaft).
    Outside,
    /// Within `h` of the edge.
    Band,
    /// More than `h` past the edge (inside).
    Inside,
}

/// Direction of a counted crossing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Outside → inside: going down the shaft (U1), or a truck entering.
    Down,
    /// Inside → outside: coming up, or a truck leaving.
    Up,
}

/// Tracker and counter tunables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackSettings {
    /// Half width of the counting band, metres.
    pub band_m: f64,
    /// Gate for assignment at one frame's gap, metres.
    pub gate_m: f64,
    /// Fastest plausible speed, m/s (widens the gate while coasting).
    pub max_speed: f64,
    /// Widest the gate grows, metres.
    pub max_gate_m: f64,
    /// Hits before a track is confirmed.
    pub confirm_hits: u32,
    /// Seconds a confirmed track coasts without detections before it is lost.
    pub max_coast_s: f64,
    /// Seconds a lost track's ghost can hand its side to a new track.
    pub ghost_s: f64,
    /// Alpha–beta gains.
    pub alpha: f64,
    pub beta: f64,
    /// Crossings must lie within the edge's extent plus this margin, metres.
    pub extent_margin_m: f64,
    /// Detections scoring below this only carry on tracks that exist, after every sure
    /// detection has been given its track; they start none and confirm none (a learned
    /// detector's faint second box on a crowd is not a person). 0: every detection is sure.
    pub sure_score: f32,
}

impl Default for TrackSettings {
    fn default() -> Self {
        TrackSettings {
            band_m: 0.4,
            gate_m: 0.45,
            max_speed: 2.5,
            max_gate_m: 1.6,
            confirm_hits: 3,
            max_coast_s: 1.2,
            ghost_s: 2.5,
            alpha: 0.55,
            beta: 0.15,
            extent_margin_m: 1.0,
            sure_score: 0.0,
        }
    }
}

/// One tracked person.
#[derive(Debug, Clone)]
pub struct Track {
    pub id: u64,
    pub pos: [f64; 2],
    pub vel: [f64; 2],
    pub last_seen_ns: u64,
    pub last_update_ns: u64,
    pub hits: u32,
    pub confirmed: bool,
    /// The side the track is anchored on (last zone outside the band).
    pub anchor: Option<Zone>,
    /// When the anchor was last set.
    anchor_ns: u64,
    /// When the track last changed sign of its edge distance (the best crossing-time estimate).
    pub last_sign_change_ns: Option<u64>,
    last_side: f64,
    /// Position and velocity on the last frame with a detection (coasting changes neither).
    seen_pos: [f64; 2],
    seen_vel: [f64; 2],
    /// The last detection assigned.
    pub last_detection: Option<Detection>,
    /// Crossings counted on this track.
    counted: u32,
    /// Recent states on frames with a detection, oldest first: (when, position, velocity).
    history: std::collections::VecDeque<(u64, [f64; 2], [f64; 2])>,
}

/// A counted crossing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossingEvent {
    /// Track id.
    pub track: u64,
    pub direction: Direction,
    /// Estimated instant the person's feet crossed the edge line.
    pub crossing_ns: u64,
    /// Frame on which the count was decided.
    pub decided_ns: u64,
}

#[derive(Debug, Clone, Copy)]
struct Ghost {
    anchor: Zone,
    /// Where the track was last seen, when, and how it was moving then.
    pos: [f64; 2],
    vel: [f64; 2],
    seen_ns: u64,
    at_ns: u64,
    last_sign_change_ns: Option<u64>,
    track: u64,
    counted: u32,
}

/// Tracks people on one camera and counts them across its edge.
#[derive(Debug, Clone)]
pub struct Tracker {
    settings: TrackSettings,
    edge: [[f64; 2]; 2],
    edge_len: f64,
    tracks: Vec<Track>,
    ghosts: Vec<Ghost>,
    next_id: u64,
    /// Tracks that ended this update (id), for the caller to drop per-track state.
    pub ended: Vec<u64>,
    /// `(lost track, new track)` pairs handed over through a ghost this update.
    pub resumed: Vec<(u64, u64)>,
    /// `(old track, new track)` pairs where the old track was found to have swapped onto
    /// someone else and the new one took over its person this update (see
    /// [`left_course`]): the person's history (side, crossing, best view) moves to
    /// the new track, and the old one starts afresh.
    pub swapped: Vec<(u64, u64)>,
    /// Pairs of confirmed tracks close together in one file, and since when (see
    /// [`Tracker::drop_duplicates`]).
    near: Vec<(u64, u64, u64)>,
}

const NS: f64 = 1e9;

impl Tracker {
    /// A tracker for a counting edge `[a, b]` (inside on the left of `a → b`).
    pub fn new(edge: [[f64; 2]; 2], settings: TrackSettings) -> Tracker {
        let len = ((edge[1][0] - edge[0][0]).powi(2) + (edge[1][1] - edge[0][1]).powi(2)).sqrt();
        Tracker {
            settings,
            edge,
            edge_len: len,
            tracks: Vec::new(),
            ghosts: Vec::new(),
            next_id: 1,
            ended: Vec::new(),
            resumed: Vec::new(),
            swapped: Vec::new(),
            near: Vec::new(),
        }
    }

    /// The live tracks.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// Where each confirmed track is predicted to be at `pts_ns`.
    pub fn predictions(&self, pts_ns: u64) -> Vec<[f64; 2]> {
        self.tracks
            .iter()
            .filter(|t| t.confirmed)
            .map(|t| {
                let dt = pts_ns.saturating_sub(t.last_update_ns) as f64 / NS;
                [t.pos[0] + t.vel[0] * dt, t.pos[1] + t.vel[1] * dt]
            })
            .collect()
    }

    fn zone(&self, p: [f64; 2]) -> Zone {
        let s = side(&self.edge, p);
        if s > self.settings.band_m {
            Zone::Inside
        } else if s < -self.settings.band_m {
            Zone::Outside
        } else {
            Zone::Band
        }
    }

    fn within_extent(&self, p: [f64; 2]) -> bool {
        let a = along(&self.edge, p);
        a >= -self.settings.extent_margin_m && a <= self.edge_len + self.settings.extent_margin_m
    }

    /// Updates with one frame's detections at `pts_ns`; returns the crossings counted, and for
    /// each detection the id of the track it was assigned to (`None`: unassigned, new tentative).
    pub fn update(
        &mut self,
        pts_ns: u64,
        detections: &[Detection],
    ) -> (Vec<CrossingEvent>, Vec<u64>) {
        let st = self.settings;
        self.ended.clear();
        self.resumed.clear();
        self.swapped.clear();
        // Predict.
        let preds: Vec<[f64; 2]> = self
            .tracks
            .iter()
            .map(|t| {
                let dt = pts_ns.saturating_sub(t.last_update_ns) as f64 / NS;
                [t.pos[0] + t.vel[0] * dt, t.pos[1] + t.vel[1] * dt]
            })
            .collect();
        // Cost matrix with gates.
        let n = self.tracks.len();
        let m = detections.len();
        let big = 1e6;
        let mut cost = vec![vec![big; m]; n];
        for (i, t) in self.tracks.iter().enumerate() {
            let gap = pts_ns.saturating_sub(t.last_seen_ns) as f64 / NS;
            let gate = (st.gate_m + st.max_speed * 0.5 * gap).min(st.max_gate_m);
            for (j, d) in detections.iter().enumerate() {
                let dx = d.ground[0] - preds[i][0];
                let dy = d.ground[1] - preds[i][1];
                let dist = (dx * dx + dy * dy).sqrt();
                if dist <= gate {
                    // Prefer confirmed tracks a little, so a tentative duplicate does not steal.
                    cost[i][j] = dist + if t.confirmed { 0.0 } else { 0.15 };
                }
            }
        }
        let assign = self.assign_in_two_stages(&cost, detections, big);
        let mut det_track = vec![0u64; m];
        let mut used = vec![false; m];
        let mut events = Vec::new();
        let prev_update: Vec<u64> = self.tracks.iter().map(|t| t.last_update_ns).collect();
        for i in 0..n {
            let t = &mut self.tracks[i];
            let dt = (pts_ns.saturating_sub(t.last_update_ns) as f64 / NS).max(1e-3);
            match assign[i] {
                Some(j) if cost[i][j] < big => {
                    used[j] = true;
                    let d = detections[j];
                    det_track[j] = t.id;
                    let r = [d.ground[0] - preds[i][0], d.ground[1] - preds[i][1]];
                    t.pos = [preds[i][0] + st.alpha * r[0], preds[i][1] + st.alpha * r[1]];
                    t.vel = [
                        t.vel[0] + st.beta * r[0] / dt,
                        t.vel[1] + st.beta * r[1] / dt,
                    ];
                    let sp = (t.vel[0].powi(2) + t.vel[1].powi(2)).sqrt();
                    if sp > st.max_speed {
                        t.vel = [t.vel[0] * st.max_speed / sp, t.vel[1] * st.max_speed / sp];
                    }
                    t.last_seen_ns = pts_ns;
                    t.seen_pos = t.pos;
                    t.seen_vel = t.vel;
                    if d.score >= st.sure_score {
                        t.hits += 1;
                    }
                    t.last_detection = Some(d);
                    t.history.push_back((pts_ns, t.pos, t.vel));
                    while t
                        .history
                        .front()
                        .is_some_and(|h| pts_ns.saturating_sub(h.0) > HISTORY_NS)
                    {
                        t.history.pop_front();
                    }
                    if t.hits >= st.confirm_hits {
                        t.confirmed = true;
                    }
                }
                _ => {
                    // Coast, slowing down (people stop more often than they keep walking unseen).
                    t.pos = preds[i];
                    t.vel = [t.vel[0] * 0.9, t.vel[1] * 0.9];
                }
            }
            t.last_update_ns = pts_ns;
        }
        // Zones and counting on the updated tracks.
        let edge = self.edge;
        for i in 0..self.tracks.len() {
            let p = self.tracks[i].pos;
            let s = side(&edge, p);
            let zone = self.zone(p);
            let inside_extent = self.within_extent(p);
            let t = &mut self.tracks[i];
            if t.last_side != 0.0 && (s > 0.0) != (t.last_side > 0.0) {
                // Interpolate the zero crossing between the last update and this one.
                let f = (t.last_side / (t.last_side - s)).clamp(0.0, 1.0);
                let before = prev_update.get(i).copied().unwrap_or(pts_ns);
                let span = pts_ns.saturating_sub(before) as f64;
                t.last_sign_change_ns = Some(before + (span * f) as u64);
            }
            t.last_side = if s == 0.0 { 1e-9 } else { s };
            // A side is reached on a detection, not on a coasting prediction: a track that lost
            // its person drifts on and would count a crossing nobody made.
            if !t.confirmed || zone == Zone::Band || t.last_seen_ns != pts_ns {
                continue;
            }
            match t.anchor {
                Some(a) if a != zone => {
                    if inside_extent {
                        events.push(CrossingEvent {
                            track: t.id,
                            direction: if zone == Zone::Inside {
                                Direction::Down
                            } else {
                                Direction::Up
                            },
                            crossing_ns: t.last_sign_change_ns.unwrap_or(pts_ns).min(pts_ns),
                            decided_ns: pts_ns,
                        });
                        t.counted += 1;
                    }
                    t.anchor = Some(zone);
                    t.anchor_ns = pts_ns;
                }
                None => {
                    t.anchor = Some(zone);
                    t.anchor_ns = pts_ns;
                }
                _ => {}
            }
        }
        self.drop_duplicates(pts_ns, &mut events);
        // Lose tracks that coasted too long; tentative ones go fast.
        let mut keep = Vec::with_capacity(self.tracks.len());
        for t in self.tracks.drain(..) {
            let gap = pts_ns.saturating_sub(t.last_seen_ns) as f64 / NS;
            let limit = if t.confirmed { st.max_coast_s } else { 0.2 };
            if gap > limit {
                if t.confirmed
                    && let Some(anchor) = t.anchor
                {
                    self.ghosts.push(Ghost {
                        anchor,
                        pos: t.seen_pos,
                        vel: t.seen_vel,
                        seen_ns: t.last_seen_ns,
                        at_ns: pts_ns,
                        last_sign_change_ns: t.last_sign_change_ns,
                        track: t.id,
                        counted: t.counted,
                    });
                }
                self.ended.push(t.id);
            } else {
                keep.push(t);
            }
        }
        self.tracks = keep;
        self.ghosts
            .retain(|g| (pts_ns.saturating_sub(g.at_ns) as f64 / NS) <= st.ghost_s);
        // Births from unassigned detections; a ghost nearby hands over its side.
        for (j, d) in detections.iter().enumerate() {
            if used[j] {
                continue;
            }
            // Not on top of an existing track (a duplicate detection of the same person), and
            // not from a faint fit (foreground someone else's pick left over).
            if self.tracks.iter().any(|t| dist(t.pos, d.ground) < 0.35)
                || d.visibility < BIRTH_VISIBILITY
                || d.score < st.sure_score
            {
                continue;
            }
            let id = self.next_id;
            self.next_id += 1;
            det_track[j] = id;
            let mut anchor = match self.zone(d.ground) {
                Zone::Band => None,
                z => Some(z),
            };
            let mut vel = [0.0, 0.0];
            let mut sign_change = None;
            let mut counted = 0;
            let mut best: Option<(usize, f64)> = None;
            for (k, g) in self.ghosts.iter().enumerate() {
                // Since it was last seen the person walked on at their speed or slower (people
                // stop more often than they run): anywhere between where they were and where
                // they would be, give or take a little more the longer it has been.
                let gap = pts_ns.saturating_sub(g.seen_ns) as f64 / NS;
                let pred = [g.pos[0] + g.vel[0] * gap, g.pos[1] + g.vel[1] * gap];
                let dd = dist_to_segment(d.ground, g.pos, pred);
                let reach = (GHOST_REACH_M + GHOST_REACH_GROWTH_MPS * gap).min(GHOST_REACH_MAX_M);
                if dd <= reach && best.is_none_or(|(_, b)| dd < b) {
                    best = Some((k, dd));
                }
            }
            if let Some((k, _)) = best {
                let g = self.ghosts.remove(k);
                tracing::debug!(ghost = g.track, new = id, "track resumed from ghost");
                self.resumed.push((g.track, id));
                // The ghost's side stands until the new track itself reaches a side.
                anchor = Some(g.anchor);
                vel = g.vel;
                sign_change = g.last_sign_change_ns;
                counted = g.counted;
            }
            if best.is_none()
                && let Some(z) = anchor
                && self.emerges_from_behind(pts_ns, d.ground, z)
            {
                let opposite = if z == Zone::Inside {
                    Zone::Outside
                } else {
                    Zone::Inside
                };
                anchor = Some(opposite);
                let swapped = self.tracks.iter().position(|o| {
                    o.confirmed
                        && o.anchor == Some(opposite)
                        && pts_ns.saturating_sub(o.last_seen_ns) <= SWAP_SEEN_NS
                        && in_one_file(&edge, o.pos, d.ground)
                        && left_course(o, pts_ns, d.ground)
                });
                if let Some(k) = swapped {
                    // The person that track followed until a moment ago, who it left for the
                    // one behind them when the two blended: the new track carries on that
                    // person's history (their crossing, their best view), and the old one, now
                    // on the person behind, starts theirs afresh: if past the edge already,
                    // that person crossed it hidden just now.
                    let o = &mut self.tracks[k];
                    tracing::debug!(
                        old = o.id,
                        new = id,
                        "track swapped; its person goes on as a new track"
                    );
                    self.swapped.push((o.id, id));
                    sign_change = o.last_sign_change_ns;
                    vel = o.vel;
                    let s_old = side(&edge, o.pos);
                    let past = if opposite == Zone::Outside {
                        s_old > 0.0
                    } else {
                        s_old < 0.0
                    };
                    o.last_sign_change_ns = past.then(|| crossed_behind(pts_ns, s_old.abs()));
                    o.history.clear();
                } else {
                    // Born just past the edge in someone's shadow: the person crossed hidden
                    // behind the one in front of them (a file walking through), and takes that
                    // side as theirs.
                    tracing::debug!(new = id, "track emerged from behind another past the edge");
                    sign_change = Some(crossed_behind(pts_ns, side(&edge, d.ground).abs()));
                }
            }
            let s = side(&edge, d.ground);
            self.tracks.push(Track {
                id,
                pos: d.ground,
                vel,
                last_seen_ns: pts_ns,
                last_update_ns: pts_ns,
                hits: 1,
                confirmed: best.is_some() && st.confirm_hits <= 1,
                anchor,
                anchor_ns: pts_ns,
                last_sign_change_ns: sign_change,
                last_side: if s == 0.0 { 1e-9 } else { s },
                seen_pos: d.ground,
                seen_vel: vel,
                last_detection: Some(*d),
                counted,
                history: std::collections::VecDeque::from([(pts_ns, d.ground, vel)]),
            });
        }
        (events, det_track)
    }
}

impl Tracker {
    /// The optimal assignment of tracks (rows of `cost`) to detections, first to the sure
    /// detections only, then what is left of both to the faint ones (as ByteTrack does): a
    /// faint box never takes a track from a sure one.
    fn assign_in_two_stages(
        &self,
        cost: &[Vec<f64>],
        detections: &[Detection],
        big: f64,
    ) -> Vec<Option<usize>> {
        let sure = |j: usize| detections[j].score >= self.settings.sure_score;
        if (0..detections.len()).all(sure) {
            return hungarian(cost, big);
        }
        let only = |keep: &dyn Fn(usize) -> bool, rows: &[bool]| -> Vec<Vec<f64>> {
            cost.iter()
                .zip(rows)
                .map(|(row, &open)| {
                    row.iter()
                        .enumerate()
                        .map(|(j, &c)| if open && keep(j) { c } else { big })
                        .collect()
                })
                .collect()
        };
        let all_rows = vec![true; cost.len()];
        let first = hungarian(&only(&sure, &all_rows), big);
        let first: Vec<Option<usize>> = first
            .iter()
            .enumerate()
            .map(|(i, a)| a.filter(|&j| cost[i][j] < big && sure(j)))
            .collect();
        let open: Vec<bool> = first.iter().map(Option::is_none).collect();
        let second = hungarian(&only(&|j| !sure(j), &open), big);
        first
            .iter()
            .zip(second)
            .enumerate()
            .map(|(i, (a, b))| a.or(b.filter(|&j| cost[i][j] < big && open[i] && !sure(j))))
            .collect()
    }

    /// Whether a person first seen at `g`, in zone `z` (not the band), within
    /// [`EMERGE_DEPTH_M`] past the band, has someone seen now in front of them in the same file
    /// still anchored on the other side and less than [`EMERGE_GAP_M`] away: people walking in
    /// file hide each other's feet, so the hidden one's fits lag behind and their track breaks
    /// or swaps to the person in front; the one that reappears past the edge crossed it.
    fn emerges_from_behind(&self, pts_ns: u64, g: [f64; 2], z: Zone) -> bool {
        let edge = self.edge;
        let past = side(&edge, g).abs() - self.settings.band_m;
        if past > EMERGE_DEPTH_M {
            return false;
        }
        let opposite = if z == Zone::Inside {
            Zone::Outside
        } else {
            Zone::Inside
        };
        self.tracks.iter().any(|o| {
            o.confirmed
                && o.last_seen_ns == pts_ns
                && o.anchor == Some(opposite)
                && in_one_file(&edge, o.pos, g)
        })
    }

    /// Two confirmed tracks in one file, nearer each other than anyone walks behind someone,
    /// going the same way, for [`DUPLICATE_S`]: they are one person whose detections alternate
    /// between two fits (a person cut by the picture's top, or half hidden behind the one in
    /// front), and both would count. The one whose side is older goes (its count is the one
    /// already made by the other), else the one with fewer hits; it leaves no ghost, and a
    /// survivor without a side takes the dropped one's.
    fn drop_duplicates(&mut self, pts_ns: u64, events: &mut Vec<CrossingEvent>) {
        let edge = self.edge;
        let mut near = Vec::new();
        for (i, a) in self.tracks.iter().enumerate() {
            for b in &self.tracks[i + 1..] {
                if !a.confirmed || !b.confirmed {
                    continue;
                }
                let lateral = (along(&edge, a.pos) - along(&edge, b.pos)).abs();
                let depth = (side(&edge, a.pos) - side(&edge, b.pos)).abs();
                let same_way = a.vel[0] * b.vel[0] + a.vel[1] * b.vel[1] >= 0.0;
                if lateral < DUPLICATE_LATERAL_M && depth < DUPLICATE_DEPTH_M && same_way {
                    let key = (a.id.min(b.id), a.id.max(b.id));
                    let since = self
                        .near
                        .iter()
                        .find(|n| (n.0, n.1) == key)
                        .map_or(pts_ns, |n| n.2);
                    near.push((key.0, key.1, since));
                }
            }
        }
        self.near = near;
        let mut gone: Vec<u64> = Vec::new();
        for &(x, y, since) in &self.near {
            if (pts_ns.saturating_sub(since) as f64 / NS) < DUPLICATE_S
                || gone.contains(&x)
                || gone.contains(&y)
            {
                continue;
            }
            let (Some(tx), Some(ty)) = (
                self.tracks.iter().find(|t| t.id == x),
                self.tracks.iter().find(|t| t.id == y),
            ) else {
                continue;
            };
            let drop = if tx.anchor != ty.anchor {
                if tx.anchor_ns < ty.anchor_ns { x } else { y }
            } else if tx.hits < ty.hits {
                x
            } else {
                y
            };
            let keep = if drop == x { y } else { x };
            tracing::debug!(track = drop, of = keep, "duplicate track dropped");
            // A survivor born in the band has no side yet: it takes the dropped one's, which
            // is the person's (else that person's crossing would count on neither).
            let dropped = if drop == x { tx } else { ty };
            let inherit = (
                dropped.anchor,
                dropped.anchor_ns,
                dropped.last_sign_change_ns,
            );
            let within = self
                .tracks
                .iter()
                .find(|t| t.id == keep)
                .is_some_and(|t| self.within_extent(t.pos));
            if let Some(t) = self.tracks.iter_mut().find(|t| t.id == keep) {
                if t.anchor.is_none() {
                    (t.anchor, t.anchor_ns, t.last_sign_change_ns) = inherit;
                } else if let (Some(was), Some(now)) = (inherit.0, t.anchor)
                    && was != now
                    && t.counted == 0
                    && within
                {
                    // The survivor found its side without crossing (born in the band, past
                    // the middle), the dropped one had the other: between them the person
                    // crossed, and neither counted it.
                    events.push(CrossingEvent {
                        track: t.id,
                        direction: if now == Zone::Inside {
                            Direction::Down
                        } else {
                            Direction::Up
                        },
                        crossing_ns: t.last_sign_change_ns.unwrap_or(t.anchor_ns).min(pts_ns),
                        decided_ns: pts_ns,
                    });
                    t.counted += 1;
                }
            }
            gone.push(drop);
        }
        if !gone.is_empty() {
            self.tracks.retain(|t| !gone.contains(&t.id));
            self.near
                .retain(|n| !gone.contains(&n.0) && !gone.contains(&n.1));
            self.ended.extend(gone);
        }
    }
}

/// How long a track's states are kept ([`Track::history`]), ns.
const HISTORY_NS: u64 = 1_000_000_000;
/// How long ago the course is taken from that a swapped track left ([`left_course`]),
/// ns: long enough to be before the two blended, short enough to be carried on straight.
const SWAP_LOOKBACK_NS: (u64, u64) = (150_000_000, 600_000_000);
/// How near that course a new detection must be to be the person the track left, metres.
const SWAP_NEAR_M: f64 = 0.25;
/// How far behind it the track must now be, metres.
const SWAP_OFF_M: f64 = 0.3;
/// How fast the track must have been going then, m/s (a standing track has no course), and
/// how many detections it must have had (a young track's course is not yet known).
const SWAP_SPEED_MPS: f64 = 0.5;
const SWAP_HITS: u32 = 8;
/// How recently that track must have been seen, ns (the one it stayed with may be hidden now).
const SWAP_SEEN_NS: u64 = 300_000_000;

/// How far past the band a track may be born and still have crossed hidden, metres
/// ([`Tracker::emerges_from_behind`]).
const EMERGE_DEPTH_M: f64 = 0.6;
/// How far across the file the one in front may be, metres.
const EMERGE_LATERAL_M: f64 = 0.45;
/// How far the one in front may be, metres (people walking in file keep 1–1.5 m).
const EMERGE_GAP_M: f64 = 2.0;
/// Walking speed for dating a crossing nobody saw, m/s.
const WALK_MPS: f64 = 1.2;

/// Two tracks at most this far apart along the edge and across it ([`Tracker::drop_duplicates`]),
/// metres: people walking one behind the other keep more than a metre.
const DUPLICATE_LATERAL_M: f64 = 0.3;
const DUPLICATE_DEPTH_M: f64 = 0.7;
/// For this long, seconds.
const DUPLICATE_S: f64 = 0.5;

/// Whether track `o` followed the person now at `g` until a moment ago and has left them for
/// someone behind them: its course of [`SWAP_LOOKBACK_NS`] ago, carried on, leads to within
/// [`SWAP_NEAR_M`] of `g`, while the track itself has fallen well behind that course. People
/// in a tight file blend into one silhouette; when they part, the track may stay with the one
/// behind and the one in front reappear as a new detection.
fn left_course(o: &Track, pts_ns: u64, g: [f64; 2]) -> bool {
    if o.hits < SWAP_HITS {
        return false;
    }
    o.history.iter().any(|&(at, p, v)| {
        let dt = pts_ns.saturating_sub(at);
        let speed = (v[0] * v[0] + v[1] * v[1]).sqrt();
        if !(SWAP_LOOKBACK_NS.0..=SWAP_LOOKBACK_NS.1).contains(&dt) || speed < SWAP_SPEED_MPS {
            return false;
        }
        let dt = dt as f64 / NS;
        let course = [p[0] + v[0] * dt, p[1] + v[1] * dt];
        let near = dist(course, g);
        // How far the track fell behind its course, along the way it was going.
        let lag = ((course[0] - o.pos[0]) * v[0] + (course[1] - o.pos[1]) * v[1]) / speed;
        near < SWAP_NEAR_M && lag > SWAP_OFF_M && lag > 2.0 * near
    })
}

/// Whether `a` and `b` are near enough to be people in one file crossing the edge: at most
/// [`EMERGE_LATERAL_M`] apart along it and [`EMERGE_GAP_M`] in all.
fn in_one_file(edge: &[[f64; 2]; 2], a: [f64; 2], b: [f64; 2]) -> bool {
    (along(edge, a) - along(edge, b)).abs() < EMERGE_LATERAL_M && dist(a, b) < EMERGE_GAP_M
}

/// When someone now `behind_m` past the edge crossed it unseen, walking at [`WALK_MPS`].
fn crossed_behind(pts_ns: u64, behind_m: f64) -> u64 {
    pts_ns.saturating_sub((behind_m / WALK_MPS * NS) as u64)
}

fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Distance from `p` to the segment `a`–`b`.
fn dist_to_segment(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let f = if len2 < 1e-12 {
        0.0
    } else {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    };
    dist(p, [a[0] + dx * f, a[1] + dy * f])
}

/// How far from a lost track's path a new track may be and still resume it: this much at once,
/// growing by the rate per second since it was last seen, up to the maximum. A ghost several
/// metres from a new track is somebody else's: handing its side over would count a crossing
/// nobody made.
const GHOST_REACH_M: f64 = 0.5;
/// Least [`Detection::visibility`] of a detection that starts a track.
const BIRTH_VISIBILITY: f32 = 0.35;
const GHOST_REACH_GROWTH_MPS: f64 = 0.3;
const GHOST_REACH_MAX_M: f64 = 1.5;

/// Minimum-cost one-to-one assignment of rows to columns (Hungarian / Kuhn–Munkres, O(n³)).
/// Returns for each row its column, or `None`; pairs at cost `>= big` are not real.
pub fn hungarian(cost: &[Vec<f64>], big: f64) -> Vec<Option<usize>> {
    let n = cost.len();
    let m = cost.first().map_or(0, Vec::len);
    if n == 0 || m == 0 {
        return vec![None; n];
    }
    let size = n.max(m);
    // Square matrix padded with `big`.
    let at = |i: usize, j: usize| if i < n && j < m { cost[i][j] } else { big };
    let inf = f64::INFINITY;
    let mut u = vec![0.0; size + 1];
    let mut v = vec![0.0; size + 1];
    let mut p = vec![0usize; size + 1]; // p[j] = row assigned to column j (1-based)
    let mut way = vec![0usize; size + 1];
    for i in 1..=size {
        p[0] = i;
        let mut j0 = 0usize;
        let mut minv = vec![inf; size + 1];
        let mut used = vec![false; size + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = inf;
            let mut j1 = 0usize;
            for j in 1..=size {
                if !used[j] {
                    let cur = at(i0 - 1, j - 1) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=size {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut out = vec![None; n];
    for j in 1..=size {
        let i = p[j];
        if i >= 1 && i <= n && j <= m && cost[i - 1][j - 1] < big {
            out[i - 1] = Some(j - 1);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn det(x: f64, y: f64) -> Detection {
        Detection {
            ground: [x, y],
            bbox: [0, 0, 1, 1],
            score: 1.0,
            visibility: 1.0,
            inside: true,
            crowded: 0.0,
        }
    }

    const EDGE: [[f64; 2]; 2] = [[-2.5, 0.0], [2.5, 0.0]];

    /// Walks people along y on given paths (one position per 40 ms frame) and counts.
    fn run(paths: &[Vec<Option<[f64; 2]>>]) -> Vec<CrossingEvent> {
        let mut t = Tracker::new(EDGE, TrackSettings::default());
        let frames = paths.iter().map(Vec::len).max().unwrap_or(0);
        let mut out = Vec::new();
        for k in 0..frames {
            let dets: Vec<Detection> = paths
                .iter()
                .filter_map(|p| p.get(k).copied().flatten())
                .map(|g| det(g[0], g[1]))
                .collect();
            out.extend(t.update(k as u64 * 40_000_000, &dets).0);
        }
        out
    }

    fn walk(x: f64, from: f64, to: f64, speed: f64) -> Vec<Option<[f64; 2]>> {
        let n = ((to - from).abs() / (speed * 0.04)).ceil() as usize;
        (0..=n)
            .map(|k| Some([x, from + (to - from) * k as f64 / n as f64]))
            .collect()
    }

    /// Issue 17: a learned detector's faint boxes (below `sure_score`) start no track and so
    /// count nobody, however many frames they last; a person seen surely carries on through
    /// faint frames and a faint box never takes their track from a sure one beside it.
    #[test]
    fn faint_boxes_start_no_track_but_carry_one_on() {
        let settings = TrackSettings {
            sure_score: 0.65,
            ..TrackSettings::default()
        };
        let faint = |x: f64, y: f64| Detection {
            score: 0.4,
            ..det(x, y)
        };
        // A faint box walking down across the edge for 4 s: nothing.
        let mut t = Tracker::new(EDGE, settings);
        let mut events = Vec::new();
        for k in 0..100u64 {
            let y = -2.0 + 0.04 * k as f64;
            events.extend(t.update(k * 40_000_000, &[faint(0.0, y)]).0);
        }
        assert!(events.is_empty(), "{events:?}");
        assert!(t.tracks().is_empty());
        // A sure person who is seen only faintly while crossing still counts, once, and the faint
        // box half a metre beside them on the first sure frames neither steals nor doubles.
        let mut t = Tracker::new(EDGE, settings);
        let mut events = Vec::new();
        for k in 0..100u64 {
            let y = -2.0 + 0.04 * k as f64;
            let mut dets = vec![if (30..70).contains(&k) {
                faint(0.0, y)
            } else {
                det(0.0, y)
            }];
            if k < 10 {
                dets.insert(0, faint(0.02, y + 0.03));
            }
            events.extend(t.update(k * 40_000_000, &dets).0);
        }
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].direction, Direction::Down);
    }

    #[test]
    fn hungarian_finds_the_optimal_pairs() {
        let c = vec![
            vec![4.0, 1.0, 3.0],
            vec![2.0, 0.0, 5.0],
            vec![3.0, 2.0, 2.0],
        ];
        assert_eq!(hungarian(&c, 1e6), vec![Some(1), Some(0), Some(2)]);
        let c = vec![vec![1e6, 1.0], vec![1e6, 0.5], vec![0.2, 1e6]];
        let a = hungarian(&c, 1e6);
        assert_eq!(a[2], Some(0));
        assert_eq!(a[1], Some(1));
        assert_eq!(a[0], None);
    }

    #[test]
    fn one_walk_down_counts_once_at_the_edge() {
        let ev = run(&[walk(0.0, -2.0, 3.0, 1.2)]);
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0].direction, Direction::Down);
        // feet cross y = 0 after 2 m at 1.2 m/s ≈ 1.67 s
        let t = ev[0].crossing_ns as f64 / 1e9;
        assert!((t - 1.667).abs() < 0.15, "crossing at {t}");
    }

    #[test]
    fn stop_on_the_edge_and_turn_back_in_the_band() {
        // stop-and-go: walk to the edge, stand 3 s, walk on: one count
        let mut p = walk(0.0, -2.0, 0.0, 1.2);
        p.extend(std::iter::repeat_n(Some([0.0, 0.0]), 75));
        p.extend(walk(0.0, 0.0, 3.0, 1.2));
        assert_eq!(run(&[p]).len(), 1);
        // turn back 0.3 m before the edge (inside the band): nothing
        let mut p = walk(0.0, -2.0, -0.3, 1.2);
        p.extend(std::iter::repeat_n(Some([0.0, -0.3]), 50));
        p.extend(walk(0.0, -0.3, -2.0, 1.2));
        assert!(run(&[p]).is_empty());
        // jitter on the line ±0.3 m for 2 s: nothing
        let p: Vec<_> = (0..50)
            .map(|k| Some([0.0, if k % 2 == 0 { 0.3 } else { -0.3 }]))
            .collect();
        assert!(run(&[p]).is_empty());
    }

    #[test]
    fn two_abreast_count_twice_and_opposite_flows_count_both_ways() {
        let ev = run(&[walk(-0.4, -2.0, 3.0, 1.2), walk(0.4, -2.0, 3.0, 1.2)]);
        assert_eq!(
            ev.iter().filter(|e| e.direction == Direction::Down).count(),
            2,
            "{ev:?}"
        );
        let ev = run(&[walk(-1.2, -2.0, 3.0, 1.2), walk(1.2, 3.0, -2.0, 1.2)]);
        assert_eq!(
            ev.iter().filter(|e| e.direction == Direction::Down).count(),
            1
        );
        assert_eq!(
            ev.iter().filter(|e| e.direction == Direction::Up).count(),
            1
        );
    }

    #[test]
    fn a_lost_track_hands_its_side_only_to_a_new_track_on_its_path() {
        // Someone stands 1.5 m inside for 2 s and is lost; 2 s later somebody else shows up
        // 2.5 m away, outside, walking off: no crossing.
        let mut p: Vec<_> = std::iter::repeat_n(Some([0.0, 1.5]), 50).collect();
        p.extend(std::iter::repeat_n(None, 50));
        let q: Vec<_> = std::iter::repeat_n(None, 100)
            .chain(walk(0.0, -1.0, -3.0, 1.0))
            .collect();
        assert!(run(&[p, q]).is_empty());
    }

    #[test]
    fn a_track_lost_in_the_band_counts_once_seen_past_it() {
        // Gone for good 0.1 m past the edge: the coasting prediction drifts on into the inside,
        // but nobody was seen there.
        let mut p = walk(0.0, -2.0, 0.1, 1.2);
        p.extend(std::iter::repeat_n(None, 60));
        assert!(run(&[p.clone()]).is_empty());
        // Seen again 0.5 s later, walking on: one count.
        p.truncate(p.len() - 60);
        p.extend(std::iter::repeat_n(None, 12));
        p.extend(walk(0.0, 0.7, 3.0, 1.2));
        assert_eq!(run(&[p]).len(), 1);
    }

    #[test]
    fn one_person_fitted_twice_half_a_metre_apart_counts_once() {
        // Every other frame a second fit 0.55 m behind (a person half hidden, or cut by the top
        // of the picture): two tracks at first, one count.
        let p = walk(0.0, -2.5, 3.0, 1.2);
        let q: Vec<_> = p
            .iter()
            .enumerate()
            .map(|(k, g)| g.filter(|_| k % 2 == 0).map(|g| [g[0], g[1] - 0.55]))
            .collect();
        let ev = run(&[p, q]);
        assert_eq!(ev.len(), 1, "{ev:?}");
    }

    #[test]
    fn a_track_broken_in_the_band_still_counts() {
        // Lost for 1.5 s (beyond the coast limit) right on the edge.
        let mut p = walk(0.0, -2.0, 0.0, 1.0);
        p.extend(std::iter::repeat_n(None, 38));
        p.extend(walk(0.0, 0.2, 3.0, 1.0));
        let ev = run(&[p]);
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0].direction, Direction::Down);
    }

    #[test]
    fn a_person_hidden_in_a_file_counts_when_first_seen_past_the_edge() {
        // A walks 1.3 m ahead of B in one file, hidden behind B (feet and body) until 0.7 m
        // past the edge; B is seen all the way. Both went down.
        let b = walk(0.0, -2.0, 3.0, 1.2);
        let a: Vec<_> = b
            .iter()
            .map(|g| g.map(|g| [g[0], g[1] + 1.3]).filter(|g| g[1] >= 0.7))
            .collect();
        let ev = run(&[a.clone(), b.clone()]);
        assert_eq!(
            ev.iter().filter(|e| e.direction == Direction::Down).count(),
            2,
            "{ev:?}"
        );
        // The same appearance with nobody walking in front of A on the other side: no count
        // for A (somebody standing up, or a fit that was not there before, is not a crossing).
        let aside: Vec<_> = b.iter().map(|g| g.map(|g| [g[0] + 1.5, g[1]])).collect();
        let ev = run(&[a.clone(), aside]);
        assert_eq!(ev.len(), 1, "{ev:?}");
        // A first seen far past the edge (3 m ahead): not hidden crossing the edge just now.
        let far: Vec<_> = b
            .iter()
            .map(|g| g.map(|g| [g[0], g[1] + 3.0]).filter(|g| g[1] >= 2.0))
            .collect();
        let ev = run(&[far, b]);
        assert_eq!(ev.len(), 1, "{ev:?}");
    }

    #[test]
    fn a_track_that_swaps_in_a_blend_hands_its_person_to_the_new_track() {
        // A walks down at 1 m/s with B 0.5 m behind and 0.25 m across (x 1.2 and 0.95). A is
        // seen alone up to 0.3 m past the edge, then the two blend into one fit between them,
        // then only B's fit is found while A is hidden, until A reappears 0.75 m past the edge.
        let mut t = Tracker::new(EDGE, TrackSettings::default());
        let (mut events, mut swaps) = (Vec::new(), Vec::new());
        for k in 0..=125u64 {
            let ya = -2.0 + k as f64 * 0.04;
            let yb = ya - 0.5;
            let mut dets = Vec::new();
            if ya <= 0.3 {
                dets.push(det(1.2, ya));
            } else if ya <= 0.5 {
                dets.push(det(1.07, ya - 0.25));
            } else {
                dets.push(det(0.95, yb));
                if ya >= 0.75 {
                    dets.push(det(1.2, ya));
                }
            }
            events.extend(t.update(k * 40_000_000, &dets).0);
            swaps.extend(t.swapped.iter().copied());
        }
        // Both counted; the new track took the first track's person, with A's crossing (2.0 s).
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(
            events.iter().all(|e| e.direction == Direction::Down),
            "{events:?}"
        );
        assert_eq!(swaps.len(), 1, "{swaps:?}");
        let (old, new) = swaps[0];
        let a = events
            .iter()
            .find(|e| e.track == new)
            .expect("A counted on the new track");
        let b = events
            .iter()
            .find(|e| e.track == old)
            .expect("B counted on the old track");
        let at = |e: &CrossingEvent| e.crossing_ns as f64 / 1e9;
        assert!((at(a) - 2.0).abs() < 0.15, "A crossed at {}", at(a));
        assert!((at(b) - 2.5).abs() < 0.3, "B crossed at {}", at(b));
    }

    #[test]
    fn a_duplicate_born_in_the_band_hands_the_crossing_to_the_survivor() {
        // One person walking down; from 0.5 m before the edge a second fit 0.45 m ahead of the
        // first (the feet hidden, the fit placed by the head). The second track finds its side
        // past the edge without having crossed, the first never gets there: when the two are
        // found to be one person the older goes, and the crossing between their sides counts,
        // once.
        let p = walk(0.0, -2.0, 3.0, 1.0);
        let q: Vec<_> = p
            .iter()
            .map(|g| g.map(|g| [g[0], g[1] + 0.45]).filter(|g| g[1] >= -0.05))
            .collect();
        let ev = run(&[p, q]);
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0].direction, Direction::Down);
    }
}
