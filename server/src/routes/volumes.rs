//! `/volumes` (`heketi/heketi:apps/glusterfs/app_volume.go`) plus Brickyard's dry
//! run `POST /volumes/plan`.
//!
//! Create, expand, clone and delete reserve a queue slot (`429`) before the engine's
//! Build step, but answer Heketi's synchronous checks (validation, unknown ids, the
//! delete `409`s) first even when the queue is full; Build failures other than
//! validation and unknown ids are `500` with Heketi's prefixes. Block-hosting
//! restrictions are answered with a clear `500` since the engine does not provide them.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use brickyard::ErrorKind;
use brickyard::api::{
    VolumeBlockRestrictionRequest, VolumeCloneRequest, VolumeCreateRequest, VolumeExpandRequest,
    VolumeInfoResponse,
};
use brickyard::engine::VolumePlan;

use super::{HexId, op};
use crate::body::{Json, JsonBody, RawJson};
use crate::error::AppError;
use crate::queue::{Accepted, OpOutcome};
use crate::state::AppState;

/// Heketi's prefix for create Build failures.
pub const CREATE_FAILED: &str = "Failed to allocate new volume";
/// Heketi's prefix for delete Build failures.
pub const DELETE_FAILED: &str = "Failed to set up volume delete";
/// Heketi's prefix for expand Build failures.
pub const EXPAND_FAILED: &str = "Failed to allocate volume expansion";
/// Heketi's prefix for clone Build failures (followed by the source's id).
pub const CLONE_FAILED: &str = "Failed clone volume";

/// The volume routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/volumes", post(create).get(list))
        .route("/volumes/plan", post(plan))
        .route("/volumes/{id}", get(info).delete(delete))
        .route("/volumes/{id}/expand", post(expand))
        .route("/volumes/{id}/clone", post(clone))
        .route("/volumes/{id}/block-restriction", post(block_restriction))
}

fn create_failure(err: brickyard::Error) -> AppError {
    op::build_failure(
        CREATE_FAILED,
        err,
        &[ErrorKind::InvalidInput, ErrorKind::NotFound],
    )
}

/// `POST /volumes` → `202`; the queue ends in `303 /volumes/{id}`.
async fn create(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<VolumeCreateRequest>,
) -> Result<Accepted, AppError> {
    let label = if req.name.is_empty() {
        format!("volume create {} GiB", req.size)
    } else {
        format!("volume create {}", req.name)
    };
    let engine = state.engine.clone();
    let check = || match state.engine.plan_volume(&req) {
        // Heketi's handler checks (validation, clusters, sizes) come before its throttle.
        Err(e) if matches!(e.kind(), ErrorKind::InvalidInput | ErrorKind::NotFound) => {
            Err(create_failure(e))
        }
        _ => Ok(()),
    };
    op::start_checked(
        &state,
        &label,
        check,
        || {
            engine
                .begin_volume_create(req.clone())
                .map_err(create_failure)
        },
        |vol: VolumeInfoResponse| OpOutcome::Redirect(format!("/volumes/{}", vol.info.id)),
    )
}

/// `POST /volumes/plan` (Brickyard): where a create of this request would put its
/// bricks, without changing anything. Errors as for a create, synchronously.
async fn plan(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<VolumeCreateRequest>,
) -> Result<Json<VolumePlan>, AppError> {
    state
        .engine
        .plan_volume(&req)
        .map(Json::ok)
        .map_err(create_failure)
}

/// `GET /volumes` → `{"volumes":[ids]}` (pending volumes excluded).
async fn list(State(state): State<AppState>) -> RawJson {
    // Every volume id, written in one pass (`engine::read_json`).
    RawJson(state.engine.volume_list_json())
}

/// `GET /volumes/{id}` → the volume; `404 Id not found` also while it is pending.
async fn info(
    State(state): State<AppState>,
    HexId(id): HexId,
) -> Result<Json<VolumeInfoResponse>, AppError> {
    Ok(Json::ok(state.engine.volume_info(&id)?))
}

/// `DELETE /volumes/{id}` → `202` → `204`. `404`; `409` for the Heketi database
/// volume and block-hosting volumes with block volumes; `500 Failed to set up volume
/// delete: …` otherwise (e.g. a pending volume).
async fn delete(State(state): State<AppState>, HexId(id): HexId) -> Result<Accepted, AppError> {
    let check = || {
        state
            .engine
            .check_volume_delete(&id)
            .map_err(AppError::from)
    };
    let build = || {
        state.engine.begin_volume_delete(&id).map_err(|err| {
            let busy =
                err.kind() == ErrorKind::Conflict && err.to_string() == brickyard::error::CONFLICT;
            if busy {
                op::build_failure(DELETE_FAILED, err, &[])
            } else {
                op::build_failure(
                    DELETE_FAILED,
                    err,
                    &[ErrorKind::NotFound, ErrorKind::Conflict],
                )
            }
        })
    };
    op::start_checked(&state, &format!("volume delete {id}"), check, build, |()| {
        OpOutcome::Done
    })
}

/// `POST /volumes/{id}/expand` `{"expand_size":N}` → `202` → `303 /volumes/{id}`.
async fn expand(
    State(state): State<AppState>,
    HexId(id): HexId,
    JsonBody(req): JsonBody<VolumeExpandRequest>,
) -> Result<Accepted, AppError> {
    if req.expand_size == 0 {
        return Err(AppError::validation([("expand_size", "cannot be blank")]));
    }
    if req.expand_size < 0 {
        return Err(AppError::validation([(
            "expand_size",
            "must be no less than 1",
        )]));
    }
    let engine = state.engine.clone();
    op::start_checked(
        &state,
        &format!("volume expand {id} by {} GiB", req.expand_size),
        || {
            state
                .engine
                .volume_info(&id)
                .map(drop)
                .map_err(AppError::from)
        },
        || {
            engine
                .begin_volume_expand(&id, req.expand_size)
                .map_err(|err| {
                    op::build_failure(
                        EXPAND_FAILED,
                        err,
                        &[ErrorKind::InvalidInput, ErrorKind::NotFound],
                    )
                })
        },
        |vol: VolumeInfoResponse| OpOutcome::Redirect(format!("/volumes/{}", vol.info.id)),
    )
}

/// `POST /volumes/{id}/clone` `{"name"?}` → `202` → `303 /volumes/{cloneid}`.
/// `422`/`400` for the body, `404` for an unknown (or pending) volume; other Build
/// failures (a block-hosting volume: `Cloning of block hosting volumes is not
/// supported`) are `500 Failed clone volume <id>: …`.
async fn clone(
    State(state): State<AppState>,
    HexId(id): HexId,
    JsonBody(req): JsonBody<VolumeCloneRequest>,
) -> Result<Accepted, AppError> {
    let engine = state.engine.clone();
    let label = if req.name.is_empty() {
        format!("volume clone {id}")
    } else {
        format!("volume clone {id} as {}", req.name)
    };
    op::start(
        &state,
        &label,
        || {
            engine.begin_volume_clone(&id, &req.name).map_err(|err| {
                op::build_failure(
                    &format!("{CLONE_FAILED} {id}"),
                    err,
                    &[ErrorKind::InvalidInput, ErrorKind::NotFound],
                )
            })
        },
        |vol: VolumeInfoResponse| OpOutcome::Redirect(format!("/volumes/{}", vol.info.id)),
    )
}

/// `POST /volumes/{id}/block-restriction`: `422`/`400`/`404` as Heketi; every
/// volume of this version is a file volume, so the answer is Heketi's `500` for
/// a non-block-hosting volume (or a clear `500` for one created with `block:true`).
async fn block_restriction(
    State(state): State<AppState>,
    HexId(id): HexId,
    JsonBody(req): JsonBody<VolumeBlockRestrictionRequest>,
) -> Result<Accepted, AppError> {
    if !matches!(req.restriction.as_str(), "" | "locked") {
        return Err(AppError::validation([(
            "restriction",
            "must be a valid value",
        )]));
    }
    let vol = state.engine.volume_info(&id)?;
    let reason = if vol.info.request.block {
        "block hosting restrictions are not supported by this version of Brickyard"
    } else {
        "Block restrictions can only be set on block hosting volumes"
    };
    Err(AppError::internal(format!(
        "Failed to set block restriction: {reason}"
    )))
}
