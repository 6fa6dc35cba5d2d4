//! Volume create: Build (place + reserve + pending operation), Exec (bricks, gluster
//! volume), Finalize or Rollback.

use std::future::Future;

use futures_util::future::join_all;

use crate::api::{
    BlockInfo, GlusterFsMount, VolumeCreateRequest, VolumeInfo, VolumeInfoResponse, VolumeMount,
};
use crate::error::{Error, Result};
use crate::id::new_id;
use crate::model::{
    BrickEntry, BrickSubType, ChangeKind, OperationKind, PendingAction, PendingOperationEntry,
    PendingRef, VolumeEntry, insert_sorted,
};
use crate::state::{State, Txn};

use super::hosts::{brick_jobs, brick_path, gluster_hosts, volume_request};
use super::rollback::{
    clear_pending, destroy_bricks, destroy_volume, forget_bricks, forget_volume, mark_failed,
    on_first_reachable,
};
use super::volume_plan::{PlannedBrickInfo, place_volume, resolve};
use super::volume_spec::VolumeSpec;
use super::{Engine, now_unix};

/// Mount information of a volume: every node's storage host, the first one mounts.
pub(crate) fn mount_info(state: &State, cluster_id: &str, name: &str) -> VolumeMount {
    let hosts: Vec<String> = state
        .clusters
        .get(cluster_id)
        .map(|c| {
            c.info
                .nodes
                .iter()
                .filter_map(|n| state.nodes.get(n))
                .map(|n| n.storage_host().to_string())
                .collect()
        })
        .unwrap_or_default();
    let mut options = std::collections::BTreeMap::new();
    let device = hosts
        .first()
        .map(|h| format!("{h}:{name}"))
        .unwrap_or_default();
    if !hosts.is_empty() {
        options.insert("backup-volfile-servers".to_string(), hosts[1..].join(","));
    }
    VolumeMount {
        glusterfs: GlusterFsMount {
            hosts,
            mount_point: device,
            options,
        },
    }
}

/// Records the bricks of `plan` (pending under `op_id`), debiting their devices.
/// Returns the new brick ids in gluster order.
pub(crate) fn reserve_bricks(
    txn: &mut Txn<'_>,
    sets: &[Vec<PlannedBrickInfo>],
    volume_id: &str,
    op_id: &str,
    actions: &mut Vec<PendingAction>,
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for pb in sets.iter().flatten() {
        let brick_id = new_id();
        let total = pb.tp_size + pb.metadata_size;
        let dev = txn.devices.get_mut(&pb.device).ok_or_else(|| {
            Error::conflict(format!(
                "device {} disappeared during placement; retry",
                pb.device
            ))
        })?;
        let s = &mut dev.info.storage;
        if s.free <= total {
            return Err(Error::conflict(format!(
                "device {} no longer has {} KiB free; retry",
                pb.device, total
            )));
        }
        s.free -= total;
        s.used += total;
        insert_sorted(&mut dev.bricks, &brick_id);
        txn.bricks.put(
            &brick_id,
            BrickEntry {
                info: crate::api::BrickInfo {
                    id: brick_id.clone(),
                    path: brick_path(&pb.device, &brick_id),
                    device: pb.device.clone(),
                    node: pb.node.clone(),
                    volume: volume_id.to_string(),
                    size: pb.size,
                },
                tp_size: pb.tp_size,
                pool_metadata_size: pb.metadata_size,
                pending: PendingRef {
                    id: op_id.to_string(),
                },
                lvm_thin_pool: format!("tp_{brick_id}"),
                lvm_lv: String::new(),
                sub_type: if pb.arbiter {
                    BrickSubType::Arbiter
                } else {
                    BrickSubType::Normal
                },
            },
        );
        actions.push(PendingAction {
            change: ChangeKind::AddBrick as i32,
            id: brick_id.clone(),
            delta: 0,
        });
        ids.push(brick_id);
    }
    Ok(ids)
}

/// What the Build step of a create reserved.
struct CreateJob {
    op_id: String,
    volume_id: String,
    brick_ids: Vec<String>,
}

impl Engine {
    /// Creates a volume and waits for it.
    pub async fn create_volume(&self, req: VolumeCreateRequest) -> Result<VolumeInfoResponse> {
        self.begin_volume_create(req)?.await
    }

    /// Validates and places the volume, reserving its space (returns the errors Heketi
    /// returns synchronously); the returned future runs the commands and finalises.
    pub fn begin_volume_create(
        &self,
        req: VolumeCreateRequest,
    ) -> Result<impl Future<Output = Result<VolumeInfoResponse>> + Send + 'static> {
        let opts = &self.shared.options;
        let req = match self.hooks() {
            Some(h) => h.pre_create(req)?,
            None => req,
        };
        let spec = VolumeSpec::from_request(&req, opts)?;
        let (job, ticket) = {
            let inner = self.lock();
            let (cluster_id, plan) = place_volume(&inner, &spec, opts, &req)?;
            let sets = {
                let view = inner
                    .views
                    .get(&cluster_id)
                    .ok_or_else(Error::id_not_found)?;
                resolve(view, &plan, &inner.state)
            };
            let volume_id = new_id();
            let op_id = new_id();
            let name = if spec.name.is_empty() {
                format!("vol_{volume_id}")
            } else {
                spec.name.clone()
            };
            let mount = mount_info(&inner.state, &cluster_id, &name);
            let (brick_ids, ticket) = self.stage(inner, |txn| {
                let mut actions = Vec::new();
                let brick_ids = reserve_bricks(txn, &sets, &volume_id, &op_id, &mut actions)?;
                actions.push(PendingAction {
                    change: ChangeKind::AddVolume as i32,
                    id: volume_id.clone(),
                    delta: 0,
                });
                let info = VolumeInfo {
                    request: VolumeCreateRequest {
                        size: spec.size_gib as i64,
                        clusters: Vec::new(),
                        name: name.clone(),
                        durability: spec.durability_info.clone(),
                        gid: spec.gid,
                        glustervolumeoptions: Vec::new(),
                        block: spec.block,
                        snapshot: spec.snapshot,
                    },
                    id: volume_id.clone(),
                    cluster: cluster_id.clone(),
                    mount,
                    blockinfo: BlockInfo::default(),
                };
                txn.volumes.put(
                    &volume_id,
                    VolumeEntry {
                        info,
                        bricks: brick_ids.clone(),
                        gluster_volume_options: spec.options.clone(),
                        pending: PendingRef { id: op_id.clone() },
                    },
                );
                txn.pending.put(
                    &op_id,
                    PendingOperationEntry {
                        id: op_id.clone(),
                        timestamp: now_unix(),
                        kind: OperationKind::CreateVolume as i32,
                        actions,
                        status: String::new(),
                        leftovers: Vec::new(),
                    },
                );
                Ok(brick_ids)
            })?;
            (
                CreateJob {
                    op_id,
                    volume_id,
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
            // Nothing runs on a node before the reservation is durable.
            let r = async {
                durable.await?;
                engine.exec_create(job).await
            }
            .await;
            engine.announce("volume.create", "volume.post_create", super::to_json, r)
        })
    }

    async fn exec_create(&self, job: CreateJob) -> Result<VolumeInfoResponse> {
        let ex = self.shared.executor.clone();
        let (bricks, vreq, hosts) = {
            let inner = self.lock();
            let st = &inner.state;
            let vol = st
                .volumes
                .get(&job.volume_id)
                .ok_or_else(Error::id_not_found)?;
            let first_node = job
                .brick_ids
                .first()
                .and_then(|b| st.bricks.get(b))
                .map(|b| b.info.node.clone());
            (
                brick_jobs(st, &job.brick_ids, vol.info.request.gid),
                volume_request(st, vol, &job.brick_ids, &self.shared.options),
                gluster_hosts(st, &vol.info.cluster, first_node.as_deref()),
            )
        };
        let results = join_all(bricks.iter().map(|(h, b)| ex.brick_create(h, b))).await;
        if let Some(err) = results.into_iter().find_map(|r| r.err()) {
            let leftovers = destroy_bricks(&ex, &bricks).await;
            return Err(self.rollback_create(&job, err.into(), leftovers));
        }
        let created = on_first_reachable(&hosts, |h| {
            let ex = ex.clone();
            let vreq = vreq.clone();
            async move { ex.volume_create(&h, &vreq).await }
        })
        .await;
        if let Err(err) = created {
            let mut leftovers = Vec::new();
            if let Err(e) = destroy_volume(&ex, &hosts, &vreq.name).await {
                leftovers.push(format!("gluster volume {}: {e}", vreq.name));
            }
            leftovers.extend(destroy_bricks(&ex, &bricks).await);
            return Err(self.rollback_create(&job, err, leftovers));
        }
        self.write_async(|txn| {
            clear_pending(txn, &job.op_id, &job.brick_ids, Some(&job.volume_id));
            Ok(())
        })
        .await?;
        self.volume_info(&job.volume_id)
    }

    /// After a failed Exec: forget the reservation when the nodes are clean again, or
    /// keep it (marked failed) for the cleaner when they are not.
    fn rollback_create(&self, job: &CreateJob, err: Error, leftovers: Vec<String>) -> Error {
        if leftovers.is_empty() {
            let undone = self.write(|txn| {
                forget_bricks(txn, &job.brick_ids);
                forget_volume(txn, &job.volume_id);
                txn.pending.remove(&job.op_id);
                Ok(())
            });
            match undone {
                Ok(()) => err,
                Err(e) => err.context(format!(
                    "rollback could not be recorded ({e}); it runs again at the next start"
                )),
            }
        } else {
            let note = leftovers.join("; ");
            let _ = self.write(|txn| {
                mark_failed(txn, &job.op_id, leftovers);
                Ok(())
            });
            Error::Context {
                context: format!(
                    "volume create failed and could not be fully undone ({note}); operation {} is kept for the cleaner",
                    job.op_id
                ),
                source: Box::new(err),
            }
        }
    }
}
