//! [`AppError`]: every error answer of the server, rendered as Go's `http.Error`
//! does (plain text, message plus `\n`), with Heketi's status codes and texts.
//!
//! An answer made from an engine error also carries Brickyard's headers (ignored by
//! Heketi clients): [`KIND_HEADER`] with the error kind (`no_space`, `exec`, …) and, for
//! a `no_space`, [`REASONS_HEADER`] with why each device was refused, so the Python
//! client raises the same exception with the same details as the embedded engine.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use brickyard::ErrorKind;
use brickyard::placement::PlacementError;

/// Heketi's text for a body that does not parse (`422`).
pub const UNPARSABLE: &str = "request unable to be parsed";
/// Heketi's router answer for an unknown path or a malformed id.
pub const INVALID_PATH: &str = "Invalid path or request";
/// Heketi's answer when `max_inflight_operations` are already running.
pub const SERVER_BUSY: &str = "Server busy. Retry operation later.";

/// Header naming the engine's error kind (`ErrorKind::as_str`: `no_space`, `exec`, …).
pub const KIND_HEADER: &str = "X-Brickyard-Error-Kind";
/// Header of a `no_space` answer: a JSON array of `{"device","node","reason"}` objects,
/// escaped to ASCII (the per-device explanation of the failed placement).
pub const REASONS_HEADER: &str = "X-Brickyard-Error-Reasons";
/// Header with how many reasons were left out of [`REASONS_HEADER`] to keep it under
/// [`MAX_REASONS_HEADER`] bytes (absent when none were).
pub const REASONS_OMITTED_HEADER: &str = "X-Brickyard-Error-Reasons-Omitted";
/// Largest [`REASONS_HEADER`] value sent: well below the 64 KiB line limit of common
/// HTTP clients (Python's `http.client`, Go's default 1 MiB for all headers).
pub const MAX_REASONS_HEADER: usize = 32 * 1024;

/// An error answer: a status code and the message clients show verbatim.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct AppError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The message, without the trailing newline the wire adds.
    pub message: String,
    /// The engine's error kind, sent as [`KIND_HEADER`] (None: not an engine error).
    pub kind: Option<ErrorKind>,
    /// The per-device reasons of a `no_space`, as `(device, node, reason)`.
    pub reasons: Vec<(String, String, String)>,
}

impl AppError {
    /// An error with any status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> AppError {
        AppError {
            status,
            message: message.into(),
            kind: None,
            reasons: Vec::new(),
        }
    }

    /// This answer with the kind and details of the engine error it reports (the
    /// status and message stay as they are: Heketi's).
    pub fn with_engine_detail(mut self, err: &brickyard::Error) -> AppError {
        self.kind = Some(err.kind());
        self.reasons = match err.placement_error() {
            Some(PlacementError::NoSpace(details)) => details
                .devices
                .iter()
                .map(|r| (r.device.clone(), r.node.clone(), r.reason.to_string()))
                .collect(),
            _ => Vec::new(),
        };
        self
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

    /// `413`: a request body over `limit` bytes (Brickyard's bound; Heketi has none).
    pub fn body_too_large(limit: usize) -> AppError {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body too large: the limit is {limit} bytes"),
        )
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
        AppError::new(status_for(err.kind()), err.to_string()).with_engine_detail(&err)
    }
}

/// JSON text with every non-ASCII character written as a `\u` escape of its UTF-16 code
/// units (a valid header value that any JSON parser reads back unchanged).
fn ascii_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    for c in value.to_string().chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// The [`REASONS_HEADER`] value (as many reasons as fit in [`MAX_REASONS_HEADER`]) and
/// how many were left out.
pub fn reasons_header(reasons: &[(String, String, String)]) -> (String, usize) {
    let mut items: Vec<String> = Vec::with_capacity(reasons.len());
    let mut len = 2;
    for (device, node, reason) in reasons {
        let item = ascii_json(&serde_json::json!({
            "device": device,
            "node": node,
            "reason": reason,
        }));
        if len + item.len() + 1 > MAX_REASONS_HEADER {
            break;
        }
        len += item.len() + 1;
        items.push(item);
    }
    let omitted = reasons.len() - items.len();
    (format!("[{}]", items.join(",")), omitted)
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
        if let Some(kind) = self.kind {
            headers.insert(KIND_HEADER, HeaderValue::from_static(kind.as_str()));
            if kind == ErrorKind::NoSpace {
                let (value, omitted) = reasons_header(&self.reasons);
                // ASCII by construction; a value that still does not fit is left out
                // rather than failing the answer.
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(REASONS_HEADER, value);
                }
                if omitted > 0 {
                    headers.insert(REASONS_OMITTED_HEADER, HeaderValue::from(omitted));
                }
            }
        }
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

    #[test]
    fn reasons_header_is_ascii_json_and_capped() {
        let few = vec![("d\u{1F600}".to_string(), "n".to_string(), "r".to_string())];
        let (value, omitted) = reasons_header(&few);
        assert_eq!(omitted, 0);
        assert!(value.is_ascii());
        let back: serde_json::Value = serde_json::from_str(&value).expect("JSON");
        assert_eq!(back[0]["device"], "d\u{1F600}");

        let many: Vec<_> = (0..2000)
            .map(|i| {
                (
                    format!("{i:032x}"),
                    format!("{i:032x}"),
                    "device or node is not online".to_string(),
                )
            })
            .collect();
        let (value, omitted) = reasons_header(&many);
        assert!(value.len() <= MAX_REASONS_HEADER, "{}", value.len());
        let back: Vec<serde_json::Value> = serde_json::from_str(&value).expect("JSON");
        assert!(omitted > 0);
        assert_eq!(back.len() + omitted, many.len());

        let mut err = AppError::internal("No space");
        err.kind = Some(ErrorKind::NoSpace);
        err.reasons = many;
        let response = err.into_response();
        assert_eq!(response.headers()[KIND_HEADER], "no_space");
        assert_eq!(
            response.headers()[REASONS_OMITTED_HEADER],
            omitted.to_string().as_str()
        );
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
