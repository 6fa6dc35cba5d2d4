use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use brickyard_server::routes::{HexId, router_with_table, table};
use brickyard_server::{AppError, AppState, OpOutcome, Queue};
use tokio::sync::Semaphore;

use crate::support::*;

/// `POST /test/slow` starts an operation that finishes when the test adds a permit to
/// `gate`; `GET /test/slow/{id}` does the same and ends in 204.
fn app(state: AppState, gate: Arc<Semaphore>) -> Router {
    let g1 = gate.clone();
    let extra = Router::new()
        .route(
            "/test/slow",
            post(move |State(s): State<AppState>| {
                let gate = g1.clone();
                async move {
                    s.queue.start("volume create", async move {
                        gate.acquire().await.map(|p| p.forget()).ok();
                        Ok(OpOutcome::Redirect("/volumes/0123abcd".into()))
                    })
                }
            }),
        )
        .route(
            "/test/slow/{id}",
            get(move |State(s): State<AppState>, HexId(_id): HexId| {
                let gate = gate.clone();
                async move {
                    s.queue.start("device resync", async move {
                        gate.acquire().await.map(|p| p.forget()).ok();
                        Ok(OpOutcome::Done)
                    })
                }
            }),
        )
        .with_state(state.clone());
    router_with_table(state.clone(), extra.merge(table(state)))
}

fn queue_path(location: Option<&str>) -> String {
    let location = location.expect("Location header");
    let id = location
        .strip_prefix("/queue/")
        .expect("relative /queue/ path");
    assert_eq!(id.len(), 32);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    location.to_string()
}

#[tokio::test]
async fn lifecycle_accepted_pending_see_other_once_then_gone() {
    let s = state(8).await;
    let gate = Arc::new(Semaphore::new(0));
    let app = app(s.clone(), gate.clone());

    let a = Req::new("POST", "/test/slow")
        .admin()
        .body("{}")
        .send(&app)
        .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::ACCEPTED, ""));
    let location = queue_path(a.header("location"));
    assert_eq!(s.queue.in_flight(), 1);

    let a = Req::new("GET", &location).admin().send(&app).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, ""));
    assert_eq!(a.header("x-pending"), Some("true"));

    gate.add_permits(1);
    assert!(s.queue.drain(Duration::from_secs(5)).await);
    assert_eq!(s.queue.in_flight(), 0);

    let a = Req::new("GET", &location).admin().send(&app).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.header("location"), Some("/volumes/0123abcd"));
    assert_eq!(a.header("x-pending"), None);
    assert_eq!(a.body, "<a href=\"/volumes/0123abcd\">See Other</a>.\n\n");

    let a = Req::new("GET", &location).admin().send(&app).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::NOT_FOUND, "Id not found\n")
    );
}

#[tokio::test]
async fn get_operations_get_the_html_accepted_body_and_finish_with_204() {
    let s = state(8).await;
    let gate = Arc::new(Semaphore::new(1));
    let app = app(s.clone(), gate);
    let a = Req::new("GET", "/test/slow/abc123")
        .admin()
        .send(&app)
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    let location = queue_path(a.header("location"));
    assert_eq!(a.body, format!("<a href=\"{location}\">Accepted</a>.\n\n"));
    assert_eq!(a.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(s.queue.drain(Duration::from_secs(5)).await);
    let a = Req::new("GET", &location).admin().send(&app).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::NO_CONTENT, ""));
}

#[tokio::test]
async fn failures_and_panics_are_reported_as_500_once() {
    let s = state(8).await;
    let app = router_with_table(s.clone(), table(s.clone()));
    let failed = s
        .queue
        .start("volume delete", async {
            Err(brickyard::Error::conflict("Volume busy").context("Unable to delete volume"))
        })
        .expect("room");
    let panicked = s.queue.start("volume expand", async {
        if std::env::var_os("NEVER_SET_BRICKYARD").is_none() {
            panic!("engine bug");
        }
        Ok(OpOutcome::Done)
    });
    let panicked = panicked.expect("room");
    let q: &Queue = &s.queue;
    assert!(q.drain(Duration::from_secs(5)).await);

    let a = Req::new("GET", &failed.location()).admin().send(&app).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Unable to delete volume: Volume busy\n"
        )
    );
    assert_eq!(a.header("x-brickyard-error-kind"), Some("conflict"));
    let a = Req::new("GET", &failed.location()).admin().send(&app).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    let a = Req::new("GET", &panicked.location())
        .admin()
        .send(&app)
        .await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        a.body.starts_with("volume expand: operation aborted"),
        "{}",
        a.body
    );
    assert_eq!(a.header("x-brickyard-error-kind"), None);
}

#[tokio::test]
async fn a_no_space_at_the_queue_carries_kind_and_reasons() {
    use brickyard::placement::{DeviceReason, NoSpaceDetails, PlacementError, Rejection};
    let s = state(8).await;
    let app = router_with_table(s.clone(), table(s.clone()));
    let details = NoSpaceDetails {
        cluster: "c1".into(),
        attempts: vec![(1, 1024)],
        devices: vec![
            DeviceReason {
                device: "d1".into(),
                node: "n1".into(),
                reason: Rejection::TooSmall {
                    free: 10,
                    needed: 1024,
                },
            },
            DeviceReason {
                device: "d\u{e9}2".into(),
                node: "n\"2".into(),
                reason: Rejection::SameNode,
            },
        ],
        summary: "need 3 nodes, found 1".into(),
    };
    let failed = s
        .queue
        .start("volume expand", async move {
            Err(
                brickyard::Error::Placement(PlacementError::NoSpace(Box::new(details)))
                    .context("Failed to allocate new volume"),
            )
        })
        .expect("room");
    assert!(s.queue.drain(Duration::from_secs(5)).await);
    let a = Req::new("GET", &failed.location()).admin().send(&app).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Failed to allocate new volume: No space: cluster c1: need 3 nodes, found 1\n"
        )
    );
    assert_eq!(a.header("x-brickyard-error-kind"), Some("no_space"));
    let raw = a
        .header("x-brickyard-error-reasons")
        .expect("reasons header");
    assert!(raw.is_ascii(), "{raw}");
    let reasons: serde_json::Value = serde_json::from_str(raw).expect("JSON");
    assert_eq!(
        reasons,
        serde_json::json!([
            {"device": "d1", "node": "n1", "reason": "10 KiB free, brick needs 1024 KiB"},
            {"device": "d\u{e9}2", "node": "n\"2", "reason": "node already holds a brick of this set"},
        ])
    );
}

#[tokio::test]
async fn throttled_beyond_max_inflight_operations() {
    let s = state(2).await;
    let gate = Arc::new(Semaphore::new(0));
    let app = app(s.clone(), gate.clone());
    for _ in 0..2 {
        let a = Req::new("POST", "/test/slow").admin().send(&app).await;
        assert_eq!(a.status, StatusCode::ACCEPTED);
    }
    let a = Req::new("POST", "/test/slow").admin().send(&app).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (
            StatusCode::TOO_MANY_REQUESTS,
            "Server busy. Retry operation later.\n"
        )
    );
    assert_eq!(a.header("retry-after"), None);
    assert_eq!(s.queue.in_flight(), 2);
    assert!(!s.queue.drain(Duration::from_millis(50)).await);

    gate.add_permits(2);
    assert!(s.queue.drain(Duration::from_secs(5)).await);
    let a = Req::new("POST", "/test/slow").admin().send(&app).await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    gate.add_permits(1);
    assert!(s.queue.drain(Duration::from_secs(5)).await);
}

#[tokio::test]
async fn a_reserved_slot_that_is_not_used_is_given_back() {
    let q = Queue::new(1);
    let slot = q.reserve().expect("room");
    assert_eq!(q.in_flight(), 1);
    assert_eq!(q.reserve().err(), Some(AppError::busy()));
    drop(slot);
    assert_eq!(q.in_flight(), 0);
    assert!(q.reserve().is_ok());
}
