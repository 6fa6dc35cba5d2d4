use serde::{Deserialize, Serialize};

use super::common::null_as_default;

/// Body of `POST /clusters` and `POST /clusters/{id}/flags`. Missing flags are false.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterFlags {
    #[serde(default)]
    pub block: bool,
    #[serde(default)]
    pub file: bool,
}

/// `GET /clusters/{id}`. Arrays are always present and sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterInfoResponse {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub nodes: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub volumes: Vec<String>,
    #[serde(default)]
    pub block: bool,
    #[serde(default)]
    pub file: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub blockvolumes: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterListResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub clusters: Vec<String>,
}
