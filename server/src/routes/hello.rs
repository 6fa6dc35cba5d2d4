//! `GET /hello`: the liveness answer, outside authentication and the admin gate.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// `200 Hello from Heketi` (no newline), `text/plain; charset=UTF-8`.
pub async fn hello() -> Response {
    let mut response = "Hello from Heketi".into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    response
}
