//! A brick record as the state keeps it in memory (see [`super::records`]): its ids
//! packed, its device and node held once for every brick on the device, its id and
//! path left out when they are the key and Heketi's default path, and what most bricks
//! leave empty (a pending operation, a clone's names) boxed apart.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::records::Pack;
use crate::api::BrickInfo;
use crate::id::CompactId;
use crate::model::{BrickEntry, BrickSubType, PendingRef};

#[derive(Clone, Debug, PartialEq)]
pub struct PackedBrick {
    /// Its device and node, shared by every brick on the device ([`BrickPlaces`]): 8
    /// bytes a brick, not 48.
    place: Arc<Place>,
    volume: CompactId,
    size: u64,
    tp_size: u64,
    pool_metadata_size: u64,
    /// `None`: all of [`Unusual`] empty or default.
    unusual: Option<Box<Unusual>>,
    sub_type: BrickSubType,
}

/// Where a brick lies.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Place {
    device: CompactId,
    node: CompactId,
}

/// The distinct places of the brick records: a few per device.
#[derive(Clone, Debug, Default)]
pub struct BrickPlaces {
    places: BTreeSet<Arc<Place>>,
}

impl BrickPlaces {
    fn intern(&mut self, place: Place) -> Arc<Place> {
        if let Some(held) = self.places.get(&place) {
            return held.clone();
        }
        let place = Arc::new(place);
        self.places.insert(place.clone());
        place
    }

    /// Forgets `place` when only the interner holds it besides this handle.
    fn release(&mut self, place: Arc<Place>) {
        if Arc::strong_count(&place) == 2 {
            self.places.remove(&*place);
        }
    }

    fn prune(&mut self) {
        self.places.retain(|p| Arc::strong_count(p) > 1);
    }
}

/// What a brick made by a create leaves empty or default (112 bytes a brick less).
#[derive(Clone, Debug, Default, PartialEq)]
struct Unusual {
    /// `None`: the record's key.
    id: Option<Box<str>>,
    /// `None`: `/var/lib/heketi/mounts/vg_<device>/brick_<id>/brick`.
    path: Option<Box<str>>,
    pending: CompactId,
    lvm_thin_pool: Box<str>,
    lvm_lv: Box<str>,
}

impl PackedBrick {
    pub fn device(&self) -> &CompactId {
        &self.place.device
    }

    pub fn volume(&self) -> &CompactId {
        &self.volume
    }

    pub fn is_pending(&self) -> bool {
        self.unusual.as_ref().is_some_and(|u| !u.pending.is_empty())
    }

    /// Writes the brick's `BrickInfo` as JSON, as serde writes it, from the packed
    /// record of row `key`: `GET /nodes/{id}` writes 3,000 of them at 100k volumes,
    /// and unpacking each into owned strings first took most of its time.
    pub fn write_info_json(&self, key: &CompactId, out: &mut Vec<u8>) {
        fn string(out: &mut Vec<u8>, s: &str) {
            // A `str` always serialises.
            let _ = serde_json::to_writer(&mut *out, s);
        }
        key.with_str(|key| {
            self.place.device.with_str(|device| {
                let u = self.unusual.as_deref();
                let id = u.and_then(|u| u.id.as_deref()).unwrap_or(key);
                out.extend_from_slice(b"{\"id\":");
                string(out, id);
                out.extend_from_slice(b",\"path\":");
                match u.and_then(|u| u.path.as_deref()) {
                    Some(path) => string(out, path),
                    None => string(out, &crate::model::brick_path(device, id)),
                }
                out.extend_from_slice(b",\"device\":");
                string(out, device);
            })
        });
        out.extend_from_slice(b",\"node\":");
        self.place.node.with_str(|s| string(out, s));
        out.extend_from_slice(b",\"volume\":");
        self.volume.with_str(|s| string(out, s));
        out.extend_from_slice(b",\"size\":");
        out.extend_from_slice(self.size.to_string().as_bytes());
        out.push(b'}');
    }
}

impl Pack for BrickEntry {
    type Packed = PackedBrick;
    type Shared = BrickPlaces;

    fn pack(&self, key: &str, places: &mut BrickPlaces) -> PackedBrick {
        let i = &self.info;
        let (id, path) = self.own_id_and_path(key);
        let unusual = Unusual {
            id: id.map(Into::into),
            path: path.map(Into::into),
            pending: CompactId::new(&self.pending.id),
            // Not kept when it is the default `tp_<id>` ([`BrickEntry::compact_names`]).
            lvm_thin_pool: self.own_thin_pool().into(),
            lvm_lv: self.lvm_lv.as_str().into(),
        };
        PackedBrick {
            place: places.intern(Place {
                device: CompactId::new(&i.device),
                node: CompactId::new(&i.node),
            }),
            volume: CompactId::new(&i.volume),
            size: i.size,
            tp_size: self.tp_size,
            pool_metadata_size: self.pool_metadata_size,
            unusual: (unusual != Unusual::default()).then(|| Box::new(unusual)),
            sub_type: self.sub_type,
        }
    }

    fn unpack(p: &PackedBrick, key: &str) -> BrickEntry {
        let (id, path, pending, pool, lv) = match p.unusual.as_deref() {
            Some(u) => (
                u.id.as_deref(),
                u.path.as_deref(),
                String::from(&u.pending),
                &*u.lvm_thin_pool,
                &*u.lvm_lv,
            ),
            None => (None, None, String::new(), "", ""),
        };
        let device = String::from(&p.place.device);
        let (id, path) = BrickEntry::derived_id_and_path(key, &device, id, path);
        BrickEntry {
            info: BrickInfo {
                path,
                node: String::from(&p.place.node),
                volume: String::from(&p.volume),
                size: p.size,
                id,
                device,
            },
            tp_size: p.tp_size,
            pool_metadata_size: p.pool_metadata_size,
            pending: PendingRef { id: pending },
            lvm_thin_pool: pool.to_string(),
            lvm_lv: lv.to_string(),
            sub_type: p.sub_type,
        }
    }

    fn release(p: PackedBrick, places: &mut BrickPlaces) {
        places.release(p.place);
    }

    fn prune(places: &mut BrickPlaces) {
        places.prune();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{any_brick, brick_path};
    use proptest::prelude::*;

    proptest! {
        /// Every brick record comes back from its packed form as it was (but for a
        /// default thin pool name, left empty), whatever its ids, path and names.
        #[test]
        fn bricks_unpack_as_they_were_packed((key, b) in any_brick()) {
            let packed = b.pack(&key, &mut BrickPlaces::default());
            let mut want = b.clone();
            want.compact_names();
            prop_assert_eq!(BrickEntry::unpack(&packed, &key), want);
        }

        /// The JSON written from the packed record is serde's of the brick's info.
        #[test]
        fn packed_bricks_write_the_info_serde_writes((key, b) in any_brick()) {
            let packed = b.pack(&key, &mut BrickPlaces::default());
            let mut out = Vec::new();
            packed.write_info_json(&CompactId::new(&key), &mut out);
            let want = serde_json::to_vec(&BrickEntry::unpack(&packed, &key).info).unwrap();
            prop_assert_eq!(String::from_utf8(out).unwrap(), String::from_utf8(want).unwrap());
        }
    }

    /// Bricks of one device hold one place; the place goes with the last of them, and
    /// a brick moved to another device takes that device's.
    #[test]
    fn bricks_of_a_device_share_their_place_and_give_it_back() {
        use crate::state::records::Records;
        let (node, d1, d2) = (
            crate::id::new_id(),
            crate::id::new_id(),
            crate::id::new_id(),
        );
        let brick = |id: &str, device: &str| BrickEntry {
            info: BrickInfo {
                path: brick_path(device, id),
                id: id.to_string(),
                device: device.to_string(),
                node: node.clone(),
                volume: crate::id::new_id(),
                size: 1 << 20,
            },
            ..Default::default()
        };
        let ids: Vec<String> = (0..3).map(|_| crate::id::new_id()).collect();
        let mut t: Records<BrickEntry> = Records::default();
        for id in &ids {
            t.insert(id, &brick(id, &d1));
        }
        assert_eq!(t.shared().places.len(), 1);
        let place = |t: &Records<BrickEntry>, id: &str| t.get_packed(id).unwrap().place.clone();
        assert!(Arc::ptr_eq(&place(&t, &ids[0]), &place(&t, &ids[2])));
        t.insert(&ids[0], &brick(&ids[0], &d2));
        assert_eq!(t.shared().places.len(), 2);
        assert_eq!(t.get(&ids[0]).unwrap().info.device, d2);
        assert_eq!(t.get(&ids[1]).unwrap().info.device, d1);
        t.remove(&ids[1]);
        t.remove(&ids[2]);
        assert_eq!(t.shared().places.len(), 1);
        t.remove(&ids[0]);
        assert!(t.shared().places.is_empty());
    }

    #[test]
    fn a_created_brick_keeps_no_strings() {
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
            ..Default::default()
        };
        let mut places = BrickPlaces::default();
        let p = b.pack(&id, &mut places);
        assert!(p.unusual.is_none());
        assert!(std::mem::size_of::<PackedBrick>() <= 72);
        for c in [&p.place.device, &p.place.node, &p.volume] {
            assert!(matches!(c, CompactId::Hex(_)));
        }
    }
}
