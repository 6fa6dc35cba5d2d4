//! The ssh transport to real storage nodes (feature `ssh`).
//!
//! [`SshTransport`] implements [`Transport`](super::Transport) with russh: key
//! authentication, known_hosts verification (on by default), optional `sudo -n`, Heketi's
//! `/bin/bash -c '…'` wrapping, per-command timeouts, keep-alive, one reused connection per
//! node with a bounded number of concurrent channels, and reconnection. [`SshExecutor`]
//! is the [`CommandExecutor`] over it.

mod config;
mod error;
mod host_key;
mod quote;
mod session;
mod transport;

pub use config::SshConfig;
pub use error::SshSetupError;
pub use quote::{single_quote, wrap_command};
pub use transport::SshTransport;

use super::{CommandConfig, CommandExecutor};

/// Heketi's command sequences run over ssh.
pub type SshExecutor = CommandExecutor<SshTransport>;

impl CommandExecutor<SshTransport> {
    /// An executor reaching nodes as `ssh` says and building commands as `commands` says.
    pub fn ssh(ssh: SshConfig, commands: CommandConfig) -> Result<SshExecutor, SshSetupError> {
        Ok(CommandExecutor::from_transport(
            SshTransport::new(ssh)?,
            commands,
        ))
    }
}
