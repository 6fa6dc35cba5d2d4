//! `/clusters` (`heketi/heketi:apps/glusterfs/app_cluster.go`): all synchronous.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use brickyard::api::{ClusterFlags, ClusterInfoResponse, ClusterListResponse};

use super::HexId;
use crate::body::{Json, JsonBody, RawJson};
use crate::error::AppError;
use crate::state::AppState;

/// The cluster routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/clusters", post(create).get(list))
        .route("/clusters/{id}", get(info).delete(delete))
        .route("/clusters/{id}/flags", post(set_flags))
}

/// `POST /clusters` `{"block":B,"file":B}` → `201` with the new cluster.
async fn create(
    State(state): State<AppState>,
    JsonBody(flags): JsonBody<ClusterFlags>,
) -> Result<Json<ClusterInfoResponse>, AppError> {
    let info = state.engine.create_cluster(flags)?;
    tracing::info!(cluster = %info.id, "cluster created");
    Ok(Json::with_status(StatusCode::CREATED, info))
}

/// `GET /clusters` → `{"clusters":[ids]}`.
async fn list(State(state): State<AppState>) -> Json<ClusterListResponse> {
    Json::ok(state.engine.cluster_list())
}

/// `GET /clusters/{id}` → the cluster, or `404 Id not found`.
async fn info(State(state): State<AppState>, HexId(id): HexId) -> Result<RawJson, AppError> {
    // Every volume id of the cluster, written in one pass (`engine::read_json`).
    Ok(RawJson(state.engine.cluster_info_json(&id)?))
}

/// `DELETE /clusters/{id}` → `200` with an empty body; `404`; `409` when not empty.
async fn delete(State(state): State<AppState>, HexId(id): HexId) -> Result<StatusCode, AppError> {
    state.engine.delete_cluster(&id)?;
    tracing::info!(cluster = %id, "cluster deleted");
    Ok(StatusCode::OK)
}

/// `POST /clusters/{id}/flags` → `200`, JSON content type, empty body.
async fn set_flags(
    State(state): State<AppState>,
    HexId(id): HexId,
    JsonBody(flags): JsonBody<ClusterFlags>,
) -> Result<Response, AppError> {
    state.engine.set_cluster_flags(&id, flags)?;
    let mut response = StatusCode::OK.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    Ok(response)
}
