//! Mock nodes live in memory only. A process that reopens a database with the mock
//! executor (a restarted `brickyard serve`, a new Python or Ansible process) calls
//! [`Engine::restore_mock_nodes`] so that the nodes hold again what the records say:
//! peers, VGs, thin LVs, mounts, fstab lines and gluster volumes.

use crate::error::Result;
use crate::executor::MockTransport;

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
        for brick in st.bricks.values() {
            let Some(node) = st.nodes.get(&brick.info.node) else {
                continue;
            };
            let gid = st
                .volumes
                .get(&brick.info.volume)
                .map(|v| v.info.request.gid)
                .unwrap_or(0);
            ex.brick_create(&host_of(node), &brick_request(brick, gid))
                .await?;
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
