//! HTTPS, as Heketi's `enable_tls`, `cert_file` and `key_file` have it: the
//! certificate chain and its private key (PEM files) are loaded once at start-up,
//! with errors naming the setting, the file and the problem; every accepted
//! connection then begins with a TLS handshake (rustls, ring provider).
//!
//! The handshake counts against the connection's header-read timeout: a client that
//! opens a connection and never completes its handshake is dropped when the first
//! request head would have been due.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Why the TLS settings cannot be used; `Display` names the setting and the file.
#[derive(Debug, thiserror::Error)]
#[error("{setting} {}: {problem}", .path.display())]
pub struct TlsSetupError {
    /// `cert_file` or `key_file`.
    pub setting: &'static str,
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: String,
}

impl TlsSetupError {
    fn new(setting: &'static str, path: &Path, problem: impl Into<String>) -> TlsSetupError {
        TlsSetupError {
            setting,
            path: path.to_path_buf(),
            problem: problem.into(),
        }
    }
}

fn read(setting: &'static str, path: &Path) -> Result<Vec<u8>, TlsSetupError> {
    std::fs::read(path)
        .map_err(|e| TlsSetupError::new(setting, path, format!("cannot read it: {e}")))
}

fn pem_problem(e: &pem::Error) -> String {
    format!("not valid PEM: {e}")
}

/// The certificate chain of `cert_file` (PEM, leaf first).
fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    const SETTING: &str = "cert_file";
    let bytes = read(SETTING, path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsSetupError::new(SETTING, path, pem_problem(&e)))?;
    if certs.is_empty() {
        return Err(TlsSetupError::new(
            SETTING,
            path,
            "no certificate in it (expected a PEM block -----BEGIN CERTIFICATE-----)",
        ));
    }
    Ok(certs)
}

/// The private key of `key_file` (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC).
fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    const SETTING: &str = "key_file";
    let bytes = read(SETTING, path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsSetupError::new(
            SETTING,
            path,
            "no private key in it (expected a PEM block -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)",
        ),
        e => TlsSetupError::new(SETTING, path, pem_problem(&e)),
    })
}

/// The server's TLS configuration from `cert_file` and `key_file`.
pub fn load(cert_file: &Path, key_file: &Path) -> Result<Arc<rustls::ServerConfig>, TlsSetupError> {
    let certs = load_certs(cert_file)?;
    let key = load_key(key_file)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError::new("cert_file", cert_file, e.to_string()))?;
    let mut config = builder
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            TlsSetupError::new(
                "key_file",
                key_file,
                format!(
                    "cannot be used with the certificate of cert_file {}: {e}",
                    cert_file.display()
                ),
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The acceptor for `config`.
pub fn acceptor(config: Arc<rustls::ServerConfig>) -> TlsAcceptor {
    TlsAcceptor::from(config)
}

/// Runs the server side of the handshake on `stream` until `deadline`. `None` when it
/// failed (logged), timed out or the server is stopping: the connection is dropped.
pub async fn handshake<S>(
    acceptor: &TlsAcceptor,
    stream: S,
    peer: SocketAddr,
    deadline: Instant,
    stop: &mut watch::Receiver<bool>,
) -> Option<TlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    tokio::select! {
        done = tokio::time::timeout_at(deadline, acceptor.accept(stream)) => match done {
            Ok(Ok(tls)) => Some(tls),
            Ok(Err(e)) => {
                tracing::info!(%peer, "TLS handshake failed: {}", brief(&e));
                None
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake not completed within the header-read timeout: closing");
                None
            }
        },
        _ = stop.wait_for(|s| *s) => None,
    }
}

/// One line for a failed handshake (a plain-HTTP client shows up as a corrupt
/// message).
fn brief(e: &io::Error) -> String {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidMessage(_)) => {
            format!("{e} (not a TLS client: plain HTTP to the HTTPS port?)")
        }
        _ => e.to_string(),
    }
}
