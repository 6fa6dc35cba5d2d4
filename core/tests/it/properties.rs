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

/// Every volume's sets are whole and on distinct nodes (distinct zones when strict).
fn sets_hold(st: &brickyard::state::State, strict: bool) -> Result<(), TestCaseError> {
    for v in st.volumes.values() {
        let d = &v.info.request.durability;
        let set = match d.kind.as_str() {
            "replicate" => d.replicate.replica.max(1) as usize,
            "disperse" => (d.disperse.data + d.disperse.redundancy) as usize,
            _ => 1,
        };
        prop_assert_eq!(v.bricks.len() % set, 0);
        for chunk in v.bricks.chunks(set) {
            let nodes: std::collections::BTreeSet<String> = chunk
                .iter()
                .map(|b| st.bricks.get(b).unwrap().info.node)
                .collect();
            prop_assert_eq!(nodes.len(), chunk.len());
            if strict {
                let zones: std::collections::BTreeSet<i64> = chunk
                    .iter()
                    .map(|b| st.nodes[&st.bricks.get(b).unwrap().info.node].info.zone)
                    .collect();
                prop_assert_eq!(zones.len(), chunk.len());
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// After any sequence of creates, expands, evictions, device and node removals and
    /// deletes: every volume keeps its brick count through evictions and removals, sets
    /// are on distinct nodes (zones under strict checking), records and nodes agree and
    /// the accounting is exact — whether each operation succeeded or was refused.
    #[test]
    fn day2_sequences_keep_every_invariant(
        strict in any::<bool>(),
        ops in proptest::collection::vec((0u8..7, 1i64..60, 0u8..4, 0usize..64), 1..10),
    ) {
        rt().block_on(async {
            let mock = Arc::new(FaultyMockExecutor::new());
            let mut opts = EngineOptions::in_memory();
            if strict {
                opts.zone_checking = brickyard::placement::ZoneChecking::Strict;
            }
            let engine = Engine::open(opts, mock.clone()).await.unwrap();
            engine.apply_topology(&topology(6, 2)).await.unwrap();
            let heal = brickyard::engine::HealCheck::Enable;
            for (op, size, kind, pick) in ops {
                let st = engine.state();
                let counts: Vec<(String, usize)> =
                    st.volumes.iter().map(|(id, v)| (id.clone(), v.bricks.len())).collect();
                let vols = engine.volume_list().volumes;
                let bricks: Vec<String> = st.bricks.keys().collect();
                let devices: Vec<String> = st.devices.keys().cloned().collect();
                let nodes: Vec<String> = st.nodes.keys().cloned().collect();
                let mut moves = false;
                match op {
                    0 => { let _ = engine.create_volume(request(size, kind)).await; }
                    1 if !vols.is_empty() => { let _ = engine.expand_volume(&vols[pick % vols.len()], size).await; }
                    2 if !vols.is_empty() => { engine.delete_volume(&vols[pick % vols.len()]).await.unwrap(); }
                    3 if !bricks.is_empty() => {
                        moves = true;
                        let _ = engine.evict_brick(&bricks[pick % bricks.len()], heal).await;
                    }
                    4 if !devices.is_empty() => {
                        moves = true;
                        let d = &devices[pick % devices.len()];
                        let _ = engine.set_device_state(d, "offline").await;
                        let _ = engine.set_device_state(d, "failed").await;
                    }
                    5 if !nodes.is_empty() => {
                        moves = true;
                        let n = &nodes[pick % nodes.len()];
                        let _ = engine.set_node_state(n, "offline").await;
                        let _ = engine.set_node_state(n, "failed").await;
                    }
                    6 => {
                        // Delete what removal emptied.
                        for d in &devices {
                            let _ = engine.delete_device(d, false).await;
                        }
                        for n in &nodes {
                            let _ = engine.delete_node(n).await;
                        }
                    }
                    _ => {}
                }
                let st = engine.state();
                prop_assert!(st.pending.is_empty(), "{:?}", st.pending);
                if moves {
                    for (id, n) in &counts {
                        prop_assert_eq!(st.volumes.get(id).unwrap().bricks.len(), *n, "volume {} lost bricks", id);
                    }
                }
                sets_hold(&st, strict)?;
                assert_agree(&engine, &mock.nodes());
            }
            Ok(())
        })?;
    }
}
