//! `brickyard csi`: hands over to the `brickyard-csi` program (package
//! `brickyard-csi`), which holds the CSI driver.
//!
//! The driver uses this crate's REST client, so this crate cannot depend on it
//! (a cycle); `brickyard-csi` is `brickyard` plus `csi`, and the container image
//! installs it as `brickyard`. Here the process is replaced by
//! `brickyard-csi csi ARGS…`, found in `$BRICKYARD_CSI_BIN`, next to this
//! program, or on `PATH`.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;

use clap::Args;

use crate::CliError;

/// Arguments of `brickyard csi` (all passed on; see `brickyard csi --help`).
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct CsiArgs {
    /// Arguments of the CSI driver
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<OsString>,
}

/// Where `brickyard-csi` is.
pub fn driver_program() -> PathBuf {
    if let Some(p) = std::env::var_os("BRICKYARD_CSI_BIN").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Ok(exe) = std::env::current_exe() {
        let sibling = exe.with_file_name("brickyard-csi");
        if sibling.is_file() {
            return sibling;
        }
    }
    PathBuf::from("brickyard-csi")
}

/// Replaces this process with `brickyard-csi csi ARGS…`; returns only on failure.
pub fn run(args: CsiArgs) -> Result<(), CliError> {
    let program = driver_program();
    let err = std::process::Command::new(&program)
        .arg("csi")
        .args(&args.args)
        .exec();
    Err(CliError::Usage(format!(
        "brickyard csi runs {}: {err} (build it with `cargo build -p brickyard-csi`, \
         or set BRICKYARD_CSI_BIN)",
        program.display()
    )))
}
