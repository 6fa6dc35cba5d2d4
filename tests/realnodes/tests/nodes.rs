//! The engine with the ssh executor on three real storage nodes (`bed.sh`): needs root and
//! the packages of `make deps-real-nodes`. Run with `make test-real-nodes`.
//!
//! One test drives one bed (starting it costs about a minute): the provisioning cycle, then
//! the fault cases, each followed by checks that the nodes are as they were before.

use std::sync::Arc;
use std::time::Instant;

use brickyard::api::VolumeCreateRequest;
use brickyard::executor::{CommandConfig, Executor, SshExecutor};
use brickyard::topology::TopologyFile;
use brickyard::{Engine, EngineOptions};
use brickyard_realnodes::{Bed, sh};

const GIB_KIB: u64 = 1024 * 1024;

fn topology(hosts: &[String]) -> TopologyFile {
    let nodes: Vec<String> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            format!(
                r#"{{"node":{{"hostnames":{{"manage":["{h}"],"storage":["{h}"]}},"zone":{}}},"devices":["/dev/ubdb","/dev/ubdc"]}}"#,
                i + 1
            )
        })
        .collect();
    TopologyFile::parse(&format!(
        r#"{{"clusters":[{{"nodes":[{}]}}]}}"#,
        nodes.join(",")
    ))
    .expect("topology parses")
}

fn replica3(size_gib: i64) -> VolumeCreateRequest {
    serde_json::from_str(&format!(
        r#"{{"size":{size_gib},"durability":{{"type":"replicate","replicate":{{"replica":3}}}}}}"#
    ))
    .expect("request parses")
}

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
    let before: Vec<String> = hosts
        .iter()
        .map(|h| bed.node_state(h).expect("node state"))
        .collect();

    let exec = Arc::new(
        SshExecutor::ssh(bed.ssh_config(), CommandConfig::default()).expect("ssh executor"),
    );
    let engine = Engine::open(EngineOptions::in_memory(), exec.clone())
        .await
        .expect("engine opens");

    // Topology: nodes probed into one pool, six devices with sizes read from LVM.
    let report = engine
        .apply_topology(&topology(&hosts))
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

    for (h, was) in hosts.iter().zip(&before) {
        assert_eq!(
            &bed.node_state(h).expect("node state"),
            was,
            "node {h} changed"
        );
    }
    eprintln!(
        "ssh connections opened: {} (commands reuse one per node)",
        exec.transport().connections_opened()
    );
    drop(bed);
    step(t0, "bed down");
}
