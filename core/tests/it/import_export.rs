use std::sync::Arc;

use brickyard::executor::MockExecutor;
use brickyard::model::DbExport;
use brickyard::{Engine, EngineOptions, ErrorKind};

const FIXTURE: &str = include_str!("../fixtures/heketi-db-export.json");

#[tokio::test]
async fn heketi_export_imports_and_exports_back_unchanged() {
    let export: DbExport = serde_json::from_str(FIXTURE).unwrap();
    let engine = Engine::import(
        EngineOptions::in_memory(),
        Arc::new(MockExecutor::new()),
        export,
    )
    .await
    .unwrap();
    assert!(engine.check().is_ok(), "{:?}", engine.check());
    assert_eq!(engine.volume_list().volumes.len(), 8);
    assert_eq!(engine.cluster_list().clusters.len(), 1);
    let v = engine.volume_by_name("v5_0").unwrap();
    assert!(
        v.info
            .request
            .glustervolumeoptions
            .contains(&"user.heketi.arbiter true".to_string())
    );
    // Export equals the fixture (but for the generation id, which import renews).
    let mut ours: serde_json::Value = serde_json::from_str(&engine.export_json()).unwrap();
    let mut theirs: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    for v in [&mut ours, &mut theirs] {
        v["dbattributeentries"]
            .as_object_mut()
            .unwrap()
            .remove("DB_GENERATION_ID");
    }
    assert_eq!(ours, theirs);
}

#[tokio::test]
async fn import_refuses_a_database_with_data_and_an_inconsistent_export() {
    let export: DbExport = serde_json::from_str(FIXTURE).unwrap();
    let mut broken = export.clone();
    let (_, dev) = broken.deviceentries.iter_mut().next().unwrap();
    dev.info.storage.free += 1;
    let err = Engine::import(
        EngineOptions::in_memory(),
        Arc::new(MockExecutor::new()),
        broken,
    )
    .await
    .err()
    .unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("total"), "{err}");

    let dir = crate::harness::temp_dir("import");
    let path = dir.join("db.redb");
    let e = Engine::import(
        EngineOptions::with_file(&path),
        Arc::new(MockExecutor::new()),
        export.clone(),
    )
    .await
    .unwrap();
    drop(e);
    let err = Engine::import(
        EngineOptions::with_file(&path),
        Arc::new(MockExecutor::new()),
        export,
    )
    .await
    .err()
    .unwrap();
    assert!(err.to_string().contains("not empty"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn imported_database_takes_new_volumes() {
    let export: DbExport = serde_json::from_str(FIXTURE).unwrap();
    let mock = Arc::new(MockExecutor::new());
    let engine = Engine::import(EngineOptions::in_memory(), mock.clone(), export)
        .await
        .unwrap();
    // The mock nodes know nothing of the imported VGs; create them as a real Heketi's nodes have them.
    let st = engine.state();
    let hosts: Vec<brickyard::executor::Host> = st
        .nodes
        .values()
        .map(|n| brickyard::executor::Host {
            manage: n.info.hostnames.manage[0].clone(),
            storage: n.info.hostnames.storage[0].clone(),
        })
        .collect();
    for h in &hosts {
        brickyard::executor::Executor::glusterd_check(mock.as_ref(), h)
            .await
            .unwrap();
    }
    for h in &hosts[1..] {
        brickyard::executor::Executor::peer_probe(mock.as_ref(), &hosts[0], h)
            .await
            .unwrap();
    }
    for d in st.devices.values() {
        let n = &st.nodes[&d.node_id];
        let host = brickyard::executor::Host {
            manage: n.info.hostnames.manage[0].clone(),
            storage: n.info.hostnames.storage[0].clone(),
        };
        brickyard::executor::Executor::device_setup(
            mock.as_ref(),
            &host,
            &d.info.name,
            &d.info.id,
            false,
        )
        .await
        .unwrap();
    }
    let v = engine
        .create_volume(crate::harness::replica(2, 3))
        .await
        .unwrap();
    assert_eq!(v.bricks.len(), 3);
    assert!(engine.check().is_ok());
}
