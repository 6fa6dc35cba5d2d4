//! `GET /queue/{id}`: the status of an asynchronous operation.

use axum::extract::State;
use axum::response::Response;

use super::id::HexId;
use crate::queue::Queue;

/// `200` + `X-Pending: true` / `303` / `204` / `500` once / `404 Id not found`.
pub async fn queue_status(State(queue): State<Queue>, HexId(id): HexId) -> Response {
    queue.poll(&id)
}
