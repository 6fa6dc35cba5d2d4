//! A volume record as the state keeps it in memory (see [`super::records`]): what
//! differs between volumes (ids, name, mount point, gid, bricks, pending operation)
//! lifted out and packed; everything else (size, durability, snapshot, mount hosts and
//! options, volume options…) held once for all the volumes that share it.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::records::Pack;
use crate::id::CompactId;
use crate::model::VolumeEntry;

#[derive(Clone, Debug, PartialEq)]
pub struct PackedVolume {
    /// `None`: the record's key.
    id: Option<Box<str>>,
    cluster: CompactId,
    /// `None`: Heketi's default name, `vol_<key>`.
    name: Option<Box<str>>,
    /// `None`: `<first mount host>:<name>`.
    mount_point: Option<Box<str>>,
    gid: i64,
    bricks: Box<[CompactId]>,
    pending: CompactId,
    /// The rest of the record, the fields above left empty.
    rest: Arc<VolumeEntry>,
}

impl PackedVolume {
    pub fn cluster(&self) -> &CompactId {
        &self.cluster
    }

    pub fn is_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Whether the volume is called Heketi's default name for its key, `vol_<key>`.
    pub fn has_default_name(&self) -> bool {
        self.name.is_none()
    }
}

/// The distinct rests of the volume records, by a hash of some of their fields (equal
/// rests hash equal; unequal ones may share a bucket and are told apart by `==`).
#[derive(Clone, Default)]
pub struct VolumeRests {
    buckets: HashMap<u64, Vec<Arc<VolumeEntry>>>,
}

fn rest_hash(v: &VolumeEntry) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    let r = &v.info.request;
    r.size.hash(&mut h);
    r.durability.kind.hash(&mut h);
    r.durability.replicate.replica.hash(&mut h);
    r.durability.disperse.data.hash(&mut h);
    r.durability.disperse.redundancy.hash(&mut h);
    r.snapshot.enable.hash(&mut h);
    r.snapshot.factor.to_bits().hash(&mut h);
    r.clusters.hash(&mut h);
    r.glustervolumeoptions.hash(&mut h);
    v.gluster_volume_options.hash(&mut h);
    let m = &v.info.mount.glusterfs;
    // Mount values are long (every host of the cluster): some of them is enough.
    m.hosts.len().hash(&mut h);
    m.hosts.first().hash(&mut h);
    m.options.len().hash(&mut h);
    h.finish()
}

impl VolumeRests {
    fn intern(&mut self, rest: VolumeEntry) -> Arc<VolumeEntry> {
        let bucket = self.buckets.entry(rest_hash(&rest)).or_default();
        if let Some(held) = bucket.iter().find(|held| ***held == rest) {
            return held.clone();
        }
        let rest = Arc::new(rest);
        bucket.push(rest.clone());
        rest
    }

    /// Forgets `rest` when only the interner holds it besides this handle.
    fn release(&mut self, rest: Arc<VolumeEntry>) {
        if Arc::strong_count(&rest) != 2 {
            return;
        }
        let h = rest_hash(&rest);
        if let Some(bucket) = self.buckets.get_mut(&h) {
            bucket.retain(|r| !Arc::ptr_eq(r, &rest));
            if bucket.is_empty() {
                self.buckets.remove(&h);
            }
        }
    }

    fn prune(&mut self) {
        self.buckets.retain(|_, b| {
            b.retain(|r| Arc::strong_count(r) > 1);
            !b.is_empty()
        });
    }
}

fn default_mount_point(v: &VolumeEntry) -> Option<String> {
    let m = &v.info.mount.glusterfs;
    m.hosts
        .first()
        .map(|h| format!("{h}:{}", v.info.request.name))
}

impl Pack for VolumeEntry {
    type Packed = PackedVolume;
    type Shared = VolumeRests;

    fn pack(&self, key: &str, rests: &mut VolumeRests) -> PackedVolume {
        let mut rest = self.clone();
        let i = &mut rest.info;
        let id = std::mem::take(&mut i.id);
        let name = std::mem::take(&mut i.request.name);
        let mount_point = std::mem::take(&mut i.mount.glusterfs.mount_point);
        let default_name = name.strip_prefix("vol_") == Some(key);
        let default_mount = default_mount_point(self).as_deref() == Some(mount_point.as_str());
        PackedVolume {
            id: (id != key).then(|| id.into()),
            cluster: CompactId::new(&std::mem::take(&mut i.cluster)),
            name: (!default_name).then(|| name.into()),
            mount_point: (!default_mount).then(|| mount_point.into()),
            gid: std::mem::take(&mut i.request.gid),
            bricks: std::mem::take(&mut rest.bricks)
                .iter()
                .map(|b| CompactId::new(b))
                .collect(),
            pending: CompactId::new(&std::mem::take(&mut rest.pending.id)),
            rest: rests.intern(rest),
        }
    }

    fn unpack(p: &PackedVolume, key: &str) -> VolumeEntry {
        let mut v = VolumeEntry::clone(&p.rest);
        v.info.id = p.id.as_deref().unwrap_or(key).to_string();
        v.info.cluster = String::from(&p.cluster);
        v.info.request.name = match &p.name {
            Some(n) => n.to_string(),
            None => format!("vol_{key}"),
        };
        v.info.mount.glusterfs.mount_point = match &p.mount_point {
            Some(m) => m.to_string(),
            None => default_mount_point(&v).unwrap_or_default(),
        };
        v.info.request.gid = p.gid;
        v.bricks = p.bricks.iter().map(String::from).collect();
        v.pending.id = String::from(&p.pending);
        v
    }

    fn release(p: PackedVolume, rests: &mut VolumeRests) {
        rests.release(p.rest);
    }

    fn prune(rests: &mut VolumeRests) {
        rests.prune();
    }
}

/// Whether two volumes' mount hosts are the same stored list (the state interns them).
#[cfg(test)]
fn same_hosts(a: &VolumeEntry, b: &VolumeEntry) -> bool {
    use crate::api::Shared;
    Shared::ptr_eq(&a.info.mount.glusterfs.hosts, &b.info.mount.glusterfs.hosts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Shared;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        prop_oneof!["[0-9a-f]{32}", "[a-z0-9:._]{0,12}", Just(String::new())]
    }

    fn volume(
        (id, cluster, name, mount_point): (String, String, String, String),
        hosts: Vec<String>,
        bricks: Vec<String>,
        (gid, size, pending): (i64, i64, String),
    ) -> VolumeEntry {
        let mut v = VolumeEntry::default();
        v.info.id = id;
        v.info.cluster = cluster;
        v.info.request.name = name;
        v.info.request.gid = gid;
        v.info.request.size = size;
        v.info.mount.glusterfs.mount_point = mount_point;
        v.info.mount.glusterfs.hosts = Shared::new(hosts);
        v.bricks = bricks;
        v.pending.id = pending;
        v
    }

    proptest! {
        /// Every volume record comes back from its packed form as it was, with default
        /// names and mount points or not.
        #[test]
        fn volumes_unpack_as_they_were_packed(
            key in text(), other in text(), same_id: bool, default_name: bool,
            name in text(), default_mount: bool, mount in text(),
            hosts in proptest::collection::vec(text(), 0..3),
            bricks in proptest::collection::vec(text(), 0..4),
            gid: i64, size: i64, pending in text(),
        ) {
            let id = if same_id { key.clone() } else { other };
            let name = if default_name { format!("vol_{key}") } else { name };
            let mount = match hosts.first() {
                Some(h) if default_mount => format!("{h}:{name}"),
                _ => mount,
            };
            let v = volume((id, "c".into(), name, mount), hosts, bricks, (gid, size, pending));
            let mut rests = VolumeRests::default();
            let packed = v.pack(&key, &mut rests);
            prop_assert_eq!(VolumeEntry::unpack(&packed, &key), v);
        }
    }

    /// A volume changed many times (an expand changes its size, a block volume its
    /// block info) leaves no rest behind it; one removed leaves none either.
    #[test]
    fn replaced_and_removed_volumes_leave_no_rests() {
        let mut table: super::super::Records<VolumeEntry> = Default::default();
        let id = crate::id::new_id();
        let mut v = VolumeEntry::default();
        v.info.id = id.clone();
        for size in 1..50 {
            v.info.request.size = size;
            table.insert(&id, &v);
            assert_eq!(table.get(&id).unwrap().info.request.size, size);
        }
        let rests = |t: &super::super::Records<VolumeEntry>| {
            t.shared().buckets.values().map(Vec::len).sum::<usize>()
        };
        assert_eq!(rests(&table), 1);
        let other = crate::id::new_id();
        table.insert(&other, &v);
        assert_eq!(rests(&table), 1);
        table.remove(&id);
        assert_eq!(rests(&table), 1);
        table.remove(&other);
        assert_eq!(rests(&table), 0);
    }

    /// Volumes that differ only in what is lifted out share one rest; a rest no packed
    /// record holds is forgotten.
    #[test]
    fn volumes_share_what_they_have_in_common() {
        let hosts = Shared::new(vec!["h1".to_string(), "h2".to_string()]);
        let mut rests = VolumeRests::default();
        let mut packed = Vec::new();
        for n in 0..3i64 {
            let id = crate::id::new_id();
            let mut v = volume(
                (
                    id.clone(),
                    crate::id::new_id(),
                    format!("vol_{id}"),
                    format!("h1:vol_{id}"),
                ),
                vec![],
                vec![crate::id::new_id(), crate::id::new_id()],
                (1000 + n, 1, String::new()),
            );
            v.info.mount.glusterfs.hosts = hosts.clone();
            let p = v.pack(&id, &mut rests);
            assert!(p.name.is_none() && p.mount_point.is_none() && p.id.is_none());
            let back = VolumeEntry::unpack(&p, &id);
            assert!(same_hosts(&back, &v));
            assert_eq!(back, v);
            packed.push(p);
        }
        assert!(Arc::ptr_eq(&packed[0].rest, &packed[2].rest));
        let mut other = VolumeEntry::unpack(&packed[0], "k");
        other.info.request.size = 2;
        packed.push(other.pack("k", &mut rests));
        assert_eq!(rests.buckets.values().map(Vec::len).sum::<usize>(), 2);
        packed.pop();
        rests.prune();
        assert_eq!(rests.buckets.values().map(Vec::len).sum::<usize>(), 1);
        packed.clear();
        rests.prune();
        assert!(rests.buckets.is_empty());
    }
}
