//! Crashes between Build and Finalize: the next open cleans up and reports it.

use std::sync::Arc;

use brickyard::engine::CleanupOutcome;
use brickyard::executor::{
    BrickFormat, BrickLocation, BrickRequest, Executor, FaultyMockExecutor, Host, VolumeDurability,
    VolumeRequest,
};
use brickyard::state::State;
use brickyard::{Engine, EngineOptions};

use crate::harness::*;

fn host_of(st: &State, node: &str) -> Host {
    let n = &st.nodes[node];
    Host {
        manage: n.info.hostnames.manage[0].clone(),
        storage: n.info.hostnames.storage[0].clone(),
    }
}

/// Does by hand what the create's Exec would have done before the crash.
async fn run_exec_by_hand(
    mock: &FaultyMockExecutor,
    st: &State,
    volume_id: &str,
    with_volume: bool,
) {
    let vol = &st.volumes.get(volume_id).unwrap();
    for bid in &vol.bricks {
        let b = &st.bricks.get(bid).unwrap();
        let req = BrickRequest {
            vg_id: b.info.device.clone(),
            brick_id: b.info.id.clone(),
            size: b.info.size,
            tp_size: b.tp_size,
            pool_metadata_size: b.pool_metadata_size,
            gid: 0,
            format: BrickFormat::Normal,
            snapshot: None,
        };
        mock.brick_create(&host_of(st, &b.info.node), &req)
            .await
            .unwrap();
    }
    if with_volume {
        let bricks = vol
            .bricks
            .iter()
            .map(|bid| {
                let b = &st.bricks.get(bid).unwrap();
                BrickLocation {
                    storage_host: host_of(st, &b.info.node).storage,
                    path: b.info.path.clone(),
                }
            })
            .collect();
        let req = VolumeRequest {
            name: vol.info.request.name.clone(),
            bricks,
            durability: VolumeDurability::Replicate {
                replica: 3,
                arbiter: false,
            },
            options: vec![],
        };
        let first = &st.bricks.get(&vol.bricks[0]).unwrap().info.node;
        mock.volume_create(&host_of(st, first), &req).await.unwrap();
    }
}

async fn crash_during_create(progress: u8) {
    let dir = temp_dir("crash");
    let path = dir.join("db.redb");
    let b = bed_with(EngineOptions::with_file(&path), 3, 1).await;
    let records_before = b.engine.state();
    let nodes_before = nodes_view(&b.mock.nodes());
    let mock = b.mock.clone();
    {
        let fut = b.engine.begin_volume_create(replica(3, 3)).unwrap();
        let st = b.engine.state();
        assert_eq!(st.pending.len(), 1, "Build recorded a pending operation");
        let vol_id = st.volumes.keys().next().unwrap().clone();
        if progress > 0 {
            run_exec_by_hand(&mock, &st, &vol_id, progress > 1).await;
        }
        drop(fut); // the process dies here: Exec never finishes
    }
    drop(b.engine);
    let engine = Engine::open(
        EngineOptions::with_file(&path),
        mock.clone() as Arc<dyn Executor>,
    )
    .await
    .unwrap();
    let report = engine.recovery_report();
    assert_eq!(report.operations.len(), 1, "{report:?}");
    assert_eq!(report.operations[0].type_name, "create-volume");
    assert_eq!(report.operations[0].outcome, CleanupOutcome::RolledBack);
    assert_eq!(
        engine.state(),
        records_before,
        "records as before the create"
    );
    assert_eq!(
        nodes_view(&mock.nodes()),
        nodes_before,
        "nothing leaked on the nodes"
    );
    assert_agree(&engine, &mock.nodes());
    drop(engine);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn crash_after_build_is_rolled_back_at_open() {
    crash_during_create(0).await;
}

#[tokio::test]
async fn crash_after_bricks_is_rolled_back_at_open() {
    crash_during_create(1).await;
}

#[tokio::test]
async fn crash_after_gluster_volume_is_rolled_back_at_open() {
    crash_during_create(2).await;
}

#[tokio::test]
async fn crash_during_delete_is_rolled_forward_at_open() {
    let dir = temp_dir("crash-del");
    let path = dir.join("db.redb");
    let b = bed_with(EngineOptions::with_file(&path), 3, 1).await;
    let nodes_before = nodes_view(&b.mock.nodes());
    let vol = b.engine.create_volume(replica(2, 3)).await.unwrap();
    let mock = b.mock.clone();
    {
        let fut = b.engine.begin_volume_delete(&vol.info.id).unwrap();
        let st = b.engine.state();
        let first = &st.bricks.get(&vol.bricks[0].id).unwrap().info.node;
        mock.volume_destroy(&host_of(&st, first), &vol.info.request.name)
            .await
            .unwrap();
        drop(fut);
    }
    drop(b.engine);
    let engine = Engine::open(
        EngineOptions::with_file(&path),
        mock.clone() as Arc<dyn Executor>,
    )
    .await
    .unwrap();
    let report = engine.recovery_report();
    assert_eq!(
        report.operations[0].outcome,
        CleanupOutcome::RolledForward,
        "{report:?}"
    );
    assert!(engine.volume_list().volumes.is_empty());
    assert_eq!(nodes_view(&mock.nodes()), nodes_before);
    assert_agree(&engine, &mock.nodes());
    drop(engine);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn unreachable_node_during_rollback_keeps_operation_for_the_cleaner() {
    let b = bed(3, 1).await;
    let records_before = b.engine.state();
    let nodes_before = nodes_view(&b.mock.nodes());
    let st = b.engine.state();
    let victim = st.nodes.values().next().unwrap().info.hostnames.manage[0].clone();
    // The volume start fails, and the victim node cannot be reached by the rollback.
    b.mock.faults().fail_matching(
        |_, cmd| cmd.contains("volume start"),
        brickyard::executor::Fault::failed(),
        true,
    );
    let v = victim.clone();
    b.mock.faults().fail_matching(
        move |host, cmd| host == v && cmd.starts_with("umount"),
        brickyard::executor::Fault::Unreachable,
        false,
    );
    let err = b.engine.create_volume(replica(1, 3)).await.unwrap_err();
    assert!(err.to_string().contains("kept for the cleaner"), "{err}");
    let ops = b.engine.operations_info();
    assert_eq!((ops.total, ops.failed), (1, 1));
    assert!(
        b.engine.volume_list().volumes.is_empty(),
        "a half-created volume is not shown"
    );
    // The node comes back; the cleaner finishes the rollback.
    b.mock.faults().clear();
    let report = b.engine.cleanup_pending(None).await.unwrap();
    assert_eq!(
        report.operations[0].outcome,
        CleanupOutcome::RolledBack,
        "{report:?}"
    );
    assert_eq!(b.engine.state(), records_before);
    assert_eq!(nodes_view(&b.mock.nodes()), nodes_before);
}

#[tokio::test]
async fn a_new_process_with_mock_nodes_restores_them_from_the_records() {
    let dir = temp_dir("restore");
    let path = dir.join("db.redb");
    let b = bed_with(EngineOptions::with_file(&path), 3, 2).await;
    let vol = b.engine.create_volume(replica(4, 3)).await.unwrap();
    let before = nodes_view(&b.mock.nodes());
    drop(b);
    // A new process: fresh (empty) mock nodes.
    let (engine, mock) = restart_with_fresh_mock(&path).await;
    assert_agree(&engine, &mock.nodes());
    assert_eq!(nodes_view(&mock.nodes()).volumes, before.volumes);
    // And the restored nodes take further work.
    engine.expand_volume(&vol.info.id, 2).await.unwrap();
    engine.delete_volume(&vol.info.id).await.unwrap();
    engine.create_volume(replica(1, 3)).await.unwrap();
    assert_agree(&engine, &mock.nodes());
    drop(engine);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn restoring_mock_nodes_directly_equals_replaying_their_commands() {
    let dir = temp_dir("restore-direct");
    let path = dir.join("db.redb");
    let b = bed_with(EngineOptions::with_file(&path), 4, 2).await;
    let plain = b.engine.create_volume(replica(2, 3)).await.unwrap();
    b.engine.expand_volume(&plain.info.id, 1).await.unwrap();
    let mut arb = replica(1, 3);
    arb.gid = 2001;
    arb.glustervolumeoptions = vec![
        "user.heketi.arbiter true".into(),
        "performance.rda-cache-limit 10MB".into(),
    ];
    b.engine.create_volume(arb).await.unwrap();
    let mut dist = replica(3, 1);
    dist.durability.kind = "none".into();
    b.engine.create_volume(dist).await.unwrap();
    let mut snap = replica(1, 3);
    snap.snapshot.enable = true;
    snap.snapshot.factor = 1.5;
    let src = b.engine.create_volume(snap).await.unwrap();
    b.engine.clone_volume(&src.info.id, "c1").await.unwrap();
    drop(b);

    let restored = |direct: bool| {
        let path = path.clone();
        async move {
            let mock = Arc::new(FaultyMockExecutor::new());
            let engine = Engine::open(
                EngineOptions::with_file(&path),
                mock.clone() as Arc<dyn Executor>,
            )
            .await
            .unwrap();
            if direct {
                engine.restore_mock_nodes(mock.mock()).await.unwrap();
            } else {
                engine
                    .restore_mock_nodes_by_commands(mock.mock())
                    .await
                    .unwrap();
            }
            assert_agree(&engine, &mock.nodes());
            (engine, mock)
        }
    };
    let (engine, replayed) = restored(false).await;
    let replayed_nodes = replayed.nodes();
    drop(engine);
    let (engine, direct) = restored(true).await;
    assert_eq!(direct.nodes(), replayed_nodes);
    // The directly restored nodes take further work.
    let v = engine.create_volume(replica(1, 3)).await.unwrap();
    engine.delete_volume(&v.info.id).await.unwrap();
    engine.delete_volume(&plain.info.id).await.unwrap();
    assert_agree(&engine, &direct.nodes());
    drop(engine);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Mock nodes restored from the records build a node's bricks only when something
/// looks at it: a create after the restore builds the nodes it uses and no other, and
/// a view of the nodes (which builds them all) equals the eager restore's.
#[tokio::test]
async fn restored_mock_nodes_are_built_when_first_used() {
    let dir = temp_dir("restore-lazy");
    let path = dir.join("db.redb");
    let b = bed_with(EngineOptions::with_file(&path), 9, 1).await;
    for _ in 0..6 {
        b.engine.create_volume(replica(1, 3)).await.unwrap();
    }
    let before = b.mock.nodes();
    let used: std::collections::BTreeSet<String> = b
        .engine
        .state()
        .bricks
        .values()
        .map(|br| br.info.node.clone())
        .collect();
    drop(b.engine);

    let (engine, mock) = restart_with_fresh_mock(&path).await;
    assert_eq!(
        mock.mock().unbuilt_nodes(),
        used.len(),
        "every node with bricks waits"
    );
    let v = engine.create_volume(replica(1, 3)).await.unwrap();
    let touched: std::collections::BTreeSet<&String> = v.bricks.iter().map(|b| &b.node).collect();
    let waiting = mock.mock().unbuilt_nodes();
    assert!(
        waiting >= used.len() - touched.len() && waiting < used.len(),
        "the create built the nodes it used ({} of {}), {waiting} still wait",
        touched.len(),
        used.len()
    );
    engine.delete_volume(&v.info.id).await.unwrap();
    // Viewed from outside, the nodes are what they were before the restart.
    assert_eq!(
        nodes_view(&mock.nodes()).volumes,
        nodes_view(&before).volumes
    );
    assert_eq!(mock.mock().unbuilt_nodes(), 0);
    assert_agree(&engine, &mock.nodes());
    drop(engine);
    std::fs::remove_dir_all(&dir).unwrap();
}
