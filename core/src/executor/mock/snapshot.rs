//! gluster snapshots and clones as the mock understands them, modelled on glusterd:
//!
//! * `snapshot create <snap> <vol> no-timestamp`: the volume must be started and every
//!   brick a mounted thin LV. Each brick gets a thin snapshot LV in the brick's own thin
//!   pool, named `<snap volume id without dashes>_<n>` (`n` counts the volume's bricks
//!   on the same node), with a copy of the brick's file system. Not mounted yet.
//! * `snapshot activate|deactivate <snap>`: mount (at
//!   `/run/gluster/snaps/<snap volume id>/brick<position>`) or unmount those LVs.
//! * `snapshot clone <clone> <snap>` (snapshot activated): a new volume whose bricks are
//!   thin snapshots of the snapshot's LVs (same pools), named after the clone's volume id
//!   the same way, mounted by glusterd under `/run/gluster/snaps/<clone id>/…` and not in
//!   the fstab; layout and options are the source's; status `Created`.
//! * `snapshot delete <snap>`: unmounts and removes the snapshot's LVs.
//!
//! A thin pool marked full ([`MockTransport::set_thin_pool_full`]) refuses new thin
//! snapshots the way LVM does, which glusterd reports as a failed commit.

use std::collections::{BTreeMap, BTreeSet};

use super::gluster::{GErr, Layout, Status, Volume, gerr, split_brick};
use super::name::Name;
use super::node::{Loc, Lv, LvKind, LvMount};
use super::{MockTransport, Reply, World};

/// Where glusterd mounts snapshot and clone bricks.
pub(super) const SNAP_MOUNT_ROOT: &str = "/run/gluster/snaps";

/// Mount options glusterd uses for snapshot bricks of XFS.
const SNAP_MOUNT_OPTS: &str = "rw,nouuid,inode64";

#[derive(Clone, Debug)]
struct SnapBrick {
    manage: String,
    vg: String,
    lv: String,
    mount_dir: String,
    /// The brick directory relative to its mount point (`brick`).
    rel: String,
}

#[derive(Clone, Debug)]
struct Snap {
    /// The snapshot volume's id without dashes: LV prefix and mount directory.
    snap_vol: String,
    layout: Layout,
    options: super::gluster::VolumeOptions,
    bricks: Vec<SnapBrick>,
    active: bool,
}

/// The snapshots of every pool, and the thin pools whose data space is used up.
#[derive(Debug, Default)]
pub(super) struct Snapshots {
    by_pool: BTreeMap<u64, BTreeMap<String, Snap>>,
    /// (manage host, vg, thin pool).
    full_pools: BTreeSet<(String, String, String)>,
}

/// `n`: how many of `bricks[..i]` are on the same node as `bricks[i]` (glusterd counts
/// only local bricks when it names snapshot LVs).
fn local_index(hosts: &[String], i: usize) -> usize {
    hosts[..i].iter().filter(|h| **h == hosts[i]).count()
}

impl World {
    pub(super) fn gluster_snapshot(
        &mut self,
        host: &str,
        sub: &str,
        args: &[&str],
    ) -> Result<String, GErr> {
        match (sub, args) {
            ("create", [snap, vol, "no-timestamp"]) => self.snapshot_create(host, snap, vol),
            ("activate", [snap]) => self.snapshot_activate(host, snap, true),
            ("deactivate", [snap]) => self.snapshot_activate(host, snap, false),
            ("clone", [clone, snap]) => self.snapshot_clone(host, clone, snap),
            ("delete", [snap]) => self.snapshot_delete(host, snap),
            _ => Err(gerr(format!(
                "mock: unsupported command: gluster snapshot {sub} {}",
                args.join(" ")
            ))),
        }
    }

    fn snap_missing(op: &str, snap: &str) -> GErr {
        let mut e = gerr(format!(
            "snapshot {op}: failed: Snapshot ({snap}) does not exist"
        ));
        e.xml_errstr = format!("Snapshot ({snap}) does not exist");
        e
    }

    fn commit_failed(op: &str, storage: &str) -> GErr {
        gerr(format!(
            "snapshot {op}: failed: Commit failed on {storage}. Please check log file for details."
        ))
    }

    /// Is the thin pool that holds `vg/lv` on `manage` full? Returns the pool's name.
    fn thin_pool_of(&self, manage: &str, vg: &str, lv: &str) -> Option<String> {
        let node = self.nodes.get(manage)?;
        node.vgs
            .get(vg)?
            .lv(lv)?
            .pool(&lv.into())
            .map(|p| p.to_string())
    }

    /// Makes thin snapshot LVs of `origins` named `<prefix>_<n>`; all checked first,
    /// then all made. Returns the new bricks (not mounted).
    fn thin_snapshots(
        &mut self,
        op: &str,
        volume: &str,
        prefix: &str,
        origins: &[(String, String, String, String)],
    ) -> Result<Vec<SnapBrick>, GErr> {
        let hosts: Vec<String> = origins.iter().map(|o| o.0.clone()).collect();
        let mut made = Vec::new();
        for (i, (manage, vg, lv, rel)) in origins.iter().enumerate() {
            let Some(pool) = self.thin_pool_of(manage, vg, lv) else {
                return Err(gerr(format!(
                    "snapshot {op}: failed: Snapshot is supported only for thin provisioned LV. Ensure that all bricks of {volume} are thinly provisioned LV."
                )));
            };
            if self
                .snaps
                .full_pools
                .contains(&(manage.clone(), vg.clone(), pool.clone()))
            {
                let storage = self
                    .nodes
                    .get(manage)
                    .map(|n| n.storage.clone())
                    .unwrap_or_default();
                return Err(Self::commit_failed(op, &storage));
            }
            let name = format!("{prefix}_{}", local_index(&hosts, i));
            made.push(SnapBrick {
                manage: manage.clone(),
                vg: vg.clone(),
                lv: name,
                mount_dir: format!("{SNAP_MOUNT_ROOT}/{prefix}/brick{}", i + 1),
                rel: rel.clone(),
            });
        }
        for (b, (manage, vg, lv, _)) in made.iter().zip(origins) {
            let Some(v) = self.nodes.get_mut(manage).and_then(|n| n.vgs.get_mut(vg)) else {
                continue;
            };
            let Some(mut origin) = v.lv(lv).cloned() else {
                continue;
            };
            origin.mount = LvMount::No;
            // The copy has a name of its own: its pool is named explicitly.
            let own = Name::new(&b.lv);
            if let (Some(pool), LvKind::Thin { virtual_kib, .. }) =
                (origin.pool(&lv.into()), &origin.kind)
            {
                origin.kind = Lv::thin(&own, &pool, *virtual_kib).kind;
            }
            v.insert_lv(&b.lv, origin);
        }
        Ok(made)
    }

    fn mount_snap_brick(&mut self, b: &SnapBrick) -> Result<(), GErr> {
        let Some(node) = self.nodes.get_mut(&b.manage) else {
            return Err(gerr(format!("mock: node {} vanished", b.manage)));
        };
        node.mkdir(&b.mount_dir, true).map_err(gerr)?;
        node.add_mount(&b.mount_dir, &b.vg, &b.lv, SNAP_MOUNT_OPTS);
        Ok(())
    }

    fn unmount_snap_brick(&mut self, b: &SnapBrick) {
        if let Some(node) = self.nodes.get_mut(&b.manage) {
            node.remove_mount(&b.mount_dir);
        }
    }

    fn snapshot_create(&mut self, host: &str, snap: &str, vol: &str) -> Result<String, GErr> {
        let pool = self.node_mut(host).pool;
        if self
            .snaps
            .by_pool
            .get(&pool)
            .is_some_and(|s| s.contains_key(snap))
        {
            return Err(gerr(format!(
                "snapshot create: failed: Snapshot {snap} already exists"
            )));
        }
        let Some(volume) = self.volumes.get(&pool).and_then(|v| v.get(vol)).cloned() else {
            let mut e = gerr(format!(
                "snapshot create: failed: Volume ({vol}) does not exist"
            ));
            e.xml_errstr = format!("Volume ({vol}) does not exist");
            return Err(e);
        };
        if volume.status != Status::Started {
            return Err(gerr(format!(
                "snapshot create: failed: volume {vol} is not started"
            )));
        }
        let mut origins = Vec::new();
        for b in &volume.bricks {
            let b = b.to_string();
            let located = split_brick(&b).and_then(|(h, path)| {
                let manage = self.peer_in_pool(pool, h)?;
                match self.nodes.get(&manage)?.locate(path) {
                    Loc::Fs { vg, lv, rel } => Some((manage, vg, lv, rel)),
                    Loc::Root(_) => None,
                }
            });
            let Some(o) = located else {
                return Err(gerr(format!(
                    "snapshot create: failed: Snapshot is supported only for thin provisioned LV. Ensure that all bricks of {vol} are thinly provisioned LV."
                )));
            };
            origins.push(o);
        }
        let snap_vol = self.gluster_uuid().replace('-', "");
        let bricks = self.thin_snapshots("create", vol, &snap_vol, &origins)?;
        self.snaps.by_pool.entry(pool).or_default().insert(
            snap.to_string(),
            Snap {
                snap_vol,
                layout: volume.layout.clone(),
                options: volume.options.clone(),
                bricks,
                active: false,
            },
        );
        Ok(format!(
            "snapshot create: success: Snap {snap} created successfully\n"
        ))
    }

    fn snapshot_activate(&mut self, host: &str, snap: &str, on: bool) -> Result<String, GErr> {
        let pool = self.node_mut(host).pool;
        let op = if on { "activate" } else { "deactivate" };
        let Some(s) = self
            .snaps
            .by_pool
            .get(&pool)
            .and_then(|s| s.get(snap))
            .cloned()
        else {
            return Err(Self::snap_missing(op, snap));
        };
        if s.active == on {
            return Err(gerr(format!(
                "snapshot {op}: failed: Snapshot {snap} is already {op}d."
            )));
        }
        for b in &s.bricks {
            if on {
                self.mount_snap_brick(b)?;
            } else {
                self.unmount_snap_brick(b);
            }
        }
        if let Some(s) = self
            .snaps
            .by_pool
            .get_mut(&pool)
            .and_then(|s| s.get_mut(snap))
        {
            s.active = on;
        }
        Ok(format!("snapshot {op}: {snap}: Snap {op}d successfully\n"))
    }

    fn snapshot_clone(&mut self, host: &str, clone: &str, snap: &str) -> Result<String, GErr> {
        let pool = self.node_mut(host).pool;
        let Some(s) = self
            .snaps
            .by_pool
            .get(&pool)
            .and_then(|s| s.get(snap))
            .cloned()
        else {
            return Err(Self::snap_missing("clone", snap));
        };
        if !s.active {
            return Err(gerr(format!(
                "snapshot clone: failed: Snapshot {snap} is not activated"
            )));
        }
        if self
            .volumes
            .get(&pool)
            .is_some_and(|v| v.contains_key(clone))
        {
            return Err(gerr(format!(
                "snapshot clone: failed: Volume with name:{clone} already exists"
            )));
        }
        let id: std::sync::Arc<str> = self.gluster_uuid().into();
        let prefix = id.replace('-', "");
        let origins: Vec<(String, String, String, String)> = s
            .bricks
            .iter()
            .map(|b| (b.manage.clone(), b.vg.clone(), b.lv.clone(), b.rel.clone()))
            .collect();
        let made = self.thin_snapshots("clone", clone, &prefix, &origins)?;
        let mut names = Vec::new();
        for b in &made {
            self.mount_snap_brick(b)?;
            let path = format!("{}/{}", b.mount_dir, b.rel);
            if let Some(node) = self.nodes.get_mut(&b.manage) {
                node.update_dir(&path, |m| m.volume_id = Some(id.clone()));
                names.push(format!("{}:{path}", node.storage));
            }
        }
        let bricks = names.iter().map(|b| self.brick(b)).collect();
        self.volumes.entry(pool).or_default().insert(
            clone,
            Volume {
                id,
                layout: s.layout.clone(),
                bricks,
                status: Status::Created,
                options: s.options.clone(),
            },
        );
        Ok(format!(
            "snapshot clone: success: Clone {clone} created successfully\n"
        ))
    }

    fn snapshot_delete(&mut self, host: &str, snap: &str) -> Result<String, GErr> {
        let pool = self.node_mut(host).pool;
        let Some(s) = self
            .snaps
            .by_pool
            .get_mut(&pool)
            .and_then(|s| s.remove(snap))
        else {
            return Err(Self::snap_missing("delete", snap));
        };
        for b in &s.bricks {
            self.unmount_snap_brick(b);
            if let Some(node) = self.nodes.get_mut(&b.manage) {
                if let Some(v) = node.vgs.get_mut(&b.vg) {
                    v.remove_lv(&b.lv);
                }
                let _ = node.rmdir(&b.mount_dir);
            }
        }
        for m in s
            .bricks
            .iter()
            .map(|b| b.manage.clone())
            .collect::<BTreeSet<_>>()
        {
            if let Some(node) = self.nodes.get_mut(&m) {
                let _ = node.rmdir(&format!("{SNAP_MOUNT_ROOT}/{}", s.snap_vol));
            }
        }
        Ok(format!(
            "snapshot delete: {snap}: snap removed successfully\n"
        ))
    }
}

impl MockTransport {
    /// Mark the thin pool `vg/pool` on `manage` as full (its data space used up by
    /// writes), or not: LVM then refuses new thin snapshots in it.
    pub fn set_thin_pool_full(&self, manage: &str, vg: &str, pool: &str, full: bool) {
        let key = (manage.to_string(), vg.to_string(), pool.to_string());
        let mut w = self.lock();
        if full {
            w.snaps.full_pools.insert(key);
        } else {
            w.snaps.full_pools.remove(&key);
        }
    }

    /// Names of the gluster snapshots of the pool `manage` belongs to.
    pub fn snapshots(&self, manage: &str) -> Vec<String> {
        let mut w = self.lock();
        let pool = w.node_mut(manage).pool;
        w.snaps
            .by_pool
            .get(&pool)
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// A clone's brick to recreate from the records ([`MockTransport::restore_clone_brick`]).
#[derive(Clone, Debug)]
pub struct CloneBrickState {
    /// The VG (`vg_<device id>`).
    pub vg: String,
    /// The thin pool the brick shares with its source.
    pub pool: String,
    /// Pool data size (KiB), used when the pool has to be made.
    pub pool_kib: u64,
    /// Pool metadata size (KiB), used when the pool has to be made.
    pub metadata_kib: u64,
    /// gluster's LV name.
    pub lv: String,
    /// Virtual size (KiB).
    pub virtual_kib: u64,
    /// Mount point (the brick path without `/brick`).
    pub mount_dir: String,
    /// Group of the brick directory (0: none).
    pub gid: i64,
}

impl MockTransport {
    /// Recreates a clone's brick as glusterd leaves it: a formatted thin LV in its pool
    /// (made when missing: the source is gone), mounted with its `brick` directory, no
    /// fstab line. For restoring mock nodes from the records only.
    pub fn restore_clone_brick(&self, manage: &str, b: &CloneBrickState) -> Result<(), String> {
        use super::node::{DirMap, Lv, Xfs};
        let mut w = self.lock_lazy();
        w.materialize(manage);
        let node = w.node_mut(manage);
        let Some(v) = node.vgs.get_mut(&b.vg) else {
            return Err(format!("volume group {} not found on {manage}", b.vg));
        };
        if !v.has_lv(&b.pool) && !v.add_thin_pool(&b.pool, b.pool_kib, b.metadata_kib) {
            return Err(format!("no room for thin pool {}/{}", b.vg, b.pool));
        }
        let dirs = DirMap::fresh_brick(b.gid);
        let mut thin = Lv::thin(
            &b.lv.as_str().into(),
            &b.pool.as_str().into(),
            b.virtual_kib,
        );
        thin.fs = Some(Box::new(Xfs {
            arbiter: false,
            stripe: None,
            dirs,
        }));
        v.insert_lv(&b.lv, thin);
        node.mkdir(&b.mount_dir, true)?;
        node.add_mount(&b.mount_dir, &b.vg, &b.lv, SNAP_MOUNT_OPTS);
        drop(w);
        self.journaled(&super::journal::Entry::restore_clone(manage, b))
    }
}

impl World {
    /// `lvs --noheadings --options=data_percent,metadata_percent <vg>/<pool>`: a pool
    /// marked full is at 100 %, any other at 0 % (the mock holds no data).
    pub(super) fn lvs_pool_usage(&mut self, host: &str, target: &str) -> Reply {
        let Some((vg, lv)) = target.split_once('/') else {
            return Reply::err(5, format!("  Volume group \"{target}\" not found"));
        };
        let node = self.node_mut(host);
        let is_pool = node
            .vgs
            .get(vg)
            .and_then(|v| v.lv(lv))
            .map(|l| matches!(l.kind, LvKind::Pool { .. }));
        match is_pool {
            None => Reply::err(5, format!("  Failed to find logical volume \"{vg}/{lv}\"")),
            Some(false) => Reply::ok("\n"),
            Some(true) => {
                let key = (host.to_string(), vg.to_string(), lv.to_string());
                let data = if self.snaps.full_pools.contains(&key) {
                    100.0
                } else {
                    0.0
                };
                Reply::ok(format!("  {data:.2} {:.2}\n", 0.0))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::local_index;

    #[test]
    fn local_index_counts_earlier_bricks_on_the_same_node() {
        let hosts: Vec<String> = ["a", "b", "a", "c", "a"].map(String::from).to_vec();
        let got: Vec<usize> = (0..hosts.len()).map(|i| local_index(&hosts, i)).collect();
        assert_eq!(got, vec![0, 0, 1, 0, 2]);
    }
}
