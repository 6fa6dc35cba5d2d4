//! Brick placement: pure synchronous code, no I/O, no clock, no randomness — the same
//! view and request always give the same plan.
//!
//! - [`ClusterView`]: one cluster's nodes and devices with a free-space index, kept up
//!   to date by the engine ([`ClusterView::debit`], [`ClusterView::credit`], …).
//! - [`PlacementRequest`] → [`place`] → [`Plan`] (brick sets of [`PlannedBrick`]s).
//! - [`space_needed`] and [`arbiter_brick_size`]: Heketi's brick space arithmetic.
//! - [`PlacementError`]: `NoSpace` carries [`NoSpaceDetails`] saying which constraint bit.

mod arbiter;
mod durability;
mod error;
mod explain;
mod fill;
mod place;
mod replace;
mod request;
mod space;
mod tag_rule;
mod view;
mod zone;

#[cfg(test)]
mod hook_tests;
#[cfg(test)]
mod tests;

pub use arbiter::ArbiterTag;
pub use durability::{Durability, Limits};
pub use error::{DeviceReason, NoSpaceDetails, PlacementError, Rejection};
pub use place::{place, validate};
pub use replace::{ReplacementRequest, place_replacement};
pub use request::{PlacementRequest, Plan, PlannedBrick};
pub use space::{
    DEFAULT_AVERAGE_FILE_SIZE_KIB, DEFAULT_EXTENT_KIB, GIB, MIB, arbiter_brick_size, space_needed,
};
pub use tag_rule::{TagOp, TagRule};
pub use view::{ClusterView, DeviceSlot, NodeSlot};
pub use zone::ZoneChecking;

/// Tags on nodes and devices.
pub type Tags = crate::api::Tags;
