//! `Engine::reconcile`: every kind of drift made behind the engine's back on the mock
//! nodes (through `MockTransport::run_command`, the commands an operator would type),
//! the exact report, then `fix`.

use brickyard::api::{DeviceAddRequest, NodeAddRequest, VolumeInfoResponse};
use brickyard::engine::{DriftKind, ReconcileReport};
use brickyard::executor::{Fault, MockTransport};

use super::harness::{bed, replica};

fn run(mock: &MockTransport, host: &str, command: &str) {
    let out = mock.run_command(host, command);
    assert!(
        out.success(),
        "{host}: {command}: {} {}",
        out.stdout,
        out.stderr
    );
}

/// (kind, subject, fixable) of every drift, in report order.
fn summary(r: &ReconcileReport) -> Vec<(DriftKind, String, bool)> {
    r.drifts
        .iter()
        .map(|d| (d.kind, d.subject.clone(), d.fixable))
        .collect()
}

fn sorted(mut v: Vec<(DriftKind, String, bool)>) -> Vec<(DriftKind, String, bool)> {
    v.sort();
    v
}

/// The brick of `vol` on the node managed as `host`: (brick id, device id, mount dir).
fn brick_on(
    vol: &VolumeInfoResponse,
    st: &brickyard::state::State,
    host: &str,
) -> (String, String, String) {
    let b = vol
        .bricks
        .iter()
        .find(|b| st.nodes[&b.node].manage_host() == host)
        .expect("a brick on that node");
    let mount = b
        .path
        .strip_suffix("/brick")
        .expect("brick path")
        .to_string();
    (b.id.clone(), b.device.clone(), mount)
}

const LVM: &str = "/usr/sbin/lvm";
const G: &str = "gluster --mode=script";

#[tokio::test]
async fn every_drift_kind_is_reported_exactly_then_the_safe_ones_fixed() {
    let b = bed(3, 1).await;
    let e = &b.engine;
    let mock = b.mock.mock().clone();
    let a = e.create_volume(replica(1, 3)).await.unwrap();
    let bv = e.create_volume(replica(1, 3)).await.unwrap();
    let c = e.create_volume(replica(1, 3)).await.unwrap();
    let d = e.create_volume(replica(1, 3)).await.unwrap();
    // A fourth node, in the pool, whose device holds no brick.
    let cluster = a.info.cluster.clone();
    mock.add_node("10.0.0.4", "10.0.0.4");
    let n4 = e
        .add_node(NodeAddRequest {
            zone: 1,
            hostnames: brickyard::api::HostAddresses {
                manage: vec!["10.0.0.4".into()],
                storage: vec!["10.0.0.4".into()],
            },
            cluster: cluster.clone(),
            tags: Default::default(),
        })
        .await
        .unwrap();
    let d4 = e
        .add_device(DeviceAddRequest {
            name: "/dev/sdb".into(),
            node: n4.info.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();

    let clean = e.reconcile(false).await.unwrap();
    assert_eq!(summary(&clean), vec![], "{clean:#?}");
    assert_eq!((clean.clusters, clean.nodes), (1, 4));

    let st = e.state();
    // brick LV missing: A's brick on node 1, unmounted and removed with its pool.
    let (a1, a1_dev, a1_mount) = brick_on(&a, &st, "10.0.0.1");
    run(&mock, "10.0.0.1", &format!("umount {a1_mount}"));
    run(
        &mock,
        "10.0.0.1",
        &format!("{LVM} lvremove -f vg_{a1_dev}/tp_{a1}"),
    );
    // volume not started: A stopped.
    run(
        &mock,
        "10.0.0.1",
        &format!("{G} volume stop {} force", a.info.request.name),
    );
    // brick not mounted: B's brick on node 2.
    let (b2, _, b2_mount) = brick_on(&bv, &st, "10.0.0.2");
    run(&mock, "10.0.0.2", &format!("umount {b2_mount}"));
    // fstab line missing: B's brick on node 3.
    let (b3, _, _) = brick_on(&bv, &st, "10.0.0.3");
    run(
        &mock,
        "10.0.0.3",
        &format!("sed -i.save \"/brick_{b3}/d\" /etc/fstab"),
    );
    // size differs: C's brick on node 1 grown by 1 GiB.
    let (c1, c1_dev, _) = brick_on(&c, &st, "10.0.0.1");
    let c1_size = st.bricks.get(&c1).unwrap().info.size;
    run(
        &mock,
        "10.0.0.1",
        &format!(
            "{LVM} lvextend -L {}K vg_{c1_dev}/brick_{c1}",
            c1_size + 1024 * 1024
        ),
    );
    // brick list differs: C's brick on node 2 replaced by another directory.
    let (_, _, c2_mount) = brick_on(&c, &st, "10.0.0.2");
    run(&mock, "10.0.0.2", &format!("mkdir {c2_mount}/moved"));
    run(
        &mock,
        "10.0.0.2",
        &format!(
            "{G} volume replace-brick {} 10.0.0.2:{c2_mount}/brick 10.0.0.2:{c2_mount}/moved commit force",
            c.info.request.name
        ),
    );
    // stray LVs of ours: a brick LV on node 2, an empty thin pool on node 3.
    let stray = "0123456789abcdef0123456789abcdef";
    let pool = "fedcba9876543210fedcba9876543210";
    let (_, b2_dev, _) = brick_on(&bv, &st, "10.0.0.2");
    let (_, b3_dev, _) = brick_on(&bv, &st, "10.0.0.3");
    let lvcreate = |dev: &str, id: &str| {
        format!(
            "{LVM} lvcreate -qq --autobackup=n --poolmetadatasize 8192K --chunksize 256K --size 1048576K --thin vg_{dev}/tp_{id} --virtualsize 1048576K --name brick_{id}"
        )
    };
    run(&mock, "10.0.0.2", &lvcreate(&b2_dev, stray));
    run(&mock, "10.0.0.3", &lvcreate(&b3_dev, pool));
    run(
        &mock,
        "10.0.0.3",
        &format!("{LVM} lvremove -f vg_{b3_dev}/brick_{pool}"),
    );
    // volume missing in gluster: D stopped and deleted.
    run(
        &mock,
        "10.0.0.1",
        &format!("{G} volume stop {} force", d.info.request.name),
    );
    run(
        &mock,
        "10.0.0.1",
        &format!("{G} volume delete {}", d.info.request.name),
    );
    // gluster volume unknown to the database.
    let (_, _, b1_mount) = brick_on(&bv, &st, "10.0.0.1");
    run(&mock, "10.0.0.1", &format!("mkdir {b1_mount}/rogue"));
    run(
        &mock,
        "10.0.0.1",
        &format!("{G} volume create rogue 10.0.0.1:{b1_mount}/rogue force"),
    );
    // device gone: node 4's volume group and PV removed.
    run(
        &mock,
        "10.0.0.4",
        &format!("{LVM} vgremove -qq vg_{}", d4.info.id),
    );
    run(&mock, "10.0.0.4", &format!("{LVM} pvremove -qq '/dev/sdb'"));
    // peer missing: node 4 detached.
    run(&mock, "10.0.0.1", &format!("{G} peer detach 10.0.0.4"));

    let r = e.reconcile(false).await.unwrap();
    let expected = vec![
        (DriftKind::PeerMissing, n4.info.id.clone(), false),
        (DriftKind::DeviceGone, d4.info.id.clone(), false),
        (DriftKind::BrickLvMissing, a1.clone(), false),
        (DriftKind::SizeDiffers, c1.clone(), false),
        (DriftKind::BrickNotMounted, b2.clone(), true),
        (DriftKind::FstabLineMissing, b3.clone(), true),
        (
            DriftKind::StrayLv,
            format!("vg_{b2_dev}/brick_{stray}"),
            true,
        ),
        (DriftKind::StrayLv, format!("vg_{b3_dev}/tp_{pool}"), true),
        (DriftKind::VolumeMissing, d.info.request.name.clone(), false),
        (DriftKind::VolumeUnknown, "rogue".into(), false),
        (
            DriftKind::BrickListDiffers,
            c.info.request.name.clone(),
            false,
        ),
        (
            DriftKind::VolumeNotStarted,
            a.info.request.name.clone(),
            false,
        ),
    ];
    assert_eq!(sorted(summary(&r)), sorted(expected.clone()), "{r:#?}");
    // Report order: by kind, then host.
    let kinds: Vec<DriftKind> = r.drifts.iter().map(|d| d.kind).collect();
    let mut by_kind = kinds.clone();
    by_kind.sort();
    assert_eq!(kinds, by_kind);
    // Each kind once: every kind of the list is covered by this test.
    for k in DriftKind::ALL {
        if k != DriftKind::NodeUnreachable {
            assert!(kinds.contains(&k), "{k} not made");
        }
    }
    let diff = r
        .drifts
        .iter()
        .find(|d| d.kind == DriftKind::BrickListDiffers)
        .unwrap();
    assert!(
        diff.detail
            .contains(&format!("only in gluster: [10.0.0.2:{c2_mount}/moved]")),
        "{}",
        diff.detail
    );
    // Nothing was changed by a report.
    assert_eq!(summary(&e.reconcile(false).await.unwrap()), summary(&r));

    let fixed = e.reconcile(true).await.unwrap();
    let safe: Vec<_> = expected.iter().filter(|(_, _, f)| *f).cloned().collect();
    let rest: Vec<_> = expected.iter().filter(|(_, _, f)| !*f).cloned().collect();
    assert_eq!(
        sorted(
            fixed
                .fixed
                .iter()
                .map(|d| (d.kind, d.subject.clone(), d.fixable))
                .collect()
        ),
        sorted(safe),
        "{fixed:#?}"
    );
    assert_eq!(sorted(summary(&fixed)), sorted(rest), "{fixed:#?}");
    assert!(fixed.drifts.iter().all(|d| d.fix_error.is_none()));
    // The nodes show the repairs.
    let n2 = mock.node("10.0.0.2").unwrap();
    assert!(n2.mounts.iter().any(|m| m.dir == b2_mount));
    let vg2 = n2.vg(&format!("vg_{b2_dev}")).unwrap();
    assert!(
        vg2.thin_pools
            .iter()
            .all(|p| p.name != format!("tp_{stray}"))
    );
    let n3 = mock.node("10.0.0.3").unwrap();
    assert!(
        n3.fstab.iter().any(|l| l.contains(&format!("brick_{b3} "))),
        "{:?}",
        n3.fstab
    );
    let vg3 = n3.vg(&format!("vg_{b3_dev}")).unwrap();
    assert!(
        vg3.thin_pools
            .iter()
            .all(|p| p.name != format!("tp_{pool}"))
    );
    // A second fix has nothing left to do.
    let again = e.reconcile(true).await.unwrap();
    assert!(again.fixed.is_empty());
    assert_eq!(summary(&again), summary(&fixed));
}

#[tokio::test]
async fn an_unreachable_node_is_a_drift_not_a_failure() {
    let b = bed(3, 1).await;
    let v = b.engine.create_volume(replica(1, 3)).await.unwrap();
    b.mock.faults().set_unreachable("10.0.0.2", true);
    let r = b.engine.reconcile(true).await.unwrap();
    let node2 = b
        .engine
        .state()
        .nodes
        .values()
        .find(|n| n.manage_host() == "10.0.0.2")
        .unwrap()
        .info
        .id
        .clone();
    assert_eq!(
        summary(&r),
        vec![(DriftKind::NodeUnreachable, node2, false)],
        "{r:#?}"
    );
    assert!(
        r.drifts[0].detail.contains("node unreachable"),
        "{}",
        r.drifts[0].detail
    );
    // The volume was still compared, through a node that answers.
    b.mock.faults().set_unreachable("10.0.0.2", false);
    b.mock.mock().run_command(
        "10.0.0.1",
        &format!("{G} volume stop {} force", v.info.request.name),
    );
    b.mock.faults().set_unreachable("10.0.0.1", true);
    let r = b.engine.reconcile(false).await.unwrap();
    let kinds: Vec<DriftKind> = r.drifts.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        vec![DriftKind::NodeUnreachable, DriftKind::VolumeNotStarted]
    );
}

#[tokio::test]
async fn glusterd_down_is_reported_and_its_node_still_inventoried() {
    let b = bed(3, 1).await;
    let v = b.engine.create_volume(replica(1, 3)).await.unwrap();
    let st = b.engine.state();
    let (b3, _, mount) = brick_on(&v, &st, "10.0.0.3");
    b.mock.mock().set_glusterd_running("10.0.0.3", false);
    run(b.mock.mock(), "10.0.0.3", &format!("umount {mount}"));
    let r = b.engine.reconcile(false).await.unwrap();
    let s = summary(&r);
    assert_eq!(s.len(), 2, "{r:#?}");
    assert_eq!(s[0].0, DriftKind::NodeUnreachable);
    assert!(
        r.drifts[0]
            .detail
            .starts_with("gluster on 10.0.0.3 did not answer")
    );
    assert_eq!(s[1], (DriftKind::BrickNotMounted, b3, true));
}

#[tokio::test]
async fn records_of_a_pending_operation_are_skipped_not_reported() {
    let b = bed(3, 1).await;
    // Build only, then dropped unstarted (a crash between Build and Exec): the volume
    // and its bricks stay recorded as pending, for the cleaner; nothing on the nodes.
    let create = b.engine.begin_volume_create(replica(1, 3)).unwrap();
    drop(create);
    assert_eq!(b.engine.in_flight_count(), 0);
    let r = b.engine.reconcile(false).await.unwrap();
    assert_eq!(summary(&r), vec![], "{r:#?}");
    assert_eq!(r.skipped.len(), 4, "{:?}", r.skipped);
    assert!(r.skipped[0].starts_with("volume "), "{:?}", r.skipped);
}

#[tokio::test]
async fn reconcile_waits_for_running_operations_and_refuses_if_they_keep_running() {
    let b = bed(3, 1).await;
    // A create that hangs at its first brick command: in flight until dropped.
    b.mock
        .faults()
        .fail_matching(|_, c| c.contains("lvcreate"), Fault::Hang, false);
    let create = b.engine.begin_volume_create(replica(1, 3)).unwrap();
    let running = tokio::spawn(create);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(b.engine.in_flight_count(), 1);
    let err = b.engine.reconcile(false).await.unwrap_err();
    assert_eq!(err.kind(), brickyard::ErrorKind::Conflict, "{err}");
    assert!(
        err.to_string().starts_with("operations are running"),
        "{err}"
    );
    running.abort();
    let _ = running.await;
    b.mock.faults().clear();
    assert_eq!(b.engine.in_flight_count(), 0);
    // Once it stopped, the engine answers (the aborted create is the cleaner's).
    let r = b.engine.reconcile(false).await.unwrap();
    assert_eq!(r.skipped.len(), 4, "{r:#?}");
}
