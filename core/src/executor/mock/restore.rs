//! Recreating mock nodes from the records without interpreting commands: what
//! [`commands::brick_create`] and [`commands::volume_create`] leave on the nodes, built
//! directly. A restart with 100,000 volumes would otherwise replay millions of command
//! lines through the executor before it could answer (minutes); built directly it takes
//! about a second. `core/tests/it/recovery.rs` checks that both ways give equal nodes.

use super::gluster::{Layout, Volume};
use super::name::Name;
use super::node::{DirMap, Lv, Xfs, pack_grown};
use super::{MockTransport, World};
use crate::executor::commands;
use crate::executor::{BrickFormat, BrickRequest, CommandConfig, VolumeDurability, VolumeRequest};

impl MockTransport {
    /// Recreates a brick on `manage` exactly as the commands of
    /// [`commands::brick_create`] leave it: the mount directory, a thin pool with its
    /// thin LV, the XFS file system with its `brick` directory (group and mode when the
    /// brick has a gid), the fstab line and the mount. For restoring mock nodes from the
    /// records only; the brick's VG must exist.
    pub fn restore_brick(
        &self,
        manage: &str,
        cfg: &CommandConfig,
        b: &BrickRequest,
    ) -> Result<(), String> {
        let mut w = self.lock();
        w.restore_brick(manage, cfg, b)
    }

    /// Recreates a started gluster volume as the commands of [`commands::volume_create`]
    /// leave it (create, add-brick, each `volume set`, start), from `manage`'s pool.
    /// Its bricks must have been restored first.
    pub fn restore_volume(
        &self,
        manage: &str,
        cfg: &CommandConfig,
        v: &VolumeRequest,
    ) -> Result<(), String> {
        let _ = cfg;
        let mut w = self.lock();
        w.restore_volume(manage, v)
    }
}

impl World {
    fn restore_brick(
        &mut self,
        manage: &str,
        cfg: &CommandConfig,
        b: &BrickRequest,
    ) -> Result<(), String> {
        let (vg, tp, lv, mount_dir) = (b.vg_name(), b.tp_name(), b.lv_name(), b.mount_dir());
        let node = self.node_mut(manage);
        let Some(v) = node.vgs.get_mut(&vg) else {
            return Err(format!("volume group {vg} not found on {manage}"));
        };
        for name in [&tp, &lv] {
            if v.has_lv(name) {
                return Err(format!("logical volume {vg}/{name} already exists"));
            }
        }
        if !v.add_thin_pool(&tp, b.tp_size, b.pool_metadata_size) {
            return Err(format!("no room for thin pool {vg}/{tp}"));
        }
        pack_grown(&mut v.lvs);
        let dirs = DirMap::fresh_brick(b.gid);
        let (arbiter, stripe) = match b.format {
            BrickFormat::Arbiter => (true, None),
            BrickFormat::Normal if cfg.xfs_su > 0 && cfg.xfs_sw > 0 => {
                (false, Some(format!("su={}k,sw={}", cfg.xfs_su, cfg.xfs_sw)))
            }
            BrickFormat::Normal => (false, None),
        };
        let mut thin = Lv::thin(&lv.as_str().into(), &tp.as_str().into(), b.size);
        thin.fs = Some(Box::new(Xfs {
            arbiter,
            stripe,
            dirs,
        }));
        v.insert_lv(&lv, thin);
        pack_grown(&mut v.lvs);
        if node.has_mount_above(&mount_dir) {
            node.mkdir(&mount_dir, true)?;
        } else {
            node.mkdir_root_p(&mount_dir);
        }
        node.append_line(&cfg.fstab, &commands::fstab_line(cfg, b));
        node.add_mount(mount_dir.trim_end_matches('/'), &vg, &lv, &cfg.mount_opts);
        node.pack_mounts();
        Ok(())
    }

    fn restore_volume(&mut self, manage: &str, v: &VolumeRequest) -> Result<(), String> {
        let op = format!("volume create: {}", v.name);
        let pool = self.node_mut(manage).pool;
        if self
            .volumes
            .get(&pool)
            .is_some_and(|vols| vols.contains_key(&v.name))
        {
            return Err(format!("{op}: failed: Volume {} already exists", v.name));
        }
        let layout = match v.durability {
            VolumeDurability::Distribute => Layout::Distribute,
            VolumeDurability::Replicate { replica, arbiter } => {
                Layout::Replicate { replica, arbiter }
            }
            VolumeDurability::Disperse { data, redundancy } => {
                Layout::Disperse { data, redundancy }
            }
        };
        let bricks: Vec<String> = v.bricks.iter().map(|b| b.gluster_name()).collect();
        let names: Vec<&str> = bricks.iter().map(String::as_str).collect();
        let located = self
            .check_bricks(pool, &op, &names, false, &layout, &[])
            .map_err(|e| e.text)?;
        let mut options: Vec<(String, String)> = Vec::new();
        for o in v.options.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
            let mut words = o.split_whitespace();
            let key = words.next().unwrap_or_default();
            let value = words.collect::<Vec<_>>().join(" ");
            if value.is_empty() || (!key.contains('.') && key != "group") {
                return Err(format!("volume set: failed: option : {key} does not exist"));
            }
            match options.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = value,
                None => options.push((key.to_string(), value)),
            }
        }
        let id: std::sync::Arc<str> = self.gluster_uuid().into();
        self.mark_bricks(&located, &id);
        let bricks = bricks.iter().map(|b| self.brick(b)).collect();
        let options = options
            .into_iter()
            .map(|(k, v)| (self.shared(&k), Name::new(&v)))
            .collect();
        let volumes = self.volumes.entry(pool).or_default();
        volumes.insert(
            v.name.clone(),
            Volume {
                id,
                layout,
                bricks,
                status: "Started",
                options,
            },
        );
        pack_grown(volumes);
        Ok(())
    }
}
