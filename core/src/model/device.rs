use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::api::{DeviceInfo, EntryState, null_as_default};
use crate::id::CompactId;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeviceEntry {
    #[serde(default)]
    pub state: EntryState,
    pub info: DeviceInfo,
    #[serde(default, deserialize_with = "null_as_default")]
    pub bricks: BrickIds,
    #[serde(default)]
    pub node_id: String,
    /// LVM extent size in KiB (4096 = 4 MiB unless the VG says otherwise).
    #[serde(default)]
    pub extent_size: u64,
}

impl DeviceEntry {
    /// The extent size to round allocations to (Heketi's default when unknown).
    pub fn extent(&self) -> u64 {
        if self.extent_size == 0 {
            4096
        } else {
            self.extent_size
        }
    }
}

/// A device's brick ids, in id order, shared between copies of the record: a create
/// copies each device it places a brick on (the transaction's copy, the undo's copy).
/// The ids are [`CompactId`]s: copying a list of `String`s (300 a device at 100,000
/// volumes) was a tenth of a create's CPU, and grew with the volume count. The list is
/// copied only when it is changed while shared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrickIds(Arc<Vec<CompactId>>);

impl BrickIds {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The ids, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = String> + '_ {
        self.0.iter().map(String::from)
    }

    /// The ids as kept, in order.
    pub fn compact(&self) -> impl DoubleEndedIterator<Item = &CompactId> + '_ {
        self.0.iter()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.0.iter().any(|b| b.is(id))
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.iter().collect()
    }

    /// Adds `id` in order (nothing if it is there).
    pub fn insert(&mut self, id: &str) {
        let id = CompactId::new(id);
        if let Err(pos) = self.0.binary_search(&id) {
            Arc::make_mut(&mut self.0).insert(pos, id);
        }
    }

    /// Appends `id`, for a list built in id order.
    pub fn push(&mut self, id: CompactId) {
        Arc::make_mut(&mut self.0).push(id);
    }

    /// Removes `id`.
    pub fn remove(&mut self, id: &str) {
        let id = CompactId::new(id);
        let pos = match self.0.binary_search(&id) {
            Ok(pos) => Some(pos),
            // Imported lists may not be sorted; still remove the id.
            Err(_) => self.0.iter().position(|x| *x == id),
        };
        if let Some(pos) = pos {
            Arc::make_mut(&mut self.0).remove(pos);
        }
    }
}

impl From<Vec<String>> for BrickIds {
    fn from(v: Vec<String>) -> BrickIds {
        BrickIds(Arc::new(v.iter().map(|s| CompactId::new(s)).collect()))
    }
}

impl<'a> IntoIterator for &'a BrickIds {
    type Item = String;
    type IntoIter = std::iter::Map<std::slice::Iter<'a, CompactId>, fn(&CompactId) -> String>;
    fn into_iter(self) -> Self::IntoIter {
        fn text(id: &CompactId) -> String {
            String::from(id)
        }
        self.0.iter().map(text as fn(&CompactId) -> String)
    }
}

impl<const N: usize> PartialEq<[&str; N]> for BrickIds {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.0.len() == N && self.0.iter().zip(other).all(|(a, b)| a.is(b))
    }
}

impl Serialize for BrickIds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for BrickIds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<BrickIds, D::Error> {
        Vec::<String>::deserialize(d).map(BrickIds::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brick_lists_stay_sorted_and_keep_their_ids() {
        let ids: Vec<String> = (0..5).map(|_| crate::id::new_id()).collect();
        let mut list = BrickIds::default();
        for id in ids.iter().rev() {
            list.insert(id);
        }
        list.insert(&ids[2]);
        list.insert("b1");
        let mut want = ids.clone();
        want.push("b1".into());
        want.sort();
        assert_eq!(list.to_vec(), want);
        assert!(list.contains(&ids[3]) && list.contains("b1") && !list.contains("b2"));
        // A copy shares the list until one of them changes.
        let copy = list.clone();
        list.remove(&ids[0]);
        assert_eq!(copy.len(), 6);
        assert_eq!(list.len(), 5);
        // An imported list out of order: the id is still removed.
        let mut imported = BrickIds::from(vec!["z".to_string(), "a".to_string()]);
        imported.remove("z");
        assert_eq!(imported, ["a"]);
        let json = serde_json::to_string(&list).unwrap();
        let back: BrickIds = serde_json::from_str(&json).unwrap();
        assert_eq!(back, list);
    }
}
