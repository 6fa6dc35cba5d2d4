//! Mounting GlusterFS volumes: the [`Mounter`] trait, and [`SystemMounter`],
//! which runs `mount -t glusterfs` and `umount` and reads `/proc/self/mountinfo`.
//! Tests substitute their own implementation.
//!
//! A GlusterFS mount is served by a FUSE client process (`glusterfs`). When that
//! process dies (OOM kill, a node plugin restarted without `auto_unmount`), the mount
//! stays in the mount table and every access to it fails with `ENOTCONN`: a *stale*
//! mount. [`Mounter::health`] tells one apart ([`MountHealth`]); the node service
//! mounts again over it, unmounts it lazily when a plain unmount fails, and reports it
//! as an abnormal volume condition.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use nix::errno::Errno;

use thiserror::Error;

/// One mount to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountSpec {
    /// `HOST:/VOLUME`.
    pub source: String,
    /// The directory to mount on.
    pub target: PathBuf,
    /// `glusterfs`.
    pub fstype: String,
    /// `-o` options, in order.
    pub options: Vec<String>,
}

/// A mount found at a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mounted {
    /// What is mounted (`HOST:VOLUME` as the kernel shows it).
    pub source: String,
    /// File system type (`fuse.glusterfs` for a GlusterFS mount).
    pub fstype: String,
    /// Whether the mount is read-only.
    pub read_only: bool,
}

/// Why a mount or an unmount failed.
#[derive(Debug, Error)]
pub enum MountError {
    /// The program is not installed (the image lacks glusterfs-client).
    #[error("{program} not found: install glusterfs-client (mount.glusterfs) in the node image")]
    NotInstalled {
        /// The program that was run.
        program: String,
    },
    /// The program ran and failed.
    #[error("{command} failed ({status}): {output}")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed (stdout and stderr).
        output: String,
    },
    /// Any other I/O failure.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl MountError {
    /// Whether the failure means the storage servers could not be reached.
    pub fn is_unreachable(&self) -> bool {
        match self {
            MountError::Failed { output, .. } => {
                let o = output.to_ascii_lowercase();
                [
                    "transport endpoint is not connected",
                    "connection refused",
                    "failed to fetch volume file",
                    "no route to host",
                ]
                .iter()
                .any(|s| o.contains(s))
            }
            _ => false,
        }
    }
}

/// Whether a mounted file system answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountHealth {
    /// `stat` and `statvfs` of the mount point answered.
    Healthy,
    /// They failed with `ENOTCONN`, `EIO` or `ESTALE`: the FUSE client serving the
    /// mount is gone, and nothing will ever answer there (a live client that lost
    /// every brick answers `ENOTCONN` too; mounting again is what helps either way).
    Stale(Errno),
    /// They did not answer within [`PROBE_TIMEOUT`] (a live client waiting for its
    /// servers, or a hung one).
    Unresponsive,
}

impl MountHealth {
    /// What is wrong, for messages (`None` when healthy).
    pub fn problem(self) -> Option<String> {
        match self {
            MountHealth::Healthy => None,
            MountHealth::Stale(e) => Some(format!(
                "the mount is stale ({e}): the glusterfs client process serving it is gone \
                 (or has lost every server)"
            )),
            MountHealth::Unresponsive => Some(format!(
                "the mount did not answer stat/statvfs within {} s",
                PROBE_TIMEOUT.as_secs()
            )),
        }
    }
}

/// How long [`probe`] waits for `stat`/`statvfs` of a mount point.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `errno`, from an access to a mount point, means the mount is stale:
/// `ENOTCONN` (the FUSE client died), `ESTALE` or `EIO`.
pub fn is_stale_errno(errno: Errno) -> bool {
    matches!(errno, Errno::ENOTCONN | Errno::ESTALE | Errno::EIO)
}

/// The health of the mount at `target`, from `stat` and `statvfs` of it on the
/// blocking pool (at most [`PROBE_TIMEOUT`]). Other failures (`ENOENT`, `EACCES`)
/// are not about the mount's client: [`MountHealth::Healthy`].
pub async fn probe(target: &Path) -> MountHealth {
    let path = target.to_path_buf();
    let task = tokio::task::spawn_blocking(move || {
        nix::sys::stat::stat(&path)
            .map(|_| ())
            .and_then(|()| nix::sys::statvfs::statvfs(&path).map(|_| ()))
    });
    match tokio::time::timeout(PROBE_TIMEOUT, task).await {
        Ok(Ok(Err(e))) if is_stale_errno(e) => MountHealth::Stale(e),
        Ok(_) => MountHealth::Healthy,
        Err(_) => MountHealth::Unresponsive,
    }
}

/// Makes and removes mounts.
#[async_trait::async_trait]
pub trait Mounter: Send + Sync + 'static {
    /// Mounts `spec.source` on `spec.target` (which exists).
    async fn mount(&self, spec: &MountSpec) -> Result<(), MountError>;
    /// Unmounts `target`.
    async fn unmount(&self, target: &Path) -> Result<(), MountError>;
    /// Detaches `target` lazily (`umount -l`): for a stale mount a plain unmount
    /// could not remove.
    async fn unmount_lazy(&self, target: &Path) -> Result<(), MountError>;
    /// The mount at exactly `target`, if any.
    async fn mounted(&self, target: &Path) -> Result<Option<Mounted>, MountError>;
    /// Whether the mount at `target` answers (see [`probe`], the default).
    async fn health(&self, target: &Path) -> MountHealth {
        probe(target).await
    }
}

/// The command line of a GlusterFS mount: `mount -t glusterfs -o OPTS SOURCE TARGET`.
pub fn mount_args(spec: &MountSpec) -> Vec<String> {
    let mut args = vec!["-t".to_string(), spec.fstype.clone()];
    if !spec.options.is_empty() {
        args.push("-o".to_string());
        args.push(spec.options.join(","));
    }
    args.push(spec.source.clone());
    args.push(spec.target.display().to_string());
    args
}

/// The real mounter.
#[derive(Clone, Debug)]
pub struct SystemMounter {
    /// `mount`.
    pub mount_program: PathBuf,
    /// `umount`.
    pub umount_program: PathBuf,
    /// `/proc/self/mountinfo`.
    pub mountinfo: PathBuf,
}

impl Default for SystemMounter {
    fn default() -> Self {
        SystemMounter {
            mount_program: PathBuf::from("mount"),
            umount_program: PathBuf::from("umount"),
            mountinfo: PathBuf::from("/proc/self/mountinfo"),
        }
    }
}

async fn run(program: &Path, args: &[String]) -> Result<(), MountError> {
    let command = format!("{} {}", program.display(), args.join(" "));
    let out: Output = match tokio::process::Command::new(program)
        .args(args)
        .output()
        .await
    {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(MountError::NotInstalled {
                program: program.display().to_string(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    if out.status.success() {
        return Ok(());
    }
    let mut output = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let err = String::from_utf8_lossy(&out.stderr);
    if !err.trim().is_empty() {
        if !output.is_empty() {
            output.push('\n');
        }
        output.push_str(err.trim());
    }
    Err(MountError::Failed {
        command,
        status: out.status.to_string(),
        output,
    })
}

#[async_trait::async_trait]
impl Mounter for SystemMounter {
    /// Mounts; when that fails because the client does not know `auto_unmount` (old
    /// glusterfs clients), tries once more without it, as the in-tree plugin did. Any
    /// other failure is not tried again (a second attempt would double the time and
    /// the client's log, and report the wrong command).
    async fn mount(&self, spec: &MountSpec) -> Result<(), MountError> {
        match run(&self.mount_program, &mount_args(spec)).await {
            Err(MountError::Failed { output, .. })
                if spec.options.iter().any(|o| o == "auto_unmount")
                    && refuses_auto_unmount(&output) =>
            {
                let mut older = spec.clone();
                older.options.retain(|o| o != "auto_unmount");
                run(&self.mount_program, &mount_args(&older)).await
            }
            other => other,
        }
    }

    async fn unmount(&self, target: &Path) -> Result<(), MountError> {
        run(&self.umount_program, &[target.display().to_string()]).await
    }

    async fn unmount_lazy(&self, target: &Path) -> Result<(), MountError> {
        run(
            &self.umount_program,
            &["-l".to_string(), target.display().to_string()],
        )
        .await
    }

    async fn mounted(&self, target: &Path) -> Result<Option<Mounted>, MountError> {
        let text = tokio::fs::read_to_string(&self.mountinfo).await?;
        Ok(find_in_mountinfo(&text, target))
    }
}

/// Whether a failed mount's output says the client refused the `auto_unmount`
/// option (`Invalid option auto_unmount`, or fuse's `Invalid argument`), the cases in
/// which the in-tree plugin mounted again without it.
pub fn refuses_auto_unmount(output: &str) -> bool {
    let o = output.to_ascii_lowercase();
    o.contains("auto_unmount") || o.contains("invalid argument")
}

/// Undoes mountinfo's octal escapes (`\040` for a space).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The last mount at `target` in `/proc/self/mountinfo` text (the one visible).
pub fn find_in_mountinfo(text: &str, target: &Path) -> Option<Mounted> {
    let want = target.to_string_lossy();
    let want = want.trim_end_matches('/');
    let mut found = None;
    for line in text.lines() {
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
        let fields: Vec<&str> = line.split(' ').collect();
        if fields.len() < 10 {
            continue;
        }
        if unescape(fields[4]).trim_end_matches('/') != want {
            continue;
        }
        let Some(dash) = fields.iter().position(|f| *f == "-") else {
            continue;
        };
        if dash + 2 >= fields.len() {
            continue;
        }
        let read_only = fields[5].split(',').any(|o| o == "ro");
        found = Some(Mounted {
            source: unescape(fields[dash + 2]),
            fstype: fields[dash + 1].to_string(),
            read_only,
        });
    }
    found
}

/// Whether a mounted source is `HOST:/VOLUME` (mount.glusterfs may show it
/// with or without the `/`).
pub fn same_source(mounted: &str, wanted: &str) -> bool {
    let norm = |s: &str| match s.rsplit_once(':') {
        Some((h, v)) => format!("{h}:{}", v.trim_start_matches('/')),
        None => s.to_string(),
    };
    norm(mounted) == norm(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_directory_that_answers_is_healthy() {
        let dir = std::env::temp_dir();
        assert_eq!(probe(&dir).await, MountHealth::Healthy);
        // Not the client's fault: no repair for a path that does not exist.
        assert_eq!(
            probe(&dir.join("bycsi-no-such-path")).await,
            MountHealth::Healthy
        );
        assert!(is_stale_errno(Errno::ENOTCONN) && is_stale_errno(Errno::ESTALE));
        assert!(is_stale_errno(Errno::EIO) && !is_stale_errno(Errno::ENOENT));
        assert_eq!(MountHealth::Healthy.problem(), None);
        assert_eq!(
            MountHealth::Stale(Errno::ENOTCONN).problem().as_deref(),
            Some(
                "the mount is stale (ENOTCONN: Transport endpoint is not connected): \
                 the glusterfs client process serving it is gone (or has lost every server)"
            )
        );
    }

    #[test]
    fn command_line() {
        let spec = MountSpec {
            source: "10.0.0.1:/vol_1".into(),
            target: PathBuf::from("/var/lib/kubelet/pods/p/volumes/x/mount"),
            fstype: "glusterfs".into(),
            options: vec![
                "ro".into(),
                "backup-volfile-servers=10.0.0.2:10.0.0.3".into(),
            ],
        };
        assert_eq!(
            mount_args(&spec),
            vec![
                "-t",
                "glusterfs",
                "-o",
                "ro,backup-volfile-servers=10.0.0.2:10.0.0.3",
                "10.0.0.1:/vol_1",
                "/var/lib/kubelet/pods/p/volumes/x/mount"
            ]
        );
    }

    #[test]
    fn only_a_refused_auto_unmount_is_tried_again() {
        assert!(refuses_auto_unmount(
            "/sbin/mount.glusterfs: Invalid option auto_unmount"
        ));
        assert!(refuses_auto_unmount("fuse: Invalid argument"));
        assert!(!refuses_auto_unmount(
            "Mounting glusterfs on /mnt/x failed."
        ));
    }

    #[test]
    fn mountinfo() {
        let text = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
90 22 0:50 / /var/lib/kubelet/pods/a\\040b/mount rw,relatime shared:40 - fuse.glusterfs 10.0.0.1:vol_1 rw,user_id=0
91 22 0:51 / /mnt/ro ro,relatime - fuse.glusterfs 10.0.0.1:/vol_2 ro
";
        let m =
            find_in_mountinfo(text, Path::new("/var/lib/kubelet/pods/a b/mount")).expect("found");
        assert_eq!(m.source, "10.0.0.1:vol_1");
        assert_eq!(m.fstype, "fuse.glusterfs");
        assert!(!m.read_only);
        assert!(same_source(&m.source, "10.0.0.1:/vol_1"));
        assert!(!same_source(&m.source, "10.0.0.1:/vol_2"));
        let ro = find_in_mountinfo(text, Path::new("/mnt/ro/")).expect("found");
        assert!(ro.read_only);
        assert_eq!(find_in_mountinfo(text, Path::new("/mnt")), None);
    }
}
