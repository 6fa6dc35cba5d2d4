//! A server over an in-memory engine whose node commands can be held back (to
//! observe pending operations and throttling) or made to fail.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::http::StatusCode;
use brickyard::executor::{
    CommandConfig, CommandExecutor, CommandOutput, ExecError, FaultHandle, FaultTransport,
    MockTransport, Transport,
};
use brickyard_server::{AppState, router};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::support::*;

/// Holds every command while closed.
#[derive(Clone)]
pub struct Gate {
    open: watch::Sender<bool>,
}

impl Gate {
    pub fn close(&self) {
        self.open.send_replace(false);
    }
    pub fn open(&self) {
        self.open.send_replace(true);
    }
}

/// The mock nodes behind fault injection, behind the gate.
pub struct GatedTransport {
    inner: FaultTransport<MockTransport>,
    open: watch::Receiver<bool>,
}

#[async_trait]
impl Transport for GatedTransport {
    async fn run(
        &self,
        host: &str,
        command: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, ExecError> {
        let mut open = self.open.clone();
        let _ = open.wait_for(|o| *o).await;
        self.inner.run(host, command, timeout).await
    }

    fn note_host(&self, host: &brickyard::executor::Host) {
        self.inner.note_host(host);
    }
}

pub struct Fixture {
    pub state: AppState,
    pub app: Router,
    pub gate: Gate,
    pub faults: FaultHandle,
    pub mock: MockTransport,
}

/// Authentication on, `max_inflight_operations = limit`.
pub async fn fixture(limit: u64) -> Fixture {
    let (tx, rx) = watch::channel(true);
    let faulty = FaultTransport::new(MockTransport::default());
    let faults = faulty.handle();
    let mock = faulty.inner().clone();
    let executor = CommandExecutor::from_transport(
        GatedTransport {
            inner: faulty,
            open: rx,
        },
        CommandConfig::default(),
    );
    let state = state_with(limit, Arc::new(executor)).await;
    Fixture {
        app: router(state.clone()),
        state,
        gate: Gate { open: tx },
        faults,
        mock,
    }
}

pub fn json_of(a: &Answer) -> Value {
    serde_json::from_str(&a.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", a.body))
}

impl Fixture {
    pub async fn send(&self, req: Req) -> Answer {
        req.send(&self.app).await
    }

    /// Waits for every running operation.
    pub async fn settle(&self) {
        assert!(
            self.state.queue.drain(Duration::from_secs(10)).await,
            "operations did not finish"
        );
    }

    /// Polls a queue location until it stops being pending; returns the final answer.
    pub async fn finish(&self, location: &str) -> Answer {
        for _ in 0..1000 {
            let a = self.send(Req::new("GET", location).admin()).await;
            if a.header("x-pending") != Some("true") {
                return a;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{location} still pending after 10 s");
    }

    /// Runs an async request to its end: 202, then the final queue answer.
    pub async fn run(&self, req: Req) -> Answer {
        let a = self.send(req.admin()).await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
        let location = a.header("location").expect("Location").to_string();
        self.finish(&location).await
    }

    pub async fn cluster(&self) -> String {
        let a = self
            .send(
                Req::new("POST", "/clusters")
                    .admin()
                    .body(r#"{"file":true}"#),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED);
        json_of(&a)["id"].as_str().expect("id").to_string()
    }

    pub async fn node(&self, cluster: &str, host: &str, zone: i64) -> String {
        let body = json!({"zone": zone, "cluster": cluster,
            "hostnames": {"manage": [host], "storage": [host]}});
        let a = self
            .run(Req::new("POST", "/nodes").body(&body.to_string()))
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let location = a.header("location").expect("Location");
        location
            .strip_prefix("/nodes/")
            .expect("node path")
            .to_string()
    }

    pub async fn device(&self, node: &str, name: &str) -> String {
        let body = json!({"node": node, "name": name});
        let a = self
            .run(Req::new("POST", "/devices").body(&body.to_string()))
            .await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (StatusCode::NO_CONTENT, ""),
            "device add"
        );
        let info = self
            .send(Req::new("GET", &format!("/nodes/{node}")).admin())
            .await;
        json_of(&info)["devices"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["name"] == name))
            .and_then(|d| d["id"].as_str())
            .expect("device listed on its node")
            .to_string()
    }

    /// A cluster of three nodes with one device each.
    pub async fn three_nodes(&self) -> (String, Vec<String>, Vec<String>) {
        let cluster = self.cluster().await;
        let mut nodes = Vec::new();
        let mut devices = Vec::new();
        for i in 1..=3 {
            let node = self.node(&cluster, &format!("node{i}"), i).await;
            devices.push(self.device(&node, "/dev/sdb").await);
            nodes.push(node);
        }
        (cluster, nodes, devices)
    }

    pub async fn volume(&self, size: i64, name: &str) -> String {
        let body = json!({"size": size, "name": name, "durability": {"type": "replicate", "replicate": {"replica": 3}}});
        let a = self
            .run(Req::new("POST", "/volumes").body(&body.to_string()))
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        a.header("location")
            .and_then(|l| l.strip_prefix("/volumes/"))
            .expect("volume path")
            .to_string()
    }
}
