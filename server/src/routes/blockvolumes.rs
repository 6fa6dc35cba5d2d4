//! `/blockvolumes` (`heketi/heketi:apps/glusterfs/app_block_volume.go`).
//!
//! The engine does not create, expand or delete block volumes (gluster-block is not
//! driven by this version). Listing and info show the block volumes a Heketi
//! database import brought along; the changing routes validate like Heketi and
//! then answer `500` with Heketi's prefix and a text naming what is missing.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use brickyard::api::{
    BlockVolumeCreateRequest, BlockVolumeExpandRequest, BlockVolumeInfo, BlockVolumeListResponse,
};

use super::HexId;
use crate::body::{Json, JsonBody};
use crate::error::AppError;
use crate::queue::Accepted;
use crate::state::AppState;

/// What this version lacks, appended to Heketi's prefixes.
pub const UNSUPPORTED: &str =
    "block volumes (gluster-block) are not supported by this version of Brickyard";

/// The block volume routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/blockvolumes", post(create).get(list))
        .route("/blockvolumes/{id}", get(info).delete(delete))
        .route("/blockvolumes/{id}/expand", post(expand))
}

fn is_block_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `POST /blockvolumes`: `422`, `400` validation, then `500 Failed to allocate new
/// block volume: …`.
async fn create(
    State(_state): State<AppState>,
    JsonBody(req): JsonBody<BlockVolumeCreateRequest>,
) -> Result<Accepted, AppError> {
    let mut errors = Vec::new();
    if req.size == 0 {
        errors.push(("size", "cannot be blank"));
    } else if req.size < 1 {
        errors.push(("size", "must be no less than 1"));
    }
    if !req.name.is_empty() && !is_block_name(&req.name) {
        errors.push(("name", "must be in a valid format"));
    }
    if req.hacount < 0 {
        errors.push(("hacount", "must be no less than 1"));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    Err(AppError::internal(format!(
        "Failed to allocate new block volume: {UNSUPPORTED}"
    )))
}

/// `GET /blockvolumes` → the ids of the recorded (non-pending) block volumes.
async fn list(State(state): State<AppState>) -> Json<BlockVolumeListResponse> {
    let st = state.engine.state();
    Json::ok(BlockVolumeListResponse {
        blockvolumes: st
            .blockvolumes
            .iter()
            .filter(|(_, b)| !b.pending.is_pending())
            .map(|(id, _)| id.clone())
            .collect(),
    })
}

/// `GET /blockvolumes/{id}` → the recorded block volume; `404 Id not found`.
async fn info(
    State(state): State<AppState>,
    HexId(id): HexId,
) -> Result<Json<BlockVolumeInfo>, AppError> {
    let st = state.engine.state();
    match st.blockvolumes.get(&id) {
        Some(b) if !b.pending.is_pending() => {
            let mut info = b.info.clone();
            if info.usablesize == 0 {
                info.usablesize = info.request.size;
            }
            Ok(Json::ok(info))
        }
        _ => Err(AppError::not_found(brickyard::error::ID_NOT_FOUND)),
    }
}

fn require(state: &AppState, id: &str) -> Result<(), AppError> {
    if state.engine.state().blockvolumes.contains_key(id) {
        Ok(())
    } else {
        Err(AppError::not_found(brickyard::error::ID_NOT_FOUND))
    }
}

/// `DELETE /blockvolumes/{id}`: `404`, then `500 Failed to set up block volume
/// delete: …`.
async fn delete(State(state): State<AppState>, HexId(id): HexId) -> Result<Accepted, AppError> {
    require(&state, &id)?;
    Err(AppError::internal(format!(
        "Failed to set up block volume delete: {UNSUPPORTED}"
    )))
}

/// `POST /blockvolumes/{id}/expand` `{"new_size":N}`: `422`, `400`, `404`, then `500
/// Failed to allocate block volume expansion: …`.
async fn expand(
    State(state): State<AppState>,
    HexId(id): HexId,
    JsonBody(req): JsonBody<BlockVolumeExpandRequest>,
) -> Result<Accepted, AppError> {
    if req.new_size == 0 {
        return Err(AppError::validation([("new_size", "cannot be blank")]));
    }
    if req.new_size < 0 {
        return Err(AppError::validation([(
            "new_size",
            "must be no less than 1",
        )]));
    }
    require(&state, &id)?;
    Err(AppError::internal(format!(
        "Failed to allocate block volume expansion: {UNSUPPORTED}"
    )))
}
