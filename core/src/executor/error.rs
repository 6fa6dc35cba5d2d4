//! Errors of the executor: which node, which command, what it said.

use std::fmt;

/// What kind of failure an [`ExecError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExecErrorKind {
    /// The command ran and failed (non-zero exit status, or gluster's `opRet != 0`).
    Failed,
    /// The command did not finish within its timeout.
    Timeout,
    /// The node could not be reached (connect, auth, channel).
    Unreachable,
    /// The command's output could not be understood.
    BadOutput,
    /// The target (volume, LV, …) does not exist.
    NotFound,
    /// The request was refused before anything ran (bad name, unsafe characters, sizes
    /// that cannot work).
    Invalid,
}

/// A failed command on a node. The message says which node, which command, the exit
/// status and stderr, so the operator can reproduce it by hand.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ExecError {
    /// Classification.
    pub kind: ExecErrorKind,
    /// The manage host the command ran (or would have run) on.
    pub host: String,
    /// The command line.
    pub command: String,
    /// Exit status, when the command ran.
    pub exit_status: Option<i32>,
    /// What the command (or gluster's `opErrstr`) said.
    pub stderr: String,
}

impl ExecError {
    /// An error of `kind` for `command` on `host`.
    pub fn new(
        kind: ExecErrorKind,
        host: &str,
        command: &str,
        exit_status: Option<i32>,
        stderr: impl Into<String>,
    ) -> ExecError {
        ExecError {
            kind,
            host: host.to_string(),
            command: command.to_string(),
            exit_status,
            stderr: stderr.into(),
        }
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ExecErrorKind::Failed => "failed",
            ExecErrorKind::Timeout => "timed out",
            ExecErrorKind::Unreachable => "could not run (node unreachable)",
            ExecErrorKind::BadOutput => "gave output that could not be parsed",
            ExecErrorKind::NotFound => "found no such target",
            ExecErrorKind::Invalid => "was refused before running",
        };
        write!(f, "command on {} {what}: {}", self.host, self.command)?;
        if let Some(code) = self.exit_status {
            write!(f, " (exit status {code})")?;
        }
        let err = self.stderr.trim();
        if !err.is_empty() {
            write!(f, ": {err}")?;
        }
        Ok(())
    }
}
