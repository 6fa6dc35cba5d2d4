//! `brickyard-load`: the REST load generator.
//!
//! - `brickyard-load fake`: creates against a built-in server that answers instantly,
//!   to show what the generator itself sustains (it must not be the bottleneck).
//! - `brickyard-load scale --brickyard target/release/brickyard`: the scale scenario of
//!   `make bench-scale` (see `brickyard_benches::load::scale`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use brickyard_benches::load::client::Target;
use brickyard_benches::load::ops::Polling;
use brickyard_benches::load::scale::{self, Scenario};
use brickyard_benches::load::{fake, procfs};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "brickyard-load",
    about = "REST load generator for brickyard serve"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
    /// Pause between two polls of a pending operation, in milliseconds
    #[arg(long, global = true, default_value_t = 2)]
    poll_ms: u64,
    /// Concurrent clients
    #[arg(long, global = true, default_value_t = 16)]
    clients: usize,
    /// Worker threads of the generator's runtime
    #[arg(long, global = true, default_value_t = 2)]
    threads: usize,
}

#[derive(Subcommand)]
enum Cmd {
    /// Creates against a built-in instant server (the generator's own ceiling)
    Fake {
        /// Creates to run
        #[arg(long, default_value_t = 100_000)]
        volumes: usize,
    },
    /// The scale scenario against a `brickyard serve` this command starts
    Scale {
        /// The brickyard binary
        #[arg(long)]
        brickyard: PathBuf,
        #[arg(long, env = "VOLUMES", default_value_t = 100_000)]
        volumes: usize,
        #[arg(long, default_value_t = 100)]
        nodes: usize,
        #[arg(long, default_value_t = 10)]
        devices: usize,
        /// Creates per server-CPU measurement
        #[arg(long, default_value_t = 5_000)]
        batch: usize,
        /// Volumes deleted after the reads
        #[arg(long, default_value_t = 1_000)]
        deletes: usize,
        /// The server's max_inflight_operations
        #[arg(long, default_value_t = 32)]
        max_inflight: usize,
        /// Directory for the temporary database and logs
        #[arg(long)]
        workdir: Option<PathBuf>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.threads.max(1))
        .enable_all()
        .build()?;
    let polling = Polling {
        interval: Duration::from_millis(cli.poll_ms),
        ..Polling::default()
    };
    runtime.block_on(async move {
        match cli.cmd {
            Cmd::Fake { volumes } => {
                let addr = fake::start().await?;
                let target = Target { addr, auth: Some(("admin".into(), "secret".into())) };
                let me = std::process::id();
                let cpu = procfs::cpu_time(me)?;
                let r = scale::run_creates(&target, cli.clients, volumes, polling).await?;
                let used = procfs::cpu_time(me)?.saturating_sub(cpu);
                println!(
                    "fake server: {} creates by {} clients in {:.2} s: {:.0} creates/s, {:.2} requests per create, {:.2} polls per create, {} connections, process CPU {:.1} us per create (generator + fake server)",
                    r.done,
                    cli.clients,
                    r.elapsed.as_secs_f64(),
                    r.per_second(),
                    r.requests_per_op(),
                    r.polls_per_op(),
                    r.connects,
                    used.as_secs_f64() * 1e6 / r.done.max(1) as f64
                );
                Ok(())
            }
            Cmd::Scale { brickyard, volumes, nodes, devices, batch, deletes, max_inflight, workdir } => {
                let scenario = Scenario {
                    brickyard,
                    volumes,
                    clients: cli.clients,
                    nodes,
                    devices,
                    batch,
                    deletes: deletes.min(volumes),
                    max_inflight,
                    polling,
                    workdir,
                };
                let report = scale::run(&scenario).await?;
                print!("{}", scale::table(&scenario, &report));
                Ok(())
            }
        }
    })
}
