//! Day-2 operations on four real storage nodes (`bed.sh up 4`): device remove, brick
//! evict and node remove move the bricks of a replica-3 volume while the host keeps it
//! mounted through FUSE. Needs root and the packages of `make deps-real-nodes`; run with
//! `make test-real-nodes`.
//!
//! After every move: the records and gluster agree on the new brick, gluster reports
//! nothing left to heal and the new brick holds every file with its checksum, every file
//! reads back through the mount with the checksum it was written with, the old brick's LV,
//! mount and fstab line are gone from its node. Device delete removes the PV; node delete
//! detaches the peer. At the end the four nodes are exactly as they were before.
//!
//! Four nodes because a node removal needs a node outside the volume's replica set to
//! move the brick to. The timings (move, heal) are printed as `TIMING` lines.

use std::sync::Arc;
use std::time::{Duration, Instant};

use brickyard::api::BrickInfo;
use brickyard::engine::HealCheck;
use brickyard::executor::{CommandConfig, CommandExecutor, SshTransport};
use brickyard::{Engine, EngineOptions};
use brickyard_realnodes::{
    Bed, BrickOnNode, Checksums, FuseMount, TimedTransport, TimingHandle, bed_topology,
    heal_complete, replacement_phases, replica3,
};

type Exec = CommandExecutor<TimedTransport<SshTransport>>;

const NODES: usize = 4;
/// Data written before the first move: 12 files of 2 MiB.
const FILES: usize = 12;
const FILE_KIB: usize = 2048;
/// How long gluster may take to heal a new brick on this (slow, shared) bed.
const HEAL_TIMEOUT: Duration = Duration::from_secs(300);

fn step(t0: Instant, what: &str) {
    eprintln!("[{:6.1} s] {what}", t0.elapsed().as_secs_f64());
}

fn assert_checked(engine: &Engine, case: &str) {
    let report = engine.check();
    assert!(
        report.is_ok(),
        "{case}: engine check: {:?}",
        report.inconsistencies
    );
    let ops = engine.pending_operations().pendingoperations;
    assert!(ops.is_empty(), "{case}: pending operations left: {ops:?}");
}

/// What the test keeps across the moves.
struct Day2<'a> {
    engine: &'a Engine,
    bed: &'a Bed,
    volume: String,
    name: String,
    mount: FuseMount,
    files: Checksums,
    timings: Vec<String>,
    /// Brick ids of the volume before the current move.
    known: Vec<String>,
    /// The engine's commands and their durations.
    timing: TimingHandle,
}

impl Day2<'_> {
    fn bricks(&self) -> Vec<BrickInfo> {
        self.engine
            .volume_info(&self.volume)
            .expect("volume info")
            .bricks
    }

    fn host_of_node(&self, node: &str) -> String {
        let st = self.engine.state();
        st.nodes
            .get(node)
            .unwrap_or_else(|| panic!("node {node} not in the records"))
            .manage_host()
            .to_string()
    }

    /// A node that answers (not `except`), to ask gluster from.
    fn asking_host(&self, except: &[String]) -> String {
        let st = self.engine.state();
        st.nodes
            .values()
            .map(|n| n.manage_host().to_string())
            .find(|h| !except.contains(h))
            .expect("a node to ask")
    }

    /// `host:path` of the volume's bricks as gluster lists them.
    fn gluster_bricks(&self, host: &str) -> Vec<String> {
        let out = self
            .bed
            .ssh(
                host,
                &format!("gluster --mode=script volume info {}", self.name),
            )
            .expect("volume info");
        out.lines()
            .filter(|l| l.starts_with("Brick") && !l.starts_with("Bricks"))
            .filter_map(|l| l.split_once(": "))
            .map(|(_, b)| b.trim().to_string())
            .collect()
    }

    /// The checks after `old` was moved by an operation that took `took`: see the module
    /// documentation. `gone` are nodes no longer in the pool (not asked).
    fn after_move(&mut self, case: &str, old: &BrickInfo, took: Duration, gone: &[String]) {
        let commands = self.timing.take();
        let t0 = Instant::now();
        assert_checked(self.engine, case);
        let bricks = self.bricks();
        assert_eq!(bricks.len(), 3, "{case}: {bricks:?}");
        assert!(
            bricks.iter().all(|b| b.id != old.id),
            "{case}: brick {} still in the volume",
            old.id
        );
        let mut nodes: Vec<&str> = bricks.iter().map(|b| b.node.as_str()).collect();
        nodes.sort();
        nodes.dedup();
        assert_eq!(nodes.len(), 3, "{case}: bricks share a node: {bricks:?}");
        let ask = self.asking_host(gone);
        let st = self.engine.state();
        let expected: Vec<String> = bricks
            .iter()
            .map(|b| {
                let storage = &st.nodes[&b.node].info.hostnames.storage[0];
                format!("{storage}:{}", b.path)
            })
            .collect();
        assert_eq!(
            self.gluster_bricks(&ask),
            expected,
            "{case}: gluster and the records disagree"
        );
        // Exactly one brick is new: the one that took the old one's place.
        let fresh: Vec<&BrickInfo> = bricks
            .iter()
            .filter(|b| !self.known.contains(&b.id))
            .collect();
        assert_eq!(fresh.len(), 1, "{case}: new bricks {fresh:?}");
        let new = fresh[0].clone();
        assert_ne!(new.device, old.device, "{case}: moved onto the same device");
        let into = BrickOnNode {
            host: self.host_of_node(&new.node),
            path: new.path.clone(),
        };
        let healed = self
            .bed
            .wait_healed(&ask, &self.name, &into, &self.files, HEAL_TIMEOUT)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        self.timings.push(format!(
            "TIMING {case}: {:.1} s for 1 brick ({} KiB brick, {} files, {} MiB of data) from {}:{} to {}:{}; heal complete {:.1} s after it returned; engine commands: {} in all, by phase: {}",
            took.as_secs_f64(),
            old.size,
            self.files.len(),
            self.files.len() * FILE_KIB / 1024,
            self.host_of_old(old),
            old.path,
            into.host,
            new.path,
            healed.as_secs_f64(),
            commands.len(),
            replacement_phases(&commands, &old.id, &new.id)
        ));
        eprintln!("{}", self.timings.last().expect("just pushed"));

        // Every file reads back through the mount with the checksum it was written with.
        let read = self
            .mount
            .checksums()
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(read, self.files, "{case}: data read back differs");

        // The old brick is gone from its node (unless the node itself left the pool).
        let old_host = self.host_of_old(old);
        if !gone.contains(&old_host) {
            let lvs = self.bed.lvs(&old_host).expect("lvs");
            assert!(
                !lvs.iter().any(|(_, lv)| lv.contains(&old.id)),
                "{case}: the old brick's LVs are still on {old_host}: {lvs:?}"
            );
            let left = self
                .bed
                .ctl(
                    &old_host,
                    &format!("grep -c {} /etc/fstab /proc/mounts || true", old.id),
                )
                .expect("grep");
            assert!(
                left.lines().all(|l| l.ends_with(":0")),
                "{case}: the old brick is still mounted or in fstab on {old_host}: {left}"
            );
        }

        // The volume stays writable: a few more files, which later moves must carry too.
        let more = self
            .mount
            .write_random_files(&format!("after-{}", case.replace(' ', "-")), 2, 512)
            .unwrap_or_else(|e| panic!("{case}: write after the move: {e}"));
        self.files.extend(more);
        self.remember();
        eprintln!(
            "{case}: checks took {:.1} s",
            t0.elapsed().as_secs_f64() - healed.as_secs_f64()
        );
    }

    fn host_of_old(&self, old: &BrickInfo) -> String {
        // The old brick's node may be gone from the records (node delete comes later, so
        // it is still there when this runs).
        self.host_of_node(&old.node)
    }

    /// Records the current brick ids, so the next move can tell its new brick.
    fn remember(&mut self) {
        self.known = self.bricks().into_iter().map(|b| b.id).collect();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn day2_on_real_nodes() {
    let t0 = Instant::now();
    let bed = match Bed::up(NODES) {
        Ok(b) => b,
        Err(e) => panic!("the real-node bed ({NODES} nodes) did not start: {e}"),
    };
    step(t0, "bed up");
    let hosts = bed.hosts().to_vec();
    let before = bed.node_states(&hosts).unwrap_or_else(|e| panic!("{e}"));

    let ssh = TimedTransport::new(SshTransport::new(bed.ssh_config()).expect("ssh transport"));
    let timing = ssh.handle();
    let exec: Arc<Exec> = Arc::new(CommandExecutor::from_transport(
        ssh,
        CommandConfig::default(),
    ));
    let engine = Engine::open(EngineOptions::in_memory(), exec.clone())
        .await
        .expect("engine opens");
    let report = engine
        .apply_topology(&bed_topology(&hosts).expect("bed topology"))
        .await
        .expect("topology applies");
    assert_eq!(
        report.summary(),
        "1 clusters created, 4 nodes created, 0 nodes unchanged, 8 devices added, 0 devices unchanged, 0 failed",
        "{report:?}"
    );
    step(t0, "topology loaded");

    let vol = engine
        .create_volume(replica3(1))
        .await
        .expect("volume create");
    let name = vol.info.request.name.clone();
    step(t0, "volume created");
    let mount = FuseMount::mount(bed.dir(), &hosts[0], &name).unwrap_or_else(|e| panic!("{e}"));
    let files = mount
        .write_random_files("f", FILES, FILE_KIB)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(mount.checksums().expect("read back"), files);
    step(t0, "data written through FUSE");
    let mut d = Day2 {
        engine: &engine,
        bed: &bed,
        volume: vol.info.id.clone(),
        name,
        mount,
        files,
        timings: Vec::new(),
        known: Vec::new(),
        timing,
    };
    d.remember();
    let ask = hosts[0].clone();
    let heal = bed.heal_info(&ask, &d.name).expect("heal info");
    assert!(heal_complete(&heal), "fresh volume: {heal:?}");

    // 1. Device remove: the device of the volume's first brick goes offline, then failed:
    // its brick moves, and device delete takes its PV off the node.
    let old = d.bricks()[0].clone();
    let device = old.device.clone();
    let dev_host = d.host_of_node(&old.node);
    let dev_name = engine.device_info(&device).expect("device").info.name;
    d.timing.take();
    let t = Instant::now();
    engine
        .set_device_state(&device, "offline")
        .await
        .expect("device offline");
    engine
        .set_device_state(&device, "failed")
        .await
        .expect("device remove");
    let took = t.elapsed();
    let info = engine.device_info(&device).expect("device");
    assert_eq!(info.state.to_string(), "failed", "{info:?}");
    assert!(info.bricks.is_empty(), "{info:?}");
    d.after_move("device remove", &old, took, &[]);
    let vg = format!("vg_{device}");
    let lvs = bed.lvs(&dev_host).expect("lvs");
    assert!(
        !lvs.iter().any(|(g, _)| *g == vg),
        "device remove: LVs left in {vg} on {dev_host}: {lvs:?}"
    );
    assert!(
        bed.pvs(&dev_host)
            .expect("pvs")
            .iter()
            .any(|(pv, g)| *pv == dev_name && *g == vg),
        "the removed device keeps its PV until it is deleted"
    );
    engine
        .delete_device(&device, false)
        .await
        .expect("device delete");
    let pvs = bed.pvs(&dev_host).expect("pvs");
    assert!(
        !pvs.iter().any(|(pv, _)| *pv == dev_name),
        "device delete: PV {dev_name} still on {dev_host}: {pvs:?}"
    );
    assert_checked(&engine, "device delete");
    step(t0, "device removed and deleted");

    // 2. Brick evict: another brick of the volume moves.
    let old = d.bricks()[1].clone();
    d.timing.take();
    let t = Instant::now();
    engine
        .evict_brick(&old.id, HealCheck::Enable)
        .await
        .expect("brick evict");
    d.after_move("brick evict", &old, t.elapsed(), &[]);
    step(t0, "brick evicted");

    // 3. Node remove: the node of the third brick goes offline, then failed: its brick
    // moves to the node outside the set; its devices and the node are deleted (PVs off,
    // peer detached) and the node is as it was before the test.
    let old = d.bricks()[2].clone();
    let node = old.node.clone();
    let node_host = d.host_of_node(&node);
    d.timing.take();
    let t = Instant::now();
    engine
        .set_node_state(&node, "offline")
        .await
        .expect("node offline");
    engine
        .set_node_state(&node, "failed")
        .await
        .expect("node remove");
    let took = t.elapsed();
    let info = engine.node_info(&node).expect("node");
    assert_eq!(info.state.to_string(), "failed", "{info:?}");
    assert!(
        info.devices.iter().all(|dv| dv.bricks.is_empty()),
        "{info:?}"
    );
    d.after_move("node remove", &old, took, &[]);
    for dv in &info.devices {
        engine
            .delete_device(&dv.info.id, false)
            .await
            .expect("device delete on the removed node");
    }
    engine.delete_node(&node).await.expect("node delete");
    let pool = bed
        .ssh(
            &d.asking_host(std::slice::from_ref(&node_host)),
            "gluster --mode=script pool list",
        )
        .expect("pool list");
    assert!(!pool.contains(&node_host), "node delete: {pool}");
    assert_eq!(pool.matches("Connected").count(), NODES - 1, "{pool}");
    let i = hosts.iter().position(|h| *h == node_host).expect("host");
    assert_eq!(
        bed.node_state(&node_host).expect("node state"),
        before[i],
        "node remove: node {node_host} is not as it was before"
    );
    assert_checked(&engine, "node delete");
    step(t0, "node removed and deleted");

    // The end: volume, devices, nodes, cluster deleted; every node as before.
    let Day2 { mount, timings, .. } = d;
    drop(mount);
    engine
        .delete_volume(&vol.info.id)
        .await
        .expect("volume delete");
    let st = engine.state();
    for id in st.devices.keys() {
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
    for id in st.nodes.keys() {
        engine
            .set_node_state(id, "offline")
            .await
            .expect("node offline");
        engine.delete_node(id).await.expect("node delete");
    }
    for c in engine.cluster_list().clusters {
        engine.delete_cluster(&c).expect("cluster delete");
    }
    assert_checked(&engine, "teardown");
    let after = bed.node_states(&hosts).unwrap_or_else(|e| panic!("{e}"));
    for ((h, now), was) in hosts.iter().zip(&after).zip(&before) {
        assert_eq!(now, was, "whole day-2 cycle: node {h} changed");
    }
    step(t0, "everything deleted, nodes as before");
    for t in &timings {
        eprintln!("{t}");
    }
    drop(engine);
    drop(exec);
    drop(bed);
    step(t0, "bed down");
}
