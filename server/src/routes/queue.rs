//! `GET /queue/{id}`: the status of an asynchronous operation.

use axum::extract::State;
use axum::response::Response;

use super::id::HexId;
use crate::queue::{POLL_WAIT, Queue};

/// `200` + `X-Pending: true` / `303` / `204` / `500` once / `404 Id not found`; a
/// running operation is waited for up to [`POLL_WAIT`] first.
pub async fn queue_status(State(queue): State<Queue>, HexId(id): HexId) -> Response {
    queue.poll_wait(&id, POLL_WAIT).await
}
