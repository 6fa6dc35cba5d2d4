//! `brickyard serve`: configuration, engine, HTTP listener, background cleaner,
//! signals and graceful shutdown.
//!
//! [`serve`] is the whole program; [`start`] returns a [`RunningServer`] (tests and
//! embedders use it to learn the bound address and to shut down without signals).

mod connection;
mod dbfile;
mod executor;
mod listener;
mod logging;
mod signals;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use brickyard::api::GIB;
use brickyard::engine::CleanupReport;
use brickyard::executor::Executor;
use brickyard::placement::{Limits, ZoneChecking as EngineZoneChecking};
use brickyard::{DbLocation, Engine, EngineOptions};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use connection::Timeouts;
pub use dbfile::{absolute, bolt_advice, is_bolt_file};
pub use executor::{MockNodes, executor_banner, executor_name, make_executor};
pub use listener::{ConnectionLimits, fit_to_descriptors, open_file_limit};
pub use tls::TlsSetupError;

use crate::auth::AuthSettings;
use crate::cleaner::{self, CleanerSchedule};
use crate::config::{ConfigError, ServerConfig, ZoneChecking, process_env};
use crate::state::AppState;

/// How long a shutdown waits for running operations by default.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// What `brickyard serve` was asked to do.
#[derive(Clone)]
pub struct ServeOptions {
    /// `--config FILE` (heketi.json); without it the defaults with the mock executor.
    pub config: Option<PathBuf>,
    /// `--disable-auth`.
    pub disable_auth: bool,
    /// `--listen ADDR` (e.g. `127.0.0.1:0`); default `0.0.0.0:<port>`.
    pub listen: Option<String>,
    /// `--db FILE`, overriding `glusterfs.db`.
    pub db: Option<PathBuf>,
    /// Install the process-wide tracing subscriber (off in tests).
    pub install_logging: bool,
    /// React to SIGUSR2 (admin mode back to normal) and, in [`serve`], to
    /// SIGTERM/SIGINT.
    pub handle_signals: bool,
    /// How long a shutdown waits for running operations.
    pub drain_timeout: Duration,
    /// Builds the hooks of `glusterfs.hooks` (the binary passes the Lua host; the
    /// server itself knows no hook language).
    pub hooks_loader: Option<HooksLoader>,
}

/// Turns a `glusterfs.hooks` section into the engine's hooks, or says why not.
pub type HooksLoader = std::sync::Arc<
    dyn Fn(
            &crate::config::HooksConfig,
        ) -> Result<std::sync::Arc<dyn brickyard::hooks::Hooks>, String>
        + Send
        + Sync,
>;

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("config", &self.config)
            .field("disable_auth", &self.disable_auth)
            .field("listen", &self.listen)
            .field("db", &self.db)
            .field("install_logging", &self.install_logging)
            .field("handle_signals", &self.handle_signals)
            .field("drain_timeout", &self.drain_timeout)
            .field("hooks_loader", &self.hooks_loader.is_some())
            .finish()
    }
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            hooks_loader: None,
            config: None,
            disable_auth: false,
            listen: None,
            db: None,
            install_logging: true,
            handle_signals: true,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
        }
    }
}

/// Why the server could not start or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A setting this build cannot honour (executor, hooks, read-only database).
    #[error("{0}")]
    Unsupported(String),
    /// The database file is Heketi's BoltDB.
    #[error("{}", bolt_advice(.path))]
    BoltDb {
        /// The file.
        path: PathBuf,
    },
    /// The engine could not open its database.
    #[error("cannot open the database {}: {source}", .path.display())]
    Engine {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: brickyard::Error,
    },
    /// `cert_file` or `key_file` is missing, unreadable or invalid.
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
    /// The listen address is malformed or cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP server failed while running.
    #[error("server failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// Loads `--config` (or the defaults with the mock executor) with `HEKETI_*`
/// overrides.
pub fn load_config(path: Option<&std::path::Path>) -> Result<ServerConfig, ConfigError> {
    match path {
        Some(path) => ServerConfig::load(path, &process_env),
        None => ServerConfig::from_str(
            r#"{"glusterfs":{"executor":"mock"}}"#,
            "defaults",
            &process_env,
        ),
    }
}

/// The engine settings of `config`, on the database file `db`.
pub fn engine_options(config: &ServerConfig, db: PathBuf) -> EngineOptions {
    let g = &config.glusterfs;
    EngineOptions {
        limits: Limits {
            brick_min_kib: g.brick_min_size_gb.saturating_mul(GIB),
            brick_max_kib: g.brick_max_size_gb.saturating_mul(GIB),
            max_bricks_per_volume: usize::try_from(g.max_bricks_per_volume).unwrap_or(usize::MAX),
        },
        zone_checking: match g.zone_checking {
            ZoneChecking::None => EngineZoneChecking::None,
            ZoneChecking::Strict => EngineZoneChecking::Strict,
        },
        average_file_size_kib: g.average_file_size_kb,
        pre_request_volume_options: g.pre_request_volume_options.clone(),
        post_request_volume_options: g.post_request_volume_options.clone(),
        max_volumes_per_cluster: match g.max_volumes_per_cluster {
            Some(n) => i64::try_from(n).unwrap_or(i64::MAX),
            None => -1,
        },
        rebalance_on_expansion: g.rebalance_on_expansion,
        cleanup_on_open: true,
        ..EngineOptions::with_file(db)
    }
}

/// Refuses settings this build cannot honour.
fn check_supported(config: &ServerConfig) -> Result<(), ServeError> {
    if config.glusterfs.db_read_only {
        return Err(ServeError::Unsupported(
            "glusterfs.db_read_only: a read-only database is not supported; use the admin mode read-only instead (default_state)".into(),
        ));
    }
    Ok(())
}

/// Opens (or creates) the engine's database, refusing BoltDB files.
pub async fn open_engine(
    options: EngineOptions,
    executor: Arc<dyn Executor>,
) -> Result<Engine, ServeError> {
    let path = match &options.db {
        DbLocation::File(p) => p.clone(),
        DbLocation::Memory => PathBuf::from(":memory:"),
    };
    if is_bolt_file(&path) {
        return Err(ServeError::BoltDb { path });
    }
    let opened = cleaner::run_on_blocking_thread(move || Engine::open(options, executor)).await;
    match opened {
        Some(Ok(engine)) => Ok(engine),
        Some(Err(source)) => Err(ServeError::Engine { path, source }),
        None => Err(ServeError::Engine {
            path,
            source: brickyard::Error::conflict("opening the database was aborted"),
        }),
    }
}

fn log_recovery(report: &CleanupReport) {
    if report.is_empty() {
        tracing::info!("no pending operations were left by the previous run");
        return;
    }
    println!(
        "Cleaned {} pending operation(s) left by the previous run",
        report.operations.len()
    );
    cleaner::log_report("pending operation at start", report);
}

/// What a shutdown found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Every running operation finished within the drain timeout.
    pub drained: bool,
    /// `(queue id, label)` of the operations still running when the server stopped;
    /// they stay pending in the store and are cleaned at the next start.
    pub still_running: Vec<(String, String)>,
}

/// A started server.
pub struct RunningServer {
    addr: SocketAddr,
    tls: bool,
    state: AppState,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    tasks: Vec<JoinHandle<()>>,
    drain_timeout: Duration,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// The address the listener is bound to (the real port for `:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's URL: `http://` or, with `enable_tls`, `https://` and the address.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The state the routes share (engine, queue, admin mode, …).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting requests, stops the background tasks and waits up to the
    /// drain timeout for running operations.
    pub async fn shutdown(self) -> Result<ShutdownReport, ServeError> {
        self.stop_serving(false).await
    }

    /// [`RunningServer::shutdown`] for a process that exits right after: the database
    /// is closed cleanly as well, but the in-memory state is left to the exit instead
    /// of being freed record by record (with 100,000 volumes, freeing takes seconds).
    pub async fn shutdown_for_exit(self) -> Result<ShutdownReport, ServeError> {
        self.stop_serving(true).await
    }

    async fn stop_serving(self, exiting: bool) -> Result<ShutdownReport, ServeError> {
        let _ = self.stop.send(true);
        let served = self.server.await;
        for task in self.tasks {
            task.abort();
        }
        let drained = self.state.queue.drain(self.drain_timeout).await;
        let still_running = self.state.queue.pending();
        if drained {
            tracing::info!("all operations finished; stopped");
        } else {
            for (id, label) in &still_running {
                tracing::warn!(queue_id = %id, operation = %label,
                    "still running at shutdown: it stays pending in the database and is cleaned at the next start");
            }
        }
        // Whatever is queued becomes durable, and the file is closed cleanly (the next
        // start needs no repair), before the memory is let go.
        self.state.engine.close();
        if exiting {
            std::mem::forget(self.state);
        }
        match served {
            Ok(Ok(())) => Ok(ShutdownReport {
                drained,
                still_running,
            }),
            Ok(Err(e)) => Err(ServeError::Serve(e)),
            Err(join) => Err(ServeError::Serve(std::io::Error::other(join.to_string()))),
        }
    }
}

/// Starts the server: configuration, engine, listener, background tasks. Prints the
/// start-up banner (version, database, executor, authentication, connection bounds,
/// and last the address as `Listening on <addr>`).
pub async fn start(opts: ServeOptions) -> Result<RunningServer, ServeError> {
    let config = load_config(opts.config.as_deref())?;
    check_supported(&config)?;
    // Before anything is opened: a bad certificate or key stops the start-up.
    let tls_config = if config.enable_tls {
        Some(tls::load(
            std::path::Path::new(&config.cert_file),
            std::path::Path::new(&config.key_file),
        )?)
    } else {
        None
    };
    let auth = AuthSettings::from_config(&config, opts.disable_auth)?;
    let db = absolute(
        &opts
            .db
            .clone()
            .unwrap_or_else(|| PathBuf::from(&config.glusterfs.db)),
    );
    let (executor, mock_nodes) = make_executor(&config).map_err(ServeError::Unsupported)?;
    let executor_label = executor_banner(
        config.glusterfs.executor,
        config.glusterfs.mock_state_file.as_deref(),
    );
    let listen = opts
        .listen
        .clone()
        .unwrap_or_else(|| format!("0.0.0.0:{}", config.port));

    println!(
        "Brickyard {} (Heketi API compatible)",
        env!("CARGO_PKG_VERSION")
    );
    let mut options = engine_options(&config, db.clone());
    if let Some(h) = &config.glusterfs.hooks {
        let loader = opts.hooks_loader.as_ref().ok_or_else(|| {
            ServeError::Unsupported(
                "glusterfs.hooks: this build has no hook host (run the brickyard binary)".into(),
            )
        })?;
        let hooks =
            loader(h).map_err(|e| ServeError::Unsupported(format!("glusterfs.hooks: {e}")))?;
        println!("Hooks: {} script(s) loaded", h.scripts.len());
        options.hooks = Some(hooks);
    }
    let engine = open_engine(options, executor).await?;
    if let Some(nodes) = mock_nodes.as_ref().filter(|n| n.rebuild_from_records) {
        // Mock nodes live in memory (or their state file is new): give them back what
        // the records say exists. A state file that existed already holds the nodes as
        // the last run left them (after a crash, as the crash left them), and the
        // cleanup at open has just worked on them.
        engine
            .restore_mock_nodes(&nodes.transport)
            .await
            .map_err(|source| ServeError::Engine {
                path: db.clone(),
                source,
            })?;
    }
    let schedule = (!config.glusterfs.disable_background_cleaner).then_some(CleanerSchedule {
        start: config.glusterfs.start_time_background_cleaner,
        every: config.glusterfs.refresh_time_background_cleaner,
    });
    let state = AppState::new(config, auth, engine);
    if opts.install_logging {
        logging::install(&state.log);
    }
    log_recovery(&state.engine.recovery_report());

    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: listen.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: listen.clone(),
        source,
    })?;

    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    if let Some(schedule) = schedule {
        tasks.push(tokio::spawn(cleaner::background_cleaner(
            state.engine.clone(),
            schedule,
            stopped.clone(),
        )));
    }
    if opts.handle_signals
        && let Some(task) = signals::reset_admin_on_usr2(state.admin.clone())
    {
        tasks.push(task);
    }
    let limits = connection_limits(&state.config.http);
    let app = crate::routes::router(state.clone());
    let tls_on = tls_config.is_some();
    let server = tokio::spawn(listener::accept_loop(
        listener,
        app,
        limits,
        tls_config.map(tls::acceptor),
        stopped.clone(),
    ));

    println!("Database: {}", db.display());
    println!("Executor: {executor_label}");
    println!("Volumes: file volumes only (block volumes are not supported)");
    if state.auth.enabled() {
        println!("Authentication: on (JWT)");
    } else {
        println!("Authentication: off");
        if let Some(warning) = state.auth.open_api_warning() {
            println!("WARNING: {warning}");
        }
    }
    if schedule.is_none() {
        println!("Background cleaner: disabled");
    }
    println!(
        "Connections: at most {} open; request heads within {}; idle keep-alive closed after {}",
        limits.max_connections,
        seconds(limits.timeouts.header_read),
        seconds(limits.timeouts.idle),
    );
    if tls_on {
        println!(
            "TLS: on (certificate {}, key {})",
            state.config.cert_file, state.config.key_file
        );
    }
    // Last: scripts and tests wait for this line, then read the banner.
    if tls_on {
        println!("Listening on https://{addr}");
    } else {
        println!("Listening on {addr}");
    }
    Ok(RunningServer {
        addr,
        tls: tls_on,
        state,
        stop,
        server,
        tasks,
        drain_timeout: opts.drain_timeout,
    })
}

/// The accept loop's bounds for `http`, the connection bound fitted to the open-file
/// limit (with a warning when that lowers it).
fn connection_limits(http: &crate::config::HttpConfig) -> ConnectionLimits {
    listener::raise_open_file_limit();
    let descriptors = open_file_limit();
    let max_connections = fit_to_descriptors(http.max_connections, descriptors);
    if max_connections < http.max_connections {
        println!(
            "WARNING: brickyard.http.max_connections {} lowered to {max_connections} to fit the open-file limit {} (raise it with ulimit -n)",
            http.max_connections,
            descriptors.unwrap_or_default()
        );
    }
    ConnectionLimits {
        timeouts: Timeouts {
            header_read: http.header_read_timeout,
            idle: http.idle_timeout,
        },
        max_connections,
    }
}

/// `30 s`, `0.5 s`.
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Runs the server until SIGTERM or SIGINT (when `handle_signals`), then shuts down
/// gracefully.
pub async fn serve(opts: ServeOptions) -> Result<(), ServeError> {
    let handle_signals = opts.handle_signals;
    let running = start(opts).await?;
    if handle_signals {
        signals::terminated().await;
        println!("Shutting down: no new requests; waiting for running operations");
    } else {
        std::future::pending::<()>().await;
    }
    let report = running.shutdown_for_exit().await?;
    if !report.drained {
        println!(
            "{} operation(s) were still running; they stay pending and are cleaned at the next start",
            report.still_running.len()
        );
    }
    Ok(())
}
