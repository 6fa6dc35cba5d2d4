use axum::http::StatusCode;
use brickyard_server::admin::AdminMode;
use brickyard_server::auth::AuthSettings;
use brickyard_server::config::ServerConfig;
use brickyard_server::{AppState, router};

use crate::support::*;

#[tokio::test]
async fn get_and_set_the_state() {
    let app = router(state(8).await);
    let a = Req::new("GET", "/admin").admin().send(&app).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, "{\"state\":\"normal\"}\n");
    assert_eq!(
        a.header("content-type"),
        Some("application/json; charset=UTF-8")
    );

    let a = Req::new("POST", "/admin")
        .admin()
        .body(r#"{"state":"local-client"}"#)
        .send(&app)
        .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::NO_CONTENT, ""));
    let a = Req::new("GET", "/admin").admin().send(&app).await;
    assert_eq!(a.body, "{\"state\":\"local-client\"}\n");
}

#[tokio::test]
async fn bad_requests() {
    let app = router(state(8).await);
    let a = Req::new("POST", "/admin")
        .admin()
        .body("{")
        .send(&app)
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.body.starts_with("request unable to be parsed: "),
        "{}",
        a.body
    );
    let a = Req::new("POST", "/admin").admin().send(&app).await;
    assert_eq!(
        a.body,
        "request unable to be parsed: unexpected end of JSON input\n"
    );
    let a = Req::new("POST", "/admin")
        .admin()
        .body(r#"{"state":"paused"}"#)
        .send(&app)
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "validation failed: state: must be a valid value.\n"
        )
    );
    let a = Req::new("POST", "/admin")
        .admin()
        .body("{}")
        .send(&app)
        .await;
    assert_eq!(a.body, "validation failed: state: cannot be blank.\n");
}

#[tokio::test]
async fn read_only_blocks_writes_including_leaving_read_only() {
    let app = router(state(8).await);
    let a = Req::new("POST", "/admin")
        .admin()
        .body(r#"{"state":"read-only"}"#)
        .send(&app)
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = Req::new("POST", "/admin")
        .admin()
        .body(r#"{"state":"normal"}"#)
        .send(&app)
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "Service disabled for maintenance\n"
        )
    );
    let a = Req::new("POST", "/internal/logging")
        .admin()
        .body(r#"{"loglevel":{"glusterfs":"debug"}}"#)
        .send(&app)
        .await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    let a = Req::new("GET", "/admin").admin().send(&app).await;
    assert_eq!(a.body, "{\"state\":\"read-only\"}\n");
    // Authentication comes before the gate.
    let a = Req::new("POST", "/admin").send(&app).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn local_client_allows_writes_from_loopback_only() {
    let s = state(8).await;
    s.admin.set(AdminMode::LocalClient);
    let app = router(s);
    let body = r#"{"loglevel":{"glusterfs":"info"}}"#;
    let a = Req::new("POST", "/internal/logging")
        .admin()
        .body(body)
        .peer("127.0.0.1:5000")
        .send(&app)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let a = Req::new("POST", "/internal/logging")
        .admin()
        .body(body)
        .peer("[::1]:5000")
        .send(&app)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let a = Req::new("POST", "/internal/logging")
        .admin()
        .body(body)
        .peer("10.1.2.3:5000")
        .send(&app)
        .await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    let a = Req::new("GET", "/admin")
        .admin()
        .peer("10.1.2.3:5000")
        .send(&app)
        .await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn initial_state_comes_from_the_configuration() {
    let env = |k: &str| (k == "HEKETI_DEFAULT_STATE").then(|| "read-only".to_string());
    let config = ServerConfig::from_str(r#"{"glusterfs": {"executor": "mock"}}"#, "t.json", &env)
        .expect("config");
    let app = router(AppState::new(
        config,
        AuthSettings::disabled(),
        engine(std::sync::Arc::new(brickyard::executor::MockExecutor::new())).await,
    ));
    let a = Req::new("GET", "/admin").send(&app).await;
    assert_eq!(a.body, "{\"state\":\"read-only\"}\n");
    let a = Req::new("POST", "/admin")
        .body(r#"{"state":"normal"}"#)
        .send(&app)
        .await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
}
