use serde::{Deserialize, Serialize};

use super::common::null_as_default;

/// `GET /operations`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationsInfo {
    pub total: u64,
    pub in_flight: u64,
    pub stale: u64,
    pub failed: u64,
    pub new: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOperationInfo {
    pub id: String,
    pub type_name: String,
    pub status: String,
    pub sub_status: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingChangeInfo {
    pub id: String,
    pub description: String,
}

/// `GET /operations/pending/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOperationDetails {
    #[serde(flatten)]
    pub info: PendingOperationInfo,
    #[serde(default, deserialize_with = "null_as_default")]
    pub changes: Vec<PendingChangeInfo>,
    /// Brickyard extra, `remove-device` operations only: bricks moved so far and in
    /// all. Absent otherwise; Heketi clients ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<OperationProgress>,
}

/// How far a device removal is (Brickyard extra of `GET /operations/pending/{id}`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationProgress {
    /// Bricks moved off the device.
    pub bricks_done: u64,
    /// Bricks to move in all (moved + still on the device).
    pub bricks_total: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOperationListResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub pendingoperations: Vec<PendingOperationInfo>,
}

/// Body of `POST /operations/pending/cleanup`; empty means all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOperationsCleanRequest {
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub operations: Vec<String>,
}

/// Body of `POST /bricks/to-evict/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrickEvictOptions {
    #[serde(default)]
    pub healcheck: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLevel {
    #[serde(default)]
    pub glusterfs: String,
}

/// `GET /internal/logging`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLevelInfo {
    #[serde(default)]
    pub loglevel: LogLevel,
}

/// `GET /admin`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminStatus {
    #[serde(default)]
    pub state: String,
}
