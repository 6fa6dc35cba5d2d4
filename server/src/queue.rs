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

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;

use crate::error::AppError;
use crate::redirect::redirect;

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

#[derive(Debug)]
struct Inner {
    limit: usize,
    entries: Mutex<HashMap<String, Entry>>,
    in_flight: watch::Sender<usize>,
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
        let (in_flight, _) = watch::channel(0);
        Queue {
            inner: Arc::new(Inner {
                limit: max_inflight.max(1),
                entries: Mutex::new(HashMap::new()),
                in_flight,
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
        let mut entries = self.entries();
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

    /// Labels of the operations still running, by id (for diagnostics).
    pub fn pending(&self) -> Vec<(String, String)> {
        let mut list: Vec<(String, String)> = self
            .entries()
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

    fn entries(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
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
        queue.entries().insert(
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
            queue.entries().insert(task_id, Entry::Finished(result));
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
