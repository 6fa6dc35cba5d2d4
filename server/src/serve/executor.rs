//! Choosing the executor named by `glusterfs.executor`.

use std::sync::Arc;

use brickyard::executor::{Executor, FaultyMockExecutor, MockConfig, MockExecutor};

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

/// The executor for `config`, or why it cannot be made.
pub fn make_executor(config: &ServerConfig) -> Result<Arc<dyn Executor>, String> {
    let g = &config.glusterfs;
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
        ExecutorKind::Mock => Ok(Arc::new(MockExecutor::with_config(mock()))),
        ExecutorKind::InjectMock => {
            if g.injectexec.is_some() {
                tracing::warn!(
                    "glusterfs.injectexec: command injection rules are not read by Brickyard; the mock runs without injected failures"
                );
            }
            Ok(Arc::new(FaultyMockExecutor::with_config(mock())))
        }
        kind @ (ExecutorKind::Ssh | ExecutorKind::InjectSsh) => Err(format!(
            "executor \"{}\" is not available in this build yet (use \"mock\" to try Brickyard without storage nodes)",
            executor_name(kind)
        )),
        ExecutorKind::Kube => Err(
            "executor \"kubernetes\" is not supported by Brickyard (use \"ssh\" to reach the gluster pods' hosts, or \"mock\")"
                .to_string(),
        ),
    }
}
