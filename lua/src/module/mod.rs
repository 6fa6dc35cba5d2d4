//! The `require "brickyard"` module: an engine with the mock executor, driven from Lua.
//!
//! ```lua
//! local brickyard = require "brickyard"
//! local eng = brickyard.open{ db = "/tmp/by.db", executor = "mock" }  -- db = nil: in memory
//! eng:topology_apply(topology_json_or_table)
//! local vol = eng:volume_create{ size = 1, durability = { type = "replicate", replicate = { replica = 3 } } }
//! ```
//!
//! Methods: `topology_apply`, `topology_info`, `cluster_list`, `node_info`, `device_add`,
//! `device_info`, `device_state` (`"failed"` on an offline device moves its bricks
//! first), `brick_evict(id [, healcheck])`, `device_replace(id, name [, healcheck])`,
//! `volume_create`, `volume_plan`, `volume_info`, `volume_list`, `volume_expand`,
//! `volume_clone(id [, name])`, `volume_delete`. Results are plain tables with
//! Heketi's JSON field names. Errors are raised as tables `{ kind = ..., message = ... }`
//! (`kind` is [`brickyard::ErrorKind::as_str`], e.g. `"not_found"`, `"no_space"`).
//!
//! [`open`] builds the module table; the `lua/module/` crate exports it to a system
//! `lua5.4` as `luaopen_brickyard`, and tests install it in an embedded state.

mod engine;

use mlua::{Lua, Table};

/// Lua side of the module: wraps the raw userdata methods (which return `ok, value`)
/// so that failures raise the error table.
const PRELUDE: &str = r#"
local raw_open, methods = ...
local M = { _VERSION = "brickyard 0.1" }
local Engine = {}
Engine.__index = Engine
local function check(ok, v)
  if ok then return v end
  error(v, 3)
end
for _, name in ipairs(methods) do
  Engine[name] = function(self, ...)
    return check(self._raw[name](self._raw, ...))
  end
end
function M.open(opts)
  return setmetatable({ _raw = check(raw_open(opts or {})) }, Engine)
end
return M
"#;

/// The module table (`brickyard.open`).
pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let raw_open = lua.create_function(engine::open)?;
    let methods = lua.create_sequence_from(engine::METHODS.iter().copied())?;
    lua.load(PRELUDE)
        .set_name("=brickyard")
        .call((raw_open, methods))
}
