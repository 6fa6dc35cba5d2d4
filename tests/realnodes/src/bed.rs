//! The real-node bed (`bed.sh`) from Rust: started by a test, torn down on drop.

use std::path::PathBuf;
use std::process::Command;

use brickyard::executor::SshConfig;

use crate::HarnessError;

/// A running bed of storage nodes reachable over ssh on 10.213.7.0/24.
pub struct Bed {
    dir: PathBuf,
    hosts: Vec<String>,
    shell: NodeShell,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bed.sh")
}

impl Bed {
    /// `bed.sh up n`: fails with the script's reason when the bed cannot start (it tears
    /// itself down then).
    pub fn up(n: usize) -> Result<Bed, HarnessError> {
        Bed::up_with(n, &[])
    }

    /// [`up`](Self::up) with settings for `bed.sh` (`BYD_MEM`, `BYD_DISK_SIZE`).
    pub fn up_with(n: usize, env: &[(&str, &str)]) -> Result<Bed, HarnessError> {
        // A bed left over by a killed run would block this one.
        let _ = Command::new(script()).arg("down").status();
        let out = Command::new(script())
            .arg("up")
            .arg(n.to_string())
            .envs(env.iter().copied())
            .output()
            .map_err(|e| HarnessError(format!("cannot run bed.sh: {e}")))?;
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        eprint!("{err}");
        if !out.status.success() {
            return Err(HarnessError(format!("bed.sh up {n} failed: {err}")));
        }
        let env_file = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let env = std::fs::read_to_string(&env_file)
            .map_err(|e| HarnessError(format!("cannot read {env_file}: {e}")))?;
        let mut dir = None;
        let mut hosts = Vec::new();
        for line in env.lines() {
            if let Some(v) = line.strip_prefix("BYD_DIR=") {
                dir = Some(PathBuf::from(v));
            } else if let Some(v) = line.strip_prefix("BYD_HOSTS=") {
                hosts = v.split_whitespace().map(str::to_string).collect();
            }
        }
        let dir = dir.ok_or_else(|| HarnessError(format!("no BYD_DIR in {env_file}")))?;
        if hosts.len() != n {
            return Err(HarnessError(format!("{env_file} lists {hosts:?}")));
        }
        let shell = NodeShell { dir: dir.clone() };
        Ok(Bed { dir, hosts, shell })
    }

    /// The nodes' addresses (manage = storage).
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// A handle that runs commands on the nodes (also reachable through `Deref`).
    pub fn shell(&self) -> NodeShell {
        self.shell.clone()
    }

    /// The bed directory (keys, known_hosts, `mnt/` for host-side mounts).
    pub fn dir(&self) -> &PathBuf {
        &self.dir
    }

    /// Transport settings for the bed: root, its key, strict checking against its
    /// known_hosts.
    pub fn ssh_config(&self) -> SshConfig {
        let mut c = SshConfig::new(self.dir.join("client_ed25519"));
        c.user = "root".to_string();
        c.known_hosts = Some(self.dir.join("known_hosts"));
        c
    }
}

/// Commands on the bed's nodes (OpenSSH client, the bed's key). Cheap to clone and holds
/// no bed: a clone kept by a test's hook never keeps the bed from being torn down.
#[derive(Clone, Debug)]
pub struct NodeShell {
    dir: PathBuf,
}

impl NodeShell {
    /// Runs `command` on `host` with the OpenSSH client (independent of the transport
    /// under test); stdout, or the failure with stderr.
    pub fn ssh(&self, host: &str, command: &str) -> Result<String, HarnessError> {
        self.openssh(host, 22, command)
    }

    /// Runs `command` on `host` through the bed's control sshd (port 2222), which keeps
    /// running while a test has killed the node's sshd on port 22.
    pub fn ctl(&self, host: &str, command: &str) -> Result<String, HarnessError> {
        self.openssh(host, 2222, command)
    }

    /// PID (inside the node) of the sshd listening on port 22.
    pub fn sshd_pid(&self, host: &str) -> Result<u32, HarnessError> {
        let out = self.ctl(host, "byd-sshd pid")?;
        out.trim()
            .parse()
            .map_err(|_| HarnessError(format!("sshd pid on {host}: {out:?}")))
    }

    /// Kills the node's sshd on port 22 with SIGKILL: the listener and the sshd process of
    /// every open connection (so reused connections drop too). Returns the killed PIDs.
    pub fn kill_sshd(&self, host: &str) -> Result<Vec<u32>, HarnessError> {
        let out = self.ctl(host, "byd-sshd kill")?;
        let pids: Vec<u32> = out
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        if pids.is_empty() {
            return Err(HarnessError(format!("no sshd killed on {host}: {out:?}")));
        }
        Ok(pids)
    }

    /// Starts the node's sshd on port 22 again (same host key and config); its PID.
    pub fn start_sshd(&self, host: &str) -> Result<u32, HarnessError> {
        let out = self.ctl(host, "byd-sshd start")?;
        out.trim()
            .parse()
            .map_err(|_| HarnessError(format!("sshd start on {host}: {out:?}")))
    }

    fn openssh(&self, host: &str, port: u16, command: &str) -> Result<String, HarnessError> {
        let out = Command::new("ssh")
            .arg("-i")
            .arg(self.dir.join("client_ed25519"))
            .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"])
            .arg("-p")
            .arg(port.to_string())
            .arg("-o")
            .arg(format!(
                "UserKnownHostsFile={}",
                self.dir.join("known_hosts").display()
            ))
            .arg(format!("root@{host}"))
            .arg(command)
            .output()
            .map_err(|e| HarnessError(format!("cannot run ssh: {e}")))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(HarnessError(format!(
                "`{command}` on {host}:{port} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }

    /// What must be the same before and after a test on `host`: LVs, PVs, gluster
    /// volumes, fstab, brick mounts. Read through the control sshd.
    pub fn node_state(&self, host: &str) -> Result<String, HarnessError> {
        self.ctl(
            host,
            "echo '# lvs'; /usr/sbin/lvm lvs --noheadings -o vg_name,lv_name; \
             echo '# pvs'; /usr/sbin/lvm pvs --noheadings -o pv_name,vg_name; \
             echo '# volumes'; gluster --mode=script volume list; \
             echo '# fstab'; cat /etc/fstab; \
             echo '# mounts'; grep /var/lib/heketi /proc/mounts || true",
        )
    }
}

impl NodeShell {
    /// [`node_state`](Self::node_state) of every host, read from all nodes at once
    /// (each ssh into a UML node costs a second or two).
    pub fn node_states(&self, hosts: &[String]) -> Result<Vec<String>, HarnessError> {
        std::thread::scope(|s| {
            let reads: Vec<_> = hosts
                .iter()
                .map(|h| s.spawn(move || self.node_state(h)))
                .collect();
            reads
                .into_iter()
                .zip(hosts)
                .map(|(r, h)| match r.join() {
                    Ok(Ok(state)) => Ok(state),
                    Ok(Err(e)) => Err(HarnessError(format!("node state of {h}: {e}"))),
                    Err(p) => std::panic::resume_unwind(p),
                })
                .collect()
        })
    }
}

impl std::ops::Deref for Bed {
    type Target = NodeShell;

    fn deref(&self) -> &NodeShell {
        &self.shell
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        match Command::new(script()).arg("down").status() {
            Ok(s) if s.success() => {}
            other => eprintln!("bed.sh down did not finish cleanly: {other:?}"),
        }
    }
}
