//! Device operations: add (pvcreate/vgcreate), delete (teardown), state, resync.

use std::future::Future;

use crate::api::{DeviceAddRequest, DeviceInfo, DeviceInfoResponse, EntryState, StorageSize};
use crate::error::{CONFLICT, Error, Result};
use crate::id::{is_valid_id, new_id};
use crate::model::{ChangeKind, DeviceEntry, OperationKind, PendingTarget, insert_sorted};

use super::intents::forget_device;
use crate::state::Txn;

use super::Engine;
use super::hosts::host_of;
use super::validate::{Fields, is_valid_device_name, tags_problem};

fn reservation_key(node: &str, name: &str) -> String {
    format!("device:{node}:{name}")
}

/// Whether `reserved` holds a device add on `node` ([`reservation_key`]).
pub(super) fn device_being_added(reserved: &std::collections::HashSet<String>, node: &str) -> bool {
    let prefix = reservation_key(node, "");
    reserved.iter().any(|k| k.starts_with(&prefix))
}

impl Engine {
    /// Adds a device and waits for it.
    pub async fn add_device(&self, req: DeviceAddRequest) -> Result<DeviceInfoResponse> {
        self.begin_device_add(req)?.await
    }

    /// Checks the request; the future sets up LVM on the node and records the device.
    pub fn begin_device_add(
        &self,
        req: DeviceAddRequest,
    ) -> Result<impl Future<Output = Result<DeviceInfoResponse>> + Send + 'static> {
        let mut f = Fields::default();
        if req.name.is_empty() {
            f.add("name", "cannot be blank");
        } else if !is_valid_device_name(&req.name) {
            f.add("name", "must be in a valid format");
        }
        if req.node.is_empty() {
            f.add("node", "cannot be blank");
        } else if !is_valid_id(&req.node) {
            f.add("node", format!("{} is not a valid UUID", req.node));
        }
        if let Some(p) = tags_problem(&req.tags) {
            f.add("tags", p);
        }
        f.finish()?;
        let key = reservation_key(&req.node, &req.name);
        let host = {
            let mut inner = self.lock();
            let st = &inner.state;
            let node = st
                .nodes
                .get(&req.node)
                .ok_or_else(|| Error::not_found("Node id does not exist"))?;
            if let Some(existing) = node
                .devices
                .iter()
                .find(|d| st.devices.get(*d).is_some_and(|d| d.info.name == req.name))
            {
                return Err(Error::AlreadyExists(format!(
                    "Device {} already exists on node {} (device id {existing})",
                    req.name, req.node
                )));
            }
            let host = (host_of(node), node.info.cluster.clone());
            // A node delete detaches the node from the pool and then forgets it: a
            // device added meanwhile would leave a recorded device on a node out of
            // the pool (found by the crash test). The two exclude each other.
            if inner
                .reserved_hosts
                .contains(&super::node_ops::delete_key(&req.node))
            {
                return Err(Error::conflict(format!(
                    "Node {} is being deleted",
                    req.node
                )));
            }
            if !inner.reserved_hosts.insert(key.clone()) {
                return Err(Error::AlreadyExists(format!(
                    "Device {} is being added by another request",
                    req.name
                )));
            }
            host
        };
        let engine = self.clone();
        let reserved = super::ReservedNames {
            engine: self.clone(),
            names: vec![key],
        };
        Ok(async move {
            let out = engine.exec_device_add(req, host).await;
            drop(reserved);
            engine.announce("device.add", "device.post_add", super::to_json, out)
        })
    }

    async fn exec_device_add(
        &self,
        req: DeviceAddRequest,
        (host, cluster): (crate::executor::Host, String),
    ) -> Result<DeviceInfoResponse> {
        let ex = self.shared.executor.clone();
        let id = new_id();
        // Durable before pvcreate: a crash from here on leaves a pending operation whose
        // cleanup removes what was set up (`intents.rs`).
        let (op_id, _in_flight) = self
            .record_intent(
                OperationKind::AddDevice,
                ChangeKind::AddDevice,
                &id,
                PendingTarget {
                    node: req.node.clone(),
                    cluster,
                    manage: host.manage.clone(),
                    storage: host.storage.clone(),
                    device: req.name.clone(),
                },
            )
            .await?;
        let info = match ex
            .device_setup(&host, &req.name, &id, req.destroydata)
            .await
        {
            Ok(info) => info,
            Err(e) => {
                // A batch that failed after pvcreate (at vgcreate) leaves a PV.
                let undo = ex.device_setup_undo(&host, &req.name, &id).await;
                return Err(self.close_intent(&op_id, undo, e.into()).await);
            }
        };
        let entry = DeviceEntry {
            state: EntryState::Online,
            info: DeviceInfo {
                name: req.name.clone(),
                tags: req.tags.clone(),
                storage: StorageSize {
                    total: info.total,
                    free: info.free,
                    used: info.used,
                },
                id: id.clone(),
                paths: info.paths.clone(),
                pv_uuid: info.pv_uuid.clone(),
            },
            bricks: Default::default(),
            node_id: req.node.clone(),
            extent_size: info.extent_size,
        };
        let saved = self
            .finalize_with(
                |txn| {
                    let node = txn
                        .nodes
                        .get_mut(&req.node)
                        .ok_or_else(|| Error::not_found("Node id does not exist"))?;
                    insert_sorted(&mut node.devices, &id);
                    txn.devices.put(&id, entry.clone());
                    txn.pending.remove(&op_id);
                    Ok(())
                },
                |st| super::read::device_info(st, &id),
            )
            .await;
        match saved {
            Ok(info) => Ok(info),
            // The record may be durable after all (a failed fsync): tearing the device
            // down could leave a recorded device without its VG. Keep it set up; if the
            // record was not saved, its pending operation was not removed either, and
            // the cleanup at the next start tears the device down.
            Err(e) if e.commit_outcome_unknown() => Err(e.context(format!(
                "device {} on node {} is set up but may not be recorded; if it is not listed after Brickyard restarts, the restart has torn it down: add it again",
                req.name, req.node
            ))),
            Err(e) => {
                let undo = ex.device_setup_undo(&host, &req.name, &id).await;
                Err(self.close_intent(&op_id, undo, e).await)
            }
        }
    }

    /// Deletes a failed, empty device and waits for it.
    pub async fn delete_device(&self, id: &str, force_forget: bool) -> Result<()> {
        self.begin_device_delete(id, force_forget)?.await
    }

    pub fn begin_device_delete(
        &self,
        id: &str,
        force_forget: bool,
    ) -> Result<impl Future<Output = Result<()>> + Send + 'static> {
        let (dev, host) = {
            let inner = self.lock();
            let st = &inner.state;
            let dev = st.devices.get(id).ok_or_else(Error::id_not_found)?.clone();
            if dev.state != EntryState::Failed {
                return Err(Error::invalid(format!(
                    "device: {id} is not in failed state"
                )));
            }
            if !dev.bricks.is_empty() {
                return Err(Error::conflict(format!(
                    "Unable to delete device [{id}] because it contains bricks"
                )));
            }
            let host = st
                .nodes
                .get(&dev.node_id)
                .map(|n| (host_of(n), n.info.cluster.clone()));
            (dev, host)
        };
        let engine = self.clone();
        let id = id.to_string();
        let busy = self.busy();
        Ok(async move {
            let _busy = busy;
            let r = async {
                let mut intent = None;
                if let Some((host, cluster)) = host {
                    // Durable before vgremove: a crash from here on leaves a pending
                    // operation whose cleanup finishes the delete (`intents.rs`).
                    let (op_id, in_flight) = engine
                        .record_intent(
                            OperationKind::DeleteDevice,
                            ChangeKind::DeleteDevice,
                            &id,
                            PendingTarget {
                                node: dev.node_id.clone(),
                                cluster,
                                manage: host.manage.clone(),
                                storage: host.storage.clone(),
                                device: dev.info.name.clone(),
                            },
                        )
                        .await?;
                    let torn = engine
                        .shared
                        .executor
                        .device_teardown(&host, &dev.info.name, &id)
                        .await;
                    match torn {
                        Ok(()) => {}
                        Err(e) if force_forget => {
                            tracing::warn!(device = %id, error = %e, "teardown failed; forgetting the device as asked");
                        }
                        Err(e) => {
                            // Part of the teardown may be done (the VG gone, the PV
                            // not): the cleaner finishes it.
                            let left = Err(e.clone());
                            return Err(engine.close_intent(&op_id, left, e.into()).await);
                        }
                    }
                    intent = Some((op_id, in_flight));
                }
                let forgotten = engine
                    .write_async(|txn| {
                        forget_device(txn, &id)?;
                        if let Some((op_id, _)) = &intent {
                            txn.pending.remove(op_id);
                        }
                        Ok(())
                    })
                    .await;
                match (forgotten, &intent) {
                    (Err(e), Some((op_id, _))) if !e.commit_outcome_unknown() => {
                        Err(engine.close_intent(op_id, Ok(()), e).await)
                    }
                    (other, _) => other,
                }
            }
            .await;
            engine.announce(
                "device.delete",
                "device.post_delete",
                |_| serde_json::json!({"id": id}),
                r,
            )
        })
    }

    /// Changes a device's state (`online`, `offline`, `failed` = remove).
    pub async fn set_device_state(&self, id: &str, state: &str) -> Result<()> {
        self.begin_device_state(id, state)?.await
    }

    pub fn begin_device_state(
        &self,
        id: &str,
        state: &str,
    ) -> Result<impl Future<Output = Result<()>> + Send + 'static> {
        self.begin_device_state_with(id, state, super::HealCheck::Enable)
    }

    /// Re-reads a device's size from LVM on its node.
    pub async fn resync_device(&self, id: &str) -> Result<()> {
        self.begin_device_resync(id)?.await
    }

    pub fn begin_device_resync(
        &self,
        id: &str,
    ) -> Result<impl Future<Output = Result<()>> + Send + 'static> {
        let (dev, host) = {
            let inner = self.lock();
            let st = &inner.state;
            let dev = st.devices.get(id).ok_or_else(Error::id_not_found)?.clone();
            if dev
                .bricks
                .iter()
                .any(|b| st.bricks.get(b).is_some_and(|b| b.pending.is_pending()))
            {
                return Err(Error::conflict(CONFLICT));
            }
            let host = st
                .nodes
                .get(&dev.node_id)
                .map(host_of)
                .ok_or_else(Error::id_not_found)?;
            (dev, host)
        };
        let engine = self.clone();
        let id = id.to_string();
        Ok(async move {
            let info = engine
                .shared
                .executor
                .device_info(&host, &dev.info.name, &id)
                .await?;
            engine.write(|txn| {
                let bricks_total: u64 = {
                    let d = txn.devices.get(&id).ok_or_else(Error::id_not_found)?;
                    // Each thin pool once (a clone's bricks share their source's).
                    let mut pools = std::collections::BTreeSet::new();
                    d.bricks
                        .iter()
                        .filter_map(|b| txn.bricks.get(b))
                        .filter(|b| pools.insert(b.thin_pool_name()))
                        .map(|b| b.total_size())
                        .sum()
                };
                let d = txn.devices.get_mut(&id).ok_or_else(Error::id_not_found)?;
                // LVM's total is the truth; what our bricks hold stays used, and space LVM
                // reports as taken by something else is not offered to placement either.
                let total = info.total;
                let free = total.saturating_sub(bricks_total).min(info.free);
                d.info.storage = StorageSize {
                    total,
                    free,
                    used: total - free,
                };
                if info.extent_size > 0 {
                    d.extent_size = info.extent_size;
                }
                Ok(())
            })
        })
    }
}

/// Heketi's device state machine; removing (`failed`) needs a device without bricks.
pub(super) fn device_transition(txn: &mut Txn<'_>, id: &str, target: EntryState) -> Result<()> {
    let dev = txn.devices.get(id).ok_or_else(Error::id_not_found)?.clone();
    use EntryState::*;
    match (dev.state, target) {
        (a, b) if a == b => return Ok(()),
        (Online, Offline) | (Offline, Online) | (Failed, Offline) => {}
        (Online, Failed) => {
            return Err(Error::conflict(format!(
                "Device must be offline before remove operation is performed, device:{id}"
            )));
        }
        (Offline, Failed) => {
            if !dev.bricks.is_empty() {
                // A removal moves the bricks first (`begin_device_remove`); this is
                // reached only when bricks arrived meanwhile.
                return Err(Error::conflict(format!(
                    "Unable to remove device [{id}]: it holds {} bricks; run the removal again",
                    dev.bricks.len()
                )));
            }
        }
        (Failed, Online) => {
            return Err(Error::conflict(
                "Cannot move a failed/removed device to online state",
            ));
        }
        _ => return Err(Error::invalid(format!("{target} is not valid state"))),
    }
    if let Some(d) = txn.devices.get_mut(id) {
        d.state = target;
    }
    Ok(())
}
