use brickyard::ErrorKind;
use brickyard::api::{ClusterFlags, TagsChangeRequest, TagsChangeType, VolumeCreateRequest};
use brickyard::executor::Fault;
use brickyard::state::State;

use crate::harness::*;

#[tokio::test]
async fn replica3_create_expand_delete_leaves_nodes_as_before() {
    let b = bed(3, 2).await;
    let before = nodes_view(&b.mock.nodes());
    let vol = b.engine.create_volume(replica(10, 3)).await.unwrap();
    assert_eq!(vol.bricks.len(), 3);
    assert_eq!(vol.info.request.durability.replicate.replica, 3);
    let nodes: std::collections::BTreeSet<_> = vol.bricks.iter().map(|b| b.node.clone()).collect();
    assert_eq!(nodes.len(), 3, "replica bricks on distinct nodes");
    assert!(
        vol.info
            .mount
            .glusterfs
            .mount_point
            .ends_with(&format!(":{}", vol.info.request.name))
    );
    assert_agree(&b.engine, &b.mock.nodes());
    let gv = b.mock.nodes()[0]
        .volume(&vol.info.request.name)
        .cloned()
        .expect("gluster volume exists");
    assert_eq!(gv.status, "Started");

    let vol = b.engine.expand_volume(&vol.info.id, 5).await.unwrap();
    assert_eq!(vol.info.request.size, 15);
    assert_eq!(vol.bricks.len(), 6);
    assert_agree(&b.engine, &b.mock.nodes());

    b.engine.delete_volume(&vol.info.id).await.unwrap();
    assert_agree(&b.engine, &b.mock.nodes());
    assert_eq!(
        nodes_view(&b.mock.nodes()),
        before,
        "nodes exactly as before"
    );
    assert!(b.engine.volume_list().volumes.is_empty());
    for d in b.engine.state().devices.values() {
        assert_eq!(d.info.storage.free, d.info.storage.total);
    }
}

#[tokio::test]
async fn failed_brick_create_leaves_records_and_nodes_as_before() {
    let b = bed(3, 1).await;
    let state_before = b.engine.state();
    let nodes_before = nodes_view(&b.mock.nodes());
    // The third brick's mkfs fails.
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let s = seen.clone();
    b.mock.faults().fail_matching(
        move |_, cmd| {
            cmd.contains("mkfs.xfs") && s.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 2
        },
        Fault::failed(),
        true,
    );
    let err = b.engine.create_volume(replica(1, 3)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Exec, "{err}");
    assert!(
        err.to_string().contains("mkfs.xfs"),
        "the error names the command: {err}"
    );
    assert_eq!(b.engine.state(), state_before, "records exactly as before");
    assert_eq!(
        nodes_view(&b.mock.nodes()),
        nodes_before,
        "nodes exactly as before"
    );
}

#[tokio::test]
async fn failed_gluster_create_is_rolled_back() {
    let b = bed(3, 1).await;
    let state_before = b.engine.state();
    let nodes_before = nodes_view(&b.mock.nodes());
    b.mock
        .faults()
        .fail_matching(|_, cmd| cmd.contains("volume start"), Fault::failed(), true);
    let err = b.engine.create_volume(replica(2, 3)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Exec, "{err}");
    assert_eq!(b.engine.state(), state_before);
    assert_eq!(nodes_view(&b.mock.nodes()), nodes_before);
}

/// A bed with one replica-3 volume: the volume's id, and the records and the nodes as
/// they are then.
async fn bed_with_volume() -> (Bed, String, State, NodesView) {
    let b = bed(3, 2).await;
    let vol = b.engine.create_volume(replica(2, 3)).await.unwrap();
    let (records, nodes) = (b.engine.state(), nodes_view(&b.mock.nodes()));
    (b, vol.info.id, records, nodes)
}

#[tokio::test]
async fn failed_gluster_expand_is_rolled_back() {
    let (b, id, records_before, nodes_before) = bed_with_volume().await;
    b.mock
        .faults()
        .fail_matching(|_, cmd| cmd.contains("add-brick"), Fault::failed(), true);
    let err = b.engine.expand_volume(&id, 2).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Exec, "{err}");
    assert!(err.to_string().contains("add-brick"), "{err}");
    assert_eq!(
        b.engine.state(),
        records_before,
        "records exactly as before"
    );
    assert_eq!(nodes_view(&b.mock.nodes()), nodes_before, "nodes as before");
}

#[tokio::test]
async fn failed_brick_create_of_an_expand_is_rolled_back() {
    let (b, id, records_before, nodes_before) = bed_with_volume().await;
    b.mock
        .faults()
        .fail_matching(|_, cmd| cmd.contains("mkfs.xfs"), Fault::failed(), true);
    let err = b.engine.expand_volume(&id, 2).await.unwrap_err();
    assert!(err.to_string().contains("mkfs.xfs"), "{err}");
    assert_eq!(b.engine.state(), records_before);
    assert_eq!(nodes_view(&b.mock.nodes()), nodes_before);
}

#[tokio::test]
async fn expand_that_cannot_be_undone_is_kept_for_the_cleaner() {
    let (b, id, records_before, nodes_before) = bed_with_volume().await;
    // add-brick fails, and the rollback cannot reach the node of the first new brick.
    let node = &b.engine.volume_info(&id).unwrap().bricks[0].node;
    let victim = b.engine.node_info(node).unwrap().info.hostnames.manage[0].clone();
    b.mock
        .faults()
        .fail_matching(|_, cmd| cmd.contains("add-brick"), Fault::failed(), true);
    b.mock.faults().fail_matching(
        move |host, cmd| host == victim && cmd.starts_with("umount"),
        Fault::Unreachable,
        false,
    );
    let err = b
        .engine
        .expand_volume(&id, 2)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("volume expand failed and could not be fully undone"),
        "{err}"
    );
    assert!(err.contains("kept for the cleaner"), "{err}");
    let ops = b.engine.operations_info();
    assert_eq!((ops.total, ops.failed), (1, 1));
    b.mock.faults().clear();
    b.engine.cleanup_pending(None).await.unwrap();
    assert_eq!(b.engine.state(), records_before);
    assert_eq!(nodes_view(&b.mock.nodes()), nodes_before);
}

#[tokio::test]
async fn unreachable_first_node_falls_back_for_gluster_commands() {
    let b = bed(4, 1).await;
    let vol = b.engine.create_volume(replica(1, 2)).await.unwrap();
    // Make a node that holds no brick of the volume unreachable: delete still works.
    let st = b.engine.state();
    let used: std::collections::BTreeSet<_> = vol.bricks.iter().map(|b| b.node.clone()).collect();
    let idle = st
        .nodes
        .values()
        .find(|n| !used.contains(&n.info.id))
        .unwrap();
    b.mock
        .faults()
        .set_unreachable(&idle.info.hostnames.manage[0], true);
    b.engine.delete_volume(&vol.info.id).await.unwrap();
    b.mock.faults().clear();
    assert_agree(&b.engine, &b.mock.nodes());
}

#[tokio::test]
async fn no_space_explains_itself_and_changes_nothing() {
    let b = bed(2, 1).await;
    let before = b.engine.state();
    let err = b.engine.create_volume(replica(1, 3)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoSpace);
    let text = err.to_string();
    assert!(text.starts_with("No space"), "{text}");
    assert!(text.len() > "No space".len() + 10, "explains why: {text}");
    assert_eq!(b.engine.state(), before);
}

#[tokio::test]
async fn plan_and_create_agree() {
    let b = bed(4, 3).await;
    let req = replica(20, 3);
    let plan = b.engine.plan_volume(&req).unwrap();
    let vol = b.engine.create_volume(req).await.unwrap();
    let planned: Vec<(String, u64)> = plan
        .sets
        .iter()
        .flatten()
        .map(|p| (p.device.clone(), p.size))
        .collect();
    let created: Vec<(String, u64)> = vol
        .bricks
        .iter()
        .map(|b| (b.device.clone(), b.size))
        .collect();
    assert_eq!(planned, created);
}

#[tokio::test]
async fn heketi_validation_texts_and_conflicts() {
    let b = bed(3, 1).await;
    let e = b
        .engine
        .create_volume(VolumeCreateRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "validation failed: size: cannot be blank.");
    let mut r = replica(1, 3);
    r.clusters = vec!["0123456789abcdef0123456789abcdef".into()];
    let e = b.engine.create_volume(r).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Cluster id 0123456789abcdef0123456789abcdef not found"
    );
    let mut r = replica(1, 3);
    r.name = "data".into();
    b.engine.create_volume(r.clone()).await.unwrap();
    let e = b.engine.create_volume(r).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    // Heketi's text, quotes included (clients match it).
    assert_eq!(e.to_string(), "Volume name 'data' already in use");
    let cid = b.engine.cluster_list().clusters[0].clone();
    let e = b.engine.delete_cluster(&cid).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("Unable to delete cluster [{cid}] because it contains volumes and/or nodes")
    );
    assert_eq!(
        b.engine.volume_info("00").unwrap_err().to_string(),
        "Id not found"
    );
}

#[tokio::test]
async fn cluster_flags_restrict_volume_kinds() {
    let b = bed(3, 1).await;
    let cid = b.engine.cluster_list().clusters[0].clone();
    b.engine
        .set_cluster_flags(
            &cid,
            ClusterFlags {
                block: true,
                file: false,
            },
        )
        .unwrap();
    let e = b.engine.create_volume(replica(1, 3)).await.unwrap_err();
    assert!(e.to_string().contains("does not allow file volumes"), "{e}");
}

#[tokio::test]
async fn device_states_and_tags() {
    let b = bed(3, 1).await;
    let st = b.engine.state();
    let dev = st.devices.keys().next().unwrap().clone();
    let e = b.engine.set_device_state(&dev, "failed").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("Device must be offline before remove operation is performed, device:{dev}")
    );
    b.engine.set_device_state(&dev, "offline").await.unwrap();
    // Offline devices take no bricks: replica 3 on 3 nodes no longer fits.
    assert_eq!(
        b.engine
            .create_volume(replica(1, 3))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NoSpace
    );
    b.engine.set_device_state(&dev, "online").await.unwrap();
    let mut tags = brickyard::api::Tags::new();
    tags.insert("tier".into(), "ssd".into());
    let t = b
        .engine
        .set_device_tags(
            &dev,
            &TagsChangeRequest {
                tags,
                change_type: TagsChangeType::Update,
            },
        )
        .unwrap();
    assert_eq!(t.get("tier").map(String::as_str), Some("ssd"));
    let mut r = replica(1, 1);
    r.glustervolumeoptions = vec!["user.heketi.device-tag-match tier=ssd".into()];
    let vol = b.engine.create_volume(r).await.unwrap();
    assert_eq!(vol.bricks[0].device, dev);
    // Remove and delete an empty device.
    let other = st.devices.keys().nth(1).unwrap().clone();
    b.engine.set_device_state(&other, "offline").await.unwrap();
    b.engine.set_device_state(&other, "failed").await.unwrap();
    b.engine.delete_device(&other, false).await.unwrap();
    assert!(b.engine.device_info(&other).is_err());
    assert_agree(&b.engine, &b.mock.nodes());
}

#[tokio::test]
async fn node_add_refuses_used_hostnames_and_delete_needs_no_devices() {
    let b = bed(3, 1).await;
    let st = b.engine.state();
    let node = st.nodes.values().next().unwrap().clone();
    let req = brickyard::api::NodeAddRequest {
        zone: 1,
        hostnames: node.info.hostnames.clone(),
        cluster: node.info.cluster.clone(),
        tags: Default::default(),
    };
    let e = b.engine.add_node(req).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert!(e.to_string().starts_with("Hostname "), "{e}");
    let e = b.engine.delete_node(&node.info.id).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "Unable to delete node [{}] because it contains devices",
            node.info.id
        )
    );
}

#[tokio::test]
async fn concurrent_creates_all_land() {
    let b = bed(6, 4).await;
    let mut futs = Vec::new();
    for _ in 0..9 {
        futs.push(b.engine.begin_volume_create(replica(5, 3)).unwrap());
    }
    let results = futures_util::future::join_all(futs).await;
    for r in results {
        r.unwrap();
    }
    assert_eq!(b.engine.volume_list().volumes.len(), 9);
    assert_agree(&b.engine, &b.mock.nodes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_committed_creates_are_all_durable() {
    let dir = temp_dir("group");
    let path = dir.join("db.redb");
    let b = bed_with(brickyard::EngineOptions::with_file(&path), 6, 4).await;
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let fut = b.engine.begin_volume_create(replica(2, 3)).unwrap();
        tasks.push(tokio::spawn(fut));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let in_memory = b.engine.state();
    drop(b.engine);
    let reopened =
        brickyard::Engine::open(brickyard::EngineOptions::with_file(&path), b.mock.clone())
            .await
            .unwrap();
    assert_eq!(
        reopened.state(),
        in_memory,
        "what memory showed is exactly what is on disk"
    );
    assert_eq!(reopened.volume_list().volumes.len(), 24);
    assert_agree(&reopened, &b.mock.nodes());
    drop(reopened);
    std::fs::remove_dir_all(&dir).unwrap();
}
