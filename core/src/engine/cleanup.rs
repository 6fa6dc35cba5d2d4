//! Cleaning up pending operations: those a crash left behind (run when the engine opens)
//! and those that failed and could not be undone at once (run on demand or by the
//! server's background cleaner). Every step is idempotent, so a cleanup interrupted by
//! another crash simply runs again.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{ChangeKind, OperationKind, PendingOperationEntry};

use super::Engine;
use super::hosts::{brick_jobs, gluster_hosts};
use super::rollback::{
    clear_pending, destroy_bricks, destroy_volume, forget_bricks, forget_volume, mark_failed,
    volume_info_from_any,
};

/// What happened to one pending operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "snake_case")]
pub enum CleanupOutcome {
    /// Undone on the nodes and in the records; its space is free again.
    RolledBack,
    /// Its work was complete on the nodes; the records were finished.
    RolledForward,
    /// Could not be cleaned now (the reason); kept as `failed` for a later attempt.
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CleanedOperation {
    pub id: String,
    pub type_name: String,
    #[serde(flatten)]
    pub outcome: CleanupOutcome,
}

/// What a cleanup run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CleanupReport {
    pub operations: Vec<CleanedOperation>,
}

impl CleanupReport {
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }
}

impl Engine {
    /// Marks every pending operation `stale`: at open, nothing of them runs any more.
    pub(super) fn mark_all_stale(&self) -> Result<()> {
        self.write(|txn| {
            let ids: Vec<String> = txn
                .pending
                .iter()
                .filter(|(_, op)| op.status.is_empty())
                .map(|(id, _)| id.clone())
                .collect();
            for id in ids {
                if let Some(op) = txn.pending.get_mut(&id) {
                    op.status = "stale".into();
                }
            }
            Ok(())
        })
    }

    /// Cleans the given pending operations (all when `None`) that are not running in this
    /// process. Asking for an unknown or running operation is an error.
    pub async fn cleanup_pending(&self, ids: Option<Vec<String>>) -> Result<CleanupReport> {
        let ops: Vec<PendingOperationEntry> = {
            let inner = self.lock();
            let st = &inner.state;
            match &ids {
                Some(ids) => {
                    let mut v = Vec::new();
                    for id in ids {
                        let op = st
                            .pending
                            .get(id)
                            .ok_or_else(|| Error::not_found(format!("Id not found: {id}")))?;
                        if self.is_in_flight(id) {
                            return Err(Error::conflict(format!(
                                "operation {id} is still running"
                            )));
                        }
                        v.push(op.clone());
                    }
                    v
                }
                None => st
                    .pending
                    .values()
                    .filter(|op| !self.is_in_flight(&op.id))
                    .cloned()
                    .collect(),
            }
        };
        let mut report = CleanupReport::default();
        for op in ops {
            // A device removal cleans its child brick replacement itself.
            if !self.lock().state.pending.contains_key(&op.id) {
                continue;
            }
            let _guard = self.track(&op.id);
            let outcome = match self.clean_one(&op).await {
                Ok(o) => o,
                Err(e) => {
                    let msg = e.to_string();
                    let _ = self.write(|txn| {
                        mark_failed(txn, &op.id, vec![msg.clone()]);
                        Ok(())
                    });
                    CleanupOutcome::Failed(msg)
                }
            };
            tracing::info!(operation = %op.id, ?outcome, "pending operation cleaned");
            report.operations.push(CleanedOperation {
                id: op.id.clone(),
                type_name: op.type_name().to_string(),
                outcome,
            });
        }
        Ok(report)
    }

    async fn clean_one(&self, op: &PendingOperationEntry) -> Result<CleanupOutcome> {
        let bricks: Vec<String> = op
            .ids_with(ChangeKind::AddBrick)
            .map(str::to_string)
            .collect();
        match op.kind() {
            Some(OperationKind::CreateVolume) => {
                let volume = op
                    .ids_with(ChangeKind::AddVolume)
                    .next()
                    .map(str::to_string);
                self.undo_creation(op, &bricks, volume.as_deref()).await
            }
            Some(OperationKind::ExpandVolume) => {
                let volume = op
                    .ids_with(ChangeKind::ExpandVolume)
                    .next()
                    .map(str::to_string);
                let delta = op
                    .actions
                    .iter()
                    .find(|a| a.change == ChangeKind::ExpandVolume as i32)
                    .map(|a| a.delta)
                    .unwrap_or(0);
                match volume {
                    Some(v) => self.clean_expand(op, &bricks, &v, delta).await,
                    None => self.undo_creation(op, &bricks, None).await,
                }
            }
            Some(OperationKind::DeleteVolume) => {
                let volume = op
                    .ids_with(ChangeKind::DeleteVolume)
                    .next()
                    .map(str::to_string);
                let bricks: Vec<String> = op
                    .ids_with(ChangeKind::DeleteBrick)
                    .map(str::to_string)
                    .collect();
                let Some(volume) = volume else {
                    return Ok(CleanupOutcome::Failed(
                        "delete operation names no volume".into(),
                    ));
                };
                if !self.lock().state.volumes.contains_key(&volume) {
                    self.write(|txn| {
                        forget_bricks(txn, &bricks);
                        txn.pending.remove(&op.id);
                        Ok(())
                    })?;
                    return Ok(CleanupOutcome::RolledForward);
                }
                self.exec_delete(&op.id, &volume, &bricks, false).await?;
                Ok(CleanupOutcome::RolledForward)
            }
            Some(OperationKind::CloneVolume) => self.clean_clone(op).await,
            Some(OperationKind::EvictBrick) => self.clean_replacement(op).await,
            Some(OperationKind::RemoveDevice) => self.clean_removal(op).await,
            Some(
                OperationKind::AddNode
                | OperationKind::AddDevice
                | OperationKind::DeleteNode
                | OperationKind::DeleteDevice,
            ) => self.clean_intent(op).await,
            other => {
                let what = other.map(OperationKind::type_name).unwrap_or("unknown");
                let msg = format!("cleanup of {what} operations is not supported by this version");
                self.write(|txn| {
                    mark_failed(txn, &op.id, vec![msg.clone()]);
                    Ok(())
                })?;
                Ok(CleanupOutcome::Failed(msg))
            }
        }
    }

    /// Destroys what a create (or an expand that never reached gluster) made, then forgets it.
    async fn undo_creation(
        &self,
        op: &PendingOperationEntry,
        bricks: &[String],
        volume: Option<&str>,
    ) -> Result<CleanupOutcome> {
        let ex = self.shared.executor.clone();
        let (jobs, hosts, name) = {
            let inner = self.lock();
            let st = &inner.state;
            let vol = volume.and_then(|v| st.volumes.get(v));
            let gid = vol.as_ref().map(|v| v.info.request.gid).unwrap_or(0);
            let cluster = vol
                .as_ref()
                .map(|v| v.info.cluster.clone())
                .or_else(|| {
                    bricks
                        .first()
                        .and_then(|b| st.bricks.get(b))
                        .and_then(|b| st.nodes.get(&b.info.node))
                        .map(|n| n.info.cluster.clone())
                })
                .unwrap_or_default();
            (
                brick_jobs(st, bricks, gid),
                gluster_hosts(st, &cluster, None),
                vol.map(|v| v.info.request.name.clone()),
            )
        };
        let mut leftovers = Vec::new();
        if let Some(name) = &name
            && let Err(e) = destroy_volume(&ex, &hosts, name).await
        {
            leftovers.push(format!("gluster volume {name}: {e}"));
        }
        if leftovers.is_empty() {
            leftovers.extend(destroy_bricks(&ex, &jobs).await);
        }
        if !leftovers.is_empty() {
            let msg = leftovers.join("; ");
            self.write(|txn| {
                mark_failed(txn, &op.id, leftovers);
                Ok(())
            })?;
            return Ok(CleanupOutcome::Failed(msg));
        }
        self.write(|txn| {
            forget_bricks(txn, bricks);
            if let Some(v) = volume {
                forget_volume(txn, v);
            }
            txn.pending.remove(&op.id);
            Ok(())
        })?;
        Ok(CleanupOutcome::RolledBack)
    }

    /// An expand either reached gluster (finish it) or did not (undo it).
    async fn clean_expand(
        &self,
        op: &PendingOperationEntry,
        bricks: &[String],
        volume: &str,
        delta: i64,
    ) -> Result<CleanupOutcome> {
        let ex = self.shared.executor.clone();
        let found = {
            let inner = self.lock();
            let st = &inner.state;
            st.volumes.get(volume).map(|vol| {
                let wanted: Vec<String> = bricks
                    .iter()
                    .filter_map(|b| {
                        let b = st.bricks.get(b)?;
                        let n = st.nodes.get(&b.info.node)?;
                        Some(format!("{}:{}", n.storage_host(), b.info.path))
                    })
                    .collect();
                (
                    gluster_hosts(st, &vol.info.cluster, None),
                    vol.info.request.name.clone(),
                    wanted,
                )
            })
        };
        let Some((hosts, name, wanted)) = found else {
            return self.undo_creation(op, bricks, None).await;
        };
        let info = volume_info_from_any(&ex, &hosts, &name)
            .await
            .map_err(|e| {
                Error::conflict(format!(
                    "cannot read gluster volume {name} to decide how to clean the expansion: {e}"
                ))
            })?;
        let present = info
            .map(|v| wanted.iter().filter(|w| v.bricks.contains(w)).count())
            .unwrap_or(0);
        if present == wanted.len() && !wanted.is_empty() {
            self.write(|txn| {
                if let Some(v) = txn.volumes.get_mut(volume) {
                    v.info.request.size += delta;
                }
                clear_pending(txn, &op.id, bricks, None);
                Ok(())
            })?;
            return Ok(CleanupOutcome::RolledForward);
        }
        if present > 0 {
            return Err(Error::conflict(format!(
                "{present} of {} new bricks of volume {name} are in gluster: remove them with `gluster volume remove-brick` \
                 or add the rest, then run the cleanup again",
                wanted.len()
            )));
        }
        self.undo_creation(op, bricks, None).await
    }
}
