use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Shared;
use super::common::{BrickInfo, is_false, is_zero_i64, null_as_default, ser_go_f32};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaDurability {
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub replica: i64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisperseDurability {
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub data: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub redundancy: i64,
}

/// `durability` as on the wire: `type` is `replicate`, `disperse`, `none` or empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeDurabilityInfo {
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default)]
    pub replicate: ReplicaDurability,
    #[serde(default)]
    pub disperse: DisperseDurability,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct VolumeSnapshot {
    #[serde(default)]
    pub enable: bool,
    #[serde(default, serialize_with = "ser_go_f32")]
    pub factor: f32,
}

impl Default for VolumeSnapshot {
    fn default() -> Self {
        VolumeSnapshot {
            enable: false,
            factor: 0.0,
        }
    }
}

/// Body of `POST /volumes`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VolumeCreateRequest {
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
    #[serde(default)]
    pub durability: VolumeDurabilityInfo,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub gid: i64,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub glustervolumeoptions: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub block: bool,
    #[serde(default)]
    pub snapshot: VolumeSnapshot,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlusterFsMount {
    /// Every storage host of the cluster: the same for all its volumes, so shared.
    #[serde(default, deserialize_with = "null_as_default")]
    pub hosts: Shared<Vec<String>>,
    /// `<first storage host>:<volume name>`.
    #[serde(default, rename = "device")]
    pub mount_point: String,
    /// `backup-volfile-servers`: the same for all volumes of a cluster, so shared.
    #[serde(default, deserialize_with = "null_as_default")]
    pub options: Shared<BTreeMap<String, String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeMount {
    #[serde(default)]
    pub glusterfs: GlusterFsMount,
}

/// `blockinfo` of a volume; the key of the block volume list is singular on the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInfo {
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub freesize: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub reservedsize: i64,
    #[serde(
        default,
        rename = "blockvolume",
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub blockvolumes: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub restriction: String,
}

/// The stored part of a volume (`VolumeEntry.Info`) and the head of `GET /volumes/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VolumeInfo {
    #[serde(flatten)]
    pub request: VolumeCreateRequest,
    pub id: String,
    #[serde(default)]
    pub cluster: String,
    #[serde(default)]
    pub mount: VolumeMount,
    #[serde(default)]
    pub blockinfo: BlockInfo,
}

/// `GET /volumes/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VolumeInfoResponse {
    #[serde(flatten)]
    pub info: VolumeInfo,
    #[serde(default, deserialize_with = "null_as_default")]
    pub bricks: Vec<BrickInfo>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeListResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub volumes: Vec<String>,
}

/// Body of `POST /volumes/{id}/expand`: GiB to add.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeExpandRequest {
    #[serde(default)]
    pub expand_size: i64,
}

/// Body of `POST /volumes/{id}/clone`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeCloneRequest {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// Body of `POST /volumes/{id}/block-restriction`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeBlockRestrictionRequest {
    #[serde(default)]
    pub restriction: String,
}
