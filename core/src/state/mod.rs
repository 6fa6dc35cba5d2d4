//! The in-memory state: every record, loaded from the store at open and updated after
//! each successful commit. Reads and placement never touch the disk.

mod overlay;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use overlay::Overlay;

use crate::model::{
    BlockVolumeEntry, BrickEntry, ClusterEntry, DbAttributeEntry, DbExport, DeviceEntry, NodeEntry,
    PendingOperationEntry, VolumeEntry,
};
use crate::store::{ChangeSet, RawTables, StoreError, Table};

/// Every record, by id.
///
/// A cluster's volume list is not kept in its record (a record that grows with every
/// volume would be re-encoded and rewritten by every create, Heketi weakness #12): it is
/// derived from the volumes' `cluster` field, kept in step by [`State::apply`], and put
/// back into the records by [`State::to_export`]. `ClusterEntry.info.volumes` is always
/// empty in memory and in the store; use [`State::cluster_volumes`].
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
    /// Derived: volume ids by cluster id.
    cluster_volumes: BTreeMap<String, BTreeSet<String>>,
    /// Derived: volume ids by volume name.
    volume_names: BTreeMap<String, BTreeSet<String>>,
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
        s.derive();
        Ok(s)
    }

    /// Rebuilds the derived indexes from the records and empties the volume lists of
    /// the cluster records (a database written before they were derived carries them).
    fn derive(&mut self) {
        self.cluster_volumes.clear();
        self.volume_names.clear();
        for c in self.clusters.values_mut() {
            c.info.volumes.clear();
        }
        let volumes = std::mem::take(&mut self.volumes);
        for (id, v) in &volumes {
            self.index_volume(id, v);
        }
        self.volumes = volumes;
    }

    fn index_volume(&mut self, id: &str, v: &VolumeEntry) {
        self.cluster_volumes
            .entry(v.info.cluster.clone())
            .or_default()
            .insert(id.to_string());
        self.volume_names
            .entry(v.info.request.name.clone())
            .or_default()
            .insert(id.to_string());
    }

    fn unindex_volume(&mut self, id: &str, v: &VolumeEntry) {
        if let Some(set) = self.cluster_volumes.get_mut(&v.info.cluster) {
            set.remove(id);
            if set.is_empty() {
                self.cluster_volumes.remove(&v.info.cluster);
            }
        }
        if let Some(set) = self.volume_names.get_mut(&v.info.request.name) {
            set.remove(id);
            if set.is_empty() {
                self.volume_names.remove(&v.info.request.name);
            }
        }
    }

    /// The ids of a cluster's volumes (pending ones included), in id order.
    pub fn cluster_volumes(&self, cluster_id: &str) -> impl Iterator<Item = &String> + '_ {
        self.cluster_volumes
            .get(cluster_id)
            .into_iter()
            .flat_map(|s| s.iter())
    }

    /// How many volumes (pending ones included) a cluster holds.
    pub fn cluster_volume_count(&self, cluster_id: &str) -> usize {
        self.cluster_volumes.get(cluster_id).map_or(0, |s| s.len())
    }

    /// The ids of the volumes called `name`, in any cluster.
    pub fn volumes_named(&self, name: &str) -> impl Iterator<Item = &String> + '_ {
        self.volume_names
            .get(name)
            .into_iter()
            .flat_map(|s| s.iter())
    }

    /// The state as a Heketi `db export`.
    pub fn to_export(&self) -> DbExport {
        let mut clusters = self.clusters.clone();
        for (cid, c) in clusters.iter_mut() {
            c.info.volumes = self.cluster_volumes(cid).cloned().collect();
        }
        DbExport {
            clusterentries: clusters,
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
        let mut s = State {
            clusters: e.clusterentries,
            nodes: e.nodeentries,
            devices: e.deviceentries,
            bricks: e.brickentries,
            volumes: e.volumeentries,
            blockvolumes: e.blockvolumeentries,
            attributes: e.dbattributeentries,
            pending: e.pendingoperations,
            ..State::default()
        };
        s.derive();
        s
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

    /// The changes that undo `c` once it is applied: every record it touches, as it
    /// is now (`None` where it does not exist yet).
    pub fn undo_of(&self, c: &Changes) -> Changes {
        fn old<T: Clone>(
            map: &BTreeMap<String, T>,
            changes: &BTreeMap<String, Option<T>>,
        ) -> BTreeMap<String, Option<T>> {
            changes
                .keys()
                .map(|k| (k.clone(), map.get(k).cloned()))
                .collect()
        }
        Changes {
            clusters: old(&self.clusters, &c.clusters),
            nodes: old(&self.nodes, &c.nodes),
            devices: old(&self.devices, &c.devices),
            bricks: old(&self.bricks, &c.bricks),
            volumes: old(&self.volumes, &c.volumes),
            blockvolumes: old(&self.blockvolumes, &c.blockvolumes),
            attributes: old(&self.attributes, &c.attributes),
            pending: old(&self.pending, &c.pending),
        }
    }

    /// Applies committed changes.
    pub fn apply(&mut self, c: Changes) {
        apply_map(&mut self.clusters, c.clusters);
        apply_map(&mut self.nodes, c.nodes);
        apply_map(&mut self.devices, c.devices);
        apply_map(&mut self.bricks, c.bricks);
        for (id, v) in c.volumes {
            if let Some(old) = self.volumes.remove(&id) {
                self.unindex_volume(&id, &old);
            }
            if let Some(v) = v {
                self.index_volume(&id, &v);
                self.volumes.insert(id, v);
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(cluster: &str, name: &str) -> VolumeEntry {
        let mut v = VolumeEntry::default();
        v.info.cluster = cluster.into();
        v.info.request.name = name.into();
        v
    }

    #[test]
    fn cluster_volume_lists_are_derived_not_stored() {
        // A record written before the lists were derived still carries one.
        let cluster = br#"{"Info":{"id":"c1","nodes":[],"volumes":["v1","gone"],"block":false,"file":true,"blockvolumes":[]}}"#;
        let v1 = serde_json::to_vec(&volume("c1", "a")).unwrap();
        let raw: RawTables = vec![
            (Table::Clusters, vec![("c1".into(), cluster.to_vec())]),
            (Table::Volumes, vec![("v1".into(), v1)]),
        ];
        let mut s = State::from_raw(raw).unwrap();
        assert!(s.clusters["c1"].info.volumes.is_empty());
        assert_eq!(s.cluster_volumes("c1").collect::<Vec<_>>(), ["v1"]);
        assert_eq!(s.volumes_named("a").collect::<Vec<_>>(), ["v1"]);

        // A create changes the volume table only; the index follows apply().
        let mut txn = Txn::new(&s);
        txn.volumes.put("v2", volume("c1", "b"));
        let changes = txn.into_changes();
        let cs = changes.to_changeset();
        assert!(cs.writes.iter().all(|(t, _, _)| *t == Table::Volumes));
        s.apply(changes);
        assert_eq!(s.cluster_volume_count("c1"), 2);
        assert_eq!(
            s.to_export().clusterentries["c1"].info.volumes,
            ["v1", "v2"]
        );

        // Moving a volume's name or deleting it updates both indexes.
        let mut txn = Txn::new(&s);
        txn.volumes.get_mut("v1").unwrap().info.request.name = "renamed".into();
        txn.volumes.remove("v2");
        s.apply(txn.into_changes());
        assert_eq!(s.volumes_named("a").count(), 0);
        assert_eq!(s.volumes_named("renamed").collect::<Vec<_>>(), ["v1"]);
        assert_eq!(s.cluster_volumes("c1").collect::<Vec<_>>(), ["v1"]);
        let mut txn = Txn::new(&s);
        txn.volumes.remove("v1");
        s.apply(txn.into_changes());
        assert_eq!(s.cluster_volume_count("c1"), 0);
        // Equal to a state derived afresh from the same records.
        let fresh = State::from_export(s.to_export());
        assert_eq!(fresh, s);
    }
}
