//! What any client may send: a request that passes validation is either carried out
//! or refused before anything is reserved; it never leaves a pending operation,
//! reserved space or a taken name behind.

use brickyard::ErrorKind;
use brickyard::api::VolumeCreateRequest;
use brickyard::executor::ExecErrorKind;
use proptest::prelude::*;

use crate::harness::*;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Names Heketi's rule `^[a-zA-Z0-9_-]+$` accepts (leading `-` often), and some it
/// does not.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "-[a-zA-Z0-9_-]{0,12}",
        "[a-zA-Z0-9_-]{1,24}",
        "[ -~]{0,8}",
        Just(String::new()),
    ]
}

/// Options: well-formed ones, gluster-unknown keys, shell metacharacters, tabs,
/// leading `-`, blanks.
fn option() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}\\.[a-z-]{1,12} [a-zA-Z0-9_.,:/=+@%*-]{1,12}",
        "-?[a-z.]{1,10}[ \t][ -~]{1,12}",
        "[ -~\t]{0,20}",
        Just("performance.cache-size 256MB".to_string()),
        Just(String::new()),
    ]
}

fn request(name: String, options: Vec<String>, kind: u8) -> VolumeCreateRequest {
    let mut r = replica(1 + i64::from(kind % 3), i64::from(kind % 4));
    r.name = name;
    r.glustervolumeoptions = options;
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever the name and options, the engine ends with no pending operation, no
    /// reserved space and the nodes agreeing with the records; a create that passed
    /// validation is never refused by the command layer's guard, and a volume that
    /// was made can be deleted, freeing its name.
    #[test]
    fn names_and_options_never_leave_reservations_behind(
        name in name(),
        options in proptest::collection::vec(option(), 0..3),
        kind in 0u8..8,
    ) {
        rt().block_on(async {
            let b = bed(3, 1).await;
            let records = b.engine.state();
            let before = nodes_view(&b.mock.nodes());
            let req = request(name, options, kind);
            match b.engine.begin_volume_create(req.clone()) {
                Err(e) => {
                    prop_assert_eq!(e.kind(), ErrorKind::InvalidInput, "{}", e);
                    prop_assert_eq!(b.engine.state(), records.clone());
                }
                Ok(created) => match created.await {
                    Ok(v) => {
                        assert_agree(&b.engine, &b.mock.nodes());
                        b.engine.delete_volume(&v.info.id).await.map_err(|e| {
                            TestCaseError::fail(format!("delete of {}: {e}", v.info.request.name))
                        })?;
                        if !req.name.is_empty() {
                            // The name is free again.
                            let again = b.engine.create_volume(req.clone()).await.map_err(|e| {
                                TestCaseError::fail(format!("create again: {e}"))
                            })?;
                            b.engine.delete_volume(&again.info.id).await.map_err(|e| {
                                TestCaseError::fail(format!("delete again: {e}"))
                            })?;
                        }
                    }
                    Err(e) => {
                        // Only gluster itself may refuse (e.g. an option key it does
                        // not know), never the guard: validation must have caught that.
                        let guard = e.exec_error().is_some_and(|x| x.kind == ExecErrorKind::Invalid);
                        prop_assert!(!guard, "validation let through what the guard refuses: {}", e);
                        prop_assert_eq!(b.engine.state(), records.clone(), "{}", e);
                    }
                },
            }
            let st = b.engine.state();
            prop_assert!(st.pending.is_empty(), "pending operations left: {:?}", st.pending);
            prop_assert!(st.volumes.is_empty() && st.bricks.is_empty());
            for d in st.devices.values() {
                prop_assert_eq!(d.info.storage.free, d.info.storage.total);
            }
            prop_assert_eq!(nodes_view(&b.mock.nodes()), before);
            let report = b.engine.cleanup_pending(None).await;
            prop_assert!(report.is_ok(), "{:?}", report.err());
            Ok(())
        })?;
    }
}

/// The case the property found first, kept as an example: a name starting with `-`
/// is refused with a clear text, and nothing is reserved.
#[tokio::test]
async fn a_name_starting_with_a_hyphen_is_refused_before_anything_is_reserved() {
    let b = bed(3, 1).await;
    let records = b.engine.state();
    let mut r = replica(1, 3);
    r.name = "-adminvol".into();
    let e = b.engine.begin_volume_create(r).err().expect("refused");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        e.to_string(),
        "validation failed: name: must not start with '-' (gluster would read it as an option)."
    );
    assert_eq!(b.engine.state(), records);
}

/// A database from before the fix may hold a create of such a name that could not be
/// undone: the cleaner now finishes it (the guard's refusal means "no such volume").
#[tokio::test]
async fn a_kept_create_of_a_hyphen_name_is_cleaned_up() {
    use brickyard::executor::Fault;
    use brickyard::{Engine, EngineOptions};

    let b = bed(3, 1).await;
    let records = b.engine.state();
    let nodes_before = nodes_view(&b.mock.nodes());
    // A create whose gluster step fails and whose undo fails too: kept for the cleaner.
    b.mock.faults().fail_matching(
        |_, cmd| cmd.contains(" volume create ") || cmd.contains(" volume delete "),
        Fault::failed(),
        false,
    );
    let mut r = replica(1, 3);
    r.name = "adminvol".into();
    let e = b.engine.create_volume(r).await.unwrap_err();
    assert!(e.to_string().contains("kept for the cleaner"), "{e}");
    b.mock.faults().clear();
    // The same records, as a database written before names were checked would hold them.
    let text = serde_json::to_string(&b.engine.state().to_export())
        .unwrap()
        .replace("\"adminvol\"", "\"-adminvol\"");
    assert!(text.contains("\"-adminvol\""));
    let export = serde_json::from_str(&text).unwrap();
    let engine = Engine::import(EngineOptions::in_memory(), b.mock.clone(), export)
        .await
        .unwrap();
    // Opening the database cleans what it finds pending.
    let report = engine.recovery_report();
    assert_eq!(report.operations.len(), 1, "{report:?}");
    assert_eq!(
        report.operations[0].outcome,
        brickyard::engine::CleanupOutcome::RolledBack,
        "{report:?}"
    );
    let st = engine.state();
    assert!(st.pending.is_empty() && st.volumes.is_empty() && st.bricks.is_empty());
    for d in st.devices.values() {
        assert_eq!(d.info.storage.free, d.info.storage.total);
    }
    assert_eq!(st.devices.len(), records.devices.len());
    assert_eq!(nodes_view(&b.mock.nodes()), nodes_before);
}
