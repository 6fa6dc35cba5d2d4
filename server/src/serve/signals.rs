//! Process signals: SIGTERM/SIGINT stop the server, SIGUSR2 resets the admin mode
//! to normal (Heketi's `server/admin/reset.go`).

use tokio::task::JoinHandle;

use crate::admin::{AdminMode, AdminState};

/// Resolves at the first SIGTERM or SIGINT (Ctrl-C).
pub async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGTERM; only Ctrl-C stops the server");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Spawns the SIGUSR2 watcher (unix only).
pub fn reset_admin_on_usr2(admin: AdminState) -> Option<JoinHandle<()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::user_defined2()) {
            Ok(mut usr2) => Some(tokio::spawn(async move {
                while usr2.recv().await.is_some() {
                    admin.set(AdminMode::Normal);
                    tracing::info!("SIGUSR2: admin mode reset to normal");
                }
            })),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGUSR2");
                None
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = admin;
        None
    }
}
