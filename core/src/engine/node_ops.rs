//! Node operations: add (peer probe), delete (peer detach), state, with Heketi's checks.

use std::future::Future;
use std::sync::Arc;

use crate::api::{EntryState, NodeAddRequest, NodeInfo, NodeInfoResponse};
use crate::error::{Error, ErrorKind, Result};
use crate::executor::{ExecError, ExecErrorKind, Executor, Host};
use crate::id::{is_valid_id, new_id};
use crate::model::{
    ChangeKind, NodeEntry, OperationKind, PendingTarget, insert_sorted, remove_sorted,
};
use crate::state::State;

use super::Engine;
use super::hosts::host_of;
use super::validate::{Fields, is_valid_host, tags_problem};
use super::volume_create::mount_info;

/// Heketi's `NodeAddRequest.Validate()`: ozzo texts, every field at once, sorted.
fn validate_node_request(req: &NodeAddRequest) -> Result<()> {
    let mut f = Fields::default();
    if req.zone == 0 {
        f.add("zone", "cannot be blank");
    } else if req.zone < 1 {
        f.add("zone", "must be no less than 1");
    }
    if req.cluster.is_empty() {
        f.add("cluster", "cannot be blank");
    } else if !is_valid_id(&req.cluster) {
        f.add("cluster", format!("{} is not a valid UUID", req.cluster));
    }
    let mut h = Vec::new();
    for (key, list) in [
        ("manage", &req.hostnames.manage),
        ("storage", &req.hostnames.storage),
    ] {
        if list.is_empty() {
            h.push(format!("{key}: cannot be blank"));
        } else if list.iter().any(|x| !is_valid_host(x)) {
            // Heketi prints the whole list (Go's `%v` of a slice).
            h.push(format!(
                "{key}: [{}] is not a valid {key} hostname",
                list.join(" ")
            ));
        }
    }
    if !h.is_empty() {
        f.add("hostnames", format!("({}.)", h.join("; ")));
    }
    if let Some(p) = tags_problem(&req.tags) {
        f.add("tags", p);
    }
    f.finish()
}

/// Which node uses `host` as a manage or storage hostname.
fn host_owner<'a>(st: &'a State, host: &str) -> Option<&'a String> {
    st.nodes
        .iter()
        .find(|(_, n)| {
            n.info
                .hostnames
                .manage
                .iter()
                .chain(&n.info.hostnames.storage)
                .any(|h| h == host)
        })
        .map(|(id, _)| id)
}

fn refresh_mounts(txn: &mut crate::state::Txn<'_>, cluster_id: &str) {
    // Mount hosts list every node of the cluster; rewrite them after a node left.
    let vols: Vec<(String, String)> = txn
        .volumes
        .iter()
        .filter(|(_, v)| v.info.cluster == cluster_id)
        .map(|(id, v)| (id.to_string(), v.info.request.name.clone()))
        .collect();
    for (id, name) in vols {
        let mount = {
            // Build from the transaction's view of the cluster and nodes.
            let mut tmp = State::default();
            if let Some(c) = txn.clusters.get(cluster_id) {
                tmp.clusters.insert(cluster_id.to_string(), c.clone());
                for n in &c.info.nodes {
                    if let Some(node) = txn.nodes.get(n) {
                        tmp.nodes.insert(n.clone(), node.clone());
                    }
                }
            }
            mount_info(&tmp, cluster_id, &name)
        };
        if let Some(v) = txn.volumes.get_mut(&id) {
            v.info.mount = mount;
        }
    }
}

impl Engine {
    /// The checks Heketi's `POST /nodes` makes first (`validation failed: …`), before
    /// any other: the REST server runs them ahead of its own.
    pub fn validate_node_add(req: &NodeAddRequest) -> Result<()> {
        validate_node_request(req)
    }

    /// Adds a node and waits for it.
    pub async fn add_node(&self, req: NodeAddRequest) -> Result<NodeInfoResponse> {
        self.begin_node_add(req)?.await
    }

    /// Checks the request (errors Heketi returns synchronously); the future probes the
    /// node into the gluster pool and records it.
    pub fn begin_node_add(
        &self,
        req: NodeAddRequest,
    ) -> Result<impl Future<Output = Result<NodeInfoResponse>> + Send + 'static> {
        validate_node_request(&req)?;
        let hosts = {
            let mut inner = self.lock();
            let st = &inner.state;
            if !st.clusters.contains_key(&req.cluster) {
                return Err(Error::not_found("Cluster id does not exist"));
            }
            let hosts: Vec<String> = req
                .hostnames
                .manage
                .iter()
                .chain(&req.hostnames.storage)
                .cloned()
                .collect();
            for h in &hosts {
                if let Some(owner) = host_owner(st, h) {
                    return Err(Error::AlreadyExists(format!(
                        "Hostname {h} already used by node with id {owner}"
                    )));
                }
                if inner.reserved_hosts.contains(h) {
                    return Err(Error::AlreadyExists(format!(
                        "Hostname {h} is being added by another request"
                    )));
                }
            }
            probe_peers(st, &req.cluster)?;
            inner.reserved_hosts.extend(hosts.iter().cloned());
            hosts
        };
        let engine = self.clone();
        let reserved = super::ReservedNames {
            engine: self.clone(),
            names: hosts,
        };
        Ok(async move {
            let out = engine.exec_node_add(req).await;
            drop(reserved);
            engine.announce("node.add", "node.post_add", super::to_json, out)
        })
    }

    async fn exec_node_add(&self, req: NodeAddRequest) -> Result<NodeInfoResponse> {
        // The peers to probe from are chosen under the cluster's pool lock, held until
        // the node is recorded: an add that ran meanwhile is one of them.
        let _pool = self.pool_lock(&req.cluster).await;
        let probe_from = probe_peers(&self.lock().state, &req.cluster)?;
        let ex = self.shared.executor.clone();
        let id = new_id();
        let entry = NodeEntry {
            state: EntryState::Online,
            info: NodeInfo {
                zone: req.zone,
                hostnames: req.hostnames.clone(),
                cluster: req.cluster.clone(),
                tags: req.tags.clone(),
                id: id.clone(),
            },
            devices: Vec::new(),
        };
        let new_host = host_of(&entry);
        // Durable before the probe: a crash from here on leaves a pending operation
        // whose cleanup detaches the node again (`intents.rs`).
        let (op_id, _in_flight) = self
            .record_intent(
                OperationKind::AddNode,
                ChangeKind::AddNode,
                &id,
                PendingTarget {
                    node: id.clone(),
                    cluster: req.cluster.clone(),
                    manage: new_host.manage.clone(),
                    storage: new_host.storage.clone(),
                    device: String::new(),
                },
            )
            .await?;
        // Heketi only checks glusterd on the first node of a cluster; checking every new
        // node first gives a clear error before the pool is touched.
        if let Err(e) = ex.glusterd_check(&new_host).await {
            let e = Error::from(e).context("New Node doesn't have glusterd running");
            return Err(self.close_intent(&op_id, Ok(()), e).await);
        }
        if !probe_from.is_empty()
            && let Err(e) = super::rollback::on_first_reachable(&probe_from, |h| {
                let ex = ex.clone();
                let new_host = new_host.clone();
                async move { ex.peer_probe(&h, &new_host).await }
            })
            .await
        {
            return Err(self.close_intent(&op_id, Ok(()), e).await);
        }
        let saved = self
            .finalize_with(
                |txn| {
                    let c = txn
                        .clusters
                        .get_mut(&req.cluster)
                        .ok_or_else(|| Error::not_found("Cluster id does not exist"))?;
                    insert_sorted(&mut c.info.nodes, &id);
                    txn.nodes.put(&id, entry.clone());
                    txn.pending.remove(&op_id);
                    Ok(())
                },
                |st| super::read::node_info(st, &id),
            )
            .await;
        match saved {
            // The record may be durable after all (a failed fsync): keep the node in the
            // pool. If it was not saved, neither was the removal of the pending
            // operation, and the cleanup at the next start detaches the node.
            Err(e) if e.commit_outcome_unknown() => Err(e),
            Err(e) => {
                let undo = self.detach_if_present(&probe_from, &new_host).await;
                let undo = undo.map_err(|u| {
                    crate::executor::ExecError::new(
                        crate::executor::ExecErrorKind::Failed,
                        &new_host.manage,
                        "peer detach",
                        None,
                        u.to_string(),
                    )
                });
                Err(self.close_intent(&op_id, undo, e).await)
            }
            ok => ok,
        }
    }

    /// Deletes a node without devices and waits for it.
    pub async fn delete_node(&self, id: &str) -> Result<()> {
        self.begin_node_delete(id)?.await
    }

    pub fn begin_node_delete(
        &self,
        id: &str,
    ) -> Result<impl Future<Output = Result<()>> + Send + 'static> {
        let key = delete_key(id);
        let node = {
            let mut inner = self.lock();
            let st = &inner.state;
            let node = st.nodes.get(id).ok_or_else(Error::id_not_found)?.clone();
            if !node.devices.is_empty() {
                return Err(Error::conflict(format!(
                    "Unable to delete node [{id}] because it contains devices"
                )));
            }
            // Excludes device adds on this node (see `begin_device_add`) and a second
            // delete of it.
            if super::device_ops::device_being_added(&inner.reserved_hosts, id) {
                return Err(Error::conflict(format!(
                    "Unable to delete node [{id}] because a device is being added to it"
                )));
            }
            if inner.reserved_hosts.contains(&key) {
                return Err(Error::conflict(format!("Node {id} is being deleted")));
            }
            inner.reserved_hosts.insert(key.clone());
            node
        };
        let reserved = super::ReservedNames {
            engine: self.clone(),
            names: vec![key],
        };
        let engine = self.clone();
        let id = id.to_string();
        let busy = self.busy();
        Ok(async move {
            let _busy = busy;
            let _reserved = reserved;
            let ex = engine.shared.executor.clone();
            let target = host_of(&node);
            let r = async {
                // The peers to detach from (and, if the node must stay, to probe it
                // back from), chosen under the cluster's pool lock.
                let _pool = engine.pool_lock(&node.info.cluster).await;
                let peers = engine.cluster_peers(&node.info.cluster, &id);
                // Durable before the detach: a crash from here on leaves a pending
                // operation whose cleanup finishes the delete (`intents.rs`).
                let (op_id, _in_flight) = engine
                    .record_intent(
                        OperationKind::DeleteNode,
                        ChangeKind::DeleteNode,
                        &id,
                        PendingTarget {
                            node: id.clone(),
                            cluster: node.info.cluster.clone(),
                            manage: target.manage.clone(),
                            storage: target.storage.clone(),
                            device: String::new(),
                        },
                    )
                    .await?;
                let mut detached = false;
                if !peers.is_empty() {
                    match super::rollback::on_first_reachable(&peers, |h| {
                        let ex = ex.clone();
                        let target = target.clone();
                        async move { ex.peer_detach_if_present(&h, &target).await }
                    })
                    .await
                    {
                        Ok(()) => detached = true,
                        Err(e) => {
                            tracing::warn!(node = %id, error = %e, "peer detach failed; removing the node anyway");
                        }
                    }
                }
                let forgotten = engine
                    .write_async(|txn| {
                        forget_node(txn, &id)?;
                        txn.pending.remove(&op_id);
                        Ok(())
                    })
                    .await;
                match forgotten {
                    // A device was added to the node while it was being detached (found
                    // by the crash test: a node replace beside a device add): the node
                    // stays, so it goes back into the gluster pool.
                    Err(e) if detached && e.kind() == ErrorKind::Conflict => {
                        let undo = reprobe(&ex, &peers, &target).await;
                        Err(engine.close_intent(&op_id, undo, e).await)
                    }
                    Err(e) if !e.commit_outcome_unknown() => {
                        Err(engine.close_intent(&op_id, Ok(()), e).await)
                    }
                    other => other,
                }
            }
            .await;
            engine.announce(
                "node.delete",
                "node.post_delete",
                |_| serde_json::json!({"id": id}),
                r,
            )
        })
    }

    /// Changes a node's state (`online`, `offline`, `failed` = remove).
    pub async fn set_node_state(&self, id: &str, state: &str) -> Result<()> {
        self.begin_node_state(id, state)?.await
    }

    pub fn begin_node_state(
        &self,
        id: &str,
        state: &str,
    ) -> Result<impl Future<Output = Result<()>> + Send + 'static> {
        self.begin_node_state_with(id, state, super::HealCheck::Enable)
    }
}

/// The online nodes of `cluster` a new node is probed from (none for its first node);
/// an error when it has nodes but none online.
fn probe_peers(st: &crate::state::State, cluster: &str) -> Result<Vec<Host>> {
    let nodes = &st
        .clusters
        .get(cluster)
        .ok_or_else(|| Error::not_found("Cluster id does not exist"))?
        .info
        .nodes;
    let peers = super::intents::online_peers(st, cluster, "");
    if !nodes.is_empty() && peers.is_empty() {
        return Err(Error::invalid(
            "None of the nodes in cluster has glusterd running",
        ));
    }
    Ok(peers)
}

/// The name a node delete holds in `reserved_hosts` while it runs.
pub(super) fn delete_key(node: &str) -> String {
    format!("node-delete:{node}")
}

/// Probes `target` back into the pool from the first reachable of `peers`.
pub(super) async fn reprobe(
    ex: &Arc<dyn Executor>,
    peers: &[Host],
    target: &Host,
) -> std::result::Result<(), ExecError> {
    // The only node of its cluster: no pool to go back into.
    if peers.is_empty() {
        return Ok(());
    }
    let mut last = None;
    for h in peers {
        match ex.peer_probe(h, target).await {
            Ok(()) => return Ok(()),
            Err(e) if e.kind == ExecErrorKind::Unreachable => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        ExecError::new(
            ExecErrorKind::Unreachable,
            &target.manage,
            "gluster peer probe",
            None,
            "no node of the cluster is reachable to probe the node back",
        )
    }))
}

/// Forgets node `id` (no devices), its place in its cluster, and rewrites the mount
/// hosts of the cluster's volumes.
pub(super) fn forget_node(txn: &mut crate::state::Txn<'_>, id: &str) -> Result<()> {
    let Some(node) = txn.nodes.get(id).cloned() else {
        return Err(Error::id_not_found());
    };
    if !node.devices.is_empty() {
        return Err(Error::conflict(format!(
            "Unable to delete node [{id}] because it contains devices"
        )));
    }
    if let Some(c) = txn.clusters.get_mut(&node.info.cluster) {
        remove_sorted(&mut c.info.nodes, id);
    }
    txn.nodes.remove(id);
    refresh_mounts(txn, &node.info.cluster);
    Ok(())
}

pub(super) fn node_transition(
    txn: &mut crate::state::Txn<'_>,
    id: &str,
    target: EntryState,
) -> Result<()> {
    let node = txn.nodes.get(id).ok_or_else(Error::id_not_found)?.clone();
    use EntryState::*;
    match (node.state, target) {
        (a, b) if a == b => Ok(()),
        (Online, Offline) | (Offline, Online) => {
            if let Some(n) = txn.nodes.get_mut(id) {
                n.state = target;
            }
            Ok(())
        }
        (Online, Failed) => Err(Error::conflict(format!(
            "Node must be offline before remove operation is performed, node:{id}"
        ))),
        (Offline, Failed) => {
            let busy: Vec<&String> = node
                .devices
                .iter()
                .filter(|d| txn.devices.get(d).is_some_and(|d| !d.bricks.is_empty()))
                .collect();
            if let Some(d) = busy.first() {
                // A removal moves the bricks first (`begin_node_remove`); this is
                // reached only when bricks arrived meanwhile.
                return Err(Error::conflict(format!(
                    "Unable to remove node [{id}] as no device was found to replace device [{d}]"
                )));
            }
            for d in &node.devices {
                if let Some(dev) = txn.devices.get_mut(d) {
                    dev.state = Failed;
                }
            }
            if let Some(n) = txn.nodes.get_mut(id) {
                n.state = Failed;
            }
            Ok(())
        }
        (Failed, Online) => Err(Error::conflict(
            "Cannot move a failed/removed node to online state",
        )),
        (Failed, Offline) => Err(Error::conflict(
            "Cannot move a failed/removed node to offline state",
        )),
        (_, _) => Err(Error::invalid(format!(
            "{} is not valid state",
            target.as_str()
        ))),
    }
}
