//! One command on one ssh channel: run it, collect its output, enforce its timeout.

use std::time::Duration;

use russh::client::Handle;
use russh::{ChannelMsg, Sig};

use super::host_key::HostKeyCheck;
use crate::executor::CommandOutput;

/// An authenticated connection to one node.
pub(crate) type Connection = Handle<HostKeyCheck>;

/// Why a command produced no [`CommandOutput`].
#[derive(Debug)]
pub(crate) enum ChannelFailure {
    /// The channel could not be opened or the command not sent: it never ran, so trying
    /// again on a fresh connection is safe.
    NotStarted(String),
    /// The connection went away while the command ran: it may or may not have completed.
    Lost(String),
    /// The command outlived its timeout; it was sent SIGKILL and its channel closed.
    TimedOut,
}

/// Exit status reported for a command killed by `signal` (the shell's `128 + n`).
fn signal_status(signal: &Sig) -> i32 {
    128 + match signal {
        Sig::HUP => 1,
        Sig::INT => 2,
        Sig::QUIT => 3,
        Sig::ILL => 4,
        Sig::ABRT => 6,
        Sig::FPE => 8,
        Sig::KILL => 9,
        Sig::USR1 => 10,
        Sig::SEGV => 11,
        Sig::PIPE => 13,
        Sig::ALRM => 14,
        Sig::TERM => 15,
        Sig::Custom(_) => 127,
    }
}

async fn collect(
    channel: &mut russh::Channel<russh::client::Msg>,
) -> Result<CommandOutput, ChannelFailure> {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut status = None;
    let mut refused = false;
    while let Some(msg) = channel.wait().await {
        match msg {
            ChannelMsg::Data { data } => stdout.extend_from_slice(&data),
            ChannelMsg::ExtendedData { data, ext: 1 } => stderr.extend_from_slice(&data),
            ChannelMsg::ExitStatus { exit_status } => {
                status = Some(i32::try_from(exit_status).unwrap_or(i32::MAX));
            }
            ChannelMsg::ExitSignal {
                signal_name,
                error_message,
                ..
            } => {
                if !error_message.is_empty() {
                    stderr.extend_from_slice(error_message.as_bytes());
                }
                status = Some(signal_status(&signal_name));
            }
            ChannelMsg::Failure => refused = true,
            _ => {}
        }
    }
    match status {
        Some(exit_status) => Ok(CommandOutput {
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            exit_status,
        }),
        None if refused => Err(ChannelFailure::NotStarted(
            "the server refused to execute the command".to_string(),
        )),
        None => Err(ChannelFailure::Lost(
            "the connection closed before the command reported an exit status; \
             it may or may not have completed"
                .to_string(),
        )),
    }
}

/// Runs `command` (already wrapped for the remote shell) on a new channel of `conn`.
pub(crate) async fn run_on(
    conn: &Connection,
    command: &str,
    timeout: Duration,
) -> Result<CommandOutput, ChannelFailure> {
    let mut slot = None;
    let started = tokio::time::timeout(timeout, async {
        let channel = conn
            .channel_open_session()
            .await
            .map_err(|e| ChannelFailure::NotStarted(format!("cannot open a channel: {e}")))?;
        let channel = slot.insert(channel);
        channel
            .exec(true, command)
            .await
            .map_err(|e| ChannelFailure::NotStarted(format!("cannot send the command: {e}")))?;
        collect(channel).await
    })
    .await;
    match started {
        Ok(result) => result,
        Err(_) => {
            if let Some(channel) = slot {
                // Best effort: the connection may be dead, which is one way to time out.
                let _ = tokio::time::timeout(Duration::from_secs(2), async {
                    let _ = channel.signal(Sig::KILL).await;
                    let _ = channel.close().await;
                })
                .await;
            }
            Err(ChannelFailure::TimedOut)
        }
    }
}
