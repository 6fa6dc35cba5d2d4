//! [`SshConfig`]: how the ssh transport reaches and authenticates to nodes.

use std::path::PathBuf;
use std::time::Duration;

/// Settings of the ssh transport. Mirrors the server's `sshexec` section
/// (`keyfile`, `user`, `port`, `sudo`, `known_hosts`, `strict_host_key_checking`,
/// `max_connections_per_node`, `connect_timeout`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshConfig {
    /// Private key (OpenSSH, PEM or PKCS#8; ed25519, ecdsa or RSA), unencrypted.
    pub keyfile: PathBuf,
    /// Remote user (Heketi's default: `heketi`).
    pub user: String,
    /// Port used for hosts that do not name one (`host:port` overrides it).
    pub port: u16,
    /// Run every command through `sudo -n` (never prompts; a password prompt is an error).
    pub sudo: bool,
    /// known_hosts file to verify host keys against; `None` = `~/.ssh/known_hosts`.
    pub known_hosts: Option<PathBuf>,
    /// Refuse hosts whose key is unknown or changed (default). `false` accepts any host key
    /// (logged with its fingerprint): Heketi's behaviour, an explicit opt-out.
    pub strict_host_key_checking: bool,
    /// Commands running at the same time on one node, as channels of its one connection
    /// (OpenSSH's `MaxSessions` default is 10). The server key `max_connections_per_node`
    /// maps here.
    pub max_concurrent_commands: usize,
    /// Limit for TCP connect, key exchange and authentication.
    pub connect_timeout: Duration,
    /// Interval of ssh keep-alive requests on idle connections; `None` disables them.
    /// Three unanswered keep-alives close the connection (it is re-opened on next use).
    pub keepalive: Option<Duration>,
    /// Keep one authenticated connection per node and open a channel per command (default).
    /// `false` dials a new connection for every command, as Heketi does.
    pub reuse_connections: bool,
}

impl SshConfig {
    /// Settings with Brickyard's defaults for `keyfile`: user `heketi`, port 22, no sudo,
    /// strict host key checking against `~/.ssh/known_hosts`, 8 concurrent commands per
    /// node, 10 s connect timeout, keep-alive every 30 s, connection reuse on.
    pub fn new(keyfile: impl Into<PathBuf>) -> SshConfig {
        SshConfig {
            keyfile: keyfile.into(),
            user: "heketi".to_string(),
            port: 22,
            sudo: false,
            known_hosts: None,
            strict_host_key_checking: true,
            max_concurrent_commands: 8,
            connect_timeout: Duration::from_secs(10),
            keepalive: Some(Duration::from_secs(30)),
            reuse_connections: true,
        }
    }
}
