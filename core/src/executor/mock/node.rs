//! The in-memory state of one mock storage node: disks, LVM, XFS file systems, mounts,
//! files, and the node's glusterd pool membership.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock};

use super::files::Files;
use super::lv_map::LvMap;
use super::name::{Line, MOUNT_DIR, Name};
use crate::executor::BRICK_MOUNT_ROOT;

/// Metadata of a directory (on the root file system or inside a brick's XFS).
#[derive(Clone, Debug, Default)]
pub(super) struct DirMeta {
    pub gid: Option<i64>,
    pub mode: Option<Arc<str>>,
    /// `trusted.glusterfs.volume-id` xattr: set by `volume create`/`add-brick`, survives
    /// `volume delete`, as on a real brick. Shared with the volume's id.
    pub volume_id: Option<Arc<str>>,
}

impl DirMeta {
    fn is_default(&self) -> bool {
        self.gid.is_none() && self.mode.is_none() && self.volume_id.is_none()
    }
}

/// The set-group-id mode of a brick directory with a group, shared by every brick.
static SETGID_MODE: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from("2775"));

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
    /// Boxed text (not a `String`): with a 32-byte [`DirMap`], the boxed XFS fits 56
    /// bytes (it took 96).
    pub stripe: Option<Box<str>>,
    /// Directories by path relative to the file system root ("" = root).
    pub dirs: DirMap,
}

/// The directories of one brick file system: two or three, so not a `BTreeMap` (a
/// node alone takes a kilobyte, for each of hundreds of thousands of bricks), and the
/// two every brick starts with in a few bytes.
#[derive(Clone, Debug)]
pub(super) enum DirMap {
    /// The root (`""`, default metadata) and `brick`, owned by `gid` when `has_gid`,
    /// with mode 2775 when `setgid` (else none set), with the volume id `volume_id`:
    /// what brick creation leaves. 32 bytes, where a [`DirMeta`] alone takes 48.
    Fresh {
        gid: i64,
        has_gid: bool,
        setgid: bool,
        volume_id: Option<Arc<str>>,
    },
    /// Sorted by path.
    Any(Vec<(Name, DirMeta)>),
}

const _: () = assert!(std::mem::size_of::<DirMap>() == 32);

impl Default for DirMap {
    fn default() -> DirMap {
        DirMap::Any(Vec::new())
    }
}

impl DirMap {
    /// The metadata of a fresh map's `brick`.
    fn fresh_meta(&self) -> Option<DirMeta> {
        match self {
            DirMap::Fresh {
                gid,
                has_gid,
                setgid,
                volume_id,
            } => Some(DirMeta {
                gid: has_gid.then_some(*gid),
                mode: setgid.then(|| SETGID_MODE.clone()),
                volume_id: volume_id.clone(),
            }),
            DirMap::Any(_) => None,
        }
    }

    /// A fresh map whose `brick` has `meta`, when its mode is none or 2775.
    fn fresh_of(meta: DirMeta) -> Result<DirMap, DirMeta> {
        let setgid = match meta.mode.as_deref() {
            None => false,
            Some(m) if m == &**SETGID_MODE => true,
            Some(_) => return Err(meta),
        };
        Ok(DirMap::Fresh {
            gid: meta.gid.unwrap_or(0),
            has_gid: meta.gid.is_some(),
            setgid,
            volume_id: meta.volume_id,
        })
    }

    /// The directories as a sorted vector (a fresh map becomes one).
    fn entries(&mut self) -> &mut Vec<(Name, DirMeta)> {
        if let Some(brick) = self.fresh_meta() {
            *self = DirMap::Any(vec![
                (Name::new(""), DirMeta::default()),
                (Name::new("brick"), brick),
            ]);
        }
        match self {
            DirMap::Any(v) => v,
            DirMap::Fresh { .. } => unreachable!("made a vector above"),
        }
    }

    fn find(v: &[(Name, DirMeta)], path: &str) -> Result<usize, usize> {
        v.binary_search_by(|(k, _)| k.cmp_str(path))
    }

    pub fn get(&self, path: &str) -> Option<DirMeta> {
        match self {
            DirMap::Fresh { .. } if path.is_empty() => Some(DirMeta::default()),
            DirMap::Fresh { .. } => self.fresh_meta().filter(|_| path == "brick"),
            DirMap::Any(v) => Self::find(v, path).ok().map(|i| v[i].1.clone()),
        }
    }

    /// Changes the metadata of the directory `path` with `f`; `false` when there is no
    /// such directory.
    pub fn update(&mut self, path: &str, f: impl FnOnce(&mut DirMeta)) -> bool {
        let v = self.entries();
        let Ok(i) = Self::find(v, path) else {
            self.compact();
            return false;
        };
        f(&mut v[i].1);
        self.compact();
        true
    }

    pub fn insert(&mut self, path: String, meta: DirMeta) {
        let v = self.entries();
        match Self::find(v, &path) {
            Ok(i) => v[i].1 = meta,
            Err(i) => v.insert(i, (Name::new(&path), meta)),
        }
        self.compact();
    }

    pub fn remove(&mut self, path: &str) {
        let v = self.entries();
        if let Ok(i) = Self::find(v, path) {
            v.remove(i);
        }
        self.compact();
    }

    /// Back to [`DirMap::Fresh`] when the directories are a fresh brick's (its root with
    /// default metadata, and `brick` with a mode of none or 2775): a brick made by
    /// commands (`mkfs`, then `mkdir brick`) would otherwise keep a vector, 450 bytes a
    /// brick.
    fn compact(&mut self) {
        if let DirMap::Any(v) = self
            && let [(root, root_meta), (brick, _)] = v.as_mut_slice()
            && root.with_str(str::is_empty)
            && root_meta.is_default()
            && brick.with_str(|b| b == "brick")
        {
            let meta = std::mem::take(&mut v[1].1);
            match DirMap::fresh_of(meta) {
                Ok(fresh) => *self = fresh,
                Err(meta) => v[1].1 = meta,
            }
        }
    }

    /// Whether a directory lies under `dir/`.
    fn has_key_under(&self, dir: &str) -> bool {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        match self {
            // Neither "" nor "brick" starts with a path ending in '/'.
            DirMap::Fresh { .. } => false,
            DirMap::Any(v) => {
                let start = Self::find(v, &prefix).unwrap_or_else(|i| i);
                v.get(start)
                    .is_some_and(|(k, _)| k.with_str(|k| k.starts_with(&prefix)))
            }
        }
    }

    /// A brick file system as brick creation leaves it: its root and the `brick`
    /// directory, owned by `gid` with the set-group-id mode when a GID is asked.
    pub fn fresh_brick(gid: i64) -> DirMap {
        DirMap::Fresh {
            gid,
            has_gid: gid != 0,
            setgid: gid != 0,
            volume_id: None,
        }
    }

    /// A new file system: its root only.
    pub fn root_only() -> DirMap {
        DirMap::Any(vec![(Name::new(""), DirMeta::default())])
    }
}

#[derive(Clone, Debug)]
pub(super) enum LvKind {
    /// Both sizes are whole extents of the VG (what [`Lv::extents`] counts).
    Pool { data_kib: u64, meta_kib: u64 },
    Thin {
        /// The pool; `None` when the LV's name implies it (`tp_<id>` for
        /// `brick_<id>`, what Brickyard names them): see [`Lv::pool`].
        pool: Option<Box<Name>>,
        virtual_kib: u64,
    },
}

/// Template indices of `tp_<id>` and `brick_<id>` (`name.rs`).
const TP: u8 = 0;
const BRICK: u8 = 1;

#[derive(Clone, Debug)]
pub(super) struct Lv {
    pub kind: LvKind,
    /// Boxed: thin pools have none.
    pub fs: Option<Box<Xfs>>,
    /// Where it is mounted (kept by [`Node::add_mount`] and [`Node::remove_mount`]).
    pub mount: LvMount,
}

// Two LVs a brick, hundreds of thousands of bricks: the sizes are kept in check.
const _: () = assert!(std::mem::size_of::<Lv>() == 40);
const _: () = assert!(std::mem::size_of::<Xfs>() <= 56);

/// Whether and where an LV is mounted.
///
/// A brick's mount (`<mounts root>/vg_<a>/brick_<b>` for LV `brick_<b>` of VG `vg_<a>`)
/// is kept here, on its LV, and not in [`Node`]'s map of mounts: that map took 111
/// bytes a brick, this takes none (it fits where a `bool` was).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum LvMount {
    #[default]
    No,
    /// Mounted at a mount point listed in [`Node`]'s map of mounts.
    Listed,
    /// Mounted at the mount point its names imply, with the node's string number
    /// `options` ([`Node::intern`]); `implied_dir` as in [`Mount`].
    Implied { options: u32, implied_dir: bool },
}

impl Lv {
    /// The VG extents the LV takes, in a VG of `extent_kib` extents: a pool's; none
    /// for a thin LV.
    pub fn extents(&self, extent_kib: u64) -> u64 {
        match self.kind {
            LvKind::Pool { data_kib, meta_kib } => (data_kib + meta_kib) / extent_kib.max(1),
            LvKind::Thin { .. } => 0,
        }
    }

    /// A new LV of `kind`, not formatted, not mounted.
    pub fn new(kind: LvKind) -> Lv {
        Lv {
            kind,
            fs: None,
            mount: LvMount::No,
        }
    }

    pub fn mounted(&self) -> bool {
        self.mount != LvMount::No
    }

    /// A thin LV named `own` in the pool `pool`.
    pub fn thin(own: &Name, pool: &Name, virtual_kib: u64) -> Lv {
        let implied = match (own.ids(), pool.ids()) {
            (Some((BRICK, a, _)), Some((TP, p, _))) => a == p,
            _ => false,
        };
        Lv::new(LvKind::Thin {
            pool: (!implied).then(|| Box::new(pool.clone())),
            virtual_kib,
        })
    }

    /// The pool of this LV, named `own`, if it is a thin LV.
    pub fn pool(&self, own: &Name) -> Option<Name> {
        match &self.kind {
            LvKind::Thin { pool: Some(p), .. } => Some((**p).clone()),
            LvKind::Thin { pool: None, .. } => match own.ids() {
                Some((BRICK, a, b)) => Some(Name::Ids {
                    t: TP,
                    a: *a,
                    b: *b,
                }),
                _ => None,
            },
            LvKind::Pool { .. } => None,
        }
    }

    /// Whether this LV, named `own`, is a thin LV of the pool `pool`.
    pub fn in_pool(&self, own: &Name, pool: &Name) -> bool {
        self.pool(own).as_ref() == Some(pool)
    }
}

#[derive(Clone, Debug)]
pub(super) struct Vg {
    pub pv: String,
    pub uuid: String,
    pub extent_kib: u64,
    pub total_extents: u64,
    /// Change only through [`Vg::insert_lv`] and [`Vg::remove_lv`], which keep
    /// `allocated` in step.
    pub lvs: LvMap,
    /// Extents taken by the thin pools of `lvs` (a pool's extents never change).
    /// Summing them at every pool creation made restoring 100,000 volumes quadratic
    /// (a fifth of its time).
    pub allocated: u64,
}

impl Vg {
    pub fn lv(&self, name: &str) -> Option<&Lv> {
        self.lvs.get(name)
    }
    pub fn lv_mut(&mut self, name: &str) -> Option<&mut Lv> {
        self.lvs.get_mut(name)
    }
    pub fn has_lv(&self, name: &str) -> bool {
        self.lvs.contains_key(name)
    }
    pub fn insert_lv(&mut self, name: &str, lv: Lv) {
        self.allocated += lv.extents(self.extent_kib);
        if let Some(old) = self.lvs.insert(name, lv) {
            self.allocated -= old.extents(self.extent_kib);
        }
    }
    pub fn remove_lv(&mut self, name: &str) -> Option<Lv> {
        let lv = self.lvs.remove(name)?;
        self.allocated -= lv.extents(self.extent_kib);
        Some(lv)
    }
    pub fn allocated_extents(&self) -> u64 {
        debug_assert_eq!(
            self.allocated,
            self.lvs
                .values()
                .map(|l| l.extents(self.extent_kib))
                .sum::<u64>(),
            "allocated extents out of step with the LVs"
        );
        self.allocated
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
        self.insert_lv(
            name,
            Lv::new(LvKind::Pool {
                data_kib: data_kib.div_ceil(ext) * ext,
                meta_kib: meta_kib.div_ceil(ext) * ext,
            }),
        );
        true
    }
}

/// A mount, keyed by its mount point in [`Node`]. Its device is the `/dev/mapper` node
/// of its LV. A brick's mount is kept on its LV instead ([`LvMount::Implied`]).
#[derive(Clone, Debug)]
pub(super) struct Mount {
    /// `(vg, lv)`; `None` when the mount point names them
    /// (`<mounts root>/vg_<a>/brick_<b>` for LV `brick_<b>` of VG `vg_<a>`).
    source: Option<Box<(Name, Name)>>,
    pub options: Arc<str>,
    /// The mount point is a root file system directory with default metadata that is
    /// not in [`Node::dirs`] while mounted (it comes back when unmounted).
    implied_dir: bool,
}

/// `(vg, lv)` of a mount.
fn mount_source(dir: &Name, m: &Mount) -> (String, String) {
    if let Some(src) = &m.source {
        return (src.0.to_string(), src.1.to_string());
    }
    let mut vg = String::from("vg_");
    let mut lv = String::from("brick_");
    if let Some((_, a, b)) = dir.ids() {
        super::name::write_hex(&mut vg, a);
        super::name::write_hex(&mut lv, b);
    }
    (vg, lv)
}

/// The VG and LV a mount point's name implies (`<mounts root>/vg_<a>/brick_<b>`).
fn implied_source(dir: &Name) -> Option<(String, String)> {
    match dir.ids() {
        Some((MOUNT_DIR, a, b)) => {
            let (mut vg, mut lv) = (String::from("vg_"), String::from("brick_"));
            super::name::write_hex(&mut vg, a);
            super::name::write_hex(&mut lv, b);
            Some((vg, lv))
        }
        _ => None,
    }
}

/// The compact source of a mount of `vg/lv` at `dir`.
fn compact_source(dir: &Name, vg: &str, lv: &str) -> Option<Box<(Name, Name)>> {
    let (vgn, lvn) = (Name::new(vg), Name::new(lv));
    let implied = match (dir.ids(), vgn.ids(), lvn.ids()) {
        (Some((MOUNT_DIR, a, b)), Some((2, va, _)), Some((1, lb, _))) => a == va && b == lb,
        _ => false,
    };
    (!implied).then(|| Box::new((vgn, lvn)))
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
    /// Directories on the root file system, except mount points with default metadata
    /// while mounted ([`Node::root_dirs`] lists them all).
    pub dirs: BTreeMap<String, DirMeta>,
    /// Mounts by mount point, but for those kept on their LVs
    /// ([`LvMount::Implied`]); change them with [`Node::add_mount`] and
    /// [`Node::remove_mount`], which keep the LVs' [`LvMount`] in step.
    mounts: BTreeMap<Name, Mount>,
    /// Text files (the fstab and its backups).
    files: Files,
    /// Mount options in use, shared by the mounts and fstab lines that name them, by
    /// number ([`LvMount::Implied`]).
    strings: Vec<Arc<str>>,
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

/// [`has_key_under`] for a map keyed by names.
fn has_name_under<V>(map: &BTreeMap<Name, V>, dir: &str) -> bool {
    let prefix = format!("{}/", dir.trim_end_matches('/'));
    map.range(Name::new(&prefix)..)
        .next()
        .is_some_and(|(k, _)| k.with_str(|k| k.starts_with(&prefix)))
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
        let mut files = Files::default();
        files.create(fstab, Vec::new());
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
            files,
            strings: Vec::new(),
        }
    }

    /// The number of `s` among the node's shared strings (added when new).
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(i) = self.strings.iter().position(|a| **a == *s) {
            return i as u32;
        }
        self.strings.push(Arc::from(s));
        (self.strings.len() - 1) as u32
    }

    /// The mounts kept on their LVs: `(mount point, vg, lv, options, implied_dir)`.
    fn implied_mounts(&self) -> impl Iterator<Item = (Name, String, String, &str, bool)> + '_ {
        self.vgs.iter().flat_map(move |(vg, v)| {
            v.lvs.iter().filter_map(move |(lv, l)| match l.mount {
                LvMount::Implied {
                    options,
                    implied_dir,
                } => {
                    let dir = Name::new(&format!("{BRICK_MOUNT_ROOT}/{vg}/{lv}"));
                    let options = self.strings.get(options as usize).map_or("", |s| &**s);
                    Some((dir, vg.clone(), lv.to_string(), options, implied_dir))
                }
                _ => None,
            })
        })
    }

    /// The mount kept on its LV at `dir`: `(vg, lv, options number, implied_dir)`.
    fn implied_mount_at(&self, dir: &Name) -> Option<(String, String, u32, bool)> {
        let (vg, lv) = implied_source(dir)?;
        match self.vgs.get(&vg)?.lv(&lv)?.mount {
            LvMount::Implied {
                options,
                implied_dir,
            } => Some((vg, lv, options, implied_dir)),
            _ => None,
        }
    }

    /// `(vg, lv)` of the mount at `dir`, listed or kept on its LV.
    fn mount_at(&self, dir: &Name) -> Option<(String, String)> {
        match self.mounts.get(dir) {
            Some(m) => Some(mount_source(dir, m)),
            None => self.implied_mount_at(dir).map(|(vg, lv, _, _)| (vg, lv)),
        }
    }

    /// Appends `line` to the file `path` (made when missing).
    pub fn append_line(&mut self, path: &str, line: &str) {
        let line = Line::new(line, |s| self.intern(s));
        self.files.append(path, line);
    }

    /// The text of a line of one of the node's files.
    pub fn line_text(&self, line: &Line) -> String {
        line.text(&self.strings)
    }

    /// The lines of the file `path`.
    pub fn file_lines(&self, path: &str) -> Option<Vec<String>> {
        self.files
            .lines(path)
            .map(|lines| lines.iter().map(|l| self.line_text(l)).collect())
    }

    /// `sed -i<suffix> "/<pattern>/d" path`, the backup in `backup` when given:
    /// `false` when there is no such file.
    pub fn delete_lines(&mut self, path: &str, backup: Option<&str>, pattern: &str) -> bool {
        let strings = &self.strings;
        self.files
            .delete_lines(path, backup, |l| l.text(strings).contains(pattern))
    }

    /// Every directory on the root file system, sorted.
    pub fn root_dirs(&self) -> Vec<String> {
        let mut dirs: Vec<String> = self.dirs.keys().cloned().collect();
        dirs.extend(
            self.mounts
                .iter()
                .filter(|(_, m)| m.implied_dir)
                .map(|(d, _)| d.to_string()),
        );
        dirs.extend(
            self.implied_mounts()
                .filter(|m| m.4)
                .map(|m| m.0.to_string()),
        );
        dirs.sort();
        dirs.dedup();
        dirs
    }

    /// The mounts: `(mount point, device, options)` by mount point.
    pub fn mount_list(&self) -> impl Iterator<Item = (String, String, &str)> + '_ {
        let mut all: Vec<(Name, String, String, &str)> = self
            .mounts
            .iter()
            .map(|(dir, m)| {
                let (vg, lv) = mount_source(dir, m);
                (dir.clone(), vg, lv, &*m.options)
            })
            .chain(
                self.implied_mounts()
                    .map(|(dir, vg, lv, options, _)| (dir, vg, lv, options)),
            )
            .collect();
        all.sort_by(|x, y| x.0.cmp(&y.0));
        all.into_iter()
            .map(|(dir, vg, lv, options)| (dir.to_string(), mapper_name(&vg, &lv), options))
    }

    /// Whether `dir` is a mount point.
    pub fn is_mount_point(&self, dir: &str) -> bool {
        self.mount_at(&Name::new(dir)).is_some()
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
            v.has_lv(&lv).then(|| (vg.clone(), lv))
        })
    }

    pub fn lv_mounted(&self, vg: &str, lv: &str) -> bool {
        self.vgs
            .get(vg)
            .and_then(|v| v.lv(lv))
            .is_some_and(Lv::mounted)
    }

    fn lv_mut(&mut self, vg: &str, lv: &str) -> Option<&mut Lv> {
        self.vgs.get_mut(vg).and_then(|v| v.lv_mut(lv))
    }

    /// Takes the mount at `dir` away, listed or kept on its LV, and marks its LV
    /// unmounted unless it is mounted elsewhere too: `(vg, lv, implied_dir)`.
    fn take_mount(&mut self, key: &Name) -> Option<(String, String, bool)> {
        let (vg, lv, implied_dir) = match self.mounts.remove(key) {
            Some(m) => {
                let (vg, lv) = mount_source(key, &m);
                (vg, lv, m.implied_dir)
            }
            None => {
                let (vg, lv, _, implied_dir) = self.implied_mount_at(key)?;
                if let Some(l) = self.lv_mut(&vg, &lv) {
                    l.mount = LvMount::No;
                }
                (vg, lv, implied_dir)
            }
        };
        let listed_elsewhere = self
            .mounts
            .iter()
            .any(|(d, m)| mount_source(d, m) == (vg.clone(), lv.clone()));
        if let Some(l) = self.lv_mut(&vg, &lv)
            && !matches!(l.mount, LvMount::Implied { .. })
        {
            l.mount = if listed_elsewhere {
                LvMount::Listed
            } else {
                LvMount::No
            };
        }
        Some((vg, lv, implied_dir))
    }

    /// Mounts `vg/lv` at `dir` with `options` (replacing a mount at `dir`).
    pub fn add_mount(&mut self, dir: &str, vg: &str, lv: &str, options: &str) {
        let key = Name::new(dir);
        let old = self.take_mount(&key);
        let taken = self.dirs.get(dir).is_some_and(DirMeta::is_default);
        if taken {
            self.dirs.remove(dir);
        }
        let implied_dir = taken || old.is_some_and(|(_, _, d)| d);
        let source = compact_source(&key, vg, lv);
        // A mount already kept on this LV at the mount point its names imply (an LV
        // mounted twice: the one at `dir` was taken above) goes to the map: the LV
        // has room for one.
        if let Some(LvMount::Implied {
            options,
            implied_dir,
        }) = self.vgs.get(vg).and_then(|v| v.lv(lv)).map(|l| l.mount)
        {
            let m = Mount {
                source: None,
                options: self.strings[options as usize].clone(),
                implied_dir,
            };
            self.mounts
                .insert(Name::new(&format!("{BRICK_MOUNT_ROOT}/{vg}/{lv}")), m);
            if let Some(l) = self.lv_mut(vg, lv) {
                l.mount = LvMount::Listed;
            }
        }
        let options_number = self.intern(options);
        // Kept on the LV when the mount point's name implies it and the LV is not
        // mounted elsewhere; otherwise listed (an LV that does not exist included).
        let on_lv = source.is_none()
            && self
                .vgs
                .get(vg)
                .and_then(|v| v.lv(lv))
                .is_some_and(|l| !l.mounted());
        if on_lv {
            if let Some(l) = self.lv_mut(vg, lv) {
                l.mount = LvMount::Implied {
                    options: options_number,
                    implied_dir,
                };
            }
            return;
        }
        if let Some(l) = self.lv_mut(vg, lv) {
            l.mount = LvMount::Listed;
        }
        let m = Mount {
            source,
            options: self.strings[options_number as usize].clone(),
            implied_dir,
        };
        self.mounts.insert(key, m);
    }

    /// Unmounts `dir`; its `(vg, lv)`.
    pub fn remove_mount(&mut self, dir: &str) -> Option<(String, String)> {
        let (vg, lv, implied_dir) = self.take_mount(&Name::new(dir))?;
        if implied_dir {
            self.dirs.entry(dir.to_string()).or_default();
        }
        Some((vg, lv))
    }

    /// The mount point of the first mount (by mount point) of the device `dev`.
    pub fn mount_of_device(&self, dev: &str) -> Option<String> {
        self.mount_list()
            .find(|(_, d, _)| d == dev)
            .map(|(dir, _, _)| dir)
    }

    /// Whether a mount point lies under `dir`.
    pub fn has_mount_under(&self, dir: &str) -> bool {
        if has_name_under(&self.mounts, dir) {
            return true;
        }
        // A mount kept on an LV is `<root>/<vg>/<lv>`, and an LV's name has no '/':
        // it lies under `dir` when `<root>/<vg>/` starts with `dir/`.
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.vgs.iter().any(|(vg, v)| {
            format!("{BRICK_MOUNT_ROOT}/{vg}/").starts_with(&prefix)
                && v.lvs
                    .values()
                    .any(|l| matches!(l.mount, LvMount::Implied { .. }))
        })
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
            if let Some(source) = self.mount_at(&Name::new(candidate)) {
                best = Some(source);
                break;
            }
            match candidate.rfind('/') {
                Some(0) if candidate.len() > 1 => candidate = "/",
                Some(i) if i > 0 => candidate = &candidate[..i],
                _ => break,
            }
        }
        match best {
            Some((vg, lv)) => Loc::Fs {
                vg,
                lv,
                rel: path[candidate.len()..].trim_start_matches('/').to_string(),
            },
            None => Loc::Root(path.to_string()),
        }
    }

    fn fs_dirs_mut(&mut self, vg: &str, lv: &str) -> Option<&mut DirMap> {
        self.vgs
            .get_mut(vg)?
            .lv_mut(lv)?
            .fs
            .as_mut()
            .map(|f| &mut f.dirs)
    }

    fn fs_dirs(&self, vg: &str, lv: &str) -> Option<&DirMap> {
        self.vgs.get(vg)?.lv(lv)?.fs.as_ref().map(|f| &f.dirs)
    }

    pub fn dir_meta(&self, path: &str) -> Option<DirMeta> {
        match self.locate(path) {
            Loc::Root(p) => self.dirs.get(&p).cloned(),
            Loc::Fs { vg, lv, rel } => self.fs_dirs(&vg, &lv)?.get(&rel),
        }
    }

    /// Changes the metadata of the directory `path` with `f`; `false` when there is no
    /// such directory.
    pub fn update_dir(&mut self, path: &str, f: impl FnOnce(&mut DirMeta)) -> bool {
        match self.locate(path) {
            Loc::Root(p) => match self.dirs.get_mut(&p) {
                Some(m) => {
                    f(m);
                    true
                }
                None => false,
            },
            Loc::Fs { vg, lv, rel } => self
                .fs_dirs_mut(&vg, &lv)
                .is_some_and(|d| d.update(&rel, f)),
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
        if self.is_mount_point(path) {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const X: &str = "0123456789abcdef0123456789abcdef";
    const Y: &str = "fedcba9876543210fedcba9876543210";
    const Z: &str = "00000000000000000000000000000000";

    /// `(vg, lv)` of the LVs the mount test uses; the last does not exist.
    fn lvs() -> Vec<(String, String)> {
        vec![
            (format!("vg_{X}"), format!("brick_{Y}")),
            (format!("vg_{X}"), format!("brick_{Z}")),
            ("vg_other".to_string(), "lv1".to_string()),
            (format!("vg_{X}"), format!("brick_{X}")),
        ]
    }

    /// Mount points: those the LVs' names imply, one implied by names of an LV that
    /// does not match, and others.
    fn mount_dirs() -> Vec<String> {
        vec![
            format!("{BRICK_MOUNT_ROOT}/vg_{X}/brick_{Y}"),
            format!("{BRICK_MOUNT_ROOT}/vg_{X}/brick_{Z}"),
            format!("{BRICK_MOUNT_ROOT}/vg_other/lv1"),
            format!("{BRICK_MOUNT_ROOT}/vg_{X}/brick_{X}"),
            format!("{BRICK_MOUNT_ROOT}/vg_{Z}/brick_{Y}"),
            "/mnt/a".to_string(),
            "/run/snaps/x".to_string(),
        ]
    }

    fn test_node() -> Node {
        let mut n = Node::new("m", "s", 1, "/etc/fstab");
        for (vg, lv) in lvs().into_iter().take(3) {
            let v = n.vgs.entry(vg).or_insert_with(|| Vg {
                pv: "/dev/vdb".into(),
                uuid: "u".into(),
                extent_kib: 4096,
                total_extents: 1000,
                lvs: LvMap::default(),
                allocated: 0,
            });
            let mut l = Lv::new(LvKind::Thin {
                pool: None,
                virtual_kib: 1,
            });
            l.fs = Some(Box::new(Xfs {
                arbiter: false,
                stripe: None,
                dirs: DirMap::fresh_brick(0),
            }));
            v.insert_lv(&lv, l);
        }
        // Some mount points exist as directories, one with metadata of its own.
        for d in &mount_dirs()[..3] {
            n.mkdir_root_p(d);
        }
        n.mkdir_root_p("/mnt/a");
        n.dirs.insert(
            "/mnt/a".into(),
            DirMeta {
                gid: Some(5),
                ..DirMeta::default()
            },
        );
        n
    }

    proptest! {
        /// Mounts kept on their LVs read as mounts kept in the map do: any sequence of
        /// mounts and unmounts leaves the listing, the mount points, the LVs' mounted
        /// flags, the root directories and path lookups as a plain map of mounts says.
        #[test]
        fn mounts_read_the_same_wherever_they_are_kept(
            ops in proptest::collection::vec((any::<bool>(), 0usize..7, 0usize..4, 0usize..2), 0..40)
        ) {
            let (lvs, dirs) = (lvs(), mount_dirs());
            let options = ["rw,inode64,noatime,nouuid", "ro"];
            let mut node = test_node();
            let root_dirs = node.root_dirs();
            let mut model: BTreeMap<String, (String, String, &str)> = BTreeMap::new();
            for (add, d, l, o) in ops {
                let dir = &dirs[d];
                if add {
                    let (vg, lv) = &lvs[l];
                    node.add_mount(dir, vg, lv, options[o]);
                    model.insert(dir.clone(), (vg.clone(), lv.clone(), options[o]));
                } else {
                    let got = node.remove_mount(dir);
                    let want = model.remove(dir).map(|(vg, lv, _)| (vg, lv));
                    prop_assert_eq!(got, want);
                }
                let listed: Vec<(String, String, String)> = node
                    .mount_list()
                    .map(|(d, dev, o)| (d, dev, o.to_string()))
                    .collect();
                let expected: Vec<(String, String, String)> = model
                    .iter()
                    .map(|(d, (vg, lv, o))| (d.clone(), mapper_name(vg, lv), o.to_string()))
                    .collect();
                prop_assert_eq!(listed, expected);
                for d in &dirs {
                    prop_assert_eq!(node.is_mount_point(d), model.contains_key(d), "{}", d);
                    let loc = node.locate(&format!("{d}/brick"));
                    let want = match model.get(d) {
                        Some((vg, lv, _)) => Loc::Fs {
                            vg: vg.clone(),
                            lv: lv.clone(),
                            rel: "brick".into(),
                        },
                        None => Loc::Root(format!("{d}/brick")),
                    };
                    prop_assert_eq!(loc, want);
                }
                for (vg, lv) in lvs.iter().take(3) {
                    // Mounted while any mount point has it (an LV may be mounted twice).
                    let want = model.values().any(|(v, l, _)| v == vg && l == lv);
                    prop_assert_eq!(node.lv_mounted(vg, lv), want, "{}/{}", vg, lv);
                }
                for under in ["/", "/var/lib", BRICK_MOUNT_ROOT, &format!("{BRICK_MOUNT_ROOT}/vg_{X}"),
                              &format!("{BRICK_MOUNT_ROOT}/vg_{Z}"), "/mnt", &dirs[0]] {
                    let prefix = format!("{}/", under.trim_end_matches('/'));
                    let want = model.keys().any(|d| d.starts_with(&prefix));
                    prop_assert_eq!(node.has_mount_under(under), want, "under {}", under);
                }
                prop_assert_eq!(node.root_dirs(), root_dirs.clone());
            }
        }
    }

    /// A brick file system made by commands (`mkfs`, then `mkdir brick`) is kept as
    /// compactly as one restored from the records, and reads the same either way.
    #[test]
    fn a_brick_made_by_commands_is_kept_fresh() {
        let meta = DirMeta {
            gid: Some(2000),
            ..DirMeta::default()
        };
        let mut dirs = DirMap::root_only();
        dirs.insert("brick".into(), meta.clone());
        assert!(matches!(dirs, DirMap::Fresh { .. }), "{dirs:?}");
        assert_eq!(dirs.get("brick").and_then(|m| m.gid), Some(2000));
        assert!(dirs.get("").is_some_and(|m| m.is_default()));
        dirs.insert("brick/sub".into(), DirMeta::default());
        assert!(matches!(dirs, DirMap::Any(_)));
        assert!(dirs.has_key_under("brick"));
        dirs.remove("brick/sub");
        assert!(matches!(dirs, DirMap::Fresh { .. }));
        assert!(!dirs.has_key_under("brick"));
        // The brick's metadata changes in place while it keeps a fresh brick's form.
        assert!(dirs.update("brick", |m| {
            m.mode = Some(SETGID_MODE.clone());
            m.volume_id = Some(Arc::from("v1"));
        }));
        assert!(matches!(dirs, DirMap::Fresh { .. }));
        let got = dirs.get("brick").unwrap();
        assert_eq!(
            (got.gid, got.mode.as_deref(), got.volume_id.as_deref()),
            (Some(2000), Some("2775"), Some("v1"))
        );
        // Another mode, or a gid of 0, reads back as set.
        assert!(dirs.update("brick", |m| m.mode = Some(Arc::from("0755"))));
        assert!(matches!(dirs, DirMap::Any(_)));
        assert_eq!(dirs.get("brick").unwrap().mode.as_deref(), Some("0755"));
        assert!(dirs.update("brick", |m| {
            m.mode = None;
            m.gid = Some(0);
        }));
        assert!(matches!(dirs, DirMap::Fresh { .. }));
        assert_eq!(dirs.get("brick").unwrap().gid, Some(0));
        assert!(!dirs.update("nothing", |m| m.gid = Some(3)));
        assert!(matches!(dirs, DirMap::Fresh { .. }));
        // A root with changed metadata is not a fresh brick's.
        let mut other = DirMap::root_only();
        assert!(other.update("", |m| m.gid = Some(1)));
        other.insert("brick".into(), meta);
        assert!(matches!(other, DirMap::Any(_)));
    }
}
