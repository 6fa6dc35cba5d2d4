//! `brickyard csi`: the command line of the driver.

use std::sync::Arc;
use std::time::Duration;

use brickyard_cli::client::{ClientError, TlsOptions};
use clap::Parser;

use crate::backend::Backend;
use crate::mounter::SystemMounter;
use crate::server::{self, DriverConfig, Mode};

/// How long running calls may take to finish after SIGTERM.
const GRACE: Duration = Duration::from_secs(5);

/// Runs the Brickyard CSI driver (brickyard.gluster.io) on a unix socket.
#[derive(Debug, Parser)]
#[command(name = "brickyard csi", version)]
pub struct CsiArgs {
    /// gRPC endpoint: unix:///ABSOLUTE/PATH/csi.sock
    #[arg(long, env = "CSI_ENDPOINT", default_value = "unix:///csi/csi.sock")]
    pub endpoint: String,
    /// Services to run: controller (Deployment), node (DaemonSet) or all
    #[arg(long, value_enum, default_value_t = Mode::All)]
    pub mode: Mode,
    /// This node's name (NodeGetInfo); required for node and all
    #[arg(long = "node-id", env = "NODE_ID", default_value = "")]
    pub node_id: String,
    /// Default back end: REST URL of Brickyard or Heketi, for StorageClasses without
    /// `resturl`, for ListVolumes and for the probe
    #[arg(long, env = "BRICKYARD_CSI_RESTURL")]
    pub resturl: Option<String>,
    /// JWT user of the default back end
    #[arg(long, env = "BRICKYARD_CSI_RESTUSER", default_value = "admin")]
    pub restuser: String,
    /// JWT key of the default back end (prefer the environment variable)
    #[arg(
        long,
        env = "BRICKYARD_CSI_RESTUSERKEY",
        default_value = "",
        hide_env_values = true,
        hide_default_value = true
    )]
    pub restuserkey: String,
    /// Whether the default back end checks JWTs (true or false)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub restauthenabled: bool,
    /// Milliseconds between polls of a pending back-end operation
    #[arg(long = "poll-interval-ms", default_value_t = 400)]
    pub poll_interval_ms: u64,
    /// Trust the CA certificates of this PEM file (instead of the built-in roots) for
    /// https:// back ends; may be given more than once
    #[arg(
        long = "tls-ca",
        value_name = "FILE",
        env = "BRICKYARD_CSI_TLS_CA",
        value_delimiter = ',',
        action = clap::ArgAction::Append
    )]
    pub tls_ca: Vec<std::path::PathBuf>,
    /// Directory of the FUSE clients' logs (node service): one per mount, named after
    /// its target, removed when it is unmounted
    #[arg(long = "mount-log-dir", value_name = "DIR", default_value = crate::node::DEFAULT_LOG_DIR)]
    pub mount_log_dir: std::path::PathBuf,
}

impl CsiArgs {
    /// How the certificate of an `https://` back end is checked: against the CA
    /// certificates of `--tls-ca`, else against the built-in (Mozilla) roots.
    pub fn tls(&self) -> Result<TlsOptions, String> {
        TlsOptions::load(false, &self.tls_ca).map_err(|e| match e {
            ClientError::TlsCert { path, reason } => {
                format!("--tls-ca {}: {reason}", path.display())
            }
            other => other.to_string(),
        })
    }

    /// The default back end these arguments name.
    pub fn default_backend(&self) -> Option<Backend> {
        self.resturl.as_ref().map(|url| {
            if self.restauthenabled {
                Backend::new(url, &self.restuser, &self.restuserkey)
            } else {
                Backend::new(url, "", "")
            }
        })
    }
}

/// Runs `brickyard csi` with `args` (program name first); returns the exit status.
pub fn run(args: Vec<String>) -> i32 {
    let args = match CsiArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    match serve(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("Error: {e}");
            1
        }
    }
}

fn serve(args: CsiArgs) -> Result<(), String> {
    if args.mode.node() && args.node_id.is_empty() {
        return Err("--node-id is required with --mode node or all".into());
    }
    if let Some(url) = &args.resturl
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(format!(
            "--resturl {url:?} must start with http:// or https://"
        ));
    }
    let tls = args.tls()?;
    let path = server::socket_path(&args.endpoint).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = server::bind(&path).map_err(|e| e.to_string())?;
        let config = DriverConfig {
            mode: args.mode,
            node_id: args.node_id.clone(),
            default_backend: args.default_backend(),
            poll: Duration::from_millis(args.poll_interval_ms.max(10)),
            mounter: Arc::new(SystemMounter::default()),
            tls,
            mount_log_dir: args.mount_log_dir.clone(),
        };
        tracing::info!(
            plugin = crate::identity::PLUGIN_NAME,
            mode = ?args.mode,
            socket = %path.display(),
            "Listening on {}",
            args.endpoint
        );
        eprintln!("Listening on {}", args.endpoint);
        // On SIGTERM: stop accepting, give running calls GRACE to finish, then
        // leave even if a CO keeps its connection open (sidecars always do).
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serve = server::serve(listener, config, async {
            let _ = stopped.await;
        });
        tokio::pin!(serve);
        let result = tokio::select! {
            r = &mut serve => r,
            () = shutdown_signal() => {
                tracing::info!("shutting down");
                let _ = stop.send(());
                tokio::time::timeout(GRACE, serve).await.unwrap_or(Ok(()))
            }
        };
        let _ = std::fs::remove_file(&path);
        result.map_err(|e| e.to_string())
    })
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let ctrl_c = tokio::signal::ctrl_c();
    match term {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = ctrl_c => {}
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}
