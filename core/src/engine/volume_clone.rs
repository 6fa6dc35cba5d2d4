//! Volume clone (heketi/heketi: apps/glusterfs/operations_volume.go
//! `VolumeCloneOperation`, volume_entry.go `prepareVolumeClone`).
//!
//! Build records the clone: a volume with one brick per source brick, on the same
//! device, of the same sizes, in the **same thin pool** (gluster makes a clone's bricks
//! as thin snapshots in the source bricks' pools). Nothing is debited: the pool's space
//! was taken when the source was created, and its snapshot factor is what lets source
//! and clone diverge. A pool's space is given back when the last brick in it goes
//! (see `forget_bricks`), whichever of source and clone that is.
//!
//! Exec runs Heketi's snapshot sequence on one node ([`Executor::volume_clone`]) and
//! reads the clone's brick paths back from gluster, matched to the source's bricks by
//! position. Any failure undoes the clone on the nodes (gluster volume, temporary
//! snapshot, clone bricks) before forgetting its records; what cannot be undone at
//! once is kept for the cleaner, which (unlike Heketi's, which cannot load clone
//! operations) cleans clone operations too.
//!
//! [`Executor::volume_clone`]: crate::executor::Executor::volume_clone

use std::future::Future;

use crate::api::{BlockInfo, BrickInfo, VolumeCreateRequest, VolumeInfo, VolumeInfoResponse};
use crate::error::{CONFLICT, Error, Result};
use crate::executor::{CloneRequest, ExecErrorKind, GlusterVolume, Host, clone_lv_name};
use crate::id::new_id;
use crate::model::{
    BrickEntry, ChangeKind, OperationKind, PendingAction, PendingOperationEntry, PendingRef,
    VolumeEntry,
};
use crate::state::Txn;

use super::cleanup::CleanupOutcome;
use super::hosts::{brick_jobs, gluster_hosts, host_of};
use super::rollback::{
    destroy_bricks, destroy_volume, forget_bricks, forget_volume, mark_failed, volume_info_from_any,
};
use super::validate::{Fields, is_valid_volume_name};
use super::volume_create::mount_info;
use super::{Engine, now_unix};

/// Heketi's refusal (`ErrCloneBlockVol`).
pub const CLONE_BLOCK_REFUSED: &str = "Cloning of block hosting volumes is not supported";

/// The temporary snapshot of a clone operation: `tmpsnap_<operation id>` (Heketi uses a
/// fresh UUID; the operation's id lets the cleaner find it after a crash).
pub(crate) fn temp_snapshot_name(op_id: &str) -> String {
    format!("tmpsnap_{op_id}")
}

/// Is `volume_id` the source of a clone that has not finished? Its bricks and gluster
/// volume must not change meanwhile (delete and expand refuse it).
pub(crate) fn is_clone_source<'a>(
    ops: impl IntoIterator<Item = &'a PendingOperationEntry>,
    volume_id: &str,
) -> bool {
    ops.into_iter().any(|op| {
        op.kind() == Some(OperationKind::CloneVolume)
            && op
                .ids_with(ChangeKind::CloneVolume)
                .any(|id| id == volume_id)
    })
}

/// The bricks of a gluster volume as (storage host, path).
fn split_bricks(v: &GlusterVolume) -> Vec<(String, String)> {
    v.bricks
        .iter()
        .map(|b| match b.find(":/") {
            Some(i) => (b[..i].to_string(), b[i + 1..].to_string()),
            None => (String::new(), b.clone()),
        })
        .collect()
}

/// The clone's brick names by position: path and gluster's LV name.
fn clone_brick_names(clone: &GlusterVolume) -> Vec<(String, String)> {
    let bricks = split_bricks(clone);
    bricks
        .iter()
        .enumerate()
        .map(|(i, (host, path))| {
            let local = bricks[..i].iter().filter(|(h, _)| h == host).count();
            (path.clone(), clone_lv_name(&clone.id, local))
        })
        .collect()
}

/// Is `v` the clone this operation made (and not a volume someone else named the
/// same)? Gluster mounts a clone's bricks under `/run/gluster/snaps/<its id>/`, one
/// per source brick, on the source brick's node (`hosts`, in order).
fn made_by_snapshot_clone(v: &GlusterVolume, hosts: &[String]) -> bool {
    let root = format!("/run/gluster/snaps/{}/", v.id.replace('-', ""));
    let bricks = split_bricks(v);
    bricks.len() == hosts.len()
        && bricks.iter().zip(hosts).all(|((h, p), want)| {
            h == want && (p.starts_with(&root) || p.starts_with(&format!("/var{root}")))
        })
}

/// What the Build step of a clone recorded.
struct CloneJob {
    op_id: String,
    source_id: String,
    clone_id: String,
    brick_ids: Vec<String>,
}

impl Engine {
    /// Clones a volume (`name` empty: `vol_<new id>`) and waits for it.
    pub async fn clone_volume(&self, id: &str, name: &str) -> Result<VolumeInfoResponse> {
        self.begin_volume_clone(id, name)?.await
    }

    /// Checks the request and records the clone (pending); the future makes it on the
    /// nodes and returns it.
    pub fn begin_volume_clone(
        &self,
        id: &str,
        name: &str,
    ) -> Result<impl Future<Output = Result<VolumeInfoResponse>> + Send + 'static> {
        let mut f = Fields::default();
        if !name.is_empty() && !is_valid_volume_name(name) {
            f.add("name", "must be in a valid format");
        } else if name.starts_with('-') {
            f.add("name", super::volume_spec::NAME_LEADING_HYPHEN);
        }
        f.finish()?;
        let (job, ticket) = {
            let inner = self.lock();
            let st = &inner.state;
            let vol = st.volumes.get(id).ok_or_else(Error::id_not_found)?.clone();
            if vol.pending.is_pending() {
                return Err(Error::id_not_found());
            }
            if vol.info.request.block {
                return Err(Error::Unsupported(CLONE_BLOCK_REFUSED.into()));
            }
            let sources: Vec<BrickEntry> = vol
                .bricks
                .iter()
                .map(|b| st.bricks.get(b).ok_or_else(Error::id_not_found))
                .collect::<Result<_>>()?;
            if sources.iter().any(|b| b.pending.is_pending()) {
                return Err(Error::conflict(CONFLICT));
            }
            let clone_id = new_id();
            let op_id = new_id();
            let name = if name.is_empty() {
                format!("vol_{clone_id}")
            } else {
                name.to_string()
            };
            if st
                .volumes
                .values()
                .any(|v| v.info.cluster == vol.info.cluster && v.info.request.name == name)
            {
                return Err(Error::AlreadyExists(format!(
                    "Volume name {name} already in use"
                )));
            }
            let mount = mount_info(st, &vol.info.cluster, &name);
            let (brick_ids, ticket) = self.stage(inner, |txn| {
                let mut actions = vec![
                    PendingAction {
                        change: ChangeKind::CloneVolume as i32,
                        id: vol.info.id.clone(),
                        delta: 0,
                    },
                    PendingAction {
                        change: ChangeKind::AddVolumeClone as i32,
                        id: clone_id.clone(),
                        delta: 0,
                    },
                ];
                let brick_ids = record_clone_bricks(txn, &sources, &clone_id, &op_id)?;
                actions.extend(brick_ids.iter().map(|b| PendingAction {
                    change: ChangeKind::AddBrick as i32,
                    id: b.clone(),
                    delta: 0,
                }));
                txn.volumes.put(
                    &clone_id,
                    VolumeEntry {
                        info: VolumeInfo {
                            request: VolumeCreateRequest {
                                size: vol.info.request.size,
                                clusters: Vec::new(),
                                name: name.clone(),
                                durability: vol.info.request.durability.clone(),
                                gid: vol.info.request.gid,
                                glustervolumeoptions: Vec::new(),
                                block: false,
                                snapshot: vol.info.request.snapshot,
                            },
                            id: clone_id.clone(),
                            cluster: vol.info.cluster.clone(),
                            mount,
                            blockinfo: BlockInfo::default(),
                        },
                        bricks: brick_ids.clone(),
                        gluster_volume_options: vol.gluster_volume_options.clone(),
                        pending: PendingRef { id: op_id.clone() },
                    },
                );
                txn.pending.put(
                    &op_id,
                    PendingOperationEntry {
                        id: op_id.clone(),
                        timestamp: now_unix(),
                        kind: OperationKind::CloneVolume as i32,
                        actions,
                        status: String::new(),
                        leftovers: Vec::new(),
                        target: None,
                    },
                );
                Ok(brick_ids)
            })?;
            (
                CloneJob {
                    op_id,
                    source_id: vol.info.id.clone(),
                    clone_id,
                    brick_ids,
                },
                ticket,
            )
        };
        let guard = self.track(&job.op_id);
        let engine = self.clone();
        let durable = self.durable(ticket);
        Ok(async move {
            let _guard = guard;
            // Nothing runs on a node before the records are durable.
            let r = async {
                durable.await?;
                engine.exec_clone(job).await
            }
            .await;
            engine.announce("volume.clone", "volume.post_clone", super::to_json, r)
        })
    }

    /// Exec and Finalize (or Rollback).
    async fn exec_clone(&self, job: CloneJob) -> Result<VolumeInfoResponse> {
        let (hosts, req, source_bricks) = {
            let inner = self.lock();
            let st = &inner.state;
            let src = st
                .volumes
                .get(&job.source_id)
                .ok_or_else(Error::id_not_found)?;
            let clone = st
                .volumes
                .get(&job.clone_id)
                .ok_or_else(Error::id_not_found)?;
            let source_bricks: Vec<(String, String)> = src
                .bricks
                .iter()
                .filter_map(|b| {
                    let b = st.bricks.get(b)?;
                    let n = st.nodes.get(&b.info.node)?;
                    Some((n.storage_host().to_string(), b.info.path.clone()))
                })
                .collect();
            (
                gluster_hosts(st, &src.info.cluster, None),
                CloneRequest {
                    source: src.info.request.name.clone(),
                    clone: clone.info.request.name.clone(),
                    snapshot: temp_snapshot_name(&job.op_id),
                },
                source_bricks,
            )
        };
        let made = self.run_clone(&hosts, &req, &source_bricks).await;
        let (names, snapshot_left) = match made {
            Ok(m) => m,
            Err(err) => {
                let err = self.explain_full_pools(&job.source_id, err).await;
                return Err(self.roll_back_clone(&job, err).await);
            }
        };
        self.write_async(|txn| {
            for (id, (path, lv)) in job.brick_ids.iter().zip(&names) {
                if let Some(b) = txn.bricks.get_mut(id) {
                    b.info.path = path.clone();
                    b.lvm_lv = lv.clone();
                    b.pending.id.clear();
                }
            }
            if let Some(v) = txn.volumes.get_mut(&job.clone_id) {
                v.pending.id.clear();
            }
            match &snapshot_left {
                // The clone is good; only the temporary snapshot is left for the cleaner.
                Some(e) => mark_failed(
                    txn,
                    &job.op_id,
                    vec![format!("temporary snapshot {}: {e}", req.snapshot)],
                ),
                None => txn.pending.remove(&job.op_id),
            }
            Ok(())
        })
        .await?;
        self.volume_info(&job.clone_id)
    }

    /// On the first node that answers: the source as gluster sees it, then the clone.
    /// Returns the clone's (path, LV) per source brick, in the records' order.
    async fn run_clone(
        &self,
        hosts: &[Host],
        req: &CloneRequest,
        source_bricks: &[(String, String)],
    ) -> Result<(Vec<(String, String)>, Option<String>)> {
        let ex = self.shared.executor.clone();
        let mut last: Option<Error> = None;
        for h in hosts {
            let orig = match ex.volume_info(h, &req.source).await {
                Ok(Some(v)) => v,
                Ok(None) => {
                    return Err(Error::conflict(format!(
                        "gluster has no volume {}: the records and the nodes disagree",
                        req.source
                    )));
                }
                Err(e) if matches!(e.kind, ExecErrorKind::Unreachable | ExecErrorKind::Timeout) => {
                    last = Some(e.into());
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            if ex.volume_info(h, &req.clone).await?.is_some() {
                return Err(Error::AlreadyExists(format!(
                    "gluster already has a volume named {} (not in the records)",
                    req.clone
                )));
            }
            let cloned = ex.volume_clone(h, req).await?;
            let names = clone_brick_names(&cloned.volume);
            let orig_bricks = split_bricks(&orig);
            if orig_bricks.len() != source_bricks.len() || names.len() != orig_bricks.len() {
                return Err(Error::conflict(format!(
                    "volume {} has {} bricks in gluster, {} in the records and its clone {}",
                    req.source,
                    orig_bricks.len(),
                    source_bricks.len(),
                    names.len()
                )));
            }
            // Heketi's updateCloneBrickPaths: position in gluster → brick by path.
            let mut by_record = vec![None; source_bricks.len()];
            for (i, ob) in orig_bricks.iter().enumerate() {
                let Some(k) = source_bricks.iter().position(|sb| sb == ob) else {
                    return Err(Error::conflict(format!(
                        "brick {}:{} of gluster volume {} is not in the records",
                        ob.0, ob.1, req.source
                    )));
                };
                by_record[k] = Some(names[i].clone());
            }
            let names = by_record
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    Error::conflict(format!(
                        "the bricks of gluster volume {} do not match the records",
                        req.source
                    ))
                })?;
            return Ok((names, cloned.snapshot_left));
        }
        Err(last.unwrap_or_else(|| {
            Error::conflict("no node of the cluster is available to run gluster")
        }))
    }

    /// A snapshot that gluster could not take often means a full thin pool (LVM refuses
    /// new thin volumes in one, and gluster only says "Commit failed"): ask LVM about
    /// the source's pools and say so.
    async fn explain_full_pools(&self, source_id: &str, err: Error) -> Error {
        let snapshot_step = err.exec_error().is_some_and(|e| {
            e.command.contains("snapshot create") || e.command.contains("snapshot clone")
        });
        if !snapshot_step {
            return err;
        }
        let pools: Vec<(Host, String, String)> = {
            let inner = self.lock();
            let st = &inner.state;
            let mut pools: Vec<(Host, String, String)> = st
                .volumes
                .get(source_id)
                .map(|v| {
                    v.bricks
                        .iter()
                        .filter_map(|b| {
                            let b = st.bricks.get(b)?;
                            let n = st.nodes.get(&b.info.node)?;
                            Some((host_of(n), b.info.device.clone(), b.thin_pool_name()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            pools.dedup();
            pools
        };
        let ex = self.shared.executor.clone();
        let mut full = Vec::new();
        for (h, dev, pool) in &pools {
            if let Ok(u) = ex.thin_pool_usage(h, dev, pool).await
                && u.full()
            {
                full.push(format!(
                    "vg_{dev}/{pool} on {} (data {:.0}%, metadata {:.0}%)",
                    h.manage, u.data_percent, u.metadata_percent
                ));
            }
        }
        if full.is_empty() {
            return err;
        }
        err.context(format!(
            "thin pool full: {}; a clone lives in its source's thin pools, whose room for \
             changes is the snapshot factor the source was created with (1 leaves none)",
            full.join(", ")
        ))
    }

    /// After a failed Exec: undo, and forget the clone when the nodes are clean again.
    async fn roll_back_clone(&self, job: &CloneJob, err: Error) -> Error {
        match self.undo_clone(&job.op_id, &job.clone_id, &job.brick_ids).await {
            Ok(CleanupOutcome::Failed(note)) => err.context(format!(
                "volume clone failed and could not be fully undone ({note}); operation {} is kept for the cleaner",
                job.op_id
            )),
            Ok(_) => err,
            Err(e) => err.context(format!(
                "rollback could not be recorded ({e}); it runs again at the next start"
            )),
        }
    }

    /// Removes what a clone operation made on the nodes (the clone's gluster volume and
    /// bricks, the temporary snapshot) and then its records. Idempotent; what fails is
    /// kept (marked failed) for the next attempt.
    pub(crate) async fn undo_clone(
        &self,
        op_id: &str,
        clone_id: &str,
        brick_ids: &[String],
    ) -> Result<CleanupOutcome> {
        let ex = self.shared.executor.clone();
        let (found, brick_hosts) = {
            let inner = self.lock();
            let st = &inner.state;
            let brick_hosts: Vec<String> = brick_ids
                .iter()
                .filter_map(|b| {
                    let b = st.bricks.get(b)?;
                    Some(st.nodes.get(&b.info.node)?.storage_host().to_string())
                })
                .collect();
            let found = st.volumes.get(clone_id).map(|v| {
                (
                    gluster_hosts(st, &v.info.cluster, None),
                    v.info.request.name.clone(),
                )
            });
            (found, brick_hosts)
        };
        let mut leftovers = Vec::new();
        if let Some((hosts, name)) = &found {
            // The clone's bricks are named by gluster: learn them before its volume goes.
            match volume_info_from_any(&self.shared.executor, hosts, name).await {
                Ok(Some(v)) if made_by_snapshot_clone(&v, &brick_hosts) => {
                    let names = clone_brick_names(&v);
                    self.write(|txn| {
                        for (id, (path, lv)) in brick_ids.iter().zip(&names) {
                            if let Some(b) = txn.bricks.get_mut(id) {
                                b.info.path = path.clone();
                                b.lvm_lv = lv.clone();
                            }
                        }
                        Ok(())
                    })?;
                    if let Err(e) = destroy_volume(&ex, hosts, name).await {
                        leftovers.push(format!("gluster volume {name}: {e}"));
                    }
                }
                Ok(_) => {}
                Err(e) => leftovers.push(format!("gluster volume {name}: {e}")),
            }
            let snap = temp_snapshot_name(op_id);
            if let Err(e) = self.drop_snapshot(hosts, &snap).await {
                leftovers.push(format!("temporary snapshot {snap}: {e}"));
            }
        }
        if leftovers.is_empty() {
            let jobs = {
                let inner = self.lock();
                brick_jobs(&inner.state, brick_ids, 0)
            };
            leftovers.extend(destroy_bricks(&ex, &jobs).await);
        }
        if !leftovers.is_empty() {
            let note = leftovers.join("; ");
            self.write(|txn| {
                mark_failed(txn, op_id, leftovers);
                Ok(())
            })?;
            return Ok(CleanupOutcome::Failed(note));
        }
        self.write(|txn| {
            forget_bricks(txn, brick_ids);
            forget_volume(txn, clone_id);
            txn.pending.remove(op_id);
            Ok(())
        })?;
        Ok(CleanupOutcome::RolledBack)
    }

    /// Cleans a clone operation found pending: a clone that never finished is undone; a
    /// finished clone whose temporary snapshot stayed behind only loses the snapshot.
    pub(crate) async fn clean_clone(&self, op: &PendingOperationEntry) -> Result<CleanupOutcome> {
        let clone_id = op
            .ids_with(ChangeKind::AddVolumeClone)
            .next()
            .map(str::to_string)
            .unwrap_or_default();
        let bricks: Vec<String> = op
            .ids_with(ChangeKind::AddBrick)
            .map(str::to_string)
            .collect();
        let (unfinished, hosts) = {
            let inner = self.lock();
            let st = &inner.state;
            let unfinished = st
                .volumes
                .get(&clone_id)
                .is_some_and(|v| v.pending.id == op.id)
                || bricks
                    .iter()
                    .any(|b| st.bricks.get(b).is_some_and(|b| b.pending.id == op.id));
            let cluster = op
                .ids_with(ChangeKind::CloneVolume)
                .chain(std::iter::once(clone_id.as_str()))
                .find_map(|v| st.volumes.get(v).map(|v| v.info.cluster.clone()))
                .or_else(|| st.clusters.keys().next().cloned())
                .unwrap_or_default();
            (unfinished, gluster_hosts(st, &cluster, None))
        };
        if unfinished {
            return self.undo_clone(&op.id, &clone_id, &bricks).await;
        }
        let snap = temp_snapshot_name(&op.id);
        if let Err(e) = self.drop_snapshot(&hosts, &snap).await {
            let msg = format!("temporary snapshot {snap}: {e}");
            self.write(|txn| {
                mark_failed(txn, &op.id, vec![msg.clone()]);
                Ok(())
            })?;
            return Ok(CleanupOutcome::Failed(msg));
        }
        self.write(|txn| {
            txn.pending.remove(&op.id);
            Ok(())
        })?;
        Ok(CleanupOutcome::RolledForward)
    }

    /// Deletes a snapshot from the first node that answers; a missing one is gone.
    async fn drop_snapshot(&self, hosts: &[Host], snapshot: &str) -> Result<()> {
        let ex = self.shared.executor.clone();
        let mut last: Option<Error> = None;
        for h in hosts {
            match ex.snapshot_destroy(h, snapshot).await {
                Ok(()) => return Ok(()),
                Err(e) if e.kind == ExecErrorKind::NotFound => return Ok(()),
                Err(e) if matches!(e.kind, ExecErrorKind::Unreachable | ExecErrorKind::Timeout) => {
                    last = Some(e.into())
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(last.unwrap_or_else(|| {
            Error::conflict("no node of the cluster is available to run gluster")
        }))
    }
}

/// Records one brick per source brick for the clone `clone_id` (pending under `op_id`):
/// same node, device, sizes and thin pool; no path or LV yet (gluster names them). The
/// device lists the brick but gives no space: the pool is already taken.
fn record_clone_bricks(
    txn: &mut Txn<'_>,
    sources: &[BrickEntry],
    clone_id: &str,
    op_id: &str,
) -> Result<Vec<String>> {
    let mut ids = Vec::with_capacity(sources.len());
    for src in sources {
        let brick_id = new_id();
        let dev = txn
            .devices
            .get_mut(&src.info.device)
            .ok_or_else(Error::id_not_found)?;
        dev.bricks.insert(&brick_id);
        txn.bricks.put(
            &brick_id,
            BrickEntry {
                info: BrickInfo {
                    id: brick_id.clone(),
                    path: String::new(),
                    device: src.info.device.clone(),
                    node: src.info.node.clone(),
                    volume: clone_id.to_string(),
                    size: src.info.size,
                },
                tp_size: src.tp_size,
                pool_metadata_size: src.pool_metadata_size,
                pending: PendingRef {
                    id: op_id.to_string(),
                },
                lvm_thin_pool: src.thin_pool_name(),
                lvm_lv: String::new(),
                sub_type: src.sub_type,
            },
        );
        ids.push(brick_id);
    }
    Ok(ids)
}
