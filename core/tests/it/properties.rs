//! Property tests over engine operations with the mock executor (≥ 1,000 cases each).

use std::sync::Arc;

use brickyard::executor::{Fault, FaultyMockExecutor};
use brickyard::{Engine, EngineOptions};
use proptest::prelude::*;

use crate::harness::*;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn request(size: i64, kind: u8) -> brickyard::api::VolumeCreateRequest {
    match kind % 4 {
        0 => replica(size, 3),
        1 => replica(size, 2),
        2 => {
            let mut r = replica(size, 1);
            r.durability.kind = "none".into();
            r
        }
        _ => {
            let mut r = replica(size.max(4), 0);
            r.durability.kind = "disperse".into();
            r.durability.disperse = brickyard::api::DisperseDurability {
                data: 2,
                redundancy: 1,
            };
            r
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    /// A create whose N-th command fails leaves records and nodes exactly as before;
    /// one that succeeds agrees with the nodes and with its dry-run plan.
    #[test]
    fn failed_create_changes_nothing_and_plan_agrees(
        nodes in 3usize..6,
        devices in 1usize..3,
        size in 1i64..300,
        kind in 0u8..4,
        fail_at in proptest::option::of(1u64..40),
    ) {
        rt().block_on(async {
            let b = bed(nodes, devices).await;
            let records = b.engine.state();
            let before = nodes_view(&b.mock.nodes());
            let req = request(size, kind);
            let plan = b.engine.plan_volume(&req);
            if let Some(n) = fail_at {
                b.mock.faults().fail_nth(n, Fault::failed());
            }
            match b.engine.create_volume(req).await {
                Ok(v) => {
                    let plan = plan.expect("plan succeeds when create does");
                    let planned: Vec<_> = plan.sets.iter().flatten().map(|p| (p.device.clone(), p.size)).collect();
                    let made: Vec<_> = v.bricks.iter().map(|b| (b.device.clone(), b.size)).collect();
                    prop_assert_eq!(planned, made);
                }
                Err(_) => {
                    prop_assert_eq!(b.engine.state(), records);
                    prop_assert_eq!(nodes_view(&b.mock.nodes()), before);
                }
            }
            assert_agree(&b.engine, &b.mock.nodes());
            Ok(())
        })?;
    }

    /// After any sequence of creates, expands and deletes, every device has
    /// total == free + used and used == the sum of its bricks.
    #[test]
    fn accounting_holds_after_any_sequence(ops in proptest::collection::vec((0u8..3, 1i64..120, 0u8..4, 0usize..8), 1..8)) {
        rt().block_on(async {
            let mock = Arc::new(FaultyMockExecutor::new());
            let engine = Engine::open(EngineOptions::in_memory(), mock.clone()).await.unwrap();
            engine.apply_topology(&topology(4, 2)).await.unwrap();
            for (op, size, kind, pick) in ops {
                let vols = engine.volume_list().volumes;
                match op {
                    0 => { let _ = engine.create_volume(request(size, kind)).await; }
                    1 if !vols.is_empty() => { let _ = engine.expand_volume(&vols[pick % vols.len()], size).await; }
                    2 if !vols.is_empty() => { engine.delete_volume(&vols[pick % vols.len()]).await.unwrap(); }
                    _ => {}
                }
                for d in engine.state().devices.values() {
                    let s = d.info.storage;
                    prop_assert_eq!(s.total, s.free + s.used);
                }
            }
            assert_agree(&engine, &mock.nodes());
            Ok(())
        })?;
    }
}
