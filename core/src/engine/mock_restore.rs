//! Mock nodes live in memory only. A process that reopens a database with the mock
//! executor (a restarted `brickyard serve`, a new Python or Ansible process) calls
//! [`Engine::restore_mock_nodes`] so that the nodes hold again what the records say:
//! peers, VGs, thin LVs, mounts, fstab lines and gluster volumes.

use crate::error::{Error, Result};
use crate::executor::{CloneBrickState, MockTransport};

use super::Engine;
use super::hosts::{brick_request, gluster_hosts, host_of, volume_request};

/// Room for the PV metadata area and alignment on top of a device's recorded size.
const PV_OVERHEAD_KIB: u64 = 129 * 1024;

impl Engine {
    /// Recreates on the mock nodes behind `mock` what the records describe. Only for an
    /// engine whose executor runs over `mock`; never for real nodes.
    pub async fn restore_mock_nodes(&self, mock: &MockTransport) -> Result<()> {
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
            ex.brick_create(&host_of(node), &brick_request(brick, gid))
                .await?;
        }
        for (brick, node) in clone_bricks {
            let gid = st
                .volumes
                .get(&brick.info.volume)
                .map(|v| v.info.request.gid)
                .unwrap_or(0);
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
                .map_err(|e| Error::conflict(format!("restoring brick {}: {e}", brick.info.id)))?;
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
            let req = volume_request(&st, vol, &vol.bricks, &self.shared.options);
            ex.volume_create(&host, &req).await?;
        }
        Ok(())
    }
}
