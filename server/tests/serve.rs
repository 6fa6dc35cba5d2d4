//! `serve::start` in-process on `127.0.0.1:0`, driven over real TCP.

use std::path::{Path, PathBuf};
use std::time::Duration;

use brickyard_server::ServeOptions;
use brickyard_server::serve::{ServeError, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "brickyard-serve-{tag}-{}-{}",
            std::process::id(),
            brickyard::id::new_id()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn options(config: &Path, db: &Path) -> ServeOptions {
    ServeOptions {
        config: Some(config.to_path_buf()),
        disable_auth: false,
        listen: Some("127.0.0.1:0".into()),
        db: Some(db.to_path_buf()),
        install_logging: false,
        handle_signals: false,
        drain_timeout: Duration::from_secs(5),
        hooks_loader: None,
    }
}

/// One HTTP/1.1 request; returns the status code and the body.
async fn http(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_over_tcp_and_keeps_its_records_across_restarts() {
    let dir = TempDir::new("e2e");
    let config = dir.path("heketi.json");
    std::fs::write(
        &config,
        r#"{"port": "8080", "use_auth": false,
            "glusterfs": {"executor": "mock", "disable_background_cleaner": true}}"#,
    )
    .expect("config");
    let db = dir.path("brickyard.db");

    let server = start(options(&config, &db)).await.expect("starts");
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0);
    assert_eq!(
        http(addr, "GET", "/hello", "").await,
        (200, "Hello from Heketi".into())
    );
    let (status, body) = http(addr, "POST", "/clusters", r#"{"file":true}"#).await;
    assert_eq!(status, 201, "{body}");
    let id: String = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_string))
        .expect("cluster id");
    let (status, body) = http(
        addr,
        "POST",
        "/nodes",
        &format!(
            r#"{{"zone":1,"cluster":"{id}","hostnames":{{"manage":["n1"],"storage":["n1"]}}}}"#
        ),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let (status, _) = http(addr, "GET", "/metrics", "").await;
    assert_eq!(status, 200);
    let report = server.shutdown().await.expect("clean shutdown");
    assert!(report.drained);
    assert!(report.still_running.is_empty());

    let server = start(options(&config, &db)).await.expect("restarts");
    let (status, body) = http(server.local_addr(), "GET", &format!("/clusters/{id}"), "").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"nodes\":[\""),
        "the node added before the restart: {body}"
    );
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn refuses_heketi_bolt_files_and_missing_executors() {
    let dir = TempDir::new("refuse");
    let config = dir.path("heketi.json");
    std::fs::write(&config, r#"{"glusterfs": {"executor": "mock"}}"#).expect("config");
    let bolt = dir.path("heketi.db");
    let mut bytes = vec![0u8; 4096];
    bytes[16..20].copy_from_slice(&[0xED, 0xDA, 0x0C, 0xED]);
    std::fs::write(&bolt, &bytes).expect("bolt file");
    let err = start(options(&config, &bolt)).await.expect_err("refused");
    assert!(matches!(err, ServeError::BoltDb { .. }));
    let text = err.to_string();
    assert!(
        text.contains("heketi db export") && text.contains("brickyard db import"),
        "{text}"
    );

    std::fs::write(
        &config,
        r#"{"glusterfs": {"executor": "ssh", "sshexec": {"keyfile": "/nonexistent/key"}}}"#,
    )
    .expect("config");
    let err = start(options(&config, &dir.path("b.db")))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("/nonexistent/key"), "{err}");

    std::fs::write(
        &config,
        r#"{"use_auth": true, "glusterfs": {"executor": "mock"}}"#,
    )
    .expect("config");
    let err = start(options(&config, &dir.path("c.db")))
        .await
        .expect_err("refused");
    assert_eq!(err.to_string(), "Missing JWT information in config file");
}

/// One HTTP/1.1 request; returns the status code, the `Location` header and the body.
async fn http_loc(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, Option<String>, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let location = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("location")
            .then(|| v.trim().to_string())
    });
    (status, location, body.to_string())
}

/// Sends an asynchronous request and follows the queue to its result's location.
async fn async_op(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> String {
    let (status, location, text) = http_loc(addr, method, path, body).await;
    assert_eq!(status, 202, "{method} {path}: {text}");
    let queue = location.expect("queue location");
    for _ in 0..500 {
        let (status, location, text) = http_loc(addr, "GET", &queue, "").await;
        match status {
            200 => tokio::time::sleep(Duration::from_millis(10)).await,
            303 => return location.expect("result location"),
            204 => return String::new(),
            _ => panic!("{method} {path} failed: {status} {text}"),
        }
    }
    panic!("{method} {path} did not finish");
}

/// `glusterfs.mock_state_file`: the mock nodes are loaded from the file, not rebuilt
/// from the records, when it exists; a new file beside an existing database starts
/// with the nodes the records describe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_nodes_come_from_their_state_file_not_from_the_records() {
    use brickyard::executor::MockTransport;
    let dir = TempDir::new("mockstate");
    let config = dir.path("heketi.json");
    let state = dir.path("mock-nodes.journal");
    let write_config = |state_file: Option<&Path>| {
        let key = state_file
            .map(|p| format!(r#", "mock_state_file": {:?}"#, p.display().to_string()))
            .unwrap_or_default();
        std::fs::write(
            &config,
            format!(
                r#"{{"use_auth": false, "glusterfs": {{"executor": "mock", "disable_background_cleaner": true{key}}}}}"#
            ),
        )
        .expect("config");
    };
    write_config(Some(&state));
    let db = dir.path("brickyard.db");

    let server = start(options(&config, &db)).await.expect("starts");
    let addr = server.local_addr();
    let (status, body) = http(addr, "POST", "/clusters", r#"{"file":true}"#).await;
    assert_eq!(status, 201, "{body}");
    let cluster: serde_json::Value = serde_json::from_str(&body).expect("json");
    let node = async_op(
        addr,
        "POST",
        "/nodes",
        &format!(
            r#"{{"zone":1,"cluster":{},"hostnames":{{"manage":["n1"],"storage":["n1"]}}}}"#,
            cluster["id"]
        ),
    )
    .await;
    let node_id = node.trim_start_matches("/nodes/");
    async_op(
        addr,
        "POST",
        "/devices",
        &format!(r#"{{"node":"{node_id}","name":"/dev/sdb"}}"#),
    )
    .await;
    let (_, body) = http(addr, "GET", &node, "").await;
    let info: serde_json::Value = serde_json::from_str(&body).expect("node info");
    let device = format!(
        "/devices/{}",
        info["devices"][0]["id"].as_str().expect("id")
    );
    let vg = format!("vg_{}", device.trim_start_matches("/devices/"));
    server.shutdown().await.expect("clean shutdown");
    let on_nodes = MockTransport::load_durable(&state).expect("state file");
    assert!(
        on_nodes
            .node("n1")
            .and_then(|n| n.vg(&vg).cloned())
            .is_some()
    );

    // Restarted: the nodes come from the file. Nothing is rebuilt from the records
    // (which would run pvcreate/vgcreate again and add them to the file).
    let len = std::fs::metadata(&state).expect("state file").len();
    let server = start(options(&config, &db)).await.expect("restarts");
    assert_eq!(std::fs::metadata(&state).expect("state file").len(), len);
    // A change on the nodes the records do not know (removed behind the server's back)
    // stays visible: the device's resync finds no VG.
    server.shutdown().await.expect("clean shutdown");
    let offline = MockTransport::open_durable(Default::default(), &state).expect("open");
    let out = offline.run_command("n1", &format!("/usr/sbin/lvm vgremove -qq {vg}"));
    assert_eq!(out.exit_status, 0, "{out:?}");
    drop(offline);
    let server = start(options(&config, &db)).await.expect("restarts");
    let (status, location, text) =
        http_loc(server.local_addr(), "GET", &format!("{device}/resync"), "").await;
    assert_eq!(status, 202, "{text}");
    let queue = location.expect("queue");
    let failed = loop {
        let (status, _, text) = http_loc(server.local_addr(), "GET", &queue, "").await;
        if status != 200 {
            break (status, text);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(
        failed.0, 500,
        "resync of a device whose VG is gone: {failed:?}"
    );
    server.shutdown().await.expect("clean shutdown");

    // A new state file beside the existing database: the nodes start as the records
    // say (the VG exists again in the new file).
    let fresh = dir.path("fresh.journal");
    write_config(Some(&fresh));
    let server = start(options(&config, &db)).await.expect("restarts");
    server.shutdown().await.expect("clean shutdown");
    let rebuilt = MockTransport::load_durable(&fresh).expect("fresh state file");
    assert!(
        rebuilt
            .node("n1")
            .and_then(|n| n.vg(&vg).cloned())
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_the_database_even_while_the_state_is_still_held() {
    let dir = TempDir::new("close");
    let config = dir.path("heketi.json");
    std::fs::write(
        &config,
        r#"{"port": "8080", "use_auth": false,
            "glusterfs": {"executor": "mock", "disable_background_cleaner": true}}"#,
    )
    .expect("config");
    let db = dir.path("brickyard.db");
    let server = start(options(&config, &db)).await.expect("starts");
    let (status, body) = http(server.local_addr(), "POST", "/clusters", r#"{"file":true}"#).await;
    assert_eq!(status, 201, "{body}");
    // Something still holds the engine (a task, an embedder): the file is closed
    // anyway, so a new server (or a restarted process) opens it at once.
    let held = server.state().engine.clone();
    server.shutdown().await.expect("clean shutdown");
    let err = held
        .create_cluster(Default::default())
        .expect_err("writes after the shutdown are refused");
    assert!(err.to_string().contains("the database is closed"), "{err}");
    let server = start(options(&config, &db))
        .await
        .expect("restarts while the old state is held");
    let (status, body) = http(server.local_addr(), "GET", "/clusters", "").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"clusters\":[\""), "{body}");
    server.shutdown().await.expect("clean shutdown");
    drop(held);
}
