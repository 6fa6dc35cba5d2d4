//! The stored records, in the shape of Heketi's `db export` entries (Go field names),
//! so that export and import are a plain (de)serialisation and a Heketi database can
//! be imported unchanged.

mod brick;
mod cluster;
mod device;
mod export;
mod node;
mod pending;
mod volume;

#[cfg(test)]
pub(crate) use brick::any_brick;
pub use brick::{BrickEntry, BrickSubType, brick_path};
pub use cluster::ClusterEntry;
pub use device::{BrickIds, DeviceEntry};
pub use export::{BlockVolumeEntry, DbAttributeEntry, DbExport};
pub use node::NodeEntry;
pub use pending::{
    ChangeKind, OperationKind, PendingAction, PendingOperationEntry, PendingRef, PendingTarget,
};
pub use volume::VolumeEntry;

/// Keeps an id list sorted and free of duplicates, as Heketi's sorted string slices.
pub(crate) fn insert_sorted(list: &mut Vec<String>, id: &str) {
    if let Err(pos) = list.binary_search_by(|probe| probe.as_str().cmp(id)) {
        list.insert(pos, id.to_string());
    }
}

/// Removes an id from a sorted id list.
pub(crate) fn remove_sorted(list: &mut Vec<String>, id: &str) {
    if let Ok(pos) = list.binary_search_by(|probe| probe.as_str().cmp(id)) {
        list.remove(pos);
    } else if let Some(pos) = list.iter().position(|x| x == id) {
        // Imported lists may not be sorted; still remove the id.
        list.remove(pos);
    }
}
