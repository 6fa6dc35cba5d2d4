//! The scale scenario (`make bench-scale`): a `brickyard serve` with the mock executor
//! on a temporary database, a topology of `nodes` x `devices` added through the API,
//! `volumes` 1-GiB replica-3 creates by `clients` concurrent clients (in batches, with
//! the server's CPU per create per batch), read latencies, `brickyard topology info`,
//! deletes, then a restart (SIGTERM → exit, start → `/hello` → first create) and the
//! memory and database size, printed as a table against the targets of issue #13.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hyper::StatusCode;
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

use super::client::{Client, Target};
use super::ops::{self, Cost, Polling};
use super::procfs;
use super::stats::{Samples, ms};

/// JWT key of the scenario's server (`admin`).
const SECRET: &str = "bench-scale secret";

/// The scenario's parameters.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The `brickyard` binary.
    pub brickyard: PathBuf,
    pub volumes: usize,
    pub clients: usize,
    pub nodes: usize,
    pub devices: usize,
    /// Creates per CPU measurement batch.
    pub batch: usize,
    /// Volumes deleted after the reads.
    pub deletes: usize,
    /// `max_inflight_operations` of the server.
    pub max_inflight: usize,
    pub polling: Polling,
    /// Where the temporary directory goes (default: the system's).
    pub workdir: Option<PathBuf>,
}

/// What a concurrent run of one operation kind gave.
#[derive(Debug, Default)]
pub struct RunResult {
    pub done: usize,
    pub elapsed: Duration,
    pub cost: Cost,
    pub requests: u64,
    pub connects: u64,
    pub ids: Vec<String>,
}

impl RunResult {
    pub fn per_second(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn polls_per_op(&self) -> f64 {
        self.cost.polls as f64 / (self.done.max(1) as f64)
    }

    pub fn requests_per_op(&self) -> f64 {
        self.requests as f64 / (self.done.max(1) as f64)
    }
}

/// The answer of one operation: the client back, and the new id (if any) and cost.
type OpDone = (Client, Result<(Option<String>, Cost)>);

/// `count` volume creates by `clients` concurrent clients.
pub async fn run_creates(
    target: &Target,
    clients: usize,
    count: usize,
    polling: Polling,
) -> Result<RunResult> {
    let body = Arc::new(ops::volume_body(1));
    run_concurrent(target, clients, count, move |mut client, _| {
        let body = body.clone();
        async move {
            let mut cost = Cost::default();
            let id = ops::volume_create(&mut client, polling, &body, &mut cost).await;
            (client, id.map(|id| (Some(id), cost)))
        }
    })
    .await
}

/// Deletes of `ids` by `clients` concurrent clients.
pub async fn run_deletes(
    target: &Target,
    clients: usize,
    ids: Vec<String>,
    polling: Polling,
) -> Result<RunResult> {
    let ids = Arc::new(ids);
    let count = ids.len();
    run_concurrent(target, clients, count, move |mut client, i| {
        let ids = ids.clone();
        async move {
            let mut cost = Cost::default();
            let done = ops::volume_delete(&mut client, polling, &ids[i], &mut cost).await;
            (client, done.map(|()| (None, cost)))
        }
    })
    .await
}

/// Runs `op(client, i)` for i in 0..count on `clients` concurrent clients, each with its
/// own connection (the client is handed to the operation and given back).
pub async fn run_concurrent<F, Fut>(
    target: &Target,
    clients: usize,
    count: usize,
    op: F,
) -> Result<RunResult>
where
    F: Fn(Client, usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = OpDone> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..clients.max(1) {
        let next = next.clone();
        let op = op.clone();
        let target = target.clone();
        workers.push(tokio::spawn(async move {
            let mut client = Client::new(&target);
            let mut result = RunResult::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let (back, outcome) = op(client, i).await;
                client = back;
                let (id, cost) = outcome?;
                result.done += 1;
                result.cost.add(cost);
                result.ids.extend(id);
            }
            result.requests = client.requests;
            result.connects = client.connects;
            anyhow::Ok(result)
        }));
    }
    let mut total = RunResult::default();
    for worker in workers {
        let r = worker.await.context("worker panicked")??;
        total.done += r.done;
        total.cost.add(r.cost);
        total.requests += r.requests;
        total.connects += r.connects;
        total.ids.extend(r.ids);
    }
    total.elapsed = start.elapsed();
    Ok(total)
}

/// A running `brickyard serve`.
pub struct Server {
    child: Child,
    pub pid: u32,
    pub started: Instant,
}

/// The scenario's files.
struct Work {
    dir: PathBuf,
    config: PathBuf,
    db: PathBuf,
    addr: SocketAddr,
}

impl Work {
    fn new(base: Option<&Path>, scenario: &Scenario) -> Result<Work> {
        let base = base.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis();
        let dir = base.join(format!("brickyard-scale-{}-{stamp}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let db = dir.join("brickyard.redb");
        let config = dir.join("heketi.json");
        // Room for every brick: volumes x 3 GiB over nodes x devices, doubled.
        let device_gb = ((scenario.volumes as u64 * 3 * 2)
            / (scenario.nodes * scenario.devices) as u64)
            .max(64);
        let text = serde_json::json!({
            "use_auth": true,
            "jwt": {"admin": {"key": SECRET}, "user": {"key": SECRET}},
            "glusterfs": {
                "executor": "mock",
                "db": db,
                "mock_device_size_gb": device_gb,
                "max_inflight_operations": scenario.max_inflight,
                // Heketi's default is 1,000 volumes per cluster; negative: no limit.
                "max_volumes_per_cluster": -1,
            }
        });
        std::fs::write(&config, serde_json::to_vec_pretty(&text)?)?;
        // A free port, kept across the restart.
        let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        Ok(Work {
            dir,
            config,
            db,
            addr,
        })
    }
}

impl Server {
    async fn start(brickyard: &Path, work: &Work, log_name: &str) -> Result<Server> {
        let log = std::fs::File::create(work.dir.join(log_name))?;
        let started = Instant::now();
        let child = Command::new(brickyard)
            .arg("serve")
            .arg("--config")
            .arg(&work.config)
            .arg("--listen")
            .arg(work.addr.to_string())
            .arg("--db")
            .arg(&work.db)
            .env_remove("HEKETI_CLI_SERVER")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", brickyard.display()))?;
        let pid = child.id().context("server exited at once")?;
        Ok(Server {
            child,
            pid,
            started,
        })
    }

    /// Waits until `/hello` answers 200; the time since the start.
    async fn ready(&mut self, target: &Target) -> Result<Duration> {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited before answering /hello: {status}");
            }
            let mut client = Client::new(target);
            if let Ok(answer) = client.call("GET", "/hello", None).await
                && answer.status == StatusCode::OK
            {
                return Ok(self.started.elapsed());
            }
            if Instant::now() > deadline {
                bail!("the server did not answer /hello within 10 minutes");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// SIGTERM, then the time until the process has exited.
    async fn stop(mut self) -> Result<Duration> {
        let pid = rustix::process::Pid::from_raw(i32::try_from(self.pid)?)
            .context("invalid server pid")?;
        let at = Instant::now();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM)?;
        let status = tokio::time::timeout(Duration::from_secs(300), self.child.wait())
            .await
            .context("the server did not exit within 5 minutes of SIGTERM")??;
        let took = at.elapsed();
        if !status.success() {
            bail!("the server exited with {status} after SIGTERM");
        }
        Ok(took)
    }
}

/// The scenario's measurements.
#[derive(Debug, Default)]
pub struct Report {
    pub topology_setup: Duration,
    pub creates: RunResult,
    /// Server CPU per create of each batch.
    pub cpu_per_create: Vec<Duration>,
    pub cluster_info: Samples,
    pub volume_list: Samples,
    pub node_info: Samples,
    pub volume_info: Samples,
    pub topology_cli: Duration,
    pub topology_cli_bytes: u64,
    /// Server CPU time while the CLI ran.
    pub topology_server_cpu: Duration,
    /// The CLI's own CPU time.
    pub topology_cli_cpu: Duration,
    pub deletes: RunResult,
    pub rss_after_run: u64,
    pub db_size: u64,
    pub stop: Duration,
    pub start_to_hello: Duration,
    pub start_to_first_create: Duration,
    pub rss_after_restart: u64,
}

/// Runs the scenario and returns its measurements.
pub async fn run(scenario: &Scenario) -> Result<Report> {
    let work = Work::new(scenario.workdir.as_deref(), scenario)?;
    eprintln!("bench-scale: working in {}", work.dir.display());
    let outcome = run_in(scenario, &work).await;
    match &outcome {
        Ok(_) => {
            let _ = std::fs::remove_dir_all(&work.dir);
        }
        Err(_) => eprintln!(
            "bench-scale: failed; the server logs stay in {}",
            work.dir.display()
        ),
    }
    outcome
}

async fn run_in(scenario: &Scenario, work: &Work) -> Result<Report> {
    let target = Target {
        addr: work.addr,
        auth: Some(("admin".to_string(), SECRET.to_string())),
    };
    let mut report = Report::default();
    let mut server = Server::start(&scenario.brickyard, work, "server.log").await?;
    server.ready(&target).await?;

    // Topology through the API.
    let at = Instant::now();
    let cluster = topology(&target, scenario).await?;
    report.topology_setup = at.elapsed();
    eprintln!(
        "bench-scale: topology of {} nodes x {} devices in {:.1} s",
        scenario.nodes,
        scenario.devices,
        report.topology_setup.as_secs_f64()
    );

    // Creates, in batches for the CPU per create.
    let mut remaining = scenario.volumes;
    let mut creates = RunResult::default();
    while remaining > 0 {
        let n = remaining.min(scenario.batch.max(1));
        let cpu = procfs::cpu_time(server.pid)?;
        let batch = run_creates(&target, scenario.clients, n, scenario.polling).await?;
        let used = procfs::cpu_time(server.pid)?.saturating_sub(cpu);
        report.cpu_per_create.push(used / n as u32);
        creates.done += batch.done;
        creates.elapsed += batch.elapsed;
        creates.cost.add(batch.cost);
        creates.requests += batch.requests;
        creates.connects += batch.connects;
        let rate = batch.per_second();
        creates.ids.extend(batch.ids);
        remaining -= n;
        eprintln!(
            "bench-scale: {} volumes, {:.0} creates/s, CPU {} per create",
            creates.done,
            rate,
            ms(*report.cpu_per_create.last().unwrap_or(&Duration::ZERO))
        );
    }
    report.creates = creates;

    // Read latencies, one client, one request at a time.
    let mut client = Client::new(&target);
    let nodes = node_ids(&mut client, &cluster).await?;
    let pid = server.pid;
    sample(&mut client, pid, &mut report.cluster_info, 20, |_| {
        format!("/clusters/{cluster}")
    })
    .await?;
    sample(&mut client, pid, &mut report.volume_list, 20, |_| {
        "/volumes".to_string()
    })
    .await?;
    sample(&mut client, pid, &mut report.node_info, 100, |i| {
        format!("/nodes/{}", nodes[(i * 7) % nodes.len().max(1)])
    })
    .await?;
    let ids = report.creates.ids.clone();
    let step = (ids.len() / 1000).max(1);
    sample(
        &mut client,
        pid,
        &mut report.volume_info,
        ids.len().min(1000),
        |i| format!("/volumes/{}", ids[(i * step) % ids.len()]),
    )
    .await?;

    // topology info through Brickyard's CLI.
    let out = work.dir.join("topology.txt");
    let cpu = procfs::cpu_time(server.pid)?;
    let cli_cpu = procfs::children_cpu_time(std::process::id())?;
    let at = Instant::now();
    let status = Command::new(&scenario.brickyard)
        .args(["topology", "info"])
        .env("HEKETI_CLI_SERVER", format!("http://{}", work.addr))
        .env("HEKETI_CLI_USER", "admin")
        .env("HEKETI_CLI_KEY", SECRET)
        .stdout(std::fs::File::create(&out)?)
        .stderr(Stdio::inherit())
        .status()
        .await?;
    report.topology_cli = at.elapsed();
    report.topology_server_cpu = procfs::cpu_time(server.pid)?.saturating_sub(cpu);
    report.topology_cli_cpu =
        procfs::children_cpu_time(std::process::id())?.saturating_sub(cli_cpu);
    if !status.success() {
        bail!("brickyard topology info failed: {status}");
    }
    report.topology_cli_bytes = std::fs::metadata(&out)?.len();
    let _ = std::fs::remove_file(&out);

    // Deletes.
    let victims: Vec<String> = report
        .creates
        .ids
        .iter()
        .rev()
        .take(scenario.deletes)
        .cloned()
        .collect();
    report.deletes = run_deletes(&target, scenario.clients, victims, scenario.polling).await?;

    report.rss_after_run = procfs::rss_bytes(server.pid)?;
    report.stop = server.stop().await?;
    report.db_size = std::fs::metadata(&work.db)?.len();

    // Restart.
    let mut server = Server::start(&scenario.brickyard, work, "server-restart.log").await?;
    report.start_to_hello = server.ready(&target).await?;
    let mut client = Client::new(&target);
    ops::volume_create(
        &mut client,
        scenario.polling,
        &ops::volume_body(1),
        &mut Cost::default(),
    )
    .await?;
    report.start_to_first_create = server.started.elapsed();
    report.rss_after_restart = procfs::rss_bytes(server.pid)?;
    server.stop().await?;
    Ok(report)
}

/// A cluster, `nodes` nodes and `devices` devices on each, through the API; the
/// cluster's id.
async fn topology(target: &Target, scenario: &Scenario) -> Result<String> {
    let mut client = Client::new(target);
    let cluster = Arc::new(ops::cluster_create(&mut client).await?);
    let polling = scenario.polling;
    let devices = scenario.devices;
    let node_ids = Arc::new(Mutex::new(Vec::new()));
    let ids = node_ids.clone();
    let c = cluster.clone();
    run_concurrent(
        target,
        scenario.clients,
        scenario.nodes,
        move |mut client, n| {
            let cluster = c.clone();
            let ids = ids.clone();
            async move {
                let mut cost = Cost::default();
                let outcome = async {
                    let node = ops::node_add(&mut client, polling, &cluster, n, &mut cost).await?;
                    ids.lock().await.push(node);
                    anyhow::Ok(())
                }
                .await;
                (client, outcome.map(|()| (None, cost)))
            }
        },
    )
    .await?;
    let nodes = Arc::new(node_ids.lock().await.clone());
    run_concurrent(
        target,
        scenario.clients,
        nodes.len() * devices,
        move |mut client, i| {
            let nodes = nodes.clone();
            async move {
                let mut cost = Cost::default();
                let name = format!("sd{}", device_letters(i % devices));
                let outcome =
                    ops::device_add(&mut client, polling, &nodes[i / devices], &name, &mut cost)
                        .await;
                (client, outcome.map(|()| (None, cost)))
            }
        },
    )
    .await?;
    Ok(Arc::unwrap_or_clone(cluster))
}

/// `b`, `c`, …, `z`, `ba`, … for device `i`.
fn device_letters(i: usize) -> String {
    let mut n = i + 1;
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The node ids of `cluster`.
async fn node_ids(client: &mut Client, cluster: &str) -> Result<Vec<String>> {
    let answer = client
        .call("GET", &format!("/clusters/{cluster}"), None)
        .await?;
    let nodes = answer.json()?["nodes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if nodes.is_empty() {
        bail!("cluster {cluster} has no nodes");
    }
    Ok(nodes)
}

/// `n` sequential `GET path(i)` (each must be 200) into `samples`.
async fn sample(
    client: &mut Client,
    server: u32,
    samples: &mut Samples,
    n: usize,
    path: impl Fn(usize) -> String,
) -> Result<()> {
    let cpu = procfs::cpu_time(server)?;
    for i in 0..n {
        let path = path(i);
        let at = Instant::now();
        let answer = client.call("GET", &path, None).await?;
        samples.push(at.elapsed());
        if answer.status != StatusCode::OK {
            bail!("GET {path}: {} {}", answer.status, answer.text());
        }
    }
    samples.add_cpu(procfs::cpu_time(server)?.saturating_sub(cpu));
    Ok(())
}

/// The report as a table: measured now, and the target of issue #13 where it sets one.
pub fn table(scenario: &Scenario, r: &Report) -> String {
    let mut rows: Vec<(String, String, &str)> = Vec::new();
    let mut row = |what: &str, now: String, target: &'static str| {
        rows.push((what.to_string(), now, target));
    };
    row(
        "topology setup through the API",
        format!("{:.1} s", r.topology_setup.as_secs_f64()),
        "",
    );
    row(
        "creates/s (overall)",
        format!("{:.0}", r.creates.per_second()),
        "",
    );
    row(
        "queue polls per create",
        format!("{:.2}", r.creates.polls_per_op()),
        "",
    );
    row(
        "HTTP requests per create",
        format!("{:.2}", r.creates.requests_per_op()),
        "",
    );
    row(
        "429 retries per create",
        format!(
            "{:.3}",
            r.creates.cost.busy as f64 / r.creates.done.max(1) as f64
        ),
        "",
    );
    let first = r.cpu_per_create.first().copied().unwrap_or_default();
    let last = r.cpu_per_create.last().copied().unwrap_or_default();
    row(
        &format!("server CPU per create, first {} batch", scenario.batch),
        ms(first),
        "<= 1.2 ms",
    );
    row(
        &format!("server CPU per create, last {} batch", scenario.batch),
        ms(last),
        "<= 1.2 ms flat",
    );
    let p = |s: &Samples| {
        format!(
            "{} (p99 {}, n={}, server CPU {} each)",
            ms(s.percentile(50.0)),
            ms(s.percentile(99.0)),
            s.len(),
            ms(s.cpu_each())
        )
    };
    row("GET /clusters/{id} p50", p(&r.cluster_info), "<= 30 ms");
    row("GET /volumes p50", p(&r.volume_list), "<= 20 ms");
    row("GET /nodes/{id} p50", p(&r.node_info), "<= 10 ms");
    row("GET /volumes/{id} p50", p(&r.volume_info), "<= 1 ms");
    row(
        "brickyard topology info",
        format!(
            "{:.2} s ({} of text, CPU: server {}, CLI {})",
            r.topology_cli.as_secs_f64(),
            procfs::mib(r.topology_cli_bytes),
            ms(r.topology_server_cpu),
            ms(r.topology_cli_cpu)
        ),
        "<= 5 s",
    );
    row(
        "deletes/s",
        format!(
            "{:.0} (n={}, {:.2} polls each)",
            r.deletes.per_second(),
            r.deletes.done,
            r.deletes.polls_per_op()
        ),
        "",
    );
    row("RSS after the run", procfs::mib(r.rss_after_run), "");
    row("database size", procfs::mib(r.db_size), "");
    row("SIGTERM -> exit", ms(r.stop), "");
    row("start -> /hello", ms(r.start_to_hello), "");
    row(
        "start -> first create done",
        ms(r.start_to_first_create),
        "",
    );
    row(
        "RSS after restart + 1 create",
        procfs::mib(r.rss_after_restart),
        "",
    );

    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let now_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "bench-scale: {} volumes (1 GiB, replica 3), {} clients, {} nodes x {} devices, mock executor, max_inflight_operations {}, poll interval {} ms",
        scenario.volumes,
        scenario.clients,
        scenario.nodes,
        scenario.devices,
        scenario.max_inflight,
        scenario.polling.interval.as_millis()
    );
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let _ = writeln!(
            out,
            "machine: {} CPUs, load average at the end {} (latencies are wall-clock; the CPU figures are the server's own)",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            load.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    let _ = writeln!(
        out,
        "| {:width$} | {:now_width$} | target |",
        "measure", "now"
    );
    let _ = writeln!(
        out,
        "|{}|{}|--------|",
        "-".repeat(width + 2),
        "-".repeat(now_width + 2)
    );
    for (what, now, target) in rows {
        let _ = writeln!(out, "| {what:width$} | {now:now_width$} | {target} |");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_run_through_the_alphabet() {
        assert_eq!(device_letters(0), "b");
        assert_eq!(device_letters(24), "z");
        assert_eq!(device_letters(25), "ba");
    }
}
