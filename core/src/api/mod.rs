//! Heketi's wire types: the JSON bodies of the REST API, with Heketi's exact
//! field names, key order and omission rules (`heketi/heketi:pkg/glusterfs/api/types.go`).
//!
//! These types are shared by the engine (its read model returns them), the
//! server (it serialises them), the CLI (it parses them) and the bindings.

mod block;
mod cluster;
mod common;
mod device;
mod node;
mod operations;
mod shared;
mod topology;
mod volume;

pub use block::*;
pub use cluster::*;
pub use common::*;
pub use device::*;
pub use node::*;
pub use operations::*;
pub use shared::{Interner, Shared};
pub use topology::*;
pub use volume::*;
