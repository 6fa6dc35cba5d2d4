//! Volume create: Build (place + reserve + pending operation), Exec (bricks, gluster
//! volume), Finalize or Rollback.

use std::future::Future;

use crate::api::{
    BlockInfo, GlusterFsMount, VolumeCreateRequest, VolumeInfo, VolumeInfoResponse, VolumeMount,
};
use crate::error::{Error, Result};
use crate::id::new_id;
use crate::model::{
    ChangeKind, OperationKind, PendingAction, PendingOperationEntry, PendingRef, VolumeEntry,
};
use crate::state::State;

use super::new_bricks::{NewBricks, Purpose, reserve_bricks};
use super::volume_plan::{place_volume, resolve};
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
            hosts: hosts.into(),
            mount_point: device,
            options: options.into(),
        },
    }
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
                        target: None,
                    },
                );
                Ok(brick_ids)
            })?;
            (
                NewBricks {
                    purpose: Purpose::Create,
                    op_id,
                    volume_id,
                    brick_ids,
                },
                ticket,
            )
        };
        Ok(self.finish_new_bricks(job, ticket))
    }
}
