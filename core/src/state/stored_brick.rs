//! A brick record as the store keeps it: without what it derives (its id when it is
//! the row's key, Heketi's default path) and without empty fields. 409 bytes of JSON a
//! brick became about 230; at 100,000 volumes the bricks are two thirds of the
//! records. Rows written before (every field present) read the same.

use serde::{Deserialize, Serialize};

use crate::api::BrickInfo;
use crate::model::{BrickEntry, BrickSubType, PendingRef};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Stored {
    info: StoredInfo,
    #[serde(default)]
    tp_size: u64,
    #[serde(default)]
    pool_metadata_size: u64,
    #[serde(default, skip_serializing_if = "is_not_pending")]
    pending: PendingRef,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    lvm_thin_pool: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    lvm_lv: String,
    #[serde(default)]
    sub_type: BrickSubType,
}

#[derive(Serialize, Deserialize)]
struct StoredInfo {
    /// Absent: the row's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    /// Absent: `/var/lib/heketi/mounts/vg_<device>/brick_<id>/brick`. (A pending
    /// clone's brick has an empty path, written as such.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(default)]
    device: String,
    #[serde(default)]
    node: String,
    #[serde(default)]
    volume: String,
    #[serde(default)]
    size: u64,
}

fn is_not_pending(p: &PendingRef) -> bool {
    !p.is_pending()
}

/// The stored bytes of brick `b` in row `key`.
pub(super) fn brick_bytes(key: &str, b: &BrickEntry) -> Vec<u8> {
    let i = &b.info;
    let (id, path) = b.own_id_and_path(key);
    let stored = Stored {
        info: StoredInfo {
            id: id.map(str::to_string),
            path: path.map(str::to_string),
            device: i.device.clone(),
            node: i.node.clone(),
            volume: i.volume.clone(),
            size: i.size,
        },
        tp_size: b.tp_size,
        pool_metadata_size: b.pool_metadata_size,
        pending: b.pending.clone(),
        lvm_thin_pool: b.lvm_thin_pool.clone(),
        lvm_lv: b.lvm_lv.clone(),
        sub_type: b.sub_type,
    };
    super::to_bytes(&stored)
}

/// The brick of row `key`.
pub(super) fn decode_brick(key: &str, bytes: &[u8]) -> serde_json::Result<BrickEntry> {
    let s: Stored = serde_json::from_slice(bytes)?;
    let (id, path) = BrickEntry::derived_id_and_path(
        key,
        &s.info.device,
        s.info.id.as_deref(),
        s.info.path.as_deref(),
    );
    Ok(BrickEntry {
        info: BrickInfo {
            id,
            path,
            device: s.info.device,
            node: s.info.node,
            volume: s.info.volume,
            size: s.info.size,
        },
        tp_size: s.tp_size,
        pool_metadata_size: s.pool_metadata_size,
        pending: s.pending,
        lvm_thin_pool: s.lvm_thin_pool,
        lvm_lv: s.lvm_lv,
        sub_type: s.sub_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{any_brick, brick_path};
    use proptest::prelude::*;

    proptest! {
        /// Every brick comes back from its stored bytes as it was; the bytes Heketi's
        /// format gives (every field present, as rows written before) read the same.
        #[test]
        fn bricks_read_back_as_written((key, b) in any_brick()) {
            prop_assert_eq!(decode_brick(&key, &brick_bytes(&key, &b)).unwrap(), b.clone());
            let full = serde_json::to_vec(&b).unwrap();
            prop_assert_eq!(decode_brick(&key, &full).unwrap(), b);
        }
    }

    #[test]
    fn a_created_brick_is_stored_without_what_it_derives() {
        let (id, device) = (crate::id::new_id(), crate::id::new_id());
        let b = BrickEntry {
            info: BrickInfo {
                path: brick_path(&device, &id),
                id: id.clone(),
                device,
                node: crate::id::new_id(),
                volume: crate::id::new_id(),
                size: 1 << 20,
            },
            tp_size: 1 << 20,
            pool_metadata_size: 8192,
            ..Default::default()
        };
        let bytes = brick_bytes(&id, &b);
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&id) && !text.contains("path"), "{text}");
        assert!(bytes.len() < 240, "{} bytes: {text}", bytes.len());
        assert_eq!(decode_brick(&id, &bytes).unwrap(), b);
    }
}
