use serde::{Deserialize, Serialize};

use crate::api::ClusterInfoResponse;

/// A cluster: its node, volume and block volume ids, and the file/block flags.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterEntry {
    pub info: ClusterInfoResponse,
}
