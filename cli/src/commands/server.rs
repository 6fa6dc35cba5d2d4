use brickyard::api::{AdminStatus, PendingOperationsCleanRequest};
use clap::{Args, Subcommand};

use super::Context;
use crate::{CliError, output};

/// `server …`
#[derive(Debug, Args)]
pub struct ServerCmd {
    #[command(subcommand)]
    cmd: ServerSub,
}

#[derive(Debug, Subcommand)]
enum ServerSub {
    /// Manage ongoing server operations
    Operations {
        #[command(subcommand)]
        cmd: OperationsSub,
    },
    /// Manage server mode
    Mode {
        #[command(subcommand)]
        cmd: ModeSub,
    },
    /// View and/or modify state of server
    State {
        #[command(subcommand)]
        cmd: StateSub,
    },
}

#[derive(Debug, Subcommand)]
enum OperationsSub {
    /// Get a summary of server operations (or details of one operation)
    Info { ids: Vec<String> },
    /// Get a list of pending operations
    List,
    /// Clean up stale or failed pending operations
    Cleanup { ids: Vec<String> },
}

#[derive(Debug, Subcommand)]
enum ModeSub {
    /// Print current server mode
    Get,
    /// Set server mode: normal, local-client or read-only
    Set { args: Vec<String> },
}

#[derive(Debug, Subcommand)]
enum StateSub {
    /// Compare state of server
    Examine {
        #[command(subcommand)]
        cmd: ExamineSub,
    },
}

#[derive(Debug, Subcommand)]
enum ExamineSub {
    /// Compare state of server with gluster
    Gluster,
}

const CLEANUP_NOTE: &str = "Note: Operation clean up is a batch operation.\n\
* The results of individual operation clean ups are not reported here.\n\
* Use 'heketi-cli server operations [list|info]' to view operations.\n";

impl ServerCmd {
    pub(crate) fn run(self, ctx: &mut Context<'_>) -> Result<(), CliError> {
        match self.cmd {
            ServerSub::Operations { cmd } => match cmd {
                OperationsSub::Info { ids } => match ids.first() {
                    None => {
                        let info = ctx.client.operations_info()?;
                        ctx.print(&output::operations_info(&info))
                    }
                    Some(id) => {
                        let d = ctx.client.pending_operation_details(id)?;
                        let mut text = output::operation_details(&d);
                        // Brickyard extra (a device removal's progress); heketi-cli's
                        // output stays as it is.
                        if ctx.mode == super::Mode::Brickyard
                            && let Some(p) = d.progress
                        {
                            text.push_str(&output::operation_progress(&p));
                        }
                        ctx.print(&text)
                    }
                },
                OperationsSub::List => {
                    let l = ctx.client.pending_operation_list()?;
                    ctx.print(&output::operations_list(&l))
                }
                OperationsSub::Cleanup { ids } => {
                    let req = PendingOperationsCleanRequest { operations: ids };
                    ctx.client.pending_operation_cleanup(&req)?;
                    ctx.eprint(CLEANUP_NOTE)
                }
            },
            ServerSub::Mode { cmd } => match cmd {
                ModeSub::Get => {
                    let s = ctx.client.admin_status_get()?;
                    ctx.print(&format!("{}\n", s.state))
                }
                ModeSub::Set { args } => {
                    let state = match args.as_slice() {
                        [] => return Err(CliError::Usage("missing mode argument".into())),
                        [s] => s.clone(),
                        _ => return Err(CliError::Usage("too many arguments".into())),
                    };
                    ctx.client.admin_status_set(&AdminStatus { state })?;
                    Ok(())
                }
            },
            ServerSub::State {
                cmd:
                    StateSub::Examine {
                        cmd: ExamineSub::Gluster,
                    },
            } => {
                let text = ctx.client.state_examine_gluster()?;
                ctx.print(&text)
            }
        }
    }
}
