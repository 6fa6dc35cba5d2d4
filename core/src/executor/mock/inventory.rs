//! What is on the mock nodes against what the records say is there, item by item.
//!
//! [`Inventory::of_nodes`] lists what the mock nodes hold: PVs, VGs, thin pools, thin
//! LVs, mounts, fstab lines, gluster volumes with their bricks and pool membership.
//! [`Inventory::of_records`] lists what the records imply on the same terms: a PV and
//! a VG `vg_<device id>` per device, a thin pool, a thin LV of the brick's size, a mount
//! and (except a clone's brick, which glusterd mounts itself) an fstab line per brick,
//! a gluster volume per volume with its bricks, and every node of a cluster a peer of
//! the others. [`compare_records_with_nodes`] lists every item on one side only, and
//! where the records' space accounting is not exact: with no operation pending, a
//! device's `used` is the sum of its thin pools (each counted once) and
//! `total == free + used`. An empty answer is "records and nodes agree exactly".
//!
//! Leftovers no client sees are not listed: directories, a deleted volume's xattrs,
//! gluster snapshots' bookkeeping (their LVs are listed).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::MockNodeState;
use crate::state::State;

/// One thing on a node (hosts are manage hosts; gluster names storage hosts).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum InventoryItem {
    /// A PV on `device`, in `vg` if any.
    Pv {
        /// Node.
        host: String,
        /// Device path.
        device: String,
        /// Its VG.
        vg: Option<String>,
    },
    /// A VG.
    Vg {
        /// Node.
        host: String,
        /// VG name.
        vg: String,
    },
    /// A thin pool LV.
    ThinPool {
        /// Node.
        host: String,
        /// VG name.
        vg: String,
        /// Pool LV name.
        pool: String,
    },
    /// A thin LV in a pool, of a virtual size.
    ThinLv {
        /// Node.
        host: String,
        /// VG name.
        vg: String,
        /// Its pool.
        pool: String,
        /// LV name.
        lv: String,
        /// Virtual size (KiB).
        size_kib: u64,
    },
    /// A mounted file system.
    Mount {
        /// Node.
        host: String,
        /// Mount point.
        dir: String,
        /// Device mounted.
        device: String,
    },
    /// A line of the fstab file (its device and mount point).
    Fstab {
        /// Node.
        host: String,
        /// Mount point.
        dir: String,
        /// Device.
        device: String,
    },
    /// A gluster volume and its bricks (`storage host:path`, sorted).
    Volume {
        /// Volume name.
        name: String,
        /// Bricks.
        bricks: Vec<String>,
    },
    /// `host` (a storage name) has `peer` in its trusted pool.
    Peer {
        /// Storage host.
        host: String,
        /// The peer's storage host.
        peer: String,
    },
}

impl fmt::Display for InventoryItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InventoryItem::Pv { host, device, vg } => {
                write!(
                    f,
                    "{host}: PV {device} (VG {})",
                    vg.as_deref().unwrap_or("-")
                )
            }
            InventoryItem::Vg { host, vg } => write!(f, "{host}: VG {vg}"),
            InventoryItem::ThinPool { host, vg, pool } => {
                write!(f, "{host}: thin pool {vg}/{pool}")
            }
            InventoryItem::ThinLv {
                host,
                vg,
                pool,
                lv,
                size_kib,
            } => write!(f, "{host}: thin LV {vg}/{lv} in {pool} of {size_kib} KiB"),
            InventoryItem::Mount { host, dir, device } => {
                write!(f, "{host}: mount {device} on {dir}")
            }
            InventoryItem::Fstab { host, dir, device } => {
                write!(f, "{host}: fstab line {device} {dir}")
            }
            InventoryItem::Volume { name, bricks } => {
                write!(f, "gluster volume {name} [{}]", bricks.join(", "))
            }
            InventoryItem::Peer { host, peer } => write!(f, "{host}: gluster peer {peer}"),
        }
    }
}

/// A set of [`InventoryItem`]s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    /// The items.
    pub items: BTreeSet<InventoryItem>,
}

/// `/dev/mapper` name of an LV (dashes inside names doubled), as device-mapper names it.
fn mapper(vg: &str, lv: &str) -> String {
    super::node::mapper_name(vg, lv)
}

impl Inventory {
    /// What the mock nodes hold.
    pub fn of_nodes(nodes: &[MockNodeState]) -> Inventory {
        let mut items = BTreeSet::new();
        for n in nodes {
            let host = &n.manage;
            for pv in &n.pvs {
                items.insert(InventoryItem::Pv {
                    host: host.clone(),
                    device: pv.device.clone(),
                    vg: pv.vg.clone(),
                });
            }
            for vg in &n.vgs {
                items.insert(InventoryItem::Vg {
                    host: host.clone(),
                    vg: vg.name.clone(),
                });
                for pool in &vg.thin_pools {
                    items.insert(InventoryItem::ThinPool {
                        host: host.clone(),
                        vg: vg.name.clone(),
                        pool: pool.name.clone(),
                    });
                    for lv in &pool.thin_lvs {
                        items.insert(InventoryItem::ThinLv {
                            host: host.clone(),
                            vg: vg.name.clone(),
                            pool: pool.name.clone(),
                            lv: lv.name.clone(),
                            size_kib: lv.virtual_size_kib,
                        });
                    }
                }
            }
            for m in &n.mounts {
                items.insert(InventoryItem::Mount {
                    host: host.clone(),
                    dir: m.dir.clone(),
                    device: m.device.clone(),
                });
            }
            for line in &n.fstab {
                let mut f = line.split_whitespace();
                if let (Some(device), Some(dir)) = (f.next(), f.next()) {
                    items.insert(InventoryItem::Fstab {
                        host: host.clone(),
                        dir: dir.to_string(),
                        device: device.to_string(),
                    });
                }
            }
            for v in &n.volumes {
                let mut bricks = v.bricks.clone();
                bricks.sort();
                items.insert(InventoryItem::Volume {
                    name: v.name.clone(),
                    bricks,
                });
            }
            for p in &n.peers {
                items.insert(InventoryItem::Peer {
                    host: n.storage.clone(),
                    peer: p.clone(),
                });
            }
        }
        Inventory { items }
    }

    /// What the records say the nodes hold.
    pub fn of_records(st: &State) -> Inventory {
        let mut items = BTreeSet::new();
        let manage = |node_id: &str| {
            st.nodes
                .get(node_id)
                .and_then(|n| n.info.hostnames.manage.first().cloned())
                .unwrap_or_else(|| format!("<node {node_id} not in the records>"))
        };
        let storage = |node_id: &str| {
            st.nodes
                .get(node_id)
                .and_then(|n| n.info.hostnames.storage.first().cloned())
                .unwrap_or_else(|| format!("<node {node_id} not in the records>"))
        };
        for d in st.devices.values() {
            let host = manage(&d.node_id);
            let vg = format!("vg_{}", d.info.id);
            items.insert(InventoryItem::Pv {
                host: host.clone(),
                device: d.info.name.clone(),
                vg: Some(vg.clone()),
            });
            items.insert(InventoryItem::Vg { host, vg });
        }
        for b in st.bricks.values() {
            if b.info.path.is_empty() {
                continue; // a pending clone's brick: nothing on the nodes yet
            }
            let host = manage(&b.info.node);
            let vg = format!("vg_{}", b.info.device);
            let pool = b.thin_pool_name();
            let lv = if b.lvm_lv.is_empty() {
                format!("brick_{}", b.info.id)
            } else {
                b.lvm_lv.clone()
            };
            let dir = b
                .info
                .path
                .strip_suffix("/brick")
                .unwrap_or(&b.info.path)
                .to_string();
            let device = mapper(&vg, &lv);
            items.insert(InventoryItem::ThinPool {
                host: host.clone(),
                vg: vg.clone(),
                pool: pool.clone(),
            });
            items.insert(InventoryItem::ThinLv {
                host: host.clone(),
                vg: vg.clone(),
                pool,
                lv,
                size_kib: b.info.size,
            });
            items.insert(InventoryItem::Mount {
                host: host.clone(),
                dir: dir.clone(),
                device: device.clone(),
            });
            // glusterd mounts a clone's bricks (under /run/gluster) itself.
            if !b.info.path.starts_with("/run/gluster/") {
                items.insert(InventoryItem::Fstab { host, dir, device });
            }
        }
        for v in st.volumes.values() {
            let mut bricks: Vec<String> = v
                .bricks
                .iter()
                .filter_map(|id| st.bricks.get(id))
                .map(|b| format!("{}:{}", storage(&b.info.node), b.info.path))
                .collect();
            bricks.sort();
            items.insert(InventoryItem::Volume {
                name: v.info.request.name.clone(),
                bricks,
            });
        }
        for c in st.clusters.values() {
            let names: Vec<String> = c.info.nodes.iter().map(|n| storage(n)).collect();
            for a in &names {
                for b in &names {
                    if a != b {
                        items.insert(InventoryItem::Peer {
                            host: a.clone(),
                            peer: b.clone(),
                        });
                    }
                }
            }
        }
        Inventory { items }
    }
}

/// Every item on one side only: `only in the records: …` and `only on the nodes: …`,
/// one line each.
pub fn compare_inventories(records: &Inventory, nodes: &Inventory) -> Vec<String> {
    let mut out: Vec<String> = records
        .items
        .difference(&nodes.items)
        .map(|i| format!("only in the records: {i}"))
        .collect();
    out.extend(
        nodes
            .items
            .difference(&records.items)
            .map(|i| format!("only on the nodes: {i}")),
    );
    out
}

/// Records against mock nodes: every item on one side only
/// ([`compare_inventories`]), and where the space accounting is not exact (only
/// checked when no operation is pending: a pending one holds reservations).
pub fn compare_records_with_nodes(st: &State, nodes: &[MockNodeState]) -> Vec<String> {
    let mut out = compare_inventories(&Inventory::of_records(st), &Inventory::of_nodes(nodes));
    if st.pending.is_empty() {
        out.extend(accounting_errors(st));
    }
    out
}

/// Where a device's space accounting is not exact: `total != free + used`, or `used`
/// not the sum of its thin pools (data and metadata, each pool counted once).
pub fn accounting_errors(st: &State) -> Vec<String> {
    let mut out = Vec::new();
    for (did, d) in &st.devices {
        let s = d.info.storage;
        if s.total != s.free + s.used {
            out.push(format!(
                "device {did}: total {} != free {} + used {}",
                s.total, s.free, s.used
            ));
        }
        let mut pools = BTreeMap::new();
        for b in d.bricks.iter().filter_map(|b| st.bricks.get(b)) {
            pools
                .entry(b.thin_pool_name())
                .or_insert(b.tp_size + b.pool_metadata_size);
        }
        let sum: u64 = pools.values().sum();
        if sum != s.used {
            out.push(format!(
                "device {did}: used {} KiB but its thin pools take {sum} KiB",
                s.used
            ));
        }
    }
    out
}
