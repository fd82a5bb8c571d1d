//! Scenario files: the TOML that describes one simulated mine run, parsed and validated into a
//! [`Scenario`] whose every value is usable as is (times resolved to nanoseconds since the start,
//! cameras referenced by index, defaults filled in).
//!
//! The format is documented key by key in `scenarios/EXAMPLE.toml`. Every error, whether the
//! TOML is malformed, a key is unknown or mistyped (`deny_unknown_fields` everywhere), or a value
//! breaks a rule checked after parsing (C3 tilt, C7 resolution, an actor naming an unknown camera,
//! a counting edge out of view, overlapping tampering on one camera ...), is a [`Diagnostic`] with
//! the file, the 1-based line and the field path, displayed as
//!
//! ```text
//! scenarios/x.toml:23: cameras[1].tilt_deg: expected 40–70° for a shaft mouth camera (C3), found 85
//! ```
//!
//! Parse errors stop at the first (serde cannot continue); validation reports every problem.
//! Field paths come from `serde_path_to_error`; lines from the spans of `toml`'s document tree
//! ([`toml::de::DeTable`]), looked up by the same path, so validation errors point at the value.
//!
//! Times in a scenario are either **offsets** from the start — `"+00:05:30"`, `"00:05:30.250"`,
//! or a number of seconds (`330`, `12.5`) — or **absolute** China Standard Time instants —
//! `"20261128080530"` (the spec's yyyyMMddHHmmss) or RFC 3339 `"2026-11-28T08:05:30+08:00"`
//! (any offset, converted to CST).

mod diagnostic;
pub(crate) mod file;
mod model;
mod time;
mod validate;
mod vocabulary;

pub mod defaults;

use std::path::Path;

use diagnostic::Locator;
pub use diagnostic::{Diagnostic, ScenarioError, fmt_offset, site_name};
pub use model::{
    BeltChange, Camera, Edge, GeneratorSpec, LightKey, LockSpec, Mine, PeopleSpec, Scenario,
    SkipSpec, TamperSpec, TruckSpec,
};
pub use time::TimeSpec;
pub use vocabulary::{
    Behaviour, BeltState, Formation, GeneratorDirection, GeneratorKind, IR_SWITCH_AMBIENT,
    LightMode, MineState, PersonDirection, TamperKindSpec, TruckDirection,
};

impl Scenario {
    /// Reads and validates a scenario file; the path as given appears in every diagnostic.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: label.clone(),
            source,
        })?;
        Scenario::parse(&text, &label)
    }

    /// Parses and validates scenario text; `file` names it in diagnostics.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let locator = Locator::new(text, file);
        let de = toml::Deserializer::parse(text).map_err(|e| {
            ScenarioError::Invalid(vec![locator.at_span(e.span(), ".", e.message())])
        })?;
        let root: file::Root = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let diag = match inner.span() {
                Some(span) => locator.at_span(Some(span), &path, inner.message()),
                None => locator.at_path(&path, inner.message()),
            };
            ScenarioError::Invalid(vec![diag])
        })?;
        validate::validate(root, file, locator).map_err(ScenarioError::Invalid)
    }
}
