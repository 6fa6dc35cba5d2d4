//! Storage faults: the database's disk fails a write, a sync or an allocation (ENOSPC,
//! EIO) in the middle of operations. The engine answers the operation with a store
//! error, refuses further writes with a clear error, keeps answering reads (with the
//! durable state), and after a reopen has lost no acknowledged operation; pending
//! operations are cleaned and records and nodes agree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use brickyard::api::{DeviceAddRequest, HostAddresses, NodeAddRequest};
use brickyard::engine::{CleanupOutcome, HealCheck};
use brickyard::executor::{Executor, FaultyMockExecutor};
use brickyard::store::{EIO, ENOSPC, FaultyBackend, StorageFaults, StorageOp, Store};
use brickyard::{Engine, EngineOptions, ErrorKind};

use crate::harness::*;

/// What the acknowledged operations say the records hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Model {
    /// volume name → size (GiB)
    volumes: BTreeMap<String, i64>,
    /// manage hostnames
    nodes: BTreeSet<String>,
    /// (manage hostname, device name)
    devices: BTreeSet<(String, String)>,
}

impl Model {
    fn of(engine: &Engine) -> Model {
        let st = engine.state();
        let mut m = Model::default();
        for v in st.volumes.values() {
            if !v.pending.is_pending() {
                m.volumes
                    .insert(v.info.request.name.clone(), v.info.request.size);
            }
        }
        for n in st.nodes.values() {
            m.nodes.insert(n.info.hostnames.manage[0].clone());
        }
        for d in st.devices.values() {
            let host = st.nodes[&d.node_id].info.hostnames.manage[0].clone();
            m.devices.insert((host, d.info.name.clone()));
        }
        m
    }
}

#[derive(Clone, Debug)]
enum Op {
    Create(&'static str, i64, i64),
    Expand(&'static str, i64),
    Delete(&'static str),
    AddNode(&'static str),
    AddDevice(&'static str, &'static str),
    /// Evicts the volume's first brick (a day-2 brick replacement).
    EvictBrick(&'static str),
    /// Sets the state of the device of the volume's first brick (`failed` removes it:
    /// its bricks move away).
    DeviceState(&'static str, &'static str),
}

/// The scripted sequence every fault point is injected into.
const SCRIPT: &[Op] = &[
    Op::Create("a", 2, 3),
    Op::Create("b", 1, 3),
    Op::Expand("a", 1),
    Op::AddNode("10.0.0.5"),
    Op::AddDevice("10.0.0.5", "/dev/sdb"),
    Op::Delete("b"),
    Op::Create("c", 1, 2),
    Op::Delete("a"),
];

impl Op {
    /// Has a Build step whose commit comes before any node command.
    /// Node and device adds record a pending operation before their node commands
    /// too (`engine/intents.rs`), whose cleanup undoes a probe or a device setup that
    /// was never recorded.
    fn has_build(&self) -> bool {
        matches!(
            self,
            Op::Create(..)
                | Op::Expand(..)
                | Op::Delete(..)
                | Op::EvictBrick(..)
                | Op::DeviceState(..)
                | Op::AddNode(..)
                | Op::AddDevice(..)
        )
    }

    /// The model after this operation succeeded.
    fn apply(&self, m: &Model) -> Model {
        let mut m = m.clone();
        match self {
            Op::Create(name, size, _) => {
                m.volumes.insert(name.to_string(), *size);
            }
            Op::Expand(name, by) => *m.volumes.get_mut(*name).unwrap() += by,
            Op::Delete(name) => {
                m.volumes.remove(*name);
            }
            Op::AddNode(host) => {
                m.nodes.insert(host.to_string());
            }
            Op::AddDevice(host, dev) => {
                m.devices.insert((host.to_string(), dev.to_string()));
            }
            Op::EvictBrick(_) | Op::DeviceState(..) => {}
        }
        m
    }

    /// The volume the operation changes, if any.
    fn volume(&self) -> Option<&'static str> {
        match self {
            Op::Create(name, ..)
            | Op::Expand(name, _)
            | Op::Delete(name)
            | Op::EvictBrick(name)
            | Op::DeviceState(name, _) => Some(name),
            _ => None,
        }
    }

    /// Runs the operation; a `retry` of a device add wipes what an earlier attempt may
    /// have left on the disk.
    async fn run(&self, engine: &Engine, retry: bool) -> brickyard::Result<()> {
        let st = engine.state();
        let volume_id = |name: &str| {
            engine
                .volume_by_name(name)
                .map(|v| v.info.id)
                .unwrap_or_else(|| panic!("volume {name} exists"))
        };
        match self {
            Op::Create(name, size, r) => {
                let mut req = replica(*size, *r);
                req.name = name.to_string();
                engine.create_volume(req).await.map(|_| ())
            }
            Op::Expand(name, by) => engine
                .expand_volume(&volume_id(name), *by)
                .await
                .map(|_| ()),
            Op::Delete(name) => engine.delete_volume(&volume_id(name)).await,
            Op::EvictBrick(name) => {
                let id = volume_id(name);
                let brick = st.volumes.get(&id).unwrap().bricks[0].clone();
                engine.evict_brick(&brick, HealCheck::Enable).await
            }
            Op::DeviceState(name, state) => {
                let id = volume_id(name);
                let brick = &st
                    .bricks
                    .get(&st.volumes.get(&id).unwrap().bricks[0])
                    .unwrap();
                engine.set_device_state(&brick.info.device, state).await
            }
            Op::AddNode(host) => engine
                .add_node(NodeAddRequest {
                    zone: 2,
                    hostnames: HostAddresses {
                        manage: vec![host.to_string()],
                        storage: vec![host.to_string()],
                    },
                    cluster: st.clusters.keys().next().unwrap().clone(),
                    tags: Default::default(),
                })
                .await
                .map(|_| ()),
            Op::AddDevice(host, dev) => {
                let node = st
                    .nodes
                    .values()
                    .find(|n| n.info.hostnames.manage[0] == *host)
                    .map(|n| n.info.id.clone())
                    .unwrap_or_else(|| panic!("node {host} exists"));
                engine
                    .add_device(DeviceAddRequest {
                        name: dev.to_string(),
                        node,
                        destroydata: retry,
                        ..Default::default()
                    })
                    .await
                    .map(|_| ())
            }
        }
    }
}

/// Opens an engine on `path` through a fault-injecting backend controlled by `faults`.
async fn open_faulty(
    path: &Path,
    mock: &Arc<FaultyMockExecutor>,
    faults: &StorageFaults,
) -> Engine {
    let backend = FaultyBackend::open(path, faults.clone()).expect("database file opens");
    let store = Store::with_backend(path, backend).expect("store opens");
    Engine::open_with_store(
        EngineOptions::with_file(path),
        mock.clone() as Arc<dyn Executor>,
        store,
    )
    .await
    .expect("engine opens")
}

/// The text the OS gives `errno`, as it appears inside the store error.
fn os_text(errno: i32) -> String {
    let s = std::io::Error::from_raw_os_error(errno).to_string();
    s.split(" (os error").next().unwrap().to_string()
}

/// After the first failure: further writes are refused with a clear error, reads answer
/// the durable state (the acknowledged operations, nothing that was lost).
async fn check_poisoned(engine: &Engine, errno: i32, acked: &Model, failed: &Op) {
    let mut req = replica(1, 3);
    req.name = "refused".into();
    let err = engine
        .create_volume(req)
        .await
        .expect_err("a write after a failed commit is refused");
    assert_eq!(err.kind(), ErrorKind::Store, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("an earlier write to the database failed")
            && text.contains("writes are refused until Brickyard is restarted")
            && text.contains(&os_text(errno)),
        "{text}"
    );
    // Reads still answer.
    let list = engine.volume_list();
    for (name, size) in &acked.volumes {
        if failed.volume() == Some(name.as_str()) {
            // Being deleted or expanded, as far as the durable state knows.
            continue;
        }
        let v = engine
            .volume_by_name(name)
            .unwrap_or_else(|| panic!("acknowledged volume {name} readable"));
        assert!(list.volumes.contains(&v.info.id));
        assert_eq!(v.info.request.size, *size, "volume {name}");
    }
    assert!(engine.check().is_ok(), "{:?}", engine.check());
}

/// One run of the script with a fault armed; returns whether the fault fired.
async fn run_with_fault(
    script: &[Op],
    kind: StorageOp,
    k: u64,
    errno: i32,
    torn: bool,
    stats: &mut Stats,
) -> bool {
    let dir = temp_dir("storefault");
    let path = dir.join("db.redb");
    let faults = StorageFaults::new();
    let mock = Arc::new(FaultyMockExecutor::new());
    let engine = open_faulty(&path, &mock, &faults).await;
    let report = engine.apply_topology(&topology(4, 2)).await.unwrap();
    assert_eq!(report.failed(), 0);

    let mut acked = Model::of(&engine);
    let mut failed: Option<(Op, Model)> = None;
    if torn {
        faults.fail_nth_write_torn(k, errno);
    } else {
        faults.fail_nth(kind, k, errno);
    }
    for op in script {
        let before_state = engine.state();
        let before_nodes = nodes_view(&mock.nodes());
        let before_cmds = mock.commands().len();
        match op.run(&engine, false).await {
            Ok(()) => {
                acked = op.apply(&acked);
                stats.acked += 1;
            }
            Err(e) => {
                assert!(faults.tripped(), "{op:?} failed without a fault: {e}");
                assert_eq!(e.kind(), ErrorKind::Store, "{op:?}: {e}");
                let text = e.to_string();
                assert!(
                    text.contains("writing to the database failed")
                        && text.contains("this change was not saved")
                        && text.contains(&os_text(errno)),
                    "{op:?}: {text}"
                );
                // Memory is back at the durable state.
                let after = engine.state();
                if op.has_build() && after == before_state {
                    // The Build commit failed: nothing ran on a node.
                    assert_eq!(mock.commands().len(), before_cmds, "{op:?}: commands ran");
                    assert_eq!(nodes_view(&mock.nodes()), before_nodes);
                    stats.build_failed += 1;
                } else if op.has_build() {
                    // A later commit failed after node commands: the pending operation
                    // (a device removal: it and the brick move it was at) stays for the
                    // cleaner at the next open.
                    assert!(
                        (1..=2).contains(&after.pending.len()),
                        "{op:?}: {:?}",
                        after.pending
                    );
                    stats.finalize_failed += 1;
                } else {
                    assert_eq!(after, before_state, "{op:?}");
                    stats.single_failed += 1;
                }
                failed = Some((op.clone(), acked.clone()));
                break;
            }
        }
    }
    let fired = faults.failures() > 0;
    if let Some((op, acked_before)) = &failed {
        check_poisoned(&engine, errno, acked_before, op).await;
        stats.points += 1;
        // The disk is back: reopen.
        drop(engine);
        faults.heal();
        let engine = open_faulty(&path, &mock, &faults).await;
        let st = engine.state();
        assert!(st.pending.is_empty(), "pending left: {:?}", st.pending);
        for cleaned in engine.recovery_report().operations {
            match cleaned.outcome {
                CleanupOutcome::RolledBack => stats.rolled_back += 1,
                CleanupOutcome::RolledForward => stats.rolled_forward += 1,
                CleanupOutcome::Failed(why) => panic!("cleanup at open failed: {why}"),
            }
        }
        let got = Model::of(&engine);
        let with_op = op.apply(acked_before);
        assert!(
            got == *acked_before || got == with_op,
            "{kind:?} #{k} during {op:?}: records after reopen {got:?}, acknowledged {acked_before:?}"
        );
        if got == with_op {
            stats.failed_but_durable += 1;
        }
        stats.checked += acked_before.volumes.len() + acked_before.nodes.len();
        assert_agree(&engine, &mock.nodes());
        // It works again: the failed operation can be retried, and more.
        if got != with_op {
            op.run(&engine, true)
                .await
                .unwrap_or_else(|e| panic!("{op:?} retried: {e}"));
        }
        let mut req = replica(1, 3);
        req.name = "after".into();
        engine
            .create_volume(req)
            .await
            .expect("create after reopen");
        assert_agree(&engine, &mock.nodes());
        drop(engine);
    } else {
        // No operation failed (the fault, if it fired at all, hit a write nothing
        // waited for): everything was acknowledged and is there after a reopen.
        assert_eq!(Model::of(&engine), acked);
        drop(engine);
        faults.heal();
        let engine = open_faulty(&path, &mock, &faults).await;
        assert_eq!(Model::of(&engine), acked, "{kind:?} #{k}: after reopen");
        assert!(engine.state().pending.is_empty());
        assert_agree(&engine, &mock.nodes());
        drop(engine);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    fired
}

#[derive(Debug, Default)]
struct Stats {
    points: usize,
    acked: usize,
    checked: usize,
    build_failed: usize,
    finalize_failed: usize,
    single_failed: usize,
    failed_but_durable: usize,
    /// Pending operations the reopen rolled back / forward.
    rolled_back: usize,
    rolled_forward: usize,
}

/// Fails the k-th call of `kind` for k = 1, 2, … until the script runs through without
/// reaching the k-th call.
async fn sweep(kind: StorageOp, errno: i32, torn: bool) -> Stats {
    sweep_script(SCRIPT, kind, errno, torn).await
}

async fn sweep_script(script: &[Op], kind: StorageOp, errno: i32, torn: bool) -> Stats {
    let mut stats = Stats::default();
    let mut k = 1;
    while run_with_fault(script, kind, k, errno, torn, &mut stats).await {
        k += 1;
        assert!(k < 2000, "the script never ends");
    }
    eprintln!("{kind:?} errno {errno} torn {torn}: {stats:?}");
    assert!(stats.points > 0, "no fault point was reached");
    stats
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failed_write_is_survived() {
    let s = sweep(StorageOp::Write, ENOSPC, false).await;
    assert!(s.build_failed > 0 && s.finalize_failed > 0, "{s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_torn_write_is_survived() {
    sweep(StorageOp::Write, EIO, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failed_sync_is_survived() {
    let s = sweep(StorageOp::Sync, EIO, false).await;
    assert!(s.build_failed > 0 && s.finalize_failed > 0, "{s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failed_write_and_sync_during_a_brick_eviction_is_survived() {
    let script = [
        Op::Create("d", 1, 3),
        Op::EvictBrick("d"),
        Op::EvictBrick("d"),
        Op::Delete("d"),
    ];
    let s = sweep_script(&script, StorageOp::Write, ENOSPC, false).await;
    assert!(s.build_failed > 0 && s.finalize_failed > 0, "{s:?}");
    sweep_script(&script, StorageOp::Sync, EIO, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failed_write_and_sync_during_a_device_removal_is_survived() {
    let script = [
        Op::Create("e", 1, 3),
        Op::Create("f", 1, 3),
        Op::DeviceState("e", "offline"),
        Op::DeviceState("e", "failed"),
        Op::Delete("e"),
    ];
    let s = sweep_script(&script, StorageOp::Write, ENOSPC, false).await;
    assert!(s.build_failed > 0 && s.finalize_failed > 0, "{s:?}");
    sweep_script(&script, StorageOp::Sync, EIO, false).await;
}

/// Volume names of the long script.
const MANY: [&str; 24] = [
    "m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10", "m11", "m12", "m13", "m14",
    "m15", "m16", "m17", "m18", "m19", "m20", "m21", "m22", "m23",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failed_allocation_is_survived() {
    // The file grows seldom: the short script and a long one that grows it more often.
    let short = sweep(StorageOp::SetLen, ENOSPC, false).await;
    let mut long: Vec<Op> = MANY.iter().map(|n| Op::Create(n, 1, 3)).collect();
    long.extend(MANY.iter().step_by(2).map(|n| Op::Expand(n, 1)));
    long.extend(MANY.iter().map(|n| Op::Delete(n)));
    let long = sweep_script(&long, StorageOp::SetLen, ENOSPC, false).await;
    assert!(short.points + long.points >= 2, "{short:?} {long:?}");
}

/// Every device's free space as the read model answers it.
fn device_free(engine: &Engine) -> BTreeMap<String, u64> {
    engine
        .state()
        .devices
        .keys()
        .map(|id| {
            let d = engine.device_info(id).expect("device readable");
            (id.clone(), d.info.storage.free)
        })
        .collect()
}

#[tokio::test]
async fn a_failed_commit_leaves_reads_at_the_durable_state() {
    let dir = temp_dir("storefault-reads");
    let path = dir.join("db.redb");
    let faults = StorageFaults::new();
    let mock = Arc::new(FaultyMockExecutor::new());
    let engine = open_faulty(&path, &mock, &faults).await;
    engine.apply_topology(&topology(3, 1)).await.unwrap();
    let mut req = replica(2, 3);
    req.name = "kept".into();
    let kept = engine.create_volume(req).await.unwrap();
    let before = engine.state();
    let free_before = device_free(&engine);
    let nodes_before = nodes_view(&mock.nodes());

    // The disk fills up during the next create's Build.
    faults.fail_nth(StorageOp::Write, 1, ENOSPC);
    let mut req = replica(5, 3);
    req.name = "lost".into();
    let err = engine.create_volume(req).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Store);
    assert!(err.to_string().contains("No space left on device"), "{err}");
    // Memory went back to what is on disk: no pending volume, no reservation.
    assert_eq!(
        engine.state(),
        before,
        "records in memory after the failure"
    );
    assert_eq!(device_free(&engine), free_before, "free space answered");
    assert_eq!(engine.volume_list().volumes, vec![kept.info.id.clone()]);
    assert!(engine.volume_by_name("lost").is_none());
    assert_eq!(
        nodes_view(&mock.nodes()),
        nodes_before,
        "nothing ran on a node"
    );

    drop(engine);
    faults.heal();
    let engine = open_faulty(&path, &mock, &faults).await;
    assert_eq!(
        engine.state(),
        before,
        "what was answered is what was durable"
    );
    assert_agree(&engine, &mock.nodes());
    drop(engine);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A size-limited tmpfs mounted for the life of the guard (unmounted on drop, even when
/// the test fails).
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = temp_dir("tmpfs");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Tmpfs { dir },
            Ok(o) => {
                let _ = std::fs::remove_dir(&dir);
                panic!(
                    "cannot mount a {size} tmpfs on {} for the full file system test (it needs root, as `make test` runs it): {}",
                    dir.display(),
                    String::from_utf8_lossy(&o.stderr).trim()
                )
            }
            Err(e) => {
                let _ = std::fs::remove_dir(&dir);
                panic!("cannot run mount for the full file system test: {e}")
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Writes `path` until the file system has no room left; returns the bytes written.
fn fill(path: &Path) -> u64 {
    use std::io::Write;
    let mut f = std::fs::File::create(path).expect("filler file");
    let mut written = 0;
    for chunk in [64 * 1024, 4096, 512, 1] {
        let buf = vec![0xa5u8; chunk];
        loop {
            match f.write(&buf) {
                Ok(0) => break,
                Ok(n) => written += n as u64,
                Err(e) if e.raw_os_error() == Some(ENOSPC) => break,
                Err(e) => panic!("filling {}: {e}", path.display()),
            }
        }
    }
    let _ = f.sync_all();
    written
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_file_system_is_survived_and_recovered_from() {
    let fs = Tmpfs::mount("8m");
    let path = fs.dir.join("db.redb");
    let filler = fs.dir.join("filler");
    let options = || EngineOptions {
        max_volumes_per_cluster: -1,
        ..EngineOptions::with_file(&path)
    };
    let mock = Arc::new(FaultyMockExecutor::new());
    let engine = Engine::open(options(), mock.clone() as Arc<dyn Executor>)
        .await
        .unwrap();
    engine.apply_topology(&topology(6, 4)).await.unwrap();
    // The filler takes all the free space but 256 KiB, so that a few creates fit.
    let filled = fill(&filler);
    assert!(filled > 256 * 1024, "the filler took the free space");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .and_then(|f| f.set_len(filled - 256 * 1024))
        .unwrap();

    // Create volumes until the database cannot grow any more.
    let mut acked: BTreeMap<String, String> = BTreeMap::new();
    let mut failure = None;
    for i in 0..5000 {
        let mut req = replica(1, 3);
        req.name = format!("v{i}");
        match engine.create_volume(req).await {
            Ok(v) => {
                acked.insert(v.info.request.name.clone(), v.info.id.clone());
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let err = failure.expect("a create failed once the file system was full");
    assert_eq!(err.kind(), ErrorKind::Store, "{err}");
    assert!(
        err.to_string().contains("No space left on device")
            && err.to_string().contains("this change was not saved"),
        "{err}"
    );
    eprintln!(
        "full file system: {} volumes created, then: {err}",
        acked.len()
    );
    assert!(
        !acked.is_empty(),
        "some creates fitted in the database file"
    );
    check_poisoned(
        &engine,
        ENOSPC,
        &Model {
            volumes: acked.keys().map(|n| (n.clone(), 1)).collect(),
            ..Model::default()
        },
        &Op::AddNode("none"),
    )
    .await;

    // Restarted while the file system is still full: it opens with everything
    // acknowledged (nothing to clean, or the cleanup fails cleanly), or refuses with the
    // storage error; never anything else.
    drop(engine);
    match Engine::open(options(), mock.clone() as Arc<dyn Executor>).await {
        Ok(engine) => {
            for name in acked.keys() {
                assert!(engine.volume_by_name(name).is_some(), "{name} lost");
            }
            eprintln!("full file system: reopened while full");
            drop(engine);
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Store, "{e}");
            assert!(e.to_string().contains("No space left on device"), "{e}");
            eprintln!("full file system: reopening while full: {e}");
        }
    }
    // Space is freed; Brickyard is restarted.
    std::fs::remove_file(&filler).unwrap();
    let engine = Engine::open(options(), mock.clone() as Arc<dyn Executor>)
        .await
        .expect("reopens once space is freed");
    let st = engine.state();
    assert!(st.pending.is_empty(), "{:?}", st.pending);
    for (name, id) in &acked {
        let v = engine
            .volume_by_name(name)
            .unwrap_or_else(|| panic!("acknowledged volume {name} lost"));
        assert_eq!(&v.info.id, id);
    }
    let listed = engine.volume_list().volumes.len();
    assert!(
        listed == acked.len() || listed == acked.len() + 1,
        "{listed} volumes listed, {} acknowledged",
        acked.len()
    );
    assert_agree(&engine, &mock.nodes());
    // Works again.
    let mut req = replica(1, 3);
    req.name = "after".into();
    let v = engine
        .create_volume(req)
        .await
        .expect("create after recovery");
    engine.delete_volume(&v.info.id).await.unwrap();
    let (_, first) = acked.iter().next().unwrap();
    engine.delete_volume(first).await.unwrap();
    assert_agree(&engine, &mock.nodes());
    drop(engine);
    drop(fs);
}
