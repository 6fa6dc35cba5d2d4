//! A private OpenSSH server on loopback for transport tests.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{HarnessError, Scratch, sh};

/// `sshd -D` on 127.0.0.1:`port` with a fresh ed25519 host key, accepting the client keys
/// `client_ed25519` and `client_rsa` for root. Killed (by its PID) on drop.
pub struct Sshd {
    child: Child,
    port: u16,
    dir: Scratch,
}

fn keygen(path: &Path, kind: &str) -> Result<(), HarnessError> {
    let extra = if kind == "rsa" { "-b 3072" } else { "" };
    sh(&format!(
        "ssh-keygen -q -t {kind} {extra} -N '' -C brickyard-test -f '{}'",
        path.display()
    ))
    .map(drop)
}

fn free_port() -> Result<u16, HarnessError> {
    let l = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| HarnessError(format!("cannot find a free port: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| HarnessError(format!("cannot find a free port: {e}")))
}

impl Sshd {
    /// Generates keys and config and starts sshd; fails with the reason (sshd missing,
    /// config refused, not listening within 10 s).
    pub fn start() -> Result<Sshd, HarnessError> {
        if !Path::new("/usr/sbin/sshd").exists() {
            return Err(HarnessError(
                "/usr/sbin/sshd is missing: install openssh-server (make test-ssh does)".into(),
            ));
        }
        let dir = Scratch::new("sshd")?;
        let d = dir.path().to_path_buf();
        keygen(&d.join("host_ed25519"), "ed25519")?;
        keygen(&d.join("client_ed25519"), "ed25519")?;
        keygen(&d.join("client_rsa"), "rsa")?;
        keygen(&d.join("stranger_ed25519"), "ed25519")?;
        sh(&format!(
            "cd '{0}' && cat client_ed25519.pub client_rsa.pub > authorized_keys && chmod 600 authorized_keys",
            d.display()
        ))?;
        let port = free_port()?;
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {0}/host_ed25519\n\
             PidFile {0}/sshd.pid\nAuthorizedKeysFile {0}/authorized_keys\n\
             PermitRootLogin prohibit-password\nPubkeyAuthentication yes\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
             StrictModes yes\nLogLevel DEBUG1\nMaxSessions 10\nMaxStartups 100\n",
            d.display()
        );
        std::fs::write(d.join("sshd_config"), config)
            .map_err(|e| HarnessError(format!("cannot write sshd_config: {e}")))?;
        sh("mkdir -p -m 0755 /run/sshd")?;
        sh(&format!(
            "/usr/sbin/sshd -t -f '{}/sshd_config'",
            d.display()
        ))?;
        let child = Command::new("/usr/sbin/sshd")
            .arg("-D")
            .arg("-f")
            .arg(d.join("sshd_config"))
            .arg("-E")
            .arg(d.join("sshd.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| HarnessError(format!("cannot start sshd: {e}")))?;
        let mut sshd = Sshd { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = sshd.child.try_wait() {
                return Err(HarnessError(format!(
                    "sshd exited ({status}): {}",
                    sshd.log()
                )));
            }
            if Instant::now() > deadline {
                return Err(HarnessError(format!(
                    "sshd not listening on 127.0.0.1:{port} after 10 s: {}",
                    sshd.log()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(sshd)
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:<port>`: the host string for the transport.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The scratch directory (keys, config, log).
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// PID of the listening sshd.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The sshd log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// Accepted authentications so far (one per ssh connection).
    pub fn accepted(&self) -> usize {
        self.log().matches("Accepted publickey for").count()
    }

    /// A known_hosts line for this server (`[127.0.0.1]:port <key>`).
    pub fn known_hosts_line(&self) -> Result<String, HarnessError> {
        let key = std::fs::read_to_string(self.dir.path().join("host_ed25519.pub"))
            .map_err(|e| HarnessError(format!("cannot read host key: {e}")))?;
        let mut fields = key.split_whitespace();
        let (Some(kind), Some(b64)) = (fields.next(), fields.next()) else {
            return Err(HarnessError("bad host key file".into()));
        };
        Ok(format!("[127.0.0.1]:{} {kind} {b64}\n", self.port))
    }

    /// The host key's SHA256 fingerprint as OpenSSH prints it (`SHA256:…`).
    pub fn host_fingerprint(&self) -> Result<String, HarnessError> {
        let out = sh(&format!(
            "ssh-keygen -l -E sha256 -f '{}/host_ed25519.pub'",
            self.dir.path().display()
        ))?;
        out.split_whitespace()
            .nth(1)
            .map(str::to_string)
            .ok_or_else(|| HarnessError(format!("unexpected ssh-keygen output: {out}")))
    }

    /// Kills the per-connection sshd processes (children of the listener): every client
    /// connection drops, the listener stays.
    pub fn drop_connections(&self) -> Result<(), HarnessError> {
        sh(&format!(
            "for p in $(pgrep -P {}); do kill -9 $p; done",
            self.child.id()
        ))
        .map(drop)
    }

    /// Established TCP connections to the listening port.
    pub fn established(&self) -> Result<usize, HarnessError> {
        let out = sh(&format!(
            "ss -Htn state established '( sport = :{} )'",
            self.port
        ))?;
        Ok(out.lines().filter(|l| !l.trim().is_empty()).count())
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = sh(&format!(
            "for p in $(pgrep -P {}); do kill -9 $p; done",
            self.child.id()
        ));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
