//! Scale measurement of the engine core (issue #13), in process, with the mock executor
//! on a redb file: 100 nodes x 10 devices, 1-GiB replica-3 volumes created by 16 tasks.
//!
//! `scale_core create <db> <count> [batch]`: creates `count` volumes in batches; prints
//! per batch the process CPU per create; then RSS (VmRSS/VmHWM), the database size and
//! how long dropping the engine takes.
//! `scale_core open <db>`: opens the engine on the file as a restart does (with the
//! mock nodes restored), prints the time to open, to the first create and the RSS.
//! `scale_core memory <db>`: where the memory goes: the heap bytes each table of the
//! state takes, then the mock nodes restored lazily and built whole.

use std::sync::Arc;
use std::time::{Duration, Instant};

use brickyard::api::{ReplicaDurability, VolumeCreateRequest, VolumeDurabilityInfo};
use brickyard::executor::MockExecutor;
use brickyard::topology::TopologyFile;
use brickyard::{Engine, EngineOptions};

type Res<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn topology(nodes: usize, devices: usize) -> Res<TopologyFile> {
    let clusters = serde_json::json!({"clusters": [{"nodes": (0..nodes).map(|n| {
        let h = format!("10.9.{}.{}", n / 250, n % 250 + 1);
        serde_json::json!({"node": {"hostnames": {"manage": [h], "storage": [h]}, "zone": n % 3 + 1},
                           "devices": (0..devices).map(|d| format!("/dev/vd{d}")).collect::<Vec<_>>()})
    }).collect::<Vec<_>>()}]});
    Ok(serde_json::from_value(clusters)?)
}

fn request() -> VolumeCreateRequest {
    VolumeCreateRequest {
        size: 1,
        durability: VolumeDurabilityInfo {
            kind: "replicate".into(),
            replicate: ReplicaDurability { replica: 3 },
            ..Default::default()
        },
        ..Default::default()
    }
}

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .map(|l| l[field.len()..].trim().to_string())
        .unwrap_or_default()
}

/// Process CPU time (user + system) from /proc/self/stat, in clock ticks of 10 ms.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = f.get(11).and_then(|s| s.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|s| s.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn options(db: &str) -> EngineOptions {
    let mut opts = EngineOptions::with_file(db);
    opts.max_volumes_per_cluster = -1;
    opts
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

async fn create_batch(engine: &Engine, n: usize, clients: usize) -> Res<()> {
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let engine = engine.clone();
            let share = n / clients + usize::from(c < n % clients);
            tokio::spawn(async move {
                for _ in 0..share {
                    engine.create_volume(request()).await?;
                }
                Ok::<(), brickyard::Error>(())
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    Ok(())
}

async fn create(db: &str, count: usize, batch: usize) -> Res<()> {
    let ex = Arc::new(MockExecutor::new());
    let engine = Engine::open(options(db), ex.clone()).await?;
    if engine.state().nodes.is_empty() {
        engine.apply_topology(&topology(100, 10)?).await?;
    } else {
        engine.restore_mock_nodes(ex.mock()).await?;
    }
    let mut done = 0;
    while done < count {
        let n = batch.min(count - done);
        let (c0, t0) = (cpu(), Instant::now());
        create_batch(&engine, n, 16).await?;
        let (c, t) = (cpu() - c0, t0.elapsed());
        done += n;
        println!(
            "batch to {done}: cpu/create {:.3} ms, wall/create {:.3} ms, RSS {}",
            c.as_secs_f64() * 1e3 / n as f64,
            t.as_secs_f64() * 1e3 / n as f64,
            status("VmRSS:")
        );
    }
    let size = std::fs::metadata(db)?.len();
    println!(
        "after {done} creates: RSS {} HWM {} heap {:.1} MiB db {:.1} MiB",
        status("VmRSS:"),
        status("VmHWM:"),
        mib(heap_bytes() as u64),
        mib(size)
    );
    finish(engine, ex);
    Ok(())
}

/// Bytes the heap has handed out (glibc's `mallinfo2`): unlike RSS, memory freed is
/// not counted, so dropping a table shows what it took.
#[allow(unsafe_code)]
fn heap_bytes() -> f64 {
    #[repr(C)]
    struct MallInfo2 {
        arena: usize,
        ordblks: usize,
        smblks: usize,
        hblks: usize,
        hblkhd: usize,
        usmblks: usize,
        fsmblks: usize,
        uordblks: usize,
        fordblks: usize,
        keepcost: usize,
    }
    unsafe extern "C" {
        fn mallinfo2() -> MallInfo2;
    }
    // SAFETY: mallinfo2 takes no arguments and only reads the allocator's counters.
    let m = unsafe { mallinfo2() };
    (m.uordblks + m.hblkhd) as f64
}

async fn memory(db: &str) -> Res<()> {
    let ex = Arc::new(MockExecutor::new());
    let base = heap_bytes();
    let engine = Engine::open(options(db), ex.clone()).await?;
    let opened = heap_bytes();
    println!("open: {:.1} MiB", mib((opened - base) as u64));
    // A copy of the state, its tables dropped one by one (devices are left out: the
    // copy shares their brick lists with the engine's state).
    let mut st = engine.state();
    let mut last = heap_bytes();
    let mut took = |name: &str, n: usize, now: f64| {
        println!(
            "  {name} ({n}): {:.1} MiB, {:.0} bytes each",
            mib((last - now) as u64),
            (last - now) / n.max(1) as f64
        );
        last = now;
    };
    let n = st.bricks.len();
    st.bricks = Default::default();
    took("bricks", n, heap_bytes());
    let n = st.volumes.len();
    st.volumes = Default::default();
    took("volumes", n, heap_bytes());
    drop(st);
    let before = heap_bytes();
    engine.restore_mock_nodes(ex.mock()).await?;
    let lazy = heap_bytes();
    println!(
        "mock restore (lazy): {:.1} MiB",
        mib((lazy - before) as u64)
    );
    // Any view of the nodes from outside builds them all.
    drop(ex.mock().node("10.9.0.1"));
    println!(
        "mock nodes built: {:.1} MiB",
        mib((heap_bytes() - before) as u64)
    );
    finish(engine, ex);
    Ok(())
}

async fn open(db: &str) -> Res<()> {
    let t0 = Instant::now();
    let ex = Arc::new(MockExecutor::new());
    let engine = Engine::open(options(db), ex.clone()).await?;
    let opened = t0.elapsed();
    println!(
        "open: {:.3} s, RSS {}",
        opened.as_secs_f64(),
        status("VmRSS:")
    );
    engine.restore_mock_nodes(ex.mock()).await?;
    let restored = t0.elapsed();
    println!(
        "mock restore: {:.3} s, RSS {}",
        (restored - opened).as_secs_f64(),
        status("VmRSS:")
    );
    engine.create_volume(request()).await?;
    println!(
        "first create done: {:.3} s after start, RSS {} HWM {}",
        t0.elapsed().as_secs_f64(),
        status("VmRSS:"),
        status("VmHWM:")
    );
    finish(engine, ex);
    Ok(())
}

/// Closes the database (what a stopping server waits for), then frees the memory.
fn finish(engine: Engine, ex: Arc<MockExecutor>) {
    let t0 = Instant::now();
    engine.close();
    println!("close: {:.3} s", t0.elapsed().as_secs_f64());
    let t1 = Instant::now();
    drop(engine);
    drop(ex);
    println!("free the memory: {:.3} s", t1.elapsed().as_secs_f64());
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match args.get(1).map(String::as_str) {
        Some("create") if args.len() >= 4 => {
            let count: usize = args[3].parse()?;
            let batch: usize = args.get(4).map(|b| b.parse()).transpose()?.unwrap_or(5000);
            rt.block_on(create(&args[2], count, batch))
        }
        Some("open") if args.len() == 3 => rt.block_on(open(&args[2])),
        Some("memory") if args.len() == 3 => rt.block_on(memory(&args[2])),
        _ => Err(
            "usage: scale_core create <db> <count> [batch] | scale_core open <db> | scale_core memory <db>"
                .into(),
        ),
    }
}
