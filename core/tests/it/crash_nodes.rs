//! Crashes in the middle of node and device adds and deletes: the next open undoes the
//! add or finishes the delete on the nodes, so that records and nodes agree exactly
//! (`compare_records_with_nodes`). Each crash is a command that never answers
//! (`Fault::Hang`) and the engine dropped while it waits; what the command would have
//! done before the crash is done by hand.

use std::sync::Arc;
use std::time::Duration;

use brickyard::api::{DeviceAddRequest, HostAddresses, NodeAddRequest};
use brickyard::engine::CleanupOutcome;
use brickyard::executor::{Executor, Fault, FaultyMockExecutor, Host, compare_records_with_nodes};
use brickyard::{Engine, EngineOptions};

use crate::harness::*;

/// Starts `op`, waits until the command matching `hang_at` hangs (the pending
/// operation is recorded and `hang_at` is the next command), then drops everything.
async fn cut_at<Fut>(engine: Engine, mock: &Arc<FaultyMockExecutor>, hang_at: &'static str, op: Fut)
where
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let task = spawn_until_hung(mock, hang_at, op).await;
    assert_eq!(
        engine.state().pending.len(),
        1,
        "the operation is recorded as pending"
    );
    task.abort();
    let _ = task.await;
    drop(engine); // the process is gone
    mock.faults().clear();
}

/// Makes the next command containing `hang_at` hang, starts `op`, and returns its task
/// once that command is hanging.
async fn spawn_until_hung<Fut>(
    mock: &Arc<FaultyMockExecutor>,
    hang_at: &'static str,
    op: Fut,
) -> tokio::task::JoinHandle<Fut::Output>
where
    Fut: std::future::Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let reached = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = reached.clone();
    mock.faults().fail_matching(
        move |_, c| {
            let hit = c.contains(hang_at);
            if hit {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            hit
        },
        Fault::Hang,
        true,
    );
    let task = tokio::spawn(op);
    for _ in 0..2000 {
        if reached.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!(
        reached.load(std::sync::atomic::Ordering::SeqCst),
        "{hang_at} never ran"
    );
    task
}

fn assert_exact(engine: &Engine, mock: &FaultyMockExecutor) {
    let diff = compare_records_with_nodes(&engine.state(), &mock.nodes());
    assert!(
        diff.is_empty(),
        "records and nodes differ:\n{}",
        diff.join("\n")
    );
    assert!(engine.check().is_ok(), "{:?}", engine.check());
    assert!(engine.state().pending.is_empty());
}

fn one_outcome(engine: &Engine, type_name: &str) -> CleanupOutcome {
    let report = engine.recovery_report();
    assert_eq!(report.operations.len(), 1, "{report:?}");
    assert_eq!(report.operations[0].type_name, type_name);
    report.operations[0].outcome.clone()
}

/// The last node of the bed with its one device deleted and the node offline: ready to
/// be deleted.
async fn emptied_offline_node(engine: &Engine, st: &brickyard::state::State) -> String {
    let node = st.nodes.keys().last().unwrap().clone();
    let dev = st.nodes[&node].devices[0].clone();
    engine.set_device_state(&dev, "offline").await.unwrap();
    engine.set_device_state(&dev, "failed").await.unwrap();
    engine.delete_device(&dev, false).await.unwrap();
    engine.set_node_state(&node, "offline").await.unwrap();
    node
}

fn host(engine: &Engine, node: &str) -> Host {
    let n = &engine.state().nodes[node];
    Host::new(&n.info.hostnames.manage[0], &n.info.hostnames.storage[0])
}

#[tokio::test]
async fn a_device_add_cut_after_pvcreate_is_torn_down_at_open() {
    let dir = temp_dir("crash-devadd");
    let path = dir.join("db.redb");
    let b = bed_with(EngineOptions::with_file(&path), 3, 1).await;
    let before = b.mock.nodes();
    let records = b.engine.state();
    let node = records.nodes.keys().next().unwrap().clone();
    let manage = host(&b.engine, &node).manage;
    let e = b.engine.clone();
    cut_at(b.engine, &b.mock, "vgcreate", async move {
        let _ = e
            .add_device(DeviceAddRequest {
                node,
                name: "/dev/sdx".into(),
                ..Default::default()
            })
            .await;
    })
    .await;
    let pvs = b.mock.mock().node(&manage).unwrap().pvs;
    assert!(
        pvs.iter().any(|p| p.device == "/dev/sdx"),
        "pvcreate ran: {pvs:?}"
    );
    let engine = reopen(&path, &b.mock).await;
    assert_eq!(
        one_outcome(&engine, "add-device"),
        CleanupOutcome::RolledBack
    );
    assert_eq!(b.mock.nodes(), before, "no PV left");
    assert_eq!(engine.state(), records);
    assert_exact(&engine, &b.mock);
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_node_add_cut_after_the_probe_is_detached_at_open() {
    let dir = temp_dir("crash-nodeadd");
    let path = dir.join("db.redb");
    let b = bed_with(EngineOptions::with_file(&path), 3, 1).await;
    let records = b.engine.state();
    let cluster = records.clusters.keys().next().unwrap().clone();
    let first = host(&b.engine, records.nodes.keys().next().unwrap());
    let new = Host::new("10.0.0.9", "10.0.0.9");
    let e = b.engine.clone();
    let n = new.clone();
    cut_at(b.engine, &b.mock, "peer probe", async move {
        let _ = e
            .add_node(NodeAddRequest {
                zone: 1,
                cluster,
                hostnames: HostAddresses {
                    manage: vec![n.manage.clone()],
                    storage: vec![n.storage.clone()],
                },
                ..Default::default()
            })
            .await;
    })
    .await;
    // The probe was answered before the crash.
    b.mock.peer_probe(&first, &new).await.unwrap();
    assert!(!compare_records_with_nodes(&records, &b.mock.nodes()).is_empty());
    let engine = reopen(&path, &b.mock).await;
    assert_eq!(one_outcome(&engine, "add-node"), CleanupOutcome::RolledBack);
    assert_eq!(engine.state(), records);
    assert_exact(&engine, &b.mock);
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_device_delete_cut_after_vgremove_is_finished_at_open() {
    let dir = temp_dir("crash-devdel");
    let path = dir.join("db.redb");
    let b = bed_with(EngineOptions::with_file(&path), 3, 2).await;
    let st = b.engine.state();
    let (dev, d) = st.devices.iter().next().unwrap();
    let (dev, name, node) = (dev.clone(), d.info.name.clone(), d.node_id.clone());
    b.engine.set_device_state(&dev, "offline").await.unwrap();
    b.engine.set_device_state(&dev, "failed").await.unwrap();
    let e = b.engine.clone();
    let h = host(&b.engine, &node);
    let d2 = dev.clone();
    cut_at(b.engine, &b.mock, "pvremove", async move {
        let _ = e.delete_device(&d2, false).await;
    })
    .await;
    assert!(
        b.mock
            .mock()
            .node(&h.manage)
            .unwrap()
            .vg(&format!("vg_{dev}"))
            .is_none()
    );
    let engine = reopen(&path, &b.mock).await;
    assert_eq!(
        one_outcome(&engine, "delete-device"),
        CleanupOutcome::RolledForward
    );
    assert!(!engine.state().devices.contains_key(&dev));
    let pvs = b.mock.mock().node(&h.manage).unwrap().pvs;
    assert!(pvs.iter().all(|p| p.device != name), "{pvs:?}");
    assert_exact(&engine, &b.mock);
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_node_delete_cut_at_the_detach_is_finished_at_open() {
    let dir = temp_dir("crash-nodedel");
    let path = dir.join("db.redb");
    let b = bed_with(EngineOptions::with_file(&path), 4, 1).await;
    let st = b.engine.state();
    let node = emptied_offline_node(&b.engine, &st).await;
    let target = host(&b.engine, &node);
    let from = host(&b.engine, st.nodes.keys().next().unwrap());
    let e = b.engine.clone();
    let n2 = node.clone();
    cut_at(b.engine, &b.mock, "peer detach", async move {
        let _ = e.delete_node(&n2).await;
    })
    .await;
    // The detach was done before the crash.
    b.mock.peer_detach(&from, &target).await.unwrap();
    let engine = reopen(&path, &b.mock).await;
    assert_eq!(
        one_outcome(&engine, "delete-node"),
        CleanupOutcome::RolledForward
    );
    assert!(!engine.state().nodes.contains_key(&node));
    assert_exact(&engine, &b.mock);
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A node delete and a device add on the same node exclude each other while either
/// runs (the crash test once found a device recorded on a node that a concurrent
/// delete had detached from the pool); and a delete-node left pending by a process
/// that died after a device reached the node is undone at the next open: the node is
/// probed back into the pool and keeps its device.
#[tokio::test]
async fn a_node_delete_and_a_device_add_on_its_node_exclude_each_other() {
    let dir = temp_dir("crash-nodedel-devadd");
    let path = dir.join("db.redb");
    let b = bed_with(EngineOptions::with_file(&path), 4, 1).await;
    let st = b.engine.state();
    let node = emptied_offline_node(&b.engine, &st).await;
    let add = |name: &str| DeviceAddRequest {
        node: node.clone(),
        name: name.into(),
        ..Default::default()
    };

    // A device add in progress: the delete is refused, before any command.
    let e = b.engine.clone();
    let req = add("/dev/sdx");
    let adding =
        spawn_until_hung(&b.mock, "pvcreate", async move { e.add_device(req).await }).await;
    let err = b.engine.delete_node(&node).await.unwrap_err();
    assert_eq!(err.kind(), brickyard::ErrorKind::Conflict, "{err}");
    assert!(err.to_string().contains("a device is being added"), "{err}");
    adding.abort();
    let _ = adding.await;
    b.mock.faults().clear();
    // The aborted add's pending operation is undone by the next open; here, by hand.
    let pending: Vec<String> = b.engine.state().pending.keys().cloned().collect();
    assert_eq!(pending.len(), 1);
    b.engine.cleanup_pending(None).await.unwrap();
    assert!(b.engine.state().pending.is_empty());

    // A node delete in progress: a device add on the node is refused.
    let target = host(&b.engine, &node);
    let from = host(&b.engine, st.nodes.keys().next().unwrap());
    let e = b.engine.clone();
    let n2 = node.clone();
    cut_at(b.engine.clone(), &b.mock, "peer detach", async move {
        let _ = e.delete_node(&n2).await;
    })
    .await;
    // `cut_at` dropped the delete: its hold on the node went with it, but its
    // pending operation stays, as after a crash. The detach was done.
    b.mock.peer_detach(&from, &target).await.unwrap();
    let records = b.engine.state();
    assert_eq!(records.pending.len(), 1);
    // What the crash test met: a device reached the node meanwhile.
    b.engine.add_device(add("/dev/sdy")).await.unwrap();
    drop(b.engine);
    let engine = reopen(&path, &b.mock).await;
    assert_eq!(
        one_outcome(&engine, "delete-node"),
        CleanupOutcome::RolledBack
    );
    assert_eq!(engine.state().nodes[&node].devices.len(), 1);
    assert_exact(&engine, &b.mock);
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}

/// While a node delete waits on its detach, a device add on that node is refused.
#[tokio::test]
async fn a_device_add_is_refused_while_its_node_is_being_deleted() {
    let b = bed(4, 1).await;
    let st = b.engine.state();
    let node = emptied_offline_node(&b.engine, &st).await;
    let e = b.engine.clone();
    let n2 = node.clone();
    let deleting = spawn_until_hung(
        &b.mock,
        "peer detach",
        async move { e.delete_node(&n2).await },
    )
    .await;
    let before = b.mock.nodes();
    let err = b
        .engine
        .add_device(DeviceAddRequest {
            node: node.clone(),
            name: "/dev/sdz".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), brickyard::ErrorKind::Conflict, "{err}");
    assert_eq!(err.to_string(), format!("Node {node} is being deleted"));
    assert_eq!(b.mock.nodes(), before, "no command ran");
    // A second delete of the same node is refused too.
    let err = b.engine.delete_node(&node).await.unwrap_err();
    assert_eq!(err.kind(), brickyard::ErrorKind::Conflict, "{err}");
    deleting.abort();
    let _ = deleting.await;
    b.mock.faults().clear();
}

/// The comparison itself: agreement is empty; a leaked LV, a lost mount, a stray fstab
/// line and a gluster volume on one side only are each listed, and so is inexact
/// accounting.
#[tokio::test]
async fn records_against_nodes_lists_every_item_on_one_side_only() {
    let b = bed(3, 1).await;
    let vol = b.engine.create_volume(replica(1, 3)).await.unwrap();
    assert_exact(&b.engine, &b.mock);
    let st = b.engine.state();
    let brick = &st.bricks.get(&vol.bricks[0].id).unwrap();
    let manage = host(&b.engine, &brick.info.node).manage;
    let m = b.mock.mock();
    let vg = format!("vg_{}", brick.info.device);
    let leak = m.run_command(
        &manage,
        &format!("/usr/sbin/lvm lvcreate -qq --autobackup=n --poolmetadatasize 8192K --chunksize 256K --size 1048576K --thin {vg}/tp_leak --virtualsize 1048576K --name brick_leak"),
    );
    assert_eq!(leak.exit_status, 0, "{leak:?}");
    let mount_dir = brick.info.path.trim_end_matches("/brick").to_string();
    let out = m.run_command(&manage, &format!("umount {mount_dir}"));
    assert_eq!(out.exit_status, 0, "{out:?}");
    let diff = compare_records_with_nodes(&st, &b.mock.nodes());
    let has = |side: &str, what: &str| diff.iter().any(|l| l.starts_with(side) && l.contains(what));
    assert!(has("only on the nodes", "thin pool"), "{diff:#?}");
    assert!(has("only on the nodes", "brick_leak"), "{diff:#?}");
    assert!(
        has("only in the records", &format!("mount /dev/mapper/{vg}")),
        "{diff:#?}"
    );
    assert_eq!(diff.len(), 3, "{diff:#?}");

    // A gluster volume the records do not know, and accounting that is off.
    let mut other = st.clone();
    other.volumes = Default::default();
    let diff = compare_records_with_nodes(&other, &b.mock.nodes());
    assert!(
        has_line(&diff, "only on the nodes: gluster volume"),
        "{diff:#?}"
    );
    let mut skewed = st.clone();
    let dev = skewed.devices.values_mut().next().unwrap();
    dev.info.storage.free -= 4096;
    let diff = brickyard::executor::accounting_errors(&skewed);
    assert!(has_line(&diff, "total"), "{diff:#?}");
}

fn has_line(lines: &[String], what: &str) -> bool {
    lines.iter().any(|l| l.contains(what))
}
