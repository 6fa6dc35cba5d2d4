//! The Lua hook host through the engine: spec scripts in `tests/lua/` and the examples
//! in `examples/lua/`, run in the embedded VM against mock storage nodes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use brickyard::api::{ReplicaDurability, VolumeCreateRequest, VolumeDurabilityInfo};
use brickyard::executor::{Fault, FaultyMockExecutor};
use brickyard::hooks::{HookError, Hooks};
use brickyard::topology::TopologyFile;
use brickyard::{Engine, EngineOptions, ErrorKind};
use brickyard_lua::{LuaHookError, LuaHookOptions, LuaHooks};

fn spec(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/lua")
        .join(name)
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/lua")
        .join(name)
}

/// `nodes` nodes in 3 zones, each with /dev/sdb and /dev/sdc; node `n`'s /dev/sdc is
/// tagged disk=ssd when `ssd(n)`.
fn topology(nodes: usize, ssd: impl Fn(usize) -> bool) -> TopologyFile {
    let nodes: Vec<serde_json::Value> = (0..nodes)
        .map(|n| {
            let host = format!("10.0.0.{}", n + 1);
            let sdc = if ssd(n) {
                serde_json::json!({"name": "/dev/sdc", "tags": {"disk": "ssd"}})
            } else {
                serde_json::json!("/dev/sdc")
            };
            serde_json::json!({
                "node": {"hostnames": {"manage": [host], "storage": [host]}, "zone": n % 3 + 1},
                "devices": ["/dev/sdb", sdc],
            })
        })
        .collect();
    let text = serde_json::json!({"clusters": [{"nodes": nodes}]}).to_string();
    TopologyFile::parse(&text).expect("topology parses")
}

struct Bed {
    engine: Engine,
    mock: Arc<FaultyMockExecutor>,
}

async fn bed(hooks: Arc<LuaHooks>, nodes: usize, ssd: impl Fn(usize) -> bool) -> Bed {
    let mut opts = EngineOptions::in_memory();
    opts.hooks = Some(hooks);
    let mock = Arc::new(FaultyMockExecutor::new());
    let engine = Engine::open(opts, mock.clone())
        .await
        .expect("engine opens");
    let report = engine
        .apply_topology(&topology(nodes, ssd))
        .await
        .expect("topology applies");
    assert_eq!(report.failed(), 0, "{report:?}");
    Bed { engine, mock }
}

fn replica(size: i64, name: &str) -> VolumeCreateRequest {
    VolumeCreateRequest {
        size,
        name: name.into(),
        durability: VolumeDurabilityInfo {
            kind: "replicate".into(),
            replicate: ReplicaDurability { replica: 3 },
            ..Default::default()
        },
        ..Default::default()
    }
}

fn load(paths: &[PathBuf]) -> Arc<LuaHooks> {
    Arc::new(LuaHooks::load(paths, LuaHookOptions::default()).expect("scripts load"))
}

fn inline(code: &str, options: LuaHookOptions) -> Result<LuaHooks, LuaHookError> {
    LuaHooks::from_sources(&[("inline.lua", code)], options)
}

/// Device names (`/dev/sdX`) and tags of a volume's bricks.
fn brick_devices(engine: &Engine, vol: &brickyard::api::VolumeInfoResponse) -> Vec<(String, bool)> {
    vol.bricks
        .iter()
        .map(|b| {
            let d = engine.device_info(&b.device).expect("brick device exists");
            (
                d.info.name.clone(),
                d.info.tags.get("disk").is_some_and(|t| t == "ssd"),
            )
        })
        .collect()
}

#[tokio::test]
async fn pre_create_vetoes_and_shapes_and_pre_expand_vetoes() {
    let hooks = load(&[spec("shape.lua")]);
    let b = bed(hooks.clone(), 3, |_| false).await;
    let e = b
        .engine
        .create_volume(replica(1, "forbidden"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Rejected);
    assert_eq!(
        e.to_string(),
        "volume.pre_create hook rejected the request: name not allowed here"
    );
    let e = b
        .engine
        .create_volume(replica(1, "raised"))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "volume.pre_create hook rejected the request: raised a veto table"
    );
    // Shaped: a name, an option, and the size capped at 50.
    let v = b.engine.create_volume(replica(80, "")).await.unwrap();
    assert_eq!(v.info.request.name, "pvc_80g");
    assert_eq!(v.info.request.size, 50);
    assert!(
        v.info
            .request
            .glustervolumeoptions
            .iter()
            .any(|o| o == "performance.cache-size 64MB"),
        "{:?}",
        v.info.request.glustervolumeoptions
    );
    let e = b.engine.expand_volume(&v.info.id, 60).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "volume.pre_expand hook rejected the request: volumes stay under 100 GiB"
    );
    let v = b.engine.expand_volume(&v.info.id, 10).await.unwrap();
    assert_eq!(v.info.request.size, 60);
    let s = hooks.stats();
    assert_eq!(s.rejections, 3);
    assert_eq!(s.errors, 0);
    // forbidden 1, raised 1, shaped 2, expand refused 1, expand allowed 1.
    assert_eq!(s.calls, 6, "{s:?}");
}

#[tokio::test]
async fn score_and_filter_steer_placement() {
    let hooks = load(&[spec("score.lua")]);
    let b = bed(hooks, 6, |_| false).await;
    let v = b.engine.create_volume(replica(10, "scored")).await.unwrap();
    let devices = brick_devices(&b.engine, &v);
    assert!(devices.iter().all(|(n, _)| n == "/dev/sdc"), "{devices:?}");
    // The dry run agrees with the create.
    let plan = b.engine.plan_volume(&replica(10, "next")).unwrap();
    for brick in plan.sets.iter().flatten() {
        assert_eq!(
            b.engine.device_info(&brick.device).unwrap().info.name,
            "/dev/sdc"
        );
    }
    // Expand is steered too, and the one-brick-per-node rule still holds.
    let v = b.engine.expand_volume(&v.info.id, 10).await.unwrap();
    assert!(
        brick_devices(&b.engine, &v)
            .iter()
            .all(|(n, _)| n == "/dev/sdc")
    );
    for set in v.bricks.chunks(3) {
        let nodes: std::collections::BTreeSet<&str> = set.iter().map(|b| b.node.as_str()).collect();
        assert_eq!(nodes.len(), 3);
    }
}

#[tokio::test]
async fn tenancy_example_keeps_tenant_x_on_ssd() {
    let hooks = load(&[example("tenancy.lua")]);
    // Nodes 0..3 have an ssd.
    let b = bed(hooks, 6, |n| n < 3).await;
    let v = b
        .engine
        .create_volume(replica(5, "tenantx_db"))
        .await
        .unwrap();
    let devices = brick_devices(&b.engine, &v);
    assert!(devices.iter().all(|(_, ssd)| *ssd), "{devices:?}");
    let v = b.engine.create_volume(replica(5, "other")).await.unwrap();
    let devices = brick_devices(&b.engine, &v);
    assert!(devices.iter().all(|(_, ssd)| !*ssd), "{devices:?}");
    let e = b
        .engine
        .create_volume(replica(5, "tenantxdb"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Rejected);
    // Only 3 ssds: a replica-3 tenant volume larger than one ssd cannot fit, and the
    // explanation names the filter.
    let e = b
        .engine
        .create_volume(replica(900, "tenantx_big"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoSpace, "{e}");
    let details = e
        .placement_error()
        .map(|p| format!("{p:?}"))
        .unwrap_or_default();
    assert!(details.contains("FilteredByHook"), "{details}");
}

#[tokio::test]
async fn max_fill_example_refuses_devices_past_70_percent() {
    let hooks = load(&[example("max_fill.lua")]);
    let b = bed(hooks, 3, |_| false).await;
    let total_gib = b.engine.topology_info().clusters[0].nodes[0].devices[0]
        .info
        .storage
        .total
        / (1024 * 1024);
    // 60 % of a device per brick fits; another 20 % on the same devices does not (the
    // three nodes' other disks take it); a third 60 % would need a fresh disk.
    let sixty = (total_gib as f64 * 0.6) as i64;
    let v1 = b.engine.create_volume(replica(sixty, "a")).await.unwrap();
    let v2 = b.engine.create_volume(replica(sixty, "b")).await.unwrap();
    let d1: Vec<_> = v1.bricks.iter().map(|b| b.device.clone()).collect();
    assert!(v2.bricks.iter().all(|b| !d1.contains(&b.device)));
    let e = b
        .engine
        .create_volume(replica(sixty / 3, "c"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoSpace, "{e}");
    // Without the hook the same volume fits.
    let plain = Engine::open(
        EngineOptions::in_memory(),
        Arc::new(FaultyMockExecutor::new()),
    )
    .await
    .unwrap();
    plain.apply_topology(&topology(3, |_| false)).await.unwrap();
    plain.create_volume(replica(sixty, "a")).await.unwrap();
    plain.create_volume(replica(sixty, "b")).await.unwrap();
    plain.create_volume(replica(sixty / 3, "c")).await.unwrap();
}

/// Captures log lines of the `brickyard_lua` target.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

#[tokio::test]
async fn pager_example_pages_on_failed_devices_and_operations() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(capture.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let hooks = load(&[example("pager.lua")]);
    let b = bed(hooks.clone(), 3, |_| false).await;
    let dev = b.engine.topology_info().clusters[0].nodes[0].devices[0]
        .info
        .id
        .clone();
    b.engine.set_device_state(&dev, "offline").await.unwrap();
    b.engine.set_device_state(&dev, "failed").await.unwrap();
    b.mock
        .faults()
        .fail_matching(|_, c| c.contains("lvcreate"), Fault::failed(), true);
    assert!(b.engine.create_volume(replica(1, "x")).await.is_err());
    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains(&format!("PAGE: device {dev} failed")), "{log}");
    assert!(log.contains("PAGE: volume.create failed"), "{log}");
    assert_eq!(log.matches("PAGE:").count(), 2, "{log}");
    assert_eq!(hooks.stats().errors, 0);
}

#[tokio::test]
async fn several_scripts_run_in_order() {
    let hooks = Arc::new(
        LuaHooks::from_sources(
            &[
                ("first.lua", "brickyard.on('volume.pre_create', function(r) r.name = r.name .. '_a'; return r end)"),
                ("second.lua", "brickyard.on('volume.pre_create', function(r) r.name = r.name .. '_b'; return r end)"),
            ],
            LuaHookOptions::default(),
        )
        .unwrap(),
    );
    let b = bed(hooks, 3, |_| false).await;
    let v = b.engine.create_volume(replica(1, "v")).await.unwrap();
    assert_eq!(v.info.request.name, "v_a_b");
}

const RUNAWAY: &str = "brickyard.on('volume.pre_create', function(r) while true do end end)";

#[test]
fn instruction_budget_stops_a_runaway_hook() {
    let opts = LuaHookOptions {
        instruction_budget: 100_000,
        ..Default::default()
    };
    let hooks = inline(RUNAWAY, opts).unwrap();
    let e = hooks.pre_create(replica(1, "v")).unwrap_err();
    assert_eq!(
        e,
        HookError::Failed {
            event: "volume.pre_create".into(),
            message: "inline.lua: instruction budget of 100000 exhausted".into()
        }
    );
    let s = hooks.stats();
    assert_eq!((s.errors, s.timeouts), (1, 1));
    // pcall cannot swallow the budget error.
    let sneaky = "brickyard.on('volume.pre_create', function(r) while true do pcall(function() while true do end end) xpcall(function() while true do end end, print) end end)";
    let hooks = inline(
        sneaky,
        LuaHookOptions {
            instruction_budget: 100_000,
            ..Default::default()
        },
    )
    .unwrap();
    let e = hooks.pre_create(replica(1, "v")).unwrap_err();
    assert!(
        e.to_string()
            .contains("instruction budget of 100000 exhausted"),
        "{e}"
    );
    // A runaway top level fails the load.
    let e = inline(
        "while true do end",
        LuaHookOptions {
            instruction_budget: 10_000,
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("instruction budget"), "{e}");
}

#[test]
fn deadline_stops_a_slow_hook() {
    let opts = LuaHookOptions {
        instruction_budget: u64::MAX / 2,
        deadline: Duration::from_millis(50),
        ..Default::default()
    };
    let hooks = inline(RUNAWAY, opts).unwrap();
    let start = std::time::Instant::now();
    let e = hooks.pre_create(replica(1, "v")).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(
        e.to_string(),
        "volume.pre_create hook failed: inline.lua: deadline of 50 ms exceeded"
    );
    assert_eq!(hooks.stats().timeouts, 1);
}

#[test]
fn memory_limit_stops_a_greedy_hook() {
    let greedy = "brickyard.on('volume.pre_create', function(r) local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 64) .. i end end)";
    let opts = LuaHookOptions {
        memory_limit: 4 * 1024 * 1024,
        instruction_budget: u64::MAX / 2,
        ..Default::default()
    };
    let hooks = inline(greedy, opts).unwrap();
    let e = hooks.pre_create(replica(1, "v")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("volume.pre_create hook failed: inline.lua: memory limit exceeded"),
        "{e}"
    );
    // The state survives: a later call runs (and fails the same way, not worse).
    assert!(hooks.pre_create(replica(1, "v")).is_err());
    assert_eq!(hooks.stats().errors, 2);
}

#[test]
fn forbidden_libraries_are_absent() {
    for (what, code) in [
        ("io", "io.open('/etc/passwd')"),
        ("os", "os.exit(1)"),
        ("package", "package.loadlib('x', 'y')"),
        ("debug", "debug.getinfo(1)"),
        ("require", "require('os')"),
        ("load", "load('return 1')"),
        ("loadfile", "loadfile('/etc/passwd')"),
        ("dofile", "dofile('/etc/passwd')"),
        ("collectgarbage", "collectgarbage('count')"),
        ("string.dump", "string.dump(function() end)"),
        ("coroutine", "coroutine.create(function() end)"),
    ] {
        let e = inline(code, LuaHookOptions::default()).err();
        let text = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("attempt to"), "{what} is reachable: {text}");
    }
    // What is allowed works.
    let ok = "assert(string.format('%d', math.floor(2.5)) == '2'); assert(utf8.len('é') == 1); assert(table.concat({1, 2}, ',') == '1,2')";
    inline(ok, LuaHookOptions::default()).unwrap();
    // Binary chunks are refused even by the host loader.
    let e = inline("\x1bLua", LuaHookOptions::default()).err().unwrap();
    assert!(e.to_string().contains("inline.lua"), "{e}");
}

#[tokio::test]
async fn errors_name_script_and_event_and_fail_open_skips_them() {
    let broken = "brickyard.on('volume.pre_create', function(r) return r.nope.deeper end)\n\
                  brickyard.on('placement.score', function(d) return 'high' end)";
    let closed = Arc::new(inline(broken, LuaHookOptions::default()).unwrap());
    let b = bed(closed.clone(), 3, |_| false).await;
    let e = b.engine.create_volume(replica(1, "v")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Rejected);
    let text = e.to_string();
    assert!(
        text.starts_with("volume.pre_create hook failed: inline.lua:"),
        "{text}"
    );
    assert!(text.contains("attempt to index a nil value"), "{text}");
    // A bad return value is an error too.
    let candidate = brickyard::hooks::DeviceCandidate {
        id: "d1".into(),
        name: "/dev/sdb".into(),
        node: "n1".into(),
        cluster: "c1".into(),
        zone: 1,
        manage_host: "h".into(),
        storage_host: "h".into(),
        tags: Default::default(),
        total: 100,
        free: 100,
        used: 0,
        bricks: 0,
    };
    let e = closed
        .place(&serde_json::json!({"size": 1}), &[candidate])
        .unwrap_err();
    assert_eq!(
        e,
        HookError::Failed {
            event: "placement.score".into(),
            message: "inline.lua: returned high; expected a finite number".into()
        }
    );
    // Fail-open: both broken handlers are skipped, the volume is created, errors counted.
    let open = Arc::new(
        inline(
            broken,
            LuaHookOptions {
                fail_open: true,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    let b = bed(open.clone(), 3, |_| false).await;
    b.engine.create_volume(replica(1, "v")).await.unwrap();
    let s = open.stats();
    assert!(s.errors >= 2, "{s:?}");
    assert_eq!(s.rejections, 0);
    // Fail-closed with only the score hook: the create fails naming placement.score.
    let score_only = Arc::new(
        inline(
            "brickyard.on('placement.score', function(d) return 'high' end)",
            LuaHookOptions::default(),
        )
        .unwrap(),
    );
    let b = bed(score_only, 3, |_| false).await;
    let e = b.engine.create_volume(replica(1, "v")).await.unwrap_err();
    assert!(
        e.to_string()
            .starts_with("placement.score hook failed: inline.lua: returned high"),
        "{e}"
    );
}

#[test]
fn unknown_events_and_late_registration_are_refused() {
    let e = inline(
        "brickyard.on('volume.pre_delete', function() end)",
        LuaHookOptions::default(),
    )
    .err()
    .unwrap();
    assert!(
        e.to_string().contains("unknown event 'volume.pre_delete'"),
        "{e}"
    );
    let late = "brickyard.on('volume.pre_create', function(r) brickyard.on('volume.pre_create', function() end) end)";
    let hooks = inline(late, LuaHookOptions::default()).unwrap();
    let e = hooks.pre_create(replica(1, "v")).unwrap_err();
    assert!(
        e.to_string()
            .contains("only be called while the scripts load"),
        "{e}"
    );
    let e = inline(
        "brickyard.on('volume.pre_create', function(r) return {size = 'big'} end)",
        LuaHookOptions::default(),
    )
    .unwrap()
    .pre_create(replica(1, "v"))
    .unwrap_err();
    assert!(e.to_string().contains("returned an invalid request"), "{e}");
}

#[test]
fn reload_rebuilds_the_state_from_the_files() {
    let dir = std::env::temp_dir().join(format!("brickyard-lua-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("policy.lua");
    let v1 = "counter = (counter or 0) + 1\nbrickyard.on('volume.pre_create', function(r) return false, 'v1 ' .. counter end)";
    std::fs::write(&path, v1).unwrap();
    let hooks = LuaHooks::load([&path], LuaHookOptions::default()).unwrap();
    assert!(
        hooks
            .pre_create(replica(1, "v"))
            .unwrap_err()
            .to_string()
            .ends_with("v1 1")
    );
    std::fs::write(
        &path,
        "brickyard.on('volume.pre_create', function(r) return false, 'v2' end)",
    )
    .unwrap();
    hooks.reload().unwrap();
    assert!(
        hooks
            .pre_create(replica(1, "v"))
            .unwrap_err()
            .to_string()
            .ends_with("v2")
    );
    assert_eq!(hooks.handler_count("volume.pre_create"), 1);
    // A broken file keeps the previous state.
    std::fs::write(&path, "this is not lua").unwrap();
    assert!(matches!(hooks.reload(), Err(LuaHookError::Script { .. })));
    assert!(
        hooks
            .pre_create(replica(1, "v"))
            .unwrap_err()
            .to_string()
            .ends_with("v2")
    );
    // Reload from scratch: globals of the old state are gone.
    std::fs::write(&path, v1).unwrap();
    hooks.reload().unwrap();
    assert!(
        hooks
            .pre_create(replica(1, "v"))
            .unwrap_err()
            .to_string()
            .ends_with("v1 1")
    );
    std::fs::remove_dir_all(&dir).unwrap();
    let missing = LuaHooks::load([dir.join("nope.lua")], LuaHookOptions::default())
        .err()
        .unwrap();
    assert!(matches!(missing, LuaHookError::Read { .. }), "{missing}");
}
