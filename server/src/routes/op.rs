//! Running an engine operation the way Heketi's operation handlers do: reserve a
//! place in the queue first (`429` when full), then the engine's synchronous Build
//! step (whose errors are answered at once), then the rest in the background.

use std::future::Future;

use brickyard::ErrorKind;

use crate::error::AppError;
use crate::queue::{Accepted, OpOutcome};
use crate::state::AppState;

/// Reserves a queue slot, runs `build` (the engine's `begin_*` call) and starts the
/// future it returns under `label`; `outcome` turns the result into the queue answer.
/// A failed build gives its slot back.
pub fn start<Fut, T, B, O>(
    state: &AppState,
    label: &str,
    build: B,
    outcome: O,
) -> Result<Accepted, AppError>
where
    B: FnOnce() -> Result<Fut, AppError>,
    Fut: Future<Output = brickyard::Result<T>> + Send + 'static,
    T: Send + 'static,
    O: FnOnce(T) -> OpOutcome + Send + 'static,
{
    let slot = state.queue.reserve()?;
    let operation = build()?;
    Ok(slot.start(label, async move { operation.await.map(outcome) }))
}

/// [`start`] for operations whose Build only checks, or holds nothing its future does
/// not release when dropped (node and device add, delete, state, resync): the Build
/// runs first, so its `400`/`404`/`409` come before a full queue's `429`, and when the
/// queue is full its future is dropped unstarted.
pub fn start_after_checks<Fut, T, E, B, O>(
    state: &AppState,
    label: &str,
    build: B,
    outcome: O,
) -> Result<Accepted, AppError>
where
    B: FnOnce() -> Result<Fut, E>,
    E: Into<AppError>,
    Fut: Future<Output = brickyard::Result<T>> + Send + 'static,
    T: Send + 'static,
    O: FnOnce(T) -> OpOutcome + Send + 'static,
{
    let operation = build().map_err(Into::into)?;
    let slot = state.queue.reserve()?;
    Ok(slot.start(label, async move { operation.await.map(outcome) }))
}

/// [`start`] for the operations Heketi throttles only after its synchronous checks
/// (validation, existence, conflicts): when the queue is full, `check` (those checks,
/// changing nothing) answers first, and `429` only if it passes.
pub fn start_checked<C, Fut, T, B, O>(
    state: &AppState,
    label: &str,
    check: C,
    build: B,
    outcome: O,
) -> Result<Accepted, AppError>
where
    C: FnOnce() -> Result<(), AppError>,
    B: FnOnce() -> Result<Fut, AppError>,
    Fut: Future<Output = brickyard::Result<T>> + Send + 'static,
    T: Send + 'static,
    O: FnOnce(T) -> OpOutcome + Send + 'static,
{
    let slot = match state.queue.reserve() {
        Ok(slot) => slot,
        Err(busy) => {
            check()?;
            return Err(busy);
        }
    };
    let operation = build()?;
    Ok(slot.start(label, async move { operation.await.map(outcome) }))
}

/// [`start`] for the operations whose queue answer is `204` once they are done (their
/// result is not shown).
pub fn start_done<Fut, T, E, B>(
    state: &AppState,
    label: &str,
    build: B,
) -> Result<Accepted, AppError>
where
    B: FnOnce() -> Result<Fut, E>,
    E: Into<AppError>,
    Fut: Future<Output = brickyard::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    start(
        state,
        label,
        || build().map_err(Into::into),
        |_| OpOutcome::Done,
    )
}

/// A Build failure as Heketi answers the volume operations: the kinds in
/// `passthrough` keep their own status and text (validation `400`, `404`, …),
/// anything else is `500 <prefix>: <error>`. Either way the answer carries the error's
/// kind (and a `no_space`'s reasons) in Brickyard's headers.
pub fn build_failure(prefix: &str, err: brickyard::Error, passthrough: &[ErrorKind]) -> AppError {
    if passthrough.contains(&err.kind()) {
        AppError::from(err)
    } else {
        AppError::internal(format!("{prefix}: {err}")).with_engine_detail(&err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn build_failures_keep_passthrough_kinds_and_prefix_the_rest() {
        let e = build_failure(
            "Failed to allocate new volume",
            brickyard::Error::invalid("Invalid volume size"),
            &[ErrorKind::InvalidInput],
        );
        assert_eq!(
            (e.status, e.message.as_str()),
            (StatusCode::BAD_REQUEST, "Invalid volume size")
        );
        let e = build_failure(
            "Failed to set up volume delete",
            brickyard::Error::conflict(brickyard::error::CONFLICT),
            &[ErrorKind::NotFound],
        );
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            e.message,
            "Failed to set up volume delete: The target exists, contains other items, or is in use."
        );
    }
}
