//! Brick placement: pure synchronous code, no I/O, no clock.

mod error;

pub use error::{DeviceReason, NoSpaceDetails, PlacementError, Rejection};
