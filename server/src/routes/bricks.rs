//! `POST /bricks/to-evict/{id}` (`heketi/heketi:apps/glusterfs/app_bricks.go`).
//!
//! Brick eviction (replacing a brick by a new one on another device, with a heal
//! check) is not provided by the engine: the route validates like Heketi, answers
//! `404` for unknown bricks and then `500 Failed to set up brick eviction: …`.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use brickyard::api::BrickEvictOptions;

use super::HexId;
use crate::body::JsonOrDefault;
use crate::error::AppError;
use crate::queue::Accepted;
use crate::state::AppState;

/// The brick routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/bricks/to-evict/{id}", post(evict))
}

async fn evict(
    State(state): State<AppState>,
    HexId(id): HexId,
    JsonOrDefault(opts): JsonOrDefault<BrickEvictOptions>,
) -> Result<Accepted, AppError> {
    if !matches!(opts.healcheck.as_str(), "" | "enable" | "disable") {
        return Err(AppError::validation([(
            "healcheck",
            format!("{} is not valid heal info check", opts.healcheck),
        )]));
    }
    if !state.engine.state().bricks.contains_key(&id) {
        return Err(AppError::not_found(brickyard::error::ID_NOT_FOUND));
    }
    Err(AppError::internal(
        "Failed to set up brick eviction: brick eviction (moving a brick to another device) is not supported by this version of Brickyard",
    ))
}
