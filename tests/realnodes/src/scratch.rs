//! A private work directory that sshd accepts for keys.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::HarnessError;

/// Where scratch directories live: root-owned and not world-writable all the way up.
pub const SCRATCH_ROOT: &str = "/var/lib/brickyard-test";

static NEXT: AtomicU32 = AtomicU32::new(0);

/// `/var/lib/brickyard-test/<name>-<pid>-<n>`, mode 0700; removed on drop.
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// Creates a fresh directory named after `name`.
    pub fn new(name: &str) -> Result<Scratch, HarnessError> {
        let root = Path::new(SCRATCH_ROOT);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(root)
            .map_err(|e| HarnessError(format!("cannot create {SCRATCH_ROOT}: {e}")))?;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| HarnessError(format!("cannot chmod {SCRATCH_ROOT}: {e}")))?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = root.join(format!("{name}-{}-{n}", std::process::id()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|e| HarnessError(format!("cannot create {}: {e}", path.display())))?;
        Ok(Scratch { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        // The root goes too once the last scratch directory is gone.
        let _ = std::fs::remove_dir(SCRATCH_ROOT);
    }
}
