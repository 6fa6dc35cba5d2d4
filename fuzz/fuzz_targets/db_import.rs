//! `brickyard db import` (`server/src/offline.rs`): Heketi's export JSON parsed and
//! imported into a fresh in-memory engine (the consistency checks of
//! `engine/export.rs`). What imports exports again, and that export imports again.
#![no_main]

use std::sync::Arc;

use brickyard::executor::MockExecutor;
use brickyard::model::DbExport;
use brickyard::{Engine, EngineOptions};
use libfuzzer_sys::fuzz_target;

async fn import(export: DbExport) -> brickyard::Result<Engine> {
    let options = EngineOptions {
        // The offline import opens no executor and cleans nothing up.
        cleanup_on_open: false,
        ..EngineOptions::in_memory()
    };
    Engine::import(options, Arc::new(MockExecutor::new()), export).await
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(export) = serde_json::from_str::<DbExport>(text) else {
        return;
    };
    brickyard_fuzz::runtime().block_on(async {
        let Ok(engine) = import(export).await else {
            return;
        };
        let exported = engine.export_json();
        drop(engine);
        let again: DbExport =
            serde_json::from_str(&exported).expect("an export parses as an export");
        if let Err(e) = import(again).await {
            panic!("an imported database does not import again: {e}");
        }
    });
});
