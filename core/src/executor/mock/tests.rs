//! The mock's model: sizes, state changes, and real errors for misuse.

use super::*;
use crate::executor::{BrickFormat, BrickRequest, ExecErrorKind, Executor, Host};

const GIB: u64 = 1024 * 1024;

fn host() -> Host {
    Host::new("m1", "s1")
}

fn brick(id: &str, size: u64) -> BrickRequest {
    BrickRequest {
        vg_id: "d1".into(),
        brick_id: id.into(),
        size,
        tp_size: size,
        pool_metadata_size: 53248,
        gid: 0,
        format: BrickFormat::Normal,
        snapshot: None,
    }
}

fn run(m: &MockTransport, cmd: &str) -> CommandOutput {
    m.run_command("m1", cmd)
}

#[tokio::test]
async fn device_setup_sizes_follow_lvm() {
    let e = MockExecutor::new();
    let info = e
        .device_setup(&host(), "/dev/sdb", "d1", false)
        .await
        .unwrap();
    // 500 GiB minus the 128 MiB metadata area aligned to 256K, in 4 MiB extents.
    assert_eq!(info.extent_size, 4096);
    assert_eq!(info.total, 127_967 * 4096);
    assert_eq!(info.free, info.total);
    assert_eq!(info.used, 0);
    assert!(!info.pv_uuid.is_empty());
    let node = e.mock().node("m1").unwrap();
    assert_eq!(node.pvs[0].uuid, info.pv_uuid);
    assert_eq!(node.vg("vg_d1").unwrap().total_extents, 127_967);

    e.mock().set_device_size("m1", "/dev/sdc", 10 * GIB);
    let small = e
        .device_setup(&host(), "/dev/sdc", "d2", false)
        .await
        .unwrap();
    assert_eq!(small.total, (10 * GIB - 131_328) / 4096 * 4096);

    // Addressed by its persistent by-id link.
    let by_id = format!("/dev/disk/by-id/lvm-pv-uuid-{}", info.pv_uuid);
    let again = e.device_info(&host(), &by_id, "d1").await.unwrap();
    assert_eq!(again.total, info.total);
}

#[tokio::test]
async fn brick_create_debits_and_destroy_restores_exactly() {
    let e = MockExecutor::new();
    let before = e
        .device_setup(&host(), "/dev/sdb", "d1", false)
        .await
        .unwrap();
    let b = brick("b1", 10 * GIB);
    e.brick_create(&host(), &b).await.unwrap();

    let node = e.mock().node("m1").unwrap();
    let vg = node.vg("vg_d1").unwrap();
    let used = 10 * GIB + 53248;
    assert_eq!(vg.free_kib(), before.free - used);
    assert_eq!(vg.thin_pools.len(), 1);
    assert_eq!(vg.thin_pools[0].name, "tp_b1");
    assert_eq!(vg.thin_pools[0].size_kib, 10 * GIB);
    assert_eq!(vg.thin_pools[0].metadata_kib, 53248);
    assert_eq!(vg.thin_pools[0].thin_lvs[0].name, "brick_b1");
    assert_eq!(vg.thin_pools[0].thin_lvs[0].virtual_size_kib, 10 * GIB);
    assert!(vg.thin_pools[0].thin_lvs[0].formatted);
    assert_eq!(
        node.mounts,
        vec![MockMount {
            dir: b.mount_dir(),
            device: b.dev_node(),
            options: "rw,inode64,noatime,nouuid".into()
        }]
    );
    assert_eq!(
        node.fstab,
        vec![format!(
            "{} {} xfs rw,inode64,noatime,nouuid 1 2",
            b.dev_node(),
            b.mount_dir()
        )]
    );
    let after = e.device_info(&host(), "/dev/sdb", "d1").await.unwrap();
    assert_eq!(after.used, used);
    assert_eq!(after.free + after.used, after.total);
    let mounted = run(e.mock(), "mount");
    assert!(
        mounted
            .stdout
            .contains(&format!("{} on {} type xfs", b.dev_node(), b.mount_dir()))
    );

    assert!(e.brick_destroy(&host(), &b).await.unwrap());
    let node = e.mock().node("m1").unwrap();
    let vg = node.vg("vg_d1").unwrap();
    assert_eq!(vg.free_kib(), before.free);
    assert!(vg.thin_pools.is_empty());
    assert!(node.mounts.is_empty());
    assert!(node.fstab.is_empty());
    assert!(!node.dirs.contains(&b.mount_dir()));

    // Destroying again (or a brick that never existed) is fine.
    assert!(e.brick_destroy(&host(), &b).await.unwrap());
    assert!(
        e.brick_destroy(&host(), &brick("never", GIB))
            .await
            .unwrap()
    );

    // The device can then be torn down completely.
    e.device_teardown(&host(), "/dev/sdb", "d1").await.unwrap();
    let node = e.mock().node("m1").unwrap();
    assert!(node.vgs.is_empty() && node.pvs.is_empty());
}

#[tokio::test]
async fn thin_count_reports_users_of_a_pool() {
    let e = MockExecutor::new();
    e.device_setup(&host(), "/dev/sdb", "d1", false)
        .await
        .unwrap();
    let b = brick("b1", GIB);
    e.brick_create(&host(), &b).await.unwrap();
    let count = "/usr/sbin/lvm lvs --noheadings --options=thin_count vg_d1/tp_b1";
    assert_eq!(run(e.mock(), count).stdout.trim(), "1");
    // The pool cannot go while its LV is mounted.
    let o = run(
        e.mock(),
        "/usr/sbin/lvm lvremove --autobackup=n -f vg_d1/tp_b1",
    );
    assert_eq!(o.exit_status, 5);
    assert!(
        o.stderr.contains("contains a filesystem in use"),
        "{}",
        o.stderr
    );
    e.brick_destroy(&host(), &b).await.unwrap();
    let o = run(e.mock(), count);
    assert_eq!(o.exit_status, 5);
    assert!(
        o.stderr
            .contains("Failed to find logical volume \"vg_d1/tp_b1\""),
        "{}",
        o.stderr
    );
}

#[tokio::test]
async fn misuse_gives_real_errors() {
    let e = MockExecutor::new();
    let m = e.mock();
    e.device_setup(&host(), "/dev/sdb", "d1", false)
        .await
        .unwrap();

    // A device that already carries a VG.
    let err = e
        .device_setup(&host(), "/dev/sdb", "d9", false)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ExecErrorKind::Failed);
    assert_eq!(err.exit_status, Some(5));
    assert!(
        err.stderr.contains(
            "Can't initialize physical volume \"/dev/sdb\" of volume group \"vg_d1\" without -ff"
        ),
        "{}",
        err.stderr
    );

    // Missing device.
    m.set_device_missing("m1", "/dev/sdz", true);
    let err = e
        .device_setup(&host(), "/dev/sdz", "d2", false)
        .await
        .unwrap_err();
    assert!(
        err.stderr.contains("No device found for /dev/sdz"),
        "{}",
        err.stderr
    );

    // More than the VG holds.
    let err = e
        .brick_create(&host(), &brick("huge", 600 * GIB))
        .await
        .unwrap_err();
    assert!(
        err.stderr.contains("insufficient free space"),
        "{}",
        err.stderr
    );
    assert!(
        m.node("m1")
            .unwrap()
            .vg("vg_d1")
            .unwrap()
            .thin_pools
            .is_empty()
    );

    // Mount of a device that does not exist.
    run(m, "mkdir -p /mnt/x");
    let o = run(m, "mount -o rw /dev/mapper/vg_d1-brick_nope /mnt/x");
    assert_eq!(o.exit_status, 32);
    assert!(o.stderr.contains("does not exist"));

    // VG with LVs cannot be removed; unknown commands fail loudly.
    e.brick_create(&host(), &brick("b1", GIB)).await.unwrap();
    let err = e
        .device_teardown(&host(), "/dev/sdb", "d1")
        .await
        .unwrap_err();
    assert!(err.stderr.contains("still contains"), "{}", err.stderr);
    let o = run(m, "frobnicate --all");
    assert_eq!(o.exit_status, 127);
    let o = run(m, "/usr/sbin/lvm lvcreate -L 1G -n x vg_d1");
    assert_ne!(o.exit_status, 0);
    let o = run(m, "mount | grep brick");
    assert_eq!(o.exit_status, 127);
    let o = run(m, "gluster volume info");
    assert_eq!(
        o.exit_status, 127,
        "without --mode=script gluster would prompt"
    );
    let o = run(m, "rmdir /var/lib/heketi/mounts/vg_d1/brick_b1");
    assert!(o.stderr.contains("Device or resource busy"));

    // wipefs + setup reclaims a device whose old VG has no mounted LV.
    e.brick_destroy(&host(), &brick("b1", GIB)).await.unwrap();
    let info = e
        .device_setup(&host(), "/dev/sdb", "d7", true)
        .await
        .unwrap();
    assert_eq!(info.free, info.total);
    assert!(m.node("m1").unwrap().vg("vg_d1").is_none());
}

fn gl(m: &MockTransport, host: &str, args: &str) -> CommandOutput {
    m.run_command(host, &format!("gluster --mode=script --timeout=600 {args}"))
}

/// m1..m3 peered; on each a brick dir `/b/<i>` mounted from a real brick.
async fn pool() -> (MockExecutor, Vec<Host>) {
    let e = MockExecutor::new();
    let hosts: Vec<Host> = (1..=3)
        .map(|i| Host::new(format!("m{i}"), format!("s{i}")))
        .collect();
    for h in &hosts {
        e.mock().add_node(&h.manage, &h.storage);
    }
    for h in &hosts[1..] {
        e.peer_probe(&hosts[0], h).await.unwrap();
    }
    for h in &hosts {
        e.device_setup(h, "/dev/sdb", "d1", false).await.unwrap();
        for id in ["x", "y"] {
            e.brick_create(h, &brick(id, GIB)).await.unwrap();
        }
    }
    (e, hosts)
}

fn bp(i: usize, id: &str) -> String {
    format!("s{i}:/var/lib/heketi/mounts/vg_d1/brick_{id}/brick")
}

#[tokio::test]
async fn gluster_model() {
    let (e, hosts) = pool().await;
    let m = e.mock();
    assert_eq!(
        m.node("m2").unwrap().peers,
        vec!["s1".to_string(), "s3".to_string()]
    );

    // Brick dir that does not exist.
    let o = gl(
        m,
        "m1",
        &format!(
            "volume create v replica 3 {} {} s3:/nope/brick",
            bp(1, "x"),
            bp(2, "x")
        ),
    );
    assert_eq!(o.exit_status, 1);
    assert!(
        o.stderr.contains("Failed to create brick directory"),
        "{}",
        o.stderr
    );
    // Unknown host.
    let o = gl(m, "m1", &format!("volume create v {} s9:/x", bp(1, "x")));
    assert!(
        o.stderr.contains("is not in 'Peer in Cluster' state"),
        "{}",
        o.stderr
    );
    // Root partition without force.
    let o = gl(m, "m1", "volume create v s1:/var/lib/heketi");
    assert!(o.stderr.contains("root partition"), "{}", o.stderr);
    // Two replicas on one server.
    let o = gl(
        m,
        "m1",
        &format!("volume create v replica 2 {} {}", bp(1, "x"), bp(1, "y")),
    );
    assert!(
        o.stderr.contains("Multiple bricks of a replicate volume"),
        "{}",
        o.stderr
    );

    let create = format!(
        "volume create v replica 3 {} {} {}",
        bp(1, "x"),
        bp(2, "x"),
        bp(3, "x")
    );
    assert_eq!(gl(m, "m1", &create).exit_status, 0);
    assert!(gl(m, "m2", &create).stderr.contains("already exists"));
    let o = gl(m, "m2", &format!("volume create w {}", bp(1, "x")));
    assert!(
        o.stderr.contains("is already part of a volume"),
        "{}",
        o.stderr
    );
    assert_eq!(gl(m, "m1", "volume start v").exit_status, 0);
    let o = gl(m, "m1", "volume delete v");
    assert!(
        o.stderr
            .contains("Volume needs to be stopped before deletion"),
        "{}",
        o.stderr
    );
    assert!(
        gl(m, "m3", "peer detach s1")
            .stderr
            .contains("hosts one or more bricks")
    );

    // The volume is visible from every peer, in XML.
    let info = e.volume_info(&hosts[2], "v").await.unwrap().unwrap();
    assert_eq!(info.bricks, vec![bp(1, "x"), bp(2, "x"), bp(3, "x")]);
    assert_eq!(info.status, "Started");

    // --xml exits 0 and reports failures in opRet.
    let o = gl(m, "m1", "volume info nosuch --xml");
    assert_eq!(o.exit_status, 0);
    assert!(o.stdout.contains("<opRet>-1</opRet>") && o.stdout.contains("Volume does not exist"));

    // Stop + delete leaves the brick xattr: the dir cannot be reused without a new brick.
    assert_eq!(gl(m, "m1", "volume stop v force").exit_status, 0);
    assert_eq!(gl(m, "m1", "volume delete v").exit_status, 0);
    let o = gl(m, "m1", &format!("volume create v2 {}", bp(1, "x")));
    assert!(
        o.stderr.contains("is already part of a volume"),
        "{}",
        o.stderr
    );
    assert!(m.node("m1").unwrap().volumes.is_empty());

    // glusterd down.
    m.set_glusterd_running("m3", false);
    assert!(e.glusterd_check(&hosts[2]).await.is_err());
    let o = gl(m, "m3", "volume info --xml");
    assert!(o.stderr.contains("Connection failed"));
}

#[tokio::test]
async fn peer_probe_and_detach() {
    let e = MockExecutor::new();
    let m = e.mock();
    m.add_node("m1", "s1");
    m.add_node("m2", "s2");
    let (h1, h2) = (Host::new("m1", "s1"), Host::new("m2", "s2"));
    let err = e.peer_probe(&h1, &Host::new("m9", "s9")).await.unwrap_err();
    assert!(
        err.stderr.contains("Transport endpoint is not connected"),
        "{}",
        err.stderr
    );
    e.peer_probe(&h1, &h2).await.unwrap();
    e.peer_probe(&h1, &h2).await.unwrap();
    assert_eq!(m.node("m1").unwrap().peers, vec!["s2".to_string()]);
    e.peer_detach(&h1, &h2).await.unwrap();
    assert!(m.node("m1").unwrap().peers.is_empty());
    assert!(
        e.peer_detach(&h1, &h2)
            .await
            .unwrap_err()
            .stderr
            .contains("is not part of cluster")
    );
}

#[tokio::test]
async fn command_log_keeps_only_the_latest_commands() {
    // A long-running mock server must not keep every command line it ever ran.
    let e = MockExecutor::new();
    let runs = 3 * DEFAULT_COMMAND_LOG_LIMIT;
    for i in 0..runs {
        e.mock().run_command("m1", &format!("mkdir -p /tmp/d{i}"));
        e.mock().run_command("m1", &format!("rmdir /tmp/d{i}"));
    }
    let log = e.commands();
    assert_eq!(log.len(), DEFAULT_COMMAND_LOG_LIMIT);
    assert_eq!(
        log.last().map(|(_, c)| c.as_str()),
        Some(format!("rmdir /tmp/d{}", runs - 1).as_str())
    );
    // Operations still see the commands that they ran.
    e.clear_commands();
    e.device_setup(&host(), "/dev/sdb", "d1", false)
        .await
        .unwrap();
    assert!(
        e.commands()
            .iter()
            .any(|(h, c)| h == "m1" && c.contains("pvcreate"))
    );

    // A limit of 0 records nothing.
    let quiet = MockExecutor::with_config(MockConfig {
        command_log_limit: 0,
        ..MockConfig::default()
    });
    quiet.mock().run_command("m1", "mkdir -p /tmp/x");
    assert!(quiet.commands().is_empty());
}

#[tokio::test]
async fn a_node_is_known_by_its_manage_and_storage_names() {
    let e = MockExecutor::new();
    let (n1, n2) = (
        Host::new("n1-manage.lab", "n1-storage.lab"),
        Host::new("n2-manage.lab", "n2-storage.lab"),
    );
    e.glusterd_check(&n1).await.unwrap();
    e.glusterd_check(&n2).await.unwrap();
    // Probed by its storage name from a node addressed by its manage name.
    e.peer_probe(&n1, &n2).await.unwrap();
    let a = e.mock().node("n1-manage.lab").unwrap();
    assert_eq!(a.storage, "n1-storage.lab");
    assert_eq!(a.peers, ["n2-storage.lab"]);
    // Either name reaches the same node.
    assert_eq!(
        e.mock().node("n2-storage.lab").unwrap().manage,
        "n2-manage.lab"
    );
    // Probing it again, or probing oneself by the storage name, changes nothing.
    let again = e.mock().run_command(
        "n1-manage.lab",
        "gluster --mode=script peer probe n2-storage.lab",
    );
    assert!(again.stdout.contains("already in peer list"), "{again:?}");
    let own = e.mock().run_command(
        "n1-manage.lab",
        "gluster --mode=script peer probe n1-storage.lab",
    );
    assert!(own.stdout.contains("localhost not needed"), "{own:?}");
    // An unknown name is not a node.
    let none = e.mock().run_command(
        "n1-manage.lab",
        "gluster --mode=script peer probe n9-storage.lab",
    );
    assert!(none.stderr.contains("Transport endpoint is not connected"));
    e.peer_detach(&n1, &n2).await.unwrap();
    assert!(e.mock().node("n1-manage.lab").unwrap().peers.is_empty());
}

/// One scenario on a node with the device `dev` and the bricks `ids`: every command's
/// output and the node snapshots, as text.
async fn compact_scenario(dev: &str, ids: [&str; 3]) -> String {
    let e = MockExecutor::new();
    let m = e.mock().clone();
    let mut out = String::new();
    let mut log = |cmd: &str| {
        let o = run(&m, cmd);
        out.push_str(&format!("$ {cmd}\n{o:?}\n"));
    };
    e.device_setup(&host(), "/dev/sdb", dev, false)
        .await
        .unwrap();
    let reqs: Vec<BrickRequest> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| BrickRequest {
            vg_id: dev.into(),
            gid: if i == 1 { 2000 } else { 0 },
            format: if i == 2 {
                BrickFormat::Arbiter
            } else {
                BrickFormat::Normal
            },
            ..brick(id, GIB)
        })
        .collect();
    for (i, r) in reqs.iter().enumerate() {
        e.brick_create(&host(), r).await.unwrap();
        if i == 0 {
            log(r##"awk "BEGIN {print \"# added by hand\" >> \"/etc/fstab\"}""##);
        }
    }
    let (vg, dirs): (String, Vec<String>) = (
        format!("vg_{dev}"),
        reqs.iter().map(BrickRequest::mount_dir).collect(),
    );
    let bricks: Vec<String> = dirs.iter().map(|d| format!("s1:{d}/brick")).collect();
    for cmd in [
        "cat /etc/fstab".to_string(),
        "cat /proc/mounts".to_string(),
        "mount".to_string(),
        "/usr/sbin/lvm lvs --reportformat=json --units=k --nosuffix -o vg_name,lv_name,pool_lv,segtype,lv_size".to_string(),
        format!("/usr/sbin/lvm vgdisplay -c {vg}"),
        format!("/usr/sbin/lvm lvs --noheadings --options=thin_count {vg}/tp_{}", ids[0]),
        format!("gluster --mode=script volume create v1 replica 3 arbiter 1 {} force", bricks.join(" ")),
        "gluster --mode=script volume start v1".to_string(),
        format!("gluster --mode=script volume set v1 user.heketi.id {}", ids[0]),
        "gluster --mode=script volume set v1 performance.readdir-ahead on".to_string(),
        format!("gluster --mode=script volume set v1 user.heketi.id {}", ids[1]),
        "gluster --mode=script --xml volume info v1".to_string(),
        "gluster --mode=script --xml volume heal v1 info".to_string(),
        format!("gluster --mode=script volume create v2 {}", bricks[0]),
        "gluster --mode=script snapshot create s1 v1 no-timestamp".to_string(),
        "gluster --mode=script snapshot activate s1".to_string(),
        "cat /proc/mounts".to_string(),
        "/usr/sbin/lvm lvs --reportformat=json --units=k --nosuffix -o vg_name,lv_name,pool_lv,segtype,lv_size".to_string(),
        "gluster --mode=script snapshot deactivate s1".to_string(),
        "gluster --mode=script snapshot delete s1".to_string(),
        "gluster --mode=script volume stop v1".to_string(),
        "gluster --mode=script volume delete v1".to_string(),
        format!("umount /dev/mapper/{vg}-brick_{}", ids[0]),
        format!("umount {}/", dirs[1]),
        format!("umount {}", dirs[1]),
        "mount".to_string(),
        format!("mkfs.xfs -i size=512 /dev/mapper/{vg}-brick_{}", ids[0]),
        format!("sed -i.save /brick_{}/d /etc/fstab", ids[0]),
        "cat /etc/fstab".to_string(),
        "cat /etc/fstab.save".to_string(),
        format!("rmdir {}", dirs[2]),
        format!("rmdir {}", dirs[0]),
        format!("mount -o rw,noatime /dev/mapper/{vg}-brick_{} {}", ids[0], dirs[0]),
        format!("mkdir {}", dirs[0]),
        format!("chmod 0750 {}", dirs[0]),
        format!("mount -o rw,noatime /dev/mapper/{vg}-brick_{} {}", ids[0], dirs[0]),
        format!("mount -o rw,noatime /dev/{vg}/brick_{} {}", ids[1], dirs[1]),
        format!("/usr/sbin/lvm lvremove -f {vg}/tp_{}", ids[1]),
        format!("umount {}", dirs[1]),
        format!("/usr/sbin/lvm lvremove -f {vg}/tp_{}", ids[1]),
        format!("/usr/sbin/lvm lvs --noheadings --options=thin_count {vg}/tp_{}", ids[1]),
        format!("/usr/sbin/lvm vgdisplay -c {vg}"),
        "mount".to_string(),
    ] {
        log(&cmd);
    }
    e.brick_destroy(&host(), &reqs[2]).await.unwrap();
    out.push_str(&format!("{:#?}\n", m.nodes()));
    out
}

/// Names with Brickyard's 32-hex-digit ids are kept compact (`name.rs`), other names as
/// text: one scenario with lowercase ids (compact) and with uppercase ids (text) gives
/// the same outputs and nodes, the ids aside.
#[tokio::test]
async fn compact_names_behave_as_their_text() {
    let ids = [
        "0123456789abcdef0123456789abcdef",
        "f0e1d2c3b4a5968778695a4b3c2d1e0f",
        "00000000000000000000000000000001",
    ];
    let dev = "9a8b7c6d5e4f30211203f4e5d6c7b8a9";
    let compact = compact_scenario(dev, ids).await;
    let upper: Vec<String> = ids.iter().map(|i| i.to_uppercase()).collect();
    let text = compact_scenario(&dev.to_uppercase(), [&upper[0], &upper[1], &upper[2]]).await;
    let mut lowered = text.clone();
    for id in ids.iter().chain([&dev]) {
        lowered = lowered.replace(&id.to_uppercase(), id);
    }
    assert_ne!(lowered, text, "the text run names the uppercase ids");
    assert_eq!(compact, lowered);
    // The scenario reached what it is about.
    for expected in [
        "# added by hand",
        "is already part of a volume",
        "Snap activated",
        "/run/gluster/snaps/",
        "not mounted",
        "contains a filesystem in use",
        "mount point does not exist",
    ] {
        assert!(compact.contains(expected), "{expected} missing:\n{compact}");
    }
}

/// A brick's mount point stays a directory of the root file system while mounted and
/// after an unmount, until it is removed, as on a real node.
#[tokio::test]
async fn mount_points_stay_directories() {
    let e = MockExecutor::new();
    let m = e.mock();
    e.device_setup(
        &host(),
        "/dev/sdb",
        "0123456789abcdef0123456789abcdef",
        false,
    )
    .await
    .unwrap();
    let b = BrickRequest {
        vg_id: "0123456789abcdef0123456789abcdef".into(),
        ..brick("fedcba9876543210fedcba9876543210", GIB)
    };
    e.brick_create(&host(), &b).await.unwrap();
    let dir = b.mount_dir();
    assert!(m.node("m1").unwrap().dirs.contains(&dir));
    assert_eq!(run(m, &format!("umount {dir}")).exit_status, 0);
    assert!(m.node("m1").unwrap().dirs.contains(&dir));
    assert_eq!(run(m, &format!("mkdir {dir}")).exit_status, 1);
    assert_eq!(run(m, &format!("rmdir {dir}")).exit_status, 0);
    assert!(!m.node("m1").unwrap().dirs.contains(&dir));
    let o = run(m, &format!("mount -o rw {} {dir}", b.dev_node()));
    assert!(o.stderr.contains("mount point does not exist"), "{o:?}");
}
