use brickyard::topology::TopologyFile;

use crate::harness::*;

#[tokio::test]
async fn applying_the_same_topology_twice_changes_nothing() {
    let b = bed(3, 2).await;
    let before = b.engine.state();
    let report = b.engine.apply_topology(&topology(3, 2)).await.unwrap();
    assert!(!report.changed(), "{report:?}");
    assert_eq!(report.existing("node"), 3);
    assert_eq!(report.existing("device"), 6);
    assert_eq!(b.engine.state(), before);
}

#[tokio::test]
async fn fixture_topology_loads_with_sizes_read_from_the_nodes() {
    let b = bed(0, 0).await;
    let file = TopologyFile::parse(include_str!("../fixtures/topology-3nodes.json")).unwrap();
    let report = b.engine.apply_topology(&file).await.unwrap();
    assert_eq!(
        report.summary(),
        "1 clusters created, 3 nodes created, 0 nodes unchanged, 3 devices added, 0 devices unchanged, 0 failed"
    );
    let st = b.engine.state();
    for d in st.devices.values() {
        assert!(
            d.info.storage.total > 499 * 1024 * 1024 && d.info.storage.total <= 500 * 1024 * 1024,
            "{:?}",
            d.info.storage
        );
        assert_eq!(d.extent_size, 4096);
    }
    assert_agree(&b.engine, &b.mock.nodes());
}

#[tokio::test]
async fn failures_are_reported_not_hidden() {
    let b = bed(3, 1).await;
    b.mock
        .mock()
        .set_device_missing("10.0.0.1", "/dev/sdz", true);
    let file = TopologyFile::parse(
        r#"{"clusters":[{"nodes":[{"node":{"hostnames":{"manage":["10.0.0.1"],"storage":["10.0.0.1"]},"zone":1},"devices":["/dev/sdz","/dev/sdy"]}]}]}"#,
    )
    .unwrap();
    let report = b.engine.apply_topology(&file).await.unwrap();
    assert_eq!(report.failed(), 1, "{report:?}");
    assert_eq!(report.created("device"), 1);
}
