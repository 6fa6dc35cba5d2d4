use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use brickyard_server::routes::{HexId, router_with_table, table};
use brickyard_server::{AppState, router};

use crate::support::*;

fn app_with_extra(state: AppState) -> Router {
    let extra = Router::new()
        .route("/echo/{id}", get(|HexId(id): HexId| async move { id }))
        .route(
            "/boom",
            get(|| async {
                if std::env::var_os("NEVER_SET_BRICKYARD").is_none() {
                    panic!("handler bug");
                }
                "unreachable"
            }),
        );
    router_with_table(state.clone(), extra.merge(table(state)))
}

#[tokio::test]
async fn unknown_path_is_404_after_authentication() {
    let a = Req::new("GET", "/no/such/path")
        .admin()
        .send(&router(state(8).await))
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.body, "Invalid path or request\n");
    assert_eq!(a.header("content-type"), Some("text/plain; charset=utf-8"));
}

#[tokio::test]
async fn wrong_method_is_405_with_empty_body() {
    let a = Req::new("DELETE", "/admin")
        .admin()
        .send(&router(state(8).await))
        .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(a.body, "");
}

#[tokio::test]
async fn ids_must_be_hex() {
    let app = app_with_extra(state(8).await);
    let a = Req::new("GET", "/echo/ABCdef0123").admin().send(&app).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "ABCdef0123"));
    for path in ["/volumes/xyz", "/echo/xyz", "/queue/not-hex"] {
        let a = Req::new("GET", path).admin().send(&app).await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (StatusCode::NOT_FOUND, "Invalid path or request\n"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn trailing_slash_redirects_like_strict_slash() {
    let app = app_with_extra(state(8).await);
    let a = Req::new("GET", "/volumes/").admin().send(&app).await;
    assert_eq!(a.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(a.header("location"), Some("/volumes"));
    assert_eq!(a.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(a.body, "<a href=\"/volumes\">Moved Permanently</a>.\n\n");

    let a = Req::new("POST", "/admin/?x=1").admin().send(&app).await;
    assert_eq!(a.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(a.header("location"), Some("/admin?x=1"));
    assert_eq!(a.body, "");

    let a = Req::new("GET", "/volumes/0a1b/").admin().send(&app).await;
    assert_eq!(a.header("location"), Some("/volumes/0a1b"));

    // Not a route without the slash either: the fallback answers.
    let a = Req::new("GET", "/nothing/").admin().send(&app).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::NOT_FOUND, "Invalid path or request\n")
    );
    // The redirect happens after authentication.
    let a = Req::new("GET", "/volumes/").send(&app).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_not_a_dropped_connection() {
    let a = Req::new("GET", "/boom")
        .admin()
        .send(&app_with_extra(state(8).await))
        .await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(a.body, "Internal Server Error\n");
}
