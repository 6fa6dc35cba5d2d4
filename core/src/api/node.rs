use serde::{Deserialize, Serialize};

use super::common::{EntryState, HostAddresses, Tags, null_as_default};
use super::device::DeviceInfoResponse;

/// Body of `POST /nodes`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAddRequest {
    #[serde(default)]
    pub zone: i64,
    #[serde(default)]
    pub hostnames: HostAddresses,
    #[serde(default)]
    pub cluster: String,
    #[serde(
        default,
        skip_serializing_if = "Tags::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub tags: Tags,
}

/// The stored part of a node (`NodeEntry.Info`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub zone: i64,
    pub hostnames: HostAddresses,
    pub cluster: String,
    #[serde(
        default,
        skip_serializing_if = "Tags::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub tags: Tags,
    pub id: String,
}

/// `GET /nodes/{id}`: the node with its devices and their bricks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfoResponse {
    #[serde(flatten)]
    pub info: NodeInfo,
    #[serde(default)]
    pub state: EntryState,
    #[serde(default, deserialize_with = "null_as_default")]
    pub devices: Vec<DeviceInfoResponse>,
}
