//! `topology load`: heketi-cli's algorithm (`topologyLoadCommand`), plus a
//! summary and a failure exit status when running as `brickyard`.

use std::fmt;

use brickyard::api::{
    ClusterFlags, ClusterInfoResponse, DeviceAddRequest, NodeAddRequest, NodeInfoResponse, Tags,
    TopologyInfoResponse,
};
use serde::{Deserialize, Deserializer, Serialize};

use super::Context;
use crate::CliError;

/// A topology file (`topology.json`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct TopologyFile {
    /// Clusters to load.
    #[serde(default)]
    pub clusters: Vec<FileCluster>,
}

/// One cluster of a topology file. `file`/`block` default to true.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct FileCluster {
    /// Nodes of the cluster.
    #[serde(default)]
    pub nodes: Vec<FileNode>,
    /// Allow block volumes (default true).
    #[serde(default)]
    pub block: Option<bool>,
    /// Allow file volumes (default true).
    #[serde(default)]
    pub file: Option<bool>,
}

/// One node of a topology file.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct FileNode {
    /// The node add request (its `cluster` is overwritten).
    #[serde(default)]
    pub node: NodeAddRequest,
    /// Devices: plain names or objects.
    #[serde(default)]
    pub devices: Vec<FileDevice>,
}

/// A device entry: a plain string (the name) or `{name, tags, destroydata}`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FileDevice {
    /// Device path.
    pub name: String,
    /// Device tags.
    pub tags: Tags,
    /// Wipe existing data when adding.
    pub destroydata: bool,
}

impl<'de> Deserialize<'de> for FileDevice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Obj {
            #[serde(default)]
            name: String,
            #[serde(default)]
            tags: Option<Tags>,
            #[serde(default)]
            destroydata: bool,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Entry {
            Name(String),
            Obj(Obj),
        }
        Ok(match Entry::deserialize(d)? {
            Entry::Name(name) => FileDevice {
                name,
                ..FileDevice::default()
            },
            Entry::Obj(o) => FileDevice {
                name: o.name,
                tags: o.tags.unwrap_or_default(),
                destroydata: o.destroydata,
            },
        })
    }
}

/// What a `topology load` did (printed by `brickyard`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadSummary {
    /// Clusters created (and kept: empty ones are removed again).
    pub clusters_created: usize,
    /// Nodes created.
    pub nodes_created: usize,
    /// Nodes already present.
    pub nodes_found: usize,
    /// Devices added.
    pub devices_added: usize,
    /// Devices already present.
    pub devices_found: usize,
    /// Nodes or devices that could not be added.
    pub failed: usize,
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl fmt::Display for LoadSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Topology loaded: {} created, {} created, {} unchanged, {} added, {} found, {} failed",
            plural(self.clusters_created, "cluster"),
            plural(self.nodes_created, "node"),
            self.nodes_found,
            plural(self.devices_added, "device"),
            self.devices_found,
            self.failed
        )
    }
}

/// Reads and parses a topology file with heketi-cli's error texts; as `brickyard`
/// the parse error carries serde's line and column.
pub fn read_topology_file(path: Option<&str>, extras: bool) -> Result<TopologyFile, CliError> {
    let path = path
        .filter(|p| !p.is_empty())
        .ok_or_else(|| CliError::Usage("Missing configuration file".into()))?;
    let text = std::fs::read_to_string(path).map_err(|e| {
        if extras {
            CliError::Usage(format!("Unable to open config file: {path}: {e}"))
        } else {
            CliError::Usage("Unable to open config file".into())
        }
    })?;
    // Go's json.Decoder reads the first value and ignores what follows.
    let mut stream = serde_json::Deserializer::from_str(&text).into_iter::<TopologyFile>();
    let parsed = match stream.next() {
        Some(r) => r.map_err(|e| e.to_string()),
        None => Err("EOF".to_string()),
    };
    let file = parsed.map_err(|e| {
        if extras {
            CliError::Usage(format!("Unable to parse config file: {e}"))
        } else {
            CliError::Usage("Unable to parse config file".into())
        }
    })?;
    for (ci, c) in file.clusters.iter().enumerate() {
        for (ni, n) in c.nodes.iter().enumerate() {
            if n.node.hostnames.manage.is_empty() {
                return Err(CliError::Usage(format!(
                    "Unable to parse config file: node {} of cluster {} has no manage hostname",
                    ni + 1,
                    ci + 1
                )));
            }
        }
    }
    Ok(file)
}

fn manage0(n: &NodeInfoResponse) -> &str {
    n.info
        .hostnames
        .manage
        .first()
        .map(String::as_str)
        .unwrap_or("")
}

fn find_node<'a>(t: &'a TopologyInfoResponse, host: &str) -> Option<&'a NodeInfoResponse> {
    t.clusters
        .iter()
        .flat_map(|c| c.nodes.iter())
        .find(|n| manage0(n) == host)
}

fn device_exists(t: &TopologyInfoResponse, host: &str, name: &str) -> bool {
    t.clusters
        .iter()
        .flat_map(|c| c.nodes.iter())
        .filter(|n| manage0(n) == host)
        .flat_map(|n| n.devices.iter())
        .any(|d| d.info.name == name)
}

/// Runs `topology load`; returns the exit status.
pub(crate) fn run(ctx: &mut Context<'_>, path: Option<&str>) -> Result<i32, CliError> {
    let file = read_topology_file(path, ctx.extras())?;
    let snapshot = ctx
        .client
        .topology_info()
        .map_err(|e| CliError::Usage(format!("Unable to get topology information: {e}")))?;
    let mut created = Vec::new();
    let mut summary = LoadSummary::default();
    let result = load(ctx, &file, &snapshot, &mut created, &mut summary);
    // Deferred cleanup: remove clusters this run created that stayed empty.
    for id in &created {
        if let Ok(info) = ctx.client.cluster_info(id)
            && info.nodes.is_empty()
            && info.volumes.is_empty()
            && ctx.client.cluster_delete(id).is_ok()
        {
            summary.clusters_created = summary.clusters_created.saturating_sub(1);
        }
    }
    result?;
    if ctx.extras() {
        ctx.eprint(&format!("{summary}\n"))?;
        if summary.failed > 0 {
            return Ok(1);
        }
    }
    Ok(0)
}

fn load(
    ctx: &mut Context<'_>,
    file: &TopologyFile,
    snapshot: &TopologyInfoResponse,
    created: &mut Vec<String>,
    summary: &mut LoadSummary,
) -> Result<(), CliError> {
    for cluster in &file.clusters {
        let mut target: Option<ClusterInfoResponse> = None;
        for node in &cluster.nodes {
            let host = node
                .node
                .hostnames
                .manage
                .first()
                .cloned()
                .unwrap_or_default();
            let node_info = if let Some(existing) = find_node(snapshot, &host) {
                ctx.print(&format!(
                    "\tFound node {host} on cluster {}\n",
                    existing.info.cluster
                ))?;
                summary.nodes_found += 1;
                match ctx.client.cluster_info(&existing.info.cluster) {
                    Ok(c) => target = Some(c),
                    Err(_) => {
                        ctx.print("Unable to get cluster information\n")?;
                        return Err(CliError::Usage("Unable to get cluster information".into()));
                    }
                }
                existing.clone()
            } else {
                let cluster_id = match &target {
                    Some(c) => c.id.clone(),
                    None => {
                        ctx.progress("Creating cluster ... ")?;
                        let flags = ClusterFlags {
                            file: cluster.file.unwrap_or(true),
                            block: cluster.block.unwrap_or(true),
                        };
                        let c = ctx.client.cluster_create(&flags)?;
                        ctx.print(&format!("ID: {}\n", c.id))?;
                        if flags.file {
                            ctx.print("\tAllowing file volumes on cluster.\n")?;
                        }
                        if flags.block {
                            ctx.print("\tAllowing block volumes on cluster.\n")?;
                        }
                        created.push(c.id.clone());
                        summary.clusters_created += 1;
                        let id = c.id.clone();
                        target = Some(c);
                        id
                    }
                };
                ctx.progress(&format!("\tCreating node {host} ... "))?;
                let mut req = node.node.clone();
                req.cluster = cluster_id;
                match ctx.client.node_add(&req) {
                    Ok(n) => {
                        ctx.print(&format!("ID: {}\n", n.info.id))?;
                        summary.nodes_created += 1;
                        n
                    }
                    Err(e) => {
                        ctx.print(&format!("Unable to create node: {e}\n"))?;
                        summary.failed += 1;
                        continue;
                    }
                }
            };
            let node_host = manage0(&node_info).to_string();
            for device in &node.devices {
                if device_exists(snapshot, &node_host, &device.name) {
                    ctx.print(&format!("\t\tFound device {}\n", device.name))?;
                    summary.devices_found += 1;
                    continue;
                }
                ctx.progress(&format!("\t\tAdding device {} ... ", device.name))?;
                let req = DeviceAddRequest {
                    name: device.name.clone(),
                    tags: device.tags.clone(),
                    node: node_info.info.id.clone(),
                    destroydata: device.destroydata,
                };
                match ctx.client.device_add(&req) {
                    Ok(()) => {
                        ctx.print("OK\n")?;
                        summary.devices_added += 1;
                    }
                    Err(e) => {
                        ctx.print(&format!("Unable to add device: {e}\n"))?;
                        summary.failed += 1;
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_may_be_strings_or_objects() {
        let f: TopologyFile = serde_json::from_str(
            r#"{"clusters":[{"file":false,"nodes":[{"node":{"hostnames":{"manage":["a"],"storage":["a"]},"zone":1},
               "devices":["/dev/sdb",{"name":"/dev/sdc","destroydata":true,"tags":{"ssd":"y"}}]}]}]}"#,
        )
        .expect("parse");
        let c = &f.clusters[0];
        assert_eq!(c.file, Some(false));
        assert_eq!(c.block, None);
        let d = &c.nodes[0].devices;
        assert_eq!(d[0].name, "/dev/sdb");
        assert!(!d[0].destroydata);
        assert_eq!(d[1].name, "/dev/sdc");
        assert!(d[1].destroydata);
        assert_eq!(d[1].tags.get("ssd").map(String::as_str), Some("y"));
    }

    #[test]
    fn summary_text() {
        let s = LoadSummary {
            clusters_created: 1,
            nodes_created: 3,
            nodes_found: 0,
            devices_added: 3,
            devices_found: 0,
            failed: 0,
        };
        assert_eq!(
            s.to_string(),
            "Topology loaded: 1 cluster created, 3 nodes created, 0 unchanged, 3 devices added, 0 found, 0 failed"
        );
    }
}
