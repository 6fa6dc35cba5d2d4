//! Heketi's command settings (`sshexec`/`kubeexec` config keys) with their defaults.

use std::time::Duration;

/// Settings that shape the command lines and their timeouts.
///
/// Defaults are Heketi's: fstab `/etc/fstab`, mount options `rw,inode64,noatime,nouuid`,
/// no LVM wrapper, `--autobackup=n`, gluster CLI timeout 600 s, PV data alignment `256K`,
/// extent size `4M`, thin chunk `256K`, no XFS stripe unit/width.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandConfig {
    /// `fstab`: the file brick mounts are recorded in.
    pub fstab: String,
    /// `mountopts`: options for brick mounts (and their fstab lines).
    pub mount_opts: String,
    /// `lvm_wrapper`: prefix for `/usr/sbin/lvm` and `/usr/bin/udevadm` (e.g. `exec-on-host`).
    pub lvm_wrapper: Option<String>,
    /// `backup_lvm_metadata`: `--autobackup=y` instead of `n`.
    pub backup_lvm_metadata: bool,
    /// `gluster_cli_timeout` in seconds (`gluster --timeout=N`).
    pub gluster_cli_timeout: u32,
    /// `pv_data_alignment` (`pvcreate --dataalignment`).
    pub pv_data_alignment: String,
    /// `vg_physicalextentsize` (`vgcreate --physicalextentsize`).
    pub vg_physical_extent_size: String,
    /// `lv_chunksize` (`lvcreate --chunksize`; arbiter bricks always use 256K).
    pub lv_chunk_size: String,
    /// `xfs_su`: XFS stripe unit in KiB (`-d su=<n>k`); used only with `xfs_sw`, 0 = unset.
    pub xfs_su: u32,
    /// `xfs_sw`: XFS stripe width; used only with `xfs_su`, 0 = unset.
    pub xfs_sw: u32,
    /// `snapshot_limit`: `snapshot config snap-max-hard-limit N` after a peer probe.
    pub snapshot_limit: Option<u32>,
    /// Timeout of device commands (Heketi: 5 min).
    pub device_timeout: Duration,
    /// Timeout of the brick create batch (Heketi: 10 min).
    pub brick_create_timeout: Duration,
    /// Timeout of each brick destroy step (Heketi: 5 min).
    pub brick_destroy_timeout: Duration,
    /// Timeout of the glusterd check (Heketi: 10 min).
    pub glusterd_check_timeout: Duration,
    /// Timeout of gluster commands; `None` = Heketi's `max(10, 1 + (T+1)/60)` minutes.
    pub gluster_timeout: Option<Duration>,
}

impl Default for CommandConfig {
    fn default() -> CommandConfig {
        CommandConfig {
            fstab: "/etc/fstab".to_string(),
            mount_opts: "rw,inode64,noatime,nouuid".to_string(),
            lvm_wrapper: None,
            backup_lvm_metadata: false,
            gluster_cli_timeout: 600,
            pv_data_alignment: "256K".to_string(),
            vg_physical_extent_size: "4M".to_string(),
            lv_chunk_size: "256K".to_string(),
            xfs_su: 0,
            xfs_sw: 0,
            snapshot_limit: None,
            device_timeout: Duration::from_secs(5 * 60),
            brick_create_timeout: Duration::from_secs(10 * 60),
            brick_destroy_timeout: Duration::from_secs(5 * 60),
            glusterd_check_timeout: Duration::from_secs(10 * 60),
            gluster_timeout: None,
        }
    }
}

impl CommandConfig {
    /// Remote timeout of gluster commands: longer than gluster's own `--timeout`
    /// (default 11 min for the default 600 s).
    pub fn gluster_exec_timeout(&self) -> Duration {
        if let Some(t) = self.gluster_timeout {
            return t;
        }
        let minutes = (1 + (u64::from(self.gluster_cli_timeout) + 1) / 60).max(10);
        Duration::from_secs(minutes * 60)
    }

    /// `y` or `n` for `--autobackup`.
    pub fn autobackup(&self) -> &'static str {
        if self.backup_lvm_metadata { "y" } else { "n" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gluster_timeout_follows_heketi_formula() {
        let mut c = CommandConfig::default();
        assert_eq!(c.gluster_exec_timeout(), Duration::from_secs(11 * 60));
        c.gluster_cli_timeout = 120;
        assert_eq!(c.gluster_exec_timeout(), Duration::from_secs(10 * 60));
        c.gluster_cli_timeout = 1800;
        assert_eq!(c.gluster_exec_timeout(), Duration::from_secs(31 * 60));
        c.gluster_timeout = Some(Duration::from_secs(7));
        assert_eq!(c.gluster_exec_timeout(), Duration::from_secs(7));
    }
}
