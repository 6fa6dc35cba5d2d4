//! The crash-safe embedded store: one redb file (or memory), one table per record type,
//! values as JSON bytes in Heketi's `db export` entry shape.
//!
//! **Architecture Invariant**: every change of engine state is one [`ChangeSet`]
//! committed in one redb write transaction; the in-memory state is updated only after
//! the commit succeeded. A crash therefore leaves either the old or the new state,
//! never half of a change.

mod error;
mod fault;
mod redb_store;

pub use error::StoreError;
pub use fault::{EIO, ENOSPC, FaultyBackend, StorageCounts, StorageFaults, StorageOp};
pub use redb_store::Store;

/// The tables of the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Clusters,
    Nodes,
    Devices,
    Bricks,
    Volumes,
    BlockVolumes,
    Attributes,
    Pending,
    /// Mount values (hosts and options) that many volume records share: a volume record
    /// names its row instead of carrying them (see `state::volume_bytes`).
    MountValues,
}

impl Table {
    pub const ALL: [Table; 9] = [
        Table::Clusters,
        Table::Nodes,
        Table::Devices,
        Table::Bricks,
        Table::Volumes,
        Table::BlockVolumes,
        Table::Attributes,
        Table::Pending,
        Table::MountValues,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Clusters => "clusters",
            Table::Nodes => "nodes",
            Table::Devices => "devices",
            Table::Bricks => "bricks",
            Table::Volumes => "volumes",
            Table::BlockVolumes => "blockvolumes",
            Table::Attributes => "attributes",
            Table::Pending => "pending_operations",
            Table::MountValues => "mount_values",
        }
    }
}

/// Writes of one transaction: `Some(bytes)` puts, `None` deletes.
#[derive(Debug, Default)]
pub struct ChangeSet {
    pub writes: Vec<(Table, String, Option<Vec<u8>>)>,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
}

/// Every record of every table, as raw bytes, for loading at start.
pub type RawTables = Vec<(Table, Vec<(String, Vec<u8>)>)>;
