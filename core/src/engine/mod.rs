//! The engine façade: the one object every front door drives.
//!
//! Operations follow Heketi's Build / Exec / Finalize split:
//! - **Build** (synchronous, under the state lock): validate, place, and commit one
//!   store transaction that reserves space and records a pending operation;
//! - **Exec** (async, no lock held): commands on the nodes through the [`Executor`];
//! - **Finalize** or **Rollback** (one more transaction).
//!
//! `begin_*` methods run Build and return the rest as a future, so a server can answer
//! validation and placement errors synchronously and queue the remainder. A crash between
//! Build and Finalize leaves the pending operation in the store; [`Engine::open`] cleans
//! it up (undoing on the nodes what was done) and reports it.

mod brick_evict;
mod brick_replace;
mod check;
mod cleanup;
mod cluster_ops;
mod commit;
mod device_ops;
mod device_remove;
mod drift;
mod export;
mod hosts;
mod intents;
#[cfg(feature = "mock")]
mod mock_restore;
mod new_bricks;
mod node_ops;
mod options;
mod placement_hooks;
mod read;
mod read_json;
mod reconcile;
mod replace;
mod rollback;
mod state_change;
mod tags;
mod topology_apply;
mod validate;
mod views;
mod volume_clone;
mod volume_create;
mod volume_delete;
mod volume_expand;
mod volume_plan;
mod volume_spec;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub use brick_replace::HealCheck;
pub use check::CheckReport;
pub use cleanup::{CleanedOperation, CleanupOutcome, CleanupReport};
pub use device_remove::RemovalProgress;
pub use drift::{Drift, DriftKind, ReconcileReport};
pub use export::to_heketi_json;
pub use options::{DbLocation, EngineOptions};
pub use read_json::TopologyOutline;
pub use replace::NodeReplaceRequest;
pub use topology_apply::{ItemOutcome, TopologyItem, TopologyReport};
pub use validate::tags_problem;
pub use volume_clone::CLONE_BLOCK_REFUSED;
pub use volume_delete::HEKETI_DB_VOLUME;
pub use volume_plan::{PlannedBrickInfo, VolumePlan};

use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::placement::ClusterView;
use crate::state::{Changes, State, Txn};
use crate::store::Store;

/// The Brickyard engine. Cheap to clone (an `Arc` inside); `Send + Sync`.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
}

struct Shared {
    inner: Mutex<Inner>,
    /// Makes staged changes durable (group commit).
    committer: commit::Committer,
    executor: Arc<dyn Executor>,
    options: EngineOptions,
    /// Operations running in this process (never touched by the cleaner).
    in_flight: Mutex<HashSet<String>>,
    /// What opening the engine cleaned up.
    recovery: Mutex<CleanupReport>,
    /// Bumped by every change staged to the records and by every [`Busy`] guard: a
    /// reading of the nodes taken while it stayed the same saw no operation's step.
    generation: AtomicU64,
    /// Node and device deletions running (they change nodes before their records).
    busy: AtomicUsize,
    /// One lock per cluster, held by a node add or delete from the choice of the peer
    /// it probes from (or detaches from) to its record: two adds into an empty cluster
    /// would otherwise each find no peer and start two gluster pools.
    pools: Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

struct Inner {
    state: State,
    views: BTreeMap<String, ClusterView>,
    /// Hostnames (and `device:<node>:<name>` keys) claimed by node and device additions
    /// that have not finished yet, and `node-delete:<node>` keys of node deletes in
    /// progress; released by [`ReservedNames`].
    reserved_hosts: HashSet<String>,
    /// Undo of each change applied to memory but not yet known durable, in staging
    /// order: when a commit fails, memory goes back to the durable state with them.
    unsaved: Vec<(commit::Ticket, Changes)>,
    /// The big read answers as JSON, dropped by every change to the state.
    read_cache: read_json::ReadCache,
}

impl Engine {
    /// Opens the engine over its store and executor. Pending operations left by a crash
    /// are cleaned up before it returns (see [`Engine::recovery_report`]).
    pub async fn open(options: EngineOptions, executor: Arc<dyn Executor>) -> Result<Engine> {
        let store = match &options.db {
            DbLocation::File(path) => Store::open(path)?,
            DbLocation::Memory => Store::in_memory()?,
        };
        let state = State::load(&store)?;
        Self::from_parts(options, executor, store, state).await
    }

    /// Opens the engine over a store the caller opened (e.g. on a fault-injecting
    /// backend, [`crate::store::FaultyBackend`]); `options.db` is not opened, only shown.
    pub async fn open_with_store(
        options: EngineOptions,
        executor: Arc<dyn Executor>,
        store: Store,
    ) -> Result<Engine> {
        let state = State::load(&store)?;
        Self::from_parts(options, executor, store, state).await
    }

    /// Creates a new engine whose store holds the records of a Heketi `db export`.
    /// Refuses a store that already holds data.
    pub async fn import(
        options: EngineOptions,
        executor: Arc<dyn Executor>,
        export: crate::model::DbExport,
    ) -> Result<Engine> {
        let store = match &options.db {
            DbLocation::File(path) => Store::open(path)?,
            DbLocation::Memory => Store::in_memory()?,
        };
        if !store.is_empty()? {
            return Err(crate::store::StoreError::NotEmpty.into());
        }
        let state = export::prepare_import(export)?;
        store.commit(&state.to_changeset())?;
        Self::from_parts(options, executor, store, state).await
    }

    async fn from_parts(
        options: EngineOptions,
        executor: Arc<dyn Executor>,
        store: Store,
        state: State,
    ) -> Result<Engine> {
        let views = views::build_all(&state);
        let cleanup_on_open = options.cleanup_on_open;
        let engine = Engine {
            shared: Arc::new(Shared {
                inner: Mutex::new(Inner {
                    state,
                    views,
                    reserved_hosts: HashSet::new(),
                    unsaved: Vec::new(),
                    read_cache: read_json::ReadCache::default(),
                }),
                committer: commit::Committer::start(store)?,
                executor,
                options,
                in_flight: Mutex::new(HashSet::new()),
                recovery: Mutex::new(CleanupReport::default()),
                generation: AtomicU64::new(0),
                busy: AtomicUsize::new(0),
                pools: Mutex::new(std::collections::HashMap::new()),
            }),
        };
        engine.mark_all_stale()?;
        if cleanup_on_open {
            let report = engine.cleanup_pending(None).await?;
            *engine
                .shared
                .recovery
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = report;
        }
        Ok(engine)
    }

    /// What [`Engine::open`] found pending and cleaned up.
    pub fn recovery_report(&self) -> CleanupReport {
        self.shared
            .recovery
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The options the engine was opened with.
    pub fn options(&self) -> &EngineOptions {
        &self.shared.options
    }

    /// The executor the engine drives.
    pub fn executor(&self) -> &Arc<dyn Executor> {
        &self.shared.executor
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied change: memory is
        // updated in one step, after the transaction's function returned.
        let mut inner = self.shared.inner.lock().unwrap_or_else(|p| p.into_inner());
        if !inner.unsaved.is_empty() && self.shared.committer.is_poisoned() {
            self.forget_unsaved(&mut inner);
        }
        inner
    }

    /// After a failed commit: puts memory back to the durable state by undoing, newest
    /// first, every change that was applied but never made durable. Reads then answer
    /// what a restart will load, not what was lost.
    fn forget_unsaved(&self, inner: &mut Inner) {
        let durable = self.shared.committer.durable_ticket();
        let unsaved = std::mem::take(&mut inner.unsaved);
        let mut undone = 0;
        for (ticket, undo) in unsaved.into_iter().rev() {
            if ticket > durable {
                inner.state.apply(undo);
                undone += 1;
            }
        }
        inner.read_cache.clear();
        inner.views = views::build_all(&inner.state);
        tracing::warn!(
            changes = undone,
            "a store commit failed: changes that were not saved are undone in memory"
        );
    }

    /// Runs `f` in a transaction and returns once its changes are durable (blocking).
    fn write<R>(&self, f: impl FnOnce(&mut Txn<'_>) -> Result<R>) -> Result<R> {
        let (out, ticket) = self.stage(self.lock(), f)?;
        if let Some(t) = ticket {
            self.shared.committer.wait_blocking(t)?;
        }
        Ok(out)
    }

    /// Runs `f` in a transaction and waits, without holding a runtime thread, until its
    /// changes are durable.
    async fn write_async<R>(&self, f: impl FnOnce(&mut Txn<'_>) -> Result<R>) -> Result<R> {
        let (out, ticket) = self.stage(self.lock(), f)?;
        if let Some(t) = ticket {
            self.shared.committer.wait(t).await?;
        }
        Ok(out)
    }

    /// Runs `f` in a transaction (an operation's Finalize) and builds the operation's
    /// answer with `answer` from the state just after it, under the same lock: no other
    /// operation (a delete sent right after) can change what the answer shows. Returns
    /// once the changes are durable; `Id not found` only if `answer` finds nothing in
    /// the state `f` itself left.
    async fn finalize_with<A>(
        &self,
        f: impl FnOnce(&mut Txn<'_>) -> Result<()>,
        answer: impl FnOnce(&State) -> Option<A>,
    ) -> Result<A> {
        let (out, ticket) = {
            let mut inner = self.lock();
            let ((), ticket) = self.stage_locked(&mut inner, f)?;
            (answer(&inner.state), ticket)
        };
        if let Some(t) = ticket {
            self.shared.committer.wait(t).await?;
        }
        not_found_if_none(out)
    }

    /// Resolves once a staged step (`ticket`) is durable; at once when nothing was staged.
    fn durable(
        &self,
        ticket: Option<commit::Ticket>,
    ) -> impl std::future::Future<Output = Result<()>> + Send + 'static {
        let wait = ticket.map(|t| self.shared.committer.wait(t));
        async move {
            match wait {
                Some(w) => w.await,
                None => Ok(()),
            }
        }
    }

    /// Runs `f` in a transaction on the locked state, applies its changes to memory and
    /// queues them for the next group commit. The caller must wait for the ticket before
    /// anything depends on the changes being durable (before acknowledging, and before
    /// any command runs on a node).
    ///
    /// **Architecture Invariant**: no operation acknowledges a step, and no executor
    /// command runs for it, before that step is durable. A failed commit poisons the
    /// engine: writes are refused until it is opened again, which reloads the durable
    /// state (and cleans pending operations).
    fn stage<'a, R>(
        &'a self,
        mut inner: MutexGuard<'a, Inner>,
        f: impl FnOnce(&mut Txn<'_>) -> Result<R>,
    ) -> Result<(R, Option<commit::Ticket>)> {
        self.stage_locked(&mut inner, f)
    }

    /// [`Engine::stage`] on state the caller keeps locked (to read it afterwards).
    fn stage_locked<R>(
        &self,
        inner: &mut Inner,
        f: impl FnOnce(&mut Txn<'_>) -> Result<R>,
    ) -> Result<(R, Option<commit::Ticket>)> {
        self.shared.committer.check()?;
        let mut txn = Txn::new(&inner.state);
        let out = f(&mut txn)?;
        let changes = txn.into_changes();
        let cs = changes.to_changeset();
        if cs.is_empty() {
            return Ok((out, None));
        }
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
        let touched = views::touched(&inner.state, &changes);
        let undo = inner.state.undo_of(&changes);
        inner.state.apply(changes);
        inner.read_cache.clear();
        views::refresh(&mut inner.views, &inner.state, touched);
        let ticket = match self.shared.committer.stage(cs) {
            Ok(t) => t,
            Err(e) => {
                // Poisoned in between: this change never reaches the store.
                inner.state.apply(undo);
                inner.read_cache.clear();
                self.forget_unsaved(inner);
                return Err(e);
            }
        };
        let durable = self.shared.committer.durable_ticket();
        inner.unsaved.retain(|(t, _)| *t > durable);
        inner.unsaved.push((ticket, undo));
        Ok((out, Some(ticket)))
    }

    /// Makes what is queued durable and closes the database cleanly (the next open
    /// needs no repair); every later write is refused ([`crate::store::StoreError::Closed`]),
    /// reads still answer from memory. A process that exits right after may then skip
    /// freeing the in-memory state (`std::mem::forget`): with many volumes, freeing
    /// millions of small records takes longer than everything else at exit. Dropping
    /// the last clone of an engine closes it too.
    pub fn close(&self) {
        self.shared.committer.close();
    }

    /// A snapshot of the state (for tests, export and consistency checks).
    pub fn state(&self) -> State {
        self.lock().state.clone()
    }

    fn track(&self, op_id: &str) -> InFlight {
        let mut set = self
            .shared
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        set.insert(op_id.to_string());
        InFlight {
            engine: self.clone(),
            id: op_id.to_string(),
        }
    }

    fn is_in_flight(&self, op_id: &str) -> bool {
        self.shared
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(op_id)
    }

    /// Number of operations running in this process.
    pub fn in_flight_count(&self) -> usize {
        self.shared
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }
}

impl Engine {
    /// Marks a node or device deletion as running until dropped (see [`Engine::activity`]).
    fn busy(&self) -> Busy {
        self.shared.busy.fetch_add(1, Ordering::SeqCst);
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
        Busy {
            engine: self.clone(),
        }
    }

    /// Waits for (and holds) the pool lock of `cluster` (see [`Shared::pools`]).
    async fn pool_lock(&self, cluster: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut pools = self.shared.pools.lock().unwrap_or_else(|p| p.into_inner());
            pools.entry(cluster.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// The write generation, and whether the engine is quiet: no operation in flight,
    /// no node or device being added or deleted. Two equal generations around a
    /// reading of the nodes, both quiet, mean no operation changed anything meanwhile.
    pub(crate) fn activity(&self) -> (u64, bool) {
        let reserved = !self.lock().reserved_hosts.is_empty();
        let quiet = !reserved
            && self.in_flight_count() == 0
            && self.shared.busy.load(Ordering::SeqCst) == 0;
        (self.shared.generation.load(Ordering::SeqCst), quiet)
    }
}

/// A node or device deletion in progress (see [`Engine::activity`]).
struct Busy {
    engine: Engine,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.engine.shared.generation.fetch_add(1, Ordering::SeqCst);
        self.engine.shared.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Marks an operation as running in this process until dropped.
struct InFlight {
    engine: Engine,
    id: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut set = self
            .engine
            .shared
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        set.remove(&self.id);
    }
}

impl Engine {
    /// The hooks, if any.
    pub(crate) fn hooks(&self) -> Option<&Arc<dyn crate::hooks::Hooks>> {
        self.shared.options.hooks.as_ref()
    }

    /// Announces the outcome of an operation to the hooks: `event` with `payload` on
    /// success, `operation.failed` on failure. Returns `result` unchanged.
    pub(crate) fn announce<T>(
        &self,
        operation: &'static str,
        event: &'static str,
        payload: impl FnOnce(&T) -> serde_json::Value,
        result: Result<T>,
    ) -> Result<T> {
        if let Some(h) = self.hooks() {
            let ev = match &result {
                Ok(v) => crate::hooks::Event {
                    name: event,
                    payload: payload(v),
                },
                Err(e) => crate::hooks::Event {
                    name: "operation.failed",
                    payload: serde_json::json!({"operation": operation, "kind": e.kind().as_str(), "error": e.to_string()}),
                },
            };
            h.notify(&ev);
        }
        result
    }
}

/// Names (hostnames, `device:<node>:<name>`) held by an add that has not finished:
/// released when the add's future ends or is dropped unstarted, so a caller that
/// builds an add and then gives it up (a full queue, a cancelled task) leaks nothing.
struct ReservedNames {
    engine: Engine,
    names: Vec<String>,
}

impl Drop for ReservedNames {
    fn drop(&mut self) {
        let mut inner = self.engine.lock();
        for name in &self.names {
            inner.reserved_hosts.remove(name);
        }
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Current time in Unix seconds (pending operation timestamps).
fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn not_found_if_none<T>(v: Option<T>) -> Result<T> {
    v.ok_or_else(Error::id_not_found)
}
