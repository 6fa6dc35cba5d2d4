//! The database file: where it is, and refusing Heketi's BoltDB files with advice.

use std::io::Read;
use std::path::{Path, PathBuf};

/// BoltDB's meta page magic (`0xED0CDAED`), little-endian at offset 16 of the file.
const BOLT_MAGIC: [u8; 4] = [0xED, 0xDA, 0x0C, 0xED];
const BOLT_MAGIC_OFFSET: usize = 16;

/// True when `path` exists and starts like a BoltDB file (Heketi's `heketi.db`).
pub fn is_bolt_file(path: &Path) -> bool {
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = [0u8; BOLT_MAGIC_OFFSET + 4];
    if file.read_exact(&mut head).is_err() {
        return false;
    }
    head[BOLT_MAGIC_OFFSET..] == BOLT_MAGIC
}

/// The advice for a BoltDB file found where the store should be.
pub fn bolt_advice(path: &Path) -> String {
    let shown = path.display();
    format!(
        "{shown} is a Heketi (BoltDB) database, which Brickyard cannot open directly. \
         Convert it once: `heketi db export --dbfile {shown} --jsonfile heketi-export.json` \
         (with Heketi's binary), then `brickyard db import --jsonfile heketi-export.json --dbfile brickyard.db`, \
         and point glusterfs.db (or --db) at brickyard.db"
    )
}

/// `path` made absolute against the working directory (for messages; the file need
/// not exist).
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bolt_files_are_recognised_by_their_magic() {
        let dir = std::env::temp_dir().join(format!("brickyard-bolt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let bolt = dir.join("heketi.db");
        let mut bytes = vec![0u8; 4096];
        bytes[16..20].copy_from_slice(&BOLT_MAGIC);
        std::fs::write(&bolt, &bytes).expect("write");
        assert!(is_bolt_file(&bolt));
        let other = dir.join("other.db");
        std::fs::write(&other, vec![0u8; 64]).expect("write");
        assert!(!is_bolt_file(&other));
        assert!(!is_bolt_file(&dir.join("missing.db")));
        assert!(bolt_advice(&bolt).contains("heketi db export"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
