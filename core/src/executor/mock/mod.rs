//! An in-memory model of storage nodes that interprets the exact command lines the
//! command layer sends.
//!
//! Per node (keyed by manage host; created on first contact or by
//! [`MockTransport::add_node`]; known by its storage host too once the command layer has
//! named both, see [`Transport::note_host`]): disks, PVs, VGs with thin pools and thin LVs, XFS file
//! systems, directories, mounts, files (fstab), and one glusterd whose pool and volumes
//! are shared with its peers. Outputs and error texts follow the real tools; anything the
//! model does not know fails with exit status 127.

mod files;
mod fs;
mod gluster;
mod heal;
mod inventory;
mod journal;
mod lv_map;
mod lvm;
mod name;
mod node;
mod restore;
mod shell;
mod snapshot;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;

use super::{
    CommandConfig, CommandExecutor, CommandOutput, ExecError, FaultHandle, FaultTransport, Host,
    Transport,
};
pub use inventory::{
    Inventory, InventoryItem, accounting_errors, compare_inventories, compare_records_with_nodes,
};
pub use journal::MockStateError;
use node::{LvKind, Node};
pub use restore::RestoredVolume;
pub use snapshot::CloneBrickState;

/// Settings of the mock nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockConfig {
    /// Size of any `/dev/...` disk without an override (KiB); default 500 GiB.
    pub default_device_size_kib: u64,
    /// The fstab file each new node starts with (empty); should match
    /// [`CommandConfig::fstab`].
    pub fstab: String,
    /// How many of the latest command lines [`MockTransport::commands`] keeps (older ones
    /// are dropped, so a long-running mock server does not grow without bound).
    pub command_log_limit: usize,
}

/// Default [`MockConfig::command_log_limit`]: room for every command of a test's
/// operations, a bounded few MiB for a server.
pub const DEFAULT_COMMAND_LOG_LIMIT: usize = 10_000;

impl Default for MockConfig {
    fn default() -> MockConfig {
        MockConfig {
            default_device_size_kib: 500 * 1024 * 1024,
            fstab: "/etc/fstab".to_string(),
            command_log_limit: DEFAULT_COMMAND_LOG_LIMIT,
        }
    }
}

/// The result of one interpreted command.
pub(super) struct Reply(CommandOutput);

impl Reply {
    fn ok(stdout: impl Into<String>) -> Reply {
        Reply(CommandOutput::ok(stdout))
    }
    fn err(status: i32, stderr: impl Into<String>) -> Reply {
        let mut s: String = stderr.into();
        if !s.is_empty() && !s.ends_with('\n') {
            s.push('\n');
        }
        Reply(CommandOutput::failed(status, s))
    }
    fn unsupported(what: &str) -> Reply {
        Reply::err(127, format!("mock: unsupported command: {what}"))
    }
}

pub(super) struct World {
    config: MockConfig,
    nodes: BTreeMap<String, Node>,
    /// Other names of nodes (storage hosts) → the manage host that keys `nodes`.
    aliases: BTreeMap<String, String>,
    volumes: BTreeMap<u64, gluster::VolumeTable>,
    /// The latest `config.command_log_limit` commands, oldest first.
    commands: VecDeque<(String, String)>,
    /// gluster snapshots and thin pool fill levels (see `snapshot.rs`).
    snaps: snapshot::Snapshots,
    counter: u64,
    /// Host names of volume bricks and names of volume options, shared
    /// ([`World::shared`]).
    strings: std::collections::BTreeSet<Arc<str>>,
    /// Entries each brick (`host:path`) has to heal, as `volume heal … info` reports.
    heal_entries: BTreeMap<String, u64>,
    /// Bricks restored from the records but not built on their nodes yet (`restore.rs`).
    backlog: restore::Backlog,
}

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl World {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn new_pool(&mut self) -> u64 {
        self.next()
    }

    /// An LVM-style UUID (`xxxxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxxxx`), deterministic.
    fn lvm_uuid(&mut self) -> String {
        const CHARS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let n = self.next();
        let mut s = String::new();
        for (i, len) in [6, 4, 4, 4, 4, 4, 6].iter().enumerate() {
            if i > 0 {
                s.push('-');
            }
            let mut x = mix(n * 7 + i as u64);
            for _ in 0..*len {
                s.push(CHARS[(x % 62) as usize] as char);
                x /= 62;
            }
        }
        s
    }

    /// A gluster-style UUID, deterministic.
    fn gluster_uuid(&mut self) -> String {
        let n = self.next();
        let (a, b) = (mix(n), mix(n ^ 0xABCD));
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48 & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    /// The key (manage host) of the node known as `name` (manage or storage host).
    fn named(&self, name: &str) -> Option<&str> {
        if let Some((k, _)) = self.nodes.get_key_value(name) {
            return Some(k.as_str());
        }
        self.aliases
            .get(name)
            .filter(|m| self.nodes.contains_key(m.as_str()))
            .map(String::as_str)
    }

    /// The node known as `name`; a name never seen before is a new node managed by it.
    fn node_mut(&mut self, name: &str) -> &mut Node {
        let key = match self.named(name) {
            Some(k) => k.to_string(),
            None => {
                let pool = self.new_pool();
                let n = Node::new(name, name, pool, &self.config.fstab);
                self.nodes.insert(name.to_string(), n);
                name.to_string()
            }
        };
        match self.nodes.get_mut(&key) {
            Some(n) => n,
            None => unreachable!("node found or inserted above"),
        }
    }

    /// Learns that `manage` and `storage` name one node: gluster knows it by `storage`
    /// (peer probe, brick names), commands reach it by `manage`. A storage name that
    /// already keys a node of its own is left to that node.
    fn learn(&mut self, manage: &str, storage: &str) {
        let key = self.node_mut(manage).manage.clone();
        if storage != key && self.nodes.contains_key(storage) {
            return;
        }
        let Some(n) = self.nodes.get_mut(&key) else {
            return;
        };
        let old = std::mem::replace(&mut n.storage, storage.to_string());
        if old != key && old != storage {
            self.aliases.remove(&old);
        }
        if storage != key {
            self.aliases.insert(storage.to_string(), key);
        }
    }

    fn record(&mut self, host: &str, command: &str) {
        let limit = self.config.command_log_limit;
        if limit == 0 {
            return;
        }
        while self.commands.len() >= limit {
            self.commands.pop_front();
        }
        self.commands
            .push_back((host.to_string(), command.to_string()));
    }

    fn run(&mut self, host: &str, command: &str) -> CommandOutput {
        self.record(host, command);
        self.materialize(host);
        let words = match shell::split(command) {
            Ok(w) => w,
            Err(e) => return Reply::unsupported(&format!("{command} ({e})")).0,
        };
        let mut w: &[String] = &words;
        if w.first().is_some_and(|s| s == "sudo") {
            w = &w[1..];
        }
        let Some((cmd, args)) = w.split_first() else {
            return Reply::ok("").0;
        };
        let reply = match cmd.as_str() {
            "/usr/sbin/lvm" | "lvm" => self.lvm(host, args),
            "pvcreate" | "vgcreate" | "pvs" | "vgdisplay" | "vgremove" | "pvremove"
            | "lvcreate" | "lvremove" | "lvs" | "vgs" | "lvextend" => self.lvm(host, w),
            "cat" => self.cat(host, args),
            "/usr/bin/udevadm" | "udevadm" => self.udevadm(host, args),
            "wipefs" => self.wipefs(host, args),
            "mkfs.xfs" => self.mkfs_xfs(host, args),
            "mkdir" => self.mkdir(host, args),
            "rmdir" => self.rmdir(host, args),
            "chown" => self.chown(host, args),
            "chmod" => self.chmod(host, args),
            "mount" => self.mount(host, args),
            "umount" => self.umount(host, args),
            "awk" => self.awk(host, args),
            "sed" => self.sed(host, args),
            "systemctl" => self.systemctl(host, args),
            "pidof" => self.pidof(host, args),
            "gluster" => self.gluster(host, args),
            other => Reply::err(127, format!("bash: line 1: {other}: command not found")),
        };
        reply.0
    }
}

/// A PV on a mock node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockPv {
    /// Device path.
    pub device: String,
    /// PV UUID.
    pub uuid: String,
    /// Volume group, if any.
    pub vg: Option<String>,
}

/// A thin LV inside a pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockThinLv {
    /// LV name.
    pub name: String,
    /// Virtual size (KiB).
    pub virtual_size_kib: u64,
    /// Carries an XFS file system.
    pub formatted: bool,
    /// Formatted as an arbiter brick (`-i maxpct=100`).
    pub arbiter: bool,
    /// XFS stripe geometry (`su=…,sw=…`) if given to mkfs.
    pub xfs_stripe: Option<String>,
}

/// A thin pool and its thin LVs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockThinPool {
    /// Pool LV name.
    pub name: String,
    /// Data size (KiB, extent aligned).
    pub size_kib: u64,
    /// Metadata size (KiB, extent aligned).
    pub metadata_kib: u64,
    /// Thin LVs in the pool.
    pub thin_lvs: Vec<MockThinLv>,
}

/// A volume group on a mock node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockVg {
    /// VG name.
    pub name: String,
    /// The PV's device.
    pub device: String,
    /// Extent size (KiB).
    pub extent_size_kib: u64,
    /// Total extents.
    pub total_extents: u64,
    /// Free extents.
    pub free_extents: u64,
    /// Thin pools.
    pub thin_pools: Vec<MockThinPool>,
}

impl MockVg {
    /// Total size in KiB.
    pub fn total_kib(&self) -> u64 {
        self.total_extents * self.extent_size_kib
    }
    /// Free size in KiB.
    pub fn free_kib(&self) -> u64 {
        self.free_extents * self.extent_size_kib
    }
}

/// A mounted file system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockMount {
    /// Mount point.
    pub dir: String,
    /// `/dev/mapper/...` device.
    pub device: String,
    /// Mount options.
    pub options: String,
}

/// A gluster volume as the mock glusterd holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockVolume {
    /// Name.
    pub name: String,
    /// UUID.
    pub id: String,
    /// `Distribute`, `Replicate`, `Distributed-Replicate`, …
    pub type_name: String,
    /// `Created`, `Started` or `Stopped`.
    pub status: String,
    /// Bricks as `host:path`, in order.
    pub bricks: Vec<String>,
    /// Options set with `volume set`.
    pub options: Vec<(String, String)>,
}

/// A snapshot of one mock node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockNodeState {
    /// Manage host name.
    pub manage: String,
    /// Storage host name.
    pub storage: String,
    /// glusterd is running.
    pub glusterd_running: bool,
    /// Storage names of the other members of this node's pool.
    pub peers: Vec<String>,
    /// Physical volumes.
    pub pvs: Vec<MockPv>,
    /// Volume groups.
    pub vgs: Vec<MockVg>,
    /// Mounts.
    pub mounts: Vec<MockMount>,
    /// Lines of the fstab file ([`MockConfig::fstab`]).
    pub fstab: Vec<String>,
    /// Directories on the root file system.
    pub dirs: Vec<String>,
    /// Volumes of this node's pool.
    pub volumes: Vec<MockVolume>,
}

impl MockNodeState {
    /// The VG named `name`.
    pub fn vg(&self, name: &str) -> Option<&MockVg> {
        self.vgs.iter().find(|v| v.name == name)
    }
    /// The volume named `name`.
    pub fn volume(&self, name: &str) -> Option<&MockVolume> {
        self.volumes.iter().find(|v| v.name == name)
    }
}

impl World {
    fn snapshot(&self, n: &Node) -> MockNodeState {
        let vgs = n
            .vgs
            .iter()
            .map(|(name, v)| {
                let thin_pools = v
                    .lvs
                    .iter()
                    .filter_map(|(pname, lv)| match lv.kind {
                        LvKind::Pool {
                            data_kib, meta_kib, ..
                        } => Some(MockThinPool {
                            name: pname.to_string(),
                            size_kib: data_kib,
                            metadata_kib: meta_kib,
                            thin_lvs: v
                                .lvs
                                .iter()
                                .filter_map(|(tname, t)| match &t.kind {
                                    LvKind::Thin { virtual_kib, .. }
                                        if t.in_pool(&tname, &pname) =>
                                    {
                                        Some(MockThinLv {
                                            name: tname.to_string(),
                                            virtual_size_kib: *virtual_kib,
                                            formatted: t.fs.is_some(),
                                            arbiter: t.fs.as_ref().is_some_and(|f| f.arbiter),
                                            xfs_stripe: t.fs.as_ref().and_then(|f| {
                                                f.stripe.as_deref().map(String::from)
                                            }),
                                        })
                                    }
                                    _ => None,
                                })
                                .collect(),
                        }),
                        LvKind::Thin { .. } => None,
                    })
                    .collect();
                MockVg {
                    name: name.clone(),
                    device: v.pv.clone(),
                    extent_size_kib: v.extent_kib,
                    total_extents: v.total_extents,
                    free_extents: v.free_extents(),
                    thin_pools,
                }
            })
            .collect();
        MockNodeState {
            manage: n.manage.clone(),
            storage: n.storage.clone(),
            glusterd_running: n.glusterd,
            peers: self
                .nodes
                .values()
                .filter(|o| o.pool == n.pool && o.manage != n.manage)
                .map(|o| o.storage.clone())
                .collect(),
            pvs: n
                .pvs
                .iter()
                .map(|(d, p)| MockPv {
                    device: d.clone(),
                    uuid: p.uuid.clone(),
                    vg: p.vg.clone(),
                })
                .collect(),
            vgs,
            mounts: n
                .mount_list()
                .map(|(dir, device, options)| MockMount {
                    dir,
                    device,
                    options: options.to_string(),
                })
                .collect(),
            fstab: n.file_lines(&self.config.fstab).unwrap_or_default(),
            dirs: n.root_dirs(),
            volumes: self
                .volumes
                .get(&n.pool)
                .map(|vs| {
                    vs.iter()
                        .map(|(name, v)| MockVolume {
                            name: name.clone(),
                            id: v.id.to_string(),
                            type_name: v.type_name().to_string(),
                            status: v.status.to_string(),
                            bricks: v.bricks.iter().map(ToString::to_string).collect(),
                            options: v
                                .options
                                .iter()
                                .map(|(k, v)| (k.to_string(), v.to_string()))
                                .collect(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// The mock nodes behind a [`Transport`]. Clones share the same nodes (and state file,
/// see [`MockTransport::open_durable`]).
#[derive(Clone)]
pub struct MockTransport {
    world: Arc<Mutex<World>>,
    /// The state file that keeps the nodes durable, if any (`journal.rs`).
    journal: Option<Arc<journal::Journal>>,
}

impl Default for MockTransport {
    fn default() -> MockTransport {
        MockTransport::new(MockConfig::default())
    }
}

impl MockTransport {
    /// Empty world; nodes appear on first contact.
    pub fn new(config: MockConfig) -> MockTransport {
        MockTransport {
            world: Arc::new(Mutex::new(World {
                config,
                nodes: BTreeMap::new(),
                aliases: BTreeMap::new(),
                volumes: BTreeMap::new(),
                commands: VecDeque::new(),
                snaps: Default::default(),
                counter: 0,
                heal_entries: BTreeMap::new(),
                strings: Default::default(),
                backlog: Default::default(),
            })),
            journal: None,
        }
    }

    /// The nodes, every restored brick built: what views from outside see.
    fn lock(&self) -> MutexGuard<'_, World> {
        let mut w = self.lock_lazy();
        if !w.backlog.is_empty() {
            w.materialize_all();
        }
        w
    }

    /// The nodes as they are, restored bricks perhaps not built yet: for commands
    /// (which build what they look at) and restores.
    fn lock_lazy(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Declare a node with its storage host name (gluster's name for it); the node is
    /// then known by both names.
    pub fn add_node(&self, manage: &str, storage: &str) {
        self.control(
            || journal::Entry::Learn {
                manage: manage.to_string(),
                storage: storage.to_string(),
            },
            |w| w.learn(manage, storage),
        );
    }

    /// Give `device` on `manage` a size (KiB) other than the default.
    pub fn set_device_size(&self, manage: &str, device: &str, size_kib: u64) {
        self.control(
            || journal::Entry::DeviceSize {
                host: manage.to_string(),
                device: device.to_string(),
                kib: size_kib,
            },
            |w| {
                let n = w.node_mut(manage);
                n.missing.remove(device);
                n.disk_sizes.insert(device.to_string(), size_kib);
            },
        );
    }

    /// Declare `device` absent on `manage` (or present again).
    pub fn set_device_missing(&self, manage: &str, device: &str, missing: bool) {
        self.control(
            || journal::Entry::DeviceMissing {
                host: manage.to_string(),
                device: device.to_string(),
                missing,
            },
            |w| {
                let n = w.node_mut(manage);
                if missing {
                    n.missing.insert(device.to_string());
                } else {
                    n.missing.remove(device);
                }
            },
        );
    }

    /// Start or stop glusterd on `manage`.
    pub fn set_glusterd_running(&self, manage: &str, running: bool) {
        self.control(
            || journal::Entry::Glusterd {
                host: manage.to_string(),
                running,
            },
            |w| w.node_mut(manage).glusterd = running,
        );
    }

    /// Make `volume heal … info` report `entries` entries to heal on brick `brick`
    /// (`host:path`); 0 clears it.
    pub fn set_heal_entries(&self, brick: &str, entries: u64) {
        self.control(
            || journal::Entry::Heal {
                brick: brick.to_string(),
                entries,
            },
            |w| {
                if entries == 0 {
                    w.heal_entries.remove(brick);
                } else {
                    w.heal_entries.insert(brick.to_string(), entries);
                }
            },
        );
    }

    /// Install or remove `udevadm` on `manage` (absent: exit 127, as in containers).
    pub fn set_udev_available(&self, manage: &str, available: bool) {
        self.control(
            || journal::Entry::Udev {
                host: manage.to_string(),
                available,
            },
            |w| w.node_mut(manage).udev = available,
        );
    }

    /// A change made from outside (not by a command); with a state file that cannot be
    /// written the change is not made (logged: every later command fails the same way).
    fn control(&self, entry: impl FnOnce() -> journal::Entry, change: impl FnOnce(&mut World)) {
        if let Err(why) = self.change(entry, change) {
            tracing::error!("mock nodes: change not made: {why}");
        }
    }

    /// Snapshots of every node, by manage host.
    pub fn nodes(&self) -> Vec<MockNodeState> {
        let w = self.lock();
        w.nodes.values().map(|n| w.snapshot(n)).collect()
    }

    /// Snapshot of one node (by manage or storage host).
    pub fn node(&self, name: &str) -> Option<MockNodeState> {
        let w = self.lock();
        let n = w.nodes.get(w.named(name)?)?;
        Some(w.snapshot(n))
    }

    /// Lines of a file on a node (by manage or storage host).
    pub fn file(&self, name: &str, path: &str) -> Option<Vec<String>> {
        let w = self.lock();
        w.nodes.get(w.named(name)?)?.file_lines(path)
    }

    /// `(host, command)` of the commands run so far (the latest
    /// [`MockConfig::command_log_limit`] of them), oldest first.
    pub fn commands(&self) -> Vec<(String, String)> {
        self.lock().commands.iter().cloned().collect()
    }

    /// Forget the recorded commands.
    pub fn clear_commands(&self) {
        self.lock().commands.clear();
    }

    /// Interpret one command line on `host` (what [`Transport::run`] does). With a state
    /// file, a command that changed the nodes is in the file before this returns; a
    /// state file that cannot be written fails the command (exit status 255, as ssh
    /// when the node cannot be reached) without running it.
    pub fn run_command(&self, host: &str, command: &str) -> CommandOutput {
        let Some(j) = &self.journal else {
            return self.lock_lazy().run(host, command);
        };
        let mut w = self.lock_lazy();
        if let Some(why) = j.failed() {
            return CommandOutput::failed(255, format!("{why}\n"));
        }
        let before = journal::change_marker(&w);
        let out = w.run(host, command);
        let seq =
            (!journal::is_query(command) || journal::change_marker(&w) != before).then(|| {
                j.append(&journal::Entry::Run {
                    host: host.to_string(),
                    cmd: command.to_string(),
                })
            });
        drop(w);
        if let Some(Err(why)) = seq.map(|s| s.and_then(|s| j.sync(s))) {
            return CommandOutput::failed(255, format!("{why}\n"));
        }
        out
    }
}

#[async_trait]
impl Transport for MockTransport {
    async fn run(
        &self,
        host: &str,
        command: &str,
        _timeout: Duration,
    ) -> Result<CommandOutput, ExecError> {
        Ok(self.run_command(host, command))
    }

    fn note_host(&self, host: &Host) {
        // Only names of a node that exists: a machine never contacted stays unknown
        // (a peer probe of it fails, as it would for a host that is down).
        let storage_of = |w: &World| {
            let key = w.named(&host.manage)?;
            w.nodes.get(key).map(|n| n.storage.clone())
        };
        // Names only: the node's bricks need not be built.
        let mut w = self.lock_lazy();
        let Some(before) = storage_of(&w) else {
            return;
        };
        w.learn(&host.manage, &host.storage);
        if storage_of(&w).as_ref() != Some(&before)
            && let Some(j) = &self.journal
        {
            let seq = j.append(&journal::Entry::Learn {
                manage: host.manage.clone(),
                storage: host.storage.clone(),
            });
            drop(w);
            if let Err(why) = seq.and_then(|s| j.sync(s)) {
                tracing::error!("mock nodes: {why}");
            }
        }
    }
}

/// The command executor over mock nodes.
pub type MockExecutor = CommandExecutor<MockTransport>;

/// The command executor over mock nodes with fault injection in between.
pub type FaultyMockExecutor = CommandExecutor<FaultTransport<MockTransport>>;

impl Default for CommandExecutor<MockTransport> {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandExecutor<MockTransport> {
    /// Mock nodes with default settings (500 GiB disks, `/etc/fstab`).
    pub fn new() -> MockExecutor {
        Self::with_config(MockConfig::default())
    }

    /// Mock nodes with `config`; the command layer uses the same fstab.
    pub fn with_config(config: MockConfig) -> MockExecutor {
        let cmd = CommandConfig {
            fstab: config.fstab.clone(),
            ..CommandConfig::default()
        };
        CommandExecutor::from_transport(MockTransport::new(config), cmd)
    }

    /// Mock nodes kept durable in the state file `path` (see
    /// [`MockTransport::open_durable`]); the command layer uses `config`'s fstab.
    pub fn durable(
        config: MockConfig,
        path: &std::path::Path,
    ) -> Result<MockExecutor, MockStateError> {
        let cmd = CommandConfig {
            fstab: config.fstab.clone(),
            ..CommandConfig::default()
        };
        let t = MockTransport::open_durable(config, path)?;
        Ok(CommandExecutor::from_transport(t, cmd))
    }

    /// The mock nodes (shared handle).
    pub fn mock(&self) -> &MockTransport {
        self.transport()
    }

    /// Snapshots of every node.
    pub fn nodes(&self) -> Vec<MockNodeState> {
        self.transport().nodes()
    }

    /// `(host, command)` of every command run so far.
    pub fn commands(&self) -> Vec<(String, String)> {
        self.transport().commands()
    }

    /// Forget the recorded commands.
    pub fn clear_commands(&self) {
        self.transport().clear_commands();
    }
}

impl Default for CommandExecutor<FaultTransport<MockTransport>> {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandExecutor<FaultTransport<MockTransport>> {
    /// Mock nodes with default settings behind a fault injector.
    pub fn new() -> FaultyMockExecutor {
        Self::with_config(MockConfig::default())
    }

    /// Mock nodes with `config` behind a fault injector.
    pub fn with_config(config: MockConfig) -> FaultyMockExecutor {
        let cmd = CommandConfig {
            fstab: config.fstab.clone(),
            ..CommandConfig::default()
        };
        CommandExecutor::from_transport(FaultTransport::new(MockTransport::new(config)), cmd)
    }

    /// Mock nodes kept durable in the state file `path`, behind a fault injector.
    pub fn durable(
        config: MockConfig,
        path: &std::path::Path,
    ) -> Result<FaultyMockExecutor, MockStateError> {
        let cmd = CommandConfig {
            fstab: config.fstab.clone(),
            ..CommandConfig::default()
        };
        let t = MockTransport::open_durable(config, path)?;
        Ok(CommandExecutor::from_transport(FaultTransport::new(t), cmd))
    }

    /// The mock nodes (shared handle).
    pub fn mock(&self) -> &MockTransport {
        self.transport().inner()
    }

    /// The fault handle (shared; arm it while the engine holds the executor).
    pub fn faults(&self) -> FaultHandle {
        self.transport().handle()
    }

    /// Snapshots of every node.
    pub fn nodes(&self) -> Vec<MockNodeState> {
        self.mock().nodes()
    }

    /// `(host, command)` of every command that reached the mock.
    pub fn commands(&self) -> Vec<(String, String)> {
        self.mock().commands()
    }
}
