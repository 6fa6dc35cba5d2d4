//! Benchmark (not a test): 20 concurrent replica-3 volume creates on three real storage
//! nodes (`bed.sh`), with the ssh transport's connection reuse on and off.
//!
//! `make bench-real-nodes` (root, packages of `make deps-real-nodes`). Settings from the
//! environment: `BENCH_VOLUMES` (20), `BENCH_ITERATIONS` (3 per mode), `BENCH_MODES`
//! (`reuse,fresh`). Each iteration creates the volumes at once, waits for all, then deletes
//! them at once; the nodes are checked to be as before at the end of each mode.
//!
//! Prints per iteration: wall time of the whole burst, median and slowest single create,
//! failures, ssh connections opened; then the medians per mode.

use std::sync::Arc;
use std::time::{Duration, Instant};

use brickyard::executor::{CommandConfig, SshExecutor};
use brickyard::{Engine, EngineOptions};
use brickyard_realnodes::{Bed, bed_topology, replica3};
use futures_util::future::join_all;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    match v.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2,
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

struct Iteration {
    burst: Duration,
    median_create: Duration,
    slowest_create: Duration,
    failed: usize,
    delete: Duration,
    connections: u64,
}

/// Loads the topology, runs the iterations, removes everything again.
async fn run_mode(bed: &Bed, reuse: bool, volumes: usize, iterations: usize) -> Vec<Iteration> {
    let hosts = bed.hosts().to_vec();
    let mut ssh = bed.ssh_config();
    ssh.reuse_connections = reuse;
    let exec = Arc::new(SshExecutor::ssh(ssh, CommandConfig::default()).expect("ssh executor"));
    let engine = Engine::open(EngineOptions::in_memory(), exec.clone())
        .await
        .expect("engine opens");
    engine
        .apply_topology(&bed_topology(&hosts).expect("bed topology"))
        .await
        .expect("topology applies");
    let mut out = Vec::new();
    for it in 1..=iterations {
        let before = exec.transport().connections_opened();
        let t0 = Instant::now();
        let results = join_all((0..volumes).map(|_| {
            let engine = engine.clone();
            async move {
                let t = Instant::now();
                let r = engine.create_volume(replica3(1)).await;
                (t.elapsed(), r)
            }
        }))
        .await;
        let burst = t0.elapsed();
        let mut times = Vec::new();
        let mut ids = Vec::new();
        let mut failed = 0;
        for (t, r) in results {
            match r {
                Ok(v) => {
                    times.push(t);
                    ids.push(v.info.id);
                }
                Err(e) => {
                    failed += 1;
                    eprintln!("  create failed after {}: {e}", secs(t));
                }
            }
        }
        let connections = exec.transport().connections_opened() - before;
        let t1 = Instant::now();
        for r in join_all(ids.iter().map(|id| engine.delete_volume(id))).await {
            if let Err(e) = r {
                eprintln!("  delete failed: {e}");
            }
        }
        let delete = t1.elapsed();
        let report = engine.cleanup_pending(None).await.expect("cleanup");
        if !report.is_empty() {
            eprintln!("  cleanup: {report:?}");
        }
        let i = Iteration {
            burst,
            median_create: median(&times),
            slowest_create: times.iter().max().copied().unwrap_or_default(),
            failed,
            delete,
            connections,
        };
        println!(
            "reuse={reuse:<5} iteration {it}: {volumes} creates in {} (median create {}, slowest {}, {} failed), \
             {} ssh connections; deletes {}",
            secs(i.burst),
            secs(i.median_create),
            secs(i.slowest_create),
            i.failed,
            i.connections,
            secs(i.delete)
        );
        out.push(i);
    }
    // Devices, nodes and cluster go, so the next mode starts from empty nodes.
    let st = engine.state();
    for id in st.devices.keys() {
        engine
            .set_device_state(id, "offline")
            .await
            .expect("offline");
        engine.set_device_state(id, "failed").await.expect("remove");
        engine
            .delete_device(id, false)
            .await
            .expect("device delete");
    }
    let mut nodes: Vec<&String> = st.nodes.keys().collect();
    nodes.sort();
    for id in nodes {
        engine.set_node_state(id, "offline").await.expect("offline");
        engine.delete_node(id).await.expect("node delete");
    }
    for c in engine.cluster_list().clusters {
        engine.delete_cluster(&c).expect("cluster delete");
    }
    out
}

fn main() {
    let volumes: usize = env_or("BENCH_VOLUMES", 20);
    let iterations: usize = env_or("BENCH_ITERATIONS", 3);
    let modes: String = env_or("BENCH_MODES", "reuse,fresh".to_string());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    // Room for 20 one-GiB bricks per node (two 16 GiB sparse disks each) and 20 brick
    // processes per node.
    let bed = Bed::up_with(3, &[("BYD_DISK_SIZE", "16G"), ("BYD_MEM", "1536M")])
        .unwrap_or_else(|e| panic!("the real-node bed did not start: {e}"));
    let hosts = bed.hosts().to_vec();
    let before: Vec<String> = hosts
        .iter()
        .map(|h| bed.node_state(h).expect("node state"))
        .collect();
    let mut summary = Vec::new();
    for mode in modes.split(',').map(str::trim) {
        let reuse = match mode {
            "reuse" => true,
            "fresh" => false,
            other => panic!("BENCH_MODES: unknown mode {other} (reuse, fresh)"),
        };
        let its = rt.block_on(run_mode(&bed, reuse, volumes, iterations));
        for (h, was) in hosts.iter().zip(&before) {
            assert_eq!(
                &bed.node_state(h).expect("node state"),
                was,
                "node {h} changed"
            );
        }
        summary.push((mode, its));
    }
    println!();
    println!(
        "| connection reuse | iterations | median burst ({volumes} creates) | median create | slowest create | failed creates | median ssh connections / burst | median delete burst |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (mode, its) in &summary {
        let pick = |f: fn(&Iteration) -> Duration| median(&its.iter().map(f).collect::<Vec<_>>());
        let mut conns: Vec<u64> = its.iter().map(|i| i.connections).collect();
        conns.sort();
        let conns = match conns.len() {
            0 => 0,
            n if n % 2 == 1 => conns[n / 2],
            n => (conns[n / 2 - 1] + conns[n / 2]) / 2,
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            if *mode == "reuse" { "on" } else { "off" },
            its.len(),
            secs(pick(|i| i.burst)),
            secs(pick(|i| i.median_create)),
            secs(
                its.iter()
                    .map(|i| i.slowest_create)
                    .max()
                    .unwrap_or_default()
            ),
            its.iter().map(|i| i.failed).sum::<usize>(),
            conns,
            secs(pick(|i| i.delete)),
        );
    }
    drop(bed);
}
