//! [`LuaHooks`]: the engine's [`Hooks`] implemented by sandboxed Lua scripts.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use brickyard::api::{VolumeCreateRequest, VolumeInfoResponse};
use brickyard::hooks::{DeviceCandidate, Event, HookError, HookStats, Hooks, Verdict};
use mlua::{IntoLuaMulti, LuaSerdeExt, MultiValue, Value};
use serde_json::Value as Json;

use crate::error::LuaHookError;
use crate::options::LuaHookOptions;
use crate::runtime::{Handler, Outcome, Runtime, Script, describe};

/// Where a script comes from (kept for [`LuaHooks::reload`]).
#[derive(Clone, Debug)]
enum Source {
    File(PathBuf),
    Inline(Script),
}

#[derive(Default)]
struct Counters {
    calls: AtomicU64,
    errors: AtomicU64,
    timeouts: AtomicU64,
    rejections: AtomicU64,
}

/// Site policy in Lua: scripts register handlers with
/// `brickyard.on("volume.pre_create", function(req) ... end)` and the engine calls them
/// through the [`Hooks`] trait.
///
/// One sandboxed state holds every script; handlers of an event run in registration
/// order (file order, then order within a file). Calls are serialised on a mutex.
pub struct LuaHooks {
    sources: Vec<Source>,
    options: LuaHookOptions,
    runtime: Mutex<Runtime>,
    counters: Counters,
}

/// What a handler's failure means for the operation.
enum Failure {
    /// Skip the handler (fail-open).
    Skip,
    /// Fail the operation.
    Stop(HookError),
}

impl LuaHooks {
    /// Loads hook script files, in order.
    pub fn load<P: AsRef<Path>>(
        paths: impl IntoIterator<Item = P>,
        options: LuaHookOptions,
    ) -> Result<LuaHooks, LuaHookError> {
        let sources = paths
            .into_iter()
            .map(|p| Source::File(p.as_ref().to_path_buf()))
            .collect();
        LuaHooks::build(sources, options)
    }

    /// Loads hooks from inline sources: `(name, code)` pairs, in order. The name is
    /// what error messages call the script.
    pub fn from_sources(
        sources: &[(&str, &str)],
        options: LuaHookOptions,
    ) -> Result<LuaHooks, LuaHookError> {
        let sources = sources
            .iter()
            .map(|(name, code)| {
                Source::Inline(Script {
                    name: (*name).to_string(),
                    code: (*code).to_string(),
                })
            })
            .collect();
        LuaHooks::build(sources, options)
    }

    fn build(sources: Vec<Source>, options: LuaHookOptions) -> Result<LuaHooks, LuaHookError> {
        let runtime = Runtime::load(&read_all(&sources)?, &options)?;
        Ok(LuaHooks {
            sources,
            options,
            runtime: Mutex::new(runtime),
            counters: Counters::default(),
        })
    }

    /// Rebuilds the Lua state from scratch, re-reading the files. On error the
    /// previous state stays in use.
    pub fn reload(&self) -> Result<(), LuaHookError> {
        let fresh = Runtime::load(&read_all(&self.sources)?, &self.options)?;
        *self.lock() = fresh;
        Ok(())
    }

    /// The limits in force.
    pub fn options(&self) -> &LuaHookOptions {
        &self.options
    }

    /// How many handlers are registered for `event`.
    pub fn handler_count(&self, event: &str) -> usize {
        self.lock().handlers(event).count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Runtime> {
        self.runtime.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts and logs a failed handler; says whether the operation goes on.
    fn on_failure(&self, h: &Handler, message: String, timeout: bool) -> Failure {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        if timeout {
            self.counters.timeouts.fetch_add(1, Ordering::Relaxed);
        }
        let message = format!("{}: {message}", h.script);
        if self.options.fail_open {
            tracing::warn!(target: "brickyard_lua", event = %h.event, "hook failed, skipped (fail-open): {message}");
            Failure::Skip
        } else {
            tracing::warn!(target: "brickyard_lua", event = %h.event, "hook failed: {message}");
            Failure::Stop(HookError::Failed {
                event: h.event.clone(),
                message,
            })
        }
    }

    fn reject(&self, h: &Handler, reason: String) -> HookError {
        self.counters.rejections.fetch_add(1, Ordering::Relaxed);
        tracing::info!(target: "brickyard_lua", event = %h.event, script = %h.script, "rejected: {reason}");
        HookError::Rejected {
            event: h.event.clone(),
            reason,
        }
    }

    /// Runs the handlers of a `pre_*` event in order. `on_value` sees each handler's
    /// first return value (after a `false` veto was handled) and may fail.
    fn run_pre(
        &self,
        rt: &Runtime,
        event: &str,
        mut args: impl FnMut() -> mlua::Result<MultiValue>,
        mut on_value: impl FnMut(&Handler, Value) -> Result<(), String>,
    ) -> Result<(), HookError> {
        for h in rt.handlers(event) {
            self.counters.calls.fetch_add(1, Ordering::Relaxed);
            let outcome = match args() {
                Ok(a) => rt.invoke(&h.func, a),
                Err(e) => Outcome::Failed {
                    message: e.to_string(),
                    timeout: false,
                },
            };
            let failure = match outcome {
                Outcome::Returned(mut values) => {
                    let first = values.pop_front().unwrap_or(Value::Nil);
                    if first == Value::Boolean(false) {
                        let reason = match values.pop_front() {
                            Some(Value::Nil) | None => format!("rejected by {}", h.script),
                            Some(v) => describe(&v),
                        };
                        return Err(self.reject(h, reason));
                    }
                    match on_value(h, first) {
                        Ok(()) => continue,
                        Err(message) => self.on_failure(h, message, false),
                    }
                }
                Outcome::Raised(reason) => return Err(self.reject(h, reason)),
                Outcome::Failed { message, timeout } => self.on_failure(h, message, timeout),
            };
            if let Failure::Stop(e) = failure {
                return Err(e);
            }
        }
        Ok(())
    }
}

fn read_all(sources: &[Source]) -> Result<Vec<Script>, LuaHookError> {
    sources
        .iter()
        .map(|s| match s {
            Source::Inline(script) => Ok(script.clone()),
            Source::File(path) => std::fs::read_to_string(path)
                .map(|code| Script {
                    name: path.display().to_string(),
                    code,
                })
                .map_err(|source| LuaHookError::Read {
                    path: path.clone(),
                    source,
                }),
        })
        .collect()
}

/// Runs `f` between the start and the end of one engine call's deadline.
fn call<T>(rt: &Runtime, f: impl FnOnce() -> T) -> T {
    rt.begin_call();
    let out = f();
    rt.end_call();
    out
}

impl Hooks for LuaHooks {
    fn pre_create(&self, req: VolumeCreateRequest) -> Result<VolumeCreateRequest, HookError> {
        let rt = self.lock();
        if !rt.has("volume.pre_create") {
            return Ok(req);
        }
        let lua = rt.lua();
        let event = "volume.pre_create";
        call(&rt, || {
            let first = rt.to_lua(&req).map_err(|e| HookError::Failed {
                event: event.into(),
                message: e.to_string(),
            })?;
            // Each handler gets the request as the previous one left it.
            let current = RefCell::new(first);
            let mut changed_by: Option<String> = None;
            self.run_pre(
                &rt,
                event,
                || Ok(MultiValue::from_iter([current.borrow().clone()])),
                |h, v| match v {
                    Value::Nil | Value::Boolean(true) => Ok(()),
                    Value::Table(_) => {
                        *current.borrow_mut() = v;
                        changed_by = Some(h.script.clone());
                        Ok(())
                    }
                    other => Err(format!(
                        "returned a {}; expected a request table, true, nil, or false and a reason",
                        other.type_name()
                    )),
                },
            )?;
            let Some(script) = changed_by else {
                return Ok(req);
            };
            match lua.from_value::<VolumeCreateRequest>(current.into_inner()) {
                Ok(shaped) => {
                    if shaped != req {
                        tracing::info!(target: "brickyard_lua", event, script = %script, before = ?req, after = ?shaped, "request changed by hook");
                    }
                    Ok(shaped)
                }
                Err(e) => {
                    self.counters.errors.fetch_add(1, Ordering::Relaxed);
                    let message = format!("{script}: returned an invalid request: {e}");
                    if self.options.fail_open {
                        tracing::warn!(target: "brickyard_lua", event, "{message}; request left unchanged (fail-open)");
                        Ok(req)
                    } else {
                        Err(HookError::Failed {
                            event: event.into(),
                            message,
                        })
                    }
                }
            }
        })
    }

    fn pre_expand(&self, volume: &VolumeInfoResponse, expand_size: i64) -> Result<(), HookError> {
        let rt = self.lock();
        let event = "volume.pre_expand";
        if !rt.has(event) {
            return Ok(());
        }
        call(&rt, || {
            let vol = rt.to_lua(volume).map_err(|e| HookError::Failed {
                event: event.into(),
                message: e.to_string(),
            })?;
            self.run_pre(
                &rt,
                event,
                || (vol.clone(), expand_size).into_lua_multi(rt.lua()),
                |_, _| Ok(()),
            )
        })
    }

    fn has_placement_hooks(&self) -> bool {
        let rt = self.lock();
        rt.has("placement.filter") || rt.has("placement.score")
    }

    fn place(
        &self,
        request: &Json,
        candidates: &[DeviceCandidate],
    ) -> Result<Vec<Verdict>, HookError> {
        let rt = self.lock();
        let filters: Vec<&Handler> = rt.handlers("placement.filter").collect();
        let scorers: Vec<&Handler> = rt.handlers("placement.score").collect();
        if filters.is_empty() && scorers.is_empty() {
            return Ok(vec![Verdict::Keep(0.0); candidates.len()]);
        }
        rt.set_candidates(candidates);
        call(&rt, || {
            let fail = |event: &str, e: mlua::Error| HookError::Failed {
                event: event.into(),
                message: e.to_string(),
            };
            let ctx = rt.to_lua(request).map_err(|e| fail("placement", e))?;
            let mut verdicts = Vec::with_capacity(candidates.len());
            for c in candidates {
                let dev = rt.to_lua(c).map_err(|e| fail("placement", e))?;
                let mut keep = true;
                for h in &filters {
                    match self.placement_value(&rt, h, (dev.clone(), ctx.clone()))? {
                        None | Some(Value::Nil | Value::Boolean(true)) => {}
                        Some(Value::Boolean(false)) => {
                            keep = false;
                            break;
                        }
                        Some(other) => self.go_on_after(
                            h,
                            format!("returned a {}; expected a boolean", other.type_name()),
                            false,
                        )?,
                    }
                }
                if !keep {
                    verdicts.push(Verdict::Drop);
                    continue;
                }
                let mut score = 0.0;
                for h in &scorers {
                    match self.placement_value(&rt, h, (dev.clone(), ctx.clone()))? {
                        None | Some(Value::Nil) => {}
                        Some(Value::Integer(i)) => score += i as f64,
                        Some(Value::Number(n)) if n.is_finite() => score += n,
                        Some(other) => self.go_on_after(
                            h,
                            format!("returned {}; expected a finite number", describe(&other)),
                            false,
                        )?,
                    }
                }
                verdicts.push(Verdict::Keep(score));
            }
            Ok(verdicts)
        })
    }

    fn notify(&self, event: &Event) {
        let rt = self.lock();
        if !rt.has(event.name) {
            return;
        }
        call(&rt, || {
            let payload = match rt.to_lua(&event.payload) {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(target: "brickyard_lua", event = event.name, "cannot pass the event to Lua: {e}");
                    return;
                }
            };
            for h in rt.handlers(event.name) {
                self.counters.calls.fetch_add(1, Ordering::Relaxed);
                match rt.invoke(&h.func, payload.clone()) {
                    Outcome::Returned(_) => {}
                    Outcome::Raised(m)
                    | Outcome::Failed {
                        message: m,
                        timeout: false,
                    } => {
                        // Notifications never fail the operation, whatever the policy.
                        self.on_failure_logged(h, m, false);
                    }
                    Outcome::Failed {
                        message,
                        timeout: true,
                    } => {
                        self.on_failure_logged(h, message, true);
                    }
                }
            }
        });
    }

    fn stats(&self) -> HookStats {
        HookStats {
            calls: self.counters.calls.load(Ordering::Relaxed),
            errors: self.counters.errors.load(Ordering::Relaxed),
            timeouts: self.counters.timeouts.load(Ordering::Relaxed),
            rejections: self.counters.rejections.load(Ordering::Relaxed),
        }
    }
}

impl LuaHooks {
    /// Runs a placement handler: its first return value, or `None` when it failed and
    /// the policy skips it (fail-open); an error when the failure stops the operation.
    fn placement_value(
        &self,
        rt: &Runtime,
        h: &Handler,
        args: impl mlua::IntoLuaMulti,
    ) -> Result<Option<Value>, HookError> {
        self.counters.calls.fetch_add(1, Ordering::Relaxed);
        match rt.invoke(&h.func, args) {
            Outcome::Returned(mut v) => Ok(Some(v.pop_front().unwrap_or(Value::Nil))),
            Outcome::Raised(message) => self.go_on_after(h, message, false).map(|()| None),
            Outcome::Failed { message, timeout } => {
                self.go_on_after(h, message, timeout).map(|()| None)
            }
        }
    }

    /// [`LuaHooks::on_failure`] as a `Result`: `Ok` when the operation goes on.
    fn go_on_after(&self, h: &Handler, message: String, timeout: bool) -> Result<(), HookError> {
        match self.on_failure(h, message, timeout) {
            Failure::Skip => Ok(()),
            Failure::Stop(e) => Err(e),
        }
    }

    /// Counts and logs a failed notification handler (never fails anything).
    fn on_failure_logged(&self, h: &Handler, message: String, timeout: bool) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        if timeout {
            self.counters.timeouts.fetch_add(1, Ordering::Relaxed);
        }
        tracing::warn!(target: "brickyard_lua", event = %h.event, "notification hook failed: {}: {message}", h.script);
    }
}
