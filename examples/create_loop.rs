//! Times volume creates end to end (a quick profile aid): `cargo run --release -p
//! brickyard-examples --example create_loop -- [file|memory] [count] [concurrency]`.
//!
//! With a concurrency above 1, that many creates run at once (tasks on the runtime), so
//! their durable steps share group commits.

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
    let concurrency: usize = std::env::args()
        .nth(3)
        .and_then(|c| c.parse().ok())
        .unwrap_or(1)
        .max(1);
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
        let mut done = 0;
        while done < 100 {
            let n = concurrency.min(100 - done);
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let engine = engine.clone();
                    let req = req.clone();
                    tokio::spawn(async move { engine.create_volume(req).await })
                })
                .collect();
            for t in tasks {
                t.await??;
            }
            done += n;
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{mode} x{concurrency}: creates {}..{}: {:.3} ms each, {:.0} creates/s",
            batch * 100,
            batch * 100 + 100,
            secs * 10.0,
            100.0 / secs
        );
    }
    drop(engine);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
