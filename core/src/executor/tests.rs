//! Command transcripts and fault-injection tests of the command layer, on mock nodes.

use super::*;

fn host() -> Host {
    Host::new("m1", "s1")
}

fn brick(id: &str) -> BrickRequest {
    BrickRequest {
        vg_id: "d1".into(),
        brick_id: id.into(),
        size: 10 * 1024 * 1024,
        tp_size: 10 * 1024 * 1024,
        pool_metadata_size: 53248,
        gid: 0,
        format: BrickFormat::Normal,
        snapshot: None,
    }
}

fn cmds(e: &MockExecutor) -> Vec<String> {
    e.commands().into_iter().map(|(_, c)| c).collect()
}

async fn with_device(e: &MockExecutor) {
    e.device_setup(&host(), "/dev/sdb", "d1", false)
        .await
        .unwrap();
    e.clear_commands();
}

const BRICK_B1: [&str; 6] = [
    "mkdir -p /var/lib/heketi/mounts/vg_d1/brick_b1",
    "/usr/sbin/lvm lvcreate -qq --autobackup=n --poolmetadatasize 53248K --chunksize 256K --size 10485760K --thin vg_d1/tp_b1 --virtualsize 10485760K --name brick_b1",
    "mkfs.xfs -i size=512 -n size=8192 /dev/mapper/vg_d1-brick_b1",
    r#"awk "BEGIN {print \"/dev/mapper/vg_d1-brick_b1 /var/lib/heketi/mounts/vg_d1/brick_b1 xfs rw,inode64,noatime,nouuid 1 2\" >> \"/etc/fstab\"}""#,
    "mount -o rw,inode64,noatime,nouuid /dev/mapper/vg_d1-brick_b1 /var/lib/heketi/mounts/vg_d1/brick_b1",
    "mkdir /var/lib/heketi/mounts/vg_d1/brick_b1/brick",
];

#[tokio::test]
async fn transcript_device_setup() {
    let e = MockExecutor::new();
    e.device_setup(&host(), "/dev/sdb", "d1", false)
        .await
        .unwrap();
    assert_eq!(
        cmds(&e),
        vec![
            "/usr/sbin/lvm pvcreate -qq --metadatasize=128M --dataalignment=256K '/dev/sdb'",
            "/usr/sbin/lvm vgcreate -qq --physicalextentsize=4M --autobackup=n vg_d1 /dev/sdb",
            "/usr/sbin/lvm pvs -o pv_name,pv_uuid,vg_name --reportformat=json /dev/sdb",
            "/usr/bin/udevadm info --query=symlink --name=/dev/sdb",
            "/usr/sbin/lvm vgdisplay -c vg_d1",
        ]
    );
    assert!(e.commands().iter().all(|(h, _)| h == "m1"));

    let e = MockExecutor::new();
    e.device_setup(&host(), "/dev/sdc", "d2", true)
        .await
        .unwrap();
    assert_eq!(cmds(&e)[0], "wipefs --all /dev/sdc");
    assert_eq!(
        cmds(&e)[1],
        "/usr/sbin/lvm pvcreate -qq --metadatasize=128M --dataalignment=256K '/dev/sdc'"
    );
}

#[tokio::test]
async fn transcript_device_teardown_and_wrapper() {
    let cfg = CommandConfig {
        lvm_wrapper: Some("exec-on-host".into()),
        backup_lvm_metadata: true,
        ..CommandConfig::default()
    };
    assert_eq!(
        commands::vgcreate(&cfg, "d1", "/dev/sdb"),
        "exec-on-host /usr/sbin/lvm vgcreate -qq --physicalextentsize=4M --autobackup=y vg_d1 /dev/sdb"
    );
    assert_eq!(
        commands::udev_symlinks(&cfg, "/dev/sdb"),
        "exec-on-host /usr/bin/udevadm info --query=symlink --name=/dev/sdb"
    );

    let e = MockExecutor::new();
    with_device(&e).await;
    e.device_teardown(&host(), "/dev/sdb", "d1").await.unwrap();
    assert_eq!(
        cmds(&e),
        vec![
            "/usr/sbin/lvm vgremove -qq vg_d1",
            "/usr/sbin/lvm pvremove -qq '/dev/sdb'",
            "rmdir /var/lib/heketi/mounts/vg_d1",
        ]
    );
}

#[tokio::test]
async fn transcript_brick_create_normal() {
    let e = MockExecutor::new();
    with_device(&e).await;
    e.brick_create(&host(), &brick("b1")).await.unwrap();
    assert_eq!(cmds(&e), BRICK_B1.to_vec());
}

#[tokio::test]
async fn transcript_brick_create_gid_arbiter_stripe() {
    let e = MockExecutor::new();
    with_device(&e).await;
    let mut b = brick("b2");
    b.gid = 2001;
    e.brick_create(&host(), &b).await.unwrap();
    let c = cmds(&e);
    assert_eq!(c.len(), 8);
    assert_eq!(
        c[6],
        "chown :2001 /var/lib/heketi/mounts/vg_d1/brick_b2/brick"
    );
    assert_eq!(
        c[7],
        "chmod 2775 /var/lib/heketi/mounts/vg_d1/brick_b2/brick"
    );

    let cfg = CommandConfig {
        lv_chunk_size: "512K".into(),
        xfs_su: 64,
        xfs_sw: 4,
        ..CommandConfig::default()
    };
    let normal = brick("b3");
    let mut arb = brick("b4");
    arb.format = BrickFormat::Arbiter;
    assert_eq!(
        commands::mkfs_xfs(&cfg, &normal),
        "mkfs.xfs -i size=512 -n size=8192 -d su=64k,sw=4 /dev/mapper/vg_d1-brick_b3"
    );
    assert_eq!(
        commands::mkfs_xfs(&cfg, &arb),
        "mkfs.xfs -i maxpct=100 -n size=8192 /dev/mapper/vg_d1-brick_b4"
    );
    assert!(commands::lvcreate_thin(&cfg, &normal).contains("--chunksize 512K"));
    assert!(commands::lvcreate_thin(&cfg, &arb).contains("--chunksize 256K"));

    // The arbiter and striped bricks really come out that way on a node.
    let e2 = CommandExecutor::from_transport(MockTransport::default(), cfg);
    e2.device_setup(&host(), "/dev/sdb", "d1", false)
        .await
        .unwrap();
    e2.brick_create(&host(), &normal).await.unwrap();
    e2.brick_create(&host(), &arb).await.unwrap();
    let node = e2.transport().node("m1").unwrap();
    let pools = &node.vg("vg_d1").unwrap().thin_pools;
    let lv = |n: &str| {
        pools
            .iter()
            .flat_map(|p| p.thin_lvs.iter())
            .find(|l| l.name == n)
            .cloned()
            .unwrap()
    };
    assert_eq!(lv("brick_b3").xfs_stripe.as_deref(), Some("su=64k,sw=4"));
    assert!(!lv("brick_b3").arbiter);
    assert!(lv("brick_b4").arbiter);
    assert_eq!(lv("brick_b4").xfs_stripe, None);
}

#[tokio::test]
async fn transcript_brick_destroy() {
    let e = MockExecutor::new();
    with_device(&e).await;
    e.brick_create(&host(), &brick("b1")).await.unwrap();
    e.clear_commands();
    assert!(e.brick_destroy(&host(), &brick("b1")).await.unwrap());
    assert_eq!(
        cmds(&e),
        vec![
            "umount /var/lib/heketi/mounts/vg_d1/brick_b1",
            r#"sed -i.save "/brick_b1/d" /etc/fstab"#,
            "/usr/sbin/lvm lvremove --autobackup=n -f vg_d1/brick_b1",
            "/usr/sbin/lvm lvs --noheadings --options=thin_count vg_d1/tp_b1",
            "/usr/sbin/lvm lvremove --autobackup=n -f vg_d1/tp_b1",
            "rmdir /var/lib/heketi/mounts/vg_d1/brick_b1",
        ]
    );
}

fn bricks(n: usize) -> Vec<BrickLocation> {
    (0..n)
        .map(|i| BrickLocation {
            storage_host: format!("s{}", i % 3 + 1),
            path: format!("/var/lib/heketi/mounts/vg_d{}/brick_b{i}/brick", i % 3 + 1),
        })
        .collect()
}

fn vol(durability: VolumeDurability, n: usize) -> VolumeRequest {
    VolumeRequest {
        name: "vol_1".into(),
        bricks: bricks(n),
        durability,
        options: vec!["user.heketi.id 1f2e".into()],
    }
}

const G: &str = "gluster --mode=script --timeout=600";

fn b(i: usize) -> String {
    format!(
        "s{}:/var/lib/heketi/mounts/vg_d{}/brick_b{i}/brick",
        i % 3 + 1,
        i % 3 + 1
    )
}

fn bl(r: std::ops::Range<usize>) -> String {
    r.map(b).collect::<Vec<_>>().join(" ")
}

#[test]
fn transcript_volume_create_replica3() {
    let c = commands::volume_create(
        &CommandConfig::default(),
        &vol(
            VolumeDurability::Replicate {
                replica: 3,
                arbiter: false,
            },
            6,
        ),
    );
    assert_eq!(
        c,
        vec![
            "gluster --mode=script --timeout=600 volume create vol_1 replica 3 s1:/var/lib/heketi/mounts/vg_d1/brick_b0/brick s2:/var/lib/heketi/mounts/vg_d2/brick_b1/brick s3:/var/lib/heketi/mounts/vg_d3/brick_b2/brick".to_string(),
            "gluster --mode=script --timeout=600 volume add-brick vol_1 s1:/var/lib/heketi/mounts/vg_d1/brick_b3/brick s2:/var/lib/heketi/mounts/vg_d2/brick_b4/brick s3:/var/lib/heketi/mounts/vg_d3/brick_b5/brick".to_string(),
            "gluster --mode=script --timeout=600 volume set vol_1 user.heketi.id 1f2e".to_string(),
            "gluster --mode=script --timeout=600 volume start vol_1".to_string(),
        ]
    );
}

#[test]
fn transcript_volume_create_arbiter_disperse_distribute() {
    let cfg = CommandConfig::default();
    let c = commands::volume_create(
        &cfg,
        &vol(
            VolumeDurability::Replicate {
                replica: 3,
                arbiter: true,
            },
            3,
        ),
    );
    assert_eq!(
        c[0],
        format!("{G} volume create vol_1 replica 3 arbiter 1 {}", bl(0..3))
    );
    assert_eq!(c.len(), 3);

    // Disperse 4+2: one set per add-brick.
    let c = commands::volume_create(
        &cfg,
        &vol(
            VolumeDurability::Disperse {
                data: 4,
                redundancy: 2,
            },
            18,
        ),
    );
    assert_eq!(
        c[0],
        format!(
            "{G} volume create vol_1 disperse-data 4 redundancy 2 {}",
            bl(0..6)
        )
    );
    assert_eq!(c[1], format!("{G} volume add-brick vol_1 {}", bl(6..12)));
    assert_eq!(c[2], format!("{G} volume add-brick vol_1 {}", bl(12..18)));
    assert_eq!(c[3], format!("{G} volume set vol_1 user.heketi.id 1f2e"));
    assert_eq!(c[4], format!("{G} volume start vol_1"));
    assert_eq!(c.len(), 5);

    // Distribute, 32 bricks: create with 1, then chunks of 15, 15, 1.
    let c = commands::volume_create(&cfg, &vol(VolumeDurability::Distribute, 32));
    assert_eq!(c[0], format!("{G} volume create vol_1 {}", b(0)));
    assert_eq!(c[1], format!("{G} volume add-brick vol_1 {}", bl(1..16)));
    assert_eq!(c[2], format!("{G} volume add-brick vol_1 {}", bl(16..31)));
    assert_eq!(c[3], format!("{G} volume add-brick vol_1 {}", bl(31..32)));
    assert_eq!(c.len(), 6);

    // Replica 3 with 36 bricks: create 1 set, then 5 sets (15 bricks), 5 sets, 1 set.
    let c = commands::volume_create(
        &cfg,
        &vol(
            VolumeDurability::Replicate {
                replica: 3,
                arbiter: false,
            },
            36,
        ),
    );
    assert_eq!(c[1], format!("{G} volume add-brick vol_1 {}", bl(3..18)));
    assert_eq!(c[2], format!("{G} volume add-brick vol_1 {}", bl(18..33)));
    assert_eq!(c[3], format!("{G} volume add-brick vol_1 {}", bl(33..36)));
}

#[test]
fn transcript_expand_destroy_info_peer() {
    let cfg = CommandConfig::default();
    let v = vol(
        VolumeDurability::Replicate {
            replica: 2,
            arbiter: false,
        },
        12,
    );
    assert_eq!(
        commands::add_bricks(&cfg, &v, 0),
        vec![
            format!("{G} volume add-brick vol_1 {}", bl(0..10)),
            format!("{G} volume add-brick vol_1 {}", bl(10..12)),
        ]
    );
    assert_eq!(
        commands::volume_rebalance_start(&cfg, "vol_1"),
        "gluster --mode=script --timeout=600 volume rebalance vol_1 start"
    );
    assert_eq!(
        commands::volume_stop_force(&cfg, "vol_1"),
        "gluster --mode=script --timeout=600 volume stop vol_1 force"
    );
    assert_eq!(
        commands::volume_delete(&cfg, "vol_1"),
        "gluster --mode=script --timeout=600 volume delete vol_1"
    );
    assert_eq!(
        commands::volume_info(&cfg, Some("vol_1")),
        "gluster --mode=script --timeout=600 volume info vol_1 --xml"
    );
    assert_eq!(
        commands::peer_probe(&cfg, "10.0.0.2"),
        "gluster --mode=script --timeout=600 peer probe 10.0.0.2"
    );
    assert_eq!(
        commands::peer_detach(&cfg, "10.0.0.2"),
        "gluster --mode=script --timeout=600 peer detach 10.0.0.2"
    );
}

/// Three peered nodes, each with device `/dev/sdb` as `vg_d<i>`.
async fn cluster<E: Executor + ?Sized>(e: &E, mock: &MockTransport) -> Vec<Host> {
    let hosts: Vec<Host> = (1..=3)
        .map(|i| Host::new(format!("m{i}"), format!("s{i}")))
        .collect();
    for h in &hosts {
        mock.add_node(&h.manage, &h.storage);
    }
    for (i, h) in hosts.iter().enumerate() {
        e.glusterd_check(h).await.unwrap();
        if i > 0 {
            e.peer_probe(&hosts[0], h).await.unwrap();
        }
        e.device_setup(h, "/dev/sdb", &format!("d{}", i + 1), false)
            .await
            .unwrap();
    }
    hosts
}

fn brick_on(i: usize, id: &str) -> BrickRequest {
    BrickRequest {
        vg_id: format!("d{}", i + 1),
        ..brick(id)
    }
}

#[tokio::test]
async fn volume_lifecycle_end_to_end() {
    let e = MockExecutor::new();
    let hosts = cluster(&e, e.mock()).await;
    let mut locs = Vec::new();
    for set in 0..2 {
        for (i, h) in hosts.iter().enumerate() {
            let b = brick_on(i, &format!("b{set}{i}"));
            e.brick_create(h, &b).await.unwrap();
            locs.push(BrickLocation {
                storage_host: h.storage.clone(),
                path: b.brick_path(),
            });
        }
    }
    let mut req = VolumeRequest {
        name: "vol_1".into(),
        bricks: locs[..3].to_vec(),
        durability: VolumeDurability::Replicate {
            replica: 3,
            arbiter: false,
        },
        options: vec!["user.heketi.id abc".into()],
    };
    e.volume_create(&hosts[0], &req).await.unwrap();
    let info = e.volume_info(&hosts[1], "vol_1").await.unwrap().unwrap();
    assert_eq!(info.status, "Started");
    assert_eq!(info.type_name, "Replicate");
    assert_eq!(
        info.bricks,
        locs[..3]
            .iter()
            .map(BrickLocation::gluster_name)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        info.options,
        vec![("user.heketi.id".to_string(), "abc".to_string())]
    );

    req.bricks = locs[3..].to_vec();
    e.volume_expand(&hosts[0], &req, true).await.unwrap();
    let info = e.volume_info(&hosts[2], "vol_1").await.unwrap().unwrap();
    assert_eq!(info.type_name, "Distributed-Replicate");
    assert_eq!(info.bricks.len(), 6);
    assert_eq!(e.volumes(&hosts[0]).await.unwrap().len(), 1);
    assert!(
        e.commands()
            .iter()
            .any(|(_, c)| c.ends_with("volume rebalance vol_1 start"))
    );

    e.volume_destroy(&hosts[0], "vol_1").await.unwrap();
    assert_eq!(e.volume_info(&hosts[0], "vol_1").await.unwrap(), None);
    assert!(e.volumes(&hosts[0]).await.unwrap().is_empty());
    let err = e.volume_destroy(&hosts[0], "vol_1").await.unwrap_err();
    assert_eq!(err.kind, ExecErrorKind::NotFound);
    assert_eq!(err.host, "m1");
}

#[tokio::test]
async fn executor_refuses_unsafe_input_without_running_anything() {
    let e = MockExecutor::new();
    let err = e
        .device_setup(&host(), "/dev/sdb;reboot", "d1", false)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ExecErrorKind::Invalid);
    let mut b = brick("b1");
    b.tp_size = 1;
    assert_eq!(
        e.brick_create(&host(), &b).await.unwrap_err().kind,
        ExecErrorKind::Invalid
    );
    let mut v = vol(
        VolumeDurability::Replicate {
            replica: 3,
            arbiter: false,
        },
        4,
    );
    assert_eq!(
        e.volume_create(&host(), &v).await.unwrap_err().kind,
        ExecErrorKind::Invalid
    );
    v.bricks.truncate(3);
    v.options = vec!["user.x $(reboot)".into()];
    assert_eq!(
        e.volume_create(&host(), &v).await.unwrap_err().kind,
        ExecErrorKind::Invalid
    );
    // The undo of a create the guard refused is not refused in turn: no gluster volume
    // can have such a name, so there is nothing to destroy (and nothing to read).
    v.options.clear();
    v.name = "-rf".into();
    assert_eq!(
        e.volume_create(&host(), &v).await.unwrap_err().kind,
        ExecErrorKind::Invalid
    );
    assert_eq!(
        e.volume_destroy(&host(), "-rf").await.unwrap_err().kind,
        ExecErrorKind::NotFound
    );
    assert_eq!(e.volume_info(&host(), "-rf").await.unwrap(), None);
    assert!(e.commands().is_empty());
}

#[tokio::test]
async fn udev_missing_falls_back_to_device_name() {
    let e = MockExecutor::new();
    e.mock().set_udev_available("m1", false);
    let info = e
        .device_setup(&host(), "/dev/sdb", "d1", false)
        .await
        .unwrap();
    assert_eq!(info.paths, vec!["/dev/sdb".to_string()]);
    let e = MockExecutor::new();
    let info = e
        .device_setup(&host(), "/dev/sdb", "d1", false)
        .await
        .unwrap();
    assert!(info.paths.contains(&"/dev/sdb".to_string()));
    assert!(info.paths.len() > 1);
    assert!(!info.paths.iter().any(|p| p.contains("lvm-pv-uuid")));
}

// ---- fault injection ----

fn clean_after_device_setup(node: &MockNodeState, free_before: u64) {
    let vg = node.vg("vg_d1").unwrap();
    assert_eq!(vg.free_kib(), free_before, "VG space not restored");
    assert!(
        vg.thin_pools.is_empty(),
        "orphan thin pool: {:?}",
        vg.thin_pools
    );
    assert!(node.mounts.is_empty(), "orphan mount: {:?}", node.mounts);
    assert!(node.fstab.is_empty(), "orphan fstab line: {:?}", node.fstab);
    assert!(
        !node.dirs.iter().any(|d| d.contains("brick_")),
        "orphan directory: {:?}",
        node.dirs
    );
}

#[tokio::test]
async fn nth_command_failure_rolls_back_brick_create() {
    // Fail each step of the create batch in turn (1..=8 with gid: all 8 commands).
    for n in 1..=8 {
        let e = FaultyMockExecutor::new();
        let before = e
            .device_setup(&host(), "/dev/sdb", "d1", false)
            .await
            .unwrap();
        let mut b = brick("b1");
        b.gid = 1000;
        e.faults().fail_nth(n, Fault::failed());
        let err = e.brick_create(&host(), &b).await.unwrap_err();
        assert_eq!(err.kind, ExecErrorKind::Failed, "step {n}");
        assert_eq!(err.stderr, "injected failure");
        assert_eq!(e.faults().injected().len(), 1);
        assert_eq!(
            e.faults().injected()[0].1,
            commands::brick_create(e.config(), &b)[n as usize - 1]
        );
        let node = e.mock().node("m1").unwrap();
        clean_after_device_setup(&node, before.free);
        // And the brick can be made afterwards.
        e.brick_create(&host(), &b).await.unwrap();
    }
}

#[tokio::test]
async fn predicate_failure_and_unreachable_host() {
    let e = FaultyMockExecutor::new();
    let before = e
        .device_setup(&host(), "/dev/sdb", "d1", false)
        .await
        .unwrap();
    let faults = e.faults();
    faults.fail_matching(
        |_, c| c.starts_with("mount -o"),
        Fault::Exit {
            status: 32,
            stderr: "mount: wrong fs type".into(),
        },
        false,
    );
    for id in ["b1", "b2"] {
        let err = e.brick_create(&host(), &brick(id)).await.unwrap_err();
        assert_eq!(err.exit_status, Some(32));
        assert!(err.command.starts_with("mount -o"));
    }
    clean_after_device_setup(&e.mock().node("m1").unwrap(), before.free);
    faults.clear();
    e.brick_create(&host(), &brick("b1")).await.unwrap();

    faults.set_unreachable("m1", true);
    let err = e.brick_destroy(&host(), &brick("b1")).await.unwrap_err();
    assert_eq!(err.kind, ExecErrorKind::Unreachable);
    assert_eq!(err.host, "m1");
    assert!(err.to_string().contains("m1"), "{err}");
    faults.set_unreachable("m1", false);
    assert!(e.brick_destroy(&host(), &brick("b1")).await.unwrap());

    faults.fail_matching(|_, c| c.contains("vgdisplay"), Fault::Timeout, true);
    let err = e.device_info(&host(), "/dev/sdb", "d1").await.unwrap_err();
    assert_eq!(err.kind, ExecErrorKind::Timeout);
    assert!(
        e.device_info(&host(), "/dev/sdb", "d1").await.is_ok(),
        "once means once"
    );
}

#[tokio::test]
async fn failed_identification_tears_the_device_down() {
    let e = FaultyMockExecutor::new();
    e.faults()
        .fail_matching(|_, c| c.contains("vgdisplay"), Fault::failed(), true);
    assert!(
        e.device_setup(&host(), "/dev/sdb", "d1", false)
            .await
            .is_err()
    );
    let node = e.mock().node("m1").unwrap();
    assert!(node.vgs.is_empty() && node.pvs.is_empty(), "{node:?}");
    e.device_setup(&host(), "/dev/sdb", "d1", false)
        .await
        .unwrap();
}

#[tokio::test]
async fn rebalance_failure_is_not_an_expand_failure() {
    let e = FaultyMockExecutor::new();
    let hosts = cluster(&e, e.mock()).await;
    let mut locs = Vec::new();
    for set in 0..2 {
        for (i, h) in hosts.iter().enumerate() {
            let b = brick_on(i, &format!("b{set}{i}"));
            e.brick_create(h, &b).await.unwrap();
            locs.push(BrickLocation {
                storage_host: h.storage.clone(),
                path: b.brick_path(),
            });
        }
    }
    let mut req = VolumeRequest {
        name: "v".into(),
        bricks: locs[..3].to_vec(),
        durability: VolumeDurability::Replicate {
            replica: 3,
            arbiter: false,
        },
        options: vec![],
    };
    e.volume_create(&hosts[0], &req).await.unwrap();
    e.faults()
        .fail_matching(|_, c| c.contains("rebalance"), Fault::failed(), false);
    req.bricks = locs[3..].to_vec();
    e.volume_expand(&hosts[0], &req, true).await.unwrap();
    assert_eq!(
        e.volume_info(&hosts[0], "v")
            .await
            .unwrap()
            .unwrap()
            .bricks
            .len(),
        6
    );
}

#[tokio::test]
async fn engine_can_hold_it_as_a_shared_trait_object() {
    let mock = MockExecutor::new();
    let handle = mock.mock().clone();
    let e: std::sync::Arc<dyn Executor> = std::sync::Arc::new(mock);
    let hosts = cluster(e.as_ref(), &handle).await;
    let mut tasks = Vec::new();
    for (i, h) in hosts.iter().enumerate() {
        for k in 0..4 {
            let (e, h) = (e.clone(), h.clone());
            tasks.push(tokio::spawn(async move {
                e.brick_create(&h, &brick_on(i, &format!("c{i}{k}"))).await
            }));
        }
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    for (i, node) in handle.nodes().iter().enumerate() {
        let vg = node.vg(&format!("vg_d{}", i + 1)).unwrap();
        assert_eq!(vg.thin_pools.len(), 4);
        assert_eq!(node.mounts.len(), 4);
        assert_eq!(node.fstab.len(), 4);
    }
}

#[tokio::test]
async fn glusterd_check_falls_back_to_pidof_without_systemd() {
    let e = FaultyMockExecutor::new();
    e.mock().add_node("m1", "s1");
    let no_systemd = Fault::Exit {
        status: 1,
        stderr: "System has not been booted with systemd as init system (PID 1). Can't operate.\n\
                 Failed to connect to bus: Host is down"
            .into(),
    };
    e.faults().fail_matching(
        |_, c| c.starts_with("systemctl "),
        no_systemd.clone(),
        false,
    );
    e.glusterd_check(&host()).await.unwrap();
    // Heketi's command first (answered by the fault), then the fallback on the node.
    assert_eq!(
        e.faults().injected(),
        vec![("m1".to_string(), "systemctl status glusterd".to_string())]
    );
    assert_eq!(e.faults().commands_seen(), 2);
    assert_eq!(cmds_of(&e), vec!["pidof glusterd"]);

    e.mock().set_glusterd_running("m1", false);
    let err = e.glusterd_check(&host()).await.unwrap_err();
    assert_eq!(err.kind, ExecErrorKind::Failed);
    assert_eq!(err.host, "m1");
    assert_eq!(err.command, "pidof glusterd");
    assert_eq!(err.exit_status, Some(1));
    assert!(
        err.to_string().contains("glusterd is not running")
            && err.to_string().contains("not been booted with systemd"),
        "{err}"
    );

    // systemctl not installed at all: the shell's 127.
    e.faults().clear();
    e.faults().fail_matching(
        |_, c| c.starts_with("systemctl "),
        Fault::Exit {
            status: 127,
            stderr: "bash: line 1: systemctl: command not found".into(),
        },
        false,
    );
    e.mock().set_glusterd_running("m1", true);
    e.mock().clear_commands();
    e.glusterd_check(&host()).await.unwrap();
    assert_eq!(
        cmds_of(&e).last().map(String::as_str),
        Some("pidof glusterd")
    );
}

#[tokio::test]
async fn glusterd_check_trusts_a_working_systemd() {
    // systemd answers "inactive" (exit 3): glusterd is down, no fallback is tried.
    let e = FaultyMockExecutor::new();
    e.mock().add_node("m1", "s1");
    e.mock().set_glusterd_running("m1", false);
    let err = e.glusterd_check(&host()).await.unwrap_err();
    assert_eq!(err.exit_status, Some(3));
    assert_eq!(err.command, "systemctl status glusterd");
    assert_eq!(cmds_of(&e), vec!["systemctl status glusterd"]);
    // An unreachable node is not mistaken for a node without systemd either.
    e.mock().set_glusterd_running("m1", true);
    e.faults().set_unreachable("m1", true);
    let err = e.glusterd_check(&host()).await.unwrap_err();
    assert_eq!(err.kind, ExecErrorKind::Unreachable);
}

fn cmds_of(e: &FaultyMockExecutor) -> Vec<String> {
    e.commands().into_iter().map(|(_, c)| c).collect()
}

/// Answers every command with success after a short sleep and records how many fstab
/// edits and how many commands in all were running at once.
#[derive(Default)]
struct OverlapTransport {
    running: std::sync::Mutex<(usize, usize)>,
    peak: std::sync::Mutex<(usize, usize)>,
}

#[async_trait::async_trait]
impl Transport for OverlapTransport {
    async fn run(
        &self,
        _host: &str,
        command: &str,
        _timeout: std::time::Duration,
    ) -> Result<CommandOutput, ExecError> {
        let fstab = command.contains("/etc/fstab");
        {
            let mut r = self.running.lock().unwrap();
            r.0 += usize::from(fstab);
            r.1 += 1;
            let mut p = self.peak.lock().unwrap();
            *p = (p.0.max(r.0), p.1.max(r.1));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let mut r = self.running.lock().unwrap();
        r.0 -= usize::from(fstab);
        r.1 -= 1;
        let out = if command.contains("thin_count") {
            "  0\n"
        } else {
            ""
        };
        Ok(CommandOutput::ok(out))
    }
}

#[tokio::test]
async fn fstab_edits_on_one_node_take_turns() {
    let e = CommandExecutor::from_transport(OverlapTransport::default(), CommandConfig::default());
    let h = host();
    let bricks: Vec<BrickRequest> = (0..8).map(|i| brick(&format!("b{i}"))).collect();
    let creates = bricks.iter().map(|b| e.brick_create(&h, b));
    for r in futures_util::future::join_all(creates).await {
        r.unwrap();
    }
    let destroys = bricks.iter().map(|b| e.brick_destroy(&h, b));
    for r in futures_util::future::join_all(destroys).await {
        r.unwrap();
    }
    let (fstab, all) = *e.transport().peak.lock().unwrap();
    assert!(all >= 8, "batches did not overlap: peak {all}");
    assert_eq!(fstab, 1, "fstab edits overlapped");
    // What counts as an fstab edit.
    assert!(commands::edits_fstab(
        &CommandConfig::default(),
        &commands::fstab_remove(&CommandConfig::default(), &brick("b1"))
    ));
    assert!(!commands::edits_fstab(
        &CommandConfig::default(),
        &commands::mount(&CommandConfig::default(), &brick("b1"))
    ));
}

#[tokio::test]
async fn transcript_node_inventory_and_brick_repairs() {
    let e = MockExecutor::new();
    with_device(&e).await;
    e.brick_create(&host(), &brick("b1")).await.unwrap();
    e.clear_commands();
    let inv = e.node_inventory(&host()).await.unwrap();
    assert_eq!(
        cmds(&e),
        vec![
            "/usr/sbin/lvm lvs --reportformat=json --units=k --nosuffix -o vg_name,lv_name,pool_lv,segtype,lv_size",
            "/usr/sbin/lvm vgs --reportformat=json --units=k --nosuffix -o vg_name,vg_size,vg_free,vg_extent_size",
            "/usr/sbin/lvm pvs -o pv_name,pv_uuid,vg_name --reportformat=json",
            "cat /proc/mounts",
            "cat /etc/fstab",
        ]
    );
    let lv = inv.lv("vg_d1", "brick_b1").unwrap();
    assert_eq!(
        (lv.pool.as_str(), lv.segtype.as_str(), lv.size_kib),
        ("tp_b1", "thin", 10 * 1024 * 1024)
    );
    assert_eq!(inv.lv("vg_d1", "tp_b1").unwrap().segtype, "thin-pool");
    let vg = inv.vg("vg_d1").unwrap();
    assert_eq!(vg.extent_kib, 4096);
    assert!(vg.free_kib < vg.size_kib);
    assert_eq!(inv.pvs.len(), 1);
    assert_eq!(
        (inv.pvs[0].device.as_str(), inv.pvs[0].vg.as_str()),
        ("/dev/sdb", "vg_d1")
    );
    let dir = "/var/lib/heketi/mounts/vg_d1/brick_b1";
    assert_eq!(
        inv.mount_at(dir).unwrap().source,
        "/dev/mapper/vg_d1-brick_b1"
    );
    assert_eq!(inv.fstab.len(), 1);
    assert_eq!(inv.fstab[0].target, dir);

    // Repairs: mount again and add the fstab line again.
    e.transport().run_command("m1", &format!("umount {dir}"));
    e.transport()
        .run_command("m1", "sed -i.save \"/brick_b1/d\" /etc/fstab");
    e.clear_commands();
    e.brick_mount(&host(), &brick("b1")).await.unwrap();
    e.brick_fstab_add(&host(), &brick("b1")).await.unwrap();
    assert_eq!(
        cmds(&e),
        vec![
            format!("mkdir -p {dir}"),
            BRICK_B1[4].to_string(),
            BRICK_B1[3].to_string(),
        ]
    );
    let inv = e.node_inventory(&host()).await.unwrap();
    assert!(inv.mount_at(dir).is_some());
    assert_eq!(inv.fstab.len(), 1);
}

#[tokio::test]
async fn transcript_peer_status() {
    let e = MockExecutor::new();
    e.transport().add_node("m2", "s2");
    e.glusterd_check(&host()).await.unwrap();
    assert!(e.peer_status(&host()).await.unwrap().is_empty());
    e.peer_probe(&host(), &Host::new("m2", "s2")).await.unwrap();
    e.clear_commands();
    let peers = e.peer_status(&host()).await.unwrap();
    assert_eq!(
        cmds(&e),
        vec!["gluster --mode=script --timeout=600 peer status --xml"]
    );
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].hostnames, vec!["s2"]);
    assert!(peers[0].connected);
    e.transport().set_glusterd_running("m1", false);
    assert!(e.peer_status(&host()).await.is_err());
}
