//! What placement is asked for and what it answers.

use super::durability::{Durability, Limits};
use super::space::DEFAULT_AVERAGE_FILE_SIZE_KIB;
use super::tag_rule::TagRule;
use super::zone::ZoneChecking;

/// One placement request: a new volume, or the delta of an expansion.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacementRequest {
    /// Volume size (or expansion delta), GiB.
    pub size_gib: u64,
    /// Replicate, disperse or distribute.
    pub durability: Durability,
    /// Thin pool size over brick size; 1.0 when snapshots are disabled.
    pub snapshot_factor: f64,
    /// Whether bricks of a set must be in distinct zones.
    pub zone_checking: ZoneChecking,
    /// Only devices whose merged tags match this rule.
    pub tag_rule: Option<TagRule>,
    /// Replica 3 with arbiter: slot 2 of every set is the arbiter brick.
    pub arbiter: bool,
    /// Arbiter sizing (KiB per expected file); default 64.
    pub average_file_size_kib: u64,
    /// Bricks the volume already has (expand); they count against `max_bricks_per_volume`.
    pub existing_bricks: usize,
    /// Brick size and count limits.
    pub limits: Limits,
    /// Per-request device filter (e.g. from a `placement.filter` hook), indexed like
    /// [`ClusterView::devices`](super::ClusterView::devices): `false` excludes a device.
    /// `None` allows every device.
    pub allowed: Option<Vec<bool>>,
    /// Per-request device scores (e.g. from a `placement.score` hook), indexed like
    /// [`ClusterView::devices`](super::ClusterView::devices): each slot takes the fitting
    /// device with the highest score, ties broken by the usual free-space order. Every
    /// constraint still applies. `None` keeps the plain free-space order.
    pub scores: Option<Vec<f64>>,
}

impl PlacementRequest {
    /// A request with Heketi's defaults: no snapshots, no zone checking, no tag rule,
    /// no arbiter, 64 KiB average files, a new volume, default limits, no hook input.
    pub fn new(size_gib: u64, durability: Durability) -> PlacementRequest {
        PlacementRequest {
            size_gib,
            durability,
            snapshot_factor: 1.0,
            zone_checking: ZoneChecking::None,
            tag_rule: None,
            arbiter: false,
            average_file_size_kib: DEFAULT_AVERAGE_FILE_SIZE_KIB,
            existing_bricks: 0,
            limits: Limits::default(),
            allowed: None,
            scores: None,
        }
    }
}

/// One brick of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedBrick {
    /// Index into [`ClusterView::devices`](super::ClusterView::devices).
    pub device: usize,
    /// Virtual LV size, KiB.
    pub size: u64,
    /// Thin pool size, KiB.
    pub tp_size: u64,
    /// Thin pool metadata size, KiB.
    pub metadata_size: u64,
    /// Whether this is the arbiter brick of its set.
    pub arbiter: bool,
}

impl PlannedBrick {
    /// `tp_size + metadata_size`: what the brick takes from its device.
    pub fn total(&self) -> u64 {
        self.tp_size.saturating_add(self.metadata_size)
    }
}

/// A placement: brick sets, each in gluster brick order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Brick sets; each has `set_size()` bricks.
    pub sets: Vec<Vec<PlannedBrick>>,
}

impl Plan {
    /// Number of bricks over all sets.
    pub fn brick_count(&self) -> usize {
        self.sets.iter().map(Vec::len).sum()
    }

    /// `(device, KiB)` to debit from the view once the plan is committed, one per brick.
    pub fn debits(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.sets.iter().flatten().map(|b| (b.device, b.total()))
    }
}
