//! Heketi's asynchronous operation protocol (`heketi/heketi:server/rest/asynchttp.go`,
//! `apps/glusterfs/operations_manage.go`).
//!
//! A handler validates synchronously, then hands the long part to [`Queue::start`]
//! (or [`Queue::reserve`] first, when a synchronous build step must only run if
//! there is room): the answer is `202` with `Location: /queue/<id>`. `GET
//! /queue/{id}` answers `200` + `X-Pending: true` while it runs, then exactly once
//! `303` (relative `Location`) / `204` / `500` with the error text, then `404 Id not
//! found`. At most `max_inflight_operations` run at once; beyond that `429 Server
//! busy. Retry operation later.`
//!
//! A poll of a running operation waits up to [`POLL_WAIT`] for it to finish before
//! answering `X-Pending` (Heketi answers at once): a client that polls right after the
//! `202`, as Heketi's clients do, gets the final answer in that same poll when the
//! operation takes less than that, instead of a pending answer and a pause (a second
//! for Heketi's clients) before the next poll. The answers are Heketi's either way.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;

use crate::error::AppError;
use crate::redirect::redirect;

/// How long a poll of a running operation waits for its end (see the module doc).
pub const POLL_WAIT: Duration = Duration::from_millis(500);

/// How a finished operation is reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpOutcome {
    /// Done, nothing to show: `204 No Content`.
    Done,
    /// Done, the result is at this path (e.g. `/volumes/<id>`): `303 See Other`.
    Redirect(String),
}

/// The `202 Accepted` answer of a started operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The queue id (32 hex characters).
    pub id: String,
}

impl Accepted {
    /// The relative status URL, `/queue/<id>`.
    pub fn location(&self) -> String {
        format!("/queue/{}", self.id)
    }
}

impl IntoResponse for Accepted {
    fn into_response(self) -> Response {
        redirect(StatusCode::ACCEPTED, &self.location())
    }
}

#[derive(Debug)]
enum Entry {
    Pending { label: String },
    Finished(Result<OpOutcome, AppError>),
}

/// How long finished results wait for their poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// A finished result older than this is forgotten.
    pub max_age: Duration,
    /// At most this many unpolled results are kept; the oldest go first.
    pub max_results: usize,
}

impl Default for Retention {
    /// One hour (Heketi's clients poll at once; a person with curl has time), and
    /// 100,000 results (a few tens of MiB at worst).
    fn default() -> Retention {
        Retention {
            max_age: Duration::from_secs(3600),
            max_results: 100_000,
        }
    }
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, Entry>,
    /// Finished ids in the order they finished (some may have been polled already).
    finished: VecDeque<(Instant, String)>,
}

impl Entries {
    fn finish(&mut self, id: String, result: Result<OpOutcome, AppError>, retention: Retention) {
        let now = Instant::now();
        self.map.insert(id.clone(), Entry::Finished(result));
        self.finished.push_back((now, id));
        self.expire(now, retention);
    }

    /// Forgets finished results past their age, and the oldest beyond the count.
    fn expire(&mut self, now: Instant, retention: Retention) {
        while let Some((at, _)) = self.finished.front() {
            let too_old = now.saturating_duration_since(*at) > retention.max_age;
            if !too_old && self.finished.len() <= retention.max_results {
                break;
            }
            if let Some((_, id)) = self.finished.pop_front()
                && matches!(self.map.get(&id), Some(Entry::Finished(_)))
            {
                self.map.remove(&id);
            }
        }
    }
}

#[derive(Debug)]
struct Inner {
    limit: usize,
    retention: Retention,
    entries: Mutex<Entries>,
    in_flight: watch::Sender<usize>,
    /// Counts finished operations: polls waiting for an end watch it.
    finished: watch::Sender<u64>,
    succeeded: AtomicU64,
    failed: AtomicU64,
}

/// The operation queue (cheap to clone; all clones share state).
#[derive(Clone, Debug)]
pub struct Queue {
    inner: Arc<Inner>,
}

/// A reserved place among the in-flight operations. Dropping it without
/// [`Slot::start`] gives the place back.
#[derive(Debug)]
pub struct Slot {
    queue: Queue,
    armed: bool,
}

impl Queue {
    /// A queue that runs at most `max_inflight` operations at once (0 is treated as 1).
    pub fn new(max_inflight: usize) -> Queue {
        Queue::with_retention(max_inflight, Retention::default())
    }

    /// A queue that forgets unpolled results as `retention` says.
    pub fn with_retention(max_inflight: usize, retention: Retention) -> Queue {
        let (in_flight, _) = watch::channel(0);
        let (finished, _) = watch::channel(0);
        Queue {
            inner: Arc::new(Inner {
                limit: max_inflight.max(1),
                retention,
                entries: Mutex::new(Entries::default()),
                in_flight,
                finished,
                succeeded: AtomicU64::new(0),
                failed: AtomicU64::new(0),
            }),
        }
    }

    /// The configured limit.
    pub fn limit(&self) -> usize {
        self.inner.limit
    }

    /// Operations currently running (`in_flight` of `GET /operations`).
    pub fn in_flight(&self) -> usize {
        *self.inner.in_flight.borrow()
    }

    /// Operations finished since the queue was made: `(succeeded, failed)`.
    pub fn finished(&self) -> (u64, u64) {
        (
            self.inner.succeeded.load(Ordering::Relaxed),
            self.inner.failed.load(Ordering::Relaxed),
        )
    }

    /// Reserves a place, or `429 Server busy. Retry operation later.`
    pub fn reserve(&self) -> Result<Slot, AppError> {
        let mut granted = false;
        self.inner.in_flight.send_modify(|n| {
            if *n < self.inner.limit {
                *n += 1;
                granted = true;
            }
        });
        if granted {
            Ok(Slot {
                queue: self.clone(),
                armed: true,
            })
        } else {
            Err(AppError::busy())
        }
    }

    /// Reserves a place and starts `operation` in it (see [`Slot::start`]).
    pub fn start<F>(&self, label: &str, operation: F) -> Result<Accepted, AppError>
    where
        F: Future<Output = Result<OpOutcome, brickyard::Error>> + Send + 'static,
    {
        Ok(self.reserve()?.start(label, operation))
    }

    /// What `GET /queue/{id}` answers; a finished entry is removed by this call.
    pub fn poll(&self, id: &str) -> Response {
        let mut guard = self.entries();
        guard.expire(Instant::now(), self.inner.retention);
        let entries = &mut guard.map;
        match entries.get(id) {
            None => AppError::not_found(brickyard::error::ID_NOT_FOUND).into_response(),
            Some(Entry::Pending { .. }) => {
                let mut response = StatusCode::OK.into_response();
                response
                    .headers_mut()
                    .insert("X-Pending", HeaderValue::from_static("true"));
                response
            }
            Some(Entry::Finished(_)) => match entries.remove(id) {
                Some(Entry::Finished(Ok(OpOutcome::Done))) => {
                    StatusCode::NO_CONTENT.into_response()
                }
                Some(Entry::Finished(Ok(OpOutcome::Redirect(path)))) => {
                    redirect(StatusCode::SEE_OTHER, &path)
                }
                Some(Entry::Finished(Err(error))) => error.into_response(),
                // The entry was just seen finished under the same lock.
                Some(Entry::Pending { .. }) | None => {
                    AppError::not_found(brickyard::error::ID_NOT_FOUND).into_response()
                }
            },
        }
    }

    /// [`Queue::poll`], after waiting up to `wait` for a running operation to finish.
    pub async fn poll_wait(&self, id: &str, wait: Duration) -> Response {
        // Subscribed before looking, so an end between the look and the wait is seen.
        let mut finished = self.inner.finished.subscribe();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let running = matches!(self.entries().map.get(id), Some(Entry::Pending { .. }));
            if !running {
                break;
            }
            match tokio::time::timeout_at(deadline, finished.changed()).await {
                Ok(Ok(())) => continue,
                // The wait is over (or the queue is gone): answer what there is.
                Ok(Err(_)) | Err(_) => break,
            }
        }
        self.poll(id)
    }

    /// Labels of the operations still running, by id (for diagnostics).
    pub fn pending(&self) -> Vec<(String, String)> {
        let mut list: Vec<(String, String)> = self
            .entries()
            .map
            .iter()
            .filter_map(|(id, e)| match e {
                Entry::Pending { label } => Some((id.clone(), label.clone())),
                Entry::Finished(_) => None,
            })
            .collect();
        list.sort();
        list
    }

    /// Waits until no operation is running, at most `timeout`; true when drained.
    /// For graceful shutdown: stop accepting requests first, then drain.
    pub async fn drain(&self, timeout: Duration) -> bool {
        let mut rx = self.inner.in_flight.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|n| *n == 0))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Finished results waiting for their poll.
    pub fn unpolled(&self) -> usize {
        self.entries()
            .map
            .values()
            .filter(|e| matches!(e, Entry::Finished(_)))
            .count()
    }

    fn entries(&self) -> MutexGuard<'_, Entries> {
        // A poisoned lock only means a panic elsewhere while holding it; the map
        // itself is always in a consistent state between statements.
        self.inner
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn release(&self) {
        self.inner
            .in_flight
            .send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl Slot {
    /// Runs `operation` in the background under a new queue id and returns the
    /// `202` answer. Its error text (or a panic) becomes the `500` body.
    pub fn start<F>(mut self, label: &str, operation: F) -> Accepted
    where
        F: Future<Output = Result<OpOutcome, brickyard::Error>> + Send + 'static,
    {
        self.armed = false;
        let queue = self.queue.clone();
        let id = brickyard::id::new_id();
        queue.entries().map.insert(
            id.clone(),
            Entry::Pending {
                label: label.to_string(),
            },
        );
        let task_id = id.clone();
        let label = label.to_string();
        tokio::spawn(async move {
            let result = match tokio::spawn(operation).await {
                Ok(Ok(outcome)) => Ok(outcome),
                // Heketi answers 500 with the text for every failed operation; the
                // kind (and a no_space's reasons) ride along in Brickyard's headers.
                Ok(Err(err)) => Err(AppError::internal(err.to_string()).with_engine_detail(&err)),
                Err(join) => Err(AppError::internal(format!(
                    "{label}: operation aborted: {join}"
                ))),
            };
            let counter = if result.is_ok() {
                &queue.inner.succeeded
            } else {
                &queue.inner.failed
            };
            counter.fetch_add(1, Ordering::Relaxed);
            if let Err(error) = &result {
                tracing::error!(id = %task_id, %label, error = %error.message, "operation failed");
            } else {
                tracing::info!(id = %task_id, %label, "operation finished");
            }
            let retention = queue.inner.retention;
            queue.entries().finish(task_id, result, retention);
            queue.inner.finished.send_modify(|n| *n += 1);
            queue.release();
        });
        Accepted { id }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if self.armed {
            self.queue.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn finished(queue: &Queue, n: usize) -> Vec<String> {
        let mut ids = Vec::new();
        for _ in 0..n {
            ids.push(
                queue
                    .start("volume delete", async { Ok(OpOutcome::Done) })
                    .unwrap()
                    .id,
            );
        }
        assert!(queue.drain(Duration::from_secs(10)).await);
        ids
    }

    #[tokio::test]
    async fn unpolled_results_beyond_the_count_are_forgotten_oldest_first() {
        let retention = Retention {
            max_age: Duration::from_secs(3600),
            max_results: 3,
        };
        let queue = Queue::with_retention(100, retention);
        let mut ids = Vec::new();
        for _ in 0..5 {
            // One at a time, so the finishing order is the starting order.
            ids.extend(finished(&queue, 1).await);
        }
        assert_eq!(queue.unpolled(), 3);
        assert_eq!(queue.poll(&ids[0]).status(), StatusCode::NOT_FOUND);
        assert_eq!(queue.poll(&ids[1]).status(), StatusCode::NOT_FOUND);
        assert_eq!(queue.poll(&ids[2]).status(), StatusCode::NO_CONTENT);
        assert_eq!(queue.poll(&ids[4]).status(), StatusCode::NO_CONTENT);
        assert_eq!(queue.unpolled(), 1);
    }

    #[tokio::test]
    async fn unpolled_results_past_their_age_are_forgotten() {
        let retention = Retention {
            max_age: Duration::from_millis(50),
            max_results: 1000,
        };
        let queue = Queue::with_retention(100, retention);
        let old = finished(&queue, 20).await;
        assert_eq!(queue.unpolled(), 20);
        tokio::time::sleep(Duration::from_millis(120)).await;
        let fresh = finished(&queue, 1).await;
        assert_eq!(
            queue.unpolled(),
            1,
            "the old results went when the new one finished"
        );
        assert_eq!(queue.poll(&old[0]).status(), StatusCode::NOT_FOUND);
        tokio::time::sleep(Duration::from_millis(120)).await;
        // A poll also expires: the fresh one is now too old as well.
        assert_eq!(queue.poll(&fresh[0]).status(), StatusCode::NOT_FOUND);
        assert_eq!(queue.unpolled(), 0);
    }

    #[tokio::test]
    async fn a_poll_waits_for_the_end_of_a_short_operation_and_not_longer_than_its_wait() {
        let queue = Queue::new(100);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let id = queue
            .start("volume create", async move {
                let _ = rx.await;
                Ok(OpOutcome::Redirect("/volumes/0123abcd".into()))
            })
            .unwrap()
            .id;
        // Still running when the wait is over: pending, after the wait.
        let at = Instant::now();
        let pending = queue.poll_wait(&id, Duration::from_millis(100)).await;
        assert_eq!(pending.status(), StatusCode::OK);
        assert_eq!(pending.headers()["X-Pending"], "true");
        assert!(at.elapsed() >= Duration::from_millis(100));
        // Ends while the poll waits: the poll answers the end at once.
        let end = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            tx.send(()).unwrap();
        });
        let at = Instant::now();
        let done = queue.poll_wait(&id, Duration::from_secs(30)).await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        assert!(at.elapsed() < Duration::from_secs(10));
        end.await.unwrap();
        // Finished and polled: gone, at once.
        let at = Instant::now();
        let gone = queue.poll_wait(&id, Duration::from_secs(30)).await;
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
        assert!(at.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_running_operation_is_never_expired() {
        let retention = Retention {
            max_age: Duration::from_millis(1),
            max_results: 1,
        };
        let queue = Queue::with_retention(100, retention);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let running = queue
            .start("volume create", async move {
                let _ = rx.await;
                Ok(OpOutcome::Redirect("/volumes/0123abcd".into()))
            })
            .unwrap()
            .id;
        // Other operations finish and expire around it.
        for _ in 0..3 {
            let _ = queue.start("volume delete", async { Ok(OpOutcome::Done) });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(queue.poll(&running).status(), StatusCode::OK);
        assert!(queue.unpolled() <= 1);
        tx.send(()).unwrap();
        assert!(queue.drain(Duration::from_secs(10)).await);
        assert_eq!(queue.poll(&running).status(), StatusCode::SEE_OTHER);
    }
}
