//! Brickyard REST server: Heketi's wire protocol over axum.
//!
//! The principal items:
//! - [`router`]: the whole HTTP surface for an [`AppState`].
//! - [`ServerConfig`]: `heketi.json` plus `HEKETI_*` overrides.
//! - [`Queue`]: Heketi's asynchronous operation protocol (`202` + `/queue/{id}`).
//! - [`AppError`]: every error answer, rendered as Go's `http.Error`.
//! - [`auth`]: the JWT middleware; [`admin`]: the admin-mode gate.

pub mod admin;
pub mod auth;
pub mod body;
pub mod cleaner;
pub mod config;
pub mod error;
pub mod logging;
pub mod queue;
pub mod redirect;
pub mod routes;
pub mod serve;
pub mod state;

pub use config::{ConfigError, ServerConfig};
pub use error::AppError;
pub use queue::{Accepted, OpOutcome, Queue};
pub use routes::router;
pub use serve::{ServeError, ServeOptions, serve};
pub use state::AppState;
