//! Zone checking strategy.

/// How zones constrain a brick set (`zone_checking`, `user.heketi.zone-checking`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ZoneChecking {
    /// Only the hard rule: bricks of a set on distinct nodes.
    #[default]
    None,
    /// Bricks of a set also in pairwise distinct zones.
    Strict,
}

impl ZoneChecking {
    /// Parses `none` / `strict`; like Heketi, any other string means `None`.
    pub fn parse(s: &str) -> ZoneChecking {
        match s {
            "strict" => ZoneChecking::Strict,
            _ => ZoneChecking::None,
        }
    }
}
