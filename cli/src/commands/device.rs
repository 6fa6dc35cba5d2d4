use std::time::Duration;

use brickyard::api::{DeviceAddRequest, DeviceDeleteOptions, StateRequest};
use clap::{Args, Subcommand};

use super::tags::{rm_tags_request, set_tags_request};
use super::{Context, first_arg};
use crate::{CliError, output};

/// `device …`
#[derive(Debug, Args)]
pub struct DeviceCmd {
    #[command(subcommand)]
    cmd: DeviceSub,
}

#[derive(Debug, Subcommand)]
enum DeviceSub {
    /// Add new device to node to be managed by Heketi
    Add {
        /// Name of device to add
        #[arg(long, default_value = "")]
        name: String,
        /// Id of the node which has this device
        #[arg(long, default_value = "")]
        node: String,
        /// Destroy any data on the device (wipe signatures) before adding it
        #[arg(long = "destroy-existing-data")]
        destroy_existing_data: bool,
    },
    /// Deletes a device from Heketi node
    Delete {
        /// Forget the device even if its storage cannot be removed from the node
        #[arg(long = "force-forget")]
        force_forget: bool,
        ids: Vec<String>,
    },
    /// Removes a device from Heketi node
    Remove {
        /// Skip the heal check before removing bricks (dangerous)
        #[arg(long = "expert-option-disable-heal-check")]
        disable_heal_check: bool,
        ids: Vec<String>,
    },
    /// Retrieves information about the device
    Info { ids: Vec<String> },
    /// Allows device to go online
    Enable { ids: Vec<String> },
    /// Disallow usage of a device by placing it offline
    Disable { ids: Vec<String> },
    /// Resync storage information about the device with operation system
    Resync {
        /// Resync every device of this cluster instead of one device
        #[arg(long, default_value = "")]
        cluster: String,
        ids: Vec<String>,
    },
    /// Replace a device by a new one on the same node: add it, move every brick,
    /// retire the old device (Brickyard; run again to resume)
    Replace {
        /// The new device, e.g. /dev/sdc
        #[arg(long = "with", default_value = "")]
        with: String,
        /// Skip the heal check before moving bricks (dangerous)
        #[arg(long = "expert-option-disable-heal-check")]
        disable_heal_check: bool,
        ids: Vec<String>,
    },
    /// Sets tags on a device
    Settags {
        /// Set the object to this exact set of tags. Overwrites existing tags.
        #[arg(short = 'e', long)]
        exact: bool,
        /// device_id tag1:value1 tag2:value2...
        args: Vec<String>,
    },
    /// Removes tags from a device
    #[command(visible_alias = "deltags", visible_alias = "removetags")]
    Rmtags {
        /// Remove all tags.
        #[arg(long)]
        all: bool,
        /// device_id tag1 tag2...
        args: Vec<String>,
    },
}

fn set_state(
    ctx: &mut Context<'_>,
    id: &str,
    state: &str,
    healcheck: &str,
    word: &str,
) -> Result<(), CliError> {
    let req = StateRequest {
        state: state.to_string(),
        healcheck: healcheck.to_string(),
    };
    ctx.client.device_state(id, &req)?;
    ctx.print(&format!("Device {id} is now {word}\n"))
}

impl DeviceCmd {
    /// `replace`, a Brickyard extra that heketi-cli does not know.
    pub(crate) fn is_replace(&self) -> bool {
        matches!(self.cmd, DeviceSub::Replace { .. })
    }

    pub(crate) fn run(self, ctx: &mut Context<'_>) -> Result<(), CliError> {
        match self.cmd {
            DeviceSub::Add {
                name,
                node,
                destroy_existing_data,
            } => {
                if name.is_empty() {
                    return Err(CliError::Usage("Missing device name".into()));
                }
                if node.is_empty() {
                    return Err(CliError::Usage("Missing node id".into()));
                }
                let req = DeviceAddRequest {
                    name,
                    tags: Default::default(),
                    node,
                    destroydata: destroy_existing_data,
                };
                ctx.client.device_add(&req)?;
                ctx.print("Device added successfully\n")
            }
            DeviceSub::Delete { force_forget, ids } => {
                let id = first_arg(&ids, "Device id missing")?;
                let opts = DeviceDeleteOptions {
                    forceforget: force_forget,
                };
                ctx.client
                    .device_delete(id, force_forget.then_some(&opts))?;
                ctx.print(&format!("Device {id} deleted\n"))
            }
            DeviceSub::Remove {
                disable_heal_check,
                ids,
            } => {
                let id = first_arg(&ids, "Device id missing")?;
                let healcheck = if disable_heal_check {
                    ctx.print(super::brick::HEAL_CHECK_WARNING)?;
                    std::thread::sleep(Duration::from_secs(10));
                    "disable"
                } else {
                    ""
                };
                set_state(ctx, id, "failed", healcheck, "removed")
            }
            DeviceSub::Info { ids } => {
                let id = first_arg(&ids, "Device id missing")?;
                let d = ctx.client.device_info(id)?;
                ctx.print_either(&d, output::device_info)
            }
            DeviceSub::Enable { ids } => {
                let id = first_arg(&ids, "device id missing")?;
                set_state(ctx, id, "online", "", "online")
            }
            DeviceSub::Disable { ids } => {
                let id = first_arg(&ids, "device id missing")?;
                set_state(ctx, id, "offline", "", "offline")
            }
            DeviceSub::Resync { cluster, ids } => {
                if !cluster.is_empty() {
                    let info = ctx.client.cluster_info(&cluster)?;
                    for nid in &info.nodes {
                        let node = ctx.client.node_info(nid)?;
                        for d in &node.devices {
                            ctx.client.device_resync(&d.info.id)?;
                            ctx.print(&format!("Device {} updated\n", d.info.id))?;
                        }
                    }
                    return Ok(());
                }
                let id = first_arg(&ids, "Device id missing")?;
                ctx.client.device_resync(id)?;
                ctx.print(&format!("Device {id} updated\n"))
            }
            DeviceSub::Replace {
                with,
                disable_heal_check,
                ids,
            } => {
                let id = first_arg(&ids, "Device id missing")?;
                if with.is_empty() {
                    return Err(CliError::Usage("Missing new device name (--with)".into()));
                }
                let healcheck = if disable_heal_check {
                    ctx.print(super::brick::HEAL_CHECK_WARNING)?;
                    std::thread::sleep(Duration::from_secs(10));
                    "disable"
                } else {
                    ""
                };
                let d = ctx.client.device_replace(id, &with, healcheck)?;
                ctx.print(&format!(
                    "Device {id} replaced by {} ({})\n",
                    d.info.id, d.info.name
                ))
            }
            DeviceSub::Settags { exact, args } => {
                let (id, req) = set_tags_request(&args, exact)?;
                ctx.client.device_set_tags(&id, &req)?;
                Ok(())
            }
            DeviceSub::Rmtags { all, args } => {
                let (id, req) = rm_tags_request(&args, all)?;
                ctx.client.device_set_tags(&id, &req)?;
                Ok(())
            }
        }
    }
}
