//! Nodes managed on one network and known to gluster on another (Heketi's usual
//! topology: `manage` and `storage` host names differ).

use std::sync::Arc;

use brickyard::api::{ClusterFlags, DeviceAddRequest, HostAddresses, NodeAddRequest};
use brickyard::executor::FaultyMockExecutor;
use brickyard::{Engine, EngineOptions};

use crate::harness::*;

/// An engine over mock nodes with one empty file cluster, and the cluster's id.
async fn empty_cluster() -> (Engine, Arc<FaultyMockExecutor>, String) {
    let mock = Arc::new(FaultyMockExecutor::new());
    let engine = Engine::open(EngineOptions::in_memory(), mock.clone())
        .await
        .unwrap();
    let cluster = engine
        .create_cluster(ClusterFlags {
            block: false,
            file: true,
        })
        .unwrap()
        .id;
    (engine, mock, cluster)
}

#[tokio::test]
async fn nodes_with_separate_manage_and_storage_names_join_and_host_volumes() {
    let (engine, mock, cluster) = empty_cluster().await;
    for n in 1..=3 {
        let node = engine
            .add_node(NodeAddRequest {
                zone: n,
                hostnames: HostAddresses {
                    manage: vec![format!("node{n}-manage.lab")],
                    storage: vec![format!("node{n}-storage.lab")],
                },
                cluster: cluster.clone(),
                tags: Default::default(),
            })
            .await
            .unwrap_or_else(|e| panic!("node {n} joins: {e}"));
        engine
            .add_device(DeviceAddRequest {
                name: "/dev/sdb".into(),
                node: node.info.id.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    // One pool, whose members gluster knows by their storage names.
    let first = mock.mock().node("node1-manage.lab").unwrap();
    assert_eq!(first.storage, "node1-storage.lab");
    let mut peers = first.peers.clone();
    peers.sort();
    assert_eq!(peers, ["node2-storage.lab", "node3-storage.lab"]);
    // The node answers to its storage name too.
    assert_eq!(
        mock.mock().node("node2-storage.lab").unwrap().manage,
        "node2-manage.lab"
    );
    let vol = engine.create_volume(replica(5, 3)).await.unwrap();
    let mut hosts: Vec<String> = vol.info.mount.glusterfs.hosts.to_vec();
    hosts.sort();
    assert_eq!(
        hosts,
        [
            "node1-storage.lab",
            "node2-storage.lab",
            "node3-storage.lab"
        ]
    );
    assert_agree(&engine, &mock.nodes());
    let vol = engine.expand_volume(&vol.info.id, 5).await.unwrap();
    assert_eq!(vol.bricks.len(), 6);
    assert_agree(&engine, &mock.nodes());
    engine.delete_volume(&vol.info.id).await.unwrap();
    assert_agree(&engine, &mock.nodes());
    // A node leaves the pool by its storage name.
    let st = engine.state();
    let (id, _) = st
        .nodes
        .iter()
        .find(|(_, n)| n.info.hostnames.manage[0] == "node3-manage.lab")
        .unwrap();
    let dev = st.nodes[id].devices[0].clone();
    engine.set_device_state(&dev, "offline").await.unwrap();
    engine.set_device_state(&dev, "failed").await.unwrap();
    engine.delete_device(&dev, false).await.unwrap();
    engine.delete_node(id).await.unwrap();
    let peers = mock.mock().node("node1-manage.lab").unwrap().peers;
    assert_eq!(peers, ["node2-storage.lab"]);
}

/// Nodes added all at once into an empty cluster (as `brickyard-load` and
/// `heketi-cli topology load` in parallel do) form one gluster pool: each add chooses
/// the peer it probes from only once the adds before it are recorded. Before that, the
/// adds that started together each found the cluster empty, probed nobody, and every
/// node was a pool of its own (found by `make bench-scale`: "Host … is not in 'Peer in
/// Cluster' state" at the first volume create).
#[tokio::test]
async fn nodes_added_together_into_an_empty_cluster_form_one_pool() {
    let (engine, mock, cluster) = empty_cluster().await;
    // Every add is checked (and would have chosen its peers) before any of them runs.
    let adds: Vec<_> = (1..=6)
        .map(|n| {
            engine
                .begin_node_add(NodeAddRequest {
                    zone: n,
                    hostnames: HostAddresses {
                        manage: vec![format!("node-{n:02}")],
                        storage: vec![format!("10.1.0.{n}")],
                    },
                    cluster: cluster.clone(),
                    tags: Default::default(),
                })
                .unwrap()
        })
        .collect();
    let tasks: Vec<_> = adds.into_iter().map(tokio::spawn).collect();
    let mut nodes = Vec::new();
    for t in tasks {
        nodes.push(t.await.unwrap().expect("node joins").info.id);
    }
    for node in &nodes {
        engine
            .add_device(DeviceAddRequest {
                name: "/dev/sdb".into(),
                node: node.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    for n in 1..=6 {
        let mut peers = mock.mock().node(&format!("node-{n:02}")).unwrap().peers;
        peers.sort();
        let others: Vec<String> = (1..=6)
            .filter(|m| *m != n)
            .map(|m| format!("10.1.0.{m}"))
            .collect();
        assert_eq!(peers, others, "the pool as node-{n:02} sees it");
    }
    for _ in 0..4 {
        engine.create_volume(replica(1, 3)).await.unwrap();
    }
}
