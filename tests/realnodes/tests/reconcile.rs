//! `Engine::reconcile` with the ssh executor on three real storage nodes (`bed.sh`): each
//! kind of drift made behind the engine's back with the commands an operator would type
//! (`umount`, `lvremove`, `lvextend`, `sed` on the fstab, `gluster volume stop/delete/
//! create/replace-brick`, `peer detach`, `vgremove`), the exact report, then `fix`: what is
//! safe repaired on the nodes, the rest still reported as needing a person. Needs root;
//! run with `make test-real-nodes`.
//!
//! Nodes 1 and 2 hold the replica-2 volumes; node 3 joins the cluster without a device
//! afterwards (a peer that can be detached: gluster refuses to detach a node with
//! bricks), and node 2's second disk is added afterwards too (a device without bricks
//! whose volume group can be removed).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use brickyard::api::{
    DeviceAddRequest, HostAddresses, NodeAddRequest, ReplicaDurability, VolumeCreateRequest,
    VolumeDurabilityInfo, VolumeInfoResponse,
};
use brickyard::engine::{DriftKind, ReconcileReport};
use brickyard::executor::{CommandConfig, CommandExecutor, SshTransport};
use brickyard::state::State;
use brickyard::topology::TopologyFile;
use brickyard::{Engine, EngineOptions};
use brickyard_realnodes::{BED_DEVICES, Bed};

const LVM: &str = "/usr/sbin/lvm";
const G: &str = "gluster --mode=script";

fn step(t0: Instant, what: &str) {
    eprintln!("[{:6.1} s] {what}", t0.elapsed().as_secs_f64());
}

fn replica2() -> VolumeCreateRequest {
    VolumeCreateRequest {
        size: 1,
        durability: VolumeDurabilityInfo {
            kind: "replicate".into(),
            replicate: ReplicaDurability { replica: 2 },
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Runs `command` on `host` (OpenSSH, independent of the executor); panics with its
/// error.
fn on(bed: &Bed, host: &str, command: &str) -> String {
    bed.ssh(host, command)
        .unwrap_or_else(|e| panic!("{host}: {command}: {e}"))
}

/// The brick of `vol` on `host`: (brick id, device id, mount dir).
fn brick_on(vol: &VolumeInfoResponse, st: &State, host: &str) -> (String, String, String) {
    let b = vol
        .bricks
        .iter()
        .find(|b| st.nodes[&b.node].manage_host() == host)
        .unwrap_or_else(|| panic!("no brick of {} on {host}", vol.info.request.name));
    let mount = b.path.trim_end_matches("/brick").to_string();
    (b.id.clone(), b.device.clone(), mount)
}

type Row = (DriftKind, String, bool);

fn rows(drifts: &[brickyard::engine::Drift]) -> BTreeSet<Row> {
    drifts
        .iter()
        .map(|d| (d.kind, d.subject.clone(), d.fixable))
        .collect()
}

fn show(r: &ReconcileReport) -> String {
    r.drifts
        .iter()
        .map(|d| {
            format!(
                "  {} {} {}: {}\n",
                d.kind,
                d.host.as_deref().unwrap_or("-"),
                d.subject,
                d.detail
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_on_real_nodes() {
    let t0 = Instant::now();
    let bed = match Bed::up(3) {
        Ok(b) => b,
        Err(e) => panic!("the real-node bed did not start: {e}"),
    };
    step(t0, "bed up");
    let hosts = bed.hosts().to_vec();
    let (h1, h2, h3) = (hosts[0].clone(), hosts[1].clone(), hosts[2].clone());

    let ssh = SshTransport::new(bed.ssh_config()).expect("ssh transport");
    let exec = Arc::new(CommandExecutor::from_transport(
        ssh,
        CommandConfig::default(),
    ));
    let engine = Engine::open(EngineOptions::in_memory(), exec)
        .await
        .expect("engine opens");
    let topology: TopologyFile = serde_json::from_value(serde_json::json!({"clusters": [{"nodes": [
        {"node": {"hostnames": {"manage": [h1], "storage": [h1]}, "zone": 1}, "devices": [BED_DEVICES[0]]},
        {"node": {"hostnames": {"manage": [h2], "storage": [h2]}, "zone": 2}, "devices": [BED_DEVICES[0]]},
    ]}]}))
    .expect("topology");
    let report = engine
        .apply_topology(&topology)
        .await
        .expect("topology applies");
    assert_eq!(report.failed(), 0, "{report:?}");
    step(t0, "topology loaded");
    let (a, b) = tokio::join!(
        engine.create_volume(replica2()),
        engine.create_volume(replica2())
    );
    let (a, b) = (a.expect("volume a"), b.expect("volume b"));
    step(t0, "two volumes");
    let cluster = a.info.cluster.clone();
    let n2 = engine
        .state()
        .nodes
        .values()
        .find(|n| n.manage_host() == h2)
        .expect("node 2")
        .info
        .id
        .clone();
    let d2c = engine
        .add_device(DeviceAddRequest {
            name: BED_DEVICES[1].into(),
            node: n2,
            ..Default::default()
        })
        .await
        .expect("second device of node 2");
    let n3 = engine
        .add_node(NodeAddRequest {
            zone: 3,
            hostnames: HostAddresses {
                manage: vec![h3.clone()],
                storage: vec![h3.clone()],
            },
            cluster,
            tags: Default::default(),
        })
        .await
        .expect("node 3");
    step(t0, "a spare device, a spare node");

    let clean = engine.reconcile(false).await.expect("reconcile");
    assert!(
        clean.drifts.is_empty(),
        "a fresh bed drifts:\n{}",
        show(&clean)
    );
    assert_eq!((clean.clusters, clean.nodes), (1, 3));
    step(t0, "no drift");

    let st = engine.state();
    let (an, bn) = (a.info.request.name.clone(), b.info.request.name.clone());
    let (a1, a1_dev, a1_mount) = brick_on(&a, &st, &h1);
    let (a2, a2_dev, a2_mount) = brick_on(&a, &st, &h2);
    let (b1, _, b1_mount) = brick_on(&b, &st, &h1);
    let (b2, _, b2_mount) = brick_on(&b, &st, &h2);
    let stray = "0123456789abcdef0123456789abcdef";
    let pool = "fedcba9876543210fedcba9876543210";
    let lvcreate = |id: &str| {
        format!(
            "{LVM} lvcreate -qq --autobackup=n --poolmetadatasize 4096K --chunksize 256K --size 65536K --thin vg_{a1_dev}/tp_{id} --virtualsize 65536K --name brick_{id}"
        )
    };
    // One ssh per node (each costs a second or two on the bed). On node 1:
    let node1 = [
        // volume a deleted in gluster (volume missing in gluster) and its brick here
        // unmounted and removed (brick LV missing);
        format!("{G} volume stop {an} force"),
        format!("{G} volume delete {an}"),
        format!("umount {a1_mount}"),
        format!("{LVM} lvremove -f vg_{a1_dev}/brick_{a1}"),
        format!("{LVM} lvremove -f vg_{a1_dev}/tp_{a1}"),
        // volume b's brick here unmounted: glusterfsd holds it, so a lazy unmount
        // (brick not mounted);
        format!("umount -l {b1_mount}"),
        // stray LVs of ours: a brick LV, and an empty thin pool;
        lvcreate(stray),
        lvcreate(pool),
        format!("{LVM} lvremove -f vg_{a1_dev}/brick_{pool}"),
        // node 3 out of the pool (peer missing);
        format!("{G} peer detach {h3}"),
        // volume b's brick on node 2 removed from gluster (brick list differs), then b
        // stopped (volume not started).
        format!("{G} volume remove-brick {bn} replica 1 {h2}:{b2_mount}/brick force"),
        format!("{G} volume stop {bn} force"),
    ];
    on(&bed, &h1, &node1.join(" && "));
    // On node 2: volume a's brick grown (size differs), volume b's brick without its
    // fstab line (fstab line missing), the spare device's VG and PV removed (device
    // gone), a gluster volume the records do not know (volume unknown).
    let node2 = [
        format!("{LVM} lvextend -L 2G vg_{a2_dev}/brick_{a2}"),
        format!("sed -i.save \"/brick_{b2}/d\" /etc/fstab"),
        format!("{LVM} vgremove -y vg_{}", d2c.info.id),
        format!("{LVM} pvremove -y {}", BED_DEVICES[1]),
        format!("mkdir {a2_mount}/rogue"),
        format!("{G} volume create rogue {h2}:{a2_mount}/rogue force"),
    ];
    on(&bed, &h2, &node2.join(" && "));
    step(t0, "drift made behind the engine's back");

    let r = engine.reconcile(false).await.expect("reconcile");
    step(t0, "reconciled");
    eprint!("{}", show(&r));
    let safe: BTreeSet<Row> = [
        (DriftKind::BrickNotMounted, b1.clone(), true),
        (DriftKind::FstabLineMissing, b2.clone(), true),
        (
            DriftKind::StrayLv,
            format!("vg_{a1_dev}/brick_{stray}"),
            true,
        ),
        (DriftKind::StrayLv, format!("vg_{a1_dev}/tp_{pool}"), true),
    ]
    .into();
    let person: BTreeSet<Row> = [
        (DriftKind::PeerMissing, n3.info.id.clone(), false),
        (DriftKind::DeviceGone, d2c.info.id.clone(), false),
        (DriftKind::BrickLvMissing, a1.clone(), false),
        (DriftKind::SizeDiffers, a2.clone(), false),
        (DriftKind::VolumeMissing, an.clone(), false),
        (DriftKind::VolumeUnknown, "rogue".into(), false),
        (DriftKind::BrickListDiffers, bn.clone(), false),
        (DriftKind::VolumeNotStarted, bn.clone(), false),
    ]
    .into();
    let all: BTreeSet<Row> = safe.union(&person).cloned().collect();
    assert_eq!(rows(&r.drifts), all, "report:\n{}", show(&r));
    assert_eq!(r.drifts.len(), all.len(), "each drift once:\n{}", show(&r));

    let fixed = engine.reconcile(true).await.expect("reconcile --fix");
    step(t0, "fixed");
    eprint!("{}", show(&fixed));
    assert_eq!(rows(&fixed.fixed), safe, "fixed:\n{fixed:#?}");
    assert_eq!(rows(&fixed.drifts), person, "left:\n{}", show(&fixed));
    assert!(
        fixed.drifts.iter().all(|d| d.fix_error.is_none()),
        "{fixed:#?}"
    );
    // The nodes show the repairs, read independently of the executor.
    let mounts = on(&bed, &h1, "cat /proc/mounts");
    assert!(mounts.contains(&format!(" {b1_mount} xfs ")), "{mounts}");
    let fstab = on(&bed, &h2, "cat /etc/fstab");
    assert!(
        fstab.contains(&format!("brick_{b2} {b2_mount} xfs")),
        "{fstab}"
    );
    let lvs = on(
        &bed,
        &h1,
        &format!("{LVM} lvs --noheadings -o lv_name vg_{a1_dev}"),
    );
    assert!(!lvs.contains(stray) && !lvs.contains(pool), "{lvs}");
    step(t0, "done");
}
