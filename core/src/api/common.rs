use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Tags on nodes and devices. A `BTreeMap` so that JSON keys come out sorted, as Go's
/// `encoding/json` writes maps.
pub type Tags = BTreeMap<String, String>;

/// 1 KiB: the unit of every device and brick size.
pub const KIB: u64 = 1;
/// 1 MiB in KiB.
pub const MIB: u64 = 1024;
/// 1 GiB in KiB.
pub const GIB: u64 = 1024 * 1024;
/// 1 TiB in KiB.
pub const TIB: u64 = 1024 * GIB;

/// State of a node or device. `failed` is what the CLI prints as `removed`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntryState {
    #[default]
    #[serde(rename = "online")]
    Online,
    #[serde(rename = "offline")]
    Offline,
    #[serde(rename = "failed")]
    Failed,
    /// The empty string Heketi's zero value carries.
    #[serde(rename = "")]
    Unset,
}

impl EntryState {
    /// Parses a state as the API accepts it (`online`, `offline`, `failed`).
    pub fn parse(s: &str) -> Option<EntryState> {
        match s {
            "online" => Some(EntryState::Online),
            "offline" => Some(EntryState::Offline),
            "failed" => Some(EntryState::Failed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Online => "online",
            EntryState::Offline => "offline",
            EntryState::Failed => "failed",
            EntryState::Unset => "",
        }
    }
}

impl fmt::Display for EntryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Device capacity in KiB. Invariant kept by the engine: `total == free + used`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageSize {
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub free: u64,
    #[serde(default)]
    pub used: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostAddresses {
    #[serde(default)]
    pub manage: Vec<String>,
    #[serde(default)]
    pub storage: Vec<String>,
}

/// A brick as the API shows it. `size` is the thin LV's virtual size in KiB.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrickInfo {
    pub id: String,
    pub path: String,
    pub device: String,
    pub node: String,
    pub volume: String,
    pub size: u64,
}

/// Body of `POST /nodes/{id}/state` and `POST /devices/{id}/state`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRequest {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub healcheck: String,
}

/// How `POST …/tags` changes a tag map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagsChangeType {
    Set,
    Update,
    Delete,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagsChangeRequest {
    #[serde(default)]
    pub tags: Tags,
    pub change_type: TagsChangeType,
}

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

pub(crate) fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

/// Serialises an `f32` as Go does: integral values without a fraction (`1`, not `1.0`).
pub(crate) fn ser_go_f32<S: Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        s.serialize_i64(*v as i64)
    } else {
        s.serialize_f32(*v)
    }
}

/// Accepts `null` where Go would (it leaves the zero value).
#[doc(hidden)]
pub fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
