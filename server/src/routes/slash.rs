//! gorilla/mux `StrictSlash(true)`: a path with a trailing slash whose slash-less
//! form is a route answers `301` with `Location` = that form (query kept).
//!
//! Whether the slash-less path is a route is asked of the route table itself with
//! a request whose method no route handles: a known path answers `405`, an unknown
//! one reaches the fallback, which marks its answer with [`RouteMiss`]. No handler
//! runs for the probe, so routes must not be registered with `any()`.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;

use crate::error::AppError;
use crate::redirect::redirect;

/// Marks the fallback's answer: no route matched this path.
#[derive(Clone, Copy, Debug)]
pub struct RouteMiss;

/// The route table's fallback: `404 Invalid path or request`, marked [`RouteMiss`].
pub async fn fallback() -> Response {
    let mut response = AppError::invalid_path().into_response();
    response.extensions_mut().insert(RouteMiss);
    response
}

/// Middleware over the route table `table` (the same table, unlayered).
pub async fn strict_slash(table: Router, req: Request, next: Next) -> Response {
    if req.method() == Method::HEAD {
        return head(&table, req.uri().path()).await;
    }
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
        let location = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_string(),
        };
        if is_route(&table, trimmed).await {
            return redirect(StatusCode::MOVED_PERMANENTLY, &location);
        }
    }
    next.run(req).await
}

/// gorilla/mux matches methods exactly and no Heketi route takes `HEAD`: a known path
/// (with or without its trailing slash) answers `405` with an empty body, an unknown
/// one `404`. (axum would answer a `HEAD` with its `GET` route.)
async fn head(table: &Router, path: &str) -> Response {
    let trimmed = path.trim_end_matches('/');
    let known = is_route(table, path).await
        || (path.len() > 1 && trimmed.len() < path.len() && is_route(table, trimmed).await);
    if known {
        StatusCode::METHOD_NOT_ALLOWED.into_response()
    } else {
        fallback().await
    }
}

async fn is_route(table: &Router, path: &str) -> bool {
    let Ok(method) = Method::from_bytes(b"BRICKYARD-ROUTE-PROBE") else {
        return false;
    };
    let Ok(probe) = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
    else {
        return false;
    };
    match table.clone().oneshot(probe).await {
        Ok(response) => response.extensions().get::<RouteMiss>().is_none(),
        Err(never) => match never {},
    }
}
