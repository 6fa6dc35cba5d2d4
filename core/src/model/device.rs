use serde::{Deserialize, Serialize};

use crate::api::{DeviceInfo, EntryState, null_as_default};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeviceEntry {
    #[serde(default)]
    pub state: EntryState,
    pub info: DeviceInfo,
    #[serde(default, deserialize_with = "null_as_default")]
    pub bricks: Vec<String>,
    #[serde(default)]
    pub node_id: String,
    /// LVM extent size in KiB (4096 = 4 MiB unless the VG says otherwise).
    #[serde(default)]
    pub extent_size: u64,
}

impl DeviceEntry {
    /// The extent size to round allocations to (Heketi's default when unknown).
    pub fn extent(&self) -> u64 {
        if self.extent_size == 0 {
            4096
        } else {
            self.extent_size
        }
    }
}
