//! [`SshTransport`]: commands over one reused, authenticated ssh connection per node.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use russh::client;
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg};
use tokio::sync::Semaphore;

use super::host_key::HostKeyCheck;
use super::quote::{sudo_refused, wrap_command};
use super::session::{ChannelFailure, Connection, run_on};
use super::{SshConfig, SshSetupError};
use crate::executor::{CommandOutput, ExecError, ExecErrorKind, Transport};

/// Per node: the cached connection and the bound on concurrent commands.
struct Node {
    permits: Semaphore,
    conn: tokio::sync::Mutex<Option<Arc<Connection>>>,
}

/// Runs commands on nodes over ssh (russh), Heketi-style: `/bin/bash -c '<command>'`,
/// optionally behind `sudo -n`, under a remote `timeout -s KILL` one second longer than
/// the command's timeout (see [`wrap_command`](super::wrap_command)).
///
/// One authenticated connection per node is kept and each command gets its own channel,
/// at most [`SshConfig::max_concurrent_commands`] at a time per node. A connection found
/// closed is re-opened; a command whose channel could not even be opened is retried once
/// on a fresh connection (it never ran). A command interrupted by a lost connection is
/// not retried: the error says it may or may not have completed.
pub struct SshTransport {
    config: SshConfig,
    key: Arc<PrivateKey>,
    known_hosts: PathBuf,
    client: Arc<client::Config>,
    nodes: Mutex<HashMap<String, Arc<Node>>>,
    connections_opened: AtomicU64,
}

/// Splits `host[:port]` / `[v6]:port`; a bare IPv6 address keeps the default port.
pub(crate) fn split_host_port(host: &str, default_port: u16) -> (&str, u16) {
    if let Some(rest) = host.strip_prefix('[')
        && let Some((name, port)) = rest.split_once("]:")
        && let Ok(port) = port.parse()
    {
        return (name, port);
    }
    if host.matches(':').count() == 1
        && let Some((name, port)) = host.split_once(':')
        && let Ok(port) = port.parse()
    {
        return (name, port);
    }
    (
        host.trim_start_matches('[').trim_end_matches(']'),
        default_port,
    )
}

impl SshTransport {
    /// Loads the key and prepares the client; no node is contacted yet.
    pub fn new(config: SshConfig) -> Result<SshTransport, SshSetupError> {
        if config.max_concurrent_commands == 0 {
            return Err(SshSetupError::Invalid(
                "max_concurrent_commands must be at least 1".to_string(),
            ));
        }
        let key = russh::keys::load_secret_key(&config.keyfile, None).map_err(|source| {
            SshSetupError::Key {
                path: config.keyfile.clone(),
                source,
            }
        })?;
        let known_hosts = match &config.known_hosts {
            Some(path) => path.clone(),
            None => match std::env::home_dir() {
                Some(home) => home.join(".ssh").join("known_hosts"),
                None if config.strict_host_key_checking => {
                    return Err(SshSetupError::NoKnownHosts);
                }
                None => PathBuf::new(),
            },
        };
        let client = client::Config {
            keepalive_interval: config.keepalive,
            keepalive_max: 3,
            inactivity_timeout: None,
            nodelay: true,
            ..client::Config::default()
        };
        Ok(SshTransport {
            config,
            key: Arc::new(key),
            known_hosts,
            client: Arc::new(client),
            nodes: Mutex::new(HashMap::new()),
            connections_opened: AtomicU64::new(0),
        })
    }

    /// The settings this transport was built with.
    pub fn config(&self) -> &SshConfig {
        &self.config
    }

    /// How many ssh connections were opened so far (all nodes).
    pub fn connections_opened(&self) -> u64 {
        self.connections_opened.load(Ordering::Relaxed)
    }

    /// Closes every cached connection (politely); later commands reconnect.
    pub async fn disconnect_all(&self) {
        let nodes: Vec<Arc<Node>> = match self.nodes.lock() {
            Ok(map) => map.values().cloned().collect(),
            Err(_) => return,
        };
        for node in nodes {
            if let Some(conn) = node.conn.lock().await.take() {
                let _ = conn
                    .disconnect(russh::Disconnect::ByApplication, "", "en")
                    .await;
            }
        }
    }

    fn node(&self, host: &str) -> Arc<Node> {
        let mut map = match self.nodes.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(host.to_string())
            .or_insert_with(|| {
                Arc::new(Node {
                    permits: Semaphore::new(self.config.max_concurrent_commands),
                    conn: tokio::sync::Mutex::new(None),
                })
            })
            .clone()
    }

    /// Dials, verifies the host key and authenticates: a message naming host and cause on
    /// failure.
    async fn connect(&self, name: &str, port: u16) -> Result<Connection, String> {
        self.connections_opened.fetch_add(1, Ordering::Relaxed);
        let rejection = Arc::new(Mutex::new(None));
        let handler = HostKeyCheck {
            host: name.to_string(),
            port,
            known_hosts: self.known_hosts.clone(),
            strict: self.config.strict_host_key_checking,
            rejection: rejection.clone(),
        };
        let user = &self.config.user;
        let attempt = async {
            let mut conn = match client::connect(self.client.clone(), (name, port), handler).await {
                Ok(conn) => conn,
                Err(e) => {
                    let refused = rejection.lock().ok().and_then(|mut r| r.take());
                    return Err(
                        refused.unwrap_or_else(|| format!("cannot connect to {name}:{port}: {e}"))
                    );
                }
            };
            let hash = conn
                .best_supported_rsa_hash()
                .await
                .map_err(|e| format!("ssh negotiation with {name}:{port} failed: {e}"))?
                .flatten();
            let auth = conn
                .authenticate_publickey(
                    user.clone(),
                    PrivateKeyWithHashAlg::new(self.key.clone(), hash),
                )
                .await
                .map_err(|e| format!("authentication to {name}:{port} failed: {e}"))?;
            if !auth.success() {
                return Err(format!(
                    "{name}:{port} refused public key authentication as {user} with {}",
                    self.config.keyfile.display()
                ));
            }
            Ok(conn)
        };
        match tokio::time::timeout(self.config.connect_timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "connecting to {name}:{port} timed out after {:?}",
                self.config.connect_timeout
            )),
        }
    }

    /// The node's live connection, dialing one if there is none (one dial at a time).
    async fn shared(&self, node: &Node, name: &str, port: u16) -> Result<Arc<Connection>, String> {
        let mut slot = node.conn.lock().await;
        if let Some(conn) = slot.as_ref()
            && !conn.is_closed()
        {
            return Ok(conn.clone());
        }
        let conn = Arc::new(self.connect(name, port).await?);
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// Forgets `stale` unless another command already replaced it.
    async fn forget(&self, node: &Node, stale: &Arc<Connection>) {
        let mut slot = node.conn.lock().await;
        if slot.as_ref().is_some_and(|c| Arc::ptr_eq(c, stale)) {
            *slot = None;
        }
    }

    async fn run_reused(
        &self,
        node: &Node,
        name: &str,
        port: u16,
        wrapped: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, (ExecErrorKind, String)> {
        let mut retried = false;
        loop {
            let conn = self
                .shared(node, name, port)
                .await
                .map_err(|m| (ExecErrorKind::Unreachable, m))?;
            match run_on(&conn, wrapped, timeout).await {
                Ok(out) => return Ok(out),
                Err(ChannelFailure::NotStarted(msg)) => {
                    self.forget(node, &conn).await;
                    if retried {
                        return Err((ExecErrorKind::Unreachable, msg));
                    }
                    tracing::debug!(host = name, reason = %msg, "reconnecting");
                    retried = true;
                }
                Err(ChannelFailure::Lost(msg)) => {
                    self.forget(node, &conn).await;
                    return Err((ExecErrorKind::Unreachable, msg));
                }
                Err(ChannelFailure::TimedOut) => {
                    return Err((ExecErrorKind::Timeout, timed_out(timeout)));
                }
            }
        }
    }

    async fn run_fresh(
        &self,
        name: &str,
        port: u16,
        wrapped: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, (ExecErrorKind, String)> {
        let conn = self
            .connect(name, port)
            .await
            .map_err(|m| (ExecErrorKind::Unreachable, m))?;
        let result = run_on(&conn, wrapped, timeout).await;
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            conn.disconnect(russh::Disconnect::ByApplication, "", "en"),
        )
        .await;
        result.map_err(|f| match f {
            ChannelFailure::NotStarted(m) | ChannelFailure::Lost(m) => {
                (ExecErrorKind::Unreachable, m)
            }
            ChannelFailure::TimedOut => (ExecErrorKind::Timeout, timed_out(timeout)),
        })
    }
}

fn timed_out(timeout: Duration) -> String {
    format!("no exit status after {timeout:?}; the command was sent SIGKILL and its channel closed")
}

#[async_trait]
impl Transport for SshTransport {
    async fn run(
        &self,
        host: &str,
        command: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, ExecError> {
        let (name, port) = split_host_port(host, self.config.port);
        let node = self.node(host);
        let _permit = node.permits.acquire().await.map_err(|_| {
            ExecError::new(
                ExecErrorKind::Unreachable,
                host,
                command,
                None,
                "transport closed",
            )
        })?;
        let limit = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0) + 1;
        let wrapped = wrap_command(command, self.config.sudo, limit);
        let started = Instant::now();
        let result = if self.config.reuse_connections {
            self.run_reused(&node, name, port, &wrapped, timeout).await
        } else {
            self.run_fresh(name, port, &wrapped, timeout).await
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(out) => {
                tracing::debug!(
                    host,
                    command,
                    status = out.exit_status,
                    elapsed_ms,
                    "ssh command"
                );
                if self.config.sudo && !out.success() && sudo_refused(&out.stderr) {
                    return Err(ExecError::new(
                        ExecErrorKind::Unreachable,
                        host,
                        command,
                        Some(out.exit_status),
                        format!(
                            "sudo -n refused to run the command for {}: {} \
                             (give {} passwordless sudo, NOPASSWD, without requiretty)",
                            self.config.user,
                            out.stderr.trim(),
                            self.config.user
                        ),
                    ));
                }
                Ok(out)
            }
            Err((kind, msg)) => {
                tracing::warn!(host, command, elapsed_ms, error = %msg, "ssh command failed");
                Err(ExecError::new(kind, host, command, None, msg))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_host_port;

    #[test]
    fn host_port_forms() {
        assert_eq!(split_host_port("node1", 22), ("node1", 22));
        assert_eq!(split_host_port("node1:2222", 22), ("node1", 2222));
        assert_eq!(split_host_port("10.0.0.1:23", 22), ("10.0.0.1", 23));
        assert_eq!(split_host_port("[::1]:2200", 22), ("::1", 2200));
        assert_eq!(split_host_port("fe80::1", 22), ("fe80::1", 22));
        assert_eq!(split_host_port("[::1]", 22), ("::1", 22));
        assert_eq!(split_host_port("node1:x", 22), ("node1:x", 22));
    }
}
