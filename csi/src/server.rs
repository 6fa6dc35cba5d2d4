//! Serving the driver's gRPC services on a unix socket.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use brickyard_cli::client::TlsOptions;
use thiserror::Error;
use tokio::net::UnixListener;
use tokio_stream::wrappers::UnixListenerStream;

use crate::backend::Backend;
use crate::controller::{ControllerConfig, ControllerService};
use crate::identity::IdentityService;
use crate::mounter::Mounter;
use crate::node::NodeService;
use crate::proto::controller_server::ControllerServer;
use crate::proto::identity_server::IdentityServer;
use crate::proto::node_server::NodeServer;

/// Which services a process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Identity and Controller (the Deployment).
    Controller,
    /// Identity and Node (the DaemonSet).
    Node,
    /// All three.
    All,
}

impl Mode {
    /// Whether the Controller service runs.
    pub fn controller(self) -> bool {
        matches!(self, Mode::Controller | Mode::All)
    }
    /// Whether the Node service runs.
    pub fn node(self) -> bool {
        matches!(self, Mode::Node | Mode::All)
    }
}

/// What the driver serves.
#[derive(Clone)]
pub struct DriverConfig {
    /// Services to run.
    pub mode: Mode,
    /// The node's id (NodeGetInfo).
    pub node_id: String,
    /// The controller's default back end.
    pub default_backend: Option<Backend>,
    /// Pause between polls of a pending operation.
    pub poll: Duration,
    /// The mounter of the node service.
    pub mounter: Arc<dyn Mounter>,
    /// How the controller checks an `https://` back end's certificate.
    pub tls: TlsOptions,
    /// Where the node service's FUSE clients log (one file per mount).
    pub mount_log_dir: PathBuf,
}

/// Why the driver could not serve.
#[derive(Debug, Error)]
pub enum ServeError {
    /// The endpoint is not `unix:///ABSOLUTE/PATH`.
    #[error(
        "endpoint {0:?} is not supported: use unix:///ABSOLUTE/PATH (CSI drivers listen on a unix socket)"
    )]
    Endpoint(String),
    /// The socket could not be made.
    #[error("cannot listen on {path}: {source}")]
    Listen {
        /// The socket path.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// The gRPC server failed.
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// The socket path of `unix:///PATH` (also `unix:/PATH` and a bare absolute path).
pub fn socket_path(endpoint: &str) -> Result<PathBuf, ServeError> {
    let path = endpoint
        .strip_prefix("unix://")
        .or_else(|| endpoint.strip_prefix("unix:"))
        .unwrap_or(endpoint);
    if !path.starts_with('/') || path.len() < 2 {
        return Err(ServeError::Endpoint(endpoint.to_string()));
    }
    Ok(PathBuf::from(path))
}

/// Binds `path` (a stale socket from an earlier run is removed first).
pub fn bind(path: &Path) -> Result<UnixListener, ServeError> {
    let listen_err = |source| ServeError::Listen {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(listen_err)?;
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(listen_err(e)),
    }
    UnixListener::bind(path).map_err(listen_err)
}

/// Serves `config`'s services on `listener` until `shutdown` completes.
pub async fn serve(
    listener: UnixListener,
    config: DriverConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let identity = IdentityService {
        controller: config.mode.controller(),
        backend: if config.mode.controller() {
            config.default_backend.clone()
        } else {
            None
        },
        poll: config.poll,
        tls: config.tls.clone(),
    };
    let controller = config.mode.controller().then(|| {
        ControllerServer::new(ControllerService::new(ControllerConfig {
            default_backend: config.default_backend.clone(),
            poll: config.poll,
            tls: config.tls.clone(),
        }))
    });
    let node = config.mode.node().then(|| {
        NodeServer::new(NodeService::new(
            config.node_id.clone(),
            config.mounter.clone(),
            config.mount_log_dir.clone(),
        ))
    });
    tonic::transport::Server::builder()
        .add_service(IdentityServer::new(identity))
        .add_optional_service(controller)
        .add_optional_service(node)
        .serve_with_incoming_shutdown(UnixListenerStream::new(listener), shutdown)
        .await?;
    Ok(())
}
