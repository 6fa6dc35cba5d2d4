//! Brickyard: a GlusterFS storage provisioning engine, wire-compatible with Heketi.
//!
//! The principal types:
//! - [`Engine`]: the façade every front door drives (server, CLI, Python, Lua).
//! - [`api`]: Heketi's wire types, returned by the engine's read model.
//! - [`placement`]: pure, synchronous brick placement.
//! - [`executor::Executor`]: the commands on storage nodes; [`executor::MockExecutor`]
//!   keeps an in-memory model of the nodes.
//! - [`store`]: the crash-safe embedded store (redb).
//! - [`Error`] / [`ErrorKind`]: one error type with a stable classification.

pub mod api;
pub mod error;
pub mod executor;
pub mod id;
pub mod placement;

pub use error::{Error, ErrorKind, Result};
pub mod engine;
pub mod model;
pub mod state;
pub mod store;
pub mod topology;

pub use engine::{DbLocation, Engine, EngineOptions};
pub mod hooks;
