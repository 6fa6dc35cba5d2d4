//! Integration tests of the `brickyard` binary against a fake Heketi server.

#[path = "support/mod.rs"]
mod support;

#[path = "cli/async_protocol.rs"]
mod async_protocol;
#[path = "cli/errors.rs"]
mod errors;
#[path = "cli/formats.rs"]
mod formats;
#[path = "cli/heketi_mode.rs"]
mod heketi_mode;
#[path = "cli/help.rs"]
mod help;
#[path = "cli/topology_load.rs"]
mod topology_load;
#[path = "cli/transcript.rs"]
mod transcript;
