use serde::{Deserialize, Serialize};

use super::common::{is_false, is_zero_i64, null_as_default};

/// Body of `POST /blockvolumes`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockVolumeCreateRequest {
    #[serde(default)]
    pub size: i64,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub clusters: Vec<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub hacount: i64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub auth: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockVolumeTarget {
    #[serde(default, deserialize_with = "null_as_default")]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub iqn: String,
    #[serde(default)]
    pub lun: i64,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
}

/// The stored part of a block volume and `GET /blockvolumes/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockVolumeInfo {
    #[serde(flatten)]
    pub request: BlockVolumeCreateRequest,
    pub id: String,
    #[serde(default)]
    pub blockvolume: BlockVolumeTarget,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub blockhostingvolume: String,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub usablesize: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockVolumeListResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub blockvolumes: Vec<String>,
}

/// Body of `POST /blockvolumes/{id}/expand`: the new total size in GiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockVolumeExpandRequest {
    #[serde(default)]
    pub new_size: i64,
}
