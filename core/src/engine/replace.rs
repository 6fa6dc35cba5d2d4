//! Brickyard extras: replacing a device or a node in one command.
//!
//! - device replace: add the new device on the old one's node (with its tags), move
//!   every brick (to the new device first, where the placement rules allow), then
//!   retire the old device (offline → remove → delete);
//! - node replace: add the new node with the old one's cluster, zone and tags, add its
//!   devices, move every brick (to the new node first), retire the old node (offline →
//!   remove → delete its devices → delete).
//!
//! Every step is idempotent, so a replacement interrupted (a crash, a failure) is
//! resumed by running the same command again: a device or node that already exists
//! under the new name is reused, a device already offline or failed stays so, and the
//! removal moves only the bricks that are still there.

use std::future::Future;

use crate::api::{
    DeviceAddRequest, DeviceInfoResponse, EntryState, HostAddresses, NodeAddRequest,
    NodeInfoResponse,
};
use crate::error::{Error, Result};

use super::Engine;
use super::brick_replace::HealCheck;
use super::validate::{is_valid_device_name, is_valid_host};

/// A node replacement: the new node's host names and devices.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeReplaceRequest {
    /// Manage and storage host names of the new node.
    pub hostnames: HostAddresses,
    /// Devices to add on the new node (e.g. `/dev/sdb`).
    #[serde(default)]
    pub devices: Vec<String>,
}

impl Engine {
    /// Replaces device `id` by `new_device` on the same node and waits for it.
    pub async fn replace_device(
        &self,
        id: &str,
        new_device: &str,
        healcheck: HealCheck,
    ) -> Result<DeviceInfoResponse> {
        self.begin_device_replace(id, new_device, healcheck)?.await
    }

    /// Checks the request; the future adds the new device, moves the bricks and
    /// retires the old device. Returns the new device.
    pub fn begin_device_replace(
        &self,
        id: &str,
        new_device: &str,
        healcheck: HealCheck,
    ) -> Result<impl Future<Output = Result<DeviceInfoResponse>> + Send + 'static> {
        if new_device.is_empty() {
            return Err(Error::invalid("name: cannot be blank."));
        }
        if !is_valid_device_name(new_device) {
            return Err(Error::invalid("name: must be in a valid format."));
        }
        let (node, tags, old_name) = {
            let inner = self.lock();
            let dev = inner
                .state
                .devices
                .get(id)
                .ok_or_else(Error::id_not_found)?;
            (
                dev.node_id.clone(),
                dev.info.tags.clone(),
                dev.info.name.clone(),
            )
        };
        if old_name == new_device {
            return Err(Error::invalid(format!(
                "device {id} is {new_device} already; name the new device"
            )));
        }
        let engine = self.clone();
        let id = id.to_string();
        let new_device = new_device.to_string();
        Ok(async move {
            let out = async {
                let new_id = match engine.device_on_node(&node, &new_device) {
                    Some(d) => d,
                    None => {
                        engine
                            .add_device(DeviceAddRequest {
                                name: new_device.clone(),
                                node: node.clone(),
                                tags,
                                destroydata: false,
                            })
                            .await?
                            .info
                            .id
                    }
                };
                engine
                    .retire_device(&id, healcheck, vec![new_id.clone()])
                    .await?;
                engine.device_info(&new_id)
            }
            .await;
            engine.announce("device.replace", "device.post_replace", super::to_json, out)
        })
    }

    /// The id of device `name` on node `node`, if it exists.
    fn device_on_node(&self, node: &str, name: &str) -> Option<String> {
        let inner = self.lock();
        let st = &inner.state;
        st.nodes.get(node).and_then(|n| {
            n.devices
                .iter()
                .find(|d| st.devices.get(*d).is_some_and(|d| d.info.name == name))
                .cloned()
        })
    }

    /// Offline (if online), remove (moving bricks to `prefer` first), delete.
    async fn retire_device(
        &self,
        id: &str,
        healcheck: HealCheck,
        prefer: Vec<String>,
    ) -> Result<()> {
        let state = self
            .lock()
            .state
            .devices
            .get(id)
            .map(|d| d.state)
            .ok_or_else(Error::id_not_found)?;
        if state == EntryState::Online {
            self.set_device_state(id, "offline").await?;
        }
        if state != EntryState::Failed {
            self.device_removal(id, healcheck, true, prefer)?.await?;
        }
        self.delete_device(id, false).await
    }

    /// Replaces node `id` by a new node and waits for it.
    pub async fn replace_node(
        &self,
        id: &str,
        req: NodeReplaceRequest,
        healcheck: HealCheck,
    ) -> Result<NodeInfoResponse> {
        self.begin_node_replace(id, req, healcheck)?.await
    }

    /// Checks the request; the future adds the new node and its devices, moves the
    /// bricks and retires the old node. Returns the new node.
    pub fn begin_node_replace(
        &self,
        id: &str,
        req: NodeReplaceRequest,
        healcheck: HealCheck,
    ) -> Result<impl Future<Output = Result<NodeInfoResponse>> + Send + 'static> {
        let manage = req.hostnames.manage.first().cloned().unwrap_or_default();
        if manage.is_empty() || req.hostnames.storage.is_empty() {
            return Err(Error::invalid(
                "hostnames: (manage: cannot be blank; storage: cannot be blank.).",
            ));
        }
        if let Some(bad) = req
            .hostnames
            .manage
            .iter()
            .chain(&req.hostnames.storage)
            .find(|h| !is_valid_host(h))
        {
            return Err(Error::invalid(format!(
                "hostnames: {bad} is not a valid hostname."
            )));
        }
        if req.devices.is_empty() {
            return Err(Error::invalid("devices: cannot be blank."));
        }
        if let Some(bad) = req.devices.iter().find(|d| !is_valid_device_name(d)) {
            return Err(Error::invalid(format!(
                "devices: {bad} must be in a valid format."
            )));
        }
        let (cluster, zone, tags, device_tags, reuse) = {
            let inner = self.lock();
            let st = &inner.state;
            let node = st.nodes.get(id).ok_or_else(Error::id_not_found)?;
            if node.info.hostnames.manage.contains(&manage) {
                return Err(Error::invalid(format!(
                    "node {id} is {manage} already; name the new node"
                )));
            }
            let device_tags: Vec<_> = node
                .devices
                .iter()
                .filter_map(|d| st.devices.get(d).map(|d| d.info.tags.clone()))
                .collect();
            // A node already added under the new name (a resumed replacement).
            let reuse = st
                .nodes
                .iter()
                .find(|(_, n)| n.info.hostnames.manage.contains(&manage))
                .map(|(nid, n)| (nid.clone(), n.info.cluster.clone()));
            if let Some((nid, c)) = &reuse
                && *c != node.info.cluster
            {
                return Err(Error::AlreadyExists(format!(
                    "Hostname {manage} already used by node with id {nid}"
                )));
            }
            (
                node.info.cluster.clone(),
                node.info.zone,
                node.info.tags.clone(),
                device_tags,
                reuse.map(|(nid, _)| nid),
            )
        };
        let engine = self.clone();
        let id = id.to_string();
        Ok(async move {
            let out = async {
                let new_node = match reuse {
                    Some(n) => n,
                    None => {
                        engine
                            .add_node(NodeAddRequest {
                                zone,
                                hostnames: req.hostnames.clone(),
                                cluster,
                                tags,
                            })
                            .await?
                            .info
                            .id
                    }
                };
                let mut new_devices = Vec::new();
                for (i, name) in req.devices.iter().enumerate() {
                    let d = match engine.device_on_node(&new_node, name) {
                        Some(d) => d,
                        None => {
                            engine
                                .add_device(DeviceAddRequest {
                                    name: name.clone(),
                                    node: new_node.clone(),
                                    tags: device_tags.get(i).cloned().unwrap_or_default(),
                                    destroydata: false,
                                })
                                .await?
                                .info
                                .id
                        }
                    };
                    new_devices.push(d);
                }
                let state = engine
                    .lock()
                    .state
                    .nodes
                    .get(&id)
                    .map(|n| n.state)
                    .ok_or_else(Error::id_not_found)?;
                if state == EntryState::Online {
                    engine.set_node_state(&id, "offline").await?;
                }
                if state != EntryState::Failed {
                    engine.node_removal(&id, healcheck, new_devices)?.await?;
                }
                let devices = engine
                    .lock()
                    .state
                    .nodes
                    .get(&id)
                    .map(|n| n.devices.clone())
                    .unwrap_or_default();
                for d in devices {
                    engine.delete_device(&d, false).await?;
                }
                engine.delete_node(&id).await?;
                engine.node_info(&new_node)
            }
            .await;
            engine.announce("node.replace", "node.post_replace", super::to_json, out)
        })
    }
}
