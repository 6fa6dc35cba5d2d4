//! Cleaning pending operations from the server: on request (`POST
//! /operations/pending/cleanup`) and by the background cleaner (Heketi's
//! `start_time_background_cleaner` / `refresh_time_background_cleaner`).
//!
//! `Engine::cleanup_pending`'s future is not `Send` (it holds the engine's state
//! lock in a scope that also awaits), so it cannot be spawned on the runtime's
//! worker threads directly; [`cleanup`] runs it on a blocking thread with
//! `Handle::block_on`, which keeps callers `Send`.

use std::future::Future;
use std::time::Duration;

use brickyard::Engine;
use brickyard::engine::{CleanupOutcome, CleanupReport};
use tokio::sync::watch;

/// Runs a future that is not `Send` to completion on a blocking thread of the
/// current runtime; the returned future is `Send`.
pub async fn run_on_blocking_thread<F, T>(make: impl FnOnce() -> F + Send + 'static) -> Option<T>
where
    F: Future<Output = T>,
    T: Send + 'static,
{
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(make()))
        .await
        .ok()
}

/// Cleans the given pending operations (all when `None`) that are not running.
pub async fn cleanup(engine: Engine, ids: Option<Vec<String>>) -> brickyard::Result<CleanupReport> {
    run_on_blocking_thread(move || async move { engine.cleanup_pending(ids).await })
        .await
        .unwrap_or_else(|| {
            Err(brickyard::Error::conflict(
                "the cleanup of pending operations was aborted",
            ))
        })
}

/// Logs what a cleanup run did, one line per operation.
pub fn log_report(what: &str, report: &CleanupReport) {
    for op in &report.operations {
        match &op.outcome {
            CleanupOutcome::RolledBack => {
                tracing::info!(operation = %op.id, kind = %op.type_name, "{what}: rolled back");
            }
            CleanupOutcome::RolledForward => {
                tracing::info!(operation = %op.id, kind = %op.type_name, "{what}: rolled forward");
            }
            CleanupOutcome::Failed(reason) => {
                tracing::warn!(operation = %op.id, kind = %op.type_name, %reason, "{what}: could not be cleaned, kept as failed");
            }
        }
    }
}

/// When the background cleaner runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CleanerSchedule {
    /// Delay before the first run.
    pub start: Duration,
    /// Delay between runs.
    pub every: Duration,
}

/// Runs the background cleaner until `stop` turns true: after `start`, then every
/// `every`, cleans the stale and failed operations that are not running.
pub async fn background_cleaner(
    engine: Engine,
    schedule: CleanerSchedule,
    mut stop: watch::Receiver<bool>,
) {
    let mut delay = schedule.start;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let pending = engine.operations_info();
        if pending.stale + pending.failed > 0 {
            match cleanup(engine.clone(), None).await {
                Ok(report) => log_report("background cleaner", &report),
                Err(e) => tracing::warn!(error = %e, "background cleaner failed"),
            }
        }
        delay = schedule.every;
    }
}
