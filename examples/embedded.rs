//! The engine embedded in a program: a redb file, mock storage nodes, the sample
//! topology, one replica-3 volume. Run: `cargo run -p brickyard-examples --example embedded [DB]`.

use std::sync::Arc;

use brickyard::api::{ReplicaDurability, VolumeCreateRequest, VolumeDurabilityInfo};
use brickyard::executor::MockExecutor;
use brickyard::topology::TopologyFile;
use brickyard::{Engine, EngineOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let db = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "brickyard-example.redb".into());
    let engine = Engine::open(EngineOptions::with_file(&db), Arc::new(MockExecutor::new())).await?;
    let topology = TopologyFile::parse(include_str!("topology.json"))?;
    let report = engine.apply_topology(&topology).await?;
    println!("topology: {}", report.summary());
    let volume = engine
        .create_volume(VolumeCreateRequest {
            size: 1,
            durability: VolumeDurabilityInfo {
                kind: "replicate".into(),
                replicate: ReplicaDurability { replica: 3 },
                ..Default::default()
            },
            ..Default::default()
        })
        .await?;
    println!(
        "created {} ({} GiB), mount {}",
        volume.info.request.name, volume.info.request.size, volume.info.mount.glusterfs.mount_point
    );
    for b in &volume.bricks {
        println!("  brick {} on node {} device {}", b.path, b.node, b.device);
    }
    println!(
        "{} volumes in {db}; consistency check: {:?}",
        engine.volume_list().volumes.len(),
        engine.check().inconsistencies
    );
    Ok(())
}
