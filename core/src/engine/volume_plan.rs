//! Choosing a cluster and placing bricks for a new volume: shared by the dry run
//! ([`Engine::plan_volume`]) and by the create operation, so both agree.

use serde::Serialize;

use crate::api::VolumeCreateRequest;
use crate::error::{Error, Result};
use crate::placement::{self, ClusterView, NoSpaceDetails, PlacementError, Plan};
use crate::state::State;

use super::placement_hooks;
use super::volume_spec::VolumeSpec;
use super::{Engine, Inner};

/// One brick of a dry-run plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedBrickInfo {
    pub device: String,
    pub node: String,
    /// Manage hostname of the node.
    pub host: String,
    /// Virtual size of the brick LV (KiB).
    pub size: u64,
    pub tp_size: u64,
    pub metadata_size: u64,
    pub arbiter: bool,
}

/// The bricks a volume create would use, without creating anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VolumePlan {
    pub cluster: String,
    pub sets: Vec<Vec<PlannedBrickInfo>>,
}

enum Refusal {
    Flags(&'static str),
    Name,
    MaxVolumes(usize),
    Placement(PlacementError),
}

/// Places `spec` in the first cluster that takes it (requested clusters, else all, in id order).
/// `request` is what placement hooks see of the request (if there are any).
pub(crate) fn place_volume(
    inner: &Inner,
    spec: &VolumeSpec,
    engine: &super::EngineOptions,
    request: &VolumeCreateRequest,
) -> Result<(String, Plan)> {
    let state = &inner.state;
    if state.clusters.is_empty() {
        return Err(Error::invalid("No clusters configured"));
    }
    let candidates: Vec<String> = if spec.clusters.is_empty() {
        state.clusters.keys().cloned().collect()
    } else {
        for id in &spec.clusters {
            if !state.clusters.contains_key(id) {
                return Err(Error::invalid(format!("Cluster id {id} not found")));
            }
        }
        spec.clusters.clone()
    };
    spec.check_min_size(engine)?;
    let preq = spec.placement_request(spec.size_gib, 0, engine);
    let mut refusals = Vec::new();
    for cid in candidates {
        let Some(cluster) = state.clusters.get(&cid) else {
            continue;
        };
        if spec.block && !cluster.info.block {
            refusals.push((cid, Refusal::Flags("block")));
            continue;
        }
        if !spec.block && !cluster.info.file {
            refusals.push((cid, Refusal::Flags("file")));
            continue;
        }
        if !spec.name.is_empty()
            && state.volumes_named(&spec.name).any(|v| {
                state
                    .volumes
                    .get_packed(&v)
                    .is_some_and(|v| v.cluster().is(&cid))
            })
        {
            refusals.push((cid, Refusal::Name));
            continue;
        }
        if let Some(max) = engine.max_volumes()
            && state.cluster_volume_count(&cid) >= max
        {
            refusals.push((cid, Refusal::MaxVolumes(max)));
            continue;
        }
        let Some(view) = inner.views.get(&cid) else {
            continue;
        };
        let hooked;
        let preq = if engine.hooks.is_some() {
            let ctx = serde_json::json!({
                "operation": "create",
                "cluster": cid,
                "size": spec.size_gib,
                "name": spec.name,
                "request": request,
            });
            let mut narrowed = preq.clone();
            placement_hooks::apply(engine.hooks.as_deref(), state, view, &ctx, &mut narrowed)?;
            hooked = narrowed;
            &hooked
        } else {
            &preq
        };
        match placement::place(view, preq) {
            Ok(plan) => return Ok((cid, plan)),
            Err(e) => refusals.push((cid, Refusal::Placement(e))),
        }
    }
    Err(combine(spec, refusals))
}

fn combine(spec: &VolumeSpec, mut refusals: Vec<(String, Refusal)>) -> Error {
    if refusals.iter().all(|(_, r)| matches!(r, Refusal::Name)) && !refusals.is_empty() {
        return Error::AlreadyExists(format!("Volume name '{}' already in use", spec.name));
    }
    if refusals.len() == 1 {
        let (cid, r) = refusals.remove(0);
        return match r {
            Refusal::Placement(e) => e.into(),
            other => refusal_error(&cid, other),
        };
    }
    let lines: Vec<String> = refusals
        .into_iter()
        .map(|(cid, r)| match r {
            Refusal::Placement(e) => format!("cluster {cid}: {e}"),
            other => refusal_error(&cid, other).to_string(),
        })
        .collect();
    PlacementError::NoSpace(Box::new(NoSpaceDetails {
        cluster: "(every candidate)".into(),
        attempts: Vec::new(),
        devices: Vec::new(),
        summary: lines.join("; "),
    }))
    .into()
}

fn refusal_error(cid: &str, r: Refusal) -> Error {
    match r {
        Refusal::Flags(kind) => Error::invalid(format!(
            "cluster {cid} does not allow {kind} volumes (see `cluster setflags`)"
        )),
        Refusal::Name => {
            Error::AlreadyExists(format!("cluster {cid} already has a volume of that name"))
        }
        Refusal::MaxVolumes(max) => Error::conflict(format!(
            "cluster {cid} already holds {max} volumes (max_volumes_per_cluster)"
        )),
        Refusal::Placement(e) => e.into(),
    }
}

impl Engine {
    /// The exact bricks a create of `req` would use now, without changing anything.
    pub fn plan_volume(&self, req: &VolumeCreateRequest) -> Result<VolumePlan> {
        let spec = VolumeSpec::from_request(req, &self.shared.options)?;
        let inner = self.lock();
        let (cid, plan) = place_volume(&inner, &spec, &self.shared.options, req)?;
        let Some(view) = inner.views.get(&cid) else {
            return Err(Error::id_not_found());
        };
        let sets = resolve(view, &plan, &inner.state);
        Ok(VolumePlan { cluster: cid, sets })
    }
}

/// The plan with ids and hosts instead of view indexes.
pub(crate) fn resolve(
    view: &ClusterView,
    plan: &Plan,
    state: &State,
) -> Vec<Vec<PlannedBrickInfo>> {
    plan.sets
        .iter()
        .map(|set| {
            set.iter()
                .map(|b| {
                    let dev = &view.devices()[b.device];
                    let node = &view.nodes()[dev.node];
                    let host = state
                        .nodes
                        .get(&node.id)
                        .map(|n| n.manage_host().to_string())
                        .unwrap_or_default();
                    PlannedBrickInfo {
                        device: dev.id.clone(),
                        node: node.id.clone(),
                        host,
                        size: b.size,
                        tp_size: b.tp_size,
                        metadata_size: b.metadata_size,
                        arbiter: b.arbiter,
                    }
                })
                .collect()
        })
        .collect()
}
