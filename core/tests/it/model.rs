//! Model-based test: random sequences of topology and volume operations, with injected
//! executor faults, against the engine and the mock nodes, checked after every step
//! against a simple reference model.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use brickyard::api::{DeviceAddRequest, HostAddresses, NodeAddRequest};
use brickyard::executor::{Fault, FaultyMockExecutor};
use brickyard::{Engine, EngineOptions};
use proptest::prelude::*;

use crate::harness::*;

#[derive(Clone, Debug)]
enum Op {
    AddNode(u8),
    AddDevice(u8, u8),
    Create { name: u8, size: i64, replica: i64 },
    Expand { name: u8, size: i64 },
    Delete { name: u8 },
    Clone { from: u8, name: u8 },
    DeviceOffline(u8, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..6).prop_map(Op::AddNode),
        (0u8..6, 0u8..3).prop_map(|(n, d)| Op::AddDevice(n, d)),
        (0u8..5, 1i64..200, 1i64..4).prop_map(|(name, size, replica)| Op::Create {
            name,
            size,
            replica
        }),
        (0u8..5, 1i64..100).prop_map(|(name, size)| Op::Expand { name, size }),
        (0u8..5).prop_map(|name| Op::Delete { name }),
        (0u8..5, 0u8..5).prop_map(|(from, name)| Op::Clone { from, name }),
        (0u8..18, any::<bool>()).prop_map(|(d, off)| Op::DeviceOffline(d, off)),
    ]
}

#[derive(Default, Debug)]
struct Model {
    nodes: BTreeMap<String, BTreeSet<String>>,
    volumes: BTreeMap<String, i64>,
}

fn host(n: u8) -> String {
    format!("10.1.0.{}", n + 1)
}

async fn step(
    engine: &Engine,
    mock: &FaultyMockExecutor,
    model: &mut Model,
    cluster: &str,
    op: Op,
    fault: Option<u64>,
) {
    run_step(engine, mock, model, cluster, op, fault).await;
    // Whatever the step did (or skipped), no fault outlives it.
    mock.faults().clear();
}

async fn run_step(
    engine: &Engine,
    mock: &FaultyMockExecutor,
    model: &mut Model,
    cluster: &str,
    op: Op,
    fault: Option<u64>,
) {
    if let Some(n) = fault {
        mock.faults().fail_nth(n, Fault::failed());
    }
    match op {
        Op::AddNode(n) => {
            let h = host(n);
            let req = NodeAddRequest {
                zone: i64::from(n % 3) + 1,
                hostnames: HostAddresses {
                    manage: vec![h.clone()],
                    storage: vec![h.clone()],
                },
                cluster: cluster.to_string(),
                tags: Default::default(),
            };
            let known = model.nodes.contains_key(&h);
            match engine.add_node(req).await {
                Ok(_) => {
                    assert!(!known, "a hostname was accepted twice");
                    model.nodes.insert(h, BTreeSet::new());
                }
                Err(e) => assert!(known || fault.is_some(), "node add failed: {e}"),
            }
        }
        Op::AddDevice(n, d) => {
            let h = host(n);
            let Some(node_id) = engine
                .state()
                .nodes
                .values()
                .find(|x| x.info.hostnames.manage[0] == h)
                .map(|x| x.info.id.clone())
            else {
                return;
            };
            let name = format!("/dev/vd{}", (b'a' + d) as char);
            let known = model.nodes[&h].contains(&name);
            match engine
                .add_device(DeviceAddRequest {
                    name: name.clone(),
                    node: node_id,
                    ..Default::default()
                })
                .await
            {
                Ok(_) => {
                    assert!(!known);
                    model.nodes.get_mut(&h).unwrap().insert(name);
                }
                Err(e) => assert!(known || fault.is_some(), "device add failed: {e}"),
            }
        }
        Op::Create {
            name,
            size,
            replica: r,
        } => {
            let mut req = replica(size, r);
            req.name = format!("v{name}");
            if let Ok(v) = engine.create_volume(req).await {
                assert!(!model.volumes.contains_key(&v.info.request.name));
                model.volumes.insert(v.info.request.name.clone(), size);
            }
        }
        Op::Expand { name, size } => {
            let n = format!("v{name}");
            if let Some(v) = engine.volume_by_name(&n)
                && engine.expand_volume(&v.info.id, size).await.is_ok()
            {
                *model.volumes.get_mut(&n).unwrap() += size;
            }
        }
        Op::Delete { name } => {
            let n = format!("v{name}");
            if let Some(v) = engine.volume_by_name(&n) {
                if engine.delete_volume(&v.info.id).await.is_ok() {
                    model.volumes.remove(&n);
                } else {
                    mock.faults().clear();
                    engine.cleanup_pending(None).await.unwrap();
                    if engine.volume_by_name(&n).is_none() {
                        model.volumes.remove(&n);
                    }
                }
            }
        }
        Op::Clone { from, name } => {
            let (src, n) = (format!("v{from}"), format!("v{name}"));
            if let Some(v) = engine.volume_by_name(&src) {
                let r = engine.clone_volume(&v.info.id, &n).await;
                if r.is_ok() {
                    assert!(!model.volumes.contains_key(&n), "a name was used twice");
                }
                if !engine.state().pending.is_empty() {
                    // A fault hit the undo or the snapshot delete: the cleaner finishes.
                    mock.faults().clear();
                    engine.cleanup_pending(None).await.unwrap();
                }
                if !model.volumes.contains_key(&n) && engine.volume_by_name(&n).is_some() {
                    model.volumes.insert(n, model.volumes[&src]);
                }
            }
        }
        Op::DeviceOffline(d, off) => {
            let st = engine.state();
            if let Some(dev) = st.devices.keys().nth(usize::from(d)) {
                let _ = engine
                    .set_device_state(dev, if off { "offline" } else { "online" })
                    .await;
            }
        }
    }
}

fn check(engine: &Engine, mock: &FaultyMockExecutor, model: &Model) {
    assert_agree(engine, &mock.nodes());
    let st = engine.state();
    assert!(
        st.pending.is_empty(),
        "no operation left pending: {:?}",
        st.pending
    );
    let vols: BTreeMap<String, i64> = st
        .volumes
        .values()
        .map(|v| (v.info.request.name.clone(), v.info.request.size))
        .collect();
    assert_eq!(&vols, &model.volumes);
    let nodes: BTreeMap<String, BTreeSet<String>> = st
        .nodes
        .values()
        .map(|n| {
            let devs = n
                .devices
                .iter()
                .map(|d| st.devices[d].info.name.clone())
                .collect();
            (n.info.hostnames.manage[0].clone(), devs)
        })
        .collect();
    assert_eq!(&nodes, &model.nodes);
}

/// Volume operations only, clones among them, on a cluster that can hold them.
fn volume_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..4, 1i64..40, 2i64..4).prop_map(|(name, size, replica)| Op::Create {
            name,
            size,
            replica
        }),
        (0u8..4, 1i64..20).prop_map(|(name, size)| Op::Expand { name, size }),
        (0u8..4).prop_map(|name| Op::Delete { name }),
        (0u8..4, 0u8..4).prop_map(|(from, name)| Op::Clone { from, name }),
        (0u8..4, 0u8..4).prop_map(|(from, name)| Op::Clone { from, name }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_reference_model(ops in proptest::collection::vec((op(), proptest::option::weighted(0.2, 1u64..12)), 1..30)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let mock = Arc::new(FaultyMockExecutor::new());
            let engine = Engine::open(EngineOptions::in_memory(), mock.clone()).await.unwrap();
            let cluster = engine.create_cluster(brickyard::api::ClusterFlags { block: true, file: true }).unwrap().id;
            let mut model = Model::default();
            for (op, fault) in ops {
                step(&engine, &mock, &mut model, &cluster, op, fault).await;
                check(&engine, &mock, &model);
            }
        });
    }

    /// Clones share their sources' thin pools: whatever is deleted first, records, nodes
    /// and the accounting agree after every step (faults included).
    #[test]
    fn volumes_and_clones_match_reference_model(ops in proptest::collection::vec((volume_op(), proptest::option::weighted(0.2, 1u64..14)), 1..24)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let b = bed(4, 1).await;
            let st = b.engine.state();
            let cluster = st.clusters.keys().next().unwrap().clone();
            let mut model = Model::default();
            for n in st.nodes.values() {
                let devs = n.devices.iter().map(|d| st.devices[d].info.name.clone()).collect();
                model.nodes.insert(n.info.hostnames.manage[0].clone(), devs);
            }
            let free_before: Vec<u64> = st.devices.values().map(|d| d.info.storage.free).collect();
            for (op, fault) in ops {
                step(&b.engine, &b.mock, &mut model, &cluster, op, fault).await;
                check(&b.engine, &b.mock, &model);
            }
            // Everything deleted: every pool's space is back.
            for id in b.engine.volume_list().volumes {
                b.engine.delete_volume(&id).await.unwrap();
            }
            let st = b.engine.state();
            let free_after: Vec<u64> = st.devices.values().map(|d| d.info.storage.free).collect();
            assert_eq!(free_after, free_before);
            assert_agree(&b.engine, &b.mock.nodes());
        });
    }
}
