//! The JSON the engine writes straight from memory for the big reads (`GET /volumes`,
//! `GET /clusters/{id}`, `GET /nodes/{id}`, the topology pieces), and its cached copy,
//! equal the serialisation of the answers built the ordinary way, after every step of
//! creates, a pending create, expands and deletes (a cache kept across a change would
//! answer the step before).

use brickyard::Engine;

use crate::harness::{bed, replica};

fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("serialises")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every prepared answer against the freshly built one.
fn assert_same_answers(engine: &Engine, step: &str) {
    assert_eq!(
        text(&engine.volume_list_json()),
        text(&json(&engine.volume_list())),
        "GET /volumes after {step}"
    );
    // A second read without a change in between comes from the engine's cache.
    assert_eq!(
        text(&engine.volume_list_json()),
        text(&json(&engine.volume_list())),
        "GET /volumes again after {step}"
    );
    let clusters = engine.cluster_list().clusters;
    for id in &clusters {
        let info = engine.cluster_info(id).expect("cluster");
        for again in ["", " again"] {
            assert_eq!(
                text(&engine.cluster_info_json(id).expect("cluster")),
                text(&json(&info)),
                "GET /clusters/{id}{again} after {step}"
            );
        }
        for node in &info.nodes {
            for again in ["", " again"] {
                assert_eq!(
                    text(&engine.node_info_json(node).expect("node")),
                    text(&json(&engine.node_info(node).expect("node"))),
                    "GET /nodes/{node}{again} after {step}"
                );
            }
        }
    }
    // The topology from its pieces, as the server streams it.
    let mut streamed = b"{\"clusters\":[".to_vec();
    for (i, c) in engine.topology_outline().iter().enumerate() {
        if i > 0 {
            streamed.push(b',');
        }
        streamed.extend_from_slice(brickyard::engine::TopologyOutline::HEAD);
        let mut first = true;
        for piece in c.volumes.chunks(2) {
            engine.volume_infos_json(piece, &mut first, &mut streamed);
        }
        streamed.extend_from_slice(brickyard::engine::TopologyOutline::MIDDLE);
        let mut first = true;
        for piece in c.nodes.chunks(2) {
            engine.node_infos_json(piece, &mut first, &mut streamed);
        }
        streamed.extend_from_slice(&c.tail());
    }
    streamed.extend_from_slice(b"]}");
    assert_eq!(
        text(&streamed),
        text(&json(&engine.topology_info())),
        "topology after {step}"
    );
    // Unknown ids are 404s, as for the built answers.
    let unknown = "0".repeat(32);
    assert!(engine.cluster_info_json(&unknown).is_err());
    assert!(engine.node_info_json(&unknown).is_err());
}

#[tokio::test]
async fn prepared_answers_equal_built_answers_through_creates_expands_and_deletes() {
    let b = bed(4, 2).await;
    let engine = &b.engine;
    assert_same_answers(engine, "the topology");
    let mut ids = Vec::new();
    for i in 0..6 {
        let mut req = replica(1 + i % 3, if i % 2 == 0 { 3 } else { 2 });
        if i == 4 {
            req.name = "named_volume".into();
        }
        // Records the answer does not show as they are: gluster options (kept apart
        // from the request's) and a cluster list (cleared in answers).
        if i == 2 {
            req.glustervolumeoptions = vec!["performance.readdir-ahead on".into()];
        }
        if i == 3 {
            req.clusters = engine.cluster_list().clusters;
        }
        let v = engine.create_volume(req).await.expect("create");
        ids.push(v.info.id);
        assert_same_answers(engine, &format!("create {i}"));
    }

    // A create whose Build is done but whose volume is still pending.
    let create = engine
        .begin_volume_create(replica(2, 3))
        .expect("create accepted");
    assert_eq!(engine.volume_list().volumes.len(), ids.len());
    assert_same_answers(engine, "a pending create");
    ids.push(create.await.expect("create").info.id);
    assert_same_answers(engine, "the pending create finished");

    engine.expand_volume(&ids[1], 2).await.expect("expand");
    assert_same_answers(engine, "an expand");

    // A delete in flight: the volume is listed until it is gone.
    let delete = engine
        .begin_volume_delete(&ids[0])
        .expect("delete accepted");
    assert_same_answers(engine, "a delete in flight");
    delete.await.expect("delete");
    assert_same_answers(engine, "a delete");
    for id in &ids[2..4] {
        engine.delete_volume(id).await.expect("delete");
    }
    assert_same_answers(engine, "more deletes");
    assert_eq!(engine.volume_list().volumes.len(), ids.len() - 3);
}
