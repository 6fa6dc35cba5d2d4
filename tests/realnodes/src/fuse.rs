//! A gluster volume mounted on the host through FUSE, and files of random data written
//! into it with their sha256 checksums (what must read back unchanged after bricks move).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{HarnessError, sh};

/// The directory (inside the volume, and so inside every brick) the data files go to.
pub const DATA_DIR: &str = "data";

/// File name → sha256 (hex), as `sha256sum` prints it.
pub type Checksums = BTreeMap<String, String>;

/// `mount -t glusterfs HOST:/VOLUME` under the bed's `mnt/`, unmounted on drop. The
/// client logs to its own file (not the host's `/var/log/glusterfs`).
pub struct FuseMount {
    dir: PathBuf,
    log: PathBuf,
}

impl FuseMount {
    /// Mounts `volume` from `host` at `<bed_dir>/mnt/<volume>`; fails with a clear reason
    /// when the host has no FUSE (`/dev/fuse`) or the mount does not come up.
    pub fn mount(bed_dir: &Path, host: &str, volume: &str) -> Result<FuseMount, HarnessError> {
        if !Path::new("/dev/fuse").exists() {
            return Err(HarnessError(
                "/dev/fuse is missing on the host: the volume cannot be mounted through FUSE \
                 (load the fuse module or give the container /dev/fuse)"
                    .into(),
            ));
        }
        let dir = bed_dir.join("mnt").join(volume);
        let log = bed_dir.join(format!("fuse-{volume}.log"));
        std::fs::create_dir_all(&dir)
            .map_err(|e| HarnessError(format!("cannot create {}: {e}", dir.display())))?;
        let mounted = sh(&format!(
            "mount -t glusterfs -o log-file={log} {host}:/{volume} {dir} && mountpoint -q {dir}",
            log = log.display(),
            dir = dir.display()
        ));
        let m = FuseMount { dir, log };
        match mounted {
            Ok(_) => Ok(m),
            Err(e) => Err(HarnessError(format!(
                "FUSE mount of {host}:/{volume} failed: {e}\nclient log:\n{}",
                m.client_log()
            ))),
        }
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The FUSE client's log (for failure messages).
    pub fn client_log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Writes `count` files of `size_kib` KiB of random data into [`DATA_DIR`] (created
    /// if needed), flushes them, and returns their checksums as computed on the host
    /// before they went to the volume.
    pub fn write_random_files(
        &self,
        prefix: &str,
        count: usize,
        size_kib: usize,
    ) -> Result<Checksums, HarnessError> {
        let data = self.dir.join(DATA_DIR);
        let out = sh(&format!(
            "set -e; mkdir -p {data}; tmp=$(mktemp); trap 'rm -f $tmp' EXIT; \
             for i in $(seq 1 {count}); do f={prefix}-$i; \
               head -c {bytes} /dev/urandom > $tmp; \
               echo \"$(sha256sum < $tmp | cut -d' ' -f1)  $f\"; \
               cp $tmp {data}/$f; done; sync",
            data = data.display(),
            bytes = size_kib * 1024,
        ))
        .map_err(|e| self.with_log(e))?;
        let sums = parse_sha256sum(&out)?;
        if sums.len() != count {
            return Err(HarnessError(format!(
                "wrote {count} files, got {} checksums: {out}",
                sums.len()
            )));
        }
        Ok(sums)
    }

    /// Checksums of every file in [`DATA_DIR`], read back through the mount after the
    /// host's page cache is dropped (so the data comes from the bricks).
    pub fn checksums(&self) -> Result<Checksums, HarnessError> {
        let out = sh(&format!(
            "set -e; sync; echo 3 > /proc/sys/vm/drop_caches || true; cd {}; sha256sum -- *",
            self.dir.join(DATA_DIR).display()
        ))
        .map_err(|e| self.with_log(e))?;
        parse_sha256sum(&out)
    }

    fn with_log(&self, e: HarnessError) -> HarnessError {
        let log = self.client_log();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        HarnessError(format!(
            "{e}\nFUSE client log (last lines):\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ))
    }
}

impl Drop for FuseMount {
    fn drop(&mut self) {
        let d = self.dir.display();
        if sh(&format!("umount {d} || umount -l {d}")).is_err() {
            eprintln!("could not unmount {d}");
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// `sha256sum` output (`<hex>  <name>` lines) as name → checksum.
pub fn parse_sha256sum(out: &str) -> Result<Checksums, HarnessError> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (sum, name) = l
                .split_once("  ")
                .ok_or_else(|| HarnessError(format!("not a sha256sum line: {l:?}")))?;
            if sum.len() != 64 || !sum.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(HarnessError(format!("not a sha256 checksum: {l:?}")));
            }
            Ok((name.trim().to_string(), sum.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256sum_lines_parse_and_garbage_is_refused() {
        let a = "a".repeat(64);
        let b = "0123456789abcdef".repeat(4);
        let sums = parse_sha256sum(&format!("{a}  f-1\n{b}  f-2\n")).expect("parses");
        assert_eq!(sums.len(), 2);
        assert_eq!(sums["f-1"], a);
        assert_eq!(sums["f-2"], b);
        assert!(parse_sha256sum("sha256sum: f-3: No such file").is_err());
        assert!(parse_sha256sum("abc  f-1").is_err());
    }
}
