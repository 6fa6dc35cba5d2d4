//! [`HexId`]: the `{id}` path segment, which Heketi's routes restrict to
//! `[A-Fa-f0-9]+`; anything else is the router's `404 Invalid path or request`.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use crate::error::AppError;

/// A hexadecimal id taken from the route's single `{id}` parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HexId(pub String);

/// True for a non-empty string of hex digits (any length, either case).
pub fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl<S: Send + Sync> FromRequestParts<S> for HexId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::invalid_path())?;
        if is_hex(&id) {
            Ok(HexId(id))
        } else {
            Err(AppError::invalid_path())
        }
    }
}
