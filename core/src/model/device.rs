use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::api::{DeviceInfo, EntryState, null_as_default};

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
/// copies each device it places a brick on (the transaction's copy, the undo's copy),
/// and at 300 bricks a device copying the list each time was a tenth of a create's CPU
/// at 100,000 volumes. [`BrickIds::to_mut`] copies it only when it is changed while
/// shared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrickIds(Arc<Vec<String>>);

impl BrickIds {
    /// The list, to change (copied first if another record shares it).
    pub fn to_mut(&mut self) -> &mut Vec<String> {
        Arc::make_mut(&mut self.0)
    }
}

impl std::ops::Deref for BrickIds {
    type Target = Vec<String>;
    fn deref(&self) -> &Vec<String> {
        &self.0
    }
}

impl From<Vec<String>> for BrickIds {
    fn from(v: Vec<String>) -> BrickIds {
        BrickIds(Arc::new(v))
    }
}

impl<'a> IntoIterator for &'a BrickIds {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<const N: usize> PartialEq<[&str; N]> for BrickIds {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.0.iter().map(String::as_str).eq(other.iter().copied())
    }
}

impl Serialize for BrickIds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for BrickIds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<BrickIds, D::Error> {
        Vec::<String>::deserialize(d).map(BrickIds::from)
    }
}
