//! Placement latency: a 10 GiB replica-3 volume on 10 / 100 / 1,000 nodes × 10 devices,
//! on empty devices and with 10,000 existing bricks; and the 97,000 GiB case of Heketi
//! issue #1860.

use std::hint::black_box;

use brickyard::placement::{
    ClusterView, DEFAULT_EXTENT_KIB, DeviceSlot, Durability, GIB, NodeSlot, PlacementRequest, Tags,
    place,
};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// xorshift64*: deterministic pseudo-random numbers for the existing bricks.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// `nodes` nodes in 3 zones with `devices` devices of `device_gib` each.
fn cluster(nodes: usize, devices: usize, device_gib: u64) -> ClusterView {
    let node_slots = (0..nodes)
        .map(|n| NodeSlot {
            id: format!("{:032x}", n * 7919),
            zone: (n % 3) as i64 + 1,
            online: true,
            tags: Tags::new(),
        })
        .collect();
    let device_slots = (0..nodes * devices)
        .map(|d| DeviceSlot {
            id: format!("{:032x}", d * 104_729),
            node: d / devices,
            online: true,
            free: device_gib * GIB,
            extent: DEFAULT_EXTENT_KIB,
            tags: Tags::new(),
        })
        .collect();
    ClusterView::new("cluster".into(), node_slots, device_slots)
}

/// Simulates existing bricks (1–20 GiB each) as debits on pseudo-random devices.
fn with_existing_bricks(mut view: ClusterView, bricks: usize) -> ClusterView {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let count = view.devices().len() as u64;
    for _ in 0..bricks {
        let d = (rng.next() % count) as usize;
        let kib = (rng.next() % 20 + 1) * GIB;
        if view.devices()[d].free > kib {
            view.debit(d, kib);
        }
    }
    view
}

fn replica3(c: &mut Criterion) {
    let mut group = c.benchmark_group("place_10GiB_replica3");
    let req = PlacementRequest::new(10, Durability::Replicate { replica: 3 });
    for nodes in [10, 100, 1000] {
        for existing in [0, 10_000] {
            let view = with_existing_bricks(cluster(nodes, 10, 4096), existing);
            let id = BenchmarkId::new(format!("{nodes}x10"), format!("{existing}_bricks"));
            group.bench_with_input(id, &view, |b, view| {
                b.iter(|| place(black_box(view), black_box(&req)).map(|plan| plan.brick_count()))
            });
        }
    }
    group.finish();
}

fn issue_1860(c: &mut Criterion) {
    let view = cluster(3, 9, 11175);
    let mut req = PlacementRequest::new(97_000, Durability::Replicate { replica: 3 });
    req.limits.max_bricks_per_volume = 60;
    req.limits.brick_max_kib = 20_240 * GIB;
    c.bench_function("place_issue_1860_97000GiB_replica3", |b| {
        b.iter(|| place(black_box(&view), black_box(&req)).map(|plan| plan.sets.len()))
    });
}

criterion_group!(benches, replica3, issue_1860);
criterion_main!(benches);
