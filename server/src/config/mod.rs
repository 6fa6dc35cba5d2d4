//! [`ServerConfig`]: Heketi's `heketi.json`, with `HEKETI_*` environment overrides.
//!
//! Compatible with every file Heketi accepts (unknown and `_comment` keys ignored,
//! `null` = default, wrong types fatal), and more lenient where Heketi's strictness
//! only hurts: `#`, `//` and `/* */` comments and trailing commas are accepted. Every
//! other mistake is reported as `<file>:<line>:<column>: <problem>` plus a hint (see
//! [`ConfigError`]).

mod diagnostic;
mod env;
mod jsonc;
mod raw;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use diagnostic::{ConfigError, Located};
pub use env::process_env;

use crate::admin::AdminMode;
use crate::logging::LogLevel;
use raw::{RawConfig, RawGlusterfs, RawHttp, RawSshExec};

/// The database file used when `glusterfs.db` is not set (in the working directory).
pub const DEFAULT_DB: &str = "brickyard.db";

/// The whole server configuration, defaults applied.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerConfig {
    /// Where the configuration came from (file name), for messages.
    pub origin: String,
    /// Listen port (`port`, env `HEKETI_HTTP_PORT`); default `8080`.
    pub port: u16,
    /// Whether requests need a JWT (`use_auth`, honoured as in Heketi ≤ 8; default false).
    pub use_auth: bool,
    /// `jwt.admin.key` (env `HEKETI_ADMIN_KEY`).
    pub admin_key: String,
    /// `jwt.user.key` (env `HEKETI_USER_KEY`).
    pub user_key: String,
    /// Leeway for the JWT `iat` claim (env `HEKETI_JWT_IAT_LEEWAY_SECONDS`); default 120 s.
    pub jwt_iat_leeway: Duration,
    /// `enable_tls`.
    pub enable_tls: bool,
    /// `cert_file`.
    pub cert_file: String,
    /// `key_file`.
    pub key_file: String,
    /// `default_state` (env `HEKETI_DEFAULT_STATE`); the initial admin mode.
    pub default_state: AdminMode,
    /// `profiling` (env `HEKETI_PROFILING`).
    pub profiling: bool,
    /// `backup_db_to_kube_secret` (env `HEKETI_BACKUP_DB_TO_KUBE_SECRET`).
    pub backup_db_to_kube_secret: bool,
    /// Env `HEKETI_KUBE_DB_SECRET_NAME`; default `heketi-db-backup`.
    pub kube_db_secret_name: String,
    /// The `glusterfs` section.
    pub glusterfs: GlusterfsConfig,
    /// Brickyard: `brickyard.http`, how HTTP connections are kept and bounded.
    pub http: HttpConfig,
    /// Non-fatal problems found while loading (Heketi only logs these).
    pub warnings: Vec<String>,
}

/// Brickyard: `brickyard.http`, defaults applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpConfig {
    /// `header_read_timeout` seconds (default 30): a request head (request line and
    /// headers) must arrive within this time of its first byte, and a new connection
    /// must deliver its first request head within it; otherwise the connection is closed.
    pub header_read_timeout: Duration,
    /// `idle_timeout` seconds (default 120): a keep-alive connection with no request
    /// for this long is closed.
    pub idle_timeout: Duration,
    /// `max_connections` (default 1024, lowered to fit the open-file limit): open
    /// connections beyond it wait in the listen backlog until one closes.
    pub max_connections: usize,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            header_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(120),
            max_connections: 1024,
        }
    }
}

/// Which executor runs the node commands (`glusterfs.executor`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ExecutorKind {
    /// SSH to every node (the default).
    #[default]
    Ssh,
    /// `kube` / `kubernetes`: exec into the gluster pods.
    Kube,
    /// The in-memory mock.
    Mock,
    /// Fault injection over ssh (`inject/ssh`).
    InjectSsh,
    /// Fault injection over the mock (`inject/mock`).
    InjectMock,
}

impl ExecutorKind {
    /// Parses Heketi's executor names; `""` is ssh.
    pub fn parse(name: &str) -> Option<ExecutorKind> {
        match name {
            "" | "ssh" => Some(ExecutorKind::Ssh),
            "kube" | "kubernetes" => Some(ExecutorKind::Kube),
            "mock" => Some(ExecutorKind::Mock),
            "inject/ssh" => Some(ExecutorKind::InjectSsh),
            "inject/mock" => Some(ExecutorKind::InjectMock),
            _ => None,
        }
    }
}

/// `glusterfs.zone_checking`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ZoneChecking {
    /// Zones are preferred, not required (the default).
    #[default]
    None,
    /// Bricks of a replica set must be in distinct zones.
    Strict,
}

impl ZoneChecking {
    /// Parses `none` / `strict` (`""` is none).
    pub fn parse(name: &str) -> Option<ZoneChecking> {
        match name {
            "" | "none" => Some(ZoneChecking::None),
            "strict" => Some(ZoneChecking::Strict),
            _ => None,
        }
    }
}

/// `glusterfs.hooks`: site policy scripts (Brickyard extra).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HooksConfig {
    /// Script files, loaded in order.
    pub scripts: Vec<PathBuf>,
    /// Skip (and log) a failing hook instead of failing the operation.
    pub fail_open: bool,
    /// Memory limit of the hook state in MiB (default of the hook host when absent).
    pub memory_limit_mb: Option<u64>,
    /// Instructions one handler invocation may run.
    pub instruction_budget: Option<u64>,
    /// Wall-clock limit of one call into the hooks, in milliseconds.
    pub deadline_ms: Option<u64>,
}

/// The `glusterfs` section, defaults applied.
#[derive(Clone, Debug, PartialEq)]
pub struct GlusterfsConfig {
    /// `db` (env `HEKETI_DB_PATH`); default `brickyard.db` (Heketi's default
    /// `heketi.db` is a BoltDB file Brickyard does not open: import it first).
    pub db: String,
    /// `db_read_only`.
    pub db_read_only: bool,
    /// `executor` (env `HEKETI_EXECUTOR`).
    pub executor: ExecutorKind,
    /// `loglevel` (env `HEKETI_GLUSTERAPP_LOGLEVEL`); default info; an unknown name
    /// only gives a warning, as in Heketi.
    pub loglevel: LogLevel,
    /// `brick_max_size_gb`; default 4096.
    pub brick_max_size_gb: u64,
    /// `brick_min_size_gb`; default 1.
    pub brick_min_size_gb: u64,
    /// `max_bricks_per_volume`; default 32.
    pub max_bricks_per_volume: u64,
    /// `average_file_size_kb`; default 64.
    pub average_file_size_kb: u64,
    /// `pre_request_volume_options` (env `HEKETI_PRE_REQUEST_VOLUME_OPTIONS`).
    pub pre_request_volume_options: String,
    /// `post_request_volume_options` (env `HEKETI_POST_REQUEST_VOLUME_OPTIONS`).
    pub post_request_volume_options: String,
    /// `zone_checking` (env `HEKETI_ZONE_CHECKING`).
    pub zone_checking: ZoneChecking,
    /// `max_volumes_per_cluster` (env `HEKETI_GLUSTER_MAX_VOLUMES_PER_CLUSTER`): 0 in the
    /// file means 1000, a negative value unlimited (`None`).
    pub max_volumes_per_cluster: Option<u64>,
    /// `auto_create_block_hosting_volume` (env `HEKETI_AUTO_CREATE_BLOCK_HOSTING_VOLUME`).
    pub auto_create_block_hosting_volume: bool,
    /// `block_hosting_volume_size` GiB (env `HEKETI_BLOCK_HOSTING_VOLUME_SIZE`); default 1024.
    pub block_hosting_volume_size: u64,
    /// `block_hosting_volume_options` (env `HEKETI_BLOCK_HOSTING_VOLUME_OPTIONS`);
    /// default `group gluster-block`.
    pub block_hosting_volume_options: String,
    /// `disable_monitor_gluster_nodes` (env `HEKETI_DISABLE_HEALTH_MONITOR`).
    pub disable_monitor_gluster_nodes: bool,
    /// `refresh_time_monitor_gluster_nodes`; default 120 s.
    pub refresh_time_monitor_gluster_nodes: Duration,
    /// `start_time_monitor_gluster_nodes`; default 10 s.
    pub start_time_monitor_gluster_nodes: Duration,
    /// `max_inflight_operations` (env `HEKETI_MAX_INFLIGHT_OPERATIONS`); default 8.
    pub max_inflight_operations: u64,
    /// `disable_background_cleaner` (env `HEKETI_DISABLE_BACKGROUND_CLEANER`).
    pub disable_background_cleaner: bool,
    /// `refresh_time_background_cleaner`; default 3600 s.
    pub refresh_time_background_cleaner: Duration,
    /// `start_time_background_cleaner`; default 60 s.
    pub start_time_background_cleaner: Duration,
    /// `operation_retry_limits.volume_create` when > 0.
    pub volume_create_retry_limit: Option<u32>,
    /// Env `HEKETI_MOCK_DEVICE_SIZE_GB`: size of every mock executor device.
    pub mock_device_size_gb: Option<u64>,
    /// Brickyard: `mock_state_file`, where the mock executor keeps its simulated nodes
    /// (a journal of their changes) so that a restarted server finds them as the last
    /// run left them; unset: the nodes live in memory and are rebuilt from the records
    /// at start. Only with executor `mock` or `inject/mock`.
    pub mock_state_file: Option<PathBuf>,
    /// Brickyard: `hooks`, site policy scripts run inside the engine (Lua).
    pub hooks: Option<HooksConfig>,
    /// `rebalance_on_expansion`: forced on, only env
    /// `HEKETI_GLUSTERAPP_REBALANCE_ON_EXPANSION` can turn it off (as Heketi).
    pub rebalance_on_expansion: bool,
    /// The `sshexec` section (its executor keys also apply to the mock).
    pub sshexec: SshExecConfig,
    /// The `kubeexec` section, kept as written.
    pub kubeexec: Option<serde_json::Value>,
    /// The `injectexec` section, kept as written.
    pub injectexec: Option<serde_json::Value>,
}

/// The `sshexec` section, defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshExecConfig {
    /// `keyfile` (env `HEKETI_SSH_KEYFILE`); required by the ssh executor.
    pub keyfile: String,
    /// `user` (env `HEKETI_SSH_USER`); default `heketi`.
    pub user: String,
    /// `port` (env `HEKETI_SSH_PORT`); a string in the file, default `22`.
    pub port: String,
    /// `sudo`: prefix commands with sudo.
    pub sudo: bool,
    /// `fstab` (env `HEKETI_FSTAB`); default `/etc/fstab`.
    pub fstab: String,
    /// `mountopts` (env `HEKETI_MOUNT_OPTS`); default `rw,inode64,noatime,nouuid`.
    pub mountopts: String,
    /// `snapshot_limit` (env `HEKETI_SNAPSHOT_LIMIT`).
    pub snapshot_limit: Option<u64>,
    /// `backup_lvm_metadata`.
    pub backup_lvm_metadata: bool,
    /// `gluster_cli_timeout` seconds (env `HEKETI_GLUSTER_CLI_TIMEOUT`); default 600.
    pub gluster_cli_timeout: u32,
    /// `pv_data_alignment`; default `256K`.
    pub pv_data_alignment: String,
    /// `vg_physicalextentsize`; default `4M`.
    pub vg_physicalextentsize: String,
    /// `lv_chunksize`; default `256K`.
    pub lv_chunksize: String,
    /// `xfs_sw` (0 = not passed to mkfs.xfs).
    pub xfs_sw: u64,
    /// `xfs_su` (0 = not passed to mkfs.xfs).
    pub xfs_su: u64,
    /// `debug_umount_failures` (env `HEKETI_DEBUG_UMOUNT_FAILURES`).
    pub debug_umount_failures: bool,
    /// `block_prealloc` (env `HEKETI_BLOCK_VOLUME_DEFAULT_PREALLOC`); default `full`.
    pub block_prealloc: String,
    /// `lvm_wrapper` (env `HEKETI_LVM_WRAPPER`).
    pub lvm_wrapper: String,
    /// Brickyard: a known_hosts file to verify host keys against.
    pub known_hosts: Option<String>,
    /// Brickyard: refuse unknown host keys (default true; Heketi never checks unless
    /// `SSH_KNOWN_HOSTS` is set).
    pub strict_host_key_checking: bool,
    /// Brickyard: parallel command streams per node (default 1, as Heketi).
    pub max_connections_per_node: u32,
    /// Brickyard: TCP/SSH connect timeout (`connect_timeout` seconds, default 10).
    pub connect_timeout: Duration,
    /// Brickyard: default per-command timeout (`command_timeout` seconds, default 600).
    pub command_timeout: Duration,
}

impl ServerConfig {
    /// Reads and parses `path`; `env` looks up `HEKETI_*` overrides (use
    /// [`process_env`] for the real environment).
    pub fn load(
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ServerConfig, ConfigError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            origin: origin.clone(),
            source,
        })?;
        ServerConfig::from_str(&text, &origin, env)
    }

    /// Parses configuration text; `origin` names it in messages.
    pub fn from_str(
        text: &str,
        origin: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ServerConfig, ConfigError> {
        let raw = parse_raw(text, origin)?;
        let mut config = resolve(raw, origin)?;
        env::apply(&mut config, env)?;
        config.validate()?;
        Ok(config)
    }

    /// The defaults (what an empty `{}` file gives, without environment).
    pub fn defaults() -> ServerConfig {
        // `{}` always parses and the defaults are valid; `resolve` cannot fail on it.
        resolve(RawConfig::default(), "defaults").expect("the built-in defaults are valid")
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let uses_ssh = matches!(
            self.glusterfs.executor,
            ExecutorKind::Ssh | ExecutorKind::InjectSsh
        );
        if uses_ssh && self.glusterfs.sshexec.keyfile.is_empty() {
            return Err(ConfigError::Invalid {
                origin: self.origin.clone(),
                key: "glusterfs.sshexec.keyfile".into(),
                message: "Missing ssh private key file in configuration".into(),
            });
        }
        if uses_ssh && self.glusterfs.sshexec.port.parse::<u16>().is_err() {
            return Err(ConfigError::Invalid {
                origin: self.origin.clone(),
                key: "glusterfs.sshexec.port".into(),
                message: format!(
                    "expected a port number such as \"22\", found {:?}",
                    self.glusterfs.sshexec.port
                ),
            });
        }
        if self.enable_tls && (self.cert_file.is_empty() || self.key_file.is_empty()) {
            return Err(ConfigError::Invalid {
                origin: self.origin.clone(),
                key: "enable_tls".into(),
                message: "TLS is enabled but cert_file or key_file is not set".into(),
            });
        }
        Ok(())
    }
}

fn parse_raw(text: &str, origin: &str) -> Result<RawConfig, ConfigError> {
    let cleaned = jsonc::blank_comments_and_trailing_commas(text).map_err(|e| {
        ConfigError::At(Located {
            origin: origin.to_string(),
            line: e.line,
            column: e.column,
            key: None,
            message: "block comment is never closed".into(),
            hint: "end the comment with */".into(),
        })
    })?;
    if let Some((index, first)) = cleaned.char_indices().find(|(_, c)| !c.is_whitespace())
        && first != '{'
    {
        let before = &cleaned[..index];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        return Err(ConfigError::At(Located {
            origin: origin.to_string(),
            line,
            column,
            key: None,
            message: format!("expected `{{`, found `{first}`"),
            hint: "the configuration must be an object: { \"port\": \"8080\", ... }".into(),
        }));
    }
    let mut de = serde_json::Deserializer::from_str(&cleaned);
    let raw: RawConfig = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        ConfigError::At(diagnostic::locate(e.inner(), Some(path), &cleaned, origin))
    })?;
    de.end()
        .map_err(|e| ConfigError::At(diagnostic::locate(&e, None, &cleaned, origin)))?;
    Ok(raw)
}

fn invalid(origin: &str, key: &str, message: String) -> ConfigError {
    ConfigError::Invalid {
        origin: origin.to_string(),
        key: key.to_string(),
        message,
    }
}

fn resolve(raw: RawConfig, origin: &str) -> Result<ServerConfig, ConfigError> {
    let port_text = raw.port.unwrap_or_default();
    let port = parse_port(&port_text).ok_or_else(|| {
        invalid(
            origin,
            "port",
            format!("expected a port number such as \"8080\", found {port_text:?}"),
        )
    })?;
    let state_name = raw.default_state.unwrap_or_default();
    let default_state = parse_admin_state(&state_name).ok_or_else(|| {
        invalid(
            origin,
            "default_state",
            format!("unknown admin state name: {state_name}"),
        )
    })?;
    let jwt = raw.jwt.unwrap_or_default();
    let mut warnings = Vec::new();
    let glusterfs = resolve_glusterfs(raw.glusterfs.unwrap_or_default(), origin, &mut warnings)?;
    let http = resolve_http(
        raw.brickyard.and_then(|b| b.http).unwrap_or_default(),
        origin,
    )?;
    Ok(ServerConfig {
        origin: origin.to_string(),
        port,
        use_auth: raw.use_auth.unwrap_or(false),
        admin_key: jwt.admin.and_then(|i| i.key).unwrap_or_default(),
        user_key: jwt.user.and_then(|i| i.key).unwrap_or_default(),
        jwt_iat_leeway: Duration::from_secs(120),
        enable_tls: raw.enable_tls.unwrap_or(false),
        cert_file: raw.cert_file.unwrap_or_default(),
        key_file: raw.key_file.unwrap_or_default(),
        default_state,
        profiling: raw.profiling.unwrap_or(false),
        backup_db_to_kube_secret: raw.backup_db_to_kube_secret.unwrap_or(false),
        kube_db_secret_name: "heketi-db-backup".into(),
        glusterfs,
        http,
        warnings,
    })
}

/// A timeout in seconds: absent or 0 is the default; it must be positive and at most
/// a day.
fn timeout_secs(
    value: Option<f64>,
    default: Duration,
    origin: &str,
    key: &str,
) -> Result<Duration, ConfigError> {
    match value {
        None => Ok(default),
        Some(0.0) => Ok(default),
        Some(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(Duration::from_secs_f64(v)),
        Some(v) => Err(invalid(
            origin,
            key,
            format!("expected a number of seconds between 0 and 86400, found {v}"),
        )),
    }
}

fn resolve_http(h: RawHttp, origin: &str) -> Result<HttpConfig, ConfigError> {
    let d = HttpConfig::default();
    Ok(HttpConfig {
        header_read_timeout: timeout_secs(
            h.header_read_timeout,
            d.header_read_timeout,
            origin,
            "brickyard.http.header_read_timeout",
        )?,
        idle_timeout: timeout_secs(
            h.idle_timeout,
            d.idle_timeout,
            origin,
            "brickyard.http.idle_timeout",
        )?,
        max_connections: match h.max_connections {
            None | Some(0) => d.max_connections,
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        },
    })
}

/// `""` is the default 8080.
pub(crate) fn parse_port(text: &str) -> Option<u16> {
    if text.is_empty() {
        return Some(8080);
    }
    text.parse::<u16>().ok()
}

/// `""` is normal (Heketi's `SetString` ignores it).
pub(crate) fn parse_admin_state(name: &str) -> Option<AdminMode> {
    if name.is_empty() {
        return Some(AdminMode::Normal);
    }
    AdminMode::parse(name)
}

/// Heketi: 0 → 1000, negative → unlimited.
pub(crate) fn volumes_per_cluster(value: i64) -> Option<u64> {
    match u64::try_from(value) {
        Ok(0) => Some(1000),
        Ok(n) => Some(n),
        Err(_) => None,
    }
}

pub(crate) fn parse_loglevel(name: &str, warnings: &mut Vec<String>) -> LogLevel {
    if name.is_empty() {
        return LogLevel::Info;
    }
    LogLevel::parse(name).unwrap_or_else(|| {
        warnings.push(format!(
            "glusterfs.loglevel: unknown log level {name:?} (use none, critical, error, warning, info or debug); using info"
        ));
        LogLevel::Info
    })
}

fn resolve_glusterfs(
    g: RawGlusterfs,
    origin: &str,
    warnings: &mut Vec<String>,
) -> Result<GlusterfsConfig, ConfigError> {
    let executor_name = g.executor.unwrap_or_default();
    let executor = ExecutorKind::parse(&executor_name).ok_or_else(|| {
        invalid(
            origin,
            "glusterfs.executor",
            format!("invalid executor: {executor_name} (use ssh, kubernetes, mock, inject/ssh or inject/mock)"),
        )
    })?;
    let zone_name = g.zone_checking.unwrap_or_default();
    let zone_checking = ZoneChecking::parse(&zone_name).ok_or_else(|| {
        invalid(
            origin,
            "glusterfs.zone_checking",
            format!("invalid zone checking: {zone_name} (use none or strict)"),
        )
    })?;
    let loglevel = parse_loglevel(&g.loglevel.unwrap_or_default(), warnings);
    let nonzero = |v: Option<u64>, default: u64| v.filter(|&n| n != 0).unwrap_or(default);
    let secs = |v: Option<u32>, default: u32| {
        Duration::from_secs(u64::from(v.filter(|&n| n != 0).unwrap_or(default)))
    };
    Ok(GlusterfsConfig {
        db: g
            .db
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_DB.into()),
        db_read_only: g.db_read_only.unwrap_or(false),
        executor,
        loglevel,
        brick_max_size_gb: nonzero(g.brick_max_size_gb, 4096),
        brick_min_size_gb: nonzero(g.brick_min_size_gb, 1),
        max_bricks_per_volume: nonzero(g.max_bricks_per_volume, 32),
        average_file_size_kb: nonzero(g.average_file_size_kb, 64),
        pre_request_volume_options: g.pre_request_volume_options.unwrap_or_default(),
        post_request_volume_options: g.post_request_volume_options.unwrap_or_default(),
        zone_checking,
        max_volumes_per_cluster: volumes_per_cluster(g.max_volumes_per_cluster.unwrap_or(0)),
        auto_create_block_hosting_volume: g.auto_create_block_hosting_volume.unwrap_or(false),
        block_hosting_volume_size: nonzero(g.block_hosting_volume_size, 1024),
        block_hosting_volume_options: g
            .block_hosting_volume_options
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "group gluster-block".into()),
        disable_monitor_gluster_nodes: g.disable_monitor_gluster_nodes.unwrap_or(false),
        refresh_time_monitor_gluster_nodes: secs(g.refresh_time_monitor_gluster_nodes, 120),
        start_time_monitor_gluster_nodes: secs(g.start_time_monitor_gluster_nodes, 10),
        max_inflight_operations: nonzero(g.max_inflight_operations, 8),
        disable_background_cleaner: g.disable_background_cleaner.unwrap_or(false),
        refresh_time_background_cleaner: secs(g.refresh_time_background_cleaner, 3600),
        start_time_background_cleaner: secs(g.start_time_background_cleaner, 60),
        volume_create_retry_limit: g
            .operation_retry_limits
            .and_then(|r| r.volume_create)
            .filter(|&n| n > 0)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        mock_device_size_gb: None,
        mock_state_file: g
            .mock_state_file
            .filter(|s| !s.is_empty())
            .map(PathBuf::from),
        hooks: g.hooks.and_then(|h| {
            let scripts: Vec<PathBuf> = h
                .scripts
                .unwrap_or_default()
                .into_iter()
                .map(PathBuf::from)
                .collect();
            (!scripts.is_empty()).then(|| HooksConfig {
                scripts,
                fail_open: h.fail_open.unwrap_or(false),
                memory_limit_mb: h.memory_limit_mb,
                instruction_budget: h.instruction_budget,
                deadline_ms: h.deadline_ms,
            })
        }),
        rebalance_on_expansion: true,
        sshexec: resolve_ssh(g.sshexec.unwrap_or_default()),
        kubeexec: g.kubeexec,
        injectexec: g.injectexec,
    })
}

fn resolve_ssh(s: RawSshExec) -> SshExecConfig {
    let text = |v: Option<String>, default: &str| {
        v.filter(|s| !s.is_empty())
            .unwrap_or_else(|| default.to_string())
    };
    SshExecConfig {
        keyfile: s.keyfile.unwrap_or_default(),
        user: text(s.user, "heketi"),
        port: text(s.port, "22"),
        sudo: s.sudo.unwrap_or(false),
        fstab: text(s.fstab, "/etc/fstab"),
        mountopts: text(s.mountopts, "rw,inode64,noatime,nouuid"),
        snapshot_limit: s.snapshot_limit.filter(|&n| n != 0),
        backup_lvm_metadata: s.backup_lvm_metadata.unwrap_or(false),
        gluster_cli_timeout: s.gluster_cli_timeout.filter(|&n| n != 0).unwrap_or(600),
        pv_data_alignment: text(s.pv_data_alignment, "256K"),
        vg_physicalextentsize: text(s.vg_physicalextentsize, "4M"),
        lv_chunksize: text(s.lv_chunksize, "256K"),
        xfs_sw: s.xfs_sw.unwrap_or(0),
        xfs_su: s.xfs_su.unwrap_or(0),
        debug_umount_failures: s.debug_umount_failures.unwrap_or(false),
        block_prealloc: text(s.block_prealloc, "full"),
        lvm_wrapper: s.lvm_wrapper.unwrap_or_default(),
        known_hosts: s.known_hosts.filter(|s| !s.is_empty()),
        strict_host_key_checking: s.strict_host_key_checking.unwrap_or(true),
        max_connections_per_node: s.max_connections_per_node.filter(|&n| n != 0).unwrap_or(1),
        connect_timeout: Duration::from_secs(u64::from(
            s.connect_timeout.filter(|&n| n != 0).unwrap_or(10),
        )),
        command_timeout: Duration::from_secs(u64::from(
            s.command_timeout.filter(|&n| n != 0).unwrap_or(600),
        )),
    }
}

#[cfg(test)]
mod tests;
