//! Heketi's `topology.json`: the file format `heketi-cli topology load` reads.

use serde::{Deserialize, Serialize};

use crate::api::{NodeAddRequest, Tags};
use crate::error::{Error, Result};

fn yes() -> bool {
    true
}

/// A whole topology file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TopologyFile {
    #[serde(default)]
    pub clusters: Vec<TopologyFileCluster>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopologyFileCluster {
    /// Allow block volumes (default true, as heketi-cli does).
    #[serde(default = "yes")]
    pub block: bool,
    /// Allow file volumes (default true).
    #[serde(default = "yes")]
    pub file: bool,
    #[serde(default)]
    pub nodes: Vec<TopologyFileNode>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopologyFileNode {
    /// The node as `POST /nodes` takes it; `cluster` is ignored.
    pub node: NodeAddRequest,
    #[serde(default)]
    pub devices: Vec<TopologyFileDevice>,
}

/// A device: a plain string (the name) in old files, an object in newer ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TopologyFileDevice {
    Name(String),
    Full {
        name: String,
        #[serde(default)]
        destroydata: bool,
        #[serde(default)]
        tags: Tags,
    },
}

impl TopologyFileDevice {
    pub fn name(&self) -> &str {
        match self {
            TopologyFileDevice::Name(n) => n,
            TopologyFileDevice::Full { name, .. } => name,
        }
    }
}

impl TopologyFile {
    /// Parses a topology file; errors name the line and column.
    pub fn parse(text: &str) -> Result<TopologyFile> {
        serde_json::from_str(text)
            .map_err(|e| Error::invalid(format!("Unable to parse config file: {e}")))
    }

    /// Reads and parses a topology file.
    pub fn load(path: &std::path::Path) -> Result<TopologyFile> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::invalid(format!(
                "Unable to open config file {}: {e}",
                path.display()
            ))
        })?;
        Self::parse(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_object_devices_and_defaults() {
        let t = TopologyFile::parse(
            r#"{"clusters":[{"nodes":[{"node":{"hostnames":{"manage":["a"],"storage":["b"]},"zone":1},
               "devices":["/dev/sdb",{"name":"/dev/sdc","destroydata":true,"tags":{"ssd":"yes"}}]}]}]}"#,
        )
        .unwrap();
        let c = &t.clusters[0];
        assert!(c.block && c.file);
        assert_eq!(c.nodes[0].devices[0].name(), "/dev/sdb");
        assert!(matches!(
            &c.nodes[0].devices[1],
            TopologyFileDevice::Full {
                destroydata: true,
                ..
            }
        ));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = TopologyFile::parse("{\n  \"clusters\": [\n    {\"nodes\": 3}\n  ]\n}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn fixture_parses() {
        let text = include_str!("../../tests/fixtures/topology-3nodes.json");
        let t = TopologyFile::parse(text).unwrap();
        assert_eq!(t.clusters[0].nodes.len(), 3);
    }
}
