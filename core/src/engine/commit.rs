//! Group commit: one thread makes queued change sets durable, many at a time.
//!
//! Writers stage their change set (already applied to memory, under the engine lock) and
//! get a ticket; they then wait (blocking, or asynchronously without holding a runtime
//! thread) until the committer has made that ticket durable. Everything staged while a
//! commit runs shares the next one: one fsync for many operations.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use tokio::sync::watch;

use crate::error::Result;
use crate::store::{ChangeSet, Store, StoreError};

/// A staged change set's place in the commit order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Ticket(u64);

struct Queue {
    batch: Vec<ChangeSet>,
    /// Ticket of the batch being filled.
    open: u64,
    /// Highest durable ticket.
    committed: u64,
    poisoned: Option<String>,
    /// Ticket of the batch whose commit failed: it and every later ticket were not saved.
    failed: u64,
    shutdown: bool,
    /// Set by [`Committer::close`]: the store is closed, nothing more is accepted.
    closed: bool,
}

impl Queue {
    /// The error for a waiter on `t`, once the engine is poisoned.
    fn refused(&self, t: Ticket) -> Option<StoreError> {
        if self.closed && t.0 > self.committed {
            return Some(StoreError::Closed);
        }
        let why = self.poisoned.clone()?;
        Some(if t.0 >= self.failed {
            StoreError::CommitFailed(why)
        } else {
            StoreError::Poisoned(why)
        })
    }
}

struct Shared {
    queue: Mutex<Queue>,
    /// Wakes the committer (work to do) and blocking waiters (work done).
    cv: Condvar,
    /// `None` once closed ([`Committer::close`]).
    store: Mutex<Option<Store>>,
    durable: watch::Sender<u64>,
}

pub(crate) struct Committer {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

fn lock(shared: &Shared) -> MutexGuard<'_, Queue> {
    shared.queue.lock().unwrap_or_else(|p| p.into_inner())
}

impl Committer {
    pub(crate) fn start(store: Store) -> Result<Committer> {
        let (durable, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                batch: Vec::new(),
                open: 1,
                committed: 0,
                poisoned: None,
                failed: u64::MAX,
                shutdown: false,
                closed: false,
            }),
            cv: Condvar::new(),
            store: Mutex::new(Some(store)),
            durable,
        });
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("brickyard-commit".into())
            .spawn(move || run(&worker))
            .map_err(|e| StoreError::Io(redb::StorageError::Io(e).into()))?;
        Ok(Committer {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues a change set; the caller must already have applied it to memory.
    pub(crate) fn stage(&self, cs: ChangeSet) -> Result<Ticket> {
        let mut q = lock(&self.shared);
        if let Some(why) = &q.poisoned {
            return Err(StoreError::Poisoned(why.clone()).into());
        }
        if q.closed {
            return Err(StoreError::Closed.into());
        }
        q.batch.push(cs);
        let t = Ticket(q.open);
        drop(q);
        self.shared.cv.notify_all();
        Ok(t)
    }

    /// Refuses work when an earlier commit failed.
    pub(crate) fn check(&self) -> Result<()> {
        let q = lock(&self.shared);
        match &q.poisoned {
            Some(why) => Err(StoreError::Poisoned(why.clone()).into()),
            None if q.closed => Err(StoreError::Closed.into()),
            None => Ok(()),
        }
    }

    /// Commits what is queued, stops the commit thread and closes the store (a clean
    /// redb close: the next open needs no repair). Later writes get
    /// [`StoreError::Closed`]. Idempotent.
    pub(crate) fn close(&self) {
        lock(&self.shared).shutdown = true;
        self.shared.cv.notify_all();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = thread {
            let _ = t.join();
        }
        lock(&self.shared).closed = true;
        drop(
            self.shared
                .store
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take(),
        );
        self.shared
            .durable
            .send_replace(lock(&self.shared).committed);
        self.shared.cv.notify_all();
    }

    /// True once a commit has failed.
    pub(crate) fn is_poisoned(&self) -> bool {
        lock(&self.shared).poisoned.is_some()
    }

    /// The highest ticket known durable.
    pub(crate) fn durable_ticket(&self) -> Ticket {
        Ticket(lock(&self.shared).committed)
    }

    /// Waits, blocking the thread, until `t` is durable.
    pub(crate) fn wait_blocking(&self, t: Ticket) -> Result<()> {
        let mut q = lock(&self.shared);
        loop {
            if q.committed >= t.0 {
                return Ok(());
            }
            if let Some(e) = q.refused(t) {
                return Err(e.into());
            }
            q = self.shared.cv.wait(q).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Waits, without holding a runtime thread, until `t` is durable.
    pub(crate) fn wait(
        &self,
        t: Ticket,
    ) -> impl std::future::Future<Output = Result<()>> + Send + 'static {
        let shared = self.shared.clone();
        async move {
            let mut rx = shared.durable.subscribe();
            loop {
                {
                    let q = lock(&shared);
                    if q.committed >= t.0 {
                        return Ok(());
                    }
                    if let Some(e) = q.refused(t) {
                        return Err(e.into());
                    }
                }
                if rx.changed().await.is_err() {
                    return Err(StoreError::Poisoned("the commit thread stopped".into()).into());
                }
            }
        }
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.close();
    }
}

fn run(shared: &Shared) {
    loop {
        let (batch, ticket) = {
            let mut q = lock(shared);
            while q.batch.is_empty() && !q.shutdown {
                q = shared.cv.wait(q).unwrap_or_else(|p| p.into_inner());
            }
            if q.batch.is_empty() {
                return;
            }
            let batch = std::mem::take(&mut q.batch);
            let ticket = q.open;
            q.open += 1;
            if q.poisoned.is_some() {
                // Staged before the failure was known: never committed after a failed
                // batch (it could depend on it); its waiters get the failure.
                drop(q);
                shared.durable.send_replace(ticket);
                shared.cv.notify_all();
                continue;
            }
            (batch, ticket)
        };
        let result = match &*shared.store.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(store) => store.commit_all(&batch),
            None => Err(StoreError::Closed),
        };
        let mut q = lock(shared);
        match result {
            Ok(()) => q.committed = ticket,
            Err(e) => {
                tracing::error!(error = %e, "store commit failed; refusing writes until restart");
                q.poisoned = Some(e.to_string());
                q.failed = ticket;
            }
        }
        drop(q);
        shared.durable.send_replace(ticket);
        shared.cv.notify_all();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn close_commits_what_is_queued_and_refuses_later_writes() {
        let dir = std::env::temp_dir().join(format!("brickyard-close-{}", crate::id::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.redb");
        let c = Committer::start(Store::open(&path).unwrap()).unwrap();
        let t = c.stage(one_write("queued")).unwrap();
        c.close();
        c.wait_blocking(t).unwrap();
        let err = c.stage(one_write("late")).unwrap_err();
        assert!(err.to_string().contains("the database is closed"), "{err}");
        assert!(c.check().is_err());
        c.close();
        // Closed: the file is free to open again, and holds the queued write.
        let store = Store::open(&path).unwrap();
        let raw = store.load().unwrap();
        let attrs = &raw.iter().find(|(t, _)| *t == Table::Attributes).unwrap().1;
        assert_eq!(attrs.len(), 1);
        drop(c);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    use super::*;
    use crate::store::{ChangeSet, Table};

    fn one_write(key: &str) -> ChangeSet {
        ChangeSet {
            writes: vec![(Table::Attributes, key.into(), Some(b"{}".to_vec()))],
        }
    }

    #[test]
    fn nothing_is_committed_after_a_failed_batch() {
        let store = Store::in_memory().unwrap();
        let c = Committer::start(store).unwrap();
        let t = c.stage(one_write("saved")).unwrap();
        c.wait_blocking(t).unwrap();
        // A batch staged while the failing commit ran: it is still queued when the
        // failure is known.
        let t = {
            let mut q = lock(&c.shared);
            q.poisoned = Some("disk full".into());
            q.failed = q.open;
            q.batch.push(one_write("after-failure"));
            Ticket(q.open)
        };
        c.shared.cv.notify_all();
        let err = c.wait_blocking(t).unwrap_err();
        assert!(
            err.to_string().contains("this change was not saved")
                && err.to_string().contains("disk full"),
            "{err}"
        );
        let err = c.stage(one_write("later")).unwrap_err();
        assert!(
            err.to_string()
                .contains("an earlier write to the database failed (disk full)"),
            "{err}"
        );
        // Stopping the commit thread lets it finish with the queued batch first.
        lock(&c.shared).shutdown = true;
        c.shared.cv.notify_all();
        let thread = c.thread.lock().unwrap().take().unwrap();
        thread.join().unwrap();
        let raw = c
            .shared
            .store
            .lock()
            .unwrap()
            .as_ref()
            .unwrap()
            .load()
            .unwrap();
        let attrs = &raw.iter().find(|(t, _)| *t == Table::Attributes).unwrap().1;
        let keys: Vec<_> = attrs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["saved"],
            "the batch after the failure reached the store"
        );
    }
}
