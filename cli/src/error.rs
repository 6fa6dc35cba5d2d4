use thiserror::Error;

use crate::client::ClientError;

/// Why a CLI command failed. `Display` is the text after heketi-cli's `Error: `.
#[derive(Debug, Error)]
pub enum CliError {
    /// Wrong or missing arguments, with heketi-cli's message.
    #[error("{0}")]
    Usage(String),
    /// The server or the connection failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Writing output failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Serialising JSON output failed.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
}

impl CliError {
    /// A closed stdout (e.g. `| head`) is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
