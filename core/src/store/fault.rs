//! A redb storage backend that fails chosen I/O: the store's counterpart of the
//! executor's `FaultTransport`. It wraps redb's file backend and, when told to, fails
//! the n-th write, sync (`sync_data`) or allocation (`set_len`) with an OS error
//! (ENOSPC, EIO) the way a full or failing disk does. Once a fault has fired, every
//! later write, sync and allocation fails too (a full disk stays full) until
//! [`StorageFaults::heal`]; reads keep working.
//!
//! Tests open an engine on it with [`super::Store::with_backend`] and
//! `Engine::open_with_store`.

use std::fs::{File, OpenOptions};
use std::io;
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use redb::StorageBackend;
use redb::backends::FileBackend;

/// `ENOSPC`: no space left on device.
pub const ENOSPC: i32 = 28;
/// `EIO`: input/output error.
pub const EIO: i32 = 5;

/// The kinds of backend calls a fault can be aimed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageOp {
    /// `write`: pages and headers.
    Write,
    /// `sync_data`: the fsync that makes a commit durable.
    Sync,
    /// `set_len`: growing (or shrinking) the file.
    SetLen,
}

/// How many calls of each kind the backend has seen (failed ones included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageCounts {
    pub writes: u64,
    pub syncs: u64,
    pub set_lens: u64,
}

impl StorageCounts {
    pub fn of(&self, op: StorageOp) -> u64 {
        match op {
            StorageOp::Write => self.writes,
            StorageOp::Sync => self.syncs,
            StorageOp::SetLen => self.set_lens,
        }
    }
}

#[derive(Debug, Default)]
struct Plan {
    counts: StorageCounts,
    /// (kind, the call number at which it fires, errno)
    armed: Option<(StorageOp, u64, i32)>,
    /// The errno every write, sync and allocation fails with, once a fault fired.
    tripped: Option<i32>,
    /// A failing write first writes half of its bytes (a torn write).
    torn: bool,
    failures: u64,
}

/// The control handle of a [`FaultyBackend`]; cheap to clone, shared with the backend.
#[derive(Clone, Debug, Default)]
pub struct StorageFaults {
    plan: Arc<Mutex<Plan>>,
}

impl StorageFaults {
    pub fn new() -> StorageFaults {
        StorageFaults::default()
    }

    fn lock(&self) -> MutexGuard<'_, Plan> {
        self.plan.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fails the `n`-th call of kind `op` from now (1 = the next one) with `errno`, and
    /// every write, sync and allocation after it until [`StorageFaults::heal`].
    pub fn fail_nth(&self, op: StorageOp, n: u64, errno: i32) {
        let mut p = self.lock();
        let at = p.counts.of(op) + n.max(1);
        p.armed = Some((op, at, errno));
    }

    /// Like [`StorageFaults::fail_nth`] for a write, which first writes half of its
    /// bytes: what a disk filling up in the middle of a write leaves.
    pub fn fail_nth_write_torn(&self, n: u64, errno: i32) {
        self.fail_nth(StorageOp::Write, n, errno);
        self.lock().torn = true;
    }

    /// Fails every write, sync and allocation from now on (a disk that is full).
    pub fn fail_all(&self, errno: i32) {
        let mut p = self.lock();
        p.armed = None;
        p.tripped = Some(errno);
    }

    /// Disarms and clears every fault: the disk has room again.
    pub fn heal(&self) {
        let mut p = self.lock();
        p.armed = None;
        p.tripped = None;
        p.torn = false;
    }

    /// Calls seen so far, by kind.
    pub fn counts(&self) -> StorageCounts {
        self.lock().counts
    }

    /// How many calls have failed because of a fault.
    pub fn failures(&self) -> u64 {
        self.lock().failures
    }

    /// True once a fault has fired (and until healed).
    pub fn tripped(&self) -> bool {
        self.lock().tripped.is_some()
    }

    /// Counts a call of kind `op` and says whether (and how) it fails.
    fn on_call(&self, op: StorageOp) -> Option<(i32, bool)> {
        let mut p = self.lock();
        let n = match op {
            StorageOp::Write => {
                p.counts.writes += 1;
                p.counts.writes
            }
            StorageOp::Sync => {
                p.counts.syncs += 1;
                p.counts.syncs
            }
            StorageOp::SetLen => {
                p.counts.set_lens += 1;
                p.counts.set_lens
            }
        };
        if let Some((kind, at, errno)) = p.armed
            && kind == op
            && n >= at
        {
            p.armed = None;
            p.tripped = Some(errno);
            p.failures += 1;
            let torn = std::mem::take(&mut p.torn);
            return Some((errno, torn));
        }
        let errno = p.tripped?;
        p.failures += 1;
        Some((errno, false))
    }
}

/// redb's file backend with [`StorageFaults`] in front of its writes, syncs and
/// allocations. Reads, length and locks go straight to the file.
#[derive(Debug)]
pub struct FaultyBackend {
    file: FileBackend,
    faults: StorageFaults,
}

impl FaultyBackend {
    /// Opens (or creates) the database file at `path`, as redb's `Database::create` does.
    pub fn open(path: &Path, faults: StorageFaults) -> io::Result<FaultyBackend> {
        let file: File = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let file = FileBackend::new(file).map_err(|e| io::Error::other(e.to_string()))?;
        Ok(FaultyBackend { file, faults })
    }

    /// The handle that controls this backend's faults.
    pub fn faults(&self) -> &StorageFaults {
        &self.faults
    }
}

fn os_error(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

impl StorageBackend for FaultyBackend {
    fn len(&self) -> Result<u64, io::Error> {
        self.file.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        self.file.read(offset, out)
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        match self.faults.on_call(StorageOp::SetLen) {
            Some((errno, _)) => Err(os_error(errno)),
            None => self.file.set_len(len),
        }
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        match self.faults.on_call(StorageOp::Sync) {
            Some((errno, _)) => Err(os_error(errno)),
            None => self.file.sync_data(),
        }
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        match self.faults.on_call(StorageOp::Write) {
            Some((errno, torn)) => {
                if torn && data.len() > 1 {
                    self.file.write(offset, &data[..data.len() / 2])?;
                }
                Err(os_error(errno))
            }
            None => self.file.write(offset, data),
        }
    }

    fn close(&self) -> Result<(), io::Error> {
        self.file.close()
    }

    fn try_lock_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, redb::BackendError> {
        self.file.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, redb::BackendError> {
        self.file.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), redb::BackendError> {
        self.file.lock_range(start, end)
    }

    fn lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<(), redb::BackendError> {
        self.file.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), redb::BackendError> {
        self.file.unlock_range(start, end)
    }

    fn query_lock_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, redb::BackendError> {
        self.file.query_lock_range(start, end)
    }
}
