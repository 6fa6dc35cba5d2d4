//! Heketi's exact command lines, built from requests and a [`CommandConfig`].
//!
//! Pure functions: no I/O. The command layer ([`CommandExecutor`](super::CommandExecutor))
//! decides how they are batched and what their failures mean; the mock interprets them.

use super::{BRICK_MOUNT_ROOT, BrickFormat, BrickRequest, CommandConfig, VolumeRequest};

/// `/usr/sbin/lvm`, behind the configured wrapper if any.
pub fn lvm(cfg: &CommandConfig) -> String {
    match &cfg.lvm_wrapper {
        Some(w) if !w.is_empty() => format!("{w} /usr/sbin/lvm"),
        _ => "/usr/sbin/lvm".to_string(),
    }
}

/// `/usr/bin/udevadm`, behind the configured wrapper if any.
pub fn udevadm(cfg: &CommandConfig) -> String {
    match &cfg.lvm_wrapper {
        Some(w) if !w.is_empty() => format!("{w} /usr/bin/udevadm"),
        _ => "/usr/bin/udevadm".to_string(),
    }
}

/// `gluster --mode=script --timeout=<T>`.
pub fn gluster(cfg: &CommandConfig) -> String {
    format!(
        "gluster --mode=script --timeout={}",
        cfg.gluster_cli_timeout
    )
}

/// `systemctl status glusterd` (Heketi's check).
pub fn glusterd_status() -> String {
    "systemctl status glusterd".to_string()
}

/// `pidof glusterd`: the check on nodes without systemd.
pub fn glusterd_pidof() -> String {
    "pidof glusterd".to_string()
}

/// Did `systemctl` fail because there is no systemd to ask (not installed, or not the
/// init system: containers, minimal VMs), rather than because glusterd is down?
pub fn systemd_absent(exit_status: Option<i32>, stderr: &str) -> bool {
    let s = stderr.to_lowercase();
    exit_status == Some(127)
        || s.contains("not been booted with systemd")
        || s.contains("failed to connect to bus")
        || s.contains("systemctl: command not found")
        || s.contains("systemctl: not found")
}

/// `/var/lib/heketi/mounts/vg_<id>`: parent of the device's brick mounts.
pub fn vg_mount_parent(vg_id: &str) -> String {
    format!("{BRICK_MOUNT_ROOT}/vg_{vg_id}")
}

// ---- device ----

/// `wipefs --all <dev>`.
pub fn wipefs(device: &str) -> String {
    format!("wipefs --all {device}")
}

/// `lvm pvcreate -qq --metadatasize=128M --dataalignment=<a> '<dev>'`.
pub fn pvcreate(cfg: &CommandConfig, device: &str) -> String {
    format!(
        "{} pvcreate -qq --metadatasize=128M --dataalignment={} '{device}'",
        lvm(cfg),
        cfg.pv_data_alignment
    )
}

/// `lvm vgcreate -qq --physicalextentsize=<e> --autobackup=<y|n> vg_<id> <dev>`.
pub fn vgcreate(cfg: &CommandConfig, vg_id: &str, device: &str) -> String {
    format!(
        "{} vgcreate -qq --physicalextentsize={} --autobackup={} vg_{vg_id} {device}",
        lvm(cfg),
        cfg.vg_physical_extent_size,
        cfg.autobackup()
    )
}

/// The device setup batch: `[wipefs]`, `pvcreate`, `vgcreate`.
pub fn device_setup(cfg: &CommandConfig, device: &str, vg_id: &str, destroy: bool) -> Vec<String> {
    let mut v = Vec::with_capacity(3);
    if destroy {
        v.push(wipefs(device));
    }
    v.push(pvcreate(cfg, device));
    v.push(vgcreate(cfg, vg_id, device));
    v
}

/// `lvm pvs -o pv_name,pv_uuid,vg_name --reportformat=json <dev>`.
pub fn pvs_identify(cfg: &CommandConfig, device: &str) -> String {
    format!(
        "{} pvs -o pv_name,pv_uuid,vg_name --reportformat=json {device}",
        lvm(cfg)
    )
}

/// `udevadm info --query=symlink --name=<dev>`.
pub fn udev_symlinks(cfg: &CommandConfig, device: &str) -> String {
    format!("{} info --query=symlink --name={device}", udevadm(cfg))
}

/// `lvm vgdisplay -c vg_<id>`.
pub fn vgdisplay(cfg: &CommandConfig, vg_id: &str) -> String {
    format!("{} vgdisplay -c vg_{vg_id}", lvm(cfg))
}

/// The teardown batch: `vgremove -qq vg_<id>`, `pvremove -qq '<dev>'`.
pub fn device_teardown(cfg: &CommandConfig, device: &str, vg_id: &str) -> Vec<String> {
    vec![
        format!("{} vgremove -qq vg_{vg_id}", lvm(cfg)),
        format!("{} pvremove -qq '{device}'", lvm(cfg)),
    ]
}

/// `rmdir <path>`.
pub fn rmdir(path: &str) -> String {
    format!("rmdir {path}")
}

// ---- brick ----

/// `lvm lvcreate … --thin vg/tp --virtualsize … --name brick_<id>`.
pub fn lvcreate_thin(cfg: &CommandConfig, b: &BrickRequest) -> String {
    let chunk = match b.format {
        BrickFormat::Arbiter => "256K",
        BrickFormat::Normal => cfg.lv_chunk_size.as_str(),
    };
    format!(
        "{} lvcreate -qq --autobackup={} --poolmetadatasize {}K --chunksize {chunk} --size {}K \
         --thin {}/{} --virtualsize {}K --name {}",
        lvm(cfg),
        cfg.autobackup(),
        b.pool_metadata_size,
        b.tp_size,
        b.vg_name(),
        b.tp_name(),
        b.size,
        b.lv_name()
    )
}

/// `mkfs.xfs` for the brick's format (with `-d su=,sw=` for data bricks when configured).
pub fn mkfs_xfs(cfg: &CommandConfig, b: &BrickRequest) -> String {
    match b.format {
        BrickFormat::Arbiter => format!("mkfs.xfs -i maxpct=100 -n size=8192 {}", b.dev_node()),
        BrickFormat::Normal if cfg.xfs_su > 0 && cfg.xfs_sw > 0 => format!(
            "mkfs.xfs -i size=512 -n size=8192 -d su={}k,sw={} {}",
            cfg.xfs_su,
            cfg.xfs_sw,
            b.dev_node()
        ),
        BrickFormat::Normal => format!("mkfs.xfs -i size=512 -n size=8192 {}", b.dev_node()),
    }
}

/// The brick's fstab line (`<dev> <mount> xfs <opts> 1 2`).
pub fn fstab_line(cfg: &CommandConfig, b: &BrickRequest) -> String {
    format!(
        "{} {} xfs {} 1 2",
        b.dev_node(),
        b.mount_dir(),
        cfg.mount_opts
    )
}

/// The awk one-liner appending the brick's fstab line.
pub fn fstab_append(cfg: &CommandConfig, b: &BrickRequest) -> String {
    format!(
        "awk \"BEGIN {{print \\\"{}\\\" >> \\\"{}\\\"}}\"",
        fstab_line(cfg, b),
        cfg.fstab
    )
}

/// `mount -o <opts> <devnode> <mount>`.
pub fn mount(cfg: &CommandConfig, b: &BrickRequest) -> String {
    format!(
        "mount -o {} {} {}",
        cfg.mount_opts,
        b.dev_node(),
        b.mount_dir()
    )
}

/// The brick create batch (one thin pool and one thin LV per brick).
pub fn brick_create(cfg: &CommandConfig, b: &BrickRequest) -> Vec<String> {
    let mut v = vec![
        format!("mkdir -p {}", b.mount_dir()),
        lvcreate_thin(cfg, b),
        mkfs_xfs(cfg, b),
        fstab_append(cfg, b),
        mount(cfg, b),
        format!("mkdir {}", b.brick_path()),
    ];
    if b.gid != 0 {
        v.push(format!("chown :{} {}", b.gid, b.brick_path()));
        v.push(format!("chmod 2775 {}", b.brick_path()));
    }
    v
}

/// `umount <mount>`.
pub fn umount(b: &BrickRequest) -> String {
    format!("umount {}", b.mount_dir())
}

/// `mount` (list mounts).
pub fn mount_list() -> String {
    "mount".to_string()
}

/// Does `command` rewrite or append to the fstab ([`fstab_append`], [`fstab_remove`])?
/// Such commands must not overlap on one node: `sed -i` reads the whole file and renames
/// a new one over it, so a line appended or removed meanwhile is lost or comes back.
pub fn edits_fstab(cfg: &CommandConfig, command: &str) -> bool {
    (command.starts_with("awk ") || command.starts_with("sed -i"))
        && command.contains(cfg.fstab.as_str())
}

/// `sed -i.save "/brick_<id>/d" <fstab>`.
pub fn fstab_remove(cfg: &CommandConfig, b: &BrickRequest) -> String {
    format!("sed -i.save \"/{}/d\" {}", b.lv_name(), cfg.fstab)
}

/// `lvm lvremove --autobackup=<y|n> -f <vg>/<lv>`.
pub fn lvremove(cfg: &CommandConfig, vg_lv: &str) -> String {
    format!(
        "{} lvremove --autobackup={} -f {vg_lv}",
        lvm(cfg),
        cfg.autobackup()
    )
}

/// `lvm lvs --noheadings --options=thin_count <vg>/<tp>`.
pub fn thin_count(cfg: &CommandConfig, vg_tp: &str) -> String {
    format!("{} lvs --noheadings --options=thin_count {vg_tp}", lvm(cfg))
}

// ---- gluster ----

/// `gluster … peer probe <host>`.
pub fn peer_probe(cfg: &CommandConfig, storage_host: &str) -> String {
    format!("{} peer probe {storage_host}", gluster(cfg))
}

/// `gluster … peer detach <host>`.
pub fn peer_detach(cfg: &CommandConfig, storage_host: &str) -> String {
    format!("{} peer detach {storage_host}", gluster(cfg))
}

/// `gluster … snapshot config snap-max-hard-limit <n>`.
pub fn snapshot_limit(cfg: &CommandConfig, limit: u32) -> String {
    format!(
        "{} snapshot config snap-max-hard-limit {limit}",
        gluster(cfg)
    )
}

fn durability_args(vol: &VolumeRequest) -> String {
    match vol.durability {
        super::VolumeDurability::Distribute => String::new(),
        super::VolumeDurability::Replicate { replica, arbiter } => {
            if arbiter {
                format!(" replica {replica} arbiter 1")
            } else {
                format!(" replica {replica}")
            }
        }
        super::VolumeDurability::Disperse { data, redundancy } => {
            format!(" disperse-data {data} redundancy {redundancy}")
        }
    }
}

fn brick_list<'a>(bricks: impl Iterator<Item = &'a super::BrickLocation>) -> String {
    bricks.map(|b| format!(" {}", b.gluster_name())).collect()
}

/// `volume add-brick` commands for `vol.bricks[start..]`, chunked by whole sets.
pub fn add_bricks(cfg: &CommandConfig, vol: &VolumeRequest, start: usize) -> Vec<String> {
    let per = vol.durability.set_size().max(1) * vol.durability.sets_per_add_brick();
    vol.bricks
        .get(start..)
        .unwrap_or_default()
        .chunks(per)
        .map(|chunk| {
            format!(
                "{} volume add-brick {}{}",
                gluster(cfg),
                vol.name,
                brick_list(chunk.iter())
            )
        })
        .collect()
}

/// `volume set <name> <key> <value>`, one per non-empty option.
pub fn volume_set_options(cfg: &CommandConfig, vol: &VolumeRequest) -> Vec<String> {
    vol.options
        .iter()
        .filter(|o| !o.trim().is_empty())
        .map(|o| format!("{} volume set {} {}", gluster(cfg), vol.name, o.trim()))
        .collect()
}

/// The volume create batch: create with the first set, add-brick the rest, set each
/// option, start.
pub fn volume_create(cfg: &CommandConfig, vol: &VolumeRequest) -> Vec<String> {
    let first = vol.durability.set_size().min(vol.bricks.len());
    let mut v = vec![format!(
        "{} volume create {}{}{}",
        gluster(cfg),
        vol.name,
        durability_args(vol),
        brick_list(vol.bricks[..first].iter())
    )];
    v.extend(add_bricks(cfg, vol, first));
    v.extend(volume_set_options(cfg, vol));
    v.push(format!("{} volume start {}", gluster(cfg), vol.name));
    v
}

/// `volume rebalance <name> start`.
pub fn volume_rebalance_start(cfg: &CommandConfig, name: &str) -> String {
    format!("{} volume rebalance {name} start", gluster(cfg))
}

/// `volume stop <name> force`.
pub fn volume_stop_force(cfg: &CommandConfig, name: &str) -> String {
    format!("{} volume stop {name} force", gluster(cfg))
}

/// `volume delete <name>`.
pub fn volume_delete(cfg: &CommandConfig, name: &str) -> String {
    format!("{} volume delete {name}", gluster(cfg))
}

/// `volume info <name> --xml`, or `volume info --xml` for all volumes.
pub fn volume_info(cfg: &CommandConfig, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{} volume info {n} --xml", gluster(cfg)),
        None => format!("{} volume info --xml", gluster(cfg)),
    }
}

// ---- volume clone (gluster snapshots) ----

/// `gluster … --xml snapshot create <snap> <volume> no-timestamp`.
pub fn snapshot_create(cfg: &CommandConfig, snapshot: &str, volume: &str) -> String {
    format!(
        "{} --xml snapshot create {snapshot} {volume} no-timestamp",
        gluster(cfg)
    )
}

/// `gluster … --xml snapshot activate <snap>`.
pub fn snapshot_activate(cfg: &CommandConfig, snapshot: &str) -> String {
    format!("{} --xml snapshot activate {snapshot}", gluster(cfg))
}

/// `gluster … --xml snapshot deactivate <snap>`.
pub fn snapshot_deactivate(cfg: &CommandConfig, snapshot: &str) -> String {
    format!("{} --xml snapshot deactivate {snapshot}", gluster(cfg))
}

/// `gluster … --xml snapshot clone <clone> <snap>`.
pub fn snapshot_clone(cfg: &CommandConfig, clone: &str, snapshot: &str) -> String {
    format!("{} --xml snapshot clone {clone} {snapshot}", gluster(cfg))
}

/// `gluster … --xml snapshot delete <snap>`.
pub fn snapshot_delete(cfg: &CommandConfig, snapshot: &str) -> String {
    format!("{} --xml snapshot delete {snapshot}", gluster(cfg))
}

/// `lvm lvs --noheadings --options=data_percent,metadata_percent <vg>/<pool>`: how
/// full a thin pool is.
pub fn thin_pool_usage(cfg: &CommandConfig, vg_pool: &str) -> String {
    format!(
        "{} lvs --noheadings --options=data_percent,metadata_percent {vg_pool}",
        lvm(cfg)
    )
}

/// `gluster … --xml volume start <name>` (how Heketi starts a clone).
pub fn volume_start_xml(cfg: &CommandConfig, name: &str) -> String {
    format!("{} --xml volume start {name}", gluster(cfg))
}

// ---- brick replacement (brick evict, device and node removal) ----

/// `volume replace-brick <name> <old host:path> <new host:path> commit force`.
pub fn volume_replace_brick(
    cfg: &CommandConfig,
    name: &str,
    old: &super::BrickLocation,
    new: &super::BrickLocation,
) -> String {
    format!(
        "{} volume replace-brick {name} {} {} commit force",
        gluster(cfg),
        old.gluster_name(),
        new.gluster_name()
    )
}

/// `volume heal <name> full`: launches a full self-heal crawl now instead of waiting for
/// the self-heal daemon's next periodic index crawl (`cluster.heal-timeout`, 600 s).
pub fn volume_heal_full(cfg: &CommandConfig, name: &str) -> String {
    format!("{} volume heal {name} full", gluster(cfg))
}

/// `volume heal <name> info --xml`.
pub fn volume_heal_info(cfg: &CommandConfig, name: &str) -> String {
    format!("{} volume heal {name} info --xml", gluster(cfg))
}

// ---- node inventory (reconcile) ----

/// The kernel's table of mounted file systems.
pub const PROC_MOUNTS: &str = "/proc/mounts";

/// `lvm lvs --reportformat=json --units=k --nosuffix -o vg_name,lv_name,pool_lv,segtype,lv_size`:
/// every LV (sizes in KiB).
pub fn lvs_report(cfg: &CommandConfig) -> String {
    format!(
        "{} lvs --reportformat=json --units=k --nosuffix -o vg_name,lv_name,pool_lv,segtype,lv_size",
        lvm(cfg)
    )
}

/// `lvm vgs --reportformat=json --units=k --nosuffix -o vg_name,vg_size,vg_free,vg_extent_size`.
pub fn vgs_report(cfg: &CommandConfig) -> String {
    format!(
        "{} vgs --reportformat=json --units=k --nosuffix -o vg_name,vg_size,vg_free,vg_extent_size",
        lvm(cfg)
    )
}

/// `lvm pvs -o pv_name,pv_uuid,vg_name --reportformat=json`: every PV.
pub fn pvs_report(cfg: &CommandConfig) -> String {
    format!(
        "{} pvs -o pv_name,pv_uuid,vg_name --reportformat=json",
        lvm(cfg)
    )
}

/// `cat <file>`.
pub fn cat(path: &str) -> String {
    format!("cat {path}")
}

/// `gluster … peer status --xml`.
pub fn peer_status(cfg: &CommandConfig) -> String {
    format!("{} peer status --xml", gluster(cfg))
}
