//! LVM, wipefs and udevadm as the mock understands them.

use super::node::{Lv, LvKind, Pv, Vg, mapper_name};
use super::shell::size_kib;
use super::{Reply, World};

const LVM_FAILED: i32 = 5;
const LVM_BAD_ARGS: i32 = 3;

fn bad_args(cmd: &str, arg: &str) -> Reply {
    Reply::err(
        LVM_BAD_ARGS,
        format!(
            "{cmd}: unrecognised option or argument '{arg}'\n  Run `{cmd} --help' for more information."
        ),
    )
}

fn failed(msg: impl Into<String>) -> Reply {
    Reply::err(LVM_FAILED, msg)
}

/// `--name=value` or `--name value`.
struct Args<'a> {
    words: &'a [String],
    i: usize,
}

impl<'a> Args<'a> {
    fn new(words: &'a [String]) -> Args<'a> {
        Args { words, i: 0 }
    }
    /// Next word as (option name without dashes, inline value) or positional.
    fn next(&mut self) -> Option<(&'a str, Option<&'a str>)> {
        let w = self.words.get(self.i)?;
        self.i += 1;
        Some(match w.split_once('=') {
            Some((k, v)) if k.starts_with('-') => (k, Some(v)),
            _ => (w.as_str(), None),
        })
    }
    fn value(&mut self, inline: Option<&'a str>) -> Option<&'a str> {
        if inline.is_some() {
            return inline;
        }
        let w = self.words.get(self.i)?;
        self.i += 1;
        Some(w.as_str())
    }
}

impl World {
    pub(super) fn lvm(&mut self, host: &str, words: &[String]) -> Reply {
        let Some((sub, rest)) = words.split_first() else {
            return Reply::unsupported("lvm");
        };
        match sub.as_str() {
            "pvcreate" => self.pvcreate(host, rest),
            "vgcreate" => self.vgcreate(host, rest),
            "pvs" => self.pvs(host, rest),
            "vgdisplay" => self.vgdisplay(host, rest),
            "vgremove" => self.vgremove(host, rest),
            "pvremove" => self.pvremove(host, rest),
            "lvcreate" => self.lvcreate(host, rest),
            "lvremove" => self.lvremove(host, rest),
            "lvs" => self.lvs(host, rest),
            "vgs" => self.vgs_report(host, rest),
            "lvextend" => self.lvextend(host, rest),
            other => Reply::unsupported(&format!("lvm {other}")),
        }
    }

    fn pvcreate(&mut self, host: &str, args: &[String]) -> Reply {
        let (mut meta, mut align, mut dev) = (1024u64, 1024u64, None);
        let mut a = Args::new(args);
        while let Some((k, v)) = a.next() {
            match k {
                "-qq" | "-q" | "-y" => {}
                "--metadatasize" => match a.value(v).and_then(size_kib) {
                    Some(s) => meta = s,
                    None => return bad_args("pvcreate", k),
                },
                "--dataalignment" => match a.value(v).and_then(size_kib) {
                    Some(s) if s > 0 => align = s,
                    _ => return bad_args("pvcreate", k),
                },
                p if !p.starts_with('-') && dev.is_none() => dev = Some(p.to_string()),
                other => return bad_args("pvcreate", other),
            }
        }
        let Some(dev) = dev else {
            return bad_args("pvcreate", "(no device)");
        };
        let default = self.config.default_device_size_kib;
        let uuid = self.lvm_uuid();
        let node = self.node_mut(host);
        let dev = node.resolve_device(&dev);
        let Some(disk) = node.disk_size(&dev, default) else {
            return failed(format!("  No device found for {dev}."));
        };
        if let Some(Pv { vg: Some(vg), .. }) = node.pvs.get(&dev) {
            return failed(format!(
                "  Can't initialize physical volume \"{dev}\" of volume group \"{vg}\" without -ff\n  {dev}: physical volume not initialized."
            ));
        }
        let pe_start = (4 + meta).div_ceil(align) * align;
        if disk <= pe_start {
            return failed(format!(
                "  {dev}: device is too small for the metadata area"
            ));
        }
        node.pvs.insert(
            dev.clone(),
            Pv {
                uuid,
                data_kib: disk - pe_start,
                vg: None,
            },
        );
        Reply::ok("")
    }

    fn vgcreate(&mut self, host: &str, args: &[String]) -> Reply {
        let mut extent = 4096u64;
        let mut pos = Vec::new();
        let mut a = Args::new(args);
        while let Some((k, v)) = a.next() {
            match k {
                "-qq" | "-q" | "-y" => {}
                "--physicalextentsize" | "-s" => match a.value(v).and_then(size_kib) {
                    Some(s) if s > 0 => extent = s,
                    _ => return bad_args("vgcreate", k),
                },
                "--autobackup" => {
                    if !matches!(a.value(v), Some("y" | "n")) {
                        return bad_args("vgcreate", k);
                    }
                }
                p if !p.starts_with('-') => pos.push(p.to_string()),
                other => return bad_args("vgcreate", other),
            }
        }
        let [vg, dev] = pos.as_slice() else {
            return bad_args("vgcreate", &pos.join(" "));
        };
        let uuid = self.lvm_uuid();
        let node = self.node_mut(host);
        let dev = node.resolve_device(dev);
        if node.vgs.contains_key(vg) {
            return failed(format!("  A volume group called {vg} already exists."));
        }
        let Some(pv) = node.pvs.get_mut(&dev) else {
            return failed(format!("  No device found for {dev}."));
        };
        if let Some(other) = &pv.vg {
            return failed(format!(
                "  Physical volume '{dev}' is already in volume group '{other}'\n  Unable to add physical volume '{dev}' to volume group '{vg}'"
            ));
        }
        pv.vg = Some(vg.clone());
        let total_extents = pv.data_kib / extent;
        node.vgs.insert(
            vg.clone(),
            Vg {
                pv: dev,
                uuid,
                extent_kib: extent,
                total_extents,
                lvs: Default::default(),
                allocated: 0,
            },
        );
        Reply::ok("")
    }

    fn pvs(&mut self, host: &str, args: &[String]) -> Reply {
        let expected = ["-o", "pv_name,pv_uuid,vg_name", "--reportformat=json"];
        if args.len() == 3 && args.iter().map(String::as_str).eq(expected) {
            return self.pvs_all(host);
        }
        let [o, fields, fmt, dev] = args else {
            return Reply::unsupported(&format!("lvm pvs {}", args.join(" ")));
        };
        if [o.as_str(), fields.as_str(), fmt.as_str()] != expected {
            return Reply::unsupported(&format!("lvm pvs {}", args.join(" ")));
        }
        let node = self.node_mut(host);
        let dev = node.resolve_device(dev);
        let Some(pv) = node.pvs.get(&dev) else {
            return failed(format!("  Failed to find physical volume \"{dev}\"."));
        };
        let row = serde_json::json!({
            "pv_name": dev,
            "pv_uuid": pv.uuid,
            "vg_name": pv.vg.clone().unwrap_or_default(),
        });
        let doc = serde_json::json!({"report": [{"pv": [row]}]});
        Reply::ok(format!(
            "  {}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ))
    }

    fn vgdisplay(&mut self, host: &str, args: &[String]) -> Reply {
        let [c, vg] = args else {
            return Reply::unsupported(&format!("lvm vgdisplay {}", args.join(" ")));
        };
        if c != "-c" {
            return Reply::unsupported(&format!("lvm vgdisplay {}", args.join(" ")));
        }
        let node = self.node_mut(host);
        let Some(v) = node.vgs.get(vg) else {
            return failed(format!("  Volume group \"{vg}\" not found"));
        };
        let open = v.lvs.values().filter(|l| l.mounted()).count();
        Reply::ok(format!(
            "  {vg}:r/w:772:-1:0:{}:{open}:-1:0:1:1:{}:{}:{}:{}:{}:{}\n",
            v.lvs.len(),
            v.total_extents * v.extent_kib,
            v.extent_kib,
            v.total_extents,
            v.allocated_extents(),
            v.free_extents(),
            v.uuid
        ))
    }

    fn vgremove(&mut self, host: &str, args: &[String]) -> Reply {
        let pos: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        if args
            .iter()
            .any(|a| a.starts_with('-') && a != "-qq" && a != "-q")
        {
            return bad_args("vgremove", &args.join(" "));
        }
        let [vg] = pos.as_slice() else {
            return bad_args("vgremove", &args.join(" "));
        };
        let node = self.node_mut(host);
        let Some(v) = node.vgs.get(vg.as_str()) else {
            return failed(format!(
                "  Volume group \"{vg}\" not found\n  Cannot process volume group {vg}"
            ));
        };
        if !v.lvs.is_empty() {
            return failed(format!(
                "  Volume group \"{vg}\" still contains {} logical volume(s)",
                v.lvs.len()
            ));
        }
        let pv = v.pv.clone();
        node.vgs.remove(vg.as_str());
        if let Some(p) = node.pvs.get_mut(&pv) {
            p.vg = None;
        }
        Reply::ok("")
    }

    fn pvremove(&mut self, host: &str, args: &[String]) -> Reply {
        let pos: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        if args
            .iter()
            .any(|a| a.starts_with('-') && a != "-qq" && a != "-q")
        {
            return bad_args("pvremove", &args.join(" "));
        }
        let [dev] = pos.as_slice() else {
            return bad_args("pvremove", &args.join(" "));
        };
        let node = self.node_mut(host);
        let dev = node.resolve_device(dev);
        match node.pvs.get(&dev) {
            None => failed(format!("  No PV found on device {dev}.")),
            Some(Pv { vg: Some(vg), .. }) => failed(format!(
                "  PV {dev} is used by VG {vg} so please use vgreduce first.\n  (If you are certain you need pvremove, then confirm by using --force twice.)"
            )),
            Some(_) => {
                node.pvs.remove(&dev);
                Reply::ok("")
            }
        }
    }

    fn lvcreate(&mut self, host: &str, args: &[String]) -> Reply {
        let (mut meta, mut size, mut thin, mut virt, mut name) = (None, None, None, None, None);
        let mut a = Args::new(args);
        while let Some((k, v)) = a.next() {
            match k {
                "-qq" | "-q" | "-y" => {}
                "--autobackup" => {
                    if !matches!(a.value(v), Some("y" | "n")) {
                        return bad_args("lvcreate", k);
                    }
                }
                "--chunksize" => {
                    if a.value(v).and_then(size_kib).is_none() {
                        return bad_args("lvcreate", k);
                    }
                }
                "--poolmetadatasize" => meta = a.value(v).and_then(size_kib),
                "--size" => size = a.value(v).and_then(size_kib),
                "--virtualsize" => virt = a.value(v).and_then(size_kib),
                "--thin" => thin = a.value(v).map(str::to_string),
                "--name" => name = a.value(v).map(str::to_string),
                other => return bad_args("lvcreate", other),
            }
        }
        let (Some(meta), Some(size), Some(thin), Some(virt), Some(name)) =
            (meta, size, thin, virt, name)
        else {
            return Reply::unsupported(&format!(
                "lvm lvcreate {} (only the thin pool + thin LV form)",
                args.join(" ")
            ));
        };
        let Some((vg, tp)) = thin.split_once('/') else {
            return bad_args("lvcreate", &thin);
        };
        let node = self.node_mut(host);
        let Some(v) = node.vgs.get_mut(vg) else {
            return failed(format!(
                "  Volume group \"{vg}\" not found\n  Cannot process volume group {vg}"
            ));
        };
        for lv in [tp, name.as_str()] {
            if v.has_lv(lv) {
                return failed(format!(
                    "  Logical Volume \"{lv}\" already exists in volume group \"{vg}\""
                ));
            }
        }
        let extents = size.div_ceil(v.extent_kib) + meta.div_ceil(v.extent_kib);
        let free = v.free_extents();
        if extents > free {
            return failed(format!(
                "  Volume group \"{vg}\" has insufficient free space ({free} extents): {extents} required."
            ));
        }
        v.insert_lv(
            tp,
            Lv::new(LvKind::Pool {
                data_kib: size.div_ceil(v.extent_kib) * v.extent_kib,
                meta_kib: meta.div_ceil(v.extent_kib) * v.extent_kib,
            }),
        );
        v.insert_lv(&name, Lv::thin(&name.as_str().into(), &tp.into(), virt));
        Reply::ok("")
    }

    fn lvremove(&mut self, host: &str, args: &[String]) -> Reply {
        let mut target = None;
        let mut a = Args::new(args);
        while let Some((k, v)) = a.next() {
            match k {
                "-f" | "-ff" | "-qq" | "-q" | "-y" => {}
                "--autobackup" => {
                    if !matches!(a.value(v), Some("y" | "n")) {
                        return bad_args("lvremove", k);
                    }
                }
                p if !p.starts_with('-') && target.is_none() => target = Some(p.to_string()),
                other => return bad_args("lvremove", other),
            }
        }
        let Some(target) = target else {
            return bad_args("lvremove", "(no LV)");
        };
        let node = self.node_mut(host);
        let found = match target.split_once('/') {
            Some((vg, lv)) if !target.starts_with('/') => node
                .vgs
                .get(vg)
                .filter(|v| v.has_lv(lv))
                .map(|_| (vg.to_string(), lv.to_string())),
            _ => node.lv_by_dev(&target),
        };
        let Some((vg, lv)) = found else {
            return failed(format!("  Failed to find logical volume \"{target}\""));
        };
        let Some(v) = node.vgs.get(&vg) else {
            return failed(format!("  Volume group \"{vg}\" not found"));
        };
        // A pool goes with its thin volumes (-f answers the prompt).
        let mut victims = vec![lv.clone()];
        if let Some(Lv {
            kind: LvKind::Pool { .. },
            ..
        }) = v.lv(&lv)
        {
            let pool = lv.as_str().into();
            victims.extend(
                v.lvs
                    .iter()
                    .filter(|(n, l)| l.in_pool(n, &pool))
                    .map(|(n, _)| n.to_string()),
            );
        }
        if let Some(busy) = victims.iter().find(|l| node.lv_mounted(&vg, l)) {
            return failed(format!(
                "  Logical volume {vg}/{busy} contains a filesystem in use."
            ));
        }
        if let Some(v) = node.vgs.get_mut(&vg) {
            for l in victims {
                v.remove_lv(&l);
            }
        }
        Reply::ok("")
    }

    fn lvs(&mut self, host: &str, args: &[String]) -> Reply {
        let report = [
            "--reportformat=json",
            "--units=k",
            "--nosuffix",
            "-o",
            "vg_name,lv_name,pool_lv,segtype,lv_size",
        ];
        if args.iter().map(String::as_str).eq(report) {
            return self.lvs_report(host);
        }
        let [nh, opt, target] = args else {
            return Reply::unsupported(&format!("lvm lvs {}", args.join(" ")));
        };
        if nh == "--noheadings" && opt == "--options=data_percent,metadata_percent" {
            return self.lvs_pool_usage(host, target); // see snapshot.rs
        }
        if nh != "--noheadings" || opt != "--options=thin_count" {
            return Reply::unsupported(&format!("lvm lvs {}", args.join(" ")));
        }
        let node = self.node_mut(host);
        let Some((vg, lv)) = target.split_once('/') else {
            return failed(format!("  Volume group \"{target}\" not found"));
        };
        let Some(v) = node.vgs.get(vg) else {
            return failed(format!(
                "  Volume group \"{vg}\" not found\n  Cannot process volume group {vg}"
            ));
        };
        match v.lv(lv) {
            None => failed(format!("  Failed to find logical volume \"{vg}/{lv}\"")),
            Some(Lv {
                kind: LvKind::Pool { .. },
                ..
            }) => {
                let pool = lv.into();
                let n = v.lvs.iter().filter(|(n, l)| l.in_pool(n, &pool)).count();
                Reply::ok(format!("  {n:>10}\n"))
            }
            Some(_) => Reply::ok(format!("  {:>10}\n", "")),
        }
    }

    /// `pvs -o pv_name,pv_uuid,vg_name --reportformat=json` without a device: every PV.
    fn pvs_all(&mut self, host: &str) -> Reply {
        let node = self.node_mut(host);
        let rows: Vec<serde_json::Value> = node
            .pvs
            .iter()
            .map(|(dev, pv)| {
                serde_json::json!({
                    "pv_name": dev,
                    "pv_uuid": pv.uuid,
                    "vg_name": pv.vg.clone().unwrap_or_default(),
                })
            })
            .collect();
        json_report("pv", rows)
    }

    /// `lvs --reportformat=json --units=k --nosuffix -o vg_name,lv_name,pool_lv,segtype,lv_size`.
    fn lvs_report(&mut self, host: &str) -> Reply {
        let node = self.node_mut(host);
        let mut rows = Vec::new();
        for (vg, v) in &node.vgs {
            for (name, lv) in v.lvs.iter() {
                let (pool, segtype, size) = match &lv.kind {
                    LvKind::Pool { data_kib, .. } => (String::new(), "thin-pool", data_kib),
                    LvKind::Thin { virtual_kib, .. } => (
                        lv.pool(&name).map(|p| p.to_string()).unwrap_or_default(),
                        "thin",
                        virtual_kib,
                    ),
                };
                rows.push(serde_json::json!({
                    "vg_name": vg,
                    "lv_name": name.to_string(),
                    "pool_lv": pool,
                    "segtype": segtype,
                    "lv_size": format!("{size}.00"),
                }));
            }
        }
        json_report("lv", rows)
    }

    /// `vgs --reportformat=json --units=k --nosuffix -o vg_name,vg_size,vg_free,vg_extent_size`.
    fn vgs_report(&mut self, host: &str, args: &[String]) -> Reply {
        let expected = [
            "--reportformat=json",
            "--units=k",
            "--nosuffix",
            "-o",
            "vg_name,vg_size,vg_free,vg_extent_size",
        ];
        if !args.iter().map(String::as_str).eq(expected) {
            return Reply::unsupported(&format!("lvm vgs {}", args.join(" ")));
        }
        let node = self.node_mut(host);
        let rows = node
            .vgs
            .iter()
            .map(|(name, v)| {
                serde_json::json!({
                    "vg_name": name,
                    "vg_size": format!("{}.00", v.total_extents * v.extent_kib),
                    "vg_free": format!("{}.00", v.free_extents() * v.extent_kib),
                    "vg_extent_size": format!("{}.00", v.extent_kib),
                })
            })
            .collect();
        json_report("vg", rows)
    }

    /// `lvextend -L|--size <size> <vg>/<thin lv>`: a thin LV's new virtual size (what
    /// an operator may do behind Brickyard's back).
    fn lvextend(&mut self, host: &str, args: &[String]) -> Reply {
        let (mut size, mut target) = (None, None);
        let mut a = Args::new(args);
        while let Some((k, v)) = a.next() {
            match k {
                "-L" | "--size" => size = a.value(v).and_then(size_kib),
                "-qq" | "-q" | "-y" => {}
                p if !p.starts_with('-') && target.is_none() => target = Some(p.to_string()),
                other => return bad_args("lvextend", other),
            }
        }
        let (Some(size), Some(target)) = (size, target) else {
            return bad_args("lvextend", &args.join(" "));
        };
        let Some((vg, lv)) = target.split_once('/') else {
            return bad_args("lvextend", &target);
        };
        let node = self.node_mut(host);
        let Some(l) = node.vgs.get_mut(vg).and_then(|v| v.lv_mut(lv)) else {
            return failed(format!("  Failed to find logical volume \"{target}\""));
        };
        match &mut l.kind {
            LvKind::Thin { virtual_kib, .. } => {
                if size < *virtual_kib {
                    return failed(format!(
                        "  New size given ({size} KiB) not larger than existing size ({virtual_kib} KiB)"
                    ));
                }
                *virtual_kib = size;
                Reply::ok(format!(
                    "  Size of logical volume {vg}/{lv} changed.\n  Logical volume {vg}/{lv} successfully resized.\n"
                ))
            }
            LvKind::Pool { .. } => Reply::unsupported("lvm lvextend of a thin pool"),
        }
    }

    pub(super) fn wipefs(&mut self, host: &str, args: &[String]) -> Reply {
        let [all, dev] = args else {
            return Reply::unsupported(&format!("wipefs {}", args.join(" ")));
        };
        if all != "--all" && all != "-a" {
            return Reply::unsupported(&format!("wipefs {}", args.join(" ")));
        }
        let default = self.config.default_device_size_kib;
        let node = self.node_mut(host);
        let dev = node.resolve_device(dev);
        if node.disk_size(&dev, default).is_none() {
            return Reply::err(
                1,
                format!(
                    "wipefs: error: {dev}: probing initialization failed: No such file or directory"
                ),
            );
        }
        if let Some(Pv { vg: Some(vg), .. }) = node.pvs.get(&dev) {
            let vg = vg.clone();
            let busy = node
                .vgs
                .get(&vg)
                .is_some_and(|v| v.lvs.values().any(|l| l.mounted()));
            if busy {
                return Reply::err(
                    1,
                    format!(
                        "wipefs: error: {dev}: probing initialization failed: Device or resource busy"
                    ),
                );
            }
            // The label is gone: the VG cannot be found any more.
            node.vgs.remove(&vg);
        }
        match node.pvs.remove(&dev) {
            Some(_) => Reply::ok(format!(
                "{dev}: 8 bytes were erased at offset 0x00000218 (LVM2_member): 4c 56 4d 32 20 30 30 31\n"
            )),
            None => Reply::ok(""),
        }
    }

    pub(super) fn udevadm(&mut self, host: &str, args: &[String]) -> Reply {
        let [info, q, name] = args else {
            return Reply::unsupported(&format!("udevadm {}", args.join(" ")));
        };
        let Some(dev) = name.strip_prefix("--name=") else {
            return Reply::unsupported(&format!("udevadm {}", args.join(" ")));
        };
        if info != "info" || q != "--query=symlink" {
            return Reply::unsupported(&format!("udevadm {}", args.join(" ")));
        }
        let default = self.config.default_device_size_kib;
        let node = self.node_mut(host);
        if !node.udev {
            return Reply::err(
                127,
                "bash: line 1: /usr/bin/udevadm: No such file or directory",
            );
        }
        let dev = node.resolve_device(dev);
        if node.disk_size(&dev, default).is_none() {
            return Reply::err(4, format!("Unknown device \"{dev}\": No such device"));
        }
        let short = dev.trim_start_matches("/dev/");
        let mut links = vec![
            format!("disk/by-id/scsi-mock-{}-{short}", node.manage),
            format!("disk/by-path/mock-{short}"),
        ];
        if let Some(pv) = node.pvs.get(&dev) {
            links.push(format!("disk/by-id/lvm-pv-uuid-{}", pv.uuid));
        }
        Reply::ok(format!("{}\n", links.join(" ")))
    }

    pub(super) fn mkfs_xfs(&mut self, host: &str, args: &[String]) -> Reply {
        let mut arbiter = false;
        let mut stripe = None;
        let mut dev = None;
        let mut i = 0;
        while i < args.len() {
            match args[i].as_str() {
                "-i" | "-n" | "-d" => {
                    let Some(v) = args.get(i + 1) else {
                        return Reply::err(
                            1,
                            format!(
                                "mkfs.xfs: option requires an argument -- '{}'",
                                &args[i][1..]
                            ),
                        );
                    };
                    match (args[i].as_str(), v.as_str()) {
                        ("-i", "maxpct=100") => arbiter = true,
                        ("-i", "size=512") | ("-n", "size=8192") => {}
                        ("-d", s) if s.starts_with("su=") && s.contains(",sw=") => {
                            stripe = Some(s.into())
                        }
                        (o, v) => return Reply::unsupported(&format!("mkfs.xfs {o} {v}")),
                    }
                    i += 2;
                }
                p if !p.starts_with('-') && dev.is_none() => {
                    dev = Some(p.to_string());
                    i += 1;
                }
                other => return Reply::unsupported(&format!("mkfs.xfs {other}")),
            }
        }
        let Some(dev) = dev else {
            return Reply::err(1, "mkfs.xfs: no device name given in argument list");
        };
        let node = self.node_mut(host);
        let Some((vg, lv)) = node.lv_by_dev(&dev) else {
            return Reply::err(
                1,
                format!("mkfs.xfs: cannot open {dev}: No such file or directory"),
            );
        };
        if node.lv_mounted(&vg, &lv) {
            return Reply::err(1, format!("mkfs.xfs: {dev} contains a mounted filesystem"));
        }
        let Some(l) = node.vgs.get_mut(&vg).and_then(|v| v.lv_mut(&lv)) else {
            return Reply::err(
                1,
                format!("mkfs.xfs: cannot open {dev}: No such file or directory"),
            );
        };
        if matches!(l.kind, LvKind::Pool { .. }) {
            return Reply::err(
                1,
                format!("mkfs.xfs: cannot open {dev}: Device or resource busy"),
            );
        }
        let dirs = super::node::DirMap::root_only();
        l.fs = Some(Box::new(super::node::Xfs {
            arbiter,
            stripe,
            dirs,
        }));
        Reply::ok(format!(
            "meta-data={} isize={} agcount=4\n",
            mapper_name(&vg, &lv),
            if arbiter { 256 } else { 512 }
        ))
    }
}

/// LVM's JSON report with one section `key` holding `rows`.
fn json_report(key: &str, rows: Vec<serde_json::Value>) -> Reply {
    let mut section = serde_json::Map::new();
    section.insert(key.to_string(), serde_json::Value::Array(rows));
    let doc = serde_json::json!({"report": [serde_json::Value::Object(section)]});
    Reply::ok(format!(
        "  {}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    ))
}
