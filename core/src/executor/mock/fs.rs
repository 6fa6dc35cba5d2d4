//! Directories, mounts, fstab edits, systemctl and pidof as the mock understands them.

use super::{Reply, World};

impl World {
    pub(super) fn mkdir(&mut self, host: &str, args: &[String]) -> Reply {
        let (parents, paths): (bool, Vec<&String>) = match args.split_first() {
            Some((p, rest)) if p == "-p" => (true, rest.iter().collect()),
            _ => (false, args.iter().collect()),
        };
        if paths.is_empty()
            || paths
                .iter()
                .any(|p| p.starts_with('-') || !p.starts_with('/'))
        {
            return Reply::unsupported(&format!("mkdir {}", args.join(" ")));
        }
        let node = self.node_mut(host);
        for p in paths {
            if let Err(e) = node.mkdir(p, parents) {
                return Reply::err(1, e);
            }
        }
        Reply::ok("")
    }

    pub(super) fn rmdir(&mut self, host: &str, args: &[String]) -> Reply {
        let [path] = args else {
            return Reply::unsupported(&format!("rmdir {}", args.join(" ")));
        };
        match self.node_mut(host).rmdir(path) {
            Ok(()) => Reply::ok(""),
            Err(e) => Reply::err(1, e),
        }
    }

    pub(super) fn chown(&mut self, host: &str, args: &[String]) -> Reply {
        let [owner, path] = args else {
            return Reply::unsupported(&format!("chown {}", args.join(" ")));
        };
        let Some(gid) = owner.strip_prefix(':').and_then(|g| g.parse::<i64>().ok()) else {
            return Reply::unsupported(&format!("chown {owner} (only :<gid>)"));
        };
        if self.node_mut(host).update_dir(path, |m| m.gid = Some(gid)) {
            Reply::ok("")
        } else {
            Reply::err(
                1,
                format!("chown: cannot access '{path}': No such file or directory"),
            )
        }
    }

    pub(super) fn chmod(&mut self, host: &str, args: &[String]) -> Reply {
        let [mode, path] = args else {
            return Reply::unsupported(&format!("chmod {}", args.join(" ")));
        };
        if mode.is_empty() || !mode.chars().all(|c| c.is_ascii_digit() && c < '8') {
            return Reply::unsupported(&format!("chmod {mode} (only octal modes)"));
        }
        if self
            .node_mut(host)
            .update_dir(path, |m| m.mode = Some(mode.as_str().into()))
        {
            Reply::ok("")
        } else {
            Reply::err(
                1,
                format!("chmod: cannot access '{path}': No such file or directory"),
            )
        }
    }

    pub(super) fn mount(&mut self, host: &str, args: &[String]) -> Reply {
        let node = self.node_mut(host);
        if args.is_empty() {
            let mut out = String::new();
            for (dir, device, options) in node.mount_list() {
                out.push_str(&format!("{device} on {dir} type xfs ({options})\n"));
            }
            return Reply::ok(out);
        }
        let [o, opts, dev, dir] = args else {
            return Reply::unsupported(&format!("mount {}", args.join(" ")));
        };
        if o != "-o" {
            return Reply::unsupported(&format!("mount {}", args.join(" ")));
        }
        let Some((vg, lv)) = node.lv_by_dev(dev) else {
            return Reply::err(
                32,
                format!("mount: {dir}: special device {dev} does not exist."),
            );
        };
        if !node.dir_exists(dir) {
            return Reply::err(32, format!("mount: {dir}: mount point does not exist."));
        }
        if node.lv_mounted(&vg, &lv) || node.is_mount_point(dir) {
            return Reply::err(
                32,
                format!("mount: {dir}: {dev} already mounted or mount point busy."),
            );
        }
        let formatted = node
            .vgs
            .get(&vg)
            .and_then(|v| v.lv(&lv))
            .is_some_and(|l| l.fs.is_some());
        if !formatted {
            return Reply::err(
                32,
                format!(
                    "mount: {dir}: wrong fs type, bad option, bad superblock on {dev}, missing codepage or helper program, or other error."
                ),
            );
        }
        node.add_mount(dir.trim_end_matches('/'), &vg, &lv, opts);
        Reply::ok("")
    }

    pub(super) fn umount(&mut self, host: &str, args: &[String]) -> Reply {
        let [target] = args else {
            return Reply::unsupported(&format!("umount {}", args.join(" ")));
        };
        let node = self.node_mut(host);
        let t = target.trim_end_matches('/');
        let dir = if node.is_mount_point(t) {
            Some(t.to_string())
        } else {
            node.mount_of_device(t)
        };
        let Some(dir) = dir else {
            return if node.dir_exists(t) {
                Reply::err(32, format!("umount: {t}: not mounted."))
            } else {
                Reply::err(32, format!("umount: {t}: no mount point specified."))
            };
        };
        if node.has_mount_under(&dir) {
            return Reply::err(32, format!("umount: {dir}: target is busy."));
        }
        node.remove_mount(&dir);
        Reply::ok("")
    }

    /// Only `awk "BEGIN {print \"<line>\" >> \"<file>\"}"`, the fstab append.
    pub(super) fn awk(&mut self, host: &str, args: &[String]) -> Reply {
        let [prog] = args else {
            return Reply::unsupported(&format!("awk {}", args.join(" ")));
        };
        let parsed = prog
            .strip_prefix("BEGIN {print \"")
            .and_then(|r| r.strip_suffix("\"}"))
            .and_then(|r| r.split_once("\" >> \""));
        let Some((line, file)) = parsed else {
            return Reply::unsupported(&format!("awk {prog}"));
        };
        if line.contains('"') || file.contains('"') || !file.starts_with('/') {
            return Reply::unsupported(&format!("awk {prog}"));
        }
        let node = self.node_mut(host);
        let parent_ok = match file.rfind('/') {
            Some(0) => true,
            Some(i) => node.dir_exists(&file[..i]),
            None => false,
        };
        if !parent_ok {
            return Reply::err(
                2,
                format!(
                    "awk: cmd. line:1: fatal: can't redirect to `{file}' (No such file or directory)"
                ),
            );
        }
        node.append_line(file, line);
        Reply::ok("")
    }

    /// Only `sed -i.save "/<literal>/d" <file>`, the fstab line removal.
    pub(super) fn sed(&mut self, host: &str, args: &[String]) -> Reply {
        let [inplace, script, file] = args else {
            return Reply::unsupported(&format!("sed {}", args.join(" ")));
        };
        let Some(suffix) = inplace.strip_prefix("-i") else {
            return Reply::unsupported(&format!("sed {}", args.join(" ")));
        };
        let pattern = script.strip_prefix('/').and_then(|s| s.strip_suffix("/d"));
        let Some(pattern) = pattern.filter(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        }) else {
            return Reply::unsupported(&format!("sed {script} (only /<literal>/d)"));
        };
        let node = self.node_mut(host);
        let backup = (!suffix.is_empty()).then(|| format!("{file}{suffix}"));
        if !node.delete_lines(file, backup.as_deref(), pattern) {
            return Reply::err(
                2,
                format!("sed: can't read {file}: No such file or directory"),
            );
        }
        Reply::ok("")
    }

    /// `cat <file>`: `/proc/mounts` from the mounts, or a file (the fstab).
    pub(super) fn cat(&mut self, host: &str, args: &[String]) -> Reply {
        let [path] = args else {
            return Reply::unsupported(&format!("cat {}", args.join(" ")));
        };
        let node = self.node_mut(host);
        if path == "/proc/mounts" {
            let mut out = String::new();
            for (dir, device, options) in node.mount_list() {
                let dir = dir.replace(' ', "\\040");
                out.push_str(&format!("{device} {dir} xfs {options} 0 0\n"));
            }
            return Reply::ok(out);
        }
        match node.file_lines(path) {
            Some(lines) => Reply::ok(lines.into_iter().map(|l| l + "\n").collect::<String>()),
            None => Reply::err(1, format!("cat: {path}: No such file or directory")),
        }
    }

    pub(super) fn systemctl(&mut self, host: &str, args: &[String]) -> Reply {
        match args {
            [status, unit] if status == "status" && unit == "glusterd" => {
                if self.node_mut(host).glusterd {
                    Reply::ok(
                        "● glusterd.service - GlusterFS, a clustered file-system server\n   Active: active (running)\n",
                    )
                } else {
                    let mut r = Reply::err(3, "");
                    r.0.stdout = "● glusterd.service - GlusterFS, a clustered file-system server\n   Active: inactive (dead)\n".to_string();
                    r
                }
            }
            _ => Reply::unsupported(&format!("systemctl {}", args.join(" "))),
        }
    }

    pub(super) fn pidof(&mut self, host: &str, args: &[String]) -> Reply {
        match args {
            [name] if name == "glusterd" => {
                if self.node_mut(host).glusterd {
                    Reply::ok("1234\n")
                } else {
                    Reply::err(1, "")
                }
            }
            _ => Reply::unsupported(&format!("pidof {}", args.join(" "))),
        }
    }
}
