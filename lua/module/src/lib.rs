//! `luaopen_brickyard`: the shim that exports `brickyard_lua::module` to a system Lua.

use mlua::{Lua, Result, Table};

/// `require "brickyard"`.
#[mlua::lua_module]
fn brickyard(lua: &Lua) -> Result<Table> {
    brickyard_lua::module::open(lua)
}
