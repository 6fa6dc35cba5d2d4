//! Device and node removal (`state: failed`): every brick moves to a device chosen by
//! the placement rules that created it, one brick replacement at a time, then the
//! device (node) is marked failed.
//!
//! A device removal is one `remove-device` pending operation. Its `Remove device` change
//! counts the bricks moved so far in its `delta`; the bricks still on the device are the
//! rest (`Engine::removal_progress`). While a brick moves, the operation links the
//! brick's `evict-brick` operation as its child. After a crash the cleaner finishes or
//! undoes the brick that was moving and drops the removal: the device stays offline
//! with the bricks not yet moved, and running the removal again moves those.
//!
//! Before anything moves, every brick's replacement is placed on a scratch copy of the
//! cluster view (each taking the space chosen for the ones before): a removal that has
//! no room for all its bricks fails at once and changes nothing.

use std::collections::HashSet;
use std::future::Future;

use futures_util::future::Either;

use crate::api::EntryState;
use crate::error::{CONFLICT, Error, Result};
use crate::id::new_id;
use crate::model::{ChangeKind, OperationKind, PendingAction, PendingOperationEntry};
use crate::state::State;

use super::brick_replace::{HealCheck, dry_run};
use super::state_change::Record;
use super::{Engine, now_unix};

/// How far a device removal is.
pub use crate::api::OperationProgress as RemovalProgress;

/// What the Build step of a device removal decided.
enum Removal {
    /// Nothing to do (already failed), or the device was empty and is now failed.
    Done(Option<super::commit::Ticket>),
    /// Bricks to move under operation `op_id`.
    Move {
        op_id: String,
        ticket: Option<super::commit::Ticket>,
    },
}

fn no_replacement_device(id: &str, e: Error) -> Error {
    if e.placement_error().is_some() {
        e.context(format!(
            "Unable to delete device [{id}] as no device was found to replace it"
        ))
    } else {
        e.context(format!("Unable to remove device [{id}]"))
    }
}

/// The bricks on the devices of node `id`, device by device in id order.
fn node_bricks(st: &State, id: &str) -> Vec<(String, Vec<String>)> {
    st.nodes
        .get(id)
        .map(|n| {
            n.devices
                .iter()
                .filter_map(|d| {
                    st.devices
                        .get(d)
                        .map(|dev| (d.clone(), dev.bricks.to_vec()))
                })
                .filter(|(_, b)| !b.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

impl Engine {
    /// Removes (fails) device `id`, moving its bricks first, and waits for it.
    pub async fn remove_device(&self, id: &str, healcheck: HealCheck) -> Result<()> {
        self.begin_device_remove(id, healcheck)?.await
    }

    /// Build of a device removal: the device must be offline; its bricks must all fit
    /// elsewhere. The future moves them one by one and marks the device failed.
    pub fn begin_device_remove(
        &self,
        id: &str,
        healcheck: HealCheck,
    ) -> Result<impl Future<Output = Result<()>> + Send + 'static> {
        self.device_removal(id, healcheck, true, Vec::new())
    }

    /// A device removal; `prefer` lists devices that take the bricks first (a device
    /// or node replacement), `require_offline` is false inside a node removal.
    pub(crate) fn device_removal(
        &self,
        id: &str,
        healcheck: HealCheck,
        require_offline: bool,
        prefer: Vec<String>,
    ) -> Result<impl Future<Output = Result<()>> + Send + 'static> {
        let opts = &self.shared.options;
        let removal = {
            let inner = self.lock();
            let st = &inner.state;
            let dev = st.devices.get(id).ok_or_else(Error::id_not_found)?.clone();
            match dev.state {
                EntryState::Failed => Removal::Done(None),
                EntryState::Online if require_offline => {
                    return Err(Error::conflict(format!(
                        "Device must be offline before remove operation is performed, device:{id}"
                    )));
                }
                _ if dev.bricks.is_empty() => {
                    let (_, ticket) = self.stage(inner, |txn| {
                        if let Some(d) = txn.devices.get_mut(id) {
                            d.state = EntryState::Failed;
                        }
                        Ok(())
                    })?;
                    Removal::Done(ticket)
                }
                _ => {
                    let busy = dev
                        .bricks
                        .iter()
                        .any(|b| st.bricks.get(b).is_some_and(|b| b.pending.is_pending()))
                        || st.pending.values().any(|op| {
                            op.kind() == Some(OperationKind::RemoveDevice)
                                && op.ids_with(ChangeKind::RemoveDevice).any(|d| d == id)
                        });
                    if busy {
                        return Err(Error::conflict(CONFLICT));
                    }
                    dry_run(st, &inner.views, &dev.bricks.to_vec(), &prefer, opts)
                        .map_err(|(_, e)| no_replacement_device(id, e))?;
                    let op_id = new_id();
                    let (_, ticket) = self.stage(inner, |txn| {
                        txn.pending.put(
                            &op_id,
                            PendingOperationEntry {
                                id: op_id.clone(),
                                timestamp: now_unix(),
                                kind: OperationKind::RemoveDevice as i32,
                                actions: vec![PendingAction {
                                    change: ChangeKind::RemoveDevice as i32,
                                    id: id.to_string(),
                                    delta: 0,
                                }],
                                status: String::new(),
                                leftovers: Vec::new(),
                                target: None,
                            },
                        );
                        Ok(())
                    })?;
                    Removal::Move { op_id, ticket }
                }
            }
        };
        let engine = self.clone();
        let id = id.to_string();
        let guard = match &removal {
            Removal::Move { op_id, .. } => Some(self.track(op_id)),
            Removal::Done(_) => None,
        };
        Ok(async move {
            let _guard = guard;
            let out = match removal {
                Removal::Done(ticket) => engine.durable(ticket).await,
                Removal::Move { op_id, ticket } => {
                    async {
                        engine.durable(ticket).await?;
                        engine
                            .move_device_bricks(&id, &op_id, healcheck, &prefer)
                            .await
                    }
                    .await
                }
            };
            engine.announce(
                "device.remove",
                "device.post_remove",
                |_| serde_json::json!({"id": id}),
                out,
            )
        })
    }

    /// Exec of a device removal: moves the bricks one at a time, then marks the device
    /// failed. On a failure the removal stops (bricks moved so far stay moved).
    async fn move_device_bricks(
        &self,
        id: &str,
        op_id: &str,
        healcheck: HealCheck,
        prefer: &[String],
    ) -> Result<()> {
        let mut tried: HashSet<String> = HashSet::new();
        loop {
            let next = {
                let inner = self.lock();
                let st = &inner.state;
                st.devices.get(id).and_then(|d| {
                    d.bricks.iter().find(|b| {
                        !tried.contains(b)
                            && st.bricks.get(b).is_some_and(|b| !b.pending.is_pending())
                    })
                })
            };
            let Some(brick) = next else {
                break;
            };
            tried.insert(brick.clone());
            let moved = async {
                let (r, ticket) = self.stage_replacement(&brick, Some(op_id), healcheck, prefer)?;
                let _child = self.track(&r.op_id);
                self.durable(ticket).await?;
                self.exec_replacement(&r).await
            }
            .await;
            if let Err(e) = moved {
                self.end_removal(op_id);
                return Err(no_replacement_device(id, e));
            }
        }
        let left = self
            .lock()
            .state
            .devices
            .get(id)
            .map_or(0, |d| d.bricks.len());
        if left > 0 {
            self.end_removal(op_id);
            return Err(Error::conflict(format!(
                "Unable to remove device [{id}]: {left} bricks are still on it (another operation holds them); run the removal again"
            )));
        }
        self.write_async(|txn| {
            if let Some(d) = txn.devices.get_mut(id) {
                d.state = EntryState::Failed;
            }
            txn.pending.remove(op_id);
            Ok(())
        })
        .await
    }

    /// Drops a device removal that stopped (the device stays as it is).
    fn end_removal(&self, op_id: &str) {
        if let Err(e) = self.write(|txn| {
            txn.pending.remove(op_id);
            Ok(())
        }) {
            tracing::warn!(operation = %op_id, error = %e, "device removal could not be ended; the cleaner drops it");
        }
    }

    /// Cleans a `remove-device` operation a crash left: the brick that was moving is
    /// finished or undone, the removal dropped (the device stays offline).
    pub(crate) async fn clean_removal(
        &self,
        op: &PendingOperationEntry,
    ) -> Result<super::cleanup::CleanupOutcome> {
        use super::cleanup::CleanupOutcome;
        let mut outcome = CleanupOutcome::RolledBack;
        let children: Vec<String> = op
            .ids_with(ChangeKind::ChildOperation)
            .map(str::to_string)
            .collect();
        for child in children {
            let entry = self.lock().state.pending.get(&child).cloned();
            if let Some(entry) = entry {
                match self.clean_replacement(&entry).await? {
                    CleanupOutcome::Failed(msg) => {
                        self.write(|txn| {
                            super::rollback::mark_failed(txn, &op.id, vec![msg.clone()]);
                            Ok(())
                        })?;
                        return Ok(CleanupOutcome::Failed(msg));
                    }
                    o => outcome = o,
                }
            }
        }
        self.write(|txn| {
            txn.pending.remove(&op.id);
            Ok(())
        })?;
        Ok(outcome)
    }

    /// Bricks moved and bricks in all of the device removal `op_id`, if it is one.
    pub fn removal_progress(&self, op_id: &str) -> Option<RemovalProgress> {
        let inner = self.lock();
        removal_progress(&inner.state, op_id)
    }

    /// Removes (fails) node `id`, moving the bricks of all its devices, and waits.
    pub async fn remove_node(&self, id: &str, healcheck: HealCheck) -> Result<()> {
        self.begin_node_remove(id, healcheck)?.await
    }

    /// Build of a node removal: the node must be offline and all its bricks must fit
    /// elsewhere. The future removes its devices one after the other (a `remove-device`
    /// operation each), then marks the node and its devices failed.
    pub fn begin_node_remove(
        &self,
        id: &str,
        healcheck: HealCheck,
    ) -> Result<impl Future<Output = Result<()>> + Send + 'static> {
        self.node_removal(id, healcheck, Vec::new())
    }

    /// A node removal whose bricks go to the devices `prefer` first.
    pub(crate) fn node_removal(
        &self,
        id: &str,
        healcheck: HealCheck,
        prefer: Vec<String>,
    ) -> Result<impl Future<Output = Result<()>> + Send + 'static> {
        let devices = {
            let inner = self.lock();
            let st = &inner.state;
            let node = st.nodes.get(id).ok_or_else(Error::id_not_found)?;
            match node.state {
                EntryState::Online => {
                    return Err(Error::conflict(format!(
                        "Node must be offline before remove operation is performed, node:{id}"
                    )));
                }
                EntryState::Failed => Vec::new(),
                EntryState::Offline | EntryState::Unset => {
                    let per_device = node_bricks(st, id);
                    let all: Vec<String> = per_device.iter().flat_map(|(_, b)| b.clone()).collect();
                    dry_run(st, &inner.views, &all, &prefer, &self.shared.options).map_err(|(b, e)| {
                        let dev = st
                            .bricks
                            .get(&b)
                            .map(|b| b.info.device.clone())
                            .unwrap_or_default();
                        e.context(format!(
                            "Unable to remove node [{id}] as no device was found to replace device [{dev}]"
                        ))
                    })?;
                    per_device.into_iter().map(|(d, _)| d).collect()
                }
            }
        };
        let engine = self.clone();
        let id = id.to_string();
        Ok(async move {
            let out = async {
                for d in &devices {
                    engine
                        .device_removal(d, healcheck, false, prefer.clone())?
                        .await?;
                }
                engine
                    .write_async(|txn| {
                        let Some(node) = txn.nodes.get(&id).cloned() else {
                            return Err(Error::id_not_found());
                        };
                        if node.state == EntryState::Failed {
                            return Ok(());
                        }
                        if let Some(d) = node
                            .devices
                            .iter()
                            .find(|d| txn.devices.get(d).is_some_and(|d| !d.bricks.is_empty()))
                        {
                            return Err(Error::conflict(format!(
                                "Unable to remove node [{id}] as no device was found to replace device [{d}]"
                            )));
                        }
                        for d in &node.devices {
                            if let Some(dev) = txn.devices.get_mut(d) {
                                dev.state = EntryState::Failed;
                            }
                        }
                        if let Some(n) = txn.nodes.get_mut(&id) {
                            n.state = EntryState::Failed;
                        }
                        Ok(())
                    })
                    .await
            }
            .await;
            engine.announce(
                "node.remove",
                "node.post_remove",
                |_| serde_json::json!({"id": id}),
                out,
            )
        })
    }

    /// `POST /devices/{id}/state` with Heketi's heal check option: `failed` on an
    /// offline device holding bricks is a device removal; everything else is a plain
    /// state change. Errors come from the future, as Heketi reports them at the queue.
    pub fn begin_device_state_with(
        &self,
        id: &str,
        state: &str,
        healcheck: HealCheck,
    ) -> Result<impl Future<Output = Result<()>> + Send + 'static> {
        if state == "failed" {
            let removal = {
                let inner = self.lock();
                let dev = inner
                    .state
                    .devices
                    .get(id)
                    .ok_or_else(Error::id_not_found)?;
                dev.state == EntryState::Offline && !dev.bricks.is_empty()
            };
            if removal {
                let engine = self.clone();
                let id = id.to_string();
                return Ok(Either::Left(async move {
                    engine.begin_device_remove(&id, healcheck)?.await
                }));
            }
        }
        Ok(Either::Right(self.begin_state_change(
            Record::Device,
            id,
            state,
            super::device_ops::device_transition,
        )?))
    }

    /// `POST /nodes/{id}/state` with the heal check option: `failed` on an offline node
    /// is a node removal; everything else a plain state change.
    pub fn begin_node_state_with(
        &self,
        id: &str,
        state: &str,
        healcheck: HealCheck,
    ) -> Result<impl Future<Output = Result<()>> + Send + 'static> {
        if state == "failed" {
            let removal = {
                let inner = self.lock();
                let node = inner.state.nodes.get(id).ok_or_else(Error::id_not_found)?;
                node.state == EntryState::Offline
            };
            if removal {
                let engine = self.clone();
                let id = id.to_string();
                return Ok(Either::Left(async move {
                    engine.begin_node_remove(&id, healcheck)?.await
                }));
            }
        }
        Ok(Either::Right(self.begin_state_change(
            Record::Node,
            id,
            state,
            super::node_ops::node_transition,
        )?))
    }
}

/// See [`Engine::removal_progress`].
pub(crate) fn removal_progress(st: &State, op_id: &str) -> Option<RemovalProgress> {
    let op = st.pending.get(op_id)?;
    if op.kind() != Some(OperationKind::RemoveDevice) {
        return None;
    }
    let action = op
        .actions
        .iter()
        .find(|a| a.change == ChangeKind::RemoveDevice as i32)?;
    let done = u64::try_from(action.delta).unwrap_or(0);
    let left = st
        .devices
        .get(&action.id)
        .map_or(0, |d| d.bricks.len() as u64);
    Some(RemovalProgress {
        bricks_done: done,
        bricks_total: done + left,
    })
}
