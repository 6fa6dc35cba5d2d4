//! The in-memory state: every record, loaded from the store at open and updated after
//! each successful commit. Reads and placement never touch the disk.

mod overlay;

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use overlay::Overlay;

use crate::model::{
    BlockVolumeEntry, BrickEntry, ClusterEntry, DbAttributeEntry, DbExport, DeviceEntry, NodeEntry,
    PendingOperationEntry, VolumeEntry,
};
use crate::store::{ChangeSet, RawTables, StoreError, Table};

/// Every record, by id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    pub clusters: BTreeMap<String, ClusterEntry>,
    pub nodes: BTreeMap<String, NodeEntry>,
    pub devices: BTreeMap<String, DeviceEntry>,
    pub bricks: BTreeMap<String, BrickEntry>,
    pub volumes: BTreeMap<String, VolumeEntry>,
    pub blockvolumes: BTreeMap<String, BlockVolumeEntry>,
    pub attributes: BTreeMap<String, DbAttributeEntry>,
    pub pending: BTreeMap<String, PendingOperationEntry>,
}

fn decode<T: DeserializeOwned>(
    table: Table,
    rows: Vec<(String, Vec<u8>)>,
) -> Result<BTreeMap<String, T>, StoreError> {
    rows.into_iter()
        .map(|(k, v)| match serde_json::from_slice(&v) {
            Ok(rec) => Ok((k, rec)),
            Err(source) => Err(StoreError::Corrupt {
                table: table.name(),
                key: k,
                source,
            }),
        })
        .collect()
}

impl State {
    /// Decodes the raw tables of the store.
    pub fn from_raw(raw: RawTables) -> Result<State, StoreError> {
        let mut s = State::default();
        for (table, rows) in raw {
            match table {
                Table::Clusters => s.clusters = decode(table, rows)?,
                Table::Nodes => s.nodes = decode(table, rows)?,
                Table::Devices => s.devices = decode(table, rows)?,
                Table::Bricks => s.bricks = decode(table, rows)?,
                Table::Volumes => s.volumes = decode(table, rows)?,
                Table::BlockVolumes => s.blockvolumes = decode(table, rows)?,
                Table::Attributes => s.attributes = decode(table, rows)?,
                Table::Pending => s.pending = decode(table, rows)?,
            }
        }
        Ok(s)
    }

    /// The state as a Heketi `db export`.
    pub fn to_export(&self) -> DbExport {
        DbExport {
            clusterentries: self.clusters.clone(),
            volumeentries: self.volumes.clone(),
            brickentries: self.bricks.clone(),
            nodeentries: self.nodes.clone(),
            deviceentries: self.devices.clone(),
            blockvolumeentries: self.blockvolumes.clone(),
            dbattributeentries: self.attributes.clone(),
            pendingoperations: self.pending.clone(),
        }
    }

    /// The state of a Heketi `db export`.
    pub fn from_export(e: DbExport) -> State {
        State {
            clusters: e.clusterentries,
            nodes: e.nodeentries,
            devices: e.deviceentries,
            bricks: e.brickentries,
            volumes: e.volumeentries,
            blockvolumes: e.blockvolumeentries,
            attributes: e.dbattributeentries,
            pending: e.pendingoperations,
        }
    }

    /// All records as one change set (used by import).
    pub fn to_changeset(&self) -> ChangeSet {
        let mut cs = ChangeSet::default();
        put_all(&mut cs, Table::Clusters, &self.clusters);
        put_all(&mut cs, Table::Nodes, &self.nodes);
        put_all(&mut cs, Table::Devices, &self.devices);
        put_all(&mut cs, Table::Bricks, &self.bricks);
        put_all(&mut cs, Table::Volumes, &self.volumes);
        put_all(&mut cs, Table::BlockVolumes, &self.blockvolumes);
        put_all(&mut cs, Table::Attributes, &self.attributes);
        put_all(&mut cs, Table::Pending, &self.pending);
        cs
    }

    /// Applies committed changes.
    pub fn apply(&mut self, c: Changes) {
        apply_map(&mut self.clusters, c.clusters);
        apply_map(&mut self.nodes, c.nodes);
        apply_map(&mut self.devices, c.devices);
        apply_map(&mut self.bricks, c.bricks);
        apply_map(&mut self.volumes, c.volumes);
        apply_map(&mut self.blockvolumes, c.blockvolumes);
        apply_map(&mut self.attributes, c.attributes);
        apply_map(&mut self.pending, c.pending);
    }
}

fn to_bytes<T: Serialize>(v: &T) -> Vec<u8> {
    // Serialising these plain data records cannot fail (no maps with non-string keys,
    // no custom serialisers that error).
    serde_json::to_vec(v).expect("records serialise to JSON")
}

fn put_all<T: Serialize>(cs: &mut ChangeSet, table: Table, map: &BTreeMap<String, T>) {
    for (k, v) in map {
        cs.writes.push((table, k.clone(), Some(to_bytes(v))));
    }
}

fn encode<T: Serialize>(cs: &mut ChangeSet, table: Table, map: &BTreeMap<String, Option<T>>) {
    for (k, v) in map {
        cs.writes.push((table, k.clone(), v.as_ref().map(to_bytes)));
    }
}

fn apply_map<T>(map: &mut BTreeMap<String, T>, changes: BTreeMap<String, Option<T>>) {
    for (k, v) in changes {
        match v {
            Some(v) => {
                map.insert(k, v);
            }
            None => {
                map.remove(&k);
            }
        }
    }
}

/// The records a transaction changed: `Some` = new value, `None` = deleted.
#[derive(Debug, Default)]
pub struct Changes {
    pub clusters: BTreeMap<String, Option<ClusterEntry>>,
    pub nodes: BTreeMap<String, Option<NodeEntry>>,
    pub devices: BTreeMap<String, Option<DeviceEntry>>,
    pub bricks: BTreeMap<String, Option<BrickEntry>>,
    pub volumes: BTreeMap<String, Option<VolumeEntry>>,
    pub blockvolumes: BTreeMap<String, Option<BlockVolumeEntry>>,
    pub attributes: BTreeMap<String, Option<DbAttributeEntry>>,
    pub pending: BTreeMap<String, Option<PendingOperationEntry>>,
}

impl Changes {
    pub fn to_changeset(&self) -> ChangeSet {
        let mut cs = ChangeSet::default();
        encode(&mut cs, Table::Clusters, &self.clusters);
        encode(&mut cs, Table::Nodes, &self.nodes);
        encode(&mut cs, Table::Devices, &self.devices);
        encode(&mut cs, Table::Bricks, &self.bricks);
        encode(&mut cs, Table::Volumes, &self.volumes);
        encode(&mut cs, Table::BlockVolumes, &self.blockvolumes);
        encode(&mut cs, Table::Attributes, &self.attributes);
        encode(&mut cs, Table::Pending, &self.pending);
        cs
    }
}

/// A write transaction over the state: reads see its own writes; nothing reaches the
/// state before [`Txn::into_changes`] has been committed to the store.
pub struct Txn<'s> {
    pub clusters: Overlay<'s, ClusterEntry>,
    pub nodes: Overlay<'s, NodeEntry>,
    pub devices: Overlay<'s, DeviceEntry>,
    pub bricks: Overlay<'s, BrickEntry>,
    pub volumes: Overlay<'s, VolumeEntry>,
    pub blockvolumes: Overlay<'s, BlockVolumeEntry>,
    pub attributes: Overlay<'s, DbAttributeEntry>,
    pub pending: Overlay<'s, PendingOperationEntry>,
}

impl<'s> Txn<'s> {
    pub fn new(s: &'s State) -> Txn<'s> {
        Txn {
            clusters: Overlay::new(&s.clusters),
            nodes: Overlay::new(&s.nodes),
            devices: Overlay::new(&s.devices),
            bricks: Overlay::new(&s.bricks),
            volumes: Overlay::new(&s.volumes),
            blockvolumes: Overlay::new(&s.blockvolumes),
            attributes: Overlay::new(&s.attributes),
            pending: Overlay::new(&s.pending),
        }
    }

    pub fn into_changes(self) -> Changes {
        Changes {
            clusters: self.clusters.into_changes(),
            nodes: self.nodes.into_changes(),
            devices: self.devices.into_changes(),
            bricks: self.bricks.into_changes(),
            volumes: self.volumes.into_changes(),
            blockvolumes: self.blockvolumes.into_changes(),
            attributes: self.attributes.into_changes(),
            pending: self.pending.into_changes(),
        }
    }
}
