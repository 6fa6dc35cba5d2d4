//! Choosing the executor named by `glusterfs.executor`.

use std::sync::Arc;

use brickyard::executor::{
    CommandConfig, Executor, FaultyMockExecutor, MockConfig, MockExecutor, MockTransport,
    SshConfig, SshExecutor,
};

use crate::config::{ExecutorKind, ServerConfig};

/// Heketi's name of an executor kind (for the start-up banner and errors).
pub fn executor_name(kind: ExecutorKind) -> &'static str {
    match kind {
        ExecutorKind::Ssh => "ssh",
        ExecutorKind::Kube => "kubernetes",
        ExecutorKind::Mock => "mock",
        ExecutorKind::InjectSsh => "inject/ssh",
        ExecutorKind::InjectMock => "inject/mock",
    }
}

/// The start-up banner's line about the executor: the mock ones say that the storage
/// is simulated, and where it is kept (`state_file`: `glusterfs.mock_state_file`).
pub fn executor_banner(kind: ExecutorKind, state_file: Option<&std::path::Path>) -> String {
    let name = executor_name(kind);
    match kind {
        ExecutorKind::Mock | ExecutorKind::InjectMock => match state_file {
            None => format!(
                "{name} (simulated storage nodes: their disks, LVM, XFS and gluster exist only in this process's memory; no real machine or disk is touched)"
            ),
            Some(f) => format!(
                "{name} (simulated storage nodes: their disks, LVM, XFS and gluster are kept in {}; no real machine or disk is touched)",
                f.display()
            ),
        },
        ExecutorKind::Ssh | ExecutorKind::InjectSsh | ExecutorKind::Kube => name.to_string(),
    }
}

/// The mock nodes behind a mock executor.
#[derive(Clone)]
pub struct MockNodes {
    /// The nodes (shared handle).
    pub transport: MockTransport,
    /// They have to be rebuilt from the records: they live in memory only, or their
    /// state file (`glusterfs.mock_state_file`) was just created. A state file that
    /// existed holds the nodes as the last run left them, and they are not touched.
    pub rebuild_from_records: bool,
}

/// The executor for `config` (with the mock nodes' handle when the executor is a mock,
/// so they can be restored from the records), or why it cannot be made. With
/// `glusterfs.mock_state_file` the mock nodes are loaded from that file (relative
/// paths from the working directory, as `glusterfs.db`).
pub fn make_executor(
    config: &ServerConfig,
) -> Result<(Arc<dyn Executor>, Option<MockNodes>), String> {
    let g = &config.glusterfs;
    let state_file = g.mock_state_file.as_deref();
    let existed = state_file.is_some_and(std::path::Path::exists);
    let nodes = |transport: &MockTransport| MockNodes {
        transport: transport.clone(),
        rebuild_from_records: !existed,
    };
    let state_error =
        |e: brickyard::executor::MockStateError| format!("glusterfs.mock_state_file: {e}");
    let mock = || {
        let mut mock = MockConfig {
            fstab: g.sshexec.fstab.clone(),
            ..MockConfig::default()
        };
        if let Some(gb) = g.mock_device_size_gb {
            mock.default_device_size_kib = gb.saturating_mul(1024 * 1024);
        }
        mock
    };
    match g.executor {
        ExecutorKind::Mock => {
            let ex = match state_file {
                Some(path) => MockExecutor::durable(mock(), path).map_err(state_error)?,
                None => MockExecutor::with_config(mock()),
            };
            let nodes = nodes(ex.mock());
            Ok((Arc::new(ex), Some(nodes)))
        }
        ExecutorKind::InjectMock => {
            if g.injectexec.is_some() {
                tracing::warn!(
                    "glusterfs.injectexec: command injection rules are not read by Brickyard; the mock runs without injected failures"
                );
            }
            let ex = match state_file {
                Some(path) => FaultyMockExecutor::durable(mock(), path).map_err(state_error)?,
                None => FaultyMockExecutor::with_config(mock()),
            };
            let nodes = nodes(ex.mock());
            Ok((Arc::new(ex), Some(nodes)))
        }
        ExecutorKind::Ssh => {
            if state_file.is_some() {
                tracing::warn!(
                    "glusterfs.mock_state_file is only used by the mock executors; ignored with executor \"ssh\""
                );
            }
            ssh_executor(config).map(|ex| (ex, None))
        }
        ExecutorKind::InjectSsh => Err(
            "executor \"inject/ssh\" is a Heketi test mode that Brickyard does not provide (use \"ssh\")".to_string(),
        ),
        ExecutorKind::Kube => Err(
            "executor \"kubernetes\" is not supported by Brickyard (use \"ssh\" to reach the gluster pods' hosts, or \"mock\")"
                .to_string(),
        ),
    }
}

/// `glusterfs.sshexec` → the ssh executor.
fn ssh_executor(config: &ServerConfig) -> Result<Arc<dyn Executor>, String> {
    let x = &config.glusterfs.sshexec;
    if x.keyfile.is_empty() {
        return Err("Missing ssh private key file in configuration (glusterfs.sshexec.keyfile or HEKETI_SSH_KEYFILE)".into());
    }
    let port: u16 = x
        .port
        .parse()
        .map_err(|_| format!("glusterfs.sshexec.port: '{}' is not a port number", x.port))?;
    let mut ssh = SshConfig::new(&x.keyfile);
    ssh.user = x.user.clone();
    ssh.port = port;
    ssh.sudo = x.sudo;
    ssh.known_hosts = x.known_hosts.as_ref().map(Into::into);
    ssh.strict_host_key_checking = x.strict_host_key_checking;
    ssh.max_concurrent_commands = (x.max_connections_per_node as usize).max(1);
    ssh.connect_timeout = x.connect_timeout;
    let commands = CommandConfig {
        fstab: x.fstab.clone(),
        mount_opts: x.mountopts.clone(),
        lvm_wrapper: (!x.lvm_wrapper.is_empty()).then(|| x.lvm_wrapper.clone()),
        backup_lvm_metadata: x.backup_lvm_metadata,
        gluster_cli_timeout: x.gluster_cli_timeout,
        pv_data_alignment: x.pv_data_alignment.clone(),
        vg_physical_extent_size: x.vg_physicalextentsize.clone(),
        lv_chunk_size: x.lv_chunksize.clone(),
        xfs_su: u32::try_from(x.xfs_su)
            .map_err(|_| "glusterfs.sshexec.xfs_su is too large".to_string())?,
        xfs_sw: u32::try_from(x.xfs_sw)
            .map_err(|_| "glusterfs.sshexec.xfs_sw is too large".to_string())?,
        snapshot_limit: x.snapshot_limit.and_then(|v| u32::try_from(v).ok()),
        ..CommandConfig::default()
    };
    let ex = SshExecutor::ssh(ssh, commands).map_err(|e| format!("ssh executor: {e}"))?;
    Ok(Arc::new(ex))
}
