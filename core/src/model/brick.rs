use serde::{Deserialize, Serialize};

use super::pending::PendingRef;
use crate::api::BrickInfo;

/// Heketi's brick subtype: 0 unknown, 1 normal, 2 arbiter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "u8", into = "u8")]
pub enum BrickSubType {
    Unknown,
    #[default]
    Normal,
    Arbiter,
}

impl From<u8> for BrickSubType {
    fn from(v: u8) -> Self {
        match v {
            1 => BrickSubType::Normal,
            2 => BrickSubType::Arbiter,
            _ => BrickSubType::Unknown,
        }
    }
}

impl From<BrickSubType> for u8 {
    fn from(v: BrickSubType) -> u8 {
        match v {
            BrickSubType::Unknown => 0,
            BrickSubType::Normal => 1,
            BrickSubType::Arbiter => 2,
        }
    }
}

/// Heketi's brick path: `/var/lib/heketi/mounts/vg_<device>/brick_<brick>/brick`.
pub fn brick_path(device_id: &str, brick_id: &str) -> String {
    format!("/var/lib/heketi/mounts/vg_{device_id}/brick_{brick_id}/brick")
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BrickEntry {
    pub info: BrickInfo,
    /// Thin pool size in KiB.
    #[serde(default)]
    pub tp_size: u64,
    /// Thin pool metadata size in KiB.
    #[serde(default)]
    pub pool_metadata_size: u64,
    #[serde(default)]
    pub pending: PendingRef,
    #[serde(default)]
    pub lvm_thin_pool: String,
    #[serde(default)]
    pub lvm_lv: String,
    #[serde(default)]
    pub sub_type: BrickSubType,
}

impl BrickEntry {
    /// What the brick takes from its device: pool plus pool metadata (KiB).
    pub fn total_size(&self) -> u64 {
        self.tp_size + self.pool_metadata_size
    }

    /// The thin pool the brick's LV lives in: `LvmThinPool`, or Heketi's default
    /// `tp_<id>` when the record leaves it empty. A clone's brick shares its source
    /// brick's pool, so several bricks of one device may name the same pool; the pool's
    /// space is taken once, by the first, and given back when the last goes.
    ///
    /// Records keep the field empty when it is the default (`State` clears it on load,
    /// and fills it in the Heketi export): 100,000 volumes' default names cost 15 MB.
    pub fn thin_pool_name(&self) -> String {
        if self.lvm_thin_pool.is_empty() {
            format!("tp_{}", self.info.id)
        } else {
            self.lvm_thin_pool.clone()
        }
    }

    /// Clears `LvmThinPool` when it is the default `tp_<id>` (see [`Self::thin_pool_name`]).
    pub fn compact_names(&mut self) {
        if self.lvm_thin_pool.strip_prefix("tp_") == Some(self.info.id.as_str()) {
            self.lvm_thin_pool = String::new();
        }
    }

    /// The record as Heketi writes it: `LvmThinPool` always named.
    pub fn with_full_names(&self) -> BrickEntry {
        let mut b = self.clone();
        b.lvm_thin_pool = self.thin_pool_name();
        b
    }
}
