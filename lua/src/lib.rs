//! Lua for Brickyard.
//!
//! - [`LuaHooks`]: site policy as sandboxed Lua scripts inside the engine, implementing
//!   [`brickyard::hooks::Hooks`]. Scripts register handlers with
//!   `brickyard.on(event, function(...) ... end)` for `volume.pre_create`,
//!   `volume.pre_expand`, `placement.filter`, `placement.score`, every `*.post_*`
//!   notification and `operation.failed` (see [`EVENTS`]). Limits: [`LuaHookOptions`].
//! - [`module`]: the `require "brickyard"` module for a system `lua5.4` (built as a
//!   cdylib by `lua/module/`), also usable from an embedded state.

mod error;
mod hooks;
pub mod module;
mod options;
mod runtime;
mod sandbox;

pub use error::LuaHookError;
pub use hooks::LuaHooks;
pub use options::LuaHookOptions;
pub use runtime::EVENTS;
