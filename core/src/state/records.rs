//! A table of records kept packed in memory: ids as [`CompactId`], values that the
//! record derives from its other fields left out, values shared between records held
//! once. A read unpacks the record into its ordinary type (an owned value).
//!
//! At 100,000 volumes the brick and volume records as plain structs of `String`s took
//! 813 and 1,317 bytes each (360 MB of the state's 385); see [`super::brick_record`] and
//! [`super::volume_record`] for what each packs.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::chunk_map::ChunkMap;
use crate::id::CompactId;

/// How a record type packs.
pub trait Pack: Clone + Sized {
    type Packed: Clone + PartialEq + std::fmt::Debug;
    /// What packing shares between records (an interner); not part of the table's value.
    type Shared: Default + Clone;

    fn pack(&self, key: &str, shared: &mut Self::Shared) -> Self::Packed;
    fn unpack(packed: &Self::Packed, key: &str) -> Self;
    /// A packed record leaves the table (replaced or removed): its shared values are
    /// forgotten when no other record holds them.
    fn release(_packed: Self::Packed, _shared: &mut Self::Shared) {}
    /// Forgets every shared value no record holds any more.
    fn prune(_shared: &mut Self::Shared) {}
}

pub struct Records<T: Pack> {
    /// Sorted chunks, not a `BTreeMap`: records come in random id order, which leaves
    /// a `BTreeMap`'s nodes 70% full (see [`ChunkMap`]).
    map: ChunkMap<CompactId, T::Packed>,
    shared: T::Shared,
}

impl<T: Pack> Default for Records<T> {
    fn default() -> Self {
        Records {
            map: ChunkMap::default(),
            shared: T::Shared::default(),
        }
    }
}

impl<T: Pack> Clone for Records<T> {
    fn clone(&self) -> Self {
        Records {
            map: self.map.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<T: Pack> PartialEq for Records<T> {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl<T: Pack + std::fmt::Debug> std::fmt::Debug for Records<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<T: Pack> Records<T> {
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn contains_key(&self, id: impl AsRef<str>) -> bool {
        self.map.contains_key(&CompactId::new(id.as_ref()))
    }

    pub fn get(&self, id: impl AsRef<str>) -> Option<T> {
        let id = id.as_ref();
        self.map.get(&CompactId::new(id)).map(|p| T::unpack(p, id))
    }

    /// The packed record, for reads that need one field of many records.
    pub fn get_packed(&self, id: impl AsRef<str>) -> Option<&T::Packed> {
        self.map.get(&CompactId::new(id.as_ref()))
    }

    /// [`Records::get_packed`] by a compact id.
    pub fn get_packed_compact(&self, id: &CompactId) -> Option<&T::Packed> {
        self.map.get(id)
    }

    pub fn insert(&mut self, id: &str, v: &T) {
        let p = v.pack(id, &mut self.shared);
        if let Some(old) = self.map.insert(CompactId::new(id), p) {
            T::release(old, &mut self.shared);
        }
    }

    pub fn remove(&mut self, id: &str) -> Option<T> {
        let p = self.map.remove(&CompactId::new(id))?;
        let v = T::unpack(&p, id);
        T::release(p, &mut self.shared);
        Some(v)
    }

    /// After removals: forgets shared values no record holds any more.
    pub fn prune(&mut self) {
        T::prune(&mut self.shared);
    }

    /// Ids in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = String> + '_ {
        self.map.keys().map(String::from)
    }

    /// Records in id order, unpacked.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = T> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// Ids and records in id order, unpacked.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (String, T)> + '_ {
        self.map.iter().map(|(k, p)| {
            let id = String::from(k);
            let v = T::unpack(p, &id);
            (id, v)
        })
    }

    #[cfg(test)]
    pub(super) fn shared(&self) -> &T::Shared {
        &self.shared
    }

    /// Ids and packed records in id order.
    pub fn packed(&self) -> impl DoubleEndedIterator<Item = (&CompactId, &T::Packed)> + '_ {
        self.map.iter()
    }
}

impl<T: Pack> FromIterator<(String, T)> for Records<T> {
    fn from_iter<I: IntoIterator<Item = (String, T)>>(iter: I) -> Self {
        let mut l = Loader::default();
        for (k, v) in iter {
            l.push(&k, &v);
        }
        l.finish()
    }
}

/// Builds a table from many records at once (a load): packed as they come, and
/// appended when they come in id order, as a scan of the store gives them.
pub struct Loader<T: Pack> {
    map: ChunkMap<CompactId, T::Packed>,
    shared: T::Shared,
}

impl<T: Pack> Default for Loader<T> {
    fn default() -> Self {
        Loader {
            map: ChunkMap::default(),
            shared: T::Shared::default(),
        }
    }
}

impl<T: Pack> Loader<T> {
    /// Of a key pushed twice, the last record is kept.
    pub fn push(&mut self, id: &str, v: &T) {
        let p = v.pack(id, &mut self.shared);
        if let Some(old) = self.map.push(CompactId::new(id), p) {
            T::release(old, &mut self.shared);
        }
    }

    pub fn finish(mut self) -> Records<T> {
        self.map.finish_pushes();
        Records {
            map: self.map,
            shared: self.shared,
        }
    }
}

/// What a transaction reads its table through: a plain map of records (read in place)
/// or a packed one (read unpacked).
pub trait RecordSource<T: Clone> {
    type Ref<'a>: std::ops::Deref<Target = T>
    where
        Self: 'a,
        T: 'a;
    type Key<'a>: std::ops::Deref<Target = String>
    where
        Self: 'a;

    fn lookup(&self, id: &str) -> Option<Self::Ref<'_>>;
    /// A record the transaction holds, as this source's reference.
    fn borrowed(v: &T) -> Self::Ref<'_>;
    #[allow(clippy::ptr_arg)] // the transaction's keys are `String`s, as a map's are
    fn borrowed_key(k: &String) -> Self::Key<'_>;
    fn entries(&self) -> Box<dyn Iterator<Item = (Self::Key<'_>, Self::Ref<'_>)> + '_>;
}

impl<T: Clone> RecordSource<T> for BTreeMap<String, T> {
    type Ref<'a>
        = &'a T
    where
        T: 'a;
    type Key<'a>
        = &'a String
    where
        T: 'a;

    fn lookup(&self, id: &str) -> Option<&T> {
        self.get(id)
    }
    fn borrowed(v: &T) -> &T {
        v
    }
    fn borrowed_key(k: &String) -> &String {
        k
    }
    fn entries(&self) -> Box<dyn Iterator<Item = (&String, &T)> + '_> {
        Box::new(self.iter())
    }
}

impl<T: Pack> RecordSource<T> for Records<T> {
    type Ref<'a>
        = Cow<'a, T>
    where
        T: 'a;
    type Key<'a>
        = Cow<'a, String>
    where
        T: 'a;

    fn lookup(&self, id: &str) -> Option<Cow<'_, T>> {
        self.get(id).map(Cow::Owned)
    }
    fn borrowed(v: &T) -> Cow<'_, T> {
        Cow::Borrowed(v)
    }
    fn borrowed_key(k: &String) -> Cow<'_, String> {
        Cow::Borrowed(k)
    }
    fn entries(&self) -> Box<dyn Iterator<Item = (Cow<'_, String>, Cow<'_, T>)> + '_> {
        Box::new(self.iter().map(|(k, v)| (Cow::Owned(k), Cow::Owned(v))))
    }
}
