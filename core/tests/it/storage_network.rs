//! Nodes managed on one network and known to gluster on another (Heketi's usual
//! topology: `manage` and `storage` host names differ).

use std::sync::Arc;

use brickyard::api::{ClusterFlags, DeviceAddRequest, HostAddresses, NodeAddRequest};
use brickyard::executor::FaultyMockExecutor;
use brickyard::{Engine, EngineOptions};

use crate::harness::*;

#[tokio::test]
async fn nodes_with_separate_manage_and_storage_names_join_and_host_volumes() {
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
