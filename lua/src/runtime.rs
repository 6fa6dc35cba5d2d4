//! One generation of the hook host: a sandboxed Lua state with the scripts loaded and
//! their handlers registered. `reload` builds a new one from scratch.

use std::sync::{Arc, Mutex, PoisonError};

use brickyard::hooks::DeviceCandidate;
use mlua::chunk::ChunkMode;
use mlua::serde::SerializeOptions;
use mlua::{Function, Lua, LuaSerdeExt, MultiValue, Value};
use serde::Serialize;

use crate::error::LuaHookError;
use crate::options::LuaHookOptions;
use crate::sandbox::{self, Budget};

/// Every event a script may register for.
pub const EVENTS: &[&str] = &[
    "volume.pre_create",
    "volume.pre_expand",
    "placement.filter",
    "placement.score",
    "volume.post_create",
    "volume.post_expand",
    "volume.post_clone",
    "volume.post_delete",
    "node.post_add",
    "node.post_delete",
    "node.post_state",
    "device.post_add",
    "device.post_delete",
    "device.post_state",
    "operation.failed",
];

/// Lua's own text for an allocation failure.
const MEMORY_ERROR: &str = "not enough memory";

/// A hook script: a file, or inline source with a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Script {
    pub name: String,
    pub code: String,
}

/// A registered handler.
pub(crate) struct Handler {
    pub event: String,
    pub script: String,
    pub func: Function,
}

/// How one handler invocation ended.
pub(crate) enum Outcome {
    /// It returned these values.
    Returned(MultiValue),
    /// It raised a table (`error{reason = ...}`): a deliberate veto.
    Raised(String),
    /// It failed: an error, the memory limit, or (`timeout`) the budget or deadline.
    Failed { message: String, timeout: bool },
}

/// State shared with the host API closures.
#[derive(Default)]
struct Shared {
    /// Handlers registered so far; `None` once loading is over.
    registering: Option<Vec<Handler>>,
    /// The script being loaded (for handler attribution).
    current: String,
    /// The candidates of the placement call in progress.
    candidates: Vec<DeviceCandidate>,
}

/// A loaded Lua state with its handlers.
pub(crate) struct Runtime {
    lua: Lua,
    budget: Arc<Budget>,
    pcall: Function,
    shared: Arc<Mutex<Shared>>,
    handlers: Vec<Handler>,
    options: LuaHookOptions,
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

fn setup_error(e: mlua::Error) -> LuaHookError {
    LuaHookError::Setup(e.to_string())
}

impl Runtime {
    /// Builds the sandbox, installs the host API and runs every script's top level.
    pub fn load(scripts: &[Script], options: &LuaHookOptions) -> Result<Runtime, LuaHookError> {
        let (lua, budget, pcall) = sandbox::new_state(options).map_err(setup_error)?;
        let shared = Arc::new(Mutex::new(Shared {
            registering: Some(Vec::new()),
            ..Shared::default()
        }));
        install_host_api(&lua, &shared).map_err(setup_error)?;
        let mut rt = Runtime {
            lua,
            budget,
            pcall,
            shared,
            handlers: Vec::new(),
            options: options.clone(),
        };
        for script in scripts {
            lock(&rt.shared).current = script.name.clone();
            rt.budget.start_deadline(options.deadline);
            rt.budget.start_invocation();
            let chunk = rt
                .lua
                .load(script.code.as_str())
                .set_name(format!("@{}", script.name))
                .set_mode(ChunkMode::Text)
                .into_function()
                .map_err(|e| LuaHookError::Script {
                    script: script.name.clone(),
                    message: e.to_string(),
                })?;
            let outcome = rt.invoke(&chunk, ());
            rt.budget.clear_deadline();
            match outcome {
                Outcome::Returned(_) => {}
                Outcome::Raised(message) | Outcome::Failed { message, .. } => {
                    return Err(LuaHookError::Script {
                        script: script.name.clone(),
                        message,
                    });
                }
            }
        }
        rt.handlers = lock(&rt.shared).registering.take().unwrap_or_default();
        Ok(rt)
    }

    /// The handlers of `event`, in registration order.
    pub fn handlers(&self, event: &str) -> impl Iterator<Item = &Handler> {
        self.handlers.iter().filter(move |h| h.event == event)
    }

    /// Whether any handler is registered for `event`.
    pub fn has(&self, event: &str) -> bool {
        self.handlers(event).next().is_some()
    }

    pub fn lua(&self) -> &Lua {
        &self.lua
    }

    /// A plain Lua value of `v` (`None` becomes `nil`).
    pub fn to_lua<T: Serialize + ?Sized>(&self, v: &T) -> mlua::Result<Value> {
        let opts = SerializeOptions::new()
            .serialize_none_to_null(false)
            .serialize_unit_to_null(false);
        self.lua.to_value_with(v, opts)
    }

    /// Starts the deadline of one engine call; `end_call` lifts it.
    pub fn begin_call(&self) {
        self.budget.start_deadline(self.options.deadline);
    }

    pub fn end_call(&self) {
        self.budget.clear_deadline();
        lock(&self.shared).candidates.clear();
    }

    /// Makes `candidates` what `brickyard.devices()` returns during this call.
    pub fn set_candidates(&self, candidates: &[DeviceCandidate]) {
        lock(&self.shared).candidates = candidates.to_vec();
    }

    /// Runs one handler under the budget, catching every error inside Lua so a raised
    /// table is seen as such.
    pub fn invoke(&self, func: &Function, args: impl mlua::IntoLuaMulti) -> Outcome {
        let limits = &self.options;
        let timeout = |trip| Outcome::Failed {
            message: sandbox::trip_message(trip, limits.instruction_budget, limits.deadline),
            timeout: true,
        };
        if self.budget.past_deadline() {
            return timeout(sandbox::Trip::Deadline);
        }
        self.budget.start_invocation();
        let result = args.into_lua_multi(&self.lua).and_then(|args| {
            let mut all = MultiValue::new();
            all.push_back(Value::Function(func.clone()));
            all.extend(args);
            self.pcall.call::<MultiValue>(all)
        });
        if let Some(trip) = self.budget.tripped() {
            return timeout(trip);
        }
        let mut values = match result {
            Ok(values) => values,
            Err(e) => return failed(&e.to_string()),
        };
        match values.pop_front() {
            Some(Value::Boolean(true)) => Outcome::Returned(values),
            _ => match values.pop_front().unwrap_or(Value::Nil) {
                Value::Table(t) => {
                    let text = ["reason", "message"]
                        .iter()
                        .find_map(|k| t.get::<Option<String>>(*k).ok().flatten())
                        .unwrap_or_else(|| "rejected".to_string());
                    Outcome::Raised(text)
                }
                other => failed(&describe(&other)),
            },
        }
    }
}

fn failed(message: &str) -> Outcome {
    let message = if message.contains(MEMORY_ERROR) || message.contains("memory error") {
        "memory limit exceeded (not enough memory)".to_string()
    } else {
        message.to_string()
    };
    Outcome::Failed {
        message,
        timeout: false,
    }
}

/// A Lua value as text for an error message.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Nil => "nil".to_string(),
        Value::String(s) => s.to_string_lossy(),
        other => other
            .to_string()
            .unwrap_or_else(|_| other.type_name().to_string()),
    }
}

/// The `brickyard` global: `on`, `log`, `devices`, `events`.
fn install_host_api(lua: &Lua, shared: &Arc<Mutex<Shared>>) -> mlua::Result<()> {
    let api = lua.create_table()?;
    let reg = shared.clone();
    api.set(
        "on",
        lua.create_function(move |_, (event, func): (String, Function)| {
            if !EVENTS.contains(&event.as_str()) {
                return Err(mlua::Error::runtime(format!(
                    "unknown event '{event}' (known: {})",
                    EVENTS.join(", ")
                )));
            }
            let mut s = lock(&reg);
            let script = s.current.clone();
            match s.registering.as_mut() {
                Some(list) => {
                    list.push(Handler {
                        event,
                        script,
                        func,
                    });
                    Ok(())
                }
                None => Err(mlua::Error::runtime(
                    "brickyard.on may only be called while the scripts load",
                )),
            }
        })?,
    )?;
    api.set(
        "log",
        lua.create_function(|_, (level, msg): (String, Value)| {
            let msg = describe(&msg);
            match level.as_str() {
                "error" => tracing::error!(target: "brickyard_lua", "{msg}"),
                "warn" => tracing::warn!(target: "brickyard_lua", "{msg}"),
                "info" => tracing::info!(target: "brickyard_lua", "{msg}"),
                "debug" => tracing::debug!(target: "brickyard_lua", "{msg}"),
                "trace" => tracing::trace!(target: "brickyard_lua", "{msg}"),
                other => {
                    return Err(mlua::Error::runtime(format!(
                        "unknown log level '{other}' (error, warn, info, debug, trace)"
                    )));
                }
            }
            Ok(())
        })?,
    )?;
    let snap = shared.clone();
    api.set(
        "devices",
        lua.create_function(move |lua, ()| {
            // A fresh copy each time: scripts can change it, the engine never sees it.
            let candidates = lock(&snap).candidates.clone();
            let opts = SerializeOptions::new()
                .serialize_none_to_null(false)
                .serialize_unit_to_null(false);
            lua.to_value_with(&candidates, opts)
        })?,
    )?;
    let events = lua.create_sequence_from(EVENTS.iter().copied())?;
    api.set("events", events)?;
    lua.globals().set("brickyard", api)?;
    // `print` goes to the log instead of stdout.
    lua.globals().set(
        "print",
        lua.create_function(|_, args: MultiValue| {
            let text: Vec<String> = args.iter().map(describe).collect();
            tracing::info!(target: "brickyard_lua", "{}", text.join("\t"));
            Ok(())
        })?,
    )?;
    Ok(())
}
