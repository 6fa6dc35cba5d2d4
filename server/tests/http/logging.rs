use axum::http::StatusCode;
use brickyard_server::logging::LogLevel;
use brickyard_server::router;

use crate::support::*;

#[tokio::test]
async fn get_and_set_the_level() {
    let s = state(8).await;
    let app = router(s.clone());
    let a = Req::new("GET", "/internal/logging")
        .admin()
        .send(&app)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, "{\"loglevel\":{\"glusterfs\":\"info\"}}\n");

    let a = Req::new("POST", "/internal/logging")
        .admin()
        .body(r#"{"loglevel":{"glusterfs":"debug"}}"#)
        .send(&app)
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::OK, "{\"loglevel\":{\"glusterfs\":\"debug\"}}\n")
    );
    assert_eq!(s.log.get(), LogLevel::Debug);
}

#[tokio::test]
async fn errors() {
    let app = router(state(8).await);
    let post = |body: &'static str| Req::new("POST", "/internal/logging").admin().body(body);
    let a = post(r#"{"loglevel":{"glusterfs":"loud"}}"#)
        .send(&app)
        .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid log level: loud\n"
        )
    );
    let a = post(r#"{"loglevel":{"other":"debug"}}"#).send(&app).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Only \"glusterfs\" logger may be modified\n"
        )
    );
    let a = post("not json").send(&app).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.body.starts_with("request unable to be parsed: "),
        "{}",
        a.body
    );
}
