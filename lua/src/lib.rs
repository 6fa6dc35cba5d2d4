//! Lua for Brickyard.
//!
//! - [`LuaHooks`]: site policy as sandboxed Lua scripts inside the engine, implementing
//!   [`brickyard::hooks::Hooks`]. Scripts register handlers with
//!   `brickyard.on(event, function(...) ... end)` for `volume.pre_create`,
//!   `volume.pre_expand`, `placement.filter`, `placement.score`, every `*.post_*`
//!   notification and `operation.failed` (see [`EVENTS`]). Limits: [`LuaHookOptions`].
//! - [`module`]: the `require "brickyard"` module for a system `lua5.4` (built as a
//!   cdylib by `lua/module/`), also usable from an embedded state.
//!
//! Features: `hooks` (default: embedded Lua, `LuaHooks`) and `module` (for the
//! loadable module; only [`module`] is built then).

#[cfg(feature = "hooks")]
mod error;
#[cfg(feature = "hooks")]
mod hooks;
pub mod module;
#[cfg(feature = "hooks")]
mod options;
#[cfg(feature = "hooks")]
mod runtime;
#[cfg(feature = "hooks")]
mod sandbox;

#[cfg(feature = "hooks")]
pub use error::LuaHookError;
#[cfg(feature = "hooks")]
pub use hooks::LuaHooks;
#[cfg(feature = "hooks")]
pub use options::LuaHookOptions;
#[cfg(feature = "hooks")]
pub use runtime::EVENTS;
