//! Day-2 operations: brick eviction, device and node removal, their refusals, failures
//! at every step of a brick replacement, and crashes between any two steps.

use std::collections::BTreeSet;
use std::time::Duration;

use brickyard::engine::{CleanupOutcome, HealCheck};
use brickyard::error::ErrorKind;
use brickyard::executor::Fault;
use brickyard::state::State;
use brickyard::{Engine, EngineOptions};

use crate::harness::*;

/// `host:path` of a brick, as gluster names it.
fn gluster_name(st: &State, brick: &str) -> String {
    let b = &st.bricks.get(brick).unwrap();
    format!(
        "{}:{}",
        st.nodes[&b.info.node].info.hostnames.storage[0], b.info.path
    )
}

fn manage_of(st: &State, node: &str) -> String {
    st.nodes[node].info.hostnames.manage[0].clone()
}

/// Every volume has its bricks in full sets on distinct nodes, and no operation is left.
fn assert_sets_distinct(engine: &Engine) {
    let st = engine.state();
    assert!(st.pending.is_empty(), "pending: {:?}", st.pending);
    for v in st.volumes.values() {
        let set = match v.info.request.durability.kind.as_str() {
            "replicate" => v.info.request.durability.replicate.replica.max(1) as usize,
            "disperse" => {
                (v.info.request.durability.disperse.data
                    + v.info.request.durability.disperse.redundancy) as usize
            }
            _ => 1,
        };
        assert_eq!(v.bricks.len() % set, 0, "volume {} brick count", v.info.id);
        for chunk in v.bricks.chunks(set) {
            let nodes: BTreeSet<String> = chunk
                .iter()
                .map(|b| st.bricks.get(b).unwrap().info.node)
                .collect();
            assert_eq!(nodes.len(), chunk.len(), "set {chunk:?} shares a node");
        }
    }
}

#[tokio::test]
async fn evict_replaces_the_brick_on_another_node() {
    let b = bed(4, 1).await;
    let v = b.engine.create_volume(replica(5, 3)).await.unwrap();
    let st = b.engine.state();
    let old = st.volumes.get(&v.info.id).unwrap().bricks[1].clone();
    let old_node = st.bricks.get(&old).unwrap().info.node.clone();
    let old_size = st.bricks.get(&old).unwrap().info.size;
    let old_tp = st.bricks.get(&old).unwrap().tp_size;
    let old_name = gluster_name(&st, &old);
    b.engine.evict_brick(&old, HealCheck::Enable).await.unwrap();
    let st = b.engine.state();
    assert!(!st.bricks.contains_key(&old));
    let bricks = &st.volumes.get(&v.info.id).unwrap().bricks;
    assert_eq!(bricks.len(), 3);
    let new = &bricks[1];
    assert_ne!(
        st.bricks.get(new).unwrap().info.node,
        old_node,
        "only the free node fits"
    );
    assert_eq!(st.bricks.get(new).unwrap().info.size, old_size);
    assert_eq!(st.bricks.get(new).unwrap().tp_size, old_tp);
    let cmds: Vec<String> = b.mock.commands().into_iter().map(|(_, c)| c).collect();
    let new_name = gluster_name(&st, new);
    assert!(
        cmds.contains(&format!(
            "gluster --mode=script --timeout=600 volume replace-brick {} {old_name} {new_name} commit force",
            v.info.request.name
        )),
        "{cmds:#?}"
    );
    assert!(
        cmds.iter()
            .any(|c| c.ends_with(&format!("volume heal {} info --xml", v.info.request.name)))
    );
    assert_agree(&b.engine, &b.mock.nodes());
    assert_sets_distinct(&b.engine);
}

#[tokio::test]
async fn evict_refusals_have_heketis_texts() {
    let b = bed(4, 1).await;
    let err = b
        .engine
        .evict_brick("0123456789abcdef0123456789abcdef", HealCheck::Enable)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Id not found");

    let mut dist = replica(2, 1);
    dist.durability.kind = "none".into();
    let v = b.engine.create_volume(dist).await.unwrap();
    let brick = b.engine.state().volumes.get(&v.info.id).unwrap().bricks[0].clone();
    let err = b
        .engine
        .evict_brick(&brick, HealCheck::Enable)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "replace brick is not supported for volume durability type none"
    );
}

#[tokio::test]
async fn evict_refuses_a_heal_source_and_a_set_without_quorum() {
    let b = bed(4, 1).await;
    let v = b.engine.create_volume(replica(5, 3)).await.unwrap();
    let st = b.engine.state();
    let records = b.engine.state();
    let before = nodes_view(&b.mock.nodes());
    let bricks = st.volumes.get(&v.info.id).unwrap().bricks.clone();
    let old = bricks[0].clone();

    b.mock.mock().set_heal_entries(&gluster_name(&st, &old), 7);
    let err = b
        .engine
        .evict_brick(&old, HealCheck::Enable)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Cannot replace brick {old} as it is source brick for data to be healed")
    );
    assert_eq!(b.engine.state(), records, "records as before");
    assert_eq!(nodes_view(&b.mock.nodes()), before, "nodes as before");
    b.mock.mock().set_heal_entries(&gluster_name(&st, &old), 0);

    // Two peers down: 0 of the 2 required peers are online.
    for p in &bricks[1..] {
        let host = manage_of(&st, &st.bricks.get(p).unwrap().info.node);
        b.mock.mock().set_glusterd_running(&host, false);
    }
    let err = b
        .engine
        .evict_brick(&old, HealCheck::Enable)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Cannot replace brick {old} as only 0 of 2 required peer bricks are online")
    );
    assert_eq!(b.engine.state(), records);
    assert_eq!(nodes_view(&b.mock.nodes()), before);

    // The expert option skips the check.
    b.engine
        .evict_brick(&old, HealCheck::Disable)
        .await
        .unwrap();
    assert_agree(&b.engine, &b.mock.nodes());
    assert_sets_distinct(&b.engine);
}

#[tokio::test]
async fn evict_without_room_explains_per_device_and_changes_nothing() {
    let b = bed(3, 1).await;
    let v = b.engine.create_volume(replica(5, 3)).await.unwrap();
    let records = b.engine.state();
    let before = nodes_view(&b.mock.nodes());
    let old = records.volumes.get(&v.info.id).unwrap().bricks[0].clone();
    let err = b
        .engine
        .evict_brick(&old, HealCheck::Enable)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoSpace);
    let text = err.to_string();
    assert!(
        text.starts_with("No Replacement was found for resource requested to be removed: brick "),
        "{text}"
    );
    let details = match err.placement_error() {
        Some(brickyard::placement::PlacementError::NoSpace(d)) => d.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(details.devices.len(), 3, "{details:?}");
    assert_eq!(b.engine.state(), records);
    assert_eq!(nodes_view(&b.mock.nodes()), before);
}

#[tokio::test]
async fn device_remove_moves_every_brick_then_delete_works() {
    let b = bed(4, 2).await;
    for size in [3, 5, 8, 2] {
        b.engine.create_volume(replica(size, 3)).await.unwrap();
    }
    let mut arb = replica(4, 3);
    arb.glustervolumeoptions = vec!["user.heketi.arbiter true".into()];
    b.engine.create_volume(arb).await.unwrap();
    let st = b.engine.state();
    let (dev, count) = st
        .devices
        .iter()
        .map(|(id, d)| (id.clone(), d.bricks.len()))
        .max_by_key(|(_, n)| *n)
        .unwrap();
    assert!(count >= 2, "a device with several bricks");
    let err = b.engine.set_device_state(&dev, "failed").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Device must be offline before remove operation is performed, device:{dev}")
    );
    b.engine.set_device_state(&dev, "offline").await.unwrap();
    b.engine.set_device_state(&dev, "failed").await.unwrap();
    let st = b.engine.state();
    assert!(st.devices[&dev].bricks.is_empty());
    assert_eq!(st.devices[&dev].state, brickyard::api::EntryState::Failed);
    assert_agree(&b.engine, &b.mock.nodes());
    assert_sets_distinct(&b.engine);
    // Arbiter roles are kept.
    let arbiters = st
        .bricks
        .values()
        .filter(|b| b.sub_type == brickyard::model::BrickSubType::Arbiter)
        .count();
    assert_eq!(arbiters, 1);
    b.engine.delete_device(&dev, false).await.unwrap();
    assert_agree(&b.engine, &b.mock.nodes());
}

#[tokio::test]
async fn device_remove_without_room_fails_at_once_and_changes_nothing() {
    let b = bed(3, 1).await;
    b.engine.create_volume(replica(5, 3)).await.unwrap();
    let st = b.engine.state();
    let dev = st.devices.keys().next().unwrap().clone();
    b.engine.set_device_state(&dev, "offline").await.unwrap();
    let records = b.engine.state();
    let before = nodes_view(&b.mock.nodes());
    let err = b.engine.set_device_state(&dev, "failed").await.unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "Unable to delete device [{dev}] as no device was found to replace it: No Replacement was found"
        )),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::NoSpace);
    assert_eq!(b.engine.state(), records);
    assert_eq!(nodes_view(&b.mock.nodes()), before);
    // A device holding bricks cannot be deleted.
    let err = b.engine.delete_device(&dev, false).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("device: {dev} is not in failed state")
    );
}

#[tokio::test]
async fn node_remove_moves_every_brick_of_every_device() {
    let b = bed(5, 2).await;
    for size in [3, 5, 8] {
        b.engine.create_volume(replica(size, 3)).await.unwrap();
    }
    let st = b.engine.state();
    let node = st
        .nodes
        .iter()
        .max_by_key(|(_, n)| {
            n.devices
                .iter()
                .map(|d| st.devices[d].bricks.len())
                .sum::<usize>()
        })
        .map(|(id, _)| id.clone())
        .unwrap();
    let err = b.engine.set_node_state(&node, "failed").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Node must be offline before remove operation is performed, node:{node}")
    );
    b.engine.set_node_state(&node, "offline").await.unwrap();
    b.engine.set_node_state(&node, "failed").await.unwrap();
    let st = b.engine.state();
    assert_eq!(st.nodes[&node].state, brickyard::api::EntryState::Failed);
    for d in &st.nodes[&node].devices {
        assert!(st.devices[d].bricks.is_empty());
        assert_eq!(st.devices[d].state, brickyard::api::EntryState::Failed);
    }
    assert_agree(&b.engine, &b.mock.nodes());
    assert_sets_distinct(&b.engine);
    let err = b.engine.set_node_state(&node, "online").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot move a failed/removed node to online state"
    );
    for d in st.nodes[&node].devices.clone() {
        b.engine.delete_device(&d, false).await.unwrap();
    }
    b.engine.delete_node(&node).await.unwrap();
    assert_agree(&b.engine, &b.mock.nodes());
}

#[tokio::test]
async fn node_remove_under_strict_zones_keeps_zones_distinct() {
    let mut opts = EngineOptions::in_memory();
    opts.zone_checking = brickyard::placement::ZoneChecking::Strict;
    // 6 nodes in zones 1,2,3,1,2,3.
    let b = bed_with(opts, 6, 1).await;
    b.engine.create_volume(replica(5, 3)).await.unwrap();
    let st = b.engine.state();
    let node = st.bricks.values().next().unwrap().info.node.clone();
    b.engine.set_node_state(&node, "offline").await.unwrap();
    b.engine.set_node_state(&node, "failed").await.unwrap();
    let st = b.engine.state();
    for v in st.volumes.values() {
        let zones: BTreeSet<i64> = v
            .bricks
            .iter()
            .map(|b| st.nodes[&st.bricks.get(b).unwrap().info.node].info.zone)
            .collect();
        assert_eq!(zones.len(), 3);
    }
    assert_agree(&b.engine, &b.mock.nodes());
}

/// Commands one eviction of brick 0 of a fresh replica-3 volume runs.
async fn eviction_commands() -> u64 {
    let b = bed(4, 1).await;
    let v = b.engine.create_volume(replica(5, 3)).await.unwrap();
    let old = b.engine.state().volumes.get(&v.info.id).unwrap().bricks[0].clone();
    let before = b.mock.faults().commands_seen();
    b.engine.evict_brick(&old, HealCheck::Enable).await.unwrap();
    b.mock.faults().commands_seen() - before
}

#[tokio::test]
async fn a_failure_at_any_step_of_a_replacement_rolls_back_or_finishes() {
    let total = eviction_commands().await;
    assert!(total >= 10, "{total} commands");
    let mut rolled_back = 0;
    for n in 1..=total {
        let b = bed(4, 1).await;
        let v = b.engine.create_volume(replica(5, 3)).await.unwrap();
        let records = b.engine.state();
        let before = nodes_view(&b.mock.nodes());
        let old = records.volumes.get(&v.info.id).unwrap().bricks[0].clone();
        b.mock.faults().fail_nth(n, Fault::failed());
        match b.engine.evict_brick(&old, HealCheck::Enable).await {
            Err(_) => {
                rolled_back += 1;
                assert_eq!(b.engine.state(), records, "step {n}: records as before");
                assert_eq!(
                    nodes_view(&b.mock.nodes()),
                    before,
                    "step {n}: nodes as before"
                );
            }
            Ok(()) => {
                // Failures after replace-brick (heal wait, destroying the old brick) do
                // not undo the replacement.
                let st = b.engine.state();
                assert!(!st.bricks.contains_key(&old), "step {n}");
                assert!(b.engine.check().is_ok(), "step {n}");
                assert_sets_distinct(&b.engine);
                let view = nodes_view(&b.mock.nodes());
                let vol = &view.volumes[&v.info.request.name];
                assert!(!vol.contains(&gluster_name(&records, &old)), "step {n}");
            }
        }
    }
    assert!(
        rolled_back >= 5,
        "{rolled_back} of {total} steps rolled back"
    );
}

#[tokio::test]
async fn a_crash_between_any_two_steps_of_an_eviction_is_cleaned_at_open() {
    let total = eviction_commands().await;
    let mut outcomes = BTreeSet::new();
    for n in 1..=total {
        let dir = temp_dir("evict-crash");
        let path = dir.join("db.redb");
        let b = bed_with(EngineOptions::with_file(&path), 4, 1).await;
        let v = b.engine.create_volume(replica(5, 3)).await.unwrap();
        let old = b.engine.state().volumes.get(&v.info.id).unwrap().bricks[0].clone();
        let mock = b.mock.clone();
        mock.faults().fail_nth(n, Fault::Hang);
        let fut = b.engine.begin_brick_evict(&old, HealCheck::Enable).unwrap();
        let r = tokio::time::timeout(Duration::from_millis(300), fut).await;
        assert!(r.is_err(), "step {n}: the operation hangs at its command");
        drop(b.engine);
        mock.faults().clear();
        let engine = reopen(&path, &mock).await;
        let report = engine.recovery_report();
        assert_eq!(report.operations.len(), 1, "step {n}: {report:?}");
        assert_eq!(report.operations[0].type_name, "evict-brick");
        outcomes.insert(format!("{:?}", report.operations[0].outcome));
        assert!(
            !matches!(report.operations[0].outcome, CleanupOutcome::Failed(_)),
            "step {n}: {report:?}"
        );
        let st = engine.state();
        let finished = !st.bricks.contains_key(&old);
        if !finished {
            assert_eq!(st.volumes.get(&v.info.id).unwrap().bricks[0], old);
        }
        assert_agree(&engine, &mock.nodes());
        assert_sets_distinct(&engine);
        drop(engine);
        std::fs::remove_dir_all(&dir).unwrap();
    }
    assert_eq!(
        outcomes.len(),
        2,
        "both roll back and roll forward seen: {outcomes:?}"
    );
}

#[tokio::test]
async fn a_crash_during_a_device_removal_keeps_progress_and_it_can_resume() {
    let dir = temp_dir("remove-crash");
    let path = dir.join("db.redb");
    let b = bed_with(EngineOptions::with_file(&path), 4, 1).await;
    for size in [3, 5, 8] {
        b.engine.create_volume(replica(size, 3)).await.unwrap();
    }
    let st = b.engine.state();
    let dev = st
        .devices
        .iter()
        .find(|(_, d)| d.bricks.len() == 3)
        .map(|(id, _)| id.clone())
        .unwrap();
    b.engine.set_device_state(&dev, "offline").await.unwrap();
    let mock = b.mock.clone();
    // Hang at the second brick's replace-brick.
    let seen = std::sync::atomic::AtomicU32::new(0);
    mock.faults().fail_matching(
        move |_, c| {
            c.contains("replace-brick")
                && seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1
        },
        Fault::Hang,
        true,
    );
    let fut = b.engine.begin_device_state(&dev, "failed").unwrap();
    let engine = b.engine.clone();
    let task = tokio::spawn(fut);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pending = engine.pending_operations().pendingoperations;
    let parent = pending
        .iter()
        .find(|p| p.type_name == "remove-device")
        .expect("one remove-device operation")
        .clone();
    assert_eq!(parent.sub_status, "in-flight");
    assert!(pending.iter().any(|p| p.type_name == "evict-brick"));
    let details = engine.pending_operation(&parent.id).unwrap();
    let progress = details.progress.expect("progress of a removal");
    assert_eq!((progress.bricks_done, progress.bricks_total), (1, 3));
    assert!(
        details
            .changes
            .iter()
            .any(|c| c.description == "Performing child operation")
    );
    task.abort();
    let _ = task.await;
    drop(engine);
    drop(b.engine);
    mock.faults().clear();
    let engine = reopen(&path, &mock).await;
    let report = engine.recovery_report();
    let types: BTreeSet<&str> = report
        .operations
        .iter()
        .map(|o| o.type_name.as_str())
        .collect();
    assert!(types.contains("remove-device"), "{report:?}");
    assert_agree(&engine, &mock.nodes());
    let st = engine.state();
    assert!(st.pending.is_empty());
    assert_eq!(
        st.devices[&dev].bricks.len(),
        2,
        "one brick moved before the crash"
    );
    assert_eq!(st.devices[&dev].state, brickyard::api::EntryState::Offline);
    // Running the removal again moves the rest.
    engine.set_device_state(&dev, "failed").await.unwrap();
    assert!(engine.state().devices[&dev].bricks.is_empty());
    assert_agree(&engine, &mock.nodes());
    assert_sets_distinct(&engine);
    drop(engine);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn resync_counts_stray_space_once() {
    let b = bed(3, 1).await;
    b.engine.create_volume(replica(5, 3)).await.unwrap();
    let st = b.engine.state();
    let (dev_id, dev) = st.devices.iter().next().unwrap();
    let host = manage_of(&st, &dev.node_id);
    let before = dev.info.storage;
    // Resync of an untouched device changes nothing (no double counting of bricks).
    b.engine.resync_device(dev_id).await.unwrap();
    assert_eq!(b.engine.state().devices[dev_id].info.storage, before);
    // Something else takes 1 GiB of the volume group.
    let out = b.mock.mock().run_command(
        &host,
        &format!(
            "/usr/sbin/lvm lvcreate -qq --autobackup=n --poolmetadatasize 8192K --chunksize 256K --size 1048576K --thin vg_{dev_id}/tp_stray --virtualsize 1048576K --name stray"
        ),
    );
    assert!(out.success(), "{out:?}");
    b.engine.resync_device(dev_id).await.unwrap();
    let after = b.engine.state().devices[dev_id].info.storage;
    assert_eq!(after.total, before.total);
    assert_eq!(after.free, before.free - 1048576 - 8192);
    assert_eq!(after.used, after.total - after.free);
    // A second resync finds the same.
    b.engine.resync_device(dev_id).await.unwrap();
    assert_eq!(b.engine.state().devices[dev_id].info.storage, after);
    assert!(b.engine.check().is_ok());
}

#[tokio::test]
async fn device_replace_moves_bricks_to_the_new_device_and_retires_the_old() {
    let b = bed(4, 1).await;
    for size in [3, 5] {
        b.engine.create_volume(replica(size, 3)).await.unwrap();
    }
    let st = b.engine.state();
    let (old, dev) = st
        .devices
        .iter()
        .find(|(_, d)| d.bricks.len() == 2)
        .map(|(id, d)| (id.clone(), d.clone()))
        .unwrap();
    let new = b
        .engine
        .replace_device(&old, "/dev/sdc", HealCheck::Enable)
        .await
        .unwrap();
    assert_eq!(new.info.name, "/dev/sdc");
    let st = b.engine.state();
    assert!(!st.devices.contains_key(&old), "old device deleted");
    assert_eq!(st.devices[&new.info.id].node_id, dev.node_id);
    // The empty fourth node had as much room: the new device was preferred.
    assert_eq!(st.devices[&new.info.id].bricks.len(), 2);
    assert_agree(&b.engine, &b.mock.nodes());
    assert_sets_distinct(&b.engine);
    // Same name again: refused before anything runs.
    let err = b
        .engine
        .replace_device(&new.info.id, "/dev/sdc", HealCheck::Enable)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn an_interrupted_device_replace_resumes_when_run_again() {
    let dir = temp_dir("replace-crash");
    let path = dir.join("db.redb");
    let b = bed_with(EngineOptions::with_file(&path), 3, 1).await;
    for size in [3, 5, 8] {
        b.engine.create_volume(replica(size, 3)).await.unwrap();
    }
    let old = b.engine.state().devices.keys().next().unwrap().clone();
    let mock = b.mock.clone();
    let seen = std::sync::atomic::AtomicU32::new(0);
    mock.faults().fail_matching(
        move |_, c| {
            c.contains("replace-brick")
                && seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1
        },
        Fault::Hang,
        true,
    );
    let fut = b
        .engine
        .begin_device_replace(&old, "/dev/sdc", HealCheck::Enable)
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(500), fut)
            .await
            .is_err()
    );
    drop(b.engine);
    mock.faults().clear();
    let engine = reopen(&path, &mock).await;
    assert_agree(&engine, &mock.nodes());
    assert_eq!(engine.state().devices[&old].bricks.len(), 2);
    let new = engine
        .replace_device(&old, "/dev/sdc", HealCheck::Enable)
        .await
        .unwrap();
    let st = engine.state();
    assert!(!st.devices.contains_key(&old));
    assert_eq!(st.devices[&new.info.id].bricks.len(), 3);
    assert_eq!(
        st.devices
            .values()
            .filter(|d| d.info.name == "/dev/sdc")
            .count(),
        1,
        "the new device was reused, not added twice"
    );
    assert_agree(&engine, &mock.nodes());
    assert_sets_distinct(&engine);
    drop(engine);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn node_replace_adds_the_new_node_in_the_old_zone_and_retires_the_old() {
    let b = bed(3, 1).await;
    for size in [3, 5] {
        b.engine.create_volume(replica(size, 3)).await.unwrap();
    }
    let st = b.engine.state();
    let old = st.nodes.keys().next().unwrap().clone();
    let zone = st.nodes[&old].info.zone;
    let req = brickyard::engine::NodeReplaceRequest {
        hostnames: brickyard::api::HostAddresses {
            manage: vec!["10.0.0.9".into()],
            storage: vec!["10.0.0.9".into()],
        },
        devices: vec!["/dev/sdb".into(), "/dev/sdc".into()],
    };
    let new = b
        .engine
        .replace_node(&old, req, HealCheck::Enable)
        .await
        .unwrap();
    let st = b.engine.state();
    assert!(!st.nodes.contains_key(&old));
    assert_eq!(new.info.zone, zone);
    assert_eq!(st.nodes[&new.info.id].devices.len(), 2);
    let on_new: usize = st.nodes[&new.info.id]
        .devices
        .iter()
        .map(|d| st.devices[d].bricks.len())
        .sum();
    assert_eq!(on_new, 2, "both volumes have a brick on the new node");
    assert_agree(&b.engine, &b.mock.nodes());
    assert_sets_distinct(&b.engine);
}

#[tokio::test]
async fn a_dead_node_is_removed_and_its_bricks_rebuilt_elsewhere() {
    let b = bed(4, 1).await;
    let v = b.engine.create_volume(replica(5, 3)).await.unwrap();
    let st = b.engine.state();
    let old_brick = st.volumes.get(&v.info.id).unwrap().bricks[0].clone();
    let node = st.bricks.get(&old_brick).unwrap().info.node.clone();
    let host = manage_of(&st, &node);
    b.mock.faults().set_unreachable(&host, true);
    b.engine.set_node_state(&node, "offline").await.unwrap();
    b.engine.set_node_state(&node, "failed").await.unwrap();
    let st = b.engine.state();
    assert!(b.engine.check().is_ok());
    assert_sets_distinct(&b.engine);
    assert!(!st.bricks.contains_key(&old_brick));
    for d in &st.nodes[&node].devices {
        assert!(st.devices[d].bricks.is_empty());
    }
    // gluster has the records' bricks; only the dead node keeps its old LV.
    let view = nodes_view(&b.mock.nodes());
    let want: Vec<String> = st
        .volumes
        .get(&v.info.id)
        .unwrap()
        .bricks
        .iter()
        .map(|b| gluster_name(&st, b))
        .collect();
    assert_eq!(view.volumes[&v.info.request.name], want);
    let leftovers: Vec<_> = view.lvs.iter().filter(|(h, _, _)| *h == host).collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[tokio::test]
async fn device_remove_refuses_bricks_of_distribute_volumes() {
    let b = bed(3, 2).await;
    let mut dist = replica(2, 1);
    dist.durability.kind = "none".into();
    let v = b.engine.create_volume(dist).await.unwrap();
    let st = b.engine.state();
    let dev = st
        .bricks
        .get(&st.volumes.get(&v.info.id).unwrap().bricks[0])
        .unwrap()
        .info
        .device
        .clone();
    b.engine.set_device_state(&dev, "offline").await.unwrap();
    let records = b.engine.state();
    let err = b.engine.set_device_state(&dev, "failed").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Unable to remove device [{dev}]: replace brick is not supported for volume durability type none"
        )
    );
    assert_eq!(b.engine.state(), records);
}
