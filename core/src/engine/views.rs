//! Keeps one placement [`ClusterView`] per cluster in step with the state, so placement
//! never rebuilds its view from the records per request: device space is updated in place;
//! only topology changes (node/device added, removed, moved) rebuild a cluster's view.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::EntryState;
use crate::placement::{ClusterView, DeviceSlot, NodeSlot};
use crate::state::{Changes, State};

/// What a committed change touches.
#[derive(Default)]
pub(super) struct Touched {
    rebuild: BTreeSet<String>,
    removed: BTreeSet<String>,
    devices: BTreeSet<String>,
}

pub(super) fn build_all(state: &State) -> BTreeMap<String, ClusterView> {
    state
        .clusters
        .keys()
        .map(|id| (id.clone(), build(state, id)))
        .collect()
}

pub(super) fn build(state: &State, cluster_id: &str) -> ClusterView {
    let mut nodes = Vec::new();
    let mut devices = Vec::new();
    if let Some(cluster) = state.clusters.get(cluster_id) {
        for node_id in &cluster.info.nodes {
            let Some(node) = state.nodes.get(node_id) else {
                continue;
            };
            let node_idx = nodes.len();
            nodes.push(NodeSlot {
                id: node_id.clone(),
                zone: node.info.zone,
                online: node.state == EntryState::Online,
                tags: node.info.tags.clone(),
            });
            for dev_id in &node.devices {
                let Some(dev) = state.devices.get(dev_id) else {
                    continue;
                };
                devices.push(DeviceSlot {
                    id: dev_id.clone(),
                    node: node_idx,
                    online: dev.state == EntryState::Online,
                    free: dev.info.storage.free,
                    extent: dev.extent(),
                    tags: dev.info.tags.clone(),
                });
            }
        }
    }
    ClusterView::new(cluster_id.to_string(), nodes, devices)
}

fn cluster_of_node(state: &State, changes: &Changes, node_id: &str) -> Option<String> {
    if let Some(Some(n)) = changes.nodes.get(node_id) {
        return Some(n.info.cluster.clone());
    }
    state.nodes.get(node_id).map(|n| n.info.cluster.clone())
}

/// Computes, before `changes` are applied to `state`, which views they affect.
pub(super) fn touched(state: &State, changes: &Changes) -> Touched {
    let mut t = Touched::default();
    for (id, new) in &changes.clusters {
        match new {
            Some(_) => {
                let nodes_changed = state.clusters.get(id).map(|old| {
                    old.info.nodes
                        != new
                            .as_ref()
                            .map(|c| c.info.nodes.clone())
                            .unwrap_or_default()
                });
                if nodes_changed != Some(false) {
                    t.rebuild.insert(id.clone());
                }
            }
            None => {
                t.removed.insert(id.clone());
            }
        }
    }
    for (id, new) in &changes.nodes {
        let old = state.nodes.get(id);
        let same_shape = match (old, new) {
            (Some(o), Some(n)) => {
                o.devices == n.devices
                    && o.info.cluster == n.info.cluster
                    && o.state == n.state
                    && o.info.zone == n.info.zone
                    && o.info.tags == n.info.tags
            }
            _ => false,
        };
        if !same_shape {
            if let Some(o) = old {
                t.rebuild.insert(o.info.cluster.clone());
            }
            if let Some(n) = new {
                t.rebuild.insert(n.info.cluster.clone());
            }
        }
    }
    for (id, new) in &changes.devices {
        let old = state.devices.get(id);
        match (old, new) {
            (Some(o), Some(n)) if o.node_id == n.node_id && o.info.tags == n.info.tags => {
                t.devices.insert(id.clone());
            }
            _ => {
                for node_id in old
                    .map(|o| o.node_id.as_str())
                    .into_iter()
                    .chain(new.as_ref().map(|n| n.node_id.as_str()))
                {
                    if let Some(c) = cluster_of_node(state, changes, node_id) {
                        t.rebuild.insert(c);
                    }
                }
            }
        }
    }
    t
}

/// Brings the views in step with `state` after the changes were applied.
pub(super) fn refresh(views: &mut BTreeMap<String, ClusterView>, state: &State, t: Touched) {
    for id in &t.removed {
        views.remove(id);
    }
    for id in &t.rebuild {
        if state.clusters.contains_key(id) {
            views.insert(id.clone(), build(state, id));
        }
    }
    for dev_id in &t.devices {
        let Some(dev) = state.devices.get(dev_id) else {
            continue;
        };
        let Some(node) = state.nodes.get(&dev.node_id) else {
            continue;
        };
        if t.rebuild.contains(&node.info.cluster) {
            continue;
        }
        let Some(view) = views.get_mut(&node.info.cluster) else {
            continue;
        };
        match view.device_index(dev_id) {
            Some(idx) => {
                view.set_free(idx, dev.info.storage.free);
                view.set_device_online(idx, dev.state == EntryState::Online);
            }
            None => {
                let rebuilt = build(state, &node.info.cluster);
                *view = rebuilt;
            }
        }
    }
}
