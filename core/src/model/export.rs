use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    BrickEntry, ClusterEntry, DeviceEntry, NodeEntry, PendingOperationEntry, PendingRef,
    VolumeEntry,
};
use crate::api::BlockVolumeInfo;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlockVolumeEntry {
    pub info: BlockVolumeInfo,
    #[serde(default)]
    pub pending: PendingRef,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DbAttributeEntry {
    pub key: String,
    pub value: String,
}

/// The whole database in Heketi's `db export` / `GET /db/dump` format.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DbExport {
    #[serde(default)]
    pub clusterentries: BTreeMap<String, ClusterEntry>,
    #[serde(default)]
    pub volumeentries: BTreeMap<String, VolumeEntry>,
    #[serde(default)]
    pub brickentries: BTreeMap<String, BrickEntry>,
    #[serde(default)]
    pub nodeentries: BTreeMap<String, NodeEntry>,
    #[serde(default)]
    pub deviceentries: BTreeMap<String, DeviceEntry>,
    #[serde(default)]
    pub blockvolumeentries: BTreeMap<String, BlockVolumeEntry>,
    #[serde(default)]
    pub dbattributeentries: BTreeMap<String, DbAttributeEntry>,
    #[serde(default)]
    pub pendingoperations: BTreeMap<String, PendingOperationEntry>,
}
