//! A volume record as the store keeps it: without what it derives (its id when it is
//! the row's key, its name when it is `vol_<id>`, its mount point when it is
//! `<first host>:<name>`) and without empty fields. 581 bytes of JSON a volume became
//! about 420. Rows written before (every field present) read the same.
//!
//! The mount hosts and options are not here: the row names them (`"MountRef"`, see
//! `state::volume_bytes`), and the mount point is derived once they are known.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::api::{
    BlockInfo, GlusterFsMount, Shared, VolumeCreateRequest, VolumeDurabilityInfo, VolumeInfo,
    VolumeMount, VolumeSnapshot, is_false, is_zero_i64, null_as_default,
};
use crate::model::{PendingRef, VolumeEntry};

/// A volume's mount hosts and options, as a row names them.
pub(super) type MountHostsAndOptions = (Shared<Vec<String>>, Shared<BTreeMap<String, String>>);

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Stored {
    info: StoredInfo,
    #[serde(default, deserialize_with = "null_as_default")]
    bricks: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    gluster_volume_options: Vec<String>,
    #[serde(default, skip_serializing_if = "is_not_pending")]
    pending: PendingRef,
}

#[derive(Serialize, Deserialize)]
struct StoredInfo {
    #[serde(default)]
    size: i64,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    clusters: Vec<String>,
    /// Absent: `vol_<id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default)]
    durability: VolumeDurabilityInfo,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    gid: i64,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    glustervolumeoptions: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    block: bool,
    #[serde(default)]
    snapshot: VolumeSnapshot,
    /// Absent: the row's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default)]
    cluster: String,
    #[serde(default)]
    mount: StoredMount,
    #[serde(default, skip_serializing_if = "is_default")]
    blockinfo: BlockInfo,
}

#[derive(Default, Serialize, Deserialize)]
struct StoredMount {
    #[serde(default)]
    glusterfs: StoredGlusterFs,
}

#[derive(Default, Serialize, Deserialize)]
struct StoredGlusterFs {
    #[serde(default, deserialize_with = "null_as_default")]
    hosts: Shared<Vec<String>>,
    /// Absent: `<first host>:<name>`.
    #[serde(default, rename = "device", skip_serializing_if = "Option::is_none")]
    mount_point: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    options: Shared<BTreeMap<String, String>>,
}

fn is_not_pending(p: &PendingRef) -> bool {
    !p.is_pending()
}

fn is_default(b: &BlockInfo) -> bool {
    *b == BlockInfo::default()
}

fn default_name(id: &str) -> String {
    format!("vol_{id}")
}

fn default_mount_point(first_host: Option<&str>, name: &str) -> Option<String> {
    first_host.map(|h| format!("{h}:{name}"))
}

impl Stored {
    /// Volume `v` of row `key` as stored. `first_host` is the first of its mount hosts
    /// (which `v` may not carry: the row names them), for its default mount point.
    pub(super) fn new(key: &str, v: &VolumeEntry, first_host: Option<&str>) -> Stored {
        let (i, r, m) = (&v.info, &v.info.request, &v.info.mount.glusterfs);
        let default_mount = default_mount_point(first_host, &r.name);
        Stored {
            info: StoredInfo {
                size: r.size,
                clusters: r.clusters.clone(),
                name: (r.name != default_name(&i.id)).then(|| r.name.clone()),
                durability: r.durability.clone(),
                gid: r.gid,
                glustervolumeoptions: r.glustervolumeoptions.clone(),
                block: r.block,
                snapshot: r.snapshot,
                id: (i.id != key).then(|| i.id.clone()),
                cluster: i.cluster.clone(),
                mount: StoredMount {
                    glusterfs: StoredGlusterFs {
                        hosts: m.hosts.clone(),
                        mount_point: (default_mount.as_ref() != Some(&m.mount_point))
                            .then(|| m.mount_point.clone()),
                        options: m.options.clone(),
                    },
                },
                blockinfo: i.blockinfo.clone(),
            },
            bricks: v.bricks.clone(),
            gluster_volume_options: v.gluster_volume_options.clone(),
            pending: v.pending.clone(),
        }
    }

    /// The record without its mount hosts and options (for a row that names them).
    pub(super) fn without_mount_values(mut self) -> Stored {
        self.info.mount.glusterfs.hosts = Shared::default();
        self.info.mount.glusterfs.options = Shared::default();
        self
    }

    /// The volume of row `key`, with the mount values the row names when it names
    /// them (otherwise those it carries).
    pub(super) fn into_volume(self, key: &str, mount: Option<MountHostsAndOptions>) -> VolumeEntry {
        let i = self.info;
        let id = i.id.unwrap_or_else(|| key.to_string());
        let name = i.name.unwrap_or_else(|| default_name(&id));
        let g = i.mount.glusterfs;
        let (hosts, options) = mount.unwrap_or((g.hosts, g.options));
        let mount_point = g
            .mount_point
            .or_else(|| default_mount_point(hosts.first().map(String::as_str), &name))
            .unwrap_or_default();
        VolumeEntry {
            info: VolumeInfo {
                request: VolumeCreateRequest {
                    size: i.size,
                    clusters: i.clusters,
                    name,
                    durability: i.durability,
                    gid: i.gid,
                    glustervolumeoptions: i.glustervolumeoptions,
                    block: i.block,
                    snapshot: i.snapshot,
                },
                id,
                cluster: i.cluster,
                mount: VolumeMount {
                    glusterfs: GlusterFsMount {
                        hosts,
                        mount_point,
                        options,
                    },
                },
                blockinfo: i.blockinfo,
            },
            bricks: self.bricks,
            gluster_volume_options: self.gluster_volume_options,
            pending: self.pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::super::{MountValues, decode_volume, volume_bytes};
    use super::*;
    use crate::store::{ChangeSet, Table};

    fn hex(b: [u8; 16]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Volumes with ids that are their key or not, default names or not, mount hosts
    /// or none, default mount points or not, pending or not.
    fn any_volume() -> impl Strategy<Value = (String, VolumeEntry)> {
        (
            (any::<[u8; 16]>(), any::<bool>(), 0u8..3, 0usize..4, 0u8..3),
            (
                any::<bool>(),
                0i64..3,
                any::<bool>(),
                0i64..100,
                any::<bool>(),
            ),
        )
            .prop_map(
                |(
                    (k, short_key, id_kind, hosts, mount_kind),
                    (pending, gid, block, size, opts),
                )| {
                    let key = if short_key { "v1".to_string() } else { hex(k) };
                    let id = match id_kind {
                        0 | 1 => key.clone(),
                        _ => format!("{key}x"),
                    };
                    let name = match id_kind {
                        0 => format!("vol_{id}"),
                        1 => "custom".to_string(),
                        _ => String::new(),
                    };
                    let hosts: Vec<String> = (0..hosts).map(|i| format!("10.0.0.{i}")).collect();
                    let mount_point = match (mount_kind, hosts.first()) {
                        (0, Some(h)) => format!("{h}:{name}"),
                        (0 | 1, _) => String::new(),
                        _ => "elsewhere:vol".to_string(),
                    };
                    let mut options = BTreeMap::new();
                    if opts {
                        options
                            .insert("backup-volfile-servers".to_string(), "10.0.0.9".to_string());
                    }
                    let mut v = VolumeEntry::default();
                    v.info.request.name = name;
                    v.info.request.size = size;
                    v.info.request.gid = gid;
                    v.info.request.block = block;
                    v.info.request.durability.kind = "replicate".into();
                    v.info.request.durability.replicate.replica = 3;
                    v.info.request.snapshot = VolumeSnapshot {
                        enable: block,
                        factor: 1.5,
                    };
                    v.info.id = id;
                    v.info.cluster = "c1".into();
                    v.info.mount.glusterfs = GlusterFsMount {
                        hosts: Shared::new(hosts),
                        mount_point,
                        options: Shared::new(options),
                    };
                    if block {
                        v.info.blockinfo.freesize = 7;
                        v.info.blockinfo.blockvolumes = vec!["b1".into()];
                    }
                    v.bricks = vec!["b1".into(), "b2".into()];
                    v.gluster_volume_options = vec![String::new()];
                    if pending {
                        v.pending.id = "p1".into();
                    }
                    (key, v)
                },
            )
    }

    /// The row `volume_bytes` writes for `v`, read back through the mount values its
    /// change set wrote.
    fn round_trip(key: &str, v: &VolumeEntry) -> (Vec<u8>, VolumeEntry) {
        let mut cs = ChangeSet::default();
        let bytes = volume_bytes(key, v, &mut cs, &mut BTreeSet::new());
        let mounts: BTreeMap<String, MountValues> = cs
            .writes
            .iter()
            .filter(|(t, _, _)| *t == Table::MountValues)
            .map(|(_, k, b)| {
                (
                    k.clone(),
                    serde_json::from_slice(b.as_deref().unwrap()).unwrap(),
                )
            })
            .collect();
        let back = decode_volume(key, &bytes, &mounts).unwrap();
        (bytes, back)
    }

    proptest! {
        /// Every volume reads back as it was written, and a row written before (the
        /// record in full, its mount values in it) reads the same.
        #[test]
        fn volumes_read_back_as_they_were_written((key, v) in any_volume()) {
            prop_assert_eq!(round_trip(&key, &v).1, v.clone());
            let old = serde_json::to_vec(&v).unwrap();
            prop_assert_eq!(decode_volume(&key, &old, &BTreeMap::new()).unwrap(), v);
        }
    }

    /// A volume as a create leaves it writes none of what it derives.
    #[test]
    fn a_created_volume_writes_no_derived_fields() {
        let key = crate::id::new_id();
        let mut v = VolumeEntry::default();
        v.info.id = key.clone();
        v.info.request.name = format!("vol_{key}");
        v.info.mount.glusterfs.hosts = Shared::new(vec!["10.0.0.1".into(), "10.0.0.2".into()]);
        v.info.mount.glusterfs.mount_point = format!("10.0.0.1:vol_{key}");
        let (bytes, back) = round_trip(&key, &v);
        assert_eq!(back, v);
        let text = String::from_utf8(bytes).unwrap();
        assert!(!text.contains(&key), "{text}");
        assert!(
            !text.contains("Pending") && !text.contains("blockinfo"),
            "{text}"
        );
    }
}
