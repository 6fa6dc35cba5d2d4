//! Durable mock nodes: a journal of everything that changed them.
//!
//! The mock nodes live in memory. With a state file ([`MockTransport::open_durable`])
//! every change is appended to the file as one JSON line before the change is
//! reported: a command line that changed a node (or might have: anything that is not a
//! known query), and the calls that shape the nodes from outside (`add_node`, device
//! sizes, …). The line is written while the nodes are locked, so the file holds the
//! changes in the order they were applied, and synced (`fdatasync`, one for all lines
//! written meanwhile) before the command's reply is returned. Opening the file again
//! replays it through the same interpreter, which is deterministic (ids come from a
//! counter, maps are ordered), so a restarted process sees the nodes exactly as the
//! last reported command left them: after a crash, as the crash left them, not as the
//! records say.
//!
//! Why a journal of command lines rather than a serialised snapshot: it depends only on
//! the command lines the mock interprets, not on how the mock stores its nodes, so the
//! model's data layout can change without a file format change (a file written by one
//! build replays in another that interprets the same commands). Its price is that the
//! file grows with every change (about 150 bytes a command, some 15 commands a brick),
//! and start-up replays it all (well over 100,000 lines a second); it is a tool for
//! tests and demonstrations, never for real nodes.
//!
//! A line torn by a crash in the middle of a write (no final newline) was never
//! reported, and is dropped; any other line that cannot be read stops the opening with
//! the file's name and the line number.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::{CloneBrickState, MockConfig, MockTransport, World};

/// Version of the file format (the first line's `version`).
const FORMAT_VERSION: u32 = 1;

/// Why a mock state file cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum MockStateError {
    /// Reading, creating or writing the file failed.
    #[error("mock node state file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A line of the file is not a journal entry.
    #[error(
        "mock node state file {path}, line {line}: {message} (the file is damaged; move it away to start with empty mock nodes)"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// [`CloneBrickState`] as the journal writes it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct CloneBrick {
    vg: String,
    pool: String,
    pool_kib: u64,
    metadata_kib: u64,
    lv: String,
    virtual_kib: u64,
    mount_dir: String,
    gid: i64,
}

impl From<&CloneBrickState> for CloneBrick {
    fn from(b: &CloneBrickState) -> CloneBrick {
        CloneBrick {
            vg: b.vg.clone(),
            pool: b.pool.clone(),
            pool_kib: b.pool_kib,
            metadata_kib: b.metadata_kib,
            lv: b.lv.clone(),
            virtual_kib: b.virtual_kib,
            mount_dir: b.mount_dir.clone(),
            gid: b.gid,
        }
    }
}

impl From<CloneBrick> for CloneBrickState {
    fn from(b: CloneBrick) -> CloneBrickState {
        CloneBrickState {
            vg: b.vg,
            pool: b.pool,
            pool_kib: b.pool_kib,
            metadata_kib: b.metadata_kib,
            lv: b.lv,
            virtual_kib: b.virtual_kib,
            mount_dir: b.mount_dir,
            gid: b.gid,
        }
    }
}

/// One line of the journal.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub(super) enum Entry {
    /// The settings that shape new nodes (first line, and again when they change).
    Config {
        version: u32,
        default_device_size_kib: u64,
        fstab: String,
    },
    /// A command line run on `host`.
    Run { host: String, cmd: String },
    /// `add_node` / a storage name learnt through `note_host`.
    Learn { manage: String, storage: String },
    /// `set_device_size`.
    DeviceSize {
        host: String,
        device: String,
        kib: u64,
    },
    /// `set_device_missing`.
    DeviceMissing {
        host: String,
        device: String,
        missing: bool,
    },
    /// `set_glusterd_running`.
    Glusterd { host: String, running: bool },
    /// `set_heal_entries`.
    Heal { brick: String, entries: u64 },
    /// `set_udev_available`.
    Udev { host: String, available: bool },
    /// `restore_clone_brick`.
    RestoreClone { host: String, brick: CloneBrick },
}

impl Entry {
    pub(super) fn restore_clone(host: &str, b: &CloneBrickState) -> Entry {
        Entry::RestoreClone {
            host: host.to_string(),
            brick: b.into(),
        }
    }

    fn config(c: &MockConfig) -> Entry {
        Entry::Config {
            version: FORMAT_VERSION,
            default_device_size_kib: c.default_device_size_kib,
            fstab: c.fstab.clone(),
        }
    }
}

struct Writer {
    file: File,
    /// Lines written by this process.
    written: u64,
    /// Why the journal stopped taking lines (a failed write or sync): every later
    /// change is refused, so the file never misses a change a reply confirmed.
    failed: Option<String>,
}

/// The open journal of a durable [`MockTransport`].
pub(super) struct Journal {
    path: PathBuf,
    /// Locked after the nodes (never the other way round).
    writer: Mutex<Writer>,
    /// A handle for `fdatasync` outside the writer's lock, and the number of lines
    /// known durable.
    sync: Mutex<(File, u64)>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Journal {
    /// Why the journal takes no more lines, if it failed.
    pub(super) fn failed(&self) -> Option<String> {
        lock(&self.writer).failed.clone()
    }

    /// Appends `entry`; its sequence number for [`Journal::sync`].
    pub(super) fn append(&self, entry: &Entry) -> Result<u64, String> {
        let mut w = lock(&self.writer);
        if let Some(why) = &w.failed {
            return Err(why.clone());
        }
        let mut line = serde_json::to_string(entry).map_err(|e| e.to_string())?;
        line.push('\n');
        if let Err(e) = w.file.write_all(line.as_bytes()) {
            let why = format!(
                "mock node state file {}: write failed: {e}",
                self.path.display()
            );
            w.failed = Some(why.clone());
            return Err(why);
        }
        w.written += 1;
        Ok(w.written)
    }

    /// Returns once line `seq` (and every one before it) is on disk.
    pub(super) fn sync(&self, seq: u64) -> Result<(), String> {
        let mut s = lock(&self.sync);
        if s.1 >= seq {
            return Ok(());
        }
        let upto = lock(&self.writer).written;
        if let Err(e) = s.0.sync_data() {
            let why = format!(
                "mock node state file {}: sync failed: {e}",
                self.path.display()
            );
            lock(&self.writer).failed = Some(why.clone());
            return Err(why);
        }
        s.1 = upto;
        Ok(())
    }
}

/// Commands that only read the nodes: not journaled. Anything else is (a failed
/// command too: replaying it is harmless). A query that nonetheless changed something
/// (its first contact created a node) is journaled by the caller's check.
pub(super) fn is_query(command: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut w: &[&str] = &words;
    if w.first() == Some(&"sudo") {
        w = &w[1..];
    }
    if matches!(w.first(), Some(&"/usr/sbin/lvm") | Some(&"lvm")) {
        w = &w[1..];
    }
    match w {
        ["lvs", ..] | ["pvs", ..] | ["vgs", ..] | ["vgdisplay", ..] => true,
        ["pidof", ..] => true,
        ["systemctl", "status", ..] => true,
        ["/usr/bin/udevadm", "info", ..] | ["udevadm", "info", ..] => true,
        ["gluster", rest @ ..] => {
            let rest: Vec<&str> = rest
                .iter()
                .copied()
                .filter(|a| !a.starts_with("--"))
                .collect();
            matches!(
                rest.as_slice(),
                ["volume", "info", ..]
                    | ["volume", "status", ..]
                    | ["volume", "list"]
                    | ["peer", "status"]
                    | ["pool", "list"]
                    | ["snapshot", "info", ..]
                    | ["snapshot", "list", ..]
            ) || matches!(rest.as_slice(), ["volume", "heal", _, "info", ..])
        }
        _ => false,
    }
}

/// What identifies a change a query made anyway (a node created on first contact).
pub(super) fn change_marker(w: &World) -> (u64, usize) {
    (w.counter, w.nodes.len())
}

/// Reads the journal's complete lines; the byte length they take (a torn last line is
/// not counted).
fn read_entries(path: &Path) -> Result<(Vec<Entry>, u64), MockStateError> {
    let io = |source| MockStateError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let text = std::str::from_utf8(&bytes[..complete]).map_err(|e| MockStateError::Corrupt {
        path: path.to_path_buf(),
        line: 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
        message: "not UTF-8".to_string(),
    })?;
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let corrupt = |message: String| MockStateError::Corrupt {
            path: path.to_path_buf(),
            line: i + 1,
            message,
        };
        let entry: Entry = serde_json::from_str(line).map_err(|e| corrupt(e.to_string()))?;
        match (&entry, i) {
            (Entry::Config { version, .. }, _) if *version != FORMAT_VERSION => {
                return Err(corrupt(format!(
                    "format version {version}, this build reads version {FORMAT_VERSION}"
                )));
            }
            (Entry::Config { .. }, _) => {}
            (_, 0) => return Err(corrupt("the first line is not the settings line".into())),
            _ => {}
        }
        entries.push(entry);
    }
    Ok((entries, complete as u64))
}

impl MockTransport {
    /// Mock nodes kept durable in `path`: the nodes the file describes (empty when it
    /// does not exist yet), and every later change appended to it before it is reported.
    /// `config` applies from now on (the nodes made before keep the settings they were
    /// made with).
    pub fn open_durable(config: MockConfig, path: &Path) -> Result<MockTransport, MockStateError> {
        let io = |source| MockStateError::Io {
            path: path.to_path_buf(),
            source,
        };
        let exists = path.exists();
        let mut t = if exists {
            let (entries, complete) = read_entries(path)?;
            let t = MockTransport::replay(config.clone(), &entries);
            let f = OpenOptions::new().write(true).open(path).map_err(io)?;
            // Drop a line torn by a crash: it was never reported.
            if f.metadata().map_err(io)?.len() != complete {
                f.set_len(complete).map_err(io)?;
                f.sync_data().map_err(io)?;
            }
            t
        } else {
            MockTransport::new(config.clone())
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        let sync = file.try_clone().map_err(io)?;
        if !exists && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The new file's name must survive a crash too.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        t.journal = Some(Arc::new(Journal {
            path: path.to_path_buf(),
            writer: Mutex::new(Writer {
                file,
                written: 0,
                failed: None,
            }),
            sync: Mutex::new((sync, 0)),
        }));
        let entry = {
            let mut w = t.lock();
            let changed = !exists
                || w.config.default_device_size_kib != config.default_device_size_kib
                || w.config.fstab != config.fstab;
            w.config = config;
            changed.then(|| Entry::config(&w.config))
        };
        if let Some(entry) = entry {
            t.journaled(&entry)
                .map_err(|e| io(std::io::Error::other(e)))?;
        }
        Ok(t)
    }

    /// The mock nodes a state file describes, for inspection (tests, tools): nothing is
    /// written to the file, and a torn last line is ignored. The file may be one a
    /// running process is appending to.
    pub fn load_durable(path: &Path) -> Result<MockTransport, MockStateError> {
        let (entries, _) = read_entries(path)?;
        Ok(MockTransport::replay(MockConfig::default(), &entries))
    }

    /// Whether this transport keeps its nodes in a state file.
    pub fn is_durable(&self) -> bool {
        self.journal.is_some()
    }

    fn replay(config: MockConfig, entries: &[Entry]) -> MockTransport {
        let t = MockTransport::new(config);
        for e in entries {
            match e.clone() {
                Entry::Config {
                    default_device_size_kib,
                    fstab,
                    ..
                } => {
                    let mut w = t.lock();
                    w.config.default_device_size_kib = default_device_size_kib;
                    w.config.fstab = fstab;
                }
                Entry::Run { host, cmd } => {
                    t.run_command(&host, &cmd);
                }
                Entry::Learn { manage, storage } => t.add_node(&manage, &storage),
                Entry::DeviceSize { host, device, kib } => t.set_device_size(&host, &device, kib),
                Entry::DeviceMissing {
                    host,
                    device,
                    missing,
                } => t.set_device_missing(&host, &device, missing),
                Entry::Glusterd { host, running } => t.set_glusterd_running(&host, running),
                Entry::Heal { brick, entries } => t.set_heal_entries(&brick, entries),
                Entry::Udev { host, available } => t.set_udev_available(&host, available),
                Entry::RestoreClone { host, brick } => {
                    // It succeeded when it was journaled, so it succeeds again.
                    let _ = t.restore_clone_brick(&host, &brick.into());
                }
            }
        }
        t.clear_commands();
        t
    }

    /// Appends `entry` (nodes locked by the caller or not: the order of two changes is
    /// the order of their appends, which the caller makes under the nodes' lock) and
    /// waits until it is durable. Without a state file: nothing.
    pub(super) fn journaled(&self, entry: &Entry) -> Result<(), String> {
        let Some(j) = &self.journal else {
            return Ok(());
        };
        let seq = j.append(entry)?;
        j.sync(seq)
    }

    /// Runs `change` on the nodes and journals `entry` while they are still locked,
    /// then waits until the line is durable. A journal that failed refuses the change.
    pub(super) fn change<R>(
        &self,
        entry: impl FnOnce() -> Entry,
        change: impl FnOnce(&mut World) -> R,
    ) -> Result<R, String> {
        let mut w = self.lock();
        let Some(j) = &self.journal else {
            return Ok(change(&mut w));
        };
        if let Some(why) = j.failed() {
            return Err(why);
        }
        let r = change(&mut w);
        let seq = j.append(&entry());
        drop(w);
        j.sync(seq?)?;
        Ok(r)
    }
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;
