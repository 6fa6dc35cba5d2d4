//! `/operations` (`heketi/heketi:apps/glusterfs/app_operations.go`): counts and
//! details of the pending operations recorded in the store, and their cleanup.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use brickyard::api::{
    OperationsInfo, PendingOperationDetails, PendingOperationListResponse,
    PendingOperationsCleanRequest,
};
use brickyard::engine::{CleanupOutcome, CleanupReport};

use super::{HexId, is_hex};
use crate::body::{Json, JsonBody};
use crate::cleaner;
use crate::error::{AppError, validation_message};
use crate::queue::{Accepted, OpOutcome};
use crate::state::AppState;

/// At most this many ids per cleanup request (Heketi's limit).
pub const MAX_CLEANUP_IDS: usize = 32;

/// The operation routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/operations", get(info))
        .route("/operations/pending", get(pending))
        .route("/operations/pending/cleanup", post(cleanup))
        .route("/operations/pending/{id}", get(pending_one))
}

/// `GET /operations` → `{"total","in_flight","stale","failed","new"}`; `in_flight`
/// counts the operations the queue is running.
async fn info(State(state): State<AppState>) -> Json<OperationsInfo> {
    let mut info = state.engine.operations_info();
    info.in_flight = u64::try_from(state.queue.in_flight()).unwrap_or(u64::MAX);
    Json::ok(info)
}

/// `GET /operations/pending` → `{"pendingoperations":[…]}`.
async fn pending(State(state): State<AppState>) -> Json<PendingOperationListResponse> {
    Json::ok(state.engine.pending_operations())
}

/// `GET /operations/pending/{id}` → the operation and its changes; `404 Id not
/// found: <id>`.
async fn pending_one(
    State(state): State<AppState>,
    HexId(id): HexId,
) -> Result<Json<PendingOperationDetails>, AppError> {
    Ok(Json::ok(state.engine.pending_operation(&id)?))
}

/// ozzo's `PendingOperationsCleanRequest.Validate()`.
fn validate(req: &PendingOperationsCleanRequest) -> Result<(), AppError> {
    if req.operations.len() > MAX_CLEANUP_IDS {
        return Err(AppError::validation([(
            "operations",
            format!("the length must be no more than {MAX_CLEANUP_IDS}"),
        )]));
    }
    let bad: Vec<(String, String)> = req
        .operations
        .iter()
        .enumerate()
        .filter(|(_, id)| !(id.len() == 32 && is_hex(id)))
        .map(|(i, id)| (i.to_string(), format!("{id} is not a valid UUID")))
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation([(
            "operations".to_string(),
            format!("({})", validation_message(bad)),
        )]))
    }
}

/// What a cleanup run reports at the queue: `204`, or `500` naming the
/// operations that could not be cleaned (they stay `failed` for a later run).
fn cleanup_outcome(report: CleanupReport) -> brickyard::Result<OpOutcome> {
    let failed: Vec<String> = report
        .operations
        .iter()
        .filter_map(|op| match &op.outcome {
            CleanupOutcome::Failed(reason) => {
                Some(format!("{} ({}): {reason}", op.id, op.type_name))
            }
            CleanupOutcome::RolledBack | CleanupOutcome::RolledForward => None,
        })
        .collect();
    if failed.is_empty() {
        Ok(OpOutcome::Done)
    } else {
        Err(brickyard::Error::conflict(format!(
            "Unable to clean up pending operations: {}",
            failed.join("; ")
        )))
    }
}

/// `POST /operations/pending/cleanup` `{"operations":[ids]}` (empty = all) → `202`
/// → `204`. Unknown ids are `404` at once.
async fn cleanup(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<PendingOperationsCleanRequest>,
) -> Result<Accepted, AppError> {
    validate(&req)?;
    for id in &req.operations {
        state.engine.pending_operation(id)?;
    }
    let ids = (!req.operations.is_empty()).then_some(req.operations);
    let engine = state.engine.clone();
    let slot = state.queue.reserve()?;
    Ok(slot.start("pending operations cleanup", async move {
        cleanup_outcome(cleaner::cleanup(engine, ids).await?)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleanup_ids_are_validated() {
        let req = |ids: &[&str]| PendingOperationsCleanRequest {
            operations: ids.iter().map(|s| s.to_string()).collect(),
        };
        assert!(validate(&req(&["0123456789abcdef0123456789abcdef"])).is_ok());
        let err = validate(&req(&["0123456789abcdef0123456789abcdef", "xyz"])).err();
        assert_eq!(
            err.map(|e| e.message).as_deref(),
            Some("validation failed: operations: (1: xyz is not a valid UUID.).")
        );
        let many: Vec<String> = (0..33).map(|i| format!("{i:032x}")).collect();
        let err = validate(&PendingOperationsCleanRequest { operations: many }).err();
        assert_eq!(
            err.map(|e| e.message).as_deref(),
            Some("validation failed: operations: the length must be no more than 32.")
        );
    }
}
