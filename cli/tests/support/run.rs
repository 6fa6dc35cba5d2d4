//! Running the real binary, shared by the test binaries (`cli`, through `support`, and
//! `e2e`): its result, its path, and the fixtures its output is compared with.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Result of running the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Path of the real binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_brickyard"))
}

/// Runs `program args…` with no HEKETI_CLI_* variables from the environment.
pub fn run_prog(program: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_remove("HEKETI_CLI_SERVER")
        .env_remove("HEKETI_CLI_USER")
        .env_remove("HEKETI_CLI_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run binary");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fixture file's exact bytes.
pub fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
