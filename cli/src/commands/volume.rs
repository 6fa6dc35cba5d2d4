use brickyard::api::{
    DisperseDurability, ReplicaDurability, VolumeBlockRestrictionRequest, VolumeCloneRequest,
    VolumeCreateRequest, VolumeDurabilityInfo, VolumeExpandRequest, VolumeSnapshot,
};
use clap::{Args, Subcommand};

use super::{Context, first_arg};
use crate::{CliError, output};

/// `volume …`
#[derive(Debug, Args)]
pub struct VolumeCmd {
    #[command(subcommand)]
    cmd: VolumeSub,
}

/// Flags of `volume create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Size of volume in GiB
    #[arg(long, default_value_t = 0)]
    size: i64,
    /// Optional: Initialize volume with the specified group id
    #[arg(long, default_value_t = 0)]
    gid: i64,
    /// Optional: Name of volume. Only set if really necessary
    #[arg(long, default_value = "")]
    name: String,
    /// Optional: Durability type: none, replicate (default) or disperse
    #[arg(long, default_value = "replicate")]
    durability: String,
    /// Replica value for durability type 'replicate'.
    #[arg(long, default_value_t = 3)]
    replica: i64,
    /// Optional: Dispersion value for durability type 'disperse'.
    #[arg(long = "disperse-data", default_value_t = 4)]
    disperse_data: i64,
    /// Optional: Redundancy value for durability type 'disperse'.
    #[arg(long, default_value_t = 2)]
    redundancy: i64,
    /// Optional: Amount of storage to allocate for snapshot support (greater than 1.0 enables snapshots)
    #[arg(long = "snapshot-factor", default_value_t = 1.0)]
    snapshot_factor: f64,
    /// Optional: Comma separated list of cluster ids where this volume must be allocated
    #[arg(long, default_value = "")]
    clusters: String,
    /// Optional: Comma separated list of volume options which can be set on the volume
    #[arg(long = "gluster-volume-options", default_value = "")]
    gluster_volume_options: String,
    /// Optional: Create a block-hosting volume
    #[arg(long)]
    block: bool,
    /// Show where the bricks would be placed without creating anything (brickyard only)
    #[arg(long = "dry-run")]
    pub(crate) dry_run: bool,
}

impl CreateArgs {
    /// The request heketi-cli builds from these flags.
    fn request(&self) -> VolumeCreateRequest {
        let mut req = VolumeCreateRequest {
            size: self.size,
            durability: VolumeDurabilityInfo {
                kind: self.durability.clone(),
                replicate: ReplicaDurability {
                    replica: self.replica,
                },
                disperse: DisperseDurability {
                    data: self.disperse_data,
                    redundancy: self.redundancy,
                },
            },
            block: self.block,
            gid: self.gid,
            name: self.name.clone(),
            ..VolumeCreateRequest::default()
        };
        if !self.clusters.is_empty() {
            req.clusters = self.clusters.split(',').map(str::to_string).collect();
        }
        if !self.gluster_volume_options.is_empty() {
            req.glustervolumeoptions = self
                .gluster_volume_options
                .split(',')
                .map(str::to_string)
                .collect();
        }
        if self.snapshot_factor > 1.0 {
            req.snapshot = VolumeSnapshot {
                enable: true,
                factor: self.snapshot_factor as f32,
            };
        }
        req
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum VolumeSub {
    /// Create a GlusterFS volume
    Create(CreateArgs),
    /// Deletes the volume
    Delete { ids: Vec<String> },
    /// Expand a volume
    Expand {
        /// Amount in GiB to add to the volume
        #[arg(long = "expand-size", default_value_t = 0)]
        expand_size: i64,
        /// Id of volume to expand
        #[arg(long, default_value = "")]
        volume: String,
        ids: Vec<String>,
    },
    /// Retrieves information about the volume
    Info { ids: Vec<String> },
    /// Lists the volumes managed by Heketi
    List,
    /// Creates a clone
    Clone {
        /// Optional: Name of the newly cloned volume.
        #[arg(long, default_value = "")]
        name: String,
        ids: Vec<String>,
    },
    /// Set restriction on a block hosting volume: locked or unlocked
    #[command(name = "set-block-hosting-restriction")]
    SetBlockHostingRestriction {
        /// locked|unlocked volume_id
        args: Vec<String>,
    },
}

impl VolumeCmd {
    /// True when `volume create --dry-run` was given (a brickyard-only flag).
    pub(crate) fn uses_dry_run(&self) -> bool {
        matches!(&self.cmd, VolumeSub::Create(a) if a.dry_run)
    }

    pub(crate) fn run(self, ctx: &mut Context<'_>) -> Result<(), CliError> {
        match self.cmd {
            VolumeSub::Create(args) => {
                if args.size == 0 {
                    return Err(CliError::Usage("Missing volume size".into()));
                }
                let req = args.request();
                if args.dry_run {
                    let plan = ctx.client.volume_plan(&req)?;
                    return ctx.print_either(&plan, output::volume_plan);
                }
                let v = ctx.client.volume_create(&req)?;
                ctx.print_either(&v, output::volume_info)
            }
            VolumeSub::Delete { ids } => {
                let id = first_arg(&ids, "Volume id missing")?;
                ctx.client.volume_delete(id)?;
                ctx.print(&format!("Volume {id} deleted\n"))
            }
            VolumeSub::Expand {
                expand_size,
                volume,
                ids,
            } => {
                if expand_size == 0 {
                    return Err(CliError::Usage("Missing volume amount to expand".into()));
                }
                let id = if volume.is_empty() {
                    first_arg(&ids, "Missing volume id")?.to_string()
                } else {
                    volume
                };
                let req = VolumeExpandRequest { expand_size };
                let v = ctx.client.volume_expand(&id, &req)?;
                ctx.print_either(&v, output::volume_info)
            }
            VolumeSub::Info { ids } => {
                let id = first_arg(&ids, "Volume id missing")?;
                let v = ctx.client.volume_info(id)?;
                ctx.print_either(&v, output::volume_info)
            }
            VolumeSub::List => {
                let list = ctx.client.volume_list()?;
                if ctx.json {
                    return ctx.print_json(&list);
                }
                for id in &list.volumes {
                    let v = ctx.client.volume_info(id)?;
                    ctx.print(&output::volume_list_line(id, &v))?;
                }
                Ok(())
            }
            VolumeSub::Clone { name, ids } => {
                let id = first_arg(&ids, "Volume id missing")?;
                let v = ctx.client.volume_clone(id, &VolumeCloneRequest { name })?;
                ctx.print_either(&v, output::volume_info)
            }
            VolumeSub::SetBlockHostingRestriction { args } => {
                if args.len() < 2 {
                    return Err(CliError::Usage(
                        "Restriction (locked|unlocked) and volume id required".into(),
                    ));
                }
                let restriction = match args[0].as_str() {
                    "locked" => "locked",
                    "unlocked" => "",
                    other => {
                        return Err(CliError::Usage(format!(
                            "Invalid restriction value: {other} (expected locked or unlocked)"
                        )));
                    }
                };
                let req = VolumeBlockRestrictionRequest {
                    restriction: restriction.to_string(),
                };
                let v = ctx.client.volume_set_block_restriction(&args[1], &req)?;
                ctx.print_either(&v, output::volume_info)
            }
        }
    }
}
