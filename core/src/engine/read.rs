//! The read model: Heketi's info and list responses, built from memory.

use crate::api::{
    BrickInfo, ClusterInfoResponse, ClusterListResponse, DeviceInfoResponse, NodeInfoResponse,
    OperationsInfo, PendingChangeInfo, PendingOperationDetails, PendingOperationInfo,
    PendingOperationListResponse, TopologyCluster, TopologyInfoResponse, VolumeInfoResponse,
    VolumeListResponse,
};
use crate::error::{Error, Result};
use crate::model::{ChangeKind, PendingOperationEntry};
use crate::state::State;

use super::{Engine, not_found_if_none};

pub(crate) fn cluster_info(st: &State, id: &str) -> Option<ClusterInfoResponse> {
    let mut info = cluster_info_without_volumes(st, id)?;
    info.volumes = st
        .cluster_volumes(id)
        .filter(|v| st.volumes.get_packed(v).is_some_and(|v| !v.is_pending()))
        .collect();
    Some(info)
}

/// The cluster's answer with an empty volume list.
pub(crate) fn cluster_info_without_volumes(st: &State, id: &str) -> Option<ClusterInfoResponse> {
    let c = st.clusters.get(id)?;
    let mut info = c.info.clone();
    info.volumes.clear();
    info.blockvolumes.retain(|v| {
        st.blockvolumes
            .get(v)
            .is_some_and(|v| !v.pending.is_pending())
    });
    Some(info)
}

pub(crate) fn device_info(st: &State, id: &str) -> Option<DeviceInfoResponse> {
    let d = st.devices.get(id)?;
    Some(DeviceInfoResponse {
        info: d.info.clone(),
        state: d.state,
        bricks: d
            .bricks
            .iter()
            .filter_map(|b| st.bricks.get(b))
            .map(|b| b.info.clone())
            .collect(),
    })
}

pub(crate) fn node_info(st: &State, id: &str) -> Option<NodeInfoResponse> {
    let n = st.nodes.get(id)?;
    Some(NodeInfoResponse {
        info: n.info.clone(),
        state: n.state,
        devices: n
            .devices
            .iter()
            .filter_map(|d| device_info(st, d))
            .collect(),
    })
}

pub(crate) fn volume_info(st: &State, id: &str) -> Option<VolumeInfoResponse> {
    let v = st.volumes.get(id)?;
    if v.pending.is_pending() {
        return None;
    }
    Some(VolumeInfoResponse {
        info: answer_info(st, &v),
        bricks: volume_bricks(st, &v).collect(),
    })
}

/// The bricks of volume `v` as answers list them, in its order.
pub(crate) fn volume_bricks<'a>(
    st: &'a State,
    v: &'a crate::model::VolumeEntry,
) -> impl Iterator<Item = BrickInfo> + 'a {
    v.bricks
        .iter()
        .filter_map(|b| st.bricks.get(b))
        .map(|b| b.info)
}

/// A volume's `info` as answers show it: its gluster options, no cluster list, its
/// visible block volumes.
pub(crate) fn answer_info(st: &State, v: &crate::model::VolumeEntry) -> crate::api::VolumeInfo {
    let mut info = v.info.clone();
    info.request.glustervolumeoptions = v.gluster_volume_options.clone();
    info.request.clusters.clear();
    info.blockinfo.blockvolumes.retain(|b| {
        st.blockvolumes
            .get(b)
            .is_some_and(|b| !b.pending.is_pending())
    });
    info
}

fn pending_info(engine: &Engine, op: &PendingOperationEntry) -> PendingOperationInfo {
    PendingOperationInfo {
        id: op.id.clone(),
        type_name: op.type_name().to_string(),
        status: op.status.clone(),
        sub_status: if engine.is_in_flight(&op.id) {
            "in-flight".into()
        } else {
            String::new()
        },
    }
}

impl Engine {
    pub fn cluster_list(&self) -> ClusterListResponse {
        ClusterListResponse {
            clusters: self.lock().state.clusters.keys().cloned().collect(),
        }
    }

    pub fn cluster_info(&self, id: &str) -> Result<ClusterInfoResponse> {
        not_found_if_none(cluster_info(&self.lock().state, id))
    }

    pub fn node_info(&self, id: &str) -> Result<NodeInfoResponse> {
        not_found_if_none(node_info(&self.lock().state, id))
    }

    pub fn device_info(&self, id: &str) -> Result<DeviceInfoResponse> {
        not_found_if_none(device_info(&self.lock().state, id))
    }

    pub fn volume_list(&self) -> VolumeListResponse {
        let inner = self.lock();
        VolumeListResponse {
            volumes: inner
                .state
                .volumes
                .iter()
                .filter(|(_, v)| !v.pending.is_pending())
                .map(|(k, _)| k.clone())
                .collect(),
        }
    }

    pub fn volume_info(&self, id: &str) -> Result<VolumeInfoResponse> {
        not_found_if_none(volume_info(&self.lock().state, id))
    }

    /// A visible volume by name (names are unique per cluster; the first match wins).
    pub fn volume_by_name(&self, name: &str) -> Option<VolumeInfoResponse> {
        let inner = self.lock();
        let st = &inner.state;
        st.volumes
            .values()
            .find(|v| v.info.request.name == name && !v.pending.is_pending())
            .and_then(|v| volume_info(st, &v.info.id))
    }

    /// The whole topology as heketi-cli's `topology info` builds it.
    pub fn topology_info(&self) -> TopologyInfoResponse {
        let inner = self.lock();
        let st = &inner.state;
        let clusters = st
            .clusters
            .keys()
            .filter_map(|cid| {
                let c = cluster_info(st, cid)?;
                Some(TopologyCluster {
                    volumes: c
                        .volumes
                        .iter()
                        .filter_map(|v| volume_info(st, v))
                        .collect(),
                    blockvolumes: Vec::new(),
                    nodes: c.nodes.iter().filter_map(|n| node_info(st, n)).collect(),
                    id: c.id,
                    block: c.block,
                    file: c.file,
                })
            })
            .collect();
        TopologyInfoResponse { clusters }
    }

    /// `GET /operations`.
    pub fn operations_info(&self) -> OperationsInfo {
        let inner = self.lock();
        let mut info = OperationsInfo {
            in_flight: self.in_flight_count() as u64,
            ..Default::default()
        };
        for op in inner.state.pending.values() {
            info.total += 1;
            match op.status.as_str() {
                "stale" => info.stale += 1,
                "failed" => info.failed += 1,
                _ => info.new += 1,
            }
        }
        info
    }

    /// `GET /operations/pending`.
    pub fn pending_operations(&self) -> PendingOperationListResponse {
        let inner = self.lock();
        PendingOperationListResponse {
            pendingoperations: inner
                .state
                .pending
                .values()
                .map(|op| pending_info(self, op))
                .collect(),
        }
    }

    /// `GET /operations/pending/{id}`.
    pub fn pending_operation(&self, id: &str) -> Result<PendingOperationDetails> {
        let inner = self.lock();
        let op = inner
            .state
            .pending
            .get(id)
            .ok_or_else(|| Error::not_found(format!("Id not found: {id}")))?;
        Ok(PendingOperationDetails {
            info: pending_info(self, op),
            changes: op
                .actions
                .iter()
                .map(|a| PendingChangeInfo {
                    id: a.id.clone(),
                    description: ChangeKind::from_code(a.change)
                        .map(ChangeKind::description)
                        .unwrap_or("Unknown")
                        .to_string(),
                })
                .collect(),
            progress: super::device_remove::removal_progress(&inner.state, id),
        })
    }
}
