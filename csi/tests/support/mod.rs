//! Harness of the CSI conformance suite: a real `brickyard serve` child process
//! (mock executor, JWT on) with the example topology loaded, the driver served
//! in-process on a unix socket with a substitutable mounter, and tonic clients
//! over that socket.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brickyard_csi::backend::Backend;
use brickyard_csi::mounter::{MountError, MountHealth, MountSpec, Mounted, Mounter};
use brickyard_csi::proto::controller_client::ControllerClient;
use brickyard_csi::proto::identity_client::IdentityClient;
use brickyard_csi::proto::node_client::NodeClient;
use brickyard_csi::proto::volume_capability::access_mode::Mode as AccessMode;
use brickyard_csi::proto::volume_capability::{AccessType, BlockVolume, MountVolume};
use brickyard_csi::proto::{
    CapacityRange, CreateVolumeRequest, VolumeCapability, volume_capability,
};
use brickyard_csi::server::{self, DriverConfig, Mode};
use tonic::transport::{Channel, Endpoint, Uri};

/// The JWT key of the test server (user `admin`).
pub const SECRET: &str = "My Secret";
pub const GIB: i64 = 1 << 30;
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The `brickyard-csi` binary (`brickyard` with `csi`; `serve` included).
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_brickyard-csi"))
}

/// A scratch directory removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        // Short: unix socket paths are limited to 108 bytes.
        let dir = std::env::temp_dir().join(format!("bycsi-{}-{tag}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A running `brickyard serve` with three mock nodes; killed when dropped.
pub struct RestServer {
    child: Child,
    pub url: String,
    _dir: Scratch,
}

/// A server certificate for 127.0.0.1 and the CA that signed it (PEM files).
pub struct Pki {
    /// The CA certificate (what `--tls-ca` names).
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Pki {
    /// A fresh CA and a server certificate for 127.0.0.1 and localhost it signed,
    /// written into `dir`.
    pub fn new(dir: &Scratch) -> Pki {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
        };
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Brickyard CSI test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().expect("ca key");
        let ca = ca_params.self_signed(&ca_key).expect("ca cert");
        let issuer = Issuer::new(ca_params, ca_key);
        let params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("server params");
        let key = KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &issuer).expect("server cert");
        let pki = Pki {
            ca: dir.path("ca.pem"),
            cert: dir.path("server.pem"),
            key: dir.path("server-key.pem"),
        };
        fs::write(&pki.ca, ca.pem()).expect("write ca");
        fs::write(&pki.cert, cert.pem()).expect("write cert");
        fs::write(&pki.key, key.serialize_pem()).expect("write key");
        pki
    }
}

impl RestServer {
    pub fn start() -> RestServer {
        RestServer::start_with(None)
    }

    /// A server on HTTPS with `pki`'s certificate (`enable_tls`).
    pub fn start_tls(pki: &Pki) -> RestServer {
        RestServer::start_with(Some(pki))
    }

    fn start_with(tls: Option<&Pki>) -> RestServer {
        let dir = Scratch::new("rest");
        let db = dir.path("brickyard.db");
        let config = dir.path("heketi.json");
        let mut json = serde_json::json!({
            "use_auth": true,
            "jwt": {"admin": {"key": SECRET}, "user": {"key": SECRET}},
            "glusterfs": {"executor": "mock", "db": db},
        });
        if let Some(pki) = tls {
            json["enable_tls"] = true.into();
            json["cert_file"] = pki.cert.display().to_string().into();
            json["key_file"] = pki.key.display().to_string().into();
        }
        fs::write(&config, json.to_string()).expect("write config");
        let log = dir.path("server.log");
        let out = fs::File::create(&log).expect("log");
        let err = out.try_clone().expect("log");
        let mut cmd = Command::new(bin());
        cmd.args(["serve", "--config"])
            .arg(&config)
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(&db)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (k, _) in std::env::vars() {
            if k.starts_with("HEKETI_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd.spawn().expect("spawn brickyard-csi serve");
        let deadline = Instant::now() + START_TIMEOUT;
        let url = loop {
            let text = fs::read_to_string(&log).unwrap_or_default();
            if let Some(addr) = listening_addr(&text) {
                let scheme = if tls.is_some() { "https" } else { "http" };
                break format!("{scheme}://{addr}");
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("brickyard serve exited ({status}) before listening:\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "brickyard serve did not start:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let server = RestServer {
            child,
            url,
            _dir: dir,
        };
        server.load_topology(tls.map(|p| p.ca.as_path()));
        server
    }

    /// `brickyard topology load` of the example topology (three nodes, 500 GiB each),
    /// trusting `ca` for an HTTPS server.
    fn load_topology(&self, ca: Option<&Path>) {
        let topology = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/topology.json");
        let tls_cert = ca.map(|c| format!("--tls-cert={}", c.display()));
        let args: Vec<String> = [
            "brickyard",
            "--server",
            &self.url,
            "--user",
            "admin",
            "--secret",
            SECRET,
            "topology",
            "load",
            &format!("--json={}", topology.display()),
        ]
        .iter()
        .map(|s| s.to_string())
        .chain(tls_cert)
        .collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = brickyard_cli::run(args, &mut out, &mut err);
        assert_eq!(
            code,
            0,
            "topology load failed: {}{}",
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&err)
        );
    }

    pub fn backend(&self) -> Backend {
        Backend::new(&self.url, "admin", SECRET)
    }

    /// A client of the REST server (to check what the driver did).
    pub fn client(&self) -> brickyard_cli::client::Client {
        self.backend()
            .client(Duration::from_millis(20), &Default::default())
    }
}

impl Drop for RestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address of `Listening on ADDR` (or Heketi's `Listening on port N`).
fn listening_addr(log: &str) -> Option<String> {
    let rest = log.split("Listening on ").nth(1)?;
    let word = rest.split_whitespace().next()?;
    if word == "port" {
        let port = rest.split_whitespace().nth(1)?;
        return Some(format!("127.0.0.1:{port}"));
    }
    let addr = word
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let (_, port) = addr.rsplit_once(':')?;
    port.parse::<u16>().ok().map(|_| addr.to_string())
}

/// A mounter that records and simulates mounts.
#[derive(Default)]
pub struct FakeMounter {
    pub mounts: Mutex<HashMap<PathBuf, MountSpec>>,
    pub calls: Mutex<Vec<String>>,
    /// Output of a failing mount: the next mounts fail with it.
    pub fail_with: Mutex<Option<String>>,
    /// A failing mount leaves its (dead) mount behind, as a glusterfs client that
    /// died after the kernel mount was made does.
    pub fail_mounted: Mutex<bool>,
    /// Mounts whose client is gone: every access fails with ENOTCONN (`health`).
    pub stale: Mutex<HashSet<PathBuf>>,
    /// A plain unmount of a stale mount fails (only `umount -l` removes it).
    pub stale_refuses_umount: Mutex<bool>,
}

#[async_trait::async_trait]
impl Mounter for FakeMounter {
    async fn mount(&self, spec: &MountSpec) -> Result<(), MountError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("mount {} {}", spec.source, spec.target.display()));
        if let Some(output) = self.fail_with.lock().unwrap().clone() {
            if *self.fail_mounted.lock().unwrap() {
                self.mounts
                    .lock()
                    .unwrap()
                    .insert(spec.target.clone(), spec.clone());
            }
            return Err(MountError::Failed {
                command: "mount".into(),
                status: "exit status: 32".into(),
                output,
            });
        }
        assert!(spec.target.is_dir(), "the driver creates the target first");
        self.mounts
            .lock()
            .unwrap()
            .insert(spec.target.clone(), spec.clone());
        Ok(())
    }

    async fn unmount(&self, target: &Path) -> Result<(), MountError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("umount {}", target.display()));
        if *self.stale_refuses_umount.lock().unwrap() && self.stale.lock().unwrap().contains(target)
        {
            return Err(MountError::Failed {
                command: format!("umount {}", target.display()),
                status: "exit status: 32".into(),
                output: format!(
                    "umount: {}: Transport endpoint is not connected",
                    target.display()
                ),
            });
        }
        self.mounts.lock().unwrap().remove(target);
        self.stale.lock().unwrap().remove(target);
        Ok(())
    }

    async fn unmount_lazy(&self, target: &Path) -> Result<(), MountError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("umount -l {}", target.display()));
        self.mounts.lock().unwrap().remove(target);
        self.stale.lock().unwrap().remove(target);
        Ok(())
    }

    async fn health(&self, target: &Path) -> MountHealth {
        if self.stale.lock().unwrap().contains(target) {
            return MountHealth::Stale(nix::errno::Errno::ENOTCONN);
        }
        brickyard_csi::mounter::probe(target).await
    }

    async fn mounted(&self, target: &Path) -> Result<Option<Mounted>, MountError> {
        Ok(self.mounts.lock().unwrap().get(target).map(|s| Mounted {
            source: s.source.clone(),
            fstype: "fuse.glusterfs".into(),
            read_only: s.options.iter().any(|o| o == "ro"),
        }))
    }
}

impl FakeMounter {
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
    pub fn spec(&self, target: &Path) -> Option<MountSpec> {
        self.mounts.lock().unwrap().get(target).cloned()
    }
    /// The client of the mount at `target` dies: the mount stays, every access fails.
    pub fn kill_client(&self, target: &Path) {
        assert!(
            self.spec(target).is_some(),
            "{} is not mounted",
            target.display()
        );
        self.stale.lock().unwrap().insert(target.to_path_buf());
    }
}

/// The driver served in-process on a unix socket, and clients of it.
pub struct Driver {
    pub socket: PathBuf,
    pub dir: Scratch,
    pub identity: IdentityClient<Channel>,
    pub controller: ControllerClient<Channel>,
    pub node: NodeClient<Channel>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Driver {
    /// Starts the driver in `mode` with `backend` as default and `mounter`.
    pub async fn start(mode: Mode, backend: Option<Backend>, mounter: Arc<dyn Mounter>) -> Driver {
        let dir = Scratch::new("drv");
        let socket = dir.path("csi.sock");
        let listener = server::bind(&socket).expect("bind");
        let config = DriverConfig {
            mode,
            node_id: "node-1".into(),
            default_backend: backend,
            poll: Duration::from_millis(20),
            mounter,
            tls: Default::default(),
            mount_log_dir: dir.path("logs"),
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server::serve(listener, config, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        let channel = connect(&socket).await;
        Driver {
            socket,
            dir,
            identity: IdentityClient::new(channel.clone()),
            controller: ControllerClient::new(channel.clone()),
            node: NodeClient::new(channel),
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

/// A gRPC channel over the unix socket at `path`.
pub async fn connect(path: &Path) -> Channel {
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

pub fn mount_cap(mode: AccessMode) -> VolumeCapability {
    VolumeCapability {
        access_type: Some(AccessType::Mount(MountVolume::default())),
        access_mode: Some(volume_capability::AccessMode { mode: mode as i32 }),
    }
}

pub fn block_cap() -> VolumeCapability {
    VolumeCapability {
        access_type: Some(AccessType::Block(BlockVolume {})),
        access_mode: Some(volume_capability::AccessMode {
            mode: AccessMode::SingleNodeWriter as i32,
        }),
    }
}

pub fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A CreateVolume request for `name` of `bytes` (parameters: the in-tree
/// StorageClass's, pointing at `rest`).
pub fn create_req(name: &str, bytes: i64, rest: &RestServer) -> CreateVolumeRequest {
    CreateVolumeRequest {
        name: name.to_string(),
        capacity_range: Some(CapacityRange {
            required_bytes: bytes,
            limit_bytes: 0,
        }),
        volume_capabilities: vec![mount_cap(AccessMode::MultiNodeMultiWriter)],
        parameters: map(&[
            ("resturl", &rest.url),
            ("restuser", "admin"),
            ("restuserkey", SECRET),
            ("volumetype", "replicate:3"),
        ]),
        ..CreateVolumeRequest::default()
    }
}

/// A TCP proxy in front of `target` (`http://HOST:PORT`) that counts the HTTP
/// requests whose first line starts with `prefix` (e.g. `POST /volumes `).
pub struct CountingProxy {
    pub url: String,
    count: Arc<AtomicUsize>,
}

impl CountingProxy {
    pub async fn start(target: &str, prefix: &'static str) -> CountingProxy {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let target = target.trim_start_matches("http://").to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.split();
                    let (mut sr, mut sw) = server.split();
                    let up = async {
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let n = match cr.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            // Request lines start a read in this test's traffic
                            // (small requests, one at a time per connection).
                            if buf[..n].starts_with(prefix.as_bytes()) {
                                counter.fetch_add(1, Ordering::SeqCst);
                            }
                            if sw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = sw.shutdown().await;
                    };
                    let down = async {
                        let _ = tokio::io::copy(&mut sr, &mut cw).await;
                        let _ = cw.shutdown().await;
                    };
                    tokio::join!(up, down);
                });
            }
        });
        CountingProxy { url, count }
    }

    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}
