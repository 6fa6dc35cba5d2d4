use serde::{Deserialize, Serialize};

/// One brick of a dry-run plan (`POST /volumes/plan`, a Brickyard extension).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedBrick {
    /// Device id.
    pub device: String,
    /// Node id.
    pub node: String,
    /// Manage host name of the node.
    #[serde(default)]
    pub host: String,
    /// Brick (thin LV virtual) size in KiB.
    pub size: u64,
    /// Thin pool size in KiB.
    #[serde(default)]
    pub tp_size: u64,
    /// Thin pool metadata size in KiB.
    #[serde(default)]
    pub metadata_size: u64,
    /// Whether this is an arbiter brick.
    #[serde(default)]
    pub arbiter: bool,
}

/// The answer of `POST /volumes/plan`: where a volume create would put its bricks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumePlan {
    /// Cluster the volume would be created in.
    pub cluster: String,
    /// Brick sets (replica or disperse sets), in distribute order.
    #[serde(default)]
    pub sets: Vec<Vec<PlannedBrick>>,
}
