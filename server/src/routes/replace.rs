//! Brickyard extras: replacing a device or a node in one request
//! (`Engine::begin_device_replace`, `Engine::begin_node_replace`).
//!
//! - `POST /devices/{id}/replace` `{"name":"/dev/sdc","healcheck":""}`: the new device is
//!   added on the same node, every brick moves (to it first), the old device is set
//!   offline, removed and deleted → `202` → `303 /devices/{new id}`.
//! - `POST /nodes/{id}/replace`
//!   `{"hostnames":{"manage":[…],"storage":[…]},"devices":["/dev/sdb"],"healcheck":""}`:
//!   the new node joins with the old one's cluster, zone and tags, its devices are
//!   added, every brick moves (to it first), the old node is retired → `303 /nodes/{new id}`.
//!
//! Sending the same request again resumes an interrupted replacement. Validation errors
//! are `400`, unknown ids `404`; what fails later is `500` at the queue.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use brickyard::api::{DeviceInfoResponse, HostAddresses, NodeInfoResponse, null_as_default};
use brickyard::engine::{HealCheck, NodeReplaceRequest};
use serde::Deserialize;

use super::{HexId, op};
use crate::body::JsonBody;
use crate::error::AppError;
use crate::queue::{Accepted, OpOutcome};
use crate::state::AppState;

/// The replacement routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/devices/{id}/replace", post(replace_device))
        .route("/nodes/{id}/replace", post(replace_node))
}

/// Body of `POST /devices/{id}/replace`.
#[derive(Debug, Default, Deserialize)]
pub struct DeviceReplaceBody {
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub healcheck: String,
}

/// Body of `POST /nodes/{id}/replace`.
#[derive(Debug, Default, Deserialize)]
pub struct NodeReplaceBody {
    #[serde(default)]
    pub hostnames: HostAddresses,
    #[serde(default, deserialize_with = "null_as_default")]
    pub devices: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub healcheck: String,
}

fn healcheck(value: &str) -> Result<HealCheck, AppError> {
    HealCheck::parse(value).map_err(|_| {
        AppError::validation([("healcheck", format!("{value} is not valid heal info check"))])
    })
}

async fn replace_device(
    State(state): State<AppState>,
    HexId(id): HexId,
    JsonBody(body): JsonBody<DeviceReplaceBody>,
) -> Result<Accepted, AppError> {
    let heal = healcheck(&body.healcheck)?;
    let engine = state.engine.clone();
    op::start(
        &state,
        &format!("device replace {id}"),
        || Ok(engine.begin_device_replace(&id, &body.name, heal)?),
        |d: DeviceInfoResponse| OpOutcome::Redirect(format!("/devices/{}", d.info.id)),
    )
}

async fn replace_node(
    State(state): State<AppState>,
    HexId(id): HexId,
    JsonBody(body): JsonBody<NodeReplaceBody>,
) -> Result<Accepted, AppError> {
    let heal = healcheck(&body.healcheck)?;
    let engine = state.engine.clone();
    let req = NodeReplaceRequest {
        hostnames: body.hostnames,
        devices: body.devices,
    };
    op::start(
        &state,
        &format!("node replace {id}"),
        || Ok(engine.begin_node_replace(&id, req, heal)?),
        |n: NodeInfoResponse| OpOutcome::Redirect(format!("/nodes/{}", n.info.id)),
    )
}
