//! Refuse requests whose names would be unsafe on a shell command line.
//!
//! Heketi pastes device names, ids, host names and options into shell commands unquoted;
//! a device name such as `/dev/sdb;reboot` would run. Everything that reaches a command
//! line is checked here first.

use super::{BrickRequest, ExecError, ExecErrorKind, VolumeRequest};

fn invalid(host: &str, what: &str, detail: String) -> ExecError {
    ExecError::new(ExecErrorKind::Invalid, host, what, None, detail)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// An id, VG or volume name: `[A-Za-z0-9_.-]+`, not starting with `-`.
pub(crate) fn name(host: &str, what: &str, value: &str) -> Result<(), ExecError> {
    if value.is_empty() || value.starts_with('-') || !value.chars().all(is_name_char) {
        return Err(invalid(host, what, format!("invalid {what} {value:?}")));
    }
    Ok(())
}

/// A host name or address: name characters plus `:` (IPv6) .
pub(crate) fn host_name(host: &str, value: &str) -> Result<(), ExecError> {
    if value.is_empty()
        || value.starts_with('-')
        || !value.chars().all(|c| is_name_char(c) || c == ':')
    {
        return Err(invalid(
            host,
            "host",
            format!("invalid host name {value:?}"),
        ));
    }
    Ok(())
}

/// An absolute path: `/` followed by name characters, `/`, `+`, `:`, `@`, `=`, `,`.
pub(crate) fn path(host: &str, what: &str, value: &str) -> Result<(), ExecError> {
    let ok = value.starts_with('/')
        && value.len() > 1
        && value
            .chars()
            .all(|c| is_name_char(c) || matches!(c, '/' | '+' | ':' | '@' | '=' | ','));
    if !ok {
        return Err(invalid(host, what, format!("invalid {what} {value:?}")));
    }
    Ok(())
}

/// A `volume set` option: `key value…` with a name-like key and no shell metacharacters.
pub(crate) fn option(host: &str, value: &str) -> Result<(), ExecError> {
    let mut words = value.split_whitespace();
    let key_ok = words
        .next()
        .is_some_and(|k| !k.starts_with('-') && k.chars().all(|c| is_name_char(c) || c == '/'));
    let safe = |c: char| c.is_ascii_alphanumeric() || " _-.,:/=+@%*".contains(c);
    if !key_ok || !value.chars().all(safe) {
        return Err(invalid(
            host,
            "option",
            format!("invalid volume option {value:?}"),
        ));
    }
    Ok(())
}

pub(crate) fn brick(host: &str, b: &BrickRequest) -> Result<(), ExecError> {
    name(host, "device id", &b.vg_id)?;
    name(host, "brick id", &b.brick_id)?;
    if b.size == 0 || b.tp_size < b.size || b.pool_metadata_size == 0 {
        return Err(invalid(
            host,
            "brick",
            format!(
                "brick {}: sizes must satisfy 0 < size <= tp_size and metadata > 0 \
                 (size {} KiB, tp {} KiB, metadata {} KiB)",
                b.brick_id, b.size, b.tp_size, b.pool_metadata_size
            ),
        ));
    }
    if b.gid < 0 {
        return Err(invalid(host, "brick", format!("negative gid {}", b.gid)));
    }
    if let Some(s) = &b.snapshot {
        name(host, "LV name", &s.lv_name)?;
        name(host, "thin pool name", &s.tp_name)?;
        path(host, "brick mount point", &s.mount_dir)?;
    }
    Ok(())
}

/// The volume's name, options and bricks; `need_full_sets` checks the brick count.
pub(crate) fn volume(host: &str, v: &VolumeRequest) -> Result<(), ExecError> {
    name(host, "volume name", &v.name)?;
    for o in &v.options {
        option(host, o)?;
    }
    let set = v.durability.set_size();
    if set == 0 || v.bricks.is_empty() || !v.bricks.len().is_multiple_of(set) {
        return Err(invalid(
            host,
            "volume",
            format!(
                "volume {}: {} bricks is not a positive multiple of the set size {set}",
                v.name,
                v.bricks.len()
            ),
        ));
    }
    for b in &v.bricks {
        host_name(host, &b.storage_host)?;
        path(host, "brick path", &b.path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_shell_metacharacters() {
        assert!(path("h", "device", "/dev/sdb").is_ok());
        assert!(path("h", "device", "/dev/disk/by-id/lvm-pv-uuid-a1B2").is_ok());
        assert!(path("h", "device", "/dev/sdb;reboot").is_err());
        assert!(path("h", "device", "/dev/sd b").is_err());
        assert!(path("h", "device", "sdb").is_err());
        assert!(name("h", "id", "abc-01").is_ok());
        assert!(name("h", "id", "-rf").is_err());
        assert!(name("h", "id", "a$b").is_err());
        assert!(option("h", "user.heketi.id 0123abcd").is_ok());
        assert!(option("h", "performance.cache-size 256MB").is_ok());
        assert!(option("h", "auth.allow 10.0.0.*,192.168.1.2").is_ok());
        assert!(option("h", "x.y $(reboot)").is_err());
        assert!(option("h", "x.y a;b").is_err());
        assert!(host_name("h", "10.0.0.1").is_ok());
        assert!(host_name("h", "node-1.example.com").is_ok());
        assert!(host_name("h", "a b").is_err());
    }
}
