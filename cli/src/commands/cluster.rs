use brickyard::api::ClusterFlags;
use clap::{ArgAction, Args, Subcommand};

use super::{Context, first_arg};
use crate::{CliError, output};

/// `cluster …`
#[derive(Debug, Args)]
pub struct ClusterCmd {
    #[command(subcommand)]
    cmd: ClusterSub,
}

#[derive(Debug, Subcommand)]
enum ClusterSub {
    /// Create a cluster
    Create {
        /// Allow block volumes on the cluster (default true; `--block=false` disables)
        #[arg(long, default_value_t = true, num_args = 0..=1, require_equals = true,
              default_missing_value = "true", action = ArgAction::Set)]
        block: bool,
        /// Allow file volumes on the cluster (default true; `--file=false` disables)
        #[arg(long, default_value_t = true, num_args = 0..=1, require_equals = true,
              default_missing_value = "true", action = ArgAction::Set)]
        file: bool,
    },
    /// Set flags on a cluster
    Setflags {
        /// Allow block volumes: true or false
        #[arg(long, default_value = "")]
        block: String,
        /// Allow file volumes: true or false
        #[arg(long, default_value = "")]
        file: String,
        /// Cluster id
        ids: Vec<String>,
    },
    /// Delete the cluster
    Delete {
        /// Cluster id
        ids: Vec<String>,
    },
    /// Retrieves information about cluster
    Info {
        /// Cluster id
        ids: Vec<String>,
    },
    /// Lists the clusters managed by Heketi
    List,
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_go_bool(s: &str) -> Result<bool, CliError> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        other => Err(CliError::Usage(format!(
            "strconv.ParseBool: parsing \"{other}\": invalid syntax"
        ))),
    }
}

impl ClusterCmd {
    pub(crate) fn run(self, ctx: &mut Context<'_>) -> Result<(), CliError> {
        match self.cmd {
            ClusterSub::Create { block, file } => {
                let c = ctx.client.cluster_create(&ClusterFlags { block, file })?;
                ctx.print_either(&c, |c| format!("Cluster id: {}\n", c.id))
            }
            ClusterSub::Setflags { block, file, ids } => {
                let id = first_arg(&ids, "Cluster id missing")?;
                if block.is_empty() && file.is_empty() {
                    return Err(CliError::Usage(
                        "At least one of --file or --block must be specified.".into(),
                    ));
                }
                let info = ctx.client.cluster_info(id)?;
                let flags = ClusterFlags {
                    file: if file.is_empty() {
                        info.file
                    } else {
                        parse_go_bool(&file)?
                    },
                    block: if block.is_empty() {
                        info.block
                    } else {
                        parse_go_bool(&block)?
                    },
                };
                ctx.client.cluster_set_flags(id, &flags)?;
                Ok(())
            }
            ClusterSub::Delete { ids } => {
                let id = first_arg(&ids, "Cluster id missing")?;
                ctx.client.cluster_delete(id)?;
                ctx.print(&format!("Cluster {id} deleted\n"))
            }
            ClusterSub::Info { ids } => {
                let id = first_arg(&ids, "Cluster id missing")?;
                let c = ctx.client.cluster_info(id)?;
                ctx.print_either(&c, output::cluster_info)
            }
            ClusterSub::List => {
                let list = ctx.client.cluster_list()?;
                if ctx.json {
                    return ctx.print_json(&list);
                }
                ctx.print("Clusters:\n")?;
                for id in &list.clusters {
                    let c = ctx.client.cluster_info(id)?;
                    ctx.print(&output::cluster_list_line(&c))?;
                }
                Ok(())
            }
        }
    }
}
