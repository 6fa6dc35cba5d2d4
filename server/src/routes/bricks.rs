//! `POST /bricks/to-evict/{id}` (`heketi/heketi:apps/glusterfs/app_bricks.go`): the
//! brick is replaced by a new one on another device, placed by the rules that made its
//! set, after a heal check unless `{"healcheck":"disable"}` (`Engine::begin_brick_evict`).
//!
//! `400` validation, `404 Id not found`, `500 Failed to set up brick eviction: …` when
//! the Build step refuses (pending volume, distribute-only volume, no room), else
//! `202` → `204` (heal check and gluster failures at the queue).

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use brickyard::ErrorKind;
use brickyard::api::BrickEvictOptions;
use brickyard::engine::HealCheck;

use super::HexId;
use super::op;
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
    let healcheck = match opts.healcheck.as_str() {
        "" | "enable" => HealCheck::Enable,
        "disable" => HealCheck::Disable,
        other => {
            return Err(AppError::validation([(
                "healcheck",
                format!("{other} is not valid heal info check"),
            )]));
        }
    };
    op::start_done(&state, &format!("brick evict {id}"), || {
        state.engine.begin_brick_evict(&id, healcheck).map_err(|e| {
            op::build_failure("Failed to set up brick eviction", e, &[ErrorKind::NotFound])
        })
    })
}
