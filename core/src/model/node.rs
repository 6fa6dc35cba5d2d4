use serde::{Deserialize, Serialize};

use crate::api::{EntryState, NodeInfo, null_as_default};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NodeEntry {
    #[serde(default)]
    pub state: EntryState,
    pub info: NodeInfo,
    #[serde(default, deserialize_with = "null_as_default")]
    pub devices: Vec<String>,
}

impl NodeEntry {
    /// The hostname commands are run on (`manage[0]`).
    pub fn manage_host(&self) -> &str {
        self.info
            .hostnames
            .manage
            .first()
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The hostname gluster knows the node by (`storage[0]`).
    pub fn storage_host(&self) -> &str {
        self.info
            .hostnames
            .storage
            .first()
            .map(String::as_str)
            .unwrap_or("")
    }
}
