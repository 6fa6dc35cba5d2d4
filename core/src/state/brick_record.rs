//! A brick record as the state keeps it in memory (see [`super::records`]): its ids
//! packed, its id and path left out when they are the key and Heketi's default path,
//! and what most bricks leave empty (a pending operation, a clone's names) boxed apart.

use super::records::Pack;
use crate::api::BrickInfo;
use crate::id::CompactId;
use crate::model::{BrickEntry, BrickSubType, PendingRef};

#[derive(Clone, Debug, PartialEq)]
pub struct PackedBrick {
    device: CompactId,
    node: CompactId,
    volume: CompactId,
    size: u64,
    tp_size: u64,
    pool_metadata_size: u64,
    /// `None`: all of [`Unusual`] empty or default.
    unusual: Option<Box<Unusual>>,
    sub_type: BrickSubType,
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
        &self.device
    }

    pub fn volume(&self) -> &CompactId {
        &self.volume
    }

    pub fn is_pending(&self) -> bool {
        self.unusual.as_ref().is_some_and(|u| !u.pending.is_empty())
    }
}

impl Pack for BrickEntry {
    type Packed = PackedBrick;
    type Shared = ();

    fn pack(&self, key: &str, _: &mut ()) -> PackedBrick {
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
            device: CompactId::new(&i.device),
            node: CompactId::new(&i.node),
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
        let device = String::from(&p.device);
        let (id, path) = BrickEntry::derived_id_and_path(key, &device, id, path);
        BrickEntry {
            info: BrickInfo {
                path,
                node: String::from(&p.node),
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
            let packed = b.pack(&key, &mut ());
            let mut want = b.clone();
            want.compact_names();
            prop_assert_eq!(BrickEntry::unpack(&packed, &key), want);
        }
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
        let p = b.pack(&id, &mut ());
        assert!(p.unusual.is_none());
        assert!(std::mem::size_of::<PackedBrick>() <= 112);
        for c in [&p.device, &p.node, &p.volume] {
            assert!(matches!(c, CompactId::Hex(_)));
        }
    }
}
