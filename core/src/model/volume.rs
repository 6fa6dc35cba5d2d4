use serde::{Deserialize, Serialize};

use super::pending::PendingRef;
use crate::api::{VolumeInfo, null_as_default};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeEntry {
    pub info: VolumeInfo,
    #[serde(default, deserialize_with = "null_as_default")]
    pub bricks: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub gluster_volume_options: Vec<String>,
    #[serde(default)]
    pub pending: PendingRef,
}
