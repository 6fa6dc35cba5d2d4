//! `GET /internal/state/examine/gluster`: the records compared with what gluster
//! reports. For every cluster, the volume list of one reachable node (the first
//! online node that answers) is compared by name with the recorded volumes.

use std::collections::BTreeSet;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use brickyard::api::EntryState;
use brickyard::executor::Host;
use serde::Serialize;

use crate::body::IndentedJson;
use crate::state::AppState;

/// The examine routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/internal/state/examine/gluster", get(examine))
}

/// A recorded volume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordedVolume {
    /// Volume id.
    pub id: String,
    /// Gluster volume name.
    pub name: String,
}

/// The comparison for one cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClusterExamination {
    /// Cluster id.
    pub cluster: String,
    /// Manage host of the node that answered, if any did.
    pub queried_node: Option<String>,
    /// Why no node could be asked (every error, by host).
    pub errors: Vec<String>,
    /// Volumes recorded for the cluster (pending ones included).
    pub recorded_volumes: usize,
    /// Volumes gluster reports.
    pub gluster_volumes: usize,
    /// Recorded, not pending, but unknown to gluster.
    pub only_in_records: Vec<RecordedVolume>,
    /// Recorded as pending and unknown to gluster (normal while an operation runs).
    pub pending_only_in_records: Vec<RecordedVolume>,
    /// Known to gluster but not recorded (names).
    pub only_in_gluster: Vec<String>,
}

/// The whole report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Examination {
    /// One entry per cluster.
    pub clusters: Vec<ClusterExamination>,
    /// Differences found in all clusters (clusters no node answered for excluded).
    pub total_differences: usize,
}

async fn examine(State(state): State<AppState>) -> IndentedJson<Examination> {
    IndentedJson(examine_state(&state).await)
}

/// Runs the comparison (one `gluster volume info` per cluster).
pub async fn examine_state(state: &AppState) -> Examination {
    let records = state.engine.state();
    let executor = state.engine.executor().clone();
    let mut report = Examination::default();
    for (cluster_id, cluster) in &records.clusters {
        let mut exam = ClusterExamination {
            cluster: cluster_id.clone(),
            ..Default::default()
        };
        let hosts: Vec<Host> = cluster
            .info
            .nodes
            .iter()
            .filter_map(|n| records.nodes.get(n))
            .filter(|n| n.state == EntryState::Online)
            .filter_map(|n| {
                let manage = n.info.hostnames.manage.first()?;
                let storage = n.info.hostnames.storage.first()?;
                Some(Host::new(manage.clone(), storage.clone()))
            })
            .collect();
        let mut gluster = None;
        for host in hosts {
            match executor.volumes(&host).await {
                Ok(volumes) => {
                    exam.queried_node = Some(host.manage.clone());
                    gluster = Some(volumes);
                    break;
                }
                Err(e) => exam.errors.push(format!("{}: {e}", host.manage)),
            }
        }
        let recorded: Vec<(RecordedVolume, bool)> = records
            .volumes
            .values()
            .filter(|v| v.info.cluster == *cluster_id)
            .map(|v| {
                (
                    RecordedVolume {
                        id: v.info.id.clone(),
                        name: v.info.request.name.clone(),
                    },
                    v.pending.is_pending(),
                )
            })
            .collect();
        exam.recorded_volumes = recorded.len();
        match gluster {
            None => {
                if exam.errors.is_empty() {
                    exam.errors.push("no online node in this cluster".into());
                }
            }
            Some(volumes) => {
                let names: BTreeSet<&str> = volumes.iter().map(|v| v.name.as_str()).collect();
                let recorded_names: BTreeSet<&str> =
                    recorded.iter().map(|(v, _)| v.name.as_str()).collect();
                exam.gluster_volumes = names.len();
                for (vol, pending) in &recorded {
                    if !names.contains(vol.name.as_str()) {
                        if *pending {
                            exam.pending_only_in_records.push(vol.clone());
                        } else {
                            exam.only_in_records.push(vol.clone());
                        }
                    }
                }
                exam.only_in_gluster = names
                    .difference(&recorded_names)
                    .map(|s| s.to_string())
                    .collect();
                report.total_differences += exam.only_in_records.len() + exam.only_in_gluster.len();
            }
        }
        report.clusters.push(exam);
    }
    report
}
