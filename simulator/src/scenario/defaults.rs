//! Default site geometry figures, metres / seconds.

/// Belt speed when running.
pub const BELT_SPEED_MPS: f64 = 2.0;
/// Truck speed through the gate.
pub const TRUCK_SPEED_MPS: f64 = 3.0;
/// Convoy spacing.
pub const TRUCK_SPACING_S: f64 = 6.0;
/// Skip travel time one way.
pub const SKIP_TRAVEL_S: f64 = 10.0;
/// Skip dwell at top (dump) and bottom (load).
pub const SKIP_DWELL_S: f64 = 4.0;
/// Skip travel height in view.
pub const SKIP_HEIGHT_M: f64 = 15.0;
/// Sensor noise.
pub const NOISE_SIGMA: f64 = 1.5;
/// Stop-and-go / loiter / turn-back pause.
pub const PAUSE_S: f64 = 2.0;
/// Turn-back distance before the edge.
pub const TURN_BACK_AT_M: f64 = -0.6;
