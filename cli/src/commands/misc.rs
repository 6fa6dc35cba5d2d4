use brickyard::api::{LogLevel, LogLevelInfo};
use clap::{Args, Subcommand};

use super::Context;
use crate::CliError;

/// `db …`
#[derive(Debug, Args)]
pub struct DbCmd {
    #[command(subcommand)]
    cmd: DbSub,
}

#[derive(Debug, Subcommand)]
enum DbSub {
    /// Dumps the database in JSON form
    Dump,
    /// Checks the database for inconsistencies
    Check,
}

impl DbCmd {
    pub(crate) fn run(self, ctx: &mut Context<'_>) -> Result<(), CliError> {
        let text = match self.cmd {
            DbSub::Dump => ctx.client.db_dump()?,
            DbSub::Check => ctx.client.db_check()?,
        };
        ctx.print(&text)
    }
}

/// `loglevel …`
#[derive(Debug, Args)]
pub struct LogLevelCmd {
    #[command(subcommand)]
    cmd: LogLevelSub,
}

#[derive(Debug, Subcommand)]
enum LogLevelSub {
    /// Get the server's log level
    Get,
    /// Set the server's log level: none, critical, error, warning, info or debug
    Set { args: Vec<String> },
}

impl LogLevelCmd {
    pub(crate) fn run(self, ctx: &mut Context<'_>) -> Result<(), CliError> {
        match self.cmd {
            LogLevelSub::Get => {
                let info = ctx.client.log_level_get()?;
                ctx.print(&format!("{}\n", info.loglevel.glusterfs))
            }
            LogLevelSub::Set { args } => {
                let level = match args.as_slice() {
                    [] => return Err(CliError::Usage("missing log level argument".into())),
                    [l] => l.clone(),
                    _ => return Err(CliError::Usage("too many arguments".into())),
                };
                let req = LogLevelInfo {
                    loglevel: LogLevel { glusterfs: level },
                };
                ctx.client.log_level_set(&req)?;
                ctx.print("Server log level updated\n")
            }
        }
    }
}
