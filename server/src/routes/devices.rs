//! `/devices` (`heketi/heketi:apps/glusterfs/app_device.go`): add, delete, state and
//! resync run through the queue (all end in `204`); info and tags are synchronous.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use brickyard::api::{DeviceAddRequest, DeviceDeleteOptions, DeviceInfoResponse, Tags};

use super::requests::{StateBody, TagsBody};
use super::{HexId, op};
use crate::body::{Json, JsonBody, JsonOrDefault};
use crate::error::AppError;
use crate::queue::{Accepted, OpOutcome};
use crate::state::AppState;

/// The device routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/devices", post(add))
        .route("/devices/{id}", get(info).delete(delete))
        .route("/devices/{id}/state", post(set_state))
        .route("/devices/{id}/resync", get(resync))
        .route("/devices/{id}/tags", post(set_tags))
}

/// `POST /devices` → `202` → `204` (the new id is not returned, as in Heketi).
/// Synchronous: `422`, `400`, `404 Node id does not exist`, `409` same name on the node.
async fn add(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<DeviceAddRequest>,
) -> Result<Accepted, AppError> {
    let label = format!("device add {} on node {}", req.name, req.node);
    op::start_after_checks(
        &state,
        &label,
        || state.engine.begin_device_add(req),
        |_| OpOutcome::Done,
    )
}

/// `GET /devices/{id}` → the device with its bricks.
async fn info(
    State(state): State<AppState>,
    HexId(id): HexId,
) -> Result<Json<DeviceInfoResponse>, AppError> {
    Ok(Json::ok(state.engine.device_info(&id)?))
}

/// `DELETE /devices/{id}` with an optional `{"forceforget":B}` → `202` → `204`;
/// `404`, `400` unless failed, `409` while it holds bricks.
async fn delete(
    State(state): State<AppState>,
    HexId(id): HexId,
    JsonOrDefault(opts): JsonOrDefault<DeviceDeleteOptions>,
) -> Result<Accepted, AppError> {
    op::start_after_checks(
        &state,
        &format!("device delete {id}"),
        || state.engine.begin_device_delete(&id, opts.forceforget),
        |_| OpOutcome::Done,
    )
}

/// `POST /devices/{id}/state` → `202` → `204` (transition errors at the queue).
async fn set_state(
    State(state): State<AppState>,
    HexId(id): HexId,
    JsonBody(body): JsonBody<StateBody>,
) -> Result<Accepted, AppError> {
    body.validate()?;
    op::start_after_checks(
        &state,
        &body.label("device", &id),
        || {
            state.engine.begin_device_state_with(
                &id,
                &body.state,
                brickyard::engine::HealCheck::parse(&body.healcheck)?,
            )
        },
        |_| OpOutcome::Done,
    )
}

/// `GET /devices/{id}/resync` (a GET, yet asynchronous) → `202` → `204`.
async fn resync(State(state): State<AppState>, HexId(id): HexId) -> Result<Accepted, AppError> {
    op::start_after_checks(
        &state,
        &format!("device resync {id}"),
        || state.engine.begin_device_resync(&id),
        |_| OpOutcome::Done,
    )
}

/// `POST /devices/{id}/tags` → `200` with the device's resulting tag map.
async fn set_tags(
    State(state): State<AppState>,
    HexId(id): HexId,
    JsonBody(body): JsonBody<TagsBody>,
) -> Result<Json<Tags>, AppError> {
    let req = body.into_request()?;
    Ok(Json::ok(state.engine.set_device_tags(&id, &req)?))
}
