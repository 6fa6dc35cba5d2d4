//! [`AppError`]: every error answer of the server, rendered as Go's `http.Error`
//! does (plain text, message plus `\n`), with Heketi's status codes and texts.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use brickyard::ErrorKind;

/// Heketi's text for a body that does not parse (`422`).
pub const UNPARSABLE: &str = "request unable to be parsed";
/// Heketi's router answer for an unknown path or a malformed id.
pub const INVALID_PATH: &str = "Invalid path or request";
/// Heketi's answer when `max_inflight_operations` are already running.
pub const SERVER_BUSY: &str = "Server busy. Retry operation later.";

/// An error answer: a status code and the message clients show verbatim.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct AppError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The message, without the trailing newline the wire adds.
    pub message: String,
}

impl AppError {
    /// An error with any status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> AppError {
        AppError {
            status,
            message: message.into(),
        }
    }

    /// `400` with the given text.
    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, message)
    }

    /// `401` with the given text.
    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, message)
    }

    /// `404` with the given text.
    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, message)
    }

    /// `404 Invalid path or request`, the router's answer for unknown paths and non-hex ids.
    pub fn invalid_path() -> AppError {
        AppError::not_found(INVALID_PATH)
    }

    /// `422 request unable to be parsed`, Heketi's answer to a body that is not the
    /// expected JSON.
    pub fn unparsable() -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, UNPARSABLE)
    }

    /// `400 request unable to be parsed: <detail>`, the variant `/admin` and
    /// `/internal/logging` use.
    pub fn unparsable_detail(detail: impl std::fmt::Display) -> AppError {
        AppError::bad_request(format!("{UNPARSABLE}: {detail}"))
    }

    /// `400 validation failed: <ozzo text>`; see [`validation_message`].
    pub fn validation<K, M>(errors: impl IntoIterator<Item = (K, M)>) -> AppError
    where
        K: Into<String>,
        M: Into<String>,
    {
        AppError::bad_request(format!("validation failed: {}", validation_message(errors)))
    }

    /// `429 Server busy. Retry operation later.`
    pub fn busy() -> AppError {
        AppError::new(StatusCode::TOO_MANY_REQUESTS, SERVER_BUSY)
    }

    /// `500` with the given text.
    pub fn internal(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// `503 Service disabled for maintenance`, the admin-mode gate's answer.
    pub fn maintenance() -> AppError {
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service disabled for maintenance",
        )
    }
}

/// Formats validation errors as ozzo-validation does: `key: message` pairs sorted by
/// key, joined by `; `, terminated by `.` (e.g. `cluster: cannot be blank; zone: must
/// be no less than 1.`). Nested structures are passed as an already formatted
/// `(inner)` message.
pub fn validation_message<K, M>(errors: impl IntoIterator<Item = (K, M)>) -> String
where
    K: Into<String>,
    M: Into<String>,
{
    let mut pairs: Vec<(String, String)> = errors
        .into_iter()
        .map(|(k, m)| (k.into(), m.into()))
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let joined = pairs
        .iter()
        .map(|(k, m)| format!("{k}: {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    format!("{joined}.")
}

/// The HTTP status Heketi answers for an engine error of this kind.
pub fn status_for(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::AlreadyExists | ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::InvalidInput | ErrorKind::Rejected => StatusCode::BAD_REQUEST,
        ErrorKind::Busy => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unsupported => StatusCode::NOT_IMPLEMENTED,
        ErrorKind::NoSpace | ErrorKind::Exec | ErrorKind::Store => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        // `ErrorKind` is non-exhaustive: a kind added later is a server error until
        // it gets its own mapping.
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<brickyard::Error> for AppError {
    fn from(err: brickyard::Error) -> AppError {
        AppError::new(status_for(err.kind()), err.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut body = self.message;
        body.push('\n');
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[test]
    fn validation_pairs_are_sorted_joined_and_terminated() {
        let msg = validation_message([
            ("zone", "must be no less than 1"),
            ("cluster", "cannot be blank"),
        ]);
        assert_eq!(
            msg,
            "cluster: cannot be blank; zone: must be no less than 1."
        );
        let err = AppError::validation([("state", "must be a valid value")]);
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            err.message,
            "validation failed: state: must be a valid value."
        );
    }

    #[test]
    fn engine_kinds_map_to_heketi_statuses() {
        let cases = [
            (brickyard::Error::id_not_found(), StatusCode::NOT_FOUND),
            (
                brickyard::Error::AlreadyExists("x".into()),
                StatusCode::CONFLICT,
            ),
            (brickyard::Error::conflict("x"), StatusCode::CONFLICT),
            (brickyard::Error::invalid("x"), StatusCode::BAD_REQUEST),
            (
                brickyard::Error::Busy("x".into()),
                StatusCode::TOO_MANY_REQUESTS,
            ),
            (
                brickyard::Error::Store(brickyard::store::StoreError::NotEmpty),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (
                brickyard::Error::Rejected("x".into()),
                StatusCode::BAD_REQUEST,
            ),
            (
                brickyard::Error::Unsupported("x".into()),
                StatusCode::NOT_IMPLEMENTED,
            ),
        ];
        for (err, status) in cases {
            assert_eq!(AppError::from(err).status, status);
        }
        let ctx = brickyard::Error::id_not_found().context("Failed to set up volume delete");
        let app = AppError::from(ctx);
        assert_eq!(app.status, StatusCode::NOT_FOUND);
        assert_eq!(app.message, "Failed to set up volume delete: Id not found");
    }

    #[tokio::test]
    async fn renders_like_go_http_error() {
        let response = AppError::not_found("Id not found").into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            response.headers()[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff"
        );
        let body = response.into_body().collect().await.map(|b| b.to_bytes());
        assert_eq!(body.ok().as_deref(), Some(&b"Id not found\n"[..]));
    }
}
