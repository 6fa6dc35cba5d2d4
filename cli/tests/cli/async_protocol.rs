//! The asynchronous 202 → /queue protocol, 429 retries and JWT signing.

use std::time::{Duration, Instant};

use brickyard::api::{ClusterFlags, NodeAddRequest};
use brickyard_cli::client::{Client, ClientConfig, RetryPolicy, qsh};

use crate::support::{Canned, Fake, SECRET, run};
use crate::transcript;

fn node_id() -> &'static str {
    transcript::NODES[0]
}

#[test]
fn accepted_pending_see_other_then_resource() {
    let fake = transcript::server();
    fake.on("POST", "/nodes", vec![Canned::accepted("abc")]);
    fake.on(
        "GET",
        "/queue/abc",
        vec![
            Canned::pending(),
            Canned::pending(),
            Canned::see_other(&format!("/nodes/{}", node_id())),
        ],
    );
    let start = Instant::now();
    let r = run(
        &fake,
        &[
            "node",
            "add",
            "--zone=2",
            "--cluster",
            transcript::CLUSTER,
            "--management-host-name=127.0.0.12",
            "--storage-host-name=127.0.0.12",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    // Two pending answers → at least two 400 ms pauses.
    assert!(start.elapsed() >= Duration::from_millis(800));
    assert_eq!(
        r.stdout,
        format!(
            "Node information:\nNode Id: {}\nState: online\nCluster Id: {}\nZone: 2\nManagement Hostname: 127.0.0.12\nStorage Hostname: 127.0.0.12\n",
            node_id(),
            transcript::CLUSTER
        )
    );
    let reqs = fake.requests();
    let calls: Vec<String> = reqs
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        calls,
        vec![
            "POST /nodes".to_string(),
            "GET /queue/abc".into(),
            "GET /queue/abc".into(),
            "GET /queue/abc".into(),
            format!("GET /nodes/{}", node_id()),
        ]
    );
    // Every request, polls and the redirect included, carried its own valid token.
    for r in &reqs {
        let c = r.claims.as_ref().expect("valid token on every request");
        assert_eq!(c.iss, "admin");
        assert_eq!(c.qsh, qsh(&r.method, &r.path));
    }
    let body: serde_json::Value = serde_json::from_str(&reqs[0].body).expect("json");
    assert_eq!(body["zone"], 2);
    assert_eq!(body["cluster"], transcript::CLUSTER);
    assert_eq!(
        body["hostnames"]["manage"],
        serde_json::json!(["127.0.0.12"])
    );
}

#[test]
fn no_content_means_done() {
    let fake = Fake::start();
    fake.on("DELETE", "/volumes/v1", vec![Canned::accepted("q")]);
    fake.on(
        "GET",
        "/queue/q",
        vec![Canned::pending(), Canned::new(204, "")],
    );
    let r = run(&fake, &["volume", "delete", "v1"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "Volume v1 deleted\n");
}

#[test]
fn queue_failure_text_becomes_the_error() {
    let fake = Fake::start();
    fake.on("POST", "/devices", vec![Canned::accepted("q")]);
    fake.on(
        "GET",
        "/queue/q",
        vec![Canned::new(500, "Unable to add device: vgcreate failed\n")],
    );
    let r = run(&fake, &["device", "add", "--name=/dev/sdb", "--node=n1"]);
    assert_eq!(r.code, 255);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr, "Error: Unable to add device: vgcreate failed\n");
}

#[test]
fn empty_error_body_gets_go_message() {
    let fake = Fake::start();
    fake.on("DELETE", "/nodes/n1", vec![Canned::accepted("q")]);
    fake.on("GET", "/queue/q", vec![Canned::new(500, "")]);
    let r = run(&fake, &["node", "delete", "n1"]);
    assert_eq!(r.code, 255);
    assert_eq!(
        r.stderr,
        "Error: server did not provide a message (status 500: Internal Server Error)\n"
    );
}

fn fast_client(fake: &Fake) -> Client {
    let mut cfg = ClientConfig::new(fake.url.clone(), "admin", SECRET);
    cfg.poll_delay = Duration::from_millis(10);
    cfg.retry = RetryPolicy {
        attempts: 4,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(30),
    };
    Client::new(cfg)
}

#[test]
fn busy_server_is_retried() {
    let fake = Fake::start();
    let busy = Canned::new(429, "Server busy. Retry operation later.\n");
    fake.on(
        "POST",
        "/clusters",
        vec![
            busy.clone(),
            busy,
            Canned::json(201, r#"{"id":"c1","nodes":[],"volumes":[],"block":true,"file":false,"blockvolumes":[]}"#),
        ],
    );
    let c = fast_client(&fake)
        .cluster_create(&ClusterFlags {
            block: true,
            file: false,
        })
        .expect("created after retries");
    assert_eq!(c.id, "c1");
    assert_eq!(fake.calls().len(), 3);
}

#[test]
fn retries_are_bounded() {
    let fake = Fake::start();
    fake.on(
        "POST",
        "/nodes",
        vec![Canned::new(429, "Server busy. Retry operation later.\n")],
    );
    let e = fast_client(&fake)
        .node_add(&NodeAddRequest::default())
        .expect_err("still busy");
    assert_eq!(e.to_string(), "Server busy. Retry operation later.");
    assert_eq!(e.status(), Some(429));
    assert_eq!(fake.calls().len(), 4);
}

#[test]
fn queue_polls_are_retried_too() {
    let fake = Fake::start();
    fake.on("DELETE", "/blockvolumes/b1", vec![Canned::accepted("q")]);
    fake.on(
        "GET",
        "/queue/q",
        vec![
            Canned::new(429, "busy"),
            Canned::pending(),
            Canned::new(204, ""),
        ],
    );
    fast_client(&fake)
        .block_volume_delete("b1")
        .expect("deleted");
    assert_eq!(fake.calls().len(), 4);
}
