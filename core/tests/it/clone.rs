//! Volume clone: the clone, its refusals, a failure at every command with rollback, a
//! crash between the steps with recovery at the next open, independence of source and
//! clone, and exact space accounting.

use std::collections::BTreeMap;
use std::sync::Arc;

use brickyard::api::{VolumeCreateRequest, VolumeSnapshot};
use brickyard::engine::{CLONE_BLOCK_REFUSED, CleanupOutcome};
use brickyard::executor::{CommandConfig, Executor, Fault, FaultyMockExecutor, commands};
use brickyard::state::State;
use brickyard::{Engine, EngineOptions, ErrorKind};

use crate::harness::*;

fn snap_replica(size: i64) -> VolumeCreateRequest {
    VolumeCreateRequest {
        snapshot: VolumeSnapshot {
            enable: true,
            factor: 1.5,
        },
        ..replica(size, 3)
    }
}

/// Free KiB of every device, by id.
fn free(engine: &Engine) -> BTreeMap<String, u64> {
    engine
        .state()
        .devices
        .values()
        .map(|d| (d.info.id.clone(), d.info.storage.free))
        .collect()
}

fn snapshots(mock: &FaultyMockExecutor) -> Vec<String> {
    mock.mock().snapshots("10.0.0.1")
}

#[tokio::test]
async fn clone_is_a_volume_of_its_own_in_the_sources_thin_pools() {
    let b = bed(3, 1).await;
    let src = b.engine.create_volume(snap_replica(4)).await.unwrap();
    let free_after_create = free(&b.engine);
    let clone = b.engine.clone_volume(&src.info.id, "c1").await.unwrap();

    assert_eq!(clone.info.request.name, "c1");
    assert_eq!(clone.info.request.size, 4);
    assert_eq!(clone.info.request.durability, src.info.request.durability);
    assert_eq!(clone.info.request.snapshot, src.info.request.snapshot);
    assert_ne!(clone.info.id, src.info.id);
    assert_eq!(clone.bricks.len(), 3);
    let st = b.engine.state();
    for (cb, sb) in clone.bricks.iter().zip(&src.bricks) {
        assert_ne!(cb.id, sb.id);
        assert_eq!(
            (&cb.device, &cb.node, cb.size),
            (&sb.device, &sb.node, sb.size)
        );
        assert!(cb.path.starts_with("/run/gluster/snaps/"), "{}", cb.path);
        let (c, s) = (
            &st.bricks.get(&cb.id).unwrap(),
            &st.bricks.get(&sb.id).unwrap(),
        );
        assert_eq!(c.lvm_thin_pool, format!("tp_{}", sb.id));
        assert_eq!(c.thin_pool_name(), s.thin_pool_name());
        assert_eq!(c.tp_size, s.tp_size);
    }
    assert_eq!(
        clone.info.mount.glusterfs.mount_point,
        format!("{}:c1", clone.info.mount.glusterfs.hosts[0])
    );
    // "Clones do not take extra storage": the pools were reserved by the source.
    assert_eq!(free(&b.engine), free_after_create);
    assert!(st.pending.is_empty());
    assert!(snapshots(&b.mock).is_empty(), "temporary snapshot deleted");
    let info = b.engine.volume_info(&clone.info.id).unwrap();
    assert_eq!(info, clone);
    assert_agree(&b.engine, &b.mock.nodes());
}

#[tokio::test]
async fn default_clone_name_is_vol_and_its_id() {
    let b = bed(3, 1).await;
    let src = b.engine.create_volume(replica(2, 3)).await.unwrap();
    let clone = b.engine.clone_volume(&src.info.id, "").await.unwrap();
    assert_eq!(clone.info.request.name, format!("vol_{}", clone.info.id));
    assert_agree(&b.engine, &b.mock.nodes());
}

/// Deleting one of source and clone leaves the other intact, and the pools' space
/// comes back with the last of them.
async fn delete_both(source_first: bool) {
    let b = bed(3, 1).await;
    let free_before = free(&b.engine);
    let nodes_before = nodes_view(&b.mock.nodes());
    let src = b.engine.create_volume(snap_replica(4)).await.unwrap();
    let free_after_create = free(&b.engine);
    let clone = b.engine.clone_volume(&src.info.id, "c1").await.unwrap();
    let (first, second) = if source_first {
        (&src, &clone)
    } else {
        (&clone, &src)
    };
    b.engine.delete_volume(&first.info.id).await.unwrap();
    assert_eq!(
        free(&b.engine),
        free_after_create,
        "the pools still hold the other volume's bricks: no space comes back"
    );
    assert_eq!(b.engine.volume_info(&second.info.id).unwrap(), *second);
    let nodes = b.mock.nodes();
    let n = nodes_view(&nodes);
    assert_eq!(
        n.volumes.keys().cloned().collect::<Vec<_>>(),
        vec![second.info.request.name.clone()]
    );
    assert_agree(&b.engine, &nodes);

    b.engine.delete_volume(&second.info.id).await.unwrap();
    assert_eq!(
        free(&b.engine),
        free_before,
        "the last one gives the pools back"
    );
    assert_eq!(nodes_view(&b.mock.nodes()), nodes_before);
    assert_agree(&b.engine, &b.mock.nodes());
}

#[tokio::test]
async fn deleting_the_source_leaves_the_clone() {
    delete_both(true).await;
}

#[tokio::test]
async fn deleting_the_clone_leaves_the_source() {
    delete_both(false).await;
}

#[tokio::test]
async fn clone_of_a_clone_shares_the_same_pools() {
    let b = bed(3, 1).await;
    let free_before = free(&b.engine);
    let src = b.engine.create_volume(snap_replica(3)).await.unwrap();
    let after_create = free(&b.engine);
    let c1 = b.engine.clone_volume(&src.info.id, "c1").await.unwrap();
    let c2 = b.engine.clone_volume(&c1.info.id, "c2").await.unwrap();
    assert_eq!(free(&b.engine), after_create);
    assert_agree(&b.engine, &b.mock.nodes());
    for v in [&c1, &src] {
        b.engine.delete_volume(&v.info.id).await.unwrap();
        assert_eq!(free(&b.engine), after_create);
        assert_agree(&b.engine, &b.mock.nodes());
    }
    b.engine.delete_volume(&c2.info.id).await.unwrap();
    assert_eq!(free(&b.engine), free_before);
    assert_agree(&b.engine, &b.mock.nodes());
}

#[tokio::test]
async fn clone_refusals() {
    let b = bed(3, 1).await;
    let src = b.engine.create_volume(replica(2, 3)).await.unwrap();
    let before = b.engine.state();

    let e = b
        .engine
        .clone_volume(&"0".repeat(32), "")
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.to_string().as_str()),
        (ErrorKind::NotFound, "Id not found")
    );

    let e = b
        .engine
        .clone_volume(&src.info.id, "bad name")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        e.to_string(),
        "validation failed: name: must be in a valid format."
    );

    // gluster would read it as an option: refused before anything is reserved.
    let e = b
        .engine
        .clone_volume(&src.info.id, "-rf")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        e.to_string(),
        "validation failed: name: must not start with '-' (gluster would read it as an option)."
    );
    assert_eq!(b.engine.state(), before);

    let e = b
        .engine
        .clone_volume(&src.info.id, &src.info.request.name)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");

    let block = b
        .engine
        .create_volume(VolumeCreateRequest {
            block: true,
            ..replica(2, 3)
        })
        .await
        .unwrap();
    let before_block = b.engine.state();
    let e = b.engine.clone_volume(&block.info.id, "").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert_eq!(e.to_string(), CLONE_BLOCK_REFUSED);
    assert_eq!(b.engine.state(), before_block);
    b.engine.delete_volume(&block.info.id).await.unwrap();
    assert_eq!(b.engine.state().volumes, before.volumes);
    assert_agree(&b.engine, &b.mock.nodes());
}

#[tokio::test]
async fn source_cannot_be_deleted_or_expanded_while_it_is_cloned() {
    let b = bed(3, 1).await;
    let src = b.engine.create_volume(replica(2, 3)).await.unwrap();
    let fut = b.engine.begin_volume_clone(&src.info.id, "c1").unwrap();
    let e = b.engine.delete_volume(&src.info.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    let e = b.engine.expand_volume(&src.info.id, 1).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    // The source stays visible meanwhile.
    assert!(b.engine.volume_info(&src.info.id).is_ok());
    fut.await.unwrap();
    b.engine.expand_volume(&src.info.id, 1).await.unwrap();
    assert_agree(&b.engine, &b.mock.nodes());
}

/// The commands a clone sends, from the first (`volume info` of the source).
async fn clone_command_count() -> u64 {
    let b = bed(3, 1).await;
    let src = b.engine.create_volume(replica(2, 3)).await.unwrap();
    let before = b.mock.faults().commands_seen();
    b.engine.clone_volume(&src.info.id, "c1").await.unwrap();
    b.mock.faults().commands_seen() - before
}

#[tokio::test]
async fn a_failure_at_every_command_is_rolled_back() {
    let n = clone_command_count().await;
    assert!(n >= 9, "volume info ×2, snapshot ×5, start, info: {n}");
    for k in 1..=n {
        let b = bed(3, 1).await;
        let src = b.engine.create_volume(snap_replica(2)).await.unwrap();
        let records = b.engine.state();
        let nodes = nodes_view(&b.mock.nodes());
        b.mock.faults().fail_nth(k, Fault::failed());
        let r = b.engine.clone_volume(&src.info.id, "c1").await;
        let failed = b.mock.faults().injected();
        b.mock.faults().clear();
        assert_eq!(failed.len(), 1, "command {k} failed");
        match r {
            Err(e) => {
                assert_eq!(
                    b.engine.state(),
                    records,
                    "records as before (command {k}: {e})"
                );
                assert_eq!(
                    nodes_view(&b.mock.nodes()),
                    nodes,
                    "nodes as before ({k}: {e})"
                );
            }
            Ok(clone) if failed[0].1.contains("snapshot deactivate") => {
                // As Heketi: only logged; the delete that follows removes the snapshot.
                assert!(b.engine.state().pending.is_empty());
                assert!(b.engine.volume_info(&clone.info.id).is_ok());
            }
            Ok(clone) => {
                // Otherwise only the snapshot delete may fail without failing the clone:
                // the snapshot is kept for the cleaner, which deletes it.
                assert!(failed[0].1.contains("snapshot delete"), "{failed:?}");
                let st = b.engine.state();
                assert_eq!(st.pending.len(), 1);
                assert_eq!(snapshots(&b.mock).len(), 1);
                let report = b.engine.cleanup_pending(None).await.unwrap();
                assert_eq!(report.operations[0].outcome, CleanupOutcome::RolledForward);
                assert!(snapshots(&b.mock).is_empty());
                assert!(b.engine.state().pending.is_empty());
                assert!(b.engine.volume_info(&clone.info.id).is_ok());
            }
        }
        assert!(snapshots(&b.mock).is_empty(), "command {k}: snapshot left");
        assert_agree(&b.engine, &b.mock.nodes());
    }
}

#[tokio::test]
async fn a_full_thin_pool_fails_the_clone_and_says_so() {
    let b = bed(3, 1).await;
    let src = b.engine.create_volume(replica(2, 3)).await.unwrap();
    let records = b.engine.state();
    let st = b.engine.state();
    let brick = &st.bricks.get(&src.bricks[1].id).unwrap();
    let host = st.nodes[&brick.info.node].info.hostnames.manage[0].clone();
    b.mock.mock().set_thin_pool_full(
        &host,
        &format!("vg_{}", brick.info.device),
        &brick.thin_pool_name(),
        true,
    );
    let e = b.engine.clone_volume(&src.info.id, "c1").await.unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("Commit failed"), "{msg}");
    let pool = format!(
        "vg_{}/{} on {host}",
        brick.info.device,
        brick.thin_pool_name()
    );
    assert!(
        msg.starts_with(&format!(
            "thin pool full: {pool} (data 100%, metadata 0%); "
        )),
        "{msg}"
    );
    assert!(msg.contains("snapshot factor"), "{msg}");
    assert_eq!(b.engine.state(), records);
    assert!(snapshots(&b.mock).is_empty());
    assert_agree(&b.engine, &b.mock.nodes());
}

/// Runs the first `steps` commands of the clone's snapshot sequence by hand, as the
/// Exec would have before the process died.
async fn run_clone_steps(mock: &FaultyMockExecutor, st: &State, source: &str, steps: usize) {
    let cfg = CommandConfig::default();
    let (op_id, _) = st.pending.iter().next().unwrap();
    let snap = format!("tmpsnap_{op_id}");
    let cmds = [
        commands::snapshot_create(&cfg, &snap, source),
        commands::snapshot_activate(&cfg, &snap),
        commands::snapshot_clone(&cfg, "c1", &snap),
        commands::snapshot_deactivate(&cfg, &snap),
        commands::volume_start_xml(&cfg, "c1"),
        commands::snapshot_delete(&cfg, &snap),
    ];
    for c in &cmds[..steps] {
        let out = mock.mock().run_command("10.0.0.1", c);
        assert!(
            out.success() && out.stdout.contains("<opRet>0</opRet>"),
            "{c}: {out:?}"
        );
    }
}

async fn crash_during_clone(steps: usize) {
    let dir = temp_dir("crash-clone");
    let path = dir.join("db.redb");
    let b = bed_with(EngineOptions::with_file(&path), 3, 1).await;
    let src = b.engine.create_volume(snap_replica(2)).await.unwrap();
    let records_before = b.engine.state();
    let nodes_before = nodes_view(&b.mock.nodes());
    let mock = b.mock.clone();
    {
        let fut = b.engine.begin_volume_clone(&src.info.id, "c1").unwrap();
        let st = b.engine.state();
        assert_eq!(st.pending.len(), 1, "Build recorded a pending operation");
        run_clone_steps(&mock, &st, &src.info.request.name, steps).await;
        drop(fut); // the process dies here
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
    assert_eq!(report.operations[0].type_name, "clone-volume");
    assert_eq!(
        report.operations[0].outcome,
        CleanupOutcome::RolledBack,
        "{report:?}"
    );
    assert_eq!(
        engine.state(),
        records_before,
        "records as before the clone"
    );
    assert_eq!(nodes_view(&mock.nodes()), nodes_before, "nothing leaked");
    assert!(snapshots(&mock).is_empty());
    assert_agree(&engine, &mock.nodes());
    drop(engine);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn crash_after_clone_build_is_cleaned_at_open() {
    crash_during_clone(0).await;
}

#[tokio::test]
async fn crash_after_snapshot_create_is_cleaned_at_open() {
    crash_during_clone(1).await;
}

#[tokio::test]
async fn crash_after_snapshot_activate_is_cleaned_at_open() {
    crash_during_clone(2).await;
}

#[tokio::test]
async fn crash_after_snapshot_clone_is_cleaned_at_open() {
    crash_during_clone(3).await;
}

#[tokio::test]
async fn crash_after_clone_start_is_cleaned_at_open() {
    crash_during_clone(5).await;
}

#[tokio::test]
async fn crash_after_snapshot_delete_is_cleaned_at_open() {
    crash_during_clone(6).await;
}

#[tokio::test]
async fn a_new_process_restores_clones_on_mock_nodes() {
    let dir = temp_dir("restore-clone");
    let path = dir.join("db.redb");
    let b = bed_with(EngineOptions::with_file(&path), 3, 1).await;
    let src = b.engine.create_volume(snap_replica(2)).await.unwrap();
    let keep = b.engine.create_volume(replica(1, 3)).await.unwrap();
    let c1 = b.engine.clone_volume(&src.info.id, "c1").await.unwrap();
    let c2 = b.engine.clone_volume(&keep.info.id, "c2").await.unwrap();
    // c1 outlives its source; c2's source stays.
    b.engine.delete_volume(&src.info.id).await.unwrap();
    let before = nodes_view(&b.mock.nodes());
    drop(b);
    let (engine, mock) = restart_with_fresh_mock(&path).await;
    assert_agree(&engine, &mock.nodes());
    assert_eq!(nodes_view(&mock.nodes()).volumes, before.volumes);
    // The restored nodes take further work, and give every pool back at the end.
    let free_before: BTreeMap<String, u64> = free(&engine);
    engine.clone_volume(&c2.info.id, "c3").await.unwrap();
    assert_eq!(free(&engine), free_before);
    for v in engine.volume_list().volumes {
        engine.delete_volume(&v).await.unwrap();
    }
    assert_agree(&engine, &mock.nodes());
    assert!(engine.state().bricks.is_empty());
    for n in mock.nodes() {
        assert!(
            n.vgs.iter().all(|vg| vg.free_kib() == vg.total_kib()),
            "{n:?}"
        );
    }
    let _ = c1;
    drop(engine);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[derive(Default)]
struct Recorder {
    events: std::sync::Mutex<Vec<(String, serde_json::Value)>>,
}

impl brickyard::hooks::Hooks for Recorder {
    fn notify(&self, event: &brickyard::hooks::Event) {
        self.events
            .lock()
            .unwrap()
            .push((event.name.to_string(), event.payload.clone()));
    }
}

#[tokio::test]
async fn hooks_hear_volume_post_clone_and_failed_clones() {
    let rec = Arc::new(Recorder::default());
    let mut opts = EngineOptions::in_memory();
    opts.hooks = Some(rec.clone());
    let b = bed_with(opts, 3, 1).await;
    let src = b.engine.create_volume(replica(1, 3)).await.unwrap();
    let clone = b.engine.clone_volume(&src.info.id, "c1").await.unwrap();
    b.mock
        .faults()
        .fail_matching(|_, c| c.contains("snapshot create"), Fault::failed(), true);
    assert!(b.engine.clone_volume(&src.info.id, "c2").await.is_err());
    let events = rec.events.lock().unwrap().clone();
    let n = events.len();
    assert_eq!(events[n - 2].0, "volume.post_clone");
    assert_eq!(events[n - 2].1["id"], serde_json::json!(clone.info.id));
    assert_eq!(events[n - 1].0, "operation.failed");
    assert_eq!(events[n - 1].1["operation"], "volume.clone");
}

/// Regression: the rollback recognised its clone by the `user.heketi.id` gluster copies
/// from the source, which for a clone of a clone is the first source's id; the failed
/// clone's volume and bricks were left behind (found by the model test).
#[tokio::test]
async fn a_clone_of_a_clone_that_does_not_start_is_rolled_back() {
    let b = bed(3, 1).await;
    let src = b.engine.create_volume(snap_replica(1)).await.unwrap();
    let c1 = b.engine.clone_volume(&src.info.id, "c1").await.unwrap();
    let records = b.engine.state();
    let nodes = nodes_view(&b.mock.nodes());
    b.mock
        .faults()
        .fail_matching(|_, c| c.contains("volume start c2"), Fault::failed(), true);
    b.engine.clone_volume(&c1.info.id, "c2").await.unwrap_err();
    assert_eq!(b.engine.state(), records);
    assert_eq!(nodes_view(&b.mock.nodes()), nodes);
    assert_agree(&b.engine, &b.mock.nodes());
}

/// Day-2 meets clone: a clone's brick and its source's brick can each be evicted (the
/// new brick is a full brick of its own; the shared pool stays while either LV is in
/// it), and afterwards deleting both gives every device its space back.
#[tokio::test]
async fn evicting_a_clones_brick_and_its_sources_brick_keeps_both() {
    let b = bed(4, 1).await;
    let empty = free(&b.engine);
    let src = b.engine.create_volume(snap_replica(2)).await.unwrap();
    let clone = b.engine.clone_volume(&src.info.id, "c1").await.unwrap();

    let clone_brick = clone.bricks[0].id.clone();
    b.engine
        .evict_brick(&clone_brick, brickyard::engine::HealCheck::Enable)
        .await
        .unwrap();
    assert_agree(&b.engine, &b.mock.nodes());
    let st = b.engine.state();
    assert!(!st.bricks.contains_key(&clone_brick));
    assert_eq!(st.volumes.get(&clone.info.id).unwrap().bricks.len(), 3);

    let src_brick = src.bricks[1].id.clone();
    b.engine
        .evict_brick(&src_brick, brickyard::engine::HealCheck::Enable)
        .await
        .unwrap();
    assert_agree(&b.engine, &b.mock.nodes());
    let st = b.engine.state();
    assert_eq!(st.volumes.get(&src.info.id).unwrap().bricks.len(), 3);
    assert_eq!(st.volumes.get(&clone.info.id).unwrap().bricks.len(), 3);
    assert!(st.pending.is_empty());

    b.engine.delete_volume(&src.info.id).await.unwrap();
    assert_agree(&b.engine, &b.mock.nodes());
    assert!(b.engine.volume_info(&clone.info.id).is_ok());
    b.engine.delete_volume(&clone.info.id).await.unwrap();
    assert_agree(&b.engine, &b.mock.nodes());
    assert_eq!(free(&b.engine), empty, "every pool and brick given back");
}

/// A source brick cannot be evicted while its volume is being cloned: the clone's
/// bricks were recorded on the source bricks' devices, and gluster makes them wherever
/// the source's bricks are when the snapshot is taken. (The crash test met a clone LV
/// left on a node no record named after such an interleaving.)
#[tokio::test]
async fn a_source_brick_is_not_evicted_while_its_volume_is_being_cloned() {
    let b = bed(4, 1).await;
    let src = b.engine.create_volume(snap_replica(2)).await.unwrap();
    // Build of the clone is done; its Exec has not started.
    let cloning = b.engine.begin_volume_clone(&src.info.id, "c1").unwrap();
    let err = b
        .engine
        .evict_brick(&src.bricks[0].id, brickyard::engine::HealCheck::Enable)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "Can not evict brick {} from volume {}: volume is being cloned",
            src.bricks[0].id, src.info.id
        )
    );
    let clone = cloning.await.unwrap();
    assert_agree(&b.engine, &b.mock.nodes());
    assert!(b.engine.state().pending.is_empty());
    // Once the clone is made, the source brick can go.
    b.engine
        .evict_brick(&src.bricks[0].id, brickyard::engine::HealCheck::Enable)
        .await
        .unwrap();
    assert_agree(&b.engine, &b.mock.nodes());
    b.engine.delete_volume(&clone.info.id).await.unwrap();
    b.engine.delete_volume(&src.info.id).await.unwrap();
    assert_agree(&b.engine, &b.mock.nodes());
}
