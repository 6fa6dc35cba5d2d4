//! Running host commands from the harness.

use std::process::Command;

/// A harness step that failed; the message says what and why.
#[derive(Debug)]
pub struct HarnessError(pub String);

impl std::fmt::Display for HarnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HarnessError {}

/// Runs `script` with `bash -c`; its stdout on success, otherwise an error with the
/// status and stderr.
pub fn sh(script: &str) -> Result<String, HarnessError> {
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .output()
        .map_err(|e| HarnessError(format!("cannot run bash: {e}")))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(HarnessError(format!(
            "`{script}` failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            String::from_utf8_lossy(&out.stdout).trim()
        )))
    }
}
