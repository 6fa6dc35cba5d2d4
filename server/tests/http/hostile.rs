//! Hostile requests at the HTTP layer: bodies over the limit, and methods and paths
//! no route has (answered as Heketi's gorilla/mux router answers them).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use brickyard_server::body::MAX_BODY_BYTES;
use brickyard_server::router;
use futures_util::stream;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::*;

const CHUNK: usize = 64 * 1024;

/// Sends `body` to `method path` (authentication off); status and body text.
async fn send_body(
    method: &str,
    path: &str,
    length: Option<u64>,
    body: Body,
) -> (StatusCode, String) {
    let app = router(open_state().await);
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(n) = length {
        builder = builder.header("content-length", n);
    }
    let request = builder.body(body).expect("request");
    let response = tokio::time::timeout(Duration::from_secs(20), app.oneshot(request))
        .await
        .expect("answered without waiting for the rest of the body")
        .expect("infallible");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// A body that yields `CHUNK`-byte chunks for ever, counting what was taken from it.
fn endless(taken: Arc<AtomicUsize>) -> Body {
    let chunks = stream::repeat_with(move || {
        taken.fetch_add(CHUNK, Ordering::SeqCst);
        Ok::<_, std::io::Error>(Bytes::from(vec![b' '; CHUNK]))
    });
    Body::from_stream(chunks)
}

fn too_large() -> String {
    format!("request body too large: the limit is {MAX_BODY_BYTES} bytes\n")
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_413_before_any_byte_is_read() {
    // The body never arrives: only an answer from the header can come back.
    let never = Body::from_stream(stream::pending::<Result<Bytes, std::io::Error>>());
    let (status, body) =
        send_body("POST", "/volumes", Some(MAX_BODY_BYTES as u64 + 1), never).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body, too_large());
}

#[tokio::test]
async fn an_endless_body_is_413_after_reading_at_most_the_limit() {
    for path in ["/volumes", "/nodes", "/admin", "/internal/logging"] {
        let taken = Arc::new(AtomicUsize::new(0));
        let (status, body) = send_body("POST", path, None, endless(taken.clone())).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {body}");
        assert_eq!(body, too_large(), "{path}");
        let read = taken.load(Ordering::SeqCst);
        assert!(
            read <= MAX_BODY_BYTES + CHUNK,
            "{path}: {read} bytes read for a limit of {MAX_BODY_BYTES}"
        );
    }
}

#[tokio::test]
async fn a_body_of_exactly_the_limit_is_read_and_judged_as_json() {
    let spaces = vec![b' '; MAX_BODY_BYTES];
    let (status, body) = send_body("POST", "/volumes", None, Body::from(spaces)).await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "request unable to be parsed\n"
        )
    );
}

#[tokio::test]
async fn methods_no_route_has_are_405_with_an_empty_body() {
    let app = router(state(8).await);
    for (method, path) in [
        ("PATCH", "/volumes"),
        ("PUT", "/clusters"),
        ("OPTIONS", "/nodes/0a1b"),
        ("TRACE", "/volumes/0a1b/expand"),
        ("BREW", "/devices/0a1b/state"),
        ("GET", "/volumes/0a1b/expand"),
        ("DELETE", "/db/dump"),
        // gorilla/mux serves no HEAD with a GET route (axum would).
        ("HEAD", "/clusters"),
        ("HEAD", "/volumes/"),
        ("HEAD", "/queue/0a1b"),
        ("HEAD", "/hello"),
        ("HEAD", "/metrics"),
    ] {
        let a = Req::new(method, path).admin().send(&app).await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (StatusCode::METHOD_NOT_ALLOWED, ""),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn unknown_paths_are_404_whatever_the_method_and_body() {
    let app = router(state(8).await);
    for (method, path) in [
        ("POST", "/volume"),
        ("DELETE", "/clusters/0a1b/nodes"),
        ("PUT", "/"),
        ("GET", "/volumes/0a1b/expand/more"),
        ("HEAD", "/nothing"),
        ("POST", "/nodes/not-hex/state"),
        ("GET", "/%ff%fe"),
        ("GET", "/volumes/../clusters"),
    ] {
        let a = Req::new(method, path)
            .admin()
            .body(r#"{"size": 1}"#)
            .send(&app)
            .await;
        // Go's server, like hyper, sends no body in a HEAD answer.
        let text = if method == "HEAD" {
            ""
        } else {
            "Invalid path or request\n"
        };
        assert_eq!(
            (a.status, a.body.as_str()),
            (StatusCode::NOT_FOUND, text),
            "{method} {path}"
        );
    }
    // Before authentication, the answer is the token check's.
    for method in ["POST", "HEAD"] {
        let a = Req::new(method, "/volume").send(&app).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{method}");
    }
}
