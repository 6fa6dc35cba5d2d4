//! The in-memory state of one mock storage node: disks, LVM, XFS file systems, mounts,
//! files, and the node's glusterd pool membership.

use std::collections::{BTreeMap, BTreeSet};

/// Metadata of a directory (on the root file system or inside a brick's XFS).
#[derive(Clone, Debug, Default)]
pub(super) struct DirMeta {
    pub gid: Option<i64>,
    pub mode: Option<String>,
    /// `trusted.glusterfs.volume-id` xattr: set by `volume create`/`add-brick`, survives
    /// `volume delete`, as on a real brick.
    pub volume_id: Option<String>,
}

#[derive(Clone, Debug)]
pub(super) struct Pv {
    pub uuid: String,
    /// Usable data area (disk minus metadata and alignment).
    pub data_kib: u64,
    pub vg: Option<String>,
}

#[derive(Clone, Debug)]
pub(super) struct Xfs {
    pub arbiter: bool,
    pub stripe: Option<String>,
    /// Directories by path relative to the file system root ("" = root).
    pub dirs: DirMap,
}

/// The directories of one brick file system: two or three, so a sorted vector (a
/// `BTreeMap` node alone takes a kilobyte, for each of hundreds of thousands of bricks).
#[derive(Clone, Debug, Default)]
pub(super) struct DirMap(Vec<(String, DirMeta)>);

impl DirMap {
    fn find(&self, path: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(path))
    }

    pub fn get(&self, path: &str) -> Option<&DirMeta> {
        self.find(path).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut(&mut self, path: &str) -> Option<&mut DirMeta> {
        self.find(path).ok().map(|i| &mut self.0[i].1)
    }

    pub fn insert(&mut self, path: String, meta: DirMeta) {
        match self.find(&path) {
            Ok(i) => self.0[i].1 = meta,
            Err(i) => self.0.insert(i, (path, meta)),
        }
    }

    pub fn remove(&mut self, path: &str) {
        if let Ok(i) = self.find(path) {
            self.0.remove(i);
        }
    }

    /// Whether a directory lies under `dir/`.
    fn has_key_under(&self, dir: &str) -> bool {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        let start = self.find(&prefix).unwrap_or_else(|i| i);
        self.0
            .get(start)
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }
}

impl DirMap {
    /// A brick file system as brick creation leaves it: its root and the `brick`
    /// directory, owned by `gid` with the set-group-id mode when a GID is asked.
    pub fn fresh_brick(gid: i64) -> DirMap {
        [
            (String::new(), DirMeta::default()),
            (
                "brick".to_string(),
                DirMeta {
                    gid: (gid != 0).then_some(gid),
                    mode: (gid != 0).then(|| "2775".to_string()),
                    volume_id: None,
                },
            ),
        ]
        .into_iter()
        .collect()
    }
}

impl FromIterator<(String, DirMeta)> for DirMap {
    fn from_iter<I: IntoIterator<Item = (String, DirMeta)>>(iter: I) -> DirMap {
        let mut m = DirMap::default();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m.0.shrink_to_fit();
        m
    }
}

#[derive(Clone, Debug)]
pub(super) enum LvKind {
    Pool {
        data_kib: u64,
        meta_kib: u64,
        extents: u64,
    },
    Thin {
        pool: String,
        virtual_kib: u64,
    },
}

#[derive(Clone, Debug)]
pub(super) struct Lv {
    pub kind: LvKind,
    pub fs: Option<Xfs>,
}

#[derive(Clone, Debug)]
pub(super) struct Vg {
    pub pv: String,
    pub uuid: String,
    pub extent_kib: u64,
    pub total_extents: u64,
    pub lvs: BTreeMap<String, Lv>,
}

impl Vg {
    pub fn allocated_extents(&self) -> u64 {
        self.lvs
            .values()
            .map(|lv| match lv.kind {
                LvKind::Pool { extents, .. } => extents,
                LvKind::Thin { .. } => 0,
            })
            .sum()
    }
    pub fn free_extents(&self) -> u64 {
        self.total_extents.saturating_sub(self.allocated_extents())
    }
    /// Adds thin pool `name` with room for `data_kib` and `meta_kib` (each rounded up to
    /// whole extents); `false` when the VG has no room for it.
    #[must_use]
    pub fn add_thin_pool(&mut self, name: &str, data_kib: u64, meta_kib: u64) -> bool {
        let ext = self.extent_kib.max(1);
        let extents = data_kib.div_ceil(ext) + meta_kib.div_ceil(ext);
        if extents > self.free_extents() {
            return false;
        }
        self.lvs.insert(
            name.to_string(),
            Lv {
                kind: LvKind::Pool {
                    data_kib: data_kib.div_ceil(ext) * ext,
                    meta_kib: meta_kib.div_ceil(ext) * ext,
                    extents,
                },
                fs: None,
            },
        );
        true
    }
}

#[derive(Clone, Debug)]
pub(super) struct Mount {
    pub device: String,
    pub vg: String,
    pub lv: String,
    pub options: String,
}

/// Where a path lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Loc {
    Root(String),
    Fs { vg: String, lv: String, rel: String },
}

#[derive(Clone, Debug)]
pub(super) struct Node {
    pub manage: String,
    pub storage: String,
    pub pool: u64,
    pub glusterd: bool,
    pub udev: bool,
    pub disk_sizes: BTreeMap<String, u64>,
    pub missing: BTreeSet<String>,
    pub pvs: BTreeMap<String, Pv>,
    pub vgs: BTreeMap<String, Vg>,
    pub dirs: BTreeMap<String, DirMeta>,
    /// Mounts by mount point; change them with [`Node::add_mount`] and
    /// [`Node::remove_mount`], which keep `mounted_lvs` in step.
    pub mounts: BTreeMap<String, Mount>,
    /// `(vg, lv)` of every mounted LV (what `lv_mounted` asks, without a scan).
    mounted_lvs: BTreeSet<(String, String)>,
    pub files: BTreeMap<String, Vec<String>>,
}

/// Whether a sorted key set holds a key under `dir/` (a child of `dir`), by a range
/// lookup instead of a scan.
fn has_key_under<V>(map: &BTreeMap<String, V>, dir: &str) -> bool {
    let prefix = format!("{}/", dir.trim_end_matches('/'));
    map.range::<str, _>((
        std::ops::Bound::Included(prefix.as_str()),
        std::ops::Bound::Unbounded,
    ))
    .next()
    .is_some_and(|(k, _)| k.starts_with(&prefix))
}

/// `/dev/mapper` name of an LV (dashes inside names are doubled).
pub(super) fn mapper_name(vg: &str, lv: &str) -> String {
    format!(
        "/dev/mapper/{}-{}",
        vg.replace('-', "--"),
        lv.replace('-', "--")
    )
}

fn parent(path: &str) -> Option<&str> {
    let p = path.trim_end_matches('/');
    match p.rfind('/') {
        Some(0) if p.len() > 1 => Some("/"),
        Some(0) | None => None,
        Some(i) => Some(&p[..i]),
    }
}

impl Node {
    pub fn new(manage: &str, storage: &str, pool: u64, fstab: &str) -> Node {
        let dirs = [
            "/",
            "/dev",
            "/etc",
            "/run",
            "/tmp",
            "/var",
            "/var/lib",
            "/var/lib/heketi",
        ]
        .iter()
        .map(|d| (d.to_string(), DirMeta::default()))
        .collect();
        let mut files = BTreeMap::new();
        files.insert(fstab.to_string(), Vec::new());
        Node {
            manage: manage.to_string(),
            storage: storage.to_string(),
            pool,
            glusterd: true,
            udev: true,
            disk_sizes: BTreeMap::new(),
            missing: BTreeSet::new(),
            pvs: BTreeMap::new(),
            vgs: BTreeMap::new(),
            dirs,
            mounts: BTreeMap::new(),
            mounted_lvs: BTreeSet::new(),
            files,
        }
    }

    /// `/dev/disk/by-id/lvm-pv-uuid-<uuid>` → the PV's device; anything else unchanged.
    pub fn resolve_device(&self, dev: &str) -> String {
        if let Some(uuid) = dev.strip_prefix("/dev/disk/by-id/lvm-pv-uuid-")
            && let Some((d, _)) = self.pvs.iter().find(|(_, pv)| pv.uuid == uuid)
        {
            return d.clone();
        }
        dev.to_string()
    }

    /// Size of a disk, or `None` when there is no such block device.
    pub fn disk_size(&self, dev: &str, default: u64) -> Option<u64> {
        if !dev.starts_with("/dev/")
            || self.missing.contains(dev)
            || dev.starts_with("/dev/mapper/")
        {
            return None;
        }
        Some(self.disk_sizes.get(dev).copied().unwrap_or(default))
    }

    /// The (vg, lv) whose `/dev/mapper` node or `/dev/<vg>/<lv>` path is `dev`.
    /// Looked up by name (one string per VG), not by formatting every LV's paths.
    pub fn lv_by_dev(&self, dev: &str) -> Option<(String, String)> {
        self.vgs.iter().find_map(|(vg, v)| {
            let lv = if let Some(rest) = dev.strip_prefix("/dev/mapper/") {
                let prefix = format!("{}-", vg.replace('-', "--"));
                rest.strip_prefix(prefix.as_str())
                    .map(|lv| lv.replace("--", "-"))
            } else {
                dev.strip_prefix("/dev/")
                    .and_then(|r| r.strip_prefix(vg.as_str()))
                    .and_then(|r| r.strip_prefix('/'))
                    .map(str::to_string)
            }?;
            v.lvs.contains_key(&lv).then(|| (vg.clone(), lv))
        })
    }

    pub fn lv_mounted(&self, vg: &str, lv: &str) -> bool {
        self.mounted_lvs.contains(&(vg.to_string(), lv.to_string()))
    }

    pub fn add_mount(&mut self, dir: String, m: Mount) {
        self.mounted_lvs.insert((m.vg.clone(), m.lv.clone()));
        if let Some(old) = self.mounts.insert(dir, m) {
            self.mounted_lvs.remove(&(old.vg, old.lv));
        }
    }

    pub fn remove_mount(&mut self, dir: &str) -> Option<Mount> {
        let m = self.mounts.remove(dir)?;
        self.mounted_lvs.remove(&(m.vg.clone(), m.lv.clone()));
        Some(m)
    }

    /// Whether a mount point lies under `dir`.
    pub fn has_mount_under(&self, dir: &str) -> bool {
        has_key_under(&self.mounts, dir)
    }

    /// Whether a mount point is `path` or one of its ancestors.
    pub fn has_mount_above(&self, path: &str) -> bool {
        matches!(self.locate(path), Loc::Fs { .. })
    }

    pub fn locate(&self, path: &str) -> Loc {
        let path = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        // The longest mount point that is the path or one of its ancestors.
        let mut best = None;
        let mut candidate = path;
        loop {
            if let Some((mp, m)) = self.mounts.get_key_value(candidate) {
                best = Some((mp, m));
                break;
            }
            match candidate.rfind('/') {
                Some(0) if candidate.len() > 1 => candidate = "/",
                Some(i) if i > 0 => candidate = &candidate[..i],
                _ => break,
            }
        }
        match best {
            Some((mp, m)) => Loc::Fs {
                vg: m.vg.clone(),
                lv: m.lv.clone(),
                rel: path[mp.len()..].trim_start_matches('/').to_string(),
            },
            None => Loc::Root(path.to_string()),
        }
    }

    fn fs_dirs_mut(&mut self, vg: &str, lv: &str) -> Option<&mut DirMap> {
        self.vgs
            .get_mut(vg)?
            .lvs
            .get_mut(lv)?
            .fs
            .as_mut()
            .map(|f| &mut f.dirs)
    }

    fn fs_dirs(&self, vg: &str, lv: &str) -> Option<&DirMap> {
        self.vgs.get(vg)?.lvs.get(lv)?.fs.as_ref().map(|f| &f.dirs)
    }

    pub fn dir_meta(&self, path: &str) -> Option<&DirMeta> {
        match self.locate(path) {
            Loc::Root(p) => self.dirs.get(&p),
            Loc::Fs { vg, lv, rel } => self.fs_dirs(&vg, &lv)?.get(&rel),
        }
    }

    pub fn dir_meta_mut(&mut self, path: &str) -> Option<&mut DirMeta> {
        match self.locate(path) {
            Loc::Root(p) => self.dirs.get_mut(&p),
            Loc::Fs { vg, lv, rel } => self.fs_dirs_mut(&vg, &lv)?.get_mut(&rel),
        }
    }

    pub fn dir_exists(&self, path: &str) -> bool {
        self.dir_meta(path).is_some()
    }

    /// Create one directory whose parent exists.
    fn insert_dir(&mut self, path: &str) -> bool {
        match self.locate(path) {
            Loc::Root(p) => {
                self.dirs.insert(p, DirMeta::default());
                true
            }
            Loc::Fs { vg, lv, rel } => match self.fs_dirs_mut(&vg, &lv) {
                Some(d) => {
                    d.insert(rel, DirMeta::default());
                    true
                }
                None => false,
            },
        }
    }

    /// `mkdir [-p] path`: Err(stderr) like coreutils.
    pub fn mkdir(&mut self, path: &str, parents: bool) -> Result<(), String> {
        if self.dir_exists(path) {
            return if parents {
                Ok(())
            } else {
                Err(format!(
                    "mkdir: cannot create directory '{path}': File exists"
                ))
            };
        }
        match parent(path) {
            Some(p) if self.dir_exists(p) => {}
            Some(p) if parents => self.mkdir(p, true)?,
            _ => {
                return Err(format!(
                    "mkdir: cannot create directory '{path}': No such file or directory"
                ));
            }
        }
        self.insert_dir(path);
        Ok(())
    }

    /// `mkdir -p path` for a path on the root file system (no mount point above it, as
    /// for a brick's mount directory), by lookups of the missing ancestors only: what
    /// [`Node::mkdir`] does, without resolving mounts for every ancestor.
    pub fn mkdir_root_p(&mut self, path: &str) {
        let path = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        if self.dirs.contains_key(path) {
            return;
        }
        if let Some(p) = parent(path) {
            self.mkdir_root_p(p);
        }
        self.dirs.insert(path.to_string(), DirMeta::default());
    }

    /// `rmdir path`.
    pub fn rmdir(&mut self, path: &str) -> Result<(), String> {
        let path = path.trim_end_matches('/');
        if !self.dir_exists(path) {
            return Err(format!(
                "rmdir: failed to remove '{path}': No such file or directory"
            ));
        }
        if self.mounts.contains_key(path) {
            return Err(format!(
                "rmdir: failed to remove '{path}': Device or resource busy"
            ));
        }
        let loc = self.locate(path);
        let has_children = match &loc {
            Loc::Root(p) => has_key_under(&self.dirs, p),
            Loc::Fs { vg, lv, rel } => self.fs_dirs(vg, lv).is_some_and(|d| d.has_key_under(rel)),
        } || self.has_mount_under(path);
        if has_children {
            return Err(format!(
                "rmdir: failed to remove '{path}': Directory not empty"
            ));
        }
        match loc {
            Loc::Root(p) => {
                self.dirs.remove(&p);
            }
            Loc::Fs { vg, lv, rel } => {
                if let Some(d) = self.fs_dirs_mut(&vg, &lv) {
                    d.remove(&rel);
                }
            }
        }
        Ok(())
    }
}
