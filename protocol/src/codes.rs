//! The fixed-width codes of the spec's tables 5–7 (digested in
//! REQUIREMENTS.md §U): mine, camera, analysis type, daily count, lock, lock
//! state, transport state; plus the extension and the clause a name falls
//! under.
//!
//! Every code displays and serializes as its wire digits.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Field, FieldError, NameError, ascii_digits, value};

/// Implements `Serialize` (as the `Display` string) and `Deserialize` (through
/// `parse`, so a bad value's error names the field) for a code type.
macro_rules! serde_as_string {
    ($t:ty, $expecting:literal) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $t;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$t, E> {
                        <$t>::parse(v).map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(V)
            }
        }
    };
}
pub(crate) use serde_as_string;

// ---------------------------------------------------------------------------

/// Mine code 矿井编码: 12 ASCII digits (tables 6 and 7; R1).
///
/// The first 6 digits are the county's administrative-division code (R1:
/// `140421` in the spec examples), which gives the platform the jurisdiction
/// of an upload. Table 7 gives no width (U8); the reference profile takes
/// table 6's 12.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MineCode([u8; 12]);

impl MineCode {
    /// Width in digits.
    pub const LEN: usize = 12;

    /// Parses exactly 12 ASCII digits.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let digits = ascii_digits(s, Self::LEN, Field::Mine, "R1")?;
        let mut code = [0; 12];
        code.copy_from_slice(digits);
        Ok(MineCode(code))
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The first 6 digits: the county's administrative-division code (R1).
    pub fn county_code(&self) -> &str {
        self.as_str().get(..6).unwrap_or_default()
    }
}

impl fmt::Display for MineCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MineCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MineCode({:?})", self.as_str())
    }
}

serde_as_string!(MineCode, "a 12-digit mine code");

// ---------------------------------------------------------------------------

/// Where a camera looks: the tens digit of its [`CameraCode`] (table 7).
///
/// The spec defines these three only; the return-air shaft (回风井口) of C2
/// has no code (U8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraKind {
    /// Main shaft mouth 主井口, codes 10–19.
    MainShaft,
    /// Auxiliary shaft mouth 副井口, codes 20–29.
    AuxiliaryShaft,
    /// Vehicle gate 运矿车辆入口, codes 30–39.
    VehicleGate,
}

impl CameraKind {
    /// The tens digit: 1, 2 or 3.
    pub const fn tens(self) -> u8 {
        match self {
            CameraKind::MainShaft => 1,
            CameraKind::AuxiliaryShaft => 2,
            CameraKind::VehicleGate => 3,
        }
    }
}

const CAMERA_EXPECTED: &str = "a camera code 10-39: the spec defines main shaft 1x, auxiliary shaft 2x \
     and vehicle gate 3x only (U8: no code for the return-air shaft)";

/// Camera code 摄像头编码: 2 digits, 10–39 (table 7). The tens digit is the
/// [`CameraKind`], the units digit numbers cameras of one kind (30, 31, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CameraCode(u8);

impl CameraCode {
    /// Width in digits.
    pub const LEN: usize = 2;

    /// The `index`-th (0–9) camera of `kind`.
    pub fn new(kind: CameraKind, index: u8) -> Result<Self, FieldError> {
        if index > 9 {
            return Err(NameError::new(
                Field::Camera,
                1..2,
                &index.to_string(),
                "a camera index 0-9 (the units digit of the code)",
                "U1-U4",
            ));
        }
        Ok(CameraCode(kind.tens() * 10 + index))
    }

    /// Parses 2 ASCII digits, 10–39.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let d = ascii_digits(s, Self::LEN, Field::Camera, "U1-U4")?;
        match value(d) {
            // `value` of 2 digits is at most 99.
            n @ 10..=39 => Ok(CameraCode(n as u8)),
            _ => Err(NameError::new(
                Field::Camera,
                0..2,
                s,
                CAMERA_EXPECTED,
                "U1-U4",
            )),
        }
    }

    /// The camera's kind (tens digit).
    pub const fn kind(self) -> CameraKind {
        match self.0 / 10 {
            1 => CameraKind::MainShaft,
            2 => CameraKind::AuxiliaryShaft,
            _ => CameraKind::VehicleGate,
        }
    }

    /// The camera's number among its kind, 0–9 (units digit).
    pub const fn index(self) -> u8 {
        self.0 % 10
    }

    /// The code as a number, 10–39.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for CameraCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

serde_as_string!(CameraCode, "a 2-digit camera code 10-39");

// ---------------------------------------------------------------------------

/// Analysis type 分析类型编码: 2 digits (table 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AnalysisType {
    /// `01` 数人: people going down (U1).
    People,
    /// `02` 数车辆: trucks leaving (U2).
    Vehicles,
    /// `03` 运输状态: transport equipment state (U3).
    TransportState,
    /// `04` 遮挡: camera occluded (U4).
    Occlusion,
    /// `05` 挪角度: camera moved off its angle (U4).
    AngleMoved,
}

impl AnalysisType {
    /// Every type, in code order.
    pub const ALL: [AnalysisType; 5] = [
        AnalysisType::People,
        AnalysisType::Vehicles,
        AnalysisType::TransportState,
        AnalysisType::Occlusion,
        AnalysisType::AngleMoved,
    ];

    /// The 2-digit wire code, `"01"`..`"05"`.
    pub const fn code(self) -> &'static str {
        match self {
            AnalysisType::People => "01",
            AnalysisType::Vehicles => "02",
            AnalysisType::TransportState => "03",
            AnalysisType::Occlusion => "04",
            AnalysisType::AngleMoved => "05",
        }
    }

    /// The clause whose names carry this type.
    pub const fn clause(self) -> Clause {
        match self {
            AnalysisType::People => Clause::U1,
            AnalysisType::Vehicles => Clause::U2,
            AnalysisType::TransportState => Clause::U3,
            AnalysisType::Occlusion | AnalysisType::AngleMoved => Clause::U4,
        }
    }

    /// Parses `"01"`..`"05"`.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        ascii_digits(s, 2, Field::AnalysisType, "U1-U4")?;
        Self::ALL
            .into_iter()
            .find(|t| t.code() == s)
            .ok_or_else(|| {
                NameError::new(
                    Field::AnalysisType,
                    0..2,
                    s,
                    "an analysis type 01 (people), 02 (vehicles), 03 (transport state), \
                 04 (occlusion) or 05 (angle moved)",
                    "U1-U4",
                )
            })
    }
}

impl fmt::Display for AnalysisType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

serde_as_string!(AnalysisType, "a 2-digit analysis type 01-05");

/// The two U4 analysis types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TamperKind {
    /// `04` 遮挡: the camera is occluded.
    Occlusion,
    /// `05` 挪角度: the camera was moved off its angle.
    AngleMoved,
}

impl TamperKind {
    /// The 2-digit wire code, `"04"` or `"05"`.
    pub const fn code(self) -> &'static str {
        self.analysis_type().code()
    }

    /// The corresponding [`AnalysisType`].
    pub const fn analysis_type(self) -> AnalysisType {
        match self {
            TamperKind::Occlusion => AnalysisType::Occlusion,
            TamperKind::AngleMoved => AnalysisType::AngleMoved,
        }
    }

    /// Parses `"04"` or `"05"`.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match AnalysisType::parse(s)? {
            AnalysisType::Occlusion => Ok(TamperKind::Occlusion),
            AnalysisType::AngleMoved => Ok(TamperKind::AngleMoved),
            _ => Err(NameError::new(
                Field::AnalysisType,
                0..2,
                s,
                "a tamper type 04 (occlusion) or 05 (angle moved)",
                "U4",
            )),
        }
    }
}

impl fmt::Display for TamperKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

serde_as_string!(TamperKind, "a 2-digit tamper type 04 or 05");

// ---------------------------------------------------------------------------

/// People or truck count 人/车数量: 4 digits, 0000–9999 (table 7).
///
/// Cumulative for the CST calendar day (00:00:00–23:59:59) and reset to zero
/// each day; see [`MineTime::date`](crate::MineTime::date). Serializes as a
/// JSON number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "u16", into = "u16")]
pub struct DailyCount(u16);

impl DailyCount {
    /// Width in digits.
    pub const LEN: usize = 4;
    /// The largest count 4 digits hold.
    pub const MAX: DailyCount = DailyCount(9999);
    /// The count at 00:00 CST.
    pub const ZERO: DailyCount = DailyCount(0);

    /// `n` if it fits 4 digits.
    pub fn new(n: u16) -> Result<Self, FieldError> {
        if n <= Self::MAX.0 {
            Ok(DailyCount(n))
        } else {
            Err(NameError::new(
                Field::Count,
                0..4,
                &n.to_string(),
                "a daily count 0000-9999 (4 digits)",
                "U1/U2",
            ))
        }
    }

    /// Parses 4 ASCII digits.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let d = ascii_digits(s, Self::LEN, Field::Count, "U1/U2")?;
        // 4 digits are at most 9999.
        Ok(DailyCount(value(d) as u16))
    }

    /// The count.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The next count, or `None` past 9999.
    pub const fn incremented(self) -> Option<Self> {
        if self.0 < Self::MAX.0 {
            Some(DailyCount(self.0 + 1))
        } else {
            None
        }
    }
}

impl TryFrom<u16> for DailyCount {
    type Error = FieldError;
    fn try_from(n: u16) -> Result<Self, Self::Error> {
        DailyCount::new(n)
    }
}

impl From<DailyCount> for u16 {
    fn from(c: DailyCount) -> u16 {
        c.0
    }
}

impl fmt::Display for DailyCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

// ---------------------------------------------------------------------------

/// What an electronic lock guards: the tens digit of its [`LockCode`]
/// (table 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockKind {
    /// Hoist 提升机, codes 10–19.
    Hoist,
    /// Belt 皮带, codes 20–29.
    Belt,
    /// Winch 绞车, codes 30–39.
    Winch,
    /// Tram 串车, codes 40–49.
    Tram,
    /// Skip 箕斗, codes 50–59.
    Skip,
}

impl LockKind {
    /// The tens digit: 1–5.
    pub const fn tens(self) -> u8 {
        match self {
            LockKind::Hoist => 1,
            LockKind::Belt => 2,
            LockKind::Winch => 3,
            LockKind::Tram => 4,
            LockKind::Skip => 5,
        }
    }
}

/// Lock code 电子锁编码: 2 digits, 10–59 (table 6, U5). The tens digit is the
/// [`LockKind`], the units digit numbers locks of one kind (10, 11, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LockCode(u8);

impl LockCode {
    /// Width in digits.
    pub const LEN: usize = 2;

    /// The `index`-th (0–9) lock of `kind`.
    pub fn new(kind: LockKind, index: u8) -> Result<Self, FieldError> {
        if index > 9 {
            return Err(NameError::new(
                Field::Lock,
                1..2,
                &index.to_string(),
                "a lock index 0-9 (the units digit of the code)",
                "U5",
            ));
        }
        Ok(LockCode(kind.tens() * 10 + index))
    }

    /// Parses 2 ASCII digits, 10–59.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let d = ascii_digits(s, Self::LEN, Field::Lock, "U5")?;
        match value(d) {
            // `value` of 2 digits is at most 99.
            n @ 10..=59 => Ok(LockCode(n as u8)),
            _ => Err(NameError::new(
                Field::Lock,
                0..2,
                s,
                "a lock code 10-59: hoist 1x, belt 2x, winch 3x, tram 4x, skip 5x",
                "U5",
            )),
        }
    }

    /// The lock's kind (tens digit).
    pub const fn kind(self) -> LockKind {
        match self.0 / 10 {
            1 => LockKind::Hoist,
            2 => LockKind::Belt,
            3 => LockKind::Winch,
            4 => LockKind::Tram,
            _ => LockKind::Skip,
        }
    }

    /// The lock's number among its kind, 0–9 (units digit).
    pub const fn index(self) -> u8 {
        self.0 % 10
    }

    /// The code as a number, 10–59.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for LockCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

serde_as_string!(LockCode, "a 2-digit lock code 10-59");

/// Lock state 电子锁状态编码: 4 digits (table 6, U5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockState {
    /// `0001` 电子锁挪动: the lock was moved.
    Moved,
    /// `0002` 电子锁破坏: the lock was damaged.
    Damaged,
}

impl LockState {
    /// The 4-digit wire code.
    pub const fn code(self) -> &'static str {
        match self {
            LockState::Moved => "0001",
            LockState::Damaged => "0002",
        }
    }

    /// Parses `"0001"` or `"0002"`.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        ascii_digits(s, 4, Field::LockState, "U5")?;
        match s {
            "0001" => Ok(LockState::Moved),
            "0002" => Ok(LockState::Damaged),
            _ => Err(NameError::new(
                Field::LockState,
                0..4,
                s,
                "a lock state 0001 (moved) or 0002 (damaged)",
                "U5",
            )),
        }
    }
}

impl fmt::Display for LockState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

serde_as_string!(LockState, "a 4-digit lock state 0001 or 0002");

/// Transport state, the 2 digits after `03` in the U3 example's 32-digit form.
///
/// The spec's example has `01` ("became running, with coal") and defines no
/// other value; the rest is the reference profile (U3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TransportState {
    /// `00`: stopped (reference profile).
    Stopped,
    /// `01`: running, loaded (the spec example).
    RunningLoaded,
    /// `02`: running, empty (reference profile).
    RunningEmpty,
}

impl TransportState {
    /// The 2-digit wire code.
    pub const fn code(self) -> &'static str {
        match self {
            TransportState::Stopped => "00",
            TransportState::RunningLoaded => "01",
            TransportState::RunningEmpty => "02",
        }
    }

    /// A few words, e.g. `running loaded`.
    pub const fn label(self) -> &'static str {
        match self {
            TransportState::Stopped => "stopped",
            TransportState::RunningLoaded => "running loaded",
            TransportState::RunningEmpty => "running empty",
        }
    }

    /// Parses `"00"`, `"01"` or `"02"`.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        ascii_digits(s, 2, Field::TransportState, "U3")?;
        match s {
            "00" => Ok(TransportState::Stopped),
            "01" => Ok(TransportState::RunningLoaded),
            "02" => Ok(TransportState::RunningEmpty),
            _ => Err(NameError::new(
                Field::TransportState,
                0..2,
                s,
                "a transport state 00 (stopped), 01 (running loaded) or 02 (running empty)",
                "U3",
            )),
        }
    }
}

impl fmt::Display for TransportState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

serde_as_string!(TransportState, "a 2-digit transport state 00, 01 or 02");

// ---------------------------------------------------------------------------

/// File extension of an evidence name, always lower case on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Extension {
    /// `jpg`: a JPEG image (U1, U2, U4; U5 per the spec's table).
    Jpg,
    /// `mp4`: an H.264 MP4 clip (U3; U5 per the spec's example).
    Mp4,
}

impl Extension {
    /// `"jpg"` or `"mp4"`, without the dot.
    pub const fn as_str(self) -> &'static str {
        match self {
            Extension::Jpg => "jpg",
            Extension::Mp4 => "mp4",
        }
    }

    /// `".jpg"` or `".mp4"`, as it ends a name.
    pub const fn suffix(self) -> &'static str {
        match self {
            Extension::Jpg => ".jpg",
            Extension::Mp4 => ".mp4",
        }
    }
}

impl fmt::Display for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The upload clause an evidence name falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Clause {
    /// People entering, JPEG, FTP.
    U1,
    /// Trucks leaving, JPEG, FTP.
    U2,
    /// Transport state, 10 s MP4, FTP.
    U3,
    /// Camera tamper, JPEG, FTP.
    U4,
    /// Electronic lock, 10 s MP4, HTTPS POST.
    U5,
}

impl Clause {
    /// `"U1"`..`"U5"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Clause::U1 => "U1",
            Clause::U2 => "U2",
            Clause::U3 => "U3",
            Clause::U4 => "U4",
            Clause::U5 => "U5",
        }
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mine_code_county() -> Result<(), FieldError> {
        let m = MineCode::parse("140421007866")?;
        assert_eq!(m.county_code(), "140421");
        assert_eq!(m.to_string(), "140421007866");
        Ok(())
    }

    #[test]
    fn camera_kinds() -> Result<(), FieldError> {
        let c = CameraCode::parse("31")?;
        assert_eq!((c.kind(), c.index()), (CameraKind::VehicleGate, 1));
        assert_eq!(
            CameraCode::new(CameraKind::AuxiliaryShaft, 0)?.to_string(),
            "20"
        );
        let e = CameraCode::parse("40").err();
        assert!(e.is_some_and(|e| e.expected.contains("U8")));
        assert!(CameraCode::new(CameraKind::MainShaft, 10).is_err());
        Ok(())
    }

    #[test]
    fn lock_codes() -> Result<(), FieldError> {
        let l = LockCode::parse("51")?;
        assert_eq!((l.kind(), l.index()), (LockKind::Skip, 1));
        assert!(LockCode::parse("60").is_err());
        assert!(LockCode::parse("09").is_err());
        Ok(())
    }

    #[test]
    fn daily_count_bounds() {
        assert_eq!(DailyCount::new(9999).map(DailyCount::get), Ok(9999));
        assert!(DailyCount::new(10_000).is_err());
        assert_eq!(DailyCount::MAX.incremented(), None);
        assert_eq!(DailyCount::ZERO.to_string(), "0000");
    }
}
