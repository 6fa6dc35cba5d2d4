//! An operation whose Finalize committed answers success, with the record as that
//! Finalize left it, whatever another request does right after.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use brickyard::ErrorKind;
use brickyard::api::VolumeInfoResponse;
use brickyard::state::State;

use crate::harness::*;

/// Polls `op` until `finalized(state)` holds while `op` has not answered yet (the
/// moment between its Finalize and its answer); `None` when `op` answered in the same
/// poll that finalized it (no moment to step in).
async fn until_finalized<F, T>(
    b: &Bed,
    op: &mut Pin<Box<F>>,
    finalized: impl Fn(&State) -> bool,
) -> Option<()>
where
    F: Future<Output = T>,
{
    for _ in 0..10_000 {
        if futures_util::poll!(op.as_mut()).is_ready() {
            return None;
        }
        if finalized(&b.engine.state()) {
            return Some(());
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    panic!("the operation neither finalized nor answered");
}

#[tokio::test]
async fn a_delete_right_after_an_expands_finalize_does_not_fail_the_expand() {
    for _ in 0..100 {
        let b = bed(3, 1).await;
        let vol = b.engine.create_volume(replica(2, 3)).await.unwrap();
        let id = vol.info.id.clone();
        let mut expand = Box::pin(b.engine.begin_volume_expand(&id, 3).unwrap());
        // While the expand runs, its volume cannot be deleted.
        if futures_util::poll!(expand.as_mut()).is_ready() {
            // Finished in one poll: no moment to step in (a finished future must not
            // be polled again).
            continue;
        }
        let st = b.engine.state();
        if st.bricks.values().any(|b| b.pending.is_pending()) {
            let refused = b.engine.begin_volume_delete(&id).err().expect("refused");
            assert_eq!(refused.kind(), ErrorKind::Conflict, "{refused}");
        }
        let done = |st: &State| {
            st.volumes
                .get(&id)
                .is_some_and(|v| v.info.request.size == 5 && !v.pending.is_pending())
                && st.bricks.values().all(|b| !b.pending.is_pending())
        };
        if until_finalized(&b, &mut expand, done).await.is_none() {
            continue;
        }
        // Finalize committed (in memory), the answer not given yet: delete now.
        let delete = b.engine.begin_volume_delete(&id).expect("delete accepted");
        let answer: VolumeInfoResponse = expand
            .await
            .expect("an expand whose Finalize committed answers success");
        assert_eq!(answer.info.id, id);
        assert_eq!(answer.info.request.size, 5);
        assert_eq!(answer.bricks.len(), 6);
        delete.await.unwrap();
        assert!(b.engine.state().volumes.is_empty());
        assert_agree(&b.engine, &b.mock.nodes());
        return;
    }
    panic!("never caught an expand between its Finalize and its answer");
}

#[tokio::test]
async fn a_delete_right_after_a_creates_finalize_does_not_fail_the_create() {
    for _ in 0..100 {
        let b = bed(3, 1).await;
        let mut create = Box::pin(b.engine.begin_volume_create(replica(2, 3)).unwrap());
        let done = |st: &State| {
            st.volumes.values().any(|v| !v.pending.is_pending()) && st.pending.is_empty()
        };
        if until_finalized(&b, &mut create, done).await.is_none() {
            continue;
        }
        let id = b.engine.volume_list().volumes[0].clone();
        let delete = b.engine.begin_volume_delete(&id).expect("delete accepted");
        let answer = create
            .await
            .expect("a create whose Finalize committed answers success");
        assert_eq!(answer.info.id, id);
        assert_eq!(answer.bricks.len(), 3);
        delete.await.unwrap();
        assert_agree(&b.engine, &b.mock.nodes());
        return;
    }
    panic!("never caught a create between its Finalize and its answer");
}

#[tokio::test]
async fn a_delete_right_after_a_node_adds_finalize_does_not_fail_the_add() {
    for i in 0..100 {
        let b = bed(3, 1).await;
        let cluster = b.engine.cluster_list().clusters[0].clone();
        let host = format!("10.0.1.{}", i + 1);
        let req = brickyard::api::NodeAddRequest {
            zone: 1,
            hostnames: brickyard::api::HostAddresses {
                manage: vec![host.clone()],
                storage: vec![host.clone()],
            },
            cluster,
            tags: Default::default(),
        };
        let mut add = Box::pin(b.engine.begin_node_add(req).unwrap());
        let done = |st: &State| st.nodes.len() == 4;
        if until_finalized(&b, &mut add, done).await.is_none() {
            continue;
        }
        let st = b.engine.state();
        let (id, _) = st
            .nodes
            .iter()
            .find(|(_, n)| n.info.hostnames.manage[0] == host)
            .unwrap();
        let delete = b.engine.begin_node_delete(id).expect("delete accepted");
        let answer = add
            .await
            .expect("a node add whose Finalize committed answers success");
        assert_eq!(&answer.info.id, id);
        delete.await.unwrap();
        return;
    }
    panic!("never caught a node add between its Finalize and its answer");
}
