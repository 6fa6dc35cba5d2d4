//! Applying a `topology.json`: the same matching rules as `heketi-cli topology load`
//! (nodes by their first manage hostname, devices by name on that node), but idempotent
//! and with a report of what was created, what existed and what failed.

use serde::Serialize;

use crate::api::{ClusterFlags, DeviceAddRequest, NodeAddRequest};
use crate::error::Result;
use crate::topology::{TopologyFile, TopologyFileDevice};

use super::Engine;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "error", rename_all = "snake_case")]
pub enum ItemOutcome {
    Created,
    Existing,
    Failed(String),
}

/// One line of the report: a cluster, node or device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TopologyItem {
    /// `cluster`, `node` or `device`.
    pub kind: &'static str,
    /// Hostname of a node, `host:device` of a device, id of a cluster.
    pub name: String,
    pub id: Option<String>,
    #[serde(flatten)]
    pub outcome: ItemOutcome,
}

/// What `apply_topology` did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TopologyReport {
    pub items: Vec<TopologyItem>,
}

impl TopologyReport {
    fn count(&self, kind: &str, f: impl Fn(&ItemOutcome) -> bool) -> usize {
        self.items
            .iter()
            .filter(|i| i.kind == kind && f(&i.outcome))
            .count()
    }

    pub fn created(&self, kind: &str) -> usize {
        self.count(kind, |o| *o == ItemOutcome::Created)
    }

    pub fn existing(&self, kind: &str) -> usize {
        self.count(kind, |o| *o == ItemOutcome::Existing)
    }

    pub fn failed(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i.outcome, ItemOutcome::Failed(_)))
            .count()
    }

    /// True when the apply created anything.
    pub fn changed(&self) -> bool {
        self.items.iter().any(|i| i.outcome == ItemOutcome::Created)
    }

    /// `1 cluster created, 3 nodes created, 0 unchanged, 3 devices added, 0 found, 0 failed`.
    pub fn summary(&self) -> String {
        format!(
            "{} clusters created, {} nodes created, {} nodes unchanged, {} devices added, {} devices unchanged, {} failed",
            self.created("cluster"),
            self.created("node"),
            self.existing("node"),
            self.created("device"),
            self.existing("device"),
            self.failed()
        )
    }
}

impl Engine {
    /// Adds the clusters, nodes and devices of `file` that do not exist yet.
    /// Applying the same file twice changes nothing the second time.
    pub async fn apply_topology(&self, file: &TopologyFile) -> Result<TopologyReport> {
        let mut report = TopologyReport::default();
        for fc in &file.clusters {
            let mut target: Option<String> = None;
            let mut created: Option<String> = None;
            for fnode in &fc.nodes {
                let Some(manage) = fnode.node.hostnames.manage.first().cloned() else {
                    report.items.push(TopologyItem {
                        kind: "node",
                        name: "(no manage hostname)".into(),
                        id: None,
                        outcome: ItemOutcome::Failed("node has no manage hostname".into()),
                    });
                    continue;
                };
                let existing = {
                    let inner = self.lock();
                    inner
                        .state
                        .nodes
                        .values()
                        .find(|n| n.manage_host() == manage)
                        .map(|n| (n.info.id.clone(), n.info.cluster.clone()))
                };
                let node_id = match existing {
                    Some((id, cluster)) => {
                        target.get_or_insert(cluster);
                        report.items.push(TopologyItem {
                            kind: "node",
                            name: manage.clone(),
                            id: Some(id.clone()),
                            outcome: ItemOutcome::Existing,
                        });
                        id
                    }
                    None => {
                        let cluster = match &target {
                            Some(c) => c.clone(),
                            None => {
                                let c = self.create_cluster(ClusterFlags {
                                    block: fc.block,
                                    file: fc.file,
                                })?;
                                report.items.push(TopologyItem {
                                    kind: "cluster",
                                    name: c.id.clone(),
                                    id: Some(c.id.clone()),
                                    outcome: ItemOutcome::Created,
                                });
                                created = Some(c.id.clone());
                                target = Some(c.id.clone());
                                c.id
                            }
                        };
                        let req = NodeAddRequest {
                            cluster,
                            ..fnode.node.clone()
                        };
                        match self.add_node(req).await {
                            Ok(n) => {
                                report.items.push(TopologyItem {
                                    kind: "node",
                                    name: manage.clone(),
                                    id: Some(n.info.id.clone()),
                                    outcome: ItemOutcome::Created,
                                });
                                n.info.id
                            }
                            Err(e) => {
                                report.items.push(TopologyItem {
                                    kind: "node",
                                    name: manage.clone(),
                                    id: None,
                                    outcome: ItemOutcome::Failed(e.to_string()),
                                });
                                continue;
                            }
                        }
                    }
                };
                for dev in &fnode.devices {
                    let name = dev.name().to_string();
                    let label = format!("{manage}:{name}");
                    let found = {
                        let inner = self.lock();
                        let st = &inner.state;
                        st.nodes.get(&node_id).and_then(|n| {
                            n.devices
                                .iter()
                                .find(|d| st.devices.get(*d).is_some_and(|d| d.info.name == name))
                                .cloned()
                        })
                    };
                    if let Some(id) = found {
                        report.items.push(TopologyItem {
                            kind: "device",
                            name: label,
                            id: Some(id),
                            outcome: ItemOutcome::Existing,
                        });
                        continue;
                    }
                    let req = match dev {
                        TopologyFileDevice::Name(n) => DeviceAddRequest {
                            name: n.clone(),
                            node: node_id.clone(),
                            ..Default::default()
                        },
                        TopologyFileDevice::Full {
                            name,
                            destroydata,
                            tags,
                        } => DeviceAddRequest {
                            name: name.clone(),
                            tags: tags.clone(),
                            node: node_id.clone(),
                            destroydata: *destroydata,
                        },
                    };
                    let outcome = match self.add_device(req).await {
                        Ok(d) => (Some(d.info.id), ItemOutcome::Created),
                        Err(e) => (None, ItemOutcome::Failed(e.to_string())),
                    };
                    report.items.push(TopologyItem {
                        kind: "device",
                        name: label,
                        id: outcome.0,
                        outcome: outcome.1,
                    });
                }
            }
            if let Some(c) = created {
                let empty = self
                    .cluster_info(&c)
                    .map(|i| i.nodes.is_empty() && i.volumes.is_empty())
                    .unwrap_or(false);
                if empty {
                    self.delete_cluster(&c)?;
                }
            }
        }
        Ok(report)
    }
}
