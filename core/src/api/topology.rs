use serde::{Deserialize, Serialize};

use super::block::BlockVolumeInfo;
use super::common::null_as_default;
use super::node::NodeInfoResponse;
use super::volume::VolumeInfoResponse;

/// One cluster of `TopologyInfoResponse` (built by clients; there is no REST route).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TopologyCluster {
    #[serde(default, deserialize_with = "null_as_default")]
    pub volumes: Vec<VolumeInfoResponse>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub blockvolumes: Vec<BlockVolumeInfo>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub nodes: Vec<NodeInfoResponse>,
    pub id: String,
    #[serde(default)]
    pub block: bool,
    #[serde(default)]
    pub file: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TopologyInfoResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub clusters: Vec<TopologyCluster>,
}
