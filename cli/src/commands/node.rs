use brickyard::api::{HostAddresses, NodeAddRequest, StateRequest};
use clap::{Args, Subcommand};

use super::tags::{rm_tags_request, set_tags_request};
use super::{Context, first_arg};
use crate::{CliError, output};

/// `node …`
#[derive(Debug, Args)]
pub struct NodeCmd {
    #[command(subcommand)]
    cmd: NodeSub,
}

#[derive(Debug, Subcommand)]
enum NodeSub {
    /// Add new node to be managed by Heketi
    Add {
        /// The zone in which the node should reside
        #[arg(long, default_value_t = 0)]
        zone: i64,
        /// The cluster in which the node should reside
        #[arg(long, default_value = "")]
        cluster: String,
        /// Management host name
        #[arg(long = "management-host-name", default_value = "")]
        management_host_name: String,
        /// Storage host name
        #[arg(long = "storage-host-name", default_value = "")]
        storage_host_name: String,
    },
    /// Deletes a node from Heketi management
    Delete { ids: Vec<String> },
    /// Retrieves information about the node
    Info { ids: Vec<String> },
    /// Allows node to go online
    Enable { ids: Vec<String> },
    /// Disallow usage of a node by placing it offline
    Disable { ids: Vec<String> },
    /// List all nodes in cluster
    List,
    /// Removes a node and all its associated devices from Heketi
    Remove { ids: Vec<String> },
    /// Replace a node by a new one: add it (same cluster and zone) with its devices,
    /// move every brick, retire the old node (Brickyard; run again to resume)
    Replace {
        /// Management host name of the new node
        #[arg(long = "with", default_value = "")]
        with: String,
        /// Storage host name of the new node (default: the management host name)
        #[arg(long = "storage-host-name", default_value = "")]
        storage_host_name: String,
        /// A device of the new node (repeat for several)
        #[arg(long = "device")]
        devices: Vec<String>,
        /// Skip the heal check before moving bricks (dangerous)
        #[arg(long = "expert-option-disable-heal-check")]
        disable_heal_check: bool,
        ids: Vec<String>,
    },
    /// Sets tags on a node
    Settags {
        /// Set the object to this exact set of tags. Overwrites existing tags.
        #[arg(short = 'e', long)]
        exact: bool,
        /// node_id tag1:value1 tag2:value2...
        args: Vec<String>,
    },
    /// Removes tags from a node
    #[command(visible_alias = "deltags", visible_alias = "removetags")]
    Rmtags {
        /// Remove all tags.
        #[arg(long)]
        all: bool,
        /// node_id tag1 tag2...
        args: Vec<String>,
    },
}

fn set_state(
    ctx: &mut Context<'_>,
    ids: &[String],
    state: &str,
    word: &str,
) -> Result<(), CliError> {
    let id = first_arg(ids, "Node id missing")?;
    let req = StateRequest {
        state: state.to_string(),
        healcheck: String::new(),
    };
    ctx.client.node_state(id, &req)?;
    ctx.print(&format!("Node {id} is now {word}\n"))
}

impl NodeCmd {
    /// `replace`, a Brickyard extra that heketi-cli does not know.
    pub(crate) fn is_replace(&self) -> bool {
        matches!(self.cmd, NodeSub::Replace { .. })
    }

    pub(crate) fn run(self, ctx: &mut Context<'_>) -> Result<(), CliError> {
        match self.cmd {
            NodeSub::Add {
                zone,
                cluster,
                management_host_name,
                storage_host_name,
            } => {
                if zone == 0 {
                    return Err(CliError::Usage("Missing zone".into()));
                }
                if management_host_name.is_empty() {
                    return Err(CliError::Usage("Missing management hostname".into()));
                }
                if storage_host_name.is_empty() {
                    return Err(CliError::Usage("Missing storage hostname".into()));
                }
                if cluster.is_empty() {
                    return Err(CliError::Usage("Missing cluster id".into()));
                }
                let req = NodeAddRequest {
                    zone,
                    hostnames: HostAddresses {
                        manage: vec![management_host_name],
                        storage: vec![storage_host_name],
                    },
                    cluster,
                    tags: Default::default(),
                };
                let node = ctx.client.node_add(&req)?;
                ctx.print_either(&node, |n| {
                    format!("Node information:\n{}", output::node_info_header(n))
                })
            }
            NodeSub::Delete { ids } => {
                let id = first_arg(&ids, "Node id missing")?;
                ctx.client.node_delete(id)?;
                ctx.print(&format!("Node {id} deleted\n"))
            }
            NodeSub::Info { ids } => {
                let id = first_arg(&ids, "Node id missing")?;
                let n = ctx.client.node_info(id)?;
                ctx.print_either(&n, output::node_info)
            }
            NodeSub::Enable { ids } => set_state(ctx, &ids, "online", "online"),
            NodeSub::Disable { ids } => set_state(ctx, &ids, "offline", "offline"),
            NodeSub::Remove { ids } => set_state(ctx, &ids, "failed", "removed"),
            NodeSub::List => {
                let clusters = ctx.client.cluster_list()?;
                for cid in &clusters.clusters {
                    let info = ctx.client.cluster_info(cid)?;
                    for nid in &info.nodes {
                        ctx.print(&output::node_list_line(nid, cid))?;
                    }
                }
                Ok(())
            }
            NodeSub::Replace {
                with,
                storage_host_name,
                devices,
                disable_heal_check,
                ids,
            } => {
                let id = first_arg(&ids, "Node id missing")?;
                if with.is_empty() {
                    return Err(CliError::Usage(
                        "Missing new node host name (--with)".into(),
                    ));
                }
                if devices.is_empty() {
                    return Err(CliError::Usage(
                        "Missing devices of the new node (--device)".into(),
                    ));
                }
                let storage = if storage_host_name.is_empty() {
                    with.clone()
                } else {
                    storage_host_name
                };
                let healcheck = if disable_heal_check {
                    ctx.print(super::brick::HEAL_CHECK_WARNING)?;
                    std::thread::sleep(std::time::Duration::from_secs(10));
                    "disable"
                } else {
                    ""
                };
                let hostnames = HostAddresses {
                    manage: vec![with],
                    storage: vec![storage],
                };
                let n = ctx
                    .client
                    .node_replace(id, &hostnames, &devices, healcheck)?;
                ctx.print(&format!("Node {id} replaced by {}\n", n.info.id))
            }
            NodeSub::Settags { exact, args } => {
                let (id, req) = set_tags_request(&args, exact)?;
                ctx.client.node_set_tags(&id, &req)?;
                Ok(())
            }
            NodeSub::Rmtags { all, args } => {
                let (id, req) = rm_tags_request(&args, all)?;
                ctx.client.node_set_tags(&id, &req)?;
                Ok(())
            }
        }
    }
}
