//! Crash safety that sees the nodes: the real `brickyard serve` (mock executor with
//! its node state file, `glusterfs.mock_state_file`) is driven over HTTP with Heketi's
//! asynchronous protocol by concurrent clients (volume create, expand, delete, clone,
//! node and device adds, device removal, brick eviction, device and node replacement)
//! and SIGKILLed at random points. After each restart and cleanup:
//!
//! - every acknowledged operation is there (an acknowledged create's volume exists with
//!   its size, an acknowledged delete's is gone, …);
//! - every other one is complete or fully undone: records and mock nodes agree exactly
//!   (`brickyard::executor::compare_records_with_nodes`: no LV, thin pool, VG, PV,
//!   mount, fstab line, gluster volume, brick or peer on one side only), the space
//!   accounting is exact, no operation is left pending, and `db check` is clean.
//!
//! `BRICKYARD_CRASH_KILLS` (default 30) sets the number of kills, `BRICKYARD_CRASH_SEED`
//! the seed (printed; default: from the clock). `make soak` runs 200 kills.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use brickyard::api::EntryState;
use brickyard::executor::{MockTransport, compare_records_with_nodes};
use brickyard::model::DbExport;
use brickyard::state::State;

const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Concurrent clients.
const CLIENTS: usize = 4;
/// Nodes and devices per node of the starting cluster.
const START_NODES: usize = 4;
const START_DEVICES: usize = 2;

/// xorshift64*: small, seeded, reproducible.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len() as u64) as usize)
        }
    }
}

/// A scratch directory removed when dropped (kept when the test fails, for its logs).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("brickyard-crash-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !thread::panicking() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

fn bin() -> PathBuf {
    std::env::var_os("BRICKYARD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_brickyard")))
}

/// A running `brickyard serve`.
struct Server {
    child: Option<Child>,
    url: String,
    log: PathBuf,
}

impl Server {
    fn start(config: &Path, db: &Path, log: &Path) -> Server {
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("server log");
        let start_len = out.metadata().map(|m| m.len()).unwrap_or(0) as usize;
        let err = out.try_clone().expect("server log");
        let mut cmd = Command::new(bin());
        cmd.args(["serve", "--config"])
            .arg(config)
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (k, _) in std::env::vars() {
            if k.starts_with("HEKETI_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd.spawn().expect("spawn brickyard serve");
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let text = fs::read_to_string(log).unwrap_or_default();
            let this_run = text.get(start_len..).unwrap_or("");
            if let Some(addr) = this_run
                .split("Listening on ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
            {
                let addr = addr.trim_start_matches("http://");
                return Server {
                    child: Some(child),
                    url: format!("http://{addr}"),
                    log: log.to_path_buf(),
                };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("brickyard serve exited ({status}) before listening:\n{this_run}");
            }
            assert!(
                Instant::now() < deadline,
                "brickyard serve did not listen within {START_TIMEOUT:?}:\n{this_run}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no shutdown of any kind.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(6000);
        let start = (start..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        text[start..].to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What became of one request.
#[derive(Debug)]
enum Outcome {
    /// Finished: the result's location (`303`), or none (`204`, `200`, `201`).
    Done(Option<String>),
    /// Refused or failed: nothing of it stays.
    Failed,
    /// The connection broke (the server was killed): it may or may not have happened.
    Lost,
}

struct Api {
    agent: ureq::Agent,
    base: String,
}

impl Api {
    fn new(base: &str) -> Api {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Api {
            agent,
            base: base.to_string(),
        }
    }

    /// One request: status, `Location`, body; `None` when the connection broke.
    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Option<(u16, Option<String>, String)> {
        let url = format!("{}{path}", self.base);
        let result = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, b) => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(b.unwrap_or("{}").as_bytes()),
        };
        let mut resp = result.ok()?;
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = resp.body_mut().read_to_string().ok()?;
        Some((status, location, text))
    }

    fn get_json(&self, path: &str) -> serde_json::Value {
        let (status, _, text) = self.send("GET", path, None).expect("server answers");
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str(&text).expect("json")
    }

    /// A request followed to its end through the queue (Heketi's async protocol).
    fn op(&self, method: &str, path: &str, body: Option<&str>) -> Outcome {
        let Some((status, location, _)) = self.send(method, path, body) else {
            return Outcome::Lost;
        };
        match status {
            202 => {}
            200 | 201 | 204 => return Outcome::Done(location),
            _ => return Outcome::Failed,
        }
        let Some(queue) = location else {
            return Outcome::Failed;
        };
        loop {
            let Some((status, location, _)) = self.send("GET", &queue, None) else {
                return Outcome::Lost;
            };
            match status {
                200 => thread::sleep(Duration::from_millis(5)),
                303 | 204 => return Outcome::Done(location),
                _ => return Outcome::Failed,
            }
        }
    }
}

/// What the acknowledged operations say must be true; `None`: unknown (an operation
/// on it was in flight at a kill, or failed in a way that may still be finished by
/// the cleanup).
#[derive(Clone, Debug, Default)]
struct Facts {
    cluster: String,
    /// Volume id → (present, size in GiB).
    volumes: BTreeMap<String, (Option<bool>, Option<i64>)>,
    nodes: BTreeMap<String, Option<bool>>,
    devices: BTreeMap<String, Option<bool>>,
    /// Targets for the next operations (from the last check's records).
    online_nodes: Vec<String>,
    online_devices: Vec<(String, String)>,
    /// Device id → node id, every device.
    device_node: BTreeMap<String, String>,
    volume_bricks: BTreeMap<String, Vec<String>>,
    /// Nodes a node replacement was started on in this round: a device that appears on
    /// one of them may be retired with it, whatever order the answers came in.
    retiring: std::collections::BTreeSet<String>,
    /// What the clients saw happen to each id in this round (for a failure's report).
    history: BTreeMap<String, Vec<String>>,
}

impl Facts {
    fn note(&mut self, id: &str, what: String) {
        self.history.entry(id.to_string()).or_default().push(what);
    }

    /// Everything the records hold is known again (after a check).
    fn refresh(&mut self, st: &State) {
        self.volumes = st
            .volumes
            .iter()
            .map(|(id, v)| (id.clone(), (Some(true), Some(v.info.request.size))))
            .collect();
        self.nodes = st.nodes.keys().map(|id| (id.clone(), Some(true))).collect();
        self.devices = st
            .devices
            .keys()
            .map(|id| (id.clone(), Some(true)))
            .collect();
        self.online_nodes = st
            .nodes
            .iter()
            .filter(|(_, n)| n.state == EntryState::Online)
            .map(|(id, _)| id.clone())
            .collect();
        self.online_devices = st
            .devices
            .iter()
            .filter(|(_, d)| d.state == EntryState::Online)
            .map(|(id, d)| (id.clone(), d.node_id.clone()))
            .collect();
        self.device_node = st
            .devices
            .iter()
            .map(|(id, d)| (id.clone(), d.node_id.clone()))
            .collect();
        self.retiring.clear();
        self.history.clear();
        self.volume_bricks = st
            .volumes
            .iter()
            .map(|(id, v)| (id.clone(), v.bricks.clone()))
            .collect();
    }
}

/// Counters reported at the end.
#[derive(Default)]
struct Figures {
    acknowledged: AtomicUsize,
    failed: AtomicUsize,
    lost: AtomicUsize,
}

static NAMES: AtomicU64 = AtomicU64::new(0);

fn fresh() -> u64 {
    NAMES.fetch_add(1, Ordering::SeqCst)
}

fn id_of(location: &Option<String>) -> Option<String> {
    location
        .as_deref()
        .and_then(|l| l.rsplit('/').next())
        .map(str::to_string)
}

/// One random operation; updates `facts` with what its outcome proves.
fn one_op(api: &Api, rng: &mut Rng, facts: &Mutex<Facts>, figures: &Figures) -> bool {
    let snapshot = facts.lock().unwrap().clone();
    let lock = || facts.lock().unwrap();
    let volumes: Vec<String> = snapshot.volume_bricks.keys().cloned().collect();
    let mut kind = rng.below(100);
    // Keep the cluster small, so a long run is not slowed by its own growth: with many
    // volumes, half the creates become deletes.
    if volumes.len() > 40 && kind < 28 && rng.below(2) == 0 {
        kind = 40;
    }
    let outcome;
    // What to forget when the outcome is unknown, and what a success proves.
    match kind {
        // Volume create (replica 3 or distribute).
        0..=27 => {
            let size = 1 + rng.below(3) as i64;
            let body = if rng.below(8) == 0 {
                format!(r#"{{"size":{size},"durability":{{"type":"none"}}}}"#)
            } else {
                format!(
                    r#"{{"size":{size},"durability":{{"type":"replicate","replicate":{{"replica":3}}}}}}"#
                )
            };
            outcome = api.op("POST", "/volumes", Some(&body));
            if let Outcome::Done(loc) = &outcome
                && let Some(id) = id_of(loc)
            {
                lock().volumes.insert(id, (Some(true), Some(size)));
            }
        }
        // Expand.
        28..=39 => {
            let Some(v) = rng.pick(&volumes).cloned() else {
                return true;
            };
            let by = 1 + rng.below(2) as i64;
            outcome = api.op(
                "POST",
                &format!("/volumes/{v}/expand"),
                Some(&format!(r#"{{"expand_size":{by}}}"#)),
            );
            let mut f = lock();
            let entry = f.volumes.entry(v).or_insert((None, None));
            match &outcome {
                Outcome::Done(..) => entry.1 = entry.1.map(|s| s + by),
                Outcome::Lost => entry.1 = None,
                Outcome::Failed => {}
            }
        }
        // Delete.
        40..=51 => {
            let Some(v) = rng.pick(&volumes).cloned() else {
                return true;
            };
            outcome = api.op("DELETE", &format!("/volumes/{v}"), None);
            let mut f = lock();
            let entry = f.volumes.entry(v).or_insert((None, None));
            match &outcome {
                Outcome::Done(..) => entry.0 = Some(false),
                // A failed delete may be finished by the cleanup.
                Outcome::Lost | Outcome::Failed => entry.0 = None,
            }
        }
        // Clone.
        52..=59 => {
            let Some(v) = rng.pick(&volumes).cloned() else {
                return true;
            };
            let name = format!("clone{}", fresh());
            outcome = api.op(
                "POST",
                &format!("/volumes/{v}/clone"),
                Some(&format!(r#"{{"name":"{name}"}}"#)),
            );
            if let Outcome::Done(loc) = &outcome
                && let Some(id) = id_of(loc)
            {
                lock().volumes.insert(id, (Some(true), None));
            }
        }
        // Node add with a device.
        60..=65 => {
            let host = format!("crash-n{}", fresh());
            let body = format!(
                r#"{{"zone":{},"cluster":"{}","hostnames":{{"manage":["{host}"],"storage":["{host}"]}}}}"#,
                1 + rng.below(4),
                snapshot.cluster
            );
            outcome = api.op("POST", "/nodes", Some(&body));
            if let Outcome::Done(loc) = &outcome
                && let Some(id) = id_of(loc)
            {
                lock().nodes.insert(id.clone(), Some(true));
                let dev = api.op(
                    "POST",
                    "/devices",
                    Some(&format!(r#"{{"node":"{id}","name":"/dev/sdb"}}"#)),
                );
                count(figures, &dev);
                if matches!(dev, Outcome::Lost) {
                    return false;
                }
            }
        }
        // Device add on an existing node.
        66..=71 => {
            let Some(n) = rng.pick(&snapshot.online_nodes).cloned() else {
                return true;
            };
            let body = format!(r#"{{"node":"{n}","name":"/dev/disk{}"}}"#, fresh());
            outcome = api.op("POST", "/devices", Some(&body));
        }
        // Device removal: offline, failed (bricks move away), delete.
        72..=79 => {
            let Some((d, _)) = rng.pick(&snapshot.online_devices).cloned() else {
                return true;
            };
            let mut last = Outcome::Done(None);
            for (method, path, body) in [
                (
                    "POST",
                    format!("/devices/{d}/state"),
                    Some(r#"{"state":"offline"}"#),
                ),
                (
                    "POST",
                    format!("/devices/{d}/state"),
                    Some(r#"{"state":"failed"}"#),
                ),
                ("DELETE", format!("/devices/{d}"), None),
            ] {
                last = api.op(method, &path, body);
                lock().note(&d, format!("{method} {path} {body:?}: {last:?}"));
                match &last {
                    Outcome::Done(..) => {
                        if method == "DELETE" {
                            lock().devices.insert(d.clone(), Some(false));
                        }
                    }
                    Outcome::Lost => {
                        lock().devices.insert(d.clone(), None);
                        break;
                    }
                    Outcome::Failed => {
                        if method == "DELETE" {
                            lock().devices.insert(d.clone(), None);
                        }
                        break;
                    }
                }
                if method != "DELETE" {
                    figures.acknowledged.fetch_add(1, Ordering::SeqCst);
                }
            }
            outcome = last;
        }
        // Brick eviction.
        80..=87 => {
            let Some(v) = rng.pick(&volumes) else {
                return true;
            };
            let Some(b) = snapshot
                .volume_bricks
                .get(v)
                .and_then(|b| rng.pick(b))
                .cloned()
            else {
                return true;
            };
            outcome = api.op(
                "POST",
                &format!("/bricks/to-evict/{b}"),
                Some(r#"{"healcheck":"disable"}"#),
            );
        }
        // Device replacement.
        88..=93 => {
            let Some((d, _)) = rng.pick(&snapshot.online_devices).cloned() else {
                return true;
            };
            let body = format!(r#"{{"name":"/dev/disk{}","healcheck":"disable"}}"#, fresh());
            outcome = api.op("POST", &format!("/devices/{d}/replace"), Some(&body));
            let mut f = lock();
            f.note(&d, format!("device replace: {outcome:?}"));
            match &outcome {
                Outcome::Done(loc) => {
                    f.devices.insert(d.clone(), Some(false));
                    if let Some(new) = id_of(loc) {
                        let node = f.device_node.get(&d).cloned().unwrap_or_default();
                        let known = (!f.retiring.contains(&node)).then_some(true);
                        f.note(&new, format!("replaces {d} on node {node}"));
                        f.devices.insert(new.clone(), known);
                        f.device_node.insert(new, node);
                    }
                }
                Outcome::Lost | Outcome::Failed => {
                    f.devices.insert(d, None);
                }
            }
        }
        // Node replacement.
        _ => {
            let Some(n) = rng.pick(&snapshot.online_nodes).cloned() else {
                return true;
            };
            let host = format!("crash-n{}", fresh());
            let body = format!(
                r#"{{"hostnames":{{"manage":["{host}"],"storage":["{host}"]}},"devices":["/dev/sdb","/dev/sdc"],"healcheck":"disable"}}"#
            );
            lock().retiring.insert(n.clone());
            outcome = api.op("POST", &format!("/nodes/{n}/replace"), Some(&body));
            let mut f = lock();
            let of_node: Vec<String> = f
                .device_node
                .iter()
                .filter(|(_, node)| **node == n)
                .map(|(d, _)| d.clone())
                .collect();
            for d in &of_node {
                f.note(d, format!("node {n} replaced: {outcome:?}"));
            }
            match &outcome {
                Outcome::Done(loc) => {
                    // The old node is retired with its devices.
                    let gone: Vec<String> = f
                        .device_node
                        .iter()
                        .filter(|(_, node)| **node == n)
                        .map(|(d, _)| d.clone())
                        .collect();
                    for d in gone {
                        f.devices.insert(d, Some(false));
                    }
                    f.nodes.insert(n, Some(false));
                    if let Some(new) = id_of(loc) {
                        f.nodes.insert(new, Some(true));
                    }
                }
                Outcome::Lost | Outcome::Failed => {
                    f.nodes.insert(n.clone(), None);
                    let unknown: Vec<String> = f
                        .device_node
                        .iter()
                        .filter(|(_, node)| **node == n)
                        .map(|(d, _)| d.clone())
                        .collect();
                    for d in unknown {
                        f.devices.insert(d, None);
                    }
                }
            }
        }
    }
    count(figures, &outcome);
    !matches!(outcome, Outcome::Lost)
}

fn count(figures: &Figures, outcome: &Outcome) {
    match outcome {
        Outcome::Done(..) => figures.acknowledged.fetch_add(1, Ordering::SeqCst),
        Outcome::Failed => figures.failed.fetch_add(1, Ordering::SeqCst),
        Outcome::Lost => figures.lost.fetch_add(1, Ordering::SeqCst),
    };
}

/// The records as the server holds them (`GET /db/dump`).
fn records(api: &Api) -> State {
    let (status, _, text) = api.send("GET", "/db/dump", None).expect("server answers");
    assert_eq!(status, 200, "db dump: {text}");
    let export: DbExport = serde_json::from_str(&text).expect("db dump parses");
    State::from_export(export)
}

/// Waits until no operation is pending (the cleanup at start may leave what it could
/// not finish to a cleanup request).
fn settle(api: &Api) -> Result<State, String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut asked = false;
    loop {
        let st = records(api);
        if st.pending.is_empty() {
            return Ok(st);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "operations still pending 30 s after the restart: {:?}",
                st.pending.keys().collect::<Vec<_>>()
            ));
        }
        if !asked {
            asked = true;
            let _ = api.op("POST", "/operations/pending/cleanup", Some("{}"));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Every invariant after a restart; the number of node-level differences found.
fn check(api: &Api, state_file: &Path, facts: &mut Facts) -> Result<(usize, usize), String> {
    let st = settle(api)?;
    let mut problems = Vec::new();
    let db_check = api.get_json("/db/check");
    if db_check["totalinconsistencies"] != 0 {
        problems.push(format!("db check: {db_check}"));
    }
    let nodes = MockTransport::load_durable(state_file)
        .map_err(|e| e.to_string())?
        .nodes();
    let leaks = compare_records_with_nodes(&st, &nodes);
    let leak_count = leaks.len();
    problems.extend(leaks);
    let mut checked = 0;
    for (id, (present, size)) in &facts.volumes {
        let rec = st.volumes.get(id);
        match (present, rec) {
            (Some(true), None) => problems.push(format!("acknowledged volume {id} is gone")),
            (Some(false), Some(_)) => {
                problems.push(format!("volume {id} is back after an acknowledged delete"))
            }
            (Some(true), Some(v)) => {
                if let Some(size) = size
                    && v.info.request.size != *size
                {
                    problems.push(format!(
                        "volume {id}: size {} but {size} acknowledged",
                        v.info.request.size
                    ));
                }
            }
            _ => {}
        }
        checked += usize::from(present.is_some());
    }
    for (id, present) in &facts.nodes {
        match (present, st.nodes.contains_key(id)) {
            (Some(true), false) => problems.push(format!("acknowledged node {id} is gone")),
            (Some(false), true) => problems.push(format!("retired node {id} is back")),
            _ => {}
        }
        checked += usize::from(present.is_some());
    }
    for (id, present) in &facts.devices {
        let history = facts.history.get(id).cloned().unwrap_or_default();
        match (present, st.devices.contains_key(id)) {
            (Some(true), false) => problems.push(format!(
                "acknowledged device {id} is gone; seen: {history:?}"
            )),
            (Some(false), true) => {
                problems.push(format!("deleted device {id} is back; seen: {history:?}"))
            }
            _ => {}
        }
        checked += usize::from(present.is_some());
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    facts.refresh(&st);
    Ok((checked, leak_count))
}

fn config(db: &Path, state_file: &Path) -> String {
    format!(
        r#"{{
  "port": "8080",
  "use_auth": false,
  "glusterfs": {{
    "executor": "mock",
    "db": {db:?},
    "mock_state_file": {state:?},
    "disable_background_cleaner": true,
    "max_inflight_operations": 16
  }}
}}
"#,
        db = db.display().to_string(),
        state = state_file.display().to_string()
    )
}

/// Creates the starting cluster: nodes with devices.
fn seed_topology(api: &Api) -> String {
    let (status, _, text) = api
        .send("POST", "/clusters", Some(r#"{"file":true}"#))
        .expect("server answers");
    assert_eq!(status, 201, "cluster create: {text}");
    let cluster: serde_json::Value = serde_json::from_str(&text).expect("json");
    let cluster = cluster["id"].as_str().expect("cluster id").to_string();
    for n in 0..START_NODES {
        let host = format!("crash-seed{n}");
        let body = format!(
            r#"{{"zone":{},"cluster":"{cluster}","hostnames":{{"manage":["{host}"],"storage":["{host}"]}}}}"#,
            1 + n
        );
        let Outcome::Done(loc) = api.op("POST", "/nodes", Some(&body)) else {
            panic!("seed node add failed");
        };
        let node = id_of(&loc).expect("node id");
        for d in 0..START_DEVICES {
            let body = format!(
                r#"{{"node":"{node}","name":"/dev/sd{}"}}"#,
                (b'b' + d as u8) as char
            );
            let out = api.op("POST", "/devices", Some(&body));
            assert!(matches!(out, Outcome::Done(..)), "seed device add: {out:?}");
        }
    }
    cluster
}

/// Runs `kills` kill/restart rounds; panics with the seed on the first broken invariant.
fn crash_rounds(kills: usize) {
    let seed = std::env::var("BRICKYARD_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    println!("crash test: seed {seed} (BRICKYARD_CRASH_SEED={seed} repeats it), {kills} kills");
    let started = Instant::now();
    let scratch = Scratch::new();
    let db = scratch.path("brickyard.db");
    let state_file = scratch.path("mock-nodes.journal");
    let config_file = scratch.path("heketi.json");
    let log = scratch.path("server.log");
    fs::write(&config_file, config(&db, &state_file)).expect("config");

    let mut server = Server::start(&config_file, &db, &log);
    let api = Api::new(&server.url);
    let mut facts = Facts {
        cluster: seed_topology(&api),
        ..Facts::default()
    };
    facts.refresh(&records(&api));
    let mut rng = Rng::new(seed);
    let figures = Arc::new(Figures::default());
    let mut checked_total = 0;
    let mut leaks_total = 0;
    for round in 0..kills {
        let facts_shared = Arc::new(Mutex::new(facts.clone()));
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let url = server.url.clone();
                let facts = facts_shared.clone();
                let stop = stop.clone();
                let figures = figures.clone();
                let mut rng = Rng::new(seed ^ ((round as u64) << 16) ^ (c as u64 + 1));
                thread::spawn(move || {
                    let api = Api::new(&url);
                    while !stop.load(Ordering::SeqCst) {
                        if !one_op(&api, &mut rng, &facts, &figures) {
                            break;
                        }
                    }
                })
            })
            .collect();
        // The kill point: somewhere in the next 0.05–0.8 s of concurrent operations.
        thread::sleep(Duration::from_millis(50 + rng.below(750)));
        server.kill();
        stop.store(true, Ordering::SeqCst);
        for c in clients {
            c.join().expect("client thread");
        }
        facts = facts_shared.lock().unwrap().clone();
        server = Server::start(&config_file, &db, &log);
        let api = Api::new(&server.url);
        match check(&api, &state_file, &mut facts) {
            Ok((checked, leaks)) => {
                checked_total += checked;
                leaks_total += leaks;
            }
            Err(problems) => {
                let tail = server.log_tail();
                server.kill();
                panic!(
                    "seed {seed}, after kill {}: invariants broken:\n{problems}\n\nserver log (end):\n{tail}\n(scratch dir kept: {})",
                    round + 1,
                    scratch.0.display()
                );
            }
        }
    }
    server.kill();
    let journal_bytes = fs::metadata(&state_file).map(|m| m.len()).unwrap_or(0);
    println!(
        "crash test: seed {seed}: {kills} kills, {} operations acknowledged ({} failed, {} cut by a kill), {checked_total} acknowledged facts checked, {leaks_total} node-level leaks found, {} volumes at the end, state file {} KiB, {:.1} s",
        figures.acknowledged.load(Ordering::SeqCst),
        figures.failed.load(Ordering::SeqCst),
        figures.lost.load(Ordering::SeqCst),
        facts.volumes.len(),
        journal_bytes / 1024,
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn sigkill_at_random_points_leaves_records_and_nodes_in_agreement() {
    let kills = std::env::var("BRICKYARD_CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    crash_rounds(kills);
}
