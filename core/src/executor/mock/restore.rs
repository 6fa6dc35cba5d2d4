//! Recreating mock nodes from the records without interpreting commands: what
//! [`commands::brick_create`] and [`commands::volume_create`] leave on the nodes, built
//! directly. A restart with 100,000 volumes would otherwise replay millions of command
//! lines through the executor before it could answer (minutes); built directly it takes
//! about a second. `core/tests/it/recovery.rs` checks that both ways give equal nodes.
//!
//! Lazily, for mock nodes without a state file: the gluster volume table is built at
//! once ([`MockTransport::restore_volume_table`], no brick is looked at), and each
//! brick is only noted for its node ([`MockTransport::defer_brick`]). A node's bricks
//! are built the first time anything looks at that node: a command on it, a gluster
//! command that names one of its bricks or a volume with a brick on it, or any view
//! of the nodes from outside (which builds them all). A restart then answers and
//! takes its first create without building the hundreds of thousands of bricks it
//! does not touch (issue #13: 6.5 s for 100,000 volumes).

use std::collections::HashMap;
use std::sync::Arc;

use super::gluster::{Layout, Volume};
use super::name::{Name, hex_digits, take_hex, write_hex};
use super::node::{DirMap, Lv, Xfs};
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
        w.restore_volume(manage, v, true).map(drop)
    }

    /// Recreates a started gluster volume in the volume table of `manage`'s pool
    /// without looking at its bricks (they may not be built yet; see
    /// [`MockTransport::defer_brick`]). Returns its gluster id, for its bricks.
    pub fn restore_volume_table(
        &self,
        manage: &str,
        v: &VolumeRequest,
    ) -> Result<RestoredVolume, String> {
        let mut w = self.lock_lazy();
        w.restore_volume(manage, v, false).map(RestoredVolume)
    }

    /// Notes a brick to recreate on `manage` ([`MockTransport::restore_brick`]) when
    /// that node is first looked at, marked as a brick of `volume` when given. The
    /// brick's VG must exist.
    pub fn defer_brick(
        &self,
        manage: &str,
        cfg: &Arc<CommandConfig>,
        b: BrickRequest,
        volume: Option<&RestoredVolume>,
    ) -> Result<(), String> {
        let mut w = self.lock_lazy();
        let node = w.node_mut(manage);
        let vg = b.vg_name();
        if !node.vgs.contains_key(&vg) {
            return Err(format!("volume group {vg} not found on {manage}"));
        }
        let key = node.manage.clone();
        w.backlog.bricks.entry(key).or_default().push(Deferred {
            cfg: cfg.clone(),
            brick: DeferredBrick::new(b),
            volume: volume.map(|v| v.0.clone()),
        });
        Ok(())
    }

    /// Marks the brick at `path` on `manage` as a brick of `volume` (what creating
    /// the volume does to its bricks), for bricks restored one by one.
    pub fn mark_restored_brick(&self, manage: &str, path: &str, volume: &RestoredVolume) {
        let mut w = self.lock_lazy();
        w.materialize(manage);
        if let Some(key) = w.named(manage).map(str::to_string) {
            w.mark_brick(&key, path, &volume.0);
        }
    }

    /// How many nodes still have bricks waiting to be built.
    pub fn unbuilt_nodes(&self) -> usize {
        self.lock_lazy().backlog.bricks.len()
    }
}

/// A gluster volume restored into the table, for its bricks (its gluster id).
#[derive(Clone, Debug)]
pub struct RestoredVolume(Arc<str>);

/// Bricks noted for their nodes and not built yet, by the manage host keying the node.
#[derive(Default)]
pub(super) struct Backlog {
    bricks: HashMap<String, Vec<Deferred>>,
}

impl Backlog {
    pub fn is_empty(&self) -> bool {
        self.bricks.is_empty()
    }
}

struct Deferred {
    cfg: Arc<CommandConfig>,
    brick: DeferredBrick,
    volume: Option<Arc<str>>,
}

/// A brick waiting to be built: its device and brick ids as bytes when both are
/// Brickyard's (and Heketi's) 32 hex digits, as nearly all are (about a third of the
/// memory of the request's strings, for 300,000 bricks at 100,000 volumes).
enum DeferredBrick {
    Compact {
        vg: [u8; 16],
        brick: [u8; 16],
        size: u64,
        tp_size: u64,
        pool_metadata_size: u64,
        gid: i64,
        format: BrickFormat,
    },
    Full(Box<BrickRequest>),
}

/// `s` as 16 bytes when it is exactly 32 lowercase hex digits (and so renders back).
fn id_bytes(s: &str) -> Option<[u8; 16]> {
    let (id, rest) = take_hex(s)?;
    (rest.is_empty() && hex_digits(&id) == s.as_bytes()).then_some(id)
}

impl DeferredBrick {
    fn new(b: BrickRequest) -> DeferredBrick {
        match (&b.snapshot, id_bytes(&b.vg_id), id_bytes(&b.brick_id)) {
            (None, Some(vg), Some(brick)) => DeferredBrick::Compact {
                vg,
                brick,
                size: b.size,
                tp_size: b.tp_size,
                pool_metadata_size: b.pool_metadata_size,
                gid: b.gid,
                format: b.format,
            },
            _ => DeferredBrick::Full(Box::new(b)),
        }
    }

    fn request(self) -> BrickRequest {
        match self {
            DeferredBrick::Compact {
                vg,
                brick,
                size,
                tp_size,
                pool_metadata_size,
                gid,
                format,
            } => {
                let hex = |id: &[u8; 16]| {
                    let mut s = String::with_capacity(32);
                    write_hex(&mut s, id);
                    s
                };
                BrickRequest {
                    vg_id: hex(&vg),
                    brick_id: hex(&brick),
                    size,
                    tp_size,
                    pool_metadata_size,
                    gid,
                    format,
                    snapshot: None,
                }
            }
            DeferredBrick::Full(b) => *b,
        }
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
        let dirs = DirMap::fresh_brick(b.gid);
        let (arbiter, stripe) = match b.format {
            BrickFormat::Arbiter => (true, None),
            BrickFormat::Normal if cfg.xfs_su > 0 && cfg.xfs_sw > 0 => (
                false,
                Some(format!("su={}k,sw={}", cfg.xfs_su, cfg.xfs_sw).into()),
            ),
            BrickFormat::Normal => (false, None),
        };
        let mut thin = Lv::thin(&lv.as_str().into(), &tp.as_str().into(), b.size);
        thin.fs = Some(Box::new(Xfs {
            arbiter,
            stripe,
            dirs,
        }));
        v.insert_lv(&lv, thin);
        if node.has_mount_above(&mount_dir) {
            node.mkdir(&mount_dir, true)?;
        } else {
            node.mkdir_root_p(&mount_dir);
        }
        node.append_line(&cfg.fstab, &commands::fstab_line(cfg, b));
        node.add_mount(mount_dir.trim_end_matches('/'), &vg, &lv, &cfg.mount_opts);
        Ok(())
    }

    /// Builds the noted bricks of the node known as `name`.
    pub(super) fn materialize(&mut self, name: &str) {
        if self.backlog.is_empty() {
            return;
        }
        let Some(key) = self.named(name).map(str::to_string) else {
            return;
        };
        let Some(bricks) = self.backlog.bricks.remove(&key) else {
            return;
        };
        for d in bricks {
            let brick = d.brick.request();
            if let Err(e) = self.restore_brick(&key, &d.cfg, &brick) {
                tracing::error!(
                    node = key,
                    brick = brick.brick_id,
                    "mock nodes: brick not restored: {e}"
                );
                continue;
            }
            if let Some(id) = &d.volume {
                self.mark_brick(&key, &brick.brick_path(), id);
            }
        }
    }

    /// Builds every noted brick.
    pub(super) fn materialize_all(&mut self) {
        let keys: Vec<String> = self.backlog.bricks.keys().cloned().collect();
        for k in keys {
            self.materialize(&k);
        }
    }

    /// Before a gluster command on `host` (`words` without options): builds the nodes
    /// it can look at, those of the bricks and volumes it names; a command naming
    /// neither (peers, every volume's info) builds the whole pool.
    pub(super) fn materialize_for_gluster(&mut self, host: &str, words: &[&str]) {
        if self.backlog.is_empty() {
            return;
        }
        let pool = self.node_mut(host).pool;
        let mut hosts: Vec<String> = Vec::new();
        for w in words {
            if let Some((h, path)) = w.split_once(':')
                && path.starts_with('/')
            {
                hosts.push(h.to_string());
            } else if let Some(v) = self.volumes.get(&pool).and_then(|t| t.get(w)) {
                hosts.extend(v.bricks.iter().filter_map(|b| b.host().map(str::to_string)));
            }
        }
        if hosts.is_empty() {
            let members: Vec<String> = self
                .nodes
                .values()
                .filter(|n| n.pool == pool)
                .map(|n| n.manage.clone())
                .collect();
            hosts = members;
        }
        for h in hosts {
            self.materialize(&h);
        }
    }

    /// Adds a started volume to the table of `manage`'s pool; with `check`, its bricks
    /// must be on their nodes, free, and are marked as the volume's.
    fn restore_volume(
        &mut self,
        manage: &str,
        v: &VolumeRequest,
        check: bool,
    ) -> Result<Arc<str>, String> {
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
        let located = if check {
            self.check_bricks(pool, &op, &names, false, &layout, &[])
                .map_err(|e| e.text)?
        } else {
            Vec::new()
        };
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
        let id: Arc<str> = self.gluster_uuid().into();
        self.mark_bricks(&located, &id);
        let bricks = bricks.iter().map(|b| self.brick(b)).collect();
        let options = options
            .into_iter()
            .map(|(k, v)| (self.shared(&k), Name::new(&v)))
            .collect();
        let volumes = self.volumes.entry(pool).or_default();
        volumes.insert(
            &v.name,
            Volume {
                id: id.clone(),
                layout,
                bricks,
                status: super::gluster::Status::Started,
                options,
            },
        );
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(vg: &str, brick: &str) -> BrickRequest {
        BrickRequest {
            vg_id: vg.into(),
            brick_id: brick.into(),
            size: 1024,
            tp_size: 2048,
            pool_metadata_size: 53248,
            gid: 2001,
            format: BrickFormat::Arbiter,
            snapshot: None,
        }
    }

    /// A waiting brick gives back the request it was made from, compact or not.
    #[test]
    fn a_deferred_brick_gives_back_its_request() {
        let hex = "0123456789abcdef0123456789abcdef";
        let cases = [
            (request(hex, "fedcba9876543210fedcba9876543210"), true),
            (request(&hex.to_uppercase(), hex), false),
            (request(hex, "brick1"), false),
            (request(&format!("{hex}0"), hex), false),
            (request("", hex), false),
        ];
        for (req, compact) in cases {
            let d = DeferredBrick::new(req.clone());
            assert_eq!(
                matches!(d, DeferredBrick::Compact { .. }),
                compact,
                "{req:?}"
            );
            assert_eq!(d.request(), req);
        }
    }
}
