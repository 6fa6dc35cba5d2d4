//! heketi-cli's command tree (clap derive) and the code that runs each command.
//!
//! Flag names, defaults and messages follow `heketi/heketi:client/cli/go/cmds`.
//! Flags accept Go/cobra syntax: `--size=1` and `--size 1`; boolean flags take
//! `--flag` or `--flag=false`.

mod blockvolume;
mod brick;
mod cluster;
mod context;
mod device;
mod misc;
mod node;
mod server;
mod tags;
mod topology;
mod topology_load;
mod volume;

pub use context::{Context, Mode};
pub use topology::rewrite_topology_load_args;
pub use topology_load::{LoadSummary, TopologyFile};

use clap::{Parser, Subcommand};

use crate::CliError;

/// Global options (cobra persistent flags of heketi-cli's root command).
#[derive(Clone, Debug, clap::Args)]
pub struct GlobalArgs {
    /// Heketi server. Can also be set using the environment variable HEKETI_CLI_SERVER
    #[arg(
        short = 's',
        long = "server",
        env = "HEKETI_CLI_SERVER",
        default_value = "http://localhost:8080",
        global = true,
        hide_env_values = true
    )]
    pub server: String,
    /// Heketi user. Can also be set using the environment variable HEKETI_CLI_USER
    #[arg(
        long = "user",
        env = "HEKETI_CLI_USER",
        default_value = "",
        global = true,
        hide_env_values = true,
        hide_default_value = true
    )]
    pub user: String,
    /// Secret key for specified user. Can also be set using the environment variable HEKETI_CLI_KEY
    #[arg(
        long = "secret",
        env = "HEKETI_CLI_KEY",
        default_value = "",
        global = true,
        hide_env_values = true,
        hide_default_value = true
    )]
    pub secret: String,
    /// Print response as JSON
    #[arg(long = "json", global = true)]
    pub json: bool,
    /// Allow connections to a TLS (https) server whose certificate is not trusted: the certificate is not checked
    #[arg(short = 'I', long = "insecure-tls", global = true)]
    pub insecure_tls: bool,
    /// Trust this CA certificate (PEM file) when connecting to a TLS (https) server; may be given more than once
    #[arg(
        short = 'C',
        long = "tls-cert",
        value_name = "FILE",
        global = true,
        action = clap::ArgAction::Append
    )]
    pub tls_cert: Vec<std::path::PathBuf>,
}

/// The `heketi-cli` compatible command line.
#[derive(Debug, Parser)]
#[command(
    name = "brickyard",
    about = "Command line program for Heketi",
    disable_version_flag = true,
    after_help = "Example:\n  $ export HEKETI_CLI_SERVER=http://localhost:8080\n  $ heketi-cli volume list"
)]
pub struct Cli {
    /// Global options.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Print version
    #[arg(short = 'v', long = "version")]
    pub version: bool,
    /// The command to run.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Heketi cluster management
    Cluster(cluster::ClusterCmd),
    /// Heketi Node Management
    Node(node::NodeCmd),
    /// Heketi device management
    Device(device::DeviceCmd),
    /// Heketi Volume Management
    Volume(volume::VolumeCmd),
    /// Heketi Volume Management
    #[command(name = "blockvolume")]
    BlockVolume(blockvolume::BlockVolumeCmd),
    /// Heketi Brick Management
    Brick(brick::BrickCmd),
    /// Heketi Topology Management
    Topology(topology::TopologyCmd),
    /// Heketi Database Management
    Db(misc::DbCmd),
    /// Heketi server Log Level
    Loglevel(misc::LogLevelCmd),
    /// Heketi Server Management
    Server(server::ServerCmd),
    /// Run the Brickyard REST server (brickyard only)
    Serve(crate::serve::ServeArgs),
    /// Run the CSI driver brickyard.gluster.io (brickyard only; see `brickyard csi --help`)
    Csi(crate::csi::CsiArgs),
}

impl Command {
    /// Runs the command; the result is the process exit status on success.
    pub fn run(self, ctx: &mut Context<'_>) -> Result<i32, CliError> {
        match self {
            Command::Cluster(c) => c.run(ctx).map(|()| 0),
            Command::Node(c) => c.run(ctx).map(|()| 0),
            Command::Device(c) => c.run(ctx).map(|()| 0),
            Command::Volume(c) => c.run(ctx).map(|()| 0),
            Command::BlockVolume(c) => c.run(ctx).map(|()| 0),
            Command::Brick(c) => c.run(ctx).map(|()| 0),
            Command::Topology(c) => c.run(ctx),
            Command::Db(c) => c.run(ctx).map(|()| 0),
            Command::Loglevel(c) => c.run(ctx).map(|()| 0),
            Command::Server(c) => c.run(ctx).map(|()| 0),
            Command::Serve(args) => crate::serve::run(args).map(|()| 0),
            Command::Csi(args) => crate::csi::run(args).map(|()| 0),
        }
    }
}

/// The first positional id, or heketi-cli's error for a missing one.
pub(crate) fn first_arg<'a>(args: &'a [String], missing: &str) -> Result<&'a str, CliError> {
    args.first()
        .map(String::as_str)
        .ok_or_else(|| CliError::Usage(missing.to_string()))
}
