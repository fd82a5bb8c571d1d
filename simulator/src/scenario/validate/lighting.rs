//! `[[lighting]]`: keys in increasing time order, levels in range (C6); a day key at 0 when the
//! file has none there.

use super::{Run, Validator};
use crate::scenario::file;
use crate::scenario::model::LightKey;
use crate::scenario::vocabulary::LightMode;

impl Validator<'_> {
    pub(super) fn lighting(&mut self, rows: Vec<file::Light>, run: Run) -> Vec<LightKey> {
        let mut lighting = self.table("lighting", rows, |v, p, l, earlier| {
            v.light_key(p, l, run, earlier.last())
        });
        insert_key_at_zero(&mut lighting);
        lighting
    }

    fn light_key(
        &mut self,
        p: &str,
        l: file::Light,
        run: Run,
        prev: Option<&LightKey>,
    ) -> LightKey {
        let at_ns = self.time(&format!("{p}.at"), l.at, run);
        self.range(
            &format!("{p}.ambient"),
            l.ambient,
            0.0,
            1.0,
            "ambient light",
        );
        self.range(&format!("{p}.dusk"), l.dusk, 0.0, 1.0, "dusk tint");
        self.range(
            &format!("{p}.flicker"),
            l.flicker,
            0.0,
            0.5,
            "lamp flicker amplitude",
        );
        if let Some(prev) = prev.map(|k| k.at_ns)
            && at_ns <= prev
        {
            self.err(
                &format!("{p}.at"),
                "lighting keys must be in increasing time order",
            );
        }
        LightKey {
            at_ns,
            ambient: l.ambient,
            dusk: l.dusk,
            mode: l.mode,
            flicker: l.flicker,
        }
    }
}

/// Makes the keys start at 0: the first key's values from 0, or full daylight without keys.
fn insert_key_at_zero(lighting: &mut Vec<LightKey>) {
    if lighting.first().is_none_or(|k| k.at_ns > 0) {
        let first = lighting.first().copied();
        lighting.insert(
            0,
            first.map_or(
                LightKey {
                    at_ns: 0,
                    ambient: 1.0,
                    dusk: 0.0,
                    mode: LightMode::Auto,
                    flicker: 0.0,
                },
                |k| LightKey { at_ns: 0, ..k },
            ),
        );
    }
}
