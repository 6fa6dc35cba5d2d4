//! What the server answers once the database's disk failed a write: the failing
//! request and every later write get a 500 naming the storage failure; `/hello` and
//! reads keep answering.

use std::sync::Arc;

use axum::http::StatusCode;
use brickyard::executor::{Executor, MockExecutor};
use brickyard::store::{ENOSPC, FaultyBackend, StorageFaults, StorageOp, Store};
use brickyard::{Engine, EngineOptions};
use brickyard_server::auth::AuthSettings;
use brickyard_server::config::ServerConfig;
use brickyard_server::{AppState, router};

use crate::support::*;

#[tokio::test]
async fn a_failed_database_write_is_a_clear_500_and_reads_keep_working() {
    let dir = std::env::temp_dir().join(format!(
        "brickyard-http-storefault-{}",
        brickyard::id::new_id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("db.redb");
    let faults = StorageFaults::new();
    let store =
        Store::with_backend(&path, FaultyBackend::open(&path, faults.clone()).unwrap()).unwrap();
    let engine = Engine::open_with_store(
        EngineOptions::with_file(&path),
        Arc::new(MockExecutor::new()) as Arc<dyn Executor>,
        store,
    )
    .await
    .unwrap();
    let app = router(AppState::new(
        ServerConfig::defaults(),
        AuthSettings::disabled(),
        engine,
    ));
    let a = Req::new("POST", "/clusters").body("{}").send(&app).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let kept = a.body.clone();

    faults.fail_nth(StorageOp::Write, 1, ENOSPC);
    let a = Req::new("POST", "/clusters").body("{}").send(&app).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        a.body.contains("writing to the database failed")
            && a.body.contains("No space left on device")
            && a.body.contains("this change was not saved"),
        "{}",
        a.body
    );
    assert_eq!(a.header("x-brickyard-error-kind"), Some("store"));

    let a = Req::new("POST", "/clusters").body("{}").send(&app).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        a.body.contains("an earlier write to the database failed")
            && a.body.contains("No space left on device")
            && a.body
                .contains("writes are refused until Brickyard is restarted"),
        "{}",
        a.body
    );

    let a = Req::new("GET", "/hello").send(&app).await;
    assert_eq!(a.status, StatusCode::OK);
    let a = Req::new("GET", "/clusters").send(&app).await;
    assert_eq!(a.status, StatusCode::OK);
    let id = kept.split('"').nth(3).unwrap();
    assert_eq!(
        a.body,
        format!("{{\"clusters\":[\"{id}\"]}}\n"),
        "only the saved cluster"
    );
    drop(app);
    std::fs::remove_dir_all(&dir).unwrap();
}
