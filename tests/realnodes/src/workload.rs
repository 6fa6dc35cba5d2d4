//! What the tests and the benchmark ask of the bed: its topology, and replica-3 volumes.

use brickyard::api::{ReplicaDurability, VolumeCreateRequest, VolumeDurabilityInfo};
use brickyard::topology::TopologyFile;

use crate::HarnessError;

/// The block devices `bed.sh` gives every node.
pub const BED_DEVICES: [&str; 2] = ["/dev/ubdb", "/dev/ubdc"];

/// One cluster of `hosts` (manage = storage hostname), node `i` in zone `i + 1`, each
/// with the bed's devices.
pub fn bed_topology(hosts: &[String]) -> Result<TopologyFile, HarnessError> {
    let nodes: Vec<serde_json::Value> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            serde_json::json!({
                "node": {"hostnames": {"manage": [h], "storage": [h]}, "zone": i + 1},
                "devices": BED_DEVICES,
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({"clusters": [{"nodes": nodes}]}))
        .map_err(|e| HarnessError(format!("bed topology: {e}")))
}

/// A replica-3 volume of `size_gib` GiB.
pub fn replica3(size_gib: i64) -> VolumeCreateRequest {
    VolumeCreateRequest {
        size: size_gib,
        durability: VolumeDurabilityInfo {
            kind: "replicate".into(),
            replicate: ReplicaDurability { replica: 3 },
            ..Default::default()
        },
        ..Default::default()
    }
}
