//! The in-memory state: every record, loaded from the store at open and updated after
//! each successful commit. Reads and placement never touch the disk.

mod brick_record;
pub(crate) mod chunk_map;
mod overlay;
mod records;
mod stored_brick;
mod stored_volume;
mod volume_record;

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use crate::id::CompactId;
pub use brick_record::PackedBrick;
pub use overlay::Overlay;
pub use records::{Loader, Pack, RecordSource, Records};
pub use volume_record::PackedVolume;

use crate::api::{Interner, Shared};
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
    pub bricks: Records<BrickEntry>,
    pub volumes: Records<VolumeEntry>,
    pub blockvolumes: BTreeMap<String, BlockVolumeEntry>,
    pub attributes: BTreeMap<String, DbAttributeEntry>,
    pub pending: BTreeMap<String, PendingOperationEntry>,
    /// Derived: how many volumes each cluster holds (the ids are listed from
    /// `volumes` itself: a second set of 100,000 ids cost 100 bytes a volume).
    cluster_volume_counts: BTreeMap<String, usize>,
    /// Derived: volume ids by volume name, for names other than Heketi's default
    /// `vol_<id>` (found from the id itself: indexing them cost 300 bytes a volume).
    volume_names: BTreeMap<String, Vec<String>>,
    /// One copy of each distinct mount host list and option map (every volume of a
    /// cluster holds the same): 100 hosts would otherwise cost each volume kilobytes.
    mounts: MountInterner,
}

/// Whether volume `id` is called Heketi's default name for it, `vol_<id>`.
fn has_default_name(id: &str, v: &VolumeEntry) -> bool {
    v.info.request.name.strip_prefix("vol_") == Some(id)
}

/// The shared mount values of [`State`]; not part of what a state is (equality).
#[derive(Clone, Default)]
struct MountInterner {
    hosts: Interner<Vec<String>>,
    options: Interner<BTreeMap<String, String>>,
}

impl MountInterner {
    fn intern(&mut self, v: &mut VolumeEntry) {
        let m = &mut v.info.mount.glusterfs;
        self.hosts.intern(&mut m.hosts);
        self.options.intern(&mut m.options);
    }

    fn prune(&mut self) {
        self.hosts.prune();
        self.options.prune();
    }
}

impl PartialEq for MountInterner {
    fn eq(&self, _: &MountInterner) -> bool {
        true
    }
}

impl std::fmt::Debug for MountInterner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MountInterner({} host lists)", self.hosts.len())
    }
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

/// The mount values a volume record names instead of carrying (`"MountRef"`).
#[derive(Serialize, Deserialize)]
struct MountValues {
    hosts: Shared<Vec<String>>,
    options: Shared<BTreeMap<String, String>>,
}

/// How a volume record ends when it names its mount values: `,"MountRef":"<key>"}`.
const MOUNT_REF: &[u8] = b",\"MountRef\":\"";

/// The volume record and, when it names shared mount values, their key.
fn split_mount_ref(bytes: &[u8]) -> (&[u8], Option<&str>) {
    let Some(body) = bytes.strip_suffix(b"\"}") else {
        return (bytes, None);
    };
    let Some(at) = body.len().checked_sub(16 + MOUNT_REF.len()) else {
        return (bytes, None);
    };
    let (head, tail) = body.split_at(at);
    match tail
        .strip_prefix(MOUNT_REF)
        .and_then(|k| std::str::from_utf8(k).ok())
    {
        Some(key) if key.bytes().all(|b| b.is_ascii_hexdigit()) => (head, Some(key)),
        _ => (bytes, None),
    }
}

fn decode_volumes(
    rows: Vec<(String, Vec<u8>)>,
    mounts: &BTreeMap<String, MountValues>,
) -> Result<Vec<(String, VolumeEntry)>, StoreError> {
    rows.into_iter()
        .map(|(k, v)| {
            let vol = decode_volume(&k, &v, mounts)?;
            Ok((k, vol))
        })
        .collect()
}

fn decode_one<T: DeserializeOwned>(table: Table, key: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| corrupt(table, key, source))
}

fn corrupt(table: Table, key: &str, source: serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        table: table.name(),
        key: key.to_string(),
        source,
    }
}

fn decode_volume(
    key: &str,
    bytes: &[u8],
    mounts: &BTreeMap<String, MountValues>,
) -> Result<VolumeEntry, StoreError> {
    let corrupt = |source| StoreError::Corrupt {
        table: Table::Volumes.name(),
        key: key.to_string(),
        source,
    };
    let (body, mount_ref) = split_mount_ref(bytes);
    // The body without the ref is the record up to its last field: close it.
    let parsed = match mount_ref {
        Some(_) => {
            let mut closed = Vec::with_capacity(body.len() + 1);
            closed.extend_from_slice(body);
            closed.push(b'}');
            serde_json::from_slice::<stored_volume::Stored>(&closed)
        }
        None => serde_json::from_slice::<stored_volume::Stored>(body),
    };
    let stored = parsed.map_err(corrupt)?;
    let mount = match mount_ref {
        Some(mkey) => {
            let Some(m) = mounts.get(mkey) else {
                return Err(corrupt(<serde_json::Error as serde::de::Error>::custom(
                    format!(
                        "its mount values {mkey} are missing from {}",
                        Table::MountValues.name()
                    ),
                )));
            };
            Some((m.hosts.clone(), m.options.clone()))
        }
        None => None,
    };
    Ok(stored.into_volume(key, mount))
}

/// A volume record as stored. Its mount hosts and options (every storage host of the
/// cluster: kilobytes, the same for all volumes of a cluster) go to a
/// [`Table::MountValues`] row named by their hash, written in the same change set
/// (once per change set), and the record ends with `,"MountRef":"<key>"}` instead;
/// a record without it (written before, or without mount values) carries them. The
/// rest is written without what it derives ([`stored_volume`]).
fn volume_bytes(
    row: &str,
    v: &VolumeEntry,
    cs: &mut ChangeSet,
    written: &mut BTreeSet<String>,
) -> Vec<u8> {
    use std::hash::{Hash, Hasher};
    let m = &v.info.mount.glusterfs;
    let first_host = m.hosts.first().map(String::as_str);
    if m.hosts.is_empty() && m.options.is_empty() {
        return to_bytes(&stored_volume::Stored::new(row, v, first_host));
    }
    let values = to_bytes(&MountValues {
        hosts: m.hosts.clone(),
        options: m.options.clone(),
    });
    let mut h = std::hash::DefaultHasher::new();
    values.hash(&mut h);
    let key = format!("{:016x}", h.finish());
    if written.insert(key.clone()) {
        cs.writes
            .push((Table::MountValues, key.clone(), Some(values)));
    }
    let mut bytes =
        to_bytes(&stored_volume::Stored::new(row, v, first_host).without_mount_values());
    if bytes.pop() != Some(b'}') {
        // Not an object: cannot happen for a struct.
        return to_bytes(&stored_volume::Stored::new(row, v, first_host));
    }
    bytes.extend_from_slice(MOUNT_REF);
    bytes.extend_from_slice(key.as_bytes());
    bytes.extend_from_slice(b"\"}");
    bytes
}

impl State {
    /// Loads every record from the store, decoding each as it is read.
    pub fn load(store: &crate::store::Store) -> Result<State, StoreError> {
        fn table<T: DeserializeOwned>(
            store: &crate::store::Store,
            t: Table,
            map: &mut BTreeMap<String, T>,
        ) -> Result<(), StoreError> {
            store.scan(t, |k, v| {
                map.insert(k.to_string(), decode_one(t, k, v)?);
                Ok(())
            })
        }
        let mut s = State::default();
        let mut mounts = BTreeMap::new();
        table(store, Table::MountValues, &mut mounts)?;
        table(store, Table::Clusters, &mut s.clusters)?;
        table(store, Table::Nodes, &mut s.nodes)?;
        table(store, Table::Devices, &mut s.devices)?;
        // The two large tables decode at once, on two threads (half the time of an
        // open at 100,000 volumes on two cores).
        let (bricks, volumes) = std::thread::scope(|scope| {
            let bricks = scope.spawn(|| {
                let mut bricks = Loader::default();
                store.scan(Table::Bricks, |k, v| {
                    let b = stored_brick::decode_brick(k, v)
                        .map_err(|source| corrupt(Table::Bricks, k, source))?;
                    bricks.push(k, &b);
                    Ok(())
                })?;
                Ok::<_, StoreError>(bricks.finish())
            });
            let mut volumes = Loader::default();
            let scanned = store.scan(Table::Volumes, |k, v| {
                s.load_volume(&mut volumes, k, decode_volume(k, v, &mounts)?);
                Ok(())
            });
            let bricks = bricks
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (bricks, scanned.map(|()| volumes.finish()))
        });
        s.bricks = bricks?;
        s.volumes = volumes?;
        table(store, Table::BlockVolumes, &mut s.blockvolumes)?;
        table(store, Table::Attributes, &mut s.attributes)?;
        table(store, Table::Pending, &mut s.pending)?;
        s.derive();
        s.derive_device_bricks();
        Ok(s)
    }

    /// Decodes the raw tables of the store.
    pub fn from_raw(raw: RawTables) -> Result<State, StoreError> {
        let mut s = State::default();
        let mut raw = raw;
        // Mount values first: volume records name them.
        let mut mounts = BTreeMap::new();
        for (table, rows) in raw.iter_mut() {
            if *table == Table::MountValues {
                mounts = decode::<MountValues>(*table, std::mem::take(rows))?;
            }
        }
        for (table, rows) in raw {
            match table {
                Table::MountValues => {}
                Table::Volumes => {
                    let mut volumes = Loader::default();
                    for (k, v) in decode_volumes(rows, &mounts)? {
                        s.load_volume(&mut volumes, &k, v);
                    }
                    s.volumes = volumes.finish();
                }
                Table::Clusters => s.clusters = decode(table, rows)?,
                Table::Nodes => s.nodes = decode(table, rows)?,
                Table::Devices => s.devices = decode(table, rows)?,
                Table::Bricks => {
                    let mut bricks = Loader::default();
                    for (k, v) in rows {
                        let b = stored_brick::decode_brick(&k, &v)
                            .map_err(|source| corrupt(table, &k, source))?;
                        bricks.push(&k, &b);
                    }
                    s.bricks = bricks.finish();
                }
                Table::BlockVolumes => s.blockvolumes = decode(table, rows)?,
                Table::Attributes => s.attributes = decode(table, rows)?,
                Table::Pending => s.pending = decode(table, rows)?,
            }
        }
        s.derive();
        s.derive_device_bricks();
        Ok(s)
    }

    /// Rebuilds every device's brick list from the bricks' `device` field. The store
    /// keeps device records without it (a list that grows with the device's bricks would
    /// be re-encoded and rewritten by every create on the device); a database written
    /// before carries it, and it is rebuilt the same way.
    fn derive_device_bricks(&mut self) {
        for d in self.devices.values_mut() {
            d.bricks = Default::default();
        }
        // Bricks come in id order: every list ends up sorted, as `insert_sorted` keeps it.
        let mut device = String::new();
        let mut list: Option<&mut DeviceEntry> = None;
        for (id, b) in self.bricks.packed() {
            if !b.device().is(&device) {
                device = String::from(b.device());
                list = self.devices.get_mut(&device);
            }
            if let Some(d) = list.as_deref_mut() {
                d.bricks.push(id.clone());
            }
        }
    }

    /// Empties the volume lists of the cluster records (a database written before they
    /// were derived carries them). The volume indexes are built as volumes are added
    /// ([`State::add_volume`]); bricks' default thin pool names are cleared as they are
    /// packed ([`BrickEntry::compact_names`]).
    fn derive(&mut self) {
        for c in self.clusters.values_mut() {
            c.info.volumes.clear();
        }
    }

    /// Loads a volume record (of a table loaded once, each id once): its mount values
    /// interned, its indexes built.
    fn load_volume(&mut self, to: &mut Loader<VolumeEntry>, id: &str, mut v: VolumeEntry) {
        self.mounts.intern(&mut v);
        self.index_volume(id, &v);
        to.push(id, &v);
    }

    /// Adds or replaces a volume record: its mount values interned, its indexes kept.
    fn add_volume(&mut self, id: &str, mut v: VolumeEntry) {
        if let Some(old) = self.volumes.remove(id) {
            self.unindex_volume(id, &old);
        }
        self.mounts.intern(&mut v);
        self.index_volume(id, &v);
        self.volumes.insert(id, &v);
    }

    fn index_volume(&mut self, id: &str, v: &VolumeEntry) {
        *self
            .cluster_volume_counts
            .entry(v.info.cluster.clone())
            .or_default() += 1;
        if !has_default_name(id, v) {
            let ids = self
                .volume_names
                .entry(v.info.request.name.clone())
                .or_default();
            if let Err(at) = ids.binary_search_by(|x| x.as_str().cmp(id)) {
                ids.insert(at, id.to_string());
            }
        }
    }

    fn unindex_volume(&mut self, id: &str, v: &VolumeEntry) {
        if let Some(n) = self.cluster_volume_counts.get_mut(&v.info.cluster) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.cluster_volume_counts.remove(&v.info.cluster);
            }
        }
        if let Some(ids) = self.volume_names.get_mut(&v.info.request.name) {
            ids.retain(|x| x != id);
            if ids.is_empty() {
                self.volume_names.remove(&v.info.request.name);
            }
        }
    }

    /// The ids of a cluster's volumes (pending ones included), in id order.
    pub fn cluster_volumes<'a>(&'a self, cluster_id: &'a str) -> impl Iterator<Item = String> + 'a {
        let any = self.cluster_volume_counts.contains_key(cluster_id);
        let cluster = CompactId::new(cluster_id);
        self.volumes
            .packed()
            .take_while(move |_| any)
            .filter(move |(_, v)| *v.cluster() == cluster)
            .map(|(id, _)| String::from(id))
    }

    /// How many volumes (pending ones included) a cluster holds.
    pub fn cluster_volume_count(&self, cluster_id: &str) -> usize {
        self.cluster_volume_counts
            .get(cluster_id)
            .copied()
            .unwrap_or(0)
    }

    /// The ids of the volumes called `name`, in any cluster.
    pub fn volumes_named<'a>(&'a self, name: &str) -> impl Iterator<Item = String> + 'a {
        // A volume called `vol_<its own id>` is not in the index: found by its id.
        let by_id = name
            .strip_prefix("vol_")
            .filter(|id| {
                self.volumes
                    .get_packed(id)
                    .is_some_and(PackedVolume::has_default_name)
            })
            .map(str::to_string);
        self.volume_names
            .get(name)
            .into_iter()
            .flatten()
            .cloned()
            .chain(by_id)
    }

    /// The state as a Heketi `db export`.
    pub fn to_export(&self) -> DbExport {
        let mut clusters = self.clusters.clone();
        for (cid, c) in clusters.iter_mut() {
            c.info.volumes = self.cluster_volumes(cid).collect();
        }
        DbExport {
            clusterentries: clusters,
            volumeentries: self.volumes.iter().collect(),
            brickentries: self
                .bricks
                .iter()
                .map(|(id, b)| (id, b.with_full_names()))
                .collect(),
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
            bricks: e.brickentries.into_iter().collect(),
            blockvolumes: e.blockvolumeentries,
            attributes: e.dbattributeentries,
            pending: e.pendingoperations,
            ..State::default()
        };
        let mut volumes = Loader::default();
        for (id, v) in e.volumeentries {
            s.load_volume(&mut volumes, &id, v);
        }
        s.volumes = volumes.finish();
        s.derive();
        s
    }

    /// All records as one change set (used by import).
    pub fn to_changeset(&self) -> ChangeSet {
        let mut cs = ChangeSet::default();
        put_all(&mut cs, Table::Clusters, &self.clusters);
        put_all(&mut cs, Table::Nodes, &self.nodes);
        put_all_with(&mut cs, Table::Devices, &self.devices, device_bytes);
        for (k, b) in self.bricks.iter() {
            let bytes = stored_brick::brick_bytes(&k, &b);
            cs.writes.push((Table::Bricks, k, Some(bytes)));
        }
        let mut written = BTreeSet::new();
        for (k, v) in self.volumes.iter() {
            let bytes = volume_bytes(&k, &v, &mut cs, &mut written);
            cs.writes.push((Table::Volumes, k, Some(bytes)));
        }
        put_all(&mut cs, Table::BlockVolumes, &self.blockvolumes);
        put_all(&mut cs, Table::Attributes, &self.attributes);
        put_all(&mut cs, Table::Pending, &self.pending);
        cs
    }

    /// The changes that undo `c` once it is applied: every record it touches, as it
    /// is now (`None` where it does not exist yet).
    pub fn undo_of(&self, c: &Changes) -> Changes {
        fn old<T: Clone, B: RecordSource<T>>(
            map: &B,
            changes: &BTreeMap<String, Option<T>>,
        ) -> BTreeMap<String, Option<T>> {
            changes
                .keys()
                .map(|k| (k.clone(), map.lookup(k).map(|v| T::clone(&v))))
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
        let mut bricks_removed = false;
        for (id, b) in c.bricks {
            match b {
                Some(b) => self.bricks.insert(&id, &b),
                None => bricks_removed |= self.bricks.remove(&id).is_some(),
            }
        }
        if bricks_removed {
            // A place an outside copy of the state held when its last brick went
            // (a few per device).
            self.bricks.prune();
        }
        let mut removed = false;
        for (id, v) in c.volumes {
            match v {
                Some(v) => self.add_volume(&id, v),
                None => {
                    if let Some(old) = self.volumes.remove(&id) {
                        self.unindex_volume(&id, &old);
                        removed = true;
                    }
                }
            }
        }
        if removed {
            // The volumes' shared rests hold mount values: forget them first.
            self.volumes.prune();
            self.mounts.prune();
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

/// A device record as stored: without its brick list (derived at load from the bricks,
/// see [`State::derive_device_bricks`]), so a create rewrites a record of constant size.
fn device_bytes(d: &DeviceEntry) -> Vec<u8> {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Stored<'a> {
        state: &'a crate::api::EntryState,
        info: &'a crate::api::DeviceInfo,
        node_id: &'a str,
        extent_size: u64,
    }
    to_bytes(&Stored {
        state: &d.state,
        info: &d.info,
        node_id: &d.node_id,
        extent_size: d.extent_size,
    })
}

fn put_all<T: Serialize>(cs: &mut ChangeSet, table: Table, map: &BTreeMap<String, T>) {
    put_all_with(cs, table, map, to_bytes);
}

fn put_all_with<T>(
    cs: &mut ChangeSet,
    table: Table,
    map: &BTreeMap<String, T>,
    bytes: fn(&T) -> Vec<u8>,
) {
    for (k, v) in map {
        cs.writes.push((table, k.clone(), Some(bytes(v))));
    }
}

fn encode<T: Serialize>(cs: &mut ChangeSet, table: Table, map: &BTreeMap<String, Option<T>>) {
    encode_with(cs, table, map, to_bytes);
}

fn encode_with<T>(
    cs: &mut ChangeSet,
    table: Table,
    map: &BTreeMap<String, Option<T>>,
    bytes: fn(&T) -> Vec<u8>,
) {
    for (k, v) in map {
        cs.writes.push((table, k.clone(), v.as_ref().map(bytes)));
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
        encode_with(&mut cs, Table::Devices, &self.devices, device_bytes);
        for (k, b) in &self.bricks {
            let bytes = b.as_ref().map(|b| stored_brick::brick_bytes(k, b));
            cs.writes.push((Table::Bricks, k.clone(), bytes));
        }
        let mut written = BTreeSet::new();
        for (k, v) in &self.volumes {
            let bytes = v
                .as_ref()
                .map(|v| volume_bytes(k, v, &mut cs, &mut written));
            cs.writes.push((Table::Volumes, k.clone(), bytes));
        }
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
    pub bricks: Overlay<'s, BrickEntry, Records<BrickEntry>>,
    pub volumes: Overlay<'s, VolumeEntry, Records<VolumeEntry>>,
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

    /// Volumes called Heketi's default `vol_<id>` are found by name without an index
    /// entry; a volume that took another's default name as its own is found too.
    #[test]
    fn volumes_are_found_by_default_and_chosen_names() {
        let mut s = State::default();
        let mut txn = Txn::new(&s);
        txn.volumes.put("v1", volume("c1", "vol_v1"));
        txn.volumes.put("v2", volume("c1", "vol_v1"));
        txn.volumes.put("v3", volume("c2", "vol_v9"));
        txn.volumes.put("v4", volume("c2", "mine"));
        s.apply(txn.into_changes());
        // Only the chosen names (v1 is called its default name) are in the index.
        assert_eq!(s.volume_names.len(), 3, "{:?}", s.volume_names);
        assert_eq!(s.volumes_named("vol_v1").collect::<Vec<_>>(), ["v2", "v1"]);
        assert_eq!(s.volumes_named("vol_v9").collect::<Vec<_>>(), ["v3"]);
        assert_eq!(s.volumes_named("vol_v3").count(), 0);
        assert_eq!(s.volumes_named("vol_v4").count(), 0);
        assert_eq!(s.volumes_named("mine").collect::<Vec<_>>(), ["v4"]);
        assert_eq!(s.cluster_volumes("c2").collect::<Vec<_>>(), ["v3", "v4"]);
        assert_eq!(s.cluster_volumes("c3").count(), 0);
        assert_eq!(s.cluster_volume_count("c1"), 2);
        // A rename away from the default name, and back.
        let mut txn = Txn::new(&s);
        txn.volumes.get_mut("v1").unwrap().info.request.name = "other".into();
        s.apply(txn.into_changes());
        assert_eq!(s.volumes_named("vol_v1").collect::<Vec<_>>(), ["v2"]);
        assert_eq!(s.volumes_named("other").collect::<Vec<_>>(), ["v1"]);
        let mut txn = Txn::new(&s);
        txn.volumes.get_mut("v1").unwrap().info.request.name = "vol_v1".into();
        txn.volumes.remove("v2");
        s.apply(txn.into_changes());
        assert_eq!(s.volumes_named("vol_v1").collect::<Vec<_>>(), ["v1"]);
        assert_eq!(s.volumes_named("other").count(), 0);
        assert!(s.volume_names.keys().all(|k| k == "vol_v9" || k == "mine"));
        assert_eq!(State::from_export(s.to_export()), s);
    }

    /// Default thin pool names are not kept in memory; the Heketi export names them all.
    #[test]
    fn default_thin_pool_names_are_dropped_on_load_and_written_on_export() {
        let b1 = br#"{"Info":{"id":"b1","path":"/p1","device":"d1","node":"n1","volume":"v1","size":1},"LvmThinPool":"tp_b1"}"#;
        let b2 = br#"{"Info":{"id":"b2","path":"/p2","device":"d1","node":"n1","volume":"v2","size":1},"LvmThinPool":"tp_b1"}"#;
        let b3 = br#"{"Info":{"id":"b3","path":"/p3","device":"d1","node":"n1","volume":"v3","size":1},"LvmThinPool":""}"#;
        let raw: RawTables = vec![(
            Table::Bricks,
            vec![
                ("b1".into(), b1.to_vec()),
                ("b2".into(), b2.to_vec()),
                ("b3".into(), b3.to_vec()),
            ],
        )];
        let s = State::from_raw(raw).unwrap();
        assert_eq!(s.bricks.get("b1").unwrap().lvm_thin_pool, "");
        // A clone's brick names its source's pool: kept.
        assert_eq!(s.bricks.get("b2").unwrap().lvm_thin_pool, "tp_b1");
        let names: Vec<String> = s.bricks.values().map(|b| b.thin_pool_name()).collect();
        assert_eq!(names, ["tp_b1", "tp_b1", "tp_b3"]);
        let export = s.to_export();
        let exported: Vec<&str> = export
            .brickentries
            .values()
            .map(|b| b.lvm_thin_pool.as_str())
            .collect();
        assert_eq!(exported, ["tp_b1", "tp_b1", "tp_b3"]);
        assert_eq!(State::from_export(export), s);
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

    #[test]
    fn device_records_are_stored_without_their_bricks_and_get_them_back_at_load() {
        let mut s = State::default();
        let mut d = DeviceEntry::default();
        d.info.id = "d1".into();
        d.node_id = "n1".into();
        // A database written before: the stored record lists its bricks.
        d.bricks = vec!["b2".to_string(), "gone".to_string()].into();
        let old = serde_json::to_vec(&d).unwrap();
        let mut txn = Txn::new(&s);
        txn.devices.put("d1", d);
        for id in ["b2", "b1"] {
            let mut b = BrickEntry::default();
            b.info.id = id.into();
            b.info.device = "d1".into();
            txn.bricks.put(id, b);
        }
        let mut b = BrickEntry::default();
        b.info.device = "elsewhere".into();
        txn.bricks.put("b3", b);
        let changes = txn.into_changes();
        let cs = changes.to_changeset();
        s.apply(changes);
        let (_, _, stored) = cs
            .writes
            .iter()
            .find(|(t, _, _)| *t == Table::Devices)
            .unwrap();
        let stored = stored.clone().unwrap();
        assert!(
            !String::from_utf8_lossy(&stored).contains("b2"),
            "{}",
            String::from_utf8_lossy(&stored)
        );
        let rows = |dev: Vec<u8>| -> RawTables {
            vec![
                (Table::Devices, vec![("d1".into(), dev)]),
                (
                    Table::Bricks,
                    s.bricks
                        .iter()
                        .map(|(k, v)| (k, serde_json::to_vec(&v).unwrap()))
                        .collect(),
                ),
            ]
        };
        for dev in [stored, old] {
            let loaded = State::from_raw(rows(dev)).unwrap();
            assert_eq!(loaded.devices["d1"].bricks, ["b1", "b2"]);
            assert_eq!(loaded.devices["d1"].node_id, "n1");
        }
        // The export still lists them (Heketi's format).
        assert_eq!(
            State::from_raw(rows(serde_json::to_vec(&s.devices["d1"]).unwrap()))
                .unwrap()
                .to_export()
                .deviceentries["d1"]
                .bricks,
            ["b1", "b2"]
        );
    }

    #[test]
    fn volume_records_name_their_shared_mount_values_instead_of_carrying_them() {
        let hosts: Vec<String> = (0..100).map(|i| format!("10.0.0.{i}")).collect();
        let mut options = BTreeMap::new();
        options.insert("backup-volfile-servers".to_string(), hosts[1..].join(","));
        let with_mount = |name: &str| {
            let mut v = volume("c1", name);
            v.info.mount.glusterfs.hosts = hosts.clone().into();
            v.info.mount.glusterfs.options = options.clone().into();
            v.info.mount.glusterfs.mount_point = format!("10.0.0.0:{name}");
            v
        };
        let empty = State::default();
        let mut txn = Txn::new(&empty);
        txn.volumes.put("v1", with_mount("a"));
        txn.volumes.put("v2", with_mount("b"));
        let cs = txn.into_changes().to_changeset();
        let rows = |t: Table| -> Vec<(String, Vec<u8>)> {
            cs.writes
                .iter()
                .filter(|(table, _, _)| *table == t)
                .map(|(_, k, v)| (k.clone(), v.clone().unwrap()))
                .collect()
        };
        // One row of mount values for both; the volume records are small.
        assert_eq!(rows(Table::MountValues).len(), 1);
        for (_, v) in rows(Table::Volumes) {
            assert!(v.len() < 1000, "{}", String::from_utf8_lossy(&v));
            assert!(!String::from_utf8_lossy(&v).contains("10.0.0.99"));
        }
        // A record written before carries its values: it loads as well.
        let old = serde_json::to_vec(&with_mount("c")).unwrap();
        let mut volumes = rows(Table::Volumes);
        volumes.push(("v3".into(), old));
        let raw: RawTables = vec![
            (Table::Volumes, volumes.clone()),
            (Table::MountValues, rows(Table::MountValues)),
        ];
        let s = State::from_raw(raw).unwrap();
        for (id, name) in [("v1", "a"), ("v2", "b"), ("v3", "c")] {
            assert_eq!(s.volumes.get(id).unwrap(), with_mount(name), "{id}");
        }
        // Loaded values are shared between the records, not copied.
        assert!(Shared::ptr_eq(
            &s.volumes.get("v1").unwrap().info.mount.glusterfs.hosts,
            &s.volumes.get("v3").unwrap().info.mount.glusterfs.hosts
        ));
        // Loading straight from the store's pages gives the same state.
        let store = crate::store::Store::in_memory().unwrap();
        store.commit(&cs).unwrap();
        let loaded = State::load(&store).unwrap();
        assert_eq!(loaded, State::from_raw(store.load().unwrap()).unwrap());
        assert_eq!(loaded.volumes.get("v2").unwrap(), with_mount("b"));
        // A missing row is a clear corruption error, not empty hosts.
        let err = State::from_raw(vec![(Table::Volumes, volumes)])
            .err()
            .unwrap();
        assert!(err.to_string().contains("mount values"), "{err}");
        assert!(err.to_string().contains("volumes/v1"), "{err}");
    }
}
