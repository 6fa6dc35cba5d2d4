//! The state file: what a reopened file gives back, what is (not) written, damage.

use super::*;
use crate::executor::{BrickFormat, BrickRequest, Executor, Host, MockExecutor};

const GIB: u64 = 1024 * 1024;

fn temp_file(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "brickyard-journal-{tag}-{}-{}",
        std::process::id(),
        crate::id::new_id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("mock-nodes.journal")
}

fn brick(id: &str, size: u64) -> BrickRequest {
    BrickRequest {
        vg_id: "d1".into(),
        brick_id: id.into(),
        size,
        tp_size: size,
        pool_metadata_size: 53248,
        gid: 0,
        format: BrickFormat::Normal,
        snapshot: None,
    }
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).unwrap().lines().count()
}

/// Two nodes in one pool, a device each, two bricks on the first, one destroyed.
async fn build(e: &MockExecutor) {
    let (a, b) = (Host::new("m1", "s1"), Host::new("m2", "s2"));
    e.mock().add_node("m1", "s1");
    e.mock().add_node("m2", "s2");
    e.mock().set_device_size("m1", "/dev/sdb", 20 * GIB);
    e.device_setup(&a, "/dev/sdb", "d1", false).await.unwrap();
    e.device_setup(&b, "/dev/sdc", "d2", false).await.unwrap();
    e.peer_probe(&a, &b).await.unwrap();
    e.brick_create(&a, &brick("b1", GIB)).await.unwrap();
    e.brick_create(&a, &brick("b2", 2 * GIB)).await.unwrap();
    e.brick_destroy(&a, &brick("b1", GIB)).await.unwrap();
}

#[tokio::test]
async fn a_reopened_state_file_gives_back_the_nodes_exactly() {
    let path = temp_file("reopen");
    let e = MockExecutor::durable(MockConfig::default(), &path).unwrap();
    build(&e).await;
    let before = e.nodes();
    assert_eq!(before.len(), 2);
    drop(e);

    let again = MockExecutor::durable(MockConfig::default(), &path).unwrap();
    assert_eq!(again.nodes(), before);
    // The inspection copy sees the same, and writes nothing.
    let n = lines(&path);
    assert_eq!(MockTransport::load_durable(&path).unwrap().nodes(), before);
    assert_eq!(lines(&path), n);
    // Later changes continue the file: a third open sees them.
    again
        .brick_create(&Host::new("m1", "s1"), &brick("b3", GIB))
        .await
        .unwrap();
    let after = again.nodes();
    assert_ne!(after, before);
    drop(again);
    assert_eq!(MockTransport::load_durable(&path).unwrap().nodes(), after);
}

#[tokio::test]
async fn queries_are_not_written_but_a_first_contact_is() {
    let path = temp_file("queries");
    let e = MockExecutor::durable(MockConfig::default(), &path).unwrap();
    build(&e).await;
    let n = lines(&path);
    let m = e.mock();
    m.run_command(
        "m1",
        "lvm lvs --noheadings --options=data_percent,metadata_percent vg_d1/tp_b2",
    );
    m.run_command(
        "m1",
        "gluster --mode=script --timeout=600 volume info --xml",
    );
    m.run_command("m1", "pidof glusterd");
    assert_eq!(lines(&path), n, "queries must not be journaled");
    // A query's first contact creates the node: that is journaled and replayed.
    m.run_command("m9", "pidof glusterd");
    assert_eq!(lines(&path), n + 1);
    let nodes = e.nodes();
    drop(e);
    let again = MockTransport::load_durable(&path).unwrap();
    assert_eq!(again.nodes(), nodes);
    assert!(again.node("m9").is_some());
}

#[tokio::test]
async fn a_torn_last_line_is_dropped_and_a_damaged_one_named() {
    let path = temp_file("torn");
    let e = MockExecutor::durable(MockConfig::default(), &path).unwrap();
    build(&e).await;
    let nodes = e.nodes();
    drop(e);
    // A crash in the middle of a write: half a line without its newline.
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(br#"{"k":"run","host":"m1","cmd":"lvm lvremove -f vg_d1/tp_b2"#)
        .unwrap();
    drop(f);
    assert_eq!(MockTransport::load_durable(&path).unwrap().nodes(), nodes);
    let e = MockExecutor::durable(MockConfig::default(), &path).unwrap();
    assert_eq!(e.nodes(), nodes);
    // The torn bytes are gone from the file, so a new line is not glued to them.
    e.mock().set_device_missing("m2", "/dev/sdd", true);
    drop(e);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'));
    assert!(MockTransport::load_durable(&path).is_ok());

    // A complete line that is not an entry: refused with its line number.
    let n = lines(&path);
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"{\"k\":\"explode\"}\n").unwrap();
    drop(f);
    let err = MockExecutor::durable(MockConfig::default(), &path)
        .err()
        .expect("a damaged file is refused");
    assert!(
        matches!(&err, MockStateError::Corrupt { line, .. } if *line == n + 1),
        "{err}"
    );
    assert!(err.to_string().contains("move it away"), "{err}");
}

#[tokio::test]
async fn the_settings_of_the_file_shape_the_nodes_it_made() {
    let path = temp_file("config");
    let small = MockConfig {
        default_device_size_kib: 10 * GIB,
        ..MockConfig::default()
    };
    let e = MockExecutor::durable(small, &path).unwrap();
    e.device_setup(&Host::new("m1", "m1"), "/dev/sdb", "d1", false)
        .await
        .unwrap();
    let nodes = e.nodes();
    drop(e);
    // Reopened with another default size: the existing disk keeps its size, a new one
    // gets the new size.
    let big = MockExecutor::durable(MockConfig::default(), &path).unwrap();
    assert_eq!(big.nodes(), nodes);
    let info = big
        .device_setup(&Host::new("m1", "m1"), "/dev/sdc", "d2", false)
        .await
        .unwrap();
    assert!(info.total > 100 * GIB);
    let nodes = big.nodes();
    drop(big);
    let again = crate::executor::FaultyMockExecutor::durable(MockConfig::default(), &path).unwrap();
    assert_eq!(again.nodes(), nodes);
}

#[test]
fn query_classification() {
    for q in [
        "lvm lvs --noheadings",
        "/usr/sbin/lvm pvs -o pv_name",
        "sudo lvm vgdisplay -c vg_1",
        "gluster --mode=script --timeout=600 volume info v --xml",
        "gluster --mode=script volume heal v info --xml",
        "pidof glusterd",
        "systemctl status glusterd",
        "udevadm info --query=symlink --name=/dev/sdb",
    ] {
        assert!(is_query(q), "{q}");
    }
    for c in [
        "lvm lvcreate -qq --autobackup=n",
        "gluster --mode=script volume create v",
        "gluster --mode=script volume heal v",
        "mkdir -p /x",
        "umount /x",
    ] {
        assert!(!is_query(c), "{c}");
    }
}
