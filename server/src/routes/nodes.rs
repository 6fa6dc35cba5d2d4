//! `/nodes` (`heketi/heketi:apps/glusterfs/app_node.go`): add, delete and state
//! changes run through the queue; info and tags are synchronous.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use brickyard::api::{NodeAddRequest, NodeInfoResponse, Tags};

use super::requests::{StateBody, TagsBody};
use super::{HexId, op};
use crate::body::{Json, JsonBody, RawJson};
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

/// `POST /nodes` → `202`; the queue ends in `303 /nodes/{id}`. Synchronous, in
/// Heketi v10's order: `422`, `400` validation (which runs before Heketi's older
/// checks `Manage hostname missing`, `Zone cannot be zero…`, `Hostname cannot be an
/// empty string` and catches everything they would), `404 Cluster id does not
/// exist`, `409` hostname in use.
async fn add(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<NodeAddRequest>,
) -> Result<Accepted, AppError> {
    brickyard::Engine::validate_node_add(&req)?;
    let label = format!(
        "node add {}",
        req.hostnames.manage.first().map_or("", String::as_str)
    );
    let engine = state.engine.clone();
    op::start_after_checks(
        &state,
        &label,
        || engine.begin_node_add(req),
        |node: NodeInfoResponse| OpOutcome::Redirect(format!("/nodes/{}", node.info.id)),
    )
}

/// `GET /nodes/{id}` → the node with its devices and bricks.
async fn info(State(state): State<AppState>, HexId(id): HexId) -> Result<RawJson, AppError> {
    // Written from the records without building the answer first (`engine::read_json`).
    Ok(RawJson(state.engine.node_info_json(&id)?))
}

/// `DELETE /nodes/{id}` → `202` → `204`; `404`, `409` while it has devices.
async fn delete(State(state): State<AppState>, HexId(id): HexId) -> Result<Accepted, AppError> {
    op::start_after_checks(
        &state,
        &format!("node delete {id}"),
        || state.engine.begin_node_delete(&id),
        |_| OpOutcome::Done,
    )
}

/// `POST /nodes/{id}/state` → `202` → `204` (transition errors at the queue as `500`).
async fn set_state(
    State(state): State<AppState>,
    HexId(id): HexId,
    JsonBody(body): JsonBody<StateBody>,
) -> Result<Accepted, AppError> {
    body.validate()?;
    op::start_after_checks(
        &state,
        &body.label("node", &id),
        || {
            state.engine.begin_node_state_with(
                &id,
                &body.state,
                brickyard::engine::HealCheck::parse(&body.healcheck)?,
            )
        },
        |_| OpOutcome::Done,
    )
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
