//! Errors of loading hook scripts.

use std::path::PathBuf;

/// Why hook scripts could not be loaded (or reloaded).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LuaHookError {
    /// A script file could not be read.
    #[error("cannot read hook script {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A script failed to compile or to run its top level (including `brickyard.on`
    /// with an unknown event, and the sandbox limits).
    #[error("hook script {script}: {message}")]
    Script { script: String, message: String },
    /// The Lua state could not be set up.
    #[error("cannot set up the Lua sandbox: {0}")]
    Setup(String),
}
