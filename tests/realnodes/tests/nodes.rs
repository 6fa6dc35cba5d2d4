//! The engine with the ssh executor on three real storage nodes (`bed.sh`): needs root and
//! the packages of `make deps-real-nodes`. Run with `make test-real-nodes`.
//!
//! One test drives one bed (starting it costs about a minute): the provisioning cycle with
//! the fault cases in the middle of it (a command failing on the third brick, a node's sshd
//! killed in the middle of a create, a node unreachable during a delete), each followed by
//! checks that the nodes are exactly as they were before and that the records are
//! consistent.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use brickyard::engine::CleanupOutcome;
use brickyard::executor::{
    CommandConfig, CommandExecutor, Executor, Fault, FaultHandle, FaultTransport, SshTransport,
};
use brickyard::{Engine, EngineOptions};
use brickyard_realnodes::{Bed, HookHandle, HookTransport, bed_topology, replica3, sh};

type Exec = CommandExecutor<HookTransport<FaultTransport<SshTransport>>>;

const GIB_KIB: u64 = 1024 * 1024;

fn step(t0: Instant, what: &str) {
    eprintln!("[{:6.1} s] {what}", t0.elapsed().as_secs_f64());
}

fn assert_checked(engine: &Engine) {
    let report = engine.check();
    assert!(report.is_ok(), "engine check: {:?}", report.inconsistencies);
}

/// Brick count of `name` as gluster on `host` reports it.
fn gluster_bricks(bed: &Bed, host: &str, name: &str) -> usize {
    let out = bed
        .ssh(host, &format!("gluster --mode=script volume info {name}"))
        .expect("volume info");
    out.lines()
        .filter(|l| l.starts_with("Brick") && l.contains(':') && !l.starts_with("Bricks"))
        .count()
}

/// Every node's [`Bed::node_state`], read from all nodes at once.
fn states(bed: &Bed, hosts: &[String]) -> Vec<String> {
    bed.node_states(hosts).unwrap_or_else(|e| panic!("{e}"))
}

fn assert_nodes_as_before(bed: &Bed, hosts: &[String], before: &[String], case: &str) {
    for ((h, now), was) in hosts.iter().zip(states(bed, hosts)).zip(before) {
        assert_eq!(&now, was, "{case}: node {h} changed");
    }
}

/// Free KiB of every device as the records have it.
fn free_space(engine: &Engine) -> BTreeMap<String, u64> {
    engine
        .state()
        .devices
        .iter()
        .map(|(id, d)| (id.clone(), d.info.storage.free))
        .collect()
}

/// The records are back where they were: no volume, no pending operation, every device's
/// space free again, `check` clean.
fn assert_records_as_before(engine: &Engine, free_before: &BTreeMap<String, u64>, case: &str) {
    let ops = engine.pending_operations().pendingoperations;
    assert!(ops.is_empty(), "{case}: pending operations left: {ops:?}");
    let vols = engine.volume_list().volumes;
    assert!(vols.is_empty(), "{case}: volumes left: {vols:?}");
    assert_eq!(&free_space(engine), free_before, "{case}: device space");
    assert_checked(engine);
}

/// The one pending operation, which must be kept as failed.
fn failed_operation(engine: &Engine, case: &str) -> String {
    let ops = engine.pending_operations().pendingoperations;
    assert_eq!(ops.len(), 1, "{case}: {ops:?}");
    assert_eq!(ops[0].status, "failed", "{case}: {ops:?}");
    ops[0].id.clone()
}

/// b. The third `mkfs.xfs` of a replica-3 create fails: the error names the node and the
/// command; the two bricks already made are destroyed on their nodes at once.
async fn fault_third_brick_fails(
    engine: &Engine,
    bed: &Bed,
    hosts: &[String],
    faults: &FaultHandle,
) {
    let case = "third brick fails";
    let before = states(bed, hosts);
    let free_before = free_space(engine);
    let mkfs = Arc::new(AtomicUsize::new(0));
    let seen = mkfs.clone();
    faults.fail_matching(
        move |_, c| c.starts_with("mkfs.xfs") && seen.fetch_add(1, Ordering::SeqCst) + 1 == 3,
        Fault::Exit {
            status: 1,
            stderr: "mkfs.xfs: cannot open device: Device or resource busy".into(),
        },
        true,
    );
    let err = engine
        .create_volume(replica3(1))
        .await
        .expect_err("create with a failing third mkfs.xfs");
    faults.clear();
    let injected = faults.injected();
    assert_eq!(injected.len(), 1, "{injected:?}");
    assert_eq!(
        mkfs.load(Ordering::SeqCst),
        3,
        "two bricks were formatted first"
    );
    let (host, command) = &injected[0];
    let msg = err.to_string();
    eprintln!("{case}: {msg}");
    assert!(
        msg.contains(&format!(
            "command on {host} failed: {command} (exit status 1)"
        )) && msg.contains("Device or resource busy"),
        "{msg}"
    );
    assert_records_as_before(engine, &free_before, case);
    assert_nodes_as_before(bed, hosts, &before, case);
}

/// a. The node's sshd is killed (listener and open connections) right before the first
/// brick on it is formatted: the create fails naming the node, its brick cannot be
/// destroyed, so the operation is kept as failed; once sshd is back the cleaner finishes.
async fn fault_sshd_killed_mid_create(
    engine: &Engine,
    bed: &Bed,
    hosts: &[String],
    hooks: &HookHandle,
) {
    let case = "sshd killed mid-create";
    let before = states(bed, hosts);
    let free_before = free_space(engine);
    let victim = hosts[0].clone();
    let (v, b, on) = (victim.clone(), bed.shell(), victim.clone());
    hooks.before_first(
        move |h, c| h == on && c.starts_with("mkfs.xfs"),
        move || {
            let pids = b.kill_sshd(&v).expect("kill sshd");
            eprintln!("{case}: killed sshd on {v} (pids {pids:?})");
        },
    );
    let err = engine
        .create_volume(replica3(1))
        .await
        .expect_err("create while a node's sshd dies");
    assert_eq!(hooks.fired().len(), 1, "the kill happened");
    let msg = err.to_string();
    eprintln!("{case}: {msg}");
    assert!(
        msg.contains(&format!(
            "command on {victim} could not run (node unreachable)"
        )) && msg.contains(&format!("cannot connect to {victim}:22"))
            && msg.contains("kept for the cleaner"),
        "{msg}"
    );
    let op = failed_operation(engine, case);
    assert_checked(engine);
    // The interrupted brick's thin pool and LV are really left on the victim.
    assert_ne!(
        bed.node_state(&victim).expect("node state"),
        before[0],
        "{case}: nothing was left to clean on {victim}"
    );

    // Still down: the cleaner cannot finish and keeps the operation.
    let report = engine.cleanup_pending(None).await.expect("cleanup runs");
    assert!(
        matches!(&report.operations[..], [o] if o.id == op
            && matches!(&o.outcome, CleanupOutcome::Failed(m) if m.contains(&victim))),
        "{report:?}"
    );
    failed_operation(engine, case);

    let pid = bed.start_sshd(&victim).expect("restart sshd");
    eprintln!("{case}: sshd on {victim} restarted (pid {pid})");
    let report = engine.cleanup_pending(None).await.expect("cleanup runs");
    assert!(
        matches!(&report.operations[..], [o] if o.id == op && o.outcome == CleanupOutcome::RolledBack),
        "{report:?}"
    );
    assert_records_as_before(engine, &free_before, case);
    assert_nodes_as_before(bed, hosts, &before, case);
}

/// c. A node's sshd is down when a volume is deleted: gluster deletes the volume from
/// another node, the other bricks go, the victim's brick is recorded for the cleaner,
/// which finishes the delete once sshd is back.
async fn fault_node_down_during_delete(engine: &Engine, bed: &Bed, hosts: &[String]) {
    let case = "node down during delete";
    let before = states(bed, hosts);
    let free_before = free_space(engine);
    let vol = engine.create_volume(replica3(1)).await.expect("create");
    let name = vol.info.request.name.clone();
    let victim = hosts[1].clone();
    let pids = bed.kill_sshd(&victim).expect("kill sshd");
    eprintln!("{case}: killed sshd on {victim} (pids {pids:?})");
    let err = engine
        .delete_volume(&vol.info.id)
        .await
        .expect_err("delete with a node down");
    let msg = err.to_string();
    eprintln!("{case}: {msg}");
    assert!(
        msg.contains(&format!("volume {name} was deleted from gluster"))
            && msg.contains(&format!("on {victim}:"))
            && msg.contains("the cleaner retries it"),
        "{msg}"
    );
    let op = failed_operation(engine, case);
    assert_checked(engine);
    // As far as possible: gone from gluster, the other nodes' bricks destroyed.
    let others: Vec<&String> = hosts.iter().filter(|h| **h != victim).collect();
    let list = bed
        .ssh(others[0], "gluster --mode=script volume list")
        .expect("volume list");
    assert!(!list.contains(&name), "{case}: {list}");
    let now = states(bed, hosts);
    for ((h, now), was) in hosts.iter().zip(&now).zip(&before) {
        if *h != victim {
            assert_eq!(now, was, "{case}: node {h}");
        }
    }

    let pid = bed.start_sshd(&victim).expect("restart sshd");
    eprintln!("{case}: sshd on {victim} restarted (pid {pid})");
    let report = engine.cleanup_pending(None).await.expect("cleanup runs");
    assert!(
        matches!(&report.operations[..], [o] if o.id == op && o.outcome == CleanupOutcome::RolledForward),
        "{report:?}"
    );
    assert_records_as_before(engine, &free_before, case);
    assert_nodes_as_before(bed, hosts, &before, case);
}

fn fuse_write_read(bed: &Bed, host: &str, name: &str) {
    let mnt = bed.dir().join("mnt").join(name);
    let log = bed.dir().join(format!("fuse-{name}.log"));
    let script = format!(
        "set -e; mkdir -p {m}; mount -t glusterfs -o log-file={log} {host}:/{name} {m}; \
         trap 'umount {m}; rmdir {m}' EXIT; \
         head -c 8388608 /dev/urandom > {m}/data; echo hello > {m}/small; sync; \
         a=$(md5sum < {m}/data); echo 3 > /proc/sys/vm/drop_caches || true; b=$(md5sum < {m}/data); \
         [ \"$a\" = \"$b\" ]; [ \"$(cat {m}/small)\" = hello ]; stat -c %s {m}/data",
        m = mnt.display(),
        log = log.display()
    );
    let out = sh(&script).unwrap_or_else(|e| {
        panic!(
            "FUSE write/read failed: {e}\nclient log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    });
    assert_eq!(out.trim(), "8388608");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_on_real_nodes() {
    let t0 = Instant::now();
    let bed = match Bed::up(3) {
        Ok(b) => b,
        Err(e) => panic!("the real-node bed did not start: {e}"),
    };
    step(t0, "bed up");
    let hosts = bed.hosts().to_vec();
    let before = states(&bed, &hosts);

    // ssh, behind a fault injector, behind hooks that act on the bed at chosen commands.
    let ssh = SshTransport::new(bed.ssh_config()).expect("ssh transport");
    let hooked = HookTransport::new(FaultTransport::new(ssh));
    let hooks = hooked.handle();
    let faults = hooked.inner().handle();
    let exec: Arc<Exec> = Arc::new(CommandExecutor::from_transport(
        hooked,
        CommandConfig::default(),
    ));
    let engine = Engine::open(EngineOptions::in_memory(), exec.clone())
        .await
        .expect("engine opens");

    // Topology: nodes probed into one pool, six devices with sizes read from LVM.
    let report = engine
        .apply_topology(&bed_topology(&hosts).expect("bed topology"))
        .await
        .expect("topology applies");
    assert_eq!(
        report.summary(),
        "1 clusters created, 3 nodes created, 0 nodes unchanged, 6 devices added, 0 devices unchanged, 0 failed",
        "{report:?}"
    );
    let st = engine.state();
    for d in st.devices.values() {
        let total = d.info.storage.total;
        // 8 GiB disks less the 128 MiB PV metadata area, in whole 4 MiB extents.
        assert!(
            total > 7 * GIB_KIB && total < 8 * GIB_KIB,
            "{:?}",
            d.info.storage
        );
        assert_eq!(total % 4096, 0);
    }
    assert_checked(&engine);
    step(t0, "topology loaded");
    let pool = bed
        .ssh(&hosts[0], "gluster --mode=script pool list")
        .expect("pool list");
    assert_eq!(pool.matches("Connected").count(), 3, "{pool}");

    // Replica-3 volume, mounted from the host.
    let vol = engine
        .create_volume(replica3(2))
        .await
        .expect("volume create");
    let name = vol.info.request.name.clone();
    assert_eq!(vol.bricks.len(), 3);
    assert_eq!(gluster_bricks(&bed, &hosts[0], &name), 3);
    assert_checked(&engine);
    step(t0, "volume created");
    fuse_write_read(&bed, &hosts[0], &name);
    step(t0, "FUSE write/read ok");

    let vol = engine
        .expand_volume(&vol.info.id, 2)
        .await
        .expect("volume expand");
    assert_eq!(vol.info.request.size, 4);
    assert_eq!(gluster_bricks(&bed, &hosts[1], &name), 6);
    assert_checked(&engine);
    fuse_write_read(&bed, &hosts[1], &name);
    step(t0, "volume expanded");

    engine
        .delete_volume(&vol.info.id)
        .await
        .expect("volume delete");
    assert!(
        exec.volume_info(
            &brickyard::executor::Host::new(hosts[0].clone(), hosts[0].clone()),
            &name
        )
        .await
        .expect("info")
        .is_none()
    );
    assert_checked(&engine);
    step(t0, "volume deleted");

    fault_third_brick_fails(&engine, &bed, &hosts, &faults).await;
    step(t0, "fault: third brick fails");
    fault_sshd_killed_mid_create(&engine, &bed, &hosts, &hooks).await;
    step(t0, "fault: sshd killed mid-create");
    fault_node_down_during_delete(&engine, &bed, &hosts).await;
    step(t0, "fault: node down during delete");

    // Device remove + delete, node delete, cluster delete: the nodes end as they began.
    let st = engine.state();
    let mut node_ids: Vec<String> = st.nodes.keys().cloned().collect();
    node_ids.sort();
    for (id, _) in st.devices.iter() {
        engine
            .set_device_state(id, "offline")
            .await
            .expect("offline");
        engine.set_device_state(id, "failed").await.expect("remove");
        engine
            .delete_device(id, false)
            .await
            .expect("device delete");
    }
    assert_checked(&engine);
    step(t0, "devices removed and deleted");
    for id in &node_ids {
        engine
            .set_node_state(id, "offline")
            .await
            .expect("node offline");
        engine.delete_node(id).await.expect("node delete");
    }
    for c in engine.cluster_list().clusters {
        engine.delete_cluster(&c).expect("cluster delete");
    }
    assert_checked(&engine);
    step(t0, "nodes and cluster deleted");

    assert_nodes_as_before(&bed, &hosts, &before, "whole cycle");
    eprintln!(
        "ssh connections opened: {} (commands reuse one per node)",
        exec.transport().inner().inner().connections_opened()
    );
    drop(engine);
    drop(exec);
    drop(bed);
    step(t0, "bed down");
}
