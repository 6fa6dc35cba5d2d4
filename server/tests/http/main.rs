//! The HTTP surface driven through `tower::ServiceExt::oneshot`, without sockets.

mod admin;
mod auth;
mod logging;
mod queue;
mod routing;
mod support;
