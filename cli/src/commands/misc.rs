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
    /// Export a database file to Heketi's JSON export format (offline, like `heketi db export`)
    Export(DbFiles),
    /// Create a database file from Heketi's JSON export (offline, like `heketi db import`)
    Import(DbFiles),
    /// Compare the database with the nodes (LVM, mounts, fstab, gluster) and list each drift; --fix repairs the safe ones
    Reconcile {
        /// Repair what is safe (mount a brick again, add its fstab line again, remove a stray LV of ours that no volume uses) and report what is left
        #[arg(long)]
        fix: bool,
    },
}

/// The files of `db export` / `db import`.
#[derive(Debug, Args)]
struct DbFiles {
    /// Database file
    #[arg(long)]
    dbfile: String,
    /// JSON file
    #[arg(long)]
    jsonfile: String,
}

impl DbCmd {
    /// `reconcile`, a Brickyard extra that heketi-cli does not know.
    pub(crate) fn is_reconcile(&self) -> bool {
        matches!(self.cmd, DbSub::Reconcile { .. })
    }

    pub(crate) fn run(self, ctx: &mut Context<'_>) -> Result<(), CliError> {
        let text = match self.cmd {
            DbSub::Reconcile { fix } => {
                let body = ctx.client.db_reconcile(fix)?;
                let report: serde_json::Value = serde_json::from_str(&body)?;
                return if ctx.json {
                    ctx.print_json(&report)
                } else {
                    ctx.print(&crate::output::reconcile_report(&report))
                };
            }
            DbSub::Dump => ctx.client.db_dump()?,
            DbSub::Check => ctx.client.db_check()?,
            DbSub::Export(files) => return offline(ctx, OfflineOp::Export, files),
            DbSub::Import(files) => return offline(ctx, OfflineOp::Import, files),
        };
        ctx.print(&text)
    }
}

enum OfflineOp {
    Export,
    Import,
}

/// `db export` / `db import`: local files only, no server.
fn offline(ctx: &mut Context<'_>, op: OfflineOp, files: DbFiles) -> Result<(), CliError> {
    use brickyard_server::offline::{db_export, db_import};
    use std::path::Path;
    let (db, json) = (Path::new(&files.dbfile), Path::new(&files.jsonfile));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let message = match op {
        OfflineOp::Export => runtime
            .block_on(db_export(db, json))
            .map(|()| format!("DB exported to {}\n", files.jsonfile)),
        OfflineOp::Import => runtime
            .block_on(db_import(json, db))
            .map(|_| format!("DB imported to {}\n", files.dbfile)),
    }
    .map_err(|e| CliError::Usage(e.to_string()))?;
    ctx.out.write_all(message.as_bytes())?;
    Ok(())
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
