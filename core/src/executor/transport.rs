//! The seam between the command layer and the wire: run one shell command on one host.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::{ExecError, Host};

/// What a command printed and how it exited.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandOutput {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit status (0 = success).
    pub exit_status: i32,
}

impl CommandOutput {
    /// A successful run printing `stdout`.
    pub fn ok(stdout: impl Into<String>) -> CommandOutput {
        CommandOutput {
            stdout: stdout.into(),
            stderr: String::new(),
            exit_status: 0,
        }
    }

    /// A failed run with `exit_status` and `stderr`.
    pub fn failed(exit_status: i32, stderr: impl Into<String>) -> CommandOutput {
        CommandOutput {
            stdout: String::new(),
            stderr: stderr.into(),
            exit_status,
        }
    }

    /// Exit status 0.
    pub fn success(&self) -> bool {
        self.exit_status == 0
    }
}

/// Runs one command line on one host.
///
/// A non-zero exit status is a normal `Ok` result: the command layer decides what it means.
/// `Err` is reserved for not running the command at all or not hearing back:
/// [`ExecErrorKind::Unreachable`](super::ExecErrorKind::Unreachable) and
/// [`ExecErrorKind::Timeout`](super::ExecErrorKind::Timeout). Privilege escalation (`sudo`)
/// and shell wrapping are the transport's business; `command` is what a root shell would run.
#[async_trait]
pub trait Transport: Send + Sync {
    /// Run `command` on `host`, giving up after `timeout`.
    async fn run(
        &self,
        host: &str,
        command: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, ExecError>;

    /// Learns that `host.manage` and `host.storage` name one machine; the command layer
    /// calls it whenever it addresses a node. Transports that reach real machines (whose
    /// names the resolver knows) ignore it; the mock nodes learn the storage name of a
    /// node they know (peer probe and brick names use it). A wrapping transport must
    /// pass it on.
    fn note_host(&self, _host: &Host) {}
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for Arc<T> {
    async fn run(
        &self,
        host: &str,
        command: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, ExecError> {
        (**self).run(host, command, timeout).await
    }

    fn note_host(&self, host: &Host) {
        (**self).note_host(host);
    }
}
