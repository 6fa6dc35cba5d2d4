//! The HTTP surface driven through `tower::ServiceExt::oneshot`, without sockets.

mod admin;
mod auth;
mod clusters;
mod day2;
mod devices;
mod extras;
mod fixture;
mod hostile;
mod logging;
mod nodes;
mod queue;
mod routing;
mod storage_faults;
mod support;
mod volumes;
