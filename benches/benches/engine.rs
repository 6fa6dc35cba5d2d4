//! Volume create end to end: Build (placement + durable redb commit), Exec on the mock
//! nodes, Finalize (durable commit), on a redb file. One create at a time, and 16 or 64
//! at once (one task each).

use std::sync::Arc;

use brickyard::api::{ReplicaDurability, VolumeCreateRequest, VolumeDurabilityInfo};
use brickyard::executor::MockExecutor;
use brickyard::topology::TopologyFile;
use brickyard::{Engine, EngineOptions};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn topology(nodes: usize, devices: usize) -> TopologyFile {
    let clusters = serde_json::json!({"clusters": [{"nodes": (0..nodes).map(|n| {
        let h = format!("10.9.{}.{}", n / 250, n % 250 + 1);
        serde_json::json!({"node": {"hostnames": {"manage": [h], "storage": [h]}, "zone": n % 3 + 1},
                           "devices": (0..devices).map(|d| format!("/dev/vd{d}")).collect::<Vec<_>>()})
    }).collect::<Vec<_>>()}]});
    serde_json::from_value(clusters).expect("topology")
}

fn request() -> VolumeCreateRequest {
    VolumeCreateRequest {
        size: 1,
        durability: VolumeDurabilityInfo {
            kind: "replicate".into(),
            replicate: ReplicaDurability { replica: 3 },
            ..Default::default()
        },
        ..Default::default()
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = std::env::temp_dir().join(format!("brickyard-bench-{}", brickyard::id::new_id()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let mut opts = EngineOptions::with_file(dir.join("bench.redb"));
    opts.max_volumes_per_cluster = -1;
    opts.limits.max_bricks_per_volume = 32;
    let engine = rt.block_on(async {
        let engine = Engine::open(opts, Arc::new(MockExecutor::new()))
            .await
            .expect("engine");
        engine
            .apply_topology(&topology(30, 10))
            .await
            .expect("topology");
        engine
    });
    let mut g = c.benchmark_group("volume_create_redb_file");
    g.throughput(Throughput::Elements(1));
    g.bench_function("one_at_a_time", |b| {
        b.iter(|| {
            rt.block_on(engine.create_volume(request()))
                .expect("create")
        });
    });
    // Many creates at once, each its own task (as the server runs them): their durable
    // steps share group commits. The figure for "durable creates per second".
    for n in [16u64, 64] {
        g.throughput(Throughput::Elements(n));
        g.bench_function(format!("{n}_concurrent"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let tasks: Vec<_> = (0..n)
                        .map(|_| {
                            let engine = engine.clone();
                            tokio::spawn(async move { engine.create_volume(request()).await })
                        })
                        .collect();
                    for t in tasks {
                        t.await.expect("task").expect("create");
                    }
                })
            });
        });
    }
    g.finish();
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
