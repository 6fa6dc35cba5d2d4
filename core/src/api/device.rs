use serde::{Deserialize, Serialize};

use super::common::{BrickInfo, EntryState, StorageSize, Tags, is_false, null_as_default};

/// Body of `POST /devices`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAddRequest {
    #[serde(default)]
    pub name: String,
    #[serde(
        default,
        skip_serializing_if = "Tags::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub tags: Tags,
    #[serde(default)]
    pub node: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub destroydata: bool,
}

/// The stored part of a device (`DeviceEntry.Info`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub name: String,
    #[serde(
        default,
        skip_serializing_if = "Tags::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub tags: Tags,
    #[serde(default)]
    pub storage: StorageSize,
    pub id: String,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub paths: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pv_uuid: String,
}

/// `GET /devices/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfoResponse {
    #[serde(flatten)]
    pub info: DeviceInfo,
    #[serde(default)]
    pub state: EntryState,
    #[serde(default, deserialize_with = "null_as_default")]
    pub bricks: Vec<BrickInfo>,
}

/// Optional body of `DELETE /devices/{id}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceDeleteOptions {
    #[serde(default)]
    pub forceforget: bool,
}
