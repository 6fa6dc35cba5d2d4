//! Translating records into what the executor needs: hosts, brick and volume requests.

use crate::executor::{
    BrickFormat, BrickLocation, BrickRequest, Host, SnapshotLv, VolumeDurability, VolumeRequest,
};
use crate::model::{BrickEntry, BrickSubType, NodeEntry, VolumeEntry};
use crate::placement::Durability;
use crate::state::State;

use super::EngineOptions;
use super::volume_spec::{durability_of, placement_settings};

pub(crate) use crate::model::brick_path;

pub(crate) fn host_of(node: &NodeEntry) -> Host {
    Host {
        manage: node.manage_host().to_string(),
        storage: node.storage_host().to_string(),
    }
}

pub(crate) fn brick_request(brick: &BrickEntry, gid: i64) -> BrickRequest {
    BrickRequest {
        vg_id: brick.info.device.clone(),
        brick_id: brick.info.id.clone(),
        size: brick.info.size,
        tp_size: brick.tp_size,
        pool_metadata_size: brick.pool_metadata_size,
        gid,
        format: if brick.sub_type == BrickSubType::Arbiter {
            BrickFormat::Arbiter
        } else {
            BrickFormat::Normal
        },
        snapshot: (!brick.lvm_lv.is_empty()).then(|| SnapshotLv {
            lv_name: brick.lvm_lv.clone(),
            tp_name: brick.thin_pool_name(),
            mount_dir: brick
                .info
                .path
                .strip_suffix("/brick")
                .unwrap_or(&brick.info.path)
                .to_string(),
        }),
    }
}

/// The brick jobs of a list of brick ids: (node host, request). A brick without a path
/// (a clone's brick before gluster named it) has nothing known on a node and is left out.
pub(crate) fn brick_jobs(
    state: &State,
    brick_ids: &[String],
    gid: i64,
) -> Vec<(Host, BrickRequest)> {
    brick_ids
        .iter()
        .filter_map(|id| {
            let brick = state.bricks.get(id)?;
            if brick.info.path.is_empty() {
                return None;
            }
            let node = state.nodes.get(&brick.info.node)?;
            Some((host_of(node), brick_request(&brick, gid)))
        })
        .collect()
}

/// Gluster's volume request for `brick_ids` (in gluster order) of `volume`.
pub(crate) fn volume_request(
    state: &State,
    volume: &VolumeEntry,
    brick_ids: &[String],
    opts: &EngineOptions,
) -> VolumeRequest {
    let bricks = brick_ids
        .iter()
        .filter_map(|id| {
            let brick = state.bricks.get(id)?;
            let node = state.nodes.get(&brick.info.node)?;
            Some(BrickLocation {
                storage_host: node.storage_host().to_string(),
                path: brick.info.path.clone(),
            })
        })
        .collect();
    let arbiter = placement_settings(&volume.gluster_volume_options, opts)
        .map(|s| s.arbiter)
        .unwrap_or(false);
    let durability = match durability_of(&volume.info.request.durability) {
        // gluster refuses `replica 1`: a one-brick set is plain distribute.
        Durability::Replicate { replica: 1 } => VolumeDurability::Distribute,
        Durability::Replicate { replica } => VolumeDurability::Replicate { replica, arbiter },
        Durability::Disperse { data, redundancy } => {
            VolumeDurability::Disperse { data, redundancy }
        }
        Durability::Distribute => VolumeDurability::Distribute,
    };
    let mut options: Vec<String> = volume
        .gluster_volume_options
        .iter()
        .filter(|o| !o.trim().is_empty())
        .cloned()
        .collect();
    options.push(format!("user.heketi.id {}", volume.info.id));
    VolumeRequest {
        name: volume.info.request.name.clone(),
        bricks,
        durability,
        options,
    }
}

/// Hosts that can run gluster commands for a cluster: online nodes first (in cluster
/// order), then the others; `first` (e.g. the first brick's node) leads when given.
pub(crate) fn gluster_hosts(state: &State, cluster_id: &str, first: Option<&str>) -> Vec<Host> {
    let Some(cluster) = state.clusters.get(cluster_id) else {
        return Vec::new();
    };
    // One lookup per node; the sort is stable, so cluster order is kept within a rank.
    let mut nodes: Vec<((bool, bool), &NodeEntry)> = cluster
        .info
        .nodes
        .iter()
        .filter_map(|id| {
            let n = state.nodes.get(id)?;
            let online = n.state == crate::api::EntryState::Online;
            Some(((Some(id.as_str()) != first, !online), n))
        })
        .collect();
    nodes.sort_by_key(|(rank, _)| *rank);
    nodes.into_iter().map(|(_, n)| host_of(n)).collect()
}
