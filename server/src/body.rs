//! JSON in and out, the way Heketi's Go server does it.
//!
//! Requests: the whole body is read and decoded whatever the `Content-Type` (the
//! Python client sends none, and sends `{}` even on GET and DELETE); unknown fields
//! are ignored; a body that does not decode is `422 request unable to be parsed`.
//!
//! Responses: [`Json`] writes compact JSON plus `\n` with `Content-Type:
//! application/json; charset=UTF-8` and Go's HTML escaping (`<`, `>`, `&` as `\u003c`
//! …), as `json.NewEncoder(w).Encode(v)` does; [`IndentedJson`] is the 4-space
//! variant `/db/dump` and `/db/check` use.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Upper bound for request bodies (Heketi requests are small JSON documents).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Extracts a JSON body of type `T`; any read or decode failure is `422 request
/// unable to be parsed`, and so is an empty body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonBody<T>(pub T);

/// Like [`JsonBody`], but an empty (or all-whitespace) body yields `T::default()`;
/// for optional bodies such as `DELETE /devices/{id}` options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonOrDefault<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        parse_json(&bytes)
            .map(JsonBody)
            .map_err(|_| AppError::unparsable())
    }
}

impl<S, T> FromRequest<S> for JsonOrDefault<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonOrDefault(T::default()));
        }
        parse_json(&bytes)
            .map(JsonOrDefault)
            .map_err(|_| AppError::unparsable())
    }
}

/// Reads the whole request body (up to [`MAX_BODY_BYTES`]).
///
/// Heketi reads any body whole. Brickyard refuses a larger one with `413` and never
/// holds more than the limit: a `Content-Length` over it is refused before a byte is
/// read, a body without one as soon as more than the limit has arrived.
pub async fn read_body<S: Send + Sync>(req: Request, _state: &S) -> Result<Bytes, AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(AppError::body_too_large(MAX_BODY_BYTES));
    }
    axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            if e.into_inner()
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                AppError::body_too_large(MAX_BODY_BYTES)
            } else {
                AppError::unparsable()
            }
        })
}

/// Decodes JSON like Go's `json.Unmarshal` of a whole body. The error text for an
/// empty body is Go's (`unexpected end of JSON input`), so the `/admin` and
/// `/internal/logging` answers read like Heketi's.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(JsonError("unexpected end of JSON input".to_string())),
        // serde accepts a JSON array for a struct (as a tuple); Go does not, and
        // every request body is an object.
        Some(b'[') => {
            return Err(JsonError(
                "json: cannot unmarshal array into a request object".to_string(),
            ));
        }
        Some(_) => {}
    }
    serde_json::from_slice(bytes).map_err(|e| JsonError(e.to_string()))
}

/// Why a body did not decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonError(pub String);

/// A `200` JSON answer (use [`Json::with_status`] for `201` and others).
#[derive(Clone, Debug)]
pub struct Json<T> {
    status: StatusCode,
    value: T,
}

impl<T> Json<T> {
    /// `200 OK` with `value`.
    pub fn ok(value: T) -> Json<T> {
        Json {
            status: StatusCode::OK,
            value,
        }
    }

    /// Any status with `value` (e.g. `201 Created` for cluster create).
    pub fn with_status(status: StatusCode, value: T) -> Json<T> {
        Json { status, value }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match encode(&self.value, false) {
            Ok(body) => json_response(self.status, body),
            Err(err) => err.into_response(),
        }
    }
}

/// A `200` JSON answer indented with 4 spaces (Go's `json.MarshalIndent(v, "", "    ")`
/// plus `\n`), as `/db/dump` writes it.
#[derive(Clone, Debug)]
pub struct IndentedJson<T>(pub T);

impl<T: Serialize> IntoResponse for IndentedJson<T> {
    fn into_response(self) -> Response {
        match encode(&self.0, true) {
            Ok(body) => json_response(StatusCode::OK, body),
            Err(err) => err.into_response(),
        }
    }
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    response
}

/// Serialises `value` as Go's encoder does: compact or 4-space indented, HTML
/// characters escaped, one trailing `\n`.
pub fn encode<T: Serialize>(value: &T, indented: bool) -> Result<Vec<u8>, AppError> {
    let text = if indented {
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        value
            .serialize(&mut ser)
            .map_err(|e| AppError::internal(e.to_string()))?;
        String::from_utf8(out).map_err(|e| AppError::internal(e.to_string()))?
    } else {
        serde_json::to_string(value).map_err(|e| AppError::internal(e.to_string()))?
    };
    Ok(finish_json(text.into_bytes()))
}

/// Compact JSON made elsewhere (the engine's prepared answers, streamed pieces) with
/// Go's escaping applied and, for a whole answer, the newline added.
pub fn finish_json(mut json: Vec<u8>) -> Vec<u8> {
    json = go_escape_bytes(json);
    json.push(b'\n');
    json
}

/// [`go_escape`] on bytes, without a copy when nothing needs escaping (the usual
/// case: ids, sizes, paths). Not UTF-8 bytes are left alone.
pub fn go_escape_bytes(json: Vec<u8>) -> Vec<u8> {
    if !needs_go_escape(&json) {
        return json;
    }
    match String::from_utf8(json) {
        Ok(text) => go_escape(&text).into_bytes(),
        Err(e) => e.into_bytes(),
    }
}

/// Whether `json` holds `<`, `>`, `&`, or 0xE2 (the first byte of U+2028 and U+2029
/// in UTF-8). Checked 64 bytes at a time without an early exit inside a block, which
/// the compiler vectorises: the byte-at-a-time `any` took a quarter of the server's
/// time on a 400 MB `GET /topology`.
fn needs_go_escape(json: &[u8]) -> bool {
    json.chunks(64).any(|block| {
        block
            .iter()
            .fold(false, |hit, b| hit | matches!(b, b'<' | b'>' | b'&' | 0xE2))
    })
}

/// A `200` answer whose JSON the engine serialised ([`finish_json`] is applied).
#[derive(Clone, Debug)]
pub struct RawJson(pub Vec<u8>);

impl IntoResponse for RawJson {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, finish_json(self.0))
    }
}

/// Go's `json` escapes `<`, `>`, `&`, U+2028 and U+2029 even inside strings. In
/// serialised JSON these characters can only occur inside strings, so a plain
/// replacement is exact.
pub fn go_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character Go escapes is found wherever it sits in the 64-byte blocks.
    #[test]
    fn escaped_characters_are_found_at_every_position() {
        for len in [1, 63, 64, 65, 130] {
            let plain = vec![b'a'; len];
            assert!(!needs_go_escape(&plain));
            assert_eq!(go_escape_bytes(plain.clone()), plain);
            for at in [0, len / 2, len.saturating_sub(2), len - 1] {
                for c in [b'<', b'>', b'&', 0xE2] {
                    let mut v = plain.clone();
                    v[at] = c;
                    assert!(needs_go_escape(&v), "{c} at {at} of {len}");
                }
            }
        }
        let text = "{\"a\":\"x<y>&z\u{2028}\"}".to_string();
        assert_eq!(
            String::from_utf8(go_escape_bytes(text.clone().into_bytes())).unwrap(),
            go_escape(&text)
        );
        let escaped = go_escape(&text);
        assert!(
            escaped.contains("x\\u003cy\\u003e\\u0026z\\u2028"),
            "{escaped}"
        );
    }
    use axum::body::Body;
    use http_body_util::BodyExt;
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize, PartialEq, Eq)]
    struct Opts {
        #[serde(default)]
        forceforget: bool,
    }

    fn request(body: &'static str) -> Request {
        Request::builder()
            .method("DELETE")
            .uri("/devices/ab")
            .body(Body::from(body))
            .expect("valid request")
    }

    #[tokio::test]
    async fn body_without_content_type_is_decoded() {
        let JsonBody(opts) =
            JsonBody::<Opts>::from_request(request(r#"{"forceforget":true,"x":1}"#), &())
                .await
                .expect("body decodes");
        assert!(opts.forceforget);
    }

    #[tokio::test]
    async fn empty_or_bad_body_is_422_but_optional_body_defaults() {
        for body in ["", "{", "[1]"] {
            let err = JsonBody::<Opts>::from_request(request(body), &())
                .await
                .err();
            assert_eq!(err, Some(AppError::unparsable()), "body {body:?}");
        }
        let opt = JsonOrDefault::<Opts>::from_request(request(" "), &()).await;
        assert_eq!(opt.ok(), Some(JsonOrDefault(Opts::default())));
        let opt = JsonOrDefault::<Opts>::from_request(request("{}"), &()).await;
        assert_eq!(opt.ok(), Some(JsonOrDefault(Opts::default())));
        let bad = JsonOrDefault::<Opts>::from_request(request("nope"), &()).await;
        assert_eq!(bad.err(), Some(AppError::unparsable()));
    }

    #[test]
    fn empty_body_error_reads_like_go() {
        let err = parse_json::<Opts>(b"").err();
        assert_eq!(err, Some(JsonError("unexpected end of JSON input".into())));
    }

    #[tokio::test]
    async fn responses_match_go_encoder() {
        #[derive(Serialize)]
        struct V {
            name: &'static str,
            ids: Vec<u8>,
        }
        let value = V {
            name: "a<b>&c",
            ids: vec![],
        };
        let response = Json::ok(&value).into_response();
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/json; charset=UTF-8"
        );
        let body = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .ok();
        assert_eq!(
            body.as_deref(),
            Some(&b"{\"name\":\"a\\u003cb\\u003e\\u0026c\",\"ids\":[]}\n"[..])
        );
        let indented = encode(&serde_json::json!({"a": {"b": [1]}}), true).ok();
        assert_eq!(
            indented.as_deref(),
            Some(&b"{\n    \"a\": {\n        \"b\": [\n            1\n        ]\n    }\n}\n"[..])
        );
    }
}
