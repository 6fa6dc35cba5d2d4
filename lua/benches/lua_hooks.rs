//! Placement overhead of a `placement.score` hook: a dry-run plan of a 10 GiB
//! replica-3 volume on 1,000 nodes × 10 devices (mock executor), with no hooks and with
//! a Lua score hook (which runs once per candidate device, 10,000 times per plan).

use std::hint::black_box;
use std::sync::Arc;

use brickyard::api::{ReplicaDurability, VolumeCreateRequest, VolumeDurabilityInfo};
use brickyard::executor::MockExecutor;
use brickyard::topology::TopologyFile;
use brickyard::{Engine, EngineOptions};
use brickyard_lua::{LuaHookOptions, LuaHooks};
use criterion::{Criterion, criterion_group, criterion_main};

const SCORE: &str = r#"
brickyard.on("placement.score", function(device, ctx)
  -- Prefer emptier devices and zone 2, penalise devices with many bricks.
  local s = device.free / device.total
  if device.zone == 2 then s = s + 0.5 end
  return s - device.bricks * 0.01
end)
"#;

fn topology(nodes: usize, devices: usize) -> TopologyFile {
    let nodes: Vec<serde_json::Value> = (0..nodes)
        .map(|n| {
            let host = format!("10.{}.{}.{}", n / 65536, (n / 256) % 256, n % 256 + 1);
            let devs: Vec<String> = (0..devices)
                .map(|d| format!("/dev/sd{}", (b'b' + d as u8) as char))
                .collect();
            serde_json::json!({
                "node": {"hostnames": {"manage": [host], "storage": [host]}, "zone": n % 3 + 1},
                "devices": devs,
            })
        })
        .collect();
    let text = serde_json::json!({"clusters": [{"nodes": nodes}]}).to_string();
    TopologyFile::parse(&text).expect("generated topology parses")
}

fn engine(rt: &tokio::runtime::Runtime, hooks: Option<Arc<LuaHooks>>) -> Engine {
    let mut opts = EngineOptions::in_memory();
    opts.hooks = hooks.map(|h| h as _);
    rt.block_on(async {
        let engine = Engine::open(opts, Arc::new(MockExecutor::new()))
            .await
            .expect("engine opens");
        let report = engine
            .apply_topology(&topology(1000, 10))
            .await
            .expect("topology applies");
        assert_eq!(report.failed(), 0);
        engine
    })
}

fn plan_with_score_hook(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let req = VolumeCreateRequest {
        size: 10,
        durability: VolumeDurabilityInfo {
            kind: "replicate".into(),
            replicate: ReplicaDurability { replica: 3 },
            ..Default::default()
        },
        ..Default::default()
    };
    let hooks = LuaHooks::from_sources(&[("score.lua", SCORE)], LuaHookOptions::default())
        .expect("hook loads");
    let mut group = c.benchmark_group("plan_10GiB_replica3_1000x10");
    group.sample_size(20);
    let plain = engine(&rt, None);
    group.bench_function("no_hook", |b| {
        b.iter(|| plain.plan_volume(black_box(&req)).map(|p| p.sets.len()))
    });
    drop(plain);
    let hooked = engine(&rt, Some(Arc::new(hooks)));
    group.bench_function("lua_score_hook", |b| {
        b.iter(|| hooked.plan_volume(black_box(&req)).map(|p| p.sets.len()))
    });
    group.finish();
}

criterion_group!(benches, plan_with_score_hook);
criterion_main!(benches);
