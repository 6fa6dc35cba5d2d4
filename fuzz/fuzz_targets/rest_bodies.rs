//! Every request body the REST server accepts, through the router itself (the same
//! extractor, validation and engine calls a client reaches), on an in-memory engine
//! over mock nodes: a cluster of four nodes with two devices each and a replica-3
//! volume.
//!
//! Input: the first byte picks the route (`ROUTES`), the rest is the body. In the body,
//! `@CLUSTER@`, `@NODE@`, `@DEVICE@`, `@VOLUME@` and `@BRICK@` stand for the ids of
//! the fixture's records (the seeds use them; ids are random). An answer that may have
//! changed the records (2xx of anything but `/volumes/plan`) waits for the operation
//! to end and makes the next input start from a fresh fixture, so every input meets
//! the same records and memory does not grow with the run.
#![no_main]

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request};
use brickyard::api::{ReplicaDurability, VolumeCreateRequest, VolumeDurabilityInfo};
use brickyard::executor::MockExecutor;
use brickyard::topology::TopologyFile;
use brickyard::{Engine, EngineOptions};
use brickyard_server::auth::AuthSettings;
use brickyard_server::{AppState, ServerConfig};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

/// Every route that reads a body: method and path (`{C}`luster, `{N}`ode,
/// `{D}`evice, `{V}`olume, `{B}`rick ids of the fixture).
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/clusters"),
    ("POST", "/clusters/{C}/flags"),
    ("POST", "/nodes"),
    ("POST", "/nodes/{N}/state"),
    ("POST", "/nodes/{N}/tags"),
    ("POST", "/nodes/{N}/replace"),
    ("POST", "/devices"),
    ("DELETE", "/devices/{D}"),
    ("POST", "/devices/{D}/state"),
    ("POST", "/devices/{D}/tags"),
    ("POST", "/devices/{D}/replace"),
    ("POST", "/bricks/to-evict/{B}"),
    ("POST", "/volumes"),
    ("POST", "/volumes/plan"),
    ("POST", "/volumes/{V}/expand"),
    ("POST", "/volumes/{V}/clone"),
    ("POST", "/volumes/{V}/block-restriction"),
    ("POST", "/blockvolumes"),
    ("POST", "/blockvolumes/{V}/expand"),
    ("POST", "/operations/pending/cleanup"),
    ("POST", "/admin"),
    ("POST", "/internal/logging"),
];

const TOPOLOGY: &str = r#"{"clusters":[{"nodes":[
 {"node":{"hostnames":{"manage":["10.1.0.1"],"storage":["10.1.0.1"]},"zone":1},"devices":["/dev/sdb","/dev/sdc"]},
 {"node":{"hostnames":{"manage":["10.1.0.2"],"storage":["10.1.0.2"]},"zone":2},"devices":["/dev/sdb","/dev/sdc"]},
 {"node":{"hostnames":{"manage":["10.1.0.3"],"storage":["10.1.0.3"]},"zone":3},"devices":["/dev/sdb","/dev/sdc"]},
 {"node":{"hostnames":{"manage":["10.1.0.4"],"storage":["10.1.0.4"]},"zone":4},"devices":["/dev/sdb","/dev/sdc"]}
]}]}"#;

struct Fixture {
    state: AppState,
    app: Router,
    ids: [(&'static str, String); 5],
}

async fn fixture() -> Fixture {
    let engine = Engine::open(EngineOptions::in_memory(), Arc::new(MockExecutor::new()))
        .await
        .expect("an in-memory engine opens");
    let topology = TopologyFile::parse(TOPOLOGY).expect("the fixture topology parses");
    let report = engine
        .apply_topology(&topology)
        .await
        .expect("the fixture topology applies");
    assert_eq!(report.failed(), 0, "{}", report.summary());
    let volume = engine
        .create_volume(VolumeCreateRequest {
            size: 2,
            durability: VolumeDurabilityInfo {
                kind: "replicate".into(),
                replicate: ReplicaDurability { replica: 3 },
                ..VolumeDurabilityInfo::default()
            },
            ..VolumeCreateRequest::default()
        })
        .await
        .expect("the fixture volume is created");
    let brick = volume.bricks[0].clone();
    let cluster = volume.info.cluster.clone();
    let ids = [
        ("{C}", cluster),
        ("{N}", brick.node.clone()),
        ("{D}", brick.device.clone()),
        ("{V}", volume.info.id.clone()),
        ("{B}", brick.id.clone()),
    ];
    let state = AppState::new(ServerConfig::defaults(), AuthSettings::disabled(), engine);
    Fixture {
        app: brickyard_server::router(state.clone()),
        state,
        ids,
    }
}

thread_local! {
    static FIXTURE: RefCell<Option<Fixture>> = const { RefCell::new(None) };
}

fn placeholder(key: &str) -> &'static str {
    match key {
        "{C}" => "@CLUSTER@",
        "{N}" => "@NODE@",
        "{D}" => "@DEVICE@",
        "{V}" => "@VOLUME@",
        _ => "@BRICK@",
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let (method, template) = ROUTES[usize::from(which) % ROUTES.len()];
    let rt = brickyard_fuzz::runtime();
    let fixture = FIXTURE
        .with(|f| f.borrow_mut().take())
        .unwrap_or_else(|| rt.block_on(fixture()));
    let mut path = template.to_string();
    let mut body = body.to_vec();
    for (key, id) in &fixture.ids {
        path = path.replace(key, id);
        body = replace(&body, placeholder(key).as_bytes(), id.as_bytes());
    }
    let keep = rt.block_on(async {
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("a method"))
            .uri(&path)
            .body(Body::from(body))
            .expect("a request");
        let response = fixture
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        // A handler that panics is a finding even though the router would answer 500:
        // libFuzzer's panic hook aborts the process at the panic.
        let status = response.status();
        let answer = response.into_body().collect().await;
        if std::env::var_os("BRICKYARD_FUZZ_DEBUG").is_some() {
            let text = answer.map(|b| b.to_bytes()).unwrap_or_default();
            eprintln!(
                "{method} {path}: {status} {}",
                String::from_utf8_lossy(&text).trim()
            );
        }
        if status.is_success() && template != "/volumes/plan" {
            assert!(
                fixture.state.queue.drain(Duration::from_secs(30)).await,
                "{method} {path}: the operation did not end within 30 s"
            );
            false
        } else {
            true
        }
    });
    if keep {
        FIXTURE.with(|f| *f.borrow_mut() = Some(fixture));
    }
});

fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}
