//! The HTTP surface: [`router`] assembles the middleware chain of Heketi's
//! `main.go` around the route table built by [`table`].
//!
//! Order for every path except `/hello` and `/metrics`: panic recovery → request
//! log → JWT check and user/admin authorization → admin-mode gate → StrictSlash
//! redirect → route table, whose fallback is `404 Invalid path or request` (so an
//! unknown path without a token is `401`). A wrong method on a known path is `405`
//! with an empty body; so is `HEAD` (gorilla/mux matches methods exactly).
//!
//! **Adding routes**: write a `routes/<resource>.rs` with a
//! `pub fn routes() -> Router<AppState>`, merge it in [`table`], take ids with
//! [`HexId`], bodies with [`crate::body::JsonBody`], answer with
//! [`crate::body::Json`] or [`crate::AppError`], and run long operations with
//! [`op::start`] (queue slot, then the engine's Build step, then the background
//! part).

mod blockvolumes;
mod bricks;
mod clusters;
mod db;
mod devices;
mod examine;
mod hello;
mod id;
pub mod metrics;
mod nodes;
pub mod op;
mod operations;
mod queue;
mod replace;
mod requests;
mod slash;
mod topology;
mod volumes;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use db::{BucketCheck, DbCheck, ReconcileBody};
pub use examine::{ClusterExamination, Examination, RecordedVolume, examine_state};
pub use hello::hello;
pub use id::{HexId, is_hex};
pub use queue::queue_status;
pub use requests::{StateBody, TagsBody};
pub use slash::RouteMiss;
pub use volumes::{CREATE_FAILED, DELETE_FAILED, EXPAND_FAILED};

use crate::error::AppError;
use crate::state::AppState;
use crate::{admin, auth, logging, redirect};

/// The route table behind authentication and the admin gate.
pub fn table(state: AppState) -> Router {
    Router::new()
        .route("/queue/{id}", get(queue_status))
        .route("/admin", get(admin::get_admin).post(admin::set_admin))
        .route(
            "/internal/logging",
            get(logging::get_logging).post(logging::set_logging),
        )
        .merge(clusters::routes())
        .merge(nodes::routes())
        .merge(devices::routes())
        .merge(volumes::routes())
        .merge(blockvolumes::routes())
        .merge(bricks::routes())
        .merge(replace::routes())
        .merge(operations::routes())
        .merge(db::routes())
        .merge(examine::routes())
        .merge(topology::routes())
        .fallback(slash::fallback)
        .with_state(state)
}

/// The whole server for `state`.
pub fn router(state: AppState) -> Router {
    router_with_table(state.clone(), table(state))
}

/// The middleware chain of [`router`] around any route table (tests and the engine
/// integration use it to add routes).
pub fn router_with_table(state: AppState, table: Router) -> Router {
    let probe = table.clone();
    let protected = table
        .layer(from_fn(move |req, next| {
            slash::strict_slash(probe.clone(), req, next)
        }))
        .layer(from_fn_with_state(state.admin.clone(), admin::gate))
        .layer(from_fn_with_state(state.auth.clone(), auth::middleware));
    Router::new()
        // GET only, as gorilla/mux registers them: a HEAD is 405 (axum would serve it).
        .route("/hello", get(hello).head(method_not_allowed))
        .route("/metrics", get(metrics::metrics).head(method_not_allowed))
        .with_state(state)
        .fallback_service(protected)
        .layer(from_fn(redirect::go_redirect_body))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(CatchPanicLayer::custom(panic_response))
}

/// `405` with an empty body, gorilla/mux's answer to a method the route lacks.
async fn method_not_allowed() -> StatusCode {
    StatusCode::METHOD_NOT_ALLOWED
}

/// The span of one request: method and path, never the query string (a client may put
/// a token there; the `Authorization` header is not recorded either).
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        query = req.uri().query().map(|_| "<not logged>"),
        version = ?req.version(),
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::internal("Internal Server Error").into_response()
}
