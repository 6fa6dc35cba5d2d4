//! Consistency check of the records (Heketi's `db check` rules, and a few more).

use serde::Serialize;

use crate::model::DbExport;
use crate::state::State;

use super::Engine;

/// The inconsistencies found; empty means consistent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub inconsistencies: Vec<String>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.inconsistencies.is_empty()
    }
}

/// The volume lists of the cluster records of a Heketi export (which `State` derives
/// instead of storing): every listed volume exists and belongs to the cluster, and every
/// volume is listed by its cluster.
pub(crate) fn check_export_volume_lists(e: &DbExport) -> Vec<String> {
    let mut bad = Vec::new();
    for (cid, c) in &e.clusterentries {
        for v in &c.info.volumes {
            match e.volumeentries.get(v) {
                None => bad.push(format!("cluster {cid} lists missing volume {v}")),
                Some(vol) if vol.info.cluster != *cid => bad.push(format!(
                    "volume {v} is listed by cluster {cid} but belongs to {}",
                    vol.info.cluster
                )),
                _ => {}
            }
        }
    }
    for (vid, v) in &e.volumeentries {
        if e.clusterentries
            .get(&v.info.cluster)
            .is_some_and(|c| !c.info.volumes.contains(vid))
        {
            bad.push(format!(
                "volume {vid} is not listed by its cluster {}",
                v.info.cluster
            ));
        }
    }
    bad
}

pub(crate) fn check_state(st: &State) -> CheckReport {
    let mut bad = Vec::new();
    for (cid, c) in &st.clusters {
        for n in &c.info.nodes {
            match st.nodes.get(n) {
                None => bad.push(format!("cluster {cid} lists missing node {n}")),
                Some(node) if node.info.cluster != *cid => bad.push(format!(
                    "node {n} is listed by cluster {cid} but belongs to {}",
                    node.info.cluster
                )),
                _ => {}
            }
        }
    }
    for (nid, n) in &st.nodes {
        if !st
            .clusters
            .get(&n.info.cluster)
            .is_some_and(|c| c.info.nodes.contains(nid))
        {
            bad.push(format!(
                "node {nid} is not listed by its cluster {}",
                n.info.cluster
            ));
        }
        for d in &n.devices {
            match st.devices.get(d) {
                None => bad.push(format!("node {nid} lists missing device {d}")),
                Some(dev) if dev.node_id != *nid => bad.push(format!(
                    "device {d} is listed by node {nid} but belongs to {}",
                    dev.node_id
                )),
                _ => {}
            }
        }
    }
    for (did, d) in &st.devices {
        let s = d.info.storage;
        if s.total != s.free + s.used {
            bad.push(format!(
                "device {did}: total {} != free {} + used {}",
                s.total, s.free, s.used
            ));
        }
        // A thin pool is counted once, however many bricks (a source's and its clones')
        // live in it.
        let mut sum = 0;
        let mut pools = std::collections::BTreeSet::new();
        for b in &d.bricks {
            match st.bricks.get(&b) {
                None => bad.push(format!("device {did} lists missing brick {b}")),
                Some(brick) => {
                    if brick.info.device != *did {
                        bad.push(format!(
                            "brick {b} is listed by device {did} but is on {}",
                            brick.info.device
                        ));
                    }
                    if pools.insert(brick.thin_pool_name()) {
                        sum += brick.total_size();
                    }
                }
            }
        }
        if sum > s.used {
            bad.push(format!(
                "device {did}: bricks take {sum} KiB but only {} KiB are used",
                s.used
            ));
        }
        if !st
            .nodes
            .get(&d.node_id)
            .is_some_and(|n| n.devices.contains(did))
        {
            bad.push(format!(
                "device {did} is not listed by its node {}",
                d.node_id
            ));
        }
    }
    for (bid, b) in st.bricks.iter() {
        if !st
            .devices
            .get(&b.info.device)
            .is_some_and(|d| d.bricks.contains(&bid))
        {
            bad.push(format!(
                "brick {bid} is not listed by its device {}",
                b.info.device
            ));
        }
        // A replacement brick joins its volume's list when its operation finishes.
        if !b.pending.is_pending()
            && !st
                .volumes
                .get(&b.info.volume)
                .is_some_and(|v| v.bricks.contains(&bid))
        {
            bad.push(format!(
                "brick {bid} is not listed by its volume {}",
                b.info.volume
            ));
        }
        if let Some(dev) = st.devices.get(&b.info.device)
            && dev.node_id != b.info.node
        {
            bad.push(format!(
                "brick {bid} says node {} but its device is on {}",
                b.info.node, dev.node_id
            ));
        }
        if b.pending.is_pending() && !st.pending.contains_key(&b.pending.id) {
            bad.push(format!(
                "brick {bid} is pending on missing operation {}",
                b.pending.id
            ));
        }
    }
    for (vid, v) in st.volumes.iter() {
        // A cluster's volume list is derived from this field (see `State`).
        if !st.clusters.contains_key(&v.info.cluster) {
            bad.push(format!(
                "volume {vid} belongs to missing cluster {}",
                v.info.cluster
            ));
        }
        for b in &v.bricks {
            match st.bricks.get(b) {
                None => bad.push(format!("volume {vid} lists missing brick {b}")),
                Some(brick) if brick.info.volume != *vid => bad.push(format!(
                    "brick {b} is listed by volume {vid} but belongs to {}",
                    brick.info.volume
                )),
                _ => {}
            }
        }
        if v.pending.is_pending() && !st.pending.contains_key(&v.pending.id) {
            bad.push(format!(
                "volume {vid} is pending on missing operation {}",
                v.pending.id
            ));
        }
    }
    CheckReport {
        inconsistencies: bad,
    }
}

impl Engine {
    /// Checks every cross-link and every device's space accounting.
    pub fn check(&self) -> CheckReport {
        check_state(&self.lock().state)
    }
}
