//! The `require "brickyard"` module: its logic in the embedded VM, and the built
//! loadable module in Debian's `lua5.4`.

use std::path::{Path, PathBuf};
use std::process::Command;

use mlua::{Lua, Table};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn provision_script() -> PathBuf {
    manifest_dir().join("tests/lua/provision.lua")
}

#[test]
fn provision_script_runs_in_the_embedded_vm() {
    let lua = Lua::new();
    let module = brickyard_lua::module::open(&lua).unwrap();
    let loaded: Table = lua
        .globals()
        .get::<Table>("package")
        .unwrap()
        .get("loaded")
        .unwrap();
    loaded.set("brickyard", module).unwrap();
    let code = std::fs::read_to_string(provision_script()).unwrap();
    lua.load(&code).set_name("@provision.lua").exec().unwrap();
}

#[test]
fn errors_are_raised_as_tables() {
    let lua = Lua::new();
    lua.globals()
        .set("brickyard", brickyard_lua::module::open(&lua).unwrap())
        .unwrap();
    let (kind, msg): (String, String) = lua
        .load(
            r#"
            local ok, e = pcall(brickyard.open, { executor = "ssh" })
            assert(not ok)
            return e.kind, e.message
        "#,
        )
        .eval()
        .unwrap();
    assert_eq!(kind, "invalid_input");
    assert_eq!(
        msg,
        "executor 'ssh' is not available from Lua (only \"mock\")"
    );
    let (kind, msg): (String, String) = lua
        .load(
            r#"
            local eng = brickyard.open {}
            local ok, e = pcall(eng.volume_create, eng, { size = 1 })
            return e.kind, e.message
        "#,
        )
        .eval()
        .unwrap();
    assert_eq!(kind, "invalid_input", "{msg}");
}

/// Builds `lua/module` on its own (the `module` feature cannot share a build with the
/// vendored Lua of this crate) and returns the directory holding `brickyard.so`. The
/// build shares the workspace's target dir: the dependencies it has in common with the
/// workspace build (same versions and features) are not compiled again. `make
/// lua-module` builds the same way.
fn build_module() -> PathBuf {
    let root = manifest_dir().join("..");
    let target = root.join("target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    // The variables cargo sets for this test are not the build's: a build script that
    // watches one (ring watches CARGO_MANIFEST_DIR) would otherwise be rerun, and its
    // dependents compiled again, whenever `make lua-module` builds without them.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        let set_for_tests = name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_")
            || matches!(
                name.as_str(),
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "CARGO_TARGET_TMPDIR"
            );
        if set_for_tests {
            command.env_remove(&name);
        }
    }
    let status = command
        .args(["build", "--manifest-path"])
        .arg(manifest_dir().join("module/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building lua/module failed");
    let lib = target.join("debug/libbrickyard_lua_module.so");
    assert!(lib.exists(), "{} missing", lib.display());
    let dir = target.join("lua-module/lua");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&lib, dir.join("brickyard.so")).unwrap();
    dir
}

fn lua54() -> &'static Path {
    let path = Path::new("/usr/bin/lua5.4");
    assert!(
        path.exists(),
        "Debian's lua5.4 is not installed: run `make deps` (apt-get install lua5.4)"
    );
    path
}

#[test]
fn system_lua_requires_the_built_module() {
    let lua = lua54();
    let dir = build_module();
    let out = Command::new(lua)
        .arg(provision_script())
        .env("LUA_CPATH", format!("{}/?.so", dir.display()))
        .env("LUA_PATH", "")
        .output()
        .expect("lua5.4 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "lua5.4 failed:\n{stdout}\n{stderr}");
    assert_eq!(stdout.trim(), "provisioned and deleted from_lua");
}
