//! Why a placement failed.

use std::fmt;

/// Why one device could not take a brick of a given set (the explanation a failed
/// placement carries, so an operator sees which constraint bit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The device or its node is not online.
    NotOnline,
    /// A `placement.filter` hook excluded the device for this request.
    FilteredByHook,
    /// Free space (KiB) is below what the brick needs (KiB).
    TooSmall { free: u64, needed: u64 },
    /// Another brick of the same set is already on this node.
    SameNode,
    /// Strict zone checking: another brick of the set is already in this zone.
    SameZone { zone: i64 },
    /// The device tag rule does not match.
    TagMismatch { rule: String },
    /// Arbiter tags forbid this kind of brick here.
    ArbiterTag { tag: String },
    /// The device holds the brick being replaced (brick eviction, device removal).
    HoldsReplacedBrick,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::NotOnline => f.write_str("device or node is not online"),
            Rejection::FilteredByHook => f.write_str("excluded by a placement.filter hook"),
            Rejection::TooSmall { free, needed } => {
                write!(f, "{free} KiB free, brick needs {needed} KiB")
            }
            Rejection::SameNode => f.write_str("node already holds a brick of this set"),
            Rejection::SameZone { zone } => {
                write!(
                    f,
                    "zone {zone} already holds a brick of this set (strict zone checking)"
                )
            }
            Rejection::TagMismatch { rule } => write!(f, "tags do not match rule {rule}"),
            Rejection::ArbiterTag { tag } => write!(f, "arbiter tag '{tag}' forbids this brick"),
            Rejection::HoldsReplacedBrick => f.write_str("holds the brick being replaced"),
        }
    }
}

/// A per-device reason, for the explanation of a failed placement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceReason {
    pub device: String,
    pub node: String,
    pub reason: Rejection,
}

/// The explanation of a `NoSpace`: what was tried and why each device was refused
/// at the last attempt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoSpaceDetails {
    pub cluster: String,
    /// Set counts tried, in order, with the brick size (KiB) of each attempt.
    pub attempts: Vec<(usize, u64)>,
    /// Per-device reasons from the largest-brick attempt that failed.
    pub devices: Vec<DeviceReason>,
    /// A one-line summary, e.g. "need 3 nodes with 10.1 GiB free, found 2".
    pub summary: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlacementError {
    /// Heketi's `ErrNoSpace`; the message starts with "No space" as Heketi's does.
    #[error("No space{}", fmt_details(.0))]
    NoSpace(Box<NoSpaceDetails>),
    #[error("Maximum number of bricks reached.")]
    MaxBricks,
    #[error("Minimum brick size limit reached.  Out of space.")]
    MinimumBrickSize,
    #[error("No nodes in cluster")]
    EmptyCluster,
    #[error("No online storage devices in cluster")]
    NoStorage,
    #[error("{0}")]
    Invalid(String),
}

fn fmt_details(d: &NoSpaceDetails) -> String {
    if d.summary.is_empty() {
        String::new()
    } else {
        format!(": cluster {}: {}", d.cluster, d.summary)
    }
}
