//! The CSI driver on three real storage nodes (`bed.sh up 3`): the `brickyard-csi` binary
//! in `--mode all` against `brickyard serve` with the ssh executor, driven over its unix
//! socket by a gRPC client as the external-provisioner, the external-resizer and the kubelet
//! would drive it. Needs root, /dev/fuse and the packages of `make deps-real-nodes`; run
//! with `make test-real-nodes` (it uses the `brickyard-csi` binary of the workspace build:
//! `cargo build --workspace --all-targets` first, or name one with `BRICKYARD_CSI_BIN`).
//!
//! CreateVolume (a replica-3 volume, the StorageClass's parameters and secret as the
//! external-provisioner passes them) -> NodePublishVolume (a real `mount -t glusterfs` on
//! the host, with the backup volfile servers; a missing volume's failed mount explained
//! by the client's log) -> a file written and read back, found on all three bricks,
//! writable by the volume's GID only -> ControllerExpandVolume -> statvfs of the mount
//! shows the new size -> the FUSE client killed: a stale mount (ENOTCONN), reported as an
//! abnormal volume condition, mounted again by NodePublishVolume -> NodeUnpublishVolume (unmounted, FUSE client gone, target and
//! client log removed) -> DeleteVolume; then every node is exactly as before (LVs, PVs,
//! gluster volumes, fstab, brick mounts).

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use brickyard_csi::proto::controller_client::ControllerClient;
use brickyard_csi::proto::identity_client::IdentityClient;
use brickyard_csi::proto::node_client::NodeClient;
use brickyard_csi::proto::volume_capability::access_mode::Mode as AccessMode;
use brickyard_csi::proto::volume_capability::{AccessType, MountVolume};
use brickyard_csi::proto::volume_usage::Unit;
use brickyard_csi::proto::{
    CapacityRange, ControllerExpandVolumeRequest, CreateVolumeRequest, DeleteVolumeRequest,
    GetPluginInfoRequest, NodeGetVolumeStatsRequest, NodePublishVolumeRequest,
    NodeUnpublishVolumeRequest, ProbeRequest, VolumeCapability, volume_capability,
};
use brickyard_realnodes::{BED_DEVICES, Bed, Scratch, sh};
use tonic::transport::{Channel, Endpoint, Uri};

const GIB: i64 = 1 << 30;
/// The JWT key of `brickyard serve` (user `admin`), as the StorageClass's Secret holds it.
const KEY: &str = "csi real-node key";
/// The CSI name the external-provisioner gives the volume (`pvc-<PVC uid>`).
const PV_NAME: &str = "pvc-5a1f0c3e-7b2d-4e8a-9c61-2f4d8b0e13a7";
const START_TIMEOUT: Duration = Duration::from_secs(60);

fn step(t0: Instant, what: &str) {
    eprintln!("[{:6.1} s] {what}", t0.elapsed().as_secs_f64());
}

/// The `brickyard-csi` binary: `BRICKYARD_CSI_BIN`, else the one next to this test's
/// `deps/` directory (the workspace build's).
fn csi_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("BRICKYARD_CSI_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/debug")
        .join("brickyard-csi");
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build --workspace --all-targets` \
         (or set BRICKYARD_CSI_BIN)",
        bin.display()
    );
    bin
}

/// A child process killed (SIGKILL) and reaped when dropped.
struct Process {
    child: Child,
    log: PathBuf,
}

impl Process {
    /// Starts `brickyard-csi ARGS` logging to `log`; waits until the log says
    /// `Listening on` and returns the rest of that line.
    fn start(args: &[String], env: &[(&str, &str)], log: PathBuf) -> (Process, String) {
        let out = fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let mut cmd = Command::new(csi_bin());
        cmd.args(args).stdin(Stdio::null()).stdout(out).stderr(err);
        for (k, _) in std::env::vars() {
            if k.starts_with("HEKETI_") || k.starts_with("BRICKYARD_CSI_") {
                cmd.env_remove(k);
            }
        }
        cmd.envs(env.iter().copied());
        let child = cmd.spawn().expect("spawn brickyard-csi");
        let mut p = Process { child, log };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let text = p.output();
            if let Some(rest) = text.split("Listening on ").nth(1) {
                let word = rest.split_whitespace().next().unwrap_or("").to_string();
                return (p, word);
            }
            if let Ok(Some(status)) = p.child.try_wait() {
                panic!("brickyard-csi {args:?} exited ({status}) before listening:\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "brickyard-csi {args:?} did not start:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn output(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `brickyard serve` with the ssh executor on the bed's nodes, JWT on.
fn start_server(bed: &Bed, dir: &Path) -> (Process, String) {
    let config = dir.join("heketi.json");
    let json = serde_json::json!({
        "use_auth": true,
        "jwt": {"admin": {"key": KEY}, "user": {"key": KEY}},
        "glusterfs": {
            "executor": "ssh",
            "db": dir.join("brickyard.db"),
            "sshexec": {
                "keyfile": bed.dir().join("client_ed25519"),
                "user": "root",
                "port": "22",
                "known_hosts": bed.dir().join("known_hosts"),
            },
        },
    });
    fs::write(&config, json.to_string()).expect("write heketi.json");
    let (p, addr) = Process::start(
        &[
            "serve".into(),
            format!("--config={}", config.display()),
            "--listen=127.0.0.1:0".into(),
            format!("--db={}", dir.join("brickyard.db").display()),
        ],
        &[],
        dir.join("serve.log"),
    );
    let addr = addr.trim_start_matches("http://").to_string();
    (p, format!("http://{addr}"))
}

/// `brickyard topology load` (the CLI of the same binary): the three nodes, one disk each.
fn load_topology(bed: &Bed, dir: &Path, url: &str) {
    let nodes: Vec<serde_json::Value> = bed
        .hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            serde_json::json!({
                "node": {"hostnames": {"manage": [h], "storage": [h]}, "zone": i + 1},
                "devices": [BED_DEVICES[0]],
            })
        })
        .collect();
    let file = dir.join("topology.json");
    fs::write(
        &file,
        serde_json::json!({"clusters": [{"nodes": nodes}]}).to_string(),
    )
    .expect("write topology");
    let out = Command::new(csi_bin())
        .args(["--server", url, "--user", "admin", "--secret", KEY])
        .args(["topology", "load"])
        .arg(format!("--json={}", file.display()))
        .output()
        .expect("run topology load");
    assert!(
        out.status.success(),
        "topology load failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A gRPC channel over the unix socket at `path`.
async fn connect(path: &Path) -> Channel {
    let path = path.to_path_buf();
    Endpoint::try_from("http://[::]:50051")
        .expect("endpoint")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let path = path.clone();
            async move {
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(
                    tokio::net::UnixStream::connect(path).await?,
                ))
            }
        }))
        .await
        .expect("connect to the driver's socket")
}

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn rwx() -> VolumeCapability {
    VolumeCapability {
        access_type: Some(AccessType::Mount(MountVolume::default())),
        access_mode: Some(volume_capability::AccessMode {
            mode: AccessMode::MultiNodeMultiWriter as i32,
        }),
    }
}

/// The line of `/proc/mounts` for `target`, if mounted.
fn proc_mount(target: &Path) -> Option<String> {
    let want = target.display().to_string();
    fs::read_to_string("/proc/mounts")
        .unwrap_or_default()
        .lines()
        .find(|l| l.split(' ').nth(1) == Some(want.as_str()))
        .map(str::to_string)
}

/// Command lines of the host's glusterfs client processes serving `volume`.
fn fuse_clients(volume: &str) -> Vec<String> {
    fuse_client_processes(volume)
        .into_iter()
        .map(|(_, c)| c)
        .collect()
}

/// Pids and command lines of the host's glusterfs client processes serving `volume`.
fn fuse_client_processes(volume: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(raw) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = raw
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_client = args
            .first()
            .is_some_and(|a| a.ends_with("glusterfs") || a.ends_with("glusterfsd"));
        // mount.glusterfs passes the volume as given in HOST:/VOLUME, with the `/`.
        let ids = [
            format!("--volfile-id={volume}"),
            format!("--volfile-id=/{volume}"),
        ];
        let pid = entry.file_name().to_string_lossy().parse::<u32>();
        if let Ok(pid) = pid
            && is_client
            && args.iter().any(|a| ids.contains(a))
        {
            found.push((pid, args.join(" ")));
        }
    }
    found
}

/// Total bytes of the file system mounted at `path` (statvfs).
fn statvfs_total(path: &Path) -> u64 {
    let out = sh(&format!("stat -f -c '%S %b' {}", path.display())).expect("stat -f");
    let mut it = out
        .split_whitespace()
        .map(|v| v.parse::<u64>().expect("number"));
    let (frsize, blocks) = (it.next().expect("%S"), it.next().expect("%b"));
    frsize * blocks
}

/// Every node's inventory ([`Bed::node_states`]); a read that times out (a UML node on
/// a busy 2-core machine can be slow to answer ssh) is tried again, twice.
fn node_states(bed: &Bed, hosts: &[String]) -> Vec<String> {
    let mut attempt = 1;
    loop {
        match bed.node_states(hosts) {
            Ok(states) => return states,
            Err(e) if attempt < 3 => {
                eprintln!("node inventory, attempt {attempt}: {e}");
                attempt += 1;
                std::thread::sleep(Duration::from_secs(2));
            }
            Err(e) => panic!("node inventory: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csi_volume_lifecycle_on_real_nodes() {
    let t0 = Instant::now();
    let bed = Bed::up(3).unwrap_or_else(|e| panic!("the real-node bed did not start: {e}"));
    step(t0, "bed up");
    let hosts = bed.hosts().to_vec();
    let scratch = Scratch::new("csi").expect("scratch dir");
    let dir = scratch.path().to_path_buf();

    let (server, url) = start_server(&bed, &dir);
    load_topology(&bed, &dir, &url);
    step(t0, "brickyard serve (ssh executor) up, topology loaded");
    let before = node_states(&bed, &hosts);

    // The driver as the DaemonSet and the Deployment run it, in one process. Its default
    // back end serves the probe; the StorageClass names the back end itself.
    let socket = dir.join("csi.sock");
    let logs = dir.join("glusterfs-logs");
    let (driver, _) = Process::start(
        &[
            "csi".into(),
            "--mode=all".into(),
            "--node-id=host-1".into(),
            format!("--endpoint=unix://{}", socket.display()),
            format!("--resturl={url}"),
            "--poll-interval-ms=200".into(),
            format!("--mount-log-dir={}", logs.display()),
        ],
        &[("BRICKYARD_CSI_RESTUSERKEY", KEY)],
        dir.join("csi.log"),
    );
    let channel = connect(&socket).await;
    let mut identity = IdentityClient::new(channel.clone());
    let mut controller = ControllerClient::new(channel.clone());
    let mut node = NodeClient::new(channel);
    let info = identity
        .get_plugin_info(GetPluginInfoRequest {})
        .await
        .expect("plugin info")
        .into_inner();
    assert_eq!(info.name, "brickyard.gluster.io");
    let probe = identity
        .probe(ProbeRequest {})
        .await
        .expect("probe")
        .into_inner();
    assert_eq!(probe.ready, Some(true));

    // CreateVolume as the external-provisioner sends it: the StorageClass's parameters
    // (the `csi.storage.k8s.io/*-secret-*` keys stripped, `--extra-create-metadata`
    // added) and the Secret they name.
    let created = controller
        .create_volume(CreateVolumeRequest {
            name: PV_NAME.into(),
            capacity_range: Some(CapacityRange {
                required_bytes: GIB,
                limit_bytes: 0,
            }),
            volume_capabilities: vec![rwx()],
            parameters: map(&[
                ("resturl", &url),
                ("restuser", "admin"),
                ("secretName", "heketi-secret"),
                ("secretNamespace", "default"),
                ("volumetype", "replicate:3"),
                ("volumenameprefix", "k8s"),
                ("gidMin", "40000"),
                ("gidMax", "50000"),
                ("csi.storage.k8s.io/pvc/name", "claim1"),
                ("csi.storage.k8s.io/pvc/namespace", "default"),
                ("csi.storage.k8s.io/pv/name", PV_NAME),
            ]),
            secrets: map(&[("key", KEY)]),
            ..CreateVolumeRequest::default()
        })
        .await
        .unwrap_or_else(|e| panic!("CreateVolume: {e}\ndriver log:\n{}", driver.output()))
        .into_inner()
        .volume
        .expect("a volume");
    step(t0, "CreateVolume");
    assert_eq!(created.capacity_bytes, GIB);
    let ctx = created.volume_context.clone();
    let name = ctx.get("volume").expect("volume in the context").clone();
    assert_eq!(name, format!("k8s_default_claim1_{PV_NAME}"));
    assert_eq!(ctx.get("gid").map(String::as_str), Some("40000"));
    let server_host = ctx.get("server").expect("server").clone();
    assert!(hosts.contains(&server_host), "{ctx:?}");
    let mut backups: Vec<String> = ctx
        .get("backup-volfile-servers")
        .expect("backup servers")
        .split(',')
        .map(str::to_string)
        .collect();
    backups.push(server_host.clone());
    backups.sort();
    assert_eq!(backups, hosts, "{ctx:?}");
    let gluster_info = bed
        .ssh(
            &hosts[2],
            &format!("gluster --mode=script volume info {name}"),
        )
        .expect("volume info");
    assert!(
        gluster_info.contains("Type: Replicate")
            && gluster_info.contains("Number of Bricks: 1 x 3 = 3")
            && gluster_info.contains("Status: Started"),
        "{gluster_info}"
    );

    // NodePublishVolume: the kubelet's target under the pod's volume directory.
    let target = bed
        .dir()
        .join("mnt/kubelet/pods/0d3c7e52/volumes/kubernetes.io~csi")
        .join(PV_NAME)
        .join("mount");
    fs::create_dir_all(target.parent().expect("parent")).expect("pod volume dir");
    let publish = NodePublishVolumeRequest {
        volume_id: created.volume_id.clone(),
        target_path: target.display().to_string(),
        volume_capability: Some(rwx()),
        volume_context: ctx.clone(),
        ..NodePublishVolumeRequest::default()
    };
    node.node_publish_volume(publish.clone())
        .await
        .unwrap_or_else(|e| panic!("NodePublishVolume: {e}\ndriver log:\n{}", driver.output()));
    step(t0, "NodePublishVolume");
    let line = proc_mount(&target).expect("the target is a mount point");
    let fields: Vec<&str> = line.split(' ').collect();
    assert!(
        brickyard_csi::mounter::same_source(fields[0], &format!("{server_host}:/{name}"))
            && fields[2] == "fuse.glusterfs"
            && fields[3].starts_with("rw,"),
        "{line}"
    );
    // The FUSE client knows every node: it can fetch the volume file from any of them.
    // (With auto_unmount, glusterfs runs as two processes of one command line.)
    let clients = fuse_clients(&name);
    assert!(!clients.is_empty(), "no glusterfs client for {name}");
    for c in &clients {
        for h in &hosts {
            assert!(
                c.contains(&format!("--volfile-server={h} ")),
                "{h} not a volfile server of {c}"
            );
        }
        assert!(c.contains("--fuse-mountopts=auto_unmount"), "{c}");
    }
    // The client logs into the driver's log directory, one file for this mount.
    let client_log = brickyard_csi::node::log_file(&logs, &target);
    assert!(
        client_log.is_file(),
        "no client log {}",
        client_log.display()
    );
    // A second publish of the same volume to the same target is a no-op.
    node.node_publish_volume(publish.clone())
        .await
        .expect("idempotent publish");
    // A volume the servers do not have: mount.glusterfs only says that the mount failed,
    // the error carries the client's own reason from its log; it is tried once (not again
    // without auto_unmount); unpublish cleans up.
    let bad_target = target.with_file_name("no-such-volume");
    let mut bad = publish.clone();
    bad.target_path = bad_target.display().to_string();
    bad.volume_context
        .insert("volume".into(), "no_such_volume".into());
    let err = node
        .node_publish_volume(bad)
        .await
        .expect_err("a mount of a volume that does not exist");
    eprintln!("publish of a missing volume: {}", err.message());
    assert!(
        err.message().contains("auto_unmount")
            && err.message().contains("end of the client log")
            && err
                .message()
                .contains("failed to fetch volume file (key:/no_such_volume)"),
        "{}",
        err.message()
    );
    assert_eq!(
        err.message().matches("failed to fetch volume file").count(),
        1,
        "one mount attempt: {}",
        err.message()
    );
    assert_eq!(proc_mount(&bad_target), None);
    node.node_unpublish_volume(NodeUnpublishVolumeRequest {
        volume_id: created.volume_id.clone(),
        target_path: bad_target.display().to_string(),
    })
    .await
    .expect("unpublish after a failed publish");
    assert!(!bad_target.exists());
    assert!(!brickyard_csi::node::log_file(&logs, &bad_target).exists());

    // Write a file and read it back from the bricks (page cache dropped); every brick
    // of the replica set holds it.
    let out = sh(&format!(
        "set -e; cd {t}; head -c 2097152 /dev/urandom > data.bin; echo hello > hello.txt; \
         a=$(sha256sum < data.bin); sync; echo 3 > /proc/sys/vm/drop_caches || true; \
         b=$(sha256sum < data.bin); [ \"$a\" = \"$b\" ]; cat hello.txt; stat -c %s data.bin",
        t = target.display()
    ))
    .expect("write and read back through the mount");
    assert_eq!(out, "hello\n2097152\n");
    // The volume's GID: a pod's user with it as a supplemental group may write, one
    // without it may not (the driver's `fsGroupPolicy: None`).
    let t = target.display();
    assert_eq!(
        sh(&format!("stat -c '%g %a' {t}")).expect("stat"),
        "40000 2775\n"
    );
    // (From inside the mount: the bed's directory above it is root's alone.)
    sh(&format!(
        "cd {t} && setpriv --reuid=1000 --regid=1000 --groups=40000 sh -c 'echo pod > by-gid.txt'"
    ))
    .expect("a user with the volume's GID writes");
    let refused = sh(&format!(
        "cd {t} && setpriv --reuid=1001 --regid=1001 --clear-groups sh -c 'echo x > no-gid.txt'"
    ))
    .expect_err("a user without the volume's GID wrote");
    assert!(refused.0.contains("Permission denied"), "{refused}");
    let on_bricks: Vec<String> = std::thread::scope(|s| {
        let reads: Vec<_> = hosts
            .iter()
            .map(|h| {
                let shell = bed.shell();
                s.spawn(move || {
                    shell.ssh(h, "stat -c %s /var/lib/heketi/mounts/*/*/brick/data.bin")
                })
            })
            .collect();
        reads
            .into_iter()
            .map(|r| r.join().expect("thread").expect("the file on every brick"))
            .collect()
    });
    assert!(
        on_bricks.iter().all(|s| s.trim() == "2097152"),
        "{on_bricks:?}"
    );
    let before_expand = statvfs_total(&target);
    assert!(
        before_expand > GIB as u64 * 9 / 10 && before_expand <= GIB as u64,
        "a 1 GiB volume shows {before_expand} bytes"
    );
    step(t0, "file written, read back, on all three bricks");

    // ControllerExpandVolume as the external-resizer sends it (the controller-expand
    // Secret), then the mount shows the new size without a node expansion.
    let expanded = controller
        .controller_expand_volume(ControllerExpandVolumeRequest {
            volume_id: created.volume_id.clone(),
            capacity_range: Some(CapacityRange {
                required_bytes: 2 * GIB,
                limit_bytes: 0,
            }),
            secrets: map(&[("key", KEY)]),
            volume_capability: Some(rwx()),
        })
        .await
        .unwrap_or_else(|e| {
            panic!(
                "ControllerExpandVolume: {e}\ndriver log:\n{}",
                driver.output()
            )
        })
        .into_inner();
    assert_eq!(expanded.capacity_bytes, 2 * GIB);
    assert!(!expanded.node_expansion_required);
    step(t0, "ControllerExpandVolume");
    let grown = Instant::now();
    // Twice the bricks, so about twice the size (each brick's XFS keeps its overhead).
    let doubled = before_expand * 18 / 10;
    let total = loop {
        let total = statvfs_total(&target);
        if total > doubled || grown.elapsed() > Duration::from_secs(30) {
            break total;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        total > doubled && total <= 2 * GIB as u64,
        "after the expand to 2 GiB the mount shows {total} bytes (before: {before_expand})"
    );
    eprintln!(
        "the mount showed the new size {:.1} s after the expand answered",
        grown.elapsed().as_secs_f64()
    );
    let stats = node
        .node_get_volume_stats(NodeGetVolumeStatsRequest {
            volume_id: created.volume_id.clone(),
            volume_path: target.display().to_string(),
            staging_target_path: String::new(),
        })
        .await
        .expect("volume stats")
        .into_inner();
    let bytes = stats
        .usage
        .iter()
        .find(|u| u.unit == Unit::Bytes as i32)
        .expect("bytes usage");
    assert!(
        bytes.total as u64 == total && bytes.used >= 2 << 20,
        "{bytes:?}"
    );
    let out = sh(&format!(
        "set -e; cd {t}; cat hello.txt; stat -c %s data.bin",
        t = target.display()
    ))
    .expect("read after the expand");
    assert_eq!(out, "hello\n2097152\n");
    step(t0, "the mount shows the new size");

    // The FUSE client dies (an OOM kill): its auto_unmount helper is stopped first so that
    // it cannot unmount, then both are killed. The mount stays in the mount table and
    // every access fails with ENOTCONN: a stale mount.
    let pids: Vec<String> = fuse_client_processes(&name)
        .iter()
        .map(|(pid, _)| pid.to_string())
        .collect();
    assert!(!pids.is_empty(), "no glusterfs client for {name}");
    let pids = pids.join(" ");
    sh(&format!("kill -STOP {pids}; kill -KILL {pids}")).expect("kill the FUSE client");
    let died = Instant::now();
    while !fuse_clients(&name).is_empty() && died.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(fuse_clients(&name), Vec::<String>::new());
    assert!(
        proc_mount(&target).is_some(),
        "the dead client's mount is gone"
    );
    // statvfs (a stat may be answered from the kernel's attribute cache for a second).
    let dead = loop {
        match sh(&format!("stat -f {}", target.display())) {
            Err(e) => break e,
            Ok(out) if died.elapsed() > Duration::from_secs(10) => {
                panic!("statvfs of the dead client's mount answered: {out}")
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    assert!(
        dead.0.contains("Transport endpoint is not connected"),
        "{dead}"
    );
    let stats = node
        .node_get_volume_stats(NodeGetVolumeStatsRequest {
            volume_id: created.volume_id.clone(),
            volume_path: target.display().to_string(),
            staging_target_path: String::new(),
        })
        .await
        .expect("the stats of a stale mount")
        .into_inner();
    let condition = stats.volume_condition.expect("a volume condition");
    assert!(
        condition.abnormal && condition.message.contains("ENOTCONN"),
        "{condition:?}"
    );
    step(
        t0,
        "FUSE client killed: a stale mount, an abnormal volume condition",
    );
    // The kubelet publishes again (a restarted pod): unmounted, mounted anew.
    node.node_publish_volume(publish.clone())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "NodePublishVolume onto a stale mount: {e}\ndriver log:\n{}",
                driver.output()
            )
        });
    let want = target.display().to_string();
    let mounts = fs::read_to_string("/proc/mounts").expect("/proc/mounts");
    let at_target: Vec<&str> = mounts
        .lines()
        .filter(|l| l.split(' ').nth(1) == Some(want.as_str()))
        .collect();
    assert!(
        at_target.len() == 1 && at_target[0].contains(" fuse.glusterfs "),
        "{at_target:?}"
    );
    assert!(!fuse_clients(&name).is_empty(), "no new glusterfs client");
    let out = sh(&format!(
        "set -e; cd {t}; cat hello.txt; stat -c %s data.bin",
        t = target.display()
    ))
    .expect("read after the repair");
    assert_eq!(out, "hello\n2097152\n");
    let stats = node
        .node_get_volume_stats(NodeGetVolumeStatsRequest {
            volume_id: created.volume_id.clone(),
            volume_path: target.display().to_string(),
            staging_target_path: String::new(),
        })
        .await
        .expect("volume stats")
        .into_inner();
    assert!(
        !stats.volume_condition.expect("a volume condition").abnormal && !stats.usage.is_empty()
    );
    for line in driver.output().lines().filter(|l| l.contains("stale")) {
        eprintln!("driver: {line}");
    }
    step(t0, "NodePublishVolume mounted it again, the file read back");

    // NodeUnpublishVolume: unmounted, the FUSE client gone, the target removed; twice.
    let unpublish = NodeUnpublishVolumeRequest {
        volume_id: created.volume_id.clone(),
        target_path: target.display().to_string(),
    };
    node.node_unpublish_volume(unpublish.clone())
        .await
        .unwrap_or_else(|e| panic!("NodeUnpublishVolume: {e}\ndriver log:\n{}", driver.output()));
    assert_eq!(proc_mount(&target), None);
    assert!(!target.exists(), "{} is left", target.display());
    let gone = Instant::now();
    while !fuse_clients(&name).is_empty() && gone.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(fuse_clients(&name), Vec::<String>::new());
    assert!(!client_log.exists(), "{} is left", client_log.display());
    node.node_unpublish_volume(unpublish)
        .await
        .expect("idempotent unpublish");
    step(t0, "NodeUnpublishVolume");

    // DeleteVolume (the provisioner's Secret again); twice.
    let delete = DeleteVolumeRequest {
        volume_id: created.volume_id.clone(),
        secrets: map(&[("key", KEY)]),
    };
    controller
        .delete_volume(delete.clone())
        .await
        .unwrap_or_else(|e| panic!("DeleteVolume: {e}\ndriver log:\n{}", driver.output()));
    controller
        .delete_volume(delete)
        .await
        .expect("idempotent delete");
    step(t0, "DeleteVolume");
    let list = bed
        .ssh(&hosts[0], "gluster --mode=script volume list")
        .expect("volume list");
    assert!(!list.contains(&name), "{list}");
    let after = node_states(&bed, &hosts);
    for ((h, now), was) in hosts.iter().zip(&after).zip(&before) {
        assert_eq!(now, was, "node {h} changed");
    }
    step(t0, "nodes as before");

    drop(driver);
    drop(server);
    drop(bed);
    step(t0, "bed down");
}
