//! `topology.json` (`topology/mod.rs`) as `brickyard topology load` reads it: parsed,
//! then, when it parses, applied to a fresh in-memory engine over mock nodes (the node
//! and device validation, the matching rules, the report).
#![no_main]

use std::sync::Arc;

use brickyard::executor::MockExecutor;
use brickyard::topology::TopologyFile;
use brickyard::{Engine, EngineOptions};
use libfuzzer_sys::fuzz_target;

/// Files with more nodes or devices than this are only parsed: applying them is the
/// same code per item, and the time goes to the mock nodes, not to the input.
const MAX_ITEMS: usize = 24;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = TopologyFile::parse(text) else {
        return;
    };
    let items: usize = file
        .clusters
        .iter()
        .map(|c| 1 + c.nodes.iter().map(|n| 1 + n.devices.len()).sum::<usize>())
        .sum();
    if items > MAX_ITEMS {
        return;
    }
    brickyard_fuzz::runtime().block_on(async {
        let engine = Engine::open(EngineOptions::in_memory(), Arc::new(MockExecutor::new()))
            .await
            .expect("an in-memory engine opens");
        if let Ok(report) = engine.apply_topology(&file).await {
            let _ = report.summary();
            // Applying the same file again changes nothing (the apply is idempotent).
            let again = engine
                .apply_topology(&file)
                .await
                .expect("a second apply of an applied file");
            assert!(
                !again.changed() || report.failed() > 0,
                "second apply created {:?}",
                again.summary()
            );
        }
    });
});
