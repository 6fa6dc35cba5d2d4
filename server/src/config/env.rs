//! `HEKETI_*` environment overrides, applied after the file as Heketi does. An empty
//! variable counts as unset. The lookup is a function so tests never touch the
//! process environment.

use std::time::Duration;

use super::{
    ConfigError, ExecutorKind, ServerConfig, ZoneChecking, parse_admin_state, parse_loglevel,
    parse_port, volumes_per_cluster,
};

/// Looks a variable up in the real process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn get(env: Lookup<'_>, var: &str) -> Option<String> {
    env(var).filter(|v| !v.is_empty())
}

fn bad(var: &str, message: String) -> ConfigError {
    ConfigError::Env {
        var: var.to_string(),
        message,
    }
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

fn bool_var(env: Lookup<'_>, var: &str) -> Result<Option<bool>, ConfigError> {
    get(env, var)
        .map(|v| {
            parse_go_bool(&v)
                .ok_or_else(|| bad(var, format!("expected true or false, found {v:?}")))
        })
        .transpose()
}

fn uint_var(env: Lookup<'_>, var: &str) -> Result<Option<u64>, ConfigError> {
    get(env, var)
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| bad(var, format!("expected a non-negative integer, found {v:?}")))
        })
        .transpose()
}

fn u32_var(env: Lookup<'_>, var: &str) -> Result<Option<u32>, ConfigError> {
    get(env, var)
        .map(|v| {
            v.parse::<u32>()
                .map_err(|_| bad(var, format!("expected a non-negative integer, found {v:?}")))
        })
        .transpose()
}

/// Applies every supported override to `config`.
pub(super) fn apply(config: &mut ServerConfig, env: Lookup<'_>) -> Result<(), ConfigError> {
    if let Some(v) = get(env, "HEKETI_HTTP_PORT") {
        config.port = parse_port(&v).ok_or_else(|| {
            bad(
                "HEKETI_HTTP_PORT",
                format!("expected a port number, found {v:?}"),
            )
        })?;
    }
    if let Some(v) = get(env, "HEKETI_ADMIN_KEY") {
        config.admin_key = v;
    }
    if let Some(v) = get(env, "HEKETI_USER_KEY") {
        config.user_key = v;
    }
    if let Some(v) = get(env, "HEKETI_JWT_IAT_LEEWAY_SECONDS") {
        // Heketi only logs an unusable value and keeps the default.
        match v.parse::<u64>() {
            Ok(secs) => config.jwt_iat_leeway = Duration::from_secs(secs),
            Err(_) => config.warnings.push(format!(
                "HEKETI_JWT_IAT_LEEWAY_SECONDS not valid: {v:?}; using the default 120"
            )),
        }
    }
    if let Some(v) = get(env, "HEKETI_DEFAULT_STATE") {
        config.default_state = parse_admin_state(&v).ok_or_else(|| {
            bad(
                "HEKETI_DEFAULT_STATE",
                format!("unknown admin state name: {v}"),
            )
        })?;
    }
    if get(env, "HEKETI_PROFILING").is_some() {
        config.profiling = true;
    }
    if get(env, "HEKETI_BACKUP_DB_TO_KUBE_SECRET").is_some() {
        config.backup_db_to_kube_secret = true;
    }
    if let Some(v) = get(env, "HEKETI_KUBE_DB_SECRET_NAME") {
        config.kube_db_secret_name = v;
    }

    let g = &mut config.glusterfs;
    if let Some(v) = get(env, "HEKETI_DB_PATH") {
        g.db = v;
    }
    if let Some(v) = get(env, "HEKETI_EXECUTOR") {
        g.executor = ExecutorKind::parse(&v)
            .ok_or_else(|| bad("HEKETI_EXECUTOR", format!("invalid executor: {v}")))?;
    }
    if let Some(v) = get(env, "HEKETI_GLUSTERAPP_LOGLEVEL") {
        g.loglevel = parse_loglevel(&v, &mut config.warnings);
    }
    if let Some(v) = get(env, "HEKETI_ZONE_CHECKING") {
        g.zone_checking = ZoneChecking::parse(&v).ok_or_else(|| {
            bad(
                "HEKETI_ZONE_CHECKING",
                format!("invalid zone checking: {v} (use none or strict)"),
            )
        })?;
    }
    if let Some(n) = uint_var(env, "HEKETI_MAX_INFLIGHT_OPERATIONS")?
        && n != 0
    {
        g.max_inflight_operations = n;
    }
    if let Some(v) = get(env, "HEKETI_PRE_REQUEST_VOLUME_OPTIONS") {
        g.pre_request_volume_options = v;
    }
    if let Some(v) = get(env, "HEKETI_POST_REQUEST_VOLUME_OPTIONS") {
        g.post_request_volume_options = v;
    }
    if let Some(v) = get(env, "HEKETI_GLUSTER_MAX_VOLUMES_PER_CLUSTER") {
        let n = v.parse::<i64>().map_err(|_| {
            bad(
                "HEKETI_GLUSTER_MAX_VOLUMES_PER_CLUSTER",
                format!("expected an integer, found {v:?}"),
            )
        })?;
        g.max_volumes_per_cluster = volumes_per_cluster(n);
    }
    if let Some(b) = bool_var(env, "HEKETI_AUTO_CREATE_BLOCK_HOSTING_VOLUME")? {
        g.auto_create_block_hosting_volume = b;
    }
    if let Some(n) = uint_var(env, "HEKETI_BLOCK_HOSTING_VOLUME_SIZE")?
        && n != 0
    {
        g.block_hosting_volume_size = n;
    }
    if let Some(v) = get(env, "HEKETI_BLOCK_HOSTING_VOLUME_OPTIONS") {
        g.block_hosting_volume_options = v;
    }
    if let Some(b) = bool_var(env, "HEKETI_DISABLE_BACKGROUND_CLEANER")? {
        g.disable_background_cleaner = b;
    }
    if let Some(b) = bool_var(env, "HEKETI_DISABLE_HEALTH_MONITOR")? {
        g.disable_monitor_gluster_nodes = b;
    }
    if let Some(b) = bool_var(env, "HEKETI_GLUSTERAPP_REBALANCE_ON_EXPANSION")? {
        g.rebalance_on_expansion = b;
    }
    if let Some(n) = uint_var(env, "HEKETI_MOCK_DEVICE_SIZE_GB")? {
        g.mock_device_size_gb = Some(n);
    }

    let s = &mut g.sshexec;
    if let Some(v) = get(env, "HEKETI_SSH_KEYFILE") {
        s.keyfile = v;
    }
    if let Some(v) = get(env, "HEKETI_SSH_USER") {
        s.user = v;
    }
    if let Some(v) = get(env, "HEKETI_SSH_PORT") {
        s.port = v;
    }
    if let Some(v) = get(env, "HEKETI_FSTAB") {
        s.fstab = v;
    }
    if let Some(v) = get(env, "HEKETI_MOUNT_OPTS") {
        s.mountopts = v;
    }
    if let Some(n) = u32_var(env, "HEKETI_GLUSTER_CLI_TIMEOUT")?
        && n != 0
    {
        s.gluster_cli_timeout = n;
    }
    if let Some(v) = get(env, "HEKETI_LVM_WRAPPER") {
        s.lvm_wrapper = v;
    }
    if let Some(n) = uint_var(env, "HEKETI_SNAPSHOT_LIMIT")? {
        s.snapshot_limit = Some(n).filter(|&n| n != 0);
    }
    if let Some(b) = bool_var(env, "HEKETI_DEBUG_UMOUNT_FAILURES")? {
        s.debug_umount_failures = b;
    }
    if let Some(v) = get(env, "HEKETI_BLOCK_VOLUME_DEFAULT_PREALLOC") {
        s.block_prealloc = v;
    }
    Ok(())
}
