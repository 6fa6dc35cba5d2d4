//! `heketi.json` exactly as written: every key optional (absent and `null` both mean
//! "use the default", like Go's decoder leaving the field untouched), unknown keys
//! (such as the sample's `_comment` keys) ignored, wrong types fatal.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawConfig {
    pub port: Option<String>,
    pub use_auth: Option<bool>,
    pub jwt: Option<RawJwt>,
    pub enable_tls: Option<bool>,
    pub cert_file: Option<String>,
    pub key_file: Option<String>,
    pub default_state: Option<String>,
    pub profiling: Option<bool>,
    pub backup_db_to_kube_secret: Option<bool>,
    pub glusterfs: Option<RawGlusterfs>,
    /// Brickyard's own settings (Heketi ignores the key).
    pub brickyard: Option<RawBrickyard>,
}

/// Brickyard: the `brickyard` section.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawBrickyard {
    pub http: Option<RawHttp>,
}

/// Brickyard: `brickyard.http`, the HTTP connections (timeouts in seconds).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawHttp {
    pub header_read_timeout: Option<f64>,
    pub idle_timeout: Option<f64>,
    pub max_connections: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawJwt {
    pub admin: Option<RawIssuer>,
    pub user: Option<RawIssuer>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawIssuer {
    pub key: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawGlusterfs {
    pub db: Option<String>,
    pub db_read_only: Option<bool>,
    pub executor: Option<String>,
    pub loglevel: Option<String>,
    pub brick_max_size_gb: Option<u64>,
    pub brick_min_size_gb: Option<u64>,
    pub max_bricks_per_volume: Option<u64>,
    pub average_file_size_kb: Option<u64>,
    pub pre_request_volume_options: Option<String>,
    pub post_request_volume_options: Option<String>,
    pub zone_checking: Option<String>,
    pub max_volumes_per_cluster: Option<i64>,
    pub auto_create_block_hosting_volume: Option<bool>,
    pub block_hosting_volume_size: Option<u64>,
    pub block_hosting_volume_options: Option<String>,
    pub disable_monitor_gluster_nodes: Option<bool>,
    pub refresh_time_monitor_gluster_nodes: Option<u32>,
    pub start_time_monitor_gluster_nodes: Option<u32>,
    pub max_inflight_operations: Option<u64>,
    pub disable_background_cleaner: Option<bool>,
    pub refresh_time_background_cleaner: Option<u32>,
    pub start_time_background_cleaner: Option<u32>,
    pub operation_retry_limits: Option<RawRetryLimits>,
    pub sshexec: Option<RawSshExec>,
    pub kubeexec: Option<serde_json::Value>,
    pub injectexec: Option<serde_json::Value>,
    pub hooks: Option<RawHooks>,
    /// Brickyard: the mock executor's node state file.
    pub mock_state_file: Option<String>,
}

/// Brickyard: `glusterfs.hooks`, site policy scripts.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawHooks {
    pub scripts: Option<Vec<String>>,
    pub fail_open: Option<bool>,
    pub memory_limit_mb: Option<u64>,
    pub instruction_budget: Option<u64>,
    pub deadline_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawRetryLimits {
    pub volume_create: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawSshExec {
    pub keyfile: Option<String>,
    pub user: Option<String>,
    pub port: Option<String>,
    pub sudo: Option<bool>,
    pub fstab: Option<String>,
    pub mountopts: Option<String>,
    pub snapshot_limit: Option<u64>,
    pub backup_lvm_metadata: Option<bool>,
    pub gluster_cli_timeout: Option<u32>,
    pub pv_data_alignment: Option<String>,
    pub vg_physicalextentsize: Option<String>,
    pub lv_chunksize: Option<String>,
    pub xfs_sw: Option<u64>,
    pub xfs_su: Option<u64>,
    pub debug_umount_failures: Option<bool>,
    pub block_prealloc: Option<String>,
    pub lvm_wrapper: Option<String>,
    // Brickyard extras.
    pub known_hosts: Option<String>,
    pub strict_host_key_checking: Option<bool>,
    pub max_connections_per_node: Option<u32>,
    pub connect_timeout: Option<u32>,
    pub command_timeout: Option<u32>,
}
