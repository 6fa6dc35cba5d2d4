use brickyard::api::{BlockVolumeCreateRequest, BlockVolumeExpandRequest};
use clap::{Args, Subcommand};

use super::{Context, first_arg};
use crate::{CliError, output};

/// `blockvolume …`
#[derive(Debug, Args)]
pub struct BlockVolumeCmd {
    #[command(subcommand)]
    cmd: BlockSub,
}

#[derive(Debug, Subcommand)]
enum BlockSub {
    /// Create a GlusterFS block volume
    Create {
        /// Size of block volume in GiB
        #[arg(long, default_value_t = 0)]
        size: i64,
        /// Optional: HA count for the block volume
        #[arg(long, default_value_t = 0)]
        ha: i64,
        /// Optional: Enable authentication on the block volume
        #[arg(long)]
        auth: bool,
        /// Optional: Name of block volume
        #[arg(long, default_value = "")]
        name: String,
        /// Optional: Comma separated list of cluster ids
        #[arg(long, default_value = "")]
        clusters: String,
    },
    /// Deletes the block volume
    Delete { ids: Vec<String> },
    /// Retrieves information about the block volume
    Info { ids: Vec<String> },
    /// Lists the block volumes managed by Heketi
    List,
    /// Expand a block volume
    Expand {
        /// New size of the block volume in GiB
        #[arg(long = "new-size", default_value_t = 0)]
        new_size: i64,
        /// Id of the block volume to expand
        #[arg(long, default_value = "")]
        blockvolume: String,
        ids: Vec<String>,
    },
}

impl BlockVolumeCmd {
    pub(crate) fn run(self, ctx: &mut Context<'_>) -> Result<(), CliError> {
        match self.cmd {
            BlockSub::Create {
                size,
                ha,
                auth,
                name,
                clusters,
            } => {
                if size == 0 {
                    return Err(CliError::Usage("Missing volume size".into()));
                }
                let req = BlockVolumeCreateRequest {
                    size,
                    clusters: if clusters.is_empty() {
                        Vec::new()
                    } else {
                        clusters.split(',').map(str::to_string).collect()
                    },
                    name,
                    hacount: ha,
                    auth,
                };
                let b = ctx.client.block_volume_create(&req)?;
                ctx.print_either(&b, output::block_volume_info)
            }
            BlockSub::Delete { ids } => {
                let id = first_arg(&ids, "Volume id missing")?;
                ctx.client.block_volume_delete(id)?;
                ctx.print(&format!("Volume {id} deleted\n"))
            }
            BlockSub::Info { ids } => {
                let id = first_arg(&ids, "Volume id missing")?;
                let b = ctx.client.block_volume_info(id)?;
                ctx.print_either(&b, output::block_volume_info)
            }
            BlockSub::List => {
                let list = ctx.client.block_volume_list()?;
                if ctx.json {
                    return ctx.print_json(&list);
                }
                for id in &list.blockvolumes {
                    let b = ctx.client.block_volume_info(id)?;
                    ctx.print(&output::block_volume_list_line(id, &b))?;
                }
                Ok(())
            }
            BlockSub::Expand {
                new_size,
                blockvolume,
                ids,
            } => {
                if new_size == 0 {
                    return Err(CliError::Usage("Missing new size".into()));
                }
                let id = if blockvolume.is_empty() {
                    first_arg(&ids, "Missing block volume id")?.to_string()
                } else {
                    blockvolume
                };
                let b = ctx
                    .client
                    .block_volume_expand(&id, &BlockVolumeExpandRequest { new_size })?;
                ctx.print_either(&b, output::block_volume_info)
            }
        }
    }
}
