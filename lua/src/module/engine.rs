//! The engine userdata behind `brickyard.open`.

use std::sync::Arc;

use brickyard::api::{DeviceAddRequest, VolumeCreateRequest};
use brickyard::engine::HealCheck;
use brickyard::executor::MockExecutor;
use brickyard::topology::TopologyFile;
use brickyard::{DbLocation, Engine, EngineOptions};
use mlua::serde::SerializeOptions;
use mlua::{Lua, LuaSerdeExt, MultiValue, Table, UserData, UserDataMethods, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The methods of an engine object.
pub(super) const METHODS: &[&str] = &[
    "topology_apply",
    "topology_info",
    "cluster_list",
    "node_info",
    "device_add",
    "device_info",
    "device_state",
    "brick_evict",
    "device_replace",
    "volume_create",
    "volume_plan",
    "volume_info",
    "volume_list",
    "volume_expand",
    "volume_clone",
    "volume_delete",
];

/// An engine and the runtime its async operations run on.
struct LuaEngine {
    engine: Engine,
    runtime: tokio::runtime::Runtime,
}

/// A failure as Lua sees it: `{ kind = ..., message = ... }`.
struct Failure {
    kind: &'static str,
    message: String,
}

impl From<brickyard::Error> for Failure {
    fn from(e: brickyard::Error) -> Failure {
        Failure {
            kind: e.kind().as_str(),
            message: e.to_string(),
        }
    }
}

impl From<mlua::Error> for Failure {
    fn from(e: mlua::Error) -> Failure {
        Failure {
            kind: "invalid_input",
            message: e.to_string(),
        }
    }
}

fn invalid(message: impl Into<String>) -> Failure {
    Failure {
        kind: "invalid_input",
        message: message.into(),
    }
}

/// `true, value` or `false, { kind, message }` (with a `__tostring`).
fn answer(lua: &Lua, result: Result<Value, Failure>) -> mlua::Result<MultiValue> {
    match result {
        Ok(v) => Ok(MultiValue::from_iter([Value::Boolean(true), v])),
        Err(f) => {
            let t = lua.create_table()?;
            t.set("kind", f.kind)?;
            t.set("message", f.message)?;
            let meta = lua.create_table()?;
            meta.set(
                "__tostring",
                lua.create_function(|_, t: Table| {
                    Ok(format!(
                        "brickyard: {} ({})",
                        t.get::<String>("message")?,
                        t.get::<String>("kind")?
                    ))
                })?,
            )?;
            t.set_metatable(Some(meta))?;
            Ok(MultiValue::from_iter([
                Value::Boolean(false),
                Value::Table(t),
            ]))
        }
    }
}

fn to_lua<T: Serialize>(lua: &Lua, v: &T) -> Result<Value, Failure> {
    let opts = SerializeOptions::new()
        .serialize_none_to_null(false)
        .serialize_unit_to_null(false);
    Ok(lua.to_value_with(v, opts)?)
}

fn from_lua<T: DeserializeOwned>(lua: &Lua, v: Value, what: &str) -> Result<T, Failure> {
    lua.from_value(v)
        .map_err(|e| invalid(format!("invalid {what}: {e}")))
}

/// `brickyard.open{ db = path|nil, executor = "mock" }`.
pub(super) fn open(lua: &Lua, opts: Table) -> mlua::Result<MultiValue> {
    let result = (|| -> Result<Value, Failure> {
        let executor: Option<String> = opts.get("executor")?;
        match executor.as_deref() {
            None | Some("mock") => {}
            Some(other) => {
                return Err(invalid(format!(
                    "executor '{other}' is not available from Lua (only \"mock\")"
                )));
            }
        }
        let mut options = EngineOptions::in_memory();
        if let Some(path) = opts.get::<Option<String>>("db")? {
            options.db = DbLocation::File(path.into());
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| invalid(format!("cannot start a runtime: {e}")))?;
        let engine = runtime.block_on(Engine::open(options, Arc::new(MockExecutor::new())))?;
        let ud = lua.create_userdata(LuaEngine { engine, runtime })?;
        Ok(Value::UserData(ud))
    })();
    answer(lua, result)
}

impl UserData for LuaEngine {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_method("topology_apply", |lua, this, topo: Value| {
            let r = (|| {
                let text = match topo {
                    Value::String(s) => s.to_str()?.to_string(),
                    Value::Table(_) => {
                        let json: serde_json::Value = from_lua(lua, topo, "topology")?;
                        json.to_string()
                    }
                    other => {
                        return Err(invalid(format!(
                            "topology must be JSON text or a table, not a {}",
                            other.type_name()
                        )));
                    }
                };
                let file = TopologyFile::parse(&text)?;
                let report = this.runtime.block_on(this.engine.apply_topology(&file))?;
                let t = lua.create_table()?;
                t.set("summary", report.summary())?;
                t.set("failed", report.failed())?;
                t.set("changed", report.changed())?;
                Ok(Value::Table(t))
            })();
            answer(lua, r)
        });
        m.add_method("topology_info", |lua, this, ()| {
            answer(lua, to_lua(lua, &this.engine.topology_info()))
        });
        m.add_method("cluster_list", |lua, this, ()| {
            answer(lua, to_lua(lua, &this.engine.cluster_list()))
        });
        m.add_method("node_info", |lua, this, id: String| {
            let r = this.engine.node_info(&id).map_err(Failure::from);
            answer(lua, r.and_then(|v| to_lua(lua, &v)))
        });
        m.add_method("device_add", |lua, this, req: Value| {
            let r = (|| {
                let req: DeviceAddRequest = from_lua(lua, req, "device add request")?;
                let dev = this.runtime.block_on(this.engine.add_device(req))?;
                to_lua(lua, &dev)
            })();
            answer(lua, r)
        });
        m.add_method("device_info", |lua, this, id: String| {
            let r = this.engine.device_info(&id).map_err(Failure::from);
            answer(lua, r.and_then(|v| to_lua(lua, &v)))
        });
        m.add_method(
            "device_state",
            |lua, this, (id, state): (String, String)| {
                let r = this
                    .runtime
                    .block_on(this.engine.set_device_state(&id, &state))
                    .map(|()| Value::Boolean(true))
                    .map_err(Failure::from);
                answer(lua, r)
            },
        );
        m.add_method(
            "brick_evict",
            |lua, this, (id, healcheck): (String, Option<String>)| {
                let r = (|| {
                    let heal = HealCheck::parse(healcheck.as_deref().unwrap_or(""))?;
                    this.runtime.block_on(this.engine.evict_brick(&id, heal))
                })()
                .map(|()| Value::Boolean(true))
                .map_err(Failure::from);
                answer(lua, r)
            },
        );
        m.add_method(
            "device_replace",
            |lua, this, (id, name, healcheck): (String, String, Option<String>)| {
                let r = (|| {
                    let heal = HealCheck::parse(healcheck.as_deref().unwrap_or(""))?;
                    this.runtime
                        .block_on(this.engine.replace_device(&id, &name, heal))
                })()
                .map_err(Failure::from);
                answer(lua, r.and_then(|v| to_lua(lua, &v)))
            },
        );
        m.add_method("volume_create", |lua, this, req: Value| {
            let r = (|| {
                let req: VolumeCreateRequest = from_lua(lua, req, "volume create request")?;
                let vol = this.runtime.block_on(this.engine.create_volume(req))?;
                to_lua(lua, &vol)
            })();
            answer(lua, r)
        });
        m.add_method("volume_plan", |lua, this, req: Value| {
            let r = (|| {
                let req: VolumeCreateRequest = from_lua(lua, req, "volume create request")?;
                to_lua(lua, &this.engine.plan_volume(&req)?)
            })();
            answer(lua, r)
        });
        m.add_method("volume_info", |lua, this, id: String| {
            let r = this.engine.volume_info(&id).map_err(Failure::from);
            answer(lua, r.and_then(|v| to_lua(lua, &v)))
        });
        m.add_method("volume_list", |lua, this, ()| {
            answer(lua, to_lua(lua, &this.engine.volume_list()))
        });
        m.add_method("volume_expand", |lua, this, (id, size): (String, i64)| {
            let r = this
                .runtime
                .block_on(this.engine.expand_volume(&id, size))
                .map_err(Failure::from);
            answer(lua, r.and_then(|v| to_lua(lua, &v)))
        });
        m.add_method(
            "volume_clone",
            |lua, this, (id, name): (String, Option<String>)| {
                let r = this
                    .runtime
                    .block_on(this.engine.clone_volume(&id, name.as_deref().unwrap_or("")))
                    .map_err(Failure::from);
                answer(lua, r.and_then(|v| to_lua(lua, &v)))
            },
        );
        m.add_method("volume_delete", |lua, this, id: String| {
            let r = this
                .runtime
                .block_on(this.engine.delete_volume(&id))
                .map(|()| Value::Boolean(true))
                .map_err(Failure::from);
            answer(lua, r)
        });
    }
}
