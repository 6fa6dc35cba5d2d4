//! A sandboxed Lua state: whitelisted libraries only, a memory limit, and an
//! instruction budget plus a wall-clock deadline enforced by a VM hook.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mlua::{Function, HookTriggers, Lua, LuaOptions, StdLib, Value, VmState};

use crate::options::LuaHookOptions;

/// Globals of the base library that scripts must not have: code loading (text or
/// bytecode), file access and GC control.
const FORBIDDEN_GLOBALS: &[&str] = &["load", "loadfile", "dofile", "collectgarbage", "require"];

/// Instructions between two checks of the budget and the deadline.
const MAX_STEP: u32 = 1000;

/// Why a call was stopped by the VM hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trip {
    Instructions,
    Deadline,
}

/// The budget of the running call, shared with the VM hook.
///
/// Once tripped it stays tripped until the next call starts, so a script that catches
/// the error with `pcall` is stopped again at the next check.
pub(crate) struct Budget {
    base: Instant,
    per_call: u64,
    remaining: AtomicI64,
    /// Nanoseconds after `base`; `u64::MAX` when no call runs.
    deadline_ns: AtomicU64,
    /// 0: running, 1: instructions, 2: deadline.
    tripped: AtomicU8,
}

impl Budget {
    fn new(per_call: u64) -> Budget {
        Budget {
            base: Instant::now(),
            per_call,
            remaining: AtomicI64::new(i64::MAX),
            deadline_ns: AtomicU64::new(u64::MAX),
            tripped: AtomicU8::new(0),
        }
    }

    /// Starts the wall clock of one engine call (all handlers it runs).
    pub(crate) fn start_deadline(&self, deadline: Duration) {
        let now = self.base.elapsed();
        let end = now.saturating_add(deadline);
        let ns = u64::try_from(end.as_nanos()).unwrap_or(u64::MAX - 1);
        self.deadline_ns.store(ns, Ordering::Relaxed);
    }

    /// Lifts the deadline (between engine calls).
    pub(crate) fn clear_deadline(&self) {
        self.deadline_ns.store(u64::MAX, Ordering::Relaxed);
    }

    /// Refills the instruction budget for one handler invocation.
    pub(crate) fn start_invocation(&self) {
        let budget = i64::try_from(self.per_call).unwrap_or(i64::MAX);
        self.remaining.store(budget, Ordering::Relaxed);
        self.tripped.store(0, Ordering::Relaxed);
    }

    /// Whether the deadline of the current engine call has passed.
    pub(crate) fn past_deadline(&self) -> bool {
        let ns = u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        ns > self.deadline_ns.load(Ordering::Relaxed)
    }

    /// What stopped the last invocation, if anything.
    pub(crate) fn tripped(&self) -> Option<Trip> {
        match self.tripped.load(Ordering::Relaxed) {
            1 => Some(Trip::Instructions),
            2 => Some(Trip::Deadline),
            _ => None,
        }
    }

    fn check(&self, step: u32) -> Result<(), Trip> {
        if let Some(trip) = self.tripped() {
            return Err(trip);
        }
        let step = i64::from(step);
        let trip = if self.remaining.fetch_sub(step, Ordering::Relaxed) <= step {
            Some(Trip::Instructions)
        } else if self.past_deadline() {
            Some(Trip::Deadline)
        } else {
            None
        };
        match trip {
            Some(t) => {
                let code = if t == Trip::Instructions { 1 } else { 2 };
                self.tripped.store(code, Ordering::Relaxed);
                Err(t)
            }
            None => Ok(()),
        }
    }
}

/// Replaces `pcall` / `xpcall` by versions that re-raise once the budget has tripped,
/// so a script cannot catch the budget error and go on.
const GUARDED_PCALL: &str = r#"
local raw_pcall, raw_xpcall, tripped, error = ...
local function pass(ok, ...)
  if not ok and tripped() then
    error((...), 0)
  end
  return ok, ...
end
pcall = function(f, ...) return pass(raw_pcall(f, ...)) end
xpcall = function(f, h, ...) return pass(raw_xpcall(f, h, ...)) end
"#;

/// A fresh sandboxed state with its budget hook installed (deadline not started), and
/// the original `pcall` for the host.
pub(crate) fn new_state(options: &LuaHookOptions) -> mlua::Result<(Lua, Arc<Budget>, Function)> {
    let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::UTF8;
    let lua = Lua::new_with(libs, LuaOptions::new())?;
    let globals = lua.globals();
    for name in FORBIDDEN_GLOBALS {
        globals.raw_set(*name, Value::Nil)?;
    }
    // `string.dump` produces bytecode; nothing here may handle bytecode.
    let string: mlua::Table = globals.get("string")?;
    string.raw_set("dump", Value::Nil)?;
    let budget = Arc::new(Budget::new(options.instruction_budget.max(1)));
    let raw_pcall: Function = globals.get("pcall")?;
    let raw_xpcall: Function = globals.get("xpcall")?;
    let flag = budget.clone();
    let tripped = lua.create_function(move |_, ()| Ok(flag.tripped().is_some()))?;
    let error: Function = globals.get("error")?;
    lua.load(GUARDED_PCALL)
        .set_name("=brickyard-sandbox")
        .call::<()>((raw_pcall.clone(), raw_xpcall, tripped, error))?;
    let step =
        u32::try_from(options.instruction_budget.clamp(1, u64::from(MAX_STEP))).unwrap_or(MAX_STEP);
    let hook_budget = budget.clone();
    let instructions = options.instruction_budget;
    let deadline = options.deadline;
    lua.set_hook(
        HookTriggers::new().every_nth_instruction(step),
        move |_lua, _debug| match hook_budget.check(step) {
            Ok(()) => Ok(VmState::Continue),
            Err(trip) => Err(mlua::Error::runtime(trip_message(
                trip,
                instructions,
                deadline,
            ))),
        },
    )?;
    if options.memory_limit > 0 {
        lua.set_memory_limit(options.memory_limit)?;
    }
    Ok((lua, budget, raw_pcall))
}

/// The message of a stopped call.
pub(crate) fn trip_message(trip: Trip, instructions: u64, deadline: Duration) -> String {
    match trip {
        Trip::Instructions => format!("instruction budget of {instructions} exhausted"),
        Trip::Deadline => format!("deadline of {} ms exceeded", deadline.as_millis()),
    }
}
