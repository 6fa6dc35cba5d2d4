//! Mock nodes live in memory only. A process that reopens a database with the mock
//! executor (a restarted `brickyard serve`, a new Python or Ansible process) calls
//! [`Engine::restore_mock_nodes`] so that the nodes hold again what the records say:
//! peers, VGs, thin LVs, mounts, fstab lines and gluster volumes.
//!
//! Nodes, peers and devices (a few) are set up through the executor; bricks and volumes
//! (hundreds of thousands) are built directly in the mock as their commands would leave
//! them ([`MockTransport::restore_brick`], [`MockTransport::restore_volume`]), under the
//! engine lock, without copying the state: a restart with 100,000 volumes answers in
//! seconds instead of minutes. [`Engine::restore_mock_nodes_by_commands`] replays every
//! command instead (the reference the tests compare with).

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::Arc;

use crate::executor::{CloneBrickState, CommandConfig, Host, MockTransport, RestoredVolume};
use crate::model::{BrickEntry, NodeEntry, VolumeEntry};
use crate::state::State;

use super::Engine;
use super::hosts::{brick_request, gluster_hosts, host_of, volume_request};

/// Room for the PV metadata area and alignment on top of a device's recorded size.
const PV_OVERHEAD_KIB: u64 = 129 * 1024;

impl Engine {
    /// Recreates on the mock nodes behind `mock` what the records describe. Only for an
    /// engine whose executor runs over `mock`; never for real nodes.
    pub async fn restore_mock_nodes(&self, mock: &MockTransport) -> Result<()> {
        let Some(cfg) = self.shared.executor.command_config().cloned() else {
            return self.restore_mock_nodes_by_commands(mock).await;
        };
        let ex = self.shared.executor.clone();
        // Nodes and devices: copied out (few), set up through the executor.
        let (pools, devices) = {
            let inner = self.lock();
            let st = &inner.state;
            let pools: Vec<Vec<Host>> = st
                .clusters
                .values()
                .map(|c| {
                    c.info
                        .nodes
                        .iter()
                        .filter_map(|n| st.nodes.get(n))
                        .map(host_of)
                        .collect()
                })
                .collect();
            let devices: Vec<(Host, String, u64, String)> = st
                .devices
                .values()
                .filter_map(|d| {
                    let node = st.nodes.get(&d.node_id)?;
                    Some((
                        host_of(node),
                        d.info.name.clone(),
                        d.info.storage.total,
                        d.info.id.clone(),
                    ))
                })
                .collect();
            (pools, devices)
        };
        for hosts in &pools {
            for h in hosts {
                mock.add_node(&h.manage, &h.storage);
                ex.glusterd_check(h).await?;
            }
            if let Some((first, rest)) = hosts.split_first() {
                for h in rest {
                    ex.peer_probe(first, h).await?;
                }
            }
        }
        for (h, name, total, id) in &devices {
            mock.set_device_size(&h.manage, name, total + PV_OVERHEAD_KIB);
            ex.device_setup(h, name, id, false).await?;
        }
        if !mock.is_durable() {
            return self.restore_mock_lazily(mock, &cfg);
        }
        // Bricks and volumes: built directly from the records, under the lock.
        let inner = self.lock();
        let st: &State = &inner.state;
        let gid_of = |volume: &str| st.volumes.get(volume).map_or(0, |v| v.info.request.gid);
        for (brick, node) in restorable_bricks(st, false) {
            let req = brick_request(&brick, gid_of(&brick.info.volume));
            mock.restore_brick(node.manage_host(), &cfg, &req)
                .map_err(|e| Error::conflict(format!("restoring brick {}: {e}", brick.info.id)))?;
        }
        for (brick, node) in restorable_bricks(st, true) {
            restore_clone_brick(mock, &brick, node, gid_of(&brick.info.volume))?;
        }
        for vol in st.volumes.values() {
            let Some(manage) = volume_host(st, &vol) else {
                continue;
            };
            let req = volume_request(st, &vol, &vol.bricks, &self.shared.options);
            mock.restore_volume(&manage, &cfg, &req)
                .map_err(|e| Error::conflict(format!("restoring volume {}: {e}", vol.info.id)))?;
        }
        Ok(())
    }

    /// The bricks and volumes of [`Engine::restore_mock_nodes`] for mock nodes without a
    /// state file: the gluster volume table at once, each brick noted for its node and
    /// built when the node is first looked at (see `executor/mock/restore.rs`). A
    /// restart with 100,000 volumes takes its first create without building them all.
    fn restore_mock_lazily(&self, mock: &MockTransport, cfg: &CommandConfig) -> Result<()> {
        let inner = self.lock();
        let st: &State = &inner.state;
        let cfg = Arc::new(cfg.clone());
        // By volume id: the volume's gluster id and gid, for its bricks.
        let mut restored: HashMap<String, (RestoredVolume, i64)> =
            HashMap::with_capacity(st.volumes.len());
        for vol in st.volumes.values() {
            let Some(manage) = volume_host(st, &vol) else {
                continue;
            };
            let req = volume_request(st, &vol, &vol.bricks, &self.shared.options);
            let id = mock
                .restore_volume_table(&manage, &req)
                .map_err(|e| Error::conflict(format!("restoring volume {}: {e}", vol.info.id)))?;
            let gid = vol.info.request.gid;
            restored.insert(vol.info.id, (id, gid));
        }
        let volume_of = |volume: &str| match restored.get(volume) {
            Some((v, gid)) => (Some(v), *gid),
            None => (
                None,
                st.volumes.get(volume).map_or(0, |v| v.info.request.gid),
            ),
        };
        for (brick, node) in restorable_bricks(st, false) {
            let (volume, gid) = volume_of(&brick.info.volume);
            mock.defer_brick(node.manage_host(), &cfg, brick_request(&brick, gid), volume)
                .map_err(|e| Error::conflict(format!("restoring brick {}: {e}", brick.info.id)))?;
        }
        for (brick, node) in restorable_bricks(st, true) {
            let (volume, gid) = volume_of(&brick.info.volume);
            restore_clone_brick(mock, &brick, node, gid)?;
            if let Some(v) = volume {
                mock.mark_restored_brick(node.manage_host(), &brick.info.path, v);
            }
        }
        Ok(())
    }

    /// [`Engine::restore_mock_nodes`] by replaying every command through the executor
    /// (minutes for 100,000 volumes): for an executor without a command configuration,
    /// and as the reference the direct restore is compared with in tests.
    pub async fn restore_mock_nodes_by_commands(&self, mock: &MockTransport) -> Result<()> {
        let st = self.state();
        let ex = self.shared.executor.clone();
        for cluster in st.clusters.values() {
            let hosts: Vec<_> = cluster
                .info
                .nodes
                .iter()
                .filter_map(|n| st.nodes.get(n))
                .map(host_of)
                .collect();
            for h in &hosts {
                mock.add_node(&h.manage, &h.storage);
                ex.glusterd_check(h).await?;
            }
            if let Some((first, rest)) = hosts.split_first() {
                for h in rest {
                    ex.peer_probe(first, h).await?;
                }
            }
        }
        for dev in st.devices.values() {
            let Some(node) = st.nodes.get(&dev.node_id) else {
                continue;
            };
            let h = host_of(node);
            mock.set_device_size(
                &h.manage,
                &dev.info.name,
                dev.info.storage.total + PV_OVERHEAD_KIB,
            );
            ex.device_setup(&h, &dev.info.name, &dev.info.id, false)
                .await?;
        }
        // Bricks first, then clones' bricks (gluster's thin snapshots in the same pools).
        let mut clone_bricks = Vec::new();
        for brick in st.bricks.values() {
            let Some(node) = st.nodes.get(&brick.info.node) else {
                continue;
            };
            if brick.info.path.is_empty() {
                continue; // a pending clone's brick: nothing on the nodes yet
            }
            if !brick.lvm_lv.is_empty() {
                clone_bricks.push((brick, node));
                continue;
            }
            let gid = st
                .volumes
                .get(&brick.info.volume)
                .map(|v| v.info.request.gid)
                .unwrap_or(0);
            ex.brick_create(&host_of(node), &brick_request(&brick, gid))
                .await?;
        }
        for (brick, node) in clone_bricks {
            let gid = st
                .volumes
                .get(&brick.info.volume)
                .map(|v| v.info.request.gid)
                .unwrap_or(0);
            restore_clone_brick(mock, &brick, node, gid)?;
        }
        for vol in st.volumes.values() {
            if vol.pending.is_pending() || vol.bricks.is_empty() {
                continue;
            }
            let first = st.bricks.get(&vol.bricks[0]).map(|b| b.info.node.clone());
            let Some(host) = gluster_hosts(&st, &vol.info.cluster, first.as_deref())
                .into_iter()
                .next()
            else {
                continue;
            };
            let req = volume_request(&st, &vol, &vol.bricks, &self.shared.options);
            ex.volume_create(&host, &req).await?;
        }
        Ok(())
    }
}

/// A clone's brick (a thin snapshot LV in its source brick's pool), built directly.
/// The bricks the nodes hold, with their nodes: clones' bricks (gluster's thin
/// snapshots, restored after every other brick since they share its pools) or the
/// others. A pending clone's brick (no path yet) is not on the nodes.
fn restorable_bricks(
    st: &State,
    clones: bool,
) -> impl Iterator<Item = (BrickEntry, &NodeEntry)> + '_ {
    st.bricks.values().filter_map(move |b| {
        if b.info.path.is_empty() || b.lvm_lv.is_empty() == clones {
            return None;
        }
        let node = st.nodes.get(&b.info.node)?;
        Some((b, node))
    })
}

/// The node whose gluster pool holds `vol` (None: nothing to restore). Every node of a
/// cluster is in one pool: the first brick's node holds the volume for all of them
/// (gluster_hosts would list them all).
fn volume_host(st: &State, vol: &VolumeEntry) -> Option<String> {
    if vol.pending.is_pending() || vol.bricks.is_empty() {
        return None;
    }
    let first = st
        .bricks
        .get(&vol.bricks[0])
        .and_then(|b| st.nodes.get(&b.info.node));
    match first {
        Some(n) => Some(n.manage_host().to_string()),
        None => gluster_hosts(st, &vol.info.cluster, None)
            .into_iter()
            .next()
            .map(|h| h.manage),
    }
}

fn restore_clone_brick(
    mock: &MockTransport,
    brick: &BrickEntry,
    node: &NodeEntry,
    gid: i64,
) -> Result<()> {
    let req = brick_request(brick, gid);
    let state = CloneBrickState {
        vg: req.vg_name(),
        pool: req.tp_name(),
        pool_kib: brick.tp_size,
        metadata_kib: brick.pool_metadata_size,
        lv: req.lv_name(),
        virtual_kib: brick.info.size,
        mount_dir: req.mount_dir(),
        gid,
    };
    mock.restore_clone_brick(&host_of(node).manage, &state)
        .map_err(|e| Error::conflict(format!("restoring brick {}: {e}", brick.info.id)))
}
