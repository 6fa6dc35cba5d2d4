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

    /// `LvmThinPool` as records keep it: empty when it is the default `tp_<id>`.
    pub fn own_thin_pool(&self) -> &str {
        if self.lvm_thin_pool.strip_prefix("tp_") == Some(self.info.id.as_str()) {
            ""
        } else {
            &self.lvm_thin_pool
        }
    }

    /// Clears `LvmThinPool` when it is the default `tp_<id>` (see [`Self::thin_pool_name`]).
    pub fn compact_names(&mut self) {
        if self.own_thin_pool().is_empty() {
            self.lvm_thin_pool = String::new();
        }
    }

    /// The id and path a record of row `key` keeps: `None` where they are what it
    /// derives, the key itself and Heketi's default path ([`brick_path`]). The state's
    /// packed bricks and the store's rows both leave them out.
    pub fn own_id_and_path(&self, key: &str) -> (Option<&str>, Option<&str>) {
        let i = &self.info;
        let id = (i.id != key).then_some(i.id.as_str());
        let path = (i.path != brick_path(&i.device, &i.id)).then_some(i.path.as_str());
        (id, path)
    }

    /// The id and path of the brick of row `key` on `device`, from what
    /// [`Self::own_id_and_path`] kept.
    pub fn derived_id_and_path(
        key: &str,
        device: &str,
        id: Option<&str>,
        path: Option<&str>,
    ) -> (String, String) {
        let id = id.unwrap_or(key).to_string();
        let path = path.map_or_else(|| brick_path(device, &id), str::to_string);
        (id, path)
    }

    /// The record as Heketi writes it: `LvmThinPool` always named.
    pub fn with_full_names(&self) -> BrickEntry {
        let mut b = self.clone();
        b.lvm_thin_pool = self.thin_pool_name();
        b
    }
}

/// Bricks of every shape, for the tests of what packs and stores them: ids equal to
/// their key or not, default paths and thin pool names or not.
#[cfg(test)]
pub(crate) fn any_brick() -> impl proptest::strategy::Strategy<Value = (String, BrickEntry)> {
    use proptest::prelude::*;
    fn text() -> impl Strategy<Value = String> {
        prop_oneof!["[0-9a-f]{32}", "[a-z0-9/_\"]{0,12}", Just(String::new())]
    }
    let ids = (
        text(),
        text(),
        any::<bool>(),
        any::<bool>(),
        text(),
        any::<bool>(),
    );
    let fields = (text(), text(), text(), text(), text(), text());
    let numbers = (any::<u64>(), any::<u64>(), any::<u64>(), 0u8..3);
    (ids, fields, numbers).prop_map(
        |(
            (key, other_id, same_id, default_path, path, default_pool),
            (device, node, volume, pending, pool, lv),
            (size, tp_size, pool_metadata_size, sub),
        )| {
            let id = if same_id { key.clone() } else { other_id };
            let path = if default_path {
                brick_path(&device, &id)
            } else {
                path
            };
            let pool = if default_pool {
                format!("tp_{id}")
            } else {
                pool
            };
            let b = BrickEntry {
                info: BrickInfo {
                    id,
                    path,
                    device,
                    node,
                    volume,
                    size,
                },
                tp_size,
                pool_metadata_size,
                pending: PendingRef { id: pending },
                lvm_thin_pool: pool,
                lvm_lv: lv,
                sub_type: BrickSubType::from(sub),
            };
            (key, b)
        },
    )
}
