//! Times volume creates end to end (a quick profile aid): `cargo run --release -p
//! brickyard-examples --example create_loop -- [file|memory] [count]`.

use std::sync::Arc;
use std::time::Instant;

use brickyard::api::{ReplicaDurability, VolumeCreateRequest, VolumeDurabilityInfo};
use brickyard::executor::MockExecutor;
use brickyard::topology::TopologyFile;
use brickyard::{Engine, EngineOptions};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "file".into());
    let count: usize = std::env::args()
        .nth(2)
        .and_then(|c| c.parse().ok())
        .unwrap_or(500);
    let dir = std::env::temp_dir().join(format!("brickyard-loop-{}", brickyard::id::new_id()));
    std::fs::create_dir_all(&dir)?;
    let mut opts = if mode == "file" {
        EngineOptions::with_file(dir.join("db.redb"))
    } else {
        EngineOptions::in_memory()
    };
    opts.max_volumes_per_cluster = -1;
    let engine = Engine::open(opts, Arc::new(MockExecutor::new())).await?;
    let nodes: Vec<serde_json::Value> = (0..30)
        .map(|n| {
            let h = format!("10.9.0.{}", n + 1);
            serde_json::json!({"node": {"hostnames": {"manage": [h], "storage": [h]}, "zone": n % 3 + 1},
                               "devices": (0..10).map(|d| format!("/dev/vd{d}")).collect::<Vec<_>>()})
        })
        .collect();
    let topo: TopologyFile =
        serde_json::from_value(serde_json::json!({"clusters": [{"nodes": nodes}]}))?;
    engine.apply_topology(&topo).await?;
    let req = VolumeCreateRequest {
        size: 1,
        durability: VolumeDurabilityInfo {
            kind: "replicate".into(),
            replicate: ReplicaDurability { replica: 3 },
            ..Default::default()
        },
        ..Default::default()
    };
    for batch in 0..(count / 100).max(1) {
        let t = Instant::now();
        for _ in 0..100 {
            engine.create_volume(req.clone()).await?;
        }
        println!(
            "{mode}: creates {}..{}: {:.2} ms each",
            batch * 100,
            batch * 100 + 100,
            t.elapsed().as_secs_f64() * 10.0
        );
    }
    drop(engine);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
