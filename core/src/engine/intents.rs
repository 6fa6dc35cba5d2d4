//! Node and device adds and deletes as pending operations (Brickyard's `add-node`,
//! `add-device`, `delete-node`, `delete-device`; Heketi records none).
//!
//! A node add probes the node into the gluster pool, a device add runs `pvcreate` and
//! `vgcreate`, and only then is the node or device recorded; a delete detaches the node
//! or removes the VG and PV, and only then forgets the record. A process that died in
//! between (or whose Finalize failed) left a peer or a PV/VG that no record knows, or a
//! record whose peer or VG is gone: records and nodes disagree, and nothing would ever
//! notice. So each of these first records a pending operation naming its node or
//! device ([`PendingTarget`]), durable before any command runs, and its Finalize
//! removes it together with writing (or removing) the record. The cleanup of such an
//! operation (at the next open, or by the cleaner):
//!
//! - add: finds the record (the add was complete: the operation is dropped), or undoes
//!   the add on the node: a peer detach from another node of the cluster, or a VG and
//!   PV removal that tolerates whatever step the add had reached;
//! - delete: finishes it, as a volume delete is finished: the detach or the VG and PV
//!   removal again (tolerating what is already gone), then the record goes; except a
//!   node delete whose node has devices again: the node is probed back into the pool
//!   and stays.

use crate::api::EntryState;
use crate::error::{Error, Result};
use crate::executor::{ExecError, Host};
use crate::id::new_id;
use crate::model::{
    ChangeKind, OperationKind, PendingAction, PendingOperationEntry, PendingTarget, remove_sorted,
};
use crate::state::Txn;

use super::cleanup::CleanupOutcome;
use super::hosts::host_of;
use super::{Engine, InFlight, now_unix};

/// Forgets device `id` (no bricks) and its place in its node's list.
pub(super) fn forget_device(txn: &mut Txn<'_>, id: &str) -> Result<()> {
    let dev = txn.devices.get(id).ok_or_else(Error::id_not_found)?.clone();
    if !dev.bricks.is_empty() {
        return Err(Error::conflict(format!(
            "Unable to delete device [{id}] because it contains bricks"
        )));
    }
    if let Some(n) = txn.nodes.get_mut(&dev.node_id) {
        remove_sorted(&mut n.devices, id);
    }
    txn.devices.remove(id);
    Ok(())
}

impl Engine {
    /// Records (durably) that node or device `id` is being added or deleted, before any
    /// command runs for it. The operation's id and its in-flight mark (the cleaner
    /// leaves it alone while it runs).
    pub(super) async fn record_intent(
        &self,
        kind: OperationKind,
        change: ChangeKind,
        id: &str,
        target: PendingTarget,
    ) -> Result<(String, InFlight)> {
        let op_id = new_id();
        let guard = self.track(&op_id);
        let entry = PendingOperationEntry {
            id: op_id.clone(),
            timestamp: now_unix(),
            kind: kind as i32,
            actions: vec![PendingAction {
                change: change as i32,
                id: id.to_string(),
                delta: 0,
            }],
            status: String::new(),
            leftovers: Vec::new(),
            target: Some(target),
        };
        self.write_async(|txn| {
            txn.pending.put(&op_id, entry);
            Ok(())
        })
        .await?;
        Ok((op_id, guard))
    }

    /// An add or delete failed: after `undo` on the node worked (or was not needed),
    /// its pending operation goes; when the undo failed, it stays (marked failed) for
    /// the cleaner. Returns `err` with what was left.
    pub(super) async fn close_intent(
        &self,
        op_id: &str,
        undo: std::result::Result<(), ExecError>,
        err: Error,
    ) -> Error {
        match undo {
            Ok(()) => {
                if let Err(w) = self
                    .write_async(|txn| {
                        txn.pending.remove(op_id);
                        Ok(())
                    })
                    .await
                {
                    tracing::warn!(operation = op_id, error = %w, "the failed operation stays pending; the cleanup at the next start handles it");
                }
                err
            }
            Err(u) => {
                let msg = format!(
                    "what was done on the node could not be undone or finished ({u}); the cleaner retries"
                );
                let _ = self
                    .write_async(|txn| {
                        super::rollback::mark_failed(txn, op_id, vec![msg.clone()]);
                        Ok(())
                    })
                    .await;
                err.context(msg)
            }
        }
    }

    fn node_has_devices(&self, id: &str) -> bool {
        let inner = self.lock();
        inner
            .state
            .nodes
            .get(id)
            .is_some_and(|n| !n.devices.is_empty())
    }

    /// The online nodes of `cluster` other than `except` (to run a peer detach from).
    pub(super) fn cluster_peers(&self, cluster: &str, except: &str) -> Vec<Host> {
        online_peers(&self.lock().state, cluster, except)
    }

    /// Detaches `node` from the pool of `peers` unless it is not in it (nothing to do
    /// without peers: the first node of a cluster is probed by nobody).
    pub(super) async fn detach_if_present(&self, peers: &[Host], node: &Host) -> Result<()> {
        if peers.is_empty() {
            return Ok(());
        }
        let ex = self.shared.executor.clone();
        super::rollback::on_first_reachable(peers, |h| {
            let ex = ex.clone();
            let node = node.clone();
            async move { ex.peer_detach_if_present(&h, &node).await }
        })
        .await
    }

    /// Cleans an `add-node`, `add-device`, `delete-node` or `delete-device` pending
    /// operation.
    pub(super) async fn clean_intent(&self, op: &PendingOperationEntry) -> Result<CleanupOutcome> {
        let kind = op.kind();
        let change = match kind {
            Some(OperationKind::AddNode) => ChangeKind::AddNode,
            Some(OperationKind::AddDevice) => ChangeKind::AddDevice,
            Some(OperationKind::DeleteNode) => ChangeKind::DeleteNode,
            _ => ChangeKind::DeleteDevice,
        };
        let (Some(t), Some(id)) = (&op.target, op.ids_with(change).next()) else {
            return Ok(CleanupOutcome::Failed(format!(
                "{} operation names no node or device",
                op.type_name()
            )));
        };
        let is_node = matches!(
            kind,
            Some(OperationKind::AddNode | OperationKind::DeleteNode)
        );
        let is_add = matches!(
            kind,
            Some(OperationKind::AddNode | OperationKind::AddDevice)
        );
        let recorded = {
            let inner = self.lock();
            if is_node {
                inner.state.nodes.contains_key(id)
            } else {
                inner.state.devices.contains_key(id)
            }
        };
        let drop_op = |engine: &Engine| {
            engine.write(|txn| {
                txn.pending.remove(&op.id);
                Ok(())
            })
        };
        // An add that was recorded, a delete that was forgotten: complete.
        if recorded == is_add {
            drop_op(self)?;
            return Ok(CleanupOutcome::RolledForward);
        }
        let ex = self.shared.executor.clone();
        let host = Host::new(&t.manage, &t.storage);
        // A node delete that met a device added to the node meanwhile (a process of
        // before the two excluded each other, or one that died before it could put the
        // node back): the node stays, so it goes back into the pool.
        if is_node && !is_add && self.node_has_devices(id) {
            let peers = self.cluster_peers(&t.cluster, id);
            super::node_ops::reprobe(&ex, &peers, &host).await?;
            drop_op(self)?;
            return Ok(CleanupOutcome::RolledBack);
        }
        if is_node {
            let peers = self.cluster_peers(&t.cluster, id);
            self.detach_if_present(&peers, &host).await?;
        } else {
            ex.device_setup_undo(&host, &t.device, id).await?;
        }
        if is_add {
            drop_op(self)?;
            return Ok(CleanupOutcome::RolledBack);
        }
        self.write(|txn| {
            if is_node {
                super::node_ops::forget_node(txn, id)?;
            } else {
                forget_device(txn, id)?;
            }
            txn.pending.remove(&op.id);
            Ok(())
        })?;
        Ok(CleanupOutcome::RolledForward)
    }
}

/// The online nodes of `cluster` other than `except`, as hosts.
pub(super) fn online_peers(st: &crate::state::State, cluster: &str, except: &str) -> Vec<Host> {
    st.clusters
        .get(cluster)
        .map(|c| {
            c.info
                .nodes
                .iter()
                .filter(|n| n.as_str() != except)
                .filter_map(|n| st.nodes.get(n))
                .filter(|n| n.state == EntryState::Online)
                .map(host_of)
                .collect()
        })
        .unwrap_or_default()
}
