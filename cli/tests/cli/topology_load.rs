//! `topology load` against a fake server: creation, "found", failures, cleanup.

use std::path::PathBuf;

use crate::support::{Canned, Fake, fixture, run, run_heketi, scratch_dir};
use crate::transcript::{self, CLUSTER, NODES};

const TOPOLOGY: &str = r#"{"clusters":[{"nodes":[
  {"node":{"hostnames":{"manage":["127.0.0.11"],"storage":["127.0.0.11"]},"zone":1},"devices":["/dev/sdb"]},
  {"node":{"hostnames":{"manage":["127.0.0.12"],"storage":["127.0.0.12"]},"zone":2},"devices":[{"name":"/dev/sdb","destroydata":true}]},
  {"node":{"hostnames":{"manage":["127.0.0.13"],"storage":["127.0.0.13"]},"zone":3},"devices":["/dev/sdb"]}
]}]}"#;

fn topology_file(name: &str, text: &str) -> PathBuf {
    let p = scratch_dir().join(name);
    std::fs::write(&p, text).expect("write topology");
    p
}

fn empty_cluster_json() -> String {
    format!(
        r#"{{"id":"{CLUSTER}","nodes":[],"volumes":[],"block":true,"file":true,"blockvolumes":[]}}"#
    )
}

/// An empty server that accepts the transcript's cluster, nodes and devices.
/// Node add order in the file is .11, .12, .13 → NODES[1], NODES[0], NODES[2].
fn empty_server() -> Fake {
    let fake = Fake::start();
    fake.get_json("/clusters", r#"{"clusters":[]}"#);
    fake.on(
        "POST",
        "/clusters",
        vec![Canned::json(201, &empty_cluster_json())],
    );
    fake.get_json(&format!("/clusters/{CLUSTER}"), &transcript::cluster_json());
    fake.on(
        "POST",
        "/nodes",
        vec![
            Canned::accepted("n1"),
            Canned::accepted("n2"),
            Canned::accepted("n3"),
        ],
    );
    for (q, i) in [("n1", 1), ("n2", 0), ("n3", 2)] {
        fake.on(
            "GET",
            &format!("/queue/{q}"),
            vec![
                Canned::pending(),
                Canned::see_other(&format!("/nodes/{}", NODES[i])),
            ],
        );
    }
    for (i, id) in NODES.iter().enumerate() {
        fake.get_json(&format!("/nodes/{id}"), &transcript::node_json(i));
    }
    fake.on("POST", "/devices", vec![Canned::accepted("d")]);
    fake.on("GET", "/queue/d", vec![Canned::new(204, "")]);
    fake
}

#[test]
fn creates_cluster_nodes_devices_like_transcript() {
    let fake = empty_server();
    let file = topology_file("create.json", TOPOLOGY);
    let arg = format!("--json={}", file.display());
    let r = run(&fake, &["topology", "load", &arg]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, fixture("topology_load.txt"));
    assert_eq!(
        r.stderr,
        "Topology loaded: 1 cluster created, 3 nodes created, 0 unchanged, 3 devices added, 0 found, 0 failed\n"
    );
    let reqs = fake.requests();
    let cluster_post = reqs
        .iter()
        .find(|r| r.path == "/clusters" && r.method == "POST")
        .expect("post");
    assert_eq!(cluster_post.body, r#"{"block":true,"file":true}"#);
    let devices: Vec<serde_json::Value> = reqs
        .iter()
        .filter(|r| r.path == "/devices")
        .map(|r| serde_json::from_str(&r.body).expect("json"))
        .collect();
    assert_eq!(devices.len(), 3);
    assert_eq!(devices[0]["node"], NODES[1]);
    assert_eq!(devices[1]["destroydata"], true);
    // The cluster has nodes now: the deferred cleanup must not delete it.
    assert!(!fake.calls().iter().any(|c| c.starts_with("DELETE")));
}

#[test]
fn heketi_cli_mode_prints_no_summary() {
    let fake = empty_server();
    let file = topology_file("create2.json", TOPOLOGY);
    let r = run_heketi(
        &fake,
        &["topology", "load", "-j", file.to_str().expect("utf8")],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, fixture("topology_load.txt"));
    assert_eq!(r.stderr, "");
}

#[test]
fn existing_nodes_and_devices_are_found() {
    let fake = transcript::server();
    let file = topology_file("found.json", TOPOLOGY);
    let r = run(
        &fake,
        &["topology", "load", "--json", file.to_str().expect("utf8")],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let mut expected = String::new();
    for host in ["127.0.0.11", "127.0.0.12", "127.0.0.13"] {
        expected.push_str(&format!(
            "\tFound node {host} on cluster {CLUSTER}\n\t\tFound device /dev/sdb\n"
        ));
    }
    assert_eq!(r.stdout, expected);
    assert_eq!(
        r.stderr,
        "Topology loaded: 0 clusters created, 0 nodes created, 3 unchanged, 0 devices added, 3 found, 0 failed\n"
    );
    assert!(fake.calls().iter().all(|c| c.starts_with("GET")));
}

#[test]
fn failures_continue_and_set_exit_status() {
    let fake = empty_server();
    fake.on(
        "GET",
        "/queue/n2",
        vec![Canned::new(
            500,
            "Hostname 127.0.0.12 already used by node with id X\n",
        )],
    );
    fake.on(
        "POST",
        "/devices",
        vec![Canned::accepted("d"), Canned::accepted("dfail")],
    );
    fake.on(
        "GET",
        "/queue/dfail",
        vec![Canned::new(500, "Device /dev/sdb not found\n")],
    );
    let file = topology_file("fail.json", TOPOLOGY);
    let arg = format!("--json={}", file.display());
    let expected = format!(
        "Creating cluster ... ID: {CLUSTER}\n\tAllowing file volumes on cluster.\n\tAllowing block volumes on cluster.\n\
         \tCreating node 127.0.0.11 ... ID: {}\n\t\tAdding device /dev/sdb ... OK\n\
         \tCreating node 127.0.0.12 ... Unable to create node: Hostname 127.0.0.12 already used by node with id X\n\
         \tCreating node 127.0.0.13 ... ID: {}\n\t\tAdding device /dev/sdb ... Unable to add device: Device /dev/sdb not found\n",
        NODES[1], NODES[2]
    );
    let r = run(&fake, &["topology", "load", &arg]);
    assert_eq!(r.stdout, expected);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.ends_with("1 device added, 0 found, 2 failed\n"),
        "{r:?}"
    );
}

#[test]
fn failures_keep_exit_zero_as_heketi_cli() {
    let fake = empty_server();
    fake.on("GET", "/queue/d", vec![Canned::new(500, "boom\n")]);
    let file = topology_file("fail2.json", TOPOLOGY);
    let r = run_heketi(
        &fake,
        &["topology", "load", "-j", file.to_str().expect("utf8")],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout.matches("Unable to add device: boom\n").count(), 3);
}

#[test]
fn empty_created_cluster_is_removed_again() {
    let fake = Fake::start();
    fake.get_json("/clusters", r#"{"clusters":[]}"#);
    fake.on(
        "POST",
        "/clusters",
        vec![Canned::json(201, &empty_cluster_json())],
    );
    fake.get_json(&format!("/clusters/{CLUSTER}"), &empty_cluster_json());
    fake.on(
        "DELETE",
        &format!("/clusters/{CLUSTER}"),
        vec![Canned::new(200, "")],
    );
    fake.on(
        "POST",
        "/nodes",
        vec![Canned::new(400, "New Node doesn't have glusterd running\n")],
    );
    let file = topology_file(
        "one.json",
        r#"{"clusters":[{"block":false,"nodes":[{"node":{"hostnames":{"manage":["h"],"storage":["h"]},"zone":1},"devices":["/dev/sdb"]}]}]}"#,
    );
    let r = run(
        &fake,
        &["topology", "load", "-j", file.to_str().expect("utf8")],
    );
    assert_eq!(
        r.stdout,
        format!(
            "Creating cluster ... ID: {CLUSTER}\n\tAllowing file volumes on cluster.\n\tCreating node h ... Unable to create node: New Node doesn't have glusterd running\n"
        )
    );
    assert_eq!(r.code, 1);
    assert!(
        fake.calls()
            .contains(&format!("DELETE /clusters/{CLUSTER}"))
    );
    assert!(
        r.stderr.starts_with("Topology loaded: 0 clusters created"),
        "{r:?}"
    );
    let post = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/clusters" && r.method == "POST")
        .expect("post");
    assert_eq!(post.body, r#"{"block":false,"file":true}"#);
}

#[test]
fn file_errors() {
    let fake = Fake::start();
    let r = run(&fake, &["topology", "load"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (255, "Error: Missing configuration file\n")
    );
    let r = run_heketi(&fake, &["topology", "load", "--json=/nonexistent/t.json"]);
    assert_eq!(r.stderr, "Error: Unable to open config file\n");
    let bad = topology_file("bad.json", "{\"clusters\": [\n  {\"nodes\": 5}\n]}");
    let r = run_heketi(
        &fake,
        &["topology", "load", "-j", bad.to_str().expect("utf8")],
    );
    assert_eq!(r.stderr, "Error: Unable to parse config file\n");
    let r = run(
        &fake,
        &["topology", "load", "-j", bad.to_str().expect("utf8")],
    );
    assert!(
        r.stderr
            .starts_with("Error: Unable to parse config file: invalid type"),
        "{r:?}"
    );
    assert!(r.stderr.contains("line 2 column"), "{r:?}");
    assert!(fake.calls().is_empty());
}
