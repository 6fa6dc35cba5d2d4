//! `/nodes` (`heketi/heketi:apps/glusterfs/app_node.go`): add, delete and state
//! changes run through the queue; info and tags are synchronous.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use brickyard::api::{NodeAddRequest, NodeInfoResponse, Tags};

use super::requests::{StateBody, TagsBody};
use super::{HexId, op};
use crate::body::{Json, JsonBody};
use crate::error::AppError;
use crate::queue::{Accepted, OpOutcome};
use crate::state::AppState;

/// The node routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/nodes", post(add))
        .route("/nodes/{id}", get(info).delete(delete))
        .route("/nodes/{id}/state", post(set_state))
        .route("/nodes/{id}/tags", post(set_tags))
}

/// Heketi's own checks before validation (`Manage hostname missing`, …).
fn precheck(req: &NodeAddRequest) -> Result<(), AppError> {
    if req.hostnames.manage.is_empty() {
        return Err(AppError::bad_request("Manage hostname missing"));
    }
    if req.hostnames.storage.is_empty() {
        return Err(AppError::bad_request("Storage hostname missing"));
    }
    if req.zone == 0 {
        return Err(AppError::bad_request(
            "Zone cannot be zero or value is missing",
        ));
    }
    let hosts = req.hostnames.manage.iter().chain(&req.hostnames.storage);
    if hosts.into_iter().any(String::is_empty) {
        return Err(AppError::bad_request("Hostname cannot be an empty string"));
    }
    Ok(())
}

/// `POST /nodes` → `202`; the queue ends in `303 /nodes/{id}`. Synchronous: `422`,
/// `400` validation, `404 Cluster id does not exist`, `409` hostname in use.
async fn add(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<NodeAddRequest>,
) -> Result<Accepted, AppError> {
    precheck(&req)?;
    let label = format!(
        "node add {}",
        req.hostnames.manage.first().map_or("", String::as_str)
    );
    let engine = state.engine.clone();
    op::start(
        &state,
        &label,
        || Ok(engine.begin_node_add(req)?),
        |node: NodeInfoResponse| OpOutcome::Redirect(format!("/nodes/{}", node.info.id)),
    )
}

/// `GET /nodes/{id}` → the node with its devices and bricks.
async fn info(
    State(state): State<AppState>,
    HexId(id): HexId,
) -> Result<Json<NodeInfoResponse>, AppError> {
    Ok(Json::ok(state.engine.node_info(&id)?))
}

/// `DELETE /nodes/{id}` → `202` → `204`; `404`, `409` while it has devices.
async fn delete(State(state): State<AppState>, HexId(id): HexId) -> Result<Accepted, AppError> {
    op::start_done(&state, &format!("node delete {id}"), || {
        state.engine.begin_node_delete(&id)
    })
}

/// `POST /nodes/{id}/state` → `202` → `204` (transition errors at the queue as `500`).
async fn set_state(
    State(state): State<AppState>,
    HexId(id): HexId,
    JsonBody(body): JsonBody<StateBody>,
) -> Result<Accepted, AppError> {
    body.validate()?;
    op::start_done(&state, &body.label("node", &id), || {
        state.engine.begin_node_state_with(
            &id,
            &body.state,
            brickyard::engine::HealCheck::parse(&body.healcheck)?,
        )
    })
}

/// `POST /nodes/{id}/tags` → `200` with the node's resulting tag map.
async fn set_tags(
    State(state): State<AppState>,
    HexId(id): HexId,
    JsonBody(body): JsonBody<TagsBody>,
) -> Result<Json<Tags>, AppError> {
    let req = body.into_request()?;
    Ok(Json::ok(state.engine.set_node_tags(&id, &req)?))
}
