//! The `ssh={...}` settings of `Engine(executor="ssh")`: a dict checked key by key
//! (unknown key, wrong type, out-of-range value and a missing or unreadable key file all
//! raise `InvalidInput` naming the key), turned into the core's [`SshConfig`] and
//! [`CommandConfig`] and then into an [`SshExecutor`].

use std::path::PathBuf;
use std::time::Duration;

use brickyard::executor::{CommandConfig, SshConfig, SshExecutor, SshSetupError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

use crate::errors::InvalidInput;

/// Every key `ssh=` accepts, in the order the error for an unknown key lists them.
pub const KEYS: &[&str] = &[
    "keyfile",
    "user",
    "port",
    "sudo",
    "known_hosts",
    "strict_host_key_checking",
    "max_concurrent_commands",
    "connect_timeout",
    "keepalive",
    "reuse_connections",
    "fstab",
    "mount_opts",
    "lvm_wrapper",
    "backup_lvm_metadata",
    "gluster_cli_timeout",
    "pv_data_alignment",
    "vg_physical_extent_size",
    "lv_chunk_size",
    "xfs_su",
    "xfs_sw",
    "snapshot_limit",
    "device_timeout",
    "brick_create_timeout",
    "brick_destroy_timeout",
    "glusterd_check_timeout",
    "gluster_timeout",
];

fn invalid(message: String) -> PyErr {
    InvalidInput::new_err(message)
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_string())
}

fn wrong_type(key: &str, expected: &str, v: &Bound<'_, PyAny>) -> PyErr {
    invalid(format!(
        "ssh.{key}: expected {expected}, got {} ({})",
        type_name(v),
        v.repr()
            .map(|r| r.to_string())
            .unwrap_or_else(|_| "?".to_string())
    ))
}

fn boolean(key: &str, v: &Bound<'_, PyAny>) -> PyResult<bool> {
    v.cast::<PyBool>()
        .map(|b| b.is_true())
        .map_err(|_| wrong_type(key, "a bool", v))
}

fn string(key: &str, v: &Bound<'_, PyAny>) -> PyResult<String> {
    if !v.is_instance_of::<PyString>() {
        return Err(wrong_type(key, "a str", v));
    }
    let s: String = v.extract()?;
    if s.trim().is_empty() {
        return Err(invalid(format!("ssh.{key}: must not be empty")));
    }
    Ok(s)
}

fn path(key: &str, v: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    if v.is_instance_of::<PyString>() || v.hasattr("__fspath__")? {
        let p: PathBuf = v
            .extract()
            .map_err(|_| wrong_type(key, "a str or os.PathLike path", v))?;
        if p.as_os_str().is_empty() {
            return Err(invalid(format!("ssh.{key}: must not be empty")));
        }
        return Ok(p);
    }
    Err(wrong_type(key, "a str or os.PathLike path", v))
}

/// An `int` (not a `bool`) in `min..=max`.
fn integer(key: &str, v: &Bound<'_, PyAny>, min: u64, max: u64) -> PyResult<u64> {
    if !v.is_instance_of::<PyInt>() || v.is_instance_of::<PyBool>() {
        return Err(wrong_type(key, "an int", v));
    }
    match v.extract::<i128>() {
        Ok(n) if n >= i128::from(min) && n <= i128::from(max) => Ok(n as u64),
        _ => Err(invalid(format!(
            "ssh.{key}: must be between {min} and {max}, got {}",
            v.repr()
                .map(|r| r.to_string())
                .unwrap_or_else(|_| "?".to_string())
        ))),
    }
}

/// Seconds as an `int` or `float` (not a `bool`), finite and above zero.
fn seconds(key: &str, v: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let numeric = (v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>())
        && !v.is_instance_of::<PyBool>();
    if !numeric {
        return Err(wrong_type(key, "seconds as an int or float", v));
    }
    let s: f64 = v.extract()?;
    // One day is far above any sensible ssh or command timeout, and keeps the value
    // well inside what `Duration` and tokio's timers accept.
    if !s.is_finite() || s <= 0.0 || s > 86_400.0 {
        return Err(invalid(format!(
            "ssh.{key}: must be more than 0 and at most 86400 seconds, got {s}"
        )));
    }
    Ok(Duration::from_secs_f64(s))
}

fn optional<T>(
    v: &Bound<'_, PyAny>,
    f: impl FnOnce(&Bound<'_, PyAny>) -> PyResult<T>,
) -> PyResult<Option<T>> {
    if v.is_none() {
        Ok(None)
    } else {
        f(v).map(Some)
    }
}

fn setup_error(e: SshSetupError) -> PyErr {
    match e {
        SshSetupError::Key { .. } => invalid(format!("ssh.keyfile: {e}")),
        SshSetupError::NoKnownHosts => invalid(format!("ssh.known_hosts: {e}")),
        other => invalid(format!("ssh: {other}")),
    }
}

/// Reads the `ssh=` dict into the core's settings. Every failure is `InvalidInput`.
pub fn settings(obj: &Bound<'_, PyAny>) -> PyResult<(SshConfig, CommandConfig)> {
    let dict = obj.cast::<PyDict>().map_err(|_| {
        invalid(format!(
            "ssh: expected a dict of settings (at least {{\"keyfile\": ...}}), got {}",
            type_name(obj)
        ))
    })?;
    let mut keyfile: Option<PathBuf> = None;
    let mut ssh = SshConfig::new(PathBuf::new());
    let mut cmd = CommandConfig::default();
    for (k, v) in dict.iter() {
        let key: String = k.extract().map_err(|_| {
            invalid(format!(
                "ssh: setting names must be str, got {}",
                type_name(&k)
            ))
        })?;
        let k = key.as_str();
        let v = &v;
        match k {
            "keyfile" => keyfile = Some(path(k, v)?),
            "user" => ssh.user = string(k, v)?,
            "port" => ssh.port = integer(k, v, 1, u64::from(u16::MAX))? as u16,
            "sudo" => ssh.sudo = boolean(k, v)?,
            "known_hosts" => ssh.known_hosts = optional(v, |v| path(k, v))?,
            "strict_host_key_checking" => ssh.strict_host_key_checking = boolean(k, v)?,
            "max_concurrent_commands" => {
                ssh.max_concurrent_commands = integer(k, v, 1, 1024)? as usize;
            }
            "connect_timeout" => ssh.connect_timeout = seconds(k, v)?,
            "keepalive" => ssh.keepalive = optional(v, |v| seconds(k, v))?,
            "reuse_connections" => ssh.reuse_connections = boolean(k, v)?,
            "fstab" => cmd.fstab = string(k, v)?,
            "mount_opts" => cmd.mount_opts = string(k, v)?,
            "lvm_wrapper" => cmd.lvm_wrapper = optional(v, |v| string(k, v))?,
            "backup_lvm_metadata" => cmd.backup_lvm_metadata = boolean(k, v)?,
            "gluster_cli_timeout" => {
                cmd.gluster_cli_timeout = integer(k, v, 1, u64::from(u32::MAX))? as u32;
            }
            "pv_data_alignment" => cmd.pv_data_alignment = string(k, v)?,
            "vg_physical_extent_size" => cmd.vg_physical_extent_size = string(k, v)?,
            "lv_chunk_size" => cmd.lv_chunk_size = string(k, v)?,
            "xfs_su" => cmd.xfs_su = integer(k, v, 0, u64::from(u32::MAX))? as u32,
            "xfs_sw" => cmd.xfs_sw = integer(k, v, 0, u64::from(u32::MAX))? as u32,
            "snapshot_limit" => {
                cmd.snapshot_limit = optional(v, |v| {
                    integer(k, v, 1, u64::from(u32::MAX)).map(|n| n as u32)
                })?;
            }
            "device_timeout" => cmd.device_timeout = seconds(k, v)?,
            "brick_create_timeout" => cmd.brick_create_timeout = seconds(k, v)?,
            "brick_destroy_timeout" => cmd.brick_destroy_timeout = seconds(k, v)?,
            "glusterd_check_timeout" => cmd.glusterd_check_timeout = seconds(k, v)?,
            "gluster_timeout" => cmd.gluster_timeout = optional(v, |v| seconds(k, v))?,
            other => {
                return Err(invalid(format!(
                    "ssh: unknown setting {other:?} (known: {})",
                    KEYS.join(", ")
                )));
            }
        }
    }
    let Some(keyfile) = keyfile else {
        return Err(invalid(
            "ssh.keyfile: missing: the private key to log in to the nodes with is required"
                .to_string(),
        ));
    };
    if !keyfile.is_file() {
        return Err(invalid(format!(
            "ssh.keyfile: {} is not a readable file",
            keyfile.display()
        )));
    }
    if let Some(kh) = &ssh.known_hosts
        && ssh.strict_host_key_checking
        && !kh.is_file()
    {
        return Err(invalid(format!(
            "ssh.known_hosts: {} does not exist (strict host key checking needs it; \
             fill it with `ssh-keyscan` after checking the fingerprints)",
            kh.display()
        )));
    }
    ssh.keyfile = keyfile;
    Ok((ssh, cmd))
}

/// The ssh executor for the `ssh=` dict (the key is loaded now; no node is contacted).
pub fn executor(obj: &Bound<'_, PyAny>) -> PyResult<SshExecutor> {
    let (ssh, commands) = settings(obj)?;
    SshExecutor::ssh(ssh, commands).map_err(setup_error)
}
