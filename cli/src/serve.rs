//! `brickyard serve`: starts the REST server.
//!
//! PLACEHOLDER owned by the lead: the server lives in `brickyard-server`, which is
//! being written in parallel; until it is wired in here, `serve` reports that.

use clap::Args;

use crate::CliError;

/// Arguments of `brickyard serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Configuration file (heketi.json)
    #[arg(long)]
    pub config: Option<String>,
    /// Disable JWT authentication
    #[arg(long = "disable-auth")]
    pub disable_auth: bool,
}

/// Runs the server. Placeholder until the lead connects `brickyard-server`.
pub fn run(_args: ServeArgs) -> Result<(), CliError> {
    Err(CliError::Usage(
        "serve is provided by brickyard-server".to_string(),
    ))
}
