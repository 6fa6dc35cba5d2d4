//! Durability of a volume and the size limits that bound its bricks.

use std::fmt;

use super::space::GIB;

/// Durability of a volume.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// `replica N`: every set holds N copies.
    Replicate {
        /// Copies per set.
        replica: u32,
    },
    /// Erasure coding: `data` data bricks plus `redundancy` parity bricks per set.
    Disperse {
        /// Data bricks per set.
        data: u32,
        /// Parity bricks per set.
        redundancy: u32,
    },
    /// Plain distribute: one brick per set.
    Distribute,
}

impl Durability {
    /// Bricks per set.
    pub fn set_size(&self) -> usize {
        match *self {
            Durability::Replicate { replica } => replica as usize,
            Durability::Disperse { data, redundancy } => data as usize + redundancy as usize,
            Durability::Distribute => 1,
        }
    }

    /// Bricks of a set holding distinct data: 1 for replicate/distribute, `data` for disperse.
    pub fn data_bricks(&self) -> u64 {
        match *self {
            Durability::Disperse { data, .. } => u64::from(data),
            Durability::Replicate { .. } | Durability::Distribute => 1,
        }
    }
}

impl fmt::Display for Durability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Durability::Replicate { replica } => write!(f, "replica {replica}"),
            Durability::Disperse { data, redundancy } => write!(f, "disperse {data}+{redundancy}"),
            Durability::Distribute => f.write_str("distribute"),
        }
    }
}

/// Server-wide brick limits (Heketi's `brick_min_size_gb`, `brick_max_size_gb`,
/// `max_bricks_per_volume`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Smallest data brick (KiB); default 1 GiB.
    pub brick_min_kib: u64,
    /// Largest data brick (KiB); default 4 TiB.
    pub brick_max_kib: u64,
    /// Most bricks a volume may have, existing ones included; default 32.
    pub max_bricks_per_volume: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            brick_min_kib: GIB,
            brick_max_kib: 4 * 1024 * GIB,
            max_bricks_per_volume: 32,
        }
    }
}
