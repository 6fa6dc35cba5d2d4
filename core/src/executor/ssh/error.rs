//! Errors of setting up the ssh transport (before any node is contacted).

use std::path::PathBuf;

/// The ssh transport could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SshSetupError {
    /// The private key file could not be read or parsed.
    #[error("cannot load ssh private key {path}: {source}")]
    Key {
        /// The configured `keyfile`.
        path: PathBuf,
        /// What russh said.
        #[source]
        source: russh::keys::Error,
    },
    /// No known_hosts file was configured and `$HOME` is unknown.
    #[error(
        "strict host key checking needs a known_hosts file: set `known_hosts` \
         (no home directory to find ~/.ssh/known_hosts)"
    )]
    NoKnownHosts,
    /// A setting is out of range.
    #[error("invalid ssh setting: {0}")]
    Invalid(String),
}
