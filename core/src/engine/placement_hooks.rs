//! The `placement.filter` / `placement.score` call site: the cluster's usable devices as
//! plain [`DeviceCandidate`]s go to the hooks, and the verdicts come back as the
//! request's `allowed` / `scores` (placement still enforces every constraint).

use serde_json::Value;

use crate::error::Result;
use crate::hooks::{DeviceCandidate, HookError, Hooks, Verdict};
use crate::placement::{ClusterView, PlacementRequest};
use crate::state::State;

/// Asks the hooks about every usable device of `view` for one request described by
/// `ctx`, and narrows `preq` accordingly. Does nothing without placement hooks.
///
/// `allowed` / `scores` stay `None` when every verdict is neutral, so placement keeps
/// its fast path.
pub(crate) fn apply(
    hooks: Option<&dyn Hooks>,
    state: &State,
    view: &ClusterView,
    ctx: &Value,
    preq: &mut PlacementRequest,
) -> Result<()> {
    let Some(hooks) = hooks.filter(|h| h.has_placement_hooks()) else {
        return Ok(());
    };
    let (indexes, candidates): (Vec<usize>, Vec<DeviceCandidate>) = (0..view.devices().len())
        .filter(|&d| view.usable(d))
        .filter_map(|d| candidate(state, view, d).map(|c| (d, c)))
        .unzip();
    if candidates.is_empty() {
        return Ok(());
    }
    let verdicts = hooks.place(ctx, &candidates)?;
    if verdicts.len() != candidates.len() {
        return Err(HookError::Failed {
            event: "placement".into(),
            message: format!(
                "{} verdicts for {} candidate devices",
                verdicts.len(),
                candidates.len()
            ),
        }
        .into());
    }
    let count = view.devices().len();
    let mut allowed = vec![true; count];
    let mut scores = vec![0.0; count];
    for (&d, verdict) in indexes.iter().zip(&verdicts) {
        match *verdict {
            Verdict::Drop => allowed[d] = false,
            Verdict::Keep(score) if score.is_finite() => scores[d] = score,
            Verdict::Keep(score) => {
                return Err(HookError::Failed {
                    event: "placement.score".into(),
                    message: format!(
                        "score {score} for device {} is not finite",
                        view.devices()[d].id
                    ),
                }
                .into());
            }
        }
    }
    if allowed.iter().any(|a| !a) {
        preq.allowed = Some(allowed);
    }
    if scores.iter().any(|&s| s != 0.0) {
        preq.scores = Some(scores);
    }
    Ok(())
}

/// The plain description of device `d` of the view.
fn candidate(state: &State, view: &ClusterView, d: usize) -> Option<DeviceCandidate> {
    let slot = &view.devices()[d];
    let dev = state.devices.get(&slot.id)?;
    let node = state.nodes.get(&dev.node_id)?;
    let mut tags = node.info.tags.clone();
    tags.extend(dev.info.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    Some(DeviceCandidate {
        id: slot.id.clone(),
        name: dev.info.name.clone(),
        node: node.info.id.clone(),
        cluster: node.info.cluster.clone(),
        zone: node.info.zone,
        manage_host: node.manage_host().to_string(),
        storage_host: node.storage_host().to_string(),
        tags,
        total: dev.info.storage.total,
        free: slot.free,
        used: dev.info.storage.used,
        bricks: dev.bricks.len(),
    })
}
