//! [`CommandExecutor`]: the [`Executor`] implemented once, as command sequences over a
//! [`Transport`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::gluster_xml::{self, CliOutput};
use super::{
    BrickLocation, BrickRequest, CloneRequest, ClonedVolume, CommandConfig, CommandOutput,
    DeviceInfo, ExecError, ExecErrorKind, Executor, GlusterVolume, HealInfo, Host, Transport,
    VolumeRequest, commands, parse, validate,
};

/// Runs Heketi's command sequences on nodes through a transport.
///
/// Batches run sequentially and stop at the first failure; the error names host, command,
/// exit status and stderr.
///
/// Batches for one node may run at the same time (the transport bounds how many), except
/// the commands that edit the node's fstab, which take turns (see
/// [`commands::edits_fstab`]). Heketi avoids that race by running one batch per node at a
/// time.
pub struct CommandExecutor<T: Transport> {
    transport: T,
    config: CommandConfig,
    fstab_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

fn lv_not_found(e: &ExecError) -> bool {
    let s = e.stderr.to_lowercase();
    e.kind == ExecErrorKind::Failed && (s.contains("not found") || s.contains("failed to find"))
}

fn bad_output(host: &str, command: &str, e: parse::ParseError) -> ExecError {
    ExecError::new(ExecErrorKind::BadOutput, host, command, Some(0), e.0)
}

impl<T: Transport> CommandExecutor<T> {
    /// An executor sending commands built with `config` through `transport`.
    pub fn from_transport(transport: T, config: CommandConfig) -> CommandExecutor<T> {
        CommandExecutor {
            transport,
            config,
            fstab_locks: Mutex::new(HashMap::new()),
        }
    }

    /// The lock that serialises fstab edits on `host`.
    fn fstab_lock(&self, host: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.fstab_locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(host.to_string()).or_default().clone()
    }

    /// `host`'s manage name (where its commands go), once the transport knows both of its
    /// names.
    fn at<'h>(&self, host: &'h Host) -> &'h str {
        self.transport.note_host(host);
        host.manage.as_str()
    }

    /// The transport commands go through.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The command settings.
    pub fn config(&self) -> &CommandConfig {
        &self.config
    }

    /// Run one command; a non-zero exit becomes [`ExecErrorKind::Failed`] (stderr, or stdout
    /// when stderr is empty).
    pub async fn run(
        &self,
        host: &str,
        command: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, ExecError> {
        tracing::debug!(host, command, "run");
        let _fstab_turn = if commands::edits_fstab(&self.config, command) {
            Some(self.fstab_lock(host).lock_owned().await)
        } else {
            None
        };
        let out = self.transport.run(host, command, timeout).await?;
        if out.success() {
            return Ok(out);
        }
        let msg = if out.stderr.trim().is_empty() {
            &out.stdout
        } else {
            &out.stderr
        };
        Err(ExecError::new(
            ExecErrorKind::Failed,
            host,
            command,
            Some(out.exit_status),
            msg.trim(),
        ))
    }

    /// Run `commands` in order, stopping at the first failure.
    pub async fn run_batch(
        &self,
        host: &str,
        commands: &[String],
        timeout: Duration,
    ) -> Result<Vec<CommandOutput>, ExecError> {
        let mut outs = Vec::with_capacity(commands.len());
        for c in commands {
            outs.push(self.run(host, c, timeout).await?);
        }
        Ok(outs)
    }

    async fn gluster_batch(&self, host: &str, commands: &[String]) -> Result<(), ExecError> {
        self.run_batch(host, commands, self.config.gluster_exec_timeout())
            .await
            .map(drop)
    }

    pub(super) async fn gluster_xml(
        &self,
        host: &str,
        command: &str,
    ) -> Result<CliOutput, ExecError> {
        let out = self
            .run(host, command, self.config.gluster_exec_timeout())
            .await?;
        gluster_xml::cli_output(&out.stdout).map_err(|e| bad_output(host, command, e))
    }

    /// PV UUID, udev paths and VG sizes of a set-up device.
    async fn read_device(
        &self,
        host: &str,
        device: &str,
        vg_id: &str,
    ) -> Result<DeviceInfo, ExecError> {
        let t = self.config.device_timeout;
        let pvs = commands::pvs_identify(&self.config, device);
        let out = self.run(host, &pvs, t).await?;
        let pv_uuid = parse::pvs_uuid(&out.stdout).map_err(|e| bad_output(host, &pvs, e))?;
        // udev may be missing (no udevd in containers): fall back to the device name.
        let udev = commands::udev_symlinks(&self.config, device);
        let paths = match self.run(host, &udev, t).await {
            Ok(out) => parse::udev_paths(&out.stdout, device),
            Err(e) if e.kind == ExecErrorKind::Failed => {
                tracing::debug!(host, error = %e, "udev symlinks unavailable");
                vec![device.to_string()]
            }
            Err(e) => return Err(e),
        };
        let vgd = commands::vgdisplay(&self.config, vg_id);
        let out = self.run(host, &vgd, t).await?;
        let vg = parse::vgdisplay(&out.stdout).map_err(|e| bad_output(host, &vgd, e))?;
        Ok(DeviceInfo {
            total: vg.total(),
            free: vg.free(),
            used: vg.used(),
            extent_size: vg.extent_size,
            pv_uuid,
            paths,
        })
    }

    async fn teardown(&self, host: &str, device: &str, vg_id: &str) -> Result<(), ExecError> {
        let t = self.config.device_timeout;
        self.run_batch(
            host,
            &commands::device_teardown(&self.config, device, vg_id),
            t,
        )
        .await?;
        let rm = commands::rmdir(&commands::vg_mount_parent(vg_id));
        match self.run(host, &rm, t).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ExecErrorKind::Failed => {
                if !e.stderr.contains("No such file or directory") {
                    tracing::warn!(host, error = %e, "could not remove the VG mount directory");
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn destroy_brick(&self, host: &str, b: &BrickRequest) -> Result<bool, ExecError> {
        let cfg = &self.config;
        let t = cfg.brick_destroy_timeout;
        let mount_dir = b.mount_dir();

        let mut umount_err = self.run(host, &commands::umount(b), t).await.err();
        if let Some(e) = &umount_err
            && e.kind == ExecErrorKind::Failed
        {
            // Already unmounted? Then the failure does not matter.
            if let Ok(out) = self.run(host, &commands::mount_list(), t).await {
                let mounted = out
                    .stdout
                    .lines()
                    .any(|l| l.split_whitespace().any(|w| w == mount_dir));
                if !mounted {
                    umount_err = None;
                }
            }
        }
        // Remove the fstab line even if umount failed, so a reboot does not remount it.
        if !(mount_dir.starts_with("/run/gluster/") || mount_dir.starts_with("/var/run/gluster/")) {
            self.run(host, &commands::fstab_remove(cfg, b), t).await?;
        }
        if let Some(e) = umount_err {
            return Err(e);
        }

        let lv = format!("{}/{}", b.vg_name(), b.lv_name());
        match self.run(host, &commands::lvremove(cfg, &lv), t).await {
            Ok(_) => {}
            Err(e) if lv_not_found(&e) => tracing::debug!(host, lv, "brick LV already gone"),
            Err(e) => return Err(e),
        }

        let tp = format!("{}/{}", b.vg_name(), b.tp_name());
        let count_cmd = commands::thin_count(cfg, &tp);
        let thin_count = match self.run(host, &count_cmd, t).await {
            Ok(out) => {
                parse::thin_count(&out.stdout).map_err(|e| bad_output(host, &count_cmd, e))?
            }
            Err(e) if lv_not_found(&e) => 0,
            Err(e) => return Err(e),
        };

        let mut reclaimed = false;
        if thin_count == 0 {
            match self.run(host, &commands::lvremove(cfg, &tp), t).await {
                Ok(_) => reclaimed = true,
                Err(e) if lv_not_found(&e) => reclaimed = true,
                Err(e) => tracing::warn!(host, error = %e, "could not remove thin pool"),
            }
        }

        if let Err(e) = self.run(host, &commands::rmdir(&mount_dir), t).await {
            tracing::debug!(host, error = %e, "could not remove brick mount directory");
        }
        Ok(reclaimed)
    }
}

#[async_trait]
impl<T: Transport> Executor for CommandExecutor<T> {
    fn command_config(&self) -> Option<&CommandConfig> {
        Some(&self.config)
    }

    async fn glusterd_check(&self, host: &Host) -> Result<(), ExecError> {
        let h = self.at(host);
        let t = self.config.glusterd_check_timeout;
        let err = match self.run(h, &commands::glusterd_status(), t).await {
            Ok(_) => return Ok(()),
            Err(e)
                if e.kind == ExecErrorKind::Failed
                    && commands::systemd_absent(e.exit_status, &e.stderr) =>
            {
                e
            }
            Err(e) => return Err(e),
        };
        // No systemd on the node: ask for glusterd's process instead.
        tracing::debug!(host = h, error = %err, "systemctl unavailable, checking with pidof");
        let pidof = commands::glusterd_pidof();
        match self.transport.run(h, &pidof, t).await? {
            out if out.success() && !out.stdout.trim().is_empty() => Ok(()),
            out => Err(ExecError::new(
                ExecErrorKind::Failed,
                h,
                &pidof,
                Some(out.exit_status),
                format!(
                    "glusterd is not running{} (systemctl could not answer: {})",
                    match out.stderr.trim() {
                        "" => String::new(),
                        e => format!(": {e}"),
                    },
                    err.stderr.lines().next().unwrap_or("").trim()
                ),
            )),
        }
    }

    async fn peer_probe(&self, exec_host: &Host, new_node: &Host) -> Result<(), ExecError> {
        self.at(new_node);
        let h = self.at(exec_host);
        validate::host_name(h, &new_node.storage)?;
        let mut cmds = vec![commands::peer_probe(&self.config, &new_node.storage)];
        if let Some(limit) = self.config.snapshot_limit {
            cmds.push(commands::snapshot_limit(&self.config, limit));
        }
        self.gluster_batch(h, &cmds).await
    }

    async fn peer_detach(&self, exec_host: &Host, node: &Host) -> Result<(), ExecError> {
        self.at(node);
        let h = self.at(exec_host);
        validate::host_name(h, &node.storage)?;
        let cmd = commands::peer_detach(&self.config, &node.storage);
        self.gluster_batch(h, &[cmd]).await
    }

    async fn device_setup(
        &self,
        host: &Host,
        device: &str,
        vg_id: &str,
        destroy_data: bool,
    ) -> Result<DeviceInfo, ExecError> {
        let h = self.at(host);
        validate::path(h, "device", device)?;
        validate::name(h, "device id", vg_id)?;
        let cmds = commands::device_setup(&self.config, device, vg_id, destroy_data);
        self.run_batch(h, &cmds, self.config.device_timeout).await?;
        match self.read_device(h, device, vg_id).await {
            Ok(info) => Ok(info),
            Err(e) => {
                if let Err(te) = self.teardown(h, device, vg_id).await {
                    tracing::warn!(host = h, error = %te, "teardown after failed setup failed");
                }
                Err(e)
            }
        }
    }

    async fn device_info(
        &self,
        host: &Host,
        device: &str,
        vg_id: &str,
    ) -> Result<DeviceInfo, ExecError> {
        let h = self.at(host);
        validate::path(h, "device", device)?;
        validate::name(h, "device id", vg_id)?;
        self.read_device(h, device, vg_id).await
    }

    async fn device_teardown(
        &self,
        host: &Host,
        device: &str,
        vg_id: &str,
    ) -> Result<(), ExecError> {
        let h = self.at(host);
        validate::path(h, "device", device)?;
        validate::name(h, "device id", vg_id)?;
        self.teardown(h, device, vg_id).await
    }

    async fn device_setup_undo(
        &self,
        host: &Host,
        device: &str,
        vg_id: &str,
    ) -> Result<(), ExecError> {
        let h = self.at(host);
        validate::path(h, "device", device)?;
        validate::name(h, "device id", vg_id)?;
        let t = self.config.device_timeout;
        let [vgremove, pvremove] =
            <[String; 2]>::try_from(commands::device_teardown(&self.config, device, vg_id))
                .map_err(|_| {
                    ExecError::new(
                        ExecErrorKind::Invalid,
                        h,
                        "device teardown",
                        None,
                        "the teardown batch is not vgremove and pvremove",
                    )
                })?;
        // Real LVM says `Volume group "vg_…" not found` for a VG that is not there, and
        // `No PV found on device …` (older: `No PV label found on …`) for a disk that is
        // no PV; a PV still in another VG is refused ("used by VG") and left alone.
        let tolerate = |e: ExecError, gone: &[&str]| {
            if e.kind == ExecErrorKind::Failed && gone.iter().any(|g| e.stderr.contains(g)) {
                Ok(())
            } else {
                Err(e)
            }
        };
        if let Err(e) = self.run(h, &vgremove, t).await {
            tolerate(e, &["not found"])?;
        }
        if let Err(e) = self.run(h, &pvremove, t).await {
            tolerate(e, &["No PV found", "No PV label found", "used by VG"])?;
        }
        let rm = commands::rmdir(&commands::vg_mount_parent(vg_id));
        if let Err(e) = self.run(h, &rm, t).await {
            tolerate(e, &["No such file or directory"])?;
        }
        Ok(())
    }

    async fn peer_detach_if_present(&self, exec_host: &Host, node: &Host) -> Result<(), ExecError> {
        match self.peer_detach(exec_host, node).await {
            Err(e)
                if e.kind == ExecErrorKind::Failed
                    && (e.stderr.contains("is not part of cluster")
                        || e.stderr.contains("is not a friend")) =>
            {
                Ok(())
            }
            other => other,
        }
    }

    async fn brick_create(&self, host: &Host, brick: &BrickRequest) -> Result<(), ExecError> {
        let h = self.at(host);
        validate::brick(h, brick)?;
        let cmds = commands::brick_create(&self.config, brick);
        match self
            .run_batch(h, &cmds, self.config.brick_create_timeout)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                if let Err(de) = self.destroy_brick(h, brick).await {
                    tracing::warn!(host = h, error = %de, "cleanup after failed brick create failed");
                }
                Err(e)
            }
        }
    }

    async fn brick_destroy(&self, host: &Host, brick: &BrickRequest) -> Result<bool, ExecError> {
        let h = self.at(host);
        validate::brick(h, brick)?;
        self.destroy_brick(h, brick).await
    }

    async fn volume_create(&self, host: &Host, vol: &VolumeRequest) -> Result<(), ExecError> {
        let h = self.at(host);
        validate::volume(h, vol)?;
        let cmds = commands::volume_create(&self.config, vol);
        self.gluster_batch(h, &cmds).await
    }

    async fn volume_expand(
        &self,
        host: &Host,
        vol: &VolumeRequest,
        rebalance: bool,
    ) -> Result<(), ExecError> {
        let h = self.at(host);
        validate::volume(h, vol)?;
        let cmds = commands::add_bricks(&self.config, vol, 0);
        self.gluster_batch(h, &cmds).await?;
        if rebalance {
            let cmd = commands::volume_rebalance_start(&self.config, &vol.name);
            if let Err(e) = self.gluster_batch(h, &[cmd]).await {
                // As Heketi: the bricks are in; an admin can rerun the rebalance.
                tracing::error!(host = h, volume = %vol.name, error = %e,
                    "rebalance could not be started; run it manually");
            }
        }
        Ok(())
    }

    async fn volume_destroy(&self, host: &Host, name: &str) -> Result<(), ExecError> {
        let h = self.at(host);
        if let Err(mut e) = validate::name(h, "volume name", name) {
            // Gluster refuses such names too, so no volume has one: nothing to destroy.
            // The undo of a create the guard refused must not be refused in turn.
            e.kind = ExecErrorKind::NotFound;
            e.stderr =
                format!("volume {name:?} does not exist (no gluster volume can have this name)");
            return Err(e);
        }
        let stop = commands::volume_stop_force(&self.config, name);
        if let Err(e) = self.gluster_batch(h, &[stop]).await {
            tracing::debug!(host = h, error = %e, "volume stop failed (ignored)");
        }
        let delete = commands::volume_delete(&self.config, name);
        self.gluster_batch(h, &[delete]).await.map_err(|mut e| {
            if e.kind == ExecErrorKind::Failed && e.stderr.contains("does not exist") {
                e.kind = ExecErrorKind::NotFound;
            }
            e
        })
    }

    async fn volume_info(
        &self,
        host: &Host,
        name: &str,
    ) -> Result<Option<GlusterVolume>, ExecError> {
        let h = self.at(host);
        if validate::name(h, "volume name", name).is_err() {
            // No gluster volume can have a name the guard refuses.
            return Ok(None);
        }
        let cmd = commands::volume_info(&self.config, Some(name));
        let out = self.gluster_xml(h, &cmd).await?;
        if out.volume_missing() {
            return Ok(None);
        }
        let out = ok_or_failed(out, h, &cmd)?;
        Ok(out.volumes.into_iter().find(|v| v.name == name))
    }

    async fn volumes(&self, host: &Host) -> Result<Vec<GlusterVolume>, ExecError> {
        let h = self.at(host);
        let cmd = commands::volume_info(&self.config, None);
        let out = self.gluster_xml(h, &cmd).await?;
        let out = ok_or_failed(out, h, &cmd)?;
        Ok(out.volumes)
    }

    // ---- volume clone (gluster snapshots): see clone.rs ----

    async fn volume_clone(
        &self,
        host: &Host,
        req: &CloneRequest,
    ) -> Result<ClonedVolume, ExecError> {
        self.clone_volume(host, req).await
    }

    async fn snapshot_destroy(&self, host: &Host, snapshot: &str) -> Result<(), ExecError> {
        validate::name(&host.manage, "snapshot name", snapshot)?;
        self.delete_snapshot(&host.manage, snapshot).await
    }

    async fn thin_pool_usage(
        &self,
        host: &Host,
        vg_id: &str,
        pool: &str,
    ) -> Result<super::ThinPoolUsage, ExecError> {
        validate::name(&host.manage, "device id", vg_id)?;
        validate::name(&host.manage, "thin pool name", pool)?;
        self.pool_usage(&host.manage, vg_id, pool).await
    }

    async fn node_inventory(&self, host: &Host) -> Result<super::NodeInventory, ExecError> {
        self.at(host);
        self.inventory(host).await
    }

    async fn peer_status(&self, host: &Host) -> Result<Vec<super::PeerInfo>, ExecError> {
        self.at(host);
        self.peers(host).await
    }

    async fn brick_mount(&self, host: &Host, brick: &BrickRequest) -> Result<(), ExecError> {
        self.at(host);
        self.mount_brick(host, brick).await
    }

    async fn brick_fstab_add(&self, host: &Host, brick: &BrickRequest) -> Result<(), ExecError> {
        self.at(host);
        self.add_fstab_line(host, brick).await
    }

    async fn volume_replace_brick(
        &self,
        host: &Host,
        volume: &str,
        old: &BrickLocation,
        new: &BrickLocation,
    ) -> Result<(), ExecError> {
        let h = host.manage.as_str();
        validate::name(h, "volume name", volume)?;
        for b in [old, new] {
            validate::host_name(h, &b.storage_host)?;
            validate::path(h, "brick path", &b.path)?;
        }
        let cmd = commands::volume_replace_brick(&self.config, volume, old, new);
        self.gluster_batch(h, &[cmd]).await
    }

    async fn volume_heal_full(&self, host: &Host, volume: &str) -> Result<(), ExecError> {
        let h = host.manage.as_str();
        validate::name(h, "volume name", volume)?;
        let cmd = commands::volume_heal_full(&self.config, volume);
        self.gluster_batch(h, &[cmd]).await
    }

    async fn volume_heal_info(&self, host: &Host, volume: &str) -> Result<HealInfo, ExecError> {
        let h = host.manage.as_str();
        validate::name(h, "volume name", volume)?;
        let cmd = commands::volume_heal_info(&self.config, volume);
        let out = self
            .run(h, &cmd, self.config.gluster_exec_timeout())
            .await?;
        let (envelope, info) =
            super::heal::parse_heal_info(&out.stdout).map_err(|e| bad_output(h, &cmd, e))?;
        ok_or_failed(envelope, h, &cmd)?;
        Ok(info)
    }
}

/// A gluster `--xml` answer that reports success, or the failure it reports.
pub(super) fn ok_or_failed(
    out: CliOutput,
    host: &str,
    command: &str,
) -> Result<CliOutput, ExecError> {
    if out.ok() {
        Ok(out)
    } else {
        Err(ExecError::new(
            ExecErrorKind::Failed,
            host,
            command,
            Some(out.op_ret),
            out.op_errstr,
        ))
    }
}
